/*
 * Raw TFTP packets against a running sbdd: every request-level error, the
 * option negotiation byte for byte (RFC 2347, 2348, 2349, 7440), and the
 * transfer rules that real clients cannot show (stale and duplicate ACKs,
 * a strange TID, retransmission to a silent client, windows, block number
 * rollover, the per-client and global caps).
 *
 * usage: tftp_raw HOST PORT DIR [GROUP...]
 *
 * DIR is the node's TFTP directory; the fixtures are written there.  The
 * daemon must run with -o rexmit_ms=200 -o max_retries=3
 * -o max_per_client=2 -o blksize_cap=1468 -o window_cap=8, which the
 * expectations below depend on.  Without GROUP every default group runs;
 * "busy" runs only when named, against a daemon with -o max_transfers=1.
 *
 * Prints "ok - NAME" or "FAIL - NAME (why)" for each check, then
 * "# served N refused N missed N" (transfers it completed, requests the
 * listening port refused, misses: what the daemon's counters must have
 * grown by) and a last line "N passed, N failed"; exits 1 if anything
 * failed.
 *
 * Packets are built and checked here byte by byte rather than with
 * lib/tftp.c: the daemon uses that code, and a test sharing it would
 * share its mistakes.  Replies are read through struct sbd_cur.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbd/tlv.h"

#define PKT_MAX		(65464 + 4)	/* RFC 2348 largest block + header */
#define WAIT_MS		2000	/* longest wait for an expected packet */
#define QUIET_MS	300	/* silence that stands for "no reply" */
#define WHY_MAX		200
#define NAME_MAX_TFTP	255	/* longest name the server accepts */
#define SEQ_XFERS	200	/* back-to-back transfers (t_sequential) */

/* The daemon's settings (see the usage above). */
#define REXMIT_MS	200
#define MAX_RETRIES	3
#define BLKSIZE_CAP_S	"1468"
#define BLKSIZE_CAP	1468

#define OP_RRQ		1
#define OP_DATA		3
#define OP_ACK		4
#define OP_ERROR	5
#define OP_OACK		6

/* Fixtures written to DIR; sizes as numbers and as the tsize text. */
#define F_SMALL		"raw-small.bin"
#define F_SMALL_LEN	1000
#define F_SMALL_LEN_S	"1000"
#define F_EXACT		"raw-exact.bin"
#define F_EXACT_LEN	1024
#define F_WIN		"raw-window.bin"
#define F_WIN_LEN	(12 * 512 + 100)
#define F_WIN_LEN_S	"6244"
#define F_ROLL		"raw-roll.bin"
#define F_ROLL_LEN	(65536 * 8 + 5)
#define F_TEXT		"raw-text.txt"
#define TEXT		"one\ntwo\n\nthree\n"
#define TEXT_NA		"one\r\ntwo\r\n\r\nthree\r\n"

enum fx { FX_SMALL, FX_EXACT, FX_WIN, FX_ROLL, FX_TEXT, FX_TEXT_NA, NFX };

struct fixture {
	const char *name;	/* NULL: expected bytes only, not a file */
	uint8_t *data;
	size_t len;
};

struct ctx {
	struct sockaddr_storage srv;	/* the listening port */
	socklen_t srvlen;
	const char *dir;
	struct fixture fx[NFX];
	unsigned pass;
	unsigned fail;
	/* What the daemon's counters must show (the runner compares). */
	unsigned served;	/* transfers completed */
	unsigned refused;	/* requests answered by an ERROR other than 1 */
	unsigned missed;	/* requests answered by ERROR 1 */
};

/* One transfer seen from the client's side. */
struct xfer {
	struct ctx *cx;
	int s;
	struct sockaddr_storage tid;	/* the server's transfer port */
	socklen_t tidlen;
	int held;			/* buf holds an unread packet */
	size_t len;
	uint8_t buf[PKT_MAX];
};

/* A parsed reply: opcode, then block number or error code, then rest. */
struct reply {
	uint16_t op;
	uint16_t num;
	const uint8_t *rest;
	size_t restlen;
};

static int failf(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
failf(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

static void
report(struct ctx *cx, const char *name, int rc, const char *why)
{
	if (rc == 0) {
		cx->pass++;
		printf("ok - %s\n", name);
	} else {
		cx->fail++;
		printf("FAIL - %s (%s)\n", name, why);
	}
	fflush(stdout);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)ss)->sin6_port :
	    ((const struct sockaddr_in *)ss)->sin_port);
}

static int
new_sock(const struct ctx *cx)
{
	return socket(cx->srv.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int
send_to(int s, const struct sockaddr_storage *to, socklen_t tolen,
    const void *p, size_t len)
{
	ssize_t n;

	n = sendto(s, p, len, 0, (const struct sockaddr *)to, tolen);
	return n == (ssize_t)len ? 0 : -1;
}

/*
 * Wait up to ms for a datagram on s.  Returns 1 with the packet, 0 on
 * timeout, -1 on a socket error.
 */
static int
recv_pkt(int s, int ms, uint8_t *buf, size_t cap, size_t *len,
    struct sockaddr_storage *from)
{
	struct pollfd pfd;
	socklen_t fl;
	int64_t end, left;
	ssize_t n;
	int r, rc = 0;

	pfd.fd = s;
	pfd.events = POLLIN;
	end = now_ms() + ms;
	for (;;) {
		left = end - now_ms();
		r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r;
			break;
		}
		fl = sizeof(*from);
		n = recvfrom(s, buf, cap, 0, (struct sockaddr *)from, &fl);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		*len = (size_t)n;
		rc = 1;
		break;
	}
	return rc;
}

/*
 * op, then each string of the NULL-terminated list with its NUL: a
 * request (file, mode, options) or an expected OACK.  Returns the length,
 * 0 if it does not fit.
 */
static size_t
build(uint8_t *buf, size_t cap, uint16_t op, const char *const *strs)
{
	size_t len = 2, n;

	buf[0] = (uint8_t)(op >> 8);
	buf[1] = (uint8_t)op;
	for (; len > 0 && *strs != NULL; strs++) {
		n = strlen(*strs) + 1;
		if (n > cap - len) {
			len = 0;
		} else {
			memcpy(buf + len, *strs, n);
			len += n;
		}
	}
	return len;
}

static int
parse_reply(const uint8_t *p, size_t len, struct reply *r)
{
	struct sbd_cur c;
	const uint8_t *rest;
	int rc = -1;

	sbd_cur_init(&c, p, len);
	if (sbd_get_u16(&c, &r->op) != 0)
		goto out;
	r->num = 0;
	if (r->op != OP_OACK && sbd_get_u16(&c, &r->num) != 0)
		goto out;
	r->restlen = sbd_cur_left(&c);
	if (sbd_get_bytes(&c, r->restlen, &rest) != 0)
		goto out;
	r->rest = rest;
	rc = 0;
out:
	return rc;
}

/* Printable summary of a packet for failure messages. */
static const char *
describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
	struct reply r;
	char msg[64];
	size_t i;

	if (parse_reply(p, len, &r) != 0) {
		snprintf(out, cap, "a %zu-byte packet", len);
	} else if (r.op == OP_ERROR) {
		for (i = 0; i < r.restlen && i < sizeof(msg) - 1; i++) {
			if (r.rest[i] == '\0')
				break;
			msg[i] = r.rest[i] >= 0x20 && r.rest[i] < 0x7f ?
			    (char)r.rest[i] : '?';
		}
		msg[i] = '\0';
		snprintf(out, cap, "ERROR %u \"%s\"", r.num, msg);
	} else if (r.op == OP_DATA) {
		snprintf(out, cap, "DATA %u (%zu bytes)", r.num, r.restlen);
	} else if (r.op == OP_OACK) {
		/* Option names and values, NULs shown as spaces. */
		for (i = 0; i < r.restlen && i < sizeof(msg) - 1; i++)
			msg[i] = r.rest[i] == '\0' ? ' ' : r.rest[i] >= 0x20 &&
			    r.rest[i] < 0x7f ? (char)r.rest[i] : '?';
		msg[i] = '\0';
		snprintf(out, cap, "OACK \"%s\"", msg);
	} else {
		snprintf(out, cap, "opcode %u", r.op);
	}
	return out;
}

/* Does the ERROR text t (NUL-terminated) name s?  Empty s never. */
static int
mentions(const char *t, const char *s)
{
	return s != NULL && s[0] != '\0' && strstr(t, s) != NULL;
}

/*
 * p is an ERROR packet with code and, when msg is not NULL, exactly the
 * text msg, terminated by the packet's last byte.  The text must not echo
 * echo (the client's file name) or the server's directory.
 */
static int
check_error(const struct ctx *cx, const uint8_t *p, size_t len,
    uint16_t code, const char *msg, const char *echo, char *why)
{
	struct reply r;
	char d[WHY_MAX / 2];
	const char *t;
	int rc = -1;

	if (parse_reply(p, len, &r) != 0 || r.op != OP_ERROR) {
		rc = failf(why, "got %s, want ERROR %u",
		    describe(p, len, d, sizeof(d)), code);
		goto out;
	}
	if (r.restlen == 0 || memchr(r.rest, '\0', r.restlen) !=
	    r.rest + r.restlen - 1) {
		rc = failf(why, "ERROR text not ended by the last byte");
		goto out;
	}
	t = (const char *)r.rest;
	if (r.num != code || (msg != NULL && strcmp(t, msg) != 0)) {
		rc = failf(why, "got %s, want ERROR %u \"%s\"",
		    describe(p, len, d, sizeof(d)), code,
		    msg != NULL ? msg : "...");
		goto out;
	}
	if (t[0] == '\0' || mentions(t, echo) || mentions(t, cx->dir)) {
		rc = failf(why, "ERROR text \"%s\" empty or leaks a name", t);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/*
 * Send pkt to the listening port from a fresh socket.  With msg == NULL
 * and code == 0 nothing may come back within QUIET_MS; otherwise the
 * answer must be that ERROR (see check_error), from the listening port.
 */
static int
expect_reply(struct ctx *cx, const void *pkt, size_t len, uint16_t code,
    const char *msg, const char *echo, char *why)
{
	struct sockaddr_storage from;
	uint8_t buf[PKT_MAX];
	char d[WHY_MAX / 2];
	size_t n;
	int s, r, quiet, rc = -1;

	quiet = code == 0 && msg == NULL;
	if ((s = new_sock(cx)) < 0 ||
	    send_to(s, &cx->srv, cx->srvlen, pkt, len) != 0) {
		rc = failf(why, "send: %s", strerror(errno));
		goto out;
	}
	r = recv_pkt(s, quiet ? QUIET_MS : WAIT_MS, buf, sizeof(buf), &n,
	    &from);
	if (quiet) {
		if (r != 0)
			rc = failf(why, "got %s, want no reply",
			    r > 0 ? describe(buf, n, d, sizeof(d)) : "error");
		else
			rc = 0;
		goto out;
	}
	if (r <= 0) {
		rc = failf(why, "no reply in %d ms", WAIT_MS);
		goto out;
	}
	if (sa_port(&from) != sa_port(&cx->srv)) {
		rc = failf(why, "%s came from port %u, not the listening port",
		    describe(buf, n, d, sizeof(d)), sa_port(&from));
		goto out;
	}
	if ((rc = check_error(cx, buf, n, code, msg, echo, why)) == 0) {
		if (code == 1)
			cx->missed++;
		else
			cx->refused++;
	}
out:
	if (s >= 0)
		close(s);
	return rc;
}

/* ---- transfers ------------------------------------------------------ */

/*
 * Send a request from a fresh socket and wait for the first answer, which
 * must come from a port other than the listening one (RFC 1350 section 4:
 * a new TID).  The answer stays in x->buf for xfer_recv.
 */
static int
xfer_open(struct ctx *cx, struct xfer *x, const uint8_t *req, size_t len,
    char *why)
{
	char d[WHY_MAX / 2];
	int r, rc = -1;

	x->cx = cx;
	x->held = 0;
	if ((x->s = new_sock(cx)) < 0 ||
	    send_to(x->s, &cx->srv, cx->srvlen, req, len) != 0) {
		rc = failf(why, "send: %s", strerror(errno));
		goto out;
	}
	r = recv_pkt(x->s, WAIT_MS, x->buf, sizeof(x->buf), &x->len, &x->tid);
	if (r <= 0) {
		rc = failf(why, "no answer to the RRQ in %d ms", WAIT_MS);
		goto out;
	}
	if (sa_port(&x->tid) == sa_port(&cx->srv)) {
		rc = failf(why, "%s from the listening port, want a new TID",
		    describe(x->buf, x->len, d, sizeof(d)));
		goto out;
	}
	x->tidlen = x->tid.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	x->held = 1;
	rc = 0;
out:
	return rc;
}

static void
xfer_close(struct xfer *x)
{
	if (x->s >= 0)
		close(x->s);
	x->s = -1;
}

/*
 * The next packet of the transfer within ms: 1 when x->buf holds it, 0 on
 * timeout, -1 (why set) if it came from a port other than the TID.
 */
static int
xfer_recv(struct xfer *x, int ms, char *why)
{
	struct sockaddr_storage from;
	int r = 1;

	if (x->held) {
		x->held = 0;
		goto out;
	}
	r = recv_pkt(x->s, ms, x->buf, sizeof(x->buf), &x->len, &from);
	if (r < 0)
		r = failf(why, "recv: %s", strerror(errno));
	else if (r > 0 && sa_port(&from) != sa_port(&x->tid))
		r = failf(why, "a packet from port %u, not the TID %u",
		    sa_port(&from), sa_port(&x->tid));
out:
	return r;
}

static int
xfer_ack(struct xfer *x, uint16_t block, char *why)
{
	uint8_t ack[4];
	int rc = 0;

	ack[0] = 0;
	ack[1] = OP_ACK;
	ack[2] = (uint8_t)(block >> 8);
	ack[3] = (uint8_t)block;
	if (send_to(x->s, &x->tid, x->tidlen, ack, sizeof(ack)) != 0)
		rc = failf(why, "send ACK %u: %s", block, strerror(errno));
	return rc;
}

/* Nothing arrives for ms. */
static int
xfer_quiet(struct xfer *x, int ms, char *why)
{
	char d[WHY_MAX / 2];
	int r;

	r = xfer_recv(x, ms, why);
	if (r > 0)
		r = failf(why, "got %s, want nothing",
		    describe(x->buf, x->len, d, sizeof(d)));
	return r;
}

/* The first answer is exactly the OACK with strs; then ACK 0. */
static int
xfer_oack(struct xfer *x, const char *const *strs, char *why)
{
	uint8_t want[512];
	char d[WHY_MAX / 2], w[WHY_MAX / 2];
	size_t n;
	int rc = -1;

	n = build(want, sizeof(want), OP_OACK, strs);
	if (xfer_recv(x, WAIT_MS, why) <= 0) {
		rc = failf(why, "no OACK");
		goto out;
	}
	if (x->len != n || memcmp(x->buf, want, n) != 0) {
		rc = failf(why, "got %s, want %s",
		    describe(x->buf, x->len, d, sizeof(d)),
		    describe(want, n, w, sizeof(w)));
		goto out;
	}
	rc = xfer_ack(x, 0, why);
out:
	return rc;
}

/*
 * x->buf is DATA for block number idx (1-based, counted past rollover)
 * carrying the right bytes of f in blocks of blksize.
 */
static int
check_data(const struct xfer *x, const struct fixture *f, uint32_t blksize,
    uint64_t idx, char *why)
{
	struct reply r;
	char d[WHY_MAX / 2];
	uint64_t off;
	size_t want;
	int rc = -1;

	off = (idx - 1) * blksize;
	want = off >= f->len ? 0 : f->len - off;
	if (want > blksize)
		want = blksize;
	if (parse_reply(x->buf, x->len, &r) != 0 || r.op != OP_DATA ||
	    r.num != (uint16_t)idx) {
		rc = failf(why, "got %s, want DATA %u",
		    describe(x->buf, x->len, d, sizeof(d)), (uint16_t)idx);
		goto out;
	}
	if (r.restlen != want ||
	    (want > 0 && memcmp(r.rest, f->data + off, want) != 0)) {
		rc = failf(why, "DATA %u (block %llu): %zu bytes, want %zu "
		    "bytes of the file at %llu", r.num,
		    (unsigned long long)idx, r.restlen, want,
		    (unsigned long long)off);
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* Within WAIT_MS, DATA block idx of f (see check_data). */
static int
xfer_block(struct xfer *x, const struct fixture *f, uint32_t blksize,
    uint64_t idx, char *why)
{
	int r;

	if ((r = xfer_recv(x, WAIT_MS, why)) == 0)
		r = failf(why, "no DATA %u in %d ms", (uint16_t)idx, WAIT_MS);
	if (r > 0)
		r = check_data(x, f, blksize, idx, why);
	return r;
}

/*
 * Receive the rest of f after got blocks, ACKing the last block of each
 * window (RFC 7440 section 4) and the final short block.  A copy of a
 * block already received (a retransmission crossing our ACK) is skipped.
 */
static int
xfer_data(struct xfer *x, const struct fixture *f, uint32_t blksize,
    uint32_t window, uint64_t got, char *why)
{
	uint64_t last;
	struct reply r;
	uint16_t behind;
	uint32_t inwin = 0;
	int rc = 0;

	last = f->len / blksize + 1;
	while (rc == 0 && got < last) {
		if ((rc = xfer_recv(x, WAIT_MS, why)) <= 0) {
			if (rc == 0)
				rc = failf(why, "no DATA %u in %d ms",
				    (uint16_t)(got + 1), WAIT_MS);
			break;
		}
		rc = 0;
		if (parse_reply(x->buf, x->len, &r) == 0 &&
		    r.op == OP_DATA) {
			behind = (uint16_t)((uint16_t)(got + 1) - r.num);
			if (behind >= 1 && behind <= window)
				continue;
		}
		if ((rc = check_data(x, f, blksize, got + 1, why)) != 0)
			break;
		got++;
		if (++inwin == window || got == last) {
			rc = xfer_ack(x, (uint16_t)got, why);
			inwin = 0;
		}
	}
	if (rc == 0)
		x->cx->served++;
	return rc;
}

/* ---- groups of cases -------------------------------------------------- */

/* A request packet given byte for byte (the literal's own NUL left out). */
#define P(s)	s, sizeof(s) - 1

struct errcase {
	const char *name;
	const char *pkt;
	size_t len;
	uint16_t code;
	const char *msg;	/* NULL with code 0: no reply at all */
};

static const struct errcase errcases[] = {
	{ "empty packet: no reply", P(""), 0, NULL },
	{ "1-byte packet: no reply", P("\0"), 0, NULL },
	{ "RRQ name without NUL", P("\0\1" F_SMALL), 4, "Malformed request" },
	{ "RRQ without mode", P("\0\1" F_SMALL "\0"), 4, "Malformed request" },
	{ "RRQ mode without NUL", P("\0\1" F_SMALL "\0octet"), 4,
	    "Malformed request" },
	{ "RRQ option without value", P("\0\1" F_SMALL "\0octet\0blksize\0"),
	    4, "Malformed request" },
	{ "RRQ option value without NUL",
	    P("\0\1" F_SMALL "\0octet\0blksize\0" "512"), 4,
	    "Malformed request" },
	{ "opcode 9", P("\0\x09" F_SMALL "\0octet\0"), 4,
	    "Illegal TFTP operation" },
	{ "opcode 0", P("\0\0" F_SMALL "\0octet\0"), 4,
	    "Illegal TFTP operation" },
	{ "DATA to the listening port", P("\0\3\0\1" "data"), 4,
	    "Illegal TFTP operation" },
	{ "ACK to the listening port", P("\0\4\0\1"), 4,
	    "Illegal TFTP operation" },
	{ "OACK to the listening port", P("\0\6" "blksize\0" "512\0"), 4,
	    "Illegal TFTP operation" },
	{ "ERROR to the listening port: no reply", P("\0\5\0\1" "oops\0"),
	    0, NULL },
	{ "mode mail", P("\0\1" F_SMALL "\0mail\0"), 4,
	    "Unknown transfer mode" },
	{ "mode binary", P("\0\1" F_SMALL "\0binary\0"), 4,
	    "Unknown transfer mode" },
	{ "duplicate option, other case",
	    P("\0\1" F_SMALL "\0octet\0blksize\0" "512\0BLKSIZE\0" "1024\0"),
	    8, "Duplicate option" },
	{ "duplicate tsize", P("\0\1" F_SMALL "\0octet\0tsize\0" "0\0tsize\0"
	    "0\0"), 8, "Duplicate option" },
	{ "WRQ for a new file", P("\0\2" "raw-new.bin\0octet\0"), 2,
	    "Read-only server" },
	{ "WRQ for a served file", P("\0\2" F_SMALL "\0octet\0"), 2,
	    "Read-only server" },
	{ "file not found", P("\0\1" "raw-no-such-file.bin\0octet\0"), 1,
	    "File not found" },
};

static void
t_errors(struct ctx *cx)
{
	char why[WHY_MAX];
	size_t i;
	int rc;

	/* Every file name above starts with "raw-"; no text may echo it. */
	for (i = 0; i < sizeof(errcases) / sizeof(errcases[0]); i++) {
		why[0] = '\0';
		rc = expect_reply(cx, errcases[i].pkt, errcases[i].len,
		    errcases[i].code, errcases[i].msg, "raw-", why);
		report(cx, errcases[i].name, rc, why);
	}
}

struct namecase {
	const char *name;
	const char *file;
};

static const struct namecase names[] = {
	{ "name ..", ".." },
	{ "name ../FILE", "../" F_SMALL },
	{ "name DIR/../FILE", "sub/../" F_SMALL },
	{ "absolute name", "/etc/passwd" },
	{ "absolute name of a served file", "/" F_SMALL },
	{ "backslash", "raw\\small.bin" },
	{ "backslash traversal", "..\\pki\\CallManager.pem" },
	{ "control character", "raw\x01small.bin" },
	{ "DEL character", "raw\x7fsmall.bin" },
	{ "empty name", "" },
	{ "./FILE", "./" F_SMALL },
	{ "a//b", "x//" F_SMALL },
	{ "existing .pem", "raw-secret.pem" },
	{ "existing .key", "raw-secret.key" },
	{ "existing .p12", "raw-secret.p12" },
	{ "existing .db", "raw-secret.db" },
	{ "dotfile", ".raw-hidden" },
	{ "symlink to ../pki/CallManager.pem", "raw-link-pki.bin" },
	{ "symlink to /etc/passwd", "raw-link-passwd.txt" },
	{ "pki key by traversal", "../pki/CallManager.pem" },
};

static void
t_names(struct ctx *cx)
{
	uint8_t pkt[PKT_MAX];
	char why[WHY_MAX], label[80], lng[NAME_MAX_TFTP + 2];
	const char *req[3];
	size_t i, n;
	int rc;

	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	for (i = 0; i <= sizeof(names) / sizeof(names[0]); i++) {
		req[0] = i < sizeof(names) / sizeof(names[0]) ?
		    names[i].file : lng;
		req[1] = "octet";
		req[2] = NULL;
		snprintf(label, sizeof(label), "Access violation: %s",
		    i < sizeof(names) / sizeof(names[0]) ? names[i].name :
		    "a 256-byte name");
		why[0] = '\0';
		n = build(pkt, sizeof(pkt), OP_RRQ, req);
		rc = expect_reply(cx, pkt, n, 2, NULL, req[0], why);
		report(cx, label, rc, why);
	}
}

struct optcase {
	const char *name;
	enum fx fx;
	const char *req[12];	/* file, mode, option names and values */
	const char *oack[10];	/* the OACK's contents; none: DATA 1 */
	uint32_t blksize;
	uint32_t window;
};

static const struct optcase optcases[] = {
	{ "no options: DATA 1 at once", FX_SMALL,
	    { F_SMALL, "octet" }, { NULL }, 512, 1 },
	{ "mode OCTET in capitals", FX_SMALL,
	    { F_SMALL, "OCTET" }, { NULL }, 512, 1 },
	{ "length a multiple of 512: empty last DATA", FX_EXACT,
	    { F_EXACT, "octet" }, { NULL }, 512, 1 },
	{ "netascii: LF becomes CR LF", FX_TEXT_NA,
	    { F_TEXT, "netascii" }, { NULL }, 512, 1 },
	{ "mode NetAscii in mixed case", FX_TEXT_NA,
	    { F_TEXT, "NetAscii" }, { NULL }, 512, 1 },
	{ "tsize 0 answered with the size", FX_SMALL,
	    { F_SMALL, "octet", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "blksize 7 left out of the OACK", FX_SMALL,
	    { F_SMALL, "octet", "blksize", "7", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "only blksize 7: no OACK", FX_SMALL,
	    { F_SMALL, "octet", "blksize", "7" }, { NULL }, 512, 1 },
	{ "blksize 8", FX_SMALL,
	    { F_SMALL, "octet", "blksize", "8" }, { "blksize", "8" }, 8, 1 },
	{ "blksize 1000 (file of one full block)", FX_SMALL,
	    { F_SMALL, "octet", "blksize", "1000" },
	    { "blksize", "1000" }, 1000, 1 },
	{ "blksize 65464 clamped to blksize_cap", FX_WIN,
	    { F_WIN, "octet", "blksize", "65464" },
	    { "blksize", BLKSIZE_CAP_S }, BLKSIZE_CAP, 1 },
	{ "blksize 65465 clamped to blksize_cap", FX_WIN,
	    { F_WIN, "octet", "blksize", "65465" },
	    { "blksize", BLKSIZE_CAP_S }, BLKSIZE_CAP, 1 },
	{ "blksize not a number left out", FX_SMALL,
	    { F_SMALL, "octet", "blksize", "12ab", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "timeout 0 left out", FX_SMALL,
	    { F_SMALL, "octet", "timeout", "0", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "timeout 256 left out", FX_SMALL,
	    { F_SMALL, "octet", "tsize", "0", "timeout", "256" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "timeout 1", FX_SMALL,
	    { F_SMALL, "octet", "timeout", "1" }, { "timeout", "1" }, 512, 1 },
	{ "timeout 255", FX_SMALL,
	    { F_SMALL, "octet", "timeout", "255" },
	    { "timeout", "255" }, 512, 1 },
	{ "windowsize 0 left out", FX_SMALL,
	    { F_SMALL, "octet", "windowsize", "0", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "windowsize 65536 left out", FX_SMALL,
	    { F_SMALL, "octet", "windowsize", "65536", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
	{ "windowsize 9 clamped to window_cap", FX_WIN,
	    { F_WIN, "octet", "windowsize", "9" },
	    { "windowsize", "8" }, 512, 8 },
	{ "tsize with garbage left out", FX_SMALL,
	    { F_SMALL, "octet", "tsize", "12x", "blksize", "1024" },
	    { "blksize", "1024" }, 1024, 1 },
	{ "upper-case BLKSIZE answered in lower case", FX_SMALL,
	    { F_SMALL, "octet", "BLKSIZE", "1024" },
	    { "blksize", "1024" }, 1024, 1 },
	{ "OACK in the client's order", FX_WIN,
	    { F_WIN, "octet", "TSize", "0", "BlkSize", "600", "WINDOWSIZE",
	    "2" },
	    { "tsize", F_WIN_LEN_S, "blksize", "600", "windowsize", "2" },
	    600, 2 },
	{ "every option at once", FX_WIN,
	    { F_WIN, "octet", "blksize", "1000", "tsize", "0", "timeout", "3",
	    "windowsize", "4" },
	    { "blksize", "1000", "tsize", F_WIN_LEN_S, "timeout", "3",
	    "windowsize", "4" }, 1000, 4 },
	{ "unknown option ignored: no OACK", FX_SMALL,
	    { F_SMALL, "octet", "x-foo", "bar" }, { NULL }, 512, 1 },
	{ "unknown option among known ones", FX_SMALL,
	    { F_SMALL, "octet", "x-foo", "bar", "tsize", "0" },
	    { "tsize", F_SMALL_LEN_S }, 512, 1 },
};

static void
t_options(struct ctx *cx)
{
	const struct optcase *oc;
	struct xfer x;
	uint8_t req[1024];
	char why[WHY_MAX];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(optcases) / sizeof(optcases[0]); i++) {
		oc = &optcases[i];
		why[0] = '\0';
		n = build(req, sizeof(req), OP_RRQ, oc->req);
		rc = xfer_open(cx, &x, req, n, why);
		if (rc == 0 && oc->oack[0] != NULL)
			rc = xfer_oack(&x, oc->oack, why);
		if (rc == 0)
			rc = xfer_data(&x, &cx->fx[oc->fx], oc->blksize,
			    oc->window, 0, why);
		xfer_close(&x);
		report(cx, oc->name, rc, why);
	}
}

/* Open a transfer of fixture f with the given options after the mode. */
static int
open_with(struct ctx *cx, struct xfer *x, const char *file,
    const char *const *opts, char *why)
{
	const char *req[12];
	uint8_t pkt[1024];
	size_t i, n;

	req[0] = file;
	req[1] = "octet";
	for (i = 0; i < 9 && opts[i] != NULL; i++)
		req[i + 2] = opts[i];
	req[i + 2] = NULL;
	n = build(pkt, sizeof(pkt), OP_RRQ, req);
	return xfer_open(cx, x, pkt, n, why);
}

/*
 * After DATA 2 the client ACKs block 0 again.  A stale ACK must not
 * provoke anything (the Sorcerer's Apprentice bug, RFC 1123 4.2.3.1):
 * DATA 2 comes again only when the 1-second timeout expires.
 */
static void
t_stale_ack(struct ctx *cx)
{
	static const char *const opts[] = { "tsize", "0", "timeout", "1",
	    NULL };
	static const char *const oack[] = { "tsize", F_WIN_LEN_S, "timeout",
	    "1", NULL };
	const struct fixture *f = &cx->fx[FX_WIN];
	struct xfer x;
	char why[WHY_MAX];
	int64_t t0 = 0, dt;
	int rc;

	why[0] = '\0';
	if ((rc = open_with(cx, &x, F_WIN, opts, why)) == 0)
		rc = xfer_oack(&x, oack, why);
	if (rc == 0)
		rc = xfer_block(&x, f, 512, 1, why);
	if (rc == 0)
		rc = xfer_ack(&x, 1, why);
	if (rc == 0 && (rc = xfer_block(&x, f, 512, 2, why)) == 0) {
		t0 = now_ms();
		rc = xfer_ack(&x, 0, why);
	}
	if (rc == 0)
		rc = xfer_quiet(&x, 600, why);
	report(cx, "stale ACK 0 after DATA 2: nothing sent", rc, why);
	if (rc == 0)
		rc = xfer_block(&x, f, 512, 2, why);
	dt = now_ms() - t0;
	if (rc == 0 && dt < 800)
		rc = failf(why, "DATA 2 resent after %lld ms, before the "
		    "timeout", (long long)dt);
	if (rc == 0)
		rc = xfer_ack(&x, 2, why);
	if (rc == 0)
		rc = xfer_data(&x, f, 512, 1, 2, why);
	xfer_close(&x);
	report(cx, "stale ACK: DATA 2 resent on timeout, transfer completes",
	    rc, why);
}

/* A duplicate ACK 1 after DATA 2 must not make the server send again. */
static void
t_dup_ack(struct ctx *cx)
{
	static const char *const opts[] = { "timeout", "1", NULL };
	const struct fixture *f = &cx->fx[FX_WIN];
	struct xfer x;
	char why[WHY_MAX];
	int rc;

	why[0] = '\0';
	if ((rc = open_with(cx, &x, F_WIN, opts, why)) == 0)
		rc = xfer_oack(&x, opts, why);
	if (rc == 0)
		rc = xfer_block(&x, f, 512, 1, why);
	if (rc == 0)
		rc = xfer_ack(&x, 1, why);
	if (rc == 0)
		rc = xfer_block(&x, f, 512, 2, why);
	if (rc == 0)
		rc = xfer_ack(&x, 1, why);
	if (rc == 0)
		rc = xfer_quiet(&x, 500, why);
	report(cx, "duplicate ACK 1: no extra DATA", rc, why);
	if (rc == 0)
		rc = xfer_ack(&x, 2, why);
	if (rc == 0)
		rc = xfer_data(&x, f, 512, 1, 2, why);
	xfer_close(&x);
	report(cx, "duplicate ACK: transfer completes", rc, why);
}

/*
 * An ACK from another port to the transfer's port: that port gets ERROR 5
 * (RFC 1350 section 4) and the transfer goes on untouched.
 */
static void
t_strange_tid(struct ctx *cx)
{
	static const char *const opts[] = { "timeout", "2", NULL };
	const struct fixture *f = &cx->fx[FX_SMALL];
	struct sockaddr_storage from;
	uint8_t buf[PKT_MAX], ack[4] = { 0, OP_ACK, 0, 1 };
	struct xfer x;
	char why[WHY_MAX];
	size_t n;
	int s2 = -1, rc;

	why[0] = '\0';
	if ((rc = open_with(cx, &x, F_SMALL, opts, why)) == 0)
		rc = xfer_oack(&x, opts, why);
	if (rc == 0)
		rc = xfer_block(&x, f, 512, 1, why);
	if (rc == 0 && ((s2 = new_sock(cx)) < 0 ||
	    send_to(s2, &x.tid, x.tidlen, ack, sizeof(ack)) != 0))
		rc = failf(why, "second socket: %s", strerror(errno));
	if (rc == 0 && recv_pkt(s2, WAIT_MS, buf, sizeof(buf), &n, &from) != 1)
		rc = failf(why, "no answer to the strange TID");
	if (rc == 0 && sa_port(&from) != sa_port(&x.tid))
		rc = failf(why, "answer from port %u, not the transfer's",
		    sa_port(&from));
	if (rc == 0)
		rc = check_error(cx, buf, n, 5, "Unknown transfer ID", NULL,
		    why);
	report(cx, "strange TID gets ERROR 5 from the transfer port", rc,
	    why);
	if (rc == 0)
		rc = xfer_quiet(&x, QUIET_MS, why);
	if (rc == 0)
		rc = xfer_ack(&x, 1, why);
	if (rc == 0)
		rc = xfer_data(&x, f, 512, 1, 1, why);
	xfer_close(&x);
	if (s2 >= 0)
		close(s2);
	report(cx, "strange TID: the transfer completes", rc, why);
}

/*
 * A client that never ACKs: DATA 1, then MAX_RETRIES copies each after
 * the REXMIT_MS timeout, then silence (the transfer is dropped).
 */
static void
t_silent(struct ctx *cx)
{
	static const char *const opts[] = { NULL };
	const struct fixture *f = &cx->fx[FX_SMALL];
	struct xfer x;
	char why[WHY_MAX];
	int64_t prev = 0, gap, mingap = INT64_MAX;
	unsigned copies = 0;
	int rc, r;

	why[0] = '\0';
	rc = open_with(cx, &x, F_SMALL, opts, why);
	while (rc == 0) {
		if ((r = xfer_recv(&x, copies == 0 ? WAIT_MS : 1000,
		    why)) <= 0) {
			rc = r;
			break;
		}
		if ((rc = check_data(&x, f, 512, 1, why)) != 0)
			break;
		gap = now_ms() - prev;
		if (copies > 0 && gap < mingap)
			mingap = gap;
		prev = now_ms();
		copies++;
	}
	if (rc == 0 && copies != 1 + MAX_RETRIES)
		rc = failf(why, "%u copies of DATA 1, want %u", copies,
		    1 + MAX_RETRIES);
	if (rc == 0 && mingap < REXMIT_MS / 2)
		rc = failf(why, "copies %lld ms apart, want about %d",
		    (long long)mingap, REXMIT_MS);
	xfer_close(&x);
	report(cx, "silent client: DATA 1 sent 1 + max_retries times, then "
	    "silence", rc, why);
}

/*
 * RFC 7440: the client ACKs 2 of the window 1..4 (as if 3 and 4 were
 * lost); the next window starts at block 3.
 */
static void
t_window(struct ctx *cx)
{
	static const char *const opts[] = { "windowsize", "4", NULL };
	const struct fixture *f = &cx->fx[FX_WIN];
	struct xfer x;
	char why[WHY_MAX];
	uint64_t b;
	int rc;

	why[0] = '\0';
	if ((rc = open_with(cx, &x, F_WIN, opts, why)) == 0)
		rc = xfer_oack(&x, opts, why);
	for (b = 1; rc == 0 && b <= 4; b++)
		rc = xfer_block(&x, f, 512, b, why);
	if (rc == 0)
		rc = xfer_ack(&x, 2, why);
	for (b = 3; rc == 0 && b <= 6; b++)
		rc = xfer_block(&x, f, 512, b, why);
	report(cx, "windowsize 4, ACK 2: next window is 3..6", rc, why);
	if (rc == 0)
		rc = xfer_ack(&x, 6, why);
	if (rc == 0)
		rc = xfer_data(&x, f, 512, 4, 6, why);
	xfer_close(&x);
	report(cx, "windowsize 4: transfer completes", rc, why);
}

/* 65537 blocks of 8 bytes: block numbers go 65535, 0, 1. */
static void
t_rollover(struct ctx *cx)
{
	static const char *const opts[] = { "blksize", "8", NULL };
	struct xfer x;
	char why[WHY_MAX];
	int rc;

	why[0] = '\0';
	rc = open_with(cx, &x, F_ROLL, opts, why);
	if (rc == 0)
		rc = xfer_oack(&x, opts, why);
	if (rc == 0)
		rc = xfer_data(&x, &cx->fx[FX_ROLL], 8, 1, 0, why);
	xfer_close(&x);
	report(cx, "block numbers roll over 65535 -> 0 (blksize 8)", rc, why);
}

/*
 * Hold nheld transfers open (OACK not yet acknowledged), check that one
 * more request from the same address gets ERROR 0 msg from the listening
 * port, then finish the held transfers.
 */
static void
cap_case(struct ctx *cx, unsigned nheld, const char *msg, const char *name)
{
	static const char *const opts[] = { "timeout", "5", NULL };
	static const char *const req[] = { F_SMALL, "octet", NULL };
	struct xfer x[2];
	uint8_t pkt[256];
	char why[WHY_MAX], label[120];
	unsigned i;
	size_t n;
	int rc = 0;

	why[0] = '\0';
	/* Let the transfers of earlier cases end: the cap counts from 0. */
	poll(NULL, 0, QUIET_MS);
	for (i = 0; i < nheld; i++)
		x[i].s = -1;
	for (i = 0; rc == 0 && i < nheld; i++)
		rc = open_with(cx, &x[i], F_SMALL, opts, why);
	if (rc == 0) {
		n = build(pkt, sizeof(pkt), OP_RRQ, req);
		rc = expect_reply(cx, pkt, n, 0, msg, NULL, why);
	}
	snprintf(label, sizeof(label), "%s: refused with \"%s\"", name, msg);
	report(cx, label, rc, why);
	for (i = 0; rc == 0 && i < nheld; i++) {
		rc = xfer_oack(&x[i], opts, why);
		if (rc == 0)
			rc = xfer_data(&x[i], &cx->fx[FX_SMALL], 512, 1, 0,
			    why);
	}
	for (i = 0; i < nheld; i++)
		xfer_close(&x[i]);
	snprintf(label, sizeof(label), "%s: held transfers complete", name);
	report(cx, label, rc, why);
}

/*
 * One-block transfers back to back, each requested right after the last
 * ACK of the one before: a finished transfer must not count against the
 * per-client cap, however the daemon orders its sockets.
 */
static void
t_sequential(struct ctx *cx)
{
	static const char *const req[] = { F_TEXT, "octet", NULL };
	struct xfer x;
	uint8_t pkt[256];
	char why[WHY_MAX], one[WHY_MAX];
	size_t n;
	int i, rc = 0;

	why[0] = '\0';
	n = build(pkt, sizeof(pkt), OP_RRQ, req);
	for (i = 1; rc == 0 && i <= SEQ_XFERS; i++) {
		one[0] = '\0';
		if ((rc = xfer_open(cx, &x, pkt, n, one)) == 0)
			rc = xfer_data(&x, &cx->fx[FX_TEXT], 512, 1, 0, one);
		xfer_close(&x);
		if (rc != 0)
			failf(why, "transfer %d of %d: %s", i, SEQ_XFERS, one);
	}
	report(cx, "back-to-back transfers never hit max_per_client", rc,
	    why);
}

static void
t_per_client(struct ctx *cx)
{
	cap_case(cx, 2, "Too many transfers from this client",
	    "max_per_client=2");
}

static void
t_busy(struct ctx *cx)
{
	cap_case(cx, 1, "Server busy", "max_transfers=1");
}

static const struct group {
	const char *name;
	void (*run)(struct ctx *);
	int dflt;
} groups[] = {
	{ "errors", t_errors, 1 },
	{ "names", t_names, 1 },
	{ "options", t_options, 1 },
	{ "stale-ack", t_stale_ack, 1 },
	{ "dup-ack", t_dup_ack, 1 },
	{ "strange-tid", t_strange_tid, 1 },
	{ "window", t_window, 1 },
	{ "silent", t_silent, 1 },
	{ "rollover", t_rollover, 1 },
	{ "sequential", t_sequential, 1 },
	{ "per-client", t_per_client, 1 },
	{ "busy", t_busy, 0 },
};

/* ---- fixtures ------------------------------------------------------- */

/* Write len bytes to DIR/name through a temporary file and rename. */
static int
write_file(const char *dir, const char *name, const void *p, size_t len)
{
	char path[1024], tmp[1024];
	int fd = -1, rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path) || (size_t)snprintf(tmp, sizeof(tmp),
	    "%s/.%s.tmp", dir, name) >= sizeof(tmp))
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		goto out;
	if (len > 0 && write(fd, p, len) != (ssize_t)len)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	rc = rename(tmp, path);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
link_file(const char *dir, const char *name, const char *target)
{
	char path[1024];
	int rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    sizeof(path) && (unlink(path) == 0 || errno == ENOENT))
		rc = symlink(target, path);
	return rc;
}

/*
 * Byte i of a binary fixture is i mod 251: a prime period, so a block
 * sent in the wrong place (even 65536 blocks off) has the wrong bytes.
 */
static uint8_t *
pattern(size_t len)
{
	uint8_t *p;
	size_t i;

	if ((p = malloc(len > 0 ? len : 1)) != NULL)
		for (i = 0; i < len; i++)
			p[i] = (uint8_t)(i % 251);
	return p;
}

static int
fixtures(struct ctx *cx, char *why)
{
	static const struct {
		const char *name;
		size_t len;
	} bin[] = {
		{ F_SMALL, F_SMALL_LEN },
		{ F_EXACT, F_EXACT_LEN },
		{ F_WIN, F_WIN_LEN },
		{ F_ROLL, F_ROLL_LEN },
	};
	static const char *const secret[] = { "raw-secret.pem",
	    "raw-secret.key", "raw-secret.p12", "raw-secret.db",
	    ".raw-hidden" };
	struct fixture *f;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof(bin) / sizeof(bin[0]); i++) {
		f = &cx->fx[i];
		f->name = bin[i].name;
		f->len = bin[i].len;
		if ((f->data = pattern(f->len)) == NULL) {
			rc = failf(why, "out of memory");
			goto out;
		}
	}
	cx->fx[FX_TEXT].name = F_TEXT;
	cx->fx[FX_TEXT].len = strlen(TEXT);
	cx->fx[FX_TEXT_NA].len = strlen(TEXT_NA);
	if ((cx->fx[FX_TEXT].data = (uint8_t *)strdup(TEXT)) == NULL ||
	    (cx->fx[FX_TEXT_NA].data = (uint8_t *)strdup(TEXT_NA)) == NULL) {
		rc = failf(why, "out of memory");
		goto out;
	}
	for (i = 0; i < NFX; i++) {
		f = &cx->fx[i];
		if (f->name != NULL &&
		    write_file(cx->dir, f->name, f->data, f->len) != 0) {
			rc = failf(why, "%s/%s: %s", cx->dir, f->name,
			    strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		if (write_file(cx->dir, secret[i], "secret\n", 7) != 0) {
			rc = failf(why, "%s: %s", secret[i], strerror(errno));
			goto out;
		}
	}
	if (link_file(cx->dir, "raw-link-pki.bin",
	    "../pki/CallManager.pem") != 0 ||
	    link_file(cx->dir, "raw-link-passwd.txt", "/etc/passwd") != 0) {
		rc = failf(why, "symlink: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	return rc;
}

static int
resolve(struct ctx *cx, const char *host, const char *port, char *why)
{
	struct addrinfo hints, *res = NULL;
	int e, rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		rc = failf(why, "%s port %s: %s", host, port,
		    gai_strerror(e));
		goto out;
	}
	if (res->ai_addrlen > sizeof(cx->srv)) {
		rc = failf(why, "address too long");
		goto out;
	}
	memcpy(&cx->srv, res->ai_addr, res->ai_addrlen);
	cx->srvlen = res->ai_addrlen;
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}

/*
 * The server answers at all (a miss): without this every case would wait
 * out its own timeout.
 */
static int
probe(struct ctx *cx, char *why)
{
	static const char pkt[] = "\0\1" "raw-probe.bin\0octet\0";
	struct sockaddr_storage from;
	uint8_t buf[PKT_MAX];
	size_t n;
	int s, rc = -1;

	if ((s = new_sock(cx)) < 0 ||
	    send_to(s, &cx->srv, cx->srvlen, pkt, sizeof(pkt) - 1) != 0) {
		rc = failf(why, "send: %s", strerror(errno));
		goto out;
	}
	if (recv_pkt(s, 2 * WAIT_MS, buf, sizeof(buf), &n, &from) != 1) {
		rc = failf(why, "no answer in %d ms", 2 * WAIT_MS);
		goto out;
	}
	if (n >= 4 && buf[0] == 0 && buf[1] == OP_ERROR && buf[2] == 0 &&
	    buf[3] == 1)
		cx->missed++;
	rc = 0;
out:
	if (s >= 0)
		close(s);
	return rc;
}

static int
wanted(const struct group *g, int argc, char **argv)
{
	int i, yes = argc == 0 && g->dflt;

	for (i = 0; !yes && i < argc; i++)
		yes = strcmp(argv[i], g->name) == 0;
	return yes;
}

int
main(int argc, char **argv)
{
	struct ctx cx;
	char why[WHY_MAX];
	size_t i;
	int rc;

	memset(&cx, 0, sizeof(cx));
	if (argc < 4) {
		fprintf(stderr, "usage: tftp_raw HOST PORT DIR [GROUP...]\n");
		goto out;
	}
	cx.dir = argv[3];
	why[0] = '\0';
	rc = resolve(&cx, argv[1], argv[2], why);
	if (rc == 0)
		rc = fixtures(&cx, why);
	if (rc == 0)
		rc = probe(&cx, why);
	report(&cx, "server reachable, fixtures written", rc, why);
	for (i = 0; rc == 0 && i < sizeof(groups) / sizeof(groups[0]); i++)
		if (wanted(&groups[i], argc - 4, argv + 4))
			groups[i].run(&cx);
	for (i = 0; i < NFX; i++)
		free(cx.fx[i].data);
	printf("# served %u refused %u missed %u\n", cx.served, cx.refused,
	    cx.missed);
	printf("%u passed, %u failed\n", cx.pass, cx.fail);
out:
	return argc < 4 ? 2 : cx.fail == 0 ? 0 : 1;
}
