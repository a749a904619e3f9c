/*
 * Raw TVS frames against a running sbdd (tests/integration/t_tvs.sh):
 * bytes that sbdctl would never send, and connection behaviour that a
 * well-behaved client never shows.
 *
 * usage: tvs_raw [-w MS] HOST PORT send HEX...
 *        tvs_raw [-w MS] HOST PORT sendclose HEX...
 *        tvs_raw [-w MS] HOST PORT idle
 *        tvs_raw [-w MS] HOST PORT hold N
 *
 *   send       write the bytes (hex digits; blanks and ':' ignored) in one
 *              TLS write, then print "answer HEX" for every whole frame
 *              that comes back (or "no answer"), and "closed" when the
 *              server ends the connection or "open" when it stays quiet
 *              for MS
 *   sendclose  write the bytes and close at once; prints "sent N"
 *   idle       send nothing; "closed after N ms", or "open" after MS
 *   hold       open N connections one after the other and keep them for
 *              MS; "refused I: why" for each that fails, then
 *              "connected K of N"
 *
 * MS (default 1000) is also the deadline of the TLS handshake and of each
 * read.  Frames are split with sbd_tvs_frame_len; nothing else here
 * parses what the server sends, so the shell test checks bytes.  Exits 0
 * when it could run the mode, 1 when the first connection failed, 2 on
 * a usage error.
 */
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "sbd/tvs.h"

#define RAW_MAX		(2 * (SBD_TVS_HDR + SBD_TVS_BODY_MAX))
#define HOLD_MAX	64

static const char *usage_text =
    "usage: tvs_raw [-w MS] HOST PORT send|sendclose HEX...\n"
    "       tvs_raw [-w MS] HOST PORT idle\n"
    "       tvs_raw [-w MS] HOST PORT hold N\n";

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The hex digits of every argument, in order, into out. */
static int
parse_hex(char **argv, int argc, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0, nd = 0;
	const char *s;
	unsigned v;
	int i;

	for (i = 0; i < argc; i++) {
		for (s = argv[i]; *s != '\0'; s++) {
			if (*s == ' ' || *s == ':')
				continue;
			if (!isxdigit((unsigned char)*s) || n == cap)
				return -1;
			v = (unsigned)(isdigit((unsigned char)*s) ? *s - '0' :
			    tolower((unsigned char)*s) - 'a' + 10);
			if (nd++ % 2 == 0)
				out[n] = (uint8_t)(v << 4);
			else
				out[n++] |= (uint8_t)v;
		}
	}
	if (nd % 2 != 0)
		return -1;
	*len = n;
	return 0;
}

static void
print_hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s ", what);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('\n');
}

/*
 * Read until the server closes or stays quiet for the deadline, printing
 * each whole frame.  Returns 1 if it closed, 0 if it stayed open.
 */
static int
read_answers(struct sbdn_tls *t, int *answers)
{
	static uint8_t buf[RAW_MAX];
	char errbuf[SBDN_ERRBUF];
	size_t have = 0, got, total;

	for (;;) {
		errbuf[0] = '\0';
		if (sbdn_tls_read_some(t, buf + have, sizeof(buf) - have,
		    &got, errbuf) != 0)
			return strstr(errbuf, "timed out") == NULL;
		if (got == 0)
			return 1;
		have += got;
		while (have >= SBD_TVS_HDR &&
		    sbd_tvs_frame_len(buf, have, &total, NULL) == 0 &&
		    total <= have) {
			print_hex("answer", buf, total);
			(*answers)++;
			memmove(buf, buf + total, have - total);
			have -= total;
		}
		if (have == sizeof(buf))
			return 0;
	}
}

static int
hold(const char *host, uint16_t port, const struct sbdn_tls_opts *o,
    unsigned n, unsigned ms)
{
	struct sbdn_tls *t[HOLD_MAX];
	char errbuf[SBDN_ERRBUF];
	unsigned i, k = 0;

	for (i = 0; i < n; i++) {
		errbuf[0] = '\0';
		if (sbdn_tls_connect(host, port, o, &t[k], errbuf) == 0)
			k++;
		else
			printf("refused %u: %s\n", i + 1, errbuf);
	}
	printf("connected %u of %u\n", k, n);
	fflush(stdout);
	poll(NULL, 0, (int)ms);
	for (i = 0; i < k; i++)
		sbdn_tls_close(t[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t out[RAW_MAX];
	struct sbdn_tls_opts o;
	struct sbdn_tls *t = NULL;
	char errbuf[SBDN_ERRBUF], *end;
	const char *host, *mode;
	unsigned long port, ms = 1000, n;
	uint64_t start;
	size_t len = 0;
	int ch, answers = 0, closed, rc = 1;

	while ((ch = getopt(argc, argv, "w:")) != -1) {
		switch (ch) {
		case 'w':
			ms = strtoul(optarg, &end, 10);
			if (*end != '\0' || ms == 0 || ms > 60000)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 3)
		goto usage;
	host = argv[optind];
	port = strtoul(argv[optind + 1], &end, 10);
	mode = argv[optind + 2];
	if (*end != '\0' || port == 0 || port > 65535)
		goto usage;
	argv += optind + 3;
	argc -= optind + 3;
	/* The server closes on us on purpose; that is a result, not death. */
	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.timeout_ms = (unsigned)ms;
	if (strcmp(mode, "hold") == 0) {
		if (argc != 1)
			goto usage;
		n = strtoul(argv[0], &end, 10);
		if (*end != '\0' || n == 0 || n > HOLD_MAX)
			goto usage;
		return hold(host, (uint16_t)port, &o, (unsigned)n,
		    (unsigned)ms);
	}
	if ((strcmp(mode, "send") == 0 || strcmp(mode, "sendclose") == 0) &&
	    (argc == 0 || parse_hex(argv, argc, out, sizeof(out), &len) != 0))
		goto usage;
	else if (strcmp(mode, "idle") == 0 && argc != 0)
		goto usage;
	else if (strcmp(mode, "send") != 0 && strcmp(mode, "sendclose") != 0 &&
	    strcmp(mode, "idle") != 0)
		goto usage;
	errbuf[0] = '\0';
	if (sbdn_tls_connect(host, (uint16_t)port, &o, &t, errbuf) != 0) {
		printf("connect failed: %s\n", errbuf);
		goto out;
	}
	if (len > 0 && sbdn_tls_write(t, out, len, errbuf) != 0) {
		printf("write failed: %s\n", errbuf);
		goto out;
	}
	if (strcmp(mode, "sendclose") == 0) {
		printf("sent %zu\n", len);
	} else if (strcmp(mode, "idle") == 0) {
		start = now_ms();
		if (read_answers(t, &answers))
			printf("closed after %llu ms\n",
			    (unsigned long long)(now_ms() - start));
		else
			printf("open\n");
	} else {
		closed = read_answers(t, &answers);
		if (answers == 0)
			printf("no answer\n");
		printf("%s\n", closed ? "closed" : "open");
	}
	rc = 0;
out:
	sbdn_tls_close(t);
	return rc;
usage:
	fputs(usage_text, stderr);
	return 2;
}
