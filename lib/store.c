/*
 * The cluster store: argument checks, MAC and SHA-1 normalisation, the
 * password verifier, and dispatch to a backend (lib/store_int.h).
 *
 * Each mutation runs in a transaction of its own, or, inside the
 * caller's begin/commit, in a savepoint of it: either way it is all or
 * nothing, as include/sbd/store.h promises.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "store_int.h"

/*
 * PBKDF2-HMAC-SHA256 iterations for new verifiers: as many as an
 * administrator waits for without noticing (NIST SP 800-132 5.2).  Each
 * verifier keeps its own count, so raising this breaks no stored one.
 */
#define PW_ITER		100000
#define SHA1_HEX	40

struct sbd_store {
	const struct sbd_store_ops *ops;
	struct sbd_store_be *be;
	int in_txn;		/* inside sbd_store_begin/commit */
};

/*
 * A failed sbd_store_open leaves no handle to ask for the reason, so it
 * is kept here, per thread, for sbd_store_errmsg(NULL).
 */
static _Thread_local char open_msg[256];

static const char *const roles[] = {
	SBD_CR_CALLMANAGER, SBD_CR_TVS, SBD_CR_CAPF, SBD_CR_ITLRECOVERY,
};

/* s is a string that fits in cap bytes with its NUL (and is not empty). */
static int
str_ok(const char *s, size_t cap, int nonempty)
{
	return s != NULL && strnlen(s, cap) < cap && (!nonempty || *s != '\0');
}

/* A path in the store is relative to the data directory (store.h). */
static int
path_ok(const char *s, size_t cap, int nonempty)
{
	return str_ok(s, cap, nonempty) && s[0] != '/';
}

static int
role_ok(const char *role)
{
	size_t i;
	int ok = 0;

	for (i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		ok |= strcmp(role, roles[i]) == 0;
	return ok;
}

/* A SHA-1 in hex, either case, stored lowercase. */
static int
sha1_norm(const char *in, char out[SHA1_HEX + 1])
{
	char v[SHA1_HEX + 1];
	size_t i;
	int err = SBD_ERR_INVAL;

	if (in == NULL || strnlen(in, SHA1_HEX + 1) != SHA1_HEX)
		goto out;
	for (i = 0; i < SHA1_HEX; i++) {
		if (!isxdigit((unsigned char)in[i]))
			goto out;
		v[i] = (char)tolower((unsigned char)in[i]);
	}
	v[SHA1_HEX] = '\0';
	memcpy(out, v, sizeof(v));
	err = 0;
out:
	return err;
}

/* Start a mutation: a transaction of its own, or a savepoint. */
static int
op_begin(struct sbd_store *st)
{
	return st->ops->begin(st->be, st->in_txn);
}

/* End a mutation with result err: commit it, or undo all of it. */
static int
op_end(struct sbd_store *st, int err)
{
	if (err == 0)
		err = st->ops->commit(st->be, st->in_txn);
	if (err != 0)
		st->ops->rollback(st->be, st->in_txn);
	return err;
}

/* ---- the handle ------------------------------------------------------- */

int
sbd_store_open(const char *url, unsigned flags, struct sbd_store **out)
{
	static const char sqlite_pfx[] = "sqlite:";
	struct sbd_store *st = NULL;
	const char *path = url;
	int err = SBD_ERR_INVAL;

	open_msg[0] = '\0';
	if (url == NULL || out == NULL ||
	    (flags & ~(unsigned)(SBD_STORE_CREATE | SBD_STORE_RDONLY |
	    SBD_STORE_DURABLE)) != 0 ||
	    ((flags & SBD_STORE_CREATE) && (flags & SBD_STORE_RDONLY))) {
		snprintf(open_msg, sizeof(open_msg), "bad store arguments");
		goto out;
	}
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0) {
		/* The URL is not echoed: it may hold a password. */
		snprintf(open_msg, sizeof(open_msg), "PostgreSQL support is "
		    "not built");
		goto out;
	}
	if (strncmp(url, sqlite_pfx, sizeof(sqlite_pfx) - 1) == 0)
		path += sizeof(sqlite_pfx) - 1;
	if (*path == '\0') {
		snprintf(open_msg, sizeof(open_msg), "empty store path");
		goto out;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	st->ops = &sbd_store_sqlite_ops;
	if ((err = st->ops->open(path, flags, &st->be, open_msg,
	    sizeof(open_msg))) != 0)
		goto out;
	*out = st;
	st = NULL;
out:
	free(st);
	return err;
}

void
sbd_store_close(struct sbd_store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st->be);
	free(st);
}

const char *
sbd_store_errmsg(const struct sbd_store *st)
{
	return st == NULL ? open_msg : st->ops->errmsg(st->be);
}

int
sbd_store_schema(struct sbd_store *st, int *version)
{
	return st->ops->schema(st->be, version);
}

int
sbd_store_begin(struct sbd_store *st)
{
	int err = SBD_ERR_INVAL;

	if (st->in_txn)
		goto out;
	if ((err = st->ops->begin(st->be, 0)) == 0)
		st->in_txn = 1;
out:
	return err;
}

/* A failed commit is rolled back, so the handle is usable again. */
int
sbd_store_commit(struct sbd_store *st)
{
	int err = SBD_ERR_INVAL;

	if (!st->in_txn)
		goto out;
	if ((err = st->ops->commit(st->be, 0)) != 0)
		st->ops->rollback(st->be, 0);
	st->in_txn = 0;
out:
	return err;
}

void
sbd_store_rollback(struct sbd_store *st)
{
	if (!st->in_txn)
		return;
	st->ops->rollback(st->be, 0);
	st->in_txn = 0;
}

int
sbd_store_generation(struct sbd_store *st, int64_t *gen)
{
	return st->ops->generation(st->be, gen);
}

/* ---- the cluster ------------------------------------------------------ */

int
sbd_store_cluster_get(struct sbd_store *st, struct sbd_cluster *out)
{
	struct sbd_cluster c;
	int err;

	if ((err = st->ops->cluster_get(st->be, &c)) == 0)
		*out = c;
	return err;
}

static int
cluster_put(struct sbd_store *st, const struct sbd_cluster *c, int create)
{
	struct sbd_cluster v;
	int err = SBD_ERR_INVAL;

	if (!str_ok(c->name, sizeof(c->name), 1) ||
	    (c->ctl_mode != SBD_CTL_NONE && c->ctl_mode != SBD_CTL_MIXED))
		goto out;
	v = *c;
	v.created = sbd_now();
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->cluster_put(st->be, &v, create));
out:
	return err;
}

int
sbd_store_cluster_create(struct sbd_store *st, const struct sbd_cluster *c)
{
	return cluster_put(st, c, 1);
}

int
sbd_store_cluster_update(struct sbd_store *st, const struct sbd_cluster *c)
{
	return cluster_put(st, c, 0);
}

static int
pw_derive(const char *pw, const uint8_t *salt, size_t saltlen, uint32_t iter,
    uint8_t *out, size_t outlen)
{
	size_t len;
	int err = SBD_ERR_INVAL;

	if (pw == NULL || iter == 0 || iter > INT_MAX ||
	    (len = strlen(pw)) > INT_MAX)
		goto out;
	err = SBD_ERR_CRYPTO;
	if (PKCS5_PBKDF2_HMAC(pw, (int)len, salt, (int)saltlen, (int)iter,
	    EVP_sha256(), (int)outlen, out) != 1)
		goto out;
	err = 0;
out:
	return err;
}

int
sbd_password_verifier_new(const char *pw, struct sbd_cluster *c)
{
	uint8_t salt[sizeof(c->pw_salt)], v[sizeof(c->pw_verifier)];
	int err = SBD_ERR_CRYPTO;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		goto out;
	if ((err = pw_derive(pw, salt, sizeof(salt), PW_ITER, v,
	    sizeof(v))) != 0)
		goto out;
	memcpy(c->pw_salt, salt, sizeof(salt));
	memcpy(c->pw_verifier, v, sizeof(v));
	c->pw_iter = PW_ITER;
out:
	OPENSSL_cleanse(v, sizeof(v));
	return err;
}

int
sbd_password_check(const char *pw, const struct sbd_cluster *c)
{
	uint8_t v[sizeof(c->pw_verifier)];
	int err;

	if ((err = pw_derive(pw, c->pw_salt, sizeof(c->pw_salt), c->pw_iter,
	    v, sizeof(v))) != 0)
		goto out;
	if (CRYPTO_memcmp(v, c->pw_verifier, sizeof(v)) != 0)
		err = SBD_ERR_PASSWORD;
out:
	OPENSSL_cleanse(v, sizeof(v));
	return err;
}

/* ---- nodes -------------------------------------------------------------- */

static int
node_put(struct sbd_store *st, const struct sbd_node *n, int add)
{
	struct sbd_node v;
	int err = SBD_ERR_INVAL;

	if (!str_ok(n->name, sizeof(n->name), 1) ||
	    !str_ok(n->domain, sizeof(n->domain), 0) ||
	    !str_ok(n->addr, sizeof(n->addr), 0) ||
	    (n->services & ~(unsigned)(SBD_SVC_TFTP | SBD_SVC_TVS |
	    SBD_SVC_CAPF)) != 0)
		goto out;
	v = *n;
	v.publisher = n->publisher != 0;
	v.created = sbd_now();
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->node_put(st->be, &v, add));
out:
	return err;
}

int
sbd_store_node_add(struct sbd_store *st, const struct sbd_node *n)
{
	return node_put(st, n, 1);
}

int
sbd_store_node_update(struct sbd_store *st, const struct sbd_node *n)
{
	return node_put(st, n, 0);
}

int
sbd_store_node_get(struct sbd_store *st, const char *name,
    struct sbd_node *out)
{
	struct sbd_node n;
	int err = SBD_ERR_INVAL;

	if (!str_ok(name, SBD_NAME_MAX, 1))
		goto out;
	if ((err = st->ops->node_get(st->be, name, &n)) == 0)
		*out = n;
out:
	return err;
}

int
sbd_store_node_publisher(struct sbd_store *st, struct sbd_node *out)
{
	struct sbd_node n;
	int err;

	if ((err = st->ops->node_get(st->be, NULL, &n)) == 0)
		*out = n;
	return err;
}

int
sbd_store_node_list(struct sbd_store *st, struct sbd_node **out, size_t *n)
{
	return st->ops->node_list(st->be, out, n);
}

/* ---- renames (schema 4) ------------------------------------------------ */

int
sbd_store_node_rename(struct sbd_store *st, const char *old,
    const char *new_name)
{
	char opfx[SBD_NAME_MAX + 8], npfx[SBD_NAME_MAX + 8];
	struct sbd_node n;
	int err = SBD_ERR_INVAL;

	/* New names obey sbd_node_dir's rules: they name a directory. */
	if (!str_ok(old, SBD_NAME_MAX, 1) ||
	    !str_ok(new_name, SBD_NAME_MAX, 1) || new_name[0] == '.' ||
	    strchr(new_name, '/') != NULL || strcmp(old, new_name) == 0)
		goto out;
	snprintf(opfx, sizeof(opfx), "nodes/%s/", old);
	snprintf(npfx, sizeof(npfx), "nodes/%s/", new_name);
	if ((err = op_begin(st)) != 0)
		goto out;
	err = st->ops->node_get(st->be, new_name, &n);
	if (err == 0)
		err = SBD_ERR_EXISTS;
	else if (err == SBD_ERR_NOTFOUND)
		err = st->ops->node_rename(st->be, old, new_name, opfx, npfx,
		    sbd_now());
	err = op_end(st, err);
out:
	return err;
}

/*
 * Renames are followed in the order they were made, each the first of the
 * current name after the one followed last: a name used twice (A to B,
 * then B back to A) leads on, never round.
 */
int
sbd_store_node_renamed(struct sbd_store *st, const char *name,
    char out[SBD_NAME_MAX])
{
	struct sbd_node_rename r;
	struct sbd_node n;
	char cur[SBD_NAME_MAX];
	int64_t after = 0;
	int i, err = SBD_ERR_INVAL;

	if (!str_ok(name, SBD_NAME_MAX, 1) || out == NULL)
		goto out;
	snprintf(cur, sizeof(cur), "%s", name);
	for (i = 0; i < SBD_RENAMES_MAX; i++) {
		err = st->ops->node_renamed_to(st->be, cur, after, &r);
		if (err == SBD_ERR_NOTFOUND)
			break;
		if (err != 0)
			goto out;
		memcpy(cur, r.new_name, sizeof(cur));
		after = r.id;
	}
	/* Renamed at least once, and the last name is a node now. */
	if (i == 0) {
		err = SBD_ERR_NOTFOUND;
		goto out;
	}
	if ((err = st->ops->node_get(st->be, cur, &n)) == 0)
		memcpy(out, cur, SBD_NAME_MAX);
out:
	return err;
}

int
sbd_store_node_rename_pending(struct sbd_store *st,
    struct sbd_node_rename **out, size_t *n)
{
	if (out == NULL || n == NULL)
		return SBD_ERR_INVAL;
	return st->ops->node_rename_pending(st->be, out, n);
}

int
sbd_store_node_rename_moved(struct sbd_store *st, int64_t id)
{
	int err;

	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->node_rename_moved(st->be, id));
	return err;
}

/* ---- TFTP restarts, reset ITLs, node state (schema 3) ----------------- */

int
sbd_store_node_restart_tftp(struct sbd_store *st, const char *node,
    int64_t *req)
{
	int64_t v = 0;
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || req == NULL)
		goto out;
	if ((err = op_begin(st)) != 0)
		goto out;
	if ((err = op_end(st, st->ops->node_restart_tftp(st->be, node,
	    &v))) == 0)
		*req = v;
out:
	return err;
}

/* A served trust list: phones refuse one over SBD_TL_MAX bytes. */
static int
itl_ok(const uint8_t *der, size_t len)
{
	if (der == NULL || len == 0)
		return SBD_ERR_INVAL;
	return len > SBD_TL_MAX ? SBD_ERR_TOOBIG : 0;
}

int
sbd_store_itl_reset_set(struct sbd_store *st, const char *node,
    const uint8_t *der, size_t len, int64_t restart)
{
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || restart < 0 ||
	    (err = itl_ok(der, len)) != 0)
		goto out;
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->itl_reset_set(st->be, node, der, len,
		    restart, (int64_t)time(NULL)));
out:
	return err;
}

int
sbd_store_itl_reset_get(struct sbd_store *st, const char *node,
    uint8_t **der, size_t *len, int64_t *restart)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int64_t r = 0;
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || der == NULL || len == NULL ||
	    restart == NULL)
		goto out;
	if ((err = st->ops->itl_reset_get(st->be, node, &p, &n, &r)) != 0)
		goto out;
	*der = p;
	*len = n;
	*restart = r;
out:
	return err;
}

int
sbd_store_itl_reset_clear(struct sbd_store *st, const char *node)
{
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1))
		goto out;
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->itl_reset_clear(st->be, node));
out:
	return err;
}

/* The ITL's signer is one of the two that may sign it; at is stamped. */
int
sbd_store_node_state_set(struct sbd_store *st,
    const struct sbd_node_state *s)
{
	struct sbd_node_state v;
	int err = SBD_ERR_INVAL;

	if (s == NULL || !str_ok(s->node, sizeof(s->node), 1) ||
	    s->pid < 0 || s->gen < 0 || s->tftp_restart < 0 ||
	    !str_ok(s->itl_signer, sizeof(s->itl_signer), 1) ||
	    (strcmp(s->itl_signer, SBD_CR_CALLMANAGER) != 0 &&
	    strcmp(s->itl_signer, SBD_CR_ITLRECOVERY) != 0))
		goto out;
	v = *s;
	if ((err = sha1_norm(s->itl_sha1, v.itl_sha1)) != 0)
		goto out;
	v.at = sbd_now();
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->node_state_set(st->be, &v));
out:
	return err;
}

int
sbd_store_node_state_get(struct sbd_store *st, const char *node,
    struct sbd_node_state *out)
{
	struct sbd_node_state v;
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || out == NULL)
		goto out;
	if ((err = st->ops->node_state_get(st->be, node, &v)) == 0)
		*out = v;
out:
	return err;
}

int
sbd_store_itl_seen_add(struct sbd_store *st, const char *node,
    const uint8_t *der, size_t len, int64_t when)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char h[SHA1_HEX + 1];
	unsigned mdlen = 0;
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || (err = itl_ok(der, len)) != 0)
		goto out;
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) != 1 ||
	    mdlen != SHA1_HEX / 2) {
		err = SBD_ERR_CRYPTO;
		goto out;
	}
	sbd_hex(md, mdlen, h);
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->itl_seen_add(st->be, h, node, der,
		    len, when));
out:
	return err;
}

int
sbd_store_itl_seen_get(struct sbd_store *st, const char *sha1, uint8_t **der,
    size_t *len)
{
	char h[SHA1_HEX + 1];
	uint8_t *p = NULL;
	size_t n = 0;
	int err = SBD_ERR_INVAL;

	if (der == NULL || len == NULL || (err = sha1_norm(sha1, h)) != 0)
		goto out;
	if ((err = st->ops->itl_seen_get(st->be, h, &p, &n)) != 0)
		goto out;
	*der = p;
	*len = n;
out:
	return err;
}

/* ---- certificates ----------------------------------------------------- */

int
sbd_store_cert_add(struct sbd_store *st, struct sbd_store_cert *c)
{
	struct sbd_store_cert v;
	int err = SBD_ERR_INVAL;

	if (!str_ok(c->node, sizeof(c->node), 1) ||
	    !str_ok(c->role, sizeof(c->role), 1) || !role_ok(c->role) ||
	    !path_ok(c->cert_path, sizeof(c->cert_path), 1) ||
	    !path_ok(c->key_path, sizeof(c->key_path), 0))
		goto out;
	v = *c;
	if ((err = sha1_norm(c->sha1, v.sha1)) != 0)
		goto out;
	v.created = sbd_now();
	if ((err = op_begin(st)) != 0)
		goto out;
	if ((err = op_end(st, st->ops->cert_add(st->be, &v))) == 0)
		c->id = v.id;
out:
	return err;
}

int
sbd_store_cert_get(struct sbd_store *st, const char *node, const char *role,
    struct sbd_store_cert *out)
{
	struct sbd_store_cert c;
	int err = SBD_ERR_INVAL;

	if (!str_ok(node, SBD_NAME_MAX, 1) || !role_ok(role))
		goto out;
	if ((err = st->ops->cert_get(st->be, node, role, &c)) == 0)
		*out = c;
out:
	return err;
}

int
sbd_store_cert_list(struct sbd_store *st, const char *node, int active_only,
    struct sbd_store_cert **out, size_t *n)
{
	int err = SBD_ERR_INVAL;

	if (node != NULL && !str_ok(node, SBD_NAME_MAX, 1))
		goto out;
	err = st->ops->cert_list(st->be, node, active_only, out, n);
out:
	return err;
}

/* ---- devices -------------------------------------------------------- */

int
sbd_mac_parse(const char *in, char out[SBD_MAC_LEN + 1])
{
	char mac[SBD_MAC_LEN + 1];
	size_t len, i, group, n = 0;
	char sep = '\0';
	int err = SBD_ERR_VALUE;

	if (in == NULL)
		goto out;
	/* A device name is "SEP" and the bare digits. */
	if (strncasecmp(in, "SEP", 3) == 0 &&
	    strnlen(in + 3, SBD_MAC_LEN + 1) == SBD_MAC_LEN)
		in += 3;
	/* 001122AABBCC, 00:11:22:aa:bb:cc, 00-11-22-..., 0011.22aa.bbcc */
	switch ((len = strnlen(in, 18))) {
	case 12:
		group = 12;
		break;
	case 14:
		group = 4;
		sep = '.';
		break;
	case 17:
		group = 2;
		sep = in[2];
		if (sep != ':' && sep != '-')
			goto out;
		break;
	default:
		goto out;
	}
	for (i = 0; i < len; i++) {
		if ((i + 1) % (group + 1) == 0) {
			if (in[i] != sep)
				goto out;
		} else if (!isxdigit((unsigned char)in[i]))
			goto out;
		else
			mac[n++] = (char)toupper((unsigned char)in[i]);
	}
	mac[n] = '\0';
	memcpy(out, mac, sizeof(mac));
	err = 0;
out:
	return err;
}

/*
 * Check d into v (normalised mac, derived name).  Runs inside the
 * mutation's transaction, so the TVS nodes it finds cannot vanish before
 * the device row is written.
 */
static int
device_check(struct sbd_store *st, const struct sbd_device *d,
    struct sbd_device *v)
{
	struct sbd_node n;
	int i, j, err = SBD_ERR_INVAL;

	if (!str_ok(d->model, sizeof(d->model), 0) ||
	    !str_ok(d->description, sizeof(d->description), 0) ||
	    (int)d->profile < SBD_PROFILE_NONSECURE ||
	    (int)d->profile > SBD_PROFILE_ENCRYPTED ||
	    !str_ok(d->cert_kind, sizeof(d->cert_kind), 0) ||
	    (strcmp(d->cert_kind, "") != 0 &&
	    strcmp(d->cert_kind, "LSC") != 0 &&
	    strcmp(d->cert_kind, "MIC") != 0) ||
	    (d->cert_der == NULL && d->cert_len != 0))
		goto out;
	err = SBD_ERR_TOOBIG;
	if (d->cert_len > SBD_DEVCERT_MAX)
		goto out;
	*v = *d;
	if ((err = sbd_mac_parse(d->mac, v->mac)) != 0)
		goto out;
	snprintf(v->name, sizeof(v->name), "SEP%s", v->mac);
	/* A CallManager group is filled from the first slot, no repeats. */
	for (i = 0; i < SBD_TVS_MAX; i++) {
		err = SBD_ERR_INVAL;
		if (!str_ok(d->tvs[i], sizeof(d->tvs[i]), 0) ||
		    (i > 0 && d->tvs[i][0] != '\0' && d->tvs[i - 1][0] == '\0'))
			goto out;
		for (j = 0; j < i; j++)
			if (d->tvs[i][0] != '\0' &&
			    strcmp(d->tvs[i], d->tvs[j]) == 0)
				goto out;
	}
	for (i = 0, err = 0; i < SBD_TVS_MAX && d->tvs[i][0] != '\0'; i++) {
		if ((err = st->ops->node_get(st->be, d->tvs[i], &n)) != 0)
			goto out;
		if (!(n.services & SBD_SVC_TVS)) {
			err = SBD_ERR_NOTFOUND;
			goto out;
		}
	}
out:
	return err;
}

static int
device_put(struct sbd_store *st, const struct sbd_device *d, int add)
{
	struct sbd_device v;
	int err;

	if ((err = op_begin(st)) != 0)
		goto out;
	if ((err = device_check(st, d, &v)) == 0) {
		v.created = sbd_now();
		err = st->ops->device_put(st->be, &v, add);
	}
	err = op_end(st, err);
out:
	return err;
}

int
sbd_store_device_add(struct sbd_store *st, const struct sbd_device *d)
{
	return device_put(st, d, 1);
}

int
sbd_store_device_update(struct sbd_store *st, const struct sbd_device *d)
{
	return device_put(st, d, 0);
}

int
sbd_store_device_remove(struct sbd_store *st, const char *mac)
{
	char m[SBD_MAC_LEN + 1];
	int err;

	if ((err = sbd_mac_parse(mac, m)) != 0 || (err = op_begin(st)) != 0)
		goto out;
	err = op_end(st, st->ops->device_remove(st->be, m));
out:
	return err;
}

int
sbd_store_device_get(struct sbd_store *st, const char *mac,
    struct sbd_device *out)
{
	struct sbd_device d;
	char m[SBD_MAC_LEN + 1];
	int err;

	if ((err = sbd_mac_parse(mac, m)) != 0)
		goto out;
	if ((err = st->ops->device_get(st->be, m, &d)) == 0)
		*out = d;
out:
	return err;
}

int
sbd_store_device_list(struct sbd_store *st, struct sbd_device **out,
    size_t *n)
{
	return st->ops->device_list(st->be, out, n);
}

void
sbd_device_clear(struct sbd_device *d)
{
	if (d == NULL)
		return;
	free(d->cert_der);
	memset(d, 0, sizeof(*d));
}

void
sbd_device_list_free(struct sbd_device *d, size_t n)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++)
		free(d[i].cert_der);
	free(d);
}

static int
device_note(struct sbd_store *st, enum sbd_store_note what, const char *mac,
    const char *sha1, int64_t when)
{
	char m[SBD_MAC_LEN + 1], h[SHA1_HEX + 1] = "";
	int err;

	if ((err = sbd_mac_parse(mac, m)) != 0)
		goto out;
	/* A phone may report that it holds no ITL: an empty hash. */
	if (what == SBD_NOTE_ITL ||
	    (what == SBD_NOTE_REPORTED && (sha1 == NULL || sha1[0] != '\0'))) {
		if ((err = sha1_norm(sha1, h)) != 0)
			goto out;
	}
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->device_note(st->be, what, m, h,
		    when));
out:
	return err;
}

int
sbd_store_device_note_itl(struct sbd_store *st, const char *mac,
    const char *sha1, int64_t when)
{
	return device_note(st, SBD_NOTE_ITL, mac, sha1, when);
}

int
sbd_store_device_note_config(struct sbd_store *st, const char *mac,
    int64_t when)
{
	return device_note(st, SBD_NOTE_CONFIG, mac, NULL, when);
}

int
sbd_store_device_note_reported(struct sbd_store *st, const char *mac,
    const char *sha1, int64_t when)
{
	return device_note(st, SBD_NOTE_REPORTED, mac, sha1, when);
}

/* A task an administrator may set or sbdd may record (store.h). */
static int
capf_task_ok(const struct sbd_capf_task *t)
{
	size_t n, i;

	if (t->op < SBD_CAPF_OP_NONE || t->op > SBD_CAPF_OP_DELETE ||
	    t->auth < SBD_CAPF_AUTH_PASSWORD || t->auth > SBD_CAPF_AUTH_MIC ||
	    !str_ok(t->status, sizeof(t->status), 0))
		return 0;
	n = strnlen(t->password, sizeof(t->password));
	if (n == sizeof(t->password))
		return 0;
	if (t->auth == SBD_CAPF_AUTH_PASSWORD && t->op != SBD_CAPF_OP_NONE &&
	    (n < SBD_CAPF_PW_MIN || n > SBD_CAPF_PW_MAX))
		return 0;
	if (t->auth != SBD_CAPF_AUTH_PASSWORD && n != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (t->password[i] < '0' || t->password[i] > '9')
			return 0;
	if (t->key_ec)
		return t->key_size == 256 || t->key_size == 384 ||
		    t->key_size == 521;
	return t->key_size == 1024 || t->key_size == 2048 ||
	    t->key_size == 3072 || t->key_size == 4096;
}

int
sbd_store_device_capf(struct sbd_store *st, const char *mac,
    const struct sbd_capf_task *t)
{
	char m[SBD_MAC_LEN + 1];
	int err;

	if (t == NULL || (err = sbd_mac_parse(mac, m)) != 0)
		return SBD_ERR_INVAL;
	if (!capf_task_ok(t))
		return SBD_ERR_VALUE;
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->device_capf(st->be, m, t));
	return err;
}

/* ---- certificates trusted beyond the cluster's own ------------------- */

int
sbd_store_trust_add(struct sbd_store *st, const struct sbd_trust *t)
{
	struct sbd_trust v;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t i;
	int err = SBD_ERR_INVAL;

	if (t == NULL || t->der == NULL || t->der_len == 0 ||
	    t->der_len > SBD_DEVCERT_MAX || t->nroles == 0 ||
	    t->nroles > SBD_TRUST_ROLES_MAX || t->ttl > SBD_TVS_TTL_MAX ||
	    !str_ok(t->description, sizeof(t->description), 0))
		goto out;
	v = *t;
	if (EVP_Digest(t->der, t->der_len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != 32) {
		err = SBD_ERR_CRYPTO;
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(v.sha256 + 2 * i, 3, "%02x", md[i]);
	v.created = sbd_now();
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->trust_add(st->be, &v));
out:
	return err;
}

int
sbd_store_trust_remove(struct sbd_store *st, const char *sha256)
{
	char h[65];
	size_t i;
	int err;

	if (sha256 == NULL || strnlen(sha256, 65) != 64)
		return SBD_ERR_VALUE;
	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)sha256[i]))
			return SBD_ERR_VALUE;
		h[i] = (char)tolower((unsigned char)sha256[i]);
	}
	h[64] = '\0';
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->trust_remove(st->be, h));
	return err;
}

int
sbd_store_trust_list(struct sbd_store *st, struct sbd_trust **out, size_t *n)
{
	if (out == NULL || n == NULL)
		return SBD_ERR_INVAL;
	return st->ops->trust_list(st->be, out, n);
}

void
sbd_trust_list_free(struct sbd_trust *t, size_t n)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < n; i++)
		free(t[i].der);
	free(t);
}

/* ---- enterprise parameters -------------------------------------------- */

int
sbd_store_param_get(struct sbd_store *st, const char *name, char *val,
    size_t cap)
{
	int err = SBD_ERR_INVAL;

	if (!str_ok(name, SBD_NAME_MAX, 1) || val == NULL)
		goto out;
	err = st->ops->param_get(st->be, name, val, cap);
out:
	return err;
}

int
sbd_store_param_set(struct sbd_store *st, const char *name, const char *val)
{
	int err = SBD_ERR_INVAL;

	if (!str_ok(name, SBD_NAME_MAX, 1) || !str_ok(val, SBD_PARAM_MAX, 0))
		goto out;
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->param_set(st->be, name, val));
out:
	return err;
}

/* ---- alarms ------------------------------------------------------------- */

/* The caller's at is kept: it is the clock the alarm was raised by. */
int
sbd_store_alarm_add(struct sbd_store *st, struct sbd_alarm *a)
{
	struct sbd_alarm v;
	int err = SBD_ERR_INVAL;

	if (a == NULL || !str_ok(a->node, sizeof(a->node), 1) ||
	    !str_ok(a->name, sizeof(a->name), 1) || a->severity < 0 ||
	    a->severity > 7 || !str_ok(a->text, sizeof(a->text), 1))
		goto out;
	v = *a;
	if ((err = op_begin(st)) != 0)
		goto out;
	if ((err = op_end(st, st->ops->alarm_add(st->be, &v))) == 0)
		a->id = v.id;
out:
	return err;
}

int
sbd_store_alarm_last(struct sbd_store *st, const char *name,
    struct sbd_alarm *out)
{
	struct sbd_alarm v;
	int err = SBD_ERR_INVAL;

	if (!str_ok(name, SBD_NAME_MAX, 1) || out == NULL)
		goto out;
	if ((err = st->ops->alarm_last(st->be, name, &v)) == 0)
		*out = v;
out:
	return err;
}

int
sbd_store_alarm_list(struct sbd_store *st, size_t max, struct sbd_alarm **out,
    size_t *n)
{
	if (out == NULL || n == NULL)
		return SBD_ERR_INVAL;
	return st->ops->alarm_list(st->be, max, out, n);
}

/* ---- audit log ---------------------------------------------------------- */

int
sbd_store_audit(struct sbd_store *st, const char *actor, const char *action,
    const char *fmt, ...)
{
	struct sbd_audit a;
	va_list ap;
	int len, err = SBD_ERR_INVAL;

	if (!str_ok(actor, sizeof(a.actor), 1) ||
	    !str_ok(action, sizeof(a.action), 1) || fmt == NULL)
		goto out;
	memset(&a, 0, sizeof(a));
	va_start(ap, fmt);
	len = vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
	va_end(ap);
	/* The log is evidence: a detail that does not fit is refused. */
	if (len < 0 || (size_t)len >= sizeof(a.detail))
		goto out;
	memcpy(a.actor, actor, strlen(actor) + 1);
	memcpy(a.action, action, strlen(action) + 1);
	a.when = (int64_t)time(NULL);
	if ((err = op_begin(st)) == 0)
		err = op_end(st, st->ops->audit_add(st->be, &a));
out:
	return err;
}

int
sbd_store_audit_list(struct sbd_store *st, size_t max, struct sbd_audit **out,
    size_t *n)
{
	return st->ops->audit_list(st->be, max, out, n);
}
