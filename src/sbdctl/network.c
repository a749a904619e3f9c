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
 * store's rename record is the journal that lets any sbdd, or the next
 * set network, finish that move (sbd_node_renames_settle) if this command
 * is killed before it.  The node's sbdd notices the rename and starts
 * again under the new name, as CUCM reboots the server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
 * The name the node will have, and its FQDN: what the new certificates
 * carry, whose CN holds at most 64 characters (RFC 5280's upper bound).
 */
static int
new_fqdn(const struct netchg *o, const struct sbd_node *n, char *buf,
    size_t cap)
{
	const char *host = o->host != NULL ? o->host : n->name;
	const char *dom = o->domain != NULL ? o->domain : n->domain;
	int len = snprintf(buf, cap, "%s%s%s", host, dom[0] ? "." : "", dom);

	if (len < 0 || (size_t)len >= cap || len > 64) {
		warnx_("%s%s%s: longer than the 64 characters of a "
		    "certificate's CN", host, dom[0] ? "." : "", dom);
		return -1;
	}
	return 0;
}

/*
 * A node of another name but the same one in DNS (which ignores case)
 * into other; SBD_ERR_NOTFOUND when there is none.
 */
static int
same_host(struct sbd_store *st, const char *name, struct sbd_node *other)
{
	struct sbd_node *nodes = NULL;
	size_t nn = 0, i;
	int err;

	if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0)
		goto out;
	err = SBD_ERR_NOTFOUND;
	for (i = 0; i < nn && err != 0; i++)
		if (strcasecmp(nodes[i].name, name) == 0) {
			*other = nodes[i];
			err = 0;
		}
out:
	free(nodes);
	return err;
}

/*
 * What must hold before anything is written: a new host name no node has
 * (in any case), whose directory does not exist, or another domain; and
 * an FQDN that fits a CN.  0, or -1 with a message.
 */
static int
check_change(struct sbd_store *st, const struct netchg *o,
    const struct sbd_node *n, char *fqdn, size_t cap)
{
	struct sbd_node other;
	char path[PATH_MAX];
	struct stat sb;
	int err, rc = -1;

	if (o->domain != NULL && strcmp(o->domain, n->domain) == 0) {
		warnx_("node %s: the domain is %s already", n->name,
		    n->domain);
		goto out;
	}
	if (o->host != NULL && strcmp(o->host, n->name) == 0) {
		warnx_("node %s: the host name is %s already", n->name,
		    n->name);
		goto out;
	}
	if (o->host != NULL) {
		if ((err = same_host(st, o->host, &other)) == 0) {
			warnx_("node %s: already in the cluster%s%s", o->host,
			    strcmp(other.name, o->host) != 0 ? " as " : "",
			    strcmp(other.name, o->host) != 0 ? other.name : "");
			goto out;
		} else if (err != SBD_ERR_NOTFOUND) {
			store_warn(st, o->dir, "cannot read the nodes", err);
			goto out;
		}
		if (sbd_node_dir(o->dir, o->host, NULL, path,
		    sizeof(path)) != 0) {
			warnx_("%s: path too long", o->dir);
			goto out;
		}
		if (lstat(path, &sb) == 0 || errno != ENOENT) {
			warnx_("%s: exists; remove it or choose another host "
			    "name", path);
			goto out;
		}
	}
	rc = new_fqdn(o, n, fqdn, cap);
out:
	return rc;
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
	X509 *curc = NULL, *c = NULL;
	EVP_PKEY *k = NULL;
	size_t i;
	int err, rc = 0;

	for (i = 0; i < NHOST && rc == 0; i++) {
		err = sbd_store_cert_get(st, n->name, host_roles[i], &cur);
		if (err == SBD_ERR_NOTFOUND)
			continue;
		rc = -1;
		if (err != 0)
			store_warn(st, dir, "cannot read the certificates",
			    err);
		else if (snprintf(curpath, sizeof(curpath), "%s/%s", dir,
		    cur.cert_path) >= (int)sizeof(curpath))
			warnx_("%s: path too long", dir);
		else if (load_cert(curpath, &curc) == 0 &&
		    regen_cert_new(dir, n->name, fqdn, host_roles[i], curc,
		    NULL, &nc->sc[nc->n], nc->path[nc->n],
		    sizeof(nc->path[0]), &c, &k) == 0) {
			nc->n++;
			rc = 0;
		}
		X509_free(curc);
		X509_free(c);
		EVP_PKEY_free(k);
		curc = c = NULL;
		k = NULL;
	}
	return rc;
}

/*
 * One transaction: the new certificates (recorded under the node's
 * current name, so that a rename carries their paths along with the
 * others'), then the new domain, on the node as it is now, or the rename.
 * *gen gets the generation the change made.  What is not committed is
 * rolled back by store_end.
 */
static int
commit_change(struct sbd_store *st, const struct netchg *o,
    const struct sbd_node *n, struct newcerts *nc, int64_t *gen)
{
	struct sbd_node nn;
	char detail[256] = "";
	size_t i, len = 0;
	int err, rc = -1;

	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, o->dir, "cannot begin a transaction", err);
		goto out;
	}
	for (i = 0; i < nc->n; i++) {
		if ((err = sbd_store_cert_add(st, &nc->sc[i])) != 0) {
			store_warn(st, o->dir, "cannot record the certificate",
			    err);
			goto out;
		}
		if (len < sizeof(detail))
			len += (size_t)snprintf(detail + len,
			    sizeof(detail) - len, " %s %s", nc->sc[i].role,
			    nc->sc[i].sha1);
	}
	if (o->domain != NULL) {
		if ((err = sbd_store_node_get(st, n->name, &nn)) == 0) {
			snprintf(nn.domain, sizeof(nn.domain), "%s",
			    o->domain);
			err = sbd_store_node_update(st, &nn);
		}
	} else
		err = sbd_store_node_rename(st, n->name, o->host);
	if (err == SBD_ERR_EXISTS) {
		warnx_("node %s: already in the cluster", o->host);
		goto out;
	} else if (err != 0 || (err = sbd_store_generation(st, gen)) != 0) {
		store_warn(st, o->dir, "cannot change the node", err);
		goto out;
	}
	if (o->domain != NULL)
		err = store_commit(st, o->dir, "cannot change the node",
		    "set network domain", "node %s domain %s (was %s);%s",
		    n->name, o->domain, n->domain, detail);
	else
		err = store_commit(st, o->dir, "cannot change the node",
		    "set network hostname", "node %s is now %s;%s", n->name,
		    o->host, detail);
	if (err == 0) {
		nc->committed = 1;
		rc = 0;
	}
out:
	return rc;
}

/* Why sbd_node_renames_settle failed, for a message. */
static const char *
settle_error(struct sbd_store *st, int err)
{
	if (err == SBD_ERR_EXISTS)
		return "its new directory exists and is not empty";
	if (err == SBD_ERR_IO)
		return strerror(errno);
	return sbd_store_errmsg(st);
}

static int
net_run(const struct netchg *o, const char *nopt)
{
	struct sbd_store *st = NULL;
	struct newcerts nc;
	struct sbd_node n;
	char fqdn[2 * SBD_NAME_MAX];
	const char *what = o->domain != NULL ? "domain" : "host name";
	int64_t gen = 0;
	size_t i;
	int err, rc = 1;

	memset(&nc, 0, sizeof(nc));
	if (open_store(o->dir, 0, &st) != 0)
		goto out;
	/* An earlier rename killed before its directory move comes first. */
	if ((err = sbd_node_renames_settle(st, o->dir)) != 0) {
		warnx_("%s/nodes: cannot finish an earlier rename: %s", o->dir,
		    settle_error(st, err));
		goto out;
	}
	if (admin_node(st, o->dir, nopt, &n) != 0 ||
	    check_change(st, o, &n, fqdn, sizeof(fqdn)) != 0)
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
	if (make_certs(o->dir, &n, fqdn, st, &nc) != 0 ||
	    commit_change(st, o, &n, &nc, &gen) != 0)
		goto out;
	rc = 0;
	if (o->host != NULL) {
		/* Committed: the move can only be finished now, not undone. */
		if ((err = sbd_node_renames_settle(st, o->dir)) != 0) {
			warnx_("%s/nodes/%s: not moved yet (%s); any sbdd, "
			    "or the next set network, moves it", o->dir,
			    n.name, settle_error(st, err));
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
