/*
 * tftp_load: boot N simulated phones against a TFTP server, C at a time.
 *
 * Each phone does what a Cisco phone does at boot (SPEC.md, "Boot
 * sequence"): CTLSEP<MAC>.tlv (a miss in a non-secure cluster),
 * ITLSEP<MAC>.tlv, then SEP<MAC>.cnf.xml.sgn, one after the other, in
 * lock-step RFC 1350 with 512-byte blocks, as phones do.  Phone i sends
 * from its own loopback address (127.1.x.y), so per-client limits see
 * distinct clients, and uses MAC base + i.
 *
 * With -f cnf a phone fetches only its signed configuration: the cold-cache
 * measure of on-demand signing.
 *
 * Prints one line: phones, ok, failed, transfers, seconds,
 * transfers per second, p50 and p99 boot time.  Used by
 * bench/tftp_bench.sh against sbdd and peer servers in the same run.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbd/tftp.h"

#define RETRY_MS	1000
#define RETRIES		5
#define NFILES		3

struct phone {
	int fd;
	unsigned idx;
	unsigned file;		/* 0 CTLSEP, 1 ITLSEP, 2 config */
	uint16_t block;		/* last DATA block received */
	int have_tid;
	struct sockaddr_in tid;
	uint8_t last[600];
	size_t lastlen;
	unsigned retries;
	uint64_t sent_at;	/* of the last packet, ms */
	uint64_t start;		/* boot start, usec */
	size_t bytes;
};

static struct sockaddr_in server;
static uint64_t mac_base = 0x001000000000ULL;
static unsigned first_file;	/* 2 with -f cnf: the signed config only */
static unsigned transfers, failed_phones, ok_phones;
static uint64_t *boot_usec;
static size_t nboot;

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
file_name(const struct phone *p, char *buf, size_t cap)
{
	static const char *const pre[NFILES] = { "CTLSEP", "ITLSEP", "SEP" };
	static const char *const suf[NFILES] = {
		".tlv", ".tlv", ".cnf.xml.sgn",
	};

	snprintf(buf, cap, "%s%012llX%s", pre[p->file],
	    (unsigned long long)(mac_base + p->idx), suf[p->file]);
}

static void
send_last(struct phone *p)
{
	const struct sockaddr_in *to = p->have_tid ? &p->tid : &server;

	(void)sendto(p->fd, p->last, p->lastlen, 0,
	    (const struct sockaddr *)to, sizeof(*to));
	p->sent_at = now_usec() / 1000;
}

static void
send_rrq(struct phone *p)
{
	struct sbd_tftp_neg none;
	char name[64];
	int n;

	memset(&none, 0, sizeof(none));
	file_name(p, name, sizeof(name));
	n = sbd_tftp_build_rrq(p->last, sizeof(p->last), name, &none);
	p->lastlen = n > 0 ? (size_t)n : 0;
	p->have_tid = 0;
	p->block = 0;
	p->retries = 0;
	send_last(p);
}

static int
phone_open(struct phone *p, unsigned idx, int ep)
{
	struct sockaddr_in src;
	struct epoll_event ev;

	memset(p, 0, sizeof(*p));
	p->idx = idx;
	p->file = first_file;
	if ((p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	/* 127.1.0.1 + idx: every phone its own client address. */
	src.sin_addr.s_addr = htonl(0x7f010001u + (idx % 60000));
	if (bind(p->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		close(p->fd);
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = p;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev) == -1) {
		close(p->fd);
		return -1;
	}
	p->start = now_usec();
	send_rrq(p);
	return 0;
}

static void
phone_close(struct phone *p, int ok)
{
	close(p->fd);
	p->fd = -1;
	if (ok) {
		ok_phones++;
		boot_usec[nboot++] = now_usec() - p->start;
	} else {
		failed_phones++;
	}
}

/* The next file, or the end of the boot. Returns 1 when the phone is done. */
static int
next_file(struct phone *p)
{
	transfers++;
	if (++p->file == NFILES)
		return 1;
	send_rrq(p);
	return 0;
}

/* Returns 1 when the phone finished (ok or not), with *ok set. */
static int
phone_input(struct phone *p, int *ok)
{
	uint8_t pkt[SBD_TFTP_PKT_MAX];
	struct sbd_tftp_pkt tp;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int a;

	while ((n = recvfrom(p->fd, pkt, sizeof(pkt), 0,
	    (struct sockaddr *)&from, &fl)) >= 0) {
		if (sbd_tftp_parse_pkt(pkt, (size_t)n, &tp, NULL) != 0)
			continue;
		if (p->have_tid && (from.sin_port != p->tid.sin_port))
			continue;
		if (tp.op == SBD_TFTP_ERROR) {
			/* Only the CTL may be missing. */
			if (p->file == 0 && tp.code == SBD_TFTP_ENOTFOUND)
				return (*ok = 1, next_file(p)) ? 1 : 0;
			*ok = 0;
			return 1;
		}
		if (tp.op != SBD_TFTP_DATA)
			continue;
		if (!p->have_tid) {
			p->tid = from;
			p->have_tid = 1;
		}
		if (tp.block != (uint16_t)(p->block + 1)) {
			continue;	/* a duplicate: our ACK went out */
		}
		p->block = tp.block;
		p->bytes += tp.datalen;
		a = sbd_tftp_build_ack(p->last, sizeof(p->last), p->block);
		p->lastlen = a > 0 ? (size_t)a : 0;
		p->retries = 0;
		send_last(p);
		if (tp.datalen < SBD_TFTP_SEGSIZE) {
			if (p->file == 0) {
				*ok = 0;	/* the CTL must be a miss here */
				return 1;
			}
			if (next_file(p)) {
				*ok = 1;
				return 1;
			}
		}
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct phone *ph;
	unsigned count = 1000, conc = 200, started = 0, inflight = 0, i;
	char *colon;
	uint64_t t0, t1, nowms;
	int ep, n, k, ok, ch;

	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((ch = getopt(argc, argv, "c:f:m:n:s:")) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "cnf") == 0)
				first_file = 2;
			else if (strcmp(optarg, "boot") != 0)
				goto usage;
			break;
		case 'c':
			conc = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			mac_base = strtoull(optarg, NULL, 16);
			break;
		case 'n':
			count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			if ((colon = strchr(optarg, ':')) == NULL)
				goto usage;
			*colon = '\0';
			if (inet_pton(AF_INET, optarg, &server.sin_addr) != 1)
				goto usage;
			server.sin_port = htons((uint16_t)strtoul(colon + 1,
			    NULL, 10));
			break;
		default:
			goto usage;
		}
	}
	if (server.sin_port == 0 || count == 0 || conc == 0 || conc > 20000)
		goto usage;
	if ((ph = calloc(conc, sizeof(*ph))) == NULL ||
	    (boot_usec = calloc(count, sizeof(*boot_usec))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < conc; i++)
		ph[i].fd = -1;
	t0 = now_usec();
	while (started < count || inflight > 0) {
		for (i = 0; i < conc && started < count; i++) {
			if (ph[i].fd != -1)
				continue;
			if (phone_open(&ph[i], started++, ep) != 0) {
				failed_phones++;
				continue;
			}
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 50);
		for (k = 0; k < n; k++) {
			struct phone *p = evs[k].data.ptr;

			if (p->fd == -1 || !phone_input(p, &ok))
				continue;
			phone_close(p, ok);
			inflight--;
		}
		/* Retransmit on timeout only, bounded. */
		nowms = now_usec() / 1000;
		for (i = 0; i < conc; i++) {
			if (ph[i].fd == -1 || nowms - ph[i].sent_at < RETRY_MS)
				continue;
			if (++ph[i].retries > RETRIES) {
				phone_close(&ph[i], 0);
				inflight--;
				continue;
			}
			send_last(&ph[i]);
		}
	}
	t1 = now_usec();
	qsort(boot_usec, nboot, sizeof(*boot_usec), cmp_u64);
	printf("phones %u ok %u failed %u transfers %u seconds %.3f "
	    "transfers/s %.1f p50_ms %.2f p99_ms %.2f\n", count, ok_phones,
	    failed_phones, transfers, (double)(t1 - t0) / 1e6,
	    transfers / ((double)(t1 - t0) / 1e6),
	    nboot ? boot_usec[nboot / 2] / 1000.0 : 0.0,
	    nboot ? boot_usec[(nboot * 99) / 100] / 1000.0 : 0.0);
	return failed_phones == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: tftp_load -s 127.0.0.1:PORT [-n phones] "
	    "[-c concurrency] [-m hex-mac-base] [-f boot|cnf]\n");
	return 2;
}
