/*
 * sbdd: signing off the event loop.
 *
 * An RSA-2048 signature costs about 250 us.  In a boot storm against a
 * cold cache every phone's configuration needs one, and signing inside
 * the event loop would hold every running transfer (and the ACKs that
 * drive it) behind each signature.  A worker thread signs instead; the
 * loop hands it a job and learns of the result through an eventfd.
 *
 * The worker touches only what a job gives it: payload bytes that nobody
 * changes while the job holds its blob reference (blobs are immutable),
 * and certificate and key references of its own (OpenSSL reference counts
 * are atomic).  Reference counts of blobs are changed by the loop thread
 * only.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/sgn.h"
#include "sbdd.h"

#define SIGNER_QUEUE_MAX	4096	/* jobs waiting; beyond, sign inline */

struct job {
	struct job *next;
	struct sbdd_blob *src;		/* reference owned by the job */
	char filename[SBD_TFTP_NAME_MAX + 1];
	X509 *cert;
	EVP_PKEY *key;
	sbdd_sign_cb cb;
	void *arg;
	int err;
	uint8_t *out;
	size_t outlen;
};

struct sbdd_signer {
	pthread_t thread;
	int started;
	int efd;
	struct event *ev;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct job *todo, **todo_tail;
	struct job *done;
	size_t queued;
};

static void
job_free(struct job *j)
{
	sbdd_blob_unref(j->src);
	X509_free(j->cert);
	EVP_PKEY_free(j->key);
	free(j->out);
	free(j);
}

static void *
worker(void *arg)
{
	struct sbdd_signer *s = arg;
	struct job *j;
	uint64_t one = 1;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->stop && s->todo == NULL)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		j = s->todo;
		s->todo = j->next;
		if (s->todo == NULL)
			s->todo_tail = &s->todo;
		pthread_mutex_unlock(&s->mu);

		j->err = sbd_sgn_sign(j->src->data, j->src->len, j->filename,
		    SBD_HASH_SHA1, 0, j->cert, j->key, &j->out, &j->outlen);

		pthread_mutex_lock(&s->mu);
		j->next = s->done;
		s->done = j;
		pthread_mutex_unlock(&s->mu);
		/* An eventfd write fails only when the counter would overflow:
		 * the loop has a wake-up pending anyway. */
		if (write(s->efd, &one, sizeof(one)) != sizeof(one))
			continue;
	}
}

/* Deliver results in the loop thread, oldest first. */
static void
deliver(struct sbdd_signer *s)
{
	struct job *list, *rev = NULL, *j;

	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list != NULL) {
		j = list;
		list = j->next;
		j->next = rev;
		rev = j;
	}
	while ((j = rev) != NULL) {
		rev = j->next;
		s->queued--;
		j->cb(j->arg, j->err, j->err == 0 ? j->out : NULL,
		    j->err == 0 ? j->outlen : 0);
		j->out = NULL;		/* the callback owns it now */
		job_free(j);
	}
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	uint64_t n;

	(void)what;
	/* Nothing to read means another wake-up already drained it. */
	if (read(fd, &n, sizeof(n)) != sizeof(n) && errno != EAGAIN)
		return;
	deliver(arg);
}

int
sbdd_signer_init(struct sbdd *d)
{
	struct sbdd_signer *s;

	if (d->conf.sign_threads == 0)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SBD_ERR_NOMEM;
	d->signer = s;
	s->efd = -1;
	s->todo_tail = &s->todo;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return SBD_ERR_IO;
	s->ev = event_new(d->base, s->efd, EV_READ | EV_PERSIST, on_done, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0)
		return SBD_ERR_NOMEM;
	if (pthread_create(&s->thread, NULL, worker, s) != 0) {
		sbdd_log(d, LOG_ERR, "cannot start the signing thread: %s",
		    strerror(errno));
		return SBD_ERR_IO;
	}
	s->started = 1;
	return 0;
}

int
sbdd_signer_submit(struct sbdd *d, struct sbdd_blob *src,
    const char *filename, X509 *cert, EVP_PKEY *key, sbdd_sign_cb cb,
    void *arg)
{
	struct sbdd_signer *s = d->signer;
	struct job *j;

	if (s == NULL || !s->started || s->queued >= SIGNER_QUEUE_MAX ||
	    src->data == NULL || strlen(filename) >= sizeof(j->filename))
		return SBD_ERR_INVAL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return SBD_ERR_NOMEM;
	if (X509_up_ref(cert) != 1) {
		free(j);
		return SBD_ERR_CRYPTO;
	}
	if (EVP_PKEY_up_ref(key) != 1) {
		X509_free(cert);
		free(j);
		return SBD_ERR_CRYPTO;
	}
	j->src = sbdd_blob_ref(src);
	snprintf(j->filename, sizeof(j->filename), "%s", filename);
	j->cert = cert;
	j->key = key;
	j->cb = cb;
	j->arg = arg;
	s->queued++;
	pthread_mutex_lock(&s->mu);
	*s->todo_tail = j;
	s->todo_tail = &j->next;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void
sbdd_signer_free(struct sbdd *d)
{
	struct sbdd_signer *s = d->signer;
	struct job *j;

	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	/* Finished jobs are delivered; unstarted ones fail. */
	deliver(s);
	while ((j = s->todo) != NULL) {
		s->todo = j->next;
		j->cb(j->arg, SBD_ERR_IO, NULL, 0);
		job_free(j);
	}
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->efd != -1)
		close(s->efd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	d->signer = NULL;
}
