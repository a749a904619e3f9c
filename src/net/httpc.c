/*
 * HTTP/1.1 client: one GET or POST per call, on a private event_base so
 * that calls on many threads share nothing.  libevent's evhttp writes the
 * request and parses the answer; no HTTP byte is parsed here.
 *
 * HTTPS over a connection the caller has already opened and judged
 * (sbdphone trusts a server by its own rules before it sends anything):
 * libevent 2.1's HTTP client always opens its own TCP connection
 * (evhttp_make_request connects a connection that is not yet connected,
 * and there is no way to hand it one that is).  So evhttp talks plain
 * HTTP to a listener on 127.0.0.1 of this call's own, and a relay in the
 * same loop moves the bytes to and from a bufferevent_openssl opened on
 * the caller's SSL in BUFFEREVENT_SSL_OPEN state.  The TLS connection is
 * borrowed: the relay neither shuts it down nor closes it.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include <openssl/ssl.h>

#include "net/netint.h"

#define HTTP_MAX	(16 * 1024 * 1024)
#define HTTP_TIMEOUT_MS	5000
#define HTTP_HDR_MAX	8192
#define HTTP_HOST_MAX	300

/* What one request's callbacks fill in. */
struct call {
	struct event_base *base;
	size_t max;
	int code;			/* HTTP status; 0: no answer */
	enum evhttp_request_error why;	/* when code is 0 */
	int has_why;
	uint8_t *body;
	size_t len;
	int nomem;
};

/* The loopback relay of an https call (see the top of the file). */
struct relay {
	struct evconnlistener *lis;
	struct bufferevent *tls;	/* over the caller's SSL */
	struct bufferevent *plain;	/* evhttp's connection, accepted */
	int tls_done;			/* the server closed or failed */
};

static const char *
why_str(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed";
	case EVREQ_HTTP_INVALID_HEADER:
		return "malformed answer";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection failed";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too long";
	default:
		return "request failed";
	}
}

static void
on_error(enum evhttp_request_error e, void *arg)
{
	struct call *c = arg;

	c->why = e;
	c->has_why = 1;
}

/* The answer, or NULL / code 0 when the request failed. */
static void
on_done(struct evhttp_request *req, void *arg)
{
	struct call *c = arg;
	struct evbuffer *in;
	size_t n;

	event_base_loopbreak(c->base);
	if (req == NULL || evhttp_request_get_response_code(req) == 0)
		return;
	in = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(in);
	if (n > c->max) {
		c->why = EVREQ_HTTP_DATA_TOO_LONG;
		c->has_why = 1;
	} else if ((c->body = malloc(n ? n : 1)) == NULL)
		c->nomem = 1;
	else if (evbuffer_remove(in, c->body, n) == (int)n) {
		c->len = n;
		c->code = evhttp_request_get_response_code(req);
	}
}

/* ---- the https relay --------------------------------------------------- */

static void
relay_close_plain(struct relay *r)
{
	if (r->plain != NULL) {
		bufferevent_free(r->plain);
		r->plain = NULL;
	}
}

static void
plain_read(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;

	evbuffer_add_buffer(bufferevent_get_output(r->tls),
	    bufferevent_get_input(bev));
}

/* Everything the server sent has reached evhttp: pass its close on. */
static void
plain_drained(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;

	(void)bev;
	if (r->tls_done)
		relay_close_plain(r);
}

static void
plain_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		relay_close_plain(arg);
}

static void
tls_read(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;

	if (r->plain != NULL)
		evbuffer_add_buffer(bufferevent_get_output(r->plain),
		    bufferevent_get_input(bev));
}

static void
tls_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay *r = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	r->tls_done = 1;
	if (r->plain != NULL && evbuffer_get_length(
	    bufferevent_get_output(r->plain)) == 0)
		relay_close_plain(r);
}

/* evhttp connected to the listener: one connection, then no more. */
static void
on_accept(struct evconnlistener *lis, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct relay *r = arg;
	struct event_base *base = evconnlistener_get_base(lis);

	(void)sa;
	(void)salen;
	evconnlistener_disable(lis);
	if (r->plain != NULL || (r->plain = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	bufferevent_setcb(r->plain, plain_read, plain_drained, plain_event,
	    r);
	bufferevent_enable(r->plain, EV_READ | EV_WRITE);
	bufferevent_enable(r->tls, EV_READ | EV_WRITE);
}

/* Listen on 127.0.0.1:0 and wrap the caller's TLS; *port for evhttp. */
static int
relay_open(struct relay *r, struct event_base *base, struct sbdn_tls *tls,
    uint16_t *port, char *errbuf)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((r->lis = evconnlistener_new_bind(base, on_accept, r,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 1,
	    (struct sockaddr *)&sin, sizeof(sin))) == NULL ||
	    getsockname(evconnlistener_get_fd(r->lis),
	    (struct sockaddr *)&sin, &sl) != 0)
		return sbdn_fail(errbuf, "https: cannot open the local relay");
	/* Options 0: no BEV_OPT_CLOSE_ON_FREE, the SSL stays the caller's. */
	if ((r->tls = bufferevent_openssl_socket_new(base, -1,
	    sbdn_tls_ssl(tls), BUFFEREVENT_SSL_OPEN, 0)) == NULL)
		return sbdn_fail(errbuf,
		    "https: cannot wrap the TLS connection");
	/* A server that closes without close_notify has still answered. */
	bufferevent_openssl_set_allow_dirty_shutdown(r->tls, 1);
	bufferevent_setcb(r->tls, tls_read, NULL, tls_event, r);
	*port = ntohs(sin.sin_port);
	return 0;
}

static void
relay_free(struct relay *r)
{
	relay_close_plain(r);
	if (r->tls != NULL)
		bufferevent_free(r->tls);
	if (r->lis != NULL)
		evconnlistener_free(r->lis);
}

/* ---- one request ------------------------------------------------------- */

static int
request(const char *host, uint16_t port, struct sbdn_tls *tls,
    enum evhttp_cmd_type cmd, const char *path, const char *body,
    unsigned timeout_ms, size_t max, uint8_t **out, size_t *outlen,
    char *errbuf)
{
	struct call c;
	struct relay r;
	struct evhttp_connection *evcon = NULL;
	struct evhttp_request *req = NULL;
	struct evkeyvalq *hdr;
	struct timeval tv;
	char hostport[HTTP_HOST_MAX];
	const char *to = host;
	uint16_t to_port = port;
	int err;

	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	c.max = max != 0 ? max : HTTP_MAX;
	if (timeout_ms == 0)
		timeout_ms = HTTP_TIMEOUT_MS;
	if (snprintf(hostport, sizeof(hostport), strchr(host, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", host, (unsigned)port) >= (int)sizeof(hostport))
		return SBD_ERR_INVAL;
	if ((c.base = event_base_new()) == NULL)
		return SBD_ERR_NOMEM;
	if (tls != NULL) {
		if ((err = relay_open(&r, c.base, tls, &to_port,
		    errbuf)) != 0)
			goto out;
		to = "127.0.0.1";
	}
	if ((evcon = evhttp_connection_base_new(c.base, NULL, to,
	    to_port)) == NULL || (req = evhttp_request_new(on_done,
	    &c)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(evcon, &tv);
	evhttp_connection_set_retries(evcon, 0);
	evhttp_connection_set_max_headers_size(evcon, HTTP_HDR_MAX);
	evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)(c.max >
	    (size_t)INT32_MAX ? (size_t)INT32_MAX : c.max));
	evhttp_request_set_error_cb(req, on_error);
	hdr = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(hdr, "Host", hostport) != 0 ||
	    evhttp_add_header(hdr, "Connection", "close") != 0 ||
	    (body != NULL && (evhttp_add_header(hdr, "Content-Type",
	    "application/x-www-form-urlencoded") != 0 ||
	    evbuffer_add(evhttp_request_get_output_buffer(req), body,
	    strlen(body)) != 0))) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	/* evhttp_make_request owns req from here, even when it fails. */
	if (evhttp_make_request(evcon, req, cmd, path) != 0) {
		req = NULL;
		err = sbdn_fail(errbuf, "%s: cannot send the request",
		    hostport);
		goto out;
	}
	req = NULL;
	/* evhttp's timeouts bound every wait; on_done ends the loop. */
	(void)event_base_dispatch(c.base);
	if (c.nomem)
		err = SBD_ERR_NOMEM;
	else if (c.code == 0)
		err = sbdn_fail(errbuf, "%s%s: %s", hostport, path, c.has_why ?
		    why_str(c.why) : "no answer");
	else if (c.code == 404) {
		sbdn_fail(errbuf, "%s%s: 404 Not Found", hostport, path);
		err = SBD_ERR_NOTFOUND;
	} else if (c.code < 200 || c.code > 299 ||
	    (cmd == EVHTTP_REQ_GET && c.code != 200))
		err = sbdn_fail(errbuf, "%s%s: HTTP status %d", hostport, path,
		    c.code);
	else {
		if (out != NULL) {
			*out = c.body;
			*outlen = c.len;
			c.body = NULL;
		}
		err = 0;
	}
out:
	if (req != NULL)
		evhttp_request_free(req);
	if (evcon != NULL)
		evhttp_connection_free(evcon);
	relay_free(&r);
	event_base_free(c.base);
	free(c.body);
	return err;
}

int
sbdn_http_get(const char *host, uint16_t port, struct sbdn_tls *tls,
    const char *path, unsigned timeout_ms, size_t max, uint8_t **out,
    size_t *len, char *errbuf)
{
	if (host == NULL || path == NULL || path[0] != '/' || out == NULL ||
	    len == NULL)
		return SBD_ERR_INVAL;
	return request(host, port, tls, EVHTTP_REQ_GET, path, NULL,
	    timeout_ms, max, out, len, errbuf);
}

int
sbdn_http_post(const char *host, uint16_t port, const char *path,
    const char *body, unsigned timeout_ms, char *errbuf)
{
	if (host == NULL || path == NULL || path[0] != '/' || body == NULL)
		return SBD_ERR_INVAL;
	return request(host, port, NULL, EVHTTP_REQ_POST, path, body,
	    timeout_ms, 0, NULL, NULL, errbuf);
}
