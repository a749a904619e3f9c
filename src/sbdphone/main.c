/*
 * sbdphone: a Cisco IP phone's trust behaviour on the command line.
 *
 *   sbdphone init DIR --mac MAC [--model M] [--mic]
 *   sbdphone boot DIR --tftp HOST[:PORT] [--http-port P]
 *            [--proto tftp|http] [--timeout MS] [--json]
 *   sbdphone https DIR URL [--out FILE] [--timeout MS]
 *   sbdphone capf DIR [--host H --port P] [--password S]
 *            [--auth password|null|lsc|mic] [--timeout MS] [--tls1]
 *   sbdphone status DIR [--json]
 *   sbdphone fleet --count N --concurrency C --tftp HOST[:PORT] --dir BASE
 *            [--mac-base HEX12] [--model M] [--http-port P]
 *            [--proto tftp|http] [--timeout MS] [--json]
 *
 * Exit 0 on success, 1 on failure, 2 on a usage error.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <openssl/evp.h>

#include "sbd/json.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdphone/internal.h"

#define EXIT_USAGE	2
#define PORT_TFTP	69
#define PORT_HTTP	6970
#define DEFAULT_MODEL	"CP-8845"
#define DEFAULT_MACBASE	0x001122000000ULL
#define TIMEOUT_MAX	600000
#define STATUS_MAX	(PHONE_STATUS_MAX * 256)

static const char *progname = "sbdphone";

static int __attribute__((format(printf, 2, 3)))
usage_err(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s %s\n", progname, usage);
	return EXIT_USAGE;
}

/*
 * The default case of a command's option switch: --help prints the
 * usage, anything else getopt_long did not take is a usage error naming
 * argv[optind - 1].
 */
static int
opt_default(const char *usage, char **argv, int ch)
{
	if (ch == 'h') {
		printf("usage: %s %s\n", progname, usage);
		return 0;
	}
	return usage_err(usage, "unknown option or missing argument: %s",
	    argv[optind - 1]);
}

/* HOST[:PORT] or [V6]:PORT into host (cap bytes) and *port. */
static int
parse_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
	const char *colon, *h = s, *end;
	unsigned long p;
	size_t n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		h = s + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(s, ':');
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL;	/* a bare IPv6 literal */
		end = colon != NULL ? colon : s + strlen(s);
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= cap)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon != NULL) {
		if (phone_parse_ulong(colon + 1, 1, 65535, &p) != 0)
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

/* The phone in dir; messages name it.  0, or 1 (the exit code). */
static int
load_phone(const char *dir, struct phone **out)
{
	int err = phone_load(dir, out);

	if (err == SBD_ERR_NOTFOUND)
		fprintf(stderr, "%s: %s: no phone here (no phone.conf; see "
		    "sbdphone init)\n", progname, dir);
	else if (err != 0)
		fprintf(stderr, "%s: %s: cannot load the phone: %s\n",
		    progname, dir, sbd_strerror(err));
	return err != 0 ? 1 : 0;
}

/* ---- init ------------------------------------------------------------- */

static int
cmd_init(int argc, char **argv)
{
	static const char usage[] =
	    "init DIR --mac MAC [--model MODEL] [--mic]";
	static const struct option opts[] = {
		{ "mac", required_argument, NULL, 'm' },
		{ "model", required_argument, NULL, 'M' },
		{ "mic", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mac = NULL, *model = DEFAULT_MODEL;
	char norm[SBD_MAC_LEN + 1];
	int ch, mic = 0, err;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			mac = optarg;
			break;
		case 'M':
			model = optarg;
			break;
		case 'c':
			mic = 1;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (argc - optind != 1)
		return usage_err(usage, "one state directory expected");
	if (mac == NULL)
		return usage_err(usage, "--mac is required");
	if (sbd_mac_parse(mac, norm) != 0)
		return usage_err(usage, "bad --mac: %s (12 hex digits, or "
		    "SEP<MAC>)", mac);
	if (model[0] == '\0' || strlen(model) >= SBD_MODEL_MAX)
		return usage_err(usage, "bad --model: %s", model);
	if ((err = phone_init(argv[optind], norm, model, mic)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, argv[optind],
		    err == SBD_ERR_EXISTS ? "a phone is already there" :
		    sbd_strerror(err));
		return 1;
	}
	printf("phone SEP%s (%s) in %s%s\n", norm, model, argv[optind],
	    mic ? ", with a MIC" : "");
	return 0;
}

/* ---- boot ------------------------------------------------------------- */

/* The long options of the commands. */
enum {
	O_TFTP = 256, O_HTTPPORT, O_PROTO, O_TIMEOUT, O_JSON, O_OUT, O_HOST,
	O_PORT, O_PASSWORD, O_AUTH, O_TLS1, O_COUNT, O_CONC, O_DIR,
	O_MACBASE, O_MODEL,
};

/* The options of a boot, which boot and fleet share (boot_option). */
#define BOOT_OPTIONS \
	{ "tftp", required_argument, NULL, O_TFTP }, \
	{ "http-port", required_argument, NULL, O_HTTPPORT }, \
	{ "proto", required_argument, NULL, O_PROTO }, \
	{ "timeout", required_argument, NULL, O_TIMEOUT }

struct bootargs {
	char host[SBD_NAME_MAX];
	int have_host;
	struct phone_boot_opts o;
};

/* One of BOOT_OPTIONS: 0 taken, 1 not one of them, 2 a usage error. */
static int
boot_option(const char *usage, int ch, struct bootargs *a)
{
	unsigned long v;

	switch (ch) {
	case O_TFTP:
		if (parse_hostport(optarg, a->host, sizeof(a->host),
		    &a->o.tftp_port) != 0)
			return usage_err(usage, "bad --tftp: %s (HOST or "
			    "HOST:PORT)", optarg);
		a->have_host = 1;
		return 0;
	case O_HTTPPORT:
		if (phone_parse_ulong(optarg, 1, 65535, &v) != 0)
			return usage_err(usage, "bad --http-port: %s (1 to "
			    "65535)", optarg);
		a->o.http_port = (uint16_t)v;
		return 0;
	case O_PROTO:
		if (strcmp(optarg, "tftp") == 0)
			a->o.proto = PHONE_PROTO_TFTP;
		else if (strcmp(optarg, "http") == 0)
			a->o.proto = PHONE_PROTO_HTTP;
		else
			return usage_err(usage, "bad --proto: %s (tftp or "
			    "http)", optarg);
		return 0;
	case O_TIMEOUT:
		if (phone_parse_ulong(optarg, 1, TIMEOUT_MAX, &v) != 0)
			return usage_err(usage, "bad --timeout: %s (1 to %d "
			    "ms)", optarg, TIMEOUT_MAX);
		a->o.timeout_ms = (unsigned)v;
		return 0;
	default:
		return 1;
	}
}

static void
bootargs_init(struct bootargs *a)
{
	memset(a, 0, sizeof(*a));
	a->o.host = a->host;
	a->o.tftp_port = PORT_TFTP;
	a->o.http_port = PORT_HTTP;
	a->o.timeout_ms = PHONE_TIMEOUT_MS;
}

static void
boot_json(const struct phone *ph, const struct phone_boot_res *r)
{
	struct sbd_json j;
	char dev[SBD_DEVNAME_MAX + 1];
	size_t i;

	phone_devname(ph, dev, sizeof(dev));
	sbd_json_init(&j, stdout);
	sbd_json_obj(&j, NULL);
	sbd_json_str(&j, "device", dev);
	sbd_json_str(&j, "result", phone_result_name(r->result));
	if (r->result != PHONE_OK)
		sbd_json_str(&j, "why", r->why);
	sbd_json_int(&j, "ms", (long long)r->ms);
	sbd_json_arr(&j, "files");
	for (i = 0; i < r->nfile; i++) {
		sbd_json_obj(&j, NULL);
		sbd_json_str(&j, "name", r->file[i].name);
		sbd_json_bool(&j, "fetched", r->file[i].got);
		sbd_json_int(&j, "bytes", (long long)r->file[i].len);
		sbd_json_str(&j, "verdict", r->file[i].verdict);
		sbd_json_end(&j);
	}
	sbd_json_end(&j);
	sbd_json_bool(&j, "reported", r->reported);
	if (!r->reported)
		sbd_json_str(&j, "report_error", r->report_why);
	sbd_json_end(&j);
	sbd_json_done(&j);
}

static void
boot_text(const struct phone *ph, const struct phone_boot_res *r)
{
	size_t i;

	printf("SEP%s boot: %s (%llu ms)%s%s\n", ph->mac,
	    phone_result_name(r->result), (unsigned long long)r->ms,
	    r->result != PHONE_OK ? ": " : "",
	    r->result != PHONE_OK ? r->why : "");
	for (i = 0; i < r->nfile; i++) {
		if (r->file[i].got)
			printf("  %-32s %7zu bytes  %s\n", r->file[i].name,
			    r->file[i].len, r->file[i].verdict);
		else
			printf("  %-32s %13s  %s\n", r->file[i].name, "",
			    r->file[i].verdict);
	}
	if (r->reported)
		printf("  DeviceTLInfo reported\n");
	else if (r->report_why[0] != '\0')
		printf("  DeviceTLInfo not reported: %s\n", r->report_why);
}

static int
cmd_boot(int argc, char **argv)
{
	static const char usage[] =
	    "boot DIR --tftp HOST[:PORT] [--http-port P] [--proto tftp|http]\n"
	    "       [--timeout MS] [--json]";
	static const struct option opts[] = {
		BOOT_OPTIONS,
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bootargs a;
	struct phone_boot_res *r = NULL;
	struct phone *ph = NULL;
	int ch, json = 0, err, rc = 1;

	bootargs_init(&a);
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == O_JSON)
			json = 1;
		else if ((err = boot_option(usage, ch, &a)) == 1)
			return opt_default(usage, argv, ch);
		else if (err != 0)
			return err;
	}
	if (argc - optind != 1)
		return usage_err(usage, "one state directory expected");
	if (!a.have_host)
		return usage_err(usage, "--tftp is required");
	if (load_phone(argv[optind], &ph) != 0)
		return 1;
	/* --json keeps standard output for the document alone. */
	ph->quiet = json;
	if ((r = malloc(sizeof(*r))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", progname);
		goto out;
	}
	phone_boot(ph, &a.o, r);
	if (json)
		boot_json(ph, r);
	else
		boot_text(ph, r);
	rc = r->result == PHONE_OK ? 0 : 1;
out:
	free(r);
	phone_free(ph);
	return rc;
}

/* ---- https ------------------------------------------------------------ */

static int
cmd_https(int argc, char **argv)
{
	static const char usage[] =
	    "https DIR https://HOST[:PORT]/PATH [--out FILE] [--timeout MS]";
	static const struct option opts[] = {
		{ "out", required_argument, NULL, O_OUT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct phone *ph = NULL;
	const char *out = NULL;
	unsigned long timeout = PHONE_TIMEOUT_MS;
	int ch, err;

	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
		case O_OUT:
			out = optarg;
			break;
		case O_TIMEOUT:
			if (phone_parse_ulong(optarg, 1, TIMEOUT_MAX,
			    &timeout) != 0)
				return usage_err(usage, "bad --timeout: %s",
				    optarg);
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (argc - optind != 2)
		return usage_err(usage, "a state directory and a URL "
		    "expected");
	if (strncmp(argv[optind + 1], "https://", 8) != 0)
		return usage_err(usage, "not an https:// URL: %s",
		    argv[optind + 1]);
	if (load_phone(argv[optind], &ph) != 0)
		return 1;
	err = phone_https(ph, argv[optind + 1], out, (unsigned)timeout);
	phone_free(ph);
	if (err == SBD_ERR_INVAL)
		return usage_err(usage, NULL);
	return err == 0 ? 0 : 1;
}

/* ---- capf ------------------------------------------------------------- */

static const char *
capf_reason(int reason)
{
	switch (reason) {
	case 0:
		return "no action";
	case 1:
		return "update certificate";
	case 7:
		return "invalid element";
	case 9:
		return "unknown device";
	default:
		return "unknown reason";
	}
}

static int
cmd_capf(int argc, char **argv)
{
	static const char usage[] =
	    "capf DIR [--host HOST --port PORT] [--password DIGITS]\n"
	    "       [--auth password|null|lsc|mic] [--timeout MS] [--tls1]";
	static const struct option opts[] = {
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, O_PORT },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "auth", required_argument, NULL, O_AUTH },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "tls1", no_argument, NULL, O_TLS1 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const auths[] = {
		[SBD_CAPF_AUTH_PASSWORD] = "password",
		[SBD_CAPF_AUTH_NULL] = "null",
		[SBD_CAPF_AUTH_LSC] = "lsc",
		[SBD_CAPF_AUTH_MIC] = "mic",
	};
	struct phone_capf_opts o;
	struct phone *ph = NULL;
	unsigned long v;
	size_t i;
	int ch, err, reason = -1;

	memset(&o, 0, sizeof(o));
	o.timeout_ms = PHONE_TIMEOUT_MS;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_HOST:
			if (*optarg == '\0' || strlen(optarg) >= SBD_NAME_MAX)
				return usage_err(usage, "bad --host: %s",
				    optarg);
			o.host = optarg;
			break;
		case O_PORT:
			if (phone_parse_ulong(optarg, 1, 65535, &v) != 0)
				return usage_err(usage, "bad --port: %s (1 to "
				    "65535)", optarg);
			o.port = (uint16_t)v;
			break;
		case O_PASSWORD:
			o.password = optarg;
			break;
		case O_AUTH:
			for (i = 1; i < sizeof(auths) / sizeof(auths[0]); i++)
				if (strcmp(optarg, auths[i]) == 0)
					o.auth = (int)i;
			if (o.auth == 0)
				return usage_err(usage, "bad --auth: %s "
				    "(password, null, lsc or mic)", optarg);
			break;
		case O_TIMEOUT:
			if (phone_parse_ulong(optarg, 1, TIMEOUT_MAX, &v) != 0)
				return usage_err(usage, "bad --timeout: %s",
				    optarg);
			o.timeout_ms = (unsigned)v;
			break;
		case O_TLS1:
			o.legacy = 1;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (argc - optind != 1)
		return usage_err(usage, "one state directory expected");
	if ((o.host == NULL) != (o.port == 0))
		return usage_err(usage, "--host and --port go together");
	if (load_phone(argv[optind], &ph) != 0)
		return 1;
	err = phone_capf(ph, &o, &reason);
	phone_free(ph);
	if (err != 0) {
		fprintf(stderr, "%s: CAPF session failed: %s\n", progname,
		    sbd_strerror(err));
		return 1;
	}
	printf("CAPF session ended: reason %d (%s)\n", reason,
	    capf_reason(reason));
	return 0;
}

/* ---- status ----------------------------------------------------------- */

static void
digest_hex(const uint8_t *p, size_t n, const EVP_MD *md, char *out)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned dl = 0;

	out[0] = '\0';
	if (EVP_Digest(p, n, d, &dl, md, NULL) == 1)
		sbd_hex(d, dl, out);
}

static const char *
role_words(const struct sbd_tl_record *r)
{
	const char *s = r->has_role ? sbd_role_cucm_name(r->role) : NULL;

	return s != NULL ? s : "?";
}

/* Settings > Security Configuration > Trust List, for one list. */
static void
list_text(const char *title, const uint8_t *buf, size_t len,
    const struct sbd_tl *tl)
{
	char md5[33], sha1[41];
	size_t i;

	if (tl == NULL) {
		printf("  %s: Not Installed\n", title);
		return;
	}
	digest_hex(buf, len, EVP_md5(), md5);
	digest_hex(buf, len, EVP_sha1(), sha1);
	printf("  %s: MD5 %s SHA1 %s (%zu bytes)\n", title, md5, sha1, len);
	for (i = 0; i < tl->nrec; i++)
		printf("    %-36s %s\n", role_words(&tl->rec[i]),
		    tl->rec[i].subject ? tl->rec[i].subject : "(empty)");
}

static void
list_json(struct sbd_json *j, const char *key, const uint8_t *buf,
    size_t len, const struct sbd_tl *tl)
{
	char md5[33], sha1[41];
	size_t i;

	if (tl == NULL) {
		sbd_json_null(j, key);
		return;
	}
	digest_hex(buf, len, EVP_md5(), md5);
	digest_hex(buf, len, EVP_sha1(), sha1);
	sbd_json_obj(j, key);
	sbd_json_str(j, "md5", md5);
	sbd_json_str(j, "sha1", sha1);
	sbd_json_int(j, "bytes", (long long)len);
	sbd_json_arr(j, "records");
	for (i = 0; i < tl->nrec; i++) {
		sbd_json_obj(j, NULL);
		if (tl->rec[i].has_role)
			sbd_json_int(j, "role", tl->rec[i].role);
		sbd_json_str(j, "function", role_words(&tl->rec[i]));
		if (tl->rec[i].subject)
			sbd_json_str(j, "subject", tl->rec[i].subject);
		else
			sbd_json_null(j, "subject");
		sbd_json_end(j);
	}
	sbd_json_end(j);
	sbd_json_end(j);
}

static void
roles_str(const struct phone_tvs_entry *e, char *buf, size_t cap)
{
	const char *n;
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < e->nroles && o < cap; i++) {
		n = sbd_role_name(e->roles[i]);
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "",
		    n != NULL ? n : "?");
	}
	if (e->nroles == 0)
		snprintf(buf, cap, "-");
}

static void
utc(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
status_text(const struct phone *ph, const uint8_t *st, size_t stlen)
{
	char hex[65], when[32], roles[128];
	size_t i;

	printf("Status Messages:\n");
	if (stlen == 0)
		printf("  (none)\n");
	else
		for (i = 0; i < stlen; i++) {
			if (i == 0 || st[i - 1] == '\n')
				fputs("  ", stdout);
			putchar(st[i]);
		}
	printf("Security Configuration > Trust List:\n");
	list_text("CTL File", ph->ctl_buf, ph->ctl_len, ph->ctl);
	list_text("ITL File", ph->itl_buf, ph->itl_len, ph->itl);
	printf("  TVS Cache:%s\n", ph->ntvs_cache ? "" : " empty");
	for (i = 0; i < ph->ntvs_cache; i++) {
		sbd_hex(ph->tvs_cache[i].sha256, 32, hex);
		utc(ph->tvs_cache[i].expires, when, sizeof(when));
		roles_str(&ph->tvs_cache[i], roles, sizeof(roles));
		printf("    %s %s %s until %s\n", hex, roles,
		    phone_cache_expired(ph, i) ? "expired" : "valid", when);
	}
	printf("LSC: %s\n", ph->lsc ? "Installed" : "Not Installed");
	printf("MIC: %s\n", ph->mic ? "Installed" : "Not Installed");
	printf("Configuration: %s\n", ph->config ? "accepted" : "none");
	if (ph->config == NULL)
		return;
	printf("  TVS servers:");
	for (i = 0; i < ph->ntvs; i++)
		printf(" %s:%u", ph->tvs[i].host, (unsigned)ph->tvs[i].port);
	printf("%s\n", ph->ntvs ? "" : " none");
	if (ph->capf.port != 0)
		printf("  CAPF: %s:%u (capfAuthMode %d)\n", ph->capf.host,
		    (unsigned)ph->capf.port, ph->capf_auth);
	printf("  encrConfig: %s\n", ph->encr_config ? "true" : "false");
}

static void
status_json(const struct phone *ph, const uint8_t *st, size_t stlen)
{
	struct sbd_json j;
	char dev[SBD_DEVNAME_MAX + 1], hex[65], when[32];
	size_t i, k, b;

	phone_devname(ph, dev, sizeof(dev));
	sbd_json_init(&j, stdout);
	sbd_json_obj(&j, NULL);
	sbd_json_str(&j, "device", dev);
	sbd_json_str(&j, "model", ph->model);
	sbd_json_arr(&j, "status");
	for (b = 0, i = 0; i < stlen; i++)
		if (st[i] == '\n') {
			sbd_json_strn(&j, NULL, (const char *)st + b, i - b);
			b = i + 1;
		}
	sbd_json_end(&j);
	list_json(&j, "ctl", ph->ctl_buf, ph->ctl_len, ph->ctl);
	list_json(&j, "itl", ph->itl_buf, ph->itl_len, ph->itl);
	sbd_json_arr(&j, "tvs_cache");
	for (i = 0; i < ph->ntvs_cache; i++) {
		sbd_json_obj(&j, NULL);
		sbd_hex(ph->tvs_cache[i].sha256, 32, hex);
		sbd_json_str(&j, "sha256", hex);
		sbd_json_int(&j, "expires",
		    (long long)ph->tvs_cache[i].expires);
		utc(ph->tvs_cache[i].expires, when, sizeof(when));
		sbd_json_str(&j, "expires_utc", when);
		sbd_json_bool(&j, "expired", phone_cache_expired(ph, i));
		sbd_json_arr(&j, "roles");
		for (k = 0; k < ph->tvs_cache[i].nroles; k++)
			sbd_json_int(&j, NULL, ph->tvs_cache[i].roles[k]);
		sbd_json_end(&j);
		sbd_json_end(&j);
	}
	sbd_json_end(&j);
	sbd_json_bool(&j, "lsc", ph->lsc != NULL);
	sbd_json_bool(&j, "mic", ph->mic != NULL);
	if (ph->config == NULL)
		sbd_json_null(&j, "config");
	else {
		sbd_json_obj(&j, "config");
		sbd_json_arr(&j, "tvs");
		for (i = 0; i < ph->ntvs; i++) {
			sbd_json_obj(&j, NULL);
			sbd_json_str(&j, "host", ph->tvs[i].host);
			sbd_json_int(&j, "port", ph->tvs[i].port);
			sbd_json_end(&j);
		}
		sbd_json_end(&j);
		if (ph->capf.port == 0)
			sbd_json_null(&j, "capf");
		else {
			sbd_json_obj(&j, "capf");
			sbd_json_str(&j, "host", ph->capf.host);
			sbd_json_int(&j, "port", ph->capf.port);
			sbd_json_end(&j);
		}
		sbd_json_int(&j, "capf_auth_mode", ph->capf_auth);
		sbd_json_bool(&j, "encr_config", ph->encr_config);
		sbd_json_end(&j);
	}
	sbd_json_end(&j);
	sbd_json_done(&j);
}

static int
cmd_status(int argc, char **argv)
{
	static const char usage[] = "status DIR [--json]";
	static const struct option opts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct phone *ph = NULL;
	char path[PATH_MAX];
	uint8_t *st = NULL;
	size_t stlen = 0;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch != O_JSON)
			return opt_default(usage, argv, ch);
		json = 1;
	}
	if (argc - optind != 1)
		return usage_err(usage, "one state directory expected");
	if (load_phone(argv[optind], &ph) != 0)
		return 1;
	if (snprintf(path, sizeof(path), "%s/status", ph->dir) <
	    (int)sizeof(path) && sbd_read_file(path, STATUS_MAX, &st,
	    &stlen) != 0)
		stlen = 0;
	if (json)
		status_json(ph, st, stlen);
	else
		status_text(ph, st, stlen);
	free(st);
	phone_free(ph);
	return 0;
}

/* ---- fleet ------------------------------------------------------------ */

static int
cmd_fleet(int argc, char **argv)
{
	static const char usage[] =
	    "fleet --count N --concurrency C --tftp HOST[:PORT] --dir BASE\n"
	    "       [--mac-base HEX12] [--model M] [--http-port P]\n"
	    "       [--proto tftp|http] [--timeout MS] [--json]";
	static const struct option opts[] = {
		{ "count", required_argument, NULL, O_COUNT },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "dir", required_argument, NULL, O_DIR },
		{ "mac-base", required_argument, NULL, O_MACBASE },
		{ "model", required_argument, NULL, O_MODEL },
		BOOT_OPTIONS,
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct phone_fleet_opts fo;
	struct bootargs a;
	char mac[SBD_MAC_LEN + 1];
	unsigned long v;
	int ch, err;

	bootargs_init(&a);
	memset(&fo, 0, sizeof(fo));
	fo.mac_base = DEFAULT_MACBASE;
	fo.model = DEFAULT_MODEL;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case O_COUNT:
		case O_CONC:
			if (phone_parse_ulong(optarg, 1, 1000000, &v) != 0)
				return usage_err(usage, "bad --%s: %s (1 to "
				    "1000000)", ch == O_COUNT ? "count" :
				    "concurrency", optarg);
			if (ch == O_COUNT)
				fo.count = (unsigned)v;
			else
				fo.concurrency = (unsigned)v;
			break;
		case O_DIR:
			fo.base = optarg;
			break;
		case O_MACBASE:
			if (sbd_mac_parse(optarg, mac) != 0)
				return usage_err(usage, "bad --mac-base: %s "
				    "(12 hex digits)", optarg);
			fo.mac_base = strtoull(mac, NULL, 16);
			break;
		case O_MODEL:
			if (*optarg == '\0' || strlen(optarg) >= SBD_MODEL_MAX)
				return usage_err(usage, "bad --model: %s",
				    optarg);
			fo.model = optarg;
			break;
		case O_JSON:
			fo.json = 1;
			break;
		default:
			if ((err = boot_option(usage, ch, &a)) == 1)
				return opt_default(usage, argv, ch);
			if (err != 0)
				return err;
		}
	}
	if (optind != argc)
		return usage_err(usage, "unexpected argument: %s",
		    argv[optind]);
	if (fo.count == 0 || fo.concurrency == 0 || !a.have_host ||
	    fo.base == NULL)
		return usage_err(usage, "--count, --concurrency, --tftp and "
		    "--dir are required");
	fo.boot = a.o;
	return phone_fleet(&fo) == 0 ? 0 : 1;
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "init", cmd_init, "create a phone's state directory" },
	{ "boot", cmd_boot, "boot: trust lists, configuration, DeviceTLInfo" },
	{ "https", cmd_https, "fetch a URL from an HTTPS phone service" },
	{ "capf", cmd_capf, "one CAPF session (install, fetch, delete LSC)" },
	{ "status", cmd_status, "status messages and trust lists" },
	{ "fleet", cmd_fleet, "boot many phones at once" },
};

static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s COMMAND [options]\n       %s COMMAND --help\n"
	    "\ncommands:\n", progname, progname);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].what);
	fprintf(f, "\nSee sbdphone(1).\n");
	return f == stdout ? 0 : EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	size_t i;

	/* A server that closes early must not kill the phone. */
	signal(SIGPIPE, SIG_IGN);
	/* libxml2 wants this once, before threads parse (fleet). */
	xmlInitParser();
	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(stdout);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "%s: unknown command: %s\n", progname, argv[1]);
	return usage(stderr);
}
