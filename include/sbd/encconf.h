/*
 * Encrypted phone configuration: SEP<MAC>.cnf.xml.enc.sgn and its short
 * companion SEP<MAC>.cnf.xml.sgn (FORMATS.md section 6).
 */
#ifndef SBD_ENCCONF_H
#define SBD_ENCCONF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/sighdr.h"

#define SBD_CONF_MAX (4 * 1024 * 1024)	/* a phone config is kilobytes */

struct sbd_enc_opts {
	int hash;		/* SBD_HASH_SHA1 (default if 0) or SHA512 */
	uint32_t timestamp;	/* 0 = now */
};

/*
 * The short config (FORMATS.md 6.1): fullConfig false, the original
 * ipAddressMode, loadInformation, capfAuthMode and capfList elements in
 * document order, certHash = lowercase hex MD5 of the device certificate
 * DER, encrConfig true.  xml must have root <device>.
 */
int sbd_enc_short_config(const uint8_t *xml, size_t len, X509 *device_cert,
    uint8_t **out, size_t *outlen) SBD_WUR;

/*
 * Build both files for the configuration named cnf_name ("SEP<MAC>.cnf.xml",
 * a relative name ending in .cnf.xml): *enc is the .enc.sgn (header 2.0,
 * FILENAME cnf_name.enc.sgn, AES-128-CBC with 0x0D padding, key wrapped
 * with RSAES-PKCS1-v1_5 to device_cert), *sgn the signed short config
 * (header 1.0, FILENAME cnf_name.sgn).  Both signed with cert/key.
 */
int sbd_enc_build(const uint8_t *xml, size_t len, const char *cnf_name,
    X509 *cert, EVP_PKEY *key, X509 *device_cert,
    const struct sbd_enc_opts *o, uint8_t **enc, size_t *enclen,
    uint8_t **sgn, size_t *sgnlen) SBD_WUR;

/* Parse an .enc.sgn header: version 2.x with every encryption element. */
int sbd_enc_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *h, struct sbd_diag *d) SBD_WUR;

/*
 * Decrypt with the device's private key: unwrap, AES-CBC, drop the pad
 * count, check the plaintext hash (SBD_ERR_HASH).  Does not check the file
 * signature: use sbd_sgn_verify_cert/_tl for that.
 */
int sbd_enc_decrypt(const uint8_t *buf, size_t len, const struct sbd_sighdr *h,
    EVP_PKEY *device_key, uint8_t **plain, size_t *plainlen) SBD_WUR;

#endif
