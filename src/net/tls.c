/*
 * TCP and TLS client connections with deadlines (src/net/net.h).
 *
 * The socket stays blocking for SSL_read/SSL_write; every wait goes
 * through poll() first, so no call blocks past its timeout.  OpenSSL is
 * told not to judge the server certificate: a phone trusts by its own
 * rules (CTL/ITL, then TVS), which the caller applies to the peer
 * certificate.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/netint.h"

struct sbdn_tls {
	int fd;
	SSL_CTX *ctx;		/* owned, or the caller's (o->ctx) */
	int own_ctx;
	SSL *ssl;
	unsigned timeout_ms;
};

/* The first queued OpenSSL error as text, and the queue emptied. */
static const char *
ssl_reason(char *buf, size_t cap)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, cap, "connection closed");
	else
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf;
}

static int
wait_fd(int fd, short ev, unsigned ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, (int)ms);
	while (r == -1 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

/* Connect s to ai within timeout_ms; s is left blocking. */
static int
connect_one(int s, const struct addrinfo *ai, const char *host,
    uint16_t port, unsigned timeout_ms, char *errbuf)
{
	int flags, soerr = 0;
	socklen_t sl = sizeof(soerr);

	/* Non-blocking only for the connect, so it has a deadline. */
	if ((flags = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1)
		return sbdn_fail(errbuf, "fcntl: %s", strerror(errno));
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS)
		return sbdn_fail(errbuf, "%s:%u: %s", host, (unsigned)port,
		    strerror(errno));
	if (wait_fd(s, POLLOUT, timeout_ms) != 0)
		return sbdn_fail(errbuf, "%s:%u: connect timed out", host,
		    (unsigned)port);
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		return sbdn_fail(errbuf, "getsockopt: %s", strerror(errno));
	if (soerr != 0)
		return sbdn_fail(errbuf, "%s:%u: %s", host, (unsigned)port,
		    strerror(soerr));
	if (fcntl(s, F_SETFL, flags) == -1)
		return sbdn_fail(errbuf, "fcntl: %s", strerror(errno));
	return 0;
}

int
sbdn_tcp_connect(const char *host, uint16_t port, unsigned timeout_ms,
    int *fd, char *errbuf)
{
	struct addrinfo hints, *res = NULL, *ai;
	char svc[8];
	int s, err, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(svc, sizeof(svc), "%u", (unsigned)port);
	if ((err = getaddrinfo(host, svc, &hints, &res)) != 0)
		return sbdn_fail(errbuf, "%s: %s", host, gai_strerror(err));
	err = sbdn_fail(errbuf, "%s:%u: no address", host, (unsigned)port);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			err = sbdn_fail(errbuf, "socket: %s", strerror(errno));
			continue;
		}
		if ((err = connect_one(s, ai, host, port, timeout_ms,
		    errbuf)) == 0) {
			/*
			 * A TLS client writes its Finished and then its
			 * request: Nagle would hold the request until the
			 * server's delayed ACK (40 ms on Linux).
			 */
			(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
			*fd = s;
			break;
		}
		close(s);
	}
	freeaddrinfo(res);
	return err;
}

/* Accept any certificate: the caller decides trust (see the top). */
static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

int
sbdn_tls_ctx_new(const struct sbdn_tls_opts *o, SSL_CTX **out, char *errbuf)
{
	char why[160];
	SSL_CTX *ctx;
	int err = 0;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return sbdn_fail(errbuf, "TLS: %s",
		    ssl_reason(why, sizeof(why)));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	/*
	 * CUCM issues 1024-bit RSA LSCs, which OpenSSL's default security
	 * level will not present: a client certificate lowers it to 1 (80
	 * bits).  The server's certificate is judged by the caller anyway.
	 *
	 * Old phones speak TLS 1.0 with RSA key exchange only, which
	 * OpenSSL 3 refuses above security level 0 (FORMATS.md 7.1).
	 */
	if (o->cert != NULL && SSL_CTX_get_security_level(ctx) > 1)
		SSL_CTX_set_security_level(ctx, 1);
	if (o->legacy && (SSL_CTX_set_min_proto_version(ctx,
	    TLS1_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1))
		err = sbdn_fail(errbuf, "TLS: %s",
		    ssl_reason(why, sizeof(why)));
	else if (!o->legacy && SSL_CTX_set_min_proto_version(ctx,
	    TLS1_2_VERSION) != 1)
		err = sbdn_fail(errbuf, "TLS: %s",
		    ssl_reason(why, sizeof(why)));
	else if (o->max_version != 0 &&
	    SSL_CTX_set_max_proto_version(ctx, o->max_version) != 1)
		err = sbdn_fail(errbuf, "TLS: bad version %d", o->max_version);
	else if (o->cert != NULL && (SSL_CTX_use_certificate(ctx,
	    o->cert) != 1 || SSL_CTX_use_PrivateKey(ctx, o->key) != 1))
		err = sbdn_fail(errbuf, "TLS client certificate: %s",
		    ssl_reason(why, sizeof(why)));
	if (err != 0) {
		SSL_CTX_free(ctx);
		return err;
	}
	*out = ctx;
	return 0;
}

/* Drive one SSL call to completion or the deadline. */
static int
ssl_wait(struct sbdn_tls *t, int r, char *errbuf, const char *what)
{
	char why[160];
	int e = SSL_get_error(t->ssl, r);

	if (e == SSL_ERROR_WANT_READ &&
	    wait_fd(t->fd, POLLIN, t->timeout_ms) == 0)
		return 1;
	if (e == SSL_ERROR_WANT_WRITE &&
	    wait_fd(t->fd, POLLOUT, t->timeout_ms) == 0)
		return 1;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return sbdn_fail(errbuf, "TLS %s timed out", what);
	if (e == SSL_ERROR_ZERO_RETURN)
		return sbdn_fail(errbuf, "TLS %s: connection closed", what);
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return sbdn_fail(errbuf, "TLS %s: %s", what,
		    errno != 0 ? strerror(errno) : "connection closed");
	return sbdn_fail(errbuf, "TLS %s: %s", what,
	    ssl_reason(why, sizeof(why)));
}

int
sbdn_tls_connect(const char *host, uint16_t port,
    const struct sbdn_tls_opts *o, struct sbdn_tls **out, char *errbuf)
{
	struct sbdn_tls *t;
	int r, err;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SBD_ERR_NOMEM;
	t->fd = -1;
	t->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 5000;
	if ((err = sbdn_tcp_connect(host, port, t->timeout_ms, &t->fd,
	    errbuf)) != 0)
		goto out;
	if (o->ctx != NULL)
		t->ctx = o->ctx;
	else if ((err = sbdn_tls_ctx_new(o, &t->ctx, errbuf)) != 0)
		goto out;
	else
		t->own_ctx = 1;
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(t->ssl, t->fd) != 1) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	/* SNI only for names: an IP address literal is not a host name. */
	if (strspn(host, "0123456789.:") != strlen(host))
		SSL_set_tlsext_host_name(t->ssl, host);
	/* Reads and writes poll first; the socket itself never blocks. */
	if (fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK) == -1) {
		err = sbdn_fail(errbuf, "fcntl: %s", strerror(errno));
		goto out;
	}
	ERR_clear_error();
	while ((r = SSL_connect(t->ssl)) != 1)
		if ((err = ssl_wait(t, r, errbuf, "handshake")) != 1)
			goto out;
	*out = t;
	t = NULL;
	err = 0;
out:
	sbdn_tls_close(t);
	return err;
}

X509 *
sbdn_tls_peer(struct sbdn_tls *t)
{
	return SSL_get0_peer_certificate(t->ssl);
}

SSL *
sbdn_tls_ssl(struct sbdn_tls *t)
{
	return t->ssl;
}

const char *
sbdn_tls_version(struct sbdn_tls *t)
{
	return SSL_get_version(t->ssl);
}

const char *
sbdn_tls_cipher(struct sbdn_tls *t)
{
	return SSL_get_cipher_name(t->ssl);
}

int
sbdn_tls_write(struct sbdn_tls *t, const void *p, size_t n, char *errbuf)
{
	size_t done = 0;
	int r, err = 0;

	if (n > INT32_MAX)
		return SBD_ERR_INVAL;
	ERR_clear_error();
	while (done < n) {
		r = SSL_write(t->ssl, (const uint8_t *)p + done,
		    (int)(n - done));
		if (r > 0)
			done += (size_t)r;
		else if ((err = ssl_wait(t, r, errbuf, "write")) != 1)
			return err;
	}
	return 0;
}

int
sbdn_tls_read_some(struct sbdn_tls *t, void *p, size_t cap, size_t *got,
    char *errbuf)
{
	int r, e, err;

	if (cap > INT32_MAX)
		cap = INT32_MAX;
	ERR_clear_error();
	for (;;) {
		if ((r = SSL_read(t->ssl, p, (int)cap)) > 0) {
			*got = (size_t)r;
			return 0;
		}
		e = SSL_get_error(t->ssl, r);
		/* A close_notify, or a peer that just closed: the end. */
		if (e == SSL_ERROR_ZERO_RETURN ||
		    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 &&
		    r == 0)) {
			*got = 0;
			return 0;
		}
		if ((err = ssl_wait(t, r, errbuf, "read")) != 1)
			return err;
	}
}

int
sbdn_tls_read(struct sbdn_tls *t, void *p, size_t n, char *errbuf)
{
	size_t done = 0, got = 0;
	int err;

	while (done < n) {
		if ((err = sbdn_tls_read_some(t, (uint8_t *)p + done, n - done,
		    &got, errbuf)) != 0)
			return err;
		if (got == 0)
			return sbdn_fail(errbuf, "TLS read: connection closed "
			    "after %zu of %zu bytes", done, n);
		done += got;
	}
	return 0;
}

void
sbdn_tls_close(struct sbdn_tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		/* Best effort: a close_notify that cannot go is no error. */
		(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	if (t->own_ctx)
		SSL_CTX_free(t->ctx);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}
