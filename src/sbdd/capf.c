/*
 * sbdd: the Certificate Authority Proxy Function (FORMATS.md 8), TLS on
 * TCP 3804.  A phone connects; CAPF speaks first with AUTH_REQUEST; the
 * phone names itself and authenticates in AUTH_RESPONSE; CAPF then runs
 * the device's pending task from the store (sbdctl device capf):
 *
 *   install  KEY_GENERATE_REQUEST -> (REQUEST_IN_PROGRESS...) ->
 *            KEY_GENERATE_RESPONSE; the LSC is issued for the phone's new
 *            public key and signed by this node's CAPF key;
 *            STORE_CERTIFICATE_REQUEST -> STORE_CERTIFICATE_RESPONSE;
 *            END_SESSION(1)
 *   fetch    FETCH_CERTIFICATE_REQUEST -> _RESPONSE; END_SESSION(0)
 *   delete   DELETE_CERTIFICATE_REQUEST -> _RESPONSE; END_SESSION(1)
 *   none     END_SESSION(0)
 *
 * An unknown device gets END_SESSION(9).  A phone that fails to
 * authenticate, or whose key is not the one asked for, gets
 * END_SESSION(7), INVALID_ELEMENT (8.2): the credential or key element
 * was wrong.  Either failure ends the task (op back to none, status
 * "Operation Failed: ...") so that a 4-digit authentication string
 * cannot be guessed one connection at a time.  A malformed frame, an
 * unexpected command or a timeout only closes the connection: the task
 * stays pending for the phone's next try.
 *
 * Authentication (task auth):
 *   password  PASSWORD equals the task's string
 *   null      nothing
 *   lsc       CERTIFICATE is an LSC for this device (CN = SEP<MAC>) that
 *             verifies against a CAPF certificate of the cluster, any
 *             node, active or not
 *   mic       CERTIFICATE equals the device's stored MIC, or it names the
 *             device (its CN ends in SEP<MAC>) and verifies against a CA
 *             in DATA/pki/mic-ca/ (PEM files, e.g. Cisco Manufacturing CA)
 * and for lsc and mic, SIGNED_DATA and SHA2_SIGNED_DATA (at least one;
 * each one sent) verify with the certificate's key (8.4).
 *
 * Every message is built by lib/capf.c and goes out in one
 * bufferevent_write: phones stall on a frame split across writes (8.1).
 * Each phone message must arrive within capf_step seconds (a phone
 * generating a key sends REQUEST_IN_PROGRESS meanwhile), the whole
 * session within 4 * capf_step.
 *
 * The issuing certificate and key and the verification stores are
 * reference-counted like TVS's index: a reload builds new ones and
 * sessions in flight finish with the ones they began with.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "sbd/capf.h"
#include "sbd/cluster.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdd.h"

#define CAPF_STEPS	4	/* the session may last this many steps */
#define FRAME_MAX	(SBD_CAPF_HDR + SBD_CAPF_BODY_MAX)
#define LSC_DAYS_DEFAULT 1825
#define LSC_DAYS_MAX	3650
#define MIC_CA_DIR	"pki/mic-ca"	/* in the data directory */
#define NAME_FIELD_MAX	129	/* one subject attribute, RFC 5280 ub */

/* END_SESSION reasons (FORMATS.md 8.2). */
#define R_NO_ACTION	0
#define R_UPDATE	1
#define R_INVALID	7
#define R_UNKNOWN	9

/* What the node issues and verifies with, shared by sessions. */
struct keys {
	unsigned refs;
	X509 *cert;			/* this node's CAPF certificate */
	EVP_PKEY *key;
	X509_STORE *capf;		/* every CAPF certificate: LSCs */
	X509_STORE *mic;		/* DATA/pki/mic-ca: MICs */
	size_t ncapf, nmic;
};

enum state {
	ST_HANDSHAKE,		/* TLS not yet up */
	ST_AUTH,		/* AUTH_REQUEST sent */
	ST_KEYGEN,		/* KEY_GENERATE_REQUEST sent */
	ST_STORE,		/* STORE_CERTIFICATE_REQUEST sent */
	ST_FETCH,		/* FETCH_CERTIFICATE_REQUEST sent */
	ST_DELETE,		/* DELETE_CERTIFICATE_REQUEST sent */
	ST_DONE,		/* END_SESSION sent */
};

/* The phone message each state waits for. */
static const uint8_t expect[] = {
	[ST_HANDSHAKE] = 0,
	[ST_AUTH] = SBD_CAPF_AUTH_RES,
	[ST_KEYGEN] = SBD_CAPF_KEYGEN_RES,
	[ST_STORE] = SBD_CAPF_STORE_RES,
	[ST_FETCH] = SBD_CAPF_FETCH_RES,
	[ST_DELETE] = SBD_CAPF_DELETE_RES,
	[ST_DONE] = 0,
};

static const char *const op_names[] = {
	[SBD_CAPF_OP_NONE] = "none",
	[SBD_CAPF_OP_INSTALL] = "install",
	[SBD_CAPF_OP_FETCH] = "fetch",
	[SBD_CAPF_OP_DELETE] = "delete",
};

/* One session: the shared part first (sbdd.h, struct sbdd_tlsconn). */
struct conn {
	struct sbdd_tlsconn tc;
	struct keys *k;			/* one reference */
	uint32_t session;
	enum state st;
	char mac[SBD_MAC_LEN + 1];	/* "" until AUTH_RESPONSE */
	struct sbd_capf_task task;	/* the device's, at AUTH_RESPONSE */
	char outcome[128];		/* for the session's log line */
	uint8_t *lsc;			/* the issued LSC, until stored */
	size_t lsc_len;
};

struct sbdd_capf {
	struct sbdd *d;
	struct sbdd_tlssvc *svc;
	struct keys *k;			/* for new connections */
	uint32_t next_session;		/* incremented per connection */
	char bad_days[SBD_PARAM_MAX];	/* the invalid capf_lsc_days logged */
};

/* ---- keys and trust stores ---------------------------------------------- */

static void
keys_unref(struct keys *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	X509_free(k->cert);
	EVP_PKEY_free(k->key);
	X509_STORE_free(k->capf);
	X509_STORE_free(k->mic);
	free(k);
}

/*
 * A trust store whose anchors need not be self-signed: an imported CAPF
 * or manufacturing CA certificate verifies what it signed on its own.
 */
static X509_STORE *
store_new(void)
{
	X509_STORE *s = X509_STORE_new();

	if (s != NULL && X509_STORE_set_flags(s, X509_V_FLAG_PARTIAL_CHAIN) !=
	    1) {
		X509_STORE_free(s);
		s = NULL;
	}
	return s;
}

/* Every CAPF certificate of the cluster, for LSC authentication. */
static int
load_capf_certs(struct sbdd *d, struct keys *k)
{
	struct sbd_store_cert *certs = NULL;
	char path[PATH_MAX];
	size_t n = 0, i;
	X509 *x = NULL;
	int err;

	if ((err = sbd_store_cert_list(d->store, NULL, 0, &certs, &n)) != 0) {
		sbdd_log(d, LOG_ERR, "capf: reading the certificates: %s",
		    sbd_store_errmsg(d->store));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(certs[i].role, SBD_CR_CAPF) != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
		    d->conf.datadir, certs[i].cert_path) >= sizeof(path) ||
		    sbd_cert_load(path, &x) != 0) {
			/* An old certificate gone from disk verifies nothing. */
			sbdd_log(d, LOG_WARNING, "capf: CAPF certificate of "
			    "node %s (%s) unreadable; skipped", certs[i].node,
			    certs[i].cert_path);
			continue;
		}
		if (X509_STORE_add_cert(k->capf, x) == 1)
			k->ncapf++;
		X509_free(x);
		x = NULL;
	}
	err = 0;
out:
	free(certs);
	return err;
}

/* The manufacturing CAs an administrator put in DATA/pki/mic-ca/. */
static void
load_mic_cas(struct sbdd *d, struct keys *k)
{
	char pat[PATH_MAX];
	glob_t g;
	size_t i;

	memset(&g, 0, sizeof(g));
	if ((size_t)snprintf(pat, sizeof(pat), "%s/%s/*.pem", d->conf.datadir,
	    MIC_CA_DIR) >= sizeof(pat) || glob(pat, 0, NULL, &g) != 0)
		goto out;
	for (i = 0; i < g.gl_pathc; i++) {
		if (X509_STORE_load_file(k->mic, g.gl_pathv[i]) == 1)
			k->nmic++;
		else
			sbdd_log(d, LOG_WARNING, "capf: %s: not a PEM "
			    "certificate; skipped", g.gl_pathv[i]);
	}
	ERR_clear_error();
out:
	globfree(&g);
}

static int
keys_build(struct sbdd *d, struct keys **out)
{
	struct keys *k;
	int err = SBD_ERR_NOMEM;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return err;
	k->refs = 1;
	if ((k->capf = store_new()) == NULL || (k->mic = store_new()) == NULL)
		goto out;
	if ((err = sbd_cluster_load(d->store, d->conf.datadir, d->conf.node,
	    SBD_CR_CAPF, &k->cert, &k->key)) != 0) {
		sbdd_log(d, LOG_ERR, "capf: CAPF certificate of node %s: %s",
		    d->conf.node, sbd_strerror(err));
		goto out;
	}
	if ((err = load_capf_certs(d, k)) != 0)
		goto out;
	load_mic_cas(d, k);
	*out = k;
	k = NULL;
out:
	keys_unref(k);
	return err;
}

/* Does c verify against the anchors of s (chain, validity period)? */
static int
chain_ok(X509_STORE *s, X509 *c)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok = 0;

	if (ctx != NULL && X509_STORE_CTX_init(ctx, s, c, NULL) == 1)
		ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * The first value of nid in name n as UTF-8 text; 0 if there is one (and
 * with unique, only one) that fits in buf without a NUL.
 */
static int
name_field(X509_NAME *n, int nid, int unique, char *buf, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(n, nid, -1), len;
	unsigned char *u = NULL;
	int rc = -1;

	if (i < 0 || (unique && X509_NAME_get_index_by_NID(n, nid, i) >= 0))
		return -1;
	len = ASN1_STRING_to_UTF8(&u,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
	if (len >= 0 && (size_t)len < cap && memchr(u, '\0', (size_t)len) ==
	    NULL) {
		memcpy(buf, u, (size_t)len);
		buf[len] = '\0';
		rc = 0;
	}
	OPENSSL_free(u);
	return rc;
}

/* The certificate's one commonName. */
static int
common_name(X509 *c, char *buf, size_t cap)
{
	return name_field(X509_get_subject_name(c), NID_commonName, 1, buf,
	    cap);
}

/* ---- connections ----------------------------------------------------- */

/* The service's connection: tc is its first member. */
static struct conn *
conn_of(struct sbdd_tlsconn *tc)
{
	return (struct conn *)(void *)tc;
}

static const struct sockaddr *
peer_sa(const struct conn *c)
{
	return (const struct sockaddr *)&c->tc.peer;
}

static const char *
op_name(enum sbd_capf_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ?
	    op_names[op] : "?";
}

static void
outcome(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
outcome(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->outcome, sizeof(c->outcome), fmt, ap);
	va_end(ap);
}

/*
 * Malformed or unexpected input, or a timeout: logged (rate-limited),
 * counted, closed without an answer.  The task stays pending.
 */
static void
conn_reject(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conn_reject(struct conn *c, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->tc.d->ctr.capf_rejected++;
	sbdd_log_peer(c->tc.d, peer_sa(c), "capf: %s", msg);
	outcome(c, "rejected: %s", msg);
	sbdd_tlsconn_free(&c->tc, 1);
}

/* Send m (session and command filled in here) in one write. */
static int
send_msg(struct conn *c, struct sbd_capf_msg *m, uint8_t cmd)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int rc = -1;

	m->cmd = cmd;
	m->session = c->session;
	if (sbd_capf_build(m, &out, &len) != 0 ||
	    bufferevent_write(c->tc.bev, out, len) != 0) {
		sbdd_log(c->tc.d, LOG_ERR, "capf: cannot send command %u",
		    cmd);
		outcome(c, "failed: cannot send command %u", cmd);
		sbdd_tlsconn_free(&c->tc, 0);
		goto out;
	}
	rc = 0;
out:
	free(out);
	return rc;
}

/* END_SESSION(reason), then close once it is out. */
static int
end_session(struct conn *c, uint8_t reason)
{
	struct sbd_capf_msg m;

	memset(&m, 0, sizeof(m));
	m.reason.set = 1;
	m.reason.v = reason;
	if (send_msg(c, &m, SBD_CAPF_END_SESSION) != 0)
		return -1;
	c->st = ST_DONE;
	return sbdd_tlsconn_finish(&c->tc);
}

/*
 * Record the end of the task in one transaction: op back to none, the
 * password cleared, status and time; with set_cert, the device's
 * certificate becomes kind/der (NULL: none); an audit line.
 */
static int
task_done(struct conn *c, const char *status, int set_cert,
    const char *kind, const uint8_t *der, size_t der_len, const char *what)
{
	struct sbdd *d = c->tc.d;
	struct sbd_capf_task task = c->task;
	struct sbd_device dev;
	char actor[SBD_NAME_MAX + 8];
	int err, got = 0;

	task.op = SBD_CAPF_OP_NONE;
	memset(task.password, 0, sizeof(task.password));
	snprintf(task.status, sizeof(task.status), "%s", status);
	task.status_at = (int64_t)time(NULL);
	snprintf(actor, sizeof(actor), "sbdd:%s", d->conf.node);
	if ((err = sbd_store_begin(d->store)) != 0)
		goto out;
	if (set_cert) {
		if ((err = sbd_store_device_get(d->store, c->mac, &dev)) != 0)
			goto fail;
		got = 1;
		free(dev.cert_der);
		dev.cert_der = NULL;
		dev.cert_len = 0;
		snprintf(dev.cert_kind, sizeof(dev.cert_kind), "%s", kind);
		if (der != NULL) {
			err = SBD_ERR_NOMEM;
			if ((dev.cert_der = malloc(der_len)) == NULL)
				goto fail;
			memcpy(dev.cert_der, der, der_len);
			dev.cert_len = der_len;
		}
		if ((err = sbd_store_device_update(d->store, &dev)) != 0)
			goto fail;
	}
	if ((err = sbd_store_device_capf(d->store, c->mac, &task)) != 0 ||
	    (err = sbd_store_audit(d->store, actor, "capf", "SEP%s %s: %s",
	    c->mac, op_name(c->task.op), what)) != 0 ||
	    (err = sbd_store_commit(d->store)) != 0)
		goto fail;
	goto out;
fail:
	sbd_store_rollback(d->store);
out:
	if (err != 0)
		sbdd_log(d, LOG_ERR, "capf: SEP%s: recording \"%s\": %s%s%s",
		    c->mac, status, sbd_strerror(err),
		    err == SBD_ERR_STORE ? ": " : "",
		    err == SBD_ERR_STORE ? sbd_store_errmsg(d->store) : "");
	if (got)
		sbd_device_clear(&dev);
	OPENSSL_cleanse(&task, sizeof(task));
	return err;
}

/*
 * The task failed: recorded (status "Operation Failed: why"), counted,
 * END_SESSION(reason).  detail goes to the session's log line.  Returns
 * -1 when c is gone.
 */
static int
task_failed(struct conn *c, uint8_t reason, const char *why,
    const char *detail)
{
	char status[SBD_CAPF_STATUS_MAX];

	snprintf(status, sizeof(status), "Operation Failed: %s", why);
	c->tc.d->ctr.capf_failed++;
	(void)task_done(c, status, 0, NULL, NULL, 0, status);
	outcome(c, "failed: %s%s%s (END_SESSION %u)", why,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "", reason);
	return end_session(c, reason);
}

/* ---- authentication (FORMATS.md 8.4) --------------------------------- */

/* SIGNED_DATA and SHA2_SIGNED_DATA: at least one, each one verifies. */
static int
signed_ok(const struct sbd_capf_msg *m, X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	if (pub == NULL || (m->signed_data.p == NULL &&
	    m->sha2_signed.p == NULL))
		return 0;
	if (m->signed_data.p != NULL && sbd_capf_verify(pub,
	    SBD_CAPF_HASH_SHA1, m->device, m->cert, m->cert_len,
	    m->signed_data.p, m->signed_data.len) != 0)
		return 0;
	if (m->sha2_signed.p != NULL && sbd_capf_verify(pub,
	    SBD_CAPF_HASH_SHA512, m->device, m->cert, m->cert_len,
	    m->sha2_signed.p, m->sha2_signed.len) != 0)
		return 0;
	return 1;
}

/* Does the name end in the device's name ("SEP..." or "CP-8845-SEP...")? */
static int
names_device(const char *cn, const char *device)
{
	size_t n = strlen(cn), k = strlen(device);

	return n >= k && strcmp(cn + n - k, device) == 0 &&
	    (n == k || cn[n - k - 1] == '-');
}

/* LSC or MIC authentication: 1 if it holds, else 0 with *why set. */
static int
cert_auth(struct conn *c, const struct sbd_capf_msg *m,
    const struct sbd_device *dev, const char **why)
{
	char cn[SBD_NAME_MAX];
	X509 *x = NULL;
	int ok = 0;

	*why = "no certificate";
	if (m->cert == NULL ||
	    sbd_x509_from_der(m->cert, m->cert_len, &x) != 0)
		goto out;
	if (c->task.auth == SBD_CAPF_AUTH_LSC) {
		*why = "certificate is not an LSC of this device";
		if (common_name(x, cn, sizeof(cn)) != 0 ||
		    strcmp(cn, m->device) != 0 || !chain_ok(c->k->capf, x))
			goto out;
	} else {
		*why = "certificate is not a MIC of this device";
		if (!(strcmp(dev->cert_kind, "MIC") == 0 &&
		    dev->cert_der != NULL && dev->cert_len == m->cert_len &&
		    memcmp(dev->cert_der, m->cert, m->cert_len) == 0) &&
		    !(common_name(x, cn, sizeof(cn)) == 0 &&
		    names_device(cn, m->device) && chain_ok(c->k->mic, x)))
			goto out;
	}
	*why = "signed data does not verify";
	ok = signed_ok(m, x);
out:
	X509_free(x);
	return ok;
}

/* 1 if the phone proved what the task asks; *why says what failed. */
static int
authenticated(struct conn *c, const struct sbd_capf_msg *m,
    const struct sbd_device *dev, const char **why)
{
	size_t n;

	switch (c->task.auth) {
	case SBD_CAPF_AUTH_PASSWORD:
		*why = "wrong authentication string";
		n = strlen(c->task.password);
		return m->password != NULL && strlen(m->password) == n &&
		    CRYPTO_memcmp(m->password, c->task.password, n) == 0;
	case SBD_CAPF_AUTH_NULL:
		return 1;
	case SBD_CAPF_AUTH_LSC:
	case SBD_CAPF_AUTH_MIC:
		return cert_auth(c, m, dev, why);
	}
	*why = "unknown authentication mode";
	return 0;
}

/* ---- the exchange ----------------------------------------------------- */

static int
send_keygen(struct conn *c)
{
	struct sbd_capf_msg m;
	int code;

	memset(&m, 0, sizeof(m));
	m.has_key_size = 1;
	m.key_size = c->task.key_size;
	m.key_type.set = 1;
	m.key_type.v = c->task.key_ec ? 1 : 0;
	if (c->task.key_ec) {
		/* The store holds only 256, 384 and 521. */
		code = sbd_capf_curve_code(c->task.key_size);
		m.curve.set = 1;
		m.curve.v = (uint8_t)(code < 0 ? 0 : code);
	}
	c->st = ST_KEYGEN;
	return send_msg(c, &m, SBD_CAPF_KEYGEN_REQ);
}

static int
on_auth(struct conn *c, const struct sbd_capf_msg *m)
{
	struct sbdd *d = c->tc.d;
	struct sbd_capf_msg req;
	struct sbd_device dev;
	char mac[SBD_MAC_LEN + 1];
	const char *why = NULL;
	int err, rc = -1, got = 0;

	/* 7900s speak 1 and 2, Jabber 2 (FORMATS.md 8.5). */
	if (!m->version.set || m->version.v == 0 ||
	    m->version.v > SBD_CAPF_VERSION) {
		conn_reject(c, "AUTH_RESPONSE: version %s%u is not 1..3",
		    m->version.set ? "" : "(none) ", m->version.v);
		goto out;
	}
	/*
	 * The name exactly as phones write it: it is signed (8.4) and
	 * compared with certificate names, so no other spelling will do.
	 */
	if (m->device == NULL || strncmp(m->device, "SEP", 3) != 0 ||
	    sbd_mac_parse(m->device, mac) != 0 ||
	    strcmp(m->device + 3, mac) != 0) {
		conn_reject(c, "AUTH_RESPONSE: no SEP<MAC> device name");
		goto out;
	}
	snprintf(c->mac, sizeof(c->mac), "%s", mac);
	err = sbd_store_device_get(d->store, mac, &dev);
	if (err == SBD_ERR_NOTFOUND) {
		d->ctr.capf_rejected++;
		outcome(c, "unknown device (END_SESSION 9)");
		rc = end_session(c, R_UNKNOWN);
		goto out;
	} else if (err != 0) {
		sbdd_log(d, LOG_ERR, "capf: SEP%s: reading the device: %s",
		    mac, sbd_store_errmsg(d->store));
		outcome(c, "failed: store unreadable");
		sbdd_tlsconn_free(&c->tc, 1);
		goto out;
	}
	got = 1;
	c->task = dev.capf;
	if (c->task.op == SBD_CAPF_OP_NONE) {
		d->ctr.capf_noop++;
		outcome(c, "no operation (END_SESSION 0)");
		rc = end_session(c, R_NO_ACTION);
		goto out;
	}
	if (!authenticated(c, m, &dev, &why)) {
		rc = task_failed(c, R_INVALID, "authentication", why);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	switch (c->task.op) {
	case SBD_CAPF_OP_INSTALL:
		rc = send_keygen(c);
		break;
	case SBD_CAPF_OP_FETCH:
		c->st = ST_FETCH;
		rc = send_msg(c, &req, SBD_CAPF_FETCH_REQ);
		break;
	default:
		c->st = ST_DELETE;
		rc = send_msg(c, &req, SBD_CAPF_DELETE_REQ);
		break;
	}
out:
	if (got)
		sbd_device_clear(&dev);
	return rc;
}

/* capf_lsc_days: 1..3650, default 1825 (store.h). */
static int
lsc_days(struct sbdd_capf *t)
{
	return (int)sbdd_param_range(t->d, "capf", "capf_lsc_days",
	    LSC_DAYS_MAX, LSC_DAYS_DEFAULT, t->bad_days);
}

/* The first value of nid in the CAPF certificate's subject, or NULL. */
static const char *
subject_field(X509 *c, int nid, char *buf, size_t cap)
{
	return name_field(X509_get_subject_name(c), nid, 0, buf, cap) == 0 ?
	    buf : NULL;
}

/*
 * The LSC (FORMATS.md 8.5): CN = the device, O/OU/L/ST/C of the CAPF
 * certificate, issued by it (its subject is the issuer name: capfd's
 * copy of the issuer's issuer is right only for a self-signed CAPF).
 */
static int
issue_lsc(struct conn *c, EVP_PKEY *pub, X509 **out)
{
	char dev[SBD_DEVNAME_MAX + 1], ou[NAME_FIELD_MAX], o[NAME_FIELD_MAX];
	char l[NAME_FIELD_MAX], st[NAME_FIELD_MAX], cc[NAME_FIELD_MAX];
	struct sbd_cert_req r;
	X509 *ca = c->k->cert;

	snprintf(dev, sizeof(dev), "SEP%s", c->mac);
	memset(&r, 0, sizeof(r));
	r.cn = dev;
	r.ou = subject_field(ca, NID_organizationalUnitName, ou, sizeof(ou));
	r.o = subject_field(ca, NID_organizationName, o, sizeof(o));
	r.l = subject_field(ca, NID_localityName, l, sizeof(l));
	r.st = subject_field(ca, NID_stateOrProvinceName, st, sizeof(st));
	r.c = subject_field(ca, NID_countryName, cc, sizeof(cc));
	r.days = lsc_days(c->tc.d->capf);
	r.profile = SBD_CERT_LSC;
	r.key = pub;
	r.issuer = ca;
	r.issuer_key = c->k->key;
	return sbd_cert_create(&r, out);
}

static int
on_keygen(struct conn *c, const struct sbd_capf_msg *m)
{
	struct sbd_capf_msg req;
	EVP_PKEY *pub = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *lsc = NULL;
	int err = SBD_ERR_MISSING, rc = -1;

	if (m->pubkey.p == NULL || (err = sbd_capf_pubkey(m->pubkey.p,
	    m->pubkey.len, c->task.key_ec, c->task.key_size, &pub)) != 0) {
		rc = task_failed(c, R_INVALID, "wrong key", sbd_strerror(err));
		goto out;
	}
	if ((err = issue_lsc(c, pub, &lsc)) != 0 ||
	    (err = sbd_x509_der(lsc, &der, &len)) != 0) {
		sbdd_log(c->tc.d, LOG_ERR, "capf: SEP%s: issuing the LSC: %s",
		    c->mac, sbd_strerror(err));
		rc = task_failed(c, R_NO_ACTION, "cannot issue the "
		    "certificate", sbd_strerror(err));
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.cert_type.set = 1;
	req.cert_type.v = 1;		/* LSC */
	req.cert = der;
	req.cert_len = len;
	req.cert_inner_type = 1;
	c->st = ST_STORE;
	if ((rc = send_msg(c, &req, SBD_CAPF_STORE_REQ)) != 0)
		goto out;
	/* Recorded once the phone says it stored it. */
	c->lsc = der;
	c->lsc_len = len;
	der = NULL;
out:
	EVP_PKEY_free(pub);
	X509_free(lsc);
	OPENSSL_free(der);
	return rc;
}

/* The phone's answer to STORE_CERTIFICATE_REQUEST. */
static int
on_store(struct conn *c, const struct sbd_capf_msg *m)
{
	struct sbdd *d = c->tc.d;
	uint8_t md[EVP_MAX_MD_SIZE];
	char sha1[41], what[96], why[16];

	if (!m->reason.set || m->reason.v != R_UPDATE) {
		snprintf(why, sizeof(why), "reason %u", m->reason.set ?
		    m->reason.v : 0u);
		return task_failed(c, R_NO_ACTION, "phone did not store the "
		    "LSC", why);
	}
	sha1[0] = '\0';
	if (EVP_Digest(c->lsc, c->lsc_len, md, NULL, EVP_sha1(), NULL) == 1)
		sbd_hex(md, 20, sha1);
	snprintf(what, sizeof(what), "LSC installed, sha1 %s", sha1);
	if (task_done(c, "Upgrade Success", 1, "LSC", c->lsc, c->lsc_len,
	    what) != 0) {
		/* The phone has it; the next fetch can record it. */
		d->ctr.capf_failed++;
		outcome(c, "failed: LSC sha1 %s installed but not recorded",
		    sha1);
		return end_session(c, R_NO_ACTION);
	}
	d->ctr.capf_installed++;
	outcome(c, "%s (END_SESSION 1)", what);
	return end_session(c, R_UPDATE);
}

/* The phone's answer to a fetch: its certificate becomes the device's. */
static int
on_fetch(struct conn *c, const struct sbd_capf_msg *m)
{
	struct sbdd *d = c->tc.d;
	const char *kind;
	uint8_t md[EVP_MAX_MD_SIZE];
	char sha1[41], what[96];
	X509 *x = NULL;

	if (!m->reason.set || m->reason.v != R_UPDATE || m->cert == NULL ||
	    m->cert_len > SBD_DEVCERT_MAX ||
	    sbd_x509_from_der(m->cert, m->cert_len, &x) != 0)
		return task_failed(c, R_NO_ACTION, "phone sent no certificate",
		    NULL);
	kind = chain_ok(c->k->capf, x) ? "LSC" : "MIC";
	sha1[0] = '\0';
	if (EVP_Digest(m->cert, m->cert_len, md, NULL, EVP_sha1(), NULL) ==
	    1)
		sbd_hex(md, 20, sha1);
	X509_free(x);
	snprintf(what, sizeof(what), "fetched %s sha1 %s", kind, sha1);
	if (task_done(c, "Fetch Success", 1, kind, m->cert, m->cert_len,
	    what) != 0) {
		d->ctr.capf_failed++;
		outcome(c, "failed: cannot store the fetched certificate");
		return end_session(c, R_NO_ACTION);
	}
	d->ctr.capf_fetched++;
	outcome(c, "%s (END_SESSION 0)", what);
	return end_session(c, R_NO_ACTION);
}

static int
on_delete(struct conn *c, const struct sbd_capf_msg *m)
{
	struct sbdd *d = c->tc.d;

	if (!m->reason.set || m->reason.v != R_UPDATE)
		return task_failed(c, R_NO_ACTION, "phone kept its "
		    "certificate", NULL);
	if (task_done(c, "Delete Success", 1, "", NULL, 0, "LSC deleted") !=
	    0) {
		d->ctr.capf_failed++;
		outcome(c, "failed: cannot record the deletion");
		return end_session(c, R_NO_ACTION);
	}
	d->ctr.capf_deleted++;
	outcome(c, "deleted (END_SESSION 1)");
	return end_session(c, R_UPDATE);
}

static const char *
cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
		[SBD_CAPF_AUTH_RES] = "AUTH_RESPONSE",
		[SBD_CAPF_KEYGEN_RES] = "KEY_GENERATE_RESPONSE",
		[SBD_CAPF_STORE_RES] = "STORE_CERTIFICATE_RESPONSE",
		[SBD_CAPF_FETCH_RES] = "FETCH_CERTIFICATE_RESPONSE",
		[SBD_CAPF_DELETE_RES] = "DELETE_CERTIFICATE_RESPONSE",
	};

	return cmd < sizeof(names) / sizeof(names[0]) && names[cmd] != NULL ?
	    names[cmd] : "a command";
}

/* A frame the library refuses: its offset and reason. */
static void
reject_diag(struct conn *c, const struct sbd_diag *dg)
{
	conn_reject(c, "offset %zu: %s: %s", dg->off, sbd_strerror(dg->err),
	    dg->what);
}

/* One complete frame.  Returns -1 when c is gone. */
static int
conn_frame(struct conn *c, const uint8_t *p, size_t len)
{
	struct sbd_capf_msg m;
	struct sbd_diag dg;

	if (sbd_capf_parse(p, len, &m, &dg) != 0) {
		reject_diag(c, &dg);
		return -1;
	}
	if (m.session != c->session) {
		conn_reject(c, "session %u, not %u", m.session, c->session);
		return -1;
	}
	/* A phone busy generating its key says so (FORMATS.md 8.3). */
	if (c->st == ST_KEYGEN && m.cmd == SBD_CAPF_IN_PROGRESS)
		return 0;
	if (m.cmd != expect[c->st]) {
		conn_reject(c, "command %u while waiting for %s", m.cmd,
		    cmd_name(expect[c->st]));
		return -1;
	}
	switch (c->st) {
	case ST_AUTH:
		return on_auth(c, &m);
	case ST_KEYGEN:
		return on_keygen(c, &m);
	case ST_STORE:
		return on_store(c, &m);
	case ST_FETCH:
		return on_fetch(c, &m);
	case ST_DELETE:
		return on_delete(c, &m);
	default:
		break;
	}
	return 0;
}

/* ---- callbacks of the TLS service (sbdd.h, struct sbdd_tlssvc_def) ---- */

static void
capf_open(struct sbdd_tlsconn *tc)
{
	struct sbdd_capf *t = tc->d->capf;
	struct conn *c = conn_of(tc);

	c->k = t->k;
	c->k->refs++;
	/* Session 0 is skipped when the counter wraps. */
	if (++t->next_session == 0)
		t->next_session = 1;
	c->session = t->next_session;
	c->st = ST_HANDSHAKE;
}

/* The handshake is done: log the client, speak first (8.1). */
static void
capf_connected(struct sbdd_tlsconn *tc)
{
	struct conn *c = conn_of(tc);
	struct sbd_capf_msg m;
	char desc[256];

	if (tc->d->conf.verbose)
		sbdd_log(tc->d, LOG_DEBUG, "capf session %u: %s",
		    c->session, sbdd_tls_peer_desc(
		    bufferevent_openssl_get_ssl(tc->bev), desc, sizeof(desc)));
	memset(&m, 0, sizeof(m));
	m.version.set = 1;
	m.version.v = SBD_CAPF_VERSION;
	m.auth_type.set = 1;
	m.auth_type.v = 0;
	c->st = ST_AUTH;
	(void)send_msg(c, &m, SBD_CAPF_AUTH_REQ);
}

static int
capf_frame(struct sbdd_tlsconn *tc, const uint8_t *p, size_t len)
{
	return conn_frame(conn_of(tc), p, len);
}

static void
capf_bad_frame(struct sbdd_tlsconn *tc, const struct sbd_diag *dg)
{
	reject_diag(conn_of(tc), dg);
}

/* A timeout or a close ends the session; its task stays pending. */
static void
capf_event(struct sbdd_tlsconn *tc, enum sbdd_tls_event ev)
{
	struct conn *c = conn_of(tc);
	struct sbdd *d = tc->d;

	switch (ev) {
	case SBDD_TLS_IDLE:
		conn_reject(c, "no message for %u s while waiting for %s",
		    d->conf.capf_step_s, c->st == ST_HANDSHAKE ?
		    "the TLS handshake" : cmd_name(expect[c->st]));
		break;
	case SBDD_TLS_TOTAL:
		conn_reject(c, "session open for %u s; closed",
		    CAPF_STEPS * d->conf.capf_step_s);
		break;
	case SBDD_TLS_CLOSED:
		if (c->st != ST_DONE)
			conn_reject(c, "connection closed while waiting for "
			    "%s", cmd_name(expect[c->st]));
		else
			sbdd_tlsconn_free(tc, 0);
		break;
	case SBDD_TLS_NOMEM:
		outcome(c, "failed: out of memory");
		sbdd_tlsconn_free(tc, 0);
		break;
	}
}

/* The session's log line, once the phone has named itself. */
static void
capf_close(struct sbdd_tlsconn *tc)
{
	struct conn *c = conn_of(tc);
	char a[INET6_ADDRSTRLEN + 8];

	if (c->mac[0] != '\0')
		sbdd_log(tc->d, LOG_INFO, "capf %s SEP%s %s: %s",
		    sbdd_addrstr(peer_sa(c), a, sizeof(a)), c->mac,
		    op_name(c->task.op), c->outcome[0] ? c->outcome :
		    "closed");
	keys_unref(c->k);
	OPENSSL_free(c->lsc);
	OPENSSL_cleanse(&c->task, sizeof(c->task));
}

/* ---- the service ------------------------------------------------------ */

int
sbdd_capf_start(struct sbdd *d)
{
	struct sbdd_tlssvc_def def = {
		.name = "capf",
		.role = SBD_CR_CAPF,
		.port = d->conf.capf_port,
		.bound = &d->capf_bound,
		.idle_s = d->conf.capf_step_s,
		.total_s = CAPF_STEPS * d->conf.capf_step_s,
		.ctr_conns = &d->ctr.capf_conns,
		.ctr_rejected = &d->ctr.capf_rejected,
		.conn_size = sizeof(struct conn),
		.hdr_len = SBD_CAPF_HDR,
		.frame_max = FRAME_MAX,
		.frame_len = sbd_capf_frame_len,
		.open = capf_open,
		.connected = capf_connected,
		.frame = capf_frame,
		.bad_frame = capf_bad_frame,
		.event = capf_event,
		/*
		 * No stop: sessions in flight run to their end (bounded by
		 * 4 * capf_step), as a phone cut off between STORE and
		 * END_SESSION would hold an LSC the store does not know.
		 */
		.stop = NULL,
		.close = capf_close,
	};
	struct sbdd_capf *t;
	int err;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SBD_ERR_NOMEM;
	d->capf = t;
	t->d = d;
	if ((err = sbdd_tlssvc_new(d, &def, &t->svc)) != 0 ||
	    (err = keys_build(d, &t->k)) != 0 ||
	    (err = sbdd_tlssvc_listen(t->svc)) != 0)
		goto out;
	sbdd_log(d, LOG_INFO, "capf: %zu CAPF and %zu manufacturing CA "
	    "certificates", t->k->ncapf, t->k->nmic);
out:
	if (err != 0)
		sbdd_capf_free(d);
	return err;
}

int
sbdd_capf_reload(struct sbdd *d)
{
	struct sbdd_capf *t = d->capf;
	struct keys *k = NULL;
	int err, err2;

	if (t == NULL)
		return 0;
	/* Each part keeps its previous state when its rebuild fails. */
	err = sbdd_tlssvc_reload(t->svc);
	if ((err2 = keys_build(d, &k)) == 0) {
		keys_unref(t->k);
		t->k = k;
		sbdd_log(d, LOG_INFO, "capf: reloaded: %zu CAPF and %zu "
		    "manufacturing CA certificates", k->ncapf, k->nmic);
	}
	return err != 0 ? err : err2;
}

void
sbdd_capf_stop_accepting(struct sbdd *d)
{
	if (d->capf != NULL)
		sbdd_tlssvc_stop_accepting(d->capf->svc);
}

size_t
sbdd_capf_active(const struct sbdd *d)
{
	return d->capf != NULL ? sbdd_tlssvc_active(d->capf->svc) : 0;
}

void
sbdd_capf_free(struct sbdd *d)
{
	struct sbdd_capf *t = d->capf;

	if (t == NULL)
		return;
	sbdd_tlssvc_free(t->svc);
	keys_unref(t->k);
	free(t);
	d->capf = NULL;
}
