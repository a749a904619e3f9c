/* sbdctl: shared declarations of the verb groups. */
#ifndef SBDCTL_H
#define SBDCTL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/x509.h"

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
int cmd_tvs_query(int argc, char **argv);
int cmd_trust_add(int argc, char **argv);
int cmd_trust_list(int argc, char **argv);
int cmd_trust_remove(int argc, char **argv);
int cmd_device_capf(int argc, char **argv);
/* The CUCM cluster verbs (admin.c, regen.c, itlreset.c, report.c,
 * fileget.c, network.c). */
int cmd_set_cert_regen(int argc, char **argv);
int cmd_set_password_security(int argc, char **argv);
int cmd_set_network(int argc, char **argv);
int cmd_device_reset(int argc, char **argv);
int cmd_param_set(int argc, char **argv);
int cmd_param_show(int argc, char **argv);
int cmd_utils_itl_reset(int argc, char **argv);
int cmd_utils_service(int argc, char **argv);
int cmd_file_get_tftp(int argc, char **argv);
int cmd_report_itl(int argc, char **argv);
int cmd_plan_cert_regen(int argc, char **argv);
int cmd_alarm_list(int argc, char **argv);

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
/* A certificate file's DER (OPENSSL_free), naming the file on failure. */
int load_cert_der(const char *path, uint8_t **der, size_t *len);
/* The subject of a DER certificate, malloc'ed; NULL if unparsable. */
char *der_subject(const uint8_t *der, size_t len);
/* Signer from --signer (cert, maybe with key) and optional --key. */
int load_signer(const char *certpath, const char *keypath, X509 **cert,
    EVP_PKEY **key);
/* A key to generate: --key of cluster init, node add, set cert regen. */
struct keyspec {
	enum sbd_keytype type;
	int param;		/* RSA bits or EC curve NID */
};
#define KEYSPEC_RSA_DEFAULT	2048
/* "rsa" (2048 bits), "rsa:BITS" (512..4096) or "ec:CURVE"; -1 if not. */
int parse_keyspec(const char *s, struct keyspec *ks);
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
/*
 * A new security password: read as read_password (prompt), asked again
 * with again when typed at the terminal, at least SECURITY_PASSWORD_MIN
 * characters.  *out malloc'ed; release it with free_secret.
 */
#define SECURITY_PASSWORD_MIN	8
int read_new_password(const char *file, const char *env, const char *prompt,
    const char *again, char **out);
/* Cleanse and free a NUL-terminated secret (NULL: no-op). */
void free_secret(char *s);
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
 * Options (getopt_long with opterr off).  opt_default serves as the
 * default case of a verb's option switch: --help prints the usage and
 * returns 0, any other option getopt_long did not take is a usage error
 * (EXIT_USAGE).  extra_operand reports argv[optind] as unexpected
 * (EXIT_USAGE).
 */
int opt_default(const char *usage, char **argv, int ch);
int extra_operand(const char *usage, char **argv);
/*
 * The options of the verbs that take no others: -d DIR, --help, and
 * --node HOST and --json where node and json are not NULL.  -1 when the
 * verb goes on with its operands at argv[optind], else the exit code.
 */
int store_opts(int argc, char **argv, const char *usage, const char **dopt,
    const char **node, int *json);

/*
 * The cluster store.  The data directory is -d DIR, else $SBD_DATA, else
 * ./var; the store is DIR/store.db.  Messages name the store.
 */
struct sbd_store;
const char *data_dir(const char *opt);
/* DIR/store.db into buf; -1 when it does not fit. */
int store_path(const char *dir, char *buf, size_t cap);
/* Open DIR's store ("no cluster" when it is absent). */
int open_store(const char *dir, unsigned flags, struct sbd_store **out);
/* "sbdctl: DIR/store.db: what: reason" for a failed store call. */
void store_warn(struct sbd_store *st, const char *dir, const char *what,
    int err);
/*
 * The start of the list verbs: store_opts, no operands, and *dir's store
 * opened read-only as *st.  -1 to go on, else the exit code.
 */
int list_open(int argc, char **argv, const char *usage, int *json,
    const char **dir, struct sbd_store **st);
/*
 * A change: store_begin opens the store and begins its transaction;
 * store_commit writes the audit entry of action (as audit_actor) and
 * commits, warning "what" on failure; store_end rolls back whatever was
 * not committed and closes the store (NULL: no-op).
 */
int store_begin(const char *dir, unsigned flags, struct sbd_store **out);
int store_commit(struct sbd_store *st, const char *dir, const char *what,
    const char *action, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void store_end(struct sbd_store *st);
/*
 * A remove verb's change: rm(st, key) (sbd_store_device_remove,
 * sbd_store_trust_remove) audited as action with detail name, then
 * "removed NAME".  absent is the message when there is no such row, what
 * says what failed when the store does.  0 or -1.
 */
int store_remove(const char *dir, int (*rm)(struct sbd_store *, const char *),
    const char *key, const char *name, const char *absent, const char *what,
    const char *action);
/*
 * Host and domain names become directory names and certificate CNs:
 * letters, digits, '-', '_' and '.', not starting with '.' or '-', and
 * shorter than SBD_NAME_MAX.
 */
int name_ok(const char *s);
/* Does s hold no control characters? */
int printable(const char *s);
/* The audit log's actor: "sbdctl:$USER". */
void audit_actor(char *buf, size_t cap);

#endif
