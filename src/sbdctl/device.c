/*
 * sbdctl: the device verbs -- device add (one phone, or many from a CSV
 * file), device list, device show, device remove and device capf (the
 * phone's next CAPF operation, FORMATS.md 8).
 *
 * A device's values are checked against the store inside the transaction
 * that adds it, so a CSV import is all or nothing and a node cannot
 * disappear between the check and the insert.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "sbd/json.h"
#include "sbd/store.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

#define CSV_MAX		(16 * 1024 * 1024)
#define CSV_LINE_MAX	1024
#define CSV_HEADER	"mac,model,profile,tvs,description"
#define CSV_FIELDS	5
#define UTF8_BOM	"\xef\xbb\xbf"	/* spreadsheets start CSV with it */

static const char *const profile_names[] = {
	[SBD_PROFILE_NONSECURE] = "non-secure",
	[SBD_PROFILE_AUTH] = "authenticated",
	[SBD_PROFILE_ENCRYPTED] = "encrypted",
};

/* CAPF operations and authentication modes, as options and output. */
static const char *const capf_ops[] = {
	[SBD_CAPF_OP_NONE] = "none",
	[SBD_CAPF_OP_INSTALL] = "install",
	[SBD_CAPF_OP_FETCH] = "fetch",
	[SBD_CAPF_OP_DELETE] = "delete",
};
static const char *const capf_auths[] = {
	[SBD_CAPF_AUTH_PASSWORD] = "password",
	[SBD_CAPF_AUTH_NULL] = "null",
	[SBD_CAPF_AUTH_LSC] = "lsc",
	[SBD_CAPF_AUTH_MIC] = "mic",
};
#define CAPF_NOPS	(sizeof(capf_ops) / sizeof(capf_ops[0]))
#define CAPF_NAUTHS	(sizeof(capf_auths) / sizeof(capf_auths[0]))
#define CAPF_GEN_DIGITS	8	/* a generated authentication string */

/* One device as given, before it is checked. */
struct dev_in {
	const char *mac, *model, *profile, *tvs, *description;
	char sep;		/* between TVS nodes: ',' or ';' (CSV) */
};

static const char *
profile_name(enum sbd_profile p)
{
	return (unsigned)p < sizeof(profile_names) / sizeof(profile_names[0]) ?
	    profile_names[p] : "?";
}

/* "a,b,c" of a device's TVS nodes into buf. */
static void
tvs_str(const struct sbd_device *d, char *buf, size_t cap)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < SBD_TVS_MAX && d->tvs[i][0] != '\0' && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "",
		    d->tvs[i]);
}

/*
 * The CallManager group: the nodes named in list (separated by sep), or
 * by default the TVS nodes, publisher first, at most SBD_TVS_MAX.
 */
static int
tvs_fill(struct sbd_store *st, const char *dir, const char *where,
    const char *list, char sep, struct sbd_device *d)
{
	struct sbd_node n, *nodes = NULL;
	char name[SBD_NAME_MAX], seps[2] = { sep, '\0' };
	const char *all = list;
	size_t nn = 0, i, k = 0, len;
	int err, rc = -1;

	if (list[0] == '\0') {
		if ((err = sbd_store_node_list(st, &nodes, &nn)) != 0) {
			store_warn(st, dir, "cannot read the nodes", err);
			goto out;
		}
		for (i = 0; i < nn && k < SBD_TVS_MAX; i++)
			if (nodes[i].services & SBD_SVC_TVS)
				snprintf(d->tvs[k++], SBD_NAME_MAX, "%s",
				    nodes[i].name);
		rc = 0;
		goto out;
	}
	for (;;) {
		len = strcspn(list, seps);
		if (len == 0 || len >= sizeof(name)) {
			warnx_("%sbad TVS node list: %s", where, all);
			goto out;
		}
		memcpy(name, list, len);
		name[len] = '\0';
		if (k == SBD_TVS_MAX) {
			warnx_("%stoo many TVS nodes: %s (at most %d)", where,
			    name, SBD_TVS_MAX);
			goto out;
		}
		for (i = 0; i < k; i++)
			if (strcmp(d->tvs[i], name) == 0) {
				warnx_("%snode %s is listed twice", where,
				    name);
				goto out;
			}
		err = sbd_store_node_get(st, name, &n);
		if (err == SBD_ERR_NOTFOUND) {
			warnx_("%sunknown node: %s", where, name);
			goto out;
		} else if (err != 0) {
			store_warn(st, dir, "cannot read the nodes", err);
			goto out;
		}
		if (!(n.services & SBD_SVC_TVS)) {
			warnx_("%snode %s does not run TVS", where, name);
			goto out;
		}
		memcpy(d->tvs[k++], name, len + 1);
		if (list[len] == '\0')
			break;
		list += len + 1;
	}
	rc = 0;
out:
	free(nodes);
	return rc;
}

/* sbd_mac_parse, with a message that where prefixes. */
static int
parse_mac(const char *where, const char *s, char mac[SBD_MAC_LEN + 1])
{
	if (sbd_mac_parse(s, mac) == 0)
		return 0;
	warnx_("%sbad MAC address: %s (12 hex digits, maybe with ':', '-' or "
	    "'.', or SEP<MAC>)", where, s);
	return -1;
}

/* Check one device's values and fill d; where prefixes the messages. */
static int
dev_fill(struct sbd_store *st, const char *dir, const char *where,
    const struct dev_in *in, struct sbd_device *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	if (parse_mac(where, in->mac, d->mac) != 0)
		return -1;
	snprintf(d->name, sizeof(d->name), "SEP%s", d->mac);
	if (strlen(in->model) >= sizeof(d->model) || !printable(in->model)) {
		warnx_("%sbad model: %s (at most %zu characters)", where,
		    in->model, sizeof(d->model) - 1);
		return -1;
	}
	snprintf(d->model, sizeof(d->model), "%s", in->model);
	if (strlen(in->description) >= sizeof(d->description) ||
	    !printable(in->description)) {
		warnx_("%sbad description: %s (at most %zu characters)", where,
		    in->description, sizeof(d->description) - 1);
		return -1;
	}
	snprintf(d->description, sizeof(d->description), "%s",
	    in->description);
	d->profile = SBD_PROFILE_NONSECURE;
	if (in->profile[0] != '\0') {
		for (i = 0; i < sizeof(profile_names) /
		    sizeof(profile_names[0]); i++)
			if (strcmp(in->profile, profile_names[i]) == 0)
				break;
		if (i == sizeof(profile_names) / sizeof(profile_names[0])) {
			warnx_("%sunknown profile: %s (non-secure, "
			    "authenticated or encrypted)", where, in->profile);
			return -1;
		}
		d->profile = (enum sbd_profile)i;
	}
	return tvs_fill(st, dir, where, in->tvs, in->sep, d);
}

/* Insert d and its audit entry (inside the caller's transaction). */
static int
dev_insert(struct sbd_store *st, const char *dir, const char *where,
    const struct sbd_device *d)
{
	char actor[SBD_NAME_MAX], tvs[SBD_TVS_MAX * SBD_NAME_MAX];
	int err;

	err = sbd_store_device_add(st, d);
	if (err == SBD_ERR_EXISTS) {
		warnx_("%sdevice %s already exists", where, d->name);
		return -1;
	} else if (err != 0) {
		store_warn(st, dir, "cannot add the device", err);
		return -1;
	}
	tvs_str(d, tvs, sizeof(tvs));
	audit_actor(actor, sizeof(actor));
	if ((err = sbd_store_audit(st, actor, "device add", "%s profile %s "
	    "tvs %s%s%s", d->name, profile_name(d->profile), tvs,
	    d->cert_kind[0] ? " cert " : "", d->cert_kind)) != 0) {
		store_warn(st, dir, "cannot write the audit log", err);
		return -1;
	}
	return 0;
}

/* Cut blanks off both ends of s, in place. */
static char *
trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/*
 * Add every line of a CSV file (header CSV_HEADER; the description is the
 * rest of the line and may hold commas; TVS nodes separated by ';').
 * Inside the caller's transaction; *count gets the number of devices.
 */
static int
csv_add(struct sbd_store *st, const char *dir, const char *path,
    size_t *count)
{
	char line[CSV_LINE_MAX + 1], where[PATH_MAX + 32], *f[CSV_FIELDS], *p;
	uint8_t *buf = NULL;
	size_t len = 0, off = 0, n, lineno = 0, added = 0, k;
	struct sbd_device d;
	struct dev_in in;
	int rc = -1;

	if (read_input(path, CSV_MAX, &buf, &len) != 0)
		goto out;
	if (memchr(buf, '\0', len) != NULL) {
		warnx_("%s: not a text file (it holds a NUL byte)", path);
		goto out;
	}
	if (len >= sizeof(UTF8_BOM) - 1 &&
	    memcmp(buf, UTF8_BOM, sizeof(UTF8_BOM) - 1) == 0)
		off = sizeof(UTF8_BOM) - 1;
	while (off < len) {
		lineno++;
		n = strcspn((const char *)buf + off, "\n");
		if (n > len - off)
			n = len - off;
		snprintf(where, sizeof(where), "%s:%zu: ", path, lineno);
		if (n > CSV_LINE_MAX) {
			warnx_("%sline longer than %d bytes", where,
			    CSV_LINE_MAX);
			goto out;
		}
		memcpy(line, buf + off, n);
		line[n] = '\0';
		off += n < len - off ? n + 1 : n;
		line[strcspn(line, "\r")] = '\0';
		if (lineno == 1) {
			if (strcmp(trim(line), CSV_HEADER) != 0) {
				warnx_("%sexpected the header %s", where,
				    CSV_HEADER);
				goto out;
			}
			continue;
		}
		if (*trim(line) == '\0')
			continue;
		for (k = 0, p = line; k < CSV_FIELDS - 1; k++) {
			f[k] = p;
			if ((p = strchr(p, ',')) == NULL) {
				warnx_("%sexpected %d fields: %s", where,
				    CSV_FIELDS, CSV_HEADER);
				goto out;
			}
			*p++ = '\0';
		}
		f[k] = p;
		for (k = 0; k < CSV_FIELDS; k++)
			f[k] = trim(f[k]);
		in = (struct dev_in){ f[0], f[1], f[2], f[3], f[4], ';' };
		if (dev_fill(st, dir, where, &in, &d) != 0 ||
		    dev_insert(st, dir, where, &d) != 0)
			goto out;
		added++;
	}
	if (lineno == 0) {
		warnx_("%s: empty; expected the header %s", path, CSV_HEADER);
		goto out;
	}
	*count = added;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The device certificate of --cert: its DER, at most SBD_DEVCERT_MAX. */
static int
load_device_cert(const char *path, uint8_t **der, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int rc = -1;

	if (load_cert_der(path, &p, &n) != 0)
		goto out;
	if (n > SBD_DEVCERT_MAX) {
		warnx_("%s: certificate larger than %d bytes", path,
		    SBD_DEVCERT_MAX);
		goto out;
	}
	*der = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	OPENSSL_free(p);
	return rc;
}

int
cmd_device_add(int argc, char **argv)
{
	enum {
		O_MAC = 256, O_MODEL, O_PROFILE, O_TVS, O_CERT, O_KIND,
		O_DESC, O_CSV,
	};
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "mac", required_argument, NULL, O_MAC },
		{ "model", required_argument, NULL, O_MODEL },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "tvs", required_argument, NULL, O_TVS },
		{ "cert", required_argument, NULL, O_CERT },
		{ "cert-kind", required_argument, NULL, O_KIND },
		{ "description", required_argument, NULL, O_DESC },
		{ "csv", required_argument, NULL, O_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "device add [-d DIR] --mac MAC [--model MODEL]\n"
	    "       [--profile non-secure|authenticated|encrypted] "
	    "[--tvs NODE[,NODE[,NODE]]]\n"
	    "       [--cert FILE.pem --cert-kind LSC|MIC] "
	    "[--description TEXT]\n"
	    "   or: device add [-d DIR] --csv FILE";
	const char *dopt = NULL, *dir, *certpath = NULL, *kind = NULL;
	const char *csv = NULL;
	struct dev_in in = { NULL, "", "", "", "", ',' };
	struct sbd_device d;
	struct sbd_store *st = NULL;
	uint8_t *der = NULL;
	size_t derlen = 0, count = 0;
	char tvs[SBD_TVS_MAX * SBD_NAME_MAX];
	int ch, err, rc = 1, single = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		single |= ch >= O_MAC && ch <= O_DESC;
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_MAC:
			in.mac = optarg;
			break;
		case O_MODEL:
			in.model = optarg;
			break;
		case O_PROFILE:
			in.profile = optarg;
			break;
		case O_TVS:
			in.tvs = optarg;
			break;
		case O_CERT:
			certpath = optarg;
			break;
		case O_KIND:
			kind = optarg;
			break;
		case O_DESC:
			in.description = optarg;
			break;
		case O_CSV:
			csv = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	if (csv != NULL && single)
		return usage_err(usage, "--csv excludes the options of a "
		    "single device");
	if (csv == NULL && in.mac == NULL)
		return usage_err(usage, "--mac MAC (or --csv FILE) is "
		    "required");
	if ((certpath == NULL) != (kind == NULL))
		return usage_err(usage, "--cert and --cert-kind go together");
	if (kind != NULL && strcasecmp(kind, "LSC") != 0 &&
	    strcasecmp(kind, "MIC") != 0) {
		warnx_("bad --cert-kind: %s (LSC or MIC)", kind);
		goto out;
	}
	if (certpath != NULL && load_device_cert(certpath, &der, &derlen) != 0)
		goto out;
	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	if (csv != NULL) {
		if (csv_add(st, dir, csv, &count) != 0)
			goto out;
	} else {
		if (dev_fill(st, dir, "", &in, &d) != 0)
			goto out;
		if (kind != NULL)
			snprintf(d.cert_kind, sizeof(d.cert_kind), "%s",
			    strcasecmp(kind, "MIC") == 0 ? "MIC" : "LSC");
		d.cert_der = der;
		d.cert_len = derlen;
		if (dev_insert(st, dir, "", &d) != 0)
			goto out;
	}
	if ((err = sbd_store_commit(st)) != 0) {
		store_warn(st, dir, "cannot commit", err);
		goto out;
	}
	if (csv != NULL)
		printf("added %zu device%s from %s\n", count,
		    count == 1 ? "" : "s", csv);
	else {
		tvs_str(&d, tvs, sizeof(tvs));
		printf("added %s (%s; TVS %s)\n", d.name,
		    profile_name(d.profile), tvs[0] ? tvs : "none");
	}
	rc = 0;
out:
	store_end(st);
	OPENSSL_free(der);
	return rc;
}

/* "2026-11-23 11:54:55 UTC", or "never" for 0. */
static void
time_str(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, cap, "never");
}

/* Subject and SHA-1 of a device certificate; "" when it has none. */
static void
cert_info(const struct sbd_device *d, char **subject, char sha1[41])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	*subject = NULL;
	sha1[0] = '\0';
	if (d->cert_der == NULL)
		return;
	if (EVP_Digest(d->cert_der, d->cert_len, md, &n, EVP_sha1(),
	    NULL) == 1)
		sbd_hex(md, n, sha1);
	*subject = der_subject(d->cert_der, d->cert_len);
}

static void
json_opt_str(struct sbd_json *j, const char *key, const char *v)
{
	if (v != NULL && v[0] != '\0')
		sbd_json_str(j, key, v);
	else
		sbd_json_null(j, key);
}

static void
json_opt_time(struct sbd_json *j, const char *key, int64_t t)
{
	if (t != 0)
		sbd_json_int(j, key, t);
	else
		sbd_json_null(j, key);
}

static const char *
capf_op_name(enum sbd_capf_op op)
{
	return (unsigned)op < CAPF_NOPS ? capf_ops[op] : "?";
}

static const char *
capf_auth_name(enum sbd_capf_auth a)
{
	return (unsigned)a < CAPF_NAUTHS && capf_auths[a] != NULL ?
	    capf_auths[a] : "?";
}

/* "rsa:2048" or "ec:P-256" of a task's key. */
static void
capf_key_str(const struct sbd_capf_task *t, char *buf, size_t cap)
{
	if (t->key_ec)
		snprintf(buf, cap, "ec:P-%u", (unsigned)t->key_size);
	else
		snprintf(buf, cap, "rsa:%u", (unsigned)t->key_size);
}

static void
capf_json(struct sbd_json *j, const struct sbd_capf_task *t)
{
	char key[16];

	capf_key_str(t, key, sizeof(key));
	sbd_json_obj(j, "capf");
	sbd_json_str(j, "op", capf_op_name(t->op));
	sbd_json_str(j, "auth", capf_auth_name(t->auth));
	json_opt_str(j, "password", t->password);
	sbd_json_str(j, "key", key);
	json_opt_str(j, "status", t->status);
	json_opt_time(j, "status_at", t->status_at);
	sbd_json_end(j);
}

static void
device_json(struct sbd_json *j, const struct sbd_device *d)
{
	char sha1[41], *subject;
	size_t i;

	cert_info(d, &subject, sha1);
	sbd_json_obj(j, NULL);
	sbd_json_str(j, "name", d->name);
	sbd_json_str(j, "mac", d->mac);
	sbd_json_str(j, "model", d->model);
	sbd_json_str(j, "description", d->description);
	sbd_json_str(j, "profile", profile_name(d->profile));
	sbd_json_arr(j, "tvs");
	for (i = 0; i < SBD_TVS_MAX && d->tvs[i][0] != '\0'; i++)
		sbd_json_str(j, NULL, d->tvs[i]);
	sbd_json_end(j);
	json_opt_str(j, "cert_kind", d->cert_kind);
	json_opt_str(j, "cert_subject", subject);
	json_opt_str(j, "cert_sha1", sha1);
	json_opt_str(j, "served_itl_sha1", d->served_itl_sha1);
	json_opt_time(j, "served_itl_at", d->served_itl_at);
	json_opt_time(j, "config_at", d->config_at);
	json_opt_str(j, "reported_itl_sha1", d->reported_sha1);
	json_opt_time(j, "reported_at", d->reported_at);
	capf_json(j, &d->capf);
	sbd_json_int(j, "created", d->created);
	sbd_json_end(j);
	free(subject);
}

int
cmd_device_list(int argc, char **argv)
{
	const char *usage = "device list [-d DIR] [--json]";
	const char *dir;
	struct sbd_store *st = NULL;
	struct sbd_device *devs = NULL;
	struct sbd_json j;
	char tvs[SBD_TVS_MAX * SBD_NAME_MAX];
	size_t n = 0, i;
	int r, err, json = 0, rc = 1;

	if ((r = list_open(argc, argv, usage, &json, &dir, &st)) >= 0)
		return r;
	if ((err = sbd_store_device_list(st, &devs, &n)) != 0) {
		store_warn(st, dir, "cannot read the devices", err);
		goto out;
	}
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_arr(&j, NULL);
		for (i = 0; i < n; i++)
			device_json(&j, &devs[i]);
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else {
		printf("%-15s  %-12s %-13s %-24s %-4s %s\n", "DEVICE", "MODEL",
		    "PROFILE", "TVS", "CERT", "DESCRIPTION");
		for (i = 0; i < n; i++) {
			tvs_str(&devs[i], tvs, sizeof(tvs));
			printf("%-15s  %-12s %-13s %-24s %-4s %s\n",
			    devs[i].name, devs[i].model[0] ? devs[i].model :
			    "-", profile_name(devs[i].profile),
			    tvs[0] ? tvs : "-", devs[i].cert_kind[0] ?
			    devs[i].cert_kind : "-", devs[i].description);
		}
	}
	rc = 0;
out:
	sbd_device_list_free(devs, n);
	sbd_store_close(st);
	return rc;
}

/* Options and the MAC of device show and device remove. */
static int
mac_opts(int argc, char **argv, const char *usage, const char **dopt,
    int *json, char mac[SBD_MAC_LEN + 1])
{
	int r;

	if ((r = store_opts(argc, argv, usage, dopt, NULL, json)) >= 0)
		return r;
	if (optind != argc - 1)
		return usage_err(usage, "expected one MAC");
	if (parse_mac("", argv[optind], mac) != 0)
		return 1;
	return -1;
}

/* Read device mac; messages name it. */
static int
device_get(struct sbd_store *st, const char *dir, const char *mac,
    struct sbd_device *d)
{
	int err = sbd_store_device_get(st, mac, d);

	if (err == SBD_ERR_NOTFOUND)
		warnx_("device SEP%s not found", mac);
	else if (err != 0)
		store_warn(st, dir, "cannot read the device", err);
	return err != 0 ? -1 : 0;
}

int
cmd_device_show(int argc, char **argv)
{
	const char *usage = "device show [-d DIR] [--json] MAC";
	const char *dopt = NULL, *dir;
	struct sbd_store *st = NULL;
	struct sbd_device d;
	struct sbd_json j;
	char mac[SBD_MAC_LEN + 1], tvs[SBD_TVS_MAX * SBD_NAME_MAX];
	char sha1[41], t[64], key[16], *subject = NULL;
	int r, json = 0, rc = 1, got = 0;

	if ((r = mac_opts(argc, argv, usage, &dopt, &json, mac)) >= 0)
		return r;
	dir = data_dir(dopt);
	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0)
		goto out;
	if (device_get(st, dir, mac, &d) != 0)
		goto out;
	got = 1;
	if (json) {
		sbd_json_init(&j, stdout);
		device_json(&j, &d);
		sbd_json_done(&j);
		rc = 0;
		goto out;
	}
	cert_info(&d, &subject, sha1);
	tvs_str(&d, tvs, sizeof(tvs));
	printf("Device:         %s\n", d.name);
	printf("Model:          %s\n", d.model[0] ? d.model : "-");
	printf("Description:    %s\n", d.description);
	printf("Profile:        %s\n", profile_name(d.profile));
	printf("TVS:            %s\n", tvs[0] ? tvs : "-");
	if (d.cert_der != NULL)
		printf("Certificate:    %s %s, SHA-1 %s\n", d.cert_kind,
		    subject != NULL ? subject : "(unparsable)", sha1);
	else
		printf("Certificate:    none\n");
	time_str(d.served_itl_at, t, sizeof(t));
	printf("Served ITL:     %s%s%s\n", d.served_itl_sha1,
	    d.served_itl_sha1[0] ? " at " : "", t);
	time_str(d.config_at, t, sizeof(t));
	printf("Config fetched: %s\n", t);
	time_str(d.reported_at, t, sizeof(t));
	printf("Reported ITL:   %s%s%s\n", d.reported_sha1,
	    d.reported_sha1[0] ? " at " : "", t);
	capf_key_str(&d.capf, key, sizeof(key));
	if (d.capf.op != SBD_CAPF_OP_NONE)
		printf("CAPF task:      %s, auth %s%s%s, key %s\n",
		    capf_op_name(d.capf.op), capf_auth_name(d.capf.auth),
		    d.capf.password[0] ? " " : "", d.capf.password, key);
	else
		printf("CAPF task:      none\n");
	time_str(d.capf.status_at, t, sizeof(t));
	printf("CAPF status:    %s%s%s\n", d.capf.status[0] ? d.capf.status :
	    "-", d.capf.status[0] ? " at " : "", d.capf.status[0] ? t : "");
	time_str(d.created, t, sizeof(t));
	printf("Created:        %s\n", t);
	rc = 0;
out:
	free(subject);
	if (got)
		sbd_device_clear(&d);
	sbd_store_close(st);
	return rc;
}

int
cmd_device_remove(int argc, char **argv)
{
	const char *usage = "device remove [-d DIR] MAC";
	const char *dopt = NULL;
	char mac[SBD_MAC_LEN + 1], name[SBD_MAC_LEN + 4], absent[64];
	int r;

	if ((r = mac_opts(argc, argv, usage, &dopt, NULL, mac)) >= 0)
		return r;
	snprintf(name, sizeof(name), "SEP%s", mac);
	snprintf(absent, sizeof(absent), "device %s not found", name);
	return store_remove(data_dir(dopt), sbd_store_device_remove, mac, name,
	    absent, "cannot remove the device", "device remove") == 0 ? 0 : 1;
}

/* ---- device capf ---------------------------------------------------- */

/* The index of s in names[0..n), skipping NULL slots; -1 if absent. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/*
 * --key: "rsa" (2048), "rsa:BITS" (1024, 2048, 3072, 4096) or "ec:CURVE"
 * (P-256, P-384, P-521 or their other names): the sizes phones generate.
 */
static int
capf_key_parse(const char *s, struct sbd_capf_task *t)
{
	unsigned long bits = 2048;
	int nid;

	if (strcmp(s, "rsa") == 0 || (strncmp(s, "rsa:", 4) == 0 &&
	    parse_uint(s + 4, 1024, 4096, &bits) == 0 && bits % 1024 == 0)) {
		t->key_ec = 0;
		t->key_size = (uint16_t)bits;
		return 0;
	}
	if (strncmp(s, "ec:", 3) != 0)
		return -1;
	nid = sbd_curve_nid(s + 3);
	t->key_ec = 1;
	if (nid == NID_X9_62_prime256v1)
		t->key_size = 256;
	else if (nid == NID_secp384r1)
		t->key_size = 384;
	else if (nid == NID_secp521r1)
		t->key_size = 521;
	else
		return -1;
	return 0;
}

/* CUCM's authentication strings are 4..10 digits. */
static int
capf_password_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= SBD_CAPF_PW_MIN && n <= SBD_CAPF_PW_MAX &&
	    strspn(s, "0123456789") == n;
}

int
cmd_device_capf(int argc, char **argv)
{
	enum { O_OP = 256, O_AUTH, O_PASSWORD, O_GENERATE, O_KEY };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "op", required_argument, NULL, O_OP },
		{ "auth", required_argument, NULL, O_AUTH },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "generate-password", no_argument, NULL, O_GENERATE },
		{ "key", required_argument, NULL, O_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "device capf [-d DIR] MAC "
	    "--op install|fetch|delete|none\n"
	    "       [--auth password|null|lsc|mic] "
	    "[--password DIGITS | --generate-password]\n"
	    "       [--key rsa:1024|rsa:2048|rsa:3072|rsa:4096|ec:P-256|"
	    "ec:P-384|ec:P-521]";
	const char *dopt = NULL, *dir, *op = NULL, *auth = NULL;
	const char *password = NULL;
	struct sbd_capf_task task;
	struct sbd_store *st = NULL;
	struct sbd_device d;
	char mac[SBD_MAC_LEN + 1], key[16];
	int ch, i, err, rc = 1, got = 0, generate = 0;
	size_t k;

	memset(&task, 0, sizeof(task));
	task.auth = SBD_CAPF_AUTH_NULL;
	task.key_size = 2048;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case O_OP:
			op = optarg;
			break;
		case O_AUTH:
			auth = optarg;
			break;
		case O_PASSWORD:
			password = optarg;
			break;
		case O_GENERATE:
			generate = 1;
			break;
		case O_KEY:
			if (capf_key_parse(optarg, &task) != 0)
				return usage_err(usage, "bad --key: %s "
				    "(rsa:1024, rsa:2048, rsa:3072, rsa:4096, "
				    "ec:P-256, ec:P-384 or ec:P-521)", optarg);
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one MAC");
	if (op == NULL)
		return usage_err(usage, "--op is required");
	if ((i = name_index(capf_ops, CAPF_NOPS, op)) < 0)
		return usage_err(usage, "bad --op: %s (install, fetch, delete "
		    "or none)", op);
	task.op = (enum sbd_capf_op)i;
	/* A password alone says how the phone authenticates. */
	if (auth == NULL && (password != NULL || generate))
		auth = "password";
	if (auth != NULL) {
		if ((i = name_index(capf_auths, CAPF_NAUTHS, auth)) < 0)
			return usage_err(usage, "bad --auth: %s (password, "
			    "null, lsc or mic)", auth);
		task.auth = (enum sbd_capf_auth)i;
	}
	if (password != NULL && generate)
		return usage_err(usage, "--password and --generate-password "
		    "exclude each other");
	if (task.auth != SBD_CAPF_AUTH_PASSWORD && (password != NULL ||
	    generate))
		return usage_err(usage, "a password goes with --auth "
		    "password, not --auth %s", auth);
	if (task.op != SBD_CAPF_OP_NONE && task.auth ==
	    SBD_CAPF_AUTH_PASSWORD && password == NULL && !generate)
		return usage_err(usage, "--auth password needs --password "
		    "DIGITS or --generate-password");
	if (password != NULL && !capf_password_ok(password))
		return usage_err(usage, "bad --password: %s (%d to %d digits)",
		    password, SBD_CAPF_PW_MIN, SBD_CAPF_PW_MAX);
	if (parse_mac("", argv[optind], mac) != 0)
		return EXIT_USAGE;
	if (password != NULL)
		snprintf(task.password, sizeof(task.password), "%s", password);
	for (k = 0; generate && k < CAPF_GEN_DIGITS; k++)
		task.password[k] = (char)('0' + arc4random_uniform(10));

	dir = data_dir(dopt);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	if (device_get(st, dir, mac, &d) != 0)
		goto out;
	got = 1;
	/*
	 * A new task is "Pending" until the phone's session; cancelling one
	 * says so, and otherwise the last outcome stays on record.
	 */
	if (task.op != SBD_CAPF_OP_NONE) {
		snprintf(task.status, sizeof(task.status), "Pending");
		task.status_at = (int64_t)time(NULL);
	} else if (d.capf.op != SBD_CAPF_OP_NONE) {
		snprintf(task.status, sizeof(task.status), "Cancelled");
		task.status_at = (int64_t)time(NULL);
	} else {
		memcpy(task.status, d.capf.status, sizeof(task.status));
		task.status_at = d.capf.status_at;
	}
	capf_key_str(&task, key, sizeof(key));
	if ((err = sbd_store_device_capf(st, mac, &task)) != 0) {
		store_warn(st, dir, "cannot set the CAPF task", err);
		goto out;
	}
	if (store_commit(st, dir, "cannot set the CAPF task", "device capf",
	    "SEP%s op %s auth %s key %s", mac, capf_op_name(task.op),
	    capf_auth_name(task.auth), key) != 0)
		goto out;
	if (task.op == SBD_CAPF_OP_NONE)
		printf("SEP%s: no CAPF operation\n", mac);
	else
		printf("SEP%s: CAPF %s pending (auth %s, key %s)\n", mac,
		    capf_op_name(task.op), capf_auth_name(task.auth), key);
	if (generate)
		printf("authentication string: %s\n", task.password);
	rc = 0;
out:
	OPENSSL_cleanse(task.password, sizeof(task.password));
	if (got)
		sbd_device_clear(&d);
	store_end(st);
	return rc;
}
