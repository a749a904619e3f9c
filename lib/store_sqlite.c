/*
 * The cluster store's SQLite backend (lib/store_int.h).
 *
 * Every statement is a constant string prepared with sqlite3_prepare_v2;
 * values only ever travel as bound parameters.  The database runs in WAL
 * mode so that sbdd keeps reading while sbdctl writes, with foreign keys
 * enforced and synchronous=NORMAL: in WAL mode a power cut may lose the
 * last commits but cannot corrupt the file (SQLite's PRAGMA synchronous
 * documentation), and a commit costs no fsync.  SBD_STORE_DURABLE asks
 * for FULL: each commit is synced before it returns.
 *
 * The schema is a list of migrations applied in order, in one
 * transaction, at open; PRAGMA user_version counts those applied.  A
 * migration is never edited once released: a change is a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store_int.h"

#define BUSY_TIMEOUT_MS	5000

#define STMT_CACHE	32	/* prepared statements kept per handle:
				 * sbdd uses about twenty over and over */

/*
 * Prepared statements are kept for reuse, keyed by the address of their
 * constant SQL text: sbdd generates configurations and records device
 * notes all day, and preparing costs more than running these statements.
 */
struct stmt_slot {
	const char *sql;
	sqlite3_stmt *s;
	int busy;		/* handed out; a nested use prepares anew */
};

struct sbd_store_be {
	sqlite3 *db;
	char msg[256];		/* the last failure, for errmsg() */
	struct stmt_slot cache[STMT_CACHE];
};

/*
 * Migration 1.  The generation counter (meta) is bumped by triggers on
 * every table sbdd builds from; on device only by the columns an
 * administrator sets, so the served-ITL and config notes sbdd writes all
 * day do not make it rebuild.  The audit log refuses UPDATE and DELETE,
 * and AUTOINCREMENT keeps its ids from ever being reused.
 */
static const char migration1[] =
	"CREATE TABLE meta ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" generation INTEGER NOT NULL) STRICT;"
	"INSERT INTO meta (id, generation) VALUES (1, 0);"

	"CREATE TABLE cluster ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" name TEXT NOT NULL,"
	" pw_salt BLOB NOT NULL CHECK (length(pw_salt) = 16),"
	" pw_verifier BLOB NOT NULL CHECK (length(pw_verifier) = 32),"
	" pw_iter INTEGER NOT NULL,"
	" ctl_mode INTEGER NOT NULL CHECK (ctl_mode IN (0, 1)),"
	" created INTEGER NOT NULL) STRICT;"

	"CREATE TABLE node ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" domain TEXT NOT NULL,"
	" publisher INTEGER NOT NULL CHECK (publisher IN (0, 1)),"
	" services INTEGER NOT NULL,"
	" addr TEXT NOT NULL,"
	" tftp_port INTEGER NOT NULL CHECK (tftp_port BETWEEN 0 AND 65535),"
	" http_port INTEGER NOT NULL CHECK (http_port BETWEEN 0 AND 65535),"
	" tvs_port INTEGER NOT NULL CHECK (tvs_port BETWEEN 0 AND 65535),"
	" capf_port INTEGER NOT NULL CHECK (capf_port BETWEEN 0 AND 65535),"
	" created INTEGER NOT NULL) STRICT;"
	"CREATE UNIQUE INDEX node_publisher ON node (publisher)"
	" WHERE publisher = 1;"

	"CREATE TABLE cert ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" node TEXT NOT NULL REFERENCES node (name) ON DELETE RESTRICT,"
	" role TEXT NOT NULL CHECK (role IN"
	"  ('CallManager', 'TVS', 'CAPF', 'ITLRecovery')),"
	" cert_path TEXT NOT NULL,"
	" key_path TEXT NOT NULL,"
	" sha1 TEXT NOT NULL CHECK (length(sha1) = 40),"
	" created INTEGER NOT NULL,"
	" active INTEGER NOT NULL CHECK (active IN (0, 1))) STRICT;"
	"CREATE INDEX cert_node ON cert (node, role, id);"
	"CREATE UNIQUE INDEX cert_active ON cert (node, role)"
	" WHERE active = 1;"

	"CREATE TABLE device ("
	" mac TEXT PRIMARY KEY NOT NULL CHECK (length(mac) = 12),"
	" name TEXT NOT NULL UNIQUE,"
	" model TEXT NOT NULL,"
	" description TEXT NOT NULL,"
	" profile INTEGER NOT NULL CHECK (profile BETWEEN 0 AND 2),"
	" tvs1 TEXT REFERENCES node (name) ON DELETE RESTRICT,"
	" tvs2 TEXT REFERENCES node (name) ON DELETE RESTRICT,"
	" tvs3 TEXT REFERENCES node (name) ON DELETE RESTRICT,"
	" cert_kind TEXT NOT NULL CHECK (cert_kind IN ('', 'LSC', 'MIC')),"
	" cert_der BLOB,"
	" served_itl_sha1 TEXT NOT NULL DEFAULT '',"
	" served_itl_at INTEGER NOT NULL DEFAULT 0,"
	" config_at INTEGER NOT NULL DEFAULT 0,"
	" reported_sha1 TEXT NOT NULL DEFAULT '',"
	" reported_at INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" CHECK (tvs2 IS NULL OR tvs1 IS NOT NULL),"
	" CHECK (tvs3 IS NULL OR tvs2 IS NOT NULL)) STRICT;"

	"CREATE TABLE param ("
	" name TEXT PRIMARY KEY NOT NULL,"
	" value TEXT NOT NULL) STRICT;"

	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" detail TEXT NOT NULL) STRICT;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
	" SELECT RAISE(ABORT, 'the audit log is append-only'); END;"

#define GEN_BUMP " BEGIN UPDATE meta SET generation = generation + 1; END;"
	"CREATE TRIGGER cluster_gen_i AFTER INSERT ON cluster" GEN_BUMP
	"CREATE TRIGGER cluster_gen_u AFTER UPDATE ON cluster" GEN_BUMP
	"CREATE TRIGGER cluster_gen_d AFTER DELETE ON cluster" GEN_BUMP
	"CREATE TRIGGER node_gen_i AFTER INSERT ON node" GEN_BUMP
	"CREATE TRIGGER node_gen_u AFTER UPDATE ON node" GEN_BUMP
	"CREATE TRIGGER node_gen_d AFTER DELETE ON node" GEN_BUMP
	"CREATE TRIGGER cert_gen_i AFTER INSERT ON cert" GEN_BUMP
	"CREATE TRIGGER cert_gen_u AFTER UPDATE ON cert" GEN_BUMP
	"CREATE TRIGGER cert_gen_d AFTER DELETE ON cert" GEN_BUMP
	"CREATE TRIGGER param_gen_i AFTER INSERT ON param" GEN_BUMP
	"CREATE TRIGGER param_gen_u AFTER UPDATE ON param" GEN_BUMP
	"CREATE TRIGGER param_gen_d AFTER DELETE ON param" GEN_BUMP
	"CREATE TRIGGER device_gen_i AFTER INSERT ON device" GEN_BUMP
	"CREATE TRIGGER device_gen_d AFTER DELETE ON device" GEN_BUMP
	"CREATE TRIGGER device_gen_u AFTER UPDATE OF name, model, description,"
	" profile, tvs1, tvs2, tvs3, cert_kind, cert_der ON device" GEN_BUMP
#undef GEN_BUMP

	"PRAGMA user_version = 1;";

/*
 * 2: a device's CAPF task and its outcome (FORMATS.md 8), and the
 * certificates TVS vouches for beyond the cluster's own.
 */
static const char migration2[] =
	"ALTER TABLE device ADD COLUMN capf_op INTEGER NOT NULL DEFAULT 0"
	" CHECK (capf_op BETWEEN 0 AND 3);"
	"ALTER TABLE device ADD COLUMN capf_auth INTEGER NOT NULL DEFAULT 2"
	" CHECK (capf_auth BETWEEN 1 AND 4);"
	"ALTER TABLE device ADD COLUMN capf_password TEXT NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE device ADD COLUMN capf_key_ec INTEGER NOT NULL DEFAULT 0"
	" CHECK (capf_key_ec IN (0, 1));"
	"ALTER TABLE device ADD COLUMN capf_key_size INTEGER NOT NULL"
	" DEFAULT 2048;"
	"ALTER TABLE device ADD COLUMN capf_status TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE device ADD COLUMN capf_at INTEGER NOT NULL DEFAULT 0;"

	"CREATE TABLE trust ("
	" sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),"
	" der BLOB NOT NULL,"
	" roles BLOB NOT NULL CHECK (length(roles) BETWEEN 1 AND 8),"
	" ttl INTEGER NOT NULL CHECK (ttl BETWEEN 0 AND 2592000),"
	" description TEXT NOT NULL,"
	" created INTEGER NOT NULL) STRICT;"
#define GEN_BUMP " BEGIN UPDATE meta SET generation = generation + 1; END;"
	"CREATE TRIGGER trust_gen_i AFTER INSERT ON trust" GEN_BUMP
	"CREATE TRIGGER trust_gen_u AFTER UPDATE ON trust" GEN_BUMP
	"CREATE TRIGGER trust_gen_d AFTER DELETE ON trust" GEN_BUMP
	/*
	 * A device's configuration says capfAuthMode while a task is
	 * pending: a new task or its end changes the file; a status alone
	 * does not.
	 */
	"CREATE TRIGGER device_capf_gen AFTER UPDATE OF capf_op, capf_auth"
	" ON device WHEN OLD.capf_op IS NOT NEW.capf_op"
	" OR OLD.capf_auth IS NOT NEW.capf_auth" GEN_BUMP
#undef GEN_BUMP
	"PRAGMA user_version = 2;";

/*
 * 3: cluster administration (issue 5).  TFTP restart requests per node
 * (a node change, so the node's sbdd sees it); the reset ITL a node serves
 * for one restart; what each sbdd last did; every ITL served, by SHA-1;
 * alarms.  Only node and itl_reset move the generation: the rest is
 * written by sbdd about itself and must not make it reload.
 */
static const char migration3[] =
	"ALTER TABLE node ADD COLUMN tftp_restart INTEGER NOT NULL DEFAULT 0"
	" CHECK (tftp_restart >= 0);"
	"CREATE TABLE itl_reset ("
	" node TEXT PRIMARY KEY NOT NULL"
	"  REFERENCES node(name) ON DELETE CASCADE,"
	" der BLOB NOT NULL,"
	" restart INTEGER NOT NULL,"
	" created INTEGER NOT NULL) STRICT;"
#define GEN_BUMP " BEGIN UPDATE meta SET generation = generation + 1; END;"
	"CREATE TRIGGER itl_reset_gen_i AFTER INSERT ON itl_reset" GEN_BUMP
	"CREATE TRIGGER itl_reset_gen_u AFTER UPDATE ON itl_reset" GEN_BUMP
	"CREATE TRIGGER itl_reset_gen_d AFTER DELETE ON itl_reset" GEN_BUMP
#undef GEN_BUMP
	"CREATE TABLE node_state ("
	" node TEXT PRIMARY KEY NOT NULL"
	"  REFERENCES node(name) ON DELETE CASCADE,"
	" pid INTEGER NOT NULL,"
	" gen INTEGER NOT NULL,"
	" tftp_restart INTEGER NOT NULL,"
	" itl_sha1 TEXT NOT NULL,"
	" itl_signer TEXT NOT NULL,"
	" at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE itl_seen ("
	" sha1 TEXT PRIMARY KEY NOT NULL CHECK (length(sha1) = 40),"
	" node TEXT NOT NULL,"
	" der BLOB NOT NULL,"
	" first_at INTEGER NOT NULL) STRICT;"
	"CREATE TABLE alarm ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" node TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 7),"
	" text TEXT NOT NULL) STRICT;"
	"CREATE INDEX alarm_name ON alarm(name, id);"
	"PRAGMA user_version = 3;";

/*
 * 4: node renames (set network hostname).  The record lets an sbdd
 * started under a node's old name find the new one, and a rename whose
 * directory move was interrupted be finished (moved = 0).
 */
static const char migration4[] =
	"CREATE TABLE node_rename ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" old TEXT NOT NULL,"
	" new TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" moved INTEGER NOT NULL DEFAULT 0 CHECK (moved IN (0, 1))) STRICT;"
	"CREATE INDEX node_rename_old ON node_rename(old, id);"
	/* Moved: the files of the node are where the store says now. */
	"CREATE TRIGGER node_rename_moved AFTER UPDATE OF moved ON node_rename"
	" BEGIN UPDATE meta SET generation = generation + 1; END;"
	"PRAGMA user_version = 4;";

static const char *const migrations[] = { migration1, migration2,
    migration3, migration4 };

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
    SBD_STORE_SCHEMA, "SBD_STORE_SCHEMA must count the migrations");

#define NODE_COLS	"name, domain, publisher, services, addr, tftp_port, " \
			"http_port, tvs_port, capf_port, created, " \
			"tftp_restart"
#define STATE_COLS	"node, pid, gen, tftp_restart, itl_sha1, itl_signer, at"
#define ALARM_COLS	"id, at, node, name, severity, text"
#define RENAME_COLS	"id, old, new, at, moved"
#define CERT_COLS	"id, node, role, cert_path, key_path, sha1, created, " \
			"active"
#define DEVICE_COLS	"mac, name, model, description, profile, tvs1, " \
			"tvs2, tvs3, cert_kind, cert_der, served_itl_sha1, " \
			"served_itl_at, config_at, reported_sha1, " \
			"reported_at, created, capf_op, capf_auth, " \
			"capf_password, capf_key_ec, capf_key_size, " \
			"capf_status, capf_at"
#define TRUST_COLS	"sha256, der, roles, ttl, description, created"
#define AUDIT_COLS	"id, at, actor, action, detail"

/* Record a failure's text and return err. */
static int __attribute__((format(printf, 3, 4)))
sq_err(struct sbd_store_be *q, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Record SQLite's text for rc and map rc to an enum sbd_err. */
static int
sq_fail(struct sbd_store_be *q, int rc)
{
	int err;

	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		err = SBD_ERR_EXISTS;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		err = SBD_ERR_NOTFOUND;	/* a reference to an absent node */
		break;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		err = SBD_ERR_INVAL;
		break;
	default:
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
			err = SBD_ERR_BUSY;
		else if ((rc & 0xff) == SQLITE_NOMEM)
			err = SBD_ERR_NOMEM;
		else
			err = SBD_ERR_STORE;
		break;
	}
	return sq_err(q, err, "%s", sqlite3_errmsg(q->db));
}

/* Run a constant script of one or more statements without results. */
static int
sq_script(struct sbd_store_be *q, const char *sql)
{
	int rc;

	rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(q, rc);
}

/* Give a statement back: reset into the cache, or finalised. */
static void
sq_release(struct sbd_store_be *q, sqlite3_stmt *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++) {
		if (q->cache[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			q->cache[i].busy = 0;
			return;
		}
	}
	sqlite3_finalize(s);
}

/* A prepared statement for sql, from the cache when one is idle. */
static int
sq_prepare_cached(struct sbd_store_be *q, const char *sql, sqlite3_stmt **out)
{
	struct stmt_slot *free_slot = NULL;
	size_t i;
	int rc;

	for (i = 0; i < STMT_CACHE; i++) {
		if (q->cache[i].sql == sql && !q->cache[i].busy) {
			q->cache[i].busy = 1;
			*out = q->cache[i].s;
			return SQLITE_OK;
		}
		if (q->cache[i].sql == NULL && free_slot == NULL)
			free_slot = &q->cache[i];
	}
	rc = sqlite3_prepare_v3(q->db, sql, -1,
	    free_slot != NULL ? SQLITE_PREPARE_PERSISTENT : 0, out, NULL);
	if (rc == SQLITE_OK && free_slot != NULL) {
		free_slot->sql = sql;
		free_slot->s = *out;
		free_slot->busy = 1;
	}
	return rc;
}

/*
 * Prepare sql and bind, from ?1 on, the arguments that types describes:
 * 't' a string (const char *; NULL binds NULL), 'i' an int64_t, 'b' a
 * blob (const void *, size_t; NULL or empty binds NULL).  The strings and
 * blobs are borrowed until the statement is finalised.
 */
static int
sq_vprep(struct sbd_store_be *q, sqlite3_stmt **out, const char *sql,
    const char *types, va_list ap)
{
	sqlite3_stmt *s = NULL;
	const char *t;
	const void *p;
	size_t len;
	int i, rc, err;

	rc = sq_prepare_cached(q, sql, &s);
	/* Every parameter of the statement, and no more, gets a value. */
	if (rc == SQLITE_OK &&
	    (size_t)sqlite3_bind_parameter_count(s) != strlen(types))
		rc = SQLITE_RANGE;
	for (i = 1, t = types; rc == SQLITE_OK && *t != '\0'; i++, t++) {
		switch (*t) {
		case 't':
			p = va_arg(ap, const char *);
			rc = p == NULL ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_text(s, i, p, -1, SQLITE_STATIC);
			break;
		case 'i':
			rc = sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'b':
			p = va_arg(ap, const void *);
			len = va_arg(ap, size_t);
			rc = p == NULL || len == 0 ? sqlite3_bind_null(s, i) :
			    sqlite3_bind_blob64(s, i, p, len, SQLITE_STATIC);
			break;
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	if (rc != SQLITE_OK) {
		err = sq_fail(q, rc);
		sq_release(q, s);
		goto out;
	}
	*out = s;
	err = 0;
out:
	return err;
}

static int
sq_prep(struct sbd_store_be *q, sqlite3_stmt **out, const char *sql,
    const char *types, ...)
{
	va_list ap;
	int err;

	va_start(ap, types);
	err = sq_vprep(q, out, sql, types, ap);
	va_end(ap);
	return err;
}

/* 1 for a row, 0 at the end, or a negative enum sbd_err. */
static int
sq_step(struct sbd_store_be *q, sqlite3_stmt *s)
{
	int rc, err;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = 1;
	else if (rc == SQLITE_DONE)
		err = 0;
	else
		err = sq_fail(q, rc);
	return err;
}

/*
 * Run one statement to its end.  With must_change, an UPDATE or DELETE
 * that changed no row is SBD_ERR_NOTFOUND: the object is absent.
 */
static int
sq_exec(struct sbd_store_be *q, int must_change, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int err;

	va_start(ap, types);
	err = sq_vprep(q, &s, sql, types, ap);
	va_end(ap);
	if (err != 0)
		goto out;
	if ((err = sq_step(q, s)) > 0)
		err = sq_err(q, SBD_ERR_STORE, "unexpected result row");
	else if (err == 0 && must_change && sqlite3_changes(q->db) == 0)
		err = SBD_ERR_NOTFOUND;
out:
	sq_release(q, s);
	return err;
}

/* Run a query expected to return one integer. */
static int
sq_int(struct sbd_store_be *q, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int err;

	if ((err = sq_prep(q, &s, sql, "")) != 0)
		goto out;
	if ((err = sq_step(q, s)) == 0)
		err = sq_err(q, SBD_ERR_STORE, "no result: %s", sql);
	if (err < 0)
		goto out;
	*out = sqlite3_column_int64(s, 0);
	err = 0;
out:
	sq_release(q, s);
	return err;
}

/*
 * Copy a text column into buf.  A value that does not fit was written
 * behind the store's back; it is refused rather than cut.  1 if so.
 */
static int
col_str(sqlite3_stmt *s, int i, char *buf, size_t cap)
{
	const unsigned char *t;
	size_t n;
	int bad = 0;

	t = sqlite3_column_text(s, i);
	n = t != NULL ? (size_t)sqlite3_column_bytes(s, i) : 0;
	if (n < cap) {
		memcpy(buf, t != NULL ? (const char *)t : "", n);
		buf[n] = '\0';
	} else
		bad = 1;
	return bad;
}

/* Copy a blob column of exactly cap bytes; 1 if it has another size. */
static int
col_fixed(sqlite3_stmt *s, int i, uint8_t *buf, size_t cap)
{
	const void *p;

	p = sqlite3_column_blob(s, i);
	if (p == NULL || (size_t)sqlite3_column_bytes(s, i) != cap)
		return 1;
	memcpy(buf, p, cap);
	return 0;
}

static int
bad_row(struct sbd_store_be *q, const char *table)
{
	return sq_err(q, SBD_ERR_STORE, "a %s row holds a value out of range "
	    "(edited outside opensbd?)", table);
}

/* Row readers, one per struct; void * so that sq_collect takes them. */

static int
row_cluster(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_cluster *c = p;
	int bad = 0;

	memset(c, 0, sizeof(*c));
	bad |= col_str(s, 0, c->name, sizeof(c->name));
	bad |= col_fixed(s, 1, c->pw_salt, sizeof(c->pw_salt));
	bad |= col_fixed(s, 2, c->pw_verifier, sizeof(c->pw_verifier));
	c->pw_iter = (uint32_t)sqlite3_column_int64(s, 3);
	c->ctl_mode = (enum sbd_ctl_mode)sqlite3_column_int(s, 4);
	c->created = sqlite3_column_int64(s, 5);
	return bad ? bad_row(q, "cluster") : 0;
}

static int
row_node(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_node *n = p;
	int bad = 0;

	memset(n, 0, sizeof(*n));
	bad |= col_str(s, 0, n->name, sizeof(n->name));
	bad |= col_str(s, 1, n->domain, sizeof(n->domain));
	n->publisher = sqlite3_column_int(s, 2);
	n->services = (unsigned)sqlite3_column_int64(s, 3);
	bad |= col_str(s, 4, n->addr, sizeof(n->addr));
	n->tftp_port = (uint16_t)sqlite3_column_int(s, 5);
	n->http_port = (uint16_t)sqlite3_column_int(s, 6);
	n->tvs_port = (uint16_t)sqlite3_column_int(s, 7);
	n->capf_port = (uint16_t)sqlite3_column_int(s, 8);
	n->created = sqlite3_column_int64(s, 9);
	n->tftp_restart = sqlite3_column_int64(s, 10);
	return bad ? bad_row(q, "node") : 0;
}

static int
row_cert(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_store_cert *c = p;
	int bad = 0;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	bad |= col_str(s, 1, c->node, sizeof(c->node));
	bad |= col_str(s, 2, c->role, sizeof(c->role));
	bad |= col_str(s, 3, c->cert_path, sizeof(c->cert_path));
	bad |= col_str(s, 4, c->key_path, sizeof(c->key_path));
	bad |= col_str(s, 5, c->sha1, sizeof(c->sha1));
	c->created = sqlite3_column_int64(s, 6);
	c->active = sqlite3_column_int(s, 7);
	return bad ? bad_row(q, "cert") : 0;
}

/* The certificate is copied last, so a refused row allocates nothing. */
static int
row_device(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_device *d = p;
	const void *der;
	size_t len;
	int bad = 0, i, err = 0;

	memset(d, 0, sizeof(*d));
	bad |= col_str(s, 0, d->mac, sizeof(d->mac));
	bad |= col_str(s, 1, d->name, sizeof(d->name));
	bad |= col_str(s, 2, d->model, sizeof(d->model));
	bad |= col_str(s, 3, d->description, sizeof(d->description));
	d->profile = (enum sbd_profile)sqlite3_column_int(s, 4);
	for (i = 0; i < SBD_TVS_MAX; i++)
		bad |= col_str(s, 5 + i, d->tvs[i], sizeof(d->tvs[i]));
	bad |= col_str(s, 8, d->cert_kind, sizeof(d->cert_kind));
	bad |= col_str(s, 10, d->served_itl_sha1,
	    sizeof(d->served_itl_sha1));
	d->served_itl_at = sqlite3_column_int64(s, 11);
	d->config_at = sqlite3_column_int64(s, 12);
	bad |= col_str(s, 13, d->reported_sha1, sizeof(d->reported_sha1));
	d->reported_at = sqlite3_column_int64(s, 14);
	d->created = sqlite3_column_int64(s, 15);
	d->capf.op = (enum sbd_capf_op)sqlite3_column_int(s, 16);
	d->capf.auth = (enum sbd_capf_auth)sqlite3_column_int(s, 17);
	bad |= col_str(s, 18, d->capf.password, sizeof(d->capf.password));
	d->capf.key_ec = sqlite3_column_int(s, 19);
	d->capf.key_size = (uint16_t)sqlite3_column_int(s, 20);
	bad |= col_str(s, 21, d->capf.status, sizeof(d->capf.status));
	d->capf.status_at = sqlite3_column_int64(s, 22);
	if (bad) {
		err = bad_row(q, "device");
		goto out;
	}
	der = sqlite3_column_blob(s, 9);
	len = (size_t)sqlite3_column_bytes(s, 9);
	if (der != NULL && len > 0) {
		if ((d->cert_der = malloc(len)) == NULL) {
			err = SBD_ERR_NOMEM;
			goto out;
		}
		memcpy(d->cert_der, der, len);
		d->cert_len = len;
	}
out:
	return err;
}

static int
row_state(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_node_state *n = p;
	int bad = 0;

	memset(n, 0, sizeof(*n));
	bad |= col_str(s, 0, n->node, sizeof(n->node));
	n->pid = sqlite3_column_int64(s, 1);
	n->gen = sqlite3_column_int64(s, 2);
	n->tftp_restart = sqlite3_column_int64(s, 3);
	bad |= col_str(s, 4, n->itl_sha1, sizeof(n->itl_sha1));
	bad |= col_str(s, 5, n->itl_signer, sizeof(n->itl_signer));
	n->at = sqlite3_column_int64(s, 6);
	return bad ? bad_row(q, "node_state") : 0;
}

static int
row_rename(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_node_rename *r = p;
	int bad = 0;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	bad |= col_str(s, 1, r->old_name, sizeof(r->old_name));
	bad |= col_str(s, 2, r->new_name, sizeof(r->new_name));
	r->at = sqlite3_column_int64(s, 3);
	r->moved = sqlite3_column_int64(s, 4) != 0;
	return bad ? bad_row(q, "node_rename") : 0;
}

static int
row_alarm(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_alarm *a = p;
	int bad = 0;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->at = sqlite3_column_int64(s, 1);
	bad |= col_str(s, 2, a->node, sizeof(a->node));
	bad |= col_str(s, 3, a->name, sizeof(a->name));
	a->severity = sqlite3_column_int(s, 4);
	bad |= col_str(s, 5, a->text, sizeof(a->text));
	return bad ? bad_row(q, "alarm") : 0;
}

/* A copy of blob column i (malloc'ed); an empty or NULL one is refused. */
static int
col_blob(struct sbd_store_be *q, sqlite3_stmt *s, int i, const char *table,
    uint8_t **out, size_t *len)
{
	const void *p;
	uint8_t *c;
	size_t n;

	p = sqlite3_column_blob(s, i);
	n = (size_t)sqlite3_column_bytes(s, i);
	if (p == NULL || n == 0)
		return bad_row(q, table);
	if ((c = malloc(n)) == NULL)
		return SBD_ERR_NOMEM;
	memcpy(c, p, n);
	*out = c;
	*len = n;
	return 0;
}

static int
row_audit(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_audit *a = p;
	int bad = 0;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(s, 0);
	a->when = sqlite3_column_int64(s, 1);
	bad |= col_str(s, 2, a->actor, sizeof(a->actor));
	bad |= col_str(s, 3, a->action, sizeof(a->action));
	bad |= col_str(s, 4, a->detail, sizeof(a->detail));
	return bad ? bad_row(q, "audit") : 0;
}

/* The one row of a prepared query into out; SBD_ERR_NOTFOUND if none. */
static int
sq_one(struct sbd_store_be *q, sqlite3_stmt *s,
    int (*row)(struct sbd_store_be *, sqlite3_stmt *, void *), void *out)
{
	int err;

	if ((err = sq_step(q, s)) == 0)
		err = SBD_ERR_NOTFOUND;
	else if (err > 0)
		err = row(q, s, out);
	sq_release(q, s);
	return err;
}

/* One object: the query sql with its parameters (as sq_prep), as sq_one. */
static int
sq_get(struct sbd_store_be *q,
    int (*row)(struct sbd_store_be *, sqlite3_stmt *, void *), void *out,
    const char *sql, const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	va_list ap;
	int err;

	va_start(ap, types);
	err = sq_vprep(q, &s, sql, types, ap);
	va_end(ap);
	if (err == 0)
		err = sq_one(q, s, row, out);
	return err;
}

/*
 * Every row of a prepared query into a growing array of size-byte
 * elements.  On failure *out and *n still hold the rows read, for the
 * caller to release (a device row owns its certificate).
 */
static int
sq_collect(struct sbd_store_be *q, sqlite3_stmt *s, size_t size,
    int (*row)(struct sbd_store_be *, sqlite3_stmt *, void *), void **out,
    size_t *n)
{
	uint8_t *arr = NULL, *na;
	size_t cap = 0, cnt = 0;
	int err;

	while ((err = sq_step(q, s)) > 0) {
		if (cnt == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((na = reallocarray(arr, cap, size)) == NULL) {
				err = SBD_ERR_NOMEM;
				break;
			}
			arr = na;
		}
		if ((err = row(q, s, arr + cnt * size)) != 0)
			break;
		cnt++;
	}
	sq_release(q, s);
	*out = arr;
	*n = cnt;
	return err;
}

/*
 * A list: the query sql with its parameters (as sq_prep), every row
 * through row into a malloc'ed array, given to *out and *n on success.
 * On failure the rows read are released with fini (NULL: free()).
 */
static int
sq_list(struct sbd_store_be *q, size_t size,
    int (*row)(struct sbd_store_be *, sqlite3_stmt *, void *),
    void (*fini)(void *, size_t), void **out, size_t *n, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *s = NULL;
	void *arr = NULL;
	size_t cnt = 0;
	va_list ap;
	int err;

	va_start(ap, types);
	err = sq_vprep(q, &s, sql, types, ap);
	va_end(ap);
	if (err != 0)
		goto out;
	if ((err = sq_collect(q, s, size, row, &arr, &cnt)) != 0)
		goto out;
	*out = arr;
	*n = cnt;
	arr = NULL;
	cnt = 0;
out:
	if (fini != NULL)
		fini(arr, cnt);
	else
		free(arr);
	return err;
}

/* ---- open, migrations, transactions ---------------------------------- */

static int
sq_version(struct sbd_store_be *q, int *version)
{
	int64_t v;
	int err;

	if ((err = sq_int(q, "PRAGMA user_version", &v)) != 0)
		goto out;
	if (v < 0 || v > SBD_STORE_SCHEMA) {
		err = sq_err(q, SBD_ERR_VERSION, "schema version %lld is not "
		    "one this program knows (%d)", (long long)v,
		    SBD_STORE_SCHEMA);
		goto out;
	}
	*version = (int)v;
out:
	return err;
}

/*
 * Apply the pending migrations in one transaction: a failure leaves the
 * schema as it was.  The version is read again under the write lock, as
 * another process may have migrated while this one waited.
 */
static int
sq_migrate(struct sbd_store_be *q)
{
	int v = 0, err;

	if ((err = sq_version(q, &v)) != 0 || v == SBD_STORE_SCHEMA)
		goto out;
	if ((err = sq_script(q, "BEGIN IMMEDIATE")) != 0)
		goto out;
	if ((err = sq_version(q, &v)) != 0)
		goto fail;
	while (v < SBD_STORE_SCHEMA) {
		int want = v + 1;

		if ((err = sq_script(q, migrations[v])) != 0 ||
		    (err = sq_version(q, &v)) != 0)
			goto fail;
		if (v != want) {
			err = sq_err(q, SBD_ERR_STORE, "migration %d did not "
			    "set the schema version", want);
			goto fail;
		}
	}
	if ((err = sq_script(q, "COMMIT")) == 0)
		goto out;
fail:
	(void)sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
out:
	return err;
}

static int
sq_wal(struct sbd_store_be *q)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *mode;
	int err;

	if ((err = sq_prep(q, &s, "PRAGMA journal_mode = WAL", "")) != 0)
		goto out;
	if ((err = sq_step(q, s)) < 0)
		goto out;
	mode = err > 0 ? sqlite3_column_text(s, 0) : NULL;
	err = 0;
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0)
		err = sq_err(q, SBD_ERR_STORE, "cannot use WAL mode (%s)",
		    mode != NULL ? (const char *)mode : "no answer");
out:
	sq_release(q, s);
	return err;
}

static void
sq_close(struct sbd_store_be *q)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(q->cache[i].s);
	sqlite3_close(q->db);
	free(q);
}

static int
sq_open(const char *path, unsigned flags, struct sbd_store_be **out,
    char *msg, size_t cap)
{
	struct sbd_store_be *q = NULL;
	struct stat sb;
	int fd, rc, v, err;

	/*
	 * Create the file here, 0600: SQLite would make it 0644, and the
	 * store holds the password verifier.  SQLite gives the WAL and
	 * shared-memory files the database file's mode.
	 */
	if (flags & SBD_STORE_CREATE) {
		if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			err = SBD_ERR_IO;
			snprintf(msg, cap, "%s: %s", path, strerror(errno));
			goto out;
		}
		close(fd);
	} else if (stat(path, &sb) != 0) {
		err = errno == ENOENT ? SBD_ERR_NOTFOUND : SBD_ERR_IO;
		snprintf(msg, cap, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err = SBD_ERR_NOMEM;
		snprintf(msg, cap, "out of memory");
		goto out;
	}
	rc = sqlite3_open_v2(path, &q->db, (flags & SBD_STORE_RDONLY) ?
	    SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		err = sq_fail(q, rc);
		goto out;
	}
	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if ((err = sq_script(q, (flags & SBD_STORE_DURABLE) ?
	    "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL" :
	    "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL")) != 0)
		goto out;
	if (flags & SBD_STORE_RDONLY)
		err = sq_version(q, &v);
	else if ((err = sq_wal(q)) == 0)
		err = sq_migrate(q);
	if (err != 0)
		goto out;
	*out = q;
	q = NULL;
out:
	if (q != NULL) {
		snprintf(msg, cap, "%s: %s", path, q->msg);
		sq_close(q);
	}
	return err;
}

static const char *
sq_errmsg(const struct sbd_store_be *q)
{
	return q->msg;
}

static int
sq_schema(struct sbd_store_be *q, int *version)
{
	return sq_version(q, version);
}

static int
sq_generation(struct sbd_store_be *q, int64_t *gen)
{
	return sq_int(q, "SELECT generation FROM meta WHERE id = 1", gen);
}

/*
 * SQLite ends a transaction by itself after some errors (a full disk, an
 * I/O error); a savepoint then would open a new transaction of its own
 * and commit on release, outside the caller's.
 */
static int
sq_begin(struct sbd_store_be *q, int nested)
{
	int err;

	if (nested && sqlite3_get_autocommit(q->db))
		err = sq_err(q, SBD_ERR_STORE, "the transaction was rolled "
		    "back by an earlier error");
	else
		err = sq_script(q, nested ? "SAVEPOINT sbd_op" :
		    "BEGIN IMMEDIATE");
	return err;
}

static int
sq_commit(struct sbd_store_be *q, int nested)
{
	return sq_script(q, nested ? "RELEASE sbd_op" : "COMMIT");
}

/* Errors are not recorded: they would hide the failure that led here. */
static void
sq_rollback(struct sbd_store_be *q, int nested)
{
	(void)sqlite3_exec(q->db, nested ?
	    "ROLLBACK TO sbd_op; RELEASE sbd_op" : "ROLLBACK", NULL, NULL,
	    NULL);
}

/* ---- objects ------------------------------------------------------------ */

static int
sq_cluster_get(struct sbd_store_be *q, struct sbd_cluster *out)
{
	return sq_get(q, row_cluster, out, "SELECT name, pw_salt, pw_verifier, "
	    "pw_iter, ctl_mode, created FROM cluster WHERE id = 1", "");
}

/* ?1 (created) is bound for both statements; the UPDATE leaves it. */
static int
sq_cluster_put(struct sbd_store_be *q, const struct sbd_cluster *c,
    int create)
{
	static const char insert[] = "INSERT INTO cluster (id, created, name, "
	    "pw_salt, pw_verifier, pw_iter, ctl_mode) "
	    "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)";
	static const char update[] = "UPDATE cluster SET name = ?2, "
	    "pw_salt = ?3, pw_verifier = ?4, pw_iter = ?5, ctl_mode = ?6 "
	    "WHERE id = 1";

	return sq_exec(q, !create, create ? insert : update, "itbbii",
	    c->created, c->name,
	    (const void *)c->pw_salt, sizeof(c->pw_salt),
	    (const void *)c->pw_verifier, sizeof(c->pw_verifier),
	    (int64_t)c->pw_iter, (int64_t)c->ctl_mode);
}

/* ?2 (created) is bound for both statements; the UPDATE leaves it. */
static int
sq_node_put(struct sbd_store_be *q, const struct sbd_node *n, int add)
{
	static const char insert[] = "INSERT INTO node (name, created, "
	    "domain, publisher, services, addr, tftp_port, http_port, "
	    "tvs_port, capf_port) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	static const char update[] = "UPDATE node SET domain = ?3, "
	    "publisher = ?4, services = ?5, addr = ?6, tftp_port = ?7, "
	    "http_port = ?8, tvs_port = ?9, capf_port = ?10 WHERE name = ?1";

	return sq_exec(q, !add, add ? insert : update, "titiitiiii",
	    n->name, n->created, n->domain, (int64_t)n->publisher,
	    (int64_t)n->services, n->addr, (int64_t)n->tftp_port,
	    (int64_t)n->http_port, (int64_t)n->tvs_port,
	    (int64_t)n->capf_port);
}

static int
sq_node_get(struct sbd_store_be *q, const char *name, struct sbd_node *out)
{
	return sq_get(q, row_node, out, "SELECT " NODE_COLS " FROM node "
	    "WHERE name = ?1 OR (?1 IS NULL AND publisher = 1)", "t",
	    name);
}

static int
sq_node_list(struct sbd_store_be *q, struct sbd_node **out, size_t *n)
{
	void *arr;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_node, NULL, &arr, n,
	    "SELECT " NODE_COLS " FROM node ORDER BY publisher DESC, name",
	    "")) == 0)
		*out = arr;
	return err;
}

/*
 * Inside the caller's transaction (lib/store.c), so the number read back
 * is the one this update wrote.
 */
static int
sq_node_restart_tftp(struct sbd_store_be *q, const char *node, int64_t *req)
{
	sqlite3_stmt *s = NULL;
	int err;

	if ((err = sq_exec(q, 1, "UPDATE node SET tftp_restart = "
	    "tftp_restart + 1 WHERE name = ?1", "t", node)) != 0)
		goto out;
	if ((err = sq_prep(q, &s, "SELECT tftp_restart FROM node "
	    "WHERE name = ?1", "t", node)) != 0)
		goto out;
	if ((err = sq_step(q, s)) == 0)
		err = SBD_ERR_NOTFOUND;
	if (err < 0)
		goto out;
	*req = sqlite3_column_int64(s, 0);
	err = 0;
out:
	sq_release(q, s);
	return err;
}

static int
sq_itl_reset_set(struct sbd_store_be *q, const char *node, const uint8_t *der,
    size_t len, int64_t restart, int64_t created)
{
	return sq_exec(q, 0, "INSERT INTO itl_reset (node, der, restart, "
	    "created) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (node) DO UPDATE "
	    "SET der = excluded.der, restart = excluded.restart, "
	    "created = excluded.created", "tbii", node, (const void *)der,
	    len, restart, created);
}

static int
sq_itl_reset_get(struct sbd_store_be *q, const char *node, uint8_t **der,
    size_t *len, int64_t *restart)
{
	sqlite3_stmt *s = NULL;
	int err;

	if ((err = sq_prep(q, &s, "SELECT der, restart FROM itl_reset "
	    "WHERE node = ?1", "t", node)) != 0)
		goto out;
	if ((err = sq_step(q, s)) == 0)
		err = SBD_ERR_NOTFOUND;
	if (err < 0)
		goto out;
	if ((err = col_blob(q, s, 0, "itl_reset", der, len)) == 0)
		*restart = sqlite3_column_int64(s, 1);
out:
	sq_release(q, s);
	return err;
}

static int
sq_itl_reset_clear(struct sbd_store_be *q, const char *node)
{
	return sq_exec(q, 0, "DELETE FROM itl_reset WHERE node = ?1", "t",
	    node);
}

/*
 * Inside the caller's transaction (lib/store.c).  The references to
 * node(name) have no ON UPDATE action, so the checks wait for the commit,
 * by which time every reference names the new row.
 */
static int
sq_node_rename(struct sbd_store_be *q, const char *old, const char *new_name,
    const char *old_pfx, const char *new_pfx, int64_t at)
{
	static const char *const refs[] = {
		"UPDATE device SET tvs1 = ?2 WHERE tvs1 = ?1",
		"UPDATE device SET tvs2 = ?2 WHERE tvs2 = ?1",
		"UPDATE device SET tvs3 = ?2 WHERE tvs3 = ?1",
		"UPDATE itl_reset SET node = ?2 WHERE node = ?1",
		"UPDATE node_state SET node = ?2 WHERE node = ?1",
	};
	size_t i;
	int err;

	if ((err = sq_script(q, "PRAGMA defer_foreign_keys = ON")) != 0 ||
	    (err = sq_exec(q, 1, "UPDATE node SET name = ?2 WHERE name = ?1",
	    "tt", old, new_name)) != 0)
		goto out;
	if ((err = sq_exec(q, 0, "UPDATE cert SET node = ?2, "
	    "cert_path = iif(substr(cert_path, 1, length(?3)) = ?3, "
	    "?4 || substr(cert_path, length(?3) + 1), cert_path), "
	    "key_path = iif(substr(key_path, 1, length(?3)) = ?3, "
	    "?4 || substr(key_path, length(?3) + 1), key_path) "
	    "WHERE node = ?1", "tttt", old, new_name, old_pfx,
	    new_pfx)) != 0)
		goto out;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if ((err = sq_exec(q, 0, refs[i], "tt", old, new_name)) != 0)
			goto out;
	err = sq_exec(q, 0, "INSERT INTO node_rename (old, new, at) "
	    "VALUES (?1, ?2, ?3)", "tti", old, new_name, at);
out:
	return err;
}

static int
sq_node_renamed_to(struct sbd_store_be *q, const char *name, int64_t after,
    struct sbd_node_rename *out)
{
	return sq_get(q, row_rename, out, "SELECT " RENAME_COLS
	    " FROM node_rename WHERE old = ?1 AND id > ?2 ORDER BY id LIMIT 1",
	    "ti", name, after);
}

static int
sq_node_rename_pending(struct sbd_store_be *q, struct sbd_node_rename **out,
    size_t *n)
{
	void *arr;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_rename, NULL, &arr, n,
	    "SELECT " RENAME_COLS " FROM node_rename WHERE moved = 0 "
	    "ORDER BY id", "")) == 0)
		*out = arr;
	return err;
}

static int
sq_node_rename_moved(struct sbd_store_be *q, int64_t id)
{
	return sq_exec(q, 1, "UPDATE node_rename SET moved = 1 WHERE id = ?1",
	    "i", id);
}

/* Not in the generation's triggers: writing it makes no sbdd reload. */
static int
sq_node_state_set(struct sbd_store_be *q, const struct sbd_node_state *n)
{
	return sq_exec(q, 0, "INSERT INTO node_state (" STATE_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (node) DO UPDATE "
	    "SET pid = excluded.pid, gen = excluded.gen, "
	    "tftp_restart = excluded.tftp_restart, "
	    "itl_sha1 = excluded.itl_sha1, itl_signer = excluded.itl_signer, "
	    "at = excluded.at", "tiiitti", n->node, n->pid, n->gen,
	    n->tftp_restart, n->itl_sha1, n->itl_signer, n->at);
}

static int
sq_node_state_get(struct sbd_store_be *q, const char *node,
    struct sbd_node_state *out)
{
	return sq_get(q, row_state, out, "SELECT " STATE_COLS
	    " FROM node_state WHERE node = ?1", "t", node);
}

/* The first node and time an ITL was seen are kept. */
static int
sq_itl_seen_add(struct sbd_store_be *q, const char *sha1, const char *node,
    const uint8_t *der, size_t len, int64_t when)
{
	return sq_exec(q, 0, "INSERT INTO itl_seen (sha1, node, der, "
	    "first_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha1) DO NOTHING",
	    "ttbi", sha1, node, (const void *)der, len, when);
}

static int
sq_itl_seen_get(struct sbd_store_be *q, const char *sha1, uint8_t **der,
    size_t *len)
{
	sqlite3_stmt *s = NULL;
	int err;

	if ((err = sq_prep(q, &s, "SELECT der FROM itl_seen WHERE sha1 = ?1",
	    "t", sha1)) != 0)
		goto out;
	if ((err = sq_step(q, s)) == 0)
		err = SBD_ERR_NOTFOUND;
	if (err > 0)
		err = col_blob(q, s, 0, "itl_seen", der, len);
out:
	sq_release(q, s);
	return err;
}

/*
 * The previous active certificate is retired first: the partial unique
 * index cert_active allows one active row per node and role.  An unknown
 * node fails the foreign key (SBD_ERR_NOTFOUND).
 */
static int
sq_cert_add(struct sbd_store_be *q, struct sbd_store_cert *c)
{
	int err;

	if ((err = sq_exec(q, 0, "UPDATE cert SET active = 0 "
	    "WHERE node = ?1 AND role = ?2 AND active = 1", "tt", c->node,
	    c->role)) != 0)
		goto out;
	if ((err = sq_exec(q, 0, "INSERT INTO cert (node, role, cert_path, "
	    "key_path, sha1, created, active) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)", "ttttti", c->node, c->role,
	    c->cert_path, c->key_path, c->sha1, c->created)) != 0)
		goto out;
	c->id = sqlite3_last_insert_rowid(q->db);
out:
	return err;
}

static int
sq_cert_get(struct sbd_store_be *q, const char *node, const char *role,
    struct sbd_store_cert *out)
{
	return sq_get(q, row_cert, out, "SELECT " CERT_COLS " FROM cert "
	    "WHERE node = ?1 AND role = ?2 AND active = 1", "tt", node,
	    role);
}

static int
sq_cert_list(struct sbd_store_be *q, const char *node, int active_only,
    struct sbd_store_cert **out, size_t *n)
{
	void *arr;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_cert, NULL, &arr, n,
	    "SELECT " CERT_COLS " FROM cert "
	    "WHERE (?1 IS NULL OR node = ?1) AND (?2 = 0 OR active = 1) "
	    "ORDER BY node, role, id", "ti", node,
	    (int64_t)(active_only != 0))) == 0)
		*out = arr;
	return err;
}

/* ?2 and ?3 (name, created) are bound for both; the UPDATE leaves them. */
static int
sq_device_put(struct sbd_store_be *q, const struct sbd_device *d, int add)
{
	static const char insert[] = "INSERT INTO device (mac, name, "
	    "created, model, description, profile, tvs1, tvs2, tvs3, "
	    "cert_kind, cert_der) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	static const char update[] = "UPDATE device SET model = ?4, "
	    "description = ?5, profile = ?6, tvs1 = ?7, tvs2 = ?8, "
	    "tvs3 = ?9, cert_kind = ?10, cert_der = ?11 WHERE mac = ?1";
	const char *tvs[SBD_TVS_MAX];
	int i;

	for (i = 0; i < SBD_TVS_MAX; i++)
		tvs[i] = d->tvs[i][0] != '\0' ? d->tvs[i] : NULL;
	return sq_exec(q, !add, add ? insert : update, "ttittittttb",
	    d->mac, d->name, d->created, d->model, d->description,
	    (int64_t)d->profile, tvs[0], tvs[1], tvs[2], d->cert_kind,
	    (const void *)d->cert_der, d->cert_len);
}

static int
sq_device_remove(struct sbd_store_be *q, const char *mac)
{
	return sq_exec(q, 1, "DELETE FROM device WHERE mac = ?1", "t", mac);
}

static int
sq_device_get(struct sbd_store_be *q, const char *mac,
    struct sbd_device *out)
{
	return sq_get(q, row_device, out, "SELECT " DEVICE_COLS " FROM device "
	    "WHERE mac = ?1", "t", mac);
}

/* A device row owns its certificate. */
static void
device_fini(void *arr, size_t n)
{
	sbd_device_list_free(arr, n);
}

static int
sq_device_list(struct sbd_store_be *q, struct sbd_device **out, size_t *n)
{
	void *arr;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_device, device_fini, &arr, n,
	    "SELECT " DEVICE_COLS " FROM device ORDER BY mac", "")) == 0)
		*out = arr;
	return err;
}

/*
 * These touch only columns outside the generation trigger's list, and
 * an unknown mac changes no row, which is fine: phones not in the store
 * also boot.
 */
static int
sq_device_note(struct sbd_store_be *q, enum sbd_store_note what,
    const char *mac, const char *sha1, int64_t when)
{
	static const char *const sql[] = {
		[SBD_NOTE_ITL] = "UPDATE device SET served_itl_sha1 = ?2, "
		    "served_itl_at = ?3 WHERE mac = ?1",
		[SBD_NOTE_CONFIG] = "UPDATE device SET config_at = ?3 "
		    "WHERE mac = ?1",
		[SBD_NOTE_REPORTED] = "UPDATE device SET reported_sha1 = ?2, "
		    "reported_at = ?3 WHERE mac = ?1",
	};

	return sq_exec(q, 0, sql[what], "tti", mac, sha1, when);
}

/* The task columns only: not in the generation trigger's list. */
static int
sq_device_capf(struct sbd_store_be *q, const char *mac,
    const struct sbd_capf_task *t)
{
	return sq_exec(q, 1, "UPDATE device SET capf_op = ?2, capf_auth = ?3, "
	    "capf_password = ?4, capf_key_ec = ?5, capf_key_size = ?6, "
	    "capf_status = ?7, capf_at = ?8 WHERE mac = ?1", "tiitiiti", mac,
	    (int64_t)t->op, (int64_t)t->auth, t->password, (int64_t)t->key_ec,
	    (int64_t)t->key_size, t->status, t->status_at);
}

/* The blobs are copied last, so a refused row allocates nothing. */
static int
row_trust(struct sbd_store_be *q, sqlite3_stmt *s, void *p)
{
	struct sbd_trust *t = p;
	const void *der, *roles;
	size_t len, nr;
	int64_t ttl;

	memset(t, 0, sizeof(*t));
	der = sqlite3_column_blob(s, 1);
	len = (size_t)sqlite3_column_bytes(s, 1);
	roles = sqlite3_column_blob(s, 2);
	nr = (size_t)sqlite3_column_bytes(s, 2);
	ttl = sqlite3_column_int64(s, 3);
	if (col_str(s, 0, t->sha256, sizeof(t->sha256)) ||
	    col_str(s, 4, t->description, sizeof(t->description)) ||
	    der == NULL || len == 0 || roles == NULL || nr == 0 ||
	    nr > SBD_TRUST_ROLES_MAX || ttl < 0 || ttl > SBD_TVS_TTL_MAX)
		return bad_row(q, "trust");
	memcpy(t->roles, roles, nr);
	t->nroles = nr;
	t->ttl = (uint32_t)ttl;
	t->created = sqlite3_column_int64(s, 5);
	if ((t->der = malloc(len)) == NULL)
		return SBD_ERR_NOMEM;
	memcpy(t->der, der, len);
	t->der_len = len;
	return 0;
}

static int
sq_trust_add(struct sbd_store_be *q, const struct sbd_trust *t)
{
	return sq_exec(q, 0, "INSERT INTO trust (" TRUST_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "tbbiti", t->sha256,
	    (const void *)t->der, t->der_len, (const void *)t->roles,
	    t->nroles, (int64_t)t->ttl, t->description, t->created);
}

static int
sq_trust_remove(struct sbd_store_be *q, const char *sha256)
{
	return sq_exec(q, 1, "DELETE FROM trust WHERE sha256 = ?1", "t",
	    sha256);
}

/* A trust row owns its DER. */
static void
trust_fini(void *arr, size_t n)
{
	sbd_trust_list_free(arr, n);
}

static int
sq_trust_list(struct sbd_store_be *q, struct sbd_trust **out, size_t *n)
{
	void *arr;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_trust, trust_fini, &arr, n,
	    "SELECT " TRUST_COLS " FROM trust ORDER BY sha256", "")) == 0)
		*out = arr;
	return err;
}

static int
sq_param_get(struct sbd_store_be *q, const char *name, char *val,
    size_t cap)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	size_t len;
	int err;

	if ((err = sq_prep(q, &s, "SELECT value FROM param WHERE name = ?1",
	    "t", name)) != 0)
		goto out;
	if ((err = sq_step(q, s)) <= 0) {
		err = err == 0 ? SBD_ERR_NOTFOUND : err;
		goto out;
	}
	t = sqlite3_column_text(s, 0);
	len = (size_t)sqlite3_column_bytes(s, 0);
	if (len >= cap) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	memcpy(val, t != NULL ? (const char *)t : "", len);
	val[len] = '\0';
	err = 0;
out:
	sq_release(q, s);
	return err;
}

static int
sq_param_set(struct sbd_store_be *q, const char *name, const char *val)
{
	return sq_exec(q, 0, "INSERT INTO param (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET value = excluded.value", "tt",
	    name, val);
}

static int
sq_alarm_add(struct sbd_store_be *q, struct sbd_alarm *a)
{
	int err;

	if ((err = sq_exec(q, 0, "INSERT INTO alarm (at, node, name, "
	    "severity, text) VALUES (?1, ?2, ?3, ?4, ?5)", "ittit", a->at,
	    a->node, a->name, (int64_t)a->severity, a->text)) == 0)
		a->id = sqlite3_last_insert_rowid(q->db);
	return err;
}

/* The newest is the last added: ids only grow (AUTOINCREMENT). */
static int
sq_alarm_last(struct sbd_store_be *q, const char *name, struct sbd_alarm *out)
{
	return sq_get(q, row_alarm, out, "SELECT " ALARM_COLS " FROM alarm "
	    "WHERE name = ?1 ORDER BY id DESC LIMIT 1", "t", name);
}

/* The newest max rows (a negative LIMIT is none), oldest first. */
static int
sq_alarm_list(struct sbd_store_be *q, size_t max, struct sbd_alarm **out,
    size_t *n)
{
	void *arr;
	int64_t limit = max == 0 || max > INT64_MAX ? -1 : (int64_t)max;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_alarm, NULL, &arr, n,
	    "SELECT " ALARM_COLS " FROM (SELECT " ALARM_COLS " FROM alarm "
	    "ORDER BY id DESC LIMIT ?1) ORDER BY id", "i", limit)) == 0)
		*out = arr;
	return err;
}

static int
sq_audit_add(struct sbd_store_be *q, const struct sbd_audit *a)
{
	return sq_exec(q, 0, "INSERT INTO audit (at, actor, action, detail) "
	    "VALUES (?1, ?2, ?3, ?4)", "ittt", a->when, a->actor, a->action,
	    a->detail);
}

/* The newest max rows (a negative LIMIT is none), oldest first. */
static int
sq_audit_list(struct sbd_store_be *q, size_t max, struct sbd_audit **out,
    size_t *n)
{
	void *arr;
	int64_t limit = max == 0 || max > INT64_MAX ? -1 : (int64_t)max;
	int err;

	if ((err = sq_list(q, sizeof(**out), row_audit, NULL, &arr, n,
	    "SELECT " AUDIT_COLS " FROM (SELECT " AUDIT_COLS " FROM audit "
	    "ORDER BY id DESC LIMIT ?1) ORDER BY id", "i", limit)) == 0)
		*out = arr;
	return err;
}

const struct sbd_store_ops sbd_store_sqlite_ops = {
	.open = sq_open,
	.close = sq_close,
	.errmsg = sq_errmsg,
	.schema = sq_schema,
	.generation = sq_generation,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.cluster_get = sq_cluster_get,
	.cluster_put = sq_cluster_put,
	.node_put = sq_node_put,
	.node_get = sq_node_get,
	.node_list = sq_node_list,
	.node_restart_tftp = sq_node_restart_tftp,
	.node_rename = sq_node_rename,
	.node_renamed_to = sq_node_renamed_to,
	.node_rename_pending = sq_node_rename_pending,
	.node_rename_moved = sq_node_rename_moved,
	.itl_reset_set = sq_itl_reset_set,
	.itl_reset_get = sq_itl_reset_get,
	.itl_reset_clear = sq_itl_reset_clear,
	.node_state_set = sq_node_state_set,
	.node_state_get = sq_node_state_get,
	.itl_seen_add = sq_itl_seen_add,
	.itl_seen_get = sq_itl_seen_get,
	.cert_add = sq_cert_add,
	.cert_get = sq_cert_get,
	.cert_list = sq_cert_list,
	.device_put = sq_device_put,
	.device_remove = sq_device_remove,
	.device_get = sq_device_get,
	.device_list = sq_device_list,
	.device_note = sq_device_note,
	.device_capf = sq_device_capf,
	.trust_add = sq_trust_add,
	.trust_remove = sq_trust_remove,
	.trust_list = sq_trust_list,
	.param_get = sq_param_get,
	.param_set = sq_param_set,
	.alarm_add = sq_alarm_add,
	.alarm_last = sq_alarm_last,
	.alarm_list = sq_alarm_list,
	.audit_add = sq_audit_add,
	.audit_list = sq_audit_list,
};
