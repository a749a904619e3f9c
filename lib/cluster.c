/*
 * What a cluster serves, built from the cluster store: a node's ITL, the
 * cluster's tokenless CTL and a device's generated configuration.  See
 * include/sbd/cluster.h.
 *
 * Every certificate a list needs is loaded from the PEM file the store
 * names (relative to the data directory); private keys are loaded only
 * for the signer.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <openssl/evp.h>

#include "sbd/cluster.h"
#include "sbd/sighdr.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "sbd/x509.h"

#define ITL_NAME	"ITLFile.tlv"
#define CTL_NAME	"CTLFile.tlv"
#define MD5_HEX		(2 * 16 + 1)

/*
 * Phone-side ports of a CallManager group member.  opensbd is no call
 * server; these are the SCCP and SIP defaults a phone expects to find in
 * the element (Cisco's SEP<MAC>.cnf.xml).
 */
#define PORT_SCCP	"2000"
#define PORT_SIP	"5060"
#define PORT_SIPS	"5061"

int
sbd_node_dir(const char *datadir, const char *node, const char *sub,
    char *out, size_t cap)
{
	char buf[PATH_MAX];
	int n;

	if (datadir == NULL || node == NULL || out == NULL ||
	    node[0] == '\0' || node[0] == '.' || strchr(node, '/') != NULL)
		return SBD_ERR_INVAL;
	if (sub == NULL || sub[0] == '\0')
		n = snprintf(buf, sizeof(buf), "%s/nodes/%s", datadir, node);
	else
		n = snprintf(buf, sizeof(buf), "%s/nodes/%s/%s", datadir,
		    node, sub);
	if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n >= cap)
		return SBD_ERR_INVAL;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

/* Make a directory entry change durable: fsync the directory. */
static int
sync_dir(const char *path)
{
	int fd, r = 0;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return SBD_ERR_IO;
	if (fsync(fd) != 0)
		r = SBD_ERR_IO;
	close(fd);
	return r;
}

/*
 * The move comes after the store's commit, so the store is the journal: a
 * record not marked moved is a move still owed.  Several processes may
 * settle at once (sbdctl and every sbdd): rename(2) is the arbiter.  It
 * fails with ENOENT for all but the one that moved the directory, and
 * with ENOTEMPTY or EEXIST when a directory of the new name holds files
 * (an empty one is replaced).
 */
int
sbd_node_renames_settle(struct sbd_store *st, const char *datadir)
{
	struct sbd_node_rename *r = NULL;
	char from[PATH_MAX], to[PATH_MAX], nodes[PATH_MAX];
	size_t n = 0, i;
	int err, conflict = 0;

	if (st == NULL || datadir == NULL)
		return SBD_ERR_INVAL;
	if ((err = sbd_store_node_rename_pending(st, &r, &n)) != 0)
		goto out;
	if (snprintf(nodes, sizeof(nodes), "%s/nodes", datadir) >=
	    (int)sizeof(nodes)) {
		err = SBD_ERR_INVAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((err = sbd_node_dir(datadir, r[i].old_name, NULL, from,
		    sizeof(from))) != 0 || (err = sbd_node_dir(datadir,
		    r[i].new_name, NULL, to, sizeof(to))) != 0)
			goto out;
		if (rename(from, to) == 0) {
			if (sync_dir(nodes) != 0) {
				err = SBD_ERR_IO;
				goto out;
			}
		} else if (errno == ENOTEMPTY || errno == EEXIST) {
			/* Left for the administrator; the others go on. */
			conflict = 1;
			continue;
		} else if (errno != ENOENT) {
			err = SBD_ERR_IO;
			goto out;
		}
		if ((err = sbd_store_node_rename_moved(st, r[i].id)) != 0)
			goto out;
	}
	if (conflict)
		err = SBD_ERR_EXISTS;
out:
	free(r);
	return err;
}

/* datadir/rel into buf; store paths are relative to the data directory. */
static int
data_path(const char *datadir, const char *rel, char *buf, size_t cap)
{
	int n;

	if (rel[0] == '\0' || rel[0] == '/')
		return SBD_ERR_INVAL;
	n = snprintf(buf, cap, "%s/%s", datadir, rel);
	if (n < 0 || (size_t)n >= cap)
		return SBD_ERR_INVAL;
	return 0;
}

int
sbd_cluster_load(struct sbd_store *st, const char *datadir,
    const char *node, const char *role, X509 **cert, EVP_PKEY **key)
{
	struct sbd_store_cert sc;
	char path[PATH_MAX];
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int err;

	if (st == NULL || datadir == NULL || node == NULL || role == NULL ||
	    cert == NULL)
		return SBD_ERR_INVAL;
	if ((err = sbd_store_cert_get(st, node, role, &sc)) != 0)
		goto out;
	if ((err = data_path(datadir, sc.cert_path, path,
	    sizeof(path))) != 0 || (err = sbd_cert_load(path, &c)) != 0)
		goto out;
	if (key != NULL) {
		if ((err = data_path(datadir, sc.key_path, path,
		    sizeof(path))) != 0 || (err = sbd_key_load(path, &k)) != 0)
			goto out;
		if (!sbd_key_matches(c, k)) {
			err = SBD_ERR_KEY;
			goto out;
		}
		*key = k;
		k = NULL;
	}
	*cert = c;
	c = NULL;
out:
	X509_free(c);
	EVP_PKEY_free(k);
	return err;
}

/* ---- trust lists ------------------------------------------------------ */

/*
 * The records of a list being built.  Each entry owns one reference to
 * its certificate, so the same certificate may appear under two roles.
 */
struct recs {
	struct sbd_tl_entry *e;
	size_t n, cap;
	int rollback;		/* add role-only records (FORMATS.md 4.7) */
};

static int
recs_init(struct recs *r, size_t cap, int rollback)
{
	memset(r, 0, sizeof(*r));
	if ((r->e = calloc(cap, sizeof(*r->e))) == NULL)
		return SBD_ERR_NOMEM;
	r->cap = cap;
	r->rollback = rollback;
	return 0;
}

static void
recs_free(struct recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		X509_free(r->e[i].cert);
	free(r->e);
}

/* Append a record of role for c; the record takes a reference. */
static int
recs_add(struct recs *r, uint16_t role, X509 *c)
{
	if (r->n == r->cap)
		return SBD_ERR_TOOBIG;
	if (!r->rollback && X509_up_ref(c) != 1)
		return SBD_ERR_CRYPTO;
	r->e[r->n].role = role;
	r->e[r->n].cert = r->rollback ? NULL : c;
	r->n++;
	return 0;
}

/* Load node's certificate for srole and append it as a record of role. */
static int
recs_add_node(struct recs *r, struct sbd_store *st, const char *datadir,
    const char *node, const char *srole, uint16_t role)
{
	X509 *c = NULL;
	int err;

	if ((err = sbd_cluster_load(st, datadir, node, srole, &c,
	    NULL)) == 0)
		err = recs_add(r, role, c);
	X509_free(c);
	return err;
}

int
sbd_cluster_build_itl(struct sbd_store *st, const char *datadir,
    const char *node, const struct sbd_itl_opts *o, uint8_t **out,
    size_t *len)
{
	static const struct sbd_itl_opts defaults;
	struct sbd_node self, pub, *nodes = NULL;
	struct sbd_tl_opts to;
	struct recs r = { 0 };
	X509 *signer = NULL, *cm = NULL, *rec = NULL;
	EVP_PKEY *key = NULL;
	size_t nn = 0, i;
	int err, by_recovery;

	if (st == NULL || datadir == NULL || node == NULL || out == NULL ||
	    len == NULL)
		return SBD_ERR_INVAL;
	if (o == NULL)
		o = &defaults;
	if (o->signer_role != NULL &&
	    strcmp(o->signer_role, SBD_CR_CALLMANAGER) != 0 &&
	    strcmp(o->signer_role, SBD_CR_ITLRECOVERY) != 0)
		return SBD_ERR_INVAL;
	by_recovery = o->signer_role != NULL &&
	    strcmp(o->signer_role, SBD_CR_ITLRECOVERY) == 0;
	if ((err = sbd_store_node_get(st, node, &self)) != 0 ||
	    (err = sbd_store_node_publisher(st, &pub)) != 0 ||
	    (err = sbd_store_node_list(st, &nodes, &nn)) != 0)
		goto out;
	if ((err = sbd_cluster_load(st, datadir, node, SBD_CR_CALLMANAGER,
	    &cm, by_recovery ? NULL : &key)) != 0 ||
	    (err = sbd_cluster_load(st, datadir, pub.name, SBD_CR_ITLRECOVERY,
	    &rec, by_recovery ? &key : NULL)) != 0)
		goto out;
	signer = by_recovery ? rec : cm;
	/* At most: signer, TFTP, ITLRecovery and two records per node. */
	if ((err = recs_init(&r, 3 + 2 * nn, o->rollback)) != 0)
		goto out;

	/* The order of CUCM's ITL in seed 001 (SPEC.md, "The ITL"). */
	if ((err = recs_add(&r, SBD_ROLE_SAST, signer)) != 0 ||
	    (err = recs_add(&r, SBD_ROLE_TFTP, cm)) != 0)
		goto out;
	for (i = 0; i < nn; i++)
		if ((nodes[i].services & SBD_SVC_CAPF) &&
		    (err = recs_add_node(&r, st, datadir, nodes[i].name,
		    SBD_CR_CAPF, SBD_ROLE_CAPF)) != 0)
			goto out;
	if ((self.services & SBD_SVC_TVS) &&
	    (err = recs_add_node(&r, st, datadir, self.name, SBD_CR_TVS,
	    SBD_ROLE_TVS)) != 0)
		goto out;
	/*
	 * When ITLRecovery signs, record 1 already is its SAST record: CUCM
	 * 12 and later list it once, as the signer (FORMATS.md 4.6).
	 */
	if (!by_recovery && (err = recs_add(&r, SBD_ROLE_SAST, rec)) != 0)
		goto out;
	for (i = 0; i < nn; i++)
		if ((nodes[i].services & SBD_SVC_TVS) &&
		    strcmp(nodes[i].name, self.name) != 0 &&
		    (err = recs_add_node(&r, st, datadir, nodes[i].name,
		    SBD_CR_TVS, SBD_ROLE_TVS)) != 0)
			goto out;

	memset(&to, 0, sizeof(to));
	to.hash = o->hash ? o->hash : SBD_HASH_SHA1;
	to.filename = ITL_NAME;
	to.timestamp = o->timestamp;
	err = sbd_tl_build(&to, r.e, r.n, signer, key, out, len);
out:
	recs_free(&r);
	free(nodes);
	X509_free(cm);
	X509_free(rec);
	EVP_PKEY_free(key);
	return err;
}

int
sbd_cluster_build_ctl(struct sbd_store *st, const char *datadir,
    uint8_t **out, size_t *len)
{
	struct sbd_cluster cl;
	struct sbd_node pub, *nodes = NULL;
	struct sbd_tl_opts to;
	struct recs r = { 0 };
	X509 *cm = NULL;
	EVP_PKEY *key = NULL;
	size_t nn = 0, i;
	int err;

	if (st == NULL || datadir == NULL || out == NULL || len == NULL)
		return SBD_ERR_INVAL;
	if ((err = sbd_store_cluster_get(st, &cl)) != 0)
		goto out;
	if (cl.ctl_mode != SBD_CTL_MIXED) {
		err = SBD_ERR_NOTFOUND;
		goto out;
	}
	if ((err = sbd_store_node_publisher(st, &pub)) != 0 ||
	    (err = sbd_store_node_list(st, &nodes, &nn)) != 0 ||
	    (err = sbd_cluster_load(st, datadir, pub.name, SBD_CR_CALLMANAGER,
	    &cm, &key)) != 0 ||
	    (err = recs_init(&r, 2 + 2 * nn, 0)) != 0)
		goto out;
	/* Tokenless CTL (CUCM 10 "utils ctl set-cluster mixed-mode"). */
	if ((err = recs_add(&r, SBD_ROLE_SAST, cm)) != 0)
		goto out;
	for (i = 0; i < nn; i++)
		if ((nodes[i].services & SBD_SVC_TFTP) &&
		    (err = recs_add_node(&r, st, datadir, nodes[i].name,
		    SBD_CR_CALLMANAGER, SBD_ROLE_CCM_TFTP)) != 0)
			goto out;
	for (i = 0; i < nn; i++)
		if ((nodes[i].services & SBD_SVC_CAPF) &&
		    (err = recs_add_node(&r, st, datadir, nodes[i].name,
		    SBD_CR_CAPF, SBD_ROLE_CAPF)) != 0)
			goto out;
	if ((err = recs_add_node(&r, st, datadir, pub.name,
	    SBD_CR_ITLRECOVERY, SBD_ROLE_SAST)) != 0)
		goto out;

	memset(&to, 0, sizeof(to));
	to.hash = SBD_HASH_SHA1;
	to.filename = CTL_NAME;
	err = sbd_tl_build(&to, r.e, r.n, cm, key, out, len);
out:
	recs_free(&r);
	free(nodes);
	X509_free(cm);
	EVP_PKEY_free(key);
	return err;
}

/* ---- device configuration ----------------------------------------------- */

/* See lib/encconf.c: libxml2 must not print to stderr from a library. */
static void
xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/*
 * A child element with text content.  xmlNewTextChild escapes '<', '&'
 * and '>' when the tree is written; xmlNewChild would instead read the
 * content as markup with entity references, so a node named "a&b" would
 * come out broken.
 */
static xmlNodePtr
child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name,
	    (const xmlChar *)text);
}

static xmlNodePtr
member(xmlNodePtr members, unsigned priority)
{
	char pr[12];
	xmlNodePtr m;

	snprintf(pr, sizeof(pr), "%u", priority);
	m = child(members, "member", NULL);
	if (m != NULL && xmlNewProp(m, (const xmlChar *)"priority",
	    (const xmlChar *)pr) == NULL)
		return NULL;
	return m;
}

/* <member><callManager>...</callManager></member> of a CallManager group. */
static int
cm_member(xmlNodePtr members, unsigned priority, const struct sbd_node *n)
{
	xmlNodePtr m, cm, ports;

	if ((m = member(members, priority)) == NULL ||
	    (cm = child(m, "callManager", NULL)) == NULL ||
	    child(cm, "name", n->name) == NULL ||
	    (ports = child(cm, "ports", NULL)) == NULL ||
	    child(ports, "ethernetPhonePort", PORT_SCCP) == NULL ||
	    child(ports, "sipPort", PORT_SIP) == NULL ||
	    child(ports, "securedSipPort", PORT_SIPS) == NULL ||
	    child(cm, "processNodeName", n->addr) == NULL)
		return SBD_ERR_NOMEM;
	return 0;
}

static int
tvs_member(xmlNodePtr members, unsigned priority, const struct sbd_node *n)
{
	char port[8];
	xmlNodePtr m;

	snprintf(port, sizeof(port), "%u", (unsigned)n->tvs_port);
	if ((m = member(members, priority)) == NULL ||
	    child(m, "port", port) == NULL ||
	    child(m, "address", n->addr) == NULL)
		return SBD_ERR_NOMEM;
	return 0;
}

static int
capf_entry(xmlNodePtr list, const struct sbd_node *n)
{
	char port[8];
	xmlNodePtr c;

	snprintf(port, sizeof(port), "%u", (unsigned)n->capf_port);
	if ((c = child(list, "capf", NULL)) == NULL ||
	    child(c, "phonePort", port) == NULL ||
	    child(c, "processNodeName", n->addr) == NULL)
		return SBD_ERR_NOMEM;
	return 0;
}

/*
 * certHash: lowercase hex MD5 of the device certificate's DER, the value
 * the phone compares with its own certificate before it asks CAPF for a
 * new one (FORMATS.md 6.1 and 6.4); empty while no certificate is known.
 */
static int
cert_hash(const struct sbd_device *dev, char out[MD5_HEX])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	out[0] = '\0';
	if (dev->cert_der == NULL || dev->cert_len == 0)
		return 0;
	if (EVP_Digest(dev->cert_der, dev->cert_len, md, &n, EVP_md5(),
	    NULL) != 1 || n != 16)
		return SBD_ERR_CRYPTO;
	sbd_hex(md, n, out);
	return 0;
}

/* The <device> tree; the members come from the store. */
static int
config_tree(struct sbd_store *st, const struct sbd_device *dev,
    xmlNodePtr root)
{
	static const char *const mode[] = {
		[SBD_PROFILE_NONSECURE] = "1",
		[SBD_PROFILE_AUTH] = "2",
		[SBD_PROFILE_ENCRYPTED] = "3",
	};
	struct sbd_node tvs[SBD_TVS_MAX], *nodes = NULL;
	xmlNodePtr pool, grp, members, t, list;
	char hash[MD5_HEX], auth[12];
	size_t nt = 0, nn = 0, i;
	int err;

	if ((unsigned)dev->profile >= sizeof(mode) / sizeof(mode[0]))
		return SBD_ERR_INVAL;
	for (nt = 0; nt < SBD_TVS_MAX && dev->tvs[nt][0] != '\0'; nt++)
		if ((err = sbd_store_node_get(st, dev->tvs[nt],
		    &tvs[nt])) != 0)
			goto out;
	if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0 ||
	    (err = cert_hash(dev, hash)) != 0)
		goto out;
	err = SBD_ERR_NOMEM;
	if (child(root, "fullConfig", "true") == NULL ||
	    child(root, "deviceProtocol", "SIP") == NULL ||
	    (pool = child(root, "devicePool", NULL)) == NULL ||
	    (grp = child(pool, "callManagerGroup", NULL)) == NULL ||
	    (members = child(grp, "members", NULL)) == NULL)
		goto out;
	/* Priorities 0, 1, 2: the phone tries them in turn (SPEC.md, TVS). */
	for (i = 0; i < nt; i++)
		if ((err = cm_member(members, (unsigned)i, &tvs[i])) != 0)
			goto out;
	err = SBD_ERR_NOMEM;
	if ((t = child(root, "TVS", NULL)) == NULL ||
	    (members = child(t, "members", NULL)) == NULL)
		goto out;
	for (i = 0; i < nt; i++)
		if ((err = tvs_member(members, (unsigned)i, &tvs[i])) != 0)
			goto out;
	/*
	 * capfAuthMode tells the phone how to authenticate at its next CAPF
	 * session: the pending task's AUTH_TYPE (FORMATS.md 8.2), 1..4, or
	 * 0 when there is nothing to do.
	 */
	snprintf(auth, sizeof(auth), "%u", dev->capf.op != SBD_CAPF_OP_NONE ?
	    (unsigned)dev->capf.auth : 0u);
	err = SBD_ERR_NOMEM;
	if (child(root, "capfAuthMode", auth) == NULL ||
	    (list = child(root, "capfList", NULL)) == NULL)
		goto out;
	for (i = 0; i < nn; i++)
		if ((nodes[i].services & SBD_SVC_CAPF) &&
		    (err = capf_entry(list, &nodes[i])) != 0)
			goto out;
	err = SBD_ERR_NOMEM;
	if (child(root, "certHash", hash) == NULL ||
	    child(root, "encrConfig",
	    dev->profile == SBD_PROFILE_ENCRYPTED ? "true" : "false") == NULL ||
	    child(root, "deviceSecurityMode", mode[dev->profile]) == NULL ||
	    child(root, "ipAddressMode", "0") == NULL ||
	    child(root, "loadInformation", "") == NULL ||
	    child(root, "tftpDefault", "true") == NULL)
		goto out;
	err = 0;
out:
	free(nodes);
	return err;
}

int
sbd_cluster_device_config(struct sbd_store *st,
    const struct sbd_device *dev, uint8_t **out, size_t *len)
{
	xmlGenericErrorFunc efn = xmlGenericError;
	void *ectx = xmlGenericErrorContext;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	xmlChar *mem = NULL;
	uint8_t *p = NULL;
	int size = 0, err = SBD_ERR_NOMEM;

	if (st == NULL || dev == NULL || out == NULL || len == NULL)
		return SBD_ERR_INVAL;
	xmlSetGenericErrorFunc(NULL, xml_quiet);
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)"device",
	    NULL)) == NULL)
		goto out;
	xmlDocSetRootElement(doc, root);
	if ((err = config_tree(st, dev, root)) != 0)
		goto out;
	err = SBD_ERR_NOMEM;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (mem == NULL || size <= 0)
		goto out;
	/* Hand out malloc'ed memory, not xmlMalloc'ed. */
	if ((p = malloc((size_t)size)) == NULL)
		goto out;
	memcpy(p, mem, (size_t)size);
	*out = p;
	*len = (size_t)size;
	err = 0;
out:
	if (mem != NULL)
		xmlFree(mem);
	if (doc != NULL)
		xmlFreeDoc(doc);
	xmlSetGenericErrorFunc(ectx, efn);
	return err;
}
