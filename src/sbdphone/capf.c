/*
 * sbdphone: the phone's side of a CAPF session (FORMATS.md 8.3), as
 * capfc and Cisco phones play it:
 *
 *   S: AUTH_REQUEST          C: AUTH_RESPONSE (device name and the
 *                               credential capfAuthMode asks for)
 *   S: KEY_GENERATE_REQUEST  C: REQUEST_IN_PROGRESS (again every second
 *                               while an RSA key is made), then
 *                               KEY_GENERATE_RESPONSE (the new public key)
 *   S: STORE_CERTIFICATE_    C: STORE_CERTIFICATE_RESPONSE (1 once the
 *      REQUEST                  LSC is saved with its key)
 *   S: FETCH_/DELETE_CERTIFICATE_REQUEST   C: the matching response
 *   S: END_SESSION(reason)
 *
 * The new private key never leaves the phone: it is generated here and
 * saved as lsc.key only with the LSC that certifies it.  Every message
 * goes out in one write (8.1), and every frame is read header first and
 * parsed by lib/capf.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "net/net.h"
#include "sbd/capf.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"
#include "sbdphone/phone.h"

#define CAPF_TIMEOUT_MS	5000	/* per read, when the caller sets none */
#define BUSY_MS		1000	/* REQUEST_IN_PROGRESS while generating */
#define RSA_MIN_BITS	1024	/* the sizes CUCM offers */
#define RSA_MAX_BITS	4096
#define FRAME_MAX	(SBD_CAPF_HDR + SBD_CAPF_BODY_MAX)

/* END_SESSION reasons (FORMATS.md 8.2). */
#define R_NO_ACTION	0
#define R_UPDATE	1
#define R_INVALID	7
#define R_UNKNOWN	9

/* Certificate types of the CERTIFICATE element (8.2). */
#define CT_LSC		1
#define CT_MIC		2

struct session {
	struct phone *ph;
	struct sbdn_tls *tls;
	X509 *server;			/* borrowed from tls */
	uint32_t id;			/* the server's session id */
	uint8_t *buf;			/* the frame last read (FRAME_MAX) */
	EVP_PKEY *newkey;		/* generated, awaiting its LSC */
	uint8_t last;			/* the last request answered */
	uint64_t busy_at;		/* last REQUEST_IN_PROGRESS sent */
	char dev[SBD_DEVNAME_MAX + 1];
	char err[SBDN_ERRBUF];
};

/* Read one frame into s->buf and parse it into m (pointing into it). */
static int
read_frame(struct session *s, struct sbd_capf_msg *m)
{
	struct sbd_diag dg;
	size_t total;
	int err;

	if ((err = sbdn_tls_read(s->tls, s->buf, SBD_CAPF_HDR, s->err)) != 0)
		return err;
	if ((err = sbd_capf_frame_len(s->buf, SBD_CAPF_HDR, &total,
	    &dg)) != 0 ||
	    (err = sbdn_tls_read(s->tls, s->buf + SBD_CAPF_HDR,
	    total - SBD_CAPF_HDR, s->err)) != 0 ||
	    (err = sbd_capf_parse(s->buf, total, m, &dg)) != 0) {
		if (err != SBD_ERR_IO)
			snprintf(s->err, sizeof(s->err), "bad frame from the "
			    "server: offset %zu: %s", dg.off, dg.what);
		return err;
	}
	if (m->cmd != SBD_CAPF_AUTH_REQ && m->session != s->id) {
		snprintf(s->err, sizeof(s->err), "session %u, not %u",
		    m->session, s->id);
		return SBD_ERR_VALUE;
	}
	return 0;
}

/* Build m as cmd of this session and send it in one write. */
static int
send_msg(struct session *s, struct sbd_capf_msg *m, uint8_t cmd)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int err;

	m->cmd = cmd;
	m->session = s->id;
	if ((err = sbd_capf_build(m, &out, &len)) != 0)
		snprintf(s->err, sizeof(s->err), "cannot build command %u: "
		    "%s", cmd, sbd_strerror(err));
	else
		err = sbdn_tls_write(s->tls, out, len, s->err);
	free(out);
	return err;
}

/* A response carrying only REASON. */
static int
send_reason(struct session *s, uint8_t cmd, uint8_t reason)
{
	struct sbd_capf_msg m;

	memset(&m, 0, sizeof(m));
	m.reason.set = 1;
	m.reason.v = reason;
	return send_msg(s, &m, cmd);
}

/*
 * AUTH_RESPONSE: REASON 1, VERSION 3, the device name, and the
 * credential: the authentication string, nothing, or the LSC or MIC with
 * the signed data of FORMATS.md 8.4.
 */
static int
send_auth(struct session *s, int auth, const char *password)
{
	struct phone *ph = s->ph;
	struct sbd_capf_msg m;
	uint8_t *der = NULL, *sig1 = NULL, *sig2 = NULL;
	size_t dlen = 0, l1 = 0, l2 = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int err = 0;

	memset(&m, 0, sizeof(m));
	m.reason.set = 1;
	m.reason.v = R_UPDATE;
	m.version.set = 1;
	m.version.v = SBD_CAPF_VERSION;
	m.device = s->dev;
	if (auth == SBD_CAPF_AUTH_PASSWORD && password != NULL &&
	    password[0] != '\0')
		m.password = password;
	if (auth == SBD_CAPF_AUTH_LSC) {
		cert = ph->lsc;
		key = ph->lsc_key;
	} else if (auth == SBD_CAPF_AUTH_MIC) {
		cert = ph->mic;
		key = ph->mic_key;
	}
	/* Without the certificate asked for, the server says no. */
	if (cert != NULL && key != NULL) {
		if ((err = sbd_x509_der(cert, &der, &dlen)) != 0 ||
		    (err = sbd_capf_sign(key, SBD_CAPF_HASH_SHA1, s->dev, der,
		    dlen, &sig1, &l1)) != 0 ||
		    (err = sbd_capf_sign(key, SBD_CAPF_HASH_SHA512, s->dev,
		    der, dlen, &sig2, &l2)) != 0) {
			snprintf(s->err, sizeof(s->err), "cannot sign with "
			    "the %s: %s", auth == SBD_CAPF_AUTH_LSC ? "LSC" :
			    "MIC", sbd_strerror(err));
			goto out;
		}
		m.cert = der;
		m.cert_len = dlen;
		m.cert_inner_type = auth == SBD_CAPF_AUTH_LSC ? CT_LSC : CT_MIC;
		m.signed_data.p = sig1;
		m.signed_data.len = l1;
		m.sha2_signed.p = sig2;
		m.sha2_signed.len = l2;
	}
	err = send_msg(s, &m, SBD_CAPF_AUTH_RES);
out:
	OPENSSL_free(der);
	free(sig1);
	free(sig2);
	return err;
}

/* Monotonic milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Called by OpenSSL while it looks for primes: a REQUEST_IN_PROGRESS at
 * most every BUSY_MS keeps the server waiting for a slow key (RSA-4096
 * on a phone takes long), as it resets CAPF's wait for each message.
 */
static int
keygen_busy(EVP_PKEY_CTX *ctx)
{
	struct session *s = EVP_PKEY_CTX_get_app_data(ctx);
	struct sbd_capf_msg m;
	uint64_t now = now_ms();

	if (now - s->busy_at < BUSY_MS)
		return 1;
	s->busy_at = now;
	memset(&m, 0, sizeof(m));
	/* A failed write stops the generation: the session is over. */
	return send_msg(s, &m, SBD_CAPF_IN_PROGRESS) == 0;
}

/* The RSA key of a KEY_GENERATE_REQUEST, into s->newkey. */
static int
rsa_generate(struct session *s, unsigned bits)
{
	EVP_PKEY_CTX *ctx = NULL;
	int err = SBD_ERR_VALUE;

	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
		goto out;
	err = SBD_ERR_CRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0)
		goto out;
	EVP_PKEY_CTX_set_app_data(ctx, s);
	EVP_PKEY_CTX_set_cb(ctx, keygen_busy);
	if (EVP_PKEY_generate(ctx, &s->newkey) <= 0)
		goto out;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* KEY_GENERATE_REQUEST: say so, make the key, send its public half. */
static int
on_keygen(struct session *s, const struct sbd_capf_msg *m)
{
	struct sbd_capf_msg res;
	uint8_t *spki = NULL;
	int n, nid, err;

	if (!m->key_type.set || (m->key_type.v == 0 && !m->has_key_size)) {
		snprintf(s->err, sizeof(s->err), "KEY_GENERATE_REQUEST "
		    "without a key type or size");
		return SBD_ERR_MISSING;
	}
	memset(&res, 0, sizeof(res));
	/* A phone takes seconds to make a key; it says it is busy. */
	if ((err = send_msg(s, &res, SBD_CAPF_IN_PROGRESS)) != 0)
		return err;
	s->busy_at = now_ms();
	EVP_PKEY_free(s->newkey);
	s->newkey = NULL;
	if (m->key_type.v == 0)
		err = rsa_generate(s, m->key_size);
	else if (m->key_type.v == 1) {
		nid = m->curve.set ? sbd_capf_curve_nid(m->curve.v) :
		    sbd_capf_curve_nid((uint8_t)sbd_capf_curve_code(
		    m->key_size));
		err = sbd_key_generate(SBD_KEY_EC, nid, &s->newkey);
	} else
		err = SBD_ERR_VALUE;
	if (err != 0) {
		snprintf(s->err, sizeof(s->err), "cannot generate a key of "
		    "type %u, size %u: %s", m->key_type.v, m->key_size,
		    sbd_strerror(err));
		return err;
	}
	if ((n = i2d_PUBKEY(s->newkey, &spki)) <= 0) {
		snprintf(s->err, sizeof(s->err), "cannot encode the key");
		return SBD_ERR_CRYPTO;
	}
	res.pubkey.p = spki;
	res.pubkey.len = (size_t)n;
	err = send_msg(s, &res, SBD_CAPF_KEYGEN_RES);
	OPENSSL_free(spki);
	return err;
}

/*
 * STORE_CERTIFICATE_REQUEST: keep the LSC only if it certifies the key
 * just made and the CAPF server signed it; answer 1, or 0 refusing it.
 */
static int
on_store(struct session *s, const struct sbd_capf_msg *m)
{
	X509 *lsc = NULL;
	const char *why = NULL;
	int err;

	if (m->cert == NULL || m->cert_inner_type != CT_LSC ||
	    sbd_x509_from_der(m->cert, m->cert_len, &lsc) != 0)
		why = "not a certificate";
	else if (s->newkey == NULL || !sbd_key_matches(lsc, s->newkey))
		why = "not for the key the phone generated";
	else if (s->server == NULL ||
	    X509_verify(lsc, X509_get0_pubkey(s->server)) != 1)
		why = "not signed by the CAPF server";
	else if ((err = phone_set_lsc(s->ph, lsc, s->newkey)) != 0) {
		snprintf(s->err, sizeof(s->err), "cannot save the LSC: %s",
		    sbd_strerror(err));
		(void)send_reason(s, SBD_CAPF_STORE_RES, R_NO_ACTION);
		X509_free(lsc);
		return err;
	}
	X509_free(lsc);
	if (why != NULL) {
		phone_status(s->ph, "CAPF: LSC refused: %s", why);
		return send_reason(s, SBD_CAPF_STORE_RES, R_NO_ACTION);
	}
	return send_reason(s, SBD_CAPF_STORE_RES, R_UPDATE);
}

/* FETCH_CERTIFICATE_REQUEST: the LSC, else the MIC, else reason 0. */
static int
on_fetch(struct session *s)
{
	struct sbd_capf_msg res;
	X509 *c = s->ph->lsc != NULL ? s->ph->lsc : s->ph->mic;
	uint8_t *der = NULL;
	size_t len = 0;
	int err;

	if (c == NULL)
		return send_reason(s, SBD_CAPF_FETCH_RES, R_NO_ACTION);
	if ((err = sbd_x509_der(c, &der, &len)) != 0) {
		snprintf(s->err, sizeof(s->err), "cannot encode the "
		    "certificate");
		return err;
	}
	memset(&res, 0, sizeof(res));
	res.reason.set = 1;
	res.reason.v = R_UPDATE;
	res.cert = der;
	res.cert_len = len;
	res.cert_inner_type = s->ph->lsc != NULL ? CT_LSC : CT_MIC;
	err = send_msg(s, &res, SBD_CAPF_FETCH_RES);
	OPENSSL_free(der);
	return err;
}

/* DELETE_CERTIFICATE_REQUEST: the LSC and its key go. */
static int
on_delete(struct session *s)
{
	struct phone *ph = s->ph;
	int err;

	if ((err = phone_remove(ph, "lsc.pem")) != 0 ||
	    (err = phone_remove(ph, "lsc.key")) != 0) {
		snprintf(s->err, sizeof(s->err), "cannot remove the LSC: %s",
		    sbd_strerror(err));
		(void)send_reason(s, SBD_CAPF_DELETE_RES, R_NO_ACTION);
		return err;
	}
	X509_free(ph->lsc);
	EVP_PKEY_free(ph->lsc_key);
	ph->lsc = NULL;
	ph->lsc_key = NULL;
	return send_reason(s, SBD_CAPF_DELETE_RES, R_UPDATE);
}

/* The status message of END_SESSION(reason) after the last request. */
static void
end_status(struct session *s, uint8_t reason)
{
	if (reason == R_UPDATE && s->last == SBD_CAPF_STORE_REQ)
		phone_status(s->ph, "LSC Installed");
	else if (reason == R_UPDATE && s->last == SBD_CAPF_DELETE_REQ)
		phone_status(s->ph, "LSC Deleted");
	else if (reason == R_NO_ACTION && s->last == SBD_CAPF_FETCH_REQ)
		phone_status(s->ph, "CAPF: Certificate Fetched");
	else if (reason == R_NO_ACTION && s->last == 0)
		phone_status(s->ph, "CAPF: No Operation");
	else if (reason == R_UNKNOWN)
		phone_status(s->ph, "CAPF: Unknown Device");
	else if (reason == R_INVALID && s->last == 0)
		phone_status(s->ph, "CAPF: Authentication Failed");
	else
		phone_status(s->ph, "CAPF: Operation Failed (reason %u)",
		    reason);
}

/* After AUTH_RESPONSE: answer requests until END_SESSION. */
static int
serve(struct session *s, int *reason)
{
	struct sbd_capf_msg m;
	int err;

	for (;;) {
		if ((err = read_frame(s, &m)) != 0)
			return err;
		switch (m.cmd) {
		case SBD_CAPF_KEYGEN_REQ:
			err = on_keygen(s, &m);
			break;
		case SBD_CAPF_STORE_REQ:
			err = on_store(s, &m);
			break;
		case SBD_CAPF_FETCH_REQ:
			err = on_fetch(s);
			break;
		case SBD_CAPF_DELETE_REQ:
			err = on_delete(s);
			break;
		case SBD_CAPF_END_SESSION:
			*reason = m.reason.set ? m.reason.v : R_NO_ACTION;
			end_status(s, (uint8_t)*reason);
			return 0;
		default:
			snprintf(s->err, sizeof(s->err), "unexpected command "
			    "%u", m.cmd);
			return SBD_ERR_VALUE;
		}
		if (err != 0)
			return err;
		s->last = m.cmd;
	}
}

int
phone_capf(struct phone *ph, const struct phone_capf_opts *o, int *reason)
{
	struct sbdn_tls_opts to;
	struct sbd_capf_msg m;
	struct session s;
	const char *host = o->host;
	uint16_t port = o->port;
	int auth = o->auth != 0 ? o->auth : ph->capf_auth;
	int err, r = 0;

	memset(&s, 0, sizeof(s));
	s.ph = ph;
	phone_devname(ph, s.dev, sizeof(s.dev));
	if (host == NULL) {
		host = ph->capf.host;
		port = ph->capf.port;
	}
	if (host == NULL || host[0] == '\0' || port == 0) {
		phone_status(ph, "CAPF: no CAPF server configured");
		return SBD_ERR_MISSING;
	}
	err = SBD_ERR_NOMEM;
	if ((s.buf = malloc(FRAME_MAX)) == NULL)
		goto out;
	memset(&to, 0, sizeof(to));
	to.timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : CAPF_TIMEOUT_MS;
	to.legacy = o->legacy;
	/* The phone shows the certificate it has: its LSC, else its MIC. */
	to.cert = ph->lsc != NULL ? ph->lsc : ph->mic;
	to.key = ph->lsc != NULL ? ph->lsc_key : ph->mic_key;
	if ((err = sbdn_tls_connect(host, port, &to, &s.tls, s.err)) != 0)
		goto out;
	s.server = sbdn_tls_peer(s.tls);
	if (s.server == NULL ||
	    (err = phone_trusts_server(ph, s.server, SBD_ROLE_CAPF)) != 0) {
		err = SBD_ERR_NOSIGNER;
		snprintf(s.err, sizeof(s.err), "the server's certificate is "
		    "not a CAPF certificate of the trust list");
		goto out;
	}
	/* The server speaks first and picks the session (8.1). */
	if ((err = read_frame(&s, &m)) != 0)
		goto out;
	if (m.cmd != SBD_CAPF_AUTH_REQ) {
		err = SBD_ERR_VALUE;
		snprintf(s.err, sizeof(s.err), "command %u instead of "
		    "AUTH_REQUEST", m.cmd);
		goto out;
	}
	s.id = m.session;
	if ((err = send_auth(&s, auth, o->password)) != 0 ||
	    (err = serve(&s, &r)) != 0)
		goto out;
	*reason = r;
out:
	if (err != 0)
		phone_status(ph, "CAPF: %s", s.err[0] ? s.err :
		    sbd_strerror(err));
	EVP_PKEY_free(s.newkey);
	sbdn_tls_close(s.tls);
	free(s.buf);
	return err;
}
