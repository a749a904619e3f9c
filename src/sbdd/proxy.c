/*
 * sbdd: centralized (proxy) TFTP.  On a local miss the node asks up to
 * three upstream TFTP servers, in order, for the file, and serves what the
 * first one has.  Answers are cached for proxy_ttl seconds, misses for
 * proxy_neg_ttl, so a boot storm asks upstream once per file.
 *
 * Loops: every upstream request carries our "x-sbd-hops" option, one more
 * than the request that caused it; a request that arrives with
 * SBD_TFTP_HOPS_MAX hops is answered locally only.  Servers that do not
 * know the option ignore it (RFC 2347).
 *
 * Each upstream gets upstream_timeout_ms for the whole transfer, shorter
 * than a phone's own retry, so a dead upstream delays a phone by at most
 * one retry.  Concurrent requests for one name share one fetch.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "sbdd.h"

#define PROXY_BLKSIZE	1428		/* fits an Ethernet MTU */
#define PROXY_REXMIT_MS	250		/* resend RRQ/ACK this often */
#define PROXY_FILE_MAX	(16 * 1024 * 1024)
#define PROXY_CACHE_MAX	1024		/* names remembered */
#define PROXY_FETCH_MAX	256		/* fetches in flight */

struct waiter {
	struct waiter *next;
	sbdd_resolve_cb cb;
	void *arg;
};

/* A remembered answer: blob NULL for a miss. */
struct pcache {
	char *name;
	struct sbdd_blob *blob;
	time_t expires;
};

struct fetch {
	struct fetch *next;
	struct sbdd *d;
	char name[SBD_TFTP_NAME_MAX + 1];
	unsigned hops;
	struct waiter *waiters;
	unsigned up;			/* upstream being asked */
	int fd;
	struct event *ev_read, *ev_timer;
	uint64_t deadline;		/* of this upstream, usec */
	struct sockaddr_storage tid;	/* the upstream's transfer port */
	int have_tid;
	uint32_t blksize;
	uint16_t next_block;		/* expected DATA block */
	uint8_t *buf;
	size_t len, cap;
	uint8_t last[SBD_TFTP_NAME_MAX + 64]; /* last packet sent */
	size_t lastlen;
	int found_error;		/* an upstream failed (not a miss) */
};

struct sbdd_proxy {
	struct pcache cache[PROXY_CACHE_MAX];
	size_t ncache;
	struct fetch *fetches;
	size_t nfetch;
};

static void fetch_next(struct fetch *f);

static struct pcache *
cache_lookup(struct sbdd_proxy *p, const char *name)
{
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < p->ncache; i++) {
		if (strcmp(p->cache[i].name, name) != 0)
			continue;
		if (p->cache[i].expires > now)
			return &p->cache[i];
		return NULL;
	}
	return NULL;
}

static void
cache_store(struct sbdd_proxy *p, const char *name, struct sbdd_blob *b,
    unsigned ttl)
{
	time_t now = time(NULL);
	struct pcache *c = NULL;
	size_t i, oldest = 0;
	char *copy;

	if (ttl == 0)
		return;
	/* The entry for name, else an expired one, else the oldest. */
	for (i = 0; i < p->ncache; i++) {
		if (strcmp(p->cache[i].name, name) == 0) {
			c = &p->cache[i];
			break;
		}
		if (c == NULL && p->cache[i].expires <= now)
			c = &p->cache[i];
		if (p->cache[i].expires < p->cache[oldest].expires)
			oldest = i;
	}
	if (c == NULL && p->ncache < PROXY_CACHE_MAX) {
		if ((copy = strdup(name)) == NULL)
			return;
		c = &p->cache[p->ncache++];
		c->name = copy;
	} else if (c == NULL) {
		c = &p->cache[oldest];
	}
	if (strcmp(c->name, name) != 0) {
		if ((copy = strdup(name)) == NULL) {
			/* Forget the slot rather than file it wrongly. */
			c->expires = 0;
			return;
		}
		free(c->name);
		c->name = copy;
	}
	sbdd_blob_unref(c->blob);
	c->blob = b != NULL ? sbdd_blob_ref(b) : NULL;
	c->expires = now + (time_t)ttl;
}

/* Answer every waiter and forget the fetch. */
static void
fetch_finish(struct fetch *f, enum sbdd_result r, struct sbdd_blob *b)
{
	struct sbdd_proxy *p = f->d->proxy;
	struct fetch **pp;
	struct waiter *w, *next;
	struct sbdd_hit hit;

	for (pp = &p->fetches; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	p->nfetch--;
	if (f->ev_read != NULL)
		event_free(f->ev_read);
	if (f->ev_timer != NULL)
		event_free(f->ev_timer);
	if (f->fd != -1)
		close(f->fd);
	for (w = f->waiters; w != NULL; w = next) {
		next = w->next;
		if (r == SBDD_OK) {
			memset(&hit, 0, sizeof(hit));
			hit.kind = SBDD_KIND_PROXY;
			hit.blob = sbdd_blob_ref(b);
			w->cb(w->arg, r, &hit);
		} else {
			w->cb(w->arg, r, NULL);
		}
		free(w);
	}
	free(f->buf);
	free(f);
}

static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr,
		    sizeof(struct in_addr)) == 0;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr,
	    sizeof(struct in6_addr)) == 0;
}

static void
send_last(struct fetch *f)
{
	const struct sockaddr_storage *to = f->have_tid ? &f->tid :
	    &f->d->conf.upstream[f->up];
	socklen_t tl = f->d->conf.upstream_len[f->up];

	(void)sendto(f->fd, f->last, f->lastlen, 0,
	    (const struct sockaddr *)to, tl);
}

static void
send_ack(struct fetch *f, uint16_t block)
{
	int n = sbd_tftp_build_ack(f->last, sizeof(f->last), block);

	if (n > 0) {
		f->lastlen = (size_t)n;
		send_last(f);
	}
}

static int
append(struct fetch *f, const uint8_t *p, size_t n)
{
	uint8_t *nb;
	size_t ncap;

	if (n > PROXY_FILE_MAX - f->len)
		return -1;
	if (f->len + n > f->cap) {
		ncap = f->cap ? f->cap * 2 : 8192;
		while (ncap < f->len + n)
			ncap *= 2;
		if ((nb = realloc(f->buf, ncap)) == NULL)
			return -1;
		f->buf = nb;
		f->cap = ncap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

/* The upstream answered with the whole file. */
static void
fetch_done(struct fetch *f)
{
	struct sbdd *d = f->d;
	struct sbdd_blob *b;

	if ((b = sbdd_blob_take(f->buf, f->len)) == NULL) {
		d->ctr.proxy_errors++;
		fetch_finish(f, SBDD_FAILED, NULL);
		return;
	}
	f->buf = NULL;
	d->ctr.proxy_hits++;
	cache_store(d->proxy, f->name, b, d->conf.proxy_ttl_s);
	fetch_finish(f, SBDD_OK, b);
	sbdd_blob_unref(b);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	struct sbdd *d = f->d;
	uint8_t pkt[SBD_TFTP_PKT_MAX];
	struct sbd_tftp_pkt tp;
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	(void)what;
	n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return;
	/* Only the upstream host may answer; its first reply fixes the TID. */
	if (!same_host(&from, &d->conf.upstream[f->up]))
		return;
	if (f->have_tid && memcmp(&from, &f->tid, fl) != 0)
		return;
	if (sbd_tftp_parse_pkt(pkt, (size_t)n, &tp, NULL) != 0)
		return;
	if (!f->have_tid) {
		f->tid = from;
		f->have_tid = 1;
	}
	switch (tp.op) {
	case SBD_TFTP_ERROR:
		/* ERROR 1 is a miss there: ask the next upstream. */
		if (tp.code != SBD_TFTP_ENOTFOUND)
			f->found_error = 1;
		fetch_next(f);
		return;
	case SBD_TFTP_OACK:
		if (f->next_block != 1 || f->len != 0)
			return;
		if (tp.oack.opts & SBD_TFTP_O_BLKSIZE)
			f->blksize = tp.oack.blksize;
		send_ack(f, 0);
		return;
	case SBD_TFTP_DATA:
		break;
	default:
		return;
	}
	if (tp.block == (uint16_t)(f->next_block - 1)) {
		send_ack(f, tp.block);	/* our ACK was lost */
		return;
	}
	if (tp.block != f->next_block || tp.datalen > f->blksize)
		return;
	if (append(f, tp.data, tp.datalen) != 0) {
		d->ctr.proxy_errors++;
		sbdd_log(d, LOG_WARNING, "proxy: an upstream file is over "
		    "%d bytes; refused", PROXY_FILE_MAX);
		fetch_finish(f, SBDD_FAILED, NULL);
		return;
	}
	send_ack(f, tp.block);
	f->next_block++;
	if (tp.datalen < f->blksize)
		fetch_done(f);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct fetch *f = arg;
	struct timeval tv = { 0, PROXY_REXMIT_MS * 1000 };

	(void)fd;
	(void)what;
	if (sbdd_now_usec() >= f->deadline) {
		f->found_error = 1;
		fetch_next(f);
		return;
	}
	send_last(f);
	evtimer_add(f->ev_timer, &tv);
}

/* Ask upstream f->up (the first call) or the next one. */
static int
fetch_start(struct fetch *f)
{
	struct sbdd *d = f->d;
	const struct sockaddr_storage *up = &d->conf.upstream[f->up];
	struct timeval tv = { 0, PROXY_REXMIT_MS * 1000 };
	struct sbd_tftp_neg want;
	int n;

	if (f->ev_read != NULL)
		event_free(f->ev_read);
	if (f->ev_timer != NULL)
		event_free(f->ev_timer);
	if (f->fd != -1)
		close(f->fd);
	f->ev_read = f->ev_timer = NULL;
	f->have_tid = 0;
	f->len = 0;
	f->next_block = 1;
	f->blksize = SBD_TFTP_SEGSIZE;
	f->fd = socket(up->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (f->fd == -1)
		return -1;
	memset(&want, 0, sizeof(want));
	want.opts = SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_HOPS;
	want.blksize = PROXY_BLKSIZE;
	want.hops = f->hops;
	n = sbd_tftp_build_rrq(f->last, sizeof(f->last), f->name, &want);
	if (n < 0)
		return -1;
	f->lastlen = (size_t)n;
	f->ev_read = event_new(d->base, f->fd, EV_READ | EV_PERSIST, on_read, f);
	f->ev_timer = evtimer_new(d->base, on_timer, f);
	if (f->ev_read == NULL || f->ev_timer == NULL ||
	    event_add(f->ev_read, NULL) != 0 || evtimer_add(f->ev_timer, &tv))
		return -1;
	f->deadline = sbdd_now_usec() +
	    (uint64_t)d->conf.upstream_timeout_ms * 1000;
	send_last(f);
	return 0;
}

static void
fetch_next(struct fetch *f)
{
	struct sbdd *d = f->d;

	while (++f->up < d->conf.nupstream)
		if (fetch_start(f) == 0)
			return;
	if (f->found_error) {
		d->ctr.proxy_errors++;
	} else {
		d->ctr.proxy_misses++;
		cache_store(d->proxy, f->name, NULL, d->conf.proxy_neg_ttl_s);
	}
	fetch_finish(f, SBDD_NOTFOUND, NULL);
}

void
sbdd_proxy_fetch(struct sbdd *d, const char *name, unsigned hops,
    sbdd_resolve_cb cb, void *arg)
{
	struct sbdd_proxy *p = d->proxy;
	struct pcache *c;
	struct fetch *f;
	struct waiter *w;
	struct sbdd_hit hit;

	if ((c = cache_lookup(p, name)) != NULL) {
		if (c->blob == NULL) {
			cb(arg, SBDD_NOTFOUND, NULL);
			return;
		}
		d->ctr.proxy_hits++;
		memset(&hit, 0, sizeof(hit));
		hit.kind = SBDD_KIND_PROXY;
		hit.blob = sbdd_blob_ref(c->blob);
		cb(arg, SBDD_OK, &hit);
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		cb(arg, SBDD_FAILED, NULL);
		return;
	}
	w->cb = cb;
	w->arg = arg;
	/*
	 * Requests for one name share a fetch, but only at the same hop
	 * count: a request that comes back round a loop must not wait for
	 * the fetch that caused it.
	 */
	for (f = p->fetches; f != NULL; f = f->next) {
		if (strcmp(f->name, name) == 0 && f->hops == hops + 1) {
			w->next = f->waiters;
			f->waiters = w;
			return;
		}
	}
	if (p->nfetch >= PROXY_FETCH_MAX || (f = calloc(1, sizeof(*f))) ==
	    NULL) {
		free(w);
		cb(arg, SBDD_FAILED, NULL);
		return;
	}
	f->d = d;
	f->fd = -1;
	f->hops = hops + 1;
	f->waiters = w;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->next = p->fetches;
	p->fetches = f;
	p->nfetch++;
	f->up = 0;
	if (fetch_start(f) != 0) {
		f->found_error = 1;
		fetch_next(f);
	}
}

int
sbdd_proxy_init(struct sbdd *d)
{
	if ((d->proxy = calloc(1, sizeof(*d->proxy))) == NULL)
		return SBD_ERR_NOMEM;
	return 0;
}

void
sbdd_proxy_free(struct sbdd *d)
{
	struct sbdd_proxy *p = d->proxy;
	size_t i;

	if (p == NULL)
		return;
	while (p->fetches != NULL)
		fetch_finish(p->fetches, SBDD_FAILED, NULL);
	for (i = 0; i < p->ncache; i++) {
		free(p->cache[i].name);
		sbdd_blob_unref(p->cache[i].blob);
	}
	free(p);
	d->proxy = NULL;
}
