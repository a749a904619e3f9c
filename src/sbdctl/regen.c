/*
 * sbdctl: CUCM's administration verbs -- set cert regen, set password
 * security, param set/show, device reset and utils service restart.
 *
 * Every change is one store transaction with its audit entry; files a
 * change needs are written before it under names nothing serves yet, so
 * a command killed at any point leaves the store (the truth) and the
 * files the daemons serve consistent: at worst an orphan file remains.
 * What a node's sbdd serves follows the store; these verbs then wait for
 * the node state to show that it does (admin.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>

#include "sbd/json.h"
#include "sbd/store.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "admin.h"
#include "sbdctl.h"

#define HOLD_S		300	/* the five-minute hold of seed 001 */
#define NAME_TRIES	100	/* ROLE-T.pem, ROLE-T-1.pem, ... */

/* Remove the PATH.new that admin_p12_stage wrote for a failed change. */
static void
unstage(const char *path)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s.new", path);

	if (n >= 0 && (size_t)n < sizeof(tmp) && unlink(tmp) != 0)
		warnx_("%s: cannot remove: %s", tmp, strerror(errno));
}

/* ---- set cert regen -------------------------------------------------- */

/* The roles CUCM regenerates, with their cert_role() presets. */
static const struct {
	const char *role;
	const char *preset;
	int resets;		/* phones reset afterwards (SPEC.md) */
} regen_roles[] = {
	{ SBD_CR_CALLMANAGER, "callmanager", 1 },
	{ SBD_CR_TVS, "tvs", 1 },
	{ SBD_CR_CAPF, "capf", 0 },
	{ SBD_CR_ITLRECOVERY, "itlrecovery", 0 },
};
#define NROLES	(sizeof(regen_roles) / sizeof(regen_roles[0]))

/* The type and size of c's key, for a new key like it. */
static int
key_like(X509 *c, struct keyspec *ks)
{
	EVP_PKEY *pk = X509_get0_pubkey(c);
	char group[64];
	size_t glen = 0;
	int nid;

	if (pk == NULL)
		return -1;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		ks->type = SBD_KEY_RSA;
		ks->param = EVP_PKEY_get_bits(pk);
		return 0;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1 &&
	    (nid = sbd_curve_nid(group)) != NID_undef) {
		ks->type = SBD_KEY_EC;
		ks->param = nid;
		return 0;
	}
	return -1;
}

/* The subject attributes sbd_cert_req can carry, copied out of a Name. */
struct subject {
	char cn[65], ou[65], o[65], l[129], st[129], c[3];
};

static void
subject_field(const X509_NAME *n, int nid, char *buf, size_t cap,
    const char **out)
{
	if (X509_NAME_get_text_by_NID(n, nid, buf, (int)cap) > 0)
		*out = buf;
}

/*
 * ITLRecovery keeps its subject across regenerations: phones hold the
 * publisher's original name in their ITLs (seed 001), so hostname or
 * domain changes must not show in the recovery record.
 */
static void
keep_subject(X509 *c, struct subject *s, struct sbd_cert_req *req)
{
	const X509_NAME *n = X509_get_subject_name(c);

	memset(s, 0, sizeof(*s));
	subject_field(n, NID_commonName, s->cn, sizeof(s->cn), &req->cn);
	subject_field(n, NID_organizationalUnitName, s->ou, sizeof(s->ou),
	    &req->ou);
	subject_field(n, NID_organizationName, s->o, sizeof(s->o), &req->o);
	subject_field(n, NID_localityName, s->l, sizeof(s->l), &req->l);
	subject_field(n, NID_stateOrProvinceName, s->st, sizeof(s->st),
	    &req->st);
	subject_field(n, NID_countryName, s->c, sizeof(s->c), &req->c);
}

/*
 * The hold: no certificate of the node (any role) may be regenerated
 * while its newest one was created less than HOLD_S ago by the cluster
 * clock (sbd_now(), which a test moves ahead to get past the hold).
 * When held, CUCM's message names the newest one's role (seed 001).  0
 * free; -1 held or on a store failure.
 */
static int
check_hold(struct sbd_store *st, const char *dir, const char *node,
    const char *role)
{
	struct sbd_store_cert *certs = NULL;
	size_t n = 0, i, newest = 0;
	int err, rc = -1;

	if ((err = sbd_store_cert_list(st, node, 0, &certs, &n)) != 0) {
		store_warn(st, dir, "cannot read the certificates", err);
		goto out;
	}
	for (i = 1; i < n; i++)
		if (certs[i].created > certs[newest].created ||
		    (certs[i].created == certs[newest].created &&
		    certs[i].id > certs[newest].id))
			newest = i;
	/* A certificate from the future (clock moved back) is recent too. */
	if (n > 0 && sbd_now() - certs[newest].created < HOLD_S) {
		printf("%s certificate was modified in the last 5 minutes. "
		    "Please re-try\nregenerating %s certificate at a later "
		    "time\n", certs[newest].role, role);
		goto out;
	}
	rc = 0;
out:
	free(certs);
	return rc;
}

/*
 * A new file DATA/nodes/NODE/pki/ROLE-T.pem (then -1, -2...) created
 * with O_EXCL, so it is never one that is in use; rel gets its path
 * relative to the data directory, path the full one.
 */
static int
new_cert_file(const char *dir, const char *node, const char *role,
    int64_t t, char *rel, size_t relcap, char *path, size_t cap)
{
	int i, n, fd = -1;

	for (i = 0; i < NAME_TRIES && fd < 0; i++) {
		if (i == 0)
			n = snprintf(rel, relcap, "nodes/%s/pki/%s-%lld.pem",
			    node, role, (long long)t);
		else
			n = snprintf(rel, relcap, "nodes/%s/pki/%s-%lld-%d.pem",
			    node, role, (long long)t, i);
		if (n < 0 || (size_t)n >= relcap ||
		    snprintf(path, cap, "%s/%s", dir, rel) >= (int)cap) {
			warnx_("%s: path too long", dir);
			return -1;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			warnx_("%s: cannot create: %s", path, strerror(errno));
			return -1;
		}
	}
	if (fd < 0) {
		warnx_("%s: no free name after %d tries", path, NAME_TRIES);
		return -1;
	}
	close(fd);
	return 0;
}

/* What set cert regen was asked. */
struct regen {
	const char *dir;
	int role;			/* index in regen_roles */
	const char *pwfile, *pwenv;
	struct keyspec ks;
	int have_ks;			/* --key given; else like the old */
	int yes;
	unsigned wait_s, hook_s;
};

/* The index of role in regen_roles; -1 for one CUCM does not regenerate. */
static int
role_index(const char *role)
{
	size_t i;
	int ri = -1;

	for (i = 0; i < NROLES && ri < 0; i++)
		if (strcmp(regen_roles[i].role, role) == 0)
			ri = (int)i;
	return ri;
}

int
regen_cert_new(const char *dir, const char *node, const char *fqdn,
    const char *role, X509 *cur, const struct keyspec *ksp,
    struct sbd_store_cert *sc, char *path, size_t cap, X509 **cert,
    EVP_PKEY **key)
{
	struct sbd_store_cert row;
	struct sbd_cert_req req;
	struct subject subj;
	struct keyspec ks;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char *cn = NULL, file[PATH_MAX];
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int ri = role_index(role), itlr, err, made = 0, rc = -1;

	memset(&req, 0, sizeof(req));
	memset(&row, 0, sizeof(row));
	if (ri < 0) {
		warnx_("%s: not a certificate that can be regenerated", role);
		goto out;
	}
	itlr = strcmp(role, SBD_CR_ITLRECOVERY) == 0;
	if (ksp != NULL)
		ks = *ksp;
	else if (key_like(cur, &ks) != 0) {
		warnx_("node %s: the %s key is neither RSA nor a known curve; "
		    "use --key", node, role);
		goto out;
	}
	if (cert_role_req(cert_role(regen_roles[ri].preset),
	    itlr ? NULL : fqdn, &req, &cn) != 0) {
		warnx_("out of memory");
		goto out;
	}
	if (itlr)
		keep_subject(cur, &subj, &req);
	if ((err = sbd_key_generate(ks.type, ks.param, &k)) != 0) {
		warnx_("node %s: cannot generate a key: %s", node,
		    sbd_strerror(err));
		goto out;
	}
	req.key = k;
	if ((err = sbd_cert_create(&req, &c)) != 0) {
		warnx_("node %s: cannot create the %s certificate: %s",
		    node, role, sbd_strerror(err));
		goto out;
	}
	if (sbd_x509_digest(c, EVP_sha1(), md, &mdlen) != 0) {
		warnx_("cannot compute the SHA-1 fingerprint");
		goto out;
	}
	snprintf(row.node, sizeof(row.node), "%s", node);
	snprintf(row.role, sizeof(row.role), "%s", role);
	sbd_hex(md, mdlen, row.sha1);
	row.active = 1;
	/* The store stamps the row's creation time itself. */
	if (new_cert_file(dir, node, role, (int64_t)time(NULL),
	    row.cert_path, sizeof(row.cert_path), file, sizeof(file)) != 0)
		goto out;
	made = 1;
	snprintf(row.key_path, sizeof(row.key_path), "%s", row.cert_path);
	if (write_cert_key(file, NULL, c, k, 0) != 0 ||
	    snprintf(path, cap, "%s", file) >= (int)cap)
		goto out;
	*sc = row;
	*cert = c;
	*key = k;
	c = NULL;
	k = NULL;
	made = 0;
	rc = 0;
out:
	if (made)
		(void)unlink(file);
	free(cn);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

/* The success lines of seed 001, word for word. */
static void
regen_done(const char *role)
{
	printf("Successfully Regenerated Certificate for %s.\n"
	    "Please do a backup of the server as soon as possible. "
	    "Failure to do\n"
	    "so can stale the cluster in case of a crash.\n"
	    "You must restart services related to %s for the regenerated\n"
	    "certificates to become active.\n", role, role);
}

/*
 * Every node's ITL holds certificates of other nodes (TVS, CAPF, the
 * publisher's ITLRecovery), so each running sbdd is waited for.
 */
int
regen_wait_nodes(struct sbd_store *st, const char *dir, const char *what,
    int64_t gen, unsigned wait_s)
{
	struct sbd_node *nodes = NULL;
	size_t nn = 0, i;
	int err, rc = 0;

	if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0) {
		store_warn(st, dir, "cannot read the nodes", err);
		return -1;
	}
	for (i = 0; i < nn; i++) {
		if (admin_node_pid(st, nodes[i].name) == 0)
			continue;
		err = admin_wait_gen(st, nodes[i].name, gen, wait_s);
		if (err == 0)
			printf("Node %s serves the new %s.\n", nodes[i].name,
			    what);
		else if (err < 0)
			rc = -1;
	}
	free(nodes);
	return rc;
}

static int
regen_run(const struct regen *r, const char *nopt)
{
	const char *role = regen_roles[r->role].role;
	struct sbd_store *st = NULL;
	struct sbd_store_cert cur, sc;
	struct sbd_node n;
	char path[PATH_MAX], p12path[PATH_MAX], curpath[PATH_MAX];
	char fqdn[2 * SBD_NAME_MAX];
	char *pw = NULL;
	uint8_t *p12 = NULL;
	size_t p12len = 0;
	int64_t gen = 0;
	X509 *curc = NULL, *c = NULL;
	EVP_PKEY *k = NULL;
	int err, made = 0, staged = 0, rc = 1;

	if (open_store(r->dir, 0, &st) != 0 ||
	    admin_node(st, r->dir, nopt, &n) != 0)
		goto out;
	if ((err = sbd_store_cert_get(st, n.name, role, &cur)) ==
	    SBD_ERR_NOTFOUND) {
		warnx_("node %s has no %s certificate", n.name, role);
		goto out;
	} else if (err != 0) {
		store_warn(st, r->dir, "cannot read the certificates", err);
		goto out;
	}
	if (check_hold(st, r->dir, n.name, role) != 0)
		goto out;
	printf("WARNING: This operation will overwrite any CA signed "
	    "certificate\npreviously imported for %s\n", role);
	if (!admin_confirm("Proceed with regeneration (yes|no)? ", r->yes,
	    0)) {
		printf("Certificate regeneration cancelled.\n");
		goto out;
	}
	/* The cluster's key travels in ITLRecovery.p12 (SPEC.md). */
	if (n.publisher && strcmp(role, SBD_CR_ITLRECOVERY) == 0 &&
	    (admin_security_password(st, r->pwfile, r->pwenv,
	    "Enter cluster security password :", &pw) != 0 ||
	    admin_p12_path(r->dir, n.name, p12path, sizeof(p12path)) != 0))
		goto out;
	if (snprintf(curpath, sizeof(curpath), "%s/%s", r->dir,
	    cur.cert_path) >= (int)sizeof(curpath)) {
		warnx_("%s: path too long", r->dir);
		goto out;
	}
	snprintf(fqdn, sizeof(fqdn), "%s%s%s", n.name, n.domain[0] ? "." :
	    "", n.domain);
	if (load_cert(curpath, &curc) != 0 ||
	    regen_cert_new(r->dir, n.name, fqdn, role, curc,
	    r->have_ks ? &r->ks : NULL, &sc, path, sizeof(path), &c, &k) != 0)
		goto out;
	made = 1;
	if (pw != NULL) {
		if ((err = sbd_p12_export(c, k, pw, SBD_CR_ITLRECOVERY, &p12,
		    &p12len)) != 0) {
			warnx_("%s: cannot export: %s", p12path,
			    sbd_strerror(err));
			goto out;
		}
		if (admin_p12_stage(p12path, p12, p12len) != 0)
			goto out;
		staged = 1;
	}
	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, r->dir, "cannot begin a transaction", err);
		goto out;
	}
	/* Again under the write lock: another regen may have won the race. */
	if (check_hold(st, r->dir, n.name, role) != 0)
		goto out;
	if ((err = sbd_store_cert_add(st, &sc)) != 0 ||
	    (err = sbd_store_generation(st, &gen)) != 0) {
		store_warn(st, r->dir, "cannot record the certificate", err);
		goto out;
	}
	if (store_commit(st, r->dir, "cannot record the certificate",
	    "cert regen", "node %s %s sha1 %s in %s", n.name, role, sc.sha1,
	    sc.cert_path) != 0)
		goto out;
	/* Committed: the new files are the current ones now. */
	made = staged = 0;
	if (pw != NULL && admin_p12_commit(p12path) != 0)
		goto out;
	regen_done(role);
	snprintf(fqdn, sizeof(fqdn), "%s certificate", role);
	rc = regen_wait_nodes(st, r->dir, fqdn, gen, r->wait_s) != 0;
	if (regen_roles[r->role].resets) {
		char reason[64];

		snprintf(reason, sizeof(reason), "cert regen %s", role);
		if (admin_reset_devices(st, r->dir, NULL, 0, reason,
		    r->hook_s) < 0)
			rc = 1;
	}
out:
	store_end(st);
	if (made && unlink(path) != 0)
		warnx_("%s: cannot remove: %s", path, strerror(errno));
	if (staged)
		unstage(p12path);
	if (p12 != NULL) {
		OPENSSL_cleanse(p12, p12len);
		free(p12);
	}
	free_secret(pw);
	X509_free(curc);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int
cmd_set_cert_regen(int argc, char **argv)
{
	enum { O_NODE = 256, O_KEY, O_WAIT, O_PWFILE, O_PWENV, O_HOOK };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "yes", no_argument, NULL, 'y' },
		{ "key", required_argument, NULL, O_KEY },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password-env", required_argument, NULL, O_PWENV },
		{ "hook-timeout", required_argument, NULL, O_HOOK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "set cert regen CallManager|TVS|CAPF|ITLRecovery "
	    "[-d DIR] [--node HOST]\n"
	    "       [--yes] [--key rsa:BITS|ec:CURVE] [--wait S] "
	    "[--hook-timeout S]\n"
	    "       [--password-file FILE | --password-env VAR]";
	const char *dopt = NULL, *nopt = NULL;
	struct regen r;
	size_t i;
	int ch;

	memset(&r, 0, sizeof(r));
	r.role = -1;
	r.wait_s = ADMIN_WAIT_S;
	r.hook_s = ADMIN_HOOK_S;
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
			r.yes = 1;
			break;
		case O_KEY:
			if (parse_keyspec(optarg, &r.ks) != 0)
				return usage_err(usage, "bad --key: %s "
				    "(rsa:BITS with 512 to 4096 bits, or "
				    "ec:CURVE)", optarg);
			r.have_ks = 1;
			break;
		case O_WAIT:
			if (admin_parse_secs(usage, "--wait", optarg, 0,
			    &r.wait_s) != 0)
				return EXIT_USAGE;
			break;
		case O_HOOK:
			if (admin_parse_secs(usage, "--hook-timeout", optarg, 1,
			    &r.hook_s) != 0)
				return EXIT_USAGE;
			break;
		case O_PWFILE:
			r.pwfile = optarg;
			break;
		case O_PWENV:
			r.pwenv = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind >= argc || strcmp(argv[optind], "regen") != 0)
		return usage_err(usage, "expected: set cert regen ROLE");
	if (argc - optind != 2)
		return usage_err(usage, argc - optind < 2 ?
		    "expected a ROLE" : "expected one ROLE");
	for (i = 0; i < NROLES; i++)
		if (strcasecmp(argv[optind + 1], regen_roles[i].role) == 0)
			r.role = (int)i;
	if (r.role < 0)
		return usage_err(usage, "unknown role: %s (CallManager, TVS, "
		    "CAPF or ITLRecovery)", argv[optind + 1]);
	if (r.pwfile != NULL && r.pwenv != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	r.dir = data_dir(dopt);
	return regen_run(&r, nopt);
}

/* ---- set password security ------------------------------------------- */

/*
 * The password protects ITLRecovery.p12 (SPEC.md): the file is exported
 * again under the new one and staged, the verifier committed, then the
 * file renamed into place.  Its bytes change, which re-arms sbdd's
 * backup alarm.
 */
static int
password_run(const char *dir, const char *nopt, const char *const src[4])
{
	struct sbd_store *st = NULL;
	struct sbd_cluster cl;
	struct sbd_node n;
	char path[PATH_MAX], *oldpw = NULL, *newpw = NULL;
	uint8_t *p12 = NULL;
	size_t p12len = 0;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int err, staged = 0, rc = 1;

	memset(&cl, 0, sizeof(cl));
	if (open_store(dir, 0, &st) != 0 || admin_node(st, dir, nopt,
	    &n) != 0 || admin_publisher_only(&n) != 0)
		goto out;
	if (admin_security_password(st, src[0], src[1],
	    "Please enter the old password: ", &oldpw) != 0 ||
	    read_new_password(src[2], src[3],
	    "Please enter the new password: ",
	    "Reenter new password to confirm: ", &newpw) != 0)
		goto out;
	if (admin_p12_path(dir, n.name, path, sizeof(path)) != 0 ||
	    admin_p12_load(st, dir, oldpw, &c, &k) != 0)
		goto out;
	if ((err = sbd_p12_export(c, k, newpw, SBD_CR_ITLRECOVERY, &p12,
	    &p12len)) != 0) {
		warnx_("%s: cannot export: %s", path, sbd_strerror(err));
		goto out;
	}
	if (admin_p12_stage(path, p12, p12len) != 0)
		goto out;
	staged = 1;
	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, dir, "cannot begin a transaction", err);
		goto out;
	}
	if ((err = sbd_store_cluster_get(st, &cl)) != 0 ||
	    (err = sbd_password_verifier_new(newpw, &cl)) != 0 ||
	    (err = sbd_store_cluster_update(st, &cl)) != 0) {
		store_warn(st, dir, "cannot change the security password",
		    err);
		goto out;
	}
	if (store_commit(st, dir, "cannot change the security password",
	    "set password security", "ITLRecovery.p12 of %s re-protected",
	    n.name) != 0)
		goto out;
	staged = 0;
	if (admin_p12_commit(path) != 0)
		goto out;
	printf("Password updated successfully.\n");
	rc = 0;
out:
	if (staged)
		unstage(path);
	store_end(st);
	OPENSSL_cleanse(&cl, sizeof(cl));
	if (p12 != NULL) {
		OPENSSL_cleanse(p12, p12len);
		free(p12);
	}
	free_secret(oldpw);
	free_secret(newpw);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int
cmd_set_password_security(int argc, char **argv)
{
	enum { O_NODE = 256, O_OLDFILE, O_OLDENV, O_NEWFILE, O_NEWENV };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "old-password-file", required_argument, NULL, O_OLDFILE },
		{ "old-password-env", required_argument, NULL, O_OLDENV },
		{ "new-password-file", required_argument, NULL, O_NEWFILE },
		{ "new-password-env", required_argument, NULL, O_NEWENV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "set password security [-d DIR] [--node HOST]\n"
	    "       [--old-password-file FILE --new-password-file FILE |\n"
	    "        --old-password-env VAR --new-password-env VAR]";
	/* old file, old env, new file, new env */
	const char *src[4] = { NULL, NULL, NULL, NULL };
	const char *dopt = NULL, *nopt = NULL;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_NODE:
			nopt = optarg;
			break;
		case O_OLDFILE:
		case O_OLDENV:
		case O_NEWFILE:
		case O_NEWENV:
			src[ch - O_OLDFILE] = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind >= argc || strcmp(argv[optind], "security") != 0)
		return usage_err(usage, "expected: set password security");
	if (optind + 1 != argc) {
		optind++;
		return extra_operand(usage, argv);
	}
	if ((src[0] != NULL && src[1] != NULL) ||
	    (src[2] != NULL && src[3] != NULL))
		return usage_err(usage, "a password comes from a file or from "
		    "the environment, not both");
	return password_run(data_dir(dopt), nopt, src);
}

/* ---- param set / show ------------------------------------------------ */

enum param_kind { P_RANGE, P_BOOL, P_TEXT, P_READONLY };

static const struct param {
	const char *name;
	enum param_kind kind;
	unsigned long lo, hi;	/* P_RANGE */
	const char *def;	/* the value sbdd uses when unset; NULL:
				 * none */
} params[] = {
	{ "tvs_ttl", P_RANGE, 1, SBD_TVS_TTL_MAX, "86400" },
	{ "rollback_pre80", P_BOOL, 0, 0, "false" },
	{ "capf_lsc_days", P_RANGE, 1, 3650, "1825" },
	{ "reset_hook", P_TEXT, 0, 0, NULL },
	{ "itlrecovery_backup", P_READONLY, 0, 0, NULL },
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))
#define PARAM_NAMES \
	"tvs_ttl, rollback_pre80, capf_lsc_days, reset_hook, " \
	"itlrecovery_backup"

static const struct param *
param_find(const char *name)
{
	size_t i;

	for (i = 0; i < NPARAMS; i++)
		if (strcmp(name, params[i].name) == 0)
			return &params[i];
	return NULL;
}

/*
 * The value to store for p, canonical (decimal without leading zeros,
 * "true"/"false"); -1 with a usage message when v is not one of p's.
 */
static int
param_value(const char *usage, const struct param *p, const char *v,
    char *out, size_t cap)
{
	unsigned long ul;

	switch (p->kind) {
	case P_RANGE:
		if (parse_uint(v, p->lo, p->hi, &ul) != 0)
			return usage_err(usage, "bad value for %s: %s (%lu to "
			    "%lu)", p->name, v, p->lo, p->hi);
		snprintf(out, cap, "%lu", ul);
		return 0;
	case P_BOOL:
		if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0)
			return usage_err(usage, "bad value for %s: %s (true "
			    "or false)", p->name, v);
		snprintf(out, cap, "%s", strcasecmp(v, "true") == 0 ?
		    "true" : "false");
		return 0;
	case P_TEXT:
		if (strlen(v) >= cap || !printable(v))
			return usage_err(usage, "bad value for %s (at most "
			    "%zu bytes, no control characters)", p->name,
			    cap - 1);
		snprintf(out, cap, "%s", v);
		return 0;
	case P_READONLY:
		break;
	}
	return usage_err(usage, "%s cannot be set", p->name);
}

int
cmd_param_set(int argc, char **argv)
{
	const char *usage = "param set [-d DIR] NAME VALUE\n"
	    "       (NAME: " PARAM_NAMES ")";
	const char *dopt = NULL, *dir;
	const struct param *p;
	struct sbd_store *st = NULL;
	char val[SBD_PARAM_MAX];
	int r, err, rc = 1;

	if ((r = store_opts(argc, argv, usage, &dopt, NULL, NULL)) >= 0)
		return r;
	if (argc - optind != 2)
		return usage_err(usage, "expected NAME VALUE");
	if ((p = param_find(argv[optind])) == NULL)
		return usage_err(usage, "unknown parameter: %s (%s)",
		    argv[optind], PARAM_NAMES);
	if (p->kind == P_READONLY) {
		warnx_("%s is set by file get tftp ITLRecovery.p12", p->name);
		return 1;
	}
	if (param_value(usage, p, argv[optind + 1], val, sizeof(val)) != 0)
		return EXIT_USAGE;
	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	if ((err = sbd_store_param_set(st, p->name, val)) != 0) {
		store_warn(st, dir, "cannot set the parameter", err);
		goto out;
	}
	if (store_commit(st, dir, "cannot set the parameter", "param set",
	    "%s = %s", p->name, val) != 0)
		goto out;
	/* CUCM's name for it; phones take it only when they reset. */
	if (p->kind == P_BOOL)
		printf("Prepare Cluster for Rollback to pre 8.0 = %s: reset "
		    "every device for phones to take it (sbdctl device reset "
		    "--all)\n", strcmp(val, "true") == 0 ? "True" : "False");
	else
		printf("%s = %s\n", p->name, val);
	rc = 0;
out:
	store_end(st);
	return rc;
}

int
cmd_param_show(int argc, char **argv)
{
	const char *usage = "param show [-d DIR] [--json] [NAME]";
	const char *dopt = NULL, *dir;
	const struct param *one = NULL;
	struct sbd_store *st = NULL;
	struct sbd_json j;
	char val[SBD_PARAM_MAX];
	size_t i;
	int r, err, json = 0, set, rc = 1;

	if ((r = store_opts(argc, argv, usage, &dopt, NULL, &json)) >= 0)
		return r;
	if (argc - optind > 1) {
		optind++;
		return extra_operand(usage, argv);
	}
	if (argc - optind == 1 && (one = param_find(argv[optind])) == NULL)
		return usage_err(usage, "unknown parameter: %s (%s)",
		    argv[optind], PARAM_NAMES);
	dir = data_dir(dopt);
	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0)
		goto out;
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_arr(&j, NULL);
	}
	for (i = 0; i < NPARAMS; i++) {
		if (one != NULL && one != &params[i])
			continue;
		err = sbd_store_param_get(st, params[i].name, val,
		    sizeof(val));
		if (err != 0 && err != SBD_ERR_NOTFOUND) {
			store_warn(st, dir, "cannot read the parameters", err);
			goto out;
		}
		set = err == 0;
		if (json) {
			sbd_json_obj(&j, NULL);
			sbd_json_str(&j, "name", params[i].name);
			if (set)
				sbd_json_str(&j, "value", val);
			else
				sbd_json_null(&j, "value");
			if (params[i].def != NULL)
				sbd_json_str(&j, "default", params[i].def);
			else
				sbd_json_null(&j, "default");
			sbd_json_end(&j);
		} else if (set)
			printf("%s = %s\n", params[i].name, val);
		else
			printf("%s = (default %s)\n", params[i].name,
			    params[i].def != NULL ? params[i].def : "none");
	}
	if (json) {
		sbd_json_end(&j);
		sbd_json_done(&j);
	}
	rc = 0;
out:
	sbd_store_close(st);
	return rc;
}

/* ---- device reset ---------------------------------------------------- */

/*
 * The device names of the MACs given, each checked against the store
 * first: an unknown one stops everything before any hook runs.
 */
static int
reset_names(struct sbd_store *st, const char *dir, char **macs, size_t n,
    char ***out)
{
	struct sbd_device d;
	char mac[SBD_MAC_LEN + 1], **v = NULL;
	size_t i;
	int err, rc = -1;

	if ((v = calloc(n, sizeof(*v))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (sbd_mac_parse(macs[i], mac) != 0) {
			warnx_("bad MAC: %s", macs[i]);
			goto out;
		}
		if ((err = sbd_store_device_get(st, mac, &d)) ==
		    SBD_ERR_NOTFOUND) {
			warnx_("device SEP%s not found", mac);
			goto out;
		} else if (err != 0) {
			store_warn(st, dir, "cannot read the devices", err);
			goto out;
		}
		v[i] = strdup(d.name);
		sbd_device_clear(&d);
		if (v[i] == NULL) {
			warnx_("out of memory");
			goto out;
		}
	}
	*out = v;
	v = NULL;
	rc = 0;
out:
	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
	return rc;
}

int
cmd_device_reset(int argc, char **argv)
{
	enum { O_ALL = 256, O_REASON, O_HOOK };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, O_ALL },
		{ "reason", required_argument, NULL, O_REASON },
		{ "hook-timeout", required_argument, NULL, O_HOOK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "device reset [-d DIR] (--all | MAC...) "
	    "[--reason TEXT] [--hook-timeout S]";
	const char *dopt = NULL, *dir, *reason = "device reset";
	struct sbd_store *st = NULL;
	char **names = NULL;
	size_t n = 0, i;
	unsigned hook_s = ADMIN_HOOK_S;
	int ch, all = 0, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_ALL:
			all = 1;
			break;
		case O_REASON:
			if (!printable(optarg) || strlen(optarg) >=
			    SBD_PARAM_MAX)
				return usage_err(usage, "bad --reason (at most "
				    "%d bytes, no control characters)",
				    SBD_PARAM_MAX - 1);
			reason = optarg;
			break;
		case O_HOOK:
			if (admin_parse_secs(usage, "--hook-timeout", optarg, 1,
			    &hook_s) != 0)
				return EXIT_USAGE;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (all == (optind < argc))
		return usage_err(usage, all ? "--all and MACs exclude each "
		    "other" : "expected --all or MACs");
	dir = data_dir(dopt);
	if (open_store(dir, 0, &st) != 0)
		goto out;
	if (!all) {
		n = (size_t)(argc - optind);
		if (reset_names(st, dir, argv + optind, n, &names) != 0)
			goto out;
	}
	rc = admin_reset_devices(st, dir, names, n, reason, hook_s) == 0 ?
	    0 : 1;
out:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	sbd_store_close(st);
	return rc;
}

/* ---- utils service restart "Cisco Tftp" ------------------------------- */

int
cmd_utils_service(int argc, char **argv)
{
	enum { O_NODE = 256, O_WAIT };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "utils service restart \"Cisco Tftp\" [-d DIR] "
	    "[--node HOST] [--wait S]";
	const char *dopt = NULL, *nopt = NULL, *dir;
	struct sbd_store *st = NULL;
	struct sbd_node n;
	int64_t req = 0;
	unsigned wait_s = ADMIN_WAIT_S;
	int ch, err, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_NODE:
			nopt = optarg;
			break;
		case O_WAIT:
			if (admin_parse_secs(usage, "--wait", optarg, 0,
			    &wait_s) != 0)
				return EXIT_USAGE;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind >= argc || strcmp(argv[optind], "restart") != 0)
		return usage_err(usage, "expected: utils service restart "
		    "NAME");
	if (argc - optind != 2)
		return usage_err(usage, "expected one service NAME");
	/* The one service of CUCM's that sbdd stands for. */
	if (strcasecmp(argv[optind + 1], "Cisco Tftp") != 0) {
		printf("Service not found: %s\n", argv[optind + 1]);
		return 1;
	}
	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0 || admin_node(st, dir, nopt,
	    &n) != 0)
		goto out;
	if (!(n.services & SBD_SVC_TFTP)) {
		warnx_("node %s does not run the TFTP service", n.name);
		goto out;
	}
	if ((err = sbd_store_node_restart_tftp(st, n.name, &req)) != 0) {
		store_warn(st, dir, "cannot restart TFTP", err);
		goto out;
	}
	if (store_commit(st, dir, "cannot restart TFTP",
	    "utils service restart", "Cisco Tftp on %s (restart %lld)",
	    n.name, (long long)req) != 0)
		goto out;
	printf("Service Manager is running\nCisco Tftp[STOPPING]\n"
	    "Cisco Tftp[STARTING]\n");
	err = admin_wait_restart(st, n.name, req, wait_s);
	if (err == 0)
		printf("Cisco Tftp[STARTED]\n");
	else if (err == 1)
		printf("Cisco Tftp[NOT RUNNING]: the restart happens when sbdd "
		    "starts on %s\n", n.name);
	rc = err < 0;
out:
	store_end(st);
	return rc;
}
