/*
 * sbdctl: the TVS verbs -- tvs query (a phone's questions to a TVS
 * server, FORMATS.md 7) and trust add, list and remove (the certificates
 * TVS vouches for beyond the cluster's own).
 *
 * tvs query talks to any TVS: sbdd, tvsd or CUCM.  It judges nothing
 * about the server's certificate; it prints it so the caller can compare
 * it with the ITL's TVS record.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "net/net.h"
#include "sbd/json.h"
#include "sbd/sighdr.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/tvs.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

#define TVS_PORT	2445
#define TVS_TIMEOUT_MS	5000
#define TVS_REPEAT_MAX	1000
/* tvsd wants ^CP-[0-9]{4}-SEP[0-9A-F]{12}$ (FORMATS.md 7.4). */
#define TVS_DEVICE	"CP-7900-SEP000000000000"
#define TVS_DEVICE_MAX	64
#define SERIAL_MAX	64	/* bytes; lib/tvs.c accepts no longer */
#define HEADER_READ	65536	/* HEADER_LENGTH is a u16 (FORMATS.md 2.1) */
/* A QUERY answer carries the certificate with STATUS, ROLES and TTL. */
#define TRUST_DER_MAX	(SBD_TVS_BODY_MAX - 64)
#define SHA256_HEX	64

/* ---- tvs query ---------------------------------------------------------- */

struct query {
	const char *host;
	uint16_t port;
	const char *device;
	int legacy;
	unsigned timeout_ms;
	unsigned repeat;
	int json;
	const char *certfile, *signerfile, *out;
	const char *subject, *issuer;	/* explicit QUERY */
	uint8_t serial[SERIAL_MAX];
	size_t serial_len;
	int has_serial;
};

/* "0A:1B:2C", "0a1b2c" or "A1B2C" (a leading zero implied) to bytes. */
static int
parse_serial(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t nd = 0, n = 0, i;
	unsigned v;
	int hi;

	for (i = 0; s[i] != '\0'; i++) {
		if (isxdigit((unsigned char)s[i]))
			nd++;
		else if (s[i] != ':')
			return -1;
	}
	if (nd == 0 || (nd + 1) / 2 > cap)
		return -1;
	/* An odd count: the first digit is a byte of its own. */
	hi = nd % 2 == 0;
	memset(out, 0, cap);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == ':')
			continue;
		v = (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    tolower((unsigned char)s[i]) - 'a' + 10);
		if (hi) {
			out[n] = (uint8_t)(v << 4);
		} else {
			out[n] |= (uint8_t)v;
			n++;
		}
		hi = !hi;
	}
	*len = n;
	return 0;
}

/* A device name as lib/tvs.c accepts it: printable, no blanks. */
static int
device_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > TVS_DEVICE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A DN for the SUBJECT/ISSUER elements: printable and bounded. */
static int
dn_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n + 1 > SBD_TVS_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* The header of a signed file (.sgn, .tlv, .enc.sgn): its first bytes. */
static int
read_header(const char *path, uint8_t **out, size_t *len)
{
	FILE *f;
	uint8_t *buf;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		warnx_("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(HEADER_READ)) == NULL) {
		fclose(f);
		warnx_("out of memory");
		return -1;
	}
	n = fread(buf, 1, HEADER_READ, f);
	if (ferror(f)) {
		warnx_("%s: cannot read: %s", path, strerror(errno));
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

/*
 * The request: VERIFY with --cert's DER, or QUERY with the names and
 * serial of --signer's header or of the explicit options.  *keep holds
 * what req points into (free()); *der OPENSSL_free().
 */
static int
make_request(struct query *q, struct sbd_tvs_msg *req, uint8_t **keep,
    uint8_t **der)
{
	struct sbd_sighdr *h = NULL;
	struct sbd_diag dg;
	uint8_t *buf = NULL;
	size_t len = 0;
	uint32_t session;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	req->version = SBD_TVS_VERSION;
	/* A fresh id each run, so an echo is a real one (FORMATS.md 7.2). */
	if (RAND_bytes((unsigned char *)&session, sizeof(session)) != 1)
		session = 0x3e9;
	req->session = session;
	req->device = q->device;
	req->device_len = strlen(q->device);
	if (q->certfile != NULL) {
		req->cmd = SBD_TVS_VERIFY_REQ;
		if (load_cert_der(q->certfile, der, &len) != 0)
			goto out;
		req->cert = *der;
		req->cert_len = len;
		rc = 0;
		goto out;
	}
	req->cmd = SBD_TVS_QUERY_REQ;
	if (q->signerfile == NULL) {
		req->subject = q->subject;
		req->issuer = q->issuer;
		req->serial = q->serial;
		req->serial_len = q->serial_len;
		rc = 0;
		goto out;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if (read_header(q->signerfile, &buf, &len) != 0)
		goto out;
	if (sbd_sighdr_parse(buf, len, SBD_PARSE_SKIP_UNKNOWN, h, &dg) != 0) {
		diag_err(q->signerfile, &dg);
		goto out;
	}
	if (h->signer_name == NULL || h->serial == NULL ||
	    h->serial_len > SERIAL_MAX || !dn_ok(h->signer_name) ||
	    (h->issuer_name != NULL && !dn_ok(h->issuer_name))) {
		warnx_("%s: the header names no usable signer (name, serial)",
		    q->signerfile);
		goto out;
	}
	req->subject = h->signer_name;
	req->issuer = h->issuer_name;
	req->serial = h->serial;
	req->serial_len = h->serial_len;
	*keep = buf;
	buf = NULL;
	rc = 0;
out:
	free(h);
	free(buf);
	return rc;
}

/* The same as the JSON array "roles". */
static void
roles_json(struct sbd_json *j, const uint8_t *roles, size_t n)
{
	size_t i;

	sbd_json_arr(j, "roles");
	for (i = 0; i < n; i++) {
		if (sbd_role_name(roles[i]) != NULL)
			sbd_json_str(j, NULL, sbd_role_name(roles[i]));
		else
			sbd_json_int(j, NULL, roles[i]);
	}
	sbd_json_end(j);
}

/* Subject, issuer, serial and SHA-1 of a certificate, for printing. */
struct certinfo {
	char *subject, *issuer;
	char serial[3 * SERIAL_MAX + 1];
	char sha1[41];
};

static int
cert_info(X509 *c, struct certinfo *ci)
{
	uint8_t md[EVP_MAX_MD_SIZE], *ser = NULL;
	unsigned mdlen;
	size_t slen;

	memset(ci, 0, sizeof(*ci));
	if (sbd_dn_string(X509_get_subject_name(c), &ci->subject) != 0 ||
	    sbd_dn_string(X509_get_issuer_name(c), &ci->issuer) != 0 ||
	    sbd_x509_serial(c, &ser, &slen) != 0 ||
	    sbd_x509_digest(c, EVP_sha1(), md, &mdlen) != 0) {
		free(ci->subject);
		free(ci->issuer);
		free(ser);
		return -1;
	}
	hex_colon(ser, slen, ci->serial, sizeof(ci->serial));
	sbd_hex(md, mdlen, ci->sha1);
	free(ser);
	return 0;
}

static void
cert_info_clear(struct certinfo *ci)
{
	free(ci->subject);
	free(ci->issuer);
}

static void
json_cert(struct sbd_json *j, const char *key, const struct certinfo *ci)
{
	sbd_json_obj(j, key);
	sbd_json_str(j, "subject", ci->subject);
	sbd_json_str(j, "issuer", ci->issuer);
	sbd_json_str(j, "serial", ci->serial);
	sbd_json_str(j, "sha1", ci->sha1);
	sbd_json_end(j);
}

static void
print_result(const struct query *q, struct sbdn_tls *t,
    const struct certinfo *server, const struct sbd_tvs_msg *req,
    const struct sbd_tvs_msg *res, const struct certinfo *got,
    uint64_t usec)
{
	struct sbd_json j;
	char roles[SBD_TVS_ROLES_MAX * 12];
	const char *cmd = req->cmd == SBD_TVS_VERIFY_REQ ? "VERIFY" : "QUERY";
	int valid = res->status == SBD_TVS_VALID;

	if (q->json) {
		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_obj(&j, "server");
		sbd_json_str(&j, "host", q->host);
		sbd_json_int(&j, "port", q->port);
		sbd_json_str(&j, "tls_version", sbdn_tls_version(t));
		sbd_json_str(&j, "cipher", sbdn_tls_cipher(t));
		if (server != NULL)
			json_cert(&j, "certificate", server);
		else
			sbd_json_null(&j, "certificate");
		sbd_json_end(&j);
		sbd_json_str(&j, "request", cmd);
		sbd_json_str(&j, "device", q->device);
		sbd_json_int(&j, "session", res->session);
		sbd_json_int(&j, "requests", q->repeat);
		sbd_json_int(&j, "usec", (long long)usec);
		sbd_json_str(&j, "verdict", valid ? "valid" : "invalid");
		roles_json(&j, res->roles, res->nroles);
		if (res->has_ttl)
			sbd_json_int(&j, "ttl", res->ttl);
		else
			sbd_json_null(&j, "ttl");
		if (got != NULL)
			json_cert(&j, "certificate", got);
		sbd_json_end(&j);
		sbd_json_done(&j);
		return;
	}
	printf("Server:       %s:%u %s %s\n", q->host, (unsigned)q->port,
	    sbdn_tls_version(t), sbdn_tls_cipher(t));
	if (server != NULL)
		printf("Server cert:  %s SHA-1 %s\n", server->subject,
		    server->sha1);
	else
		printf("Server cert:  none\n");
	printf("Request:      %s as %s\n", cmd, q->device);
	if (q->repeat > 1)
		printf("Requests:     %u on one connection in %llu.%03llu ms\n",
		    q->repeat, (unsigned long long)(usec / 1000),
		    (unsigned long long)(usec % 1000));
	printf("Verdict:      %s\n", valid ? "valid" : "invalid");
	if (res->has_roles) {
		sbd_role_list(res->roles, res->nroles, roles, sizeof(roles));
		printf("Roles:        %s\n", roles);
	}
	if (res->has_ttl)
		printf("TTL:          %u\n", res->ttl);
	if (got != NULL) {
		printf("Certificate:  %s\n", got->subject);
		printf("Issuer:       %s\n", got->issuer);
		printf("Serial:       %s\n", got->serial);
		printf("SHA-1:        %s\n", got->sha1);
	}
}

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Connect, ask q->repeat times, print; 0 valid, 1 otherwise. */
static int
query_run(struct query *q)
{
	struct sbdn_tls_opts o;
	struct sbdn_tls *t = NULL;
	struct sbd_tvs_msg req, res;
	struct certinfo server, got;
	char errbuf[SBDN_ERRBUF];
	uint8_t *keep = NULL, *der = NULL, *buf = NULL;
	uint64_t start;
	unsigned i;
	X509 *peer, *rc_cert = NULL;
	int have_server = 0, have_got = 0, err, rc = 1;

	memset(&res, 0, sizeof(res));
	if (make_request(q, &req, &keep, &der) != 0)
		goto out;
	/* A server that closes first must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = q->timeout_ms;
	o.legacy = q->legacy;
	errbuf[0] = '\0';
	if ((err = sbdn_tls_connect(q->host, q->port, &o, &t, errbuf)) != 0) {
		warnx_("%s:%u: %s", q->host, (unsigned)q->port,
		    errbuf[0] ? errbuf : sbd_strerror(err));
		goto out;
	}
	if ((peer = sbdn_tls_peer(t)) != NULL && cert_info(peer, &server) == 0)
		have_server = 1;
	start = now_usec();
	for (i = 0; i < q->repeat; i++) {
		free(buf);
		buf = NULL;
		errbuf[0] = '\0';
		if ((err = sbdn_tvs_exchange(t, &req, &buf, &res,
		    errbuf)) != 0) {
			warnx_("%s:%u: request %u of %u: %s", q->host,
			    (unsigned)q->port, i + 1, q->repeat,
			    errbuf[0] ? errbuf : sbd_strerror(err));
			goto out;
		}
	}
	if (!res.has_status) {
		warnx_("%s:%u: the answer has no STATUS", q->host,
		    (unsigned)q->port);
		goto out;
	}
	if (res.status == SBD_TVS_VALID && req.cmd == SBD_TVS_QUERY_REQ) {
		if (res.cert == NULL || sbd_x509_from_der(res.cert,
		    res.cert_len, &rc_cert) != 0 ||
		    cert_info(rc_cert, &got) != 0) {
			warnx_("%s:%u: a valid QUERY answer without a usable "
			    "certificate", q->host, (unsigned)q->port);
			goto out;
		}
		have_got = 1;
	}
	print_result(q, t, have_server ? &server : NULL, &req, &res,
	    have_got ? &got : NULL, now_usec() - start);
	if (q->out != NULL) {
		if (rc_cert == NULL) {
			warnx_("%s: not written: TVS returned no certificate",
			    q->out);
			goto out;
		}
		if ((err = sbd_cert_save(q->out, rc_cert)) != 0) {
			warnx_("%s: cannot write: %s", q->out,
			    sbd_strerror(err));
			goto out;
		}
	}
	rc = res.status == SBD_TVS_VALID ? 0 : 1;
out:
	if (have_server)
		cert_info_clear(&server);
	if (have_got)
		cert_info_clear(&got);
	X509_free(rc_cert);
	sbdn_tls_close(t);
	free(buf);
	free(keep);
	OPENSSL_free(der);
	return rc;
}

int
cmd_tvs_query(int argc, char **argv)
{
	enum {
		O_HOST = 256, O_PORT, O_DEVICE, O_LEGACY, O_TIMEOUT, O_JSON,
		O_CERT, O_SIGNER, O_SUBJECT, O_ISSUER, O_SERIAL, O_OUT,
		O_REPEAT,
	};
	static const struct option opts[] = {
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, O_PORT },
		{ "device", required_argument, NULL, O_DEVICE },
		{ "legacy", no_argument, NULL, O_LEGACY },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "json", no_argument, NULL, O_JSON },
		{ "cert", required_argument, NULL, O_CERT },
		{ "signer", required_argument, NULL, O_SIGNER },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "issuer", required_argument, NULL, O_ISSUER },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "out", required_argument, NULL, O_OUT },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "tvs query --host HOST [--port PORT] "
	    "[--device CP-MODEL-SEPMAC]\n"
	    "       [--legacy] [--timeout MS] [--repeat N] [--json]\n"
	    "       (--cert FILE.pem | --signer SIGNED-FILE [--out FILE.pem] "
	    "|\n"
	    "        --serial HEX (--subject DN | --issuer DN | both) "
	    "[--out FILE.pem])";
	struct query q;
	unsigned long ul;
	int ch, forms;

	memset(&q, 0, sizeof(q));
	q.port = TVS_PORT;
	q.device = TVS_DEVICE;
	q.timeout_ms = TVS_TIMEOUT_MS;
	q.repeat = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case O_HOST:
			q.host = optarg;
			break;
		case O_PORT:
			if (parse_uint(optarg, 1, 65535, &ul) != 0)
				return usage_err(usage, "bad --port: %s "
				    "(1..65535)", optarg);
			q.port = (uint16_t)ul;
			break;
		case O_DEVICE:
			if (!device_ok(optarg))
				return usage_err(usage, "bad --device: %s "
				    "(printable, no blanks, at most %d "
				    "characters, e.g. %s)", optarg,
				    TVS_DEVICE_MAX, TVS_DEVICE);
			q.device = optarg;
			break;
		case O_LEGACY:
			q.legacy = 1;
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, 1, 600000, &ul) != 0)
				return usage_err(usage, "bad --timeout: %s "
				    "(1..600000 ms)", optarg);
			q.timeout_ms = (unsigned)ul;
			break;
		case O_JSON:
			q.json = 1;
			break;
		case O_CERT:
			q.certfile = optarg;
			break;
		case O_SIGNER:
			q.signerfile = optarg;
			break;
		case O_SUBJECT:
		case O_ISSUER:
			if (!dn_ok(optarg))
				return usage_err(usage, "bad --%s: %s "
				    "(printable, at most %d characters)",
				    ch == O_SUBJECT ? "subject" : "issuer",
				    optarg, SBD_TVS_NAME_MAX - 1);
			*(ch == O_SUBJECT ? &q.subject : &q.issuer) = optarg;
			break;
		case O_SERIAL:
			if (parse_serial(optarg, q.serial, sizeof(q.serial),
			    &q.serial_len) != 0)
				return usage_err(usage, "bad --serial: %s "
				    "(hex, at most %d bytes)", optarg,
				    SERIAL_MAX);
			q.has_serial = 1;
			break;
		case O_OUT:
			q.out = optarg;
			break;
		case O_REPEAT:
			if (parse_uint(optarg, 1, TVS_REPEAT_MAX, &ul) != 0)
				return usage_err(usage, "bad --repeat: %s "
				    "(1..%d)", optarg, TVS_REPEAT_MAX);
			q.repeat = (unsigned)ul;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (q.host == NULL)
		return usage_err(usage, "--host HOST is required");
	forms = (q.certfile != NULL) + (q.signerfile != NULL) +
	    (q.has_serial || q.subject != NULL || q.issuer != NULL);
	if (forms != 1)
		return usage_err(usage, "give one of --cert, --signer, or "
		    "--serial with --subject/--issuer");
	if (q.certfile == NULL && q.signerfile == NULL && (!q.has_serial ||
	    (q.subject == NULL && q.issuer == NULL)))
		return usage_err(usage, "--serial and --subject or --issuer go "
		    "together");
	if (q.out != NULL && q.certfile != NULL)
		return usage_err(usage, "--out needs a QUERY (--signer or "
		    "--serial); VERIFY returns no certificate");
	return query_run(&q);
}

/* ---- trust add, list, remove ------------------------------------------- */

/* A trusted certificate's roles: the store's count, bounded. */
static size_t
trust_nroles(const struct sbd_trust *t)
{
	return t->nroles < SBD_TRUST_ROLES_MAX ? t->nroles :
	    SBD_TRUST_ROLES_MAX;
}

int
cmd_trust_add(int argc, char **argv)
{
	enum { O_ROLE = 256, O_TTL, O_DESC };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, O_ROLE },
		{ "ttl", required_argument, NULL, O_TTL },
		{ "description", required_argument, NULL, O_DESC },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "trust add [-d DIR] [--role ROLE]... [--ttl S]\n"
	    "       [--description TEXT] FILE.pem";
	const char *dopt = NULL, *dir, *desc = "";
	struct sbd_trust tr;
	struct sbd_store *st = NULL;
	char roles[SBD_TRUST_ROLES_MAX * 12];
	uint8_t md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned long ul;
	size_t len = 0, i;
	char *subject = NULL;
	int ch, r, err, rc = 1;

	memset(&tr, 0, sizeof(tr));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_ROLE:
			/* TVS sends a role as one byte (FORMATS.md 4.3). */
			if ((r = sbd_role_parse(optarg)) < 0 ||
			    r > UINT8_MAX)
				return usage_err(usage, "unknown role: %s "
				    "(SAST, CCM, CCM+TFTP, TFTP, CAPF, "
				    "APP-SERVER, TVS or 0..255)", optarg);
			for (i = 0; i < tr.nroles; i++)
				if (tr.roles[i] == r)
					break;
			if (i < tr.nroles)
				break;
			if (tr.nroles == SBD_TRUST_ROLES_MAX)
				return usage_err(usage, "more than %d roles",
				    SBD_TRUST_ROLES_MAX);
			tr.roles[tr.nroles++] = (uint8_t)r;
			break;
		case O_TTL:
			if (parse_uint(optarg, 1, SBD_TVS_TTL_MAX, &ul) != 0)
				return usage_err(usage, "bad --ttl: %s "
				    "(1..%d seconds)", optarg,
				    SBD_TVS_TTL_MAX);
			tr.ttl = (uint32_t)ul;
			break;
		case O_DESC:
			if (strlen(optarg) >= sizeof(tr.description) ||
			    !printable(optarg))
				return usage_err(usage, "bad --description: "
				    "%s (printable, at most %zu characters)",
				    optarg, sizeof(tr.description) - 1);
			desc = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE.pem");
	if (tr.nroles == 0)
		tr.roles[tr.nroles++] = SBD_ROLE_APP_SERVER;
	snprintf(tr.description, sizeof(tr.description), "%s", desc);
	if (load_cert_der(argv[optind], &der, &len) != 0)
		goto out;
	if ((subject = der_subject(der, len)) == NULL) {
		warnx_("%s: cannot encode the certificate", argv[optind]);
		goto out;
	}
	if (len > TRUST_DER_MAX) {
		warnx_("%s: a %zu-byte certificate does not fit in a TVS "
		    "answer (at most %d bytes)", argv[optind], len,
		    TRUST_DER_MAX);
		goto out;
	}
	tr.der = der;
	tr.der_len = len;
	tr.created = (int64_t)time(NULL);
	if (EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL) != 1) {
		warnx_("%s: cannot compute the SHA-256", argv[optind]);
		goto out;
	}
	sbd_hex(md, 32, tr.sha256);
	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	err = sbd_store_trust_add(st, &tr);
	if (err == SBD_ERR_EXISTS) {
		warnx_("%s: already trusted (%s)", argv[optind], tr.sha256);
		goto out;
	} else if (err != 0) {
		store_warn(st, dir, "cannot add the certificate", err);
		goto out;
	}
	sbd_role_list(tr.roles, tr.nroles, roles, sizeof(roles));
	if (store_commit(st, dir, "cannot add the certificate", "trust add",
	    "%s %s roles %s ttl %u", tr.sha256, subject, roles, tr.ttl) != 0)
		goto out;
	if (tr.ttl != 0)
		printf("trusted %s (%s; roles %s; ttl %u)\n", tr.sha256,
		    subject, roles, tr.ttl);
	else
		printf("trusted %s (%s; roles %s; the cluster's ttl)\n",
		    tr.sha256, subject, roles);
	rc = 0;
out:
	store_end(st);
	free(subject);
	OPENSSL_free(der);
	return rc;
}

int
cmd_trust_list(int argc, char **argv)
{
	const char *usage = "trust list [-d DIR] [--json]";
	const char *dir;
	struct sbd_store *st = NULL;
	struct sbd_trust *tr = NULL;
	struct sbd_json j;
	char roles[SBD_TRUST_ROLES_MAX * 12], ttl[16], *subject;
	size_t n = 0, i;
	int r, err, json = 0, rc = 1;

	if ((r = list_open(argc, argv, usage, &json, &dir, &st)) >= 0)
		return r;
	if ((err = sbd_store_trust_list(st, &tr, &n)) != 0) {
		store_warn(st, dir, "cannot read the trusted certificates",
		    err);
		goto out;
	}
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_arr(&j, NULL);
	} else {
		printf("%-64s  %-16s %-7s %s\n", "SHA-256", "ROLES", "TTL",
		    "SUBJECT / DESCRIPTION");
	}
	for (i = 0; i < n; i++) {
		subject = der_subject(tr[i].der, tr[i].der_len);
		if (json) {
			sbd_json_obj(&j, NULL);
			sbd_json_str(&j, "sha256", tr[i].sha256);
			if (subject != NULL)
				sbd_json_str(&j, "subject", subject);
			else
				sbd_json_null(&j, "subject");
			roles_json(&j, tr[i].roles, trust_nroles(&tr[i]));
			if (tr[i].ttl != 0)
				sbd_json_int(&j, "ttl", tr[i].ttl);
			else
				sbd_json_null(&j, "ttl");
			sbd_json_str(&j, "description", tr[i].description);
			sbd_json_int(&j, "created", tr[i].created);
			sbd_json_end(&j);
		} else {
			sbd_role_list(tr[i].roles, trust_nroles(&tr[i]), roles,
			    sizeof(roles));
			if (tr[i].ttl != 0)
				snprintf(ttl, sizeof(ttl), "%u", tr[i].ttl);
			else
				snprintf(ttl, sizeof(ttl), "-");
			printf("%-64s  %-16s %-7s %s%s%s\n", tr[i].sha256,
			    roles, ttl, subject ? subject : "(unparsable)",
			    tr[i].description[0] ? " / " : "",
			    tr[i].description);
		}
		free(subject);
	}
	if (json) {
		sbd_json_end(&j);
		sbd_json_done(&j);
	}
	rc = 0;
out:
	sbd_trust_list_free(tr, n);
	sbd_store_close(st);
	return rc;
}

int
cmd_trust_remove(int argc, char **argv)
{
	const char *usage = "trust remove [-d DIR] SHA256";
	const char *dopt = NULL;
	char h[SHA256_HEX + 1], absent[SHA256_HEX + 64];
	size_t i;
	int r;

	if ((r = store_opts(argc, argv, usage, &dopt, NULL, NULL)) >= 0)
		return r;
	if (optind != argc - 1)
		return usage_err(usage, "expected one SHA256");
	if (strlen(argv[optind]) != SHA256_HEX ||
	    strspn(argv[optind], "0123456789abcdefABCDEF") != SHA256_HEX)
		return usage_err(usage, "bad SHA256: %s (64 hex digits, as "
		    "trust list prints)", argv[optind]);
	for (i = 0; i <= SHA256_HEX; i++)
		h[i] = (char)tolower((unsigned char)argv[optind][i]);
	snprintf(absent, sizeof(absent), "%s: not a trusted certificate "
	    "(see trust list)", h);
	return store_remove(data_dir(dopt), sbd_store_trust_remove, h, h,
	    absent, "cannot remove the certificate", "trust remove") == 0 ?
	    0 : 1;
}
