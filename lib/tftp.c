/*
 * TFTP packets: parse and build.  See include/sbd/tftp.h.
 *
 * Requests and OACKs are NUL-terminated strings back to back (RFC 1350
 * section 5, RFC 2347); each string is found inside the bounded cursor
 * with memchr over the bytes left, so nothing is read past the packet.
 * Options are a table, not code: the parser, the negotiation and the
 * builders all walk the same five rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sbd/tftp.h"
#include "sbd/tlv.h"

/*
 * One row per option bit (bit i is row i).  lo..hi is the range a client
 * may ask for; oack_hi is the largest value a server may acknowledge, 0
 * when the option never appears in an OACK (x-sbd-hops).  A blksize over
 * RFC 2348's 65464 is asked for by some clients and clamped by the
 * server; it must still fit the 32-bit field.
 */
static const struct {
	const char *name;
	uint64_t lo;
	uint64_t hi;
	uint64_t oack_hi;
} opt_tab[SBD_TFTP_NOPTS] = {
	{ "blksize", SBD_TFTP_BLKSIZE_MIN, UINT32_MAX, SBD_TFTP_BLKSIZE_MAX },
	{ "tsize", 0, UINT64_MAX, UINT64_MAX },
	{ "timeout", SBD_TFTP_TIMEOUT_MIN, SBD_TFTP_TIMEOUT_MAX,
	    SBD_TFTP_TIMEOUT_MAX },
	{ "windowsize", SBD_TFTP_WINDOW_MIN, SBD_TFTP_WINDOW_MAX,
	    SBD_TFTP_WINDOW_MAX },
	{ "x-sbd-hops", 0, UINT32_MAX, 0 },
};

/* Bounded writer for the builders: a sticky error, checked once. */
struct wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int err;
};

static void
put(struct wbuf *w, const void *v, size_t n)
{
	if (w->err != 0)
		return;
	if (n > w->cap - w->len) {
		w->err = SBD_ERR_TOOBIG;
		return;
	}
	memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void
put_u16(struct wbuf *w, uint16_t v)
{
	uint8_t q[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, q, sizeof(q));
}

/* A string with its NUL. */
static void
put_str(struct wbuf *w, const char *s, size_t n)
{
	put(w, s, n);
	put(w, "", 1);
}

static void
put_dec(struct wbuf *w, uint64_t v)
{
	char t[24];
	int n;

	n = snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	put_str(w, t, (size_t)n);
}

static int
wbuf_done(const struct wbuf *w)
{
	return w->err != 0 ? w->err : (int)w->len;
}

/*
 * Take the next NUL-terminated string: *s points at it inside the packet
 * and *n is its length without the NUL.  No NUL before the end of the
 * packet leaves the cursor where it was.
 */
static int
get_str(struct sbd_cur *c, const char **s, size_t *n)
{
	const uint8_t *start = c->p + c->off, *nul, *q;
	size_t left = sbd_cur_left(c), len;

	if (left == 0 || (nul = memchr(start, '\0', left)) == NULL)
		return SBD_ERR_TRUNCATED;
	len = (size_t)(nul - start);
	if (sbd_get_bytes(c, len + 1, &q) != 0)
		return SBD_ERR_TRUNCATED;
	*s = (const char *)q;
	*n = len;
	return 0;
}

/*
 * A decimal number: digits only (no sign, no blanks, not empty), at most
 * UINT64_MAX.
 */
static int
get_dec(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	unsigned dig;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		dig = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - dig) / 10)
			return -1;
		x = x * 10 + dig;
	}
	*v = x;
	return 0;
}

/* The option's row, or -1 for one we do not know. */
static int
opt_find(const char *name)
{
	int i;

	for (i = 0; i < SBD_TFTP_NOPTS; i++)
		if (strcasecmp(name, opt_tab[i].name) == 0)
			return i;
	return -1;
}

static void
req_set(struct sbd_tftp_req *r, int i, uint64_t v)
{
	switch (1u << i) {
	case SBD_TFTP_O_BLKSIZE:
		r->blksize = (uint32_t)v;
		break;
	case SBD_TFTP_O_TSIZE:
		r->tsize = v;
		break;
	case SBD_TFTP_O_TIMEOUT:
		r->timeout = (uint32_t)v;
		break;
	case SBD_TFTP_O_WINDOWSIZE:
		r->windowsize = (uint32_t)v;
		break;
	case SBD_TFTP_O_HOPS:
		r->hops = (uint32_t)v;
		break;
	}
}

/* The value of option row i as n holds it. */
static uint64_t
neg_get(const struct sbd_tftp_neg *n, int i)
{
	switch (1u << i) {
	case SBD_TFTP_O_BLKSIZE:
		return n->blksize;
	case SBD_TFTP_O_TSIZE:
		return n->tsize;
	case SBD_TFTP_O_TIMEOUT:
		return n->timeout;
	case SBD_TFTP_O_WINDOWSIZE:
		return n->windowsize;
	}
	return n->hops;
}

static void
neg_set(struct sbd_tftp_neg *n, int i, uint64_t v)
{
	switch (1u << i) {
	case SBD_TFTP_O_BLKSIZE:
		n->blksize = (uint32_t)v;
		break;
	case SBD_TFTP_O_TSIZE:
		n->tsize = v;
		break;
	case SBD_TFTP_O_TIMEOUT:
		n->timeout = (uint32_t)v;
		break;
	case SBD_TFTP_O_WINDOWSIZE:
		n->windowsize = (uint32_t)v;
		break;
	case SBD_TFTP_O_HOPS:
		n->hops = (uint32_t)v;
		break;
	}
}

/*
 * Options of a request (RFC 2347): name/value pairs up to the end of the
 * packet.  Duplicates are found among the options we know; an unknown
 * option is skipped whole, so finding its twin would cost a search per
 * pair for nothing the server uses.
 */
static int
parse_req_opts(struct sbd_cur *c, struct sbd_tftp_req *r, struct sbd_diag *d)
{
	const char *name, *val;
	size_t nlen, vlen, at;
	uint64_t v;
	unsigned seen = 0, bit;
	int i, err = 0;

	while (sbd_cur_left(c) > 0) {
		at = sbd_cur_pos(c);
		if (get_str(c, &name, &nlen) != 0) {
			err = sbd_diag_set(d, at, SBD_ERR_TRUNCATED,
			    "unterminated option name");
			goto out;
		}
		if (sbd_cur_left(c) == 0) {
			err = sbd_diag_set(d, at, SBD_ERR_TRUNCATED,
			    "option name without a value");
			goto out;
		}
		if (get_str(c, &val, &vlen) != 0) {
			err = sbd_diag_set(d, sbd_cur_pos(c),
			    SBD_ERR_TRUNCATED, "unterminated option value");
			goto out;
		}
		if ((i = opt_find(name)) < 0)
			continue;
		bit = 1u << i;
		if (seen & bit) {
			err = sbd_diag_set(d, at, SBD_ERR_TAG,
			    "option %s given twice", opt_tab[i].name);
			goto out;
		}
		seen |= bit;
		if (get_dec(val, vlen, &v) != 0 || v < opt_tab[i].lo ||
		    v > opt_tab[i].hi) {
			r->bad |= bit;
			continue;
		}
		r->opts |= bit;
		r->order[r->norder++] = (uint8_t)i;
		req_set(r, i, v);
	}
out:
	return err;
}

int
sbd_tftp_parse_req(const uint8_t *p, size_t len, struct sbd_tftp_req *req,
    struct sbd_diag *d)
{
	struct sbd_tftp_req r;
	struct sbd_cur c;
	const char *s;
	size_t n, at;
	uint16_t op;
	int err;

	memset(&r, 0, sizeof(r));
	sbd_cur_init(&c, p, len);
	if (sbd_get_u16(&c, &op) != 0) {
		err = sbd_diag_set(d, 0, SBD_ERR_TRUNCATED,
		    "packet shorter than an opcode");
		goto out;
	}
	if (op != SBD_TFTP_RRQ && op != SBD_TFTP_WRQ) {
		err = sbd_diag_set(d, 0, SBD_ERR_INVAL,
		    "opcode %u is not a request", op);
		goto out;
	}
	r.op = op;
	/* A file name error is reported at offset 2, a mode error after. */
	at = sbd_cur_pos(&c);
	if (get_str(&c, &s, &n) != 0) {
		err = sbd_diag_set(d, at, SBD_ERR_TRUNCATED,
		    "unterminated file name");
		goto out;
	}
	if (n == 0 || n > SBD_TFTP_NAME_MAX) {
		err = sbd_diag_set(d, at, SBD_ERR_VALUE,
		    "file name of %zu bytes", n);
		goto out;
	}
	memcpy(r.file, s, n);
	r.file[n] = '\0';
	at = sbd_cur_pos(&c);
	if (get_str(&c, &s, &n) != 0) {
		err = sbd_diag_set(d, at, SBD_ERR_TRUNCATED,
		    "unterminated mode");
		goto out;
	}
	/* RFC 1350 section 5: "mail" is obsolete; we serve files only. */
	if (strcasecmp(s, "octet") == 0)
		r.mode = SBD_TFTP_OCTET;
	else if (strcasecmp(s, "netascii") == 0)
		r.mode = SBD_TFTP_NETASCII;
	else {
		err = sbd_diag_set(d, at, SBD_ERR_VALUE,
		    "unknown transfer mode");
		goto out;
	}
	if ((err = parse_req_opts(&c, &r, d)) != 0)
		goto out;
	*req = r;
out:
	return err;
}

void
sbd_tftp_negotiate(const struct sbd_tftp_req *req, uint32_t blksize_cap,
    uint32_t window_cap, uint64_t file_size, struct sbd_tftp_neg *n)
{
	unsigned i, bit;
	int row;

	memset(n, 0, sizeof(*n));
	n->blksize = SBD_TFTP_SEGSIZE;
	n->windowsize = SBD_TFTP_WINDOW_MIN;
	if (blksize_cap == 0 || blksize_cap > SBD_TFTP_BLKSIZE_MAX)
		blksize_cap = SBD_TFTP_BLKSIZE_MAX;
	if (blksize_cap < SBD_TFTP_BLKSIZE_MIN)
		blksize_cap = SBD_TFTP_BLKSIZE_MIN;
	if (window_cap < SBD_TFTP_WINDOW_MIN)
		window_cap = SBD_TFTP_WINDOW_MIN;
	if (window_cap > SBD_TFTP_WINDOW_MAX)
		window_cap = SBD_TFTP_WINDOW_MAX;
	for (i = 0; i < req->norder && i < SBD_TFTP_NOPTS; i++) {
		row = req->order[i];
		if (row >= SBD_TFTP_NOPTS)
			continue;
		bit = 1u << row;
		if (!(req->opts & bit) || (n->opts & bit))
			continue;
		switch (bit) {
		case SBD_TFTP_O_BLKSIZE:
			/* RFC 2348: the server may answer a smaller size. */
			n->blksize = req->blksize < blksize_cap ?
			    req->blksize : blksize_cap;
			break;
		case SBD_TFTP_O_TSIZE:
			/* RFC 2349: answered only with a size we know. */
			if (file_size == UINT64_MAX)
				continue;
			n->tsize = file_size;
			break;
		case SBD_TFTP_O_TIMEOUT:
			n->timeout = req->timeout;
			break;
		case SBD_TFTP_O_WINDOWSIZE:
			/* RFC 7440 section 4: never more than asked. */
			n->windowsize = req->windowsize < window_cap ?
			    req->windowsize : window_cap;
			break;
		default:
			/* x-sbd-hops is between proxies, not for clients. */
			continue;
		}
		n->opts |= bit;
		n->order[n->norder++] = (uint8_t)row;
	}
}

int
sbd_tftp_build_oack(uint8_t *buf, size_t cap, const struct sbd_tftp_neg *n)
{
	struct wbuf w = { buf, cap, 0, 0 };
	unsigned i;
	int row;

	put_u16(&w, SBD_TFTP_OACK);
	for (i = 0; i < n->norder && i < SBD_TFTP_NOPTS; i++) {
		row = n->order[i];
		if (row >= SBD_TFTP_NOPTS || !(n->opts & (1u << row)) ||
		    opt_tab[row].oack_hi == 0)
			continue;
		put_str(&w, opt_tab[row].name, strlen(opt_tab[row].name));
		put_dec(&w, neg_get(n, row));
	}
	return wbuf_done(&w);
}

int
sbd_tftp_build_error(uint8_t *buf, size_t cap, int code, const char *msg)
{
	struct wbuf w = { buf, cap, 0, 0 };

	put_u16(&w, SBD_TFTP_ERROR);
	put_u16(&w, (uint16_t)code);
	put_str(&w, msg, strnlen(msg, SBD_TFTP_ERRMSG_MAX));
	return wbuf_done(&w);
}

void
sbd_tftp_put_data_hdr(uint8_t *buf, uint16_t block)
{
	buf[0] = 0;
	buf[1] = SBD_TFTP_DATA;
	buf[2] = (uint8_t)(block >> 8);
	buf[3] = (uint8_t)block;
}

int
sbd_tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block)
{
	struct wbuf w = { buf, cap, 0, 0 };

	put_u16(&w, SBD_TFTP_ACK);
	put_u16(&w, block);
	return wbuf_done(&w);
}

int
sbd_tftp_build_rrq(uint8_t *buf, size_t cap, const char *file,
    const struct sbd_tftp_neg *want)
{
	struct wbuf w = { buf, cap, 0, 0 };
	size_t n = strnlen(file, SBD_TFTP_NAME_MAX + 1);
	int i;

	if (n == 0 || n > SBD_TFTP_NAME_MAX)
		w.err = SBD_ERR_INVAL;
	put_u16(&w, SBD_TFTP_RRQ);
	put_str(&w, file, n);
	put_str(&w, "octet", 5);
	for (i = 0; i < SBD_TFTP_NOPTS; i++) {
		if (!(want->opts & (1u << i)))
			continue;
		put_str(&w, opt_tab[i].name, strlen(opt_tab[i].name));
		/* RFC 2349 section 2: a reader asks for the size with 0. */
		put_dec(&w, (1u << i) == SBD_TFTP_O_TSIZE ? 0 :
		    neg_get(want, i));
	}
	return wbuf_done(&w);
}

/*
 * Options of an OACK: only those we can ask for, each at most once, each
 * with a value a server may acknowledge (RFC 2347: the server never
 * acknowledges an option the client did not send).
 */
static int
parse_oack(struct sbd_cur *c, struct sbd_tftp_neg *n, struct sbd_diag *d)
{
	const char *name, *val;
	size_t nlen, vlen, at;
	uint64_t v;
	int i, err = 0;

	n->blksize = SBD_TFTP_SEGSIZE;
	n->windowsize = SBD_TFTP_WINDOW_MIN;
	if (sbd_cur_left(c) == 0) {
		err = sbd_diag_set(d, sbd_cur_pos(c), SBD_ERR_MISSING,
		    "OACK without options");
		goto out;
	}
	while (sbd_cur_left(c) > 0) {
		at = sbd_cur_pos(c);
		if (get_str(c, &name, &nlen) != 0 ||
		    get_str(c, &val, &vlen) != 0) {
			err = sbd_diag_set(d, at, SBD_ERR_TRUNCATED,
			    "unterminated OACK option");
			goto out;
		}
		if ((i = opt_find(name)) < 0 || opt_tab[i].oack_hi == 0) {
			err = sbd_diag_set(d, at, SBD_ERR_TAG,
			    "OACK option not asked for");
			goto out;
		}
		if (n->opts & (1u << i)) {
			err = sbd_diag_set(d, at, SBD_ERR_TAG,
			    "OACK option %s given twice", opt_tab[i].name);
			goto out;
		}
		if (get_dec(val, vlen, &v) != 0 || v < opt_tab[i].lo ||
		    v > opt_tab[i].oack_hi) {
			err = sbd_diag_set(d, at, SBD_ERR_VALUE,
			    "OACK option %s out of range", opt_tab[i].name);
			goto out;
		}
		n->opts |= 1u << i;
		n->order[n->norder++] = (uint8_t)i;
		neg_set(n, i, v);
	}
out:
	return err;
}

/*
 * The text of an ERROR, cut and made printable so that it can be logged
 * as is.  It ends at its NUL or, from a sloppy peer, at the end of the
 * packet: refusing the packet would only make the abort slower to see.
 */
static void
error_text(struct sbd_cur *c, char *msg)
{
	const uint8_t *q = c->p + c->off;
	size_t left = sbd_cur_left(c), i;

	for (i = 0; i < left && i < SBD_TFTP_ERRMSG_MAX && q[i] != '\0'; i++)
		msg[i] = q[i] >= 0x20 && q[i] < 0x7f ? (char)q[i] : '?';
	msg[i] = '\0';
}

int
sbd_tftp_parse_pkt(const uint8_t *p, size_t len, struct sbd_tftp_pkt *pkt,
    struct sbd_diag *d)
{
	struct sbd_tftp_pkt k;
	struct sbd_cur c;
	uint16_t op, u;
	int err = 0;

	memset(&k, 0, sizeof(k));
	sbd_cur_init(&c, p, len);
	if (sbd_get_u16(&c, &op) != 0) {
		err = sbd_diag_set(d, 0, SBD_ERR_TRUNCATED,
		    "packet shorter than an opcode");
		goto out;
	}
	k.op = op;
	switch (op) {
	case SBD_TFTP_DATA:
	case SBD_TFTP_ACK:
	case SBD_TFTP_ERROR:
		if (sbd_get_u16(&c, &u) != 0) {
			err = sbd_diag_set(d, 2, SBD_ERR_TRUNCATED,
			    "%s shorter than 4 bytes", sbd_tftp_opname(op));
			goto out;
		}
		break;
	case SBD_TFTP_OACK:
		err = parse_oack(&c, &k.oack, d);
		goto out;
	default:
		err = sbd_diag_set(d, 0, SBD_ERR_INVAL,
		    "opcode %u is not a reply", op);
		goto out;
	}
	if (op == SBD_TFTP_ERROR) {
		k.code = u;
		error_text(&c, k.msg);
	} else if (op == SBD_TFTP_ACK) {
		k.block = u;
		if (sbd_cur_left(&c) != 0)
			err = sbd_diag_set(d, 4, SBD_ERR_TRAILING,
			    "%zu bytes after an ACK", sbd_cur_left(&c));
	} else {
		/* The payload is the rest of the packet (RFC 1350 5). */
		k.block = u;
		k.data = c.p + c.off;
		k.datalen = sbd_cur_left(&c);
		if (k.datalen > SBD_TFTP_BLKSIZE_MAX)
			err = sbd_diag_set(d, 4, SBD_ERR_TOOBIG,
			    "DATA of %zu bytes", k.datalen);
	}
out:
	if (err == 0)
		*pkt = k;
	return err;
}

int
sbd_tftp_netascii(const uint8_t *p, size_t len, uint8_t **out,
    size_t *outlen)
{
	uint8_t *q;
	size_t i, n = len, j = 0;
	int err = 0;

	/*
	 * Every CR is escaped, not only a bare one: a CR LF already in the
	 * file must come back as CR LF, and CR LF on the wire means LF.
	 */
	for (i = 0; i < len; i++)
		if (p[i] == '\n' || p[i] == '\r')
			n++;
	if (n < len) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	if ((q = malloc(n > 0 ? n : 1)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			q[j++] = '\r';
			q[j++] = '\n';
		} else if (p[i] == '\r') {
			q[j++] = '\r';
			q[j++] = '\0';
		} else
			q[j++] = p[i];
	}
	*out = q;
	*outlen = n;
out:
	return err;
}

const char *
sbd_tftp_opname(int op)
{
	static const char *const names[] = {
		NULL, "RRQ", "WRQ", "DATA", "ACK", "ERROR", "OACK",
	};

	if (op < SBD_TFTP_RRQ || op > SBD_TFTP_OACK)
		return "?";
	return names[op];
}
