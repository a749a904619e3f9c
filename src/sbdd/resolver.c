/*
 * sbdd: the file resolver and build cache, shared by TFTP and HTTP.
 *
 * A requested name resolves to one of:
 *   - a generated trust list: ITLFile.tlv, ITLSEP<MAC>.tlv (registered
 *     devices), CTLFile.tlv, CTLSEP<MAC>.tlv (mixed mode);
 *   - a device's configuration: SEP<MAC>.cnf.xml (the administrator's
 *     file, else generated from the store), its .sgn, and for encrypted
 *     profiles with a known certificate the .enc.sgn and short .sgn;
 *   - X.sgn for any servable X, signed on demand with this node's TFTP
 *     (CallManager) key and cached until X or the key changes;
 *   - an administrator's file in the node's TFTP directory.
 *
 * The ITL is built from the store, except while the node's reset ITL
 * (utils itl reset) is in service: then it is that file, byte for byte.
 *
 * Confinement: names are checked lexically first (no "..", no absolute
 * path, no backslash, no control character, no empty component), files
 * are opened with openat2(RESOLVE_BENEATH) so no symlink can lead out of
 * the TFTP directory, and key, PKCS#12 and database names are never
 * servable whatever their place.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/cluster.h"
#include "sbd/encconf.h"
#include "sbd/sgn.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdd.h"

#define MEM_FILE_MAX	(1024 * 1024)	/* admin files kept in memory */
#define SIGN_SRC_MAX	(16 * 1024 * 1024)	/* largest file we sign */
#define DEV_BUCKETS	4096
#define CACHE_BUCKETS	4096

/*
 * A device as the resolver needs it: its store row (the certificate
 * parsed, the DER dropped).  Its generated configuration is built on
 * first use and kept in the cache, so ten thousand registered phones cost
 * their rows, not ten thousand configurations.
 */
struct dev {
	struct dev *next;
	struct sbd_device row;
	X509 *cert;			/* LSC or MIC, NULL when unknown */
};

/*
 * A cache entry: the bytes served for one name, and the identity of the
 * administrator's file they came from (has_src), checked on every hit.
 */
struct centry {
	struct centry *hnext;
	struct centry *prev, *next;	/* LRU list, most recent first */
	char *name;
	enum sbdd_kind kind;
	char mac[SBD_MAC_LEN + 1];
	struct sbdd_blob *blob;
	int has_src;
	dev_t src_dev;
	ino_t src_ino;
	off_t src_size;
	struct timespec src_mtime;
};

/* A signature being made by the worker, and who waits for it. */
struct swait {
	struct swait *next;
	sbdd_resolve_cb cb;
	void *arg;
};

struct pending {
	struct pending *next;
	struct sbdd *d;
	char name[SBD_TFTP_NAME_MAX + 1];
	enum sbdd_kind kind;
	char mac[SBD_MAC_LEN + 1];
	int has_st;
	struct stat st;
	uint64_t gen;
	struct swait *waiters;
};

struct sbdd_resolver {
	int dirfd;
	uint64_t gen;			/* bumped by every reload */
	struct pending *pending;
	X509 *cert;			/* this node's TFTP signer */
	EVP_PKEY *key;
	struct sbdd_blob *itl, *ctl;
	int itl_reset;			/* itl is the node's reset ITL */
	int64_t store_gen;		/* read before the last build */
	int64_t tftp_restart;		/* honoured at the last build */
	struct dev *dev[DEV_BUCKETS];
	struct centry *tab[CACHE_BUCKETS];
	struct centry *lru_head, *lru_tail;
	size_t bytes;
};

enum csuffix { SFX_PLAIN, SFX_SGN, SFX_ENC };

/* ---- hashing ---------------------------------------------------------- */

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

/* ---- devices ---------------------------------------------------------- */

static struct dev *
dev_find(struct sbdd_resolver *r, const char *mac)
{
	struct dev *v;

	for (v = r->dev[fnv1a(mac) % DEV_BUCKETS]; v != NULL; v = v->next)
		if (strcmp(v->row.mac, mac) == 0)
			return v;
	return NULL;
}

static void
devs_free(struct dev **tab)
{
	struct dev *v, *next;
	size_t i;

	for (i = 0; i < DEV_BUCKETS; i++) {
		for (v = tab[i]; v != NULL; v = next) {
			next = v->next;
			X509_free(v->cert);
			sbd_device_clear(&v->row);
			free(v);
		}
		tab[i] = NULL;
	}
}

/* Load every device of the store into tab. */
static int
devs_load(struct sbdd *d, struct dev **tab)
{
	struct sbd_device *list = NULL;
	struct dev *v;
	size_t n = 0, i;
	uint32_t h;
	int r;

	if ((r = sbd_store_device_list(d->store, &list, &n)) != 0) {
		sbdd_log(d, LOG_ERR, "store: devices: %s",
		    sbd_store_errmsg(d->store));
		return r;
	}
	for (i = 0; i < n; i++) {
		if ((v = calloc(1, sizeof(*v))) == NULL) {
			r = SBD_ERR_NOMEM;
			break;
		}
		v->row = list[i];
		memset(&list[i], 0, sizeof(list[i]));
		h = fnv1a(v->row.mac) % DEV_BUCKETS;
		v->next = tab[h];
		tab[h] = v;
		if (v->row.cert_der != NULL &&
		    sbd_x509_from_der(v->row.cert_der, v->row.cert_len,
		    &v->cert) != 0)
			sbdd_log(d, LOG_WARNING, "device SEP%s: stored "
			    "certificate does not parse; ignored", v->row.mac);
		free(v->row.cert_der);
		v->row.cert_der = NULL;
		v->row.cert_len = 0;
	}
	sbd_device_list_free(list, n);
	return r;
}

/* ---- the cache -------------------------------------------------------- */

static void
lru_unlink(struct sbdd_resolver *r, struct centry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		r->lru_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		r->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_front(struct sbdd_resolver *r, struct centry *e)
{
	e->next = r->lru_head;
	e->prev = NULL;
	if (r->lru_head != NULL)
		r->lru_head->prev = e;
	r->lru_head = e;
	if (r->lru_tail == NULL)
		r->lru_tail = e;
}

static void
cache_drop(struct sbdd_resolver *r, struct centry *e)
{
	struct centry **pp;

	for (pp = &r->tab[fnv1a(e->name) % CACHE_BUCKETS]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	lru_unlink(r, e);
	r->bytes -= e->blob->len;
	sbdd_blob_unref(e->blob);
	free(e->name);
	free(e);
}

static void
cache_clear(struct sbdd_resolver *r)
{
	while (r->lru_head != NULL)
		cache_drop(r, r->lru_head);
}

static struct centry *
cache_find(struct sbdd_resolver *r, const char *name)
{
	struct centry *e;

	for (e = r->tab[fnv1a(name) % CACHE_BUCKETS]; e != NULL; e = e->hnext)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/*
 * Keep blob under name.  The cache is bounded by cache_max bytes; the
 * least recently used entries go first.  A blob larger than the whole
 * cache is simply not kept.
 */
static void
cache_put(struct sbdd *d, const char *name, enum sbdd_kind kind,
    const char *mac, struct sbdd_blob *blob, const struct stat *src)
{
	struct sbdd_resolver *r = d->res;
	struct centry *e;
	uint32_t h;

	if ((e = cache_find(r, name)) != NULL)
		cache_drop(r, e);
	if (blob->len > d->conf.cache_max)
		return;
	while (r->lru_tail != NULL && r->bytes + blob->len > d->conf.cache_max)
		cache_drop(r, r->lru_tail);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	if ((e->name = strdup(name)) == NULL) {
		free(e);
		return;
	}
	e->kind = kind;
	snprintf(e->mac, sizeof(e->mac), "%s", mac != NULL ? mac : "");
	e->blob = sbdd_blob_ref(blob);
	if (src != NULL) {
		e->has_src = 1;
		e->src_dev = src->st_dev;
		e->src_ino = src->st_ino;
		e->src_size = src->st_size;
		e->src_mtime = src->st_mtim;
	}
	h = fnv1a(name) % CACHE_BUCKETS;
	e->hnext = r->tab[h];
	r->tab[h] = e;
	lru_front(r, e);
	r->bytes += blob->len;
}

static int
same_src(const struct centry *e, const struct stat *st)
{
	return e->src_dev == st->st_dev && e->src_ino == st->st_ino &&
	    e->src_size == st->st_size &&
	    e->src_mtime.tv_sec == st->st_mtim.tv_sec &&
	    e->src_mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* ---- names ------------------------------------------------------------ */

/*
 * The lexical check every name passes before anything else: relative,
 * 1..SBD_TFTP_NAME_MAX bytes of printable ASCII, '/'-separated
 * components that are neither empty, "." nor "..", and never start with
 * a dot (hidden files, and the temporaries of atomic writes).
 */
static int
name_ok(const char *name)
{
	const char *p, *comp = name;
	size_t n = strlen(name);

	if (n == 0 || n > SBD_TFTP_NAME_MAX || name[0] == '/')
		return 0;
	for (p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == comp || comp[0] == '.')
				return 0;
			if (*p == '\0')
				return 1;
			comp = p + 1;
			continue;
		}
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '\\')
			return 0;
	}
}

static int
has_suffix(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && strcasecmp(s + n - m, sfx) == 0;
}

/* Names that are never served, wherever they are found. */
static int
never_servable(const char *name)
{
	static const char *const deny[] = {
		".pem", ".key", ".p12", ".pfx", ".db", ".db-wal", ".db-shm",
		".sock", ".pid",
	};
	size_t i;

	for (i = 0; i < sizeof(deny) / sizeof(deny[0]); i++)
		if (has_suffix(name, deny[i]))
			return 1;
	return 0;
}

/* "<prefix><12 hex><suffix>" exactly: the MAC (upper-cased) into mac. */
static int
match_mac(const char *name, const char *prefix, const char *suffix,
    char mac[SBD_MAC_LEN + 1])
{
	size_t pl = strlen(prefix), i;
	const char *m;

	if (strncmp(name, prefix, pl) != 0)
		return 0;
	m = name + pl;
	for (i = 0; i < SBD_MAC_LEN; i++) {
		if (!((m[i] >= '0' && m[i] <= '9') ||
		    (m[i] >= 'A' && m[i] <= 'F') ||
		    (m[i] >= 'a' && m[i] <= 'f')))
			return 0;
		mac[i] = (m[i] >= 'a') ? (char)(m[i] - 32) : m[i];
	}
	mac[SBD_MAC_LEN] = '\0';
	return strcmp(m + SBD_MAC_LEN, suffix) == 0;
}

/* ---- administrators' files -------------------------------------------- */

/*
 * Open name below the TFTP directory.  openat2 with RESOLVE_BENEATH makes
 * the kernel refuse any path, symlinks included, that leaves the
 * directory (EXDEV).  Kernels before 5.6 lack openat2: there no symlink
 * is followed at all.
 */
static int
open_beneath(int dirfd, const char *name)
{
	struct open_how how;
	int fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd == -1 && errno == ENOSYS)
		fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY |
		    O_NONBLOCK | O_NOFOLLOW);
	return fd;
}

/*
 * An administrator's file: from the cache when its identity is unchanged,
 * else read (small files) or kept open (large ones).  *st gets the file's
 * identity for callers that derive from it.
 */
static enum sbdd_result
admin_file(struct sbdd *d, const char *name, struct sbdd_blob **out,
    struct stat *st)
{
	struct sbdd_resolver *r = d->res;
	struct centry *e;
	struct sbdd_blob *b = NULL;
	uint8_t *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open_beneath(r->dirfd, name)) == -1)
		return errno == EXDEV || errno == ELOOP || errno == EACCES ?
		    SBDD_DENIED : SBDD_NOTFOUND;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return SBDD_NOTFOUND;
	}
	if ((size_t)st->st_size > d->conf.file_max) {
		close(fd);
		sbdd_log(d, LOG_WARNING, "a file of %lld bytes is over "
		    "file_max; refused", (long long)st->st_size);
		return SBDD_FAILED;
	}
	e = cache_find(r, name);
	if (e != NULL && e->kind == SBDD_KIND_FILE && same_src(e, st)) {
		close(fd);
		lru_unlink(r, e);
		lru_front(r, e);
		*out = sbdd_blob_ref(e->blob);
		return SBDD_OK;
	}
	if (st->st_size > MEM_FILE_MAX) {
		if ((b = sbdd_blob_fd(fd, (size_t)st->st_size)) == NULL) {
			close(fd);
			return SBDD_FAILED;
		}
		*out = b;
		return SBDD_OK;
	}
	if ((buf = malloc((size_t)st->st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st->st_size) {
		n = read(fd, buf + got, (size_t)st->st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	fd = -1;
	if ((b = sbdd_blob_take(buf, got)) == NULL)
		goto fail;
	buf = NULL;
	cache_put(d, name, SBDD_KIND_FILE, NULL, b, st);
	*out = b;
	return SBDD_OK;
fail:
	if (fd != -1)
		close(fd);
	free(buf);
	return SBDD_FAILED;
}

/* ---- built files ------------------------------------------------------ */

/* Sign src as name (X.sgn) with this node's key, and cache it. */
static enum sbdd_result
sign_blob(struct sbdd *d, const char *name, enum sbdd_kind kind,
    const char *mac, const struct sbdd_blob *src, const struct stat *st,
    struct sbdd_blob **out)
{
	struct sbdd_resolver *r = d->res;
	struct sbdd_blob *b;
	uint8_t *sgn = NULL, *tmp = NULL;
	const uint8_t *p;
	size_t len;
	int e;

	if (r->key == NULL || src->len > SIGN_SRC_MAX)
		return SBDD_FAILED;
	if ((p = src->data) == NULL) {
		/* A descriptor blob: read it whole to sign it. */
		if ((tmp = malloc(src->len ? src->len : 1)) == NULL ||
		    sbdd_blob_get(src, 0, src->len, tmp) == NULL) {
			free(tmp);
			return SBDD_FAILED;
		}
		p = tmp;
	}
	e = sbd_sgn_sign(p, src->len, name, SBD_HASH_SHA1, 0, r->cert, r->key,
	    &sgn, &len);
	free(tmp);
	if (e != 0) {
		sbdd_log(d, LOG_ERR, "signing a file failed: %s",
		    sbd_strerror(e));
		return SBDD_FAILED;
	}
	if ((b = sbdd_blob_take(sgn, len)) == NULL) {
		free(sgn);
		return SBDD_FAILED;
	}
	d->ctr.signed_built++;
	cache_put(d, name, kind, mac, b, st);
	*out = b;
	return SBDD_OK;
}

/* The worker finished a signature: cache it and answer every waiter. */
static void
sign_done(void *arg, int err, uint8_t *out, size_t len)
{
	struct pending *p = arg, **pp;
	struct sbdd *d = p->d;
	struct sbdd_resolver *r = d->res;
	struct sbdd_blob *b = NULL;
	struct sbdd_hit hit;
	struct swait *w;

	for (pp = &r->pending; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (err == 0 && (b = sbdd_blob_take(out, len)) == NULL)
		free(out);
	if (b != NULL) {
		d->ctr.signed_built++;
		/* Signed before a reload: serve it, do not keep it. */
		if (p->gen == r->gen)
			cache_put(d, p->name, p->kind, p->mac, b,
			    p->has_st ? &p->st : NULL);
	} else if (err != 0) {
		sbdd_log(d, LOG_ERR, "signing a file failed: %s",
		    sbd_strerror(err));
	}
	while ((w = p->waiters) != NULL) {
		p->waiters = w->next;
		if (b != NULL) {
			memset(&hit, 0, sizeof(hit));
			hit.kind = p->kind;
			memcpy(hit.mac, p->mac, sizeof(hit.mac));
			hit.blob = sbdd_blob_ref(b);
			w->cb(w->arg, SBDD_OK, &hit);
		} else {
			w->cb(w->arg, SBDD_FAILED, NULL);
		}
		free(w);
	}
	sbdd_blob_unref(b);
	free(p);
}

/*
 * Sign src as name, in the worker thread when there is one (TFTP only:
 * an HTTP request may be freed with its connection while it waits), and
 * with one signature for any number of simultaneous requests for name.
 * SBDD_PENDING: cb will be called from sign_done.
 */
static enum sbdd_result
sign_async(struct sbdd *d, enum sbdd_proto proto, const char *name,
    enum sbdd_kind kind, const char *mac, struct sbdd_blob *src,
    const struct stat *st, struct sbdd_hit *hit, sbdd_resolve_cb cb,
    void *arg)
{
	struct sbdd_resolver *r = d->res;
	struct pending *p;
	struct swait *w;

	hit->kind = kind;
	if (proto != SBDD_TFTP || d->signer == NULL || r->key == NULL ||
	    src->data == NULL)
		return sign_blob(d, name, kind, mac, src, st, &hit->blob);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return SBDD_FAILED;
	w->cb = cb;
	w->arg = arg;
	for (p = r->pending; p != NULL; p = p->next) {
		if (p->gen == r->gen && strcmp(p->name, name) == 0) {
			w->next = p->waiters;
			p->waiters = w;
			return SBDD_PENDING;
		}
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		free(w);
		return SBDD_FAILED;
	}
	p->d = d;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->kind = kind;
	snprintf(p->mac, sizeof(p->mac), "%s", mac != NULL ? mac : "");
	if (st != NULL) {
		p->has_st = 1;
		p->st = *st;
	}
	p->gen = r->gen;
	p->waiters = w;
	if (sbdd_signer_submit(d, src, name, r->cert, r->key, sign_done,
	    p) != 0) {
		free(w);
		free(p);
		return sign_blob(d, name, kind, mac, src, st, &hit->blob);
	}
	p->next = r->pending;
	r->pending = p;
	return SBDD_PENDING;
}

/*
 * A device's configuration source: the administrator's SEP<MAC>.cnf.xml
 * when there is one, else the generated one.  A generated configuration
 * is kept in the cache only when it is served as it is (keep): one that
 * is only signed or encrypted lives on in the cache as that file, and
 * keeping both would double the cache a fleet of secure phones needs.
 */
static enum sbdd_result
config_source(struct sbdd *d, const char *cnf, const struct dev *v,
    int keep, struct sbdd_blob **out, struct stat *st, int *has_st)
{
	enum sbdd_result res;

	struct centry *e;
	struct sbdd_blob *b;
	uint8_t *xml;
	size_t len;
	int r;

	res = admin_file(d, cnf, out, st);
	*has_st = (res == SBDD_OK);
	if (res != SBDD_NOTFOUND || v == NULL)
		return res;
	e = cache_find(d->res, cnf);
	if (e != NULL && e->kind == SBDD_KIND_CONFIG) {
		*out = sbdd_blob_ref(e->blob);
		return SBDD_OK;
	}
	if ((r = sbd_cluster_device_config(d->store, &v->row, &xml,
	    &len)) != 0) {
		sbdd_log(d, LOG_ERR, "device SEP%s: generating its "
		    "configuration: %s", v->row.mac, sbd_strerror(r));
		return SBDD_FAILED;
	}
	if ((b = sbdd_blob_take(xml, len)) == NULL) {
		free(xml);
		return SBDD_FAILED;
	}
	if (keep)
		cache_put(d, cnf, SBDD_KIND_CONFIG, v->row.mac, b, NULL);
	*out = b;
	return SBDD_OK;
}

/* The .enc.sgn and short .sgn of an encrypted device, built together. */
static enum sbdd_result
build_enc(struct sbdd *d, const char *cnf, const struct dev *v,
    enum csuffix want, struct sbdd_blob **out)
{
	struct sbdd_resolver *r = d->res;
	struct sbd_enc_opts o;
	struct sbdd_blob *src = NULL, *be = NULL, *bs = NULL;
	uint8_t *enc = NULL, *sgn = NULL, *tmp = NULL;
	char ename[SBD_TFTP_NAME_MAX + 16], sname[SBD_TFTP_NAME_MAX + 16];
	struct stat st;
	const uint8_t *p;
	size_t elen, slen;
	int has_st, e;
	enum sbdd_result res;

	snprintf(ename, sizeof(ename), "%s.enc.sgn", cnf);
	snprintf(sname, sizeof(sname), "%s.sgn", cnf);
	if ((res = config_source(d, cnf, v, 0, &src, &st, &has_st)) !=
	    SBDD_OK)
		return res;
	res = SBDD_FAILED;
	if (r->key == NULL || src->len > SBD_CONF_MAX)
		goto out;
	if ((p = src->data) == NULL) {
		if ((tmp = malloc(src->len ? src->len : 1)) == NULL ||
		    sbdd_blob_get(src, 0, src->len, tmp) == NULL)
			goto out;
		p = tmp;
	}
	memset(&o, 0, sizeof(o));
	if ((e = sbd_enc_build(p, src->len, cnf, r->cert, r->key, v->cert, &o,
	    &enc, &elen, &sgn, &slen)) != 0) {
		sbdd_log(d, LOG_ERR, "device SEP%s: encrypting its "
		    "configuration failed: %s", v->row.mac, sbd_strerror(e));
		goto out;
	}
	if ((be = sbdd_blob_take(enc, elen)) == NULL)
		goto out;
	enc = NULL;
	if ((bs = sbdd_blob_take(sgn, slen)) == NULL)
		goto out;
	sgn = NULL;
	d->ctr.enc_built++;
	cache_put(d, ename, SBDD_KIND_CONFIG_ENC, v->row.mac, be,
	    has_st ? &st : NULL);
	cache_put(d, sname, SBDD_KIND_CONFIG_SIGNED, v->row.mac, bs,
	    has_st ? &st : NULL);
	*out = sbdd_blob_ref(want == SFX_ENC ? be : bs);
	res = SBDD_OK;
out:
	sbdd_blob_unref(src);
	sbdd_blob_unref(be);
	sbdd_blob_unref(bs);
	free(enc);
	free(sgn);
	free(tmp);
	return res;
}

/*
 * A cached built entry still valid?  Entries derived from an
 * administrator's file check that file's identity; generated ones live
 * until the next reload (which clears the cache).
 */
static int
cached_built(struct sbdd *d, const char *name, const char *srcname,
    struct sbdd_hit *hit)
{
	struct sbdd_resolver *r = d->res;
	struct centry *e;
	struct stat st;
	int have;

	if ((e = cache_find(r, name)) == NULL || e->kind == SBDD_KIND_FILE)
		return 0;
	have = fstatat(r->dirfd, srcname, &st, 0) == 0 && S_ISREG(st.st_mode);
	if (have != e->has_src || (have && !same_src(e, &st))) {
		cache_drop(r, e);
		return 0;
	}
	lru_unlink(r, e);
	lru_front(r, e);
	hit->blob = sbdd_blob_ref(e->blob);
	hit->kind = e->kind;
	memcpy(hit->mac, e->mac, sizeof(hit->mac));
	return 1;
}

/* SEP<MAC>.cnf.xml[.sgn|.enc.sgn] of a registered device. */
static enum sbdd_result
resolve_config(struct sbdd *d, enum sbdd_proto proto, const char *name,
    const char *mac, enum csuffix sfx, struct sbdd_hit *hit,
    sbdd_resolve_cb cb, void *arg)
{
	struct dev *v = dev_find(d->res, mac);
	struct sbdd_blob *src = NULL;
	char cnf[SBD_DEVNAME_MAX + 16];
	struct stat st;
	int has_st;
	enum sbdd_result res;

	snprintf(cnf, sizeof(cnf), "SEP%s.cnf.xml", mac);
	memcpy(hit->mac, mac, sizeof(hit->mac));
	if (v != NULL && v->row.profile == SBD_PROFILE_ENCRYPTED) {
		/* Never hand an encrypted phone's configuration out in clear. */
		if (sfx == SFX_PLAIN)
			return SBDD_DENIED;
		if (v->cert != NULL) {
			if (cached_built(d, name, cnf, hit))
				return SBDD_OK;
			hit->kind = sfx == SFX_ENC ? SBDD_KIND_CONFIG_ENC :
			    SBDD_KIND_CONFIG_SIGNED;
			return build_enc(d, cnf, v, sfx, &hit->blob);
		}
	}
	if (sfx == SFX_ENC)
		return SBDD_NOTFOUND;
	if (sfx == SFX_SGN && cached_built(d, name, cnf, hit))
		return SBDD_OK;
	if ((res = config_source(d, cnf, v, sfx == SFX_PLAIN, &src, &st,
	    &has_st)) != SBDD_OK)
		return res;
	if (sfx == SFX_PLAIN) {
		hit->kind = SBDD_KIND_CONFIG;
		hit->blob = src;
		return SBDD_OK;
	}
	res = sign_async(d, proto, name, SBDD_KIND_CONFIG_SIGNED, mac, src,
	    has_st ? &st : NULL, hit, cb, arg);
	sbdd_blob_unref(src);
	return res;
}

static enum sbdd_result
resolve_local(struct sbdd *d, enum sbdd_proto proto, const char *name,
    struct sbdd_hit *hit, sbdd_resolve_cb cb, void *arg)
{
	struct sbdd_resolver *r = d->res;
	struct sbdd_blob *src = NULL;
	char mac[SBD_MAC_LEN + 1], base[SBD_TFTP_NAME_MAX + 1];
	struct stat st;
	size_t n;
	enum sbdd_result res;

	if (!name_ok(name) || never_servable(name))
		return SBDD_DENIED;
	if (strcmp(name, "ITLFile.tlv") == 0 ||
	    (match_mac(name, "ITLSEP", ".tlv", mac) &&
	    dev_find(r, mac) != NULL)) {
		hit->kind = SBDD_KIND_ITL;
		if (name[3] == 'S')
			memcpy(hit->mac, mac, sizeof(hit->mac));
		hit->blob = sbdd_blob_ref(r->itl);
		return SBDD_OK;
	}
	if (r->ctl != NULL && (strcmp(name, "CTLFile.tlv") == 0 ||
	    (match_mac(name, "CTLSEP", ".tlv", mac) &&
	    dev_find(r, mac) != NULL))) {
		hit->kind = SBDD_KIND_CTL;
		if (name[3] == 'S')
			memcpy(hit->mac, mac, sizeof(hit->mac));
		hit->blob = sbdd_blob_ref(r->ctl);
		return SBDD_OK;
	}
	if (match_mac(name, "ITLSEP", ".tlv", mac) ||
	    match_mac(name, "CTLSEP", ".tlv", mac))
		return SBDD_NOTFOUND;	/* not registered here */
	if (match_mac(name, "SEP", ".cnf.xml", mac))
		return resolve_config(d, proto, name, mac, SFX_PLAIN, hit,
		    cb, arg);
	if (match_mac(name, "SEP", ".cnf.xml.sgn", mac))
		return resolve_config(d, proto, name, mac, SFX_SGN, hit,
		    cb, arg);
	if (match_mac(name, "SEP", ".cnf.xml.enc.sgn", mac))
		return resolve_config(d, proto, name, mac, SFX_ENC, hit,
		    cb, arg);

	/* An administrator's file, or X.sgn made from one. */
	res = admin_file(d, name, &hit->blob, &st);
	if (res != SBDD_NOTFOUND || !has_suffix(name, ".sgn"))
		return res;
	n = strlen(name) - 4;
	memcpy(base, name, n);
	base[n] = '\0';
	if (has_suffix(base, ".sgn") || !name_ok(base))
		return SBDD_NOTFOUND;
	if (cached_built(d, name, base, hit))
		return SBDD_OK;
	if ((res = admin_file(d, base, &src, &st)) != SBDD_OK)
		return res;
	res = sign_async(d, proto, name, SBDD_KIND_SIGNED, NULL, src, &st,
	    hit, cb, arg);
	sbdd_blob_unref(src);
	return res;
}

void
sbdd_resolve(struct sbdd *d, enum sbdd_proto proto, const char *name,
    const struct sockaddr *peer, unsigned hops, sbdd_resolve_cb cb,
    void *arg)
{
	struct sbdd_hit hit;
	enum sbdd_result res;

	(void)peer;
	memset(&hit, 0, sizeof(hit));
	res = resolve_local(d, proto, name, &hit, cb, arg);
	if (res == SBDD_PENDING)
		return;
	if (res == SBDD_NOTFOUND && proto == SBDD_TFTP &&
	    d->conf.nupstream > 0 && hops < SBD_TFTP_HOPS_MAX) {
		sbdd_proxy_fetch(d, name, hops, cb, arg);
		return;
	}
	if (res != SBDD_OK) {
		sbdd_blob_unref(hit.blob);
		cb(arg, res, NULL);
		return;
	}
	cb(arg, res, &hit);
}

/* ---- trust lists ------------------------------------------------------ */

/*
 * Two lists with the same records and the same signer say the same thing;
 * keep serving the older bytes so a reload or restart that changes
 * nothing does not give every phone a "new" ITL (with a new SHA1).
 */
static int
same_list(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	struct sbd_tl *ta = NULL, *tb = NULL;
	int same = 0;

	if (sbd_tl_parse(a, alen, 0, &ta, NULL) != 0 ||
	    sbd_tl_parse(b, blen, 0, &tb, NULL) != 0)
		goto out;
	same = alen - ta->hdr.hdr_len == blen - tb->hdr.hdr_len &&
	    memcmp(a + ta->hdr.hdr_len, b + tb->hdr.hdr_len,
	    alen - ta->hdr.hdr_len) == 0 &&
	    ta->hdr.serial_len == tb->hdr.serial_len &&
	    memcmp(ta->hdr.serial, tb->hdr.serial, ta->hdr.serial_len) == 0 &&
	    strcmp(ta->hdr.signer_name, tb->hdr.signer_name) == 0;
out:
	sbd_tl_free(ta);
	sbd_tl_free(tb);
	return same;
}

/*
 * Install a freshly built list: reuse the bytes already served (or on
 * disk) when nothing changed, unless exact (a reset ITL is served as it
 * was made), and write what is served into the TFTP directory atomically
 * so `sbdctl show itl` shows exactly what phones get.
 */
static int
install_list(struct sbdd *d, const char *file, struct sbdd_blob *old,
    int exact, uint8_t *buf, size_t len, struct sbdd_blob **out)
{
	char path[PATH_MAX];
	uint8_t *disk = NULL;
	size_t dlen = 0;
	struct sbdd_blob *b;
	int r;

	snprintf(path, sizeof(path), "%s/%s", d->conf.tftp_dir, file);
	if (!exact && old == NULL && sbd_read_file(path, SBD_TL_PARSE_MAX,
	    &disk, &dlen) == 0 && same_list(disk, dlen, buf, len)) {
		free(buf);
		buf = disk;
		len = dlen;
		disk = NULL;
	} else if (!exact && old != NULL &&
	    same_list(old->data, old->len, buf, len)) {
		free(buf);
		free(disk);
		*out = sbdd_blob_ref(old);
		return 0;
	}
	free(disk);
	if ((r = sbd_write_file_atomic(path, buf, len, 0644)) != 0) {
		sbdd_log(d, LOG_ERR, "%s: cannot write %s: %s",
		    d->conf.tftp_dir, file, sbd_strerror(r));
		free(buf);
		return r;
	}
	if ((b = sbdd_blob_take(buf, len)) == NULL) {
		free(buf);
		return SBD_ERR_NOMEM;
	}
	*out = b;
	return 0;
}

/*
 * The node's reset ITL when it is in service: stored for the TFTP
 * restart this sbdd honours (store.h, "TFTP restarts").  One stored for
 * an earlier restart is retired; one for a later restart waits for it.
 * SBD_ERR_NOTFOUND when the ITL is to be built; *out malloc'ed.
 */
static int
reset_itl(struct sbdd *d, uint8_t **out, size_t *outlen)
{
	struct sbd_tl *tl = NULL;
	struct sbd_diag dg;
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t restart = 0;
	int e;

	if ((e = sbd_store_itl_reset_get(d->store, d->conf.node, &der, &len,
	    &restart)) != 0) {
		if (e != SBD_ERR_NOTFOUND)
			sbdd_log(d, LOG_ERR, "store: reset ITL: %s",
			    sbd_store_errmsg(d->store));
		goto out;
	}
	e = SBD_ERR_NOTFOUND;
	if (restart < d->tftp_restart) {
		if (sbd_store_itl_reset_clear(d->store, d->conf.node) == 0)
			sbdd_log(d, LOG_INFO, "reset ITL of restart %lld "
			    "retired", (long long)restart);
		else
			sbdd_log(d, LOG_ERR, "store: retiring the reset ITL "
			    "of restart %lld: %s", (long long)restart,
			    sbd_store_errmsg(d->store));
		goto out;
	}
	if (restart > d->tftp_restart)
		goto out;
	/* A list phones would refuse is never served in place of ours. */
	memset(&dg, 0, sizeof(dg));
	if ((e = sbd_tl_parse(der, len, 0, &tl, &dg)) != 0 ||
	    (e = sbd_tl_verify(der, len, tl, NULL, NULL)) != 0) {
		sbdd_log(d, LOG_ERR, "reset ITL of restart %lld refused "
		    "(%s%s%s); serving the ITL built from the store",
		    (long long)restart, sbd_strerror(e),
		    dg.what[0] != '\0' ? ": " : "", dg.what);
		e = SBD_ERR_NOTFOUND;
		goto out;
	}
	*out = der;
	*outlen = len;
	der = NULL;
out:
	sbd_tl_free(tl);
	free(der);
	return e;
}

/*
 * Build everything that comes from the store.  Nothing changes unless all
 * of it builds: a failed reload leaves the previous files in service.
 * The generation is read first: the node state then never claims a
 * change this build may have missed.
 */
static int
load(struct sbdd *d)
{
	struct sbdd_resolver *r = d->res;
	struct sbd_itl_opts io;
	struct dev *ndev[DEV_BUCKETS];
	struct sbdd_blob *itl = NULL, *ctl = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char param[16], path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len;
	int64_t gen;
	int reset, e;

	memset(ndev, 0, sizeof(ndev));
	memset(&io, 0, sizeof(io));
	if ((e = sbd_store_generation(d->store, &gen)) != 0) {
		sbdd_log(d, LOG_ERR, "store: generation: %s",
		    sbd_store_errmsg(d->store));
		goto out;
	}
	if (sbd_store_param_get(d->store, "rollback_pre80", param,
	    sizeof(param)) == 0 && strcmp(param, "true") == 0)
		io.rollback = 1;
	if ((e = sbd_cluster_load(d->store, d->conf.datadir, d->conf.node,
	    SBD_CR_CALLMANAGER, &cert, &key)) != 0) {
		sbdd_log(d, LOG_ERR, "node %s: CallManager certificate: %s",
		    d->conf.node, sbd_strerror(e));
		goto out;
	}
	e = sbd_cluster_build_ctl(d->store, d->conf.datadir, &buf, &len);
	if (e == 0) {
		if ((e = install_list(d, "CTLFile.tlv", r->ctl, 0, buf, len,
		    &ctl)) != 0)
			goto out;
	} else if (e == SBD_ERR_NOTFOUND) {
		/* Non-secure: no CTL, and none left behind to be served. */
		snprintf(path, sizeof(path), "%s/CTLFile.tlv",
		    d->conf.tftp_dir);
		unlink(path);
	} else {
		sbdd_log(d, LOG_ERR, "building the CTL: %s", sbd_strerror(e));
		goto out;
	}
	if ((e = devs_load(d, ndev)) != 0)
		goto out;
	e = reset_itl(d, &buf, &len);
	reset = e == 0;
	if (e == SBD_ERR_NOTFOUND && (e = sbd_cluster_build_itl(d->store,
	    d->conf.datadir, d->conf.node, &io, &buf, &len)) != 0)
		sbdd_log(d, LOG_ERR, "node %s: building the ITL: %s",
		    d->conf.node, sbd_strerror(e));
	if (e != 0 || (e = install_list(d, "ITLFile.tlv", r->itl, reset, buf,
	    len, &itl)) != 0)
		goto out;

	/* Everything built: swap it in. */
	devs_free(r->dev);
	memcpy(r->dev, ndev, sizeof(ndev));
	memset(ndev, 0, sizeof(ndev));
	sbdd_blob_unref(r->itl);
	sbdd_blob_unref(r->ctl);
	r->itl = itl;
	r->ctl = ctl;
	itl = ctl = NULL;
	r->itl_reset = reset;
	r->store_gen = gen;
	r->tftp_restart = d->tftp_restart;
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
	r->cert = cert;
	r->key = key;
	cert = NULL;
	key = NULL;
	cache_clear(r);
	r->gen++;
	sbdd_resolver_state(d, (int64_t)getpid());
	if (sbd_store_itl_seen_add(d->store, d->conf.node, r->itl->data,
	    r->itl->len, (int64_t)time(NULL)) != 0)
		sbdd_log(d, LOG_ERR, "store: recording the ITL served: %s",
		    sbd_store_errmsg(d->store));
out:
	devs_free(ndev);
	sbdd_blob_unref(itl);
	sbdd_blob_unref(ctl);
	X509_free(cert);
	EVP_PKEY_free(key);
	return e;
}

int
sbdd_resolver_init(struct sbdd *d)
{
	struct sbdd_resolver *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SBD_ERR_NOMEM;
	d->res = r;
	r->dirfd = open(d->conf.tftp_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->dirfd == -1) {
		sbdd_log(d, LOG_ERR, "%s: %s", d->conf.tftp_dir,
		    strerror(errno));
		return SBD_ERR_IO;
	}
	return load(d);
}

int
sbdd_resolver_reload(struct sbdd *d)
{
	int e;

	if ((e = load(d)) == 0)
		d->ctr.reloads++;
	return e;
}

void
sbdd_resolver_state(struct sbdd *d, int64_t pid)
{
	struct sbdd_resolver *r = d->res;
	struct sbd_node_state s;

	if (r == NULL || r->itl == NULL || sbdd_blob_sha1(r->itl) != 0)
		return;
	memset(&s, 0, sizeof(s));
	snprintf(s.node, sizeof(s.node), "%s", d->conf.node);
	s.pid = pid;
	s.gen = r->store_gen;
	s.tftp_restart = r->tftp_restart;
	memcpy(s.itl_sha1, r->itl->sha1, sizeof(s.itl_sha1));
	snprintf(s.itl_signer, sizeof(s.itl_signer), "%s", r->itl_reset ?
	    SBD_CR_ITLRECOVERY : SBD_CR_CALLMANAGER);
	if (sbd_store_node_state_set(d->store, &s) != 0)
		sbdd_log(d, LOG_ERR, "store: node state: %s",
		    sbd_store_errmsg(d->store));
}

void
sbdd_resolver_free(struct sbdd *d)
{
	struct sbdd_resolver *r = d->res;

	if (r == NULL)
		return;
	cache_clear(r);
	devs_free(r->dev);
	sbdd_blob_unref(r->itl);
	sbdd_blob_unref(r->ctl);
	X509_free(r->cert);
	EVP_PKEY_free(r->key);
	if (r->dirfd != -1)
		close(r->dirfd);
	free(r);
	d->res = NULL;
}
