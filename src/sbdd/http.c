/*
 * sbdd: HTTP on port 6970.  Phones of newer firmware fetch the same files
 * over HTTP that older ones fetch over TFTP; the names and the bytes are
 * the same, from the same resolver.  Only GET and HEAD, and one POST:
 *
 * POST /DeviceTLInfo, body "device=SEP<MAC>&itl=<hex SHA-1>&ctl=<hex
 * SHA-1>" (application/x-www-form-urlencoded; a hash is empty when the
 * phone holds no such list).  CUCM learns what a phone holds from its
 * registration (DeviceTLInfo); sbdd has no call control, so phones (and
 * sbdphone) report it here after each boot.  The ITL hash is recorded in
 * the store for `report itl`.  Answer 204, or 400 for a malformed report.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "sbdd.h"

#define HTTP_URI_MAX	1024
#define HTTP_TIMEOUT_S	30

/* What a request carries through the resolver callback. */
struct hreq {
	struct sbdd *d;
	struct evhttp_request *req;
	struct sockaddr_storage peer;
	char name[SBD_TFTP_NAME_MAX + 1];
	uint64_t start;
	int head;
};

static void
peer_of(struct evhttp_request *req, struct sockaddr_storage *ss)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	const struct sockaddr *sa;

	memset(ss, 0, sizeof(*ss));
	if (c == NULL || (sa = evhttp_connection_get_addr(c)) == NULL)
		return;
	memcpy(ss, sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
}

static void
reply_error(struct hreq *h, int code, const char *reason, const char *result)
{
	struct evbuffer *body = evbuffer_new();

	/* A fixed text: never the client's name, never a server path. */
	if (body != NULL && !h->head)
		evbuffer_add_printf(body, "%d %s\n", code, reason);
	evhttp_add_header(evhttp_request_get_output_headers(h->req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(h->req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
	sbdd_transfer_done(h->d, SBDD_HTTP, (struct sockaddr *)&h->peer,
	    h->name, NULL, result, 0, sbdd_now_usec() - h->start);
}

static void
unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	sbdd_blob_unref(arg);
}

static void
resolved(void *arg, enum sbdd_result r, struct sbdd_hit *hit)
{
	struct hreq *h = arg;
	struct sbdd *d = h->d;
	struct evbuffer *body = NULL;
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(h->req);
	uint8_t *tmp = NULL;
	size_t len;
	char clen[32];

	switch (r) {
	case SBDD_OK:
		break;
	case SBDD_NOTFOUND:
		d->ctr.http_misses++;
		reply_error(h, HTTP_NOTFOUND, "Not Found", "notfound");
		goto out;
	case SBDD_DENIED:
		d->ctr.http_rejected++;
		reply_error(h, 403, "Forbidden", "denied");
		goto out;
	default:
		d->ctr.http_rejected++;
		reply_error(h, HTTP_INTERNAL, "Internal Server Error",
		    "failed");
		goto out;
	}
	len = hit->blob->len;
	if ((body = evbuffer_new()) == NULL)
		goto fail;
	if (h->head) {
		/* Content-Length of the body a GET would get. */
		snprintf(clen, sizeof(clen), "%zu", len);
		evhttp_add_header(hdr, "Content-Length", clen);
	} else if (hit->blob->data != NULL) {
		/* Zero copy: the buffer holds a blob reference until sent. */
		if (evbuffer_add_reference(body, hit->blob->data, len,
		    unref_cb, sbdd_blob_ref(hit->blob)) != 0) {
			sbdd_blob_unref(hit->blob);
			goto fail;
		}
	} else {
		if ((tmp = malloc(len ? len : 1)) == NULL ||
		    sbdd_blob_get(hit->blob, 0, len, tmp) == NULL ||
		    evbuffer_add(body, tmp, len) != 0)
			goto fail;
	}
	evhttp_add_header(hdr, "Content-Type", "application/octet-stream");
	evhttp_send_reply(h->req, HTTP_OK, "OK", body);
	d->ctr.http_served++;
	sbdd_transfer_done(d, SBDD_HTTP, (struct sockaddr *)&h->peer, h->name,
	    hit, "ok", h->head ? 0 : len, sbdd_now_usec() - h->start);
	goto out;
fail:
	d->ctr.http_rejected++;
	reply_error(h, HTTP_INTERNAL, "Internal Server Error", "failed");
out:
	free(tmp);
	if (body != NULL)
		evbuffer_free(body);
	if (hit != NULL)
		sbdd_blob_unref(hit->blob);
	free(h);
}

/*
 * Decode the path of a request URI into name: "/NAME" with %-escapes, no
 * query.  Returns -1 for anything that is not a plain, decodable path.
 */
static int
uri_name(const char *uri, char *name, size_t cap)
{
	struct evhttp_uri *u;
	const char *path;
	char *dec = NULL;
	size_t n;
	int r = -1;

	if (strlen(uri) > HTTP_URI_MAX ||
	    (u = evhttp_uri_parse_with_flags(uri, 0)) == NULL)
		return -1;
	path = evhttp_uri_get_path(u);
	if (path == NULL || path[0] != '/' || evhttp_uri_get_query(u) != NULL)
		goto out;
	if ((dec = evhttp_uridecode(path + 1, 0, &n)) == NULL)
		goto out;
	/* An encoded NUL would cut the name short: refuse it. */
	if (n >= cap || strlen(dec) != n)
		goto out;
	memcpy(name, dec, n + 1);
	r = 0;
out:
	free(dec);
	evhttp_uri_free(u);
	return r;
}

/* A hash field: empty, or 40 hex digits (normalised by the store). */
static int
sha1_field(const char *v)
{
	size_t i;

	if (v == NULL)
		return -1;
	for (i = 0; v[i] != '\0'; i++)
		if (i == 40 || !isxdigit((unsigned char)v[i]))
			return -1;
	return i == 0 || i == 40 ? 0 : -1;
}

static void
devicetlinfo(struct hreq *h)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(h->req);
	struct evkeyvalq q;
	char body[1025], mac[SBD_MAC_LEN + 1], a[INET6_ADDRSTRLEN + 8];
	const char *dev, *itl, *ctl;
	size_t n = evbuffer_get_length(in);
	int ok = 0;

	TAILQ_INIT(&q);
	snprintf(h->name, sizeof(h->name), "DeviceTLInfo");
	/* evhttp refused bodies over its limit (sbdd_http_start). */
	if (n < sizeof(body) && evbuffer_remove(in, body, n) == (int)n) {
		body[n] = '\0';
		/*
		 * Names, MACs and hex digits never need escapes; one that
		 * decodes to a NUL would cut a value short unseen.
		 */
		if (strcspn(body, "%+") == n &&
		    evhttp_parse_query_str(body, &q) == 0) {
			dev = evhttp_find_header(&q, "device");
			itl = evhttp_find_header(&q, "itl");
			ctl = evhttp_find_header(&q, "ctl");
			ok = dev != NULL && strncmp(dev, "SEP", 3) == 0 &&
			    sbd_mac_parse(dev, mac) == 0 &&
			    sha1_field(itl) == 0 &&
			    (ctl == NULL || sha1_field(ctl) == 0);
		}
	}
	if (!ok) {
		h->d->ctr.devicetlinfo_rejected++;
		sbdd_log_peer(h->d, (struct sockaddr *)&h->peer,
		    "malformed DeviceTLInfo report refused");
		reply_error(h, HTTP_BADREQUEST, "Bad Request", "rejected");
		goto out;
	}
	h->d->ctr.devicetlinfo++;
	sbdd_note_reported(h->d, mac, itl);
	sbdd_log(h->d, LOG_INFO, "http %s DeviceTLInfo SEP%s itl %s ctl %s",
	    sbdd_addrstr((struct sockaddr *)&h->peer, a, sizeof(a)), mac,
	    *itl != '\0' ? itl : "none",
	    ctl != NULL && *ctl != '\0' ? ctl : "none");
	evhttp_send_reply(h->req, 204, "No Content", NULL);
out:
	evhttp_clear_headers(&q);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct sbdd *d = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct hreq *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	h->d = d;
	h->req = req;
	h->start = sbdd_now_usec();
	h->head = cmd == EVHTTP_REQ_HEAD;
	peer_of(req, &h->peer);
	if (cmd == EVHTTP_REQ_POST &&
	    strcmp(evhttp_request_get_uri(req), "/DeviceTLInfo") == 0) {
		devicetlinfo(h);
		free(h);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		d->ctr.http_rejected++;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD (POST for /DeviceTLInfo)");
		reply_error(h, 405, "Method Not Allowed", "rejected");
		free(h);
		return;
	}
	if (uri_name(evhttp_request_get_uri(req), h->name,
	    sizeof(h->name)) != 0) {
		d->ctr.http_rejected++;
		reply_error(h, HTTP_BADREQUEST, "Bad Request", "rejected");
		free(h);
		return;
	}
	/* HTTP never proxies: hops at the limit. */
	sbdd_resolve(d, SBDD_HTTP, h->name, (struct sockaddr *)&h->peer,
	    SBD_TFTP_HOPS_MAX, resolved, h);
}

int
sbdd_http_start(struct sbdd *d)
{
	struct evhttp_bound_socket *s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd;

	if ((d->http = evhttp_new(d->base)) == NULL)
		return SBD_ERR_NOMEM;
	evhttp_set_allowed_methods(d->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS);
	evhttp_set_timeout(d->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(d->http, 8192);
	evhttp_set_max_body_size(d->http, 1024);
	evhttp_set_gencb(d->http, on_request, d);
	s = evhttp_bind_socket_with_handle(d->http, d->conf.addr,
	    (uint16_t)d->conf.http_port);
	if (s == NULL) {
		sbdd_log(d, LOG_ERR, "http: cannot listen on %s:%d: %s",
		    d->conf.addr, d->conf.http_port, strerror(errno));
		return SBD_ERR_IO;
	}
	fd = evhttp_bound_socket_get_fd(s);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		d->http_bound = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

void
sbdd_http_free(struct sbdd *d)
{
	if (d->http == NULL)
		return;
	evhttp_free(d->http);
	d->http = NULL;
}
