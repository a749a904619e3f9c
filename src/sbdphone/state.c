/*
 * sbdphone: the state directory (phone.h): load it, replace its files
 * atomically, the status messages, the TVS cache and the configuration
 * the phone last accepted.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/encconf.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdphone/internal.h"

#define CONF_FILE	"phone.conf"
#define CONF_MAX	4096
#define STATUS_FILE	"status"
#define STATUS_LINE	160
#define CACHE_FILE	"tvs-cache"
#define CACHE_DIR	"tvs"
#define CACHE_LINE	(64 + 24 + 3 * SBD_TVS_ROLES_MAX + 8)
#define MIC_DAYS	3650
#define XML_OPTS	(XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING)

/*
 * The phone's clock: SBDPHONE_NOW (Unix seconds) when set, so tests can
 * move past a TVS cache expiry; the system's otherwise.
 */
static time_t
phone_clock(void)
{
	const char *s = getenv("SBDPHONE_NOW");
	char *end;
	long long v;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0)
			return (time_t)v;
	}
	return time(NULL);
}

int
phone_parse_ulong(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

uint64_t
phone_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
path_of(const struct phone *ph, const char *file, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", ph->dir, file);

	return n < 0 || (size_t)n >= cap ? SBD_ERR_INVAL : 0;
}

/* Read dir/file; *out NULL (and 0) when the file does not exist. */
static int
read_opt(const struct phone *ph, const char *file, size_t max, uint8_t **out,
    size_t *len)
{
	char path[PATH_MAX];
	int err;

	*out = NULL;
	*len = 0;
	if ((err = path_of(ph, file, path, sizeof(path))) != 0)
		return err;
	err = sbd_read_file(path, max, out, len);
	if (err == SBD_ERR_IO && errno == ENOENT)
		err = 0;
	return err;
}

/* read_opt as a string: NUL-terminated, NULL when the file is absent. */
static int
read_text(const struct phone *ph, const char *file, size_t max, char **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *s = NULL;
	int err;

	if ((err = read_opt(ph, file, max, &buf, &len)) != 0 || buf == NULL)
		goto out;
	if ((s = malloc(len + 1)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	memcpy(s, buf, len);
	s[len] = '\0';
out:
	free(buf);
	if (err == 0)
		*out = s;
	return err;
}

int
phone_save(struct phone *ph, const char *file, const void *p, size_t n,
    int mode)
{
	char path[PATH_MAX];
	int err;

	if ((err = path_of(ph, file, path, sizeof(path))) != 0)
		return err;
	return sbd_write_file_atomic(path, p, n, (mode_t)mode);
}

int
phone_remove(struct phone *ph, const char *file)
{
	char path[PATH_MAX];
	int err;

	if ((err = path_of(ph, file, path, sizeof(path))) != 0)
		return err;
	if (unlink(path) != 0 && errno != ENOENT)
		return SBD_ERR_IO;
	return 0;
}

void
phone_devname(const struct phone *ph, char *buf, size_t cap)
{
	snprintf(buf, cap, "SEP%s", ph->mac);
}

void
phone_tvs_devname(const struct phone *ph, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s-SEP%s", ph->model, ph->mac);
}

void
phone_status(struct phone *ph, const char *fmt, ...)
{
	char msg[STATUS_LINE], line[STATUS_LINE + 16];
	uint8_t *old = NULL, *out = NULL;
	size_t len = 0, nl = 0, i, start = 0, n;
	struct tm tm;
	time_t now = ph->clock();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line each: a message never carries a newline. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = ' ';
	localtime_r(&now, &tm);
	n = (size_t)snprintf(line, sizeof(line), "%02d:%02d:%02d %s\n",
	    tm.tm_hour, tm.tm_min, tm.tm_sec, msg);
	if (!ph->quiet)
		fputs(line, stderr);

	/* Keep the newest PHONE_STATUS_MAX lines, this one included. */
	if (read_opt(ph, STATUS_FILE, PHONE_STATUS_MAX * (STATUS_LINE + 16),
	    &old, &len) != 0)
		len = 0;
	for (i = len; i > 0; i--)
		if (old[i - 1] == '\n' && i != len &&
		    ++nl == PHONE_STATUS_MAX - 1) {
			start = i;
			break;
		}
	if ((out = malloc(len - start + n)) != NULL) {
		if (len > start)
			memcpy(out, old + start, len - start);
		memcpy(out + (len - start), line, n);
		/* A status line that cannot be written is not worth failing
		 * the operation that caused it: a warning is enough. */
		if (phone_save(ph, STATUS_FILE, out, len - start + n,
		    0644) != 0 && !ph->quiet)
			fprintf(stderr, "%s/%s: cannot write\n", ph->dir,
			    STATUS_FILE);
	}
	free(old);
	free(out);
}

/* ---- phone.conf ------------------------------------------------------- */

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* "key=value" lines: mac and model, both required. */
static int
conf_parse(struct phone *ph, char *text)
{
	char *line, *save = NULL, *v;
	int have_mac = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if ((v = strchr(line, '=')) == NULL)
			return SBD_ERR_VALUE;
		*v++ = '\0';
		if (strcmp(line, "mac") == 0) {
			if (sbd_mac_parse(v, ph->mac) != 0)
				return SBD_ERR_VALUE;
			have_mac = 1;
		} else if (strcmp(line, "model") == 0) {
			if (*v == '\0' || strlen(v) >= sizeof(ph->model) ||
			    !printable(v))
				return SBD_ERR_VALUE;
			memcpy(ph->model, v, strlen(v) + 1);
		}
	}
	return have_mac && ph->model[0] != '\0' ? 0 : SBD_ERR_MISSING;
}

/* phone.conf; SBD_ERR_NOTFOUND when there is none (no phone here). */
static int
conf_load(struct phone *ph)
{
	char *text = NULL;
	int err;

	if ((err = read_text(ph, CONF_FILE, CONF_MAX, &text)) == 0)
		err = text != NULL ? conf_parse(ph, text) : SBD_ERR_NOTFOUND;
	free(text);
	return err;
}

/* ---- the TVS cache ---------------------------------------------------- */

int
phone_cert_sha256(X509 *cert, uint8_t out[32])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int err;

	if ((err = sbd_x509_digest(cert, EVP_sha256(), md, &n)) != 0)
		return err;
	if (n != 32)
		return SBD_ERR_CRYPTO;
	memcpy(out, md, 32);
	return 0;
}

int
phone_cache_expired(const struct phone *ph, size_t i)
{
	return ph->clock() >= ph->tvs_cache[i].expires;
}

int
phone_cache_find(const struct phone *ph, const uint8_t sha256[32])
{
	size_t i;

	for (i = 0; i < ph->ntvs_cache; i++)
		if (CRYPTO_memcmp(ph->tvs_cache[i].sha256, sha256, 32) == 0)
			return (int)i;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "SHA256HEX EXPIRY ROLES"; a line that does not parse is skipped. */
static int
cache_line(const char *line, struct phone_tvs_entry *e)
{
	char hex[65], roles[3 * SBD_TVS_ROLES_MAX + 8], *tok, *save, *end;
	long long exp;
	unsigned long role;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (sscanf(line, "%64s %lld %50s", hex, &exp, roles) != 3 ||
	    strlen(hex) != 64 || exp < 0)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		e->sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	e->expires = (time_t)exp;
	if (strcmp(roles, "-") == 0)
		return 0;
	for (tok = strtok_r(roles, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		role = strtoul(tok, &end, 10);
		if (errno != 0 || *end != '\0' || end == tok || role > 255 ||
		    e->nroles == SBD_TVS_ROLES_MAX)
			return -1;
		e->roles[e->nroles++] = (uint8_t)role;
	}
	return 0;
}

static int
cache_load(struct phone *ph)
{
	char *text = NULL, *line, *save = NULL;
	int err;

	if ((err = read_text(ph, CACHE_FILE, PHONE_TVS_CACHE_MAX * CACHE_LINE,
	    &text)) != 0 || text == NULL)
		goto out;
	for (line = strtok_r(text, "\n", &save); line != NULL &&
	    ph->ntvs_cache < PHONE_TVS_CACHE_MAX;
	    line = strtok_r(NULL, "\n", &save))
		if (cache_line(line, &ph->tvs_cache[ph->ntvs_cache]) == 0)
			ph->ntvs_cache++;
out:
	free(text);
	return err;
}

static int
cache_save(struct phone *ph)
{
	char *buf, hex[65];
	size_t cap = ph->ntvs_cache * CACHE_LINE + 1, o = 0, i, k;
	int err;

	if ((buf = malloc(cap)) == NULL)
		return SBD_ERR_NOMEM;
	for (i = 0; i < ph->ntvs_cache; i++) {
		const struct phone_tvs_entry *e = &ph->tvs_cache[i];

		sbd_hex(e->sha256, 32, hex);
		o += (size_t)snprintf(buf + o, cap - o, "%s %lld ", hex,
		    (long long)e->expires);
		for (k = 0; k < e->nroles; k++)
			o += (size_t)snprintf(buf + o, cap - o, "%s%u",
			    k ? "," : "", (unsigned)e->roles[k]);
		o += (size_t)snprintf(buf + o, cap - o, "%s\n",
		    e->nroles ? "" : "-");
	}
	err = phone_save(ph, CACHE_FILE, buf, o, 0644);
	free(buf);
	return err;
}

static int
cache_cert_path(const struct phone *ph, const uint8_t sha256[32], char *buf,
    size_t cap)
{
	char hex[65];
	int n;

	sbd_hex(sha256, 32, hex);
	n = snprintf(buf, cap, "%s/%s/%s.pem", ph->dir, CACHE_DIR, hex);
	return n < 0 || (size_t)n >= cap ? SBD_ERR_INVAL : 0;
}

int
phone_cache_cert(const struct phone *ph, size_t i, X509 **out)
{
	char path[PATH_MAX];
	int err;

	*out = NULL;
	if ((err = cache_cert_path(ph, ph->tvs_cache[i].sha256, path,
	    sizeof(path))) != 0 || access(path, F_OK) != 0)
		return err;
	return sbd_cert_load(path, out);
}

/* Drop entry i and the certificate kept for it. */
static void
cache_drop(struct phone *ph, size_t i)
{
	char path[PATH_MAX];

	if (cache_cert_path(ph, ph->tvs_cache[i].sha256, path,
	    sizeof(path)) == 0)
		(void)unlink(path);
	memmove(&ph->tvs_cache[i], &ph->tvs_cache[i + 1],
	    (ph->ntvs_cache - i - 1) * sizeof(ph->tvs_cache[0]));
	ph->ntvs_cache--;
}

int
phone_cache_add(struct phone *ph, X509 *cert, uint32_t ttl,
    const uint8_t *roles, size_t nroles, int keep)
{
	struct phone_tvs_entry e;
	char path[PATH_MAX];
	size_t i, oldest;
	int err, at;

	memset(&e, 0, sizeof(e));
	if ((err = phone_cert_sha256(cert, e.sha256)) != 0)
		return err;
	e.expires = ph->clock() + (time_t)ttl;
	e.nroles = nroles > SBD_TVS_ROLES_MAX ? SBD_TVS_ROLES_MAX : nroles;
	memcpy(e.roles, roles, e.nroles);
	if (keep) {
		if (path_of(ph, CACHE_DIR, path, sizeof(path)) != 0 ||
		    (mkdir(path, 0755) != 0 && errno != EEXIST))
			return SBD_ERR_IO;
		if ((err = cache_cert_path(ph, e.sha256, path,
		    sizeof(path))) != 0 || (err = sbd_cert_save(path,
		    cert)) != 0)
			return err;
	}
	if ((at = phone_cache_find(ph, e.sha256)) >= 0) {
		ph->tvs_cache[at] = e;
	} else {
		for (i = ph->ntvs_cache; i > 0; i--)
			if (phone_cache_expired(ph, i - 1))
				cache_drop(ph, i - 1);
		/* Full of live entries: the one that expires first goes. */
		if (ph->ntvs_cache == PHONE_TVS_CACHE_MAX) {
			for (oldest = 0, i = 1; i < ph->ntvs_cache; i++)
				if (ph->tvs_cache[i].expires <
				    ph->tvs_cache[oldest].expires)
					oldest = i;
			cache_drop(ph, oldest);
		}
		ph->tvs_cache[ph->ntvs_cache++] = e;
	}
	return cache_save(ph);
}

/* ---- the configuration (libxml2) --------------------------------------- */

static int
is_elem(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static xmlNodePtr
child(const xmlNode *parent, const char *name)
{
	xmlNodePtr n;

	if (parent == NULL)
		return NULL;
	for (n = parent->children; n != NULL; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* An element's text, trimmed, into buf; -1 when absent or too long. */
static int
text_of(const xmlNode *n, char *buf, size_t cap)
{
	xmlChar *t;
	const char *s;
	size_t len;
	int r = -1;

	if (n == NULL || (t = xmlNodeGetContent(n)) == NULL)
		return -1;
	s = (const char *)t;
	s += strspn(s, " \t\r\n");
	len = strlen(s);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	if (len < cap) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		r = 0;
	}
	xmlFree(t);
	return r;
}

static int
text_uint(const xmlNode *n, unsigned long lo, unsigned long hi,
    unsigned long *v)
{
	char buf[16];

	if (text_of(n, buf, sizeof(buf)) != 0)
		return -1;
	return phone_parse_ulong(buf, lo, hi, v);
}

/* A host and port from two child elements. */
static int
server_of(const xmlNode *n, const char *host_elem, const char *port_elem,
    struct phone_server *s)
{
	unsigned long port;

	if (text_of(child(n, host_elem), s->host, sizeof(s->host)) != 0 ||
	    s->host[0] == '\0' || !printable(s->host) ||
	    text_uint(child(n, port_elem), 1, 65535, &port) != 0)
		return -1;
	s->port = (uint16_t)port;
	return 0;
}

/* What the phone takes from a configuration (cluster.c config_tree). */
struct conf {
	struct phone_server tvs[SBD_TVS_MAX];
	unsigned long prio[SBD_TVS_MAX];
	size_t ntvs;
	struct phone_server capf;
	int capf_auth;
	int encr;
	int full;
};

/* <TVS><members><member priority="N"><port/><address/>, by priority. */
static void
conf_tvs(const xmlNode *root, struct conf *c)
{
	xmlNodePtr m;
	xmlChar *pr;
	struct phone_server s;
	unsigned long prio;
	char *end;
	size_t i, keep;

	for (m = child(child(child(root, "TVS"), "members"), "member");
	    m != NULL; m = m->next) {
		if (!is_elem(m, "member"))
			continue;
		prio = ULONG_MAX;
		if ((pr = xmlGetProp(m, (const xmlChar *)"priority")) != NULL) {
			errno = 0;
			prio = strtoul((const char *)pr, &end, 10);
			if (errno != 0 || *end != '\0')
				prio = ULONG_MAX;
			xmlFree(pr);
		}
		memset(&s, 0, sizeof(s));
		if (server_of(m, "address", "port", &s) != 0)
			continue;
		/* In priority order, the lowest first; equal ones keep their
		 * document order.  Past SBD_TVS_MAX the last one drops. */
		for (i = c->ntvs; i > 0 && c->prio[i - 1] > prio; i--)
			;
		if (i == SBD_TVS_MAX)
			continue;
		keep = c->ntvs < SBD_TVS_MAX ? c->ntvs : SBD_TVS_MAX - 1;
		memmove(&c->tvs[i + 1], &c->tvs[i], (keep - i) *
		    sizeof(c->tvs[0]));
		memmove(&c->prio[i + 1], &c->prio[i], (keep - i) *
		    sizeof(c->prio[0]));
		c->tvs[i] = s;
		c->prio[i] = prio;
		if (c->ntvs < SBD_TVS_MAX)
			c->ntvs++;
	}
}

static int
conf_parse_xml(const uint8_t *xml, size_t len, struct conf *c)
{
	xmlDocPtr doc;
	xmlNodePtr root, capf;
	unsigned long v;
	char b[16];
	int err = SBD_ERR_XML;

	memset(c, 0, sizeof(*c));
	c->full = 1;
	if (len > SBD_CONF_MAX || (doc = xmlReadMemory((const char *)xml,
	    (int)len, "config.xml", NULL, XML_OPTS)) == NULL)
		return SBD_ERR_XML;
	root = xmlDocGetRootElement(doc);
	if (!is_elem(root, "device"))
		goto out;
	conf_tvs(root, c);
	for (capf = child(child(root, "capfList"), "capf"); capf != NULL;
	    capf = capf->next)
		if (is_elem(capf, "capf") && server_of(capf,
		    "processNodeName", "phonePort", &c->capf) == 0)
			break;
	if (text_uint(child(root, "capfAuthMode"), 0, 4, &v) == 0)
		c->capf_auth = (int)v;
	c->encr = text_of(child(root, "encrConfig"), b, sizeof(b)) == 0 &&
	    strcasecmp(b, "true") == 0;
	c->full = !(text_of(child(root, "fullConfig"), b, sizeof(b)) == 0 &&
	    strcasecmp(b, "false") == 0);
	err = 0;
out:
	xmlFreeDoc(doc);
	return err;
}

int
phone_config_is_full(const uint8_t *xml, size_t len)
{
	struct conf c;

	return conf_parse_xml(xml, len, &c) == 0 && c.full;
}

int
phone_config_encrypted(const uint8_t *xml, size_t len)
{
	struct conf c;

	if (conf_parse_xml(xml, len, &c) != 0)
		return -1;
	return c.encr;
}

int
phone_config_apply(struct phone *ph, const uint8_t *xml, size_t len)
{
	struct conf c;
	uint8_t *copy;
	int err;

	if ((err = conf_parse_xml(xml, len, &c)) != 0)
		return err;
	if ((copy = malloc(len ? len : 1)) == NULL)
		return SBD_ERR_NOMEM;
	memcpy(copy, xml, len);
	if (ph->config != NULL) {
		OPENSSL_cleanse(ph->config, ph->config_len);
		free(ph->config);
	}
	ph->config = copy;
	ph->config_len = len;
	memcpy(ph->tvs, c.tvs, sizeof(ph->tvs));
	ph->ntvs = c.ntvs;
	ph->capf = c.capf;
	ph->capf_auth = c.capf_auth;
	ph->encr_config = c.encr;
	return 0;
}

/* ---- load, init, free -------------------------------------------------- */

/* An installed trust list, if any. */
static int
load_list(struct phone *ph, const char *file, uint8_t **buf, size_t *len,
    struct sbd_tl **tl)
{
	int err;

	if ((err = read_opt(ph, file, SBD_TL_PARSE_MAX, buf, len)) != 0 ||
	    *buf == NULL)
		return err;
	return sbd_tl_parse(*buf, *len, SBD_PARSE_SKIP_UNKNOWN, tl, NULL);
}

/* A certificate and its key, if the phone has them. */
static int
load_pair(struct phone *ph, const char *certfile, const char *keyfile,
    X509 **cert, EVP_PKEY **key)
{
	char path[PATH_MAX];
	int err;

	if ((err = path_of(ph, certfile, path, sizeof(path))) != 0)
		return err;
	if (access(path, F_OK) != 0)
		return 0;
	if ((err = sbd_cert_load(path, cert)) != 0 ||
	    (err = path_of(ph, keyfile, path, sizeof(path))) != 0 ||
	    (err = sbd_key_load(path, key)) != 0)
		return err;
	return sbd_key_matches(*cert, *key) ? 0 : SBD_ERR_KEY;
}

int
phone_load(const char *dir, struct phone **out)
{
	struct phone *ph;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (dir == NULL || out == NULL || strlen(dir) >= PHONE_DIR_MAX)
		return SBD_ERR_INVAL;
	if ((ph = calloc(1, sizeof(*ph))) == NULL)
		return SBD_ERR_NOMEM;
	memcpy(ph->dir, dir, strlen(dir) + 1);
	ph->clock = phone_clock;
	if ((err = conf_load(ph)) != 0 ||
	    (err = load_list(ph, "ctl.tlv", &ph->ctl_buf, &ph->ctl_len,
	    &ph->ctl)) != 0 ||
	    (err = load_list(ph, "itl.tlv", &ph->itl_buf, &ph->itl_len,
	    &ph->itl)) != 0 ||
	    (err = cache_load(ph)) != 0 ||
	    (err = load_pair(ph, "lsc.pem", "lsc.key", &ph->lsc,
	    &ph->lsc_key)) != 0 ||
	    (err = load_pair(ph, "mic.pem", "mic.key", &ph->mic,
	    &ph->mic_key)) != 0)
		goto out;
	if ((err = read_opt(ph, "config.xml", SBD_CONF_MAX, &buf,
	    &len)) != 0)
		goto out;
	/* A configuration that no longer parses is as good as none. */
	if (buf != NULL && (err = phone_config_apply(ph, buf, len)) != 0 &&
	    err != SBD_ERR_XML)
		goto out;
	*out = ph;
	ph = NULL;
	err = 0;
out:
	free(buf);
	phone_free(ph);
	return err;
}

void
phone_free(struct phone *ph)
{
	if (ph == NULL)
		return;
	free(ph->ctl_buf);
	free(ph->itl_buf);
	sbd_tl_free(ph->ctl);
	sbd_tl_free(ph->itl);
	X509_free(ph->lsc);
	X509_free(ph->mic);
	/* EVP_PKEY_free clears the key material. */
	EVP_PKEY_free(ph->lsc_key);
	EVP_PKEY_free(ph->mic_key);
	if (ph->config != NULL) {
		/* A decrypted configuration was meant for this phone only. */
		OPENSSL_cleanse(ph->config, ph->config_len);
		free(ph->config);
	}
	free(ph);
}

/* A self-signed manufacturer certificate, as a test stands in for one. */
static int
make_mic(struct phone *ph)
{
	struct sbd_cert_req req;
	char cn[SBD_MODEL_MAX + SBD_DEVNAME_MAX + 2], path[PATH_MAX];
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	int err;

	phone_tvs_devname(ph, cn, sizeof(cn));
	memset(&req, 0, sizeof(req));
	req.cn = cn;
	req.o = "Cisco Systems Inc.";
	req.days = MIC_DAYS;
	req.profile = SBD_CERT_DEVICE;
	if ((err = sbd_key_generate(SBD_KEY_RSA, 2048, &k)) != 0)
		goto out;
	req.key = k;
	if ((err = sbd_cert_create(&req, &c)) != 0 ||
	    (err = path_of(ph, "mic.key", path, sizeof(path))) != 0 ||
	    (err = sbd_key_save(path, k)) != 0 ||
	    (err = path_of(ph, "mic.pem", path, sizeof(path))) != 0)
		goto out;
	err = sbd_cert_save(path, c);
out:
	X509_free(c);
	EVP_PKEY_free(k);
	return err;
}

int
phone_init(const char *dir, const char *mac, const char *model, int mic)
{
	struct phone ph;
	char conf[64 + SBD_MODEL_MAX], path[PATH_MAX];
	int n, err;

	if (dir == NULL || mac == NULL || model == NULL ||
	    strlen(dir) >= PHONE_DIR_MAX || model[0] == '\0' ||
	    strlen(model) >= sizeof(ph.model) || !printable(model))
		return SBD_ERR_INVAL;
	memset(&ph, 0, sizeof(ph));
	memcpy(ph.dir, dir, strlen(dir) + 1);
	memcpy(ph.model, model, strlen(model) + 1);
	ph.clock = phone_clock;
	if (sbd_mac_parse(mac, ph.mac) != 0)
		return SBD_ERR_VALUE;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return SBD_ERR_IO;
	if ((err = path_of(&ph, CONF_FILE, path, sizeof(path))) != 0)
		return err;
	if (access(path, F_OK) == 0)
		return SBD_ERR_EXISTS;
	if (mic && (err = make_mic(&ph)) != 0)
		return err;
	n = snprintf(conf, sizeof(conf), "mac=%s\nmodel=%s\n", ph.mac,
	    ph.model);
	return phone_save(&ph, CONF_FILE, conf, (size_t)n, 0644);
}

int
phone_set_lsc(struct phone *ph, X509 *lsc, EVP_PKEY *key)
{
	char path[PATH_MAX];
	int err;

	if (ph == NULL || lsc == NULL || key == NULL)
		return SBD_ERR_INVAL;
	if (!sbd_key_matches(lsc, key))
		return SBD_ERR_KEY;
	/* The key first: an LSC without its key would be useless. */
	if ((err = path_of(ph, "lsc.key", path, sizeof(path))) != 0 ||
	    (err = sbd_key_save(path, key)) != 0 ||
	    (err = path_of(ph, "lsc.pem", path, sizeof(path))) != 0 ||
	    (err = sbd_cert_save(path, lsc)) != 0)
		return err;
	/* ph keeps references of its own; the caller keeps its own. */
	if (X509_up_ref(lsc) != 1)
		return SBD_ERR_CRYPTO;
	if (EVP_PKEY_up_ref(key) != 1) {
		X509_free(lsc);
		return SBD_ERR_CRYPTO;
	}
	X509_free(ph->lsc);
	EVP_PKEY_free(ph->lsc_key);
	ph->lsc = lsc;
	ph->lsc_key = key;
	return 0;
}
