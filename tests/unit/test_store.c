/*
 * Unit tests: the cluster store (lib/store.c, lib/store_sqlite.c), on real
 * SQLite files in a temporary directory.  The database is also opened
 * directly with sqlite3 where a test must get around the library (the
 * audit log's triggers, a schema from the future, older schemas).
 */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"

static char dir[] = "/tmp/sbd-store-XXXXXX";

static const char *
db_path(const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static struct sbd_store *
new_store(const char *name)
{
	struct sbd_store *st = NULL;

	assert_int_equal(sbd_store_open(db_path(name), SBD_STORE_CREATE, &st),
	    0);
	assert_non_null(st);
	return st;
}

/* Run sql on path behind the library's back; SQLite's result code. */
static int
raw_exec(const char *path, const char *sql, char *msg, size_t cap)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	snprintf(msg, cap, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

/* The one integer sql returns on path, read behind the library's back. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Undo migrations 4 and 3: what a store of schema 2 holds. */
static const char to_schema2[] =
	"DROP TABLE node_rename;"
	"DROP TABLE itl_reset;"
	"DROP TABLE node_state;"
	"DROP TABLE itl_seen;"
	"DROP TABLE alarm;"
	"ALTER TABLE node DROP COLUMN tftp_restart;"
	"PRAGMA user_version = 2;";

static int64_t
gen(struct sbd_store *st)
{
	int64_t g = -1;

	assert_int_equal(sbd_store_generation(st, &g), 0);
	return g;
}

static void
add_node(struct sbd_store *st, const char *name, int publisher,
    unsigned services)
{
	struct sbd_node n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.domain, sizeof(n.domain), "example.org");
	snprintf(n.addr, sizeof(n.addr), "127.0.0.1");
	n.publisher = publisher;
	n.services = services;
	n.tftp_port = 6969;
	n.http_port = 6970;
	n.tvs_port = 2445;
	n.capf_port = 3804;
	assert_int_equal(sbd_store_node_add(st, &n), 0);
}

static void
fill_cert(struct sbd_store_cert *c, const char *node, const char *role,
    const char *path, char hexdigit)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->node, sizeof(c->node), "%s", node);
	snprintf(c->role, sizeof(c->role), "%s", role);
	snprintf(c->cert_path, sizeof(c->cert_path), "%s", path);
	snprintf(c->key_path, sizeof(c->key_path), "%s", path);
	memset(c->sha1, hexdigit, 40);
	c->sha1[40] = '\0';
}

static void
fill_device(struct sbd_device *d, const char *mac, const char *tvs0,
    const char *tvs1)
{
	memset(d, 0, sizeof(*d));
	assert_true(strlen(mac) < sizeof(d->mac));
	snprintf(d->mac, sizeof(d->mac), "%s", mac);
	snprintf(d->model, sizeof(d->model), "CP-8845");
	snprintf(d->description, sizeof(d->description), "lobby <phone>");
	d->profile = SBD_PROFILE_AUTH;
	snprintf(d->tvs[0], sizeof(d->tvs[0]), "%s", tvs0);
	snprintf(d->tvs[1], sizeof(d->tvs[1]), "%s", tvs1);
}

static size_t
device_count(struct sbd_store *st)
{
	struct sbd_device *d = NULL;
	size_t n = 99;

	assert_int_equal(sbd_store_device_list(st, &d, &n), 0);
	sbd_device_list_free(d, n);
	return n;
}

/* ---- open, reopen, migrations ----------------------------------------- */

static void
test_open_create(void **state)
{
	struct sbd_store *st = NULL;
	struct stat sb;
	int v = -1;

	(void)state;
	assert_int_equal(sbd_store_open(db_path("missing.db"), 0, &st),
	    SBD_ERR_NOTFOUND);
	assert_null(st);
	assert_int_not_equal(stat(db_path("missing.db"), &sb), 0);
	assert_int_equal(sbd_store_open(db_path("missing.db"),
	    SBD_STORE_RDONLY, &st), SBD_ERR_NOTFOUND);
	assert_true(strstr(sbd_store_errmsg(NULL), "missing.db") != NULL);

	st = new_store("open.db");
	assert_int_equal(sbd_store_schema(st, &v), 0);
	assert_int_equal(v, SBD_STORE_SCHEMA);
	/* The store holds the password verifier: 0600, WAL file too. */
	assert_int_equal(stat(db_path("open.db"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(db_path("open.db-wal"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_string_equal(sbd_store_errmsg(st), "");
	sbd_store_close(st);
	sbd_store_close(NULL);

	/* "sqlite:PATH" names the same file. */
	st = NULL;
	{
		char url[PATH_MAX + 8];

		snprintf(url, sizeof(url), "sqlite:%s", db_path("open.db"));
		assert_int_equal(sbd_store_open(url, 0, &st), 0);
		sbd_store_close(st);
	}

	st = NULL;
	assert_int_equal(sbd_store_open("postgresql://db/sbd", 0, &st),
	    SBD_ERR_INVAL);
	assert_null(st);
	assert_true(strstr(sbd_store_errmsg(NULL), "not built") != NULL);
	assert_int_equal(sbd_store_open("", SBD_STORE_CREATE, &st),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_open("sqlite:", SBD_STORE_CREATE, &st),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_open(db_path("open.db"),
	    SBD_STORE_CREATE | SBD_STORE_RDONLY, &st), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_open(db_path("open.db"), 1u << 7, &st),
	    SBD_ERR_INVAL);
	assert_null(st);
}

static void
test_reopen_and_migrations(void **state)
{
	struct sbd_store *st;
	char val[16], msg[256];
	int64_t g;
	int v = -1;

	(void)state;
	st = new_store("reopen.db");
	assert_int_equal(sbd_store_param_set(st, "ItlRollback", "true"), 0);
	g = gen(st);
	assert_true(g > 0);
	sbd_store_close(st);

	/* Reopening applies no migration twice and keeps the data. */
	for (int i = 0; i < 2; i++) {
		st = NULL;
		assert_int_equal(sbd_store_open(db_path("reopen.db"),
		    i == 0 ? 0 : SBD_STORE_CREATE, &st), 0);
		assert_int_equal(sbd_store_schema(st, &v), 0);
		assert_int_equal(v, SBD_STORE_SCHEMA);
		assert_int_equal(gen(st), g);
		assert_int_equal(sbd_store_param_get(st, "ItlRollback", val,
		    sizeof(val)), 0);
		assert_string_equal(val, "true");
		sbd_store_close(st);
	}

	/* Read-only: reads work, writes are refused. */
	st = NULL;
	assert_int_equal(sbd_store_open(db_path("reopen.db"),
	    SBD_STORE_RDONLY, &st), 0);
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val,
	    sizeof(val)), 0);
	assert_int_equal(sbd_store_param_set(st, "ItlRollback", "false"),
	    SBD_ERR_STORE);
	assert_true(strlen(sbd_store_errmsg(st)) > 0);
	sbd_store_close(st);

	/* A schema newer than this program is refused, not misread. */
	assert_int_equal(raw_exec(db_path("reopen.db"),
	    "PRAGMA user_version = 7", msg, sizeof(msg)), SQLITE_OK);
	st = NULL;
	assert_int_equal(sbd_store_open(db_path("reopen.db"), 0, &st),
	    SBD_ERR_VERSION);
	assert_null(st);
	assert_true(strstr(sbd_store_errmsg(NULL), "schema version 7") !=
	    NULL);
	assert_int_equal(sbd_store_open(db_path("reopen.db"),
	    SBD_STORE_RDONLY, &st), SBD_ERR_VERSION);

	/* Read-only never migrates: an empty file stays at version 0. */
	{
		FILE *f = fopen(db_path("empty.db"), "w");

		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(sbd_store_open(db_path("empty.db"),
	    SBD_STORE_RDONLY, &st), 0);
	assert_int_equal(sbd_store_schema(st, &v), 0);
	assert_int_equal(v, 0);
	sbd_store_close(st);
	assert_int_equal(sbd_store_open(db_path("empty.db"), 0, &st), 0);
	assert_int_equal(sbd_store_schema(st, &v), 0);
	assert_int_equal(v, SBD_STORE_SCHEMA);
	sbd_store_close(st);
}

static void
test_not_a_database(void **state)
{
	struct sbd_store *st = NULL;
	FILE *f;
	int i;

	(void)state;
	f = fopen(db_path("junk.db"), "w");
	assert_non_null(f);
	for (i = 0; i < 200; i++)
		fputs("this is not an SQLite database\n", f);
	fclose(f);
	assert_int_equal(sbd_store_open(db_path("junk.db"), 0, &st),
	    SBD_ERR_STORE);
	assert_null(st);
	assert_true(strstr(sbd_store_errmsg(NULL), "not a database") != NULL);
	assert_true(strstr(sbd_store_errmsg(NULL), "junk.db") != NULL);
	assert_int_equal(sbd_store_open(db_path("junk.db"), SBD_STORE_RDONLY,
	    &st), SBD_ERR_STORE);
	assert_int_equal(sbd_store_open(db_path("junk.db"), SBD_STORE_CREATE,
	    &st), SBD_ERR_STORE);
	assert_null(st);
}

/* ---- the cluster and its password ------------------------------------ */

static void
test_cluster(void **state)
{
	struct sbd_store *st;
	struct sbd_cluster c, got;
	int64_t t0;

	(void)state;
	st = new_store("cluster.db");
	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(sbd_store_cluster_get(st, &got), SBD_ERR_NOTFOUND);
	assert_int_equal(got.pw_iter, 0x5a5a5a5a);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "lab");
	assert_int_equal(sbd_store_cluster_update(st, &c), SBD_ERR_NOTFOUND);

	assert_int_equal(sbd_password_verifier_new("s3cret-pass", &c), 0);
	t0 = (int64_t)time(NULL);
	assert_int_equal(sbd_store_cluster_create(st, &c), 0);
	assert_int_equal(sbd_store_cluster_get(st, &got), 0);
	assert_string_equal(got.name, "lab");
	assert_memory_equal(got.pw_salt, c.pw_salt, sizeof(c.pw_salt));
	assert_memory_equal(got.pw_verifier, c.pw_verifier,
	    sizeof(c.pw_verifier));
	assert_int_equal(got.pw_iter, 100000);
	assert_int_equal(got.ctl_mode, SBD_CTL_NONE);
	assert_true(got.created >= t0 && got.created <= time(NULL));
	assert_int_equal(sbd_password_check("s3cret-pass", &got), 0);
	assert_int_equal(sbd_store_cluster_create(st, &c), SBD_ERR_EXISTS);

	snprintf(c.name, sizeof(c.name), "lab2");
	c.ctl_mode = SBD_CTL_MIXED;
	assert_int_equal(sbd_store_cluster_update(st, &c), 0);
	assert_int_equal(sbd_store_cluster_get(st, &c), 0);
	assert_string_equal(c.name, "lab2");
	assert_int_equal(c.ctl_mode, SBD_CTL_MIXED);
	assert_int_equal(c.created, got.created);

	/* Refused: a bad mode, an empty name, a name without its NUL. */
	c.ctl_mode = 2;
	assert_int_equal(sbd_store_cluster_update(st, &c), SBD_ERR_INVAL);
	c.ctl_mode = SBD_CTL_NONE;
	c.name[0] = '\0';
	assert_int_equal(sbd_store_cluster_update(st, &c), SBD_ERR_INVAL);
	memset(c.name, 'n', sizeof(c.name));
	assert_int_equal(sbd_store_cluster_update(st, &c), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_cluster_get(st, &c), 0);
	assert_string_equal(c.name, "lab2");
	sbd_store_close(st);
}

static void
test_password(void **state)
{
	/* PBKDF2-HMAC-SHA256("correct horse", 00..0f, 1000), from Python's
	 * hashlib.pbkdf2_hmac (checked against RFC 7914 section 11). */
	static const uint8_t kat[32] = {
		0xc9, 0x14, 0xcc, 0x4f, 0x06, 0xcc, 0x6e, 0x8f,
		0x46, 0xd1, 0x57, 0xe3, 0xa1, 0xb5, 0xaa, 0x7a,
		0xbc, 0xee, 0xbb, 0x17, 0xbb, 0x04, 0x44, 0xcd,
		0x4c, 0x4a, 0xc1, 0x6c, 0xa2, 0xae, 0x98, 0x64,
	};
	struct sbd_cluster a, b;
	int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	for (i = 0; i < 16; i++)
		a.pw_salt[i] = (uint8_t)i;
	memcpy(a.pw_verifier, kat, sizeof(kat));
	a.pw_iter = 1000;
	assert_int_equal(sbd_password_check("correct horse", &a), 0);
	assert_int_equal(sbd_password_check("correct horsf", &a),
	    SBD_ERR_PASSWORD);
	a.pw_verifier[31] ^= 1;
	assert_int_equal(sbd_password_check("correct horse", &a),
	    SBD_ERR_PASSWORD);
	a.pw_iter = 0;
	assert_int_equal(sbd_password_check("correct horse", &a),
	    SBD_ERR_INVAL);

	/* Fresh salt each time, so equal passwords differ in the store. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(sbd_password_verifier_new("correct horse", &a), 0);
	assert_int_equal(sbd_password_verifier_new("correct horse", &b), 0);
	assert_int_equal(a.pw_iter, 100000);
	assert_memory_not_equal(a.pw_salt, b.pw_salt, sizeof(a.pw_salt));
	assert_memory_not_equal(a.pw_verifier, b.pw_verifier,
	    sizeof(a.pw_verifier));
	assert_int_equal(sbd_password_check("correct horse", &a), 0);
	assert_int_equal(sbd_password_check("correct horse", &b), 0);
	assert_int_equal(sbd_password_check("", &a), SBD_ERR_PASSWORD);
	assert_int_equal(sbd_password_verifier_new(NULL, &a), SBD_ERR_INVAL);
	assert_int_equal(sbd_password_check("correct horse", &a), 0);
}

/* ---- nodes -------------------------------------------------------------- */

static void
test_nodes(void **state)
{
	struct sbd_store *st;
	struct sbd_node n, got, *list = NULL;
	size_t cnt = 0;

	(void)state;
	st = new_store("nodes.db");
	assert_int_equal(sbd_store_node_publisher(st, &got), SBD_ERR_NOTFOUND);
	add_node(st, "zz-pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS | SBD_SVC_CAPF);
	add_node(st, "b-sub", 0, SBD_SVC_TFTP);
	add_node(st, "a-sub", 0, SBD_SVC_TVS);

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "second-pub");
	n.publisher = 1;
	assert_int_equal(sbd_store_node_add(st, &n), SBD_ERR_EXISTS);
	snprintf(n.name, sizeof(n.name), "b-sub");
	n.publisher = 0;
	assert_int_equal(sbd_store_node_add(st, &n), SBD_ERR_EXISTS);
	n.name[0] = '\0';
	assert_int_equal(sbd_store_node_add(st, &n), SBD_ERR_INVAL);
	snprintf(n.name, sizeof(n.name), "c-sub");
	n.services = 1u << 5;
	assert_int_equal(sbd_store_node_add(st, &n), SBD_ERR_INVAL);
	memset(n.addr, 'a', sizeof(n.addr));
	n.services = 0;
	assert_int_equal(sbd_store_node_add(st, &n), SBD_ERR_INVAL);

	/* Publisher first, then by name. */
	assert_int_equal(sbd_store_node_list(st, &list, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_string_equal(list[0].name, "zz-pub");
	assert_int_equal(list[0].publisher, 1);
	assert_string_equal(list[1].name, "a-sub");
	assert_string_equal(list[2].name, "b-sub");
	assert_int_equal(list[2].services, SBD_SVC_TFTP);
	free(list);

	assert_int_equal(sbd_store_node_publisher(st, &got), 0);
	assert_string_equal(got.name, "zz-pub");
	assert_string_equal(got.domain, "example.org");
	assert_int_equal(got.tftp_port, 6969);
	assert_int_equal(got.http_port, 6970);
	assert_int_equal(got.tvs_port, 2445);
	assert_int_equal(got.capf_port, 3804);

	assert_int_equal(sbd_store_node_get(st, "a-sub", &got), 0);
	snprintf(got.addr, sizeof(got.addr), "10.0.0.2");
	got.tvs_port = 65535;
	got.services |= SBD_SVC_CAPF;
	assert_int_equal(sbd_store_node_update(st, &got), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(sbd_store_node_get(st, "a-sub", &n), 0);
	assert_string_equal(n.addr, "10.0.0.2");
	assert_int_equal(n.tvs_port, 65535);
	assert_int_equal(n.services, SBD_SVC_TVS | SBD_SVC_CAPF);
	assert_int_equal(n.created, got.created);
	/* Only one publisher, by update too. */
	n.publisher = 1;
	assert_int_equal(sbd_store_node_update(st, &n), SBD_ERR_EXISTS);
	snprintf(n.name, sizeof(n.name), "nosuch");
	assert_int_equal(sbd_store_node_update(st, &n), SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_node_get(st, "nosuch", &n),
	    SBD_ERR_NOTFOUND);
	assert_string_equal(n.name, "nosuch");	/* untouched */
	assert_int_equal(sbd_store_node_get(st, "", &n), SBD_ERR_INVAL);
	sbd_store_close(st);
}

/* ---- certificates ----------------------------------------------------- */

static void
test_certs(void **state)
{
	struct sbd_store *st;
	struct sbd_store_cert c, got, *list = NULL;
	size_t cnt = 0;
	int64_t id1, id2;

	(void)state;
	st = new_store("certs.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	add_node(st, "sub", 0, SBD_SVC_TFTP);

	fill_cert(&c, "pub", SBD_CR_CALLMANAGER, "nodes/pub/pki/cm1.pem",
	    'a');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	id1 = c.id;
	assert_true(id1 > 0);
	assert_int_equal(sbd_store_cert_get(st, "pub", SBD_CR_CALLMANAGER,
	    &got), 0);
	assert_int_equal(got.id, id1);
	assert_int_equal(got.active, 1);
	assert_string_equal(got.cert_path, "nodes/pub/pki/cm1.pem");

	/* A new one becomes active; the old one stays, inactive.  An
	 * upper-case hash is stored lower-case. */
	fill_cert(&c, "pub", SBD_CR_CALLMANAGER, "nodes/pub/pki/cm2.pem",
	    'B');
	c.key_path[0] = '\0';
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	id2 = c.id;
	assert_true(id2 > id1);
	assert_int_equal(sbd_store_cert_get(st, "pub", SBD_CR_CALLMANAGER,
	    &got), 0);
	assert_int_equal(got.id, id2);
	assert_string_equal(got.sha1,
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(got.key_path, "");

	fill_cert(&c, "pub", SBD_CR_TVS, "nodes/pub/pki/tvs.pem", 'c');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	fill_cert(&c, "sub", SBD_CR_CALLMANAGER, "nodes/sub/pki/cm.pem", 'd');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);

	assert_int_equal(sbd_store_cert_list(st, "pub", 1, &list, &cnt), 0);
	assert_int_equal(cnt, 2);
	assert_int_equal(list[0].id, id2);
	assert_string_equal(list[1].role, SBD_CR_TVS);
	free(list);
	assert_int_equal(sbd_store_cert_list(st, "pub", 0, &list, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_int_equal(list[0].id, id1);
	assert_int_equal(list[0].active, 0);
	assert_int_equal(list[1].id, id2);
	assert_int_equal(list[1].active, 1);
	free(list);
	/* Every node: ordered by node, role, id. */
	assert_int_equal(sbd_store_cert_list(st, NULL, 1, &list, &cnt), 0);
	assert_int_equal(cnt, 3);
	assert_string_equal(list[0].node, "pub");
	assert_string_equal(list[2].node, "sub");
	free(list);
	list = NULL;
	assert_int_equal(sbd_store_cert_list(st, "nobody", 0, &list, &cnt), 0);
	assert_int_equal(cnt, 0);
	free(list);

	assert_int_equal(sbd_store_cert_get(st, "sub", SBD_CR_TVS, &got),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_cert_get(st, "sub", "Phone", &got),
	    SBD_ERR_INVAL);
	fill_cert(&c, "nobody", SBD_CR_TVS, "x.pem", 'e');
	c.id = -5;
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_NOTFOUND);
	assert_int_equal(c.id, -5);
	fill_cert(&c, "sub", "Phone", "x.pem", 'e');
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_INVAL);
	fill_cert(&c, "sub", SBD_CR_TVS, "/etc/x.pem", 'e');
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_INVAL);
	fill_cert(&c, "sub", SBD_CR_TVS, "x.pem", 'g');
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_INVAL);
	fill_cert(&c, "sub", SBD_CR_TVS, "x.pem", 'e');
	c.sha1[39] = '\0';
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_cert_list(st, NULL, 0, &list, &cnt), 0);
	assert_int_equal(cnt, 4);
	free(list);
	sbd_store_close(st);
}

/* ---- devices -------------------------------------------------------- */

static void
test_mac_parse(void **state)
{
	static const char *const good[] = {
		"00:11:22:aa:bb:cc", "00-11-22-AA-BB-CC", "0011.22AA.BBCC",
		"0011.22aa.bbcc", "001122aAbBcC", "SEP001122AABBCC",
		"sep001122aabbcc",
	};
	static const char *const bad[] = {
		"00112233445", "0011223344556", "00112233445G", "", "SEP",
		"SEP00:11:22:aa:bb:cc", "00:11:22-aa:bb:cc",
		"00.11.22.aa.bb.cc",
		"0011:22aa:bbcc", "0011.22aa.bbc", "00:11:22:aa:bb:cc:",
		" 001122aabbcc", "SEP0011.22aa.bbcc", "00_11_22_aa_bb_cc",
	};
	char out[SBD_MAC_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(sbd_mac_parse(good[i], out), 0);
		assert_string_equal(out, "001122AABBCC");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(out, sizeof(out), "untouched");
		assert_int_equal(sbd_mac_parse(bad[i], out), SBD_ERR_VALUE);
		assert_string_equal(out, "untouched");
	}
	assert_int_equal(sbd_mac_parse(NULL, out), SBD_ERR_VALUE);
}

static void
test_devices(void **state)
{
	struct sbd_store *st;
	struct sbd_device d, got, *list = NULL;
	uint8_t der[700];
	size_t cnt = 0, i;
	int64_t created;

	(void)state;
	st = new_store("devices.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS | SBD_SVC_CAPF);
	add_node(st, "sub", 0, SBD_SVC_TVS);
	add_node(st, "tftp-only", 0, SBD_SVC_TFTP);
	for (i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 7 + 1);

	fill_device(&d, "001122aabbcc", "pub", "sub");
	snprintf(d.cert_kind, sizeof(d.cert_kind), "LSC");
	d.cert_der = der;
	d.cert_len = sizeof(der);
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	assert_int_equal(sbd_store_device_get(st, "SEP001122AABBCC", &got), 0);
	assert_string_equal(got.mac, "001122AABBCC");
	assert_string_equal(got.name, "SEP001122AABBCC");
	assert_string_equal(got.model, "CP-8845");
	assert_string_equal(got.description, "lobby <phone>");
	assert_int_equal(got.profile, SBD_PROFILE_AUTH);
	assert_string_equal(got.tvs[0], "pub");
	assert_string_equal(got.tvs[1], "sub");
	assert_string_equal(got.tvs[2], "");
	assert_string_equal(got.cert_kind, "LSC");
	assert_int_equal(got.cert_len, sizeof(der));
	assert_non_null(got.cert_der);
	assert_true(got.cert_der != der);
	assert_memory_equal(got.cert_der, der, sizeof(der));
	assert_string_equal(got.served_itl_sha1, "");
	assert_int_equal(got.served_itl_at, 0);
	assert_int_equal(got.config_at, 0);
	assert_true(got.created > 0);
	created = got.created;
	sbd_device_clear(&got);
	assert_null(got.cert_der);
	assert_int_equal(got.cert_len, 0);
	sbd_device_clear(NULL);

	/* The same MAC in another case is the same device. */
	fill_device(&d, "001122AaBbCc", "pub", "");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_EXISTS);

	/* Refused, and nothing added. */
	fill_device(&d, "000000000001", "nosuch", "");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_NOTFOUND);
	fill_device(&d, "000000000001", "pub", "tftp-only");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_NOTFOUND);
	fill_device(&d, "000000000001", "pub", "");
	snprintf(d.tvs[2], sizeof(d.tvs[2]), "sub");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "000000000001", "", "pub");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "000000000001", "pub", "pub");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "00000000000g", "pub", "");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_VALUE);
	fill_device(&d, "000000000001", "pub", "");
	d.profile = 3;
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "000000000001", "pub", "");
	memset(d.model, 'm', sizeof(d.model));
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "000000000001", "pub", "");
	snprintf(d.cert_kind, sizeof(d.cert_kind), "CA");
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	fill_device(&d, "000000000001", "pub", "");
	d.cert_len = 10;
	assert_int_equal(sbd_store_device_add(st, &d), SBD_ERR_INVAL);
	{
		static uint8_t big[SBD_DEVCERT_MAX + 1];

		d.cert_der = big;
		d.cert_len = sizeof(big);
		assert_int_equal(sbd_store_device_add(st, &d),
		    SBD_ERR_TOOBIG);
		d.cert_len = SBD_DEVCERT_MAX;
		snprintf(d.mac, sizeof(d.mac), "0000000000FF");
		assert_int_equal(sbd_store_device_add(st, &d), 0);
	}
	assert_int_equal(device_count(st), 2);

	/* No TVS at all is a valid group; list is ordered by mac. */
	fill_device(&d, "ffffff000000", "", "");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	fill_device(&d, "100000000000", "sub", "pub");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	assert_int_equal(sbd_store_device_list(st, &list, &cnt), 0);
	assert_int_equal(cnt, 4);
	assert_string_equal(list[0].mac, "0000000000FF");
	assert_int_equal(list[0].cert_len, SBD_DEVCERT_MAX);
	assert_string_equal(list[1].mac, "001122AABBCC");
	assert_memory_equal(list[1].cert_der, der, sizeof(der));
	assert_string_equal(list[2].mac, "100000000000");
	assert_string_equal(list[2].tvs[0], "sub");
	assert_string_equal(list[3].mac, "FFFFFF000000");
	assert_null(list[3].cert_der);
	assert_string_equal(list[3].tvs[0], "");
	sbd_device_list_free(list, cnt);
	sbd_device_list_free(NULL, 0);

	/* Update: profile, model, description, group and certificate. */
	fill_device(&d, "001122aabbcc", "sub", "");
	d.profile = SBD_PROFILE_ENCRYPTED;
	snprintf(d.model, sizeof(d.model), "CP-7841");
	assert_int_equal(sbd_store_device_update(st, &d), 0);
	assert_int_equal(sbd_store_device_get(st, "00-11-22-aa-bb-cc", &got),
	    0);
	assert_int_equal(got.profile, SBD_PROFILE_ENCRYPTED);
	assert_string_equal(got.model, "CP-7841");
	assert_string_equal(got.tvs[0], "sub");
	assert_string_equal(got.tvs[1], "");
	assert_null(got.cert_der);
	assert_string_equal(got.cert_kind, "");
	assert_int_equal(got.created, created);
	sbd_device_clear(&got);
	fill_device(&d, "001122aabbcc", "tftp-only", "");
	assert_int_equal(sbd_store_device_update(st, &d), SBD_ERR_NOTFOUND);
	fill_device(&d, "001122aabbcd", "sub", "");
	assert_int_equal(sbd_store_device_update(st, &d), SBD_ERR_NOTFOUND);

	assert_int_equal(sbd_store_device_remove(st, "SEP001122AABBCC"), 0);
	memset(&got, 0, sizeof(got));
	assert_int_equal(sbd_store_device_get(st, "001122AABBCC", &got),
	    SBD_ERR_NOTFOUND);
	assert_string_equal(got.mac, "");
	assert_int_equal(sbd_store_device_remove(st, "001122AABBCC"),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_device_remove(st, "nonsense"),
	    SBD_ERR_VALUE);
	assert_int_equal(device_count(st), 3);
	sbd_store_close(st);
}

/* ---- what sbdd notes, and the generation counter ----------------------- */

static void
test_notes_and_generation(void **state)
{
	static const char h1[] = "0123456789abcdef0123456789abcdef01234567";
	static const char h2[] = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";
	struct sbd_store *st;
	struct sbd_store_cert c;
	struct sbd_cluster cl;
	struct sbd_device d;
	int64_t g;

	(void)state;
	st = new_store("notes.db");
	g = gen(st);
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	assert_true(gen(st) > g);
	g = gen(st);
	fill_cert(&c, "pub", SBD_CR_TVS, "tvs.pem", 'a');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	assert_true(gen(st) > g);
	g = gen(st);
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.name, sizeof(cl.name), "lab");
	assert_int_equal(sbd_store_cluster_create(st, &cl), 0);
	assert_true(gen(st) > g);
	g = gen(st);
	cl.ctl_mode = SBD_CTL_MIXED;
	assert_int_equal(sbd_store_cluster_update(st, &cl), 0);
	assert_true(gen(st) > g);
	g = gen(st);
	fill_device(&d, "001122334455", "pub", "");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	assert_true(gen(st) > g);
	g = gen(st);

	/* Unknown devices are ignored, and not created. */
	assert_int_equal(sbd_store_device_note_itl(st, "66:77:88:99:aa:bb",
	    h1, 100), 0);
	assert_int_equal(sbd_store_device_note_config(st, "667788.99aabb",
	    101), SBD_ERR_VALUE);
	assert_int_equal(sbd_store_device_note_config(st, "6677.8899.aabb",
	    101), 0);
	assert_int_equal(sbd_store_device_note_reported(st,
	    "SEP66778899AABB", h1, 102), 0);
	assert_int_equal(device_count(st), 1);
	memset(&d, 0, sizeof(d));
	assert_int_equal(sbd_store_device_get(st, "66778899AABB", &d),
	    SBD_ERR_NOTFOUND);

	/* Known ones remember, without bumping the generation. */
	assert_int_equal(sbd_store_device_note_itl(st, "001122334455", h1,
	    1000), 0);
	assert_int_equal(sbd_store_device_note_config(st, "001122334455",
	    1001), 0);
	assert_int_equal(sbd_store_device_note_reported(st, "001122334455",
	    h2, 1002), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_device_get(st, "001122334455", &d), 0);
	assert_string_equal(d.served_itl_sha1, h1);
	assert_int_equal(d.served_itl_at, 1000);
	assert_int_equal(d.config_at, 1001);
	assert_string_equal(d.reported_sha1,
	    "89abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(d.reported_at, 1002);
	/* A phone that holds no ITL reports an empty hash. */
	assert_int_equal(sbd_store_device_note_reported(st, "001122334455",
	    "", 1003), 0);
	assert_int_equal(sbd_store_device_note_itl(st, "001122334455", "",
	    1004), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_device_note_itl(st, "001122334455",
	    "0123", 1004), SBD_ERR_INVAL);
	assert_int_equal(gen(st), g);

	/* The notes survive an administrator's update, which bumps. */
	assert_int_equal(sbd_store_device_update(st, &d), 0);
	assert_true(gen(st) > g);
	g = gen(st);
	sbd_device_clear(&d);
	assert_int_equal(sbd_store_device_get(st, "001122334455", &d), 0);
	assert_string_equal(d.served_itl_sha1, h1);
	assert_string_equal(d.reported_sha1, "");
	assert_int_equal(d.reported_at, 1003);
	sbd_device_clear(&d);

	assert_int_equal(sbd_store_param_set(st, "ItlRollback", "true"), 0);
	assert_true(gen(st) > g);
	g = gen(st);
	assert_int_equal(sbd_store_audit(st, "test", "note", "x"), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_device_remove(st, "001122334455"), 0);
	assert_true(gen(st) > g);
	sbd_store_close(st);
}

/* ---- parameters and the audit log ----------------------------------- */

static void
test_params(void **state)
{
	struct sbd_store *st;
	char val[SBD_PARAM_MAX], big[SBD_PARAM_MAX + 1], name[SBD_NAME_MAX + 1];

	(void)state;
	st = new_store("params.db");
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val,
	    sizeof(val)), SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_param_set(st, "ItlRollback", "true"), 0);
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val, 5), 0);
	assert_string_equal(val, "true");
	/* Too small a buffer: refused, never cut, buffer untouched. */
	snprintf(val, sizeof(val), "zzz");
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val, 4),
	    SBD_ERR_TOOBIG);
	assert_string_equal(val, "zzz");
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val, 0),
	    SBD_ERR_TOOBIG);
	assert_int_equal(sbd_store_param_set(st, "ItlRollback", "false"), 0);
	assert_int_equal(sbd_store_param_get(st, "ItlRollback", val,
	    sizeof(val)), 0);
	assert_string_equal(val, "false");
	assert_int_equal(sbd_store_param_set(st, "Empty", ""), 0);
	assert_int_equal(sbd_store_param_get(st, "Empty", val, 1), 0);
	assert_string_equal(val, "");

	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sbd_store_param_set(st, "Big", big), SBD_ERR_INVAL);
	big[sizeof(big) - 2] = '\0';	/* 255 characters fit */
	assert_int_equal(sbd_store_param_set(st, "Big", big), 0);
	assert_int_equal(sbd_store_param_get(st, "Big", val, sizeof(val)), 0);
	assert_string_equal(val, big);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(sbd_store_param_set(st, name, "x"), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_param_set(st, "", "x"), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_param_set(st, "X", NULL), SBD_ERR_INVAL);
	sbd_store_close(st);
}

static void
test_audit(void **state)
{
	struct sbd_store *st;
	struct sbd_audit *a = NULL;
	char big[600], msg[256];
	size_t n = 0;
	int64_t t0;

	(void)state;
	st = new_store("audit.db");
	t0 = (int64_t)time(NULL);
	assert_int_equal(sbd_store_audit_list(st, 0, &a, &n), 0);
	assert_int_equal(n, 0);
	free(a);
	assert_int_equal(sbd_store_audit(st, "sbdctl:alice", "cluster init",
	    "name %s", "lab"), 0);
	assert_int_equal(sbd_store_audit(st, "sbdctl:alice", "device add",
	    "mac %s profile %d", "001122AABBCC", 2), 0);
	assert_int_equal(sbd_store_audit(st, "sbdd:pub", "reload", "%s", ""),
	    0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sbd_store_audit(st, "sbdd:pub", "big", "%s", big),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_audit(st, "", "empty actor", "x"),
	    SBD_ERR_INVAL);

	assert_int_equal(sbd_store_audit_list(st, 0, &a, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(a[0].action, "cluster init");
	assert_string_equal(a[0].detail, "name lab");
	assert_string_equal(a[1].actor, "sbdctl:alice");
	assert_string_equal(a[1].detail, "mac 001122AABBCC profile 2");
	assert_string_equal(a[2].actor, "sbdd:pub");
	assert_true(a[0].id < a[1].id && a[1].id < a[2].id);
	assert_true(a[0].when >= t0 && a[2].when <= time(NULL));
	free(a);
	/* The newest two, oldest first. */
	assert_int_equal(sbd_store_audit_list(st, 2, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].action, "device add");
	assert_string_equal(a[1].action, "reload");
	free(a);

	/* Append-only even for someone with the file in hand. */
	assert_int_equal(raw_exec(db_path("audit.db"),
	    "UPDATE audit SET detail = 'forged'", msg, sizeof(msg)) & 0xff,
	    SQLITE_CONSTRAINT);
	assert_true(strstr(msg, "append-only") != NULL);
	assert_int_equal(raw_exec(db_path("audit.db"), "DELETE FROM audit",
	    msg, sizeof(msg)) & 0xff, SQLITE_CONSTRAINT);
	assert_true(strstr(msg, "append-only") != NULL);
	assert_int_equal(sbd_store_audit_list(st, 0, &a, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(a[0].detail, "name lab");
	free(a);
	sbd_store_close(st);
}

/* ---- transactions and concurrency ------------------------------------ */

static void
test_transactions(void **state)
{
	struct sbd_store *st;
	struct sbd_store_cert c;
	struct sbd_node n;
	char val[16];

	(void)state;
	st = new_store("txn.db");
	assert_int_equal(sbd_store_commit(st), SBD_ERR_INVAL);
	sbd_store_rollback(st);		/* nothing to roll back */

	assert_int_equal(sbd_store_begin(st), 0);
	assert_int_equal(sbd_store_begin(st), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_param_set(st, "A", "1"), 0);
	add_node(st, "pub", 1, SBD_SVC_TVS);
	assert_int_equal(sbd_store_param_get(st, "A", val, sizeof(val)), 0);
	sbd_store_rollback(st);
	assert_int_equal(sbd_store_param_get(st, "A", val, sizeof(val)),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_node_get(st, "pub", &n), SBD_ERR_NOTFOUND);

	/* A failed call inside a transaction undoes only itself. */
	assert_int_equal(sbd_store_begin(st), 0);
	assert_int_equal(sbd_store_param_set(st, "A", "1"), 0);
	fill_cert(&c, "nobody", SBD_CR_TVS, "x.pem", 'a');
	assert_int_equal(sbd_store_cert_add(st, &c), SBD_ERR_NOTFOUND);
	add_node(st, "pub", 1, SBD_SVC_TVS);
	assert_int_equal(sbd_store_commit(st), 0);
	assert_int_equal(sbd_store_commit(st), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_param_get(st, "A", val, sizeof(val)), 0);
	assert_string_equal(val, "1");
	assert_int_equal(sbd_store_node_get(st, "pub", &n), 0);
	sbd_store_close(st);
}

static void
test_two_handles(void **state)
{
	struct sbd_store *a, *b = NULL;
	char val[16];
	int64_t g;

	(void)state;
	a = new_store("two.db");
	assert_int_equal(sbd_store_open(db_path("two.db"), 0, &b), 0);
	g = gen(b);
	assert_int_equal(sbd_store_param_set(a, "P", "1"), 0);
	assert_int_equal(sbd_store_param_get(b, "P", val, sizeof(val)), 0);
	assert_string_equal(val, "1");
	assert_true(gen(b) > g);

	/* Uncommitted changes stay private; the write lock is exclusive. */
	assert_int_equal(sbd_store_begin(a), 0);
	assert_int_equal(sbd_store_param_set(a, "P", "2"), 0);
	assert_int_equal(sbd_store_param_get(b, "P", val, sizeof(val)), 0);
	assert_string_equal(val, "1");
	assert_int_equal(sbd_store_begin(b), SBD_ERR_BUSY);	/* after 5 s */
	assert_true(strlen(sbd_store_errmsg(b)) > 0);
	assert_int_equal(sbd_store_commit(a), 0);
	assert_int_equal(sbd_store_param_get(b, "P", val, sizeof(val)), 0);
	assert_string_equal(val, "2");
	/* b is usable again: the failed begin left no transaction. */
	assert_int_equal(sbd_store_begin(b), 0);
	assert_int_equal(sbd_store_param_set(b, "P", "3"), 0);
	assert_int_equal(sbd_store_commit(b), 0);
	assert_int_equal(sbd_store_param_get(a, "P", val, sizeof(val)), 0);
	assert_string_equal(val, "3");
	sbd_store_close(b);
	sbd_store_close(a);
}


/* ---- CAPF tasks, the trust table, migration 2 -------------------------- */

static void
capf_task(struct sbd_capf_task *t, enum sbd_capf_op op,
    enum sbd_capf_auth auth, const char *pw, int ec, uint16_t size)
{
	memset(t, 0, sizeof(*t));
	t->op = op;
	t->auth = auth;
	snprintf(t->password, sizeof(t->password), "%s", pw);
	t->key_ec = ec;
	t->key_size = size;
	snprintf(t->status, sizeof(t->status), "Pending");
	t->status_at = 1700000000;
}

static void
test_capf_task(void **state)
{
	static const struct {
		enum sbd_capf_op op;
		enum sbd_capf_auth auth;
		const char *pw;
		int ec;
		uint16_t size;
	} bad[] = {
		{ 4, SBD_CAPF_AUTH_NULL, "", 0, 2048 },		/* op */
		{ SBD_CAPF_OP_INSTALL, 0, "", 0, 2048 },	/* auth */
		{ SBD_CAPF_OP_INSTALL, 5, "", 0, 2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_PASSWORD, "123", 0, 2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_PASSWORD, "", 0, 2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_PASSWORD, "12a45", 0,
		    2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_NULL, "1234", 0, 2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_NULL, "", 0, 2047 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_NULL, "", 0, 512 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_NULL, "", 1, 2048 },
		{ SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_NULL, "", 1, 224 },
	};
	struct sbd_store *st;
	struct sbd_device d, got;
	struct sbd_capf_task t;
	int64_t g;
	size_t i;

	(void)state;
	st = new_store("capf.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS | SBD_SVC_CAPF);
	fill_device(&d, "00aabbccddee", "pub", "");
	assert_int_equal(sbd_store_device_add(st, &d), 0);

	/* A new device has no task; the defaults are null auth, RSA-2048. */
	assert_int_equal(sbd_store_device_get(st, "00AABBCCDDEE", &got), 0);
	assert_int_equal(got.capf.op, SBD_CAPF_OP_NONE);
	assert_int_equal(got.capf.auth, SBD_CAPF_AUTH_NULL);
	assert_int_equal(got.capf.key_size, 2048);
	assert_string_equal(got.capf.status, "");
	sbd_device_clear(&got);

	/*
	 * A task round-trips and moves the generation: the configuration
	 * sbdd serves says capfAuthMode while it is pending.
	 */
	g = gen(st);
	capf_task(&t, SBD_CAPF_OP_INSTALL, SBD_CAPF_AUTH_PASSWORD,
	    "0123456789", 1, 384);
	assert_int_equal(sbd_store_device_capf(st, "00:AA:BB:CC:DD:EE", &t),
	    0);
	assert_true(gen(st) > g);
	/* A new status alone (sbdd's notes) rebuilds nothing. */
	g = gen(st);
	snprintf(t.status, sizeof(t.status), "Operation Pending");
	t.status_at++;
	assert_int_equal(sbd_store_device_capf(st, "00AABBCCDDEE", &t), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_device_get(st, "SEP00AABBCCDDEE", &got),
	    0);
	assert_int_equal(got.capf.op, SBD_CAPF_OP_INSTALL);
	assert_int_equal(got.capf.auth, SBD_CAPF_AUTH_PASSWORD);
	assert_string_equal(got.capf.password, "0123456789");
	assert_int_equal(got.capf.key_ec, 1);
	assert_int_equal(got.capf.key_size, 384);
	assert_string_equal(got.capf.status, "Operation Pending");
	assert_int_equal(got.capf.status_at, 1700000001);
	sbd_device_clear(&got);

	/* Every refusal leaves the stored task as it was. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		capf_task(&t, bad[i].op, bad[i].auth, bad[i].pw, bad[i].ec,
		    bad[i].size);
		assert_int_equal(sbd_store_device_capf(st, "00AABBCCDDEE",
		    &t), SBD_ERR_VALUE);
	}
	assert_int_equal(sbd_store_device_get(st, "00AABBCCDDEE", &got), 0);
	assert_string_equal(got.capf.password, "0123456789");
	assert_int_equal(got.capf.key_size, 384);
	sbd_device_clear(&got);

	/* The outcome: no operation pending, password cleared. */
	capf_task(&t, SBD_CAPF_OP_NONE, SBD_CAPF_AUTH_PASSWORD, "", 0, 2048);
	snprintf(t.status, sizeof(t.status), "Upgrade Success");
	assert_int_equal(sbd_store_device_capf(st, "00AABBCCDDEE", &t), 0);
	assert_int_equal(sbd_store_device_get(st, "00AABBCCDDEE", &got), 0);
	assert_int_equal(got.capf.op, SBD_CAPF_OP_NONE);
	assert_string_equal(got.capf.password, "");
	assert_string_equal(got.capf.status, "Upgrade Success");
	sbd_device_clear(&got);

	capf_task(&t, SBD_CAPF_OP_DELETE, SBD_CAPF_AUTH_LSC, "", 0, 4096);
	assert_int_equal(sbd_store_device_capf(st, "001122334455", &t),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_device_capf(st, "not-a-mac", &t),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_device_capf(st, "00AABBCCDDEE", NULL),
	    SBD_ERR_INVAL);
	sbd_store_close(st);
}

static void
test_trust(void **state)
{
	struct sbd_store *st;
	struct sbd_trust t, *list = NULL;
	uint8_t der[300], der2[40];
	size_t n = 99, i;
	int64_t g;

	(void)state;
	st = new_store("trust.db");
	for (i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 13 + 5);
	memset(der2, 0x5a, sizeof(der2));
	memset(&t, 0, sizeof(t));
	t.der = der;
	t.der_len = sizeof(der);
	t.roles[0] = 7;
	t.roles[1] = 1;
	t.nroles = 2;
	t.ttl = 600;
	snprintf(t.description, sizeof(t.description), "directories");

	g = gen(st);
	assert_int_equal(sbd_store_trust_add(st, &t), 0);
	/* TVS answers from the trust table: a change must reach sbdd. */
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_trust_add(st, &t), SBD_ERR_EXISTS);
	t.der = der2;
	t.der_len = sizeof(der2);
	t.nroles = 1;
	t.ttl = 0;
	assert_int_equal(sbd_store_trust_add(st, &t), 0);

	assert_int_equal(sbd_store_trust_list(st, &list, &n), 0);
	assert_int_equal(n, 2);
	/* Ordered by SHA-256; each has its own bytes, roles and TTL. */
	assert_true(strcmp(list[0].sha256, list[1].sha256) < 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(strlen(list[i].sha256), 64);
		if (list[i].der_len == sizeof(der)) {
			assert_memory_equal(list[i].der, der, sizeof(der));
			assert_int_equal(list[i].nroles, 2);
			assert_int_equal(list[i].roles[0], 7);
			assert_int_equal(list[i].roles[1], 1);
			assert_int_equal(list[i].ttl, 600);
			assert_string_equal(list[i].description,
			    "directories");
		} else {
			assert_int_equal(list[i].der_len, sizeof(der2));
			assert_int_equal(list[i].nroles, 1);
			assert_int_equal(list[i].ttl, 0);
		}
		assert_true(list[i].created > 0);
	}
	/* The key is the SHA-256 of the DER, in lowercase hex. */
	for (i = 0; i < n && list[i].der_len != sizeof(der2); i++)
		;
	assert_true(i < n);
	{
		uint8_t md[EVP_MAX_MD_SIZE];
		char hex[65];
		unsigned mdlen = 0, k;

		assert_int_equal(EVP_Digest(der2, sizeof(der2), md, &mdlen,
		    EVP_sha256(), NULL), 1);
		for (k = 0; k < mdlen; k++)
			snprintf(hex + 2 * k, 3, "%02x", md[k]);
		assert_string_equal(list[i].sha256, hex);
	}

	/* Removal by hash, in any case; unknown and malformed hashes. */
	g = gen(st);
	for (i = 0; list[0].sha256[i] != '\0'; i++)
		list[0].sha256[i] = (char)toupper(
		    (unsigned char)list[0].sha256[i]);
	assert_int_equal(sbd_store_trust_remove(st, list[0].sha256), 0);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_trust_remove(st, list[0].sha256),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_trust_remove(st, "abc"), SBD_ERR_VALUE);
	list[0].sha256[3] = 'g';
	assert_int_equal(sbd_store_trust_remove(st, list[0].sha256),
	    SBD_ERR_VALUE);
	sbd_trust_list_free(list, n);
	list = NULL;
	assert_int_equal(sbd_store_trust_list(st, &list, &n), 0);
	assert_int_equal(n, 1);
	sbd_trust_list_free(list, n);

	/* Refused: no roles, too many, TTL over 30 days, no DER. */
	t.nroles = 0;
	assert_int_equal(sbd_store_trust_add(st, &t), SBD_ERR_INVAL);
	t.nroles = SBD_TRUST_ROLES_MAX + 1;
	assert_int_equal(sbd_store_trust_add(st, &t), SBD_ERR_INVAL);
	t.nroles = 1;
	t.ttl = SBD_TVS_TTL_MAX + 1;
	assert_int_equal(sbd_store_trust_add(st, &t), SBD_ERR_INVAL);
	t.ttl = 1;
	t.der = NULL;
	assert_int_equal(sbd_store_trust_add(st, &t), SBD_ERR_INVAL);
	sbd_trust_list_free(NULL, 3);
	sbd_store_close(st);
}

/*
 * A store made at schema 1 (before CAPF tasks and the trust table) is
 * brought to the current schema at open, keeping its devices.
 */
static void
test_migration_2(void **state)
{
	struct sbd_store *st;
	struct sbd_device d, got;
	struct sbd_trust *list = NULL;
	char msg[256];
	size_t n = 9;
	int v = -1;

	(void)state;
	st = new_store("v1.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	fill_device(&d, "0000000000AA", "pub", "");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	sbd_store_close(st);
	assert_int_equal(raw_exec(db_path("v1.db"), to_schema2, msg,
	    sizeof(msg)), SQLITE_OK);
	assert_int_equal(raw_exec(db_path("v1.db"),
	    "DROP TABLE trust;"
	    "DROP TRIGGER device_capf_gen;"
	    "ALTER TABLE device DROP COLUMN capf_op;"
	    "ALTER TABLE device DROP COLUMN capf_auth;"
	    "ALTER TABLE device DROP COLUMN capf_password;"
	    "ALTER TABLE device DROP COLUMN capf_key_ec;"
	    "ALTER TABLE device DROP COLUMN capf_key_size;"
	    "ALTER TABLE device DROP COLUMN capf_status;"
	    "ALTER TABLE device DROP COLUMN capf_at;"
	    "PRAGMA user_version = 1;", msg, sizeof(msg)), SQLITE_OK);

	st = NULL;
	assert_int_equal(sbd_store_open(db_path("v1.db"), 0, &st), 0);
	assert_int_equal(sbd_store_schema(st, &v), 0);
	assert_int_equal(v, SBD_STORE_SCHEMA);
	assert_int_equal(sbd_store_device_get(st, "0000000000AA", &got), 0);
	assert_string_equal(got.model, "CP-8845");
	assert_int_equal(got.capf.op, SBD_CAPF_OP_NONE);
	assert_int_equal(got.capf.key_size, 2048);
	sbd_device_clear(&got);
	assert_int_equal(sbd_store_trust_list(st, &list, &n), 0);
	assert_int_equal(n, 0);
	sbd_trust_list_free(list, n);
	sbd_store_close(st);
}

/* ---- schema 3: TFTP restarts, reset ITLs, node state, alarms ---------- */

static void
test_restart_tftp(void **state)
{
	struct sbd_store *st;
	struct sbd_node n, got;
	int64_t g, req;

	(void)state;
	st = new_store("restart.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP);
	add_node(st, "sub", 0, SBD_SVC_TFTP);
	assert_int_equal(sbd_store_node_get(st, "pub", &got), 0);
	assert_int_equal(got.tftp_restart, 0);

	/* A request is a change (the node's sbdd must see it) and a number. */
	g = gen(st);
	assert_int_equal(sbd_store_node_restart_tftp(st, "pub", &req), 0);
	assert_int_equal(req, 1);
	assert_true(gen(st) > g);
	g = gen(st);
	assert_int_equal(sbd_store_node_restart_tftp(st, "pub", &req), 0);
	assert_int_equal(req, 2);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_node_get(st, "pub", &got), 0);
	assert_int_equal(got.tftp_restart, 2);
	assert_int_equal(sbd_store_node_get(st, "sub", &got), 0);
	assert_int_equal(got.tftp_restart, 0);

	req = 77;
	assert_int_equal(sbd_store_node_restart_tftp(st, "nosuch", &req),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(req, 77);
	assert_int_equal(sbd_store_node_restart_tftp(st, "", &req),
	    SBD_ERR_INVAL);

	/* Inside a transaction that is rolled back, nothing was asked. */
	assert_int_equal(sbd_store_begin(st), 0);
	assert_int_equal(sbd_store_node_restart_tftp(st, "pub", &req), 0);
	assert_int_equal(req, 3);
	sbd_store_rollback(st);
	assert_int_equal(sbd_store_node_get(st, "pub", &got), 0);
	assert_int_equal(got.tftp_restart, 2);

	/* Only sbd_store_node_restart_tftp moves the number. */
	got.tftp_restart = 99;
	snprintf(got.addr, sizeof(got.addr), "127.0.0.9");
	assert_int_equal(sbd_store_node_update(st, &got), 0);
	memset(&n, 0, sizeof(n));
	assert_int_equal(sbd_store_node_get(st, "pub", &n), 0);
	assert_string_equal(n.addr, "127.0.0.9");
	assert_int_equal(n.tftp_restart, 2);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "sub2");
	n.tftp_restart = 5;
	assert_int_equal(sbd_store_node_add(st, &n), 0);
	assert_int_equal(sbd_store_node_get(st, "sub2", &got), 0);
	assert_int_equal(got.tftp_restart, 0);
	sbd_store_close(st);
}

static void
test_itl_reset(void **state)
{
	static uint8_t big[SBD_TL_MAX + 1];
	static const uint8_t der1[] = { 1, 2, 3, 4 }, der2[] = { 9, 8, 7 };
	struct sbd_store *st;
	uint8_t *der = NULL;
	size_t len = 42;
	int64_t g, restart = 42;

	(void)state;
	st = new_store("reset.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP);
	assert_int_equal(sbd_store_itl_reset_get(st, "pub", &der, &len,
	    &restart), SBD_ERR_NOTFOUND);
	assert_null(der);
	assert_int_equal(len, 42);
	assert_int_equal(restart, 42);

	/* Setting one is a change: sbdd reloads to serve it. */
	g = gen(st);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", der1,
	    sizeof(der1), 3), 0);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_itl_reset_get(st, "pub", &der, &len,
	    &restart), 0);
	assert_int_equal(len, sizeof(der1));
	assert_memory_equal(der, der1, sizeof(der1));
	assert_int_equal(restart, 3);
	free(der);
	der = NULL;

	/* At most one per node: set replaces. */
	g = gen(st);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", der2,
	    sizeof(der2), 4), 0);
	assert_true(gen(st) > g);
	assert_int_equal(raw_int(db_path("reset.db"),
	    "SELECT count(*) FROM itl_reset"), 1);
	assert_int_equal(sbd_store_itl_reset_get(st, "pub", &der, &len,
	    &restart), 0);
	assert_int_equal(len, sizeof(der2));
	assert_memory_equal(der, der2, sizeof(der2));
	assert_int_equal(restart, 4);
	free(der);
	der = NULL;

	assert_int_equal(sbd_store_itl_reset_set(st, "nosuch", der1,
	    sizeof(der1), 1), SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", der1, 0, 1),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", NULL, 4, 1),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", der1,
	    sizeof(der1), -1), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", big, sizeof(big),
	    5), SBD_ERR_TOOBIG);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", big,
	    sizeof(big) - 1, 5), 0);
	assert_int_equal(sbd_store_itl_reset_get(st, "pub", &der, &len,
	    &restart), 0);
	assert_int_equal(len, SBD_TL_MAX);
	assert_int_equal(restart, 5);
	free(der);
	der = NULL;

	/* Clearing is a change; clearing nothing is none, and no error. */
	g = gen(st);
	assert_int_equal(sbd_store_itl_reset_clear(st, "pub"), 0);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_itl_reset_get(st, "pub", &der, &len,
	    &restart), SBD_ERR_NOTFOUND);
	g = gen(st);
	assert_int_equal(sbd_store_itl_reset_clear(st, "pub"), 0);
	assert_int_equal(sbd_store_itl_reset_clear(st, "nosuch"), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_itl_reset_clear(st, ""), SBD_ERR_INVAL);
	sbd_store_close(st);
}

static void
fill_state(struct sbd_node_state *s, const char *node, int64_t pid,
    const char *sha1, const char *signer)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->node, sizeof(s->node), "%s", node);
	s->pid = pid;
	s->gen = 7;
	s->tftp_restart = 2;
	snprintf(s->itl_sha1, sizeof(s->itl_sha1), "%s", sha1);
	snprintf(s->itl_signer, sizeof(s->itl_signer), "%s", signer);
}

static void
test_node_state(void **state)
{
	static const char h[] = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";
	struct sbd_store *st;
	struct sbd_node_state s, got;
	int64_t g, t0;

	(void)state;
	assert_int_equal(unsetenv("SBD_TEST_CLOCK"), 0);
	st = new_store("state.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP);
	memset(&got, 0, sizeof(got));
	assert_int_equal(sbd_store_node_state_get(st, "pub", &got),
	    SBD_ERR_NOTFOUND);
	assert_string_equal(got.node, "");

	/* sbdd writes it after every load: no change, or it would loop. */
	g = gen(st);
	t0 = (int64_t)time(NULL);
	fill_state(&s, "pub", 1234, h, SBD_CR_CALLMANAGER);
	s.at = 5;
	assert_int_equal(sbd_store_node_state_set(st, &s), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_node_state_get(st, "pub", &got), 0);
	assert_string_equal(got.node, "pub");
	assert_int_equal(got.pid, 1234);
	assert_int_equal(got.gen, 7);
	assert_int_equal(got.tftp_restart, 2);
	assert_string_equal(got.itl_sha1,
	    "89abcdef0123456789abcdef0123456789abcdef");
	assert_string_equal(got.itl_signer, SBD_CR_CALLMANAGER);
	assert_true(got.at >= t0 && got.at <= (int64_t)time(NULL));

	/* Written again: replaced (the pid 0 of a stopped sbdd). */
	fill_state(&s, "pub", 0, h, SBD_CR_ITLRECOVERY);
	s.gen = 9;
	s.tftp_restart = 3;
	assert_int_equal(sbd_store_node_state_set(st, &s), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(raw_int(db_path("state.db"),
	    "SELECT count(*) FROM node_state"), 1);
	assert_int_equal(sbd_store_node_state_get(st, "pub", &got), 0);
	assert_int_equal(got.pid, 0);
	assert_int_equal(got.gen, 9);
	assert_int_equal(got.tftp_restart, 3);
	assert_string_equal(got.itl_signer, SBD_CR_ITLRECOVERY);

	fill_state(&s, "nosuch", 1, h, SBD_CR_CALLMANAGER);
	assert_int_equal(sbd_store_node_state_set(st, &s), SBD_ERR_NOTFOUND);
	fill_state(&s, "pub", 1, h, SBD_CR_TVS);
	assert_int_equal(sbd_store_node_state_set(st, &s), SBD_ERR_INVAL);
	fill_state(&s, "pub", 1, "0123", SBD_CR_CALLMANAGER);
	assert_int_equal(sbd_store_node_state_set(st, &s), SBD_ERR_INVAL);
	fill_state(&s, "pub", -1, h, SBD_CR_CALLMANAGER);
	assert_int_equal(sbd_store_node_state_set(st, &s), SBD_ERR_INVAL);
	fill_state(&s, "", 1, h, SBD_CR_CALLMANAGER);
	assert_int_equal(sbd_store_node_state_set(st, &s), SBD_ERR_INVAL);
	assert_int_equal(sbd_store_node_state_get(st, "pub", &got), 0);
	assert_int_equal(got.gen, 9);
	sbd_store_close(st);
}

static void
test_itl_seen(void **state)
{
	static uint8_t big[SBD_TL_MAX + 1];
	static const uint8_t itl[] = "an ITL, as far as the store cares";
	struct sbd_store *st;
	uint8_t md[20], *der = NULL;
	char h[41], up[41];
	size_t len = 42, i;
	int64_t g;

	(void)state;
	assert_int_equal(EVP_Digest(itl, sizeof(itl), md, NULL, EVP_sha1(),
	    NULL), 1);
	sbd_hex(md, sizeof(md), h);
	for (i = 0; i < sizeof(h); i++)
		up[i] = (char)toupper((unsigned char)h[i]);
	st = new_store("seen.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP);
	assert_int_equal(sbd_store_itl_seen_get(st, h, &der, &len),
	    SBD_ERR_NOTFOUND);
	assert_null(der);
	assert_int_equal(len, 42);

	g = gen(st);
	assert_int_equal(sbd_store_itl_seen_add(st, "pub", itl, sizeof(itl),
	    100), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_itl_seen_get(st, up, &der, &len), 0);
	assert_int_equal(len, sizeof(itl));
	assert_memory_equal(der, itl, sizeof(itl));
	free(der);
	der = NULL;

	/* A known ITL: a no-op that keeps the first sighting. */
	assert_int_equal(sbd_store_itl_seen_add(st, "sub", itl, sizeof(itl),
	    200), 0);
	assert_int_equal(gen(st), g);
	assert_int_equal(raw_int(db_path("seen.db"),
	    "SELECT count(*) FROM itl_seen"), 1);
	assert_int_equal(raw_int(db_path("seen.db"),
	    "SELECT first_at FROM itl_seen WHERE node = 'pub'"), 100);

	assert_int_equal(sbd_store_itl_seen_add(st, "pub", itl, 0, 1),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_itl_seen_add(st, "", itl, sizeof(itl), 1),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_itl_seen_add(st, "pub", big, sizeof(big),
	    1), SBD_ERR_TOOBIG);
	assert_int_equal(sbd_store_itl_seen_get(st, "0123", &der, &len),
	    SBD_ERR_INVAL);
	up[0] = up[0] == '0' ? '1' : '0';
	assert_int_equal(sbd_store_itl_seen_get(st, up, &der, &len),
	    SBD_ERR_NOTFOUND);
	assert_null(der);
	sbd_store_close(st);
}

static void
fill_alarm(struct sbd_alarm *a, const char *name, int64_t at,
    const char *text)
{
	memset(a, 0, sizeof(*a));
	a->at = at;
	snprintf(a->node, sizeof(a->node), "pub");
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->severity = 4;
	snprintf(a->text, sizeof(a->text), "%s", text);
}

static void
test_alarms(void **state)
{
	struct sbd_store *st;
	struct sbd_alarm a1, a2, a3, got, *list = NULL;
	size_t n = 9;
	int64_t g;

	(void)state;
	st = new_store("alarm.db");
	assert_int_equal(sbd_store_alarm_list(st, 0, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	memset(&got, 0, sizeof(got));
	assert_int_equal(sbd_store_alarm_last(st,
	    SBD_ALARM_ITLRECOVERY_BACKUP, &got), SBD_ERR_NOTFOUND);
	assert_string_equal(got.name, "");

	g = gen(st);
	fill_alarm(&a1, SBD_ALARM_ITLRECOVERY_BACKUP, 200, "first");
	fill_alarm(&a2, "Other", 300, "other");
	fill_alarm(&a3, SBD_ALARM_ITLRECOVERY_BACKUP, 100, "second");
	assert_int_equal(sbd_store_alarm_add(st, &a1), 0);
	assert_int_equal(sbd_store_alarm_add(st, &a2), 0);
	assert_int_equal(sbd_store_alarm_add(st, &a3), 0);
	assert_true(a1.id > 0 && a2.id > a1.id && a3.id > a2.id);
	assert_int_equal(gen(st), g);

	/* The newest of a name is the last raised, whatever its clock. */
	assert_int_equal(sbd_store_alarm_last(st,
	    SBD_ALARM_ITLRECOVERY_BACKUP, &got), 0);
	assert_int_equal(got.id, a3.id);
	assert_int_equal(got.at, 100);
	assert_string_equal(got.node, "pub");
	assert_int_equal(got.severity, 4);
	assert_string_equal(got.text, "second");
	assert_int_equal(sbd_store_alarm_last(st, "Other", &got), 0);
	assert_int_equal(got.id, a2.id);

	assert_int_equal(sbd_store_alarm_list(st, 0, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, a1.id);
	assert_int_equal(list[2].id, a3.id);
	free(list);
	assert_int_equal(sbd_store_alarm_list(st, 2, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].text, "other");
	assert_string_equal(list[1].text, "second");
	free(list);

	a1.severity = 8;
	assert_int_equal(sbd_store_alarm_add(st, &a1), SBD_ERR_INVAL);
	fill_alarm(&a1, SBD_ALARM_ITLRECOVERY_BACKUP, 1, "");
	assert_int_equal(sbd_store_alarm_add(st, &a1), SBD_ERR_INVAL);
	fill_alarm(&a1, "", 1, "x");
	assert_int_equal(sbd_store_alarm_add(st, &a1), SBD_ERR_INVAL);
	assert_int_equal(a1.id, 0);
	sbd_store_close(st);
}

/*
 * A store made at schema 2 is brought to schema 3 at open: its nodes get
 * restart number 0, and the new tables work.
 */
static void
test_migration_3(void **state)
{
	static const uint8_t der[] = { 0x30, 0x00 };
	struct sbd_store *st;
	struct sbd_node got;
	struct sbd_alarm a;
	char msg[256];
	int64_t req;
	int v = -1;

	(void)state;
	st = new_store("v2.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	sbd_store_close(st);
	assert_int_equal(raw_exec(db_path("v2.db"), to_schema2, msg,
	    sizeof(msg)), SQLITE_OK);
	assert_int_equal(raw_int(db_path("v2.db"), "PRAGMA user_version"), 2);

	st = NULL;
	assert_int_equal(sbd_store_open(db_path("v2.db"), 0, &st), 0);
	assert_int_equal(sbd_store_schema(st, &v), 0);
	assert_int_equal(v, SBD_STORE_SCHEMA);
	assert_int_equal(sbd_store_node_get(st, "pub", &got), 0);
	assert_int_equal(got.tvs_port, 2445);
	assert_int_equal(got.tftp_restart, 0);
	assert_int_equal(sbd_store_node_restart_tftp(st, "pub", &req), 0);
	assert_int_equal(req, 1);
	assert_int_equal(sbd_store_itl_reset_set(st, "pub", der, sizeof(der),
	    1), 0);
	assert_int_equal(sbd_store_itl_seen_add(st, "pub", der, sizeof(der),
	    1), 0);
	fill_alarm(&a, "A", 1, "t");
	assert_int_equal(sbd_store_alarm_add(st, &a), 0);
	sbd_store_close(st);
}

/* ---- renames (schema 4) ------------------------------------------------ */

static void
test_node_rename(void **state)
{
	static const char h[] = "0123456789abcdef0123456789abcdef01234567";
	static const uint8_t der[] = { 0x30, 0x00 };
	struct sbd_store *st;
	struct sbd_store_cert c, *certs = NULL;
	struct sbd_node_state ns;
	struct sbd_node_rename *r = NULL;
	struct sbd_device d;
	struct sbd_node n;
	char to[SBD_NAME_MAX];
	uint8_t *got = NULL;
	size_t nc = 0, nr = 0, glen = 0;
	int64_t g, restart = 0;

	(void)state;
	st = new_store("rename.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	add_node(st, "sub", 0, SBD_SVC_TFTP | SBD_SVC_TVS);
	fill_cert(&c, "sub", SBD_CR_CALLMANAGER, "nodes/sub/pki/cm.pem", 'a');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	/* A path outside the node's directory is left as it is. */
	fill_cert(&c, "sub", SBD_CR_TVS, "shared/tvs.pem", 'b');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	fill_cert(&c, "pub", SBD_CR_CALLMANAGER, "nodes/sub/pki/odd.pem", 'c');
	assert_int_equal(sbd_store_cert_add(st, &c), 0);
	fill_device(&d, "00AA00BB00CC", "sub", "pub");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	fill_device(&d, "00AA00BB00CD", "pub", "sub");
	assert_int_equal(sbd_store_device_add(st, &d), 0);
	assert_int_equal(sbd_store_itl_reset_set(st, "sub", der, sizeof(der),
	    3), 0);
	fill_state(&ns, "sub", 42, h, SBD_CR_CALLMANAGER);
	assert_int_equal(sbd_store_node_state_set(st, &ns), 0);
	assert_int_equal(sbd_store_node_renamed(st, "sub", to),
	    SBD_ERR_NOTFOUND);

	/* Refusals change nothing. */
	g = gen(st);
	assert_int_equal(sbd_store_node_rename(st, "nosuch", "x"),
	    SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_node_rename(st, "sub", "pub"),
	    SBD_ERR_EXISTS);
	assert_int_equal(sbd_store_node_rename(st, "sub", "sub"),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_node_rename(st, "sub", "a/b"),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_node_rename(st, "sub", ".x"),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_store_node_rename(st, "sub", ""), SBD_ERR_INVAL);
	assert_int_equal(gen(st), g);
	assert_int_equal(sbd_store_node_rename_pending(st, &r, &nr), 0);
	assert_int_equal(nr, 0);
	free(r);
	r = NULL;

	/* Every reference follows; the foreign keys hold at the commit. */
	assert_int_equal(sbd_store_node_rename(st, "sub", "sub2"), 0);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_node_get(st, "sub", &n), SBD_ERR_NOTFOUND);
	assert_int_equal(sbd_store_node_get(st, "sub2", &n), 0);
	assert_int_equal(n.publisher, 0);
	assert_int_equal(sbd_store_cert_list(st, "sub2", 1, &certs, &nc), 0);
	assert_int_equal(nc, 2);
	assert_string_equal(certs[0].role, SBD_CR_CALLMANAGER);
	assert_string_equal(certs[0].cert_path, "nodes/sub2/pki/cm.pem");
	assert_string_equal(certs[0].key_path, "nodes/sub2/pki/cm.pem");
	assert_string_equal(certs[1].cert_path, "shared/tvs.pem");
	free(certs);
	certs = NULL;
	assert_int_equal(sbd_store_cert_get(st, "pub", SBD_CR_CALLMANAGER,
	    &c), 0);
	assert_string_equal(c.cert_path, "nodes/sub/pki/odd.pem");
	assert_int_equal(sbd_store_device_get(st, "00AA00BB00CC", &d), 0);
	assert_string_equal(d.tvs[0], "sub2");
	assert_string_equal(d.tvs[1], "pub");
	sbd_device_clear(&d);
	assert_int_equal(sbd_store_device_get(st, "00AA00BB00CD", &d), 0);
	assert_string_equal(d.tvs[1], "sub2");
	sbd_device_clear(&d);
	assert_int_equal(sbd_store_itl_reset_get(st, "sub2", &got, &glen,
	    &restart), 0);
	assert_int_equal(restart, 3);
	free(got);
	assert_int_equal(sbd_store_node_state_get(st, "sub2", &ns), 0);
	assert_int_equal(ns.pid, 42);
	assert_int_equal(raw_int(db_path("rename.db"),
	    "SELECT count(*) FROM pragma_foreign_key_check"), 0);

	/* An sbdd started as sub finds sub2; chains are followed. */
	assert_int_equal(sbd_store_node_renamed(st, "sub", to), 0);
	assert_string_equal(to, "sub2");
	assert_int_equal(sbd_store_node_rename(st, "sub2", "sub3"), 0);
	assert_int_equal(sbd_store_node_renamed(st, "sub", to), 0);
	assert_string_equal(to, "sub3");
	assert_int_equal(sbd_store_node_renamed(st, "pub", to),
	    SBD_ERR_NOTFOUND);

	/* Both moves are owed, oldest first, until marked. */
	assert_int_equal(sbd_store_node_rename_pending(st, &r, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(r[0].old_name, "sub");
	assert_string_equal(r[0].new_name, "sub2");
	assert_string_equal(r[1].old_name, "sub2");
	assert_string_equal(r[1].new_name, "sub3");
	assert_true(r[0].id < r[1].id);
	assert_int_equal(r[0].moved, 0);
	/* Moved is a change: every sbdd finds the files where they are. */
	g = gen(st);
	assert_int_equal(sbd_store_node_rename_moved(st, r[0].id), 0);
	assert_true(gen(st) > g);
	assert_int_equal(sbd_store_node_rename_moved(st, 999),
	    SBD_ERR_NOTFOUND);
	free(r);
	r = NULL;
	assert_int_equal(sbd_store_node_rename_pending(st, &r, &nr), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(r[0].new_name, "sub3");
	free(r);

	/* Renamed back: followed in order, never round. */
	assert_int_equal(sbd_store_node_rename(st, "sub3", "sub"), 0);
	assert_int_equal(sbd_store_node_renamed(st, "sub3", to), 0);
	assert_string_equal(to, "sub");
	assert_int_equal(sbd_store_node_renamed(st, "sub2", to), 0);
	assert_string_equal(to, "sub");
	assert_int_equal(sbd_store_node_rename(st, "sub", "sub2"), 0);
	assert_int_equal(sbd_store_node_renamed(st, "sub3", to), 0);
	assert_string_equal(to, "sub2");
	sbd_store_close(st);
}

/* ---- the cluster's clock ---------------------------------------------- */

/* Write text to the clock file and check sbd_now() is time() + off. */
static void
check_clock(const char *path, const char *text, int64_t off)
{
	FILE *f;
	int64_t t0, now;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	t0 = (int64_t)time(NULL);
	now = sbd_now();
	assert_true(now >= t0 + off && now <= (int64_t)time(NULL) + off);
}

static void
test_now(void **state)
{
	const char *path = db_path("clock");
	int64_t t0, now;

	(void)state;
	assert_int_equal(unsetenv("SBD_TEST_CLOCK"), 0);
	t0 = (int64_t)time(NULL);
	now = sbd_now();
	assert_true(now >= t0 && now <= (int64_t)time(NULL));

	/* Read at every call: a test moves a running process's clock. */
	assert_int_equal(setenv("SBD_TEST_CLOCK", path, 1), 0);
	check_clock(path, "86400", 86400);
	check_clock(path, "86400\n", 86400);
	check_clock(path, "-5", -5);
	check_clock(path, " +172800 \n", 172800);
	/* Anything else is no offset. */
	check_clock(path, "garbage", 0);
	check_clock(path, "12abc", 0);
	check_clock(path, "", 0);
	check_clock(path, "99999999999999999999", 0);
	check_clock(path, "9223372036854775807", 0);
	check_clock(path, "1                                               "
	    "                          ", 0);
	assert_int_equal(unlink(path), 0);
	t0 = (int64_t)time(NULL);
	now = sbd_now();
	assert_true(now >= t0 && now <= (int64_t)time(NULL));
	assert_int_equal(unsetenv("SBD_TEST_CLOCK"), 0);
}

/*
 * More distinct statements than the per-handle cache holds, twice over:
 * the statements that find no slot are finalised, not leaked or lost.
 */
static void
test_statement_cache_overflow(void **state)
{
	struct sbd_store *st;
	struct sbd_device d, got, *dl = NULL;
	struct sbd_node *nl = NULL, pubn;
	struct sbd_store_cert *cl = NULL;
	struct sbd_audit *al = NULL;
	struct sbd_trust t, *tl = NULL;
	struct sbd_capf_task task;
	struct sbd_cluster c;
	struct sbd_node_state ns;
	struct sbd_alarm alarm, *alist = NULL;
	uint8_t der[16], *blob = NULL;
	char val[32];
	size_t n;
	int64_t g;
	int v, round;

	(void)state;
	st = new_store("stmts.db");
	add_node(st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS);
	memset(der, 7, sizeof(der));
	for (round = 0; round < 3; round++) {
		fill_device(&d, round == 0 ? "0000000000B0" : round == 1 ?
		    "0000000000B1" : "0000000000B2", "pub", "");
		assert_int_equal(sbd_store_device_add(st, &d), 0);
		d.profile = SBD_PROFILE_ENCRYPTED;
		assert_int_equal(sbd_store_device_update(st, &d), 0);
		assert_int_equal(sbd_store_device_note_itl(st, d.mac,
		    "0123456789abcdef0123456789abcdef01234567", 5), 0);
		assert_int_equal(sbd_store_device_note_config(st, d.mac, 6),
		    0);
		assert_int_equal(sbd_store_device_note_reported(st, d.mac,
		    "", 7), 0);
		capf_task(&task, SBD_CAPF_OP_FETCH, SBD_CAPF_AUTH_NULL, "", 0,
		    1024);
		assert_int_equal(sbd_store_device_capf(st, d.mac, &task), 0);
		assert_int_equal(sbd_store_device_get(st, d.mac, &got), 0);
		assert_int_equal(got.profile, SBD_PROFILE_ENCRYPTED);
		assert_int_equal(got.capf.key_size, 1024);
		sbd_device_clear(&got);
		assert_int_equal(sbd_store_device_list(st, &dl, &n), 0);
		assert_int_equal(n, (size_t)round + 1);
		sbd_device_list_free(dl, n);
		assert_int_equal(sbd_store_node_list(st, &nl, &n), 0);
		free(nl);
		assert_int_equal(sbd_store_node_publisher(st, &pubn), 0);
		assert_int_equal(sbd_store_cert_list(st, NULL, round & 1, &cl,
		    &n), 0);
		free(cl);
		assert_int_equal(sbd_store_param_set(st, "p", "v"), 0);
		assert_int_equal(sbd_store_param_get(st, "p", val,
		    sizeof(val)), 0);
		assert_int_equal(sbd_store_audit(st, "test", "round", "%d",
		    round), 0);
		assert_int_equal(sbd_store_audit_list(st, 2, &al, &n), 0);
		free(al);
		memset(&t, 0, sizeof(t));
		der[0] = (uint8_t)round;
		t.der = der;
		t.der_len = sizeof(der);
		t.roles[0] = 7;
		t.nroles = 1;
		assert_int_equal(sbd_store_trust_add(st, &t), 0);
		assert_int_equal(sbd_store_trust_list(st, &tl, &n), 0);
		assert_int_equal(n, (size_t)round + 1);
		sbd_trust_list_free(tl, n);
		assert_int_equal(sbd_store_cluster_get(st, &c),
		    SBD_ERR_NOTFOUND);
		assert_int_equal(sbd_store_generation(st, &g), 0);
		assert_int_equal(sbd_store_schema(st, &v), 0);
		assert_int_equal(sbd_store_device_remove(st, d.mac), 0);
		assert_int_equal(sbd_store_device_add(st, &d), 0);
		assert_int_equal(sbd_store_node_restart_tftp(st, "pub", &g),
		    0);
		assert_int_equal(g, round + 1);
		assert_int_equal(sbd_store_itl_reset_set(st, "pub", der,
		    sizeof(der), g), 0);
		assert_int_equal(sbd_store_itl_reset_get(st, "pub", &blob,
		    &n, &g), 0);
		free(blob);
		assert_int_equal(sbd_store_itl_reset_clear(st, "pub"), 0);
		fill_state(&ns, "pub", 1, "0123456789abcdef0123456789abcdef"
		    "01234567", SBD_CR_CALLMANAGER);
		assert_int_equal(sbd_store_node_state_set(st, &ns), 0);
		assert_int_equal(sbd_store_node_state_get(st, "pub", &ns), 0);
		assert_int_equal(sbd_store_itl_seen_add(st, "pub", der,
		    sizeof(der), 1), 0);
		assert_int_equal(sbd_store_itl_seen_get(st, ns.itl_sha1,
		    &blob, &n), SBD_ERR_NOTFOUND);
		fill_alarm(&alarm, "A", 1, "t");
		assert_int_equal(sbd_store_alarm_add(st, &alarm), 0);
		assert_int_equal(sbd_store_alarm_last(st, "A", &alarm), 0);
		assert_int_equal(sbd_store_alarm_list(st, 1, &alist, &n), 0);
		free(alist);
	}
	sbd_store_close(st);
}

static int
group_setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	(void)state;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_create),
		cmocka_unit_test(test_reopen_and_migrations),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_nodes),
		cmocka_unit_test(test_certs),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_notes_and_generation),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_two_handles),
		cmocka_unit_test(test_capf_task),
		cmocka_unit_test(test_trust),
		cmocka_unit_test(test_migration_2),
		cmocka_unit_test(test_restart_tftp),
		cmocka_unit_test(test_itl_reset),
		cmocka_unit_test(test_node_state),
		cmocka_unit_test(test_itl_seen),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_migration_3),
		cmocka_unit_test(test_node_rename),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_statement_cache_overflow),
	};

	return cmocka_run_group_tests_name("store", tests, group_setup,
	    group_teardown);
}
