/* Unit tests: TFTP packets (lib/tftp.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbd/tftp.h"

/* A packet written as a string literal (NULs included, the last one not). */
#define PKT(s)	(const uint8_t *)(s), sizeof(s) - 1

/* Parse a request that must fail with err; req must stay untouched. */
static void
req_fails(const uint8_t *p, size_t len, int err, size_t off)
{
	struct sbd_tftp_req req, before;
	struct sbd_diag d;

	memset(&req, 0xa5, sizeof(req));
	before = req;
	memset(&d, 0, sizeof(d));
	assert_int_equal(sbd_tftp_parse_req(p, len, &req, &d), err);
	assert_int_equal(d.err, err);
	assert_int_equal(d.off, off);
	assert_memory_equal(&req, &before, sizeof(req));
}

static void
req_ok(const uint8_t *p, size_t len, struct sbd_tftp_req *req)
{
	struct sbd_diag d;

	memset(req, 0xa5, sizeof(*req));
	assert_int_equal(sbd_tftp_parse_req(p, len, req, &d), 0);
}

static void
test_rrq_fields(void **state)
{
	struct sbd_tftp_req r;

	(void)state;
	req_ok(PKT("\0\1" "SEP001122334455.cnf.xml\0" "octet\0"
	    "windowsize\0" "8\0" "tsize\0" "0\0" "blksize\0" "1428\0"
	    "x-sbd-hops\0" "2\0" "timeout\0" "3\0"), &r);
	assert_int_equal(r.op, SBD_TFTP_RRQ);
	assert_string_equal(r.file, "SEP001122334455.cnf.xml");
	assert_int_equal(r.mode, SBD_TFTP_OCTET);
	assert_int_equal(r.opts, SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_TSIZE |
	    SBD_TFTP_O_TIMEOUT | SBD_TFTP_O_WINDOWSIZE | SBD_TFTP_O_HOPS);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.blksize, 1428);
	assert_int_equal(r.tsize, 0);
	assert_int_equal(r.timeout, 3);
	assert_int_equal(r.windowsize, 8);
	assert_int_equal(r.hops, 2);
	/* The client's order: windowsize, tsize, blksize, hops, timeout. */
	assert_int_equal(r.norder, 5);
	assert_int_equal(r.order[0], 3);
	assert_int_equal(r.order[1], 1);
	assert_int_equal(r.order[2], 0);
	assert_int_equal(r.order[3], 4);
	assert_int_equal(r.order[4], 2);

	/* No options: every option field is zero. */
	req_ok(PKT("\0\1" "ITLFile.tlv\0" "netascii\0"), &r);
	assert_int_equal(r.mode, SBD_TFTP_NETASCII);
	assert_string_equal(r.file, "ITLFile.tlv");
	assert_int_equal(r.opts, 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.norder, 0);
	assert_int_equal(r.blksize, 0);
	assert_int_equal(r.hops, 0);
}

static void
test_case_insensitive(void **state)
{
	struct sbd_tftp_req r;

	(void)state;
	req_ok(PKT("\0\1" "a\0" "OCTET\0" "BlkSize\0" "1024\0"
	    "TSIZE\0" "0\0" "TimeOut\0" "9\0" "WINDOWSIZE\0" "4\0"
	    "X-SBD-Hops\0" "1\0"), &r);
	assert_int_equal(r.mode, SBD_TFTP_OCTET);
	assert_int_equal(r.opts, SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_TSIZE |
	    SBD_TFTP_O_TIMEOUT | SBD_TFTP_O_WINDOWSIZE | SBD_TFTP_O_HOPS);
	assert_int_equal(r.blksize, 1024);
	assert_int_equal(r.timeout, 9);
	assert_int_equal(r.windowsize, 4);
	assert_int_equal(r.hops, 1);
	req_ok(PKT("\0\1" "a\0" "NetAscii\0"), &r);
	assert_int_equal(r.mode, SBD_TFTP_NETASCII);
	/* The file name keeps its case. */
	req_ok(PKT("\0\1" "SEPAbC.cnf.XML\0" "octet\0"), &r);
	assert_string_equal(r.file, "SEPAbC.cnf.XML");
}

static void
test_req_truncated(void **state)
{
	(void)state;
	req_fails(PKT(""), SBD_ERR_TRUNCATED, 0);
	req_fails(PKT("\0"), SBD_ERR_TRUNCATED, 0);
	req_fails(PKT("\0\1"), SBD_ERR_TRUNCATED, 2);
	req_fails(PKT("\0\1" "file"), SBD_ERR_TRUNCATED, 2);
	req_fails(PKT("\0\1" "file\0"), SBD_ERR_TRUNCATED, 7);
	req_fails(PKT("\0\1" "file\0" "oct"), SBD_ERR_TRUNCATED, 7);
	/* Option name unterminated, without a value, value unterminated. */
	req_fails(PKT("\0\1" "f\0" "octet\0" "blksize"), SBD_ERR_TRUNCATED,
	    10);
	req_fails(PKT("\0\1" "f\0" "octet\0" "blksize\0"), SBD_ERR_TRUNCATED,
	    10);
	req_fails(PKT("\0\1" "f\0" "octet\0" "blksize\0" "512"),
	    SBD_ERR_TRUNCATED, 18);
	/* The same holds for an option we do not know. */
	req_fails(PKT("\0\1" "f\0" "octet\0" "blksize\0" "512\0" "foo\0"),
	    SBD_ERR_TRUNCATED, 22);
	/* A parse without a diag still fails. */
	{
		struct sbd_tftp_req r;

		assert_int_equal(sbd_tftp_parse_req(PKT("\0\1" "f\0"), &r,
		    NULL), SBD_ERR_TRUNCATED);
	}
}

static void
test_file_name_length(void **state)
{
	uint8_t pkt[2 + 257 + 6];
	struct sbd_tftp_req r;
	size_t n;

	(void)state;
	req_fails(PKT("\0\1" "\0" "octet\0"), SBD_ERR_VALUE, 2);
	/* 255 bytes is the longest name; 256 is one over. */
	for (n = 255; n <= 256; n++) {
		pkt[0] = 0;
		pkt[1] = SBD_TFTP_RRQ;
		memset(pkt + 2, 'n', n);
		pkt[2 + n] = '\0';
		memcpy(pkt + 3 + n, "octet", 6);
		if (n == 255) {
			req_ok(pkt, 2 + n + 7, &r);
			assert_int_equal(strlen(r.file), 255);
			assert_int_equal(r.file[254], 'n');
		} else
			req_fails(pkt, 2 + n + 7, SBD_ERR_VALUE, 2);
	}
}

static void
test_unknown_mode(void **state)
{
	(void)state;
	/* A mode error names the mode's offset, never 2 (the file name). */
	req_fails(PKT("\0\1" "f\0" "mail\0"), SBD_ERR_VALUE, 4);
	req_fails(PKT("\0\1" "f\0" "MAIL\0"), SBD_ERR_VALUE, 4);
	req_fails(PKT("\0\1" "f\0" "binary\0"), SBD_ERR_VALUE, 4);
	req_fails(PKT("\0\1" "f\0" "\0"), SBD_ERR_VALUE, 4);
	req_fails(PKT("\0\1" "f\0" "octets\0"), SBD_ERR_VALUE, 4);
}

static void
test_wrq_and_opcodes(void **state)
{
	struct sbd_tftp_req r;
	uint8_t pkt[] = { 0, 0, 'f', 0, 'o', 'c', 't', 'e', 't', 0 };
	int op;

	(void)state;
	req_ok(PKT("\0\2" "upload.bin\0" "octet\0" "tsize\0" "4096\0"), &r);
	assert_int_equal(r.op, SBD_TFTP_WRQ);
	assert_string_equal(r.file, "upload.bin");
	assert_int_equal(r.tsize, 4096);
	for (op = 0; op <= 7; op++) {
		if (op == SBD_TFTP_RRQ || op == SBD_TFTP_WRQ)
			continue;
		pkt[1] = (uint8_t)op;
		req_fails(pkt, sizeof(pkt), SBD_ERR_INVAL, 0);
	}
	pkt[0] = 1;
	pkt[1] = SBD_TFTP_RRQ;
	req_fails(pkt, sizeof(pkt), SBD_ERR_INVAL, 0);
}

static void
test_duplicate_option(void **state)
{
	struct sbd_tftp_req r;

	(void)state;
	req_fails(PKT("\0\1" "f\0" "octet\0" "blksize\0" "512\0"
	    "BLKSIZE\0" "1024\0"), SBD_ERR_TAG, 22);
	req_fails(PKT("\0\1" "f\0" "octet\0" "tsize\0" "0\0"
	    "TSize\0" "0\0"), SBD_ERR_TAG, 18);
	/* A twin of an invalid value is still a twin. */
	req_fails(PKT("\0\1" "f\0" "octet\0" "timeout\0" "0\0"
	    "timeout\0" "5\0"), SBD_ERR_TAG, 20);
	/* Twins of an option we ignore do not matter. */
	req_ok(PKT("\0\1" "f\0" "octet\0" "foo\0" "1\0" "FOO\0" "2\0"), &r);
	assert_int_equal(r.opts, 0);
}

/* One option with value v: it must land in bad, not in opts. */
static void
opt_bad(const char *name, const char *v, unsigned bit)
{
	uint8_t pkt[128];
	struct sbd_tftp_req r;
	size_t n = 0;

	memcpy(pkt, "\0\1" "f\0" "octet\0", 10);
	n = 10;
	memcpy(pkt + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(pkt + n, v, strlen(v) + 1);
	n += strlen(v) + 1;
	req_ok(pkt, n, &r);
	assert_int_equal(r.opts, 0);
	assert_int_equal(r.bad, bit);
	assert_int_equal(r.norder, 0);
}

static void
opt_good(const char *name, const char *v, unsigned bit, uint64_t want)
{
	uint8_t pkt[128];
	struct sbd_tftp_req r;
	size_t n = 0;

	memcpy(pkt, "\0\1" "f\0" "octet\0", 10);
	n = 10;
	memcpy(pkt + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(pkt + n, v, strlen(v) + 1);
	n += strlen(v) + 1;
	req_ok(pkt, n, &r);
	assert_int_equal(r.opts, bit);
	assert_int_equal(r.bad, 0);
	switch (bit) {
	case SBD_TFTP_O_BLKSIZE:
		assert_int_equal(r.blksize, want);
		break;
	case SBD_TFTP_O_TSIZE:
		assert_true(r.tsize == want);
		break;
	case SBD_TFTP_O_TIMEOUT:
		assert_int_equal(r.timeout, want);
		break;
	case SBD_TFTP_O_WINDOWSIZE:
		assert_int_equal(r.windowsize, want);
		break;
	default:
		assert_int_equal(r.hops, want);
	}
}

static void
test_option_ranges(void **state)
{
	(void)state;
	opt_bad("blksize", "7", SBD_TFTP_O_BLKSIZE);
	opt_good("blksize", "8", SBD_TFTP_O_BLKSIZE, 8);
	opt_good("blksize", "65464", SBD_TFTP_O_BLKSIZE, 65464);
	/* Over RFC 2348's maximum is valid: negotiate clamps it. */
	opt_good("blksize", "70000", SBD_TFTP_O_BLKSIZE, 70000);
	opt_good("blksize", "4294967295", SBD_TFTP_O_BLKSIZE, 4294967295u);
	opt_bad("blksize", "4294967296", SBD_TFTP_O_BLKSIZE);
	opt_bad("timeout", "0", SBD_TFTP_O_TIMEOUT);
	opt_good("timeout", "1", SBD_TFTP_O_TIMEOUT, 1);
	opt_good("timeout", "255", SBD_TFTP_O_TIMEOUT, 255);
	opt_bad("timeout", "256", SBD_TFTP_O_TIMEOUT);
	opt_bad("windowsize", "0", SBD_TFTP_O_WINDOWSIZE);
	opt_good("windowsize", "1", SBD_TFTP_O_WINDOWSIZE, 1);
	opt_good("windowsize", "65535", SBD_TFTP_O_WINDOWSIZE, 65535);
	opt_bad("windowsize", "65536", SBD_TFTP_O_WINDOWSIZE);
	opt_bad("blksize", "12a", SBD_TFTP_O_BLKSIZE);
	opt_bad("blksize", "+512", SBD_TFTP_O_BLKSIZE);
	opt_bad("blksize", "-512", SBD_TFTP_O_BLKSIZE);
	opt_bad("blksize", " 512", SBD_TFTP_O_BLKSIZE);
	opt_bad("blksize", "", SBD_TFTP_O_BLKSIZE);
	opt_bad("tsize", "99999999999999999999", SBD_TFTP_O_TSIZE);
	opt_good("tsize", "18446744073709551615", SBD_TFTP_O_TSIZE,
	    UINT64_MAX);
	opt_bad("tsize", "18446744073709551616", SBD_TFTP_O_TSIZE);
	opt_bad("timeout", "99999999999999999999", SBD_TFTP_O_TIMEOUT);
	opt_good("tsize", "0", SBD_TFTP_O_TSIZE, 0);
	opt_good("x-sbd-hops", "0", SBD_TFTP_O_HOPS, 0);
	opt_bad("x-sbd-hops", "two", SBD_TFTP_O_HOPS);
	/* Leading zeros are still decimal. */
	opt_good("blksize", "01428", SBD_TFTP_O_BLKSIZE, 1428);
}

static void
test_unknown_options(void **state)
{
	struct sbd_tftp_req r;

	(void)state;
	req_ok(PKT("\0\1" "f\0" "octet\0" "multicast\0" "\0"
	    "blksize\0" "1024\0" "rollover\0" "0\0" "\0" "x\0"
	    "utimeout\0" "5000\0"), &r);
	assert_int_equal(r.opts, SBD_TFTP_O_BLKSIZE);
	assert_int_equal(r.bad, 0);
	assert_int_equal(r.norder, 1);
	assert_int_equal(r.order[0], 0);
	assert_int_equal(r.blksize, 1024);
}

static void
test_negotiate(void **state)
{
	struct sbd_tftp_req r;
	struct sbd_tftp_neg n;

	(void)state;
	req_ok(PKT("\0\1" "f\0" "octet\0" "blksize\0" "1468\0"
	    "windowsize\0" "16\0" "tsize\0" "0\0" "timeout\0" "2\0"
	    "x-sbd-hops\0" "1\0"), &r);
	memset(&n, 0xa5, sizeof(n));
	sbd_tftp_negotiate(&r, 1428, 8, 1234, &n);
	assert_int_equal(n.opts, SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_WINDOWSIZE |
	    SBD_TFTP_O_TSIZE | SBD_TFTP_O_TIMEOUT);
	assert_int_equal(n.blksize, 1428);
	assert_int_equal(n.windowsize, 8);
	assert_int_equal(n.tsize, 1234);
	assert_int_equal(n.timeout, 2);
	assert_int_equal(n.norder, 4);
	assert_int_equal(n.order[0], 0);
	assert_int_equal(n.order[1], 3);
	assert_int_equal(n.order[2], 1);
	assert_int_equal(n.order[3], 2);

	/* Under the caps nothing changes; a cap of 0 is BLKSIZE_MAX. */
	sbd_tftp_negotiate(&r, 0, 64, 0, &n);
	assert_int_equal(n.blksize, 1468);
	assert_int_equal(n.windowsize, 16);
	assert_int_equal(n.tsize, 0);
	assert_true(n.opts & SBD_TFTP_O_TSIZE);

	/* An unknown size leaves tsize out. */
	sbd_tftp_negotiate(&r, 1428, 8, UINT64_MAX, &n);
	assert_int_equal(n.opts, SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_WINDOWSIZE |
	    SBD_TFTP_O_TIMEOUT);
	assert_int_equal(n.norder, 3);
	assert_int_equal(n.order[2], 2);

	req_ok(PKT("\0\1" "f\0" "octet\0" "blksize\0" "70000\0"), &r);
	sbd_tftp_negotiate(&r, 0, 1, 10, &n);
	assert_int_equal(n.blksize, SBD_TFTP_BLKSIZE_MAX);
	sbd_tftp_negotiate(&r, 512, 1, 10, &n);
	assert_int_equal(n.blksize, 512);

	/* Only hops and invalid values: no OACK, RFC 1350 defaults. */
	req_ok(PKT("\0\1" "f\0" "octet\0" "x-sbd-hops\0" "2\0"
	    "blksize\0" "7\0" "timeout\0" "0\0" "windowsize\0" "0\0"), &r);
	memset(&n, 0xa5, sizeof(n));
	sbd_tftp_negotiate(&r, 1428, 8, 1234, &n);
	assert_int_equal(n.opts, 0);
	assert_int_equal(n.norder, 0);
	assert_int_equal(n.blksize, SBD_TFTP_SEGSIZE);
	assert_int_equal(n.windowsize, 1);
	assert_int_equal(n.timeout, 0);

	/* A window cap of 0 still grants one block. */
	req_ok(PKT("\0\1" "f\0" "octet\0" "windowsize\0" "4\0"), &r);
	sbd_tftp_negotiate(&r, 0, 0, 1, &n);
	assert_int_equal(n.opts, SBD_TFTP_O_WINDOWSIZE);
	assert_int_equal(n.windowsize, 1);
}

static void
test_oack_bytes(void **state)
{
	static const uint8_t want1[] = "\0\6" "blksize\0" "1428\0"
	    "tsize\0" "1234\0";
	static const uint8_t want2[] = "\0\6" "tsize\0" "1234\0"
	    "timeout\0" "5\0" "windowsize\0" "4\0" "blksize\0" "512\0";
	struct sbd_tftp_req r;
	struct sbd_tftp_neg n;
	uint8_t buf[128];

	(void)state;
	req_ok(PKT("\0\1" "f\0" "octet\0" "BlkSize\0" "1468\0"
	    "TSIZE\0" "0\0" "x-sbd-hops\0" "1\0"), &r);
	sbd_tftp_negotiate(&r, 1428, 8, 1234, &n);
	assert_int_equal(sbd_tftp_build_oack(buf, sizeof(buf), &n),
	    sizeof(want1) - 1);
	assert_memory_equal(buf, want1, sizeof(want1) - 1);
	/* One byte short of room. */
	assert_int_equal(sbd_tftp_build_oack(buf, sizeof(want1) - 2, &n),
	    SBD_ERR_TOOBIG);

	req_ok(PKT("\0\1" "f\0" "octet\0" "tsize\0" "0\0" "timeout\0" "5\0"
	    "windowsize\0" "4\0" "blksize\0" "512\0"), &r);
	sbd_tftp_negotiate(&r, 1428, 8, 1234, &n);
	assert_int_equal(sbd_tftp_build_oack(buf, sizeof(buf), &n),
	    sizeof(want2) - 1);
	assert_memory_equal(buf, want2, sizeof(want2) - 1);
}

static void
test_build_error(void **state)
{
	static const uint8_t want[] = "\0\5\0\1" "File not found\0";
	uint8_t buf[256];
	char msg[200];
	int n;

	(void)state;
	n = sbd_tftp_build_error(buf, sizeof(buf), SBD_TFTP_ENOTFOUND,
	    "File not found");
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);
	n = sbd_tftp_build_error(buf, sizeof(buf), SBD_TFTP_EOPTNEG, "");
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "\0\5\0\10\0", 5);

	/* A long message is cut to 128 bytes and still NUL-terminated. */
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	memset(buf, 0xff, sizeof(buf));
	n = sbd_tftp_build_error(buf, sizeof(buf), SBD_TFTP_EUNDEF, msg);
	assert_int_equal(n, 4 + SBD_TFTP_ERRMSG_MAX + 1);
	assert_int_equal(buf[4 + SBD_TFTP_ERRMSG_MAX - 1], 'x');
	assert_int_equal(buf[4 + SBD_TFTP_ERRMSG_MAX], '\0');
	assert_int_equal(buf[4 + SBD_TFTP_ERRMSG_MAX + 1], 0xff);

	assert_int_equal(sbd_tftp_build_error(buf, 18, 1, "File not found"),
	    SBD_ERR_TOOBIG);
	assert_int_equal(sbd_tftp_build_error(buf, 19, 1, "File not found"),
	    19);
}

static void
test_ack_and_data_hdr(void **state)
{
	uint8_t buf[4];

	(void)state;
	assert_int_equal(sbd_tftp_build_ack(buf, sizeof(buf), 0x1234), 4);
	assert_memory_equal(buf, "\0\4\x12\x34", 4);
	assert_int_equal(sbd_tftp_build_ack(buf, 3, 1), SBD_ERR_TOOBIG);
	sbd_tftp_put_data_hdr(buf, 65535);
	assert_memory_equal(buf, "\0\3\xff\xff", 4);
	sbd_tftp_put_data_hdr(buf, 0);
	assert_memory_equal(buf, "\0\3\0\0", 4);
}

static void
test_build_rrq(void **state)
{
	static const uint8_t want[] = "\0\1" "ITLFile.tlv\0" "octet\0"
	    "blksize\0" "1428\0" "x-sbd-hops\0" "1\0";
	struct sbd_tftp_neg w;
	struct sbd_tftp_req r;
	uint8_t buf[512];
	char longname[SBD_TFTP_NAME_MAX + 2];
	int n;

	(void)state;
	memset(&w, 0, sizeof(w));
	w.opts = SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_HOPS;
	w.blksize = 1428;
	w.hops = 1;
	n = sbd_tftp_build_rrq(buf, sizeof(buf), "ITLFile.tlv", &w);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, sizeof(want) - 1);

	/* Every option, in the fixed order; tsize is always asked with 0. */
	w.opts = SBD_TFTP_O_BLKSIZE | SBD_TFTP_O_TSIZE | SBD_TFTP_O_TIMEOUT |
	    SBD_TFTP_O_WINDOWSIZE | SBD_TFTP_O_HOPS;
	w.tsize = 777;
	w.timeout = 3;
	w.windowsize = 16;
	w.hops = 2;
	n = sbd_tftp_build_rrq(buf, sizeof(buf), "SEP001122334455.cnf.xml",
	    &w);
	assert_true(n > 0);
	req_ok(buf, (size_t)n, &r);
	assert_int_equal(r.op, SBD_TFTP_RRQ);
	assert_string_equal(r.file, "SEP001122334455.cnf.xml");
	assert_int_equal(r.mode, SBD_TFTP_OCTET);
	assert_int_equal(r.opts, w.opts);
	assert_int_equal(r.blksize, 1428);
	assert_int_equal(r.tsize, 0);
	assert_int_equal(r.timeout, 3);
	assert_int_equal(r.windowsize, 16);
	assert_int_equal(r.hops, 2);
	assert_int_equal(r.norder, 5);
	assert_int_equal(r.order[0], 0);
	assert_int_equal(r.order[4], 4);

	/* Too small a buffer, an empty or over-long name. */
	assert_int_equal(sbd_tftp_build_rrq(buf, (size_t)n - 1,
	    "SEP001122334455.cnf.xml", &w), SBD_ERR_TOOBIG);
	assert_int_equal(sbd_tftp_build_rrq(buf, sizeof(buf), "", &w),
	    SBD_ERR_INVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sbd_tftp_build_rrq(buf, sizeof(buf), longname, &w),
	    SBD_ERR_INVAL);
	longname[SBD_TFTP_NAME_MAX] = '\0';
	w.opts = 0;
	n = sbd_tftp_build_rrq(buf, sizeof(buf), longname, &w);
	assert_int_equal(n, 2 + SBD_TFTP_NAME_MAX + 1 + 6);
	req_ok(buf, (size_t)n, &r);
	assert_string_equal(r.file, longname);
}

/* Parse a packet that must fail with err; pkt must stay untouched. */
static void
pkt_fails(const uint8_t *p, size_t len, int err)
{
	struct sbd_tftp_pkt k, before;
	struct sbd_diag d;

	memset(&k, 0xa5, sizeof(k));
	before = k;
	assert_int_equal(sbd_tftp_parse_pkt(p, len, &k, &d), err);
	assert_int_equal(d.err, err);
	assert_memory_equal(&k, &before, sizeof(k));
}

static void
test_parse_data_ack(void **state)
{
	static const uint8_t data[] = "\0\3\x01\x02" "hello";
	struct sbd_tftp_pkt k;
	uint8_t *big;

	(void)state;
	assert_int_equal(sbd_tftp_parse_pkt(data, sizeof(data) - 1, &k, NULL),
	    0);
	assert_int_equal(k.op, SBD_TFTP_DATA);
	assert_int_equal(k.block, 0x0102);
	assert_ptr_equal(k.data, data + 4);
	assert_int_equal(k.datalen, 5);
	/* An empty DATA ends a transfer whose size is a block multiple. */
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\3\0\7"), &k, NULL), 0);
	assert_int_equal(k.block, 7);
	assert_int_equal(k.datalen, 0);
	pkt_fails(PKT("\0\3\0"), SBD_ERR_TRUNCATED);

	big = calloc(1, SBD_TFTP_PKT_MAX + 1);
	assert_non_null(big);
	big[1] = SBD_TFTP_DATA;
	assert_int_equal(sbd_tftp_parse_pkt(big, SBD_TFTP_PKT_MAX, &k, NULL),
	    0);
	assert_int_equal(k.datalen, SBD_TFTP_BLKSIZE_MAX);
	pkt_fails(big, SBD_TFTP_PKT_MAX + 1, SBD_ERR_TOOBIG);
	free(big);

	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\4\xff\xfe"), &k, NULL), 0);
	assert_int_equal(k.op, SBD_TFTP_ACK);
	assert_int_equal(k.block, 0xfffe);
	pkt_fails(PKT("\0\4\0"), SBD_ERR_TRUNCATED);
	pkt_fails(PKT("\0\4\0\1\0"), SBD_ERR_TRAILING);

	/* Requests and unknown opcodes are not replies. */
	pkt_fails(PKT("\0\1" "f\0" "octet\0"), SBD_ERR_INVAL);
	pkt_fails(PKT("\0\2" "f\0" "octet\0"), SBD_ERR_INVAL);
	pkt_fails(PKT("\0\7\0\0"), SBD_ERR_INVAL);
	pkt_fails(PKT("\0\0\0\0"), SBD_ERR_INVAL);
	pkt_fails(PKT("\0"), SBD_ERR_TRUNCATED);
	pkt_fails(PKT(""), SBD_ERR_TRUNCATED);
}

static void
test_parse_error(void **state)
{
	struct sbd_tftp_pkt k;
	uint8_t buf[300];
	size_t i;

	(void)state;
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\5\0\10" "no options\0"),
	    &k, NULL), 0);
	assert_int_equal(k.op, SBD_TFTP_ERROR);
	assert_int_equal(k.code, SBD_TFTP_EOPTNEG);
	assert_string_equal(k.msg, "no options");
	/* Control and high bytes become '?'; bytes after the NUL go. */
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\5\0\2"
	    "a\nb\x1b[2J\x7f\xc3\xa9z\0" "after"), &k, NULL), 0);
	assert_int_equal(k.code, 2);
	assert_string_equal(k.msg, "a?b?[2J???z");
	/* No NUL at all, no text at all. */
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\5\0\0" "abc"), &k, NULL),
	    0);
	assert_string_equal(k.msg, "abc");
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\5\0\3"), &k, NULL), 0);
	assert_int_equal(k.code, 3);
	assert_string_equal(k.msg, "");
	pkt_fails(PKT("\0\5\0"), SBD_ERR_TRUNCATED);

	/* Cut at 128 bytes. */
	buf[0] = 0;
	buf[1] = SBD_TFTP_ERROR;
	buf[2] = 0;
	buf[3] = 0;
	for (i = 4; i < sizeof(buf) - 1; i++)
		buf[i] = (uint8_t)('a' + i % 26);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(sbd_tftp_parse_pkt(buf, sizeof(buf), &k, NULL), 0);
	assert_int_equal(strlen(k.msg), SBD_TFTP_ERRMSG_MAX);
	assert_memory_equal(k.msg, buf + 4, SBD_TFTP_ERRMSG_MAX);
}

static void
test_parse_oack(void **state)
{
	struct sbd_tftp_pkt k;

	(void)state;
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\6" "tsize\0" "1234\0"
	    "BLKSIZE\0" "1428\0"), &k, NULL), 0);
	assert_int_equal(k.op, SBD_TFTP_OACK);
	assert_int_equal(k.oack.opts, SBD_TFTP_O_TSIZE | SBD_TFTP_O_BLKSIZE);
	assert_int_equal(k.oack.tsize, 1234);
	assert_int_equal(k.oack.blksize, 1428);
	assert_int_equal(k.oack.windowsize, 1);
	assert_int_equal(k.oack.norder, 2);
	assert_int_equal(k.oack.order[0], 1);
	assert_int_equal(k.oack.order[1], 0);
	assert_int_equal(sbd_tftp_parse_pkt(PKT("\0\6" "timeout\0" "255\0"
	    "windowsize\0" "65535\0"), &k, NULL), 0);
	assert_int_equal(k.oack.timeout, 255);
	assert_int_equal(k.oack.windowsize, 65535);
	assert_int_equal(k.oack.blksize, SBD_TFTP_SEGSIZE);

	pkt_fails(PKT("\0\6"), SBD_ERR_MISSING);
	pkt_fails(PKT("\0\6" "foo\0" "1\0"), SBD_ERR_TAG);
	pkt_fails(PKT("\0\6" "x-sbd-hops\0" "1\0"), SBD_ERR_TAG);
	pkt_fails(PKT("\0\6" "blksize\0" "512\0" "Blksize\0" "512\0"),
	    SBD_ERR_TAG);
	pkt_fails(PKT("\0\6" "blksize\0" "70000\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "blksize\0" "7\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "timeout\0" "0\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "windowsize\0" "65536\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "tsize\0" "12a\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "tsize\0" "\0"), SBD_ERR_VALUE);
	pkt_fails(PKT("\0\6" "blksize"), SBD_ERR_TRUNCATED);
	pkt_fails(PKT("\0\6" "blksize\0"), SBD_ERR_TRUNCATED);
	pkt_fails(PKT("\0\6" "blksize\0" "512"), SBD_ERR_TRUNCATED);
}

/* What negotiate grants, build_oack writes and parse_pkt reads back. */
static void
test_oack_round_trip(void **state)
{
	struct sbd_tftp_req r;
	struct sbd_tftp_neg n;
	struct sbd_tftp_pkt k;
	uint8_t buf[128];
	int len;

	(void)state;
	req_ok(PKT("\0\1" "f\0" "octet\0" "timeout\0" "7\0"
	    "windowsize\0" "100\0" "blksize\0" "99999\0" "tsize\0" "0\0"),
	    &r);
	sbd_tftp_negotiate(&r, 0, 64, UINT64_MAX - 1, &n);
	len = sbd_tftp_build_oack(buf, sizeof(buf), &n);
	assert_true(len > 2);
	assert_int_equal(sbd_tftp_parse_pkt(buf, (size_t)len, &k, NULL), 0);
	assert_int_equal(k.oack.opts, n.opts);
	assert_int_equal(k.oack.norder, 4);
	assert_memory_equal(k.oack.order, n.order, 4);
	assert_int_equal(k.oack.blksize, SBD_TFTP_BLKSIZE_MAX);
	assert_int_equal(k.oack.windowsize, 64);
	assert_int_equal(k.oack.timeout, 7);
	assert_true(k.oack.tsize == UINT64_MAX - 1);
}

static void
netascii_is(const char *in, size_t inlen, const char *want, size_t wantlen)
{
	uint8_t *out = NULL;
	size_t outlen = 99;

	assert_int_equal(sbd_tftp_netascii((const uint8_t *)in, inlen, &out,
	    &outlen), 0);
	assert_non_null(out);
	assert_int_equal(outlen, wantlen);
	if (wantlen > 0)
		assert_memory_equal(out, want, wantlen);
	free(out);
}

static void
test_netascii(void **state)
{
	(void)state;
	netascii_is("a\nb\n", 4, "a\r\nb\r\n", 6);
	netascii_is("a\rb", 3, "a\r\0b", 4);
	/* CR LF in the file comes back from the client as CR LF. */
	netascii_is("x\r\ny\n\r", 6, "x\r\0\r\ny\r\n\r\0", 10);
	netascii_is("\0\xff" "plain", 7, "\0\xff" "plain", 7);
	netascii_is("", 0, "", 0);
}

static void
test_opname(void **state)
{
	(void)state;
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_RRQ), "RRQ");
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_WRQ), "WRQ");
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_DATA), "DATA");
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_ACK), "ACK");
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_ERROR), "ERROR");
	assert_string_equal(sbd_tftp_opname(SBD_TFTP_OACK), "OACK");
	assert_string_equal(sbd_tftp_opname(0), "?");
	assert_string_equal(sbd_tftp_opname(7), "?");
	assert_string_equal(sbd_tftp_opname(-1), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rrq_fields),
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_req_truncated),
		cmocka_unit_test(test_file_name_length),
		cmocka_unit_test(test_unknown_mode),
		cmocka_unit_test(test_wrq_and_opcodes),
		cmocka_unit_test(test_duplicate_option),
		cmocka_unit_test(test_option_ranges),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_oack_bytes),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_ack_and_data_hdr),
		cmocka_unit_test(test_build_rrq),
		cmocka_unit_test(test_parse_data_ack),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_parse_oack),
		cmocka_unit_test(test_oack_round_trip),
		cmocka_unit_test(test_netascii),
		cmocka_unit_test(test_opname),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
