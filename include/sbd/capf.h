/*
 * CAPF messages (FORMATS.md 8): an 8-byte header (protocol 0x55,
 * command, session id, body length; no version byte) and a body of tag
 * u8 / length u16 / value elements, as TVS uses.
 *
 * Pure code: the CAPF service in sbdd and sbdphone parse and build frames
 * only through these functions.  A parsed message points into the
 * caller's buffer.  Signatures inside AUTH_RESPONSE are checked by the
 * service, not here.
 */
#ifndef SBD_CAPF_H
#define SBD_CAPF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sbd/err.h"

#define SBD_CAPF_PROTO		0x55
#define SBD_CAPF_HDR		8
#define SBD_CAPF_BODY_MAX	16384	/* certificates, key, signatures */
#define SBD_CAPF_VERSION	3	/* capfd and capfc speak 3 */
#define SBD_CAPF_STR_MAX	128	/* password, device name */

enum sbd_capf_cmd {
	SBD_CAPF_AUTH_REQ = 1,
	SBD_CAPF_AUTH_RES = 2,
	SBD_CAPF_KEYGEN_REQ = 3,
	SBD_CAPF_KEYGEN_RES = 4,
	SBD_CAPF_STORE_REQ = 9,
	SBD_CAPF_STORE_RES = 10,
	SBD_CAPF_FETCH_REQ = 11,
	SBD_CAPF_FETCH_RES = 12,
	SBD_CAPF_DELETE_REQ = 13,
	SBD_CAPF_DELETE_RES = 14,
	SBD_CAPF_END_SESSION = 15,
	SBD_CAPF_RETRY_LATER = 16,
	SBD_CAPF_IN_PROGRESS = 17,
	SBD_CAPF_CMD_MAX = 23,	/* SIGN_CERTIFICATE_RESPONSE */
};

enum sbd_capf_tag {
	SBD_CAPF_T_REASON = 1,
	SBD_CAPF_T_REASON_INFO = 2,
	SBD_CAPF_T_CERT_TYPE = 3,
	SBD_CAPF_T_CERT = 4,
	SBD_CAPF_T_CERT_ID = 5,
	SBD_CAPF_T_SIGNED = 6,
	SBD_CAPF_T_VERSION = 7,
	SBD_CAPF_T_AUTH_TYPE = 8,
	SBD_CAPF_T_PUBKEY = 9,
	SBD_CAPF_T_KEY_SIZE = 10,
	SBD_CAPF_T_PASSWORD = 11,
	SBD_CAPF_T_RETRY_DELAY = 12,
	SBD_CAPF_T_DEVICE = 13,
	SBD_CAPF_T_SUDI = 16,
	SBD_CAPF_T_KEY_TYPE = 17,
	SBD_CAPF_T_CURVE = 18,
	SBD_CAPF_T_DIGEST = 19,
	SBD_CAPF_T_SHA2_SIGNED = 20,
};

/* A byte-valued element and whether it was present. */
struct sbd_capf_u8 {
	int set;
	uint8_t v;
};

/* An opaque element: NULL when absent. */
struct sbd_capf_raw {
	const uint8_t *p;
	size_t len;
};

struct sbd_capf_msg {
	uint8_t cmd;		/* enum sbd_capf_cmd */
	uint32_t session;
	struct sbd_capf_u8 reason, version, auth_type, cert_type, key_type;
	struct sbd_capf_u8 curve, digest;
	int has_key_size;
	uint16_t key_size;
	/* CERTIFICATE: 01 | u16 (len + 2) | 00 | type | DER (FORMATS 8.2). */
	const uint8_t *cert;	/* the DER */
	size_t cert_len;
	uint8_t cert_inner_type;
	const char *password;	/* NUL-terminated in the frame */
	const char *device;	/* "SEP<MAC>", NUL-terminated */
	struct sbd_capf_raw pubkey;	/* SubjectPublicKeyInfo DER */
	struct sbd_capf_raw signed_data, sha2_signed, sudi;
	struct sbd_capf_raw reason_info, cert_id, retry_delay;
};

/*
 * The length of the frame starting at p, from its header.
 * SBD_ERR_TRUNCATED below SBD_CAPF_HDR bytes, SBD_ERR_VALUE for another
 * protocol, SBD_ERR_TOOBIG for a body over SBD_CAPF_BODY_MAX.
 */
int sbd_capf_frame_len(const uint8_t *p, size_t len, size_t *total,
    struct sbd_diag *d) SBD_WUR;

/*
 * Parse exactly one frame.  Refused besides the header errors: a command
 * of 0 or over SBD_CAPF_CMD_MAX (SBD_ERR_VALUE), an element overrunning
 * the body (SBD_ERR_OVERRUN), a duplicated element (SBD_ERR_TAG), bytes
 * after the body (SBD_ERR_TRAILING), a byte-valued element not 1 byte, a
 * KEY_SIZE not 2, a CERTIFICATE whose inner header disagrees with its
 * length, a PASSWORD or DEVICE_NAME not ending in its only NUL, empty,
 * non-printable or over SBD_CAPF_STR_MAX (SBD_ERR_VALUE).  Unknown tags
 * are skipped.
 */
int sbd_capf_parse(const uint8_t *p, size_t len, struct sbd_capf_msg *m,
    struct sbd_diag *d) SBD_WUR;

/*
 * Build m as one frame (a CAPF message goes out in one write), the
 * elements present in the order capfd and phones use: 1, 2, 7, 8, 3, 4,
 * 5, 6, 20, 16, 9, 10, 17, 18, 19, 11, 13, 12.  *out malloc'ed.
 */
int sbd_capf_build(const struct sbd_capf_msg *m, uint8_t **out, size_t *len)
    SBD_WUR;

/* ---- certificate authentication and keys (pure crypto) -------------- */

/* Hash IDs of FORMATS.md 8.2, as SHA2_SIGNED_DATA writes them. */
#define SBD_CAPF_HASH_SHA1	1	/* SIGNED_DATA (element 6) */
#define SBD_CAPF_HASH_SHA512	3	/* SHA2_SIGNED_DATA (element 20) */
#define SBD_CAPF_SIG_MAX	1024	/* an RSA-8192 signature */

/*
 * The "signed data" a phone sends with its LSC or MIC (FORMATS.md 8.4):
 * a signature with key over device || 00 || der, where der is the
 * certificate it sends.  With SBD_CAPF_HASH_SHA1, *out is the value of
 * SIGNED_DATA: the bare signature.  With SBD_CAPF_HASH_SHA512 it is the
 * value of SHA2_SIGNED_DATA: hashid (3) u8 | u16 length | signature.
 * RSA signs PKCS#1 type-1 padding of the bare hash, without DigestInfo;
 * EC signs standard ECDSA (DER).  *out malloc'ed.  SBD_ERR_INVAL for
 * another hash, SBD_ERR_KEY for another key type or an RSA key too small
 * for the hash.
 */
int sbd_capf_sign(EVP_PKEY *key, int hash, const char *device,
    const uint8_t *der, size_t der_len, uint8_t **out, size_t *len) SBD_WUR;

/*
 * Check a SIGNED_DATA (SBD_CAPF_HASH_SHA1) or SHA2_SIGNED_DATA
 * (SBD_CAPF_HASH_SHA512) value made as sbd_capf_sign describes with the
 * key of pub (an RSA key is checked with the raw public operation).
 * SBD_ERR_SIG when it does not verify; for SHA2_SIGNED_DATA a hash ID
 * other than 3 is SBD_ERR_VALUE, a length that overruns the value
 * SBD_ERR_TRUNCATED, bytes after the signature SBD_ERR_TRAILING.
 */
int sbd_capf_verify(EVP_PKEY *pub, int hash, const char *device,
    const uint8_t *der, size_t der_len, const uint8_t *sig, size_t sig_len)
    SBD_WUR;

/*
 * KEY_SIZE and CURVE of an EC key (FORMATS.md 8.2): 256 -> 0
 * (secp256r1), 384 -> 1 (secp384r1), 521 -> 2 (secp521r1).  The first
 * returns -1 for another size; the second NID_undef for another code.
 */
int sbd_capf_curve_code(unsigned bits);
int sbd_capf_curve_nid(uint8_t code);

/*
 * The PUBLIC_KEY of a KEY_GENERATE_RESPONSE: one SubjectPublicKeyInfo
 * DER, nothing after it (SBD_ERR_VALUE otherwise), holding the key that
 * was asked for: RSA of key_size bits, or (key_ec) EC on the curve of
 * key_size bits (SBD_ERR_KEY otherwise).  *out is a public-only key.
 */
int sbd_capf_pubkey(const uint8_t *spki, size_t len, int key_ec,
    unsigned key_size, EVP_PKEY **out) SBD_WUR;

#endif
