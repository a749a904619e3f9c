/*
 * libFuzzer target: CTL/ITL trust lists (FORMATS.md sections 2 and 4).
 *
 * The input is parsed strictly and with SBD_PARSE_SKIP_UNKNOWN.  A list
 * that parses goes through everything a phone or `sbdctl show itl` does
 * with it: find the signer, verify with the signer record's certificate,
 * and decode every record's certificate.
 *
 * A list that parses strictly is also re-signed with a fixed key
 * (sbd_tl_resign, as `sbdctl resign itl` does), and the result is
 * checked against what sbd_tl_resign promises (trustlist.h): it parses
 * strictly, verifies with the new signer, keeps version, signer version,
 * filename and hash, carries the new signer and timestamp, has a header of
 * exactly the size FORMATS.md 2.1 and 2.2 give, and holds the original
 * records byte for byte.  Only a result over SBD_TL_MAX may be refused
 * (SBD_ERR_TOOBIG).  A broken promise aborts.
 *
 * The re-signing key is a fixed RSA-1024 key and self-signed certificate,
 * made once with `sbdctl cert create --rsa 1024` (sbd_key_generate and
 * sbd_cert_create) and embedded here rather than generated at start-up:
 * a fresh certificate would get a random serial, so the header size and
 * the paths taken would change from run to run and a crash found by one
 * run might not reproduce in the next.  1024 bits, not 512, because
 * re-signing keeps a SHA-512 list's hash, and a SHA-512 DigestInfo (83
 * bytes) does not fit in RSA-512 PKCS#1 v1.5 (at most 53).  It is a
 * throwaway key for fuzzing only; it protects nothing (fuzz_key.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sbd/sighdr.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"
#include "fuzz_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TS 1700000000u	/* the re-signed lists' TIMESTAMP */

static EVP_PKEY *fuzz_key;
static X509 *fuzz_cert;
/*
 * Bytes of a re-signed header that do not depend on the input: every
 * element sbd_sign_file writes except FILENAME and SIGNER_VERSION, before
 * padding (FORMATS.md 2.1).
 */
static size_t hdr_fixed;
static unsigned long nverified;	/* keeps the results used */

/* Load the fixed key and certificate once; they live until exit. */
static void
load_fixed(void)
{
	char *subject = NULL, *issuer = NULL;
	uint8_t *serial = NULL;
	size_t serlen = 0;

	if (fuzz_key != NULL)
		return;
	fuzz_key_load(&fuzz_key, &fuzz_cert);
	if (sbd_dn_string(X509_get_subject_name(fuzz_cert), &subject) != 0 ||
	    sbd_dn_string(X509_get_issuer_name(fuzz_cert), &issuer) != 0 ||
	    sbd_x509_serial(fuzz_cert, &serial, &serlen) != 0)
		abort();
	hdr_fixed = 5 + 5 +			/* VERSION, HEADER_LENGTH */
	    3 + (3 + strlen(subject) + 1) + (3 + strlen(issuer) + 1) +
	    (3 + serlen) +			/* SIGNER_INFO */
	    3 + 4 + 3 + 4 + 4 +			/* SIGNATURE_INFO, 15 */
	    3 + (size_t)EVP_PKEY_get_size(fuzz_key) + /* SIGNATURE */
	    7;					/* TIMESTAMP */
	free(subject);
	free(issuer);
	free(serial);
}

/* The header size sbd_tl_resign must write for a list with header h. */
static size_t
resigned_hdr_len(const struct sbd_sighdr *h)
{
	size_t n = hdr_fixed;

	if (h->has_signer_version)
		n += 5;
	if (h->filename != NULL)
		n += 3 + strlen(h->filename) + 1;
	/* FORMATS.md 2.2: padded to a multiple of 4. */
	return (n + 3) & ~(size_t)3;
}

/* Check every promise of sbd_tl_resign on a list that parsed strictly. */
static void
check_resign(const uint8_t *data, size_t size, const struct sbd_tl *tl)
{
	const struct sbd_sighdr *h = &tl->hdr, *nh;
	struct sbd_tl *ntl = NULL;
	struct sbd_diag d;
	uint8_t *out = NULL;
	size_t outlen = 0, want_hdr, recs;
	int err, idx = 0, want_hash;

	want_hdr = resigned_hdr_len(h);
	recs = size - h->hdr_len;
	err = sbd_tl_resign(data, size, fuzz_cert, fuzz_key, FUZZ_TS, &out,
	    &outlen, &d);
	if (want_hdr > SBD_TL_MAX || recs > SBD_TL_MAX - want_hdr) {
		/* Over the 64 KiB phone limit (FORMATS.md 4.6b). */
		if (err != SBD_ERR_TOOBIG)
			abort();
		return;
	}
	if (err != 0 || outlen != want_hdr + recs)
		abort();
	if (sbd_tl_parse(out, outlen, 0, &ntl, &d) != 0)
		abort();
	nh = &ntl->hdr;
	want_hash = h->hash_alg == SBD_HASH_SHA512 ? SBD_HASH_SHA512 :
	    SBD_HASH_SHA1;
	if (nh->hdr_len != want_hdr || ntl->nrec != tl->nrec ||
	    memcmp(out + nh->hdr_len, data + h->hdr_len, recs) != 0 ||
	    nh->ver_major != h->ver_major || nh->ver_minor != h->ver_minor ||
	    nh->has_signer_version != h->has_signer_version ||
	    (h->has_signer_version && (nh->sv_major != h->sv_major ||
	    nh->sv_minor != h->sv_minor)) ||
	    nh->hash_alg != want_hash ||
	    (h->filename == NULL) != (nh->filename == NULL) ||
	    (h->filename != NULL && strcmp(h->filename, nh->filename) != 0) ||
	    !nh->has_timestamp || nh->timestamp != FUZZ_TS ||
	    !sbd_sighdr_names_cert(nh, fuzz_cert))
		abort();
	if (sbd_tl_verify(out, outlen, ntl, fuzz_cert, &idx) != 0 || idx != -1)
		abort();
	sbd_tl_free(ntl);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_tl *tl;
	struct sbd_diag d;
	X509 *c;
	size_t i;
	unsigned flags;
	int signer, idx, err;

	load_fixed();
	for (flags = 0; flags <= SBD_PARSE_SKIP_UNKNOWN; flags++) {
		tl = NULL;
		if (sbd_tl_parse(data, size, flags, &tl, &d) != 0)
			continue;
		if (tl->nrec == 0 || tl->hdr.hdr_len > size)
			abort();
		signer = sbd_tl_find_signer(tl);
		if (signer >= 0 && ((size_t)signer >= tl->nrec ||
		    tl->rec[signer].role != SBD_ROLE_SAST))
			abort();
		idx = -2;
		err = sbd_tl_verify(data, size, tl, NULL, &idx);
		if (err == 0) {
			/* It verified with the signer record's key. */
			if (signer < 0 || idx != signer)
				abort();
			nverified++;
		} else if (idx != -2)
			abort();	/* written only on success */
		for (i = 0; i < tl->nrec; i++) {
			c = NULL;
			err = sbd_tl_record_cert(tl, i, &c);
			if (err == 0)
				X509_free(c);
			else if (tl->rec[i].cert == NULL &&
			    err != SBD_ERR_MISSING)
				abort();
		}
		if (flags == 0)
			check_resign(data, size, tl);
		sbd_tl_free(tl);
	}
	return 0;
}
