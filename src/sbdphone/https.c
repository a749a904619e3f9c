/*
 * sbdphone https: a phone service over HTTPS, such as the corporate
 * directory of seed 002.  The server's certificate is trusted as the
 * phone does it: a CTL/ITL record, the TVS cache, TVS VERIFY; otherwise
 * the phone shows "Host Not Found" and sends nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "sbd/util.h"
#include "sbdphone/internal.h"

#define HTTPS_PORT	443
#define URL_MAX		1024

struct url {
	char host[SBD_NAME_MAX];
	uint16_t port;
	const char *path;		/* into the URL, starts with '/' */
};

/* https://HOST[:PORT]/PATH, HOST a name, IPv4 or [IPv6] literal. */
static int
url_parse(const char *s, struct url *u)
{
	const char *h, *end, *port;
	unsigned long p = HTTPS_PORT;
	char *pend;
	size_t n;

	if (strncmp(s, "https://", 8) != 0 || strlen(s) > URL_MAX)
		return -1;
	h = s + 8;
	if ((u->path = strchr(h, '/')) == NULL)
		return -1;
	if (*h == '[') {
		if ((end = memchr(h, ']', (size_t)(u->path - h))) == NULL)
			return -1;
		port = end + 1;
		h++;
	} else {
		end = memchr(h, ':', (size_t)(u->path - h));
		if (end == NULL)
			end = u->path;
		port = end;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= sizeof(u->host))
		return -1;
	memcpy(u->host, h, n);
	u->host[n] = '\0';
	if (*port == ':') {
		errno = 0;
		p = strtoul(port + 1, &pend, 10);
		if (errno != 0 || pend != u->path || p == 0 || p > 65535)
			return -1;
	} else if (port != u->path)
		return -1;
	u->port = (uint16_t)p;
	return 0;
}

int
phone_https(struct phone *ph, const char *url, const char *out,
    unsigned timeout_ms)
{
	struct sbdn_tls_opts o;
	struct sbdn_tls *t = NULL;
	struct url u;
	char err[SBDN_ERRBUF] = "", why[PHONE_WHY_MAX] = "";
	uint8_t *body = NULL;
	size_t len = 0;
	X509 *peer;
	int e, via = PHONE_VIA_NONE;

	if (url_parse(url, &u) != 0) {
		fprintf(stderr, "sbdphone: %s: not https://HOST[:PORT]/PATH\n",
		    url);
		return SBD_ERR_INVAL;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = timeout_ms;
	o.cert = ph->lsc != NULL ? ph->lsc : ph->mic;
	o.key = ph->lsc != NULL ? ph->lsc_key : ph->mic_key;
	if ((e = sbdn_tls_connect(u.host, u.port, &o, &t, err)) != 0) {
		fprintf(stderr, "sbdphone: %s\n", err);
		phone_status(ph, "%s", PHONE_MSG_HOST_NOT_FOUND);
		goto out;
	}
	if ((peer = sbdn_tls_peer(t)) == NULL) {
		snprintf(why, sizeof(why), "the server sent no certificate");
		e = SBD_ERR_NOSIGNER;
	} else
		e = phone_judge_server(ph, peer, timeout_ms, &via, why);
	if (e != 0) {
		/* Seed 002: "HTTPS cert not in CTL", then TVS said no. */
		fprintf(stderr, "sbdphone: %s:%u: certificate not trusted: "
		    "%s\n", u.host, (unsigned)u.port, why[0] ? why :
		    sbd_strerror(e));
		phone_status(ph, "%s", PHONE_MSG_HOST_NOT_FOUND);
		goto out;
	}
	fprintf(stderr, "sbdphone: %s:%u: trusted by %s\n", u.host,
	    (unsigned)u.port, phone_via_name(via));
	if ((e = sbdn_http_get(u.host, u.port, t, u.path, timeout_ms,
	    PHONE_FILE_MAX, &body, &len, err)) != 0) {
		fprintf(stderr, "sbdphone: %s\n", err[0] ? err :
		    sbd_strerror(e));
		goto out;
	}
	if (out != NULL) {
		if ((e = sbd_write_file_atomic(out, body, len, 0644)) != 0)
			fprintf(stderr, "sbdphone: %s: cannot write: %s\n",
			    out, sbd_strerror(e));
	} else if (fwrite(body, 1, len, stdout) != len || fflush(stdout)) {
		fprintf(stderr, "sbdphone: standard output: %s\n",
		    strerror(errno));
		e = SBD_ERR_IO;
	}
out:
	free(body);
	sbdn_tls_close(t);
	return e;
}
