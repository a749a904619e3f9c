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
int cmd_cluster_init(int argc, char **argv);
int cmd_node_add(int argc, char **argv);
int cmd_node_list(int argc, char **argv);
int cmd_ctl_set_cluster(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_device_add(int argc, char **argv);
int cmd_device_list(int argc, char **argv);
int cmd_device_show(int argc, char **argv);
int cmd_device_remove(int argc, char **argv);

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

/*
 * The certificates a CUCM node generates (cert.c): the preset of a role
 * ("callmanager", "tvs", "capf", "itlrecovery", "device"), or NULL.
 */
struct cert_role;
struct sbd_cert_req;
const struct cert_role *cert_role(const char *name);
/*
 * Set req's validity and profile to r's presets and, when host is not
 * NULL, its CN to the role's name for host (*cn gets the malloc'ed CN,
 * NULL without host).  0, or -1 when out of memory.
 */
int cert_role_req(const struct cert_role *r, const char *host,
    struct sbd_cert_req *req, char **cn);
/*
 * Write a certificate and its key as PEM: both in certpath (0600) when
 * keypath is NULL, else the key in keypath (0600) and the certificate in
 * certpath (0644).  Messages name the file; verbose prints the paths.
 */
int write_cert_key(const char *certpath, const char *keypath, X509 *c,
    EVP_PKEY *k, int verbose);

/*
 * The cluster verbs (cluster.c, device.c).  The data directory is -d DIR,
 * else $SBD_DATA, else ./var; the store is DIR/store.db.
 */
struct sbd_store;
const char *data_dir(const char *opt);
/* Open DIR's store; messages name it ("no cluster" when it is absent). */
int open_store(const char *dir, unsigned flags, struct sbd_store **out);
/* "sbdctl: DIR/store.db: what: reason" for a failed store call. */
void store_warn(struct sbd_store *st, const char *dir, const char *what,
    int err);
/* Does s hold no control characters? */
int printable(const char *s);
/* The audit log's actor: "sbdctl:$USER". */
void audit_actor(char *buf, size_t cap);
/* Report a getopt_long failure (opterr is off) and return EXIT_USAGE. */
int getopt_failed(const char *usage, char **argv, int ch);

#endif
