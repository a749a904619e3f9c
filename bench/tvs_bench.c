/*
 * TVS benchmark: VERIFY requests per second against a running sbdd, with
 * a new TLS connection per request and with many requests per connection,
 * as ratios to the bare signing rate of the TVS key measured here in the
 * same run.  Every fresh handshake costs the server one private-key
 * signature, so that rate is the handshake's physical limit on the one
 * core sbdd's event loop runs on.
 *
 *   tvs_bench -p PORT -k TVS.pem -c CERT.pem [-h HOST] [-n N] [-t THREADS]
 *             [-r REQUESTS_PER_CONNECTION] [-f]
 *
 * -f: fresh connections only (tvs_bench.sh measures sbdd's CPU time
 * around such a run).
 *
 * Loopback only (the host must be in 127.0.0.0/8 or ::1).  Exit 1 if any
 * request failed or an answer was not "valid".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "net/net.h"
#include "sbd/tvs.h"
#include "sbd/x509.h"

struct job {
	const char *host;
	uint16_t port;
	const uint8_t *der;
	size_t der_len;
	unsigned count;		/* requests of this thread */
	unsigned per_conn;	/* requests per connection; 1 = fresh */
	unsigned failed;
	char err[SBDN_ERRBUF];
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct sbdn_tls_opts o = { .timeout_ms = 10000 };
	struct sbdn_tls *t = NULL;
	SSL_CTX *ctx = NULL;
	struct sbd_tvs_msg req, res;
	uint8_t *buf;
	unsigned i, on_conn = 0;

	memset(&req, 0, sizeof(req));
	req.cmd = SBD_TVS_VERIFY_REQ;
	req.device = "CP-8845-SEP001122334455";
	req.device_len = strlen(req.device);
	req.cert = j->der;
	req.cert_len = j->der_len;
	/* One context a thread: a phone, too, keeps its TLS setup. */
	if (sbdn_tls_ctx_new(&o, &ctx, j->err) != 0) {
		j->failed = j->count;
		return NULL;
	}
	o.ctx = ctx;
	for (i = 0; i < j->count; i++) {
		if (t == NULL && sbdn_tls_connect(j->host, j->port, &o, &t,
		    j->err) != 0) {
			j->failed++;
			continue;
		}
		req.session = 1000 + i;
		buf = NULL;
		if (sbdn_tvs_exchange(t, &req, &buf, &res, j->err) != 0 ||
		    !res.has_status || res.status != SBD_TVS_VALID)
			j->failed++;
		free(buf);
		if (++on_conn == j->per_conn) {
			sbdn_tls_close(t);
			t = NULL;
			on_conn = 0;
		}
	}
	sbdn_tls_close(t);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Requests per second of n requests on threads, per_conn per connection. */
static double
run(const char *host, uint16_t port, const uint8_t *der, size_t der_len,
    unsigned n, unsigned threads, unsigned per_conn, unsigned *failed)
{
	pthread_t tid[256];
	struct job jobs[256];
	double t0;
	unsigned i;

	*failed = 0;
	t0 = now();
	for (i = 0; i < threads; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].host = host;
		jobs[i].port = port;
		jobs[i].der = der;
		jobs[i].der_len = der_len;
		jobs[i].count = n / threads + (i < n % threads ? 1 : 0);
		jobs[i].per_conn = per_conn;
		if (pthread_create(&tid[i], NULL, worker, &jobs[i]) != 0) {
			fprintf(stderr, "tvs_bench: pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (jobs[i].failed != 0 && *failed == 0)
			fprintf(stderr, "tvs_bench: %s\n", jobs[i].err);
		*failed += jobs[i].failed;
	}
	return n / (now() - t0);
}

/*
 * Signatures per second with key on one thread: the operation a TLS 1.2
 * ECDHE-RSA or TLS 1.3 server makes once per full handshake.
 */
static double
sign_rate(EVP_PKEY *key, double seconds)
{
	uint8_t msg[64], sig[1024];
	size_t siglen;
	unsigned n = 0;
	double t0 = now(), t;
	EVP_MD_CTX *mc;

	memset(msg, 0x42, sizeof(msg));
	do {
		if ((mc = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL,
		    key) != 1 ||
		    (siglen = sizeof(sig),
		    EVP_DigestSign(mc, sig, &siglen, msg, sizeof(msg))) != 1) {
			fprintf(stderr, "tvs_bench: signing failed\n");
			exit(1);
		}
		EVP_MD_CTX_free(mc);
		n++;
		t = now() - t0;
	} while (t < seconds);
	return n / t;
}

static int
loopback(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 ||
	    strcmp(h, "localhost") == 0;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *keyfile = NULL, *certfile = NULL;
	unsigned n = 2000, threads = 2, per_conn = 100, port = 0, f1, f2 = 0;
	int fresh_only = 0;
	double bare1, bare2, bare, fresh, keep = 0;
	uint8_t *der = NULL;
	size_t der_len = 0;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "c:fh:k:n:p:r:t:")) != -1) {
		switch (ch) {
		case 'f':
			fresh_only = 1;
			break;
		case 'c':
			certfile = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			per_conn = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			threads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (keyfile == NULL || certfile == NULL || port == 0 || port > 65535 ||
	    n == 0 || threads == 0 || threads > 256 || per_conn == 0 ||
	    !loopback(host))
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	if (sbd_key_load(keyfile, &key) != 0 ||
	    sbd_cert_load(certfile, &cert) != 0 ||
	    sbd_x509_der(cert, &der, &der_len) != 0) {
		fprintf(stderr, "tvs_bench: cannot load %s or %s\n", keyfile,
		    certfile);
		return 1;
	}
	/* Signing before and after the TVS runs: a noisy machine shows. */
	bare1 = sign_rate(key, 2.0);
	fresh = run(host, (uint16_t)port, der, der_len, n, threads, 1, &f1);
	if (!fresh_only)
		keep = run(host, (uint16_t)port, der, der_len, n * 5, threads,
		    per_conn, &f2);
	bare2 = sign_rate(key, 2.0);
	bare = (bare1 + bare2) / 2;
	printf("bare signing with the TVS key: %.0f/s (%.0f before, %.0f "
	    "after)\n", bare, bare1, bare2);
	printf("TVS VERIFY, new TLS connection each: %.0f requests/s "
	    "(%u requests, %u threads, %u failed)\n", fresh, n, threads, f1);
	printf("ratio fresh/bare-sign = %.2f (target >= 0.7)\n",
	    fresh / bare);
	if (!fresh_only) {
		printf("TVS VERIFY, %u per connection: %.0f requests/s (%u "
		    "requests, %u failed)\n", per_conn, keep, n * 5, f2);
		printf("ratio kept/bare-sign = %.2f\n", keep / bare);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	free(der);
	return f1 + f2 == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: tvs_bench -p PORT -k KEY.pem -c CERT.pem "
	    "[-h 127.0.0.1] [-n N] [-t THREADS] [-r PER_CONN] [-f]\n");
	return 2;
}
