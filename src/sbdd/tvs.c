/*
 * sbdd: the Trust Verification Service (FORMATS.md 7), TLS on TCP 2445.
 *
 * A phone asks "do you trust this certificate?" (VERIFY, 1 -> 2) for TLS
 * peers it meets, and "give me the certificate with this serial and
 * issuer" (QUERY, 3 -> 4) for the signer of a file that is not in its
 * CTL/ITL (SPEC.md "TVS").  Unlike tvsd, which closes after one request,
 * a connection may carry up to tvs_max_requests requests.
 *
 * The trust index holds every active certificate of the cluster with the
 * roles an ITL gives it, and every entry of the store's trust table.  It
 * is an array sorted by SHA-256 of the DER (VERIFY, bsearch) with a
 * second array of indices sorted by serial (QUERY), so a lookup is
 * O(log n) however many certificates the administrator imports.  The
 * index is reference-counted: a reload builds a new one, new connections
 * take it, and connections in flight answer from the one they began with
 * until they end.  The TLS context is swapped the same way (tlssvc.c).
 * The listener, caps, timeouts and connection bookkeeping are the TLS
 * service's (tlssvc.c), shared with CAPF; this file reads and answers
 * frames.
 *
 * Frames are parsed only by lib/tvs.c: sbd_tvs_frame_len on the header
 * says how much to wait for, sbd_tvs_parse reads the whole frame, and
 * sbd_tvs_build writes the answer.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/trustlist.h"
#include "sbd/tvs.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdd.h"

#define TVS_DEVLOG_MAX	40	/* device name characters in a log line */
#define SHA256_LEN	32
#define ROLESET_LEN	32	/* one bit per u8 role code */
#define FRAME_MAX	(SBD_TVS_HDR + SBD_TVS_BODY_MAX)

/* One trusted certificate. */
struct entry {
	uint8_t sha256[SHA256_LEN];	/* of der: the VERIFY key (7.6) */
	char sha1[41];			/* for logs */
	uint8_t *der;			/* sent back in QUERY answers */
	size_t der_len;
	uint8_t *serial;		/* leading zero bytes stripped */
	size_t serial_len;
	char *subject;			/* sbd_dn_string() forms */
	char *issuer;
	uint8_t roles[ROLESET_LEN];	/* a set of enum sbd_role codes */
	uint32_t ttl;			/* 0: the cluster's tvs_ttl */
};

struct tindex {
	unsigned refs;
	struct entry *e;		/* sorted by sha256, no duplicates */
	size_t n;
	size_t *by_serial;		/* indices of e sorted by serial */
	uint32_t ttl;			/* the cluster's tvs_ttl */
};

/* One connection: the shared part first (sbdd.h, struct sbdd_tlsconn). */
struct conn {
	struct sbdd_tlsconn tc;
	struct tindex *ix;		/* one reference */
	unsigned nreq;			/* requests answered */
};

struct sbdd_tvs {
	struct sbdd *d;
	struct sbdd_tlssvc *svc;
	struct tindex *ix;		/* for new connections */
	int stopping;
	char bad_ttl[SBD_PARAM_MAX];	/* the invalid tvs_ttl last logged */
};

/*
 * The order tvsd sends roles in (FORMATS.md 7.4); other codes follow by
 * value.
 */
static const uint8_t role_order[] = {
	SBD_ROLE_SAST, SBD_ROLE_CCM, SBD_ROLE_CCM_TFTP, SBD_ROLE_TFTP,
	SBD_ROLE_CAPF, SBD_ROLE_APP_SERVER, SBD_ROLE_TVS,
};

/* ---- roles ----------------------------------------------------------- */

static void
role_add(uint8_t *set, unsigned role)
{
	set[role / 8] |= (uint8_t)(1u << (role % 8));
}

static int
role_has(const uint8_t *set, unsigned role)
{
	return (set[role / 8] >> (role % 8)) & 1;
}

/* The set as the ROLES element, in tvsd's order; returns the count. */
static size_t
role_list(const uint8_t *set, uint8_t out[SBD_TVS_ROLES_MAX])
{
	size_t i, n = 0;
	unsigned r;

	for (i = 0; i < sizeof(role_order) && n < SBD_TVS_ROLES_MAX; i++)
		if (role_has(set, role_order[i]))
			out[n++] = role_order[i];
	for (r = 0; r <= UINT8_MAX && n < SBD_TVS_ROLES_MAX; r++) {
		if (!role_has(set, r) ||
		    memchr(role_order, (int)r, sizeof(role_order)) != NULL)
			continue;
		out[n++] = (uint8_t)r;
	}
	return n;
}

/* ---- the trust index ------------------------------------------------- */

static void
entry_clear(struct entry *e)
{
	free(e->der);
	free(e->serial);
	free(e->subject);
	free(e->issuer);
}

static void
ix_unref(struct tindex *ix)
{
	size_t i;

	if (ix == NULL || --ix->refs > 0)
		return;
	for (i = 0; i < ix->n; i++)
		entry_clear(&ix->e[i]);
	free(ix->e);
	free(ix->by_serial);
	free(ix);
}

/* Fill e from a certificate and its DER (copied). */
static int
entry_fill(struct entry *e, X509 *x, const uint8_t *der, size_t len)
{
	uint8_t md[EVP_MAX_MD_SIZE], *serial = NULL;
	size_t slen = 0, z = 0;
	int err;

	memset(e, 0, sizeof(*e));
	if ((e->der = malloc(len)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	memcpy(e->der, der, len);
	e->der_len = len;
	if (EVP_Digest(der, len, e->sha256, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(der, len, md, NULL, EVP_sha1(), NULL) != 1) {
		err = SBD_ERR_CRYPTO;
		goto out;
	}
	sbd_hex(md, 20, e->sha1);
	if ((err = sbd_x509_serial(x, &serial, &slen)) != 0 ||
	    (err = sbd_dn_string(X509_get_subject_name(x), &e->subject)) != 0 ||
	    (err = sbd_dn_string(X509_get_issuer_name(x), &e->issuer)) != 0)
		goto out;
	/* Serial 0 becomes the empty string, as a request's would. */
	while (z < slen && serial[z] == 0)
		z++;
	if ((e->serial = malloc(slen - z + 1)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	memcpy(e->serial, serial + z, slen - z);
	e->serial_len = slen - z;
	err = 0;
out:
	free(serial);
	if (err != 0) {
		entry_clear(e);
		memset(e, 0, sizeof(*e));
	}
	return err;
}

/* A growing array of entries while the index is built. */
struct builder {
	struct entry *e;
	size_t n, cap;
};

static struct entry *
builder_next(struct builder *b)
{
	struct entry *ne;
	size_t nc;

	if (b->n == b->cap) {
		nc = b->cap ? b->cap * 2 : 64;
		if ((ne = reallocarray(b->e, nc, sizeof(*ne))) == NULL)
			return NULL;
		b->e = ne;
		b->cap = nc;
	}
	return &b->e[b->n];
}

/*
 * The roles a cluster certificate has in the node's ITL (SPEC.md "The
 * ITL"): CallManager signs TFTP files only on TFTP nodes.
 */
static void
cluster_roles(const char *role, unsigned services, uint8_t *set)
{
	if (strcmp(role, SBD_CR_CALLMANAGER) == 0) {
		role_add(set, SBD_ROLE_SAST);
		role_add(set, SBD_ROLE_CCM);
		if (services & SBD_SVC_TFTP)
			role_add(set, SBD_ROLE_TFTP);
	} else if (strcmp(role, SBD_CR_TVS) == 0) {
		role_add(set, SBD_ROLE_TVS);
	} else if (strcmp(role, SBD_CR_CAPF) == 0) {
		role_add(set, SBD_ROLE_CAPF);
	} else if (strcmp(role, SBD_CR_ITLRECOVERY) == 0) {
		role_add(set, SBD_ROLE_SAST);
	}
}

/* Every active certificate of every node. */
static int
add_cluster(struct sbdd *d, struct builder *b)
{
	struct sbd_store_cert *certs = NULL;
	struct sbd_node *nodes = NULL;
	struct entry *e;
	char path[PATH_MAX];
	uint8_t *der = NULL;
	size_t nc = 0, nn = 0, i, k, len;
	unsigned services;
	X509 *x = NULL;
	int err;

	if ((err = sbd_store_node_list(d->store, &nodes, &nn)) != 0 ||
	    (err = sbd_store_cert_list(d->store, NULL, 1, &certs,
	    &nc)) != 0) {
		sbdd_log(d, LOG_ERR, "tvs: reading the store: %s",
		    sbd_store_errmsg(d->store));
		goto out;
	}
	for (i = 0; i < nc; i++) {
		services = 0;
		for (k = 0; k < nn; k++)
			if (strcmp(nodes[k].name, certs[i].node) == 0)
				services = nodes[k].services;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s",
		    d->conf.datadir, certs[i].cert_path) >= sizeof(path)) {
			err = SBD_ERR_INVAL;
			goto bad;
		}
		if ((err = sbd_cert_load(path, &x)) != 0 ||
		    (err = sbd_x509_der(x, &der, &len)) != 0)
			goto bad;
		if ((e = builder_next(b)) == NULL) {
			err = SBD_ERR_NOMEM;
			goto bad;
		}
		if ((err = entry_fill(e, x, der, len)) != 0)
			goto bad;
		cluster_roles(certs[i].role, services, e->roles);
		b->n++;
		OPENSSL_free(der);
		der = NULL;
		X509_free(x);
		x = NULL;
	}
	err = 0;
	goto out;
bad:
	sbdd_log(d, LOG_ERR, "tvs: %s certificate of node %s (%s): %s",
	    certs[i].role, certs[i].node, certs[i].cert_path,
	    sbd_strerror(err));
out:
	OPENSSL_free(der);
	X509_free(x);
	free(certs);
	free(nodes);
	return err;
}

/* Every entry of the trust table (`sbdctl trust add`). */
static int
add_trusted(struct sbdd *d, struct builder *b)
{
	struct sbd_trust *tr = NULL;
	struct entry *e;
	size_t n = 0, i, k;
	X509 *x = NULL;
	int err;

	if ((err = sbd_store_trust_list(d->store, &tr, &n)) != 0) {
		sbdd_log(d, LOG_ERR, "tvs: reading the trust table: %s",
		    sbd_store_errmsg(d->store));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((err = sbd_x509_from_der(tr[i].der, tr[i].der_len,
		    &x)) != 0) {
			sbdd_log(d, LOG_ERR, "tvs: trusted certificate %s: %s",
			    tr[i].sha256, sbd_strerror(err));
			goto out;
		}
		if ((e = builder_next(b)) == NULL) {
			err = SBD_ERR_NOMEM;
			goto out;
		}
		if ((err = entry_fill(e, x, tr[i].der, tr[i].der_len)) != 0)
			goto out;
		for (k = 0; k < tr[i].nroles && k < SBD_TRUST_ROLES_MAX; k++)
			role_add(e->roles, tr[i].roles[k]);
		e->ttl = tr[i].ttl;
		b->n++;
		X509_free(x);
		x = NULL;
	}
	err = 0;
out:
	X509_free(x);
	sbd_trust_list_free(tr, n);
	return err;
}

/* The cluster's tvs_ttl (FORMATS.md 7.6: 1..2592000, default 86400). */
static uint32_t
cluster_ttl(struct sbdd_tvs *t)
{
	return (uint32_t)sbdd_param_range(t->d, "tvs", "tvs_ttl",
	    SBD_TVS_TTL_MAX, SBD_TVS_TTL_DEFAULT, t->bad_ttl);
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(((const struct entry *)a)->sha256,
	    ((const struct entry *)b)->sha256, SHA256_LEN);
}

/* Serials compare by length first: they carry no leading zeros. */
static int
cmp_serial(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen == 0 ? 0 : memcmp(a, b, alen);
}

static int
cmp_by_serial(const void *a, const void *b, void *arg)
{
	const struct entry *base = arg;
	const struct entry *x = &base[*(const size_t *)a];
	const struct entry *y = &base[*(const size_t *)b];

	return cmp_serial(x->serial, x->serial_len, y->serial, y->serial_len);
}

/*
 * Sort by SHA-256 and fold duplicates: a certificate both in the cluster
 * and in the trust table has the union of the roles, and the shorter of
 * two explicit TTLs.
 */
static size_t
fold(struct entry *e, size_t n)
{
	size_t i, o = 0, k;

	if (n == 0)
		return 0;
	qsort(e, n, sizeof(*e), cmp_hash);
	for (i = 1; i < n; i++) {
		if (memcmp(e[o].sha256, e[i].sha256, SHA256_LEN) != 0) {
			e[++o] = e[i];
			continue;
		}
		for (k = 0; k < ROLESET_LEN; k++)
			e[o].roles[k] |= e[i].roles[k];
		if (e[o].ttl == 0 || (e[i].ttl != 0 && e[i].ttl < e[o].ttl))
			e[o].ttl = e[i].ttl;
		entry_clear(&e[i]);
	}
	return o + 1;
}

static int
ix_build(struct sbdd_tvs *t, struct tindex **out)
{
	struct builder b = { NULL, 0, 0 };
	struct tindex *ix = NULL;
	size_t i;
	int err;

	if ((ix = calloc(1, sizeof(*ix))) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	ix->refs = 1;
	if ((err = add_cluster(t->d, &b)) != 0 ||
	    (err = add_trusted(t->d, &b)) != 0)
		goto out;
	ix->n = fold(b.e, b.n);
	ix->e = b.e;
	b.e = NULL;
	b.n = 0;
	if ((ix->by_serial = calloc(ix->n + 1, sizeof(size_t))) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < ix->n; i++)
		ix->by_serial[i] = i;
	qsort_r(ix->by_serial, ix->n, sizeof(size_t), cmp_by_serial, ix->e);
	ix->ttl = cluster_ttl(t);
	*out = ix;
	ix = NULL;
out:
	for (i = 0; i < b.n; i++)
		entry_clear(&b.e[i]);
	free(b.e);
	ix_unref(ix);
	return err;
}

/* VERIFY: the certificate whose DER hashes to md. */
static const struct entry *
find_hash(const struct tindex *ix, const uint8_t *md)
{
	struct entry key;

	memset(&key, 0, sizeof(key));
	memcpy(key.sha256, md, SHA256_LEN);
	return bsearch(&key, ix->e, ix->n, sizeof(*ix->e), cmp_hash);
}

/*
 * QUERY: the certificate with the request's serial (leading zeros
 * ignored on both sides) and issuer, or subject when the request names no
 * issuer: how CUCM keys its cache (FORMATS.md 7.5).
 */
static const struct entry *
find_query(const struct tindex *ix, const struct sbd_tvs_msg *m)
{
	const struct entry *e;
	const uint8_t *s = m->serial;
	size_t slen = m->serial_len, lo = 0, hi = ix->n, mid;
	const char *name;

	if (s == NULL || (m->issuer == NULL && m->subject == NULL))
		return NULL;
	while (slen > 0 && s[0] == 0) {
		s++;
		slen--;
	}
	/* The first entry whose serial is not below s. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		e = &ix->e[ix->by_serial[mid]];
		if (cmp_serial(e->serial, e->serial_len, s, slen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ix->n; lo++) {
		e = &ix->e[ix->by_serial[lo]];
		if (cmp_serial(e->serial, e->serial_len, s, slen) != 0)
			break;
		name = m->issuer != NULL ? e->issuer : e->subject;
		if (strcmp(name, m->issuer != NULL ? m->issuer :
		    m->subject) == 0)
			return e;
	}
	return NULL;
}

/* ---- connections ----------------------------------------------------- */

/* The service's connection: tc is its first member. */
static struct conn *
conn_of(struct sbdd_tlsconn *tc)
{
	return (struct conn *)(void *)tc;
}

static const char *
peer_str(const struct conn *c, char *buf, size_t cap)
{
	return sbdd_addrstr((const struct sockaddr *)&c->tc.peer, buf, cap);
}

/* Malformed or refused input: logged, counted, closed without an answer. */
static void
conn_reject(struct conn *c, const struct sbd_diag *dg)
{
	struct sbdd *d = c->tc.d;

	d->ctr.tvs_rejected++;
	sbdd_log_peer(d, (const struct sockaddr *)&c->tc.peer,
	    "tvs: request %u: offset %zu: %s: %s", c->nreq + 1, dg->off,
	    sbd_strerror(dg->err), dg->what);
	sbdd_tlsconn_free(&c->tc, 1);
}

/*
 * An answer is queued: read on, or close once it is out.  Returns -1
 * when c is gone because the answer had already left.
 */
static int
conn_after_answer(struct conn *c)
{
	if (c->nreq < c->tc.d->conf.tvs_max_requests &&
	    !c->tc.d->tvs->stopping)
		return 0;
	return sbdd_tlsconn_finish(&c->tc);
}

/* One log line per request (the device name is printable: lib/tvs.c). */
static void
log_request(struct conn *c, const struct sbd_tvs_msg *m,
    const struct sbd_tvs_msg *res, const char *sha1)
{
	char a[INET6_ADDRSTRLEN + 8], roles[SBD_TVS_ROLES_MAX * 12], ttl[16];
	int dn = m->device_len > TVS_DEVLOG_MAX ? TVS_DEVLOG_MAX :
	    (int)m->device_len;

	sbd_role_list(res->roles, res->nroles, roles, sizeof(roles));
	if (res->has_ttl)
		snprintf(ttl, sizeof(ttl), "%u", res->ttl);
	else
		snprintf(ttl, sizeof(ttl), "-");
	sbdd_log(c->tc.d, LOG_INFO, "tvs %s %.*s%s %s %s cert %.8s roles %s "
	    "ttl %s", peer_str(c, a, sizeof(a)), m->device ? dn : 1,
	    m->device ? m->device : "-",
	    m->device_len > TVS_DEVLOG_MAX ? "..." : "",
	    m->cmd == SBD_TVS_VERIFY_REQ ? "VERIFY" : "QUERY",
	    res->status == SBD_TVS_VALID ? "valid" : "invalid", sha1, roles,
	    ttl);
}

/*
 * Answer one complete frame.  Returns -1 when c is gone (rejected, or the
 * answer could not be queued).
 */
static int
conn_answer(struct conn *c, const uint8_t *p, size_t len)
{
	struct sbdd *d = c->tc.d;
	struct sbd_tvs_msg m, res;
	struct sbd_diag dg;
	const struct entry *e = NULL;
	uint8_t md[EVP_MAX_MD_SIZE], *out = NULL;
	char a[INET6_ADDRSTRLEN + 8], desc[256], sha1[41] = "-";
	size_t outlen = 0;
	int rc = -1;

	if (sbd_tvs_parse(p, len, &m, &dg) != 0) {
		conn_reject(c, &dg);
		goto out;
	}
	/* tvsd answers only requests; anything else ends it (7.3). */
	if (m.cmd != SBD_TVS_VERIFY_REQ && m.cmd != SBD_TVS_QUERY_REQ) {
		sbd_diag_set(&dg, 2, SBD_ERR_VALUE, "command %u is not a "
		    "request", m.cmd);
		conn_reject(c, &dg);
		goto out;
	}
	if (c->nreq == 0)
		sbdd_log(d, LOG_INFO, "tvs %s: %s", peer_str(c, a,
		    sizeof(a)), sbdd_tls_peer_desc(
		    bufferevent_openssl_get_ssl(c->tc.bev), desc,
		    sizeof(desc)));
	memset(&res, 0, sizeof(res));
	res.version = SBD_TVS_VERSION;
	res.cmd = m.cmd + 1;
	res.session = m.session;
	if (m.cmd == SBD_TVS_VERIFY_REQ) {
		if (m.cert != NULL) {
			if (EVP_Digest(m.cert, m.cert_len, md, NULL,
			    EVP_sha256(), NULL) == 1)
				e = find_hash(c->ix, md);
			if (EVP_Digest(m.cert, m.cert_len, md, NULL,
			    EVP_sha1(), NULL) == 1)
				sbd_hex(md, 20, sha1);
		}
	} else if ((e = find_query(c->ix, &m)) != NULL) {
		res.cert = e->der;
		res.cert_len = e->der_len;
		memcpy(sha1, e->sha1, sizeof(sha1));
	}
	res.has_status = 1;
	res.status = e != NULL ? SBD_TVS_VALID : SBD_TVS_INVALID;
	if (e != NULL) {
		res.has_roles = 1;
		res.nroles = role_list(e->roles, res.roles);
		res.has_ttl = 1;
		res.ttl = e->ttl != 0 ? e->ttl : c->ix->ttl;
	}
	/*
	 * One write, so the answer leaves as one TLS record: a phone may read
	 * it in one go (FORMATS.md 14 asks the same of CAPF).
	 */
	if (sbd_tvs_build(&res, &out, &outlen) != 0 ||
	    bufferevent_write(c->tc.bev, out, outlen) != 0) {
		sbdd_log(d, LOG_ERR, "tvs %s: cannot answer", peer_str(c, a,
		    sizeof(a)));
		sbdd_tlsconn_free(&c->tc, 0);
		goto out;
	}
	if (m.cmd == SBD_TVS_VERIFY_REQ)
		d->ctr.tvs_verify++;
	else
		d->ctr.tvs_query++;
	if (e != NULL)
		d->ctr.tvs_valid++;
	else
		d->ctr.tvs_invalid++;
	log_request(c, &m, &res, sha1);
	c->nreq++;
	rc = conn_after_answer(c);
out:
	free(out);
	return rc;
}

/* ---- callbacks of the TLS service (sbdd.h, struct sbdd_tlssvc_def) ---- */

static void
tvs_open(struct sbdd_tlsconn *tc)
{
	struct conn *c = conn_of(tc);

	c->ix = tc->d->tvs->ix;
	c->ix->refs++;
}

static int
tvs_frame(struct sbdd_tlsconn *tc, const uint8_t *p, size_t len)
{
	return conn_answer(conn_of(tc), p, len);
}

static void
tvs_bad_frame(struct sbdd_tlsconn *tc, const struct sbd_diag *dg)
{
	conn_reject(conn_of(tc), dg);
}

static void
tvs_event(struct sbdd_tlsconn *tc, enum sbdd_tls_event ev)
{
	struct conn *c = conn_of(tc);
	struct sbdd *d = tc->d;
	const struct sockaddr *peer = (const struct sockaddr *)&tc->peer;
	size_t left;

	switch (ev) {
	case SBDD_TLS_IDLE:
		d->ctr.tvs_timeouts++;
		sbdd_log_peer(d, peer, "tvs: idle for %u s after %u requests",
		    d->conf.tls_idle_s, c->nreq);
		sbdd_tlsconn_free(tc, 1);
		break;
	case SBDD_TLS_TOTAL:
		d->ctr.tvs_timeouts++;
		sbdd_log_peer(d, peer, "tvs: connection open for %u s after %u "
		    "requests; closed", d->conf.tls_total_s, c->nreq);
		sbdd_tlsconn_free(tc, 1);
		break;
	case SBDD_TLS_CLOSED:
		left = evbuffer_get_length(bufferevent_get_input(tc->bev));
		if (left > 0 && !tc->closing) {
			d->ctr.tvs_rejected++;
			sbdd_log_peer(d, peer, "tvs: connection closed inside "
			    "a frame (%zu bytes)", left);
		}
		sbdd_tlsconn_free(tc, 0);
		break;
	case SBDD_TLS_NOMEM:
		sbdd_tlsconn_free(tc, 0);
		break;
	}
}

/*
 * SIGTERM: a connection between requests ends now (after its answer, if
 * one is on its way); one inside a frame ends after answering it
 * (conn_after_answer sees t->stopping).
 */
static void
tvs_stop(struct sbdd_tlsconn *tc)
{
	if (evbuffer_get_length(bufferevent_get_input(tc->bev)) == 0)
		(void)conn_after_answer(conn_of(tc));
}

static void
tvs_close(struct sbdd_tlsconn *tc)
{
	ix_unref(conn_of(tc)->ix);
}

/* ---- the service ------------------------------------------------------ */

int
sbdd_tvs_start(struct sbdd *d)
{
	struct sbdd_tlssvc_def def = {
		.name = "tvs",
		.role = SBD_CR_TVS,
		.port = d->conf.tvs_port,
		.bound = &d->tvs_bound,
		.idle_s = d->conf.tls_idle_s,
		.total_s = d->conf.tls_total_s,
		.ctr_conns = &d->ctr.tvs_conns,
		.ctr_rejected = &d->ctr.tvs_rejected,
		.conn_size = sizeof(struct conn),
		.hdr_len = SBD_TVS_HDR,
		.frame_max = FRAME_MAX,
		.frame_len = sbd_tvs_frame_len,
		.open = tvs_open,
		.frame = tvs_frame,
		.bad_frame = tvs_bad_frame,
		.event = tvs_event,
		.stop = tvs_stop,
		.close = tvs_close,
	};
	struct sbdd_tvs *t;
	int err;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SBD_ERR_NOMEM;
	d->tvs = t;
	t->d = d;
	if ((err = sbdd_tlssvc_new(d, &def, &t->svc)) != 0 ||
	    (err = ix_build(t, &t->ix)) != 0 ||
	    (err = sbdd_tlssvc_listen(t->svc)) != 0)
		goto out;
	sbdd_log(d, LOG_INFO, "tvs: %zu trusted certificates, ttl %u",
	    t->ix->n, t->ix->ttl);
out:
	if (err != 0)
		sbdd_tvs_free(d);
	return err;
}

int
sbdd_tvs_reload(struct sbdd *d)
{
	struct sbdd_tvs *t = d->tvs;
	struct tindex *ix = NULL;
	int err, err2;

	if (t == NULL)
		return 0;
	/* Each part keeps its previous state when its rebuild fails. */
	if ((err = sbdd_tlssvc_reload(t->svc)) != 0)
		sbdd_log(d, LOG_ERR, "tvs: new TLS context: %s",
		    sbd_strerror(err));
	if ((err2 = ix_build(t, &ix)) == 0) {
		ix_unref(t->ix);
		t->ix = ix;
		sbdd_log(d, LOG_INFO, "tvs: reloaded: %zu trusted "
		    "certificates, ttl %u", ix->n, ix->ttl);
	}
	return err != 0 ? err : err2;
}

void
sbdd_tvs_stop_accepting(struct sbdd *d)
{
	if (d->tvs == NULL)
		return;
	d->tvs->stopping = 1;
	sbdd_tlssvc_stop_accepting(d->tvs->svc);
}

size_t
sbdd_tvs_active(const struct sbdd *d)
{
	return d->tvs != NULL ? sbdd_tlssvc_active(d->tvs->svc) : 0;
}

void
sbdd_tvs_free(struct sbdd *d)
{
	struct sbdd_tvs *t = d->tvs;

	if (t == NULL)
		return;
	sbdd_tlssvc_free(t->svc);
	ix_unref(t->ix);
	free(t);
	d->tvs = NULL;
}
