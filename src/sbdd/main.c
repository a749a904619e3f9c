/*
 * sbdd: the node daemon.  This file holds configuration, the event loop,
 * signals, logging, the per-device memory of what was served, and the
 * control socket that `sbdctl stats` and `sbdctl reload` talk to.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "sbd/cluster.h"
#include "sbd/json.h"
#include "sbd/util.h"
#include "sbdd.h"

#define SBDD_VERSION	"0.1.0"
#define CTL_LINE_MAX	64		/* longest control command */
#define CTL_TIMEOUT_S	5
#define NOTES_MAX	65536		/* device notes pending a flush */
#define PEER_LOG_BURST	20		/* peer warnings per second */

static const char *usage_text =
    "usage: sbdd -d DATADIR -n NODE [-fv] [-c CONFIG] [-o KEY=VALUE]...\n";
static const char *settings_text =
    "settings (-o KEY=VALUE, or KEY = VALUE lines in CONFIG):\n"
    "  addr tftp_port http_port tvs_port capf_port upstream\n"
    "  max_transfers max_per_client lifetime max_retries rexmit_ms\n"
    "  blksize_cap window_cap file_max cache_max sign_threads\n"
    "  upstream_timeout_ms proxy_ttl proxy_neg_ttl tls_legacy tls_ciphers\n"
    "  tls_max_conns tls_max_per_client tls_idle tls_total\n"
    "  tvs_max_requests capf_step alarm_check\n"
    "See sbdd(8) for what each does.\n";

/* What sbdd remembers per device until the next flush to the store. */
enum note_kind { NOTE_ITL, NOTE_CONFIG, NOTE_REPORTED };

struct note {
	enum note_kind kind;
	char mac[SBD_MAC_LEN + 1];
	char sha1[41];		/* "" for a configuration fetch, or a phone
				 * that holds no ITL */
	int64_t when;
};

static struct note *notes;
static size_t nnotes;
static uint64_t notes_dropped;
static int64_t store_gen;

static struct event *ev_tick, *ev_hup, *ev_term, *ev_int, *ev_drain;
static struct evconnlistener *ctl_listener;
static char ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static uint64_t drain_deadline;
static int owns_run;		/* the run files are ours to remove */
static char rename_to[SBD_NAME_MAX];	/* the node's new name: start again */

/* ---- logging --------------------------------------------------------- */

static void
vlog_(struct sbdd *d, int prio, const char *fmt, va_list ap)
{
	char tbuf[32];
	struct tm tm;
	time_t now;

	if (prio == LOG_DEBUG && !d->conf.verbose)
		return;
	if (!d->conf.foreground) {
		vsyslog(prio, fmt, ap);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s sbdd[%s]: ", tbuf, d->conf.node);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
sbdd_log(struct sbdd *d, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_(d, prio, fmt, ap);
	va_end(ap);
}

void
sbdd_log_peer(struct sbdd *d, const struct sockaddr *peer, const char *fmt,
    ...)
{
	static uint64_t window;
	static unsigned used, suppressed;
	char a[INET6_ADDRSTRLEN + 8], msg[256];
	uint64_t now = sbdd_now_usec() / 1000000;
	va_list ap;

	/* A flood of bad packets must not become a flood of log lines. */
	if (now != window) {
		if (suppressed)
			sbdd_log(d, LOG_WARNING, "%u peer warnings suppressed",
			    suppressed);
		window = now;
		used = suppressed = 0;
	}
	if (used >= PEER_LOG_BURST) {
		suppressed++;
		return;
	}
	used++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sbdd_log(d, LOG_WARNING, "%s: %s", sbdd_addrstr(peer, a, sizeof(a)),
	    msg);
}

const char *
sbdd_addrstr(const struct sockaddr *sa, char *buf, size_t cap)
{
	char h[INET6_ADDRSTRLEN];
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;

	if (sa == NULL) {
		snprintf(buf, cap, "-");
	} else if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
		snprintf(buf, cap, "%s:%u", h, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
		snprintf(buf, cap, "[%s]:%u", h, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
	return buf;
}

uint64_t
sbdd_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * A client's file name as it may appear in a log: printable ASCII only,
 * cut short, so a log line never carries control bytes or a client's
 * kilobyte of garbage.
 */
static void
log_name(const char *name, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; name[i] != '\0' && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)name[i];

		out[o++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
	}
	if (name[i] != '\0') {
		out[o++] = '.';
		out[o++] = '.';
		out[o++] = '.';
	}
	out[o] = '\0';
}

/* ---- what was served, per device ------------------------------------- */

static void
note_add(enum note_kind kind, const char *mac, const char *sha1)
{
	struct note *n;

	if (notes == NULL &&
	    (notes = calloc(NOTES_MAX, sizeof(*notes))) == NULL) {
		notes_dropped++;
		return;
	}
	if (nnotes == NOTES_MAX) {
		notes_dropped++;
		return;
	}
	n = &notes[nnotes++];
	n->kind = kind;
	snprintf(n->mac, sizeof(n->mac), "%s", mac);
	snprintf(n->sha1, sizeof(n->sha1), "%s", sha1);
	n->when = (int64_t)time(NULL);
}

/*
 * Write the pending notes in one transaction: a boot storm of thousands
 * of phones costs one fsync a second, not one per transfer.
 */
static void
notes_flush(struct sbdd *d)
{
	size_t i;
	int r = 0;

	if (nnotes == 0)
		return;
	if ((r = sbd_store_begin(d->store)) != 0)
		goto out;
	for (i = 0; i < nnotes && r == 0; i++) {
		switch (notes[i].kind) {
		case NOTE_ITL:
			r = sbd_store_device_note_itl(d->store, notes[i].mac,
			    notes[i].sha1, notes[i].when);
			break;
		case NOTE_CONFIG:
			r = sbd_store_device_note_config(d->store,
			    notes[i].mac, notes[i].when);
			break;
		case NOTE_REPORTED:
			r = sbd_store_device_note_reported(d->store,
			    notes[i].mac, notes[i].sha1, notes[i].when);
			break;
		}
	}
	if (r == 0)
		r = sbd_store_commit(d->store);
	else
		sbd_store_rollback(d->store);
out:
	if (r == SBD_ERR_BUSY)
		return;		/* keep them; try again next second */
	if (r != 0)
		sbdd_log(d, LOG_ERR, "store: recording %zu device notes: %s",
		    nnotes, sbd_store_errmsg(d->store));
	nnotes = 0;
}

void
sbdd_transfer_done(struct sbdd *d, enum sbdd_proto proto,
    const struct sockaddr *peer, const char *name, const struct sbdd_hit *hit,
    const char *result, uint64_t bytes, uint64_t usec)
{
	char a[INET6_ADDRSTRLEN + 8], n[72];

	log_name(name, n, sizeof(n));
	sbdd_log(d, LOG_INFO, "%s %s \"%s\" %s %llu bytes %llu.%03llu ms",
	    proto == SBDD_TFTP ? "tftp" : "http",
	    sbdd_addrstr(peer, a, sizeof(a)), n, result,
	    (unsigned long long)bytes, (unsigned long long)(usec / 1000),
	    (unsigned long long)(usec % 1000));
	if (hit == NULL || hit->mac[0] == '\0' || strcmp(result, "ok") != 0)
		return;
	switch (hit->kind) {
	case SBDD_KIND_ITL:
		if (sbdd_blob_sha1(hit->blob) == 0)
			note_add(NOTE_ITL, hit->mac, hit->blob->sha1);
		break;
	case SBDD_KIND_CONFIG_SIGNED:
	case SBDD_KIND_CONFIG_ENC:
		note_add(NOTE_CONFIG, hit->mac, "");
		break;
	default:
		break;
	}
}

void
sbdd_note_reported(struct sbdd *d, const char *mac, const char *sha1)
{
	(void)d;
	note_add(NOTE_REPORTED, mac, sha1);
}

static int reload(struct sbdd *, const char *);

/* ---- configuration --------------------------------------------------- */

static int
conf_uint(const char *v, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	char *end;
	unsigned long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

static int
conf_port(const char *v, int *out)
{
	unsigned long x;

	if (strcmp(v, "off") == 0) {
		*out = SBDD_PORT_OFF;
		return 0;
	}
	if (conf_uint(v, 0, 65535, &x) != 0)
		return -1;
	*out = (int)x;
	return 0;
}

static int
conf_upstream(struct sbdd_conf *c, const char *v)
{
	char host[INET6_ADDRSTRLEN + 2], *colon;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	struct sockaddr_storage ss;
	unsigned long port = 69;
	const char *h = host;

	if (c->nupstream == SBDD_UPSTREAM_MAX || strlen(v) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%s", v);
	/* "[v6]:port", "v4:port" or a bare address. */
	if (host[0] == '[') {
		if ((colon = strchr(host, ']')) == NULL)
			return -1;
		*colon++ = '\0';
		h = host + 1;
		if (*colon == ':' && conf_uint(colon + 1, 1, 65535, &port))
			return -1;
	} else if ((colon = strrchr(host, ':')) != NULL &&
	    strchr(host, ':') == colon) {
		*colon = '\0';
		if (conf_uint(colon + 1, 1, 65535, &port) != 0)
			return -1;
	}
	memset(&ss, 0, sizeof(ss));
	s4 = (struct sockaddr_in *)&ss;
	s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		c->upstream_len[c->nupstream] = sizeof(*s4);
	} else if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		c->upstream_len[c->nupstream] = sizeof(*s6);
	} else {
		return -1;
	}
	c->upstream[c->nupstream++] = ss;
	return 0;
}

/* One "key=value" setting; 0 or -1 (unknown key or bad value). */
static int
conf_set(struct sbdd_conf *c, const char *key, const char *v)
{
	unsigned long x;
	int r;

#define UINT_KEY(name, field, lo, hi)					\
	if (strcmp(key, name) == 0) {					\
		if ((r = conf_uint(v, lo, hi, &x)) == 0)		\
			c->field = x;					\
		return r;						\
	}
	if (strcmp(key, "addr") == 0) {
		if (strlen(v) >= sizeof(c->addr) || *v == '\0')
			return -1;
		snprintf(c->addr, sizeof(c->addr), "%s", v);
		return 0;
	}
	if (strcmp(key, "tftp_port") == 0)
		return conf_port(v, &c->tftp_port);
	if (strcmp(key, "http_port") == 0)
		return conf_port(v, &c->http_port);
	if (strcmp(key, "tvs_port") == 0)
		return conf_port(v, &c->tvs_port);
	if (strcmp(key, "capf_port") == 0)
		return conf_port(v, &c->capf_port);
	if (strcmp(key, "tls_ciphers") == 0) {
		if (strlen(v) >= sizeof(c->tls_ciphers))
			return -1;
		snprintf(c->tls_ciphers, sizeof(c->tls_ciphers), "%s", v);
		return 0;
	}
	if (strcmp(key, "upstream") == 0)
		return conf_upstream(c, v);
	UINT_KEY("max_transfers", max_transfers, 1, 1000000)
	UINT_KEY("max_per_client", max_per_client, 1, 100000)
	UINT_KEY("lifetime", lifetime_s, 1, 86400)
	UINT_KEY("max_retries", max_retries, 0, 100)
	UINT_KEY("rexmit_ms", rexmit_ms, 10, 255000)
	UINT_KEY("blksize_cap", blksize_cap, SBD_TFTP_BLKSIZE_MIN,
	    SBD_TFTP_BLKSIZE_MAX)
	UINT_KEY("window_cap", window_cap, 1, SBD_TFTP_WINDOW_MAX)
	UINT_KEY("file_max", file_max, 1, (unsigned long)SIZE_MAX / 2)
	UINT_KEY("cache_max", cache_max, 0, (unsigned long)SIZE_MAX / 2)
	UINT_KEY("sign_threads", sign_threads, 0, 1)
	UINT_KEY("upstream_timeout_ms", upstream_timeout_ms, 50, 60000)
	UINT_KEY("proxy_ttl", proxy_ttl_s, 0, 86400)
	UINT_KEY("proxy_neg_ttl", proxy_neg_ttl_s, 0, 86400)
	UINT_KEY("tls_legacy", tls_legacy, 0, 1)
	UINT_KEY("tls_max_conns", tls_max_conns, 1, 100000)
	UINT_KEY("tls_max_per_client", tls_max_per_client, 1, 100000)
	UINT_KEY("tls_idle", tls_idle_s, 1, 3600)
	UINT_KEY("tls_total", tls_total_s, 1, 86400)
	UINT_KEY("tvs_max_requests", tvs_max_requests, 1, 1000000)
	UINT_KEY("capf_step", capf_step_s, 1, 3600)
	UINT_KEY("alarm_check", alarm_check_s, 1, 86400)
#undef UINT_KEY
	return -1;
}

static int
conf_setting(struct sbdd_conf *c, const char *kv, const char *where)
{
	char key[64];
	const char *eq, *v, *k = kv;
	size_t n;

	while (*k == ' ' || *k == '\t')
		k++;
	if ((eq = strchr(k, '=')) == NULL ||
	    (n = (size_t)(eq - k)) >= sizeof(key))
		goto bad;
	/* "key = value": blanks around the key and before the value. */
	memcpy(key, k, n);
	while (n > 0 && (key[n - 1] == ' ' || key[n - 1] == '\t'))
		n--;
	key[n] = '\0';
	for (v = eq + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (conf_set(c, key, v) == 0)
		return 0;
bad:
	fprintf(stderr, "sbdd: %s: bad setting \"%.64s\"\n", where, kv);
	return -1;
}

static int
conf_file(struct sbdd_conf *c, const char *path)
{
	char line[512], where[PATH_MAX + 16];
	size_t n;
	unsigned lineno = 0;
	FILE *f;
	int r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "sbdd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			fprintf(stderr, "sbdd: %s:%u: line too long\n", path,
			    lineno);
			r = -1;
			break;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		r = conf_setting(c, line, where);
	}
	fclose(f);
	return r;
}

static void
conf_defaults(struct sbdd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->tftp_port = SBDD_PORT_STORE;
	c->http_port = SBDD_PORT_STORE;
	c->max_transfers = 4096;
	c->max_per_client = 16;
	c->lifetime_s = 120;
	c->max_retries = 5;
	c->rexmit_ms = 1000;
	c->window_cap = 64;
	c->file_max = (size_t)256 << 20;
	c->cache_max = (size_t)24 << 20;
	c->sign_threads = 1;
	/* A phone retries after about 4 s; each upstream gets less. */
	c->upstream_timeout_ms = 1000;
	c->proxy_ttl_s = 60;
	c->proxy_neg_ttl_s = 10;
	c->tvs_port = SBDD_PORT_STORE;
	c->capf_port = SBDD_PORT_STORE;
	c->tls_max_conns = 1024;
	c->tls_max_per_client = 16;
	c->tls_idle_s = 10;
	c->tls_total_s = 60;
	c->tvs_max_requests = 100;
	/* RSA-4096 key generation on an old phone takes a minute. */
	c->capf_step_s = 120;
	c->alarm_check_s = 60;
}

/* ---- control socket -------------------------------------------------- */

static char *
stats_json(struct sbdd *d, size_t *len)
{
	const struct sbdd_counters *k = &d->ctr;
	struct sbd_json j;
	char *buf = NULL;
	FILE *f;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	sbd_json_init(&j, f);
	sbd_json_obj(&j, NULL);
	sbd_json_str(&j, "node", d->conf.node);
#define K(name) sbd_json_int(&j, #name, (long long)k->name)
	K(tftp_served); K(tftp_misses); K(tftp_errors); K(tftp_rejected);
	K(tftp_retransmits); K(tftp_bytes); K(tftp_strange_tid);
	K(http_served); K(http_misses); K(http_rejected);
	K(proxy_hits); K(proxy_misses); K(proxy_errors);
	K(signed_built); K(enc_built); K(reloads); K(tftp_restarts);
	K(tvs_conns); K(tvs_verify); K(tvs_query); K(tvs_valid);
	K(tvs_invalid); K(tvs_rejected); K(tvs_timeouts);
	K(capf_conns); K(capf_installed); K(capf_fetched); K(capf_deleted);
	K(capf_noop); K(capf_failed); K(capf_rejected);
	K(devicetlinfo); K(devicetlinfo_rejected); K(alarms_raised);
#undef K
	sbd_json_int(&j, "tftp_active", (long long)sbdd_tftp_active(d));
	sbd_json_int(&j, "tvs_active", (long long)sbdd_tvs_active(d));
	sbd_json_int(&j, "capf_active", (long long)sbdd_capf_active(d));
	sbd_json_int(&j, "notes_dropped", (long long)notes_dropped);
	sbd_json_end(&j);
	sbd_json_done(&j);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
ctl_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	bufferevent_free(bev);
}

static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	(void)arg;
	bufferevent_free(bev);
}

static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct sbdd *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line, *json;
	size_t n, len;

	if ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) == NULL) {
		if (evbuffer_get_length(in) > CTL_LINE_MAX)
			bufferevent_free(bev);
		return;
	}
	if (strcmp(line, "stats") == 0 &&
	    (json = stats_json(d, &len)) != NULL) {
		bufferevent_write(bev, json, len);
		free(json);
	} else if (strcmp(line, "reload") == 0) {
		if (reload(d, "sbdctl reload") == 0)
			bufferevent_write(bev, "ok\n", 3);
		else
			bufferevent_write(bev, "failed\n", 7);
	} else {
		bufferevent_write(bev, "unknown command\n", 16);
	}
	free(line);
	/* Close once the reply is out. */
	bufferevent_setcb(bev, NULL, ctl_written, ctl_event, d);
	bufferevent_disable(bev, EV_READ);
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct sbdd *d = arg;
	struct bufferevent *bev;
	struct timeval tv = { CTL_TIMEOUT_S, 0 };

	(void)l;
	(void)sa;
	(void)salen;
	bev = bufferevent_socket_new(d->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	bufferevent_setcb(bev, ctl_read, NULL, ctl_event, d);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ);
}

/*
 * The control socket lives in the node's run directory (0700), so only
 * the node's owner can read counters or ask for a reload.
 */
static int
ctl_start(struct sbdd *d)
{
	struct sockaddr_un sun;
	int fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/sbdd.sock", d->conf.run_dir) >= sizeof(sun.sun_path)) {
		sbdd_log(d, LOG_ERR, "%s: path too long for a socket",
		    d->conf.run_dir);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* A live daemon answers on the socket; refuse to start twice. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		sbdd_log(d, LOG_ERR, "node %s: sbdd is already running",
		    d->conf.node);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(sun.sun_path);
	owns_run = 1;
	snprintf(ctl_path, sizeof(ctl_path), "%s", sun.sun_path);
	ctl_listener = evconnlistener_new_bind(d->base, ctl_accept, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (ctl_listener == NULL) {
		sbdd_log(d, LOG_ERR, "%s: %s", sun.sun_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- timers and signals ---------------------------------------------- */

/*
 * Rebuild what is served from the store.  Each service keeps serving its
 * previous state when its rebuild fails.
 */
static int
reload(struct sbdd *d, const char *why)
{
	int r = 0;

	if (sbdd_resolver_reload(d) != 0) {
		sbdd_log(d, LOG_ERR, "reload after %s failed; still serving "
		    "the previous files", why);
		r = -1;
	}
	if (d->tvs != NULL && sbdd_tvs_reload(d) != 0) {
		sbdd_log(d, LOG_ERR, "TVS reload after %s failed; still "
		    "answering from the previous trust store", why);
		r = -1;
	}
	if (d->capf != NULL && sbdd_capf_reload(d) != 0) {
		sbdd_log(d, LOG_ERR, "CAPF reload after %s failed; still "
		    "using the previous certificate", why);
		r = -1;
	}
	return r;
}

/* Why sbd_node_renames_settle failed, for a message. */
static const char *
settle_error(struct sbdd *d, int r)
{
	if (r == SBD_ERR_EXISTS)
		return "its new directory exists and is not empty";
	if (r == SBD_ERR_IO)
		return strerror(errno);
	return sbd_store_errmsg(d->store);
}

/*
 * Is this node's directory still owed the move of a rename to its name?
 * A store failure counts as yes: the directory cannot be trusted.
 */
static int
own_move_pending(struct sbdd *d)
{
	struct sbd_node_rename *r = NULL;
	size_t n = 0, i;
	int pending = 1;

	if (sbd_store_node_rename_pending(d->store, &r, &n) == 0) {
		pending = 0;
		for (i = 0; i < n; i++)
			if (strcmp(r[i].new_name, d->conf.node) == 0)
				pending = 1;
	}
	free(r);
	return pending;
}

/*
 * Administrators change the store with sbdctl; follow it.  A change may
 * be a TFTP restart asked of this node (store.h, "TFTP restarts"): a
 * number above the one honoured, which the reload then honours.
 */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd *d = arg;
	struct sbd_node n;
	const char *why = "a store change";
	int64_t gen;
	int r;

	(void)fd;
	(void)what;
	notes_flush(d);
	if (sbd_store_generation(d->store, &gen) != 0 || gen == store_gen)
		return;
	store_gen = gen;
	/* Any node finishes the move of a rename whose sbdctl was killed. */
	if ((r = sbd_node_renames_settle(d->store, d->conf.datadir)) != 0)
		sbdd_log(d, LOG_ERR, "%s/nodes: a node rename waits for its "
		    "move: %s", d->conf.datadir, settle_error(d, r));
	r = sbd_store_node_get(d->store, d->conf.node, &n);
	/* A host name change: CUCM reboots the node, sbdd starts over. */
	if (r == SBD_ERR_NOTFOUND && !d->stopping &&
	    sbd_store_node_renamed(d->store, d->conf.node, rename_to) == 0) {
		sbdd_log(d, LOG_NOTICE, "node %s is now %s: starting again",
		    d->conf.node, rename_to);
		event_base_loopbreak(d->base);
		return;
	}
	if (r != 0)
		sbdd_log(d, LOG_ERR, "store: node %s: %s", d->conf.node,
		    sbd_store_errmsg(d->store));
	else if (n.tftp_restart > d->tftp_restart) {
		sbdd_log(d, LOG_INFO, "TFTP restart (request %lld)",
		    (long long)n.tftp_restart);
		d->tftp_restart = n.tftp_restart;
		d->ctr.tftp_restarts++;
		why = "a TFTP restart";
	}
	(void)reload(d, why);
}

static void
on_hup(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd *d = arg;

	(void)fd;
	(void)what;
	sbdd_log(d, LOG_INFO, "SIGHUP: reloading");
	(void)reload(d, "SIGHUP");
}

static void
on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd *d = arg;
	struct timeval tv = { 0, 100000 };

	(void)fd;
	(void)what;
	if ((sbdd_tftp_active(d) == 0 && sbdd_tvs_active(d) == 0 &&
	    sbdd_capf_active(d) == 0) || sbdd_now_usec() > drain_deadline) {
		event_base_loopbreak(d->base);
		return;
	}
	evtimer_add(ev_drain, &tv);
}

static void
on_term(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd *d = arg;

	(void)what;
	if (d->stopping)
		return;
	sbdd_log(d, LOG_INFO, "signal %d: finishing %zu transfers, %zu TVS "
	    "and %zu CAPF connections", (int)fd, sbdd_tftp_active(d),
	    sbdd_tvs_active(d), sbdd_capf_active(d));
	d->stopping = 1;
	if (d->tftp != NULL)
		sbdd_tftp_stop_accepting(d);
	if (d->tvs != NULL)
		sbdd_tvs_stop_accepting(d);
	if (d->capf != NULL)
		sbdd_capf_stop_accepting(d);
	sbdd_http_free(d);
	drain_deadline = sbdd_now_usec() +
	    (uint64_t)d->conf.lifetime_s * 1000000;
	on_drain(-1, 0, d);
}

/* ---- start-up -------------------------------------------------------- */

static int
write_runfiles(struct sbdd *d)
{
	char path[PATH_MAX], buf[128];
	int n, r;

	n = snprintf(buf, sizeof(buf), "tftp %u\nhttp %u\ntvs %u\ncapf %u\n",
	    d->tftp_bound, d->http_bound, d->tvs_bound, d->capf_bound);
	snprintf(path, sizeof(path), "%s/ports", d->conf.run_dir);
	if ((r = sbd_write_file_atomic(path, buf, (size_t)n, 0644)) != 0)
		return r;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	snprintf(path, sizeof(path), "%s/sbdd.pid", d->conf.run_dir);
	return sbd_write_file_atomic(path, buf, (size_t)n, 0644);
}

static void
remove_runfiles(struct sbdd *d)
{
	char path[PATH_MAX];

	if (!owns_run)
		return;
	snprintf(path, sizeof(path), "%s/ports", d->conf.run_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sbdd.pid", d->conf.run_dir);
	unlink(path);
	if (ctl_path[0] != '\0')
		unlink(ctl_path);
}

/*
 * A start is a TFTP restart (store.h, "TFTP restarts"): honour the
 * node's latest request when no sbdd has honoured it yet, else ask for a
 * new one.  0 is no request at all.  One transaction, so a request made
 * meanwhile is not taken for one already honoured.
 */
static int
start_restart(struct sbd_store *st, const char *node, int64_t *out)
{
	struct sbd_node_state s;
	struct sbd_node n;
	int64_t req;
	int r;

	if ((r = sbd_store_begin(st)) != 0)
		goto out;
	if ((r = sbd_store_node_get(st, node, &n)) != 0)
		goto undo;
	req = n.tftp_restart;
	r = sbd_store_node_state_get(st, node, &s);
	if (r != 0 && r != SBD_ERR_NOTFOUND)
		goto undo;
	if ((req == 0 || (r == 0 && s.tftp_restart >= req)) &&
	    (r = sbd_store_node_restart_tftp(st, node, &req)) != 0)
		goto undo;
	if ((r = sbd_store_commit(st)) == 0)
		*out = req;
	goto out;
undo:
	sbd_store_rollback(st);
out:
	return r;
}

static int
open_node(struct sbdd *d)
{
	char url[PATH_MAX];
	struct sbd_node node;
	int r;

	snprintf(url, sizeof(url), "%s/%s", d->conf.datadir, SBD_STORE_FILE);
	if ((r = sbd_store_open(url, 0, &d->store)) != 0) {
		fprintf(stderr, "sbdd: %s: %s%s%s\n", url, sbd_strerror(r),
		    *sbd_store_errmsg(NULL) ? ": " : "", sbd_store_errmsg(NULL));
		return -1;
	}
	r = sbd_store_node_get(d->store, d->conf.node, &node);
	if (r == SBD_ERR_NOTFOUND && sbd_store_node_renamed(d->store,
	    d->conf.node, rename_to) == 0) {
		fprintf(stderr, "sbdd: node %s is now %s\n", d->conf.node,
		    rename_to);
		memcpy(d->conf.node, rename_to, sizeof(d->conf.node));
		rename_to[0] = '\0';
		r = sbd_store_node_get(d->store, d->conf.node, &node);
	}
	if (r != 0) {
		fprintf(stderr, "sbdd: node %s: %s\n", d->conf.node,
		    r == SBD_ERR_NOTFOUND ? "not in the cluster store" :
		    sbd_store_errmsg(d->store));
		return -1;
	}
	/*
	 * A rename killed before its directory move is finished here.  One
	 * that cannot be stops this node only if it is this node's.
	 */
	if ((r = sbd_node_renames_settle(d->store, d->conf.datadir)) != 0) {
		fprintf(stderr, "sbdd: %s/nodes: cannot finish a node rename: "
		    "%s\n", d->conf.datadir, settle_error(d, r));
		if (own_move_pending(d))
			return -1;
	}
	if (d->conf.addr[0] == '\0')
		snprintf(d->conf.addr, sizeof(d->conf.addr), "%s", node.addr);
	if (d->conf.tftp_port == SBDD_PORT_STORE)
		d->conf.tftp_port = (node.services & SBD_SVC_TFTP) ?
		    node.tftp_port : SBDD_PORT_OFF;
	if (d->conf.http_port == SBDD_PORT_STORE)
		d->conf.http_port = (node.services & SBD_SVC_TFTP) &&
		    node.http_port != 0 ? node.http_port : SBDD_PORT_OFF;
	if (d->conf.tvs_port == SBDD_PORT_STORE)
		d->conf.tvs_port = (node.services & SBD_SVC_TVS) ?
		    node.tvs_port : SBDD_PORT_OFF;
	if (d->conf.capf_port == SBDD_PORT_STORE)
		d->conf.capf_port = (node.services & SBD_SVC_CAPF) ?
		    node.capf_port : SBDD_PORT_OFF;
	if (sbd_node_dir(d->conf.datadir, d->conf.node, "tftp",
	    d->conf.tftp_dir, sizeof(d->conf.tftp_dir)) != 0 ||
	    sbd_node_dir(d->conf.datadir, d->conf.node, "run",
	    d->conf.run_dir, sizeof(d->conf.run_dir)) != 0) {
		fprintf(stderr, "sbdd: %s: path too long\n", d->conf.datadir);
		return -1;
	}
	if (mkdir(d->conf.run_dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "sbdd: %s: %s\n", d->conf.run_dir,
		    strerror(errno));
		return -1;
	}
	if (start_restart(d->store, d->conf.node, &d->tftp_restart) != 0) {
		fprintf(stderr, "sbdd: node %s: TFTP restart: %s\n",
		    d->conf.node, sbd_store_errmsg(d->store));
		return -1;
	}
	/* After the restart request, which is a change this start serves. */
	return sbd_store_generation(d->store, &store_gen) == 0 ? 0 : -1;
}

static int
add_signal(struct sbdd *d, int sig, event_callback_fn fn, struct event **ev)
{
	if ((*ev = evsignal_new(d->base, sig, fn, d)) == NULL ||
	    event_add(*ev, NULL) != 0)
		return -1;
	return 0;
}

static int
start(struct sbdd *d)
{
	struct timeval one = { 1, 0 };

	if ((d->base = event_base_new()) == NULL)
		return -1;
	if (sbdd_signer_init(d) != 0 || sbdd_resolver_init(d) != 0 ||
	    sbdd_proxy_init(d) != 0)
		return -1;
	if (d->conf.tftp_port != SBDD_PORT_OFF && sbdd_tftp_start(d) != 0)
		return -1;
	if (d->conf.http_port != SBDD_PORT_OFF && sbdd_http_start(d) != 0)
		return -1;
	if (d->conf.tvs_port != SBDD_PORT_OFF && sbdd_tvs_start(d) != 0)
		return -1;
	if (d->conf.capf_port != SBDD_PORT_OFF && sbdd_capf_start(d) != 0)
		return -1;
	if (ctl_start(d) != 0)
		return -1;
	if (add_signal(d, SIGHUP, on_hup, &ev_hup) != 0 ||
	    add_signal(d, SIGTERM, on_term, &ev_term) != 0 ||
	    add_signal(d, SIGINT, on_term, &ev_int) != 0)
		return -1;
	if ((ev_tick = event_new(d->base, -1, EV_PERSIST, on_tick, d)) ==
	    NULL || event_add(ev_tick, &one) != 0)
		return -1;
	if ((ev_drain = evtimer_new(d->base, on_drain, d)) == NULL)
		return -1;
	if (sbdd_alarm_start(d) != 0)
		return -1;
	if (write_runfiles(d) != 0) {
		sbdd_log(d, LOG_ERR, "%s: cannot write run files",
		    d->conf.run_dir);
		return -1;
	}
	return 0;
}

static void
finish(struct sbdd *d)
{
	notes_flush(d);
	if (ctl_listener != NULL)
		evconnlistener_free(ctl_listener);
	if (ev_tick != NULL)
		event_free(ev_tick);
	if (ev_drain != NULL)
		event_free(ev_drain);
	if (ev_hup != NULL)
		event_free(ev_hup);
	if (ev_term != NULL)
		event_free(ev_term);
	if (ev_int != NULL)
		event_free(ev_int);
	sbdd_alarm_free(d);
	sbdd_tftp_free(d);
	sbdd_http_free(d);
	sbdd_tvs_free(d);
	sbdd_capf_free(d);
	sbdd_proxy_free(d);
	/* Signatures still owed are answered before the resolver goes. */
	sbdd_signer_free(d);
	sbdd_resolver_free(d);
	if (d->base != NULL)
		event_base_free(d->base);
	sbd_store_close(d->store);
	free(notes);
}

/*
 * Start again as node name, the same process (pid files and supervisors
 * stay right) with the same options: getopt takes the last -n.  Every
 * socket is closed already; no other descriptor may leak into the new
 * image.  Returns only on failure, logged.
 */
#define DELETED	" (deleted)"	/* readlink of a removed executable */

static void
restart_as(struct sbdd *d, int argc, char **argv, const char *name)
{
	char **nargv, exe[PATH_MAX];
	ssize_t n;
	int i;

	/*
	 * The file itself, not /proc/self/exe: ps and pgrep see "sbdd".  A
	 * binary replaced since the start is the new one at the same path,
	 * as a service restart would run.
	 */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0) {
		sbdd_log(d, LOG_ERR, "cannot start again as %s: "
		    "/proc/self/exe: %s", name, strerror(errno));
		return;
	}
	exe[n] = '\0';
	if ((size_t)n > sizeof(DELETED) - 1 &&
	    strcmp(exe + n - (sizeof(DELETED) - 1), DELETED) == 0)
		exe[n - (sizeof(DELETED) - 1)] = '\0';
	if ((nargv = calloc((size_t)argc + 3, sizeof(*nargv))) == NULL) {
		sbdd_log(d, LOG_ERR, "cannot start again as %s: out of memory",
		    name);
		return;
	}
	for (i = 0; i < argc; i++)
		nargv[i] = argv[i];
	nargv[argc] = "-n";
	nargv[argc + 1] = (char *)name;
	closelog();
	(void)close_range(3, ~0U, 0);
	execv(exe, nargv);
	sbdd_log(d, LOG_ERR, "cannot start again as %s: %s", name,
	    strerror(errno));
	free(nargv);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "option", required_argument, NULL, 'o' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sbdd d;
	char *opts[64];
	const char *config = NULL;
	size_t nopts = 0, i;
	int ch, st = 1;

	memset(&d, 0, sizeof(d));
	conf_defaults(&d.conf);
	while ((ch = getopt_long(argc, argv, "c:d:fhn:o:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			snprintf(d.conf.datadir, sizeof(d.conf.datadir), "%s",
			    optarg);
			break;
		case 'f':
			d.conf.foreground = 1;
			break;
		case 'n':
			snprintf(d.conf.node, sizeof(d.conf.node), "%s",
			    optarg);
			break;
		case 'o':
			if (nopts == sizeof(opts) / sizeof(opts[0])) {
				fprintf(stderr, "sbdd: too many -o\n");
				return 2;
			}
			opts[nopts++] = optarg;
			break;
		case 'v':
			d.conf.verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(settings_text, stdout);
			return 0;
		case 'V':
			printf("sbdd %s\n", SBDD_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc || d.conf.datadir[0] == '\0' ||
	    d.conf.node[0] == '\0') {
		fputs(usage_text, stderr);
		return 2;
	}
	/* The file first, so -o on the command line wins. */
	if (config != NULL && conf_file(&d.conf, config) != 0)
		return 2;
	for (i = 0; i < nopts; i++)
		if (conf_setting(&d.conf, opts[i], "-o") != 0)
			return 2;
	if (!d.conf.foreground)
		openlog("sbdd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	/* A client that goes away mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	if (open_node(&d) != 0)
		goto out;
	if (start(&d) != 0) {
		sbdd_log(&d, LOG_ERR, "start-up failed");
		goto out;
	}
	sbdd_log(&d, LOG_INFO, "node %s ready on %s: tftp %u http %u tvs %u "
	    "capf %u (0: off), TFTP restart %lld", d.conf.node, d.conf.addr,
	    d.tftp_bound, d.http_bound, d.tvs_bound, d.capf_bound,
	    (long long)d.tftp_restart);
	if (event_base_dispatch(d.base) == -1)
		goto out;
	if (rename_to[0] != '\0') {
		/* sbdctl may have moved the node's directory already. */
		if (access(d.conf.run_dir, F_OK) != 0 &&
		    sbd_node_dir(d.conf.datadir, rename_to, "run",
		    d.conf.run_dir, sizeof(d.conf.run_dir)) == 0 &&
		    (size_t)snprintf(ctl_path, sizeof(ctl_path),
		    "%s/sbdd.sock", d.conf.run_dir) >= sizeof(ctl_path))
			ctl_path[0] = '\0';
		remove_runfiles(&d);
		finish(&d);
		restart_as(&d, argc, argv, rename_to);
		return 1;
	}
	/* sbdctl waits on this node no more. */
	sbdd_resolver_state(&d, 0);
	sbdd_log(&d, LOG_INFO, "stopped: %llu transfers served",
	    (unsigned long long)(d.ctr.tftp_served + d.ctr.http_served));
	st = 0;
out:
	remove_runfiles(&d);
	finish(&d);
	return st;
}
