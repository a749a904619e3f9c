/*
 * sbdd: the TFTP service (RFC 1350, option extension RFC 2347, blksize
 * RFC 2348, timeout and tsize RFC 2349, windowsize RFC 7440).
 *
 * Requests arrive on one listening socket.  Everything a request can be
 * refused for (malformed, write, over a cap, not found) is answered from
 * that socket, so a miss costs one recvmsg and one sendto.  A request
 * that resolves to a file becomes a transfer with its own socket (a new
 * TID, RFC 1350 section 4), its own read event, a retransmit timer and a
 * lifetime timer.  The socket stays unconnected so that a packet from a
 * strange TID is seen and answered.
 *
 * DATA goes out with sendmmsg, header and payload as two iovecs, the
 * payload pointing straight into the blob: no per-packet allocation and
 * no copy for memory blobs.  Descriptor blobs are read block by block
 * into a per-transfer scratch buffer.
 *
 * Transfers are kept in a hash of their client's address, which gives
 * the per-client cap and the duplicate-request check without a scan.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "sbd/tlv.h"
#include "sbdd.h"

#define TFTP_RECV_BATCH	64	/* requests read per event, for fairness */
#define TFTP_SEND_BATCH	32	/* DATA packets per sendmmsg */
#define TFTP_BUCKETS_MAX 65536
#define TFTP_NETASCII_MAX ((size_t)16 << 20)
#define TFTP_RCVBUF	(1 << 20)	/* a boot storm arrives at once */

struct xfer {
	LIST_ENTRY(xfer) link;		/* in its client's bucket */
	struct sbdd *d;
	struct sbdd_tftp *t;		/* NULL once the service is gone */
	struct sockaddr_storage peer;	/* the client's TID */
	socklen_t peerlen;
	struct sockaddr_storage local;	/* where the request arrived */
	socklen_t locallen;
	struct sbd_tftp_req req;
	struct sbdd_hit hit;
	struct sbdd_blob *blob;		/* what is sent (netascii: a copy) */
	uint8_t *scratch;		/* descriptor blobs only */
	struct event *ev_read;
	struct event *ev_rexmit;
	struct event *ev_life;
	struct event *ev_write;		/* made when the socket first fills */
	struct sbd_tftp_neg neg;
	uint64_t start;			/* sbdd_now_usec() */
	uint64_t nblocks;		/* the last one is short, maybe empty */
	uint64_t acked;			/* blocks acknowledged */
	uint64_t sent;			/* blocks sent in this window */
	unsigned retries;		/* timeouts of the current window */
	int fd;
	int pending;			/* waiting for the resolver */
	int oack;			/* OACK sent, ACK 0 awaited */
};

LIST_HEAD(xfer_list, xfer);

struct sbdd_tftp {
	struct sbdd *d;
	int fd;				/* listening socket, -1 when stopped */
	struct event *ev_listen;
	struct sockaddr_storage addr;	/* bound address, port 0 */
	socklen_t addrlen;
	int wildcard;			/* learn the local address per packet */
	struct xfer_list *buckets;
	size_t nbuckets;		/* a power of two */
	uint32_t seed;
	size_t nactive;			/* transfers, resolving ones included */
	const struct timeval *tv_rexmit; /* common timeouts (libevent) */
	const struct timeval *tv_life;
	/* Shared by every callback: one thread, one packet at a time. */
	struct mmsghdr msgs[TFTP_SEND_BATCH];
	struct iovec iov[TFTP_SEND_BATCH][2];
	uint8_t hdr[TFTP_SEND_BATCH][SBD_TFTP_HDR];
	uint8_t buf[SBD_TFTP_PKT_MAX];
};

static int send_window(struct xfer *);

/* ---- addresses ------------------------------------------------------- */

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port;
	return ((const struct sockaddr_in *)(const void *)ss)->sin_port;
}

/* The same TID: address and port (RFC 1350 section 4). */
static int
same_tid(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	return sbdd_same_host(a, b) && addr_port(a) == addr_port(b);
}

/* The client's bucket (sbdd_addr_hash is seeded against aiming). */
static struct xfer_list *
bucket_of(struct sbdd_tftp *t, const struct sockaddr_storage *ss)
{
	return &t->buckets[sbdd_addr_hash(t->seed, ss) & (t->nbuckets - 1)];
}

/* ---- replies --------------------------------------------------------- */

static void
send_error(int fd, const struct sockaddr_storage *to, socklen_t tolen,
    int code, const char *msg)
{
	uint8_t buf[SBD_TFTP_HDR + SBD_TFTP_ERRMSG_MAX + 1];
	int n;

	if (fd == -1)
		return;
	n = sbd_tftp_build_error(buf, sizeof(buf), code, msg);
	if (n > 0)
		(void)sendto(fd, buf, (size_t)n, 0,
		    (const struct sockaddr *)to, tolen);
}

/*
 * Refuse a request from the listening socket.  The texts are fixed: a
 * reply never carries the client's strings or a server path.  msg NULL
 * drops the packet without an answer.
 */
static void
reject(struct sbdd_tftp *t, const struct sockaddr_storage *peer,
    socklen_t peerlen, int code, const char *msg, const char *why)
{
	t->d->ctr.tftp_rejected++;
	if (msg != NULL)
		send_error(t->fd, peer, peerlen, code, msg);
	sbdd_log_peer(t->d, (const struct sockaddr *)peer, "tftp: %s", why);
}

/* ---- the end of a transfer ------------------------------------------- */

static void
xfer_free(struct xfer *x)
{
	if (x->ev_read != NULL)
		event_free(x->ev_read);
	if (x->ev_rexmit != NULL)
		event_free(x->ev_rexmit);
	if (x->ev_life != NULL)
		event_free(x->ev_life);
	if (x->ev_write != NULL)
		event_free(x->ev_write);
	if (x->fd != -1)
		close(x->fd);
	sbdd_blob_unref(x->blob);
	sbdd_blob_unref(x->hit.blob);
	free(x->scratch);
	if (x->t != NULL) {
		LIST_REMOVE(x, link);
		x->t->nactive--;
	}
	free(x);
}

/*
 * End x: an optional ERROR to the client (from the transfer's socket if
 * it has one), the one log line, and everything freed.
 */
static void
xfer_end(struct xfer *x, const char *result, int code, const char *msg)
{
	struct sbdd *d = x->d;
	uint64_t bytes = 0;

	if (msg != NULL)
		send_error(x->fd != -1 ? x->fd : x->t != NULL ? x->t->fd : -1,
		    &x->peer, x->peerlen, code, msg);
	if (x->blob != NULL) {
		bytes = x->acked * x->neg.blksize;
		if (bytes > x->blob->len)
			bytes = x->blob->len;
	}
	sbdd_transfer_done(d, SBDD_TFTP, (const struct sockaddr *)&x->peer,
	    x->req.file, x->hit.blob != NULL ? &x->hit : NULL, result, bytes,
	    sbdd_now_usec() - x->start);
	xfer_free(x);
}

/* ---- sending --------------------------------------------------------- */

static void
arm_rexmit(struct xfer *x)
{
	struct timeval tv = { (time_t)x->neg.timeout, 0 };

	/* RFC 2349: the client's timeout, else ours (a common timeout). */
	evtimer_add(x->ev_rexmit, x->neg.timeout != 0 ? &tv :
	    x->t->tv_rexmit);
}

static void
send_oack(struct xfer *x)
{
	uint8_t buf[128];	/* five options in decimal: under 80 bytes */
	int n;

	n = sbd_tftp_build_oack(buf, sizeof(buf), &x->neg);
	if (n > 0)
		(void)sendto(x->fd, buf, (size_t)n, 0,
		    (const struct sockaddr *)&x->peer, x->peerlen);
}

/* The rest of the window; its timer is already running. */
static void
on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;

	(void)fd;
	(void)what;
	(void)send_window(x);
}

/*
 * The socket buffer is full: finish the window when it drains.  The
 * retransmit timer keeps running, so a socket that never drains still
 * ends the transfer.
 */
static void
wait_writable(struct xfer *x)
{
	if (x->ev_write == NULL)
		x->ev_write = event_new(x->d->base, x->fd, EV_WRITE,
		    on_writable, x);
	if (x->ev_write != NULL)
		event_add(x->ev_write, NULL);
}

/*
 * Send the blocks of the window not sent yet: x->sent + 1 up to
 * x->acked + windowsize (RFC 7440), at most the last block.  Block
 * numbers are 16 bits and roll over from 65535 to 0, as tftp-hpa, atftp
 * and curl expect.  Returns -1 if x ended (a file that cannot be read).
 */
static int
send_window(struct xfer *x)
{
	struct sbdd_tftp *t = x->t;
	const struct sbdd_blob *b = x->blob;
	uint64_t end, blk, off;
	const uint8_t *data;
	size_t i, n, len, batch;
	int r, rc = 0;

	end = x->acked + x->neg.windowsize;
	if (end > x->nblocks)
		end = x->nblocks;
	/* A descriptor blob has one scratch buffer: one block per call. */
	batch = b->fd != -1 ? 1 : TFTP_SEND_BATCH;
	while (x->sent < end) {
		n = end - x->sent < batch ? (size_t)(end - x->sent) : batch;
		for (i = 0; i < n; i++) {
			blk = x->sent + 1 + i;
			off = (blk - 1) * x->neg.blksize;
			len = b->len - off < x->neg.blksize ?
			    (size_t)(b->len - off) : x->neg.blksize;
			if ((data = sbdd_blob_get(b, off, len,
			    x->scratch)) == NULL) {
				x->d->ctr.tftp_errors++;
				xfer_end(x, "error", SBD_TFTP_EUNDEF,
				    "Cannot read file");
				rc = -1;
				goto out;
			}
			sbd_tftp_put_data_hdr(t->hdr[i], (uint16_t)blk);
			t->iov[i][0].iov_base = t->hdr[i];
			t->iov[i][0].iov_len = SBD_TFTP_HDR;
			t->iov[i][1].iov_base = (void *)(uintptr_t)data;
			t->iov[i][1].iov_len = len;
			memset(&t->msgs[i], 0, sizeof(t->msgs[i]));
			t->msgs[i].msg_hdr.msg_name = &x->peer;
			t->msgs[i].msg_hdr.msg_namelen = x->peerlen;
			t->msgs[i].msg_hdr.msg_iov = t->iov[i];
			t->msgs[i].msg_hdr.msg_iovlen = 2;
		}
		r = sendmmsg(x->fd, t->msgs, (unsigned)n, 0);
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			wait_writable(x);
			break;
		}
		/* Any other failure is a loss; the timer sends again. */
		x->sent += r > 0 ? (uint64_t)r : n;
	}
out:
	return rc;
}

/* Start a window (or resend the OACK) and time it. */
static void
window_start(struct xfer *x)
{
	if (x->oack)
		send_oack(x);
	else if (send_window(x) != 0)
		return;
	arm_rexmit(x);
}

/* ---- transfer events ------------------------------------------------- */

static void
on_rexmit(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;
	struct sbdd *d = x->d;

	(void)fd;
	(void)what;
	if (x->retries >= d->conf.max_retries) {
		d->ctr.tftp_errors++;
		xfer_end(x, "timeout", 0, NULL);
	} else {
		x->retries++;
		/* The whole unacknowledged window again (RFC 7440 4). */
		d->ctr.tftp_retransmits += x->oack ? 1 : x->sent - x->acked;
		x->sent = x->acked;
		if (x->ev_write != NULL)
			event_del(x->ev_write);
		window_start(x);
	}
}

static void
on_life(evutil_socket_t fd, short what, void *arg)
{
	struct xfer *x = arg;

	(void)fd;
	(void)what;
	x->d->ctr.tftp_errors++;
	xfer_end(x, "expired", SBD_TFTP_EUNDEF, "Transfer timed out");
}

/*
 * An ACK from the client.  Only one for a block of the window sent moves
 * anything; a duplicate or stale ACK is ignored, never answered with a
 * retransmission (the Sorcerer's Apprentice, RFC 1123 4.2.3.1).
 */
static void
on_ack(struct xfer *x, uint16_t block)
{
	struct sbdd *d = x->d;
	uint16_t delta = (uint16_t)(block - (uint16_t)x->acked);

	/* During the OACK only ACK 0 counts; then a block sent, not acked. */
	if (x->oack ? block != 0 :
	    (delta == 0 || delta > x->sent - x->acked))
		goto out;
	if (x->oack)
		x->oack = 0;
	else
		x->acked += delta;
	if (x->acked == x->nblocks) {
		d->ctr.tftp_served++;
		d->ctr.tftp_bytes += x->blob->len;
		xfer_end(x, "ok", 0, NULL);
		goto out;
	}
	/* RFC 7440: the next window starts after the block ACKed. */
	x->retries = 0;
	x->sent = x->acked;
	if (x->ev_write != NULL)
		event_del(x->ev_write);
	window_start(x);
out:
	return;
}

/* One packet on the transfer's socket, if one is waiting. */
static void
xfer_read(struct xfer *x)
{
	struct sbdd *d = x->d;
	struct sbdd_tftp *t = x->t;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct sbd_tftp_pkt pkt;
	ssize_t n;
	int ok;

	if ((n = recvfrom(x->fd, t->buf, sizeof(t->buf), 0,
	    (struct sockaddr *)&from, &fromlen)) < 0)
		goto out;
	ok = sbd_tftp_parse_pkt(t->buf, (size_t)n, &pkt, NULL) == 0;
	if (!same_tid(&from, &x->peer)) {
		/*
		 * RFC 1350 section 4: tell the stranger, leave the transfer
		 * alone.  An ERROR is not answered, so two confused peers
		 * cannot bounce errors forever.
		 */
		d->ctr.tftp_strange_tid++;
		if (!ok || pkt.op != SBD_TFTP_ERROR)
			send_error(x->fd, &from, fromlen, SBD_TFTP_EBADID,
			    "Unknown transfer ID");
	} else if (ok && pkt.op == SBD_TFTP_ACK)
		on_ack(x, pkt.block);
	else if (ok && pkt.op == SBD_TFTP_ERROR &&
	    x->oack && pkt.code == SBD_TFTP_EOPTNEG)
		/* RFC 2347: ERROR 8 is the client declining the OACK. */
		xfer_end(x, "refused", 0, NULL);
	else if (ok && pkt.op == SBD_TFTP_ERROR) {
		d->ctr.tftp_errors++;
		xfer_end(x, "aborted", 0, NULL);
	} else
		d->ctr.tftp_rejected++;
out:
	return;
}

static void
on_xfer_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	xfer_read(arg);
}

/* ---- starting a transfer --------------------------------------------- */

/*
 * The largest block that fits the path to the client (RFC 2348 asks for
 * no IP fragmentation): the route MTU less the IP, UDP and TFTP headers.
 * Learned by connecting the socket for a moment; the caller binds it
 * after, so dissolving the association loses nothing.
 */
static uint32_t
path_blksize(struct xfer *x, int fd)
{
	struct sockaddr sa_unspec = { .sa_family = AF_UNSPEC };
	const struct sockaddr_in6 *s6;
	socklen_t ol = sizeof(int);
	uint32_t cap = SBD_TFTP_SEGSIZE, hdr = 20 + 8 + SBD_TFTP_HDR;
	int mtu = 0, r;

	if (connect(fd, (const struct sockaddr *)&x->peer, x->peerlen) != 0)
		goto out;
	if (x->peer.ss_family == AF_INET6) {
		r = getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &ol);
		s6 = (const struct sockaddr_in6 *)(const void *)&x->peer;
		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			hdr = 40 + 8 + SBD_TFTP_HDR;
	} else
		r = getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &ol);
	(void)connect(fd, &sa_unspec, sizeof(sa_unspec));
	if (r != 0 || mtu <= 0 || (uint32_t)mtu < hdr)
		goto out;
	cap = (uint32_t)mtu - hdr;
	if (cap < SBD_TFTP_SEGSIZE)
		cap = SBD_TFTP_SEGSIZE;
	if (cap > SBD_TFTP_BLKSIZE_MAX)
		cap = SBD_TFTP_BLKSIZE_MAX;
out:
	return cap;
}

/* A fresh socket (a new TID) on the address the request came to. */
static int
xfer_socket(struct xfer *x, uint32_t *cap)
{
	struct sbdd *d = x->d;
	int fd;

	fd = socket(x->peer.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto out;
	*cap = d->conf.blksize_cap;
	/* Only a client asking for big blocks needs the path MTU. */
	if (*cap == 0)
		*cap = (x->req.opts & SBD_TFTP_O_BLKSIZE) &&
		    x->req.blksize > SBD_TFTP_SEGSIZE ? path_blksize(x, fd) :
		    SBD_TFTP_SEGSIZE;
	if (bind(fd, (const struct sockaddr *)&x->local, x->locallen) != 0) {
		close(fd);
		fd = -1;
	}
out:
	return fd;
}

/* Netascii (RFC 1350): the whole file converted once, into memory. */
static int
netascii_blob(struct xfer *x)
{
	struct sbdd_blob *b = x->hit.blob;
	uint8_t *whole = NULL, *conv = NULL;
	const uint8_t *p;
	size_t clen = 0;
	int r = -1;

	if (b->fd != -1 && (whole = malloc(b->len ? b->len : 1)) == NULL)
		goto out;
	if ((p = sbdd_blob_get(b, 0, b->len, whole)) == NULL ||
	    sbd_tftp_netascii(p, b->len, &conv, &clen) != 0)
		goto out;
	if ((x->blob = sbdd_blob_take(conv, clen)) == NULL)
		goto out;
	conv = NULL;
	r = 0;
out:
	free(conv);
	free(whole);
	return r;
}

static void
xfer_start(struct xfer *x)
{
	struct sbdd *d = x->d;
	struct sbdd_tftp *t = x->t;
	uint32_t cap;

	if (x->req.mode == SBD_TFTP_NETASCII &&
	    x->hit.blob->len > TFTP_NETASCII_MAX) {
		d->ctr.tftp_rejected++;
		xfer_end(x, "rejected", SBD_TFTP_EUNDEF, "File too large");
		goto out;
	}
	if (x->req.mode == SBD_TFTP_NETASCII ? netascii_blob(x) != 0 :
	    (x->blob = sbdd_blob_ref(x->hit.blob)) == NULL)
		goto fail;
	if ((x->fd = xfer_socket(x, &cap)) == -1)
		goto fail;
	sbd_tftp_negotiate(&x->req, cap, d->conf.window_cap, x->blob->len,
	    &x->neg);
	x->nblocks = x->blob->len / x->neg.blksize + 1;
	if (x->blob->fd != -1 &&
	    (x->scratch = malloc(x->neg.blksize)) == NULL)
		goto fail;
	x->ev_read = event_new(d->base, x->fd, EV_READ | EV_PERSIST,
	    on_xfer_read, x);
	x->ev_rexmit = evtimer_new(d->base, on_rexmit, x);
	x->ev_life = evtimer_new(d->base, on_life, x);
	if (x->ev_read == NULL || x->ev_rexmit == NULL || x->ev_life == NULL ||
	    event_add(x->ev_read, NULL) != 0 ||
	    evtimer_add(x->ev_life, t->tv_life) != 0)
		goto fail;
	/* Any option granted: OACK, then ACK 0 (RFC 2347); else DATA 1. */
	x->oack = x->neg.opts != 0;
	window_start(x);
	goto out;
fail:
	d->ctr.tftp_errors++;
	xfer_end(x, "error", SBD_TFTP_EUNDEF, "Server busy");
out:
	return;
}

static void
on_resolved(void *arg, enum sbdd_result r, struct sbdd_hit *hit)
{
	struct xfer *x = arg;
	struct sbdd *d = x->d;

	x->pending = 0;
	if (hit != NULL)
		x->hit = *hit;
	if (x->t == NULL)
		/* The service stopped while an upstream was asked. */
		xfer_end(x, "stopped", 0, NULL);
	else if (r == SBDD_OK)
		xfer_start(x);
	else if (r == SBDD_NOTFOUND) {
		d->ctr.tftp_misses++;
		xfer_end(x, "notfound", SBD_TFTP_ENOTFOUND, "File not found");
	} else if (r == SBDD_DENIED) {
		d->ctr.tftp_rejected++;
		xfer_end(x, "denied", SBD_TFTP_EACCESS, "Access violation");
	} else {
		d->ctr.tftp_rejected++;
		xfer_end(x, "failed", SBD_TFTP_EUNDEF, "Cannot build file");
	}
}

/* ---- requests -------------------------------------------------------- */

/*
 * The client's transfers, and whether req repeats one of them: a request
 * the client sent again from the same port while its transfer is under
 * way (the first reply was slow or lost) is dropped, not started twice.
 */
static unsigned
client_count(struct xfer_list *head, const struct sbd_tftp_req *req,
    const struct sockaddr_storage *peer, int *again)
{
	struct xfer *x;
	unsigned n = 0;

	*again = 0;
	LIST_FOREACH(x, head, link) {
		if (!sbdd_same_host(&x->peer, peer))
			continue;
		if (same_tid(&x->peer, peer) &&
		    strcmp(x->req.file, req->file) == 0)
			*again = 1;
		n++;
	}
	return n;
}

/*
 * A client that fetches files one after another sends its last ACK and
 * its next RRQ back to back, and the RRQ may be read first.  Before a cap
 * refuses it, let the client's transfers read what is waiting for them,
 * so a transfer that is over in fact is over in the count too.  Clobbers
 * t->buf.
 */
static void
client_flush(struct xfer_list *head, const struct sockaddr_storage *peer)
{
	struct xfer *x, *next;

	for (x = LIST_FIRST(head); x != NULL; x = next) {
		next = LIST_NEXT(x, link);
		if (!x->pending && sbdd_same_host(&x->peer, peer))
			xfer_read(x);
	}
}

/*
 * Admit a parsed RRQ under the global and per-client caps.  Returns the
 * client's bucket, or NULL if the request was answered or dropped.
 */
static struct xfer_list *
admit(struct sbdd_tftp *t, const struct sbd_tftp_req *req,
    const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct sbdd *d = t->d;
	struct xfer_list *head = bucket_of(t, peer);
	unsigned mine;
	int again;

	mine = client_count(head, req, peer, &again);
	if (!again && (t->nactive >= d->conf.max_transfers ||
	    mine >= d->conf.max_per_client)) {
		client_flush(head, peer);
		mine = client_count(head, req, peer, &again);
	}
	if (again)
		head = NULL;
	else if (t->nactive >= d->conf.max_transfers) {
		reject(t, peer, peerlen, SBD_TFTP_EUNDEF, "Server busy",
		    "server busy");
		head = NULL;
	} else if (mine >= d->conf.max_per_client) {
		reject(t, peer, peerlen, SBD_TFTP_EUNDEF,
		    "Too many transfers from this client",
		    "too many transfers from this client");
		head = NULL;
	}
	return head;
}

static void
on_request(struct sbdd_tftp *t, size_t len,
    const struct sockaddr_storage *peer, socklen_t peerlen,
    const struct sockaddr_storage *local, uint64_t now)
{
	struct sbdd *d = t->d;
	struct sbd_tftp_req req;
	struct sbd_diag diag;
	struct sbd_cur c;
	struct xfer_list *head;
	struct xfer *x;
	const char *msg = NULL, *why = NULL;
	uint16_t op;
	int r = 0, code = SBD_TFTP_EBADOP;

	sbd_cur_init(&c, t->buf, len);
	if (sbd_get_u16(&c, &op) != 0)
		why = "short packet";
	else if (op == SBD_TFTP_ERROR)
		/* Never answer an ERROR: no error loops. */
		why = "ERROR to the server port";
	else if (op != SBD_TFTP_RRQ && op != SBD_TFTP_WRQ) {
		msg = "Illegal TFTP operation";
		why = "not a request";
	} else if ((r = sbd_tftp_parse_req(t->buf, len, &req, &diag)) ==
	    SBD_ERR_VALUE && diag.off == 2) {
		/*
		 * SBD_ERR_VALUE at offset 2 is the file name (empty or over
		 * 255 bytes): refused like every unservable name, as HTTP
		 * does (403).  Later, the mode.
		 */
		code = SBD_TFTP_EACCESS;
		msg = "Access violation";
		why = "bad file name";
	} else if (r == SBD_ERR_VALUE) {
		msg = "Unknown transfer mode";
		why = "unknown transfer mode";
	} else if (r == SBD_ERR_TAG) {
		code = SBD_TFTP_EOPTNEG;
		msg = "Duplicate option";
		why = "duplicate option";
	} else if (r != 0) {
		msg = "Malformed request";
		why = "malformed request";
	} else if (req.op == SBD_TFTP_WRQ) {
		code = SBD_TFTP_EACCESS;
		msg = "Read-only server";
		why = "write request";
	}
	if (why != NULL) {
		reject(t, peer, peerlen, code, msg, why);
		goto out;
	}
	if ((head = admit(t, &req, peer, peerlen)) == NULL)
		goto out;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		reject(t, peer, peerlen, SBD_TFTP_EUNDEF, "Server busy",
		    "out of memory");
		goto out;
	}
	x->d = d;
	x->t = t;
	x->fd = -1;
	x->peer = *peer;
	x->peerlen = peerlen;
	x->local = *local;
	x->locallen = t->addrlen;
	x->req = req;
	x->start = now;
	x->pending = 1;
	LIST_INSERT_HEAD(head, x, link);
	t->nactive++;
	/* The callback may run at once, or later for a proxied name. */
	sbdd_resolve(d, SBDD_TFTP, x->req.file, (const struct sockaddr *)peer,
	    req.hops, on_resolved, x);
out:
	return;
}

/*
 * The local address a request came to, from IP_PKTINFO/IPV6_PKTINFO,
 * for a socket bound to the wildcard address: the transfer answers from
 * the address the client asked, not whichever the routing table picks.
 */
static void
local_addr(struct sbdd_tftp *t, struct msghdr *mh, struct sockaddr_storage *ss)
{
	struct cmsghdr *cm;
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;

	*ss = t->addr;
	if (!t->wildcard)
		return;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO && ss->ss_family == AF_INET) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in *)(void *)ss)->sin_addr =
			    pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    ss->ss_family == AF_INET6) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			((struct sockaddr_in6 *)(void *)ss)->sin6_addr =
			    pi6.ipi6_addr;
		}
	}
}

static void
on_listen(evutil_socket_t fd, short what, void *arg)
{
	struct sbdd_tftp *t = arg;
	struct sockaddr_storage peer, local;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov;
	struct msghdr mh;
	uint64_t now = sbdd_now_usec();
	ssize_t n;
	int i;

	(void)what;
	/* Read until EAGAIN, but leave the transfers their turn. */
	for (i = 0; i < TFTP_RECV_BATCH && t->fd != -1; i++) {
		iov.iov_base = t->buf;
		iov.iov_len = sizeof(t->buf);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		if ((n = recvmsg(fd, &mh, 0)) < 0)
			break;
		if (peer.ss_family != t->addr.ss_family)
			continue;
		if (mh.msg_flags & MSG_TRUNC) {
			reject(t, &peer, mh.msg_namelen, SBD_TFTP_EBADOP,
			    "Malformed request", "oversized packet");
			continue;
		}
		local_addr(t, &mh, &local);
		on_request(t, (size_t)n, &peer, mh.msg_namelen, &local, now);
	}
}

/* ---- the service ----------------------------------------------------- */

static int
is_wildcard(const struct sockaddr_storage *ss)
{
	const uint8_t *p;
	size_t n, i;
	uint8_t any = 0;

	p = sbdd_addr_bytes(ss, &n);
	for (i = 0; i < n; i++)
		any |= p[i];
	return any == 0;
}

static int
listen_socket(struct sbdd *d, struct sbdd_tftp *t)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char port[8];
	int on = 1, rcvbuf = TFTP_RCVBUF, r = SBD_ERR_IO, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%d", d->conf.tftp_port);
	if ((e = getaddrinfo(d->conf.addr, port, &hints, &ai)) != 0) {
		sbdd_log(d, LOG_ERR, "tftp: address %s: %s", d->conf.addr,
		    gai_strerror(e));
		r = SBD_ERR_INVAL;
		goto out;
	}
	t->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (t->fd == -1 || bind(t->fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    getsockname(t->fd, (struct sockaddr *)&ss, &sl) != 0) {
		sbdd_log(d, LOG_ERR, "tftp: cannot listen on %s:%d: %s",
		    d->conf.addr, d->conf.tftp_port, strerror(errno));
		goto out;
	}
	(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf));
	d->tftp_bound = ntohs(addr_port(&ss));
	/* Transfers bind the same address with port 0. */
	t->addr = ss;
	t->addrlen = sl;
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&t->addr)->sin6_port = 0;
	else
		((struct sockaddr_in *)(void *)&t->addr)->sin_port = 0;
	t->wildcard = is_wildcard(&ss);
	if (t->wildcard && (ss.ss_family == AF_INET6 ?
	    setsockopt(t->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
	    sizeof(on)) : setsockopt(t->fd, IPPROTO_IP, IP_PKTINFO, &on,
	    sizeof(on))) != 0) {
		sbdd_log(d, LOG_ERR, "tftp: packet info: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return r;
}

int
sbdd_tftp_start(struct sbdd *d)
{
	struct sbdd_tftp *t;
	struct timeval rexmit, life;
	size_t i;
	int r = SBD_ERR_NOMEM;

	/* Whatever is made before a failure is freed by sbdd_tftp_free. */
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto out;
	t->d = d;
	t->fd = -1;
	d->tftp = t;
	/* About one transfer per bucket at the global cap. */
	t->nbuckets = 1;
	while (t->nbuckets < d->conf.max_transfers &&
	    t->nbuckets < TFTP_BUCKETS_MAX)
		t->nbuckets <<= 1;
	if ((t->buckets = calloc(t->nbuckets, sizeof(*t->buckets))) == NULL)
		goto out;
	for (i = 0; i < t->nbuckets; i++)
		LIST_INIT(&t->buckets[i]);
	t->seed = arc4random();
	if ((r = listen_socket(d, t)) != 0)
		goto out;
	/*
	 * Every transfer has two timers of the same few durations: as
	 * libevent common timeouts they are queue appends, not heap work.
	 */
	rexmit.tv_sec = d->conf.rexmit_ms / 1000;
	rexmit.tv_usec = (suseconds_t)(d->conf.rexmit_ms % 1000) * 1000;
	life.tv_sec = d->conf.lifetime_s;
	life.tv_usec = 0;
	t->tv_rexmit = event_base_init_common_timeout(d->base, &rexmit);
	t->tv_life = event_base_init_common_timeout(d->base, &life);
	t->ev_listen = event_new(d->base, t->fd, EV_READ | EV_PERSIST,
	    on_listen, t);
	r = SBD_ERR_NOMEM;
	if (t->tv_rexmit == NULL || t->tv_life == NULL ||
	    t->ev_listen == NULL || event_add(t->ev_listen, NULL) != 0)
		goto out;
	r = 0;
out:
	return r;
}

void
sbdd_tftp_stop_accepting(struct sbdd *d)
{
	struct sbdd_tftp *t = d->tftp;

	if (t == NULL)
		return;
	if (t->ev_listen != NULL)
		event_free(t->ev_listen);
	t->ev_listen = NULL;
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
}

size_t
sbdd_tftp_active(const struct sbdd *d)
{
	return d->tftp != NULL ? d->tftp->nactive : 0;
}

void
sbdd_tftp_free(struct sbdd *d)
{
	struct sbdd_tftp *t = d->tftp;
	struct xfer *x;
	size_t i;

	if (t == NULL)
		return;
	sbdd_tftp_stop_accepting(d);
	for (i = 0; t->buckets != NULL && i < t->nbuckets; i++) {
		while ((x = LIST_FIRST(&t->buckets[i])) != NULL) {
			if (!x->pending) {
				xfer_end(x, "stopped", 0, NULL);
				continue;
			}
			/* The resolver still owes a callback: it frees x. */
			LIST_REMOVE(x, link);
			x->t = NULL;
			t->nactive--;
		}
	}
	free(t->buckets);
	free(t);
	d->tftp = NULL;
}
