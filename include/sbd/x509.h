/*
 * Certificates and keys: the views of X.509 that the trust-list formats
 * need, key generation, certificate creation and PKCS#12.
 *
 * All functions borrow their X509/EVP_PKEY arguments; results handed out
 * through out-parameters are owned by the caller.
 */
#ifndef SBD_X509_H
#define SBD_X509_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"

/*
 * A Name rendered as certutils >= 4 does (FORMATS.md 1.2): attributes in
 * DER order, each as RFC 4514 TYPE=value, joined with ','.
 */
int sbd_dn_string(const X509_NAME *n, char **out) SBD_WUR;

/* Raw unsigned big-endian serial, minimal length, no sign byte. */
int sbd_x509_serial(X509 *c, uint8_t **out, size_t *len) SBD_WUR;
/* Record public key: PKCS#1 RSAPublicKey DER, or EC uncompressed point. */
int sbd_x509_pubkey_record(X509 *c, uint8_t **out, size_t *len) SBD_WUR;
/* The certificate's signatureValue bytes (borrowed from c). */
int sbd_x509_sigvalue(X509 *c, const uint8_t **p, size_t *len) SBD_WUR;
int sbd_x509_der(X509 *c, uint8_t **out, size_t *len) SBD_WUR;
int sbd_x509_from_der(const uint8_t *p, size_t len, X509 **out) SBD_WUR;
/* Digest of the DER encoding; out must hold EVP_MAX_MD_SIZE. */
int sbd_x509_digest(X509 *c, const EVP_MD *md, uint8_t *out,
    unsigned *outlen) SBD_WUR;

/* PEM files.  A file may hold a certificate and its key (certutils). */
int sbd_cert_load(const char *path, X509 **out) SBD_WUR;
int sbd_key_load(const char *path, EVP_PKEY **out) SBD_WUR;
int sbd_cert_save(const char *path, X509 *c) SBD_WUR;	/* 0644, atomic */
int sbd_key_save(const char *path, EVP_PKEY *k) SBD_WUR;	/* 0600, atomic */
/* Does key k belong to certificate c? */
int sbd_key_matches(X509 *c, EVP_PKEY *k);

enum sbd_keytype {
	SBD_KEY_RSA = 0,
	SBD_KEY_EC = 1,
};

/* RSA: param is bits (512..4096).  EC: param is an OpenSSL curve NID. */
int sbd_key_generate(enum sbd_keytype t, int param, EVP_PKEY **out) SBD_WUR;
/* "P-256"/"prime256v1"/"secp384r1"... to a NID, or NID_undef. */
int sbd_curve_nid(const char *name);

/* What a new certificate is for; sets its extensions. */
enum sbd_cert_profile {
	SBD_CERT_SERVER = 0,	/* CallManager, TVS: serverAuth+clientAuth */
	SBD_CERT_CA = 1,	/* CAPF, ITLRecovery: may sign certificates */
	SBD_CERT_DEVICE = 2,	/* phone MIC/LSC test certificates */
	SBD_CERT_LSC = 3,	/* an LSC CAPF issues (FORMATS.md 8.5):
				 * serverAuth, clientAuth, ipsecEndSystem;
				 * subjectAltName URI = the CN */
};

struct sbd_cert_req {
	const char *cn;			/* required */
	const char *ou, *o, *l, *st, *c; /* optional, in that DER order */
	const char *dns;		/* optional subjectAltName DNS */
	int days;			/* validity, >= 1 */
	time_t not_before;		/* 0 = now */
	enum sbd_cert_profile profile;
	EVP_PKEY *key;			/* the subject's key; public only
					 * is enough with an issuer */
	X509 *issuer;			/* NULL = self-signed */
	EVP_PKEY *issuer_key;		/* required with issuer */
};

/* Create and sign a certificate (SHA-256, random positive 128-bit serial). */
int sbd_cert_create(const struct sbd_cert_req *r, X509 **out) SBD_WUR;

/* PKCS#12 (AES-256-CBC, PBKDF2) under a password. */
int sbd_p12_export(X509 *c, EVP_PKEY *k, const char *pass,
    const char *friendly, uint8_t **out, size_t *len) SBD_WUR;
int sbd_p12_import(const uint8_t *p, size_t len, const char *pass,
    X509 **c, EVP_PKEY **k) SBD_WUR;

#endif
