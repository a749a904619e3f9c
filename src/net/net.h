/*
 * Client-side networking shared by sbdctl, sbdphone and the benchmarks:
 * TCP and TLS connections, the TVS exchange, a TFTP and an HTTP client.
 * Built into build/libsbdnet.a.
 *
 * Blocking sockets with deadlines: every call gives up after its timeout,
 * so a fleet of phones on a pool of threads cannot hang.  Bytes are still
 * parsed only by libsbd (DESIGN.md, "data flows one way").
 *
 * Functions return 0 or a negative enum sbd_err: SBD_ERR_IO for a network
 * failure or timeout (the text in the caller's errbuf when one is given),
 * SBD_ERR_NOTFOUND for a file the server does not have.
 *
 * Programs using these ignore SIGPIPE: a peer may close at any time.
 */
#ifndef SBDNET_H
#define SBDNET_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/tvs.h"

#define SBDN_ERRBUF	160

/*
 * A TCP connection to host (numeric IPv4/IPv6 or a name) and port within
 * timeout_ms.  *fd is a blocking socket.
 */
int sbdn_tcp_connect(const char *host, uint16_t port, unsigned timeout_ms,
    int *fd, char *errbuf) SBD_WUR;

struct sbdn_tls;

struct sbdn_tls_opts {
	unsigned timeout_ms;	/* connect, handshake, and each read */
	int legacy;		/* allow TLS 1.0 at DEFAULT:@SECLEVEL=0 */
	int max_version;	/* 0, or TLS1_VERSION.. to pin a version */
	X509 *cert;		/* client certificate (the LSC or MIC) */
	EVP_PKEY *key;		/* its key; both borrowed */
	/*
	 * A context made once with sbdn_tls_ctx_new, for callers that
	 * connect again and again (benchmarks): building one costs about
	 * as much as the client's side of a handshake.  Borrowed; when
	 * set, legacy, max_version, cert and key are the context's.
	 */
	struct ssl_ctx_st *ctx;
};

/* The client context sbdn_tls_connect would make for o (SSL_CTX_free). */
int sbdn_tls_ctx_new(const struct sbdn_tls_opts *o, struct ssl_ctx_st **out,
    char *errbuf) SBD_WUR;

/*
 * TLS client connection.  OpenSSL does not judge the server's
 * certificate: the caller applies its own trust (a phone's CTL/ITL, TVS)
 * to sbdn_tls_peer().
 */
int sbdn_tls_connect(const char *host, uint16_t port,
    const struct sbdn_tls_opts *o, struct sbdn_tls **out, char *errbuf)
    SBD_WUR;
/* The server's certificate, borrowed from t; NULL if it sent none. */
X509 *sbdn_tls_peer(struct sbdn_tls *t);
/* The OpenSSL connection, for a libevent bufferevent (https). */
struct ssl_st *sbdn_tls_ssl(struct sbdn_tls *t);
/* The negotiated protocol ("TLSv1.2") and cipher, for logs. */
const char *sbdn_tls_version(struct sbdn_tls *t);
const char *sbdn_tls_cipher(struct sbdn_tls *t);
/* Write all of p in one SSL_write (one record where it fits). */
int sbdn_tls_write(struct sbdn_tls *t, const void *p, size_t n,
    char *errbuf) SBD_WUR;
/* Read exactly n bytes, or fail at the deadline or at end of stream. */
int sbdn_tls_read(struct sbdn_tls *t, void *p, size_t n, char *errbuf)
    SBD_WUR;
/* Read up to cap bytes as they come (HTTP bodies); *got 0 at the end. */
int sbdn_tls_read_some(struct sbdn_tls *t, void *p, size_t cap, size_t *got,
    char *errbuf) SBD_WUR;
void sbdn_tls_close(struct sbdn_tls *t);	/* NULL is a no-op */

/*
 * One TVS request on an open connection: req is built with
 * sbd_tvs_build and sent in one write; the answer frame is read with
 * sbd_tvs_frame_len and parsed with sbd_tvs_parse into *res, which points
 * into *buf (the caller frees it).  A response whose session differs from
 * the request's, or whose command is not the request's + 1, is
 * SBD_ERR_VALUE.
 */
int sbdn_tvs_exchange(struct sbdn_tls *t, const struct sbd_tvs_msg *req,
    uint8_t **buf, struct sbd_tvs_msg *res, char *errbuf) SBD_WUR;

struct sbdn_tftp_opts {
	unsigned timeout_ms;	/* per packet; 0 = 1000 */
	unsigned retries;	/* retransmissions of one packet; 0 = 4 */
	uint32_t blksize;	/* 0 = RFC 1350's 512, no option sent */
	size_t max;		/* largest file accepted; 0 = 16 MiB */
};

/*
 * Fetch name (octet mode) from host:port over TFTP.  An ERROR 1 from the
 * server is SBD_ERR_NOTFOUND; any other ERROR, a timeout or a file over
 * o->max is SBD_ERR_IO.  *out malloc'ed (may be empty: *len 0, *out not
 * NULL).
 */
int sbdn_tftp_get(const char *host, uint16_t port, const char *name,
    const struct sbdn_tftp_opts *o, uint8_t **out, size_t *len,
    char *errbuf) SBD_WUR;

/*
 * HTTP/1.1 GET of path from host:port (Connection: close).  Status 404
 * is SBD_ERR_NOTFOUND, other non-200 statuses SBD_ERR_IO.  With tls not
 * NULL the request goes over that open connection instead (host is then
 * only the Host header).
 */
int sbdn_http_get(const char *host, uint16_t port, struct sbdn_tls *tls,
    const char *path, unsigned timeout_ms, size_t max, uint8_t **out,
    size_t *len, char *errbuf) SBD_WUR;

/*
 * POST body (application/x-www-form-urlencoded) to path; 0 on a 2xx
 * answer.
 */
int sbdn_http_post(const char *host, uint16_t port, const char *path,
    const char *body, unsigned timeout_ms, char *errbuf) SBD_WUR;

#endif
