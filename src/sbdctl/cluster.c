/*
 * sbdctl: the cluster verbs -- cluster init, node add, node list, ctl
 * set-cluster, stats and reload.
 *
 * A data directory holds the cluster store and one directory per node
 * (include/sbd/cluster.h).  Creating a cluster or a node is all or
 * nothing: files are written first, then the store rows in one
 * transaction, and on any failure everything created is removed again.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "sbd/cluster.h"
#include "sbd/json.h"
#include "sbd/store.h"
#include "sbd/tlv.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

#define DEFAULT_RSA	2048
#define PORT_TFTP	6969	/* unprivileged: sbdd runs as a user */
#define PORT_HTTP	6970
#define PORT_TVS	2445
#define PORT_CAPF	3804
#define SOCK_NAME	"run/sbdd.sock"
#define REPLY_MAX	(64 * 1024)
#define REPLY_MS	5000
#define P12_NAME	"ITLRecovery.p12"

/* ---- option values ---------------------------------------------------- */

/* An IPv4 or IPv6 literal or a host name to listen on. */
static int
addr_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < SBD_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvw"
	    "xyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") == n;
}

static const char *const svc_names[] = { "tftp", "tvs", "capf" };

/* "tftp,tvs,capf" to enum sbd_svc bits; *bad names a wrong word. */
static int
parse_services(const char *s, unsigned *out, char *bad, size_t badcap)
{
	unsigned svc = 0;
	size_t i, n;
	int found;

	while (*s != '\0') {
		n = strcspn(s, ",");
		found = 0;
		for (i = 0; i < sizeof(svc_names) / sizeof(svc_names[0]); i++)
			if (n == strlen(svc_names[i]) &&
			    strncmp(s, svc_names[i], n) == 0) {
				svc |= 1u << i;
				found = 1;
			}
		if (!found) {
			snprintf(bad, badcap, "%.*s", (int)n, s);
			return -1;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	*out = svc;
	return 0;
}

static void
services_str(unsigned svc, char *buf, size_t cap)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(svc_names) / sizeof(svc_names[0]); i++)
		if ((svc & (1u << i)) && o < cap)
			o += (size_t)snprintf(buf + o, cap - o, "%s%s",
			    o ? "," : "", svc_names[i]);
}

/* Options cluster init and node add share. */
enum {
	O_DOMAIN = 256, O_ADDR, O_TFTP, O_HTTP, O_TVSPORT, O_CAPFPORT, O_KEY,
	O_NAME, O_NODE, O_SERVICES, O_PWFILE, O_PWENV,
};

#define NODE_OPTIONS \
	{ "data", required_argument, NULL, 'd' }, \
	{ "domain", required_argument, NULL, O_DOMAIN }, \
	{ "addr", required_argument, NULL, O_ADDR }, \
	{ "tftp-port", required_argument, NULL, O_TFTP }, \
	{ "http-port", required_argument, NULL, O_HTTP }, \
	{ "tvs-port", required_argument, NULL, O_TVSPORT }, \
	{ "capf-port", required_argument, NULL, O_CAPFPORT }, \
	{ "key", required_argument, NULL, O_KEY }, \
	{ "help", no_argument, NULL, 'h' }

static void
node_defaults(struct sbd_node *n, struct keyspec *ks)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->addr, sizeof(n->addr), "127.0.0.1");
	n->tftp_port = PORT_TFTP;
	n->http_port = PORT_HTTP;
	n->tvs_port = PORT_TVS;
	n->capf_port = PORT_CAPF;
	ks->type = SBD_KEY_RSA;
	ks->param = DEFAULT_RSA;
}

/*
 * One of NODE_OPTIONS (except -d and -h): 0 when taken, 1 when ch is not
 * one, EXIT_USAGE (message printed) for a bad value.
 */
static int
node_option(const char *usage, int ch, struct sbd_node *n,
    struct keyspec *ks)
{
	static const char *const port_opt[] = { "--tftp-port", "--http-port",
		"--tvs-port", "--capf-port" };
	uint16_t *port[] = { &n->tftp_port, &n->http_port, &n->tvs_port,
		&n->capf_port };
	unsigned long ul;

	switch (ch) {
	case O_DOMAIN:
		if (!name_ok(optarg))
			return usage_err(usage, "bad --domain: %s (letters, "
			    "digits, '-', '_' and '.')", optarg);
		snprintf(n->domain, sizeof(n->domain), "%s", optarg);
		return 0;
	case O_ADDR:
		if (!addr_ok(optarg))
			return usage_err(usage, "bad --addr: %s", optarg);
		snprintf(n->addr, sizeof(n->addr), "%s", optarg);
		return 0;
	case O_TFTP:
	case O_HTTP:
	case O_TVSPORT:
	case O_CAPFPORT:
		if (parse_uint(optarg, 1, 65535, &ul) != 0)
			return usage_err(usage, "bad %s: %s (1 to 65535)",
			    port_opt[ch - O_TFTP], optarg);
		*port[ch - O_TFTP] = (uint16_t)ul;
		return 0;
	case O_KEY:
		if (parse_keyspec(optarg, ks) != 0)
			return usage_err(usage, "bad --key: %s (rsa:BITS with "
			    "512 to 4096 bits, or ec:CURVE)", optarg);
		return 0;
	default:
		return 1;
	}
}

/* ---- making a node's files ------------------------------------------- */

/* The certificates of a node (SPEC.md: every node has its own). */
static const struct node_cert {
	const char *role;	/* SBD_CR_*, also the file name */
	const char *preset;	/* cert_role() name */
	unsigned needs;		/* service bits it needs; 0: always */
} node_certs[] = {
	{ SBD_CR_CALLMANAGER, "callmanager", 0 },
	{ SBD_CR_TVS, "tvs", 0 },
	{ SBD_CR_CAPF, "capf", SBD_SVC_CAPF },
	{ SBD_CR_ITLRECOVERY, "itlrecovery", 0 },
};
#define NODE_CERTS (sizeof(node_certs) / sizeof(node_certs[0]))

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	if (remove(path) != 0)
		warnx_("%s: cannot remove: %s", path, strerror(errno));
	return 0;
}

/* Remove a tree this command created. */
static void
rm_tree(const char *path)
{
	(void)nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0) {
		warnx_("%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Key, certificate (CN from the role's preset for fqdn) and the PEM
 * holding both (0600), as `cert create --role` makes them; sc gets the
 * store row.  With pw, the ITLRecovery pair is also exported to
 * ITLRecovery.p12 under the security password (SPEC.md, ITL recovery).
 */
static int
make_cert(const char *dir, const char *node, const char *fqdn,
    const struct node_cert *nc, const struct keyspec *ks, const char *pw,
    struct sbd_store_cert *sc)
{
	struct sbd_cert_req req;
	char path[PATH_MAX];
	uint8_t md[EVP_MAX_MD_SIZE], *p12 = NULL;
	unsigned mdlen;
	size_t p12len = 0;
	char *cn = NULL;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int err, rc = -1;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->node, sizeof(sc->node), "%s", node);
	snprintf(sc->role, sizeof(sc->role), "%s", nc->role);
	snprintf(sc->cert_path, sizeof(sc->cert_path), "nodes/%s/pki/%s.pem",
	    node, nc->role);
	snprintf(sc->key_path, sizeof(sc->key_path), "%s", sc->cert_path);
	/* No name in pki/ is longer than P12_NAME: check that path once. */
	if (snprintf(path, sizeof(path), "%s/nodes/%s/pki/%s", dir, node,
	    P12_NAME) >= (int)sizeof(path)) {
		warnx_("%s: path too long", dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, sc->cert_path);
	memset(&req, 0, sizeof(req));
	if ((err = sbd_key_generate(ks->type, ks->param, &k)) != 0) {
		warnx_("%s: cannot generate a key: %s", path,
		    sbd_strerror(err));
		goto out;
	}
	if (cert_role_req(cert_role(nc->preset), fqdn, &req, &cn) != 0) {
		warnx_("out of memory");
		goto out;
	}
	req.key = k;
	if ((err = sbd_cert_create(&req, &c)) != 0) {
		warnx_("%s: cannot create certificate CN=%s: %s%s", path, cn,
		    sbd_strerror(err), err == SBD_ERR_INVAL ?
		    " (a CN holds at most 64 characters)" : "");
		goto out;
	}
	if (sbd_x509_digest(c, EVP_sha1(), md, &mdlen) != 0) {
		warnx_("%s: cannot compute the SHA-1 fingerprint", path);
		goto out;
	}
	sbd_hex(md, mdlen, sc->sha1);
	sc->created = (int64_t)time(NULL);
	sc->active = 1;
	if (write_cert_key(path, NULL, c, k, 0) != 0)
		goto out;
	if (pw != NULL && strcmp(nc->role, SBD_CR_ITLRECOVERY) == 0) {
		snprintf(path, sizeof(path), "%s/nodes/%s/pki/%s", dir, node,
		    P12_NAME);
		if ((err = sbd_p12_export(c, k, pw, SBD_CR_ITLRECOVERY, &p12,
		    &p12len)) != 0) {
			warnx_("%s: cannot export: %s", path,
			    sbd_strerror(err));
			goto out;
		}
		if (write_output(path, p12, p12len, 0600) != 0)
			goto out;
	}
	rc = 0;
out:
	free(cn);
	free(p12);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

/*
 * DIR/nodes/NODE with pki/ (0700), tftp/, run/ and the node's
 * certificates; certs gets their store rows.  The node directory must
 * not exist yet; on failure it is removed again.
 */
static int
make_node(const char *dir, const struct sbd_node *n, const struct keyspec *ks,
    const char *pw, struct sbd_store_cert *certs, size_t *ncert)
{
	static const struct {
		const char *sub;
		mode_t mode;
	} subdirs[] = { { "pki", 0700 }, { "tftp", 0755 }, { "run", 0755 } };
	char ndir[PATH_MAX], path[PATH_MAX], fqdn[2 * SBD_NAME_MAX];
	size_t i, nc = 0;
	int rc = -1, made = 0;

	if (sbd_node_dir(dir, n->name, NULL, ndir, sizeof(ndir)) != 0) {
		warnx_("%s: path too long", dir);
		goto out;
	}
	if (make_dir(ndir, 0755) != 0)
		goto out;
	made = 1;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (sbd_node_dir(dir, n->name, subdirs[i].sub, path,
		    sizeof(path)) != 0 || make_dir(path, subdirs[i].mode) != 0)
			goto out;
	/* CUCM names its certificates by the node's FQDN (seed 001). */
	snprintf(fqdn, sizeof(fqdn), "%s%s%s", n->name,
	    n->domain[0] ? "." : "", n->domain);
	for (i = 0; i < NODE_CERTS; i++) {
		if ((n->services & node_certs[i].needs) != node_certs[i].needs)
			continue;
		if (make_cert(dir, n->name, fqdn, &node_certs[i], ks, pw,
		    &certs[nc]) != 0)
			goto out;
		nc++;
	}
	*ncert = nc;
	rc = 0;
out:
	if (rc != 0 && made)
		rm_tree(ndir);
	return rc;
}

/* The node and its certificates into the store, inside a transaction. */
static int
add_node_rows(struct sbd_store *st, const char *dir, const struct sbd_node *n,
    struct sbd_store_cert *certs, size_t ncert)
{
	size_t i;
	int err;

	if ((err = sbd_store_node_add(st, n)) == SBD_ERR_EXISTS)
		warnx_("node %s already exists", n->name);
	else if (err != 0)
		store_warn(st, dir, "cannot add the node", err);
	for (i = 0; i < ncert && err == 0; i++)
		if ((err = sbd_store_cert_add(st, &certs[i])) != 0)
			store_warn(st, dir, "cannot record a certificate",
			    err);
	return err != 0 ? -1 : 0;
}

static void
print_node_made(const char *dir, const struct sbd_node *n,
    const struct sbd_store_cert *certs, size_t ncert, int p12)
{
	char svc[32];
	size_t i;

	services_str(n->services, svc, sizeof(svc));
	printf("node %s (%s; %s on %s)\n", n->name,
	    n->publisher ? "publisher" : "subscriber", svc[0] ? svc : "none",
	    n->addr);
	for (i = 0; i < ncert; i++)
		printf("  %-12s %s/%s\n", certs[i].role, dir,
		    certs[i].cert_path);
	if (p12)
		printf("  %-12s %s/nodes/%s/pki/%s\n", "PKCS#12", dir, n->name,
		    P12_NAME);
	printf("  %-12s %s/nodes/%s/tftp\n", "TFTP files", dir, n->name);
}

/* Remove the store file and SQLite's companions. */
static void
rm_store(const char *dir)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, SBD_STORE_FILE,
		    sfx[i]);
		if (unlink(path) != 0 && errno != ENOENT)
			warnx_("%s: cannot remove: %s", path, strerror(errno));
	}
}

/* mkdir unless it exists; *made says whether this call created it. */
static int
ensure_dir(const char *path, int *made)
{
	struct stat sb;
	int rc = 0;

	*made = 0;
	if (stat(path, &sb) != 0) {
		if ((rc = make_dir(path, 0755)) == 0)
			*made = 1;
	} else if (!S_ISDIR(sb.st_mode)) {
		warnx_("%s: not a directory", path);
		rc = -1;
	}
	return rc;
}

int
cmd_cluster_init(int argc, char **argv)
{
	static const struct option opts[] = {
		NODE_OPTIONS,
		{ "name", required_argument, NULL, O_NAME },
		{ "node", required_argument, NULL, O_NODE },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password-env", required_argument, NULL, O_PWENV },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "cluster init --name CLUSTER --node HOST "
	    "[-d DIR] [--domain DOMAIN]\n"
	    "       [--addr ADDR] [--tftp-port N] [--http-port N] "
	    "[--tvs-port N] [--capf-port N]\n"
	    "       [--key rsa:BITS|ec:CURVE] "
	    "[--password-file FILE | --password-env VAR]";
	const char *dopt = NULL, *dir, *name = NULL, *pwfile = NULL;
	const char *pwenv = NULL;
	struct sbd_cluster cl;
	struct sbd_node n;
	struct sbd_store_cert certs[NODE_CERTS];
	struct sbd_store *st = NULL;
	struct keyspec ks;
	struct stat sb;
	char path[PATH_MAX], ndir[PATH_MAX], actor[SBD_NAME_MAX], *pw = NULL;
	size_t ncert = 0;
	int ch, r, err, rc = 1, made_dir = 0, made_nodes = 0, made_node = 0;
	int made_store = 0;

	node_defaults(&n, &ks);
	memset(&cl, 0, sizeof(cl));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		if ((r = node_option(usage, ch, &n, &ks)) != 1) {
			if (r != 0)
				return r;
			continue;
		}
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_NAME:
			name = optarg;
			break;
		case O_NODE:
			if (!name_ok(optarg))
				return usage_err(usage, "bad --node: %s "
				    "(letters, digits, '-', '_' and '.')",
				    optarg);
			snprintf(n.name, sizeof(n.name), "%s", optarg);
			break;
		case O_PWFILE:
			pwfile = optarg;
			break;
		case O_PWENV:
			pwenv = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (name == NULL)
		return usage_err(usage, "--name CLUSTER is required");
	if (name[0] == '\0' || strlen(name) >= sizeof(cl.name) ||
	    !printable(name))
		return usage_err(usage, "bad --name: %s (1 to %d characters, "
		    "no control characters)", name, SBD_NAME_MAX - 1);
	if (n.name[0] == '\0')
		return usage_err(usage, "--node HOST is required");
	if (pwfile != NULL && pwenv != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	dir = data_dir(dopt);
	if (store_path(dir, path, sizeof(path)) != 0 ||
	    sbd_node_dir(dir, n.name, NULL, ndir, sizeof(ndir)) != 0) {
		warnx_("%s: path too long", dir);
		goto out;
	}
	if (stat(path, &sb) == 0) {
		warnx_("%s: already holds a cluster (%s)", dir, path);
		goto out;
	}
	if (stat(ndir, &sb) == 0) {
		warnx_("%s: already exists; remove it or use another "
		    "directory", ndir);
		goto out;
	}
	if (read_new_password(pwfile, pwenv, "Security password: ",
	    "Security password again: ", &pw) != 0)
		goto out;

	snprintf(cl.name, sizeof(cl.name), "%s", name);
	cl.ctl_mode = SBD_CTL_NONE;
	cl.created = (int64_t)time(NULL);
	n.publisher = 1;
	n.services = SBD_SVC_TFTP | SBD_SVC_TVS | SBD_SVC_CAPF;
	n.created = cl.created;
	if ((err = sbd_password_verifier_new(pw, &cl)) != 0) {
		warnx_("cannot derive the password verifier: %s",
		    sbd_strerror(err));
		goto out;
	}
	if (ensure_dir(dir, &made_dir) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/nodes", dir);
	if (ensure_dir(path, &made_nodes) != 0)
		goto out;
	if (make_node(dir, &n, &ks, pw, certs, &ncert) != 0)
		goto out;
	made_node = 1;

	/* There was no store: whatever is there from now on is ours. */
	made_store = 1;
	if (store_begin(dir, SBD_STORE_CREATE, &st) != 0)
		goto out;
	if ((err = sbd_store_cluster_create(st, &cl)) != 0) {
		store_warn(st, dir, "cannot create the cluster", err);
		goto out;
	}
	if (add_node_rows(st, dir, &n, certs, ncert) != 0)
		goto out;
	audit_actor(actor, sizeof(actor));
	if ((err = sbd_store_audit(st, actor, "cluster init",
	    "cluster %s, publisher %s at %s", cl.name, n.name,
	    n.addr)) != 0) {
		store_warn(st, dir, "cannot write the audit log", err);
		goto out;
	}
	if ((err = sbd_store_commit(st)) != 0) {
		store_warn(st, dir, "cannot commit", err);
		goto out;
	}
	printf("cluster %s created in %s\n", cl.name, dir);
	printf("  %-12s %s/%s\n", "store", dir, SBD_STORE_FILE);
	print_node_made(dir, &n, certs, ncert, 1);
	rc = 0;
out:
	store_end(st);
	if (rc != 0) {
		/* All or nothing: take back what this command made. */
		if (made_store)
			rm_store(dir);
		if (made_node)
			rm_tree(ndir);
		if (made_nodes && rmdir(path) != 0)
			warnx_("%s: cannot remove: %s", path,
			    strerror(errno));
		if (made_dir && rmdir(dir) != 0)
			warnx_("%s: cannot remove: %s", dir, strerror(errno));
	}
	if (pw != NULL) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	OPENSSL_cleanse(&cl, sizeof(cl));
	return rc;
}

int
cmd_node_add(int argc, char **argv)
{
	static const struct option opts[] = {
		NODE_OPTIONS,
		{ "name", required_argument, NULL, O_NAME },
		{ "services", required_argument, NULL, O_SERVICES },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "node add --name HOST --addr ADDR [-d DIR] "
	    "[--domain DOMAIN]\n"
	    "       [--services tftp,tvs,capf] [--tftp-port N] "
	    "[--http-port N] [--tvs-port N]\n"
	    "       [--capf-port N] [--key rsa:BITS|ec:CURVE]";
	const char *dopt = NULL, *dir;
	struct sbd_node n, old;
	struct sbd_store_cert certs[NODE_CERTS];
	struct sbd_store *st = NULL;
	struct keyspec ks;
	char ndir[PATH_MAX], actor[SBD_NAME_MAX], bad[SBD_NAME_MAX], svc[32];
	size_t ncert = 0;
	int ch, r, err, rc = 1, have_addr = 0, made = 0;

	node_defaults(&n, &ks);
	n.services = SBD_SVC_TFTP | SBD_SVC_TVS;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		if ((r = node_option(usage, ch, &n, &ks)) != 1) {
			if (r != 0)
				return r;
			have_addr |= ch == O_ADDR;
			continue;
		}
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_NAME:
			if (!name_ok(optarg))
				return usage_err(usage, "bad --name: %s "
				    "(letters, digits, '-', '_' and '.')",
				    optarg);
			snprintf(n.name, sizeof(n.name), "%s", optarg);
			break;
		case O_SERVICES:
			if (parse_services(optarg, &n.services, bad,
			    sizeof(bad)) != 0)
				return usage_err(usage, "unknown service: %s "
				    "(tftp, tvs, capf)", bad);
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (n.name[0] == '\0')
		return usage_err(usage, "--name HOST is required");
	if (!have_addr)
		return usage_err(usage, "--addr ADDR is required");
	dir = data_dir(dopt);
	if (sbd_node_dir(dir, n.name, NULL, ndir, sizeof(ndir)) != 0) {
		warnx_("%s: path too long", dir);
		goto out;
	}
	if (open_store(dir, 0, &st) != 0)
		goto out;
	if ((err = sbd_store_node_get(st, n.name, &old)) == 0) {
		warnx_("node %s already exists", n.name);
		goto out;
	} else if (err != SBD_ERR_NOTFOUND) {
		store_warn(st, dir, "cannot read the nodes", err);
		goto out;
	}
	n.created = (int64_t)time(NULL);
	if (make_node(dir, &n, &ks, NULL, certs, &ncert) != 0)
		goto out;
	made = 1;
	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, dir, "cannot begin a transaction", err);
		goto out;
	}
	if (add_node_rows(st, dir, &n, certs, ncert) != 0)
		goto out;
	services_str(n.services, svc, sizeof(svc));
	audit_actor(actor, sizeof(actor));
	if ((err = sbd_store_audit(st, actor, "node add", "node %s at %s, "
	    "services %s", n.name, n.addr, svc[0] ? svc : "none")) != 0) {
		store_warn(st, dir, "cannot write the audit log", err);
		goto out;
	}
	if ((err = sbd_store_commit(st)) != 0) {
		store_warn(st, dir, "cannot commit", err);
		goto out;
	}
	print_node_made(dir, &n, certs, ncert, 0);
	rc = 0;
out:
	store_end(st);
	if (rc != 0 && made)
		rm_tree(ndir);
	return rc;
}

int
cmd_node_list(int argc, char **argv)
{
	const char *usage = "node list [-d DIR] [--json]";
	const char *dir;
	struct sbd_store *st = NULL;
	struct sbd_node *nodes = NULL;
	struct sbd_json j;
	char svc[32];
	size_t nn = 0, i;
	int r, err, json = 0, rc = 1;

	if ((r = list_open(argc, argv, usage, &json, &dir, &st)) >= 0)
		return r;
	if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0) {
		store_warn(st, dir, "cannot read the nodes", err);
		goto out;
	}
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_arr(&j, NULL);
		for (i = 0; i < nn; i++) {
			sbd_json_obj(&j, NULL);
			sbd_json_str(&j, "name", nodes[i].name);
			sbd_json_str(&j, "domain", nodes[i].domain);
			sbd_json_bool(&j, "publisher", nodes[i].publisher);
			services_str(nodes[i].services, svc, sizeof(svc));
			sbd_json_str(&j, "services", svc);
			sbd_json_str(&j, "addr", nodes[i].addr);
			sbd_json_int(&j, "tftp_port", nodes[i].tftp_port);
			sbd_json_int(&j, "http_port", nodes[i].http_port);
			sbd_json_int(&j, "tvs_port", nodes[i].tvs_port);
			sbd_json_int(&j, "capf_port", nodes[i].capf_port);
			sbd_json_int(&j, "created", nodes[i].created);
			sbd_json_end(&j);
		}
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else {
		printf("%-20s %-10s %-15s %-13s %5s %5s %5s %5s\n", "NODE",
		    "ROLE", "ADDRESS", "SERVICES", "TFTP", "HTTP", "TVS",
		    "CAPF");
		for (i = 0; i < nn; i++) {
			services_str(nodes[i].services, svc, sizeof(svc));
			printf("%-20s %-10s %-15s %-13s %5u %5u %5u %5u\n",
			    nodes[i].name, nodes[i].publisher ? "publisher" :
			    "subscriber", nodes[i].addr, svc[0] ? svc : "-",
			    nodes[i].tftp_port, nodes[i].http_port,
			    nodes[i].tvs_port, nodes[i].capf_port);
		}
	}
	rc = 0;
out:
	free(nodes);
	sbd_store_close(st);
	return rc;
}

int
cmd_ctl_set_cluster(int argc, char **argv)
{
	static const char *const modes[] = {
		[SBD_CTL_NONE] = "non-secure",
		[SBD_CTL_MIXED] = "mixed-mode",
	};
	const char *usage = "ctl set-cluster [-d DIR] mixed-mode|non-secure";
	const char *dopt = NULL, *dir;
	struct sbd_store *st = NULL;
	struct sbd_cluster cl;
	int r, err, rc = 1, mode = -1, was;
	size_t i;

	if ((r = store_opts(argc, argv, usage, &dopt, NULL, NULL)) >= 0)
		return r;
	if (optind != argc - 1)
		return usage_err(usage, "expected mixed-mode or non-secure");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(argv[optind], modes[i]) == 0)
			mode = (int)i;
	if (mode < 0)
		return usage_err(usage, "unknown CTL mode: %s (mixed-mode or "
		    "non-secure)", argv[optind]);
	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	if ((err = sbd_store_cluster_get(st, &cl)) != 0) {
		store_warn(st, dir, "cannot read the cluster", err);
		goto out;
	}
	was = cl.ctl_mode == SBD_CTL_MIXED ? SBD_CTL_MIXED : SBD_CTL_NONE;
	cl.ctl_mode = (enum sbd_ctl_mode)mode;
	if ((err = sbd_store_cluster_update(st, &cl)) != 0) {
		store_warn(st, dir, "cannot set the CTL mode", err);
		goto out;
	}
	if (store_commit(st, dir, "cannot set the CTL mode",
	    "ctl set-cluster", "%s", modes[mode]) != 0)
		goto out;
	printf("cluster %s: CTL mode %s (was %s)\n", cl.name, modes[mode],
	    modes[was]);
	rc = 0;
out:
	store_end(st);
	return rc;
}

/* ---- the control socket ------------------------------------------------ */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until the deadline; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p;
	int64_t left;
	int r;

	for (;;) {
		if ((left = deadline - now_ms()) <= 0)
			return 0;
		p.fd = fd;
		p.events = ev;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r > 0;
	}
}

/*
 * Send req to node's sbdd and read its reply until EOF: at most
 * REPLY_MAX bytes within REPLY_MS.  *reply is malloc'ed and
 * NUL-terminated.
 */
static int
ctl_request(const char *dir, const char *node, const char *req,
    char **reply, size_t *len)
{
	struct sockaddr_un sa;
	char path[PATH_MAX], *buf = NULL;
	size_t n = 0, off = 0, rl = strlen(req);
	int64_t deadline = now_ms() + REPLY_MS;
	ssize_t r;
	int fd = -1, rc = -1;

	if (sbd_node_dir(dir, node, SOCK_NAME, path, sizeof(path)) != 0 ||
	    strlen(path) >= sizeof(sa.sun_path)) {
		warnx_("%s: socket path too long for %s", node, dir);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		warnx_("socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			warnx_("%s: sbdd is not running (%s)", node, path);
		else
			warnx_("%s: cannot connect to %s: %s", node, path,
			    strerror(errno));
		goto out;
	}
	if ((buf = malloc(REPLY_MAX + 1)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	while (off < rl) {
		if (wait_fd(fd, POLLOUT, deadline) <= 0)
			goto timeout;
		r = send(fd, req + off, rl - off, MSG_NOSIGNAL);
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			warnx_("%s: cannot write to %s: %s", node, path,
			    strerror(errno));
			goto out;
		}
		off += r > 0 ? (size_t)r : 0;
	}
	for (;;) {
		if (wait_fd(fd, POLLIN, deadline) <= 0)
			goto timeout;
		r = recv(fd, buf + n, REPLY_MAX + 1 - n, 0);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnx_("%s: cannot read from %s: %s", node, path,
			    strerror(errno));
			goto out;
		}
		n += (size_t)r;
		if (n > REPLY_MAX) {
			warnx_("%s: reply from %s is longer than %d bytes",
			    node, path, REPLY_MAX);
			goto out;
		}
	}
	buf[n] = '\0';
	*reply = buf;
	*len = n;
	buf = NULL;
	rc = 0;
	goto out;
timeout:
	warnx_("%s: no answer from %s within %d s", node, path,
	    REPLY_MS / 1000);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* ---- a flat JSON object ------------------------------------------------ */

static void
skip_ws(struct sbd_cur *c)
{
	uint8_t b;

	while (sbd_peek_u8(c, &b) == 0 &&
	    (b == ' ' || b == '\t' || b == '\r' || b == '\n') &&
	    sbd_skip(c, 1) == 0)
		continue;
}

/* Consume byte want (after blanks); 0 if it was there. */
static int
expect(struct sbd_cur *c, uint8_t want)
{
	uint8_t b;

	skip_ws(c);
	if (sbd_peek_u8(c, &b) != 0 || b != want)
		return -1;
	return sbd_skip(c, 1);
}

static void
put_safe(FILE *f, uint8_t b)
{
	if (f != NULL)
		fputc(b >= 0x20 && b < 0x7f ? b : '?', f);
}

/*
 * A JSON string (RFC 8259 section 7), written to f (if not NULL) with
 * anything but printable ASCII shown as '?'.
 */
static int
json_string(struct sbd_cur *c, FILE *f)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	const uint8_t *hex;
	const char *e;
	uint8_t b;
	size_t i;

	if (expect(c, '"') != 0)
		return -1;
	for (;;) {
		if (sbd_get_u8(c, &b) != 0 || b < 0x20)
			return -1;
		if (b == '"')
			return 0;
		if (b != '\\') {
			put_safe(f, b);
			continue;
		}
		if (sbd_get_u8(c, &b) != 0)
			return -1;
		if (b == 'u') {
			if (sbd_get_bytes(c, 4, &hex) != 0)
				return -1;
			for (i = 0; i < 4; i++)
				if (!isxdigit(hex[i]))
					return -1;
			put_safe(f, '?');
			continue;
		}
		if (b == '\0' || (e = strchr(esc, b)) == NULL)
			return -1;
		put_safe(f, (uint8_t)val[e - esc]);
	}
}

/* An integer: -?(0|[1-9][0-9]*), at most 20 digits. */
static int
json_int(struct sbd_cur *c, FILE *f)
{
	uint8_t b, first = 0;
	size_t nd = 0;

	skip_ws(c);
	if (sbd_peek_u8(c, &b) == 0 && b == '-' && sbd_skip(c, 1) == 0)
		put_safe(f, b);
	while (sbd_peek_u8(c, &b) == 0 && b >= '0' && b <= '9' &&
	    sbd_skip(c, 1) == 0) {
		if (nd++ == 0)
			first = b;
		else if (first == '0' || nd > 20)
			return -1;
		put_safe(f, b);
	}
	return nd > 0 ? 0 : -1;
}

/*
 * {"name": value, ...} with string or integer values, nothing after it
 * but blanks: print "name value" lines to f (NULL: only check).  Returns
 * 0, or -1 with *at the offset where it went wrong.
 */
static int
flat_json(const char *s, size_t len, FILE *f, size_t *at)
{
	struct sbd_cur c;
	uint8_t b;
	int rc = -1;

	sbd_cur_init(&c, (const uint8_t *)s, len);
	if (expect(&c, '{') != 0)
		goto out;
	if (expect(&c, '}') == 0)
		goto end;
	for (;;) {
		if (json_string(&c, f) != 0 || expect(&c, ':') != 0)
			goto out;
		if (f != NULL)
			fputc(' ', f);
		skip_ws(&c);
		if (sbd_peek_u8(&c, &b) != 0)
			goto out;
		if ((b == '"' ? json_string(&c, f) : json_int(&c, f)) != 0)
			goto out;
		if (f != NULL)
			fputc('\n', f);
		if (expect(&c, ',') == 0)
			continue;
		if (expect(&c, '}') != 0)
			goto out;
		break;
	}
end:
	skip_ws(&c);
	if (sbd_cur_left(&c) == 0)
		rc = 0;
out:
	if (rc != 0)
		*at = sbd_cur_pos(&c);
	return rc;
}

/* --node HOST, or the publisher; checks that the node exists. */
static int
pick_node(const char *dir, const char *opt, char *node, size_t cap)
{
	struct sbd_store *st = NULL;
	struct sbd_node n;
	int err, rc = -1;

	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0)
		goto out;
	err = opt != NULL ? sbd_store_node_get(st, opt, &n) :
	    sbd_store_node_publisher(st, &n);
	if (err == SBD_ERR_NOTFOUND && opt != NULL)
		warnx_("unknown node: %s", opt);
	else if (err != 0)
		store_warn(st, dir, "cannot read the nodes", err);
	if (err != 0)
		goto out;
	snprintf(node, cap, "%s", n.name);
	rc = 0;
out:
	sbd_store_close(st);
	return rc;
}

int
cmd_stats(int argc, char **argv)
{
	const char *usage = "stats [-d DIR] [--node HOST] [--json]";
	const char *dopt = NULL, *nopt = NULL, *dir;
	char node[SBD_NAME_MAX], *reply = NULL;
	size_t len = 0, at = 0;
	int r, json = 0, rc = 1;

	if ((r = store_opts(argc, argv, usage, &dopt, &nopt, &json)) >= 0)
		return r;
	if (optind != argc)
		return extra_operand(usage, argv);
	dir = data_dir(dopt);
	if (pick_node(dir, nopt, node, sizeof(node)) != 0 ||
	    ctl_request(dir, node, "stats\n", &reply, &len) != 0)
		goto out;
	if (flat_json(reply, len, NULL, &at) != 0) {
		warnx_("%s: malformed stats reply at offset %zu", node, at);
		goto out;
	}
	if (json)
		printf("%s%s", reply, len > 0 && reply[len - 1] == '\n' ?
		    "" : "\n");
	else
		(void)flat_json(reply, len, stdout, &at);
	rc = 0;
out:
	free(reply);
	return rc;
}

int
cmd_reload(int argc, char **argv)
{
	const char *usage = "reload [-d DIR] [--node HOST]";
	const char *dopt = NULL, *nopt = NULL, *dir;
	char node[SBD_NAME_MAX], *reply = NULL;
	size_t len = 0, i;
	int r, rc = 1;

	if ((r = store_opts(argc, argv, usage, &dopt, &nopt, NULL)) >= 0)
		return r;
	if (optind != argc)
		return extra_operand(usage, argv);
	dir = data_dir(dopt);
	if (pick_node(dir, nopt, node, sizeof(node)) != 0 ||
	    ctl_request(dir, node, "reload\n", &reply, &len) != 0)
		goto out;
	if (strcmp(reply, "ok\n") != 0) {
		/* Show the daemon's first line, control bytes as '?'. */
		for (i = 0; i < len && reply[i] != '\n'; i++)
			if ((uint8_t)reply[i] < 0x20 ||
			    (uint8_t)reply[i] >= 0x7f)
				reply[i] = '?';
		warnx_("%s: reload failed: %.*s", node, (int)i, reply);
		goto out;
	}
	printf("%s: reloaded\n", node);
	rc = 0;
out:
	free(reply);
	return rc;
}
