/*
 * libFuzzer target: signed files (FORMATS.md sections 2 and 5).
 *
 * The input is tried as a signed file: sbd_sgn_parse, strictly and with
 * SBD_PARSE_SKIP_UNKNOWN; sbd_sgn_strip, which must agree with the parser
 * on where the payload starts whenever the parser accepts; and
 * sbd_sgn_verify_cert against a fixed certificate, which must not crash
 * (it fails on anything but the seeds signed with that key).
 *
 * The input is then used as a payload and signed (sbd_sgn_sign, FILENAME
 * "fuzz.sgn", SHA-1 for inputs of even length and SHA-512 for odd ones, so
 * both hashes are covered): the result must parse, name the signer,
 * verify, carry the filename and timestamp, have a header that is a
 * multiple of 4 bytes (FORMATS.md 2.2), and strip back to exactly the
 * input.  A broken promise aborts.
 *
 * The key is a fixed RSA-1024 key and self-signed certificate, made once
 * with `sbdctl cert create --rsa 1024` (sbd_key_generate and
 * sbd_cert_create) and embedded rather than generated at start-up, so
 * every run takes the same paths and a crash reproduces (a fresh
 * certificate has a random serial).  RSA-512 cannot sign a SHA-512
 * DigestInfo.  It is the key of fuzz_tl.c; a throwaway key for fuzzing
 * only that protects nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sbd/sgn.h"
#include "sbd/sighdr.h"
#include "fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TS 1700000000u	/* the round trip's TIMESTAMP */
#define FUZZ_NAME "fuzz.sgn"

static EVP_PKEY *fuzz_key;
static X509 *fuzz_cert;
static unsigned long nverified;	/* keeps the results used */

/* Load the fixed key and certificate once; they live until exit. */
static void
load_fixed(void)
{
	if (fuzz_key == NULL)
		fuzz_key_load(&fuzz_key, &fuzz_cert);
}

/* Sign the input as a payload; everything about the result is known. */
static void
round_trip(const uint8_t *data, size_t size)
{
	struct sbd_sighdr h;
	struct sbd_diag d;
	const uint8_t *p = NULL;
	uint8_t *out = NULL;
	size_t outlen = 0, plen = 0;
	int hash = size % 2 ? SBD_HASH_SHA512 : SBD_HASH_SHA1;

	if (sbd_sgn_sign(data, size, FUZZ_NAME, hash, FUZZ_TS, fuzz_cert,
	    fuzz_key, &out, &outlen) != 0)
		abort();
	if (sbd_sgn_parse(out, outlen, 0, &h, &d) != 0 ||
	    h.ver_major != 1 || h.ver_minor != 0 || h.hash_alg != hash ||
	    h.hdr_len % 4 != 0 || outlen - h.hdr_len != size ||
	    h.filename == NULL || strcmp(h.filename, FUZZ_NAME) != 0 ||
	    !h.has_timestamp || h.timestamp != FUZZ_TS || h.has_enc)
		abort();
	if (sbd_sgn_verify_cert(out, outlen, &h, fuzz_cert) != 0)
		abort();
	if (sbd_sgn_strip(out, outlen, &p, &plen, &d) != 0 ||
	    p != out + h.hdr_len || plen != size ||
	    (size > 0 && memcmp(p, data, size) != 0))
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_sighdr h;
	struct sbd_diag d;
	const uint8_t *p;
	size_t plen;
	unsigned flags;
	int parsed, stripped;

	load_fixed();
	p = NULL;
	plen = 0;
	stripped = sbd_sgn_strip(data, size, &p, &plen, &d) == 0;
	if (stripped && (p < data || plen > size || p + plen != data + size))
		abort();
	for (flags = 0; flags <= SBD_PARSE_SKIP_UNKNOWN; flags++) {
		parsed = sbd_sgn_parse(data, size, flags, &h, &d) == 0;
		if (!parsed)
			continue;
		/* Strip reads less than parse, so it accepts more. */
		if (!stripped || p != data + h.hdr_len ||
		    plen != size - h.hdr_len)
			abort();
		if (sbd_sgn_verify_cert(data, size, &h, fuzz_cert) == 0)
			nverified++;
	}
	round_trip(data, size);
	return 0;
}
