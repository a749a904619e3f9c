/*
 * sign_bench: the cost of signing phone configurations through libsbd,
 * as a ratio to the physical limit measured in the same run.
 *
 * Target (from the issue): signing 10,000 distinct configuration files
 * through libsbd, reported as a ratio to 10,000 bare RSA signatures with
 * the same key, must come out at 1.15 or less.
 *
 *   bare    EVP_DigestSignInit + EVP_DigestSign, SHA-1 and RSA PKCS#1
 *           v1.5, over the payload alone: the hash and the RSA private-key
 *           operation that no signer can avoid.
 *   libsbd  sbd_sgn_sign(payload, "SEP<MAC>.cnf.xml.sgn", SHA-1) and
 *           free(): the whole .sgn (FORMATS.md section 5), header and all.
 *
 * Both sign the same N distinct SEP<MAC>.cnf.xml payloads (2 to 6 KiB,
 * generated in memory before any timing) with one RSA-2048 key.  The run
 * is split into rounds that alternate which side goes first, so that
 * frequency scaling and noisy neighbours on a shared machine hit both
 * sides alike.  The clock is CLOCK_MONOTONIC.
 *
 * usage: sign_bench [-n COUNT]
 *
 * A benchmark is not a test (DESIGN.md): it exits 0 whether or not the
 * target is met, and 1 only when it cannot run.  The result line is
 *   ratio libsbd/bare-rsa = X.XXX (target <= 1.15)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/sgn.h"
#include "sbd/sighdr.h"
#include "sbd/x509.h"

#define DEFAULT_COUNT 10000
#define MAX_COUNT 1000000
#define ROUNDS 10
#define WARMUP 20
#define TARGET 1.15
#define FIXED_TS 1700000000u
#define PAYLOAD_MIN 2048
#define PAYLOAD_MAX 6144
#define SPEED_DIAL_MAX 160	/* longest <line> a speed dial makes */

struct payload {
	char name[32];		/* SEP<MAC>.cnf.xml.sgn */
	uint8_t *p;
	size_t len;
};

static volatile uint8_t sink;	/* keeps every signature used */

/* xorshift64*: deterministic, so every run signs the same payloads. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned
rnd_in(uint64_t *s, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd(s) % (hi - lo + 1));
}

static const char *const first[] = { "Anna", "Bram", "Chloe", "Dmitri",
	"Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kwame", "Lena" };
static const char *const last[] = { "Novak", "Okafor", "Peeters",
	"Quist", "Rossi", "Sato", "Tanaka", "Uribe", "Varga", "Weber" };
static const char *const tz[] = { "Central Europe Standard/Daylight Time",
	"GMT Standard/Daylight Time", "Eastern Standard/Daylight Time",
	"Pacific Standard/Daylight Time", "Tokyo Standard Time" };

/* Everything after the speed dials. */
static const char tail[] =
	"</sipLines>\n"
	"<voipControlPort>5060</voipControlPort>\n"
	"</sipProfile>\n"
	"<loadInformation>sip88xx.14-2-1-0001-14</loadInformation>\n"
	"<vendorConfig><webAccess>0</webAccess><sshAccess>0</sshAccess>"
	"<spanToPCPort>0</spanToPCPort></vendorConfig>\n"
	"<capfAuthMode>0</capfAuthMode>\n"
	"<capfList><capf><phonePort>3804</phonePort>"
	"<processNodeName>cucm-pub.example.net</processNodeName>"
	"</capf></capfList>\n"
	"<deviceSecurityMode>3</deviceSecurityMode>\n"
	"<transportLayerProtocol>4</transportLayerProtocol>\n"
	"<certHash></certHash><encrConfig>false</encrConfig>\n"
	"</device>\n";

/*
 * One phone's configuration, shaped like a CUCM SIP SEP<MAC>.cnf.xml: the
 * device pool, a SIP profile with lines and speed dials, and the security
 * elements.  Speed dials are added while the file stays under a random
 * size between PAYLOAD_MIN and PAYLOAD_MAX; the smallest phone (one line,
 * no speed dials) is about 2.7 KiB.
 */
static int
make_payload(struct payload *pl, uint64_t mac, uint64_t *seed)
{
	char *buf = NULL;
	size_t len = 0, target;
	FILE *f;
	unsigned i, nlines, ext, sd = 0;
	long pos;
	const char *fn, *ln;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return -1;
	target = rnd_in(seed, PAYLOAD_MIN, PAYLOAD_MAX);
	nlines = rnd_in(seed, 1, 3);
	ext = rnd_in(seed, 1000, 8999);
	fn = first[rnd(seed) % (sizeof(first) / sizeof(first[0]))];
	ln = last[rnd(seed) % (sizeof(last) / sizeof(last[0]))];
	fprintf(f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<device xsi:type=\"axl:XIPPhone\" ctiid=\"%u\" "
	    "uuid=\"{%08" PRIx64 "-0000-4000-8000-%012" PRIX64 "}\">\n"
	    "<fullConfig>true</fullConfig>\n"
	    "<deviceProtocol>SIP</deviceProtocol>\n"
	    "<sshUserId>admin</sshUserId>\n"
	    "<sshPassword>%08" PRIx64 "</sshPassword>\n"
	    "<ipAddressMode>0</ipAddressMode>\n"
	    "<allowAutoConfig>true</allowAutoConfig>\n"
	    "<devicePool uuid=\"{1b1b9eb6-7803-11d3-bdf0-00108302ead1}\">\n"
	    "<revertPriority>0</revertPriority>\n"
	    "<name>DP-%s</name>\n"
	    "<dateTimeSetting><name>CMLocal</name>"
	    "<dateTemplate>D/M/Y</dateTemplate>"
	    "<timeZone>%s</timeZone></dateTimeSetting>\n"
	    "<callManagerGroup><name>Default</name><members>\n"
	    "<member priority=\"0\"><callManager><name>cucm-pub</name>"
	    "<ports><ethernetPhonePort>2000</ethernetPhonePort>"
	    "<sipPort>5060</sipPort><securedSipPort>5061</securedSipPort>"
	    "</ports><processNodeName>cucm-pub.example.net"
	    "</processNodeName></callManager></member>\n"
	    "<member priority=\"1\"><callManager><name>cucm-sub</name>"
	    "<ports><ethernetPhonePort>2000</ethernetPhonePort>"
	    "<sipPort>5060</sipPort><securedSipPort>5061</securedSipPort>"
	    "</ports><processNodeName>cucm-sub.example.net"
	    "</processNodeName></callManager></member>\n"
	    "</members></callManagerGroup>\n"
	    "</devicePool>\n"
	    "<TVS><members><member priority=\"0\"><port>2445</port>"
	    "<address>cucm-pub.example.net</address></member></members>"
	    "</TVS>\n"
	    "<sipProfile>\n"
	    "<sipProxies><registerWithProxy>true</registerWithProxy>"
	    "</sipProxies>\n"
	    "<natEnabled>false</natEnabled>\n"
	    "<phoneLabel>%s %s</phoneLabel>\n"
	    "<dscpForAudio>184</dscpForAudio>\n"
	    "<sipLines>\n",
	    (unsigned)(rnd(seed) % 100000), (uint64_t)(mac >> 8), mac,
	    rnd(seed) & 0xffffffffu, fn,
	    tz[rnd(seed) % (sizeof(tz) / sizeof(tz[0]))], fn, ln);
	for (i = 0; i < nlines; i++)
		fprintf(f,
		    "<line button=\"%u\" lineIndex=\"%u\">\n"
		    "<featureID>9</featureID>\n"
		    "<featureLabel>%s %s %u</featureLabel>\n"
		    "<proxy>USECALLMANAGER</proxy><port>5061</port>\n"
		    "<name>%u</name><displayName>%s %s</displayName>\n"
		    "<autoAnswer><autoAnswerEnabled>2</autoAnswerEnabled>"
		    "</autoAnswer>\n"
		    "<callWaiting>3</callWaiting>\n"
		    "<authName>%s.%s</authName>"
		    "<authPassword>%08" PRIx64 "</authPassword>\n"
		    "<sharedLine>false</sharedLine>\n"
		    "<messagesNumber>8000</messagesNumber>\n"
		    "<ringSettingIdle>4</ringSettingIdle>"
		    "<ringSettingActive>5</ringSettingActive>\n"
		    "<contact>%u</contact>\n"
		    "<forwardCallInfoDisplay><callerName>true</callerName>"
		    "<callerNumber>false</callerNumber>"
		    "<redirectedNumber>false</redirectedNumber>"
		    "<dialedNumber>true</dialedNumber>"
		    "</forwardCallInfoDisplay>\n"
		    "</line>\n",
		    i + 1, i + 1, fn, ln, ext + i, ext + i, fn, ln, fn, ln,
		    rnd(seed) & 0xffffffffu, ext + i);
	/* Speed dials while the file stays under the target size. */
	while ((pos = ftell(f)) >= 0 &&
	    (size_t)pos + SPEED_DIAL_MAX + sizeof(tail) - 1 <= target) {
		sd++;
		fprintf(f,
		    "<line button=\"%u\"><featureID>2</featureID>"
		    "<featureLabel>%s %s</featureLabel>"
		    "<speedDialNumber>%u</speedDialNumber></line>\n",
		    nlines + sd,
		    first[rnd(seed) % (sizeof(first) / sizeof(first[0]))],
		    last[rnd(seed) % (sizeof(last) / sizeof(last[0]))],
		    rnd_in(seed, 1000, 8999));
	}
	fputs(tail, f);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	snprintf(pl->name, sizeof(pl->name), "SEP%012" PRIX64 ".cnf.xml.sgn",
	    mac);
	pl->p = (uint8_t *)buf;
	pl->len = len;
	return 0;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The physical limit: hash and RSA private-key operation, nothing else. */
static int
run_bare(const struct payload *pl, size_t from, size_t to, EVP_PKEY *key,
    EVP_MD_CTX *ctx)
{
	uint8_t sig[SBD_SIG_MAX];
	size_t i, siglen;

	for (i = from; i < to; i++) {
		siglen = sizeof(sig);
		if (EVP_DigestSignInit(ctx, NULL, EVP_sha1(), NULL, key) != 1 ||
		    EVP_DigestSign(ctx, sig, &siglen, pl[i].p,
		    pl[i].len) != 1)
			return -1;
		sink ^= sig[siglen - 1];
	}
	return 0;
}

/* A whole signed file through libsbd. */
static int
run_sbd(const struct payload *pl, size_t from, size_t to, EVP_PKEY *key,
    X509 *cert)
{
	uint8_t *out;
	size_t i, outlen;

	for (i = from; i < to; i++) {
		out = NULL;
		if (sbd_sgn_sign(pl[i].p, pl[i].len, pl[i].name,
		    SBD_HASH_SHA1, FIXED_TS, cert, key, &out, &outlen) != 0)
			return -1;
		sink ^= out[outlen - 1];
		free(out);
	}
	return 0;
}

/* Make sure the libsbd side does the real work: its output verifies. */
static int
check_output(const struct payload *pl, EVP_PKEY *key, X509 *cert)
{
	struct sbd_sighdr h;
	uint8_t *out = NULL;
	size_t outlen = 0;
	int ok;

	if (sbd_sgn_sign(pl->p, pl->len, pl->name, SBD_HASH_SHA1, FIXED_TS,
	    cert, key, &out, &outlen) != 0)
		return -1;
	ok = sbd_sgn_parse(out, outlen, 0, &h, NULL) == 0 &&
	    sbd_sgn_verify_cert(out, outlen, &h, cert) == 0 &&
	    outlen - h.hdr_len == pl->len &&
	    memcmp(out + h.hdr_len, pl->p, pl->len) == 0;
	free(out);
	return ok ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sign_bench [-n COUNT]\n");
}

int
main(int argc, char **argv)
{
	struct sbd_cert_req req;
	struct payload *pl = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	EVP_MD_CTX *ctx = NULL;
	uint64_t seed = 0x5EB0C0FFEEULL;
	size_t n = DEFAULT_COUNT, i, from, to, total = 0, made = 0;
	size_t lmin = SIZE_MAX, lmax = 0;
	double t0, t_bare = 0, t_sbd = 0, tb, ts, r, rmin = 0, rmax = 0;
	double ratio;
	unsigned long v;
	char *end;
	int ch, round, rounds, rc = 1;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '-' ||
			    v < 1 || v > MAX_COUNT) {
				fprintf(stderr, "sign_bench: -n: 1..%d\n",
				    MAX_COUNT);
				return 1;
			}
			n = v;
			break;
		default:
			usage();
			return 1;
		}
	}
	if (optind != argc) {
		usage();
		return 1;
	}

	memset(&req, 0, sizeof(req));
	req.cn = "cucm-pub.example.net";
	req.ou = "bench";
	req.o = "opensbd";
	req.days = 365;
	req.profile = SBD_CERT_SERVER;
	if (sbd_key_generate(SBD_KEY_RSA, 2048, &key) != 0) {
		fprintf(stderr, "sign_bench: RSA-2048 key generation failed\n");
		goto out;
	}
	req.key = key;
	if (sbd_cert_create(&req, &cert) != 0) {
		fprintf(stderr, "sign_bench: certificate creation failed\n");
		goto out;
	}
	if ((pl = calloc(n, sizeof(*pl))) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL) {
		fprintf(stderr, "sign_bench: out of memory\n");
		goto out;
	}
	for (made = 0; made < n; made++) {
		if (make_payload(&pl[made], 0x00A0B1C20000ULL + made,
		    &seed) != 0) {
			fprintf(stderr, "sign_bench: out of memory\n");
			goto out;
		}
		total += pl[made].len;
		if (pl[made].len < lmin)
			lmin = pl[made].len;
		if (pl[made].len > lmax)
			lmax = pl[made].len;
	}
	if (check_output(&pl[0], key, cert) != 0) {
		fprintf(stderr, "sign_bench: libsbd output does not verify\n");
		goto out;
	}
	/* Warm up both paths: page faults, lazy provider fetches. */
	i = n < WARMUP ? n : WARMUP;
	if (run_bare(pl, 0, i, key, ctx) != 0 ||
	    run_sbd(pl, 0, i, key, cert) != 0) {
		fprintf(stderr, "sign_bench: signing failed\n");
		goto out;
	}

	rounds = n < ROUNDS ? (int)n : ROUNDS;
	for (round = 0; round < rounds; round++) {
		from = n * (size_t)round / (size_t)rounds;
		to = n * ((size_t)round + 1) / (size_t)rounds;
		tb = ts = 0;
		/* Alternate which side runs first. */
		if (round % 2 == 0) {
			t0 = now_us();
			if (run_bare(pl, from, to, key, ctx) != 0)
				goto fail;
			tb = now_us() - t0;
		}
		t0 = now_us();
		if (run_sbd(pl, from, to, key, cert) != 0)
			goto fail;
		ts = now_us() - t0;
		if (round % 2 == 1) {
			t0 = now_us();
			if (run_bare(pl, from, to, key, ctx) != 0)
				goto fail;
			tb = now_us() - t0;
		}
		t_bare += tb;
		t_sbd += ts;
		r = ts / tb;
		if (round == 0 || r < rmin)
			rmin = r;
		if (round == 0 || r > rmax)
			rmax = r;
	}
	ratio = t_sbd / t_bare;
	printf("sign_bench: %zu distinct SEP<MAC>.cnf.xml payloads, "
	    "%.1f KiB mean (%zu..%zu bytes), RSA-2048, SHA-1, %d rounds\n",
	    n, (double)total / (double)n / 1024.0, lmin, lmax, rounds);
	printf("bare RSA (EVP_DigestSign):    %9.1f us/file\n",
	    t_bare / (double)n);
	printf("libsbd (sbd_sgn_sign + free): %9.1f us/file\n",
	    t_sbd / (double)n);
	printf("per-round ratio: min %.3f max %.3f\n", rmin, rmax);
	printf("ratio libsbd/bare-rsa = %.3f (target <= %.2f)\n", ratio,
	    TARGET);
	printf("target <= %.2f: %s\n", TARGET, ratio <= TARGET ? "PASS" :
	    "FAIL");
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "sign_bench: signing failed\n");
out:
	for (i = 0; i < made; i++)
		free(pl[i].p);
	free(pl);
	EVP_MD_CTX_free(ctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
