/*
 * sbdphone: one boot, in the download order of SPEC.md ("Boot sequence")
 * and FORMATS.md 4.6: CTLSEP<MAC>.tlv or CTLFile.tlv, ITLSEP<MAC>.tlv or
 * ITLFile.tlv, then the signed (or encrypted) configuration, then the
 * DeviceTLInfo report.  A trust list that fails its update leaves the
 * old one installed and the configuration unread (seed 001: "Trust List
 * Update Failed").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "net/net.h"
#include "sbd/encconf.h"
#include "sbd/sgn.h"
#include "sbd/util.h"
#include "sbdphone/internal.h"

#define SHA1_HEX	41
#define REPORT_PATH	"/DeviceTLInfo"

const char *
phone_result_name(int result)
{
	static const char *const names[] = {
		[PHONE_OK] = "ok",
		[PHONE_TL_FAILED] = "trust-list-update-failed",
		[PHONE_SIG_FAILED] = "config-signature-failed",
		[PHONE_DECRYPT_FAILED] = "decrypt-failed",
		[PHONE_TIMEOUT] = "tftp-timeout",
		[PHONE_NOT_FOUND] = "not-found",
		[PHONE_CONFIG_INVALID] = "config-invalid",
		[PHONE_ERROR] = "error",
	};

	if (result < 0 || result >= PHONE_NRESULTS)
		return "?";
	return names[result];
}

/* One boot's working state. */
struct boot {
	struct phone *ph;
	const struct phone_boot_opts *o;
	struct phone_boot_res *r;
	struct phone_boot_file *f;	/* the file being judged */
};

static void __attribute__((format(printf, 2, 3)))
verdict(struct boot *b, const char *fmt, ...)
{
	va_list ap;

	if (b->f == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(b->f->verdict, sizeof(b->f->verdict), fmt, ap);
	va_end(ap);
}

/* End the boot with result (the first one set stays). */
static void __attribute__((format(printf, 3, 4)))
result(struct boot *b, int res, const char *fmt, ...)
{
	va_list ap;

	if (b->r->result != PHONE_OK)
		return;
	b->r->result = res;
	va_start(ap, fmt);
	vsnprintf(b->r->why, sizeof(b->r->why), fmt, ap);
	va_end(ap);
}

/*
 * Fetch name over TFTP or HTTP.  SBD_ERR_NOTFOUND when the server does
 * not have it; another failure also ends the boot (tftp-timeout).
 */
static int
fetch(struct boot *b, const char *name, uint8_t **buf, size_t *len)
{
	const struct phone_boot_opts *o = b->o;
	struct sbdn_tftp_opts to;
	char path[SBD_TFTP_NAME_MAX + 2], err[SBDN_ERRBUF] = "";
	int e;

	b->f = NULL;
	if (b->r->nfile < PHONE_BOOT_FILES) {
		b->f = &b->r->file[b->r->nfile++];
		snprintf(b->f->name, sizeof(b->f->name), "%s", name);
	}
	if (o->proto == PHONE_PROTO_HTTP) {
		snprintf(path, sizeof(path), "/%s", name);
		e = sbdn_http_get(o->host, o->http_port, NULL, path,
		    o->timeout_ms, PHONE_FILE_MAX, buf, len, err);
	} else {
		memset(&to, 0, sizeof(to));
		to.timeout_ms = o->timeout_ms;
		to.max = PHONE_FILE_MAX;
		e = sbdn_tftp_get(o->host, o->tftp_port, name, &to, buf, len,
		    err);
	}
	if (e == 0) {
		if (b->f != NULL) {
			b->f->got = 1;
			b->f->len = *len;
		}
		verdict(b, "fetched");
	} else if (e == SBD_ERR_NOTFOUND)
		verdict(b, "not found");
	else {
		verdict(b, "failed: %s", err);
		result(b, PHONE_TIMEOUT, "%s", err);
		phone_status(b->ph, "TFTP Timeout: %s", name);
	}
	return e;
}

/* The MAC-specific name, else the generic one (FORMATS.md 4.6). */
static int
fetch_either(struct boot *b, const char *specific, const char *generic,
    uint8_t **buf, size_t *len)
{
	int e = fetch(b, specific, buf, len);

	if (e == SBD_ERR_NOTFOUND)
		e = fetch(b, generic, buf, len);
	return e;
}

/* Steps 1 and 2: one trust list; a failure sets the boot's result. */
static void
trust_list(struct boot *b, int which)
{
	struct phone *ph = b->ph;
	const char *kind = which == PHONE_CTL ? "CTL" : "ITL";
	char specific[64], generic[16];
	char why[PHONE_WHY_MAX] = "";
	struct sbd_tl *tl = NULL;
	struct sbd_diag d;
	uint8_t *buf = NULL;
	size_t len = 0;
	int e, via = PHONE_VIA_NONE;

	snprintf(specific, sizeof(specific), "%sSEP%s.tlv", kind, ph->mac);
	snprintf(generic, sizeof(generic), "%sFile.tlv", kind);
	if (fetch_either(b, specific, generic, &buf, &len) != 0)
		return;
	if (sbd_tl_parse(buf, len, SBD_PARSE_SKIP_UNKNOWN, &tl, &d) != 0) {
		verdict(b, "refused: offset %zu: %s", d.off, d.what);
		goto fail;
	}
	if (phone_judge_list(ph, which, buf, len, tl, b->o->timeout_ms, &via,
	    why) != 0) {
		verdict(b, "refused: %s", why);
		goto fail;
	}
	if (via == PHONE_VIA_SAME) {
		verdict(b, "unchanged");
		goto out;
	}
	e = phone_install_list(ph, which, buf, len, tl);
	buf = NULL;
	tl = NULL;
	if (e != 0) {
		verdict(b, "not saved: %s", sbd_strerror(e));
		result(b, PHONE_ERROR, "%s: cannot save: %s", kind,
		    sbd_strerror(e));
		goto out;
	}
	verdict(b, "installed (%s%s)", via == PHONE_VIA_TOFU ? "" :
	    "trusted by ", phone_via_name(via));
	phone_status(ph, "%s", PHONE_MSG_TL_UPDATED);
	goto out;
fail:
	/* The old list stays (SPEC.md, "Phone trust rules"). */
	phone_status(ph, "%s", PHONE_MSG_TL_FAILED);
	result(b, PHONE_TL_FAILED, "%s %s", kind, b->f ? b->f->verdict : why);
out:
	free(buf);
	sbd_tl_free(tl);
}

/*
 * A signed configuration file: parse (enc: as .enc.sgn), check that it
 * was signed for the name asked for ([I] FORMATS.md 5.1) and judge its
 * signer.  0 with the header in *h.
 */
static int
signed_file(struct boot *b, const char *name, const uint8_t *buf,
    size_t len, int enc, struct sbd_sighdr *h)
{
	char why[PHONE_WHY_MAX] = "";
	struct sbd_diag d;
	int e, via = PHONE_VIA_NONE;

	e = enc ? sbd_enc_parse(buf, len, 0, h, &d) :
	    sbd_sgn_parse(buf, len, 0, h, &d);
	if (e != 0)
		snprintf(why, sizeof(why), "offset %zu: %s", d.off, d.what);
	else if (h->filename != NULL && strcmp(h->filename, name) != 0) {
		snprintf(why, sizeof(why), "signed as %.100s", h->filename);
		e = SBD_ERR_VALUE;
	} else
		e = phone_judge_signed(b->ph, buf, len, h, b->o->timeout_ms,
		    &via, why);
	if (e != 0) {
		verdict(b, "refused: %s", why);
		result(b, PHONE_SIG_FAILED, "%s: %s", name, why);
		phone_status(b->ph, "File Auth Fail: %s", name);
		return e;
	}
	if (via == PHONE_VIA_TOFU)
		verdict(b, "accepted (not checked: no trust list with "
		    "certificates)");
	else
		verdict(b, "accepted (trusted by %s)", phone_via_name(via));
	return 0;
}

/*
 * The encrypted configuration (FORMATS.md 6.4): verified like the .sgn,
 * then decrypted with the LSC's key, else the MIC's.
 */
static int
encrypted(struct boot *b, const char *name, uint8_t **xml, size_t *xmllen)
{
	struct phone *ph = b->ph;
	struct sbd_sighdr *h = NULL;
	EVP_PKEY *key = ph->lsc_key != NULL ? ph->lsc_key : ph->mic_key;
	uint8_t *buf = NULL;
	size_t len = 0;
	int e;

	if ((e = fetch(b, name, &buf, &len)) != 0)
		goto out;
	if ((h = malloc(sizeof(*h))) == NULL) {
		e = SBD_ERR_NOMEM;
		result(b, PHONE_ERROR, "out of memory");
		goto out;
	}
	if ((e = signed_file(b, name, buf, len, 1, h)) != 0)
		goto out;
	if (key == NULL)
		e = SBD_ERR_KEY;
	else
		e = sbd_enc_decrypt(buf, len, h, key, xml, xmllen);
	if (e != 0) {
		verdict(b, "cannot decrypt: %s", key == NULL ? "the phone has "
		    "no LSC or MIC" : sbd_strerror(e));
		result(b, PHONE_DECRYPT_FAILED, "%s: %s", name,
		    b->f ? b->f->verdict : sbd_strerror(e));
		phone_status(ph, "Decrypt Fail: %s", name);
		goto out;
	}
	verdict(b, "accepted and decrypted with the %s key",
	    ph->lsc_key != NULL ? "LSC" : "MIC");
out:
	free(h);
	free(buf);
	return e;
}

/* Step 3: the configuration.  *xml gets the plain XML to accept. */
static int
configuration(struct boot *b, uint8_t **xml, size_t *xmllen)
{
	struct phone *ph = b->ph;
	struct sbd_sighdr *h = NULL;
	char name[64], sgn[64], enc[64];
	const uint8_t *p;
	uint8_t *buf = NULL;
	size_t len = 0, plen;
	int e;

	snprintf(name, sizeof(name), "SEP%s.cnf.xml", ph->mac);
	snprintf(sgn, sizeof(sgn), "SEP%s.cnf.xml.sgn", ph->mac);
	snprintf(enc, sizeof(enc), "SEP%s.cnf.xml.enc.sgn", ph->mac);
	e = fetch(b, sgn, &buf, &len);
	if (e == SBD_ERR_NOTFOUND) {
		/* Only a phone without trust lists takes a plain file. */
		if (!phone_tofu(ph)) {
			result(b, PHONE_NOT_FOUND, "%s: not found", sgn);
			phone_status(ph, "File Not Found: %s", sgn);
			goto out;
		}
		if ((e = fetch(b, name, xml, xmllen)) == SBD_ERR_NOTFOUND) {
			result(b, PHONE_NOT_FOUND, "%s: not found", name);
			phone_status(ph, "File Not Found: %s", name);
		} else if (e == 0)
			verdict(b, "accepted (plain: no trust list)");
		goto out;
	}
	if (e != 0)
		goto out;
	if ((h = malloc(sizeof(*h))) == NULL) {
		e = SBD_ERR_NOMEM;
		result(b, PHONE_ERROR, "out of memory");
		goto out;
	}
	if ((e = signed_file(b, sgn, buf, len, 0, h)) != 0)
		goto out;
	if ((e = sbd_sgn_strip(buf, len, &p, &plen, NULL)) != 0) {
		result(b, PHONE_SIG_FAILED, "%s: %s", sgn, sbd_strerror(e));
		goto out;
	}
	if (phone_config_encrypted(p, plen) == 1) {
		e = encrypted(b, enc, xml, xmllen);
		/*
		 * No .enc.sgn while the server knows no certificate of the
		 * phone: a full configuration in the .sgn is the one to use
		 * (its capfList is how the phone gets an LSC).
		 */
		if (e != SBD_ERR_NOTFOUND || !phone_config_is_full(p, plen))
			goto out;
		verdict(b, "not found: the full configuration of the .sgn "
		    "is used");
	}
	if ((*xml = malloc(plen ? plen : 1)) == NULL) {
		e = SBD_ERR_NOMEM;
		result(b, PHONE_ERROR, "out of memory");
		goto out;
	}
	memcpy(*xml, p, plen);
	*xmllen = plen;
	e = 0;
out:
	if (e == SBD_ERR_NOTFOUND)
		result(b, PHONE_NOT_FOUND, "configuration not found");
	free(h);
	free(buf);
	return e;
}

/* SHA-1 hex of an installed list, or "" (DeviceTLInfo). */
static void
sha1_hex(const uint8_t *p, size_t n, char out[SHA1_HEX])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	out[0] = '\0';
	if (p != NULL && EVP_Digest(p, n, md, &mdlen, EVP_sha1(), NULL) == 1)
		sbd_hex(md, mdlen, out);
}

/*
 * Step 4: tell the server which lists the phone holds (SPEC.md,
 * "Verification": DeviceTLInfo).  A failure is only a status message.
 */
static void
report(struct boot *b)
{
	struct phone *ph = b->ph;
	char itl[SHA1_HEX], ctl[SHA1_HEX], body[128], err[SBDN_ERRBUF] = "";
	int e;

	sha1_hex(ph->itl_buf, ph->itl_len, itl);
	sha1_hex(ph->ctl_buf, ph->ctl_len, ctl);
	snprintf(body, sizeof(body), "device=SEP%s&itl=%s&ctl=%s", ph->mac,
	    itl, ctl);
	e = sbdn_http_post(b->o->host, b->o->http_port, REPORT_PATH, body,
	    b->o->timeout_ms, err);
	b->r->reported = e == 0;
	if (e != 0) {
		snprintf(b->r->report_why, sizeof(b->r->report_why), "%s",
		    err[0] ? err : sbd_strerror(e));
		phone_status(ph, "DeviceTLInfo report failed");
	}
}

void
phone_boot(struct phone *ph, const struct phone_boot_opts *o,
    struct phone_boot_res *r)
{
	struct boot b = { ph, o, r, NULL };
	uint64_t start = phone_now_ms();
	uint8_t *xml = NULL;
	size_t xmllen = 0;
	int e;

	memset(r, 0, sizeof(*r));
	/* Steps 1 and 2; a server that does not answer ends the boot. */
	trust_list(&b, PHONE_CTL);
	if (r->result != PHONE_TIMEOUT)
		trust_list(&b, PHONE_ITL);
	/* Step 5: after a failed update, no configuration is accepted. */
	if (r->result == PHONE_OK && configuration(&b, &xml, &xmllen) == 0) {
		if ((e = phone_config_apply(ph, xml, xmllen)) != 0)
			result(&b, e == SBD_ERR_XML ? PHONE_CONFIG_INVALID :
			    PHONE_ERROR, "configuration: %s", sbd_strerror(e));
		else if ((e = phone_save(ph, "config.xml", xml, xmllen,
		    0600)) != 0)
			result(&b, PHONE_ERROR, "config.xml: %s",
			    sbd_strerror(e));
	}
	if (r->result != PHONE_TIMEOUT)
		report(&b);
	if (xml != NULL) {
		OPENSSL_cleanse(xml, xmllen);
		free(xml);
	}
	r->ms = phone_now_ms() - start;
}
