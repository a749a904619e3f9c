/*
 * CTL and ITL trust lists (FORMATS.md section 4): a signed header, then
 * records until end of file.  CTL and ITL share the format; only the
 * FILENAME and the content differ.
 *
 * A parsed list borrows the input buffer: keep it alive while the
 * struct sbd_tl is used.
 */
#ifndef SBD_TRUSTLIST_H
#define SBD_TRUSTLIST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/sighdr.h"

/* Record tags (FORMATS.md 4.2). */
enum sbd_rtag {
	SBD_R_LENGTH = 1,
	SBD_R_DNS_NAME = 2,
	SBD_R_SUBJECT = 3,
	SBD_R_ROLE = 4,
	SBD_R_ISSUER = 5,
	SBD_R_SERIAL = 6,
	SBD_R_PUBKEY = 7,
	SBD_R_SIGNATURE = 8,
	SBD_R_CERT = 9,
	SBD_R_IP = 10,
	SBD_R_CERT_HASH = 11,
	SBD_R_HASH_ALG = 12,
};

/* Role (function) codes (FORMATS.md 4.3). */
enum sbd_role {
	SBD_ROLE_SAST = 0,
	SBD_ROLE_CCM = 1,
	SBD_ROLE_CCM_TFTP = 2,
	SBD_ROLE_TFTP = 3,
	SBD_ROLE_CAPF = 4,
	SBD_ROLE_SRST = 5,
	SBD_ROLE_APP_SERVER = 7,
	SBD_ROLE_TVS = 21,
};

#define SBD_TL_MAX 65535	/* phones fail past 64 KiB (FORMATS.md 4.6b) */
#define SBD_TL_PARSE_MAX (1024 * 1024) /* inspect oversized lists too */
#define SBD_TL_MAX_RECORDS 1024
#define SBD_REC_MAX_ELEMS 16

struct sbd_tl_record {
	size_t off;			/* offset of RECORD_LENGTH */
	uint16_t len;			/* RECORD_LENGTH */
	int has_role;
	uint16_t role;
	const char *dns_name;		/* NULL when absent */
	const char *subject;
	const char *issuer;
	const uint8_t *serial;
	size_t serial_len;
	const uint8_t *pubkey;
	size_t pubkey_len;
	const uint8_t *sig;
	size_t sig_len;
	const uint8_t *cert;		/* X.509 DER */
	size_t cert_len;
	int has_ip;
	uint8_t ip[4];
	const uint8_t *cert_hash;	/* tag 11 */
	size_t cert_hash_len;
	int has_hash_alg;
	uint8_t hash_alg;		/* tag 12 */
	size_t nelem;
	struct sbd_elem elem[SBD_REC_MAX_ELEMS];
};

struct sbd_tl {
	struct sbd_sighdr hdr;
	size_t nrec;
	struct sbd_tl_record *rec;
};

/* Role name as CUCM prints it ("System Administrator Security Token"...). */
const char *sbd_role_cucm_name(int role);
/* Short name ("SAST", "CCM+TFTP", "APP-SERVER"...), or NULL if unknown. */
const char *sbd_role_name(int role);
/*
 * "SAST,CCM,TFTP": the short names of n role codes joined with ',' (a
 * number for a code without a name), "-" for none, cut to fit cap.
 */
void sbd_role_list(const uint8_t *codes, size_t n, char *buf, size_t cap);
/* Parse a short name (case-insensitive) or a number; -1 if invalid. */
int sbd_role_parse(const char *s);

/*
 * Parse a trust list of at most SBD_TL_PARSE_MAX bytes.  Records are read
 * while inside RECORD_LENGTH; any element order is accepted, no length may
 * overrun its record.  *out is allocated; free with sbd_tl_free().
 */
int sbd_tl_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_tl **out, struct sbd_diag *d) SBD_WUR;
void sbd_tl_free(struct sbd_tl *tl);

/*
 * Index of the signer record: role SAST, serial equal to the header serial
 * and, where both carry one, issuer equal too.  SBD_ERR_NOSIGNER if none.
 */
int sbd_tl_find_signer(const struct sbd_tl *tl) SBD_WUR;

/*
 * Verify the list.  With cert == NULL the signer is the record found by
 * sbd_tl_find_signer() (*signer_idx gets its index); otherwise cert's key is
 * used and *signer_idx is -1.  signer_idx may be NULL.
 */
int sbd_tl_verify(const uint8_t *buf, size_t len, const struct sbd_tl *tl,
    X509 *cert, int *signer_idx) SBD_WUR;

/* The certificate of record i, parsed; SBD_ERR_MISSING if it has none. */
int sbd_tl_record_cert(const struct sbd_tl *tl, size_t i, X509 **out) SBD_WUR;

/* One record to build. */
struct sbd_tl_entry {
	uint16_t role;
	X509 *cert;		/* NULL: an "empty" record (FORMATS.md 4.7) */
	const char *dns_name;	/* NULL: no DNSNAME element */
	int has_ip;
	uint8_t ip[4];
};

struct sbd_tl_opts {
	int hash;		/* SBD_HASH_SHA1 (default if 0) or SHA512 */
	const char *filename;	/* "ITLFile.tlv", "CTLFile.tlv" */
	int signer_version;	/* write tag 28 */
	uint8_t sv_major, sv_minor;
	uint32_t timestamp;	/* 0 = now */
};

/*
 * Build and sign a trust list as certutils >= 4 lays it out: header version
 * 1.2, records 1, [2], 3, 5, 6, 4, 7, 8, 9, [10].  Refuses a result over
 * SBD_TL_MAX bytes (SBD_ERR_TOOBIG) and certificates that are neither RSA
 * nor EC (SBD_ERR_KEY).
 */
int sbd_tl_build(const struct sbd_tl_opts *o, const struct sbd_tl_entry *e,
    size_t n, X509 *signer, EVP_PKEY *key, uint8_t **out,
    size_t *outlen) SBD_WUR;

/*
 * Re-sign an existing list with another key, as `utils itl reset` does:
 * the records are kept byte for byte, the header keeps version, signer
 * version, hash and filename and gets the new signer and timestamp
 * (0 = now).
 */
int sbd_tl_resign(const uint8_t *buf, size_t len, X509 *signer, EVP_PKEY *key,
    uint32_t timestamp, uint8_t **out, size_t *outlen,
    struct sbd_diag *d) SBD_WUR;

#endif
