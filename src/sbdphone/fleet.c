/*
 * sbdphone fleet: many phones booting at once against one cluster, on
 * a pool of threads.  Each boot is independent (its own struct phone,
 * sockets, TLS): a phone is loaded, booted and freed, so memory and
 * descriptors stay bounded by the concurrency, not the count.  OpenSSL 3
 * and libevent (one event_base per request) need no shared locks here.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbd/json.h"
#include "sbdphone/internal.h"

#define MAC_MASK	0xffffffffffffULL
#define STACK_SIZE	(1024 * 1024)

struct fleet {
	const struct phone_fleet_opts *o;
	atomic_uint next;		/* the next phone to boot */
	int *result;			/* per phone */
	uint32_t *ms;
};

/* Phone i: BASE/SEP<MAC>, created on first use. */
static int
one(struct fleet *f, unsigned i)
{
	const struct phone_fleet_opts *o = f->o;
	struct phone_boot_res *r = NULL;
	struct phone *ph = NULL;
	char mac[SBD_MAC_LEN + 1], dir[PHONE_DIR_MAX];
	int n, err;

	snprintf(mac, sizeof(mac), "%012llX",
	    (unsigned long long)((o->mac_base + i) & MAC_MASK));
	n = snprintf(dir, sizeof(dir), "%s/SEP%s", o->base, mac);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return SBD_ERR_INVAL;
	err = phone_init(dir, mac, o->model, 0);
	if ((err != 0 && err != SBD_ERR_EXISTS) ||
	    (err = phone_load(dir, &ph)) != 0)
		return err;
	ph->quiet = 1;
	/* The result is a few kilobytes: not on a small thread stack. */
	if ((r = malloc(sizeof(*r))) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	phone_boot(ph, &o->boot, r);
	f->result[i] = r->result;
	f->ms[i] = r->ms > UINT32_MAX ? UINT32_MAX : (uint32_t)r->ms;
out:
	free(r);
	phone_free(ph);
	return err;
}

static void *
worker(void *arg)
{
	struct fleet *f = arg;
	unsigned i;

	while ((i = atomic_fetch_add(&f->next, 1)) < f->o->count)
		if (one(f, i) != 0)
			f->result[i] = PHONE_ERROR;
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted v[n]. */
static uint32_t
pct(const uint32_t *v, size_t n, unsigned p)
{
	size_t k = (n * p + 99) / 100;

	return v[k > 0 ? k - 1 : 0];
}

static void
summary(const struct fleet *f, uint64_t wall_ms)
{
	const struct phone_fleet_opts *o = f->o;
	unsigned by[PHONE_NRESULTS] = { 0 };
	double rate;
	size_t i;
	struct sbd_json j;

	for (i = 0; i < o->count; i++)
		by[f->result[i]]++;
	/* f->ms is sorted by now. */
	rate = wall_ms ? (double)o->count * 1000.0 / (double)wall_ms : 0.0;
	if (o->json) {
		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_int(&j, "count", o->count);
		sbd_json_int(&j, "concurrency", o->concurrency);
		sbd_json_int(&j, "succeeded", by[PHONE_OK]);
		sbd_json_int(&j, "failed", o->count - by[PHONE_OK]);
		sbd_json_obj(&j, "failures");
		for (i = 1; i < PHONE_NRESULTS; i++)
			if (by[i] != 0)
				sbd_json_int(&j, phone_result_name((int)i),
				    by[i]);
		sbd_json_end(&j);
		sbd_json_int(&j, "p50_ms", pct(f->ms, o->count, 50));
		sbd_json_int(&j, "p99_ms", pct(f->ms, o->count, 99));
		sbd_json_int(&j, "max_ms", f->ms[o->count - 1]);
		sbd_json_int(&j, "wall_ms", (long long)wall_ms);
		sbd_json_int(&j, "boots_per_s", (long long)(rate + 0.5));
		sbd_json_end(&j);
		sbd_json_done(&j);
		return;
	}
	printf("fleet: %u phones, %u at a time\n", o->count, o->concurrency);
	printf("  succeeded: %u\n", by[PHONE_OK]);
	printf("  failed:    %u\n", o->count - by[PHONE_OK]);
	for (i = 1; i < PHONE_NRESULTS; i++)
		if (by[i] != 0)
			printf("    %-26s %u\n", phone_result_name((int)i),
			    by[i]);
	printf("  boot time: p50 %u ms, p99 %u ms, max %u ms\n",
	    pct(f->ms, o->count, 50), pct(f->ms, o->count, 99),
	    f->ms[o->count - 1]);
	printf("  wall time: %llu ms, %.1f boots/s\n",
	    (unsigned long long)wall_ms, rate);
}

/* Each thread holds a few sockets at a time: allow what the system
 * allows, for large concurrencies. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
phone_fleet(const struct phone_fleet_opts *o)
{
	struct fleet f;
	pthread_attr_t attr;
	pthread_t *th = NULL;
	unsigned n, started = 0, i;
	uint64_t start;
	int err = SBD_ERR_NOMEM, attr_ok = 0;

	if (o->count == 0 || o->concurrency == 0)
		return SBD_ERR_INVAL;
	memset(&f, 0, sizeof(f));
	f.o = o;
	atomic_init(&f.next, 0);
	n = o->concurrency < o->count ? o->concurrency : o->count;
	if (mkdir(o->base, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "sbdphone: %s: %s\n", o->base,
		    strerror(errno));
		return SBD_ERR_IO;
	}
	if ((f.result = calloc(o->count, sizeof(*f.result))) == NULL ||
	    (f.ms = calloc(o->count, sizeof(*f.ms))) == NULL ||
	    (th = calloc(n, sizeof(*th))) == NULL ||
	    pthread_attr_init(&attr) != 0)
		goto out;
	attr_ok = 1;
	if (pthread_attr_setstacksize(&attr, STACK_SIZE) != 0)
		goto out;
	raise_fd_limit();
	start = phone_now_ms();
	for (started = 0; started < n; started++)
		if (pthread_create(&th[started], &attr, worker, &f) != 0)
			break;
	/* Fewer threads than asked is still a fleet; none is not. */
	if (started == 0) {
		fprintf(stderr, "sbdphone: cannot start a thread\n");
		err = SBD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	qsort(f.ms, o->count, sizeof(*f.ms), cmp_u32);
	summary(&f, phone_now_ms() - start);
	err = 0;
	for (i = 0; i < o->count; i++)
		if (f.result[i] != PHONE_OK)
			err = SBD_ERR_IO;
out:
	if (attr_ok)
		pthread_attr_destroy(&attr);
	free(th);
	free(f.result);
	free(f.ms);
	return err;
}
