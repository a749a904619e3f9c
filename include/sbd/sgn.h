/*
 * Signed files: HEADER then the original payload (FORMATS.md section 5).
 */
#ifndef SBD_SGN_H
#define SBD_SGN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/sighdr.h"
#include "sbd/trustlist.h"

#define SBD_SGN_MAX ((size_t)512 * 1024 * 1024)	/* firmware can be large */
#define SBD_FILENAME_MAX 255

/*
 * Is name acceptable as a FILENAME element: relative, no "..", no empty or
 * "." component, no backslash, no control characters, 1..SBD_FILENAME_MAX
 * bytes?  Returns 0 if so.
 */
int sbd_sgn_filename_ok(const char *name);

/*
 * Sign payload: header version 1.0, FILENAME filename (see
 * sbd_sgn_filename_ok), timestamp (0 = now), hash SHA1 or SHA512.
 */
int sbd_sgn_sign(const uint8_t *payload, size_t len, const char *filename,
    int hash, uint32_t timestamp, X509 *cert, EVP_PKEY *key, uint8_t **out,
    size_t *outlen) SBD_WUR;

/* Parse the header of a signed file; the payload is buf + h->hdr_len. */
int sbd_sgn_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *h, struct sbd_diag *d) SBD_WUR;

/* Verify against one certificate (it must be the one the header names). */
int sbd_sgn_verify_cert(const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, X509 *cert) SBD_WUR;

/*
 * Verify against a trust list: the signer must be a record with role TFTP
 * or CCM+TFTP whose serial (and issuer, where both have one) match the
 * header.  *rec_idx (may be NULL) gets the record used.
 */
int sbd_sgn_verify_tl(const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, const struct sbd_tl *tl,
    int *rec_idx) SBD_WUR;

/*
 * Strip: check that tags 1 and 2 come first and return the payload bounds
 * (FORMATS.md 5.2).  No signature check.
 */
int sbd_sgn_strip(const uint8_t *buf, size_t len, const uint8_t **payload,
    size_t *plen, struct sbd_diag *d) SBD_WUR;

#endif
