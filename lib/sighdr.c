/*
 * The signed-file header (FORMATS.md section 2): parse, verify, build.
 *
 * The header is a sequence of TLVs bounded by HEADER_LENGTH.  Tag 13 is a
 * one-byte pad.  Containers (3, 7, 9, 16, 17, 21) are parsed in their own
 * sub-cursor, so no child can overrun its container, and children may come
 * in any order.  Where each tag may appear is a table, not code.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "sbd/sighdr.h"
#include "sbd/tlv.h"
#include "sbd/x509.h"

#define SBD_TAG_MAX 28

/* Element shapes: where a tag lives and how long its value may be. */
enum shape {
	S_NONE = 0,	/* not a header tag */
	S_CONT,		/* container */
	S_STR,		/* NUL-terminated string */
	S_BYTES,	/* one or more bytes */
	S_U8,
	S_U16,
	S_U32,
	S_VER,		/* two bytes: major, minor */
};

static const struct {
	uint8_t parent;		/* 0: top level */
	uint8_t shape;
	uint8_t alt_parent;	/* a second place it may sit, 0 if none */
} tags[SBD_TAG_MAX + 1] = {
	[SBD_H_VERSION] = { 0, S_VER },
	[SBD_H_LENGTH] = { 0, S_U16 },
	[SBD_H_SIGNER_INFO] = { 0, S_CONT },
	[SBD_H_SIGNER_NAME] = { SBD_H_SIGNER_INFO, S_STR },
	[SBD_H_SERIAL] = { SBD_H_SIGNER_INFO, S_BYTES },
	[SBD_H_ISSUER] = { SBD_H_SIGNER_INFO, S_STR },
	[SBD_H_SIG_INFO] = { 0, S_CONT },
	[SBD_H_HASH_ALG] = { SBD_H_SIG_INFO, S_U8 },
	[SBD_H_SIG_ALG_INFO] = { SBD_H_SIG_INFO, S_CONT },
	[SBD_H_SIG_ALG] = { SBD_H_SIG_ALG_INFO, S_U8 },
	[SBD_H_SIG_MODULUS] = { SBD_H_SIG_ALG_INFO, S_U8 },
	[SBD_H_SIGNATURE] = { 0, S_BYTES },
	[SBD_H_FILENAME] = { 0, S_STR },
	[SBD_H_TIMESTAMP] = { 0, S_U32 },
	[SBD_H_ENC_INFO] = { 0, S_CONT },
	[SBD_H_ENC_IV_INFO] = { SBD_H_ENC_INFO, S_CONT },
	[SBD_H_ENC_UNKNOWN1] = { SBD_H_ENC_IV_INFO, S_U8 },
	[SBD_H_ENC_IV] = { SBD_H_ENC_IV_INFO, S_BYTES },
	[SBD_H_ENC_PAD] = { SBD_H_ENC_IV_INFO, S_U16 },
	[SBD_H_ENC_KEY_INFO] = { SBD_H_ENC_INFO, S_CONT },
	[SBD_H_ENC_UNKNOWN2] = { SBD_H_ENC_KEY_INFO, S_U8 },
	[SBD_H_ENC_KEY_SIZE] = { SBD_H_ENC_KEY_INFO, S_U16 },
	[SBD_H_ENC_KEY_ALG] = { SBD_H_ENC_KEY_INFO, S_U8 },
	[SBD_H_ENC_KEY] = { SBD_H_ENC_KEY_INFO, S_BYTES },
	/*
	 * enccnf closes container 16 after tags 26 and 27, so in its files
	 * they sit inside it; FORMATS.md 6.2 shows them after it.
	 */
	[SBD_H_ENC_HASH_ALG] = { 0, S_U8, SBD_H_ENC_INFO },
	[SBD_H_ENC_HASH] = { 0, S_BYTES, SBD_H_ENC_INFO },
	[SBD_H_SIGNER_VERSION] = { 0, S_VER },
};

const EVP_MD *
sbd_hash_md(int hash)
{
	switch (hash) {
	case SBD_HASH_SHA1:
		return EVP_sha1();
	case SBD_HASH_SHA256:
		return EVP_sha256();
	case SBD_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

const char *
sbd_hash_name(int hash)
{
	switch (hash) {
	case SBD_HASH_SHA1:
		return "SHA-1";
	case SBD_HASH_SHA256:
		return "SHA-256";
	case SBD_HASH_SHA512:
		return "SHA-512";
	}
	return NULL;
}

size_t
sbd_modulus_siglen(int idx)
{
	switch (idx) {
	case 0:
		return 64;
	case 1:
		return 128;
	case 2:
		return 256;
	case 3:
		return 512;
	}
	return 0;
}

static int
siglen_modulus(size_t siglen)
{
	int i;

	for (i = 0; i <= 3; i++)
		if (sbd_modulus_siglen(i) == siglen)
			return i;
	return -1;
}

struct hparse {
	struct sbd_sighdr *h;
	unsigned flags;
	uint32_t seen;		/* bit per tag */
	struct sbd_diag *d;
};

static int
add_elem(struct hparse *hp, uint8_t tag, int depth, size_t off, size_t len,
    const uint8_t *val)
{
	struct sbd_sighdr *h = hp->h;

	if (h->nelem == SBD_HDR_MAX_ELEMS)
		return sbd_diag_set(hp->d, off, SBD_ERR_TOOBIG,
		    "more than %d header elements", SBD_HDR_MAX_ELEMS);
	h->elem[h->nelem].tag = tag;
	h->elem[h->nelem].depth = (uint8_t)depth;
	h->elem[h->nelem].off = off;
	h->elem[h->nelem].len = len;
	h->elem[h->nelem].val = val;
	h->nelem++;
	return 0;
}

/* Check a leaf value's length against its shape. */
static int
check_shape(const struct sbd_tlv *t, int shape)
{
	switch (shape) {
	case S_STR:
		return sbd_tlv_is_cstring(t->val, t->len);
	case S_BYTES:
		return t->len > 0 ? 0 : -1;
	case S_U8:
		return t->len == 1 ? 0 : -1;
	case S_U16:
	case S_VER:
		return t->len == 2 ? 0 : -1;
	case S_U32:
		return t->len == 4 ? 0 : -1;
	}
	return -1;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
store_leaf(struct sbd_sighdr *h, const struct sbd_tlv *t)
{
	const uint8_t *v = t->val;

	switch (t->tag) {
	case SBD_H_SIGNER_NAME:
		h->signer_name = (const char *)v;
		break;
	case SBD_H_SERIAL:
		h->serial = v;
		h->serial_len = t->len;
		break;
	case SBD_H_ISSUER:
		h->issuer_name = (const char *)v;
		break;
	case SBD_H_HASH_ALG:
		h->hash_alg = v[0];
		break;
	case SBD_H_SIG_ALG:
		h->sig_alg = v[0];
		break;
	case SBD_H_SIG_MODULUS:
		h->modulus_idx = v[0];
		break;
	case SBD_H_SIGNATURE:
		h->sig = v;
		h->sig_len = t->len;
		h->sig_off = t->off;
		break;
	case SBD_H_FILENAME:
		h->filename = (const char *)v;
		break;
	case SBD_H_TIMESTAMP:
		h->has_timestamp = 1;
		h->timestamp = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
		    ((uint32_t)v[2] << 8) | v[3];
		break;
	case SBD_H_SIGNER_VERSION:
		h->has_signer_version = 1;
		h->sv_major = v[0];
		h->sv_minor = v[1];
		break;
	case SBD_H_ENC_UNKNOWN1:
		h->enc_unknown1 = v[0];
		break;
	case SBD_H_ENC_IV:
		h->enc_iv = v;
		h->enc_iv_len = t->len;
		break;
	case SBD_H_ENC_PAD:
		h->enc_pad = be16(v);
		break;
	case SBD_H_ENC_UNKNOWN2:
		h->enc_unknown2 = v[0];
		break;
	case SBD_H_ENC_KEY_SIZE:
		h->enc_key_size = be16(v);
		break;
	case SBD_H_ENC_KEY_ALG:
		h->enc_key_alg = v[0];
		break;
	case SBD_H_ENC_KEY:
		h->enc_key = v;
		h->enc_key_len = t->len;
		break;
	case SBD_H_ENC_HASH_ALG:
		h->has_enc_hash = 1;
		h->enc_hash_alg = v[0];
		break;
	case SBD_H_ENC_HASH:
		h->enc_hash = v;
		h->enc_hash_len = t->len;
		break;
	}
}

/* Parse the elements in c, all children of parent, at depth. */
static int
parse_elems(struct hparse *hp, struct sbd_cur *c, uint8_t parent, int depth)
{
	struct sbd_tlv t;
	struct sbd_cur sub;
	uint8_t tag;
	int err;

	while (sbd_cur_left(c) > 0) {
		size_t pos = sbd_cur_pos(c);

		if (sbd_peek_u8(c, &tag) != 0)
			return sbd_diag_set(hp->d, pos, SBD_ERR_TRUNCATED,
			    "header ends inside an element");
		if (tag == SBD_H_PADDING && parent == 0) {
			/* FORMATS.md 1.1: padding is one byte, no length. */
			if (sbd_skip(c, 1) != 0)
				return SBD_ERR_TRUNCATED;
			err = add_elem(hp, tag, depth, pos, 0, NULL);
			if (err != 0)
				return err;
			continue;
		}
		if (tag == SBD_H_PADDING)
			return sbd_diag_set(hp->d, pos, SBD_ERR_TAG,
			    "padding inside container %u", parent);
		if (sbd_get_tlv(c, &t) != 0)
			return sbd_diag_set(hp->d, pos, SBD_ERR_OVERRUN,
			    "tag %u: length overruns its %s", tag,
			    parent ? "container" : "header");
		if (tag > SBD_TAG_MAX || tags[tag].shape == S_NONE ||
		    tag == SBD_H_VERSION || tag == SBD_H_LENGTH) {
			if (tag > SBD_TAG_MAX && parent == 0 &&
			    (hp->flags & SBD_PARSE_SKIP_UNKNOWN)) {
				err = add_elem(hp, tag, depth, pos, t.len,
				    t.val);
				if (err != 0)
					return err;
				continue;
			}
			if (tag == SBD_H_VERSION || tag == SBD_H_LENGTH)
				return sbd_diag_set(hp->d, pos, SBD_ERR_TAG,
				    "tag %u repeated", tag);
			return sbd_diag_set(hp->d, pos, SBD_ERR_TAG,
			    "unknown header tag %u", tag);
		}
		if (tags[tag].parent != parent &&
		    (tags[tag].alt_parent == 0 ||
		    tags[tag].alt_parent != parent))
			return sbd_diag_set(hp->d, pos, SBD_ERR_TAG,
			    "tag %u is misplaced (inside %u)", tag, parent);
		if (hp->seen & (1u << tag))
			return sbd_diag_set(hp->d, pos, SBD_ERR_TAG,
			    "tag %u repeated", tag);
		hp->seen |= 1u << tag;
		err = add_elem(hp, tag, depth, pos, t.len,
				    t.val);
		if (err != 0)
			return err;
		if (tags[tag].shape == S_CONT) {
			sbd_cur_init(&sub, t.val, t.len);
			sub.base = pos + 3;
			err = parse_elems(hp, &sub, tag, depth + 1);
			if (err != 0)
				return err;
			if (tag == SBD_H_ENC_INFO)
				hp->h->has_enc = 1;
			continue;
		}
		if (check_shape(&t, tags[tag].shape) != 0)
			return sbd_diag_set(hp->d, pos, SBD_ERR_VALUE,
			    "tag %u: bad length %zu", tag, t.len);
		store_leaf(hp->h, &t);
	}
	return 0;
}

static int
require(struct hparse *hp, uint8_t tag, size_t off)
{
	if (hp->seen & (1u << tag))
		return 0;
	return sbd_diag_set(hp->d, off, SBD_ERR_MISSING,
	    "header lacks tag %u", tag);
}

int
sbd_sighdr_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *out, struct sbd_diag *d)
{
	struct sbd_sighdr *h;
	struct hparse hp;
	struct sbd_cur c, body;
	struct sbd_tlv t;
	int err;
	static const uint8_t required[] = { SBD_H_SIGNER_INFO,
		SBD_H_SIGNER_NAME, SBD_H_SERIAL, SBD_H_SIG_INFO,
		SBD_H_HASH_ALG, SBD_H_SIG_ALG_INFO, SBD_H_SIG_ALG,
		SBD_H_SIG_MODULUS, SBD_H_SIGNATURE };
	size_t i;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return SBD_ERR_NOMEM;
	memset(&hp, 0, sizeof(hp));
	hp.h = h;
	hp.flags = flags;
	hp.d = d;
	sbd_cur_init(&c, buf, len);

	/* Tags 1 and 2 always come first (FORMATS.md 2.1). */
	if (sbd_get_tlv(&c, &t) != 0) {
		err = sbd_diag_set(d, 0, SBD_ERR_TRUNCATED,
		    "file too short for a header");
		goto out;
	}
	if (t.tag != SBD_H_VERSION || t.len != 2) {
		err = sbd_diag_set(d, 0, SBD_ERR_TAG,
		    "first element is not a 2-byte VERSION");
		goto out;
	}
	h->ver_major = t.val[0];
	h->ver_minor = t.val[1];
	if (h->ver_major < 1 || h->ver_major > 2) {
		err = sbd_diag_set(d, 3, SBD_ERR_VERSION,
		    "header version %u.%u", h->ver_major, h->ver_minor);
		goto out;
	}
	if ((err = add_elem(&hp, t.tag, 0, 0, 2, t.val)) != 0)
		goto out;
	if (sbd_get_tlv(&c, &t) != 0 || t.tag != SBD_H_LENGTH ||
	    t.len != 2) {
		err = sbd_diag_set(d, 5, SBD_ERR_TAG,
		    "second element is not a 2-byte HEADER_LENGTH");
		goto out;
	}
	h->hdr_len = be16(t.val);
	if ((err = add_elem(&hp, t.tag, 0, 5, 2, t.val)) != 0)
		goto out;
	hp.seen = (1u << SBD_H_VERSION) | (1u << SBD_H_LENGTH);
	if (h->hdr_len < c.off || h->hdr_len > len) {
		err = sbd_diag_set(d, 8, h->hdr_len > len ?
		    SBD_ERR_TRUNCATED : SBD_ERR_VALUE,
		    "header length %u outside the file (%zu bytes)",
		    h->hdr_len, len);
		goto out;
	}
	if ((err = sbd_get_sub(&c, h->hdr_len - c.off, &body)) != 0)
		goto out;
	if ((err = parse_elems(&hp, &body, 0, 0)) != 0)
		goto out;
	for (i = 0; i < sizeof(required); i++)
		if ((err = require(&hp, required[i], h->hdr_len)) != 0)
			goto out;
	if (h->modulus_idx > 3 ||
	    sbd_modulus_siglen(h->modulus_idx) != h->sig_len) {
		err = sbd_diag_set(d, h->sig_off, SBD_ERR_VALUE,
		    "signature of %zu bytes does not fit modulus index %u",
		    h->sig_len, h->modulus_idx);
		goto out;
	}
	if (sbd_hash_md(h->hash_alg) == NULL) {
		err = sbd_diag_set(d, h->sig_off, SBD_ERR_VALUE,
		    "unknown hash algorithm %u", h->hash_alg);
		goto out;
	}
	memcpy(out, h, sizeof(*h));
	err = 0;
out:
	free(h);
	return err;
}

int
sbd_sighdr_verify(const uint8_t *buf, size_t len, const struct sbd_sighdr *h,
    EVP_PKEY *pub)
{
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md;
	size_t after;
	int err = SBD_ERR_SIG;

	if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		return SBD_ERR_KEY;
	md = sbd_hash_md(h->hash_alg);
	/* Only RSA PKCS#1 v1.5 (algorithm 0) exists (FORMATS.md 2.1). */
	if (md == NULL || h->sig_alg != 0 ||
	    (size_t)EVP_PKEY_get_size(pub) != h->sig_len)
		return SBD_ERR_SIG;
	after = h->sig_off + 3 + h->sig_len;
	if (after > len)
		return SBD_ERR_SIG;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return SBD_ERR_NOMEM;
	/* FORMATS.md 2.3: everything but the signature TLV is signed. */
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) != 1 ||
	    EVP_DigestVerifyUpdate(ctx, buf, h->sig_off) != 1 ||
	    EVP_DigestVerifyUpdate(ctx, buf + after, len - after) != 1)
		goto out;
	if (EVP_DigestVerifyFinal(ctx, h->sig, h->sig_len) == 1)
		err = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return err;
}

int
sbd_sighdr_names_cert(const struct sbd_sighdr *h, X509 *cert)
{
	uint8_t *ser = NULL;
	size_t serlen = 0;
	int match;

	if (sbd_x509_serial(cert, &ser, &serlen) != 0)
		return 0;
	match = serlen == h->serial_len &&
	    memcmp(ser, h->serial, serlen) == 0;
	free(ser);
	return match;
}

int
sbd_sign_file(const struct sbd_sign_opts *o, X509 *cert, EVP_PKEY *key,
    const uint8_t *body, size_t bodylen, size_t max, uint8_t **out,
    size_t *outlen)
{
	struct sbd_buf b;
	EVP_MD_CTX *ctx = NULL;
	const EVP_MD *md;
	char *subject = NULL, *issuer = NULL;
	uint8_t *serial = NULL, sig[SBD_SIG_MAX], vb[2];
	size_t serlen = 0, siglen, mark, hdrlen, c1, c2;
	int idx, err;

	sbd_buf_init(&b, max);
	md = sbd_hash_md(o->hash);
	if (md == NULL || o->hash == SBD_HASH_SHA256)
		return SBD_ERR_INVAL;	/* certutils: only 1 and 3 */
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return SBD_ERR_KEY;
	siglen = (size_t)EVP_PKEY_get_size(key);
	idx = siglen_modulus(siglen);
	if (idx < 0)
		return SBD_ERR_KEY;	/* RSA 512, 1024, 2048 or 4096 */
	/* A SHA-512 DigestInfo (83 bytes) does not fit RSA-512. */
	if (o->hash == SBD_HASH_SHA512 && siglen < 128)
		return SBD_ERR_KEY;
	if ((err = sbd_dn_string(X509_get_subject_name(cert), &subject)) != 0 ||
	    (err = sbd_dn_string(X509_get_issuer_name(cert), &issuer)) != 0 ||
	    (err = sbd_x509_serial(cert, &serial, &serlen)) != 0)
		goto out;

	/* certutils >= 4 order (FORMATS.md 2.1). */
	vb[0] = o->ver_major;
	vb[1] = o->ver_minor;
	sbd_put_tlv(&b, SBD_H_VERSION, vb, 2);
	sbd_put_tlv_u16(&b, SBD_H_LENGTH, 0);	/* fixed below */
	if (o->signer_version) {
		vb[0] = o->sv_major;
		vb[1] = o->sv_minor;
		sbd_put_tlv(&b, SBD_H_SIGNER_VERSION, vb, 2);
	}
	c1 = sbd_put_open(&b, SBD_H_SIGNER_INFO);
	sbd_put_tlv_str(&b, SBD_H_SIGNER_NAME, subject);
	sbd_put_tlv_str(&b, SBD_H_ISSUER, issuer);
	sbd_put_tlv(&b, SBD_H_SERIAL, serial, serlen);
	sbd_put_close(&b, c1);
	c1 = sbd_put_open(&b, SBD_H_SIG_INFO);
	sbd_put_tlv_u8(&b, SBD_H_HASH_ALG, (uint8_t)o->hash);
	c2 = sbd_put_open(&b, SBD_H_SIG_ALG_INFO);
	sbd_put_tlv_u8(&b, SBD_H_SIG_ALG, 0);
	sbd_put_tlv_u8(&b, SBD_H_SIG_MODULUS, (uint8_t)idx);
	sbd_put_close(&b, c2);
	sbd_put_close(&b, c1);
	mark = b.len;		/* the signature goes here */
	if (o->filename != NULL)
		sbd_put_tlv_str(&b, SBD_H_FILENAME, o->filename);
	if (o->has_timestamp)
		sbd_put_tlv_u32(&b, SBD_H_TIMESTAMP, o->timestamp);
	if (o->extra_len > 0)
		sbd_put_bytes(&b, o->extra, o->extra_len);
	/* FORMATS.md 2.2: pad so the final header is a multiple of 4. */
	while (b.err == 0 && (b.len + 3 + siglen) % 4 != 0)
		sbd_put_u8(&b, SBD_H_PADDING);
	hdrlen = b.len + 3 + siglen;
	if (b.err == 0 && hdrlen > UINT16_MAX) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	sbd_buf_set_u16(&b, 8, (uint16_t)hdrlen);
	sbd_put_bytes(&b, body, bodylen);
	/* Room for the signature TLV, so the insert cannot fail late. */
	if (b.err == 0 && b.max - b.len < 3 + siglen)
		b.err = SBD_ERR_TOOBIG;
	if ((err = b.err) != 0)
		goto out;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, b.p, b.len) != 1) {
		err = SBD_ERR_CRYPTO;
		goto out;
	}
	{
		uint8_t head[3] = { SBD_H_SIGNATURE, (uint8_t)(siglen >> 8),
			(uint8_t)siglen };

		sbd_buf_insert(&b, mark, head, 3);
		sbd_buf_insert(&b, mark + 3, sig, siglen);
	}
	err = sbd_buf_take(&b, out, outlen);
out:
	ERR_clear_error();
	sbd_buf_release(&b);
	EVP_MD_CTX_free(ctx);
	free(subject);
	free(issuer);
	free(serial);
	return err;
}
