/*
 * sbdd: internal interfaces of the node daemon.
 *
 *   main.c      configuration, the libevent loop, signals, logging,
 *               counters, the control socket
 *   resolver.c  the file resolver and build cache shared by TFTP and HTTP
 *   tftp.c      the TFTP service (RFC 1350/2347/2348/2349/7440)
 *   http.c      the HTTP service on port 6970 (same names as TFTP)
 *   proxy.c     centralized TFTP: ask upstream TFTP servers on a miss
 *   tls.c       TLS contexts for TVS and CAPF (the node's certificates)
 *   tlssvc.c    what TVS and CAPF share: listener, caps, connections
 *   tvs.c       the Trust Verification Service (FORMATS.md 7, TCP 2445)
 *   capf.c      CAPF: LSC install, fetch and delete (FORMATS.md 8, 3804)
 *   alarm.c     the ITLRecovery backup alarm (publisher only)
 *
 * One thread, one event base.  No function here parses packet bytes by
 * hand: lib/tftp.c does (DESIGN.md, "data flows one way").
 */
#ifndef SBDD_H
#define SBDD_H

#include <sys/queue.h>
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
struct bufferevent;

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
	int tvs_port;			/* "tvs N" in run/ports */
	int capf_port;			/* "capf N" in run/ports */
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

	/* TLS services (TVS and CAPF). */
	int tls_legacy;			/* 1: also TLS 1.0/1.1 with
					 * DEFAULT:@SECLEVEL=0 (7900 series,
					 * FORMATS.md 7.1); 0: TLS 1.2+ */
	char tls_ciphers[256];		/* "" = OpenSSL's default list */
	unsigned tls_max_conns;		/* per service, concurrent */
	unsigned tls_max_per_client;	/* per client address */
	unsigned tls_idle_s;		/* between two requests */
	unsigned tls_total_s;		/* whole connection */
	unsigned tvs_max_requests;	/* per connection */
	unsigned capf_step_s;		/* a phone's keygen and answers */

	unsigned alarm_check_s;		/* between backup alarm checks */
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
	uint64_t tftp_restarts;		/* restart requests honoured (not
					 * counting the start) */
	uint64_t tvs_conns;		/* TLS connections accepted */
	uint64_t tvs_verify;		/* VERIFY requests answered */
	uint64_t tvs_query;		/* QUERY requests answered */
	uint64_t tvs_valid;		/* answers with STATUS valid */
	uint64_t tvs_invalid;		/* answers with STATUS invalid */
	uint64_t tvs_rejected;		/* malformed frame, refused, cap */
	uint64_t tvs_timeouts;		/* idle or total timeout */
	uint64_t capf_conns;
	uint64_t capf_installed;	/* LSCs issued and stored */
	uint64_t capf_fetched;
	uint64_t capf_deleted;
	uint64_t capf_noop;		/* END_SESSION without a task */
	uint64_t capf_failed;		/* authentication or phone failure */
	uint64_t capf_rejected;		/* malformed frame, refused, cap */
	uint64_t devicetlinfo;		/* DeviceTLInfo reports recorded */
	uint64_t devicetlinfo_rejected;
	uint64_t alarms_raised;		/* ITLRecoveryCertBackup, stored */
};

struct sbdd_resolver;
struct sbdd_tftp;
struct sbdd_proxy;
struct sbdd_signer;
struct sbdd_tvs;
struct sbdd_capf;

struct sbdd {
	struct sbdd_conf conf;
	struct event_base *base;
	struct sbd_store *store;
	struct sbdd_counters ctr;
	struct sbdd_resolver *res;
	struct sbdd_tftp *tftp;
	struct sbdd_proxy *proxy;
	struct sbdd_signer *signer;
	struct sbdd_tvs *tvs;
	struct sbdd_capf *capf;
	struct evhttp *http;
	struct event *ev_alarm;
	int64_t tftp_restart;		/* the TFTP restart honoured (store.h,
					 * "TFTP restarts") */
	int stopping;			/* SIGTERM: finish, accept nothing */
	uint16_t tftp_bound;		/* ports actually bound */
	uint16_t http_bound;
	uint16_t tvs_bound;
	uint16_t capf_bound;
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
/* Fill b->sha1 (memory blobs only; loop thread): 0, or -1. */
int sbdd_blob_sha1(struct sbdd_blob *b);
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

/*
 * A phone's DeviceTLInfo report (http.c): the SHA-1 of the ITL it holds
 * (mac and sha1 already checked; "" when it holds none), recorded with
 * the other per-device notes in the next batch.
 */
void sbdd_note_reported(struct sbdd *d, const char *mac, const char *sha1);

/*
 * init and reload build what is served from the store; the ITL is the
 * node's reset ITL (sbd_store_itl_reset_set) while its restart number is
 * d->tftp_restart.  After each successful build the node state is
 * written (sbdd_resolver_state with this process's pid) and the ITL
 * added to the store's ITLs seen.
 */
int sbdd_resolver_init(struct sbdd *d) SBD_WUR;
/* Rebuild the ITL/CTL and drop cached signatures (SIGHUP, store change). */
int sbdd_resolver_reload(struct sbdd *d) SBD_WUR;
/*
 * Write the node state (struct sbd_node_state) of the last successful
 * build: pid (0 at a clean stop), the store generation read before it,
 * d->tftp_restart, the ITL's SHA-1 and signer.  Not a store change.  A
 * failure is logged, never fatal.
 */
void sbdd_resolver_state(struct sbdd *d, int64_t pid);
void sbdd_resolver_free(struct sbdd *d);

/*
 * The backup alarm (alarm.c, SPEC.md "Backup alarm"): on the publisher,
 * once now and every alarm_check seconds, raise ITLRecoveryCertBackup
 * when the publisher's ITLRecovery.p12 is not the one last backed up
 * (parameter itlrecovery_backup) and the alarm was not raised in the last
 * day of sbd_now().
 */
int sbdd_alarm_start(struct sbdd *d) SBD_WUR;
void sbdd_alarm_free(struct sbdd *d);

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

/*
 * TLS (tls.c).  A server context with the node's active certificate and
 * key for role (SBD_CR_TVS, SBD_CR_CAPF), the protocol versions and
 * ciphers of the configuration, and a client certificate requested but
 * not required (FORMATS.md 7.1: tvsd does not verify it).  *out is the
 * caller's (SSL_CTX_free).  sbdd_tls_peer_desc writes the client
 * certificate's subject and SHA-1 (or "no client certificate") for logs.
 */
struct ssl_ctx_st;
struct ssl_st;
int sbdd_tls_ctx(struct sbdd *d, const char *role, struct ssl_ctx_st **out)
    SBD_WUR;
const char *sbdd_tls_peer_desc(struct ssl_st *ssl, char *buf, size_t cap);

/*
 * Client addresses (tlssvc.c; TFTP's per-client caps use them too).
 * addr_bytes points at the 4 or 16 address bytes of ss and sets *n;
 * same_host compares family and address, not the port; addr_hash is
 * FNV-1a of the address bytes, seeded so that a client cannot aim its
 * connections at one bucket.
 */
const uint8_t *sbdd_addr_bytes(const struct sockaddr_storage *ss,
    size_t *n);
int sbdd_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b);
uint32_t sbdd_addr_hash(uint32_t seed, const struct sockaddr_storage *ss);

/*
 * A cluster parameter that must be a decimal 1..max (tlssvc.c): its
 * value, dflt when it is unset, and dflt with a warning ("svc: parameter
 * name ...") when it is anything else.  bad (SBD_PARAM_MAX bytes) holds
 * the value last warned about, so that a bad value is logged once, not
 * at every reload or session.
 */
unsigned long sbdd_param_range(struct sbdd *d, const char *svc,
    const char *name, unsigned long max, unsigned long dflt, char *bad);

/*
 * A TLS service (tlssvc.c): what TVS and CAPF share.  It listens (an
 * accept(2) error such as EMFILE pauses the listener briefly), refuses a
 * client over tls_max_conns or tls_max_per_client before any TLS, runs
 * each connection as a TLS bufferevent with an idle timeout and a timer
 * for its whole life, cuts the input into frames, and ends connections
 * with a close_notify when the session allows.  The service keeps its
 * protocol: what a frame means, what to answer, what it counts and logs.
 *
 * A service's connection struct begins with a struct sbdd_tlsconn
 * (def.conn_size is the whole struct's size), so the tc a callback gets
 * is also the service's connection.
 */
struct sbdd_tlssvc;

/* Why a connection's wait ended; the service's event callback ends it. */
enum sbdd_tls_event {
	SBDD_TLS_IDLE,		/* nothing moved for def.idle_s */
	SBDD_TLS_TOTAL,		/* open for def.total_s */
	SBDD_TLS_CLOSED,	/* after the handshake: EOF or an error */
	SBDD_TLS_NOMEM,		/* a frame could not be gathered */
};

struct sbdd_tlsconn {
	struct sbdd *d;
	struct bufferevent *bev;	/* owns the SSL and the socket */
	struct sockaddr_storage peer;
	/*
	 * The handshake completed (BEV_EVENT_CONNECTED).  Kept here because
	 * SSL_is_init_finished() turns false again after a fatal alert, and
	 * a client's abrupt close would pass for a failed handshake.
	 */
	int handshaken;
	int closing;			/* close once the output is out */
	/* tlssvc.c's own. */
	struct sbdd_tlssvc *svc;
	LIST_ENTRY(sbdd_tlsconn) all;	/* every connection of svc */
	LIST_ENTRY(sbdd_tlsconn) link;	/* in its client's bucket */
	struct event *ev_total;
};

struct sbdd_tlssvc_def {
	const char *name;		/* "tvs": the prefix of log lines */
	const char *role;		/* the certificate, SBD_CR_TVS */
	int port;			/* 0: any free port */
	uint16_t *bound;		/* set to the port bound */
	unsigned idle_s;		/* the longest wait for a byte */
	unsigned total_s;		/* the longest connection */
	uint64_t *ctr_conns;		/* connections accepted */
	uint64_t *ctr_rejected;		/* refused, handshakes failed */
	size_t conn_size;		/* the service's connection struct */
	/* Frames: a header of hdr_len bytes says the whole length. */
	size_t hdr_len;
	size_t frame_max;		/* input is buffered up to one frame */
	int (*frame_len)(const uint8_t *p, size_t len, size_t *total,
	    struct sbd_diag *dg);
	/*
	 * Callbacks.  open: accepted, before the handshake (take the
	 * service's current references); connected: the handshake is done
	 * (NULL: wait for the client); frame: one whole frame, returns -1
	 * when it ended tc; bad_frame: a header frame_len refuses; event:
	 * see enum sbdd_tls_event; stop: at stop_accepting, for each
	 * connection (NULL: they run to their end); close: tc is about to be
	 * freed.  bad_frame and event must end tc (sbdd_tlsconn_free).
	 */
	void (*open)(struct sbdd_tlsconn *tc);
	void (*connected)(struct sbdd_tlsconn *tc);
	int (*frame)(struct sbdd_tlsconn *tc, const uint8_t *p, size_t len);
	void (*bad_frame)(struct sbdd_tlsconn *tc, const struct sbd_diag *dg);
	void (*event)(struct sbdd_tlsconn *tc, enum sbdd_tls_event ev);
	void (*stop)(struct sbdd_tlsconn *tc);
	void (*close)(struct sbdd_tlsconn *tc);
};

/*
 * new makes the service with its TLS context (def is copied); listen
 * binds def.port and sets *def.bound; reload replaces the TLS context for
 * new connections (the old one stays with those in flight, and on
 * failure for new ones too); stop_accepting closes the listener.
 */
int sbdd_tlssvc_new(struct sbdd *d, const struct sbdd_tlssvc_def *def,
    struct sbdd_tlssvc **out) SBD_WUR;
int sbdd_tlssvc_listen(struct sbdd_tlssvc *s) SBD_WUR;
int sbdd_tlssvc_reload(struct sbdd_tlssvc *s) SBD_WUR;
void sbdd_tlssvc_stop_accepting(struct sbdd_tlssvc *s);
size_t sbdd_tlssvc_active(const struct sbdd_tlssvc *s);	/* NULL: 0 */
void sbdd_tlssvc_free(struct sbdd_tlssvc *s);	/* ends every tc */
/*
 * End tc now.  clean: the TLS session is intact and nothing is queued,
 * so a close_notify goes first and the client sees an orderly end rather
 * than a truncation.
 */
void sbdd_tlsconn_free(struct sbdd_tlsconn *tc, int clean);
/*
 * Read no more, and end tc cleanly once its output is out.  Returns -1
 * when tc is gone already (nothing was queued).
 */
int sbdd_tlsconn_finish(struct sbdd_tlsconn *tc);

/*
 * TVS (tvs.c).  start loads the trust index (every certificate of the
 * cluster with its roles, and the trust table) and listens; reload
 * rebuilds the index and the TLS context after a store change or SIGHUP
 * (connections in flight keep the old ones); stop_accepting closes the
 * listener at SIGTERM, and active counts connections still open.
 */
int sbdd_tvs_start(struct sbdd *d) SBD_WUR;
int sbdd_tvs_reload(struct sbdd *d) SBD_WUR;
void sbdd_tvs_stop_accepting(struct sbdd *d);
size_t sbdd_tvs_active(const struct sbdd *d);
void sbdd_tvs_free(struct sbdd *d);

/* CAPF (capf.c): the same life cycle; reads device tasks per session. */
int sbdd_capf_start(struct sbdd *d) SBD_WUR;
int sbdd_capf_reload(struct sbdd *d) SBD_WUR;
void sbdd_capf_stop_accepting(struct sbdd *d);
size_t sbdd_capf_active(const struct sbdd *d);
void sbdd_capf_free(struct sbdd *d);

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
