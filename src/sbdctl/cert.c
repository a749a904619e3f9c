/*
 * sbdctl: certificate verbs -- cert create, show, export-p12, import-p12.
 *
 * Key files are written 0600 and every buffer that held a private key or a
 * password is cleansed before it is freed (DESIGN.md, "Errors, memory,
 * secrets").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include "sbd/json.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

#define P12_MAX		(1024 * 1024)
#define DEFAULT_RSA	2048
#define DEFAULT_DAYS	365
#define FIVE_YEARS	1825	/* CUCM self-signed validity, SPEC.md */
#define MAX_DAYS	36500
#define MAX_TIME	253402300799UL	/* 9999-12-31 23:59:59 UTC */
#define CAPF_HEX	8

/*
 * What CUCM generates for each role.  A CAPF certificate is named
 * "CAPF-" and eight hex digits (seed 001: CAPF-75638ad9); CUCM's
 * derivation is not public, so ours is the first eight lowercase hex
 * digits of SHA-1 of the host name: stable, and distinct per host.
 */
struct cert_role {
	const char *name;
	const char *prefix;	/* CN = prefix + host */
	int hashed;		/* CN = prefix + hex of SHA-1(host) */
	enum sbd_cert_profile profile;
	int days;
};

static const struct cert_role roles[] = {
	{ "callmanager", "", 0, SBD_CERT_SERVER, FIVE_YEARS },
	{ "tvs", "", 0, SBD_CERT_SERVER, FIVE_YEARS },
	{ "capf", "CAPF-", 1, SBD_CERT_CA, FIVE_YEARS },
	{ "itlrecovery", "ITLRECOVERY_", 0, SBD_CERT_CA, FIVE_YEARS },
	{ "device", "", 0, SBD_CERT_DEVICE, DEFAULT_DAYS },
};

static const char *profile_names[] = {
	[SBD_CERT_SERVER] = "server",
	[SBD_CERT_CA] = "ca",
	[SBD_CERT_DEVICE] = "device",
};

static void
free_password(char *pw)
{
	if (pw != NULL) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
}

/*
 * Write the certificate and key as PEM.  Without keypath both go to
 * certpath, certificate first (certutils keeps one PEM per identity), and
 * the file is 0600.  Otherwise the key is written first, so that a new
 * certificate never appears without its key.
 */
int
write_cert_key(const char *certpath, const char *keypath, X509 *c, EVP_PKEY *k,
    int verbose)
{
	BIO *kb = NULL, *cb = NULL;
	char *p;
	long n;
	int rc = -1;

	/* A secure-memory BIO is cleansed when freed. */
	if ((kb = BIO_new(BIO_s_secmem())) == NULL ||
	    (keypath != NULL && (cb = BIO_new(BIO_s_mem())) == NULL)) {
		warnx_("out of memory");
		goto out;
	}
	if ((keypath == NULL && PEM_write_bio_X509(kb, c) != 1) ||
	    PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (cb != NULL && PEM_write_bio_X509(cb, c) != 1)) {
		warnx_("%s: cannot encode PEM", certpath);
		goto out;
	}
	n = BIO_get_mem_data(kb, &p);
	if (write_output(keypath != NULL ? keypath : certpath, p, (size_t)n,
	    0600) != 0)
		goto out;
	if (cb != NULL) {
		n = BIO_get_mem_data(cb, &p);
		if (write_output(certpath, p, (size_t)n, 0644) != 0)
			goto out;
	}
	if (verbose) {
		printf("%s\n", certpath);
		if (keypath != NULL)
			printf("%s\n", keypath);
	}
	rc = 0;
out:
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

const struct cert_role *
cert_role(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(name, roles[i].name) == 0)
			return &roles[i];
	return NULL;
}

int
cert_role_req(const struct cert_role *r, const char *host,
    struct sbd_cert_req *req, char **cn)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned n;
	char *s = NULL;
	int rc = -1;

	if (host == NULL)
		rc = 0;
	else if (!r->hashed) {
		if (asprintf(&s, "%s%s", r->prefix, host) >= 0)
			rc = 0;
	} else if (EVP_Digest(host, strlen(host), md, &n, EVP_sha1(),
	    NULL) == 1) {
		sbd_hex(md, n, hex);
		if (asprintf(&s, "%s%.*s", r->prefix, CAPF_HEX, hex) >= 0)
			rc = 0;
	}
	if (rc == 0) {
		if (s != NULL)
			req->cn = s;
		req->days = r->days;
		req->profile = r->profile;
		*cn = s;
	}
	return rc;
}

static void
create_help(const char *usage)
{
	size_t i;

	printf("usage: %s %s\n\n"
	    "roles (RSA 2048 unless --rsa or --ec):\n", progname, usage);
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		char cn[64];

		snprintf(cn, sizeof(cn), "CN=%s%s", roles[i].prefix,
		    roles[i].hashed ? "<8 hex>" : "HOST");
		printf("  %-12s %-22s profile %-7s %4d days\n",
		    roles[i].name, cn, profile_names[roles[i].profile],
		    roles[i].days);
	}
	printf("\nThe capf CN ends in the first 8 hex digits of SHA-1(HOST).\n"
	    "Without --role: --cn (or --host) is required, profile server, "
	    "%d days.\n"
	    "Without --key-out the key follows the certificate in CERT.pem "
	    "(mode 0600).\n", DEFAULT_DAYS);
}

int
cmd_cert_create(int argc, char **argv)
{
	enum {
		O_KEYOUT = 256, O_ROLE, O_HOST, O_CN, O_OU, O_O, O_L, O_ST,
		O_C, O_DNS, O_RSA, O_EC, O_DAYS, O_PROFILE, O_CA, O_CAKEY,
		O_NB,
	};
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "key-out", required_argument, NULL, O_KEYOUT },
		{ "role", required_argument, NULL, O_ROLE },
		{ "host", required_argument, NULL, O_HOST },
		{ "cn", required_argument, NULL, O_CN },
		{ "ou", required_argument, NULL, O_OU },
		{ "o", required_argument, NULL, O_O },
		{ "l", required_argument, NULL, O_L },
		{ "st", required_argument, NULL, O_ST },
		{ "c", required_argument, NULL, O_C },
		{ "dns", required_argument, NULL, O_DNS },
		{ "rsa", required_argument, NULL, O_RSA },
		{ "ec", required_argument, NULL, O_EC },
		{ "days", required_argument, NULL, O_DAYS },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "ca", required_argument, NULL, O_CA },
		{ "ca-key", required_argument, NULL, O_CAKEY },
		{ "not-before", required_argument, NULL, O_NB },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "cert create -o CERT.pem [--key-out KEY.pem]\n"
	    "       [--role callmanager|tvs|capf|itlrecovery|device] "
	    "[--host NAME]\n"
	    "       [--cn CN] [--ou OU] [--o O] [--l L] [--st ST] [--c C] "
	    "[--dns NAME]\n"
	    "       [--rsa BITS | --ec CURVE] [--days N] "
	    "[--profile server|ca|device]\n"
	    "       [--ca CERT.pem [--ca-key KEY.pem]] "
	    "[--not-before UNIXTIME] [-v]";
	const char *out = NULL, *keyout = NULL, *host = NULL;
	const char *capath = NULL, *cakeypath = NULL;
	const struct cert_role *role = NULL;
	const char *rolename = NULL;
	struct sbd_cert_req req;
	unsigned long ul;
	int ch, err, rc = 1, verbose = 0, rsa = 0, ecnid = NID_undef;
	int days = 0, profile = -1;
	size_t i;
	char *cn = NULL;
	X509 *cert = NULL, *ca = NULL;
	EVP_PKEY *key = NULL, *cakey = NULL;

	memset(&req, 0, sizeof(req));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case O_KEYOUT:
			keyout = optarg;
			break;
		case O_ROLE:
			rolename = optarg;
			if ((role = cert_role(optarg)) == NULL)
				return usage_err(usage, "unknown role: %s",
				    optarg);
			break;
		case O_HOST:
			host = optarg;
			break;
		case O_CN:
			req.cn = optarg;
			break;
		case O_OU:
			req.ou = optarg;
			break;
		case O_O:
			req.o = optarg;
			break;
		case O_L:
			req.l = optarg;
			break;
		case O_ST:
			req.st = optarg;
			break;
		case O_C:
			req.c = optarg;
			break;
		case O_DNS:
			req.dns = optarg;
			break;
		case O_RSA:
			if (parse_uint(optarg, 512, 4096, &ul) != 0)
				return usage_err(usage, "bad --rsa: %s "
				    "(512 to 4096 bits)", optarg);
			rsa = (int)ul;
			break;
		case O_EC:
			if ((ecnid = sbd_curve_nid(optarg)) == NID_undef)
				return usage_err(usage, "bad --ec: %s "
				    "(P-256, P-384 or P-521)", optarg);
			break;
		case O_DAYS:
			if (parse_uint(optarg, 1, MAX_DAYS, &ul) != 0)
				return usage_err(usage, "bad --days: %s "
				    "(1 to %d)", optarg, MAX_DAYS);
			days = (int)ul;
			break;
		case O_PROFILE:
			profile = -1;
			for (i = 0; i < sizeof(profile_names) /
			    sizeof(profile_names[0]); i++)
				if (strcmp(optarg, profile_names[i]) == 0)
					profile = (int)i;
			if (profile < 0)
				return usage_err(usage, "unknown profile: %s",
				    optarg);
			break;
		case O_CA:
			capath = optarg;
			break;
		case O_CAKEY:
			cakeypath = optarg;
			break;
		case O_NB:
			if (parse_uint(optarg, 0, MAX_TIME, &ul) != 0)
				return usage_err(usage, "bad --not-before: %s",
				    optarg);
			req.not_before = (time_t)ul;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			create_help(usage);
			return 0;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (out == NULL)
		return usage_err(usage, "-o CERT.pem is required");
	if (rsa != 0 && ecnid != NID_undef)
		return usage_err(usage, "--rsa and --ec exclude each other");
	if (cakeypath != NULL && capath == NULL)
		return usage_err(usage, "--ca-key needs --ca");
	if (req.c != NULL && strlen(req.c) != 2)
		return usage_err(usage, "bad --c: %s (a two-letter country "
		    "code)", req.c);
	if (keyout != NULL && strcmp(keyout, out) == 0)
		keyout = NULL;	/* one file, as without --key-out */
	if ((req.cn != NULL && req.cn[0] == '\0') ||
	    (host != NULL && host[0] == '\0'))
		return usage_err(usage, "the CN and host must not be empty");
	if (req.cn == NULL) {
		if (role != NULL && host == NULL)
			return usage_err(usage, "--role %s needs --host "
			    "(or --cn)", rolename);
		if (host == NULL)
			return usage_err(usage, "--cn is required (or --role "
			    "with --host)");
		if (role == NULL)
			req.cn = host;
	}
	req.days = DEFAULT_DAYS;
	req.profile = SBD_CERT_SERVER;
	/* The role's presets, then what the options override. */
	if (role != NULL && cert_role_req(role, req.cn == NULL ? host : NULL,
	    &req, &cn) != 0) {
		warnx_("out of memory");
		goto out;
	}
	if (days != 0)
		req.days = days;
	if (profile >= 0)
		req.profile = (enum sbd_cert_profile)profile;

	if (capath != NULL) {
		/* As for --signer elsewhere: the key may share the file. */
		if (load_signer(capath, cakeypath, &ca, &cakey) != 0)
			goto out;
		if (X509_check_ca(ca) == 0) {
			warnx_("%s: not a CA certificate (no CA:TRUE or no "
			    "keyCertSign); create it with --profile ca",
			    capath);
			goto out;
		}
		req.issuer = ca;
		req.issuer_key = cakey;
	}
	err = ecnid != NID_undef ?
	    sbd_key_generate(SBD_KEY_EC, ecnid, &key) :
	    sbd_key_generate(SBD_KEY_RSA, rsa != 0 ? rsa : DEFAULT_RSA, &key);
	if (err != 0) {
		warnx_("%s: cannot generate a key: %s", out,
		    sbd_strerror(err));
		goto out;
	}
	req.key = key;
	err = sbd_cert_create(&req, &cert);
	if (err == SBD_ERR_INVAL) {
		warnx_("%s: cannot create certificate: %s (CN, OU and O hold "
		    "1 to 64 characters, L and ST 1 to 128, no control "
		    "characters; --dns a host name)", out, sbd_strerror(err));
		goto out;
	} else if (err != 0) {
		warnx_("%s: cannot create certificate: %s", out,
		    sbd_strerror(err));
		goto out;
	}
	if (write_cert_key(out, keyout, cert, key, verbose) != 0)
		goto out;
	rc = 0;
out:
	free(cn);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return rc;
}

/* "2024-01-31 12:00:00 UTC" and seconds since the epoch. */
static int
asn1_time(const ASN1_TIME *t, char *buf, size_t bufsz, long long *unix_)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	if (strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		return -1;
	*unix_ = (long long)timegm(&tm);
	return 0;
}

/* Key algorithm, size in bits and, for EC, the NIST curve name. */
static void
key_desc(EVP_PKEY *pk, const char **type, int *bits, char *curve,
    size_t curvesz)
{
	const char *nist;
	size_t n;
	int id = EVP_PKEY_get_base_id(pk);

	curve[0] = '\0';
	*bits = EVP_PKEY_get_bits(pk);
	if (id == EVP_PKEY_RSA) {
		*type = "RSA";
		return;
	}
	if (id != EVP_PKEY_EC) {
		*type = OBJ_nid2sn(id);
		if (*type == NULL)
			*type = "unknown";
		return;
	}
	*type = "EC";
	if (EVP_PKEY_get_group_name(pk, curve, curvesz, &n) != 1) {
		curve[0] = '\0';
		return;
	}
	nist = EC_curve_nid2nist(OBJ_sn2nid(curve));
	if (nist != NULL)
		snprintf(curve, curvesz, "%s", nist);
}

/* Uppercase colon hex, malloc'ed. */
static char *
colon_hex(const uint8_t *p, size_t n)
{
	size_t sz = n * 3 + 1;
	char *s = malloc(sz);

	if (s != NULL)
		hex_colon(p, n, s, sz);
	return s;
}

int
cmd_cert_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "cert show [--json] FILE";
	const char *path, *ktype;
	int ch, json = 0, rc = 1, bits, haskey = 0, matches = 0, isca;
	char *subj = NULL, *iss = NULL, *serial = NULL, *sha1 = NULL;
	char *sha256 = NULL, nb[64], na[64], curve[64], md5[33];
	long long nbu, nau;
	uint8_t *ser = NULL, md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	size_t serlen;
	X509 *c = NULL;
	EVP_PKEY *k = NULL, *pk;
	struct sbd_json j;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	path = argv[optind];
	if (load_cert(path, &c) != 0)
		goto out;
	if ((pk = X509_get0_pubkey(c)) == NULL) {
		warnx_("%s: unusable public key", path);
		goto out;
	}
	/* A certutils PEM may carry the key too; say so, never print it. */
	if (sbd_key_load(path, &k) == 0) {
		haskey = 1;
		matches = sbd_key_matches(c, k);
	}
	if (sbd_dn_string(X509_get_subject_name(c), &subj) != 0 ||
	    sbd_dn_string(X509_get_issuer_name(c), &iss) != 0 ||
	    sbd_x509_serial(c, &ser, &serlen) != 0 ||
	    asn1_time(X509_get0_notBefore(c), nb, sizeof(nb), &nbu) != 0 ||
	    asn1_time(X509_get0_notAfter(c), na, sizeof(na), &nau) != 0) {
		warnx_("%s: malformed certificate", path);
		goto out;
	}
	if ((serial = colon_hex(ser, serlen)) == NULL ||
	    sbd_x509_digest(c, EVP_sha1(), md, &mdlen) != 0 ||
	    (sha1 = colon_hex(md, mdlen)) == NULL ||
	    sbd_x509_digest(c, EVP_sha256(), md, &mdlen) != 0 ||
	    (sha256 = colon_hex(md, mdlen)) == NULL ||
	    sbd_x509_digest(c, EVP_md5(), md, &mdlen) != 0) {
		warnx_("%s: cannot compute fingerprints", path);
		goto out;
	}
	/* certHash of encrypted configs: MD5 of the DER (FORMATS.md 14). */
	sbd_hex(md, mdlen, md5);
	key_desc(pk, &ktype, &bits, curve, sizeof(curve));
	isca = (X509_get_extension_flags(c) & EXFLAG_CA) != 0;

	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_str(&j, "file", path);
		sbd_json_str(&j, "subject", subj);
		sbd_json_str(&j, "issuer", iss);
		sbd_json_str(&j, "serial", serial);
		sbd_json_str(&j, "not_before", nb);
		sbd_json_int(&j, "not_before_unix", nbu);
		sbd_json_str(&j, "not_after", na);
		sbd_json_int(&j, "not_after_unix", nau);
		sbd_json_str(&j, "key_type", ktype);
		sbd_json_int(&j, "key_bits", bits);
		if (curve[0] != '\0')
			sbd_json_str(&j, "curve", curve);
		else
			sbd_json_null(&j, "curve");
		sbd_json_str(&j, "signature_algorithm",
		    OBJ_nid2ln(X509_get_signature_nid(c)));
		sbd_json_bool(&j, "ca", isca);
		sbd_json_str(&j, "sha1", sha1);
		sbd_json_str(&j, "sha256", sha256);
		sbd_json_str(&j, "cert_hash", md5);
		sbd_json_bool(&j, "private_key", haskey);
		if (haskey)
			sbd_json_bool(&j, "private_key_matches", matches);
		else
			sbd_json_null(&j, "private_key_matches");
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else {
		printf("Subject:     %s\n", subj);
		printf("Issuer:      %s\n", iss);
		printf("Serial:      %s\n", serial);
		printf("Not before:  %s\n", nb);
		printf("Not after:   %s\n", na);
		if (curve[0] != '\0')
			printf("Key:         %s %s\n", ktype, curve);
		else
			printf("Key:         %s %d bits\n", ktype, bits);
		printf("Signature:   %s\n",
		    OBJ_nid2ln(X509_get_signature_nid(c)));
		printf("CA:          %s\n", isca ? "yes" : "no");
		printf("SHA-1:       %s\n", sha1);
		printf("SHA-256:     %s\n", sha256);
		printf("certHash:    %s (MD5)\n", md5);
		printf("Private key: %s\n", !haskey ? "no" :
		    matches ? "yes" : "yes, but it does not match");
	}
	rc = 0;
out:
	free(subj);
	free(iss);
	free(ser);
	free(serial);
	free(sha1);
	free(sha256);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int
cmd_cert_export_p12(int argc, char **argv)
{
	enum { O_KEY = 256, O_PWFILE, O_PWENV, O_NAME };
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, O_KEY },
		{ "out", required_argument, NULL, 'o' },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password-env", required_argument, NULL, O_PWENV },
		{ "name", required_argument, NULL, O_NAME },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "cert export-p12 --cert CERT.pem [--key KEY.pem] "
	    "-o OUT.p12\n"
	    "       [--password-file FILE | --password-env VAR] "
	    "[--name FRIENDLY] [-v]";
	const char *certpath = NULL, *keypath = NULL, *out = NULL;
	const char *pwfile = NULL, *pwenv = NULL, *name = NULL;
	char *pw = NULL, *pw2 = NULL;
	uint8_t *p12 = NULL;
	size_t len = 0;
	int ch, err, rc = 1, verbose = 0;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:o:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			certpath = optarg;
			break;
		case O_KEY:
			keypath = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case O_PWFILE:
			pwfile = optarg;
			break;
		case O_PWENV:
			pwenv = optarg;
			break;
		case O_NAME:
			name = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (certpath == NULL)
		return usage_err(usage, "--cert is required");
	if (out == NULL)
		return usage_err(usage, "-o OUT.p12 is required");
	if (pwfile != NULL && pwenv != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	if (load_signer(certpath, keypath, &c, &k) != 0)
		goto out;
	if (read_password(pwfile, pwenv, "Export password: ", &pw) != 0)
		goto out;
	if (pwfile == NULL && pwenv == NULL) {
		/* Typed blind: ask twice, a typo would lock the key away. */
		if (read_password(NULL, NULL, "Verifying - Export password: ",
		    &pw2) != 0)
			goto out;
		if (strcmp(pw, pw2) != 0) {
			warnx_("%s: passwords do not match", out);
			goto out;
		}
	}
	if (pw[0] == '\0') {
		warnx_("%s: refusing an empty password", out);
		goto out;
	}
	err = sbd_p12_export(c, k, pw, name, &p12, &len);
	if (err != 0) {
		warnx_("%s: cannot export: %s", out, sbd_strerror(err));
		goto out;
	}
	/* Encrypted, but still the private key: owner only. */
	if (write_output(out, p12, len, 0600) != 0)
		goto out;
	if (verbose)
		printf("%s\n", out);
	rc = 0;
out:
	free_password(pw);
	free_password(pw2);
	free(p12);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

/*
 * PKCS#12 files from OpenSSL 1.x and older Java encrypt the certificate
 * bag with RC2-40, which OpenSSL 3 keeps in its legacy provider.  Load it
 * (and the default provider, which explicit loading would otherwise
 * displace) only when a file with a good MAC failed to decrypt.
 */
static int
import_legacy(const uint8_t *buf, size_t len, const char *pw, X509 **c,
    EVP_PKEY **k)
{
	OSSL_PROVIDER *def, *legacy;
	int err = SBD_ERR_CRYPTO;

	def = OSSL_PROVIDER_load(NULL, "default");
	legacy = OSSL_PROVIDER_load(NULL, "legacy");
	if (def != NULL && legacy != NULL)
		err = sbd_p12_import(buf, len, pw, c, k);
	if (legacy != NULL)
		OSSL_PROVIDER_unload(legacy);
	if (def != NULL)
		OSSL_PROVIDER_unload(def);
	return err;
}

int
cmd_cert_import_p12(int argc, char **argv)
{
	enum { O_CERTOUT = 256, O_KEYOUT, O_PWFILE, O_PWENV };
	static const struct option opts[] = {
		{ "cert-out", required_argument, NULL, O_CERTOUT },
		{ "key-out", required_argument, NULL, O_KEYOUT },
		{ "password-file", required_argument, NULL, O_PWFILE },
		{ "password-env", required_argument, NULL, O_PWENV },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "cert import-p12 --cert-out CERT.pem "
	    "[--key-out KEY.pem]\n"
	    "       [--password-file FILE | --password-env VAR] [-v] FILE.p12";
	const char *path, *certout = NULL, *keyout = NULL;
	const char *pwfile = NULL, *pwenv = NULL;
	char *pw = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ch, err, rc = 1, verbose = 0;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (ch) {
		case O_CERTOUT:
			certout = optarg;
			break;
		case O_KEYOUT:
			keyout = optarg;
			break;
		case O_PWFILE:
			pwfile = optarg;
			break;
		case O_PWENV:
			pwenv = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE.p12");
	path = argv[optind];
	if (certout == NULL)
		return usage_err(usage, "--cert-out is required");
	if (pwfile != NULL && pwenv != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	if (keyout != NULL && strcmp(keyout, certout) == 0)
		keyout = NULL;
	if (read_input(path, P12_MAX, &buf, &len) != 0)
		goto out;
	if (read_password(pwfile, pwenv, "Import password: ", &pw) != 0)
		goto out;
	err = sbd_p12_import(buf, len, pw, &c, &k);
	if (err == SBD_ERR_CRYPTO)
		err = import_legacy(buf, len, pw, &c, &k);
	if (err == SBD_ERR_PASSWORD) {
		warnx_("%s: wrong password", path);
		goto out;
	} else if (err == SBD_ERR_CRYPTO) {
		warnx_("%s: cannot decrypt: an algorithm this OpenSSL does "
		    "not provide", path);
		goto out;
	} else if (err == SBD_ERR_MISSING) {
		warnx_("%s: no certificate with its private key in the file",
		    path);
		goto out;
	} else if (err != 0) {
		warnx_("%s: not a usable PKCS#12 file: %s", path,
		    sbd_strerror(err));
		goto out;
	}
	if (write_cert_key(certout, keyout, c, k, verbose) != 0)
		goto out;
	rc = 0;
out:
	free_password(pw);
	free(buf);
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}
