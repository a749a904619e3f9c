/*
 * sbdphone: whom the phone trusts (SPEC.md, "Phone trust rules" and
 * "TVS"; FORMATS.md 4.4, 4.6, 7).
 *
 * A received trust list, a signed file and a TLS server are judged in
 * the same order: the installed CTL and ITL, then the TVS cache, then
 * TVS itself (QUERY for a file signer, VERIFY for a server), over TLS to
 * the TVS servers of the last configuration, whose certificates must be
 * ITL records of role TVS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "net/net.h"
#include "sbd/sgn.h"
#include "sbd/tvs.h"
#include "sbd/x509.h"
#include "sbdphone/internal.h"

#define HOUR	3600
#define TVS_WHY	192	/* a TVS failure, inside a why */

/* Record roles that may sign a trust list (FORMATS.md 4.6). */
static const int list_signers[] = {
	SBD_ROLE_SAST, SBD_ROLE_CCM_TFTP, SBD_ROLE_TFTP,
};
/* Record roles that may sign a configuration file (FORMATS.md 5.1). */
static const int file_signers[] = {
	SBD_ROLE_TFTP, SBD_ROLE_CCM_TFTP,
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
phone_via_name(int via)
{
	static const char *const names[] = {
		[PHONE_VIA_NONE] = "nothing",
		[PHONE_VIA_TOFU] = "trust on first use",
		[PHONE_VIA_SAME] = "unchanged",
		[PHONE_VIA_CTL] = "CTL",
		[PHONE_VIA_ITL] = "ITL",
		[PHONE_VIA_CACHE] = "TVS cache",
		[PHONE_VIA_QUERY] = "TVS QUERY",
		[PHONE_VIA_VERIFY] = "TVS VERIFY",
	};

	if (via < 0 || (size_t)via >= NELEM(names))
		return "?";
	return names[via];
}

int
phone_tl_empty(const struct sbd_tl *tl)
{
	size_t i;

	for (i = 0; i < tl->nrec; i++)
		if (tl->rec[i].cert != NULL)
			return 0;
	return 1;
}

int
phone_tofu(const struct phone *ph)
{
	return ph->ctl == NULL && (ph->itl == NULL || phone_tl_empty(ph->itl));
}

static int
has_role(int role, const int *roles, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (roles[i] == role)
			return 1;
	return 0;
}

/* Is cert's DER the certificate of a record of tl (with role, or any
 * role when role is -1)? */
static int
in_list(const struct sbd_tl *tl, const uint8_t *der, size_t len, int role)
{
	size_t i;

	if (tl == NULL)
		return 0;
	for (i = 0; i < tl->nrec; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];

		if ((role < 0 || r->role == role) && r->cert != NULL &&
		    r->cert_len == len && memcmp(r->cert, der, len) == 0)
			return 1;
	}
	return 0;
}

int
phone_trusts_server(const struct phone *ph, X509 *cert, int role)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int err;

	if (phone_tofu(ph))
		return 0;
	if (cert == NULL)
		return SBD_ERR_NOSIGNER;
	if ((err = sbd_x509_der(cert, &der, &len)) != 0)
		return err;
	err = in_list(ph->ctl, der, len, role) ||
	    in_list(ph->itl, der, len, role) ? 0 : SBD_ERR_NOSIGNER;
	OPENSSL_free(der);
	return err;
}

/* ---- what is judged ------------------------------------------------- */

/* A trust list (tl set) or a signed file, with its header. */
struct target {
	const uint8_t *buf;
	size_t len;
	const struct sbd_sighdr *h;
	const struct sbd_tl *tl;
};

static int
target_verify(const struct target *t, X509 *cert)
{
	if (t->tl != NULL)
		return sbd_tl_verify(t->buf, t->len, t->tl, cert, NULL);
	return sbd_sgn_verify_cert(t->buf, t->len, t->h, cert);
}

/* Does the header name this serial and issuer (issuer where both have
 * one; FORMATS.md 4.4: phones match by serial and issuer)? */
static int
names(const struct sbd_sighdr *h, const uint8_t *serial, size_t serial_len,
    const char *issuer)
{
	if (serial == NULL || serial_len != h->serial_len ||
	    memcmp(serial, h->serial, serial_len) != 0)
		return 0;
	return issuer == NULL || h->issuer_name == NULL ||
	    strcmp(issuer, h->issuer_name) == 0;
}

/* Does the header name cert as its signer? */
static int
names_cert(const struct sbd_sighdr *h, X509 *cert)
{
	uint8_t *serial = NULL;
	size_t serial_len = 0;
	char *issuer = NULL;
	int r = 0;

	if (sbd_x509_serial(cert, &serial, &serial_len) == 0 &&
	    sbd_dn_string(X509_get_issuer_name(cert), &issuer) == 0)
		r = names(h, serial, serial_len, issuer);
	free(serial);
	free(issuer);
	return r;
}

/*
 * A record of tl with one of roles whose certificate verifies t; with
 * by_name, only records the header names.  0, or the last failure.
 */
static int
by_records(const struct sbd_tl *tl, const struct target *t,
    const int *roles, size_t nroles, int by_name)
{
	X509 *c;
	size_t i;
	int err = SBD_ERR_NOSIGNER;

	for (i = 0; tl != NULL && i < tl->nrec && err != 0; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];

		if (!r->has_role || !has_role(r->role, roles, nroles) ||
		    r->cert == NULL || (by_name && !names(t->h, r->serial,
		    r->serial_len, r->issuer)))
			continue;
		if (sbd_tl_record_cert(tl, i, &c) != 0)
			continue;
		err = target_verify(t, c);
		X509_free(c);
	}
	return err;
}

/* A certificate of the TVS cache (a QUERY answer) that signed t. */
static int
by_cache(struct phone *ph, const struct target *t)
{
	X509 *c;
	size_t i;
	int err = SBD_ERR_NOSIGNER;

	for (i = 0; i < ph->ntvs_cache && err != 0; i++) {
		if (phone_cache_expired(ph, i) ||
		    phone_cache_cert(ph, i, &c) != 0 || c == NULL)
			continue;
		if (names_cert(t->h, c))
			err = target_verify(t, c);
		X509_free(c);
	}
	return err;
}

/* ---- TVS ------------------------------------------------------------ */

/*
 * Send q to the TVS servers of the configuration in turn until one
 * answers.  A server is skipped when it cannot be reached, its TLS
 * fails, or its certificate is not an ITL record of role TVS; an
 * answer, even "invalid", ends the search (SPEC.md, TVS).  0 when TVS
 * answers "valid"; any other answer is SBD_ERR_NOSIGNER with refused as
 * the why.  *buf holds what *res points into, whatever the outcome.
 */
static int
tvs_ask(struct phone *ph, const struct sbd_tvs_msg *q, unsigned timeout_ms,
    const char *refused, uint8_t **buf, struct sbd_tvs_msg *res,
    char why[TVS_WHY])
{
	struct sbdn_tls_opts o;
	struct sbdn_tls *t;
	struct sbd_tvs_msg req = *q;
	char err[SBDN_ERRBUF], dev[SBD_MODEL_MAX + SBD_DEVNAME_MAX + 2];
	size_t i;

	if (ph->ntvs == 0) {
		snprintf(why, TVS_WHY, "no TVS server in the "
		    "configuration");
		return SBD_ERR_NOSIGNER;
	}
	phone_tvs_devname(ph, dev, sizeof(dev));
	req.version = SBD_TVS_VERSION;
	req.session = PHONE_TVS_SESSION;
	req.device = dev;
	req.device_len = strlen(dev);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	/* The phone shows its LSC, else its MIC (FORMATS.md 7.1). */
	o.cert = ph->lsc != NULL ? ph->lsc : ph->mic;
	o.key = ph->lsc != NULL ? ph->lsc_key : ph->mic_key;
	for (i = 0; i < ph->ntvs; i++) {
		const struct phone_server *s = &ph->tvs[i];

		err[0] = '\0';
		if (sbdn_tls_connect(s->host, s->port, &o, &t, err) != 0) {
			snprintf(why, TVS_WHY, "TVS %s:%u: %.100s",
			    s->host, (unsigned)s->port, err);
			continue;
		}
		if (phone_trusts_server(ph, sbdn_tls_peer(t),
		    SBD_ROLE_TVS) != 0)
			snprintf(why, TVS_WHY, "TVS %s:%u: its "
			    "certificate is not a TVS record of the ITL",
			    s->host, (unsigned)s->port);
		else if (sbdn_tvs_exchange(t, &req, buf, res, err) != 0)
			snprintf(why, TVS_WHY, "TVS %s:%u: %.100s",
			    s->host, (unsigned)s->port, err);
		else {
			sbdn_tls_close(t);
			if (res->has_status && res->status == SBD_TVS_VALID)
				return 0;
			snprintf(why, TVS_WHY, "%s", refused);
			return SBD_ERR_NOSIGNER;
		}
		sbdn_tls_close(t);
	}
	return SBD_ERR_IO;
}

/* "24 hours" from a TTL, as the phone logs it (FORMATS.md 7.4). */
static void
ttl_words(uint32_t ttl, char *buf, size_t cap)
{
	if (ttl % HOUR == 0)
		snprintf(buf, cap, "%u hour%s", ttl / HOUR,
		    ttl == HOUR ? "" : "s");
	else
		snprintf(buf, cap, "%u seconds", ttl);
}

/* Keep a positive TVS answer for cert, and say so. */
static int
cache_answer(struct phone *ph, X509 *cert, const struct sbd_tvs_msg *res,
    int keep)
{
	uint32_t ttl = res->has_ttl ? res->ttl : SBD_TVS_TTL_DEFAULT;
	char words[32];
	int err;

	if ((err = phone_cache_add(ph, cert, ttl, res->roles, res->nroles,
	    keep)) != 0)
		return err;
	ttl_words(ttl, words, sizeof(words));
	phone_status(ph, "added cert to TVS cache - expires in %s", words);
	return 0;
}

/*
 * Ask TVS for the certificate the header names (QUERY: subject, issuer,
 * serial; FORMATS.md 7.5) and verify t with what it answers.
 */
static int
tvs_query(struct phone *ph, const struct target *t, unsigned timeout_ms,
    char why[TVS_WHY])
{
	struct sbd_tvs_msg req, res;
	char refused[TVS_WHY];
	uint8_t *buf = NULL;
	X509 *c = NULL;
	int err;

	snprintf(refused, sizeof(refused), "TVS does not know the signer %s",
	    t->h->signer_name ? t->h->signer_name : "");
	memset(&req, 0, sizeof(req));
	req.cmd = SBD_TVS_QUERY_REQ;
	req.subject = t->h->signer_name;
	req.issuer = t->h->issuer_name;
	req.serial = t->h->serial;
	req.serial_len = t->h->serial_len;
	if ((err = tvs_ask(ph, &req, timeout_ms, refused, &buf, &res,
	    why)) != 0)
		goto out;
	err = SBD_ERR_NOSIGNER;
	if (res.cert == NULL) {
		snprintf(why, TVS_WHY, "%s", refused);
		goto out;
	}
	if (sbd_x509_from_der(res.cert, res.cert_len, &c) != 0 ||
	    !names_cert(t->h, c)) {
		snprintf(why, TVS_WHY, "TVS answered with another "
		    "certificate than the signer's");
		goto out;
	}
	if ((err = target_verify(t, c)) != 0) {
		snprintf(why, TVS_WHY, "the certificate TVS vouches for "
		    "does not verify the file: %s", sbd_strerror(err));
		goto out;
	}
	err = cache_answer(ph, c, &res, 1);
out:
	X509_free(c);
	free(buf);
	return err;
}

/*
 * Ask TVS whether it trusts cert, whose DER is der (VERIFY, FORMATS.md
 * 7.5).
 */
static int
tvs_verify(struct phone *ph, X509 *cert, const uint8_t *der, size_t len,
    unsigned timeout_ms, char why[TVS_WHY])
{
	struct sbd_tvs_msg req, res;
	uint8_t *buf = NULL;
	int err;

	memset(&req, 0, sizeof(req));
	req.cmd = SBD_TVS_VERIFY_REQ;
	req.cert = der;
	req.cert_len = len;
	if ((err = tvs_ask(ph, &req, timeout_ms, "TVS does not trust the "
	    "certificate", &buf, &res, why)) == 0)
		err = cache_answer(ph, cert, &res, 0);
	free(buf);
	return err;
}

/* ---- the judgements ------------------------------------------------- */

/* The installed CTL/ITL, then the TVS cache, then TVS QUERY. */
static int
judge_signer(struct phone *ph, const struct target *t, const int *roles,
    size_t nroles, unsigned timeout_ms, int *via, char why[PHONE_WHY_MAX])
{
	char tvs[TVS_WHY] = "";

	if (by_records(ph->ctl, t, roles, nroles, 1) == 0)
		*via = PHONE_VIA_CTL;
	else if (by_records(ph->itl, t, roles, nroles, 1) == 0)
		*via = PHONE_VIA_ITL;
	else if (by_cache(ph, t) == 0)
		*via = PHONE_VIA_CACHE;
	else if (tvs_query(ph, t, timeout_ms, tvs) == 0)
		*via = PHONE_VIA_QUERY;
	else {
		snprintf(why, PHONE_WHY_MAX, "signer %.60s not in the "
		    "CTL/ITL nor vouched for by TVS (%s)",
		    t->h->signer_name ? t->h->signer_name : "(none)", tvs);
		return SBD_ERR_NOSIGNER;
	}
	return 0;
}

int
phone_judge_list(struct phone *ph, int which, const uint8_t *buf,
    size_t len, const struct sbd_tl *tl, unsigned timeout_ms, int *via,
    char why[PHONE_WHY_MAX])
{
	static const int ccm_tftp[] = { SBD_ROLE_CCM_TFTP };
	const uint8_t *have = which == PHONE_CTL ? ph->ctl_buf : ph->itl_buf;
	size_t have_len = which == PHONE_CTL ? ph->ctl_len : ph->itl_len;
	struct target t = { buf, len, &tl->hdr, tl };
	int err;

	if (have != NULL && have_len == len && memcmp(have, buf, len) == 0) {
		*via = PHONE_VIA_SAME;
		return 0;
	}
	/*
	 * A list must verify with its own signer record.  An empty list
	 * (FORMATS.md 4.7) has none to verify with: it is judged only by
	 * the certificate that trusts it below.
	 */
	if (sbd_tl_find_signer(tl) >= 0) {
		if ((err = sbd_tl_verify(buf, len, tl, NULL, NULL)) != 0) {
			snprintf(why, PHONE_WHY_MAX, "does not verify with "
			    "its own signer: %s", sbd_strerror(err));
			return err;
		}
	} else if (!phone_tl_empty(tl)) {
		snprintf(why, PHONE_WHY_MAX, "its signer is not one of its "
		    "records");
		return SBD_ERR_NOSIGNER;
	}
	if (phone_tofu(ph)) {
		*via = PHONE_VIA_TOFU;
		return 0;
	}
	/* A CTL but no ITL: only the CTL's CCM+TFTP may vouch. */
	if (which == PHONE_ITL && ph->ctl != NULL &&
	    (ph->itl == NULL || phone_tl_empty(ph->itl))) {
		if (by_records(ph->ctl, &t, ccm_tftp, NELEM(ccm_tftp),
		    0) == 0) {
			*via = PHONE_VIA_CTL;
			return 0;
		}
		snprintf(why, PHONE_WHY_MAX, "not signed by a CCM+TFTP "
		    "certificate of the CTL");
		return SBD_ERR_NOSIGNER;
	}
	return judge_signer(ph, &t, list_signers, NELEM(list_signers),
	    timeout_ms, via, why);
}

int
phone_install_list(struct phone *ph, int which, uint8_t *buf, size_t len,
    struct sbd_tl *tl)
{
	int err;

	if ((err = phone_save(ph, which == PHONE_CTL ? "ctl.tlv" : "itl.tlv",
	    buf, len, 0644)) != 0) {
		free(buf);
		sbd_tl_free(tl);
		return err;
	}
	if (which == PHONE_CTL) {
		free(ph->ctl_buf);
		sbd_tl_free(ph->ctl);
		ph->ctl_buf = buf;
		ph->ctl_len = len;
		ph->ctl = tl;
	} else {
		free(ph->itl_buf);
		sbd_tl_free(ph->itl);
		ph->itl_buf = buf;
		ph->itl_len = len;
		ph->itl = tl;
	}
	return 0;
}

int
phone_judge_signed(struct phone *ph, const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, unsigned timeout_ms, int *via,
    char why[PHONE_WHY_MAX])
{
	struct target t = { buf, len, h, NULL };

	/* No list, or an empty ITL: any file is accepted (FORMATS.md 4.7). */
	if (phone_tofu(ph)) {
		*via = PHONE_VIA_TOFU;
		return 0;
	}
	return judge_signer(ph, &t, file_signers, NELEM(file_signers),
	    timeout_ms, via, why);
}

int
phone_judge_server(struct phone *ph, X509 *cert, unsigned timeout_ms,
    int *via, char why[PHONE_WHY_MAX])
{
	uint8_t *der = NULL, sha[32];
	size_t len = 0;
	int err, i;

	if ((err = sbd_x509_der(cert, &der, &len)) != 0 ||
	    (err = phone_cert_sha256(cert, sha)) != 0)
		goto out;
	/* Seed 002: "Searching TL from CTL file", "... from ITL file". */
	if (in_list(ph->ctl, der, len, -1))
		*via = PHONE_VIA_CTL;
	else if (in_list(ph->itl, der, len, -1))
		*via = PHONE_VIA_ITL;
	else if ((i = phone_cache_find(ph, sha)) >= 0 &&
	    !phone_cache_expired(ph, (size_t)i))
		*via = PHONE_VIA_CACHE;
	else if ((err = tvs_verify(ph, cert, der, len, timeout_ms,
	    why)) == 0)
		*via = PHONE_VIA_VERIFY;
out:
	OPENSSL_free(der);
	return err;
}
