/*
 * sbdctl: set network hostname and set network domain -- a node's host
 * or domain name changes, and with it, as on CUCM, every certificate that
 * names the host: CallManager, TVS and CAPF are regenerated at once,
 * without the five-minute hold.  The ITLRecovery certificate stays: phones
 * hold the publisher's original name (SPEC.md, "ITL recovery").
 *
 * Seed 002 ("Changing host names or domain names") says what follows for
 * phones: a single node with ITL only locks them out unless the cluster
 * was prepared for rollback; in a multi-node cluster TVS on another node
 * vouches for the new certificates; renaming every node at once locks
 * them out.
 *
 * Crash safety.  The new certificate files are written first, under names
 * nothing uses; one store transaction then records them and, for a host
 * name, renames the node and every reference to it (store.h, "Renaming a
 * node").  DATA/nodes/OLD becomes DATA/nodes/NEW after the commit; the
 * store's rename record is the journal that lets the next sbdctl or sbdd
 * finish that move (sbd_node_renames_settle) if this command is killed
 * before it.  The node's sbdd notices the rename and starts again under
 * the new name, as CUCM reboots the server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbd/cluster.h"
#include "sbd/store.h"
#include "sbd/x509.h"
#include "admin.h"
#include "sbdctl.h"

/* The certificates that carry the host name (CUCM's, seed 002). */
static const char *const host_roles[] = {
	SBD_CR_CALLMANAGER, SBD_CR_TVS, SBD_CR_CAPF,
};
#define NHOST	(sizeof(host_roles) / sizeof(host_roles[0]))

struct netchg {
	const char *dir;
	const char *host;		/* new host name, or NULL */
	const char *domain;		/* new domain, or NULL */
	int yes;
	unsigned wait_s, hook_s;
};

/* The new certificates of one change, until they are committed. */
struct newcerts {
	struct sbd_store_cert sc[NHOST];
	char path[NHOST][PATH_MAX];
	size_t n;
	int committed;
};

/* Remove the files of a change that was not committed. */
static void
newcerts_drop(struct newcerts *nc)
{
	size_t i;

	for (i = 0; i < nc->n && !nc->committed; i++)
		if (unlink(nc->path[i]) != 0)
			warnx_("%s: cannot remove: %s", nc->path[i],
			    strerror(errno));
}

/*
 * What must hold before anything is written: a new host name no node has,
 * whose directory does not exist, or a domain that differs.  0, or -1
 * with a message.
 */
static int
check_change(struct sbd_store *st, const struct netchg *o,
    const struct sbd_node *n)
{
	struct sbd_node other;
	char path[PATH_MAX];
	struct stat sb;
	int err;

	if (o->domain != NULL) {
		if (strcmp(o->domain, n->domain) == 0) {
			warnx_("node %s: the domain is %s already", n->name,
			    n->domain);
			return -1;
		}
		return 0;
	}
	if (strcmp(o->host, n->name) == 0) {
		warnx_("node %s: the host name is %s already", n->name,
		    n->name);
		return -1;
	}
	if ((err = sbd_store_node_get(st, o->host, &other)) == 0) {
		warnx_("node %s: already in the cluster", o->host);
		return -1;
	} else if (err != SBD_ERR_NOTFOUND) {
		store_warn(st, o->dir, "cannot read the nodes", err);
		return -1;
	}
	if (sbd_node_dir(o->dir, o->host, NULL, path, sizeof(path)) != 0) {
		warnx_("%s: path too long", o->dir);
		return -1;
	}
	if (lstat(path, &sb) == 0 || errno != ENOENT) {
		warnx_("%s: exists; remove it or choose another host name",
		    path);
		return -1;
	}
	return 0;
}

/*
 * The node's CallManager, TVS and CAPF certificates made again for host
 * fqdn (keys like the current ones), in new files under the node's
 * current directory.
 */
static int
make_certs(const char *dir, const struct sbd_node *n, const char *fqdn,
    struct sbd_store *st, struct newcerts *nc)
{
	struct sbd_store_cert cur;
	char curpath[PATH_MAX];
	X509 *curc, *c;
	EVP_PKEY *k;
	size_t i;
	int err, rc;

	for (i = 0; i < NHOST; i++) {
		err = sbd_store_cert_get(st, n->name, host_roles[i], &cur);
		if (err == SBD_ERR_NOTFOUND)
			continue;
		if (err != 0) {
			store_warn(st, dir, "cannot read the certificates",
			    err);
			return -1;
		}
		if (snprintf(curpath, sizeof(curpath), "%s/%s", dir,
		    cur.cert_path) >= (int)sizeof(curpath)) {
			warnx_("%s: path too long", dir);
			return -1;
		}
		curc = c = NULL;
		k = NULL;
		rc = load_cert(curpath, &curc);
		if (rc == 0)
			rc = regen_cert_new(dir, n->name, fqdn, host_roles[i],
			    curc, NULL, &nc->sc[nc->n], nc->path[nc->n],
			    sizeof(nc->path[0]), &c, &k);
		X509_free(curc);
		X509_free(c);
		EVP_PKEY_free(k);
		if (rc != 0)
			return -1;
		nc->n++;
	}
	return 0;
}

/*
 * One transaction: the new certificates (recorded under the node's
 * current name, so that a rename carries their paths along with the
 * others'), then the new domain or the rename.  *gen gets the generation
 * the change made.
 */
static int
commit_change(struct sbd_store *st, const struct netchg *o,
    const struct sbd_node *n, struct newcerts *nc, int64_t *gen)
{
	struct sbd_node nn = *n;
	char detail[256] = "";
	size_t i, len = 0;
	int err;

	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, o->dir, "cannot begin a transaction", err);
		return -1;
	}
	for (i = 0; i < nc->n; i++) {
		if ((err = sbd_store_cert_add(st, &nc->sc[i])) != 0) {
			store_warn(st, o->dir, "cannot record the certificate",
			    err);
			return -1;
		}
		if (len < sizeof(detail))
			len += (size_t)snprintf(detail + len,
			    sizeof(detail) - len, " %s %s", nc->sc[i].role,
			    nc->sc[i].sha1);
	}
	if (o->domain != NULL) {
		snprintf(nn.domain, sizeof(nn.domain), "%s", o->domain);
		err = sbd_store_node_update(st, &nn);
	} else
		err = sbd_store_node_rename(st, n->name, o->host);
	if (err == SBD_ERR_EXISTS) {
		warnx_("node %s: already in the cluster", o->host);
		return -1;
	} else if (err != 0 || (err = sbd_store_generation(st, gen)) != 0) {
		store_warn(st, o->dir, "cannot change the node", err);
		return -1;
	}
	if (o->domain != NULL)
		err = store_commit(st, o->dir, "cannot change the node",
		    "set network domain", "node %s domain %s (was %s);%s",
		    n->name, o->domain, n->domain, detail);
	else
		err = store_commit(st, o->dir, "cannot change the node",
		    "set network hostname", "node %s is now %s;%s", n->name,
		    o->host, detail);
	if (err != 0)
		return -1;
	nc->committed = 1;
	return 0;
}

static int
net_run(const struct netchg *o, const char *nopt)
{
	struct sbd_store *st = NULL;
	struct newcerts nc;
	struct sbd_node n;
	char fqdn[2 * SBD_NAME_MAX];
	const char *what = o->domain != NULL ? "domain" : "host name";
	const char *name;
	int64_t gen = 0;
	size_t i;
	int err, rc = 1;

	memset(&nc, 0, sizeof(nc));
	if (open_store(o->dir, 0, &st) != 0)
		goto out;
	/* An earlier rename killed before its directory move comes first. */
	if ((err = sbd_node_renames_settle(st, o->dir)) != 0) {
		warnx_("%s/nodes: cannot finish an earlier rename: %s", o->dir,
		    err == SBD_ERR_EXISTS ? "both directories exist" :
		    err == SBD_ERR_IO ? strerror(errno) :
		    sbd_store_errmsg(st));
		goto out;
	}
	if (admin_node(st, o->dir, nopt, &n) != 0 ||
	    check_change(st, o, &n) != 0)
		goto out;
	printf("WARNING: Changing the %s of node %s regenerates its "
	    "CallManager,\nTVS and CAPF certificates at once; its ITLRecovery "
	    "certificate stays.\nPhones that can reach no TVS holding the old "
	    "certificates will not\ntrust the new ones: prepare the cluster "
	    "for rollback first\n(sbdctl param set rollback_pre80 true) on a "
	    "single node.\n", what, n.name);
	if (!admin_confirm(o->domain != NULL ? "Proceed with the domain "
	    "change (yes|no)? " : "Proceed with the host name change "
	    "(yes|no)? ", o->yes, 0)) {
		printf("The %s change was cancelled.\n", what);
		goto out;
	}
	name = o->host != NULL ? o->host : n.name;
	snprintf(fqdn, sizeof(fqdn), "%s%s%s", name, o->domain != NULL ?
	    "." : n.domain[0] ? "." : "", o->domain != NULL ? o->domain :
	    n.domain);
	if (make_certs(o->dir, &n, fqdn, st, &nc) != 0 ||
	    commit_change(st, o, &n, &nc, &gen) != 0)
		goto out;
	rc = 0;
	if (o->host != NULL) {
		/* Committed: the move can only be finished now, not undone. */
		if ((err = sbd_node_renames_settle(st, o->dir)) != 0) {
			warnx_("%s/nodes/%s: not moved yet (%s); the next "
			    "sbdctl or sbdd moves it", o->dir, n.name,
			    err == SBD_ERR_IO ? strerror(errno) :
			    "both directories exist");
			rc = 1;
		}
		printf("Node %s is now %s.\n", n.name, o->host);
	} else
		printf("The domain of node %s is now %s.\n", n.name,
		    o->domain);
	for (i = 0; i < nc.n; i++)
		printf("New %s certificate for %s: SHA1 %s\n", nc.sc[i].role,
		    fqdn, nc.sc[i].sha1);
	if (regen_wait_nodes(st, o->dir, "certificates", gen, o->wait_s) != 0)
		rc = 1;
	if (admin_reset_devices(st, o->dir, NULL, 0, o->domain != NULL ?
	    "domain change" : "hostname change", o->hook_s) < 0)
		rc = 1;
out:
	newcerts_drop(&nc);
	store_end(st);
	return rc;
}

int
cmd_set_network(int argc, char **argv)
{
	enum { O_NODE = 256, O_WAIT, O_HOOK };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "yes", no_argument, NULL, 'y' },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "hook-timeout", required_argument, NULL, O_HOOK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "set network hostname NAME | set network domain "
	    "DOMAIN\n"
	    "       [-d DIR] [--node HOST] [--yes] [--wait S] "
	    "[--hook-timeout S]";
	const char *dopt = NULL, *nopt = NULL, *v;
	struct netchg o;
	int ch;

	memset(&o, 0, sizeof(o));
	o.wait_s = ADMIN_WAIT_S;
	o.hook_s = ADMIN_HOOK_S;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:yh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_NODE:
			nopt = optarg;
			break;
		case 'y':
			o.yes = 1;
			break;
		case O_WAIT:
			if (admin_parse_secs(usage, "--wait", optarg, 0,
			    &o.wait_s) != 0)
				return EXIT_USAGE;
			break;
		case O_HOOK:
			if (admin_parse_secs(usage, "--hook-timeout", optarg,
			    1, &o.hook_s) != 0)
				return EXIT_USAGE;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (argc - optind != 2 || (strcmp(argv[optind], "hostname") != 0 &&
	    strcmp(argv[optind], "domain") != 0))
		return usage_err(usage, "expected: set network hostname NAME "
		    "or set network domain DOMAIN");
	v = argv[optind + 1];
	if (strcmp(argv[optind], "hostname") == 0) {
		/* A host name is one label: the domain holds the dots. */
		if (!name_ok(v) || strchr(v, '.') != NULL)
			return usage_err(usage, "bad host name: %s (letters, "
			    "digits, '-' and '_', at most %d)", v,
			    SBD_NAME_MAX - 1);
		o.host = v;
	} else {
		if (!name_ok(v))
			return usage_err(usage, "bad domain: %s (letters, "
			    "digits, '-', '_' and '.', at most %d)", v,
			    SBD_NAME_MAX - 1);
		o.domain = v;
	}
	o.dir = data_dir(dopt);
	return net_run(&o, nopt);
}
