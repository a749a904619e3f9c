/*
 * CTL/ITL trust lists (FORMATS.md section 4): parse, verify, build, re-sign.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>

#include "sbd/tlv.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"

static const struct {
	int code;
	const char *name;
	const char *cucm;
} roles[] = {
	{ SBD_ROLE_SAST, "SAST", "System Administrator Security Token" },
	{ SBD_ROLE_CCM, "CCM", "CCM" },
	{ SBD_ROLE_CCM_TFTP, "CCM+TFTP", "CCM+TFTP" },
	{ SBD_ROLE_TFTP, "TFTP", "TFTP" },
	{ SBD_ROLE_CAPF, "CAPF", "CAPF" },
	{ SBD_ROLE_SRST, "SRST", "SRST" },
	{ SBD_ROLE_APP_SERVER, "APP-SERVER", "APP-SERVER" },
	{ SBD_ROLE_TVS, "TVS", "TVS" },
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

const char *
sbd_role_cucm_name(int role)
{
	size_t i;

	for (i = 0; i < NROLES; i++)
		if (roles[i].code == role)
			return roles[i].cucm;
	return NULL;
}

void
sbd_role_list(const uint8_t *codes, size_t n, char *buf, size_t cap)
{
	const char *name;
	size_t i, o = 0;
	int w;

	if (cap == 0)
		return;
	snprintf(buf, cap, "-");
	for (i = 0; i < n && o < cap; i++) {
		name = sbd_role_name(codes[i]);
		w = name != NULL ?
		    snprintf(buf + o, cap - o, "%s%s", i ? "," : "", name) :
		    snprintf(buf + o, cap - o, "%s%u", i ? "," : "", codes[i]);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

const char *
sbd_role_name(int role)
{
	size_t i;

	for (i = 0; i < NROLES; i++)
		if (roles[i].code == role)
			return roles[i].name;
	return NULL;
}

int
sbd_role_parse(const char *s)
{
	size_t i;
	char *end;
	unsigned long v;

	for (i = 0; i < NROLES; i++)
		if (strcasecmp(s, roles[i].name) == 0)
			return roles[i].code;
	/* Names used before 2021 and by CUCM's prose. */
	if (strcasecmp(s, "HTTPS") == 0)
		return SBD_ROLE_APP_SERVER;
	if (strcasecmp(s, "CCM_TFTP") == 0)
		return SBD_ROLE_CCM_TFTP;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > UINT16_MAX)
		return -1;
	return (int)v;
}

void
sbd_tl_free(struct sbd_tl *tl)
{
	if (tl == NULL)
		return;
	free(tl->rec);
	free(tl);
}

/* Record element shapes: 0 unknown, else the accepted value length rule. */
enum rshape { R_NONE = 0, R_STR, R_DNS, R_U16, R_BYTES, R_IP, R_U8 };

static const uint8_t rshapes[] = {
	[SBD_R_DNS_NAME] = R_DNS,
	[SBD_R_SUBJECT] = R_STR,
	[SBD_R_ROLE] = R_U16,
	[SBD_R_ISSUER] = R_STR,
	[SBD_R_SERIAL] = R_BYTES,
	[SBD_R_PUBKEY] = R_BYTES,
	[SBD_R_SIGNATURE] = R_BYTES,
	[SBD_R_CERT] = R_BYTES,
	[SBD_R_IP] = R_IP,
	[SBD_R_CERT_HASH] = R_BYTES,
	[SBD_R_HASH_ALG] = R_U8,
};

static int
rshape_ok(int shape, const struct sbd_tlv *t)
{
	switch (shape) {
	case R_STR:
		return sbd_tlv_is_cstring(t->val, t->len) == 0;
	case R_DNS:
		/* CUCM writes odd DNS names; only the final NUL is required. */
		return t->len > 0 && t->val[t->len - 1] == '\0';
	case R_U16:
		return t->len == 2;
	case R_BYTES:
		return t->len > 0;
	case R_IP:
		return t->len == 4;
	case R_U8:
		return t->len == 1;
	}
	return 0;
}

static void
rstore(struct sbd_tl_record *r, const struct sbd_tlv *t)
{
	switch (t->tag) {
	case SBD_R_DNS_NAME:
		r->dns_name = (const char *)t->val;
		break;
	case SBD_R_SUBJECT:
		r->subject = (const char *)t->val;
		break;
	case SBD_R_ROLE:
		r->has_role = 1;
		r->role = (uint16_t)((t->val[0] << 8) | t->val[1]);
		break;
	case SBD_R_ISSUER:
		r->issuer = (const char *)t->val;
		break;
	case SBD_R_SERIAL:
		r->serial = t->val;
		r->serial_len = t->len;
		break;
	case SBD_R_PUBKEY:
		r->pubkey = t->val;
		r->pubkey_len = t->len;
		break;
	case SBD_R_SIGNATURE:
		r->sig = t->val;
		r->sig_len = t->len;
		break;
	case SBD_R_CERT:
		r->cert = t->val;
		r->cert_len = t->len;
		break;
	case SBD_R_IP:
		r->has_ip = 1;
		memcpy(r->ip, t->val, 4);
		break;
	case SBD_R_CERT_HASH:
		r->cert_hash = t->val;
		r->cert_hash_len = t->len;
		break;
	case SBD_R_HASH_ALG:
		r->has_hash_alg = 1;
		r->hash_alg = t->val[0];
		break;
	}
}

static int
add_relem(struct sbd_tl_record *r, const struct sbd_tlv *t, struct sbd_diag *d)
{
	if (r->nelem == SBD_REC_MAX_ELEMS)
		return sbd_diag_set(d, t->off, SBD_ERR_TOOBIG,
		    "more than %d elements in a record", SBD_REC_MAX_ELEMS);
	r->elem[r->nelem].tag = t->tag;
	r->elem[r->nelem].depth = 0;
	r->elem[r->nelem].off = t->off;
	r->elem[r->nelem].len = t->len;
	r->elem[r->nelem].val = t->val;
	r->nelem++;
	return 0;
}

/* Parse one record from c; RECORD_LENGTH bounds its elements. */
static int
parse_record(struct sbd_cur *c, size_t n, unsigned flags,
    struct sbd_tl_record *r, struct sbd_diag *d)
{
	struct sbd_tlv t;
	struct sbd_cur rc;
	size_t start = sbd_cur_pos(c);
	uint32_t seen = 1u << SBD_R_LENGTH;
	int err;

	memset(r, 0, sizeof(*r));
	r->off = start;
	if (sbd_get_tlv(c, &t) != 0)
		return sbd_diag_set(d, start, SBD_ERR_TRUNCATED,
		    "record %zu: truncated RECORD_LENGTH", n);
	if (t.tag != SBD_R_LENGTH || t.len != 2)
		return sbd_diag_set(d, start, SBD_ERR_TAG,
		    "record %zu does not start with RECORD_LENGTH", n);
	r->len = (uint16_t)((t.val[0] << 8) | t.val[1]);
	if (r->len < 5)
		return sbd_diag_set(d, start + 3, SBD_ERR_VALUE,
		    "record %zu: RECORD_LENGTH %u is too small", n, r->len);
	/* The 5 bytes of RECORD_LENGTH itself are counted in it. */
	if ((err = sbd_get_sub(c, r->len - 5u, &rc)) != 0)
		return sbd_diag_set(d, start + 3, SBD_ERR_OVERRUN,
		    "record %zu: RECORD_LENGTH %u overruns the file", n,
		    r->len);
	if ((err = add_relem(r, &t, d)) != 0)
		return err;
	while (sbd_cur_left(&rc) > 0) {
		size_t pos = sbd_cur_pos(&rc);
		int shape;

		if (sbd_get_tlv(&rc, &t) != 0)
			return sbd_diag_set(d, pos, SBD_ERR_OVERRUN,
			    "record %zu: element overruns the record", n);
		if (t.tag == SBD_R_LENGTH)
			return sbd_diag_set(d, pos, SBD_ERR_TAG,
			    "record %zu: tag 1 repeated", n);
		shape = t.tag < sizeof(rshapes) ? rshapes[t.tag] : R_NONE;
		if (shape == R_NONE) {
			if (t.tag > SBD_R_HASH_ALG &&
			    (flags & SBD_PARSE_SKIP_UNKNOWN)) {
				if ((err = add_relem(r, &t, d)) != 0)
					return err;
				continue;
			}
			return sbd_diag_set(d, pos, SBD_ERR_TAG,
			    "record %zu: unknown tag %u", n, t.tag);
		}
		if (seen & (1u << t.tag))
			return sbd_diag_set(d, pos, SBD_ERR_TAG,
			    "record %zu: tag %u repeated", n, t.tag);
		seen |= 1u << t.tag;
		if (!rshape_ok(shape, &t))
			return sbd_diag_set(d, pos, SBD_ERR_VALUE,
			    "record %zu: tag %u: bad length %zu", n, t.tag,
			    t.len);
		if ((err = add_relem(r, &t, d)) != 0)
			return err;
		rstore(r, &t);
	}
	if (!r->has_role)
		return sbd_diag_set(d, start, SBD_ERR_MISSING,
		    "record %zu has no FUNCTION", n);
	return 0;
}

int
sbd_tl_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_tl **out, struct sbd_diag *d)
{
	struct sbd_tl *tl = NULL;
	struct sbd_cur c;
	size_t cap = 0;
	int err;

	if (len > SBD_TL_PARSE_MAX)
		return sbd_diag_set(d, SBD_TL_PARSE_MAX, SBD_ERR_TOOBIG,
		    "trust list over %d bytes", SBD_TL_PARSE_MAX);
	tl = calloc(1, sizeof(*tl));
	if (tl == NULL)
		return SBD_ERR_NOMEM;
	if ((err = sbd_sighdr_parse(buf, len, flags, &tl->hdr, d)) != 0)
		goto out;
	sbd_cur_init(&c, buf + tl->hdr.hdr_len, len - tl->hdr.hdr_len);
	c.base = tl->hdr.hdr_len;
	while (sbd_cur_left(&c) > 0) {
		if (tl->nrec == SBD_TL_MAX_RECORDS) {
			err = sbd_diag_set(d, sbd_cur_pos(&c), SBD_ERR_TOOBIG,
			    "more than %d records", SBD_TL_MAX_RECORDS);
			goto out;
		}
		if (tl->nrec == cap) {
			struct sbd_tl_record *nr;

			cap = cap ? cap * 2 : 8;
			nr = reallocarray(tl->rec, cap, sizeof(*nr));
			if (nr == NULL) {
				err = SBD_ERR_NOMEM;
				goto out;
			}
			tl->rec = nr;
		}
		err = parse_record(&c, tl->nrec + 1, flags,
		    &tl->rec[tl->nrec], d);
		if (err != 0)
			goto out;
		tl->nrec++;
	}
	/* A trust list always carries at least its signer's record. */
	if (tl->nrec == 0) {
		err = sbd_diag_set(d, len, SBD_ERR_MISSING,
		    "trust list has no records");
		goto out;
	}
	*out = tl;
	tl = NULL;
	err = 0;
out:
	sbd_tl_free(tl);
	return err;
}

int
sbd_tl_find_signer(const struct sbd_tl *tl)
{
	const struct sbd_sighdr *h = &tl->hdr;
	size_t i;

	for (i = 0; i < tl->nrec; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];

		if (r->role != SBD_ROLE_SAST || r->cert == NULL ||
		    r->serial_len != h->serial_len ||
		    memcmp(r->serial, h->serial, h->serial_len) != 0)
			continue;
		if (r->issuer != NULL && h->issuer_name != NULL &&
		    strcmp(r->issuer, h->issuer_name) != 0)
			continue;
		return (int)i;
	}
	return SBD_ERR_NOSIGNER;
}

int
sbd_tl_record_cert(const struct sbd_tl *tl, size_t i, X509 **out)
{
	if (i >= tl->nrec || tl->rec[i].cert == NULL)
		return SBD_ERR_MISSING;
	return sbd_x509_from_der(tl->rec[i].cert, tl->rec[i].cert_len, out);
}

int
sbd_tl_verify(const uint8_t *buf, size_t len, const struct sbd_tl *tl,
    X509 *cert, int *signer_idx)
{
	X509 *own = NULL;
	int idx = -1, err;

	if (cert == NULL) {
		idx = sbd_tl_find_signer(tl);
		if (idx < 0)
			return idx;
		if ((err = sbd_tl_record_cert(tl, (size_t)idx, &own)) != 0)
			return err;
		cert = own;
	}
	err = sbd_sighdr_verify(buf, len, &tl->hdr, X509_get0_pubkey(cert));
	X509_free(own);
	if (err == 0 && signer_idx != NULL)
		*signer_idx = idx;
	return err;
}

/* Append one record in certutils >= 4 order (FORMATS.md 4.2). */
static int
put_record(struct sbd_buf *b, const struct sbd_tl_entry *e)
{
	char *subject = NULL, *issuer = NULL;
	uint8_t *serial = NULL, *pub = NULL, *der = NULL;
	const uint8_t *sig;
	size_t start = b->len, serlen, publen, derlen, siglen;
	int err = 0, id;

	sbd_put_tlv_u16(b, SBD_R_LENGTH, 0);
	if (e->dns_name != NULL)
		sbd_put_tlv_str(b, SBD_R_DNS_NAME, e->dns_name);
	if (e->cert != NULL) {
		EVP_PKEY *pk = X509_get0_pubkey(e->cert);

		id = pk ? EVP_PKEY_get_base_id(pk) : 0;
		if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
			err = SBD_ERR_KEY;
			goto out;
		}
		if ((err = sbd_dn_string(X509_get_subject_name(e->cert),
		    &subject)) != 0 ||
		    (err = sbd_dn_string(X509_get_issuer_name(e->cert),
		    &issuer)) != 0 ||
		    (err = sbd_x509_serial(e->cert, &serial, &serlen)) != 0 ||
		    (err = sbd_x509_pubkey_record(e->cert, &pub,
		    &publen)) != 0 ||
		    (err = sbd_x509_sigvalue(e->cert, &sig, &siglen)) != 0 ||
		    (err = sbd_x509_der(e->cert, &der, &derlen)) != 0)
			goto out;
		sbd_put_tlv_str(b, SBD_R_SUBJECT, subject);
		sbd_put_tlv_str(b, SBD_R_ISSUER, issuer);
		sbd_put_tlv(b, SBD_R_SERIAL, serial, serlen);
		sbd_put_tlv_u16(b, SBD_R_ROLE, e->role);
		sbd_put_tlv(b, SBD_R_PUBKEY, pub, publen);
		sbd_put_tlv(b, SBD_R_SIGNATURE, sig, siglen);
		sbd_put_tlv(b, SBD_R_CERT, der, derlen);
	} else {
		/* An "empty" record: a role and nothing to trust (4.7). */
		sbd_put_tlv_u16(b, SBD_R_ROLE, e->role);
	}
	if (e->has_ip)
		sbd_put_tlv(b, SBD_R_IP, e->ip, 4);
	if (b->err == 0 && b->len - start > UINT16_MAX)
		b->err = SBD_ERR_TOOBIG;
	sbd_buf_set_u16(b, start + 3, (uint16_t)(b->len - start));
	err = b->err;
out:
	free(subject);
	free(issuer);
	free(serial);
	OPENSSL_free(pub);
	OPENSSL_free(der);
	return err;
}

int
sbd_tl_build(const struct sbd_tl_opts *o, const struct sbd_tl_entry *e,
    size_t n, X509 *signer, EVP_PKEY *key, uint8_t **out, size_t *outlen)
{
	struct sbd_buf b;
	struct sbd_sign_opts so;
	size_t i;
	int err = 0;

	if (o->filename == NULL || signer == NULL || key == NULL)
		return SBD_ERR_INVAL;
	sbd_buf_init(&b, SBD_TL_MAX);
	for (i = 0; i < n && err == 0; i++)
		err = put_record(&b, &e[i]);
	if (err == 0)
		err = b.err;
	if (err != 0) {
		sbd_buf_release(&b);
		return err;
	}
	memset(&so, 0, sizeof(so));
	so.ver_major = 1;
	so.ver_minor = 2;	/* tlvfile has always written 1.2 (2.4) */
	so.signer_version = o->signer_version;
	so.sv_major = o->sv_major;
	so.sv_minor = o->sv_minor;
	so.hash = o->hash ? o->hash : SBD_HASH_SHA1;
	so.filename = o->filename;
	so.has_timestamp = 1;
	so.timestamp = o->timestamp ? o->timestamp : (uint32_t)time(NULL);
	err = sbd_sign_file(&so, signer, key, b.p, b.len, SBD_TL_MAX, out,
	    outlen);
	sbd_buf_release(&b);
	return err;
}

int
sbd_tl_resign(const uint8_t *buf, size_t len, X509 *signer, EVP_PKEY *key,
    uint32_t timestamp, uint8_t **out, size_t *outlen, struct sbd_diag *d)
{
	struct sbd_tl *tl = NULL;
	struct sbd_sign_opts so;
	int err;

	if ((err = sbd_tl_parse(buf, len, 0, &tl, d)) != 0)
		return err;
	memset(&so, 0, sizeof(so));
	so.ver_major = tl->hdr.ver_major;
	so.ver_minor = tl->hdr.ver_minor;
	so.signer_version = tl->hdr.has_signer_version;
	so.sv_major = tl->hdr.sv_major;
	so.sv_minor = tl->hdr.sv_minor;
	so.hash = tl->hdr.hash_alg == SBD_HASH_SHA512 ? SBD_HASH_SHA512 :
	    SBD_HASH_SHA1;
	so.filename = tl->hdr.filename;
	so.has_timestamp = 1;
	so.timestamp = timestamp ? timestamp : (uint32_t)time(NULL);
	/* The records are signed again byte for byte. */
	err = sbd_sign_file(&so, signer, key, buf + tl->hdr.hdr_len,
	    len - tl->hdr.hdr_len, SBD_TL_MAX, out, outlen);
	sbd_tl_free(tl);
	return err;
}
