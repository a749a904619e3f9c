/*
 * Raw CAPF frames against a running sbdd (FORMATS.md 8): what sbdphone
 * never sends.
 *
 * usage: capf_raw HOST PORT CASE [DEVICE [PASSWORD]]
 *
 *   hello      read AUTH_REQUEST and check it byte for byte
 *   auth       AUTH_RESPONSE (VERSION 3, PASSWORD if given, DEVICE)
 *   split      the same, header and body in two writes
 *   version4   AUTH_RESPONSE with VERSION 4
 *   session    AUTH_RESPONSE with another session id
 *   badproto   a frame of protocol 0x57 (TVS's)
 *   toobig     a header announcing a body over 16384 bytes
 *   badcmd     command 0
 *   wrongcmd   KEY_GENERATE_RESPONSE instead of AUTH_RESPONSE
 *   overrun    an element longer than the body
 *   trunc      half an AUTH_RESPONSE, then the end of the stream
 *   idle       read AUTH_REQUEST and say nothing
 *   wrongkey   AUTH_RESPONSE; to the KEY_GENERATE_REQUEST that follows
 *              (an RSA task), REQUEST_IN_PROGRESS twice, then an EC key
 *   plain      no TLS: a line of text on the TCP connection
 *
 * Prints one line: "reply CMD reason R" (or "reply CMD" without REASON)
 * for the server's answer, "closed" when it closed without one (with
 * "after N s", rounded, for idle), or "error: ..." and exits 1.  Frames
 * are built and read here byte by byte, not with lib/capf.c, so that a
 * mistake there cannot hide one in the daemon.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "net/net.h"
#include "sbd/tlv.h"
#include "sbd/x509.h"

#define TIMEOUT_MS	8000	/* a rejection comes at once; idle waits */
#define FRAME_CAP	(8 + 16384)

struct frame {
	uint8_t p[FRAME_CAP];
	size_t len;
};

static void
put8(struct frame *f, uint8_t v)
{
	if (f->len < sizeof(f->p))
		f->p[f->len++] = v;
}

static void
put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void
elem(struct frame *f, uint8_t tag, const void *v, size_t n)
{
	const uint8_t *b = v;
	size_t i;

	put8(f, tag);
	put16(f, (uint16_t)n);
	for (i = 0; i < n; i++)
		put8(f, b[i]);
}

/* Header: 55 | cmd | session u32 | length u16 (fixed by finish). */
static void
start(struct frame *f, uint8_t proto, uint8_t cmd, uint32_t session)
{
	f->len = 0;
	put8(f, proto);
	put8(f, cmd);
	put16(f, (uint16_t)(session >> 16));
	put16(f, (uint16_t)session);
	put16(f, 0);
}

static void
finish(struct frame *f)
{
	f->p[6] = (uint8_t)((f->len - 8) >> 8);
	f->p[7] = (uint8_t)(f->len - 8);
}

/* AUTH_RESPONSE as capfc sends it (FORMATS.md 8.3). */
static void
auth_res(struct frame *f, uint32_t session, uint8_t version,
    const char *device, const char *password)
{
	uint8_t one = 1;

	start(f, 0x55, 2, session);
	elem(f, 1, &one, 1);
	elem(f, 7, &version, 1);
	if (password != NULL)
		elem(f, 11, password, strlen(password) + 1);
	elem(f, 13, device, strlen(device) + 1);
	finish(f);
}

/*
 * Read one reply: 0 and a line printed, 1 when the server closed (nothing
 * printed), -1 on an error.
 */
static int
reply(struct sbdn_tls *t, struct frame *f, char *err)
{
	struct sbd_cur c, body;
	struct sbd_tlv e;
	size_t got = 0, want = 8;
	uint16_t n;
	int reason = -1;

	f->len = 0;
	while (f->len < want) {
		if (sbdn_tls_read_some(t, f->p + f->len, want - f->len, &got,
		    err) != 0)
			return -1;
		if (got == 0)
			return f->len == 0 ? 1 : -1;
		f->len += got;
		if (f->len == 8 && want == 8)
			want = 8 + (size_t)(f->p[6] << 8 | f->p[7]);
	}
	sbd_cur_init(&c, f->p, f->len);
	if (sbd_skip(&c, 6) != 0 || sbd_get_u16(&c, &n) != 0 ||
	    sbd_get_sub(&c, n, &body) != 0)
		return -1;
	while (sbd_cur_left(&body) > 0) {
		if (sbd_get_tlv(&body, &e) != 0)
			return -1;
		if (e.tag == 1 && e.len == 1)
			reason = e.val[0];
	}
	if (reason >= 0)
		printf("reply %u reason %d\n", f->p[1], reason);
	else
		printf("reply %u\n", f->p[1]);
	return 0;
}

/* Read AUTH_REQUEST; its session id into *session. */
static int
hello(struct sbdn_tls *t, struct frame *f, uint32_t *session, char *err)
{
	static const uint8_t body[] = { 7, 0, 1, 3, 8, 0, 1, 0 };

	if (sbdn_tls_read(t, f->p, 8 + sizeof(body), err) != 0)
		return -1;
	if (f->p[0] != 0x55 || f->p[1] != 1 || f->p[6] != 0 ||
	    f->p[7] != sizeof(body) || memcmp(f->p + 8, body,
	    sizeof(body)) != 0) {
		snprintf(err, SBDN_ERRBUF, "AUTH_REQUEST differs from "
		    "55 01 S S S S 00 08 07 0001 03 08 0001 00");
		return -1;
	}
	*session = (uint32_t)f->p[2] << 24 | (uint32_t)f->p[3] << 16 |
	    (uint32_t)f->p[4] << 8 | f->p[5];
	return 0;
}

/*
 * The phone's half of a key generation gone wrong: the server asked for
 * RSA (checked: KEY_TYPE 0), and gets busy signals and then a P-256 key.
 */
static int
wrongkey(struct sbdn_tls *t, struct frame *f, struct frame *r,
    uint32_t session, char *err)
{
	EVP_PKEY *k = NULL;
	uint8_t *spki = NULL;
	int n, i, rc = -1;

	/* KEY_GENERATE_REQUEST: 0a 0002 size | 11 0001 00 */
	if (sbdn_tls_read(t, r->p, 8 + 9, err) != 0)
		goto out;
	if (r->p[1] != 3 || r->p[7] != 9 || r->p[8] != 10 || r->p[13] != 17 ||
	    r->p[16] != 0) {
		snprintf(err, SBDN_ERRBUF, "not an RSA KEY_GENERATE_REQUEST");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		start(f, 0x55, 17, session);
		finish(f);
		if (sbdn_tls_write(t, f->p, f->len, err) != 0)
			goto out;
	}
	if (sbd_key_generate(SBD_KEY_EC, NID_X9_62_prime256v1, &k) != 0 ||
	    (n = i2d_PUBKEY(k, &spki)) <= 0) {
		snprintf(err, SBDN_ERRBUF, "cannot make an EC key");
		goto out;
	}
	start(f, 0x55, 4, session);
	elem(f, 9, spki, (size_t)n);
	finish(f);
	if (sbdn_tls_write(t, f->p, f->len, err) != 0)
		goto out;
	if ((rc = reply(t, r, err)) == 1)
		printf("closed\n");
out:
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
	return rc;
}

/* Monotonic milliseconds. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
plain(const char *host, uint16_t port, char *err)
{
	static const char line[] = "HELLO CAPF\r\n";
	char buf[64];
	ssize_t n;
	int fd = -1, rc = -1;

	if (sbdn_tcp_connect(host, port, TIMEOUT_MS, &fd, err) != 0)
		return -1;
	if (write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1) {
		snprintf(err, SBDN_ERRBUF, "write failed");
		goto out;
	}
	/* The server answers garbage with a TLS alert at most, then EOF. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	printf("closed\n");
	rc = 0;
out:
	close(fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sbdn_tls_opts o;
	struct sbdn_tls *t = NULL;
	struct frame *f = NULL, *r = NULL;
	const char *cs, *dev, *pw;
	char err[SBDN_ERRBUF] = "";
	unsigned long port;
	uint32_t session = 0;
	uint64_t t0;
	int rc = -1;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: capf_raw HOST PORT CASE [DEVICE "
		    "[PASSWORD]]\n");
		return 2;
	}
	port = strtoul(argv[2], NULL, 10);
	cs = argv[3];
	dev = argc > 4 ? argv[4] : "SEP001122334455";
	pw = argc > 5 ? argv[5] : NULL;
	if (port == 0 || port > 65535) {
		fprintf(stderr, "capf_raw: bad port %s\n", argv[2]);
		return 2;
	}
	if (strcmp(cs, "plain") == 0) {
		rc = plain(argv[1], (uint16_t)port, err);
		goto out;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.timeout_ms = TIMEOUT_MS;
	if (sbdn_tls_connect(argv[1], (uint16_t)port, &o, &t, err) != 0 ||
	    hello(t, r, &session, err) != 0)
		goto out;
	if (strcmp(cs, "hello") == 0) {
		printf("auth_request session %u\n", session);
		rc = 0;
		goto out;
	}
	if (strcmp(cs, "idle") == 0) {
		t0 = now_ms();
		if ((rc = reply(t, r, err)) == 1)
			printf("closed after %llu s\n", (unsigned long long)
			    ((now_ms() - t0 + 500) / 1000));
		rc = rc < 0 ? -1 : 0;
		goto out;
	}
	if (strcmp(cs, "auth") == 0 || strcmp(cs, "split") == 0 ||
	    strcmp(cs, "wrongkey") == 0)
		auth_res(f, session, 3, dev, pw);
	else if (strcmp(cs, "version4") == 0)
		auth_res(f, session, 4, dev, pw);
	else if (strcmp(cs, "session") == 0)
		auth_res(f, session + 1, 3, dev, pw);
	else if (strcmp(cs, "badproto") == 0) {
		auth_res(f, session, 3, dev, pw);
		f->p[0] = 0x57;
	} else if (strcmp(cs, "toobig") == 0) {
		start(f, 0x55, 2, session);
		f->p[6] = 0x40;
		f->p[7] = 0x01;
	} else if (strcmp(cs, "badcmd") == 0) {
		start(f, 0x55, 0, session);
		finish(f);
	} else if (strcmp(cs, "wrongcmd") == 0) {
		start(f, 0x55, 4, session);
		elem(f, 9, "\x30\x00", 2);
		finish(f);
	} else if (strcmp(cs, "overrun") == 0) {
		auth_res(f, session, 3, dev, pw);
		f->p[9] = 0x01;		/* REASON's length becomes 256 */
	} else if (strcmp(cs, "trunc") == 0) {
		auth_res(f, session, 3, dev, pw);
		f->len /= 2;
	} else {
		fprintf(stderr, "capf_raw: unknown case %s\n", cs);
		rc = 2;
		goto out;
	}
	if (strcmp(cs, "split") == 0) {
		if (sbdn_tls_write(t, f->p, 8, err) != 0)
			goto out;
		usleep(200 * 1000);
		if (sbdn_tls_write(t, f->p + 8, f->len - 8, err) != 0)
			goto out;
	} else if (sbdn_tls_write(t, f->p, f->len, err) != 0)
		goto out;
	if (strcmp(cs, "wrongkey") == 0) {
		rc = wrongkey(t, f, r, session, err) < 0 ? -1 : 0;
		goto out;
	}
	if (strcmp(cs, "trunc") == 0) {
		/* The end of the stream inside the frame. */
		sbdn_tls_close(t);
		t = NULL;
		printf("closed\n");
		rc = 0;
		goto out;
	}
	if ((rc = reply(t, r, err)) == 1)
		printf("closed\n");
	rc = rc < 0 ? -1 : 0;
out:
	if (rc < 0)
		printf("error: %s\n", err[0] ? err : "malformed reply");
	sbdn_tls_close(t);
	free(f);
	free(r);
	return rc < 0 ? 1 : rc;
}
