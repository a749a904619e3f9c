/*
 * sbdd: internal interfaces of the node daemon.
 *
 *   main.c      configuration, the libevent loop, signals, logging,
 *               counters, the control socket
 *   resolver.c  the file resolver and build cache shared by TFTP and HTTP
 *   tftp.c      the TFTP service (RFC 1350/2347/2348/2349/7440)
 *   http.c      the HTTP service on port 6970 (same names as TFTP)
 *   proxy.c     centralized TFTP: ask upstream TFTP servers on a miss
 *
 * One thread, one event base.  No function here parses packet bytes by
 * hand: lib/tftp.c does (DESIGN.md, "data flows one way").
 */
#ifndef SBDD_H
#define SBDD_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/store.h"
#include "sbd/tftp.h"

struct event_base;
struct event;
struct evhttp;

#define SBDD_UPSTREAM_MAX	3
#define SBDD_PORT_STORE		(-1)
#define SBDD_PORT_OFF		(-2)

struct sbdd_conf {
	char datadir[SBD_PATH_MAX];
	char node[SBD_NAME_MAX];
	char tftp_dir[SBD_PATH_MAX + 64];	/* DATA/nodes/NODE/tftp */
	char run_dir[SBD_PATH_MAX + 64];	/* DATA/nodes/NODE/run */
	char addr[SBD_NAME_MAX];	/* listen address (node's by default) */
	/*
	 * Ports: SBDD_PORT_STORE = the node's port from the store, 0 = any
	 * free port (tests; the bound ports are written to run/ports as
	 * "tftp N" and "http N" lines), SBDD_PORT_OFF = service disabled.
	 */
	int tftp_port;
	int http_port;
	int foreground;			/* log to stderr instead of syslog */
	int verbose;

	/* TFTP limits. */
	unsigned max_transfers;		/* global cap on concurrent transfers */
	unsigned max_per_client;	/* per client address */
	unsigned lifetime_s;		/* longest a transfer may live */
	unsigned max_retries;		/* retransmissions of one block */
	unsigned rexmit_ms;		/* timeout when the client sets none */
	uint32_t blksize_cap;		/* 0 = path MTU */
	uint32_t window_cap;		/* largest windowsize granted */
	size_t file_max;		/* largest file served */
	size_t cache_max;		/* bytes of built files kept */
	unsigned sign_threads;		/* 0: sign in the event loop */

	/* Proxy TFTP. */
	unsigned nupstream;
	struct sockaddr_storage upstream[SBDD_UPSTREAM_MAX];
	socklen_t upstream_len[SBDD_UPSTREAM_MAX];
	unsigned upstream_timeout_ms;	/* per upstream, whole transfer */
	unsigned proxy_ttl_s;		/* positive cache */
	unsigned proxy_neg_ttl_s;	/* negative cache */
};

/* Counters, readable with `sbdctl stats` through the control socket. */
struct sbdd_counters {
	uint64_t tftp_served;		/* transfers completed */
	uint64_t tftp_misses;		/* file not found */
	uint64_t tftp_errors;		/* transfers that failed midway */
	uint64_t tftp_rejected;		/* malformed, refused, over a cap */
	uint64_t tftp_retransmits;	/* blocks sent again after a timeout */
	uint64_t tftp_bytes;
	uint64_t tftp_strange_tid;	/* packets from a wrong TID */
	uint64_t http_served;
	uint64_t http_misses;
	uint64_t http_rejected;
	uint64_t proxy_hits;		/* served from upstream (or its cache) */
	uint64_t proxy_misses;		/* upstreams had nothing */
	uint64_t proxy_errors;		/* upstream timeout or error */
	uint64_t signed_built;		/* .sgn built on demand */
	uint64_t enc_built;		/* .enc.sgn built on demand */
	uint64_t reloads;
};

struct sbdd_resolver;
struct sbdd_tftp;
struct sbdd_proxy;
struct sbdd_signer;

struct sbdd {
	struct sbdd_conf conf;
	struct event_base *base;
	struct sbd_store *store;
	struct sbdd_counters ctr;
	struct sbdd_resolver *res;
	struct sbdd_tftp *tftp;
	struct sbdd_proxy *proxy;
	struct sbdd_signer *signer;
	struct evhttp *http;
	int stopping;			/* SIGTERM: finish, accept nothing */
	uint16_t tftp_bound;		/* ports actually bound */
	uint16_t http_bound;
};

/* ---- served bytes --------------------------------------------------- */

/*
 * Immutable, reference-counted bytes of one servable file, in memory or
 * (for large admin files) read from an open descriptor with pread.
 */
struct sbdd_blob {
	unsigned refs;
	size_t len;
	int fd;			/* -1 for memory blobs */
	uint8_t *data;		/* NULL for descriptor blobs */
	int has_sha1;		/* sha1 computed (loop thread only) */
	char sha1[41];		/* hex SHA-1 of the bytes, for notes */
};

/* A memory blob holding a copy of p (or taking ownership of p: _take). */
struct sbdd_blob *sbdd_blob_new(const void *p, size_t len);
struct sbdd_blob *sbdd_blob_take(uint8_t *p, size_t len);
/* A descriptor blob; takes ownership of fd. */
struct sbdd_blob *sbdd_blob_fd(int fd, size_t len);
struct sbdd_blob *sbdd_blob_ref(struct sbdd_blob *b);
void sbdd_blob_unref(struct sbdd_blob *b);	/* NULL is a no-op */
/*
 * n bytes at off: a pointer into memory blobs, or read into scratch for
 * descriptor blobs.  Returns NULL on a read error.  off + n <= b->len.
 */
const uint8_t *sbdd_blob_get(const struct sbdd_blob *b, size_t off,
    size_t n, uint8_t *scratch);

/* ---- the resolver --------------------------------------------------- */

enum sbdd_kind {
	SBDD_KIND_FILE = 0,	/* an administrator's file */
	SBDD_KIND_ITL,		/* ITLFile.tlv or ITLSEP<MAC>.tlv */
	SBDD_KIND_CTL,
	SBDD_KIND_CONFIG,	/* SEP<MAC>.cnf.xml (plain) */
	SBDD_KIND_SIGNED,	/* X.sgn */
	SBDD_KIND_CONFIG_SIGNED,	/* SEP<MAC>.cnf.xml.sgn */
	SBDD_KIND_CONFIG_ENC,	/* SEP<MAC>.cnf.xml.enc.sgn */
	SBDD_KIND_PROXY,	/* fetched from an upstream */
};

enum sbdd_result {
	SBDD_OK = 0,
	SBDD_NOTFOUND,		/* ERROR 1 / HTTP 404 */
	SBDD_DENIED,		/* bad name or never servable: ERROR 2 / 403 */
	SBDD_FAILED,		/* could not build: ERROR 0 / 500 */
	SBDD_PENDING,		/* inside the resolver only: answered later */
};

/* What a request resolved to. */
struct sbdd_hit {
	struct sbdd_blob *blob;	/* one reference owned by the hit */
	enum sbdd_kind kind;
	char mac[SBD_MAC_LEN + 1];	/* the device, for per-device names */
};

enum sbdd_proto { SBDD_TFTP, SBDD_HTTP };

/*
 * Resolve name for a client.  Calls cb exactly once, with the result and,
 * on SBDD_OK, a hit whose blob reference passes to the callee.  Local
 * names are answered before sbdd_resolve returns; a local miss with
 * upstream servers configured (and proto TFTP, hops below the limit) is
 * answered later from the event loop.  hops is the request's x-sbd-hops
 * (0 when absent).
 */
typedef void (*sbdd_resolve_cb)(void *arg, enum sbdd_result r,
    struct sbdd_hit *hit);
void sbdd_resolve(struct sbdd *d, enum sbdd_proto proto, const char *name,
    const struct sockaddr *peer, unsigned hops, sbdd_resolve_cb cb,
    void *arg);

/*
 * A transfer ended: log one line (client, file, result, bytes,
 * duration), count it, and remember per device what was served.  result
 * is "ok", "notfound", "denied", "timeout", "error", "aborted", ...
 * hit may be NULL (nothing was resolved).
 */
void sbdd_transfer_done(struct sbdd *d, enum sbdd_proto proto,
    const struct sockaddr *peer, const char *name, const struct sbdd_hit *hit,
    const char *result, uint64_t bytes, uint64_t usec);

int sbdd_resolver_init(struct sbdd *d) SBD_WUR;
/* Rebuild the ITL/CTL and drop cached signatures (SIGHUP, store change). */
int sbdd_resolver_reload(struct sbdd *d) SBD_WUR;
void sbdd_resolver_free(struct sbdd *d);

/* ---- services ------------------------------------------------------- */

int sbdd_tftp_start(struct sbdd *d) SBD_WUR;
/* Stop accepting requests; running transfers go on to their end. */
void sbdd_tftp_stop_accepting(struct sbdd *d);
size_t sbdd_tftp_active(const struct sbdd *d);
void sbdd_tftp_free(struct sbdd *d);

int sbdd_http_start(struct sbdd *d) SBD_WUR;
void sbdd_http_free(struct sbdd *d);

/* Proxy: fetch name from the upstreams; cb as for sbdd_resolve. */
int sbdd_proxy_init(struct sbdd *d) SBD_WUR;
void sbdd_proxy_fetch(struct sbdd *d, const char *name, unsigned hops,
    sbdd_resolve_cb cb, void *arg);
void sbdd_proxy_free(struct sbdd *d);

/*
 * Signing off the loop (signer.c).  submit signs src (a memory blob) as
 * filename with cert/key (references taken) in the worker thread and
 * later calls cb in the loop thread with 0 and the malloc'ed signed file
 * (the callee owns it) or an error.  A submit that returns an error took
 * nothing and will not call cb: the caller signs inline.
 */
typedef void (*sbdd_sign_cb)(void *arg, int err, uint8_t *out, size_t len);
int sbdd_signer_init(struct sbdd *d) SBD_WUR;
int sbdd_signer_submit(struct sbdd *d, struct sbdd_blob *src,
    const char *filename, X509 *cert, EVP_PKEY *key, sbdd_sign_cb cb,
    void *arg) SBD_WUR;
/* Joins the worker; jobs not yet done call back with an error. */
void sbdd_signer_free(struct sbdd *d);

/* ---- logging -------------------------------------------------------- */

/* syslog priorities (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
void sbdd_log(struct sbdd *d, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Rate-limited warning about peer input: at most a few lines per second
 * across the daemon, so a flood cannot fill the disk.
 */
void sbdd_log_peer(struct sbdd *d, const struct sockaddr *peer,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "a.b.c.d:port" or "[v6]:port" into buf. */
const char *sbdd_addrstr(const struct sockaddr *sa, char *buf, size_t cap);
/* Monotonic microseconds. */
uint64_t sbdd_now_usec(void);

#endif
