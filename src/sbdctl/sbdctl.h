/* sbdctl: shared declarations of the verb groups. */
#ifndef SBDCTL_H
#define SBDCTL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"

#define EXIT_USAGE 2

extern const char *progname;

/* Verb entry points: argv[0] is the verb word ("show", "sign"...). */
int cmd_tl_build(int argc, char **argv, int ctl);
int cmd_tl_show(int argc, char **argv, int ctl);
int cmd_tl_verify(int argc, char **argv, int ctl);
int cmd_tl_resign(int argc, char **argv, int ctl);
int cmd_sgn_sign(int argc, char **argv);
int cmd_sgn_show(int argc, char **argv);
int cmd_sgn_verify(int argc, char **argv);
int cmd_sgn_strip(int argc, char **argv);
int cmd_enc_build(int argc, char **argv);
int cmd_enc_show(int argc, char **argv);
int cmd_enc_decrypt(int argc, char **argv);
int cmd_cert_create(int argc, char **argv);
int cmd_cert_show(int argc, char **argv);
int cmd_cert_export_p12(int argc, char **argv);
int cmd_cert_import_p12(int argc, char **argv);

/* Print "sbdctl: msg" to stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "sbdctl: FILE: offset N: what" for a parser failure. */
void diag_err(const char *file, const struct sbd_diag *d);
/* Print a usage line for the current verb and return EXIT_USAGE. */
int usage_err(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole input file (cap max); messages name the file. */
int read_input(const char *path, size_t max, uint8_t **out, size_t *len);
/* Replace path atomically with p; mode 0644 or 0600. */
int write_output(const char *path, const void *p, size_t len, unsigned mode);
/* Load a certificate / private key, naming the file on failure. */
int load_cert(const char *path, X509 **out);
int load_key(const char *path, EVP_PKEY **out);
/* Signer from --signer (cert, maybe with key) and optional --key. */
int load_signer(const char *certpath, const char *keypath, X509 **cert,
    EVP_PKEY **key);
/* Parse "sha1"/"sha512" to enum sbd_hash; -1 if neither. */
int parse_hash(const char *s);
/* Parse an unsigned decimal in [lo, hi]; 0 on success. */
int parse_uint(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out);
/*
 * Read a password: from --password-file FILE, the environment variable
 * named by --password-env, or the terminal (prompt).  *out is malloc'ed and
 * must be cleansed by the caller.
 */
int read_password(const char *file, const char *env, const char *prompt,
    char **out);
/* Uppercase colon-separated hex ("61:40:52") into a static-free buffer. */
void hex_colon(const uint8_t *p, size_t n, char *out, size_t outsz);

#endif
