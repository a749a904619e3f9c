/*
 * The cluster store's backend interface (private to libsbd).
 *
 * lib/store.c validates every argument, normalises MAC addresses and
 * SHA-1 strings, stamps creation times and brackets each mutation in a
 * transaction; a backend only moves validated structs in and out of its
 * database.  A new backend (PostgreSQL) is one more table of these
 * operations: callers of include/sbd/store.h do not change.
 *
 * Each backend defines its own struct sbd_store_be.  Functions return 0
 * or a negative enum sbd_err and keep the text of their last failure for
 * errmsg().  Out-parameters follow include/sbd/store.h.
 */
#ifndef SBD_STORE_INT_H
#define SBD_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sbd/store.h"

struct sbd_store_be;

/* What sbdd noted about a device (sbd_store_device_note_*). */
enum sbd_store_note {
	SBD_NOTE_ITL,
	SBD_NOTE_CONFIG,
	SBD_NOTE_REPORTED,
};

struct sbd_store_ops {
	/*
	 * Open path (flags as for sbd_store_open) and apply migrations; on
	 * failure the reason goes to msg, as there is no handle to ask.
	 */
	int (*open)(const char *path, unsigned flags,
	    struct sbd_store_be **out, char *msg, size_t cap);
	void (*close)(struct sbd_store_be *be);
	const char *(*errmsg)(const struct sbd_store_be *be);
	int (*schema)(struct sbd_store_be *be, int *version);
	int (*generation)(struct sbd_store_be *be, int64_t *gen);

	/*
	 * nested = 0: the outer transaction, taking the write lock at once;
	 * nested = 1: a savepoint inside it, so that one failed operation
	 * in a caller's transaction leaves no half of itself behind.
	 */
	int (*begin)(struct sbd_store_be *be, int nested);
	int (*commit)(struct sbd_store_be *be, int nested);
	void (*rollback)(struct sbd_store_be *be, int nested);

	int (*cluster_get)(struct sbd_store_be *be, struct sbd_cluster *out);
	/* create: insert the row; otherwise update it (not created). */
	int (*cluster_put)(struct sbd_store_be *be,
	    const struct sbd_cluster *c, int create);

	int (*node_put)(struct sbd_store_be *be, const struct sbd_node *n,
	    int add);
	/* name NULL: the publisher. */
	int (*node_get)(struct sbd_store_be *be, const char *name,
	    struct sbd_node *out);
	int (*node_list)(struct sbd_store_be *be, struct sbd_node **out,
	    size_t *n);
	/*
	 * rename: every reference of store.h's list, old_pfx/new_pfx
	 * ("nodes/OLD/", "nodes/NEW/") rewritten in certificate paths, and
	 * the record (at); no node old is SBD_ERR_NOTFOUND.  renamed_to:
	 * the first rename of name with an id above after,
	 * SBD_ERR_NOTFOUND when none.
	 */
	int (*node_rename)(struct sbd_store_be *be, const char *old,
	    const char *new_name, const char *old_pfx, const char *new_pfx,
	    int64_t at);
	int (*node_renamed_to)(struct sbd_store_be *be, const char *name,
	    int64_t after, struct sbd_node_rename *out);
	int (*node_rename_pending)(struct sbd_store_be *be,
	    struct sbd_node_rename **out, size_t *n);
	int (*node_rename_moved)(struct sbd_store_be *be, int64_t id);
	/* Add 1 to node's tftp_restart; the new number into *req. */
	int (*node_restart_tftp)(struct sbd_store_be *be, const char *node,
	    int64_t *req);

	/* set replaces node's row; clear of an absent row is 0. */
	int (*itl_reset_set)(struct sbd_store_be *be, const char *node,
	    const uint8_t *der, size_t len, int64_t restart, int64_t created);
	int (*itl_reset_get)(struct sbd_store_be *be, const char *node,
	    uint8_t **der, size_t *len, int64_t *restart);
	int (*itl_reset_clear)(struct sbd_store_be *be, const char *node);

	/* set inserts or replaces node s->node's row. */
	int (*node_state_set)(struct sbd_store_be *be,
	    const struct sbd_node_state *s);
	int (*node_state_get)(struct sbd_store_be *be, const char *node,
	    struct sbd_node_state *out);

	/* sha1 is the lowercase hex of der's; a known sha1 changes nothing. */
	int (*itl_seen_add)(struct sbd_store_be *be, const char *sha1,
	    const char *node, const uint8_t *der, size_t len, int64_t when);
	int (*itl_seen_get)(struct sbd_store_be *be, const char *sha1,
	    uint8_t **der, size_t *len);

	int (*cert_add)(struct sbd_store_be *be, struct sbd_store_cert *c);
	int (*cert_get)(struct sbd_store_be *be, const char *node,
	    const char *role, struct sbd_store_cert *out);
	int (*cert_list)(struct sbd_store_be *be, const char *node,
	    int active_only, struct sbd_store_cert **out, size_t *n);

	/* add: insert; otherwise update the configuration columns. */
	int (*device_put)(struct sbd_store_be *be, const struct sbd_device *d,
	    int add);
	int (*device_remove)(struct sbd_store_be *be, const char *mac);
	int (*device_get)(struct sbd_store_be *be, const char *mac,
	    struct sbd_device *out);
	int (*device_list)(struct sbd_store_be *be, struct sbd_device **out,
	    size_t *n);
	/* sha1 is ignored for SBD_NOTE_CONFIG; an unknown mac is no error. */
	int (*device_note)(struct sbd_store_be *be, enum sbd_store_note what,
	    const char *mac, const char *sha1, int64_t when);

	/* Only the capf_* columns; SBD_ERR_NOTFOUND for an unknown mac. */
	int (*device_capf)(struct sbd_store_be *be, const char *mac,
	    const struct sbd_capf_task *t);

	int (*trust_add)(struct sbd_store_be *be, const struct sbd_trust *t);
	int (*trust_remove)(struct sbd_store_be *be, const char *sha256);
	int (*trust_list)(struct sbd_store_be *be, struct sbd_trust **out,
	    size_t *n);

	int (*param_get)(struct sbd_store_be *be, const char *name, char *val,
	    size_t cap);
	int (*param_set)(struct sbd_store_be *be, const char *name,
	    const char *val);

	/* Sets a->id. */
	int (*alarm_add)(struct sbd_store_be *be, struct sbd_alarm *a);
	int (*alarm_last)(struct sbd_store_be *be, const char *name,
	    struct sbd_alarm *out);
	int (*alarm_list)(struct sbd_store_be *be, size_t max,
	    struct sbd_alarm **out, size_t *n);

	int (*audit_add)(struct sbd_store_be *be, const struct sbd_audit *a);
	int (*audit_list)(struct sbd_store_be *be, size_t max,
	    struct sbd_audit **out, size_t *n);
};

extern const struct sbd_store_ops sbd_store_sqlite_ops;

#endif
