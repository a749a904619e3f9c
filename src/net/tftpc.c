/*
 * A blocking TFTP client (RFC 1350) for one read request, with the
 * blksize option of RFC 2347/2348 when asked for.  Every wait is a poll()
 * with the per-packet deadline; the last packet sent is sent again on a
 * timeout, at most o->retries times.  Packets are built and parsed only by
 * lib/tftp.c.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/netint.h"
#include "sbd/tftp.h"

#define TFTP_TIMEOUT_MS	1000
#define TFTP_RETRIES	4
#define TFTP_MAX	(16 * 1024 * 1024)

/* One transfer. */
struct xfer {
	int fd;
	struct sockaddr_storage srv;	/* the server; its port becomes the
					 * TID of the first answer */
	socklen_t srvlen;
	int tid_locked;
	int opts;			/* options were sent */
	int asked;			/* ... and not answered yet */
	uint8_t last[SBD_TFTP_NAME_MAX + 64];	/* RRQ or ACK to resend */
	size_t lastlen;
	uint32_t blksize;
	uint16_t expect;		/* next DATA block */
	uint8_t *data;
	size_t len, cap, max;
};

static uint16_t
sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* Same host as the server (the port is the TID, compared apart). */
static int
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static int
send_pkt(struct xfer *x, const uint8_t *p, size_t n, char *errbuf)
{
	if (sendto(x->fd, p, n, 0, (struct sockaddr *)&x->srv,
	    x->srvlen) != (ssize_t)n)
		return sbdn_fail(errbuf, "sendto: %s", strerror(errno));
	return 0;
}

/* Send p and keep it as the packet a timeout sends again. */
static int
send_keep(struct xfer *x, const uint8_t *p, size_t n, char *errbuf)
{
	if (n > sizeof(x->last))
		return SBD_ERR_INVAL;
	memcpy(x->last, p, n);
	x->lastlen = n;
	return send_pkt(x, p, n, errbuf);
}

static int
send_ack(struct xfer *x, uint16_t block, char *errbuf)
{
	uint8_t ack[SBD_TFTP_HDR];
	int n = sbd_tftp_build_ack(ack, sizeof(ack), block);

	if (n < 0)
		return n;
	return send_keep(x, ack, (size_t)n, errbuf);
}

/* Tell the server why we give up (RFC 1350 section 7); best effort. */
static void
send_error(struct xfer *x, int code, const char *msg)
{
	uint8_t pkt[SBD_TFTP_HDR + SBD_TFTP_ERRMSG_MAX + 1];
	int n = sbd_tftp_build_error(pkt, sizeof(pkt), code, msg);

	if (n > 0)
		(void)sendto(x->fd, pkt, (size_t)n, 0,
		    (struct sockaddr *)&x->srv, x->srvlen);
}

/* A stranger's packet: ERROR 5 to it, the transfer goes on (RFC 1350 4). */
static void
reject_stranger(struct xfer *x, const struct sockaddr_storage *from,
    socklen_t fromlen)
{
	uint8_t pkt[64];
	int n = sbd_tftp_build_error(pkt, sizeof(pkt), SBD_TFTP_EBADID,
	    "Unknown transfer ID");

	if (n > 0)
		(void)sendto(x->fd, pkt, (size_t)n, 0,
		    (const struct sockaddr *)from, fromlen);
}

static int
append(struct xfer *x, const uint8_t *p, size_t n, char *errbuf)
{
	uint8_t *np;
	size_t ncap;

	if (n == 0)
		return 0;
	if (n > x->max - x->len)
		return sbdn_fail(errbuf, "file over %zu bytes", x->max);
	if (n > x->cap - x->len) {
		ncap = x->cap ? x->cap : 4096;
		while (ncap - x->len < n)
			ncap = ncap > x->max / 2 ? x->max : ncap * 2;
		if ((np = realloc(x->data, ncap)) == NULL)
			return SBD_ERR_NOMEM;
		x->data = np;
		x->cap = ncap;
	}
	memcpy(x->data + x->len, p, n);
	x->len += n;
	return 0;
}

/*
 * One packet from the server.  Returns 1 when the transfer is complete,
 * 0 to wait for the next packet, or an error.
 */
static int
on_packet(struct xfer *x, const uint8_t *p, size_t n, const char *name,
    char *errbuf)
{
	struct sbd_tftp_pkt pkt;
	struct sbd_diag d;
	int err, first = x->expect == 1;

	if (sbd_tftp_parse_pkt(p, n, &pkt, &d) != 0) {
		send_error(x, SBD_TFTP_EBADOP, "Malformed packet");
		return sbdn_fail(errbuf, "%s: malformed packet: %s", name,
		    d.what);
	}
	switch (pkt.op) {
	case SBD_TFTP_ERROR:
		if (pkt.code == SBD_TFTP_ENOTFOUND) {
			sbdn_fail(errbuf, "%s: %s", name, pkt.msg);
			return SBD_ERR_NOTFOUND;
		}
		return sbdn_fail(errbuf, "%s: server error %u: %s", name,
		    (unsigned)pkt.code, pkt.msg);
	case SBD_TFTP_OACK:
		/* Only in place of DATA 1 (again if our ACK 0 got lost),
		 * and never a larger block than asked for (RFC 2348). */
		if (!first || !x->opts) {
			send_error(x, SBD_TFTP_EOPTNEG, "Unexpected OACK");
			return sbdn_fail(errbuf, "%s: unexpected OACK", name);
		}
		if ((pkt.oack.opts & SBD_TFTP_O_BLKSIZE) &&
		    pkt.oack.blksize > x->blksize) {
			send_error(x, SBD_TFTP_EOPTNEG, "blksize too large");
			return sbdn_fail(errbuf, "%s: server chose blksize "
			    "%u over the %u asked for", name,
			    (unsigned)pkt.oack.blksize, (unsigned)x->blksize);
		}
		if (x->asked)
			x->blksize = (pkt.oack.opts & SBD_TFTP_O_BLKSIZE) ?
			    pkt.oack.blksize : SBD_TFTP_SEGSIZE;
		x->asked = 0;
		return send_ack(x, 0, errbuf);
	case SBD_TFTP_DATA:
		break;
	default:
		send_error(x, SBD_TFTP_EBADOP, "Unexpected packet");
		return sbdn_fail(errbuf, "%s: unexpected %s from the server",
		    name, sbd_tftp_opname(pkt.op));
	}
	/* Our ACK got lost: the server sent the block again. */
	if (!first && pkt.block == (uint16_t)(x->expect - 1))
		return send_ack(x, pkt.block, errbuf);
	if (pkt.block != x->expect)
		return 0;
	/* DATA 1 as the answer to options: the server ignored them. */
	if (x->asked) {
		x->blksize = SBD_TFTP_SEGSIZE;
		x->asked = 0;
	}
	if (pkt.datalen > x->blksize) {
		send_error(x, SBD_TFTP_EUNDEF, "Block too large");
		return sbdn_fail(errbuf, "%s: block %u of %zu bytes over "
		    "blksize %u", name, (unsigned)pkt.block, pkt.datalen,
		    (unsigned)x->blksize);
	}
	if ((err = append(x, pkt.data, pkt.datalen, errbuf)) != 0) {
		send_error(x, SBD_TFTP_ENOSPACE, "File too large");
		return err;
	}
	if ((err = send_ack(x, pkt.block, errbuf)) != 0)
		return err;
	x->expect++;
	return pkt.datalen < x->blksize ? 1 : 0;
}

static int
open_socket(struct xfer *x, const char *host, uint16_t port, char *errbuf)
{
	struct addrinfo hints, *res = NULL;
	char svc[8];
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(svc, sizeof(svc), "%u", (unsigned)port);
	if ((err = getaddrinfo(host, svc, &hints, &res)) != 0)
		return sbdn_fail(errbuf, "%s: %s", host, gai_strerror(err));
	if (res->ai_addrlen > sizeof(x->srv)) {
		err = sbdn_fail(errbuf, "%s: address too long", host);
		goto out;
	}
	memcpy(&x->srv, res->ai_addr, res->ai_addrlen);
	x->srvlen = res->ai_addrlen;
	if ((x->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1) {
		err = sbdn_fail(errbuf, "socket: %s", strerror(errno));
		goto out;
	}
	err = 0;
out:
	freeaddrinfo(res);
	return err;
}

int
sbdn_tftp_get(const char *host, uint16_t port, const char *name,
    const struct sbdn_tftp_opts *o, uint8_t **out, size_t *len,
    char *errbuf)
{
	static const struct sbdn_tftp_opts defaults;
	struct xfer x;
	struct sbd_tftp_neg want;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct pollfd pfd;
	uint8_t pkt[SBD_TFTP_PKT_MAX + 1];
	unsigned timeout, retries, tries = 0;
	ssize_t n;
	int r, err;

	if (host == NULL || name == NULL || out == NULL || len == NULL)
		return SBD_ERR_INVAL;
	if (o == NULL)
		o = &defaults;
	if (o->blksize != 0 && (o->blksize < SBD_TFTP_BLKSIZE_MIN ||
	    o->blksize > SBD_TFTP_BLKSIZE_MAX))
		return SBD_ERR_INVAL;
	memset(&x, 0, sizeof(x));
	x.fd = -1;
	x.expect = 1;
	x.max = o->max != 0 ? o->max : TFTP_MAX;
	x.blksize = o->blksize != 0 ? o->blksize : SBD_TFTP_SEGSIZE;
	timeout = o->timeout_ms != 0 ? o->timeout_ms : TFTP_TIMEOUT_MS;
	retries = o->retries != 0 ? o->retries : TFTP_RETRIES;
	if ((err = open_socket(&x, host, port, errbuf)) != 0)
		goto out;

	memset(&want, 0, sizeof(want));
	if (o->blksize != 0) {
		want.opts = SBD_TFTP_O_BLKSIZE;
		want.blksize = o->blksize;
		x.opts = x.asked = 1;
	}
	if ((r = sbd_tftp_build_rrq(pkt, sizeof(pkt), name, &want)) < 0) {
		err = r;
		goto out;
	}
	if ((err = send_keep(&x, pkt, (size_t)r, errbuf)) != 0)
		goto out;
	for (;;) {
		pfd.fd = x.fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, (int)timeout)) == -1) {
			if (errno == EINTR)
				continue;
			err = sbdn_fail(errbuf, "poll: %s", strerror(errno));
			goto out;
		}
		if (r == 0) {
			if (++tries > retries) {
				err = sbdn_fail(errbuf, "%s: %s:%u timed out",
				    name, host, (unsigned)port);
				goto out;
			}
			if ((err = send_pkt(&x, x.last, x.lastlen,
			    errbuf)) != 0)
				goto out;
			continue;
		}
		memset(&from, 0, sizeof(from));
		fromlen = sizeof(from);
		n = recvfrom(x.fd, pkt, sizeof(pkt), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* ICMP port unreachable: nobody serves there. */
			err = sbdn_fail(errbuf, "%s: %s:%u: %s", name, host,
			    (unsigned)port, strerror(errno));
			goto out;
		}
		if (!same_host(&from, &x.srv))
			continue;
		/* The server's TID is the port of its first answer. */
		if (!x.tid_locked) {
			sa_set_port(&x.srv, sa_port(&from));
			x.tid_locked = 1;
		} else if (sa_port(&from) != sa_port(&x.srv)) {
			reject_stranger(&x, &from, fromlen);
			continue;
		}
		tries = 0;
		if ((r = on_packet(&x, pkt, (size_t)n, name, errbuf)) < 0) {
			err = r;
			goto out;
		}
		if (r == 1)
			break;
	}
	if (x.data == NULL && (x.data = malloc(1)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	*out = x.data;
	*len = x.len;
	x.data = NULL;
	err = 0;
out:
	free(x.data);
	if (x.fd != -1)
		close(x.fd);
	return err;
}
