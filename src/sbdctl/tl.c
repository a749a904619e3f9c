/*
 * sbdctl: trust-list verbs -- build, show, verify and resign ITL/CTL files.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbd/cluster.h"
#include "sbd/json.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"
#include "admin.h"
#include "sbdctl.h"
#include "show.h"

#define MAX_RECORDS 64

static const char *
kind(int ctl)
{
	return ctl ? "CTL" : "ITL";
}

/* ---- show / verify ---- */

struct loaded {
	uint8_t *buf;
	size_t len;
	struct sbd_tl *tl;
	struct sbd_diag diag;
	int perr;		/* parse result */
};

static int
load_tl(const char *path, unsigned flags, struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	if (read_input(path, SBD_TL_PARSE_MAX, &l->buf, &l->len) != 0)
		return -1;
	l->perr = sbd_tl_parse(l->buf, l->len, flags, &l->tl, &l->diag);
	return 0;
}

static void
unload(struct loaded *l)
{
	sbd_tl_free(l->tl);
	free(l->buf);
}

static void
show_text(const char *path, const struct loaded *l, int ctl, int verr,
    int signer)
{
	char md5[33], sha1[41], mt[64];
	const struct sbd_tl *tl = l->tl;
	size_t i;

	file_digests(l->buf, l->len, md5, sha1);
	file_mtime(path, mt, sizeof(mt));
	printf("The checksum value of the %s file:\n", kind(ctl));
	printf("%s(MD5)\n%s(SHA1)\n\n", md5, sha1);
	printf("Length of %s file: %zu\n", kind(ctl), l->len);
	printf("The %s File was last modified on %s\n\n", kind(ctl), mt);
	printf("Parse %s File\n----------------\n\n", kind(ctl));
	if (l->perr != 0) {
		printf("Error parsing the %s file!!\n", kind(ctl));
		return;
	}
	printf("Version: %u.%u\n", tl->hdr.ver_major, tl->hdr.ver_minor);
	printf("HeaderLength: %u (BYTES)\n\n", tl->hdr.hdr_len);
	show_header_rows(stdout, &tl->hdr);
	for (i = 0; i < tl->nrec; i++) {
		printf("\n%s Record #:%zu\n----\n", kind(ctl), i + 1);
		show_record_rows(stdout, &tl->rec[i]);
		if (tl->rec[i].role == SBD_ROLE_SAST)
			printf("\nThis etoken was %sused to sign the %s file.\n",
			    (int)i == signer ? "" : "not ", kind(ctl));
	}
	printf("\n");
	if (verr == 0)
		printf("The %s file was verified successfully.\n", kind(ctl));
	else
		printf("Verification of the %s file failed.\n", kind(ctl));
}

static void
show_json(const char *path, const struct loaded *l, int ctl, int verr,
    int signer)
{
	struct sbd_json j;
	char md5[33], sha1[41], mt[64];
	size_t i;

	file_digests(l->buf, l->len, md5, sha1);
	file_mtime(path, mt, sizeof(mt));
	sbd_json_init(&j, stdout);
	sbd_json_obj(&j, NULL);
	sbd_json_str(&j, "file", path);
	sbd_json_str(&j, "kind", kind(ctl));
	sbd_json_str(&j, "md5", md5);
	sbd_json_str(&j, "sha1", sha1);
	sbd_json_int(&j, "length", (long long)l->len);
	sbd_json_str(&j, "modified", mt);
	if (l->perr != 0) {
		sbd_json_obj(&j, "error");
		sbd_json_int(&j, "offset", (long long)l->diag.off);
		sbd_json_str(&j, "reason", sbd_strerror(l->perr));
		sbd_json_str(&j, "detail", l->diag.what);
		sbd_json_end(&j);
		sbd_json_bool(&j, "verified", 0);
	} else {
		json_header(&j, "header", &l->tl->hdr);
		sbd_json_arr(&j, "records");
		for (i = 0; i < l->tl->nrec; i++)
			json_record(&j, &l->tl->rec[i]);
		sbd_json_end(&j);
		if (signer >= 0)
			sbd_json_int(&j, "signer_record", signer + 1);
		else
			sbd_json_null(&j, "signer_record");
		sbd_json_bool(&j, "verified", verr == 0);
		if (verr != 0)
			sbd_json_str(&j, "verify_error", sbd_strerror(verr));
	}
	sbd_json_end(&j);
	sbd_json_done(&j);
}

/*
 * The file a node serves, DATA/nodes/NODE/tftp/ITLFile.tlv (CTLFile.tlv),
 * for show without FILE, as CUCM's show itl shows the node's own.
 */
static int
node_file(const char *dopt, const char *nopt, int ctl, char *path,
    size_t cap)
{
	const char *dir = data_dir(dopt);
	struct sbd_store *st = NULL;
	struct sbd_node n;
	struct stat sb;
	int rc = -1;

	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0 ||
	    admin_node(st, dir, nopt, &n) != 0)
		goto out;
	if (sbd_node_dir(dir, n.name, ctl ? "tftp/CTLFile.tlv" :
	    "tftp/ITLFile.tlv", path, cap) != 0) {
		warnx_("%s: path too long", dir);
		goto out;
	}
	if (stat(path, &sb) != 0 && errno == ENOENT) {
		warnx_("%s: no such file (sbdd writes it when it starts on %s)",
		    path, n.name);
		goto out;
	}
	rc = 0;
out:
	sbd_store_close(st);
	return rc;
}

/* Shared by show and verify: the options are the same. */
static int
show_or_verify(int argc, char **argv, int ctl, int verify)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, 'n' },
		{ "cert", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "skip-unknown", no_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = verify ?
	    "verify itl|ctl [--cert CERT.pem] [--json] [-q] FILE" :
	    "show itl|ctl [--cert CERT.pem] [--json] [--skip-unknown] FILE\n"
	    "       show itl|ctl [-d DIR] [--node HOST] [--cert CERT.pem] "
	    "[--json]";
	const char *certpath = NULL, *path, *dopt = NULL, *nopt = NULL;
	char nodepath[PATH_MAX];
	int json = 0, quiet = 0, ch, verr = SBD_ERR_SIG, signer = -1;
	unsigned flags = 0;
	struct loaded l;
	X509 *cert = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:c:jqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case 'n':
			nopt = optarg;
			break;
		case 'c':
			certpath = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'u':
			flags |= SBD_PARSE_SKIP_UNKNOWN;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind == argc && !verify) {
		if (node_file(dopt, nopt, ctl, nodepath, sizeof(nodepath)) != 0)
			return 1;
		path = nodepath;
	} else if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	else if (dopt != NULL || nopt != NULL)
		return usage_err(usage, "-d and --node apply to show without "
		    "FILE");
	else
		path = argv[optind];
	if (certpath != NULL && load_cert(certpath, &cert) != 0)
		return 1;
	if (load_tl(path, flags, &l) != 0) {
		X509_free(cert);
		return 1;
	}
	if (l.perr == 0) {
		int s = sbd_tl_find_signer(l.tl);

		verr = sbd_tl_verify(l.buf, l.len, l.tl, cert, NULL);
		/* The etoken line names the record the header points at. */
		signer = cert != NULL ? (s >= 0 && sbd_sighdr_names_cert(
		    &l.tl->hdr, cert) ? s : -1) : s;
	}
	if (json)
		show_json(path, &l, ctl, verr, signer);
	else if (!verify)
		show_text(path, &l, ctl, verr, signer);
	if (l.perr != 0)
		diag_err(path, &l.diag);
	else if (verr != 0)
		warnx_("%s: %s verification failed: %s", path, kind(ctl),
		    sbd_strerror(verr));
	else if (verify && !json && !quiet)
		printf("%s: verified, signed by %s%s\n", path,
		    l.tl->hdr.signer_name,
		    signer >= 0 ? "" : " (certificate given)");
	unload(&l);
	X509_free(cert);
	return l.perr == 0 && verr == 0 ? 0 : 1;
}

int
cmd_tl_show(int argc, char **argv, int ctl)
{
	return show_or_verify(argc, argv, ctl, 0);
}

int
cmd_tl_verify(int argc, char **argv, int ctl)
{
	return show_or_verify(argc, argv, ctl, 1);
}

/* ---- build ---- */

struct recspec {
	int role;
	char *certpath;		/* NULL: empty record */
	char *dns;
	int has_ip;
	uint8_t ip[4];
};

/* ROLE:CERT[,dns=NAME][,ip=A.B.C.D] */
static int
parse_recspec(char *s, struct recspec *r)
{
	char *colon = strchr(s, ':'), *opt, *save = NULL;

	memset(r, 0, sizeof(*r));
	if (colon == NULL)
		return -1;
	*colon = '\0';
	r->role = sbd_role_parse(s);
	if (r->role < 0)
		return -1;
	opt = strtok_r(colon + 1, ",", &save);
	if (opt == NULL)
		return -1;
	r->certpath = opt;
	while ((opt = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(opt, "dns=", 4) == 0 && opt[4] != '\0')
			r->dns = opt + 4;
		else if (strncmp(opt, "ip=", 3) == 0 &&
		    inet_pton(AF_INET, opt + 3, r->ip) == 1)
			r->has_ip = 1;
		else
			return -1;
	}
	return 0;
}

static int
parse_version(const char *s, uint8_t *maj, uint8_t *min)
{
	if (strcmp(s, "1.0") == 0) {
		*maj = 1;
		*min = 0;
		return 0;
	}
	if (strcmp(s, "1.1") == 0) {
		*maj = 1;
		*min = 1;
		return 0;
	}
	return -1;
}

int
cmd_tl_build(int argc, char **argv, int ctl)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "signer", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "record", required_argument, NULL, 'r' },
		{ "filename", required_argument, NULL, 'f' },
		{ "hash", required_argument, NULL, 'H' },
		{ "signer-version", required_argument, NULL, 'V' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "no-signer-record", no_argument, NULL, 'N' },
		{ "rollback", no_argument, NULL, 'R' },
		{ "empty", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "build itl|ctl -o OUT --signer CERT.pem "
	    "[--key KEY.pem]\n"
	    "       [--record ROLE:CERT.pem[,dns=NAME][,ip=A.B.C.D]]... "
	    "[--filename NAME]\n"
	    "       [--hash sha1|sha512] [--signer-version 1.0|1.1] "
	    "[--timestamp UNIXTIME]\n"
	    "       [--no-signer-record] [--rollback [--empty ROLE]...]";
	struct recspec specs[MAX_RECORDS];
	struct sbd_tl_entry ents[MAX_RECORDS + 1];
	X509 *certs[MAX_RECORDS];
	const char *out = NULL, *signerpath = NULL, *keypath = NULL;
	struct sbd_tl_opts o;
	int nspec = 0, nempty = 0, rollback = 0, nosigner = 0, ch, rc = 1;
	int empty_roles[8];
	size_t n = 0, i, outlen = 0;
	X509 *signer = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *res = NULL;
	unsigned long ul;

	memset(&o, 0, sizeof(o));
	memset(certs, 0, sizeof(certs));
	o.hash = SBD_HASH_SHA1;
	o.filename = ctl ? "CTLFile.tlv" : "ITLFile.tlv";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:s:k:r:f:H:V:t:NRe:h", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 's':
			signerpath = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'r':
			if (nspec == MAX_RECORDS)
				return usage_err(usage, "at most %d records",
				    MAX_RECORDS);
			if (parse_recspec(optarg, &specs[nspec]) != 0)
				return usage_err(usage, "bad --record: %s",
				    optarg);
			nspec++;
			break;
		case 'f':
			o.filename = optarg;
			break;
		case 'H':
			if ((o.hash = parse_hash(optarg)) < 0)
				return usage_err(usage, "bad --hash: %s",
				    optarg);
			break;
		case 'V':
			if (parse_version(optarg, &o.sv_major,
			    &o.sv_minor) != 0)
				return usage_err(usage,
				    "bad --signer-version: %s", optarg);
			o.signer_version = 1;
			break;
		case 't':
			if (parse_uint(optarg, 1, UINT32_MAX, &ul) != 0)
				return usage_err(usage, "bad --timestamp: %s",
				    optarg);
			o.timestamp = (uint32_t)ul;
			break;
		case 'N':
			nosigner = 1;
			break;
		case 'R':
			rollback = 1;
			break;
		case 'e':
			if (nempty == 8)
				return usage_err(usage, "too many --empty");
			if ((empty_roles[nempty++] = sbd_role_parse(
			    optarg)) < 0)
				return usage_err(usage, "bad --empty role: %s",
				    optarg);
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (out == NULL || signerpath == NULL)
		return usage_err(usage, "-o and --signer are required");
	if (nempty > 0 && !rollback)
		return usage_err(usage, "--empty needs --rollback");
	if (rollback && nempty == 0) {
		/* "Empty TVS and TFTP certificate sections" (4.7). */
		empty_roles[nempty++] = SBD_ROLE_TFTP;
		empty_roles[nempty++] = SBD_ROLE_TVS;
	}
	if (load_signer(signerpath, keypath, &signer, &key) != 0)
		goto out;
	for (i = 0; i < (size_t)nspec; i++)
		if (load_cert(specs[i].certpath, &certs[i]) != 0)
			goto out;
	memset(ents, 0, sizeof(ents));
	if (!nosigner) {
		int present = 0;

		for (i = 0; i < (size_t)nspec; i++)
			if (specs[i].role == SBD_ROLE_SAST &&
			    X509_cmp(certs[i], signer) == 0)
				present = 1;
		if (!present) {
			ents[n].role = SBD_ROLE_SAST;
			ents[n++].cert = signer;
		}
	}
	for (i = 0; i < (size_t)nspec; i++) {
		ents[n].role = (uint16_t)specs[i].role;
		ents[n].cert = certs[i];
		ents[n].dns_name = specs[i].dns;
		ents[n].has_ip = specs[i].has_ip;
		memcpy(ents[n].ip, specs[i].ip, 4);
		n++;
	}
	{
		struct sbd_tl_entry all[MAX_RECORDS + 9];
		int err;

		memcpy(all, ents, n * sizeof(ents[0]));
		for (i = 0; i < (size_t)nempty; i++) {
			memset(&all[n + i], 0, sizeof(all[0]));
			all[n + i].role = (uint16_t)empty_roles[i];
		}
		err = sbd_tl_build(&o, all, n + (size_t)nempty, signer, key,
		    &res, &outlen);
		if (err == SBD_ERR_TOOBIG) {
			warnx_("%s: the %s would exceed %d bytes; phones "
			    "refuse lists over 64 KiB", out, kind(ctl),
			    SBD_TL_MAX);
			goto out;
		}
		if (err != 0) {
			warnx_("%s: cannot build the %s: %s", out, kind(ctl),
			    sbd_strerror(err));
			goto out;
		}
	}
	if (write_output(out, res, outlen, 0644) != 0)
		goto out;
	rc = 0;
out:
	free(res);
	for (i = 0; i < (size_t)nspec; i++)
		X509_free(certs[i]);
	X509_free(signer);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- resign ---- */

int
cmd_tl_resign(int argc, char **argv, int ctl)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "signer", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "resign itl|ctl -o OUT --signer CERT.pem "
	    "[--key KEY.pem] [--timestamp UNIXTIME] FILE";
	const char *out = NULL, *signerpath = NULL, *keypath = NULL, *path;
	uint32_t ts = 0;
	uint8_t *buf = NULL, *res = NULL;
	size_t len = 0, outlen = 0;
	X509 *signer = NULL;
	EVP_PKEY *key = NULL;
	struct sbd_diag d;
	struct sbd_tl *tl = NULL;
	unsigned long ul;
	int ch, err, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:s:k:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 's':
			signerpath = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 't':
			if (parse_uint(optarg, 1, UINT32_MAX, &ul) != 0)
				return usage_err(usage, "bad --timestamp: %s",
				    optarg);
			ts = (uint32_t)ul;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	if (out == NULL || signerpath == NULL)
		return usage_err(usage, "-o and --signer are required");
	path = argv[optind];
	if (load_signer(signerpath, keypath, &signer, &key) != 0)
		goto out;
	if (read_input(path, SBD_TL_PARSE_MAX, &buf, &len) != 0)
		goto out;
	memset(&d, 0, sizeof(d));
	err = sbd_tl_resign(buf, len, signer, key, ts, &res, &outlen, &d);
	if (err != 0) {
		if (d.err != 0)
			diag_err(path, &d);
		else
			warnx_("%s: cannot re-sign: %s", path,
			    sbd_strerror(err));
		goto out;
	}
	/* A list its own records cannot verify locks phones out. */
	if (sbd_tl_parse(res, outlen, 0, &tl, NULL) != 0 ||
	    sbd_tl_verify(res, outlen, tl, NULL, NULL) != 0)
		warnx_("%s: warning: the new signer is not a SAST record of "
		    "this %s; phones will not accept it", out, kind(ctl));
	if (write_output(out, res, outlen, 0644) != 0)
		goto out;
	rc = 0;
out:
	sbd_tl_free(tl);
	free(buf);
	free(res);
	X509_free(signer);
	EVP_PKEY_free(key);
	return rc;
}
