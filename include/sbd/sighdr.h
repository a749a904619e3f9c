/*
 * The signed-file header shared by CTL/ITL, .sgn and .enc.sgn
 * (FORMATS.md section 2).
 *
 * Parsing borrows: every pointer in struct sbd_sighdr points into the input
 * buffer, which must outlive it.  String elements are checked to be
 * NUL-terminated with no inner NUL, so they are usable as C strings in place.
 */
#ifndef SBD_SIGHDR_H
#define SBD_SIGHDR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"

/* Header tags (FORMATS.md 2.1 and 6.2). */
enum sbd_htag {
	SBD_H_VERSION = 1,
	SBD_H_LENGTH = 2,
	SBD_H_SIGNER_INFO = 3,
	SBD_H_SIGNER_NAME = 4,
	SBD_H_SERIAL = 5,
	SBD_H_ISSUER = 6,
	SBD_H_SIG_INFO = 7,
	SBD_H_HASH_ALG = 8,
	SBD_H_SIG_ALG_INFO = 9,
	SBD_H_SIG_ALG = 10,
	SBD_H_SIG_MODULUS = 11,
	SBD_H_SIGNATURE = 12,
	SBD_H_PADDING = 13,
	SBD_H_FILENAME = 14,
	SBD_H_TIMESTAMP = 15,
	SBD_H_ENC_INFO = 16,
	SBD_H_ENC_IV_INFO = 17,
	SBD_H_ENC_UNKNOWN1 = 18,
	SBD_H_ENC_IV = 19,
	SBD_H_ENC_PAD = 20,
	SBD_H_ENC_KEY_INFO = 21,
	SBD_H_ENC_UNKNOWN2 = 22,
	SBD_H_ENC_KEY_SIZE = 23,
	SBD_H_ENC_KEY_ALG = 24,
	SBD_H_ENC_KEY = 25,
	SBD_H_ENC_HASH_ALG = 26,
	SBD_H_ENC_HASH = 27,
	SBD_H_SIGNER_VERSION = 28,
};

/* Hash identifiers as written in tag 8 (FORMATS.md 2.5). */
enum sbd_hash {
	SBD_HASH_SHA1 = 1,
	SBD_HASH_SHA256 = 2,
	SBD_HASH_SHA512 = 3,
};

#define SBD_HDR_MAX_ELEMS 48	/* far more than any real header holds */
#define SBD_SIG_MAX 512		/* RSA-4096 */

/* One header element as it sits in the file, for show and JSON. */
struct sbd_elem {
	uint8_t tag;
	uint8_t depth;		/* 0 top level, 1 inside a container, ... */
	size_t off;		/* absolute offset of the tag byte */
	size_t len;		/* value length (0 for padding) */
	const uint8_t *val;	/* value (borrowed), NULL for padding */
};

struct sbd_sighdr {
	uint8_t ver_major, ver_minor;
	uint16_t hdr_len;
	int has_signer_version;
	uint8_t sv_major, sv_minor;

	const char *signer_name;	/* tag 4 */
	const uint8_t *serial;		/* tag 5 */
	size_t serial_len;
	const char *issuer_name;	/* tag 6, may be NULL */

	uint8_t hash_alg;		/* tag 8, enum sbd_hash */
	uint8_t sig_alg;		/* tag 10, always 0 (RSA) */
	uint8_t modulus_idx;		/* tag 11 */
	const uint8_t *sig;		/* tag 12 value */
	size_t sig_len;
	size_t sig_off;			/* offset of the tag-12 byte */

	const char *filename;		/* tag 14, may be NULL */
	int has_timestamp;
	uint32_t timestamp;		/* tag 15 */

	/* .enc.sgn elements (FORMATS.md 6.2); has_enc when tag 16 present. */
	int has_enc;
	uint8_t enc_unknown1;
	const uint8_t *enc_iv;
	size_t enc_iv_len;
	uint16_t enc_pad;
	uint8_t enc_unknown2;
	uint16_t enc_key_size;
	uint8_t enc_key_alg;
	const uint8_t *enc_key;
	size_t enc_key_len;
	int has_enc_hash;
	uint8_t enc_hash_alg;
	const uint8_t *enc_hash;
	size_t enc_hash_len;

	size_t nelem;
	struct sbd_elem elem[SBD_HDR_MAX_ELEMS];
};

/* Parse flags. */
#define SBD_PARSE_SKIP_UNKNOWN 0x1	/* skip unknown header tags */

/*
 * Parse the header at the start of buf.  Accepts versions 1.x and 2.x,
 * containers in any child order, padding anywhere between elements; refuses
 * duplicated elements, lengths that overrun their container or the header,
 * and (unless SBD_PARSE_SKIP_UNKNOWN) unknown tags.  On failure d (if not
 * NULL) names the offset.  h is written only on success.
 */
int sbd_sighdr_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *h, struct sbd_diag *d) SBD_WUR;

/*
 * Verify the signature over buf (the whole file) minus the signature TLV,
 * with pub (an RSA key).  Returns 0, SBD_ERR_SIG or SBD_ERR_KEY.
 */
int sbd_sighdr_verify(const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, EVP_PKEY *pub) SBD_WUR;

/* Does the header name cert as its signer?  Serial (and issuer if given). */
int sbd_sighdr_names_cert(const struct sbd_sighdr *h, X509 *cert);

/* What to write in a new header. */
struct sbd_sign_opts {
	uint8_t ver_major, ver_minor;
	int signer_version;		/* write tag 28 */
	uint8_t sv_major, sv_minor;
	int hash;			/* enum sbd_hash: SHA1 or SHA512 */
	const char *filename;		/* tag 14; NULL omits it */
	int has_timestamp;
	uint32_t timestamp;
	/* Pre-encoded elements placed after TIMESTAMP (tags 16..27). */
	const uint8_t *extra;
	size_t extra_len;
};

/*
 * Build header + body and sign it (FORMATS.md 2.2, 2.3): the element order
 * of certutils >= 4, padding so the header length is a multiple of 4.
 * cert names the signer; key must be its RSA private key (512..4096 bits).
 * The result is at most max bytes.  *out is malloc'ed.
 */
int sbd_sign_file(const struct sbd_sign_opts *o, X509 *cert, EVP_PKEY *key,
    const uint8_t *body, size_t bodylen, size_t max, uint8_t **out,
    size_t *outlen) SBD_WUR;

/* EVP_MD for a tag-8 hash id, or NULL. */
const EVP_MD *sbd_hash_md(int hash);
const char *sbd_hash_name(int hash);	/* "SHA-1", ... or NULL */
/* Signature length for a tag-11 modulus index, or 0. */
size_t sbd_modulus_siglen(int idx);

#endif
