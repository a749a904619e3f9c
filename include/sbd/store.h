/*
 * The cluster store: the cluster, its nodes, certificates, devices,
 * enterprise parameters and the audit log.
 *
 * Callers see only this interface.  The embedded backend is SQLite in WAL
 * mode (lib/store_sqlite.c); a PostgreSQL backend can be added behind the
 * same functions (lib/store.c dispatches through a table of operations).
 * Schema changes are numbered migrations applied in order at open time.
 *
 * Private keys never enter the store: certificates are referenced by the
 * paths of their PEM files, relative to the data directory (the directory
 * that holds the store), so a data directory can be moved whole.
 *
 * Strings in the structs below are NUL-terminated and bounded by their
 * arrays; setters refuse (SBD_ERR_INVAL) a value that does not fit.
 * Every function returns 0 or a negative enum sbd_err; lookups of an
 * absent object return SBD_ERR_NOTFOUND, inserts of an existing one
 * SBD_ERR_EXISTS, a locked database that stays locked past the busy
 * timeout SBD_ERR_BUSY, any other backend failure SBD_ERR_STORE (details
 * in sbd_store_errmsg()).
 */
#ifndef SBD_STORE_H
#define SBD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sbd/err.h"

#define SBD_STORE_FILE		"store.db"	/* inside the data directory */
#define SBD_NAME_MAX		64	/* cluster, node, host, domain names */
#define SBD_PATH_MAX		256	/* relative paths in the store */
#define SBD_MAC_LEN		12	/* hex digits of a MAC address */
#define SBD_DEVNAME_MAX		16	/* "SEP" + 12 hex digits */
#define SBD_MODEL_MAX		32
#define SBD_TVS_MAX		3	/* TVS servers in a CallManager group */
#define SBD_PARAM_MAX		256	/* enterprise parameter values */
#define SBD_DEVCERT_MAX		16384	/* a device certificate's DER */

struct sbd_store;

enum sbd_store_flags {
	SBD_STORE_CREATE = 1 << 0,	/* create the file if absent */
	SBD_STORE_RDONLY = 1 << 1,
	SBD_STORE_DURABLE = 1 << 2,	/* a commit survives a power cut once
					 * it returns (SQLite: synchronous=
					 * FULL), as an administrator's change
					 * that files outside the store follow
					 * must */
};

/*
 * Open the store at url: a file path, or "sqlite:PATH".  Applies pending
 * migrations (in one transaction) unless RDONLY.  A missing file without
 * SBD_STORE_CREATE is SBD_ERR_NOTFOUND.  The SQLite backend sets WAL,
 * foreign keys, synchronous=NORMAL (FULL with SBD_STORE_DURABLE) and a
 * busy timeout of 5 s.
 */
int sbd_store_open(const char *url, unsigned flags, struct sbd_store **out)
    SBD_WUR;
void sbd_store_close(struct sbd_store *st);	/* NULL is a no-op */

/*
 * The backend's last error text, for messages; never NULL.  With st NULL:
 * the reason the last sbd_store_open of this thread failed.
 */
const char *sbd_store_errmsg(const struct sbd_store *st);

/* Schema version after migrations (SBD_STORE_SCHEMA when current). */
#define SBD_STORE_SCHEMA	4
int sbd_store_schema(struct sbd_store *st, int *version) SBD_WUR;

/*
 * Transactions.  begin takes the write lock at once (BEGIN IMMEDIATE), so
 * a read-then-write sequence cannot be overtaken.  Calls may not nest.
 * Every mutating function below is atomic on its own; wrap several in
 * begin/commit to make them atomic together.
 */
int sbd_store_begin(struct sbd_store *st) SBD_WUR;
int sbd_store_commit(struct sbd_store *st) SBD_WUR;
void sbd_store_rollback(struct sbd_store *st);

/*
 * A change counter, bumped by every committed change to nodes,
 * certificates, devices, parameters or the cluster row.  sbdd compares it
 * to know when to rebuild what it serves.
 */
int sbd_store_generation(struct sbd_store *st, int64_t *gen) SBD_WUR;

/* ---- the cluster (one row) ----------------------------------------- */

enum sbd_ctl_mode {
	SBD_CTL_NONE = 0,	/* non-secure: no CTL is served */
	SBD_CTL_MIXED = 1,	/* mixed mode: tokenless CTL served */
};

struct sbd_cluster {
	char name[SBD_NAME_MAX];
	/* PBKDF2-HMAC-SHA256 verifier of the security password. */
	uint8_t pw_salt[16];
	uint8_t pw_verifier[32];
	uint32_t pw_iter;
	enum sbd_ctl_mode ctl_mode;
	int64_t created;	/* Unix time */
};

int sbd_store_cluster_get(struct sbd_store *st, struct sbd_cluster *out)
    SBD_WUR;
/* Insert (SBD_ERR_EXISTS if a cluster exists) or update the one row. */
int sbd_store_cluster_create(struct sbd_store *st,
    const struct sbd_cluster *c) SBD_WUR;
int sbd_store_cluster_update(struct sbd_store *st,
    const struct sbd_cluster *c) SBD_WUR;

/* Fill c's salt/verifier/iter for password pw (fresh random salt). */
int sbd_password_verifier_new(const char *pw, struct sbd_cluster *c) SBD_WUR;
/* 0 if pw matches c's verifier (constant time), SBD_ERR_PASSWORD if not. */
int sbd_password_check(const char *pw, const struct sbd_cluster *c) SBD_WUR;

/* ---- nodes ------------------------------------------------------------ */

enum sbd_svc {
	SBD_SVC_TFTP = 1 << 0,
	SBD_SVC_TVS = 1 << 1,
	SBD_SVC_CAPF = 1 << 2,
};

struct sbd_node {
	char name[SBD_NAME_MAX];	/* host name, e.g. "cucm-pub" */
	char domain[SBD_NAME_MAX];	/* may be empty */
	int publisher;			/* exactly one node is */
	unsigned services;		/* enum sbd_svc bits */
	char addr[SBD_NAME_MAX];	/* listen address, e.g. "127.0.0.1" */
	uint16_t tftp_port, http_port, tvs_port, capf_port;
	int64_t tftp_restart;		/* TFTP restart requests so far (see
					 * sbd_store_node_restart_tftp) */
	int64_t created;
};

/* Insert a node; a second publisher is SBD_ERR_EXISTS. */
int sbd_store_node_add(struct sbd_store *st, const struct sbd_node *n) SBD_WUR;
int sbd_store_node_update(struct sbd_store *st, const struct sbd_node *n)
    SBD_WUR;
int sbd_store_node_get(struct sbd_store *st, const char *name,
    struct sbd_node *out) SBD_WUR;
int sbd_store_node_publisher(struct sbd_store *st, struct sbd_node *out)
    SBD_WUR;
/* All nodes, publisher first then by name; *out malloc'ed (free()). */
int sbd_store_node_list(struct sbd_store *st, struct sbd_node **out,
    size_t *n) SBD_WUR;

/*
 * Renaming a node (schema 4): a host name change (sbdctl set network
 * hostname).  sbd_store_node_rename gives node old the name new_name, and
 * with it every reference to the node: its certificates, the TVS slots of
 * devices, its reset ITL and its node state.  Certificate and key paths
 * under nodes/OLD/ become nodes/NEW/ (the layout of sbd/cluster.h), and
 * the rename is recorded.  The caller moves DATA/nodes/OLD to
 * DATA/nodes/NEW after the commit and then marks the record moved;
 * sbd_node_renames_settle (sbd/cluster.h) finishes the move for a caller
 * that was killed in between.  History (audit, alarms, ITLs seen) keeps
 * the old name.  SBD_ERR_NOTFOUND: no node old; SBD_ERR_EXISTS: a node
 * new_name exists.
 */
#define SBD_RENAMES_MAX		16	/* renames followed in one lookup */

struct sbd_node_rename {
	int64_t id;			/* set by rename, in order */
	char old_name[SBD_NAME_MAX];
	char new_name[SBD_NAME_MAX];
	int64_t at;			/* sbd_now() */
	int moved;			/* DATA/nodes/OLD is DATA/nodes/NEW */
};

int sbd_store_node_rename(struct sbd_store *st, const char *old,
    const char *new_name) SBD_WUR;
/*
 * The name that the node once called name has now, following its renames
 * (at most SBD_RENAMES_MAX), for an sbdd started under the old one.
 * SBD_ERR_NOTFOUND if name was never renamed, or its last name is not a
 * node.
 */
int sbd_store_node_renamed(struct sbd_store *st, const char *name,
    char out[SBD_NAME_MAX]) SBD_WUR;
/*
 * The renames not marked moved, oldest first; *out malloc'ed (free()).
 * Marking one moved is a change: every sbdd then finds the node's files
 * where the store says they are.
 */
int sbd_store_node_rename_pending(struct sbd_store *st,
    struct sbd_node_rename **out, size_t *n) SBD_WUR;
int sbd_store_node_rename_moved(struct sbd_store *st, int64_t id) SBD_WUR;

/*
 * TFTP restarts (schema 3).  A node's ITL is rebuilt from the store on
 * every change, except while a reset ITL (utils itl reset) is in service:
 * that one is served from the TFTP restart it was made for until the next
 * one, as CUCM's is.  Restarts are numbered per node:
 *
 *   - sbd_store_node_restart_tftp asks node for a TFTP restart: it adds 1
 *     to node.tftp_restart (a change, so the node's sbdd notices within a
 *     second) and returns the new number in *req.
 *   - sbdd honours the highest number it sees, and records it in its
 *     node state.  At start-up sbdd is itself a restart: it honours a
 *     number nobody has honoured yet, else asks for a new one.
 *   - A reset ITL is stored for the restart number that brings it into
 *     service (sbd_store_itl_reset_set); sbdd serves it while that number
 *     is the one it honours, and clears it once a later one is.
 */
int sbd_store_node_restart_tftp(struct sbd_store *st, const char *node,
    int64_t *req) SBD_WUR;

/*
 * The ITL that node must serve for TFTP restart number restart, instead
 * of the one built from the store (at most one per node: set replaces).
 * get: SBD_ERR_NOTFOUND when there is none; *der malloc'ed.
 */
int sbd_store_itl_reset_set(struct sbd_store *st, const char *node,
    const uint8_t *der, size_t len, int64_t restart) SBD_WUR;
int sbd_store_itl_reset_get(struct sbd_store *st, const char *node,
    uint8_t **der, size_t *len, int64_t *restart) SBD_WUR;
int sbd_store_itl_reset_clear(struct sbd_store *st, const char *node)
    SBD_WUR;

/*
 * What a node's sbdd last did, written by sbdd after every successful
 * (re)load and at exit, read by sbdctl to know that a change or a
 * restart has reached the node.  Writing it is not a change (the
 * generation does not move).  get: SBD_ERR_NOTFOUND when no sbdd ever ran
 * for node.
 */
struct sbd_node_state {
	char node[SBD_NAME_MAX];
	int64_t pid;			/* sbdd's; 0 after it stopped */
	int64_t gen;			/* the store generation it serves */
	int64_t tftp_restart;		/* the restart number it honours */
	char itl_sha1[41];		/* SHA-1 of the ITLFile.tlv it serves */
	char itl_signer[16];		/* SBD_CR_CALLMANAGER, or
					 * SBD_CR_ITLRECOVERY for a reset ITL */
	int64_t at;			/* sbd_now() when written */
};

int sbd_store_node_state_set(struct sbd_store *st,
    const struct sbd_node_state *s) SBD_WUR;
int sbd_store_node_state_get(struct sbd_store *st, const char *node,
    struct sbd_node_state *out) SBD_WUR;

/*
 * Every ITL a node has served (schema 3), by the SHA-1 of the file, so a
 * phone's reported or served SHA-1 can be turned back into the records it
 * holds (report itl, plan cert regen).  sbdd adds the file it serves
 * after each load; adding a known SHA-1 is a no-op (returns 0).  Not a
 * change.  get: SBD_ERR_NOTFOUND for an unknown SHA-1; *der malloc'ed.
 */
int sbd_store_itl_seen_add(struct sbd_store *st, const char *node,
    const uint8_t *der, size_t len, int64_t when) SBD_WUR;
int sbd_store_itl_seen_get(struct sbd_store *st, const char *sha1,
    uint8_t **der, size_t *len) SBD_WUR;

/* ---- certificates ----------------------------------------------------- */

/* Roles are CUCM's certificate unit names. */
#define SBD_CR_CALLMANAGER	"CallManager"
#define SBD_CR_TVS		"TVS"
#define SBD_CR_CAPF		"CAPF"
#define SBD_CR_ITLRECOVERY	"ITLRecovery"

struct sbd_store_cert {
	int64_t id;			/* set by add */
	char node[SBD_NAME_MAX];
	char role[16];			/* SBD_CR_* */
	char cert_path[SBD_PATH_MAX];	/* relative to the data directory */
	char key_path[SBD_PATH_MAX];	/* may equal cert_path */
	char sha1[41];			/* lowercase hex of the DER's SHA-1 */
	int64_t created;
	int active;			/* the node's current one for role */
};

/*
 * Record a node's new certificate for role and make it the active one
 * (the previous active one of that node and role becomes inactive, kept
 * for history).  Unknown node: SBD_ERR_NOTFOUND.  Sets c->id.
 */
int sbd_store_cert_add(struct sbd_store *st, struct sbd_store_cert *c)
    SBD_WUR;
/* The active certificate of node for role. */
int sbd_store_cert_get(struct sbd_store *st, const char *node,
    const char *role, struct sbd_store_cert *out) SBD_WUR;
/*
 * Certificates of node (NULL: every node), only the active ones if
 * active_only, ordered by node, role, id.  *out malloc'ed (free()).
 */
int sbd_store_cert_list(struct sbd_store *st, const char *node,
    int active_only, struct sbd_store_cert **out, size_t *n) SBD_WUR;

/* ---- devices -------------------------------------------------------- */

enum sbd_profile {
	SBD_PROFILE_NONSECURE = 0,
	SBD_PROFILE_AUTH = 1,		/* authenticated: signed config */
	SBD_PROFILE_ENCRYPTED = 2,	/* encrypted config */
};

/*
 * A device's CAPF task (FORMATS.md 8), as CUCM's phone page sets it: the
 * operation to run at the phone's next CAPF session, how the phone must
 * authenticate, and the key it must generate.
 */
enum sbd_capf_op {
	SBD_CAPF_OP_NONE = 0,
	SBD_CAPF_OP_INSTALL = 1,	/* install or upgrade the LSC */
	SBD_CAPF_OP_FETCH = 2,		/* read the phone's certificate */
	SBD_CAPF_OP_DELETE = 3,		/* remove the phone's LSC */
};

/* CAPF AUTH_TYPE codes (FORMATS.md 8.2), CUCM's capfAuthMode 1..4. */
enum sbd_capf_auth {
	SBD_CAPF_AUTH_PASSWORD = 1,	/* "By Authentication String" */
	SBD_CAPF_AUTH_NULL = 2,		/* "By Null String" */
	SBD_CAPF_AUTH_LSC = 3,		/* "By Existing Certificate (LSC)" */
	SBD_CAPF_AUTH_MIC = 4,		/* "By Existing Certificate (MIC)" */
};

#define SBD_CAPF_PW_MIN		4	/* CUCM: 4..10 digits */
#define SBD_CAPF_PW_MAX		10
#define SBD_CAPF_STATUS_MAX	64

struct sbd_capf_task {
	enum sbd_capf_op op;
	enum sbd_capf_auth auth;
	char password[SBD_CAPF_PW_MAX + 1];	/* digits; "" unless PASSWORD */
	int key_ec;			/* 0: RSA, 1: EC */
	uint16_t key_size;		/* RSA 1024..4096 bits; EC 256, 384
					 * or 521 (the curve) */
	char status[SBD_CAPF_STATUS_MAX];	/* CUCM's words: "Pending",
					 * "Upgrade Success", "Operation
					 * Failed: ..."; "" never run */
	int64_t status_at;
};

struct sbd_device {
	char mac[SBD_MAC_LEN + 1];	/* 12 upper-case hex digits */
	char name[SBD_DEVNAME_MAX + 1];	/* "SEP" + mac */
	char model[SBD_MODEL_MAX];	/* e.g. "CP-8845"; may be empty */
	char description[SBD_NAME_MAX];
	enum sbd_profile profile;
	char tvs[SBD_TVS_MAX][SBD_NAME_MAX]; /* CallManager group, in order;
					   * "" for unused slots */
	char cert_kind[4];		/* "LSC", "MIC" or "" */
	uint8_t *cert_der;		/* NULL when unknown; malloc'ed */
	size_t cert_len;
	/* What the server saw (SPEC.md, "beyond"); 0 / "" when never. */
	char served_itl_sha1[41];	/* SHA-1 of the last ITL served */
	int64_t served_itl_at;
	int64_t config_at;		/* last signed config fetched */
	char reported_sha1[41];		/* DeviceTLInfo from the phone */
	int64_t reported_at;
	struct sbd_capf_task capf;	/* set with sbd_store_device_capf */
	int64_t created;
};

/*
 * Normalise a MAC written as 12 hex digits, with ':' '-' or '.'
 * separators, or as a device name "SEP...": out gets 12 upper-case hex
 * digits.  SBD_ERR_VALUE for anything else.
 */
int sbd_mac_parse(const char *in, char out[SBD_MAC_LEN + 1]) SBD_WUR;

/*
 * Insert a device.  d->name is derived from d->mac ("SEP" + mac); every
 * non-empty d->tvs[] must name a node with the TVS service
 * (SBD_ERR_NOTFOUND otherwise), and slots must be filled from the first.
 */
int sbd_store_device_add(struct sbd_store *st, const struct sbd_device *d)
    SBD_WUR;
/* Update profile, model, description, tvs and certificate of d->mac. */
int sbd_store_device_update(struct sbd_store *st, const struct sbd_device *d)
    SBD_WUR;
int sbd_store_device_remove(struct sbd_store *st, const char *mac) SBD_WUR;
/* *out is filled; release with sbd_device_clear(). */
int sbd_store_device_get(struct sbd_store *st, const char *mac,
    struct sbd_device *out) SBD_WUR;
/* Every device, ordered by mac; release with sbd_device_list_free(). */
int sbd_store_device_list(struct sbd_store *st, struct sbd_device **out,
    size_t *n) SBD_WUR;
void sbd_device_clear(struct sbd_device *d);
void sbd_device_list_free(struct sbd_device *d, size_t n);

/*
 * The server's memory of a device: the ITL it last served it (sha1 hex)
 * and when the device last fetched its signed configuration.  Unknown
 * devices are ignored (return 0): phones not in the store also boot.
 */
int sbd_store_device_note_itl(struct sbd_store *st, const char *mac,
    const char *sha1, int64_t when) SBD_WUR;
int sbd_store_device_note_config(struct sbd_store *st, const char *mac,
    int64_t when) SBD_WUR;
int sbd_store_device_note_reported(struct sbd_store *st, const char *mac,
    const char *sha1, int64_t when) SBD_WUR;

/*
 * Set mac's CAPF task (administrator) or record its outcome (sbdd's CAPF
 * service, with op back to NONE and the password cleared).  Refused
 * (SBD_ERR_VALUE): an unknown op or auth, a PASSWORD task without 4..10
 * digits, a password with another auth, RSA sizes other than 1024, 2048,
 * 3072 and 4096, EC sizes other than 256, 384 and 521.  The device's
 * certificate is changed with sbd_store_device_update in the same
 * transaction when an install or delete succeeds.
 */
int sbd_store_device_capf(struct sbd_store *st, const char *mac,
    const struct sbd_capf_task *t) SBD_WUR;

/* ---- certificates trusted beyond the cluster's own ------------------- */

/*
 * TVS vouches for every certificate of the cluster (the cert table) and
 * for these: certificates an administrator imports, such as the HTTPS
 * server of a phone service ("Directories", seed 002).
 */
#define SBD_TRUST_ROLES_MAX	8

struct sbd_trust {
	char sha256[65];		/* lowercase hex of the DER's SHA-256 */
	uint8_t *der;			/* malloc'ed */
	size_t der_len;
	uint8_t roles[SBD_TRUST_ROLES_MAX];	/* enum sbd_role codes */
	size_t nroles;			/* 1..SBD_TRUST_ROLES_MAX */
	uint32_t ttl;			/* seconds; 0 = the cluster's */
	char description[SBD_NAME_MAX];
	int64_t created;
};

/* Add (sha256 is computed from der; SBD_ERR_EXISTS if present). */
int sbd_store_trust_add(struct sbd_store *st, const struct sbd_trust *t)
    SBD_WUR;
int sbd_store_trust_remove(struct sbd_store *st, const char *sha256) SBD_WUR;
/* Every entry, by sha256; release with sbd_trust_list_free(). */
int sbd_store_trust_list(struct sbd_store *st, struct sbd_trust **out,
    size_t *n) SBD_WUR;
void sbd_trust_list_free(struct sbd_trust *t, size_t n);

/* ---- enterprise parameters -------------------------------------------- */

/*
 * Parameters sbdd reads (names are the store's keys):
 *   tvs_ttl          seconds a phone may cache a TVS verdict (default
 *                    86400, range 1..2592000, FORMATS.md 7.6)
 *   rollback_pre80   "true": "Prepare Cluster for Rollback to pre 8.0"
 *   capf_lsc_days    validity of issued LSCs (default 1825, 1..3650)
 * and sbdctl (schema 3):
 *   reset_hook       the command that resets phones (sbdctl device reset,
 *                    set cert regen): run with /bin/sh -c, device names on
 *                    its standard input one per line, SBD_RESET_REASON and
 *                    SBD_DATA in its environment
 *   itlrecovery_backup  SHA-1 (hex) of the ITLRecovery.p12 that `file get
 *                    tftp ITLRecovery.p12` last copied off the publisher;
 *                    the backup alarm is armed while the publisher's
 *                    ITLRecovery.p12 has another SHA-1
 */
#define SBD_TVS_TTL_DEFAULT	86400
#define SBD_TVS_TTL_MAX		2592000

/* SBD_ERR_NOTFOUND when unset; a value that does not fit in cap (with
 * its NUL) is SBD_ERR_TOOBIG, never cut. */
int sbd_store_param_get(struct sbd_store *st, const char *name, char *val,
    size_t cap) SBD_WUR;
int sbd_store_param_set(struct sbd_store *st, const char *name,
    const char *val) SBD_WUR;

/* ---- alarms (schema 3) ------------------------------------------------ */

/*
 * Alarms as CUCM raises them to syslog and RTMT; kept, newest last, so
 * that "raised daily" can be checked and shown (sbdctl alarm list).
 * Adding one is not a change.
 */
#define SBD_ALARM_ITLRECOVERY_BACKUP	"ITLRecoveryCertBackup"

struct sbd_alarm {
	int64_t id;			/* set by add */
	int64_t at;			/* sbd_now() */
	char node[SBD_NAME_MAX];	/* the node that raised it */
	char name[SBD_NAME_MAX];	/* e.g. SBD_ALARM_ITLRECOVERY_BACKUP */
	int severity;			/* syslog level: 4 = LOG_WARNING */
	char text[512];			/* the whole message as logged */
};

int sbd_store_alarm_add(struct sbd_store *st, struct sbd_alarm *a) SBD_WUR;
/* The newest alarm called name: SBD_ERR_NOTFOUND when none. */
int sbd_store_alarm_last(struct sbd_store *st, const char *name,
    struct sbd_alarm *out) SBD_WUR;
/* The newest max alarms (all if 0), oldest first; *out malloc'ed. */
int sbd_store_alarm_list(struct sbd_store *st, size_t max,
    struct sbd_alarm **out, size_t *n) SBD_WUR;

/* ---- audit log (append-only) ------------------------------------------ */

struct sbd_audit {
	int64_t id;
	int64_t when;
	char actor[SBD_NAME_MAX];	/* "sbdctl:user", "sbdd:node" */
	char action[SBD_NAME_MAX];	/* "device add", "cluster init" */
	char detail[512];
};

int sbd_store_audit(struct sbd_store *st, const char *actor,
    const char *action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5))) SBD_WUR;
/* The newest max entries (all if 0), oldest first; *out malloc'ed. */
int sbd_store_audit_list(struct sbd_store *st, size_t max,
    struct sbd_audit **out, size_t *n) SBD_WUR;

#endif
