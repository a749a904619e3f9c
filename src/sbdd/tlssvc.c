/*
 * sbdd: what the TLS services (TVS, CAPF) share.
 *
 * Both listen on TCP, refuse clients over the global and per-client caps
 * before spending a handshake on them, and carry each connection as a
 * TLS bufferevent whose input is cut into frames by the service's
 * lib/ frame_len.  Connections are kept in a list (for stop and free)
 * and in a hash of their client's address (for the per-client cap
 * without a scan).  The service sees only its callbacks: a whole frame,
 * a refused header, the handshake done, and the end of a wait.
 *
 * The TLS context is reference-counted by OpenSSL (each SSL holds its
 * SSL_CTX), so a reload swaps it for new connections while those in
 * flight finish with the one they began with.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "sbdd.h"

#define TLSSVC_BACKLOG	128
#define TLSSVC_BUCKETS_MAX 65536
#define TLSSVC_PAUSE_MS	100	/* accept paused after an error */

LIST_HEAD(tlsconn_list, sbdd_tlsconn);

struct sbdd_tlssvc {
	struct sbdd *d;
	struct sbdd_tlssvc_def def;
	struct evconnlistener *lis;
	struct event *ev_pause;		/* re-enables the listener */
	SSL_CTX *ctx;			/* for new connections */
	struct tlsconn_list conns;
	struct tlsconn_list *buckets;	/* by client address */
	size_t nbuckets;		/* a power of two */
	uint32_t seed;
	size_t nactive;
	const struct timeval *tv_total;	/* a common timeout */
};

/* ---- client addresses ------------------------------------------------ */

const uint8_t *
sbdd_addr_bytes(const struct sockaddr_storage *ss, size_t *n)
{
	if (ss->ss_family == AF_INET6) {
		*n = sizeof(struct in6_addr);
		return (const uint8_t *)
		    &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	}
	*n = sizeof(struct in_addr);
	return (const uint8_t *)
	    &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
}

int
sbdd_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	const uint8_t *pa, *pb;
	size_t na, nb;

	if (a->ss_family != b->ss_family)
		return 0;
	pa = sbdd_addr_bytes(a, &na);
	pb = sbdd_addr_bytes(b, &nb);
	return na == nb && memcmp(pa, pb, na) == 0;
}

uint32_t
sbdd_addr_hash(uint32_t seed, const struct sockaddr_storage *ss)
{
	const uint8_t *p;
	uint32_t h = seed ^ 2166136261u;
	size_t n, i;

	p = sbdd_addr_bytes(ss, &n);
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* ---- cluster parameters ---------------------------------------------- */

unsigned long
sbdd_param_range(struct sbdd *d, const char *svc, const char *name,
    unsigned long max, unsigned long dflt, char *bad)
{
	char v[SBD_PARAM_MAX], *end;
	unsigned long x, r = dflt;
	int err;

	err = sbd_store_param_get(d->store, name, v, sizeof(v));
	if (err == SBD_ERR_NOTFOUND) {
		bad[0] = '\0';
		goto out;
	}
	/* strtoul alone would take blanks, a sign and an empty tail. */
	if (err == 0 && v[0] >= '0' && v[0] <= '9') {
		errno = 0;
		x = strtoul(v, &end, 10);
		if (errno == 0 && *end == '\0' && x >= 1 && x <= max) {
			bad[0] = '\0';
			r = x;
			goto out;
		}
	}
	if (err != 0)
		snprintf(v, sizeof(v), "(unreadable: %s)", sbd_strerror(err));
	if (strcmp(v, bad) != 0) {
		sbdd_log(d, LOG_WARNING, "%s: parameter %s \"%s\" is not "
		    "1..%lu; using %lu", svc, name, v, max, dflt);
		snprintf(bad, SBD_PARAM_MAX, "%s", v);
	}
out:
	return r;
}

/* ---- connections ----------------------------------------------------- */

void
sbdd_tlsconn_free(struct sbdd_tlsconn *tc, int clean)
{
	struct sbdd_tlssvc *s = tc->svc;
	SSL *ssl = bufferevent_openssl_get_ssl(tc->bev);

	s->def.close(tc);
	/*
	 * handshaken alone is not enough: after a fatal alert OpenSSL puts
	 * even an established session back in init, where SSL_shutdown
	 * sends nothing and only queues an error.
	 */
	if (clean && ssl != NULL && tc->handshaken &&
	    SSL_is_init_finished(ssl) &&
	    evbuffer_get_length(bufferevent_get_output(tc->bev)) == 0) {
		/* Best effort: a peer already gone is no error of ours. */
		(void)SSL_shutdown(ssl);
		ERR_clear_error();
	}
	LIST_REMOVE(tc, all);
	LIST_REMOVE(tc, link);
	s->nactive--;
	if (tc->ev_total != NULL)
		event_free(tc->ev_total);
	bufferevent_free(tc->bev);
	free(tc);
}

int
sbdd_tlsconn_finish(struct sbdd_tlsconn *tc)
{
	tc->closing = 1;
	bufferevent_disable(tc->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(tc->bev)) == 0) {
		sbdd_tlsconn_free(tc, 1);
		return -1;
	}
	return 0;
}

/* Hand each whole frame to the service, one at a time. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct sbdd_tlsconn *tc = arg;
	const struct sbdd_tlssvc_def *def = &tc->svc->def;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct sbd_diag dg;
	const uint8_t *p;
	size_t len, total;

	while (!tc->closing) {
		if ((len = evbuffer_get_length(in)) < def->hdr_len)
			return;
		if ((p = evbuffer_pullup(in, (ssize_t)def->hdr_len)) == NULL)
			goto fail;
		if (def->frame_len(p, def->hdr_len, &total, &dg) != 0) {
			def->bad_frame(tc, &dg);
			return;
		}
		if (len < total)
			return;
		if ((p = evbuffer_pullup(in, (ssize_t)total)) == NULL)
			goto fail;
		if (def->frame(tc, p, total) != 0)
			return;
		evbuffer_drain(in, total);
	}
	return;
fail:
	def->event(tc, SBDD_TLS_NOMEM);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct sbdd_tlsconn *tc = arg;

	if (tc->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		sbdd_tlsconn_free(tc, 1);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct sbdd_tlsconn *tc = arg;
	struct sbdd_tlssvc *s = tc->svc;
	unsigned long e;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		tc->handshaken = 1;
		if (s->def.connected != NULL)
			s->def.connected(tc);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		s->def.event(tc, SBDD_TLS_IDLE);
		return;
	}
	if (tc->handshaken) {
		s->def.event(tc, SBDD_TLS_CLOSED);
		return;
	}
	/* A failed handshake: an old protocol, a scanner... */
	(*s->def.ctr_rejected)++;
	if ((e = bufferevent_get_openssl_error(bev)) != 0)
		ERR_error_string_n(e, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "closed");
	sbdd_log_peer(s->d, (const struct sockaddr *)&tc->peer,
	    "%s: TLS handshake failed: %s", s->def.name, why);
	sbdd_tlsconn_free(tc, 0);
}

static void
on_total(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd_tlsconn *tc = arg;

	(void)fd;
	(void)what;
	tc->svc->def.event(tc, SBDD_TLS_TOTAL);
}

/* Refuse a client before any TLS: over a cap, out of memory. */
static void
refuse(struct sbdd_tlssvc *s, evutil_socket_t fd,
    const struct sockaddr_storage *peer, const char *why)
{
	(*s->def.ctr_rejected)++;
	sbdd_log_peer(s->d, (const struct sockaddr *)peer, "%s: refused: %s",
	    s->def.name, why);
	close(fd);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sbdd_tlssvc *s = arg;
	struct sbdd *d = s->d;
	struct sockaddr_storage peer;
	struct timeval idle = { (time_t)s->def.idle_s, 0 };
	struct tlsconn_list *bucket;
	struct sbdd_tlsconn *tc, *o;
	unsigned same = 0;
	int one = 1;
	SSL *ssl;

	(void)l;
	memset(&peer, 0, sizeof(peer));
	if (salen > 0 && (size_t)salen <= sizeof(peer))
		memcpy(&peer, sa, (size_t)salen);
	/*
	 * Each message is one write and waits for its answer: Nagle would
	 * hold a message behind the peer's delayed ACK (40 ms on Linux).
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->nactive >= d->conf.tls_max_conns) {
		refuse(s, fd, &peer, "at the connection cap");
		return;
	}
	bucket = &s->buckets[sbdd_addr_hash(s->seed, &peer) &
	    (s->nbuckets - 1)];
	LIST_FOREACH(o, bucket, link)
		if (sbdd_same_host(&o->peer, &peer))
			same++;
	if (same >= d->conf.tls_max_per_client) {
		refuse(s, fd, &peer, "at the per-client connection cap");
		return;
	}
	if ((tc = calloc(1, s->def.conn_size)) == NULL ||
	    (ssl = SSL_new(s->ctx)) == NULL) {
		free(tc);
		refuse(s, fd, &peer, "out of memory");
		return;
	}
	/*
	 * With BEV_OPT_CLOSE_ON_FREE the bufferevent owns ssl and fd; if it
	 * cannot be made, libevent 2.1 has freed ssl but not closed fd.
	 */
	tc->bev = bufferevent_openssl_socket_new(d->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (tc->bev == NULL) {
		free(tc);
		refuse(s, fd, &peer, "out of memory");
		return;
	}
	tc->d = d;
	tc->svc = s;
	tc->peer = peer;
	s->def.open(tc);
	LIST_INSERT_HEAD(&s->conns, tc, all);
	LIST_INSERT_HEAD(bucket, tc, link);
	s->nactive++;
	(*s->def.ctr_conns)++;
	if ((tc->ev_total = evtimer_new(d->base, on_total, tc)) == NULL ||
	    evtimer_add(tc->ev_total, s->tv_total) != 0) {
		sbdd_tlsconn_free(tc, 0);
		return;
	}
	/* A whole frame fits; reading pauses until it is handled. */
	bufferevent_setwatermark(tc->bev, EV_READ, 0, s->def.frame_max);
	bufferevent_set_timeouts(tc->bev, &idle, &idle);
	bufferevent_setcb(tc->bev, on_read, on_write, on_event, tc);
	bufferevent_enable(tc->bev, EV_READ);
}

static void
on_pause_end(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd_tlssvc *s = arg;

	(void)fd;
	(void)what;
	if (s->lis != NULL)
		evconnlistener_enable(s->lis);
}

/*
 * accept(2) failed (out of descriptors): pause, or the listener would
 * spin on a socket that stays readable.
 */
static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct sbdd_tlssvc *s = arg;
	struct timeval tv = { 0, TLSSVC_PAUSE_MS * 1000 };

	sbdd_log_peer(s->d, NULL, "%s: accept: %s", s->def.name,
	    strerror(errno));
	evconnlistener_disable(l);
	evtimer_add(s->ev_pause, &tv);
}

/* ---- the service ------------------------------------------------------ */

int
sbdd_tlssvc_new(struct sbdd *d, const struct sbdd_tlssvc_def *def,
    struct sbdd_tlssvc **out)
{
	struct sbdd_tlssvc *s;
	struct timeval total = { (time_t)def->total_s, 0 };
	size_t i;
	int err = SBD_ERR_NOMEM;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->d = d;
	s->def = *def;
	LIST_INIT(&s->conns);
	/* About one connection per bucket at the cap. */
	for (s->nbuckets = 16; s->nbuckets < d->conf.tls_max_conns &&
	    s->nbuckets < TLSSVC_BUCKETS_MAX; s->nbuckets *= 2)
		;
	if ((s->buckets = calloc(s->nbuckets, sizeof(*s->buckets))) == NULL)
		goto out;
	for (i = 0; i < s->nbuckets; i++)
		LIST_INIT(&s->buckets[i]);
	s->seed = arc4random();
	/* Every connection's timer has this one duration: a queue append. */
	s->tv_total = event_base_init_common_timeout(d->base, &total);
	if (s->tv_total == NULL ||
	    (s->ev_pause = evtimer_new(d->base, on_pause_end, s)) == NULL)
		goto out;
	if ((err = sbdd_tls_ctx(d, def->role, &s->ctx)) != 0) {
		sbdd_log(d, LOG_ERR, "%s: no TLS context: %s", def->name,
		    sbd_strerror(err));
		goto out;
	}
	*out = s;
	s = NULL;
out:
	sbdd_tlssvc_free(s);
	return err;
}

int
sbdd_tlssvc_listen(struct sbdd_tlssvc *s)
{
	struct sbdd *d = s->d;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int gai, err = SBD_ERR_IO;

	memset(&hints, 0, sizeof(hints));
	memset(&ss, 0, sizeof(ss));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", s->def.port);
	if ((gai = getaddrinfo(d->conf.addr, port, &hints, &res)) != 0) {
		sbdd_log(d, LOG_ERR, "%s: %s: %s", s->def.name, d->conf.addr,
		    gai_strerror(gai));
		goto out;
	}
	s->lis = evconnlistener_new_bind(d->base, on_accept, s,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    TLSSVC_BACKLOG, res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (s->lis == NULL) {
		sbdd_log(d, LOG_ERR, "%s: cannot listen on %s:%d: %s",
		    s->def.name, d->conf.addr, s->def.port, strerror(errno));
		goto out;
	}
	evconnlistener_set_error_cb(s->lis, on_accept_error);
	if (getsockname(evconnlistener_get_fd(s->lis),
	    (struct sockaddr *)&ss, &sl) == 0)
		*s->def.bound = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port :
		    ((struct sockaddr_in *)(void *)&ss)->sin_port);
	err = 0;
out:
	return err;
}

int
sbdd_tlssvc_reload(struct sbdd_tlssvc *s)
{
	SSL_CTX *ctx = NULL;
	int err;

	if ((err = sbdd_tls_ctx(s->d, s->def.role, &ctx)) == 0) {
		SSL_CTX_free(s->ctx);
		s->ctx = ctx;
	}
	return err;
}

void
sbdd_tlssvc_stop_accepting(struct sbdd_tlssvc *s)
{
	struct sbdd_tlsconn *tc, *next;

	if (s->lis != NULL) {
		evconnlistener_free(s->lis);
		s->lis = NULL;
	}
	if (s->def.stop == NULL)
		return;
	for (tc = LIST_FIRST(&s->conns); tc != NULL; tc = next) {
		next = LIST_NEXT(tc, all);
		s->def.stop(tc);
	}
}

size_t
sbdd_tlssvc_active(const struct sbdd_tlssvc *s)
{
	return s != NULL ? s->nactive : 0;
}

void
sbdd_tlssvc_free(struct sbdd_tlssvc *s)
{
	if (s == NULL)
		return;
	while (!LIST_EMPTY(&s->conns))
		sbdd_tlsconn_free(LIST_FIRST(&s->conns), 0);
	if (s->lis != NULL)
		evconnlistener_free(s->lis);
	if (s->ev_pause != NULL)
		event_free(s->ev_pause);
	SSL_CTX_free(s->ctx);
	free(s->buckets);
	free(s);
}
