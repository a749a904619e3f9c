/*
 * CAPF frames (FORMATS.md 8): parse and build.  One table says what each
 * element is and where it lives in struct sbd_capf_msg; the parser and
 * the builder both walk it, so they cannot disagree.
 *
 * Also the crypto of a session that needs no socket: the signed data of
 * certificate authentication (8.4) and the check of the phone's new key.
 * Those functions bracket their OpenSSL calls with ERR_set_mark() and
 * ERR_pop_to_mark(), as lib/certgen.c does.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sbd/capf.h"
#include "sbd/tlv.h"

enum kind { K_U8, K_U16, K_RAW, K_STR, K_CERT };

/* In build order (FORMATS.md 8.3 and the capfd sources). */
static const struct elem {
	uint8_t tag;
	enum kind kind;
	size_t off;		/* of the field in struct sbd_capf_msg */
} elems[] = {
	{ SBD_CAPF_T_REASON, K_U8, offsetof(struct sbd_capf_msg, reason) },
	{ SBD_CAPF_T_REASON_INFO, K_RAW,
	    offsetof(struct sbd_capf_msg, reason_info) },
	{ SBD_CAPF_T_VERSION, K_U8, offsetof(struct sbd_capf_msg, version) },
	{ SBD_CAPF_T_AUTH_TYPE, K_U8,
	    offsetof(struct sbd_capf_msg, auth_type) },
	{ SBD_CAPF_T_CERT_TYPE, K_U8,
	    offsetof(struct sbd_capf_msg, cert_type) },
	{ SBD_CAPF_T_CERT, K_CERT, 0 },
	{ SBD_CAPF_T_CERT_ID, K_RAW, offsetof(struct sbd_capf_msg, cert_id) },
	{ SBD_CAPF_T_SIGNED, K_RAW,
	    offsetof(struct sbd_capf_msg, signed_data) },
	{ SBD_CAPF_T_SHA2_SIGNED, K_RAW,
	    offsetof(struct sbd_capf_msg, sha2_signed) },
	{ SBD_CAPF_T_SUDI, K_RAW, offsetof(struct sbd_capf_msg, sudi) },
	{ SBD_CAPF_T_PUBKEY, K_RAW, offsetof(struct sbd_capf_msg, pubkey) },
	{ SBD_CAPF_T_KEY_SIZE, K_U16, 0 },
	{ SBD_CAPF_T_KEY_TYPE, K_U8, offsetof(struct sbd_capf_msg, key_type) },
	{ SBD_CAPF_T_CURVE, K_U8, offsetof(struct sbd_capf_msg, curve) },
	{ SBD_CAPF_T_DIGEST, K_U8, offsetof(struct sbd_capf_msg, digest) },
	{ SBD_CAPF_T_PASSWORD, K_STR,
	    offsetof(struct sbd_capf_msg, password) },
	{ SBD_CAPF_T_DEVICE, K_STR, offsetof(struct sbd_capf_msg, device) },
	{ SBD_CAPF_T_RETRY_DELAY, K_RAW,
	    offsetof(struct sbd_capf_msg, retry_delay) },
};
#define NELEMS	(sizeof(elems) / sizeof(elems[0]))

static const struct elem *
find(uint8_t tag)
{
	size_t i;

	for (i = 0; i < NELEMS; i++)
		if (elems[i].tag == tag)
			return &elems[i];
	return NULL;
}

int
sbd_capf_frame_len(const uint8_t *p, size_t len, size_t *total,
    struct sbd_diag *d)
{
	uint16_t body;

	if (len < SBD_CAPF_HDR)
		return sbd_diag_set(d, len, SBD_ERR_TRUNCATED,
		    "a CAPF header is %d bytes", SBD_CAPF_HDR);
	if (p[0] != SBD_CAPF_PROTO)
		return sbd_diag_set(d, 0, SBD_ERR_VALUE,
		    "protocol 0x%02x is not CAPF (0x55)", p[0]);
	body = (uint16_t)(p[6] << 8 | p[7]);
	if (body > SBD_CAPF_BODY_MAX)
		return sbd_diag_set(d, 6, SBD_ERR_TOOBIG,
		    "a %u-byte CAPF body is over %d", body, SBD_CAPF_BODY_MAX);
	*total = SBD_CAPF_HDR + (size_t)body;
	return 0;
}

static int
element(const struct sbd_tlv *t, struct sbd_capf_msg *m)
{
	const struct elem *e = find(t->tag);
	uint8_t *base = (uint8_t *)m;
	struct sbd_capf_u8 *u8;
	struct sbd_capf_raw *raw;

	if (e == NULL)
		return 0;		/* unknown: skipped */
	switch (e->kind) {
	case K_U8:
		if (t->len != 1)
			return -1;
		u8 = (struct sbd_capf_u8 *)(void *)(base + e->off);
		u8->set = 1;
		u8->v = t->val[0];
		break;
	case K_U16:
		if (t->len != 2)
			return -1;
		m->has_key_size = 1;
		m->key_size = (uint16_t)(t->val[0] << 8 | t->val[1]);
		break;
	case K_RAW:
		if (t->len == 0)
			return -1;
		raw = (struct sbd_capf_raw *)(void *)(base + e->off);
		raw->p = t->val;
		raw->len = t->len;
		break;
	case K_STR:
		if (sbd_tlv_is_text(t->val, t->len, 2, SBD_CAPF_STR_MAX) != 0)
			return -1;
		*(const char **)(void *)(base + e->off) =
		    (const char *)t->val;
		break;
	case K_CERT:
		/* 01 | u16 (DER length + 2) | 00 | type | DER */
		if (t->len < 6 || t->val[0] != 1 ||
		    (size_t)(t->val[1] << 8 | t->val[2]) != t->len - 3 ||
		    t->val[3] != 0)
			return -1;
		m->cert_inner_type = t->val[4];
		m->cert = t->val + 5;
		m->cert_len = t->len - 5;
		break;
	}
	return 0;
}

int
sbd_capf_parse(const uint8_t *p, size_t len, struct sbd_capf_msg *m,
    struct sbd_diag *d)
{
	struct sbd_capf_msg out;
	struct sbd_cur c, body;
	struct sbd_tlv t;
	uint32_t seen = 0;
	size_t total;
	int r;

	if ((r = sbd_capf_frame_len(p, len, &total, d)) != 0)
		return r;
	if (len < total)
		return sbd_diag_set(d, len, SBD_ERR_TRUNCATED,
		    "the CAPF body ends %zu bytes early", total - len);
	if (len > total)
		return sbd_diag_set(d, total, SBD_ERR_TRAILING,
		    "%zu bytes after the CAPF body", len - total);
	if (p[1] == 0 || p[1] > SBD_CAPF_CMD_MAX)
		return sbd_diag_set(d, 1, SBD_ERR_VALUE,
		    "unknown CAPF command %u", p[1]);
	memset(&out, 0, sizeof(out));
	out.cmd = p[1];
	out.session = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
	    (uint32_t)p[4] << 8 | p[5];
	sbd_cur_init(&c, p, len);
	if ((r = sbd_skip(&c, SBD_CAPF_HDR)) != 0 ||
	    (r = sbd_get_sub(&c, total - SBD_CAPF_HDR, &body)) != 0)
		return sbd_diag_set(d, SBD_CAPF_HDR, r, "CAPF body");
	while (sbd_cur_left(&body) > 0) {
		if ((r = sbd_get_tlv(&body, &t)) != 0)
			return sbd_diag_set(d, sbd_cur_pos(&body),
			    SBD_ERR_OVERRUN, "a CAPF element overruns the body");
		if (t.tag < 32 && (seen & (1u << t.tag)))
			return sbd_diag_set(d, t.off, SBD_ERR_TAG,
			    "CAPF element %u given twice", t.tag);
		if (t.tag < 32)
			seen |= 1u << t.tag;
		if (element(&t, &out) != 0)
			return sbd_diag_set(d, t.off, SBD_ERR_VALUE,
			    "CAPF element %u: invalid %zu-byte value", t.tag,
			    t.len);
	}
	*m = out;
	return 0;
}

static void
put_elem(struct sbd_buf *b, const struct elem *e, const struct sbd_capf_msg *m)
{
	const uint8_t *base = (const uint8_t *)m;
	const struct sbd_capf_u8 *u8;
	const struct sbd_capf_raw *raw;
	const char *s;

	switch (e->kind) {
	case K_U8:
		u8 = (const struct sbd_capf_u8 *)(const void *)(base + e->off);
		if (u8->set)
			sbd_put_tlv_u8(b, e->tag, u8->v);
		break;
	case K_U16:
		if (m->has_key_size)
			sbd_put_tlv_u16(b, e->tag, m->key_size);
		break;
	case K_RAW:
		raw = (const struct sbd_capf_raw *)(const void *)
		    (base + e->off);
		if (raw->p != NULL)
			sbd_put_tlv(b, e->tag, raw->p, raw->len);
		break;
	case K_STR:
		s = *(const char *const *)(const void *)(base + e->off);
		if (s != NULL)
			sbd_put_tlv_str(b, e->tag, s);
		break;
	case K_CERT:
		if (m->cert == NULL)
			break;
		if (m->cert_len > UINT16_MAX - 5) {
			if (b->err == 0)
				b->err = SBD_ERR_TOOBIG;
			break;
		}
		sbd_put_u8(b, e->tag);
		sbd_put_u16(b, (uint16_t)(m->cert_len + 5));
		sbd_put_u8(b, 1);
		sbd_put_u16(b, (uint16_t)(m->cert_len + 2));
		sbd_put_u8(b, 0);
		sbd_put_u8(b, m->cert_inner_type);
		sbd_put_bytes(b, m->cert, m->cert_len);
		break;
	}
}

int
sbd_capf_build(const struct sbd_capf_msg *m, uint8_t **out, size_t *len)
{
	struct sbd_buf b;
	size_t i, body;

	sbd_buf_init(&b, SBD_CAPF_HDR + SBD_CAPF_BODY_MAX);
	sbd_put_u8(&b, SBD_CAPF_PROTO);
	sbd_put_u8(&b, m->cmd);
	sbd_put_u32(&b, m->session);
	sbd_put_u16(&b, 0);		/* body length, set below */
	for (i = 0; i < NELEMS; i++)
		put_elem(&b, &elems[i], m);
	body = b.len - SBD_CAPF_HDR;
	if (b.err == 0 && body <= SBD_CAPF_BODY_MAX)
		sbd_buf_set_u16(&b, 6, (uint16_t)body);
	else if (b.err == 0)
		b.err = SBD_ERR_TOOBIG;
	return sbd_buf_take(&b, out, len);
}

/* ---- certificate authentication (FORMATS.md 8.4) -------------------- */

static const EVP_MD *
capf_md(int hash)
{
	if (hash == SBD_CAPF_HASH_SHA1)
		return EVP_sha1();
	if (hash == SBD_CAPF_HASH_SHA512)
		return EVP_sha512();
	return NULL;
}

/* H(device || 00 || der): the NUL that ends the name is the 00. */
static int
capf_digest(int hash, const char *device, const uint8_t *der,
    size_t der_len, uint8_t *md, size_t *mdlen)
{
	const EVP_MD *alg = capf_md(hash);
	EVP_MD_CTX *ctx = NULL;
	unsigned n = 0;
	int err = SBD_ERR_INVAL;

	if (alg == NULL || device == NULL || der == NULL || der_len == 0)
		goto out;
	err = SBD_ERR_CRYPTO;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, alg, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, device, strlen(device) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, der, der_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &n) != 1)
		goto out;
	*mdlen = n;
	err = 0;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

/*
 * A context for the bare-hash operation.  No signature digest is set, so
 * OpenSSL's RSA applies PKCS#1 type-1 padding to the input as it is (the
 * hash, without DigestInfo) and verify compares the recovered bytes with
 * it; ECDSA takes the input as the digest either way.
 */
static int
capf_pkey_ctx(EVP_PKEY *k, int sign, EVP_PKEY_CTX **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	int id = EVP_PKEY_get_base_id(k), err = SBD_ERR_KEY;

	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
		goto out;
	err = SBD_ERR_CRYPTO;
	if ((ctx = EVP_PKEY_CTX_new(k, NULL)) == NULL ||
	    (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) !=
	    1)
		goto out;
	if (id == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	*out = ctx;
	ctx = NULL;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

int
sbd_capf_sign(EVP_PKEY *key, int hash, const char *device,
    const uint8_t *der, size_t der_len, uint8_t **out, size_t *len)
{
	uint8_t md[EVP_MAX_MD_SIZE], *sig = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	struct sbd_buf b;
	size_t mdlen = 0, siglen = 0;
	int err = SBD_ERR_INVAL;

	ERR_set_mark();
	sbd_buf_init(&b, 3 + SBD_CAPF_SIG_MAX);
	if (key == NULL || out == NULL || len == NULL)
		goto out;
	if ((err = capf_digest(hash, device, der, der_len, md, &mdlen)) != 0 ||
	    (err = capf_pkey_ctx(key, 1, &ctx)) != 0)
		goto out;
	/* PKCS#1 type 1 needs 11 bytes besides the hash (RFC 8017 9.2). */
	err = SBD_ERR_KEY;
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	    (size_t)EVP_PKEY_get_size(key) < mdlen + 11)
		goto out;
	err = SBD_ERR_CRYPTO;
	if (EVP_PKEY_sign(ctx, NULL, &siglen, md, mdlen) != 1)
		goto out;
	err = SBD_ERR_TOOBIG;
	if (siglen > SBD_CAPF_SIG_MAX)
		goto out;
	err = SBD_ERR_NOMEM;
	if ((sig = malloc(siglen)) == NULL)
		goto out;
	err = SBD_ERR_CRYPTO;
	if (EVP_PKEY_sign(ctx, sig, &siglen, md, mdlen) != 1)
		goto out;
	if (hash == SBD_CAPF_HASH_SHA512) {
		sbd_put_u8(&b, SBD_CAPF_HASH_SHA512);
		sbd_put_u16(&b, (uint16_t)siglen);
	}
	sbd_put_bytes(&b, sig, siglen);
	err = sbd_buf_take(&b, out, len);
out:
	sbd_buf_release(&b);
	free(sig);
	EVP_PKEY_CTX_free(ctx);
	ERR_pop_to_mark();
	return err;
}

int
sbd_capf_verify(EVP_PKEY *pub, int hash, const char *device,
    const uint8_t *der, size_t der_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t md[EVP_MAX_MD_SIZE], id;
	const uint8_t *s = sig;
	EVP_PKEY_CTX *ctx = NULL;
	struct sbd_cur c;
	uint16_t n;
	size_t mdlen = 0, slen = sig_len;
	int err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (pub == NULL || sig == NULL)
		goto out;
	if (hash == SBD_CAPF_HASH_SHA512) {
		/* hashid u8 | u16 len | sig, read through a cursor. */
		sbd_cur_init(&c, sig, sig_len);
		if ((err = sbd_get_u8(&c, &id)) != 0 ||
		    (err = sbd_get_u16(&c, &n)) != 0 ||
		    (err = sbd_get_bytes(&c, n, &s)) != 0)
			goto out;
		err = SBD_ERR_VALUE;
		if (id != SBD_CAPF_HASH_SHA512)
			goto out;
		err = SBD_ERR_TRAILING;
		if (sbd_cur_left(&c) != 0)
			goto out;
		slen = n;
	}
	if ((err = capf_digest(hash, device, der, der_len, md, &mdlen)) != 0 ||
	    (err = capf_pkey_ctx(pub, 0, &ctx)) != 0)
		goto out;
	err = SBD_ERR_SIG;
	if (slen == 0 || EVP_PKEY_verify(ctx, s, slen, md, mdlen) != 1)
		goto out;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	ERR_pop_to_mark();
	return err;
}

/* ---- the phone's new key ------------------------------------------- */

static const struct {
	unsigned bits;
	int nid;
} capf_curves[] = {
	{ 256, NID_X9_62_prime256v1 },	/* CURVE 0 */
	{ 384, NID_secp384r1 },		/* CURVE 1 */
	{ 521, NID_secp521r1 },		/* CURVE 2 */
};
#define NCURVES	(sizeof(capf_curves) / sizeof(capf_curves[0]))

int
sbd_capf_curve_code(unsigned bits)
{
	size_t i;

	for (i = 0; i < NCURVES; i++)
		if (capf_curves[i].bits == bits)
			return (int)i;
	return -1;
}

int
sbd_capf_curve_nid(uint8_t code)
{
	return code < NCURVES ? capf_curves[code].nid : NID_undef;
}

int
sbd_capf_pubkey(const uint8_t *spki, size_t len, int key_ec,
    unsigned key_size, EVP_PKEY **out)
{
	const unsigned char *q = spki;
	EVP_PKEY *k = NULL;
	char group[64];
	size_t glen = 0;
	int code, err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (spki == NULL || out == NULL)
		goto out;
	err = SBD_ERR_VALUE;
	if (len == 0 || len > LONG_MAX ||
	    (k = d2i_PUBKEY(NULL, &q, (long)len)) == NULL ||
	    (size_t)(q - spki) != len)
		goto out;
	err = SBD_ERR_KEY;
	if (!key_ec) {
		if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA ||
		    EVP_PKEY_get_bits(k) != (int)key_size)
			goto out;
	} else {
		/* The curve by name: bits alone would pass secp256k1. */
		if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
		    (code = sbd_capf_curve_code(key_size)) < 0 ||
		    EVP_PKEY_get_group_name(k, group, sizeof(group),
		    &glen) != 1 ||
		    OBJ_sn2nid(group) != capf_curves[code].nid)
			goto out;
	}
	*out = k;
	k = NULL;
	err = 0;
out:
	EVP_PKEY_free(k);
	ERR_pop_to_mark();
	return err;
}
