/* Unit-test helpers: keys, certificates and fixture files. */
#ifndef HELPER_PKI_H
#define HELPER_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A self-signed RSA certificate with CN cn; fails the test on error. */
void th_rsa_cert(int bits, const char *cn, X509 **cert, EVP_PKEY **key);
/* The same with an EC key (curve NID), self-signed by that key. */
void th_ec_cert(int nid, const char *cn, X509 **cert, EVP_PKEY **key);
/* Read tests/data/<rel>; fails the test on error.  Free with free(). */
uint8_t *th_read(const char *rel, size_t *len);

#endif
