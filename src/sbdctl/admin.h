/*
 * Shared pieces of the CUCM cluster verbs (admin.c): which node a verb
 * runs on, the publisher-only rule, yes/no prompts, waiting for nodes,
 * TFTP restarts, the reset hook and the ITLRecovery key.
 */
#ifndef SBDCTL_ADMIN_H
#define SBDCTL_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/store.h"
#include "sbdctl.h"

/*
 * The node the verb acts as: opt (--node), else $SBD_NODE, else the
 * publisher.  Prints "sbdctl: node X: not in the cluster" and returns -1
 * for an unknown node.
 */
int admin_node(struct sbd_store *st, const char *dir, const char *opt,
    struct sbd_node *out);

/* 0 on the publisher; else prints CUCM's "This is not a Publisher Node"
 * on stdout and returns -1. */
int admin_publisher_only(const struct sbd_node *n);

/*
 * Print prompt and read an answer line from standard input (a terminal
 * or a pipe).  1 when the answer is yes (or assume_yes, in which case
 * nothing is read and "yes" is echoed after the prompt), 0 for anything
 * else, end of input included.  y_n: the answer is "y" or "yes" for
 * [y/n] prompts; otherwise only "yes" is yes, as CUCM's (yes|no).
 */
int admin_confirm(const char *prompt, int assume_yes, int y_n);

/* The pid of the node's running sbdd from its node state, 0 if none
 * runs (state pid 0, no state, or no such process). */
int64_t admin_node_pid(struct sbd_store *st, const char *node);

/*
 * Wait at most wait_s seconds until node's running sbdd serves store
 * generation gen (state.gen >= gen).  0 when it does, 1 when no sbdd runs
 * for the node, -1 on timeout or store failure (message printed).
 */
int admin_wait_gen(struct sbd_store *st, const char *node, int64_t gen,
    unsigned wait_s);
/* The same for TFTP restart number req (state.tftp_restart >= req). */
int admin_wait_restart(struct sbd_store *st, const char *node, int64_t req,
    unsigned wait_s);

#define ADMIN_WAIT_S	10	/* default --wait */
#define ADMIN_HOOK_S	30	/* default --hook-timeout */
#define ADMIN_WAIT_MAX	3600

/*
 * The value of a --wait or --hook-timeout option: seconds, lo to
 * ADMIN_WAIT_MAX.  0, or the usage message printed and EXIT_USAGE.
 */
int admin_parse_secs(const char *usage, const char *opt, const char *s,
    unsigned lo, unsigned *out);

/*
 * Reset phones: run the reset_hook parameter with /bin/sh -c, the device
 * names (NULL: every device of the store) on its standard input one per
 * line, SBD_RESET_REASON=reason and SBD_DATA=dir in its environment,
 * bounded by timeout_s (killed after it).  Writes an audit entry.  0 when
 * the hook exited 0; 1 when no hook is set (prints how to set one and
 * the number of phones to reset by hand); -1 on failure (printed).
 */
int admin_reset_devices(struct sbd_store *st, const char *dir,
    char *const *names, size_t n, const char *reason, unsigned timeout_s);

/*
 * The publisher's ITLRecovery.p12 path (DATA/nodes/PUB/pki/ITLRecovery.p12)
 * into buf; -1 if it does not fit.
 */
int admin_p12_path(const char *dir, const char *pub, char *buf, size_t cap);
/*
 * Make a replaced ITLRecovery.p12 durable: p12 bytes are written to
 * PATH.new before the store commit that makes them current, and renamed
 * over PATH after it (admin_p12_commit).  A PATH.new left by a killed
 * command is finished (renamed) by admin_p12_load when its certificate is
 * the publisher's active ITLRecovery in the store, removed otherwise.
 */
int admin_p12_stage(const char *path, const uint8_t *p12, size_t len);
int admin_p12_commit(const char *path);
/*
 * Open the publisher's ITLRecovery.p12 with the security password pw:
 * its certificate and key.  Messages name the file.
 */
int admin_p12_load(struct sbd_store *st, const char *dir, const char *pw,
    X509 **cert, EVP_PKEY **key);

/*
 * Read the cluster security password (prompt, --password-file or
 * --password-env as read_password) and check it against the store's
 * verifier: "sbdctl: wrong security password" and -1 when it does not
 * match.  *out malloc'ed; cleanse and free it.
 */
int admin_security_password(struct sbd_store *st, const char *file,
    const char *env, const char *prompt, char **out);

/* ---- regen.c: new certificates, shared with set network (network.c) */

/*
 * A new key (like cur's, or ks when not NULL) and a certificate for role
 * (SBD_CR_CALLMANAGER, _TVS, _CAPF or _ITLRECOVERY, with cert_role()'s
 * preset) for host fqdn, written to a new file DATA/nodes/NODE/pki/
 * ROLE-T.pem that nothing uses yet.  An ITLRecovery certificate keeps
 * cur's subject (fqdn is not used): phones hold the publisher's original
 * name.  sc gets the store row for node (active), path the file's full
 * path, *cert and *key the pair.  0, or -1 with a message.
 */
int regen_cert_new(const char *dir, const char *node, const char *fqdn,
    const char *role, X509 *cur, const struct keyspec *ks,
    struct sbd_store_cert *sc, char *path, size_t cap, X509 **cert,
    EVP_PKEY **key);

/*
 * Wait at most wait_s seconds for each node whose sbdd runs to serve
 * store generation gen, printing "Node N serves the new WHAT." for each
 * that does.  0 when all that run do, -1 otherwise (printed).
 */
int regen_wait_nodes(struct sbd_store *st, const char *dir,
    const char *what, int64_t gen, unsigned wait_s);

#endif
