/*
 * Unit tests: what a cluster serves (lib/cluster.c), built from a store in
 * a temporary data directory with two nodes whose certificates are made
 * here: the publisher "pub" (TFTP, TVS, CAPF) and the subscriber "sub"
 * (TFTP, TVS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "helper_pki.h"
#include "sbd/cluster.h"
#include "sbd/encconf.h"
#include "sbd/sighdr.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "sbd/x509.h"

#define TS 1700000000u

struct node_pki {
	X509 *cm, *tvs, *capf, *rec;	/* capf NULL without the service */
};

struct fx {
	char dir[64];
	struct sbd_store *st;
	struct node_pki pub, sub;
};

/* Save c (and k beside it) under DIR/nodes/NODE/pki and record it. */
static X509 *
add_cert(struct fx *f, const char *node, const char *role, int rsa)
{
	struct sbd_store_cert sc;
	char path[512], cn[80];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;

	snprintf(cn, sizeof(cn), "%s-%s", role, node);
	if (rsa)
		th_rsa_cert(1024, cn, &c, &k);
	else
		th_ec_cert(NID_X9_62_prime256v1, cn, &c, &k);
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.node, sizeof(sc.node), "%s", node);
	snprintf(sc.role, sizeof(sc.role), "%s", role);
	/* Key apart from the certificate: key_path must be honoured. */
	snprintf(sc.cert_path, sizeof(sc.cert_path), "nodes/%s/pki/%s.pem",
	    node, role);
	snprintf(sc.key_path, sizeof(sc.key_path), "nodes/%s/pki/%s.key",
	    node, role);
	snprintf(path, sizeof(path), "%s/%s", f->dir, sc.cert_path);
	assert_int_equal(sbd_cert_save(path, c), 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, sc.key_path);
	assert_int_equal(sbd_key_save(path, k), 0);
	assert_int_equal(sbd_x509_digest(c, EVP_sha1(), md, &n), 0);
	sbd_hex(md, n, sc.sha1);
	sc.created = TS;
	sc.active = 1;
	assert_int_equal(sbd_store_cert_add(f->st, &sc), 0);
	EVP_PKEY_free(k);
	return c;
}

static void
mkdirs(const char *dir, const char *node)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/nodes", dir);
	(void)mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/nodes/%s", dir, node);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/nodes/%s/pki", dir, node);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void
add_node(struct sbd_store *st, const char *name, int publisher,
    unsigned svc, const char *addr, uint16_t tvs_port, uint16_t capf_port)
{
	struct sbd_node n;

	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	snprintf(n.addr, sizeof(n.addr), "%s", addr);
	n.publisher = publisher;
	n.services = svc;
	n.tftp_port = 6969;
	n.http_port = 6970;
	n.tvs_port = tvs_port;
	n.capf_port = capf_port;
	n.created = TS;
	assert_int_equal(sbd_store_node_add(st, &n), 0);
}

/* A store holding only a cluster row, in a fresh directory. */
static struct sbd_store *
new_store(char *dir, size_t cap)
{
	struct sbd_store *st = NULL;
	struct sbd_cluster cl;
	char path[512];

	snprintf(dir, cap, "/tmp/sbd-cluster-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, SBD_STORE_FILE);
	assert_int_equal(sbd_store_open(path, SBD_STORE_CREATE, &st), 0);
	memset(&cl, 0, sizeof(cl));
	snprintf(cl.name, sizeof(cl.name), "test");
	assert_int_equal(sbd_password_verifier_new("security!", &cl), 0);
	cl.created = TS;
	assert_int_equal(sbd_store_cluster_create(st, &cl), 0);
	return st;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = new_store(f->dir, sizeof(f->dir));
	add_node(f->st, "pub", 1, SBD_SVC_TFTP | SBD_SVC_TVS | SBD_SVC_CAPF,
	    "10.0.0.1", 2445, 3804);
	add_node(f->st, "sub", 0, SBD_SVC_TFTP | SBD_SVC_TVS, "10.0.0.2",
	    2446, 3805);
	mkdirs(f->dir, "pub");
	mkdirs(f->dir, "sub");
	/* Signers are RSA (FORMATS.md 14.3); the others may be EC. */
	f->pub.cm = add_cert(f, "pub", SBD_CR_CALLMANAGER, 1);
	f->pub.tvs = add_cert(f, "pub", SBD_CR_TVS, 0);
	f->pub.capf = add_cert(f, "pub", SBD_CR_CAPF, 0);
	f->pub.rec = add_cert(f, "pub", SBD_CR_ITLRECOVERY, 1);
	f->sub.cm = add_cert(f, "sub", SBD_CR_CALLMANAGER, 1);
	f->sub.tvs = add_cert(f, "sub", SBD_CR_TVS, 0);
	f->sub.rec = add_cert(f, "sub", SBD_CR_ITLRECOVERY, 1);
	*state = f;
	return 0;
}

static void
rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
free_node(struct node_pki *n)
{
	X509_free(n->cm);
	X509_free(n->tvs);
	X509_free(n->capf);
	X509_free(n->rec);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sbd_store_close(f->st);
	rm_rf(f->dir);
	free_node(&f->pub);
	free_node(&f->sub);
	free(f);
	return 0;
}

static struct sbd_tl *
must_parse(const uint8_t *b, size_t n)
{
	struct sbd_tl *tl = NULL;
	struct sbd_diag d = { 0 };
	int err = sbd_tl_parse(b, n, 0, &tl, &d);

	if (err != 0)
		fail_msg("parse: %s at %zu: %s", sbd_strerror(err), d.off,
		    d.what);
	return tl;
}

/* Record i has role and exactly certificate want. */
static void
check_rec(const struct sbd_tl *tl, size_t i, uint16_t role, X509 *want)
{
	X509 *c = NULL;

	assert_true(i < tl->nrec);
	assert_true(tl->rec[i].has_role);
	assert_int_equal(tl->rec[i].role, role);
	assert_int_equal(sbd_tl_record_cert(tl, i, &c), 0);
	assert_int_equal(X509_cmp(c, want), 0);
	X509_free(c);
}

static void
build_itl(struct fx *f, const char *node, const struct sbd_itl_opts *o,
    uint8_t **out, size_t *len)
{
	assert_int_equal(sbd_cluster_build_itl(f->st, f->dir, node, o, out,
	    len), 0);
	assert_non_null(*out);
}

static void
test_node_dir(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(sbd_node_dir("/d", "pub", "pki", out, sizeof(out)),
	    0);
	assert_string_equal(out, "/d/nodes/pub/pki");
	assert_int_equal(sbd_node_dir("/d", "pub", NULL, out, sizeof(out)),
	    0);
	assert_string_equal(out, "/d/nodes/pub");
	assert_int_equal(sbd_node_dir("/d", "pub", "", out, sizeof(out)), 0);
	assert_string_equal(out, "/d/nodes/pub");
	/* Exactly fitting, then one byte short: nothing written. */
	assert_int_equal(sbd_node_dir("/d", "pub", "run", out, 17), 0);
	assert_string_equal(out, "/d/nodes/pub/run");
	memcpy(out, "untouched", 10);
	assert_int_equal(sbd_node_dir("/d", "pub", "run", out, 16),
	    SBD_ERR_INVAL);
	assert_string_equal(out, "untouched");
	assert_int_equal(sbd_node_dir("/d", "", NULL, out, sizeof(out)),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_node_dir("/d", "a/b", NULL, out, sizeof(out)),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_node_dir("/d", "..", NULL, out, sizeof(out)),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_node_dir("/d", ".hidden", NULL, out,
	    sizeof(out)), SBD_ERR_INVAL);
	assert_string_equal(out, "untouched");
}

static void
test_load(void **state)
{
	struct fx *f = *state;
	struct sbd_store_cert sc;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;

	assert_int_equal(sbd_cluster_load(f->st, f->dir, "sub", SBD_CR_TVS,
	    &c, &k), 0);
	assert_int_equal(X509_cmp(c, f->sub.tvs), 0);
	assert_true(sbd_key_matches(c, k));
	X509_free(c);
	EVP_PKEY_free(k);
	c = NULL;
	k = NULL;
	assert_int_equal(sbd_cluster_load(f->st, f->dir, "sub", SBD_CR_CAPF,
	    &c, NULL), SBD_ERR_NOTFOUND);
	assert_null(c);
	assert_int_equal(sbd_cluster_load(f->st, f->dir, "nobody",
	    SBD_CR_TVS, &c, NULL), SBD_ERR_NOTFOUND);
	assert_null(c);

	/* A row whose key file holds another key: refused, not used. */
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.node, sizeof(sc.node), "sub");
	snprintf(sc.role, sizeof(sc.role), "%s", SBD_CR_CAPF);
	snprintf(sc.cert_path, sizeof(sc.cert_path), "nodes/sub/pki/TVS.pem");
	snprintf(sc.key_path, sizeof(sc.key_path), "nodes/pub/pki/TVS.key");
	snprintf(sc.sha1, sizeof(sc.sha1), "%040d", 0);
	sc.active = 1;
	assert_int_equal(sbd_store_cert_add(f->st, &sc), 0);
	assert_int_equal(sbd_cluster_load(f->st, f->dir, "sub", SBD_CR_CAPF,
	    &c, NULL), 0);
	X509_free(c);
	c = NULL;
	assert_int_equal(sbd_cluster_load(f->st, f->dir, "sub", SBD_CR_CAPF,
	    &c, &k), SBD_ERR_KEY);
	assert_null(c);
	assert_null(k);
}

/* SPEC.md "The ITL", in the order of seed 001. */
static void
test_itl_publisher(void **state)
{
	struct fx *f = *state;
	uint8_t *b = NULL;
	size_t n = 0;
	struct sbd_tl *tl;
	int idx = -5;

	build_itl(f, "pub", NULL, &b, &n);
	tl = must_parse(b, n);
	assert_string_equal(tl->hdr.filename, "ITLFile.tlv");
	assert_int_equal(tl->hdr.hash_alg, SBD_HASH_SHA1);
	assert_int_equal(tl->nrec, 6);
	check_rec(tl, 0, SBD_ROLE_SAST, f->pub.cm);
	check_rec(tl, 1, SBD_ROLE_TFTP, f->pub.cm);
	check_rec(tl, 2, SBD_ROLE_CAPF, f->pub.capf);
	check_rec(tl, 3, SBD_ROLE_TVS, f->pub.tvs);
	check_rec(tl, 4, SBD_ROLE_SAST, f->pub.rec);
	check_rec(tl, 5, SBD_ROLE_TVS, f->sub.tvs);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(sbd_tl_verify(b, n, tl, f->pub.cm, NULL), 0);
	assert_int_equal(sbd_tl_verify(b, n, tl, f->pub.rec, NULL),
	    SBD_ERR_SIG);
	sbd_tl_free(tl);
	free(b);
}

/* Each TFTP node signs with, and lists, its own CallManager certificate. */
static void
test_itl_subscriber(void **state)
{
	struct fx *f = *state;
	struct sbd_itl_opts o = { 0 };
	uint8_t *bp = NULL, *bs = NULL;
	size_t np = 0, ns = 0;
	struct sbd_tl *tl;
	int idx = -5;

	o.timestamp = TS;
	build_itl(f, "pub", &o, &bp, &np);
	build_itl(f, "sub", &o, &bs, &ns);
	tl = must_parse(bs, ns);
	assert_int_equal(tl->hdr.timestamp, TS);
	assert_int_equal(tl->nrec, 6);
	check_rec(tl, 0, SBD_ROLE_SAST, f->sub.cm);
	check_rec(tl, 1, SBD_ROLE_TFTP, f->sub.cm);
	check_rec(tl, 2, SBD_ROLE_CAPF, f->pub.capf);
	check_rec(tl, 3, SBD_ROLE_TVS, f->sub.tvs);
	check_rec(tl, 4, SBD_ROLE_SAST, f->pub.rec);
	check_rec(tl, 5, SBD_ROLE_TVS, f->pub.tvs);
	assert_int_equal(sbd_tl_verify(bs, ns, tl, NULL, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(sbd_tl_verify(bs, ns, tl, f->sub.cm, NULL), 0);
	/* Same time, same cluster: the two ITLs still differ. */
	assert_true(np != ns || memcmp(bp, bs, np) != 0);
	sbd_tl_free(tl);
	free(bp);
	free(bs);
}

/* FORMATS.md 4.7: the same roles, nothing to trust, still signed. */
static void
test_itl_rollback(void **state)
{
	static const uint16_t roles[] = { SBD_ROLE_SAST, SBD_ROLE_TFTP,
		SBD_ROLE_CAPF, SBD_ROLE_TVS, SBD_ROLE_SAST, SBD_ROLE_TVS };
	struct fx *f = *state;
	struct sbd_itl_opts o = { 0 };
	uint8_t *b = NULL;
	size_t n = 0, i;
	struct sbd_tl *tl;

	o.rollback = 1;
	build_itl(f, "pub", &o, &b, &n);
	tl = must_parse(b, n);
	assert_int_equal(tl->nrec, sizeof(roles) / sizeof(roles[0]));
	for (i = 0; i < tl->nrec; i++) {
		assert_true(tl->rec[i].has_role);
		assert_int_equal(tl->rec[i].role, roles[i]);
		assert_null(tl->rec[i].cert);
		assert_null(tl->rec[i].subject);
		assert_null(tl->rec[i].serial);
		assert_null(tl->rec[i].pubkey);
	}
	assert_int_equal(sbd_tl_find_signer(tl), SBD_ERR_NOSIGNER);
	assert_int_equal(sbd_tl_verify(b, n, tl, f->pub.cm, NULL), 0);
	sbd_tl_free(tl);
	free(b);
}

/* utils itl reset: the publisher's ITLRecovery signs, on any node. */
static void
test_itl_recovery_signer(void **state)
{
	struct fx *f = *state;
	struct sbd_itl_opts o = { 0 };
	uint8_t *b = NULL;
	size_t n = 0;
	struct sbd_tl *tl;
	int idx = -5;

	o.signer_role = SBD_CR_ITLRECOVERY;
	o.hash = SBD_HASH_SHA512;
	build_itl(f, "sub", &o, &b, &n);
	tl = must_parse(b, n);
	assert_int_equal(tl->hdr.hash_alg, SBD_HASH_SHA512);
	/* The signer's SAST record comes first and only once. */
	assert_int_equal(tl->nrec, 5);
	check_rec(tl, 0, SBD_ROLE_SAST, f->pub.rec);
	check_rec(tl, 1, SBD_ROLE_TFTP, f->sub.cm);
	check_rec(tl, 2, SBD_ROLE_CAPF, f->pub.capf);
	check_rec(tl, 3, SBD_ROLE_TVS, f->sub.tvs);
	check_rec(tl, 4, SBD_ROLE_TVS, f->pub.tvs);
	assert_int_equal(sbd_tl_verify(b, n, tl, f->pub.rec, NULL), 0);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(sbd_tl_verify(b, n, tl, f->sub.cm, NULL),
	    SBD_ERR_SIG);
	/* Not the subscriber's own ITLRecovery certificate. */
	assert_int_equal(sbd_tl_verify(b, n, tl, f->sub.rec, NULL),
	    SBD_ERR_SIG);
	sbd_tl_free(tl);
	free(b);
}

static void
test_itl_refused(void **state)
{
	struct fx *f = *state;
	struct sbd_itl_opts o = { 0 };
	uint8_t *b = NULL;
	size_t n = 0;

	o.signer_role = SBD_CR_TVS;
	assert_int_equal(sbd_cluster_build_itl(f->st, f->dir, "pub", &o, &b,
	    &n), SBD_ERR_INVAL);
	assert_int_equal(sbd_cluster_build_itl(f->st, f->dir, "nobody", NULL,
	    &b, &n), SBD_ERR_NOTFOUND);
	assert_null(b);
	assert_int_equal(n, 0);
}

static void
set_ctl_mode(struct fx *f, enum sbd_ctl_mode m)
{
	struct sbd_cluster cl;

	assert_int_equal(sbd_store_cluster_get(f->st, &cl), 0);
	cl.ctl_mode = m;
	assert_int_equal(sbd_store_cluster_update(f->st, &cl), 0);
}

static void
test_ctl(void **state)
{
	struct fx *f = *state;
	uint8_t *b = NULL;
	size_t n = 0;
	struct sbd_tl *tl;
	int idx = -5;

	assert_int_equal(sbd_cluster_build_ctl(f->st, f->dir, &b, &n),
	    SBD_ERR_NOTFOUND);
	assert_null(b);
	set_ctl_mode(f, SBD_CTL_MIXED);
	assert_int_equal(sbd_cluster_build_ctl(f->st, f->dir, &b, &n), 0);
	set_ctl_mode(f, SBD_CTL_NONE);
	tl = must_parse(b, n);
	assert_string_equal(tl->hdr.filename, "CTLFile.tlv");
	assert_int_equal(tl->nrec, 5);
	check_rec(tl, 0, SBD_ROLE_SAST, f->pub.cm);
	check_rec(tl, 1, SBD_ROLE_CCM_TFTP, f->pub.cm);
	check_rec(tl, 2, SBD_ROLE_CCM_TFTP, f->sub.cm);
	check_rec(tl, 3, SBD_ROLE_CAPF, f->pub.capf);
	check_rec(tl, 4, SBD_ROLE_SAST, f->pub.rec);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, &idx), 0);
	assert_int_equal(idx, 0);
	sbd_tl_free(tl);
	free(b);
}

/* ---- device configuration ---------------------------------------------- */

static xmlNodePtr
elem(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, (const xmlChar *)name))
			return n;
	fail_msg("no <%s> in <%s>", name, (const char *)parent->name);
	return NULL;
}

/* The text of parent/a/b/... (NULL-terminated path). */
static void
expect_text(xmlNodePtr n, const char *want, ...)
{
	va_list ap;
	const char *name;
	xmlChar *t;

	va_start(ap, want);
	while ((name = va_arg(ap, const char *)) != NULL)
		n = elem(n, name);
	va_end(ap);
	t = xmlNodeGetContent(n);
	assert_non_null(t);
	assert_string_equal((const char *)t, want);
	xmlFree(t);
}

static size_t
count_elems(xmlNodePtr parent)
{
	xmlNodePtr n;
	size_t k = 0;

	for (n = parent->children; n != NULL; n = n->next)
		k += n->type == XML_ELEMENT_NODE;
	return k;
}

static xmlNodePtr
nth_elem(xmlNodePtr parent, size_t i)
{
	xmlNodePtr n;

	for (n = parent->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && i-- == 0)
			return n;
	fail_msg("<%s> has too few children", (const char *)parent->name);
	return NULL;
}

static xmlDocPtr
must_xml(const uint8_t *b, size_t n)
{
	xmlDocPtr doc = xmlReadMemory((const char *)b, (int)n, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR);

	assert_non_null(doc);
	assert_string_equal((const char *)xmlDocGetRootElement(doc)->name,
	    "device");
	return doc;
}

static void
expect_priority(xmlNodePtr member, const char *want)
{
	xmlChar *p = xmlGetProp(member, (const xmlChar *)"priority");

	assert_non_null(p);
	assert_string_equal((const char *)p, want);
	xmlFree(p);
}

static void
device(struct sbd_device *d, enum sbd_profile p, const char *tvs1,
    const char *tvs2)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->mac, sizeof(d->mac), "001122AABBCC");
	snprintf(d->name, sizeof(d->name), "SEP001122AABBCC");
	d->profile = p;
	if (tvs1 != NULL)
		snprintf(d->tvs[0], sizeof(d->tvs[0]), "%s", tvs1);
	if (tvs2 != NULL)
		snprintf(d->tvs[1], sizeof(d->tvs[1]), "%s", tvs2);
}

static void
test_config_members(void **state)
{
	struct fx *f = *state;
	struct sbd_device d;
	uint8_t *b = NULL;
	size_t n = 0;
	xmlDocPtr doc;
	xmlNodePtr root, m, capf;

	/* The subscriber first: dev->tvs order, not the store's. */
	device(&d, SBD_PROFILE_AUTH, "sub", "pub");
	assert_int_equal(sbd_cluster_device_config(f->st, &d, &b, &n), 0);
	doc = must_xml(b, n);
	root = xmlDocGetRootElement(doc);
	expect_text(root, "true", "fullConfig", NULL);
	expect_text(root, "SIP", "deviceProtocol", NULL);
	expect_text(root, "2", "deviceSecurityMode", NULL);
	expect_text(root, "false", "encrConfig", NULL);
	expect_text(root, "", "certHash", NULL);
	expect_text(root, "0", "ipAddressMode", NULL);
	expect_text(root, "true", "tftpDefault", NULL);

	m = elem(elem(elem(elem(root, "devicePool"), "callManagerGroup"),
	    "members"), "member");
	assert_int_equal(count_elems(m->parent), 2);
	expect_priority(nth_elem(m->parent, 0), "0");
	expect_priority(nth_elem(m->parent, 1), "1");
	expect_text(nth_elem(m->parent, 0), "sub", "callManager", "name",
	    NULL);
	expect_text(nth_elem(m->parent, 0), "10.0.0.2", "callManager",
	    "processNodeName", NULL);
	expect_text(nth_elem(m->parent, 0), "5061", "callManager", "ports",
	    "securedSipPort", NULL);
	expect_text(nth_elem(m->parent, 1), "pub", "callManager", "name",
	    NULL);

	m = elem(elem(root, "TVS"), "members");
	assert_int_equal(count_elems(m), 2);
	expect_priority(nth_elem(m, 0), "0");
	expect_text(nth_elem(m, 0), "10.0.0.2", "address", NULL);
	expect_text(nth_elem(m, 0), "2446", "port", NULL);
	expect_priority(nth_elem(m, 1), "1");
	expect_text(nth_elem(m, 1), "10.0.0.1", "address", NULL);
	expect_text(nth_elem(m, 1), "2445", "port", NULL);

	/* Only the publisher runs CAPF. */
	capf = elem(root, "capfList");
	assert_int_equal(count_elems(capf), 1);
	expect_text(capf, "3804", "capf", "phonePort", NULL);
	expect_text(capf, "10.0.0.1", "capf", "processNodeName", NULL);
	expect_text(root, "0", "capfAuthMode", NULL);
	xmlFreeDoc(doc);
	free(b);
}

static void
test_config_security_modes(void **state)
{
	static const struct {
		enum sbd_profile p;
		const char *mode, *encr;
	} t[] = {
		{ SBD_PROFILE_NONSECURE, "1", "false" },
		{ SBD_PROFILE_AUTH, "2", "false" },
		{ SBD_PROFILE_ENCRYPTED, "3", "true" },
	};
	struct fx *f = *state;
	struct sbd_device d;
	uint8_t *b = NULL;
	size_t n = 0, i;
	xmlDocPtr doc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		device(&d, t[i].p, "pub", NULL);
		assert_int_equal(sbd_cluster_device_config(f->st, &d, &b, &n),
		    0);
		doc = must_xml(b, n);
		expect_text(xmlDocGetRootElement(doc), t[i].mode,
		    "deviceSecurityMode", NULL);
		expect_text(xmlDocGetRootElement(doc), t[i].encr,
		    "encrConfig", NULL);
		assert_int_equal(count_elems(elem(elem(
		    xmlDocGetRootElement(doc), "TVS"), "members")), 1);
		xmlFreeDoc(doc);
		free(b);
		b = NULL;
	}
	device(&d, SBD_PROFILE_AUTH, "nobody", NULL);
	assert_int_equal(sbd_cluster_device_config(f->st, &d, &b, &n),
	    SBD_ERR_NOTFOUND);
	assert_null(b);
}

/*
 * The generated configuration feeds the encrypted-config builder: its
 * short config (FORMATS.md 6.1) keeps our ipAddressMode, loadInformation,
 * capfAuthMode and capfList, with the certHash of the device's LSC.
 */
static void
test_config_short(void **state)
{
	struct fx *f = *state;
	struct sbd_device d;
	uint8_t *b = NULL, *s = NULL, *der = NULL, md[EVP_MAX_MD_SIZE];
	size_t n = 0, sn = 0, dlen = 0;
	unsigned mdlen;
	char hash[33];
	X509 *lsc = NULL;
	EVP_PKEY *k = NULL;
	xmlDocPtr doc;
	xmlNodePtr root;

	th_rsa_cert(1024, "SEP001122AABBCC", &lsc, &k);
	assert_int_equal(sbd_x509_der(lsc, &der, &dlen), 0);
	assert_int_equal(sbd_x509_digest(lsc, EVP_md5(), md, &mdlen), 0);
	sbd_hex(md, mdlen, hash);
	device(&d, SBD_PROFILE_ENCRYPTED, "pub", "sub");
	d.cert_der = der;
	d.cert_len = dlen;
	assert_int_equal(sbd_cluster_device_config(f->st, &d, &b, &n), 0);
	/* The full config names the LSC the phone must hold. */
	doc = must_xml(b, n);
	expect_text(xmlDocGetRootElement(doc), hash, "certHash", NULL);
	xmlFreeDoc(doc);

	assert_int_equal(sbd_enc_short_config(b, n, lsc, &s, &sn), 0);
	doc = must_xml(s, sn);
	root = xmlDocGetRootElement(doc);
	expect_text(root, "false", "fullConfig", NULL);
	expect_text(root, "0", "ipAddressMode", NULL);
	expect_text(root, "", "loadInformation", NULL);
	expect_text(root, "0", "capfAuthMode", NULL);
	expect_text(root, "10.0.0.1", "capfList", "capf", "processNodeName",
	    NULL);
	expect_text(root, "3804", "capfList", "capf", "phonePort", NULL);
	expect_text(root, hash, "certHash", NULL);
	expect_text(root, "true", "encrConfig", NULL);
	/* fullConfig, the four kept elements, certHash, encrConfig. */
	assert_int_equal(count_elems(root), 7);
	xmlFreeDoc(doc);
	free(s);
	free(b);
	OPENSSL_free(der);
	X509_free(lsc);
	EVP_PKEY_free(k);
}

/* Names are text, not markup: '<' and '&' come out escaped. */
static void
test_config_escapes(void **state)
{
	struct sbd_store *st;
	struct sbd_device d;
	char dir[64];
	uint8_t *b = NULL;
	size_t n = 0;
	xmlDocPtr doc;
	xmlNodePtr m;

	(void)state;
	st = new_store(dir, sizeof(dir));
	add_node(st, "p<&q>", 1, SBD_SVC_TFTP | SBD_SVC_TVS, "10.9.9.9",
	    2445, 3804);
	device(&d, SBD_PROFILE_NONSECURE, "p<&q>", NULL);
	assert_int_equal(sbd_cluster_device_config(st, &d, &b, &n), 0);
	assert_non_null(memmem(b, n, "p&lt;&amp;q&gt;", 15));
	assert_null(memmem(b, n, "p<&", 3));
	doc = must_xml(b, n);
	m = elem(elem(elem(elem(xmlDocGetRootElement(doc), "devicePool"),
	    "callManagerGroup"), "members"), "member");
	expect_text(m, "p<&q>", "callManager", "name", NULL);
	/* No CAPF node: an empty list. */
	assert_int_equal(count_elems(elem(xmlDocGetRootElement(doc),
	    "capfList")), 0);
	xmlFreeDoc(doc);
	free(b);
	sbd_store_close(st);
	rm_rf(dir);
}

/*
 * The directory move of a rename, owed after the store's commit (the
 * state a killed sbdctl leaves), is finished by settle; the ITL of the
 * renamed node is then built from the moved files.  Last: it renames the
 * fixture's sub.
 */
static void
test_renames_settle(void **state)
{
	struct fx *f = *state;
	struct sbd_node_rename *r = NULL;
	char from[600], to[600], stray[700];
	struct stat sb;
	uint8_t *b = NULL;
	size_t n = 0, blen = 0;

	assert_int_equal(sbd_node_renames_settle(f->st, f->dir), 0);
	assert_int_equal(sbd_store_node_rename(f->st, "sub", "sub2"), 0);
	assert_int_equal(sbd_cluster_build_itl(f->st, f->dir, "sub2", NULL,
	    &b, &blen), SBD_ERR_IO);
	snprintf(from, sizeof(from), "%s/nodes/sub", f->dir);
	snprintf(to, sizeof(to), "%s/nodes/sub2", f->dir);

	/* Both directories: the move would lose one, so it waits. */
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(stray, sizeof(stray), "%s/stray", to);
	assert_int_equal(mkdir(stray, 0700), 0);
	assert_int_equal(sbd_node_renames_settle(f->st, f->dir),
	    SBD_ERR_EXISTS);
	assert_int_equal(sbd_store_node_rename_pending(f->st, &r, &n), 0);
	assert_int_equal(n, 1);
	free(r);
	r = NULL;
	assert_int_equal(rmdir(stray), 0);
	/* An empty one loses nothing: it is replaced. */

	assert_int_equal(sbd_node_renames_settle(f->st, f->dir), 0);
	assert_int_equal(stat(from, &sb), -1);
	assert_int_equal(stat(to, &sb), 0);
	assert_int_equal(sbd_store_node_rename_pending(f->st, &r, &n), 0);
	assert_int_equal(n, 0);
	free(r);
	r = NULL;
	assert_int_equal(sbd_cluster_build_itl(f->st, f->dir, "sub2", NULL,
	    &b, &blen), 0);
	assert_true(blen > 0);
	free(b);

	/* Moved by someone else already: only marked. */
	assert_int_equal(sbd_store_node_rename(f->st, "sub2", "sub3"), 0);
	snprintf(from, sizeof(from), "%s/nodes/sub3", f->dir);
	assert_int_equal(rename(to, from), 0);
	assert_int_equal(sbd_node_renames_settle(f->st, f->dir), 0);
	assert_int_equal(sbd_store_node_rename_pending(f->st, &r, &n), 0);
	assert_int_equal(n, 0);
	free(r);
	assert_int_equal(sbd_node_renames_settle(NULL, f->dir),
	    SBD_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node_dir),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_itl_publisher),
		cmocka_unit_test(test_itl_subscriber),
		cmocka_unit_test(test_itl_rollback),
		cmocka_unit_test(test_itl_recovery_signer),
		cmocka_unit_test(test_itl_refused),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_config_members),
		cmocka_unit_test(test_config_security_modes),
		cmocka_unit_test(test_config_short),
		cmocka_unit_test(test_config_escapes),
		cmocka_unit_test(test_renames_settle),
	};

	return cmocka_run_group_tests_name("cluster", tests, setup, teardown);
}
