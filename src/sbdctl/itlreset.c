/*
 * sbdctl: utils itl reset localkey|remotekey (SPEC.md, "ITL recovery (bulk
 * reset)"; the transcripts of seed 001).  The publisher's current ITL is
 * re-signed by the ITLRecovery key and put in service on every TFTP node
 * until that node's next TFTP restart; phones whose ITL holds the
 * ITLRecovery record accept it when they are reset.
 *
 * The reset ITL of every node and the TFTP restarts that bring it into
 * service are set in one store transaction, so an interrupted reset leaves
 * all nodes or none with it.  Waiting for the nodes comes after.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/cluster.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "admin.h"
#include "sbdctl.h"
#include "sftp.h"

#define P12_MAX		(64 * 1024)	/* a fetched ITLRecovery.p12 */
#define WAIT_DEFAULT	10		/* seconds for each TFTP restart */
#define SHA1_HEX	41

struct reset {
	int remote;
	const char *dopt, *node, *pwfile, *pwenv, *path;
	unsigned wait;
	struct sftp_target t;
	char known_hosts[PATH_MAX];
	char src[PATH_MAX];		/* where the key came from */
};

static int
parse_args(int argc, char **argv, const char *usage, struct reset *o)
{
	enum { O_NODE = 256, O_PWFILE, O_PWENV, O_WAIT };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "port", required_argument, NULL, SFTP_OPT_PORT },
		{ "identity", required_argument, NULL, SFTP_OPT_IDENTITY },
		{ "sftp-password-file", required_argument, NULL,
		    SFTP_OPT_PWFILE },
		{ "sftp-password-env", required_argument, NULL,
		    SFTP_OPT_PWENV },
		{ "accept-host-key", no_argument, NULL, SFTP_OPT_ACCEPT },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password-env", required_argument, NULL, O_PWENV },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r, sftp = 0;

	o->wait = WAIT_DEFAULT;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dopt = optarg;
			break;
		case O_NODE:
			o->node = optarg;
			break;
		case SFTP_OPT_PORT:
		case SFTP_OPT_IDENTITY:
		case SFTP_OPT_PWFILE:
		case SFTP_OPT_PWENV:
		case SFTP_OPT_ACCEPT:
			sftp = 1;
			if ((r = sftp_opt(&o->t, ch, optarg, usage)) != 0)
				return r;
			break;
		case O_PWFILE:
			o->pwfile = optarg;
			break;
		case O_PWENV:
			o->pwenv = optarg;
			break;
		case O_WAIT:
			if (admin_parse_secs(usage, "--wait", optarg, 0,
			    &o->wait) != 0)
				return EXIT_USAGE;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (o->pwfile != NULL && o->pwenv != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	if ((o->t.identity != NULL) + (o->t.password_file != NULL) +
	    (o->t.password_env != NULL) > 1)
		return usage_err(usage, "--identity, --sftp-password-file and "
		    "--sftp-password-env exclude each other");
	if (!o->remote) {
		if (sftp)
			return usage_err(usage, "SFTP options go with "
			    "remotekey");
		return optind != argc ? extra_operand(usage, argv) : -1;
	}
	if (argc - optind != 3)
		return usage_err(usage, "remotekey needs HOST USER PATH");
	o->t.host = argv[optind];
	o->t.user = argv[optind + 1];
	o->path = argv[optind + 2];
	return -1;
}

/*
 * Fetch the ITLRecovery.p12 over SFTP, asking CUCM's "Enter Sftp
 * password :" unless a key or a scripted password is given.
 */
static int
fetch_p12(struct reset *o, const char *dir, uint8_t **p12, size_t *len)
{
	char *pw = NULL;
	int rc = -1;

	if (sftp_known_hosts(&o->t, dir, o->known_hosts,
	    sizeof(o->known_hosts)) != 0 ||
	    sftp_ask_password(&o->t, "Enter Sftp password :", &pw) != 0)
		goto out;
	rc = sftp_get(&o->t, o->path, P12_MAX, p12, len);
out:
	o->t.password = NULL;
	free_secret(pw);
	return rc;
}

/*
 * The ITLRecovery certificate and key: the publisher's file, or the
 * fetched PKCS#12 under the security password.
 */
static int
open_key(struct reset *o, struct sbd_store *st, const char *dir,
    const struct sbd_node *pub, const char *pw, const uint8_t *p12,
    size_t p12len, X509 **cert, EVP_PKEY **key)
{
	int err;

	if (!o->remote) {
		if (admin_p12_path(dir, pub->name, o->src,
		    sizeof(o->src)) != 0)
			return -1;
		return admin_p12_load(st, dir, pw, cert, key) == 0 ? 0 : -1;
	}
	snprintf(o->src, sizeof(o->src), "%s:%s", o->t.host, o->path);
	if ((err = sbd_p12_import(p12, p12len, pw, cert, key)) != 0) {
		warnx_("%s: cannot open: %s", o->src,
		    err == SBD_ERR_PASSWORD ? "wrong password (the cluster "
		    "security password protects ITLRecovery.p12)" :
		    sbd_strerror(err));
		return -1;
	}
	return 0;
}

/*
 * The publisher's current ITL: the file its sbdd serves, when there is
 * one that parses, else the one the store makes for it.
 */
static int
current_itl(struct sbd_store *st, const char *dir, const char *pub,
    uint8_t **out, size_t *len)
{
	char path[PATH_MAX];
	struct sbd_tl *tl = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	int err;

	if (sbd_node_dir(dir, pub, "tftp/ITLFile.tlv", path,
	    sizeof(path)) == 0 &&
	    sbd_read_file(path, SBD_TL_PARSE_MAX, &buf, &n) == 0 &&
	    sbd_tl_parse(buf, n, 0, &tl, NULL) == 0) {
		sbd_tl_free(tl);
		*out = buf;
		*len = n;
		return 0;
	}
	free(buf);
	if ((err = sbd_cluster_build_itl(st, dir, pub, NULL, out,
	    len)) != 0) {
		warnx_("node %s: cannot build its ITL: %s", pub,
		    sbd_strerror(err));
		return -1;
	}
	return 0;
}

/*
 * Is cert the ITLRecovery record of the ITL, that is the publisher's
 * active ITLRecovery certificate and a SAST record of itl?  Phones accept
 * the reset ITL only from that key (SPEC.md, "ITL recovery").
 */
static int
key_in_itl(struct sbd_store *st, const char *dir, const char *pub,
    X509 *cert, const uint8_t *itl, size_t len, int *yes)
{
	struct sbd_store_cert sc;
	struct sbd_tl *tl = NULL;
	uint8_t md[EVP_MAX_MD_SIZE], *der = NULL;
	char hex[SHA1_HEX];
	unsigned mdlen;
	size_t dlen = 0, i;
	int err, rc = -1;

	*yes = 0;
	if ((err = sbd_store_cert_get(st, pub, SBD_CR_ITLRECOVERY,
	    &sc)) != 0) {
		store_warn(st, dir, "cannot read the ITLRecovery certificate",
		    err);
		goto out;
	}
	if (sbd_x509_der(cert, &der, &dlen) != 0 ||
	    sbd_x509_digest(cert, EVP_sha1(), md, &mdlen) != 0) {
		warnx_("cannot encode the ITLRecovery certificate");
		goto out;
	}
	if ((err = sbd_tl_parse(itl, len, 0, &tl, NULL)) != 0) {
		warnx_("node %s: its ITL does not parse: %s", pub,
		    sbd_strerror(err));
		goto out;
	}
	sbd_hex(md, mdlen, hex);
	rc = 0;
	if (CRYPTO_memcmp(hex, sc.sha1, SHA1_HEX - 1) != 0)
		goto out;
	for (i = 0; i < tl->nrec && !*yes; i++)
		*yes = tl->rec[i].has_role &&
		    tl->rec[i].role == SBD_ROLE_SAST &&
		    tl->rec[i].cert_len == dlen &&
		    memcmp(tl->rec[i].cert, der, dlen) == 0;
out:
	sbd_tl_free(tl);
	OPENSSL_free(der);
	return rc;
}

/* The nodes with the TFTP service, publisher first; *out malloc'ed. */
static int
tftp_nodes(struct sbd_store *st, const char *dir, struct sbd_node **out,
    size_t *n)
{
	struct sbd_node *nodes = NULL;
	size_t nn = 0, i, k = 0;
	int err;

	if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0) {
		store_warn(st, dir, "cannot read the nodes", err);
		return -1;
	}
	for (i = 0; i < nn; i++)
		if (nodes[i].services & SBD_SVC_TFTP)
			nodes[k++] = nodes[i];
	*out = nodes;
	*n = k;
	return 0;
}

/*
 * Inside the transaction: check the key against the current ITL, make the
 * reset ITL and give it to every TFTP node with a TFTP restart of its
 * own (req[i]).  sha1 gets the reset ITL's SHA-1.
 */
static int
stage_reset(struct reset *o, struct sbd_store *st, const char *dir,
    const char *pub, X509 *cert, EVP_PKEY *key, const struct sbd_node *tn,
    size_t ntn, int64_t *req, char sha1[SHA1_HEX])
{
	struct sbd_diag d;
	uint8_t *itl = NULL, *res = NULL, md[EVP_MAX_MD_SIZE];
	size_t len = 0, rlen = 0, i;
	unsigned mdlen;
	int err, yes, rc = -1;

	if (current_itl(st, dir, pub, &itl, &len) != 0 ||
	    key_in_itl(st, dir, pub, cert, itl, len, &yes) != 0)
		goto out;
	if (!yes) {
		warnx_("%s: this ITLRecovery key is not the one in the "
		    "cluster's ITL; phones would refuse the reset ITL",
		    o->src);
		goto out;
	}
	memset(&d, 0, sizeof(d));
	if ((err = sbd_tl_resign(itl, len, cert, key, 0, &res, &rlen,
	    &d)) != 0) {
		warnx_("node %s: cannot re-sign its ITL: %s", pub,
		    d.err != 0 ? d.what : sbd_strerror(err));
		goto out;
	}
	if (EVP_Digest(res, rlen, md, &mdlen, EVP_sha1(), NULL) != 1) {
		warnx_("cannot compute the reset ITL's SHA-1");
		goto out;
	}
	sbd_hex(md, mdlen, sha1);
	printf("The reset ITL file was generated successfully\n\n"
	    "Transferring new reset ITL file to the TFTP server nodes in the "
	    "cluster.....\n\n");
	for (i = 0; i < ntn; i++)
		if ((err = sbd_store_node_restart_tftp(st, tn[i].name,
		    &req[i])) != 0 ||
		    (err = sbd_store_itl_reset_set(st, tn[i].name, res, rlen,
		    req[i])) != 0) {
			store_warn(st, dir, "cannot set the reset ITL", err);
			goto out;
		}
	rc = 0;
out:
	free(itl);
	free(res);
	return rc;
}

/* The transcript's per-node lines, each after that node's restart. */
static int
wait_nodes(const struct reset *o, struct sbd_store *st,
    const struct sbd_node *tn, size_t ntn, const int64_t *req)
{
	size_t i;
	int r, rc = 0;

	for (i = 0; i < ntn; i++) {
		if (!tn[i].publisher)
			printf("Successfully transferred reset ITL to node "
			    "%s\n\n", tn[i].name);
		printf("Restarting Cisco Tftp service on host %s\n",
		    tn[i].name);
		fflush(stdout);
		r = admin_wait_restart(st, tn[i].name, req[i], o->wait);
		if (r == 0)
			printf("Cisco Tftp service restarted on host %s\n",
			    tn[i].name);
		else if (r == 1)
			printf("Cisco Tftp service is not running on host %s: "
			    "it serves the reset ITL when it starts\n",
			    tn[i].name);
		else
			rc = -1;
	}
	return rc;
}

int
cmd_utils_itl_reset(int argc, char **argv)
{
	const char *usage = "utils itl reset localkey [-d DIR] [--node HOST] "
	    "[--wait S]\n"
	    "       [--password-file F | --password-env V]\n"
	    "   or: utils itl reset remotekey HOST USER PATH [-d DIR] "
	    "[--node HOST] [--port N]\n"
	    "       [--identity KEY | --sftp-password-file F | "
	    "--sftp-password-env V]\n"
	    "       [--accept-host-key] [--password-file F | "
	    "--password-env V] [--wait S]";
	const char *dir;
	struct reset o;
	struct sbd_store *st = NULL;
	struct sbd_node self, *tn = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *p12 = NULL;
	int64_t *req = NULL;
	char *pw = NULL, sha1[SHA1_HEX], p12path[PATH_MAX];
	size_t p12len = 0, ntn = 0, i;
	int r, rc = 1, staged = 0, committed = 0;

	memset(&o, 0, sizeof(o));
	if (argc < 3 || strcmp(argv[1], "reset") != 0 ||
	    (strcmp(argv[2], "localkey") != 0 &&
	    strcmp(argv[2], "remotekey") != 0)) {
		if (argc >= 2 && (strcmp(argv[argc - 1], "--help") == 0 ||
		    strcmp(argv[argc - 1], "-h") == 0)) {
			printf("usage: %s %s\n", progname, usage);
			return 0;
		}
		return usage_err(usage, "expected reset localkey or reset "
		    "remotekey");
	}
	o.remote = strcmp(argv[2], "remotekey") == 0;
	if ((r = parse_args(argc - 2, argv + 2, usage, &o)) >= 0)
		return r;
	dir = data_dir(o.dopt);
	if (open_store(dir, 0, &st) != 0)
		goto out;
	if (admin_node(st, dir, o.node, &self) != 0 ||
	    admin_publisher_only(&self) != 0)
		goto out;
	if (o.remote && fetch_p12(&o, dir, &p12, &p12len) != 0)
		goto out;
	/*
	 * CUCM asks "Enter CCM Administrator password :"; here the key is
	 * opened with the password that protects ITLRecovery.p12.
	 */
	if (admin_security_password(st, o.pwfile, o.pwenv,
	    "Enter cluster security password :", &pw) != 0 ||
	    open_key(&o, st, dir, &self, pw, p12, p12len, &cert, &key) != 0)
		goto out;

	printf("\nLocating active Tftp servers in the cluster.....\n\n");
	if (tftp_nodes(st, dir, &tn, &ntn) != 0)
		goto out;
	printf("Following is the list of Active tftp servers in the "
	    "cluster\n\n[");
	for (i = 0; i < ntn; i++)
		printf("%s'%s'", i ? ", " : "", tn[i].name);
	printf("]\n");
	if ((req = calloc(ntn ? ntn : 1, sizeof(*req))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if ((r = sbd_store_begin(st)) != 0) {
		store_warn(st, dir, "cannot begin a transaction", r);
		goto out;
	}
	if (stage_reset(&o, st, dir, self.name, cert, key, tn, ntn, req,
	    sha1) != 0)
		goto out;
	/* CUCM's note: the remote key then replaces the local one. */
	if (o.remote) {
		if (admin_p12_path(dir, self.name, p12path,
		    sizeof(p12path)) != 0 ||
		    admin_p12_stage(p12path, p12, p12len) != 0)
			goto out;
		staged = 1;
	}
	if (store_commit(st, dir, "cannot commit the reset ITL",
	    "utils itl reset", "%s%.64s%s%.64s%s%.200s: reset ITL %s on %zu "
	    "TFTP node%s", o.remote ? "remotekey " : "localkey",
	    o.remote ? o.t.user : "", o.remote ? "@" : "",
	    o.remote ? o.t.host : "", o.remote ? ":" : "",
	    o.remote ? o.path : "", sha1, ntn, ntn == 1 ? "" : "s") != 0)
		goto out;
	committed = 1;
	if (staged && admin_p12_commit(p12path) != 0)
		goto out;
	if (wait_nodes(&o, st, tn, ntn, req) != 0)
		goto out;
	printf("\nReset the phones to make them load it: sbdctl device reset "
	    "--all\n");
	rc = 0;
out:
	/* A key staged for a change that was not committed goes. */
	if (staged && rc != 0 && !committed) {
		snprintf(p12path + strlen(p12path), sizeof(p12path) -
		    strlen(p12path), ".new");
		unlink(p12path);
	}
	store_end(st);
	free_secret(pw);
	if (p12 != NULL) {
		OPENSSL_cleanse(p12, p12len);
		free(p12);
	}
	free(req);
	free(tn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
