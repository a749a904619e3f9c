/*
 * libFuzzer target: TFTP packets (RFC 1350, 2347, 2348, 2349, 7440).
 *
 * The input is a packet from the network.  As a request
 * (sbd_tftp_parse_req) that parses, it must hold what tftp.h promises (a
 * name of 1..255 bytes, opts and bad disjoint, the order listing exactly
 * opts); it is then negotiated under three pairs of caps, as the daemon
 * does, and whenever an option is granted the OACK built from the result
 * must parse back (sbd_tftp_parse_pkt) with the same options, values
 * and order.  The request is rebuilt with sbd_tftp_build_rrq, as the
 * proxy does, and must parse back to the same name and values.
 *
 * As a reply (sbd_tftp_parse_pkt), a DATA payload must lie inside the
 * input and an ERROR text must be short and printable.  Finally the
 * input goes through sbd_tftp_netascii, and decoding the result (CR LF
 * to LF, CR NUL to CR) must give the input back.  A broken promise
 * aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbd/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	uint32_t blksize_cap;
	uint32_t window_cap;
} caps[] = {
	{ 0, 64 },		/* no path MTU known: BLKSIZE_MAX */
	{ 1428, 8 },		/* Ethernet, IPv4 */
	{ 512, 1 },		/* RFC 1350 only */
};

static unsigned
popcount(unsigned v)
{
	unsigned n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* The OACK built from n must read back as n. */
static void
check_oack(const struct sbd_tftp_neg *n)
{
	uint8_t buf[SBD_TFTP_SEGSIZE];
	struct sbd_tftp_pkt k;
	int len;

	len = sbd_tftp_build_oack(buf, sizeof(buf), n);
	if (len <= 2)
		abort();
	if (sbd_tftp_parse_pkt(buf, (size_t)len, &k, NULL) != 0 ||
	    k.op != SBD_TFTP_OACK || k.oack.opts != n->opts ||
	    k.oack.norder != n->norder ||
	    memcmp(k.oack.order, n->order, n->norder) != 0 ||
	    k.oack.blksize != n->blksize || k.oack.timeout != n->timeout ||
	    k.oack.windowsize != n->windowsize ||
	    ((n->opts & SBD_TFTP_O_TSIZE) && k.oack.tsize != n->tsize))
		abort();
}

static void
check_req(const struct sbd_tftp_req *r, size_t size)
{
	struct sbd_tftp_neg n, want;
	struct sbd_tftp_req again;
	uint8_t buf[SBD_TFTP_SEGSIZE];
	size_t i, namelen = strlen(r->file);
	int len;

	if ((r->op != SBD_TFTP_RRQ && r->op != SBD_TFTP_WRQ) ||
	    namelen == 0 || namelen > SBD_TFTP_NAME_MAX ||
	    (r->opts & r->bad) != 0 || r->norder != popcount(r->opts))
		abort();
	for (i = 0; i < r->norder; i++)
		if (r->order[i] >= SBD_TFTP_NOPTS ||
		    !(r->opts & (1u << r->order[i])))
			abort();
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		sbd_tftp_negotiate(r, caps[i].blksize_cap, caps[i].window_cap,
		    i == 0 ? UINT64_MAX : size, &n);
		if ((n.opts & ~r->opts) != 0 || (n.opts & SBD_TFTP_O_HOPS) ||
		    (caps[i].blksize_cap != 0 &&
		    n.blksize > caps[i].blksize_cap) ||
		    n.windowsize > caps[i].window_cap)
			abort();
		if (n.opts != 0)
			check_oack(&n);
	}

	memset(&want, 0, sizeof(want));
	want.opts = r->opts;
	want.blksize = r->blksize;
	want.timeout = r->timeout;
	want.windowsize = r->windowsize;
	want.hops = r->hops;
	len = sbd_tftp_build_rrq(buf, sizeof(buf), r->file, &want);
	if (len < 0 || sbd_tftp_parse_req(buf, (size_t)len, &again,
	    NULL) != 0 || strcmp(again.file, r->file) != 0 ||
	    again.opts != r->opts || again.blksize != r->blksize ||
	    again.timeout != r->timeout || again.tsize != 0 ||
	    again.windowsize != r->windowsize || again.hops != r->hops)
		abort();
}

static void
check_pkt(const struct sbd_tftp_pkt *k, const uint8_t *data, size_t size)
{
	size_t i, n;

	switch (k->op) {
	case SBD_TFTP_DATA:
		if (k->data != data + 4 || k->datalen != size - 4 ||
		    k->datalen > SBD_TFTP_BLKSIZE_MAX)
			abort();
		break;
	case SBD_TFTP_ACK:
		if (size != 4)
			abort();
		break;
	case SBD_TFTP_ERROR:
		n = strlen(k->msg);
		if (n > SBD_TFTP_ERRMSG_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (k->msg[i] < 0x20 || k->msg[i] > 0x7e)
				abort();
		break;
	case SBD_TFTP_OACK:
		if (k->oack.opts == 0 || (k->oack.opts & SBD_TFTP_O_HOPS))
			abort();
		break;
	default:
		abort();
	}
}

/* Decode netascii back: it must be the input. */
static void
check_netascii(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t outlen = 0, i, j = 0;

	if (sbd_tftp_netascii(data, size, &out, &outlen) != 0)
		abort();
	for (i = 0; i < outlen; i++, j++) {
		if (out[i] == '\r') {
			if (i + 1 == outlen ||
			    (out[i + 1] != '\n' && out[i + 1] != '\0'))
				abort();
			if (j >= size ||
			    data[j] != (out[i + 1] == '\n' ? '\n' : '\r'))
				abort();
			i++;
		} else if (out[i] == '\n' || j >= size || data[j] != out[i])
			abort();
	}
	if (j != size)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_tftp_req r;
	struct sbd_tftp_pkt k;
	struct sbd_diag d;

	if (sbd_tftp_parse_req(data, size, &r, &d) == 0)
		check_req(&r, size);
	else if (d.off > size)
		abort();
	if (sbd_tftp_parse_pkt(data, size, &k, &d) == 0)
		check_pkt(&k, data, size);
	else if (d.off > size)
		abort();
	check_netascii(data, size);
	return 0;
}
