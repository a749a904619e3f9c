/*
 * Unit tests: trust lists (lib/trustlist.c) and the signed header they use
 * (lib/sighdr.c), against the two public ITLs and lists we build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helper_pki.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"

#define FREEPBX "public/itl-freepbx-2rec.tlv"
#define CSPTECH "public/itl-csptech-5rec.tlv"

static struct sbd_tl *
must_parse(const uint8_t *b, size_t n)
{
	struct sbd_tl *tl = NULL;
	struct sbd_diag d = { 0 };
	int err = sbd_tl_parse(b, n, 0, &tl, &d);

	if (err != 0)
		fail_msg("parse: %s at %zu: %s", sbd_strerror(err), d.off,
		    d.what);
	return tl;
}

static void
test_freepbx_parses_and_verifies(void **state)
{
	static const uint8_t serial[] = { 0xd5, 0x50, 0xec, 0x0b, 0x2e, 0xb9,
		0x80, 0xe3, 0x38, 0x64, 0x20, 0x42, 0x3b, 0x03, 0x75, 0x32 };
	/* FORMATS.md section 3: the element order of certutils >= 4. */
	static const uint8_t order[] = { 1, 2, 28, 3, 4, 6, 5, 7, 8, 9, 10, 11,
		12, 14, 15 };
	static const uint8_t rorder[] = { 1, 3, 5, 6, 4, 7, 8, 9 };
	size_t n, i;
	uint8_t *b = th_read(FREEPBX, &n);
	struct sbd_tl *tl = must_parse(b, n);
	int idx = -5;

	(void)state;
	assert_int_equal(n, 3411);
	assert_int_equal(tl->hdr.ver_major, 1);
	assert_int_equal(tl->hdr.ver_minor, 2);
	assert_int_equal(tl->hdr.hdr_len, 388);
	assert_true(tl->hdr.has_signer_version);
	assert_int_equal(tl->hdr.sv_major, 1);
	assert_int_equal(tl->hdr.sv_minor, 0);
	assert_string_equal(tl->hdr.signer_name, "CN=SAST,O=SAST,OU=SAST");
	assert_int_equal(tl->hdr.serial_len, sizeof(serial));
	assert_memory_equal(tl->hdr.serial, serial, sizeof(serial));
	assert_int_equal(tl->hdr.hash_alg, SBD_HASH_SHA1);
	assert_int_equal(tl->hdr.modulus_idx, 2);
	assert_int_equal(tl->hdr.sig_len, 256);
	assert_int_equal(tl->hdr.sig_off, 0x6b);
	assert_string_equal(tl->hdr.filename, "ITLFile.tlv");
	assert_int_equal(tl->hdr.timestamp, 0x6887b03e);
	assert_int_equal(tl->hdr.nelem, sizeof(order));
	for (i = 0; i < sizeof(order); i++)
		assert_int_equal(tl->hdr.elem[i].tag, order[i]);

	assert_int_equal(tl->nrec, 2);
	assert_int_equal(tl->rec[0].off, 0x184);
	assert_int_equal(tl->rec[0].len, 1485);
	assert_int_equal(tl->rec[0].role, SBD_ROLE_SAST);
	assert_int_equal(tl->rec[0].pubkey_len, 270);
	assert_int_equal(tl->rec[0].cert_len, 869);
	assert_int_equal(tl->rec[1].role, SBD_ROLE_CCM);
	assert_string_equal(tl->rec[1].subject,
	    "CN=Asterisk,O=Asterisk,OU=Asterisk");
	for (i = 0; i < sizeof(rorder); i++)
		assert_int_equal(tl->rec[0].elem[i].tag, rorder[i]);

	assert_int_equal(sbd_tl_find_signer(tl), 0);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, &idx), 0);
	assert_int_equal(idx, 0);
	sbd_tl_free(tl);
	free(b);
}

static void
test_csptech_serial_without_sign_byte(void **state)
{
	size_t n;
	uint8_t *b = th_read(CSPTECH, &n);
	struct sbd_tl *tl = must_parse(b, n);
	const struct sbd_tl_record *isrg;

	(void)state;
	assert_int_equal(tl->nrec, 5);
	assert_int_equal(tl->rec[3].role, SBD_ROLE_APP_SERVER);
	isrg = &tl->rec[3];
	assert_string_equal(isrg->subject,
	    "C=US,O=Internet Security Research Group,CN=ISRG Root X1");
	/* ISRG Root X1: serial 82 10 cf ..., 16 bytes, no 00 prefix. */
	assert_int_equal(isrg->serial_len, 16);
	assert_int_equal(isrg->serial[0], 0x82);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, NULL), 0);
	sbd_tl_free(tl);
	free(b);
}

/* Our X.509 views must give exactly what certutils wrote. */
static void
check_views(const char *file)
{
	size_t n, i;
	uint8_t *b = th_read(file, &n);
	struct sbd_tl *tl = must_parse(b, n);

	for (i = 0; i < tl->nrec; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];
		X509 *c = NULL;
		char *s = NULL;
		uint8_t *p = NULL;
		const uint8_t *sv;
		size_t plen;

		assert_int_equal(sbd_tl_record_cert(tl, i, &c), 0);
		assert_int_equal(sbd_dn_string(X509_get_subject_name(c), &s),
		    0);
		assert_string_equal(s, r->subject);
		free(s);
		assert_int_equal(sbd_dn_string(X509_get_issuer_name(c), &s),
		    0);
		assert_string_equal(s, r->issuer);
		free(s);
		assert_int_equal(sbd_x509_serial(c, &p, &plen), 0);
		assert_int_equal(plen, r->serial_len);
		assert_memory_equal(p, r->serial, plen);
		free(p);
		assert_int_equal(sbd_x509_pubkey_record(c, &p, &plen), 0);
		assert_int_equal(plen, r->pubkey_len);
		assert_memory_equal(p, r->pubkey, plen);
		OPENSSL_free(p);
		assert_int_equal(sbd_x509_sigvalue(c, &sv, &plen), 0);
		assert_int_equal(plen, r->sig_len);
		assert_memory_equal(sv, r->sig, plen);
		X509_free(c);
	}
	sbd_tl_free(tl);
	free(b);
}

static void
test_views_match_certutils(void **state)
{
	(void)state;
	check_views(FREEPBX);
	check_views(CSPTECH);
}

/* Rebuilding a certutils list from its certificates gives the same records. */
static void
test_rebuild_records_byte_exact(void **state)
{
	size_t n, outlen = 0, i;
	uint8_t *b = th_read(CSPTECH, &n), *out = NULL;
	struct sbd_tl *tl = must_parse(b, n), *tl2;
	struct sbd_tl_entry e[5];
	X509 *certs[5] = { 0 }, *sc = NULL;
	EVP_PKEY *sk = NULL;
	struct sbd_tl_opts o = { 0 };

	(void)state;
	assert_int_equal(tl->nrec, 5);
	memset(e, 0, sizeof(e));
	for (i = 0; i < 5; i++) {
		assert_int_equal(sbd_tl_record_cert(tl, i, &certs[i]), 0);
		e[i].role = tl->rec[i].role;
		e[i].cert = certs[i];
	}
	th_rsa_cert(2048, "other signer", &sc, &sk);
	o.filename = "ITLFile.tlv";
	o.signer_version = 1;
	o.timestamp = tl->hdr.timestamp;
	assert_int_equal(sbd_tl_build(&o, e, 5, sc, sk, &out, &outlen), 0);
	tl2 = must_parse(out, outlen);
	assert_int_equal(outlen - tl2->hdr.hdr_len, n - tl->hdr.hdr_len);
	assert_memory_equal(out + tl2->hdr.hdr_len, b + tl->hdr.hdr_len,
	    n - tl->hdr.hdr_len);
	/* Its header names our signer, which is not a record: no signer. */
	assert_int_equal(sbd_tl_find_signer(tl2), SBD_ERR_NOSIGNER);
	assert_int_equal(sbd_tl_verify(out, outlen, tl2, sc, NULL), 0);
	sbd_tl_free(tl2);
	free(out);
	for (i = 0; i < 5; i++)
		X509_free(certs[i]);
	X509_free(sc);
	EVP_PKEY_free(sk);
	sbd_tl_free(tl);
	free(b);
}

static void
test_truncated_everywhere(void **state)
{
	size_t n, cut;
	uint8_t *b = th_read(FREEPBX, &n);

	(void)state;
	for (cut = 0; cut < n; cut++) {
		struct sbd_tl *tl = NULL;
		struct sbd_diag d = { 0 };
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, b, cut);
		if (sbd_tl_parse(copy, cut, 0, &tl, &d) == 0) {
			/* Cut at a record boundary: only the signature can
			 * tell, and must. */
			assert_int_equal(sbd_tl_verify(copy, cut, tl, NULL,
			    NULL), SBD_ERR_SIG);
			sbd_tl_free(tl);
		} else {
			assert_null(tl);
			assert_true(d.off <= cut);
			assert_int_not_equal(d.err, 0);
		}
		free(copy);
	}
	free(b);
}

static void
test_flipped_bit_anywhere_fails(void **state)
{
	size_t n, i;
	uint8_t *b = th_read(FREEPBX, &n);

	(void)state;
	for (i = 0; i < n; i++) {
		struct sbd_tl *tl = NULL;
		int ok;

		b[i] ^= 0x10;
		ok = sbd_tl_parse(b, n, 0, &tl, NULL) == 0 &&
		    sbd_tl_verify(b, n, tl, NULL, NULL) == 0;
		if (ok)
			fail_msg("bit flip at offset %zu still verifies", i);
		sbd_tl_free(tl);
		b[i] ^= 0x10;
	}
	free(b);
}

static void
test_signature_bit_flip(void **state)
{
	size_t n;
	uint8_t *b = th_read(FREEPBX, &n);
	struct sbd_tl *tl;

	(void)state;
	b[0x6b + 3 + 100] ^= 1;
	tl = must_parse(b, n);
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, NULL), SBD_ERR_SIG);
	sbd_tl_free(tl);
	free(b);
}

static int
parse_err(uint8_t *b, size_t n, unsigned flags, size_t *off)
{
	struct sbd_tl *tl = NULL;
	struct sbd_diag d = { 0 };
	int err = sbd_tl_parse(b, n, flags, &tl, &d);

	sbd_tl_free(tl);
	*off = d.off;
	return err;
}

static void
test_malformed_headers(void **state)
{
	size_t n, off;
	uint8_t *b = th_read(FREEPBX, &n);

	(void)state;
	/* Bad version. */
	b[3] = 3;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_VERSION);
	b[3] = 1;
	/* SIGNER_INFO (at 0x0f) claims one byte more than it holds. */
	b[0x11]++;
	assert_int_not_equal(parse_err(b, n, 0, &off), 0);
	assert_int_equal(off, 0x59);	/* where the overrun was noticed */
	b[0x11]--;
	/* The container length overruns the header. */
	b[0x10] = 0x02;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_OVERRUN);
	assert_int_equal(off, 0x0f);
	b[0x10] = 0x00;
	/* HEADER_LENGTH past the end of the file. */
	b[8] = 0xff;
	assert_int_equal(parse_err(b, n - 3000, 0, &off), SBD_ERR_TRUNCATED);
	assert_int_equal(off, 8);
	b[8] = 0x01;
	/* An unknown tag: refused, or skipped on request. */
	b[0x0a] = 29;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_TAG);
	assert_int_equal(off, 0x0a);
	assert_int_equal(parse_err(b, n, SBD_PARSE_SKIP_UNKNOWN, &off), 0);
	/* A duplicated tag: make SIGNER_VERSION a (2-byte) SIGNATURE. */
	b[0x0a] = 12;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_TAG);
	assert_int_equal(off, 0x6b);
	b[0x0a] = 28;
	/* HASH_ALGORITHM 2 (SHA-256) parses; 9 does not. */
	b[0x5f] = 9;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_VALUE);
	b[0x5f] = 1;
	/* Modulus index 1 does not fit a 256-byte signature. */
	b[0x6a] = 1;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_VALUE);
	b[0x6a] = 2;
	assert_int_equal(parse_err(b, n, 0, &off), 0);
	free(b);
}

static void
test_any_order_inside_containers(void **state)
{
	size_t n, off;
	uint8_t *b = th_read(FREEPBX, &n), tmp[64];
	struct sbd_tl *tl;

	(void)state;
	/* SIGNER_INFO children 4 (26 bytes) 6 (26) 5 (19): move 5 first. */
	memcpy(tmp, b + 0x46, 19);
	memmove(b + 0x12 + 19, b + 0x12, 52);
	memcpy(b + 0x12, tmp, 19);
	tl = must_parse(b, n);
	assert_int_equal(tl->hdr.serial_len, 16);
	assert_string_equal(tl->hdr.signer_name, "CN=SAST,O=SAST,OU=SAST");
	assert_string_equal(tl->hdr.issuer_name, "CN=SAST,O=SAST,OU=SAST");
	/* Reordering changed the signed bytes. */
	assert_int_equal(sbd_tl_verify(b, n, tl, NULL, NULL), SBD_ERR_SIG);
	sbd_tl_free(tl);
	/* Padding inside a container is not padding: refused. */
	b[0x12] = 0x0d;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_TAG);
	assert_int_equal(off, 0x12);
	free(b);
}

static void
test_malformed_records(void **state)
{
	size_t n, off;
	uint8_t *b = th_read(FREEPBX, &n), *big;

	(void)state;
	/* RECORD_LENGTH of the second record one past the file. */
	b[0x184 + 1485 + 3] = 0x06;
	b[0x184 + 1485 + 4] = 0x03;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_OVERRUN);
	assert_int_equal(off, 0x184 + 1485 + 3);
	b[0x184 + 1485 + 3] = 0x06;
	b[0x184 + 1485 + 4] = 0x02;
	assert_int_equal(parse_err(b, n, 0, &off), 0);
	/* Trailing garbage after the last record. */
	big = malloc(n + 2);
	memcpy(big, b, n);
	big[n] = 0x01;
	big[n + 1] = 0x00;
	assert_int_equal(parse_err(big, n + 2, 0, &off), SBD_ERR_TRUNCATED);
	assert_int_equal(off, n);
	/* A record element overrunning its record (SUBJECT at 0x189). */
	b[0x18a] = 0xff;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_OVERRUN);
	assert_int_equal(off, 0x189);
	b[0x18a] = 0x00;
	/* A string that is not NUL-terminated. */
	b[0x18b] = 0x16;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_VALUE);
	assert_int_equal(off, 0x189);
	b[0x18b] = 0x17;
	/* RECORD_LENGTH again inside the record. */
	b[0x189] = 0x01;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_TAG);
	assert_int_equal(off, 0x189);
	/* Unknown record tag. */
	b[0x189] = 0x20;
	assert_int_equal(parse_err(b, n, 0, &off), SBD_ERR_TAG);
	b[0x189] = 0x03;
	/* The header alone: a list without records. */
	assert_int_equal(parse_err(b, 388, 0, &off), SBD_ERR_MISSING);
	/* Over the parse limit by one byte. */
	free(big);
	big = calloc(1, SBD_TL_PARSE_MAX + 1);
	memcpy(big, b, n);
	assert_int_equal(parse_err(big, SBD_TL_PARSE_MAX + 1, 0, &off),
	    SBD_ERR_TOOBIG);
	free(big);
	free(b);
}

struct pki {
	X509 *sast, *tftp, *tvs, *rec;
	EVP_PKEY *sast_k, *tftp_k, *tvs_k, *rec_k;
};

static int
setup_pki(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	th_rsa_cert(1024, "pub.example", &p->sast, &p->sast_k);
	th_rsa_cert(2048, "tftp.example", &p->tftp, &p->tftp_k);
	th_ec_cert(NID_X9_62_prime256v1, "tvs.example", &p->tvs, &p->tvs_k);
	th_rsa_cert(2048, "ITLRECOVERY_pub.example", &p->rec, &p->rec_k);
	*state = p;
	return 0;
}

static int
teardown_pki(void **state)
{
	struct pki *p = *state;

	X509_free(p->sast);
	X509_free(p->tftp);
	X509_free(p->tvs);
	X509_free(p->rec);
	EVP_PKEY_free(p->sast_k);
	EVP_PKEY_free(p->tftp_k);
	EVP_PKEY_free(p->tvs_k);
	EVP_PKEY_free(p->rec_k);
	free(p);
	return 0;
}

static void
test_build_roundtrip(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e[4];
	struct sbd_tl_opts o = { 0 };
	static const uint8_t rorder[] = { 1, 2, 3, 5, 6, 4, 7, 8, 9, 10 };
	int hashes[] = { SBD_HASH_SHA1, SBD_HASH_SHA512 };
	size_t h, i;

	memset(e, 0, sizeof(e));
	e[0].role = SBD_ROLE_SAST;
	e[0].cert = p->sast;
	e[1].role = SBD_ROLE_TFTP;
	e[1].cert = p->tftp;
	e[1].dns_name = "tftp.example";
	e[1].has_ip = 1;
	memcpy(e[1].ip, "\x7f\x00\x00\x02", 4);
	e[2].role = SBD_ROLE_TVS;
	e[2].cert = p->tvs;
	e[3].role = SBD_ROLE_SAST;
	e[3].cert = p->rec;
	o.filename = "ITLFile.tlv";
	for (h = 0; h < 2; h++) {
		uint8_t *out = NULL;
		size_t outlen = 0;
		struct sbd_tl *tl;
		int idx = -1;

		o.hash = hashes[h];
		o.timestamp = 1700000000;
		assert_int_equal(sbd_tl_build(&o, e, 4, p->sast, p->sast_k,
		    &out, &outlen), 0);
		tl = must_parse(out, outlen);
		assert_int_equal(tl->hdr.hdr_len % 4, 0);
		assert_int_equal(tl->hdr.hash_alg, hashes[h]);
		assert_int_equal(tl->hdr.sig_len, 128);
		assert_false(tl->hdr.has_signer_version);
		assert_int_equal(tl->hdr.timestamp, 1700000000);
		assert_int_equal(tl->nrec, 4);
		for (i = 0; i < sizeof(rorder); i++)
			assert_int_equal(tl->rec[1].elem[i].tag, rorder[i]);
		assert_string_equal(tl->rec[1].dns_name, "tftp.example");
		assert_memory_equal(tl->rec[1].ip, "\x7f\x00\x00\x02", 4);
		/* EC record: an uncompressed P-256 point. */
		assert_int_equal(tl->rec[2].pubkey_len, 65);
		assert_int_equal(tl->rec[2].pubkey[0], 0x04);
		assert_int_equal(sbd_tl_verify(out, outlen, tl, NULL, &idx),
		    0);
		assert_int_equal(idx, 0);
		/* Only the signer's key verifies it. */
		assert_int_equal(sbd_tl_verify(out, outlen, tl, p->rec, NULL),
		    SBD_ERR_SIG);
		sbd_tl_free(tl);
		free(out);
	}
}

static void
test_signer_sizes(void **state)
{
	int bits[] = { 512, 4096 };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		X509 *c = NULL;
		EVP_PKEY *k = NULL;
		struct sbd_tl_entry e = { 0 };
		struct sbd_tl_opts o = { 0 };
		uint8_t *out = NULL;
		size_t outlen = 0;
		struct sbd_tl *tl;

		th_rsa_cert(bits[i], "sast", &c, &k);
		e.role = SBD_ROLE_SAST;
		e.cert = c;
		o.filename = "CTLFile.tlv";
		o.signer_version = 1;
		o.sv_major = 1;
		o.sv_minor = 1;
		assert_int_equal(sbd_tl_build(&o, &e, 1, c, k, &out, &outlen),
		    0);
		tl = must_parse(out, outlen);
		assert_int_equal(tl->hdr.sig_len, (size_t)bits[i] / 8);
		assert_int_equal(tl->hdr.modulus_idx, i == 0 ? 0 : 3);
		assert_int_equal(tl->hdr.sv_minor, 1);
		assert_int_equal(sbd_tl_verify(out, outlen, tl, NULL, NULL), 0);
		sbd_tl_free(tl);
		free(out);
		X509_free(c);
		EVP_PKEY_free(k);
	}
}

static void
test_ec_signer_refused(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e = { 0 };
	struct sbd_tl_opts o = { 0 };
	uint8_t *out = NULL;
	size_t outlen = 0;

	e.role = SBD_ROLE_SAST;
	e.cert = p->tvs;
	o.filename = "ITLFile.tlv";
	assert_int_equal(sbd_tl_build(&o, &e, 1, p->tvs, p->tvs_k, &out,
	    &outlen), SBD_ERR_KEY);
	assert_null(out);
}

static void
test_too_big_refused(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e[60];
	struct sbd_tl_opts o = { 0 };
	uint8_t *out = NULL;
	size_t outlen = 0, i;

	/* ~1.3 KiB a record: 60 of them pass 64 KiB (FORMATS.md 4.6b). */
	for (i = 0; i < 60; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].role = SBD_ROLE_TVS;
		e[i].cert = p->tftp;
	}
	o.filename = "ITLFile.tlv";
	assert_int_equal(sbd_tl_build(&o, e, 60, p->sast, p->sast_k, &out,
	    &outlen), SBD_ERR_TOOBIG);
	assert_null(out);
	assert_int_equal(sbd_tl_build(&o, e, 40, p->sast, p->sast_k, &out,
	    &outlen), 0);
	assert_true(outlen <= SBD_TL_MAX);
	free(out);
}

static void
test_resign(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e[3];
	struct sbd_tl_opts o = { 0 };
	uint8_t *a = NULL, *r = NULL;
	size_t alen = 0, rlen = 0;
	struct sbd_tl *ta, *tr;
	int idx = -1;

	memset(e, 0, sizeof(e));
	e[0].role = SBD_ROLE_SAST;
	e[0].cert = p->tftp;
	e[1].role = SBD_ROLE_TFTP;
	e[1].cert = p->tftp;
	e[2].role = SBD_ROLE_SAST;
	e[2].cert = p->rec;
	o.filename = "ITLFile.tlv";
	o.signer_version = 1;
	o.timestamp = 1600000000;
	assert_int_equal(sbd_tl_build(&o, e, 3, p->tftp, p->tftp_k, &a,
	    &alen), 0);
	/* `utils itl reset`: same records, signed by ITLRecovery. */
	assert_int_equal(sbd_tl_resign(a, alen, p->rec, p->rec_k, 1600000100,
	    &r, &rlen, NULL), 0);
	ta = must_parse(a, alen);
	tr = must_parse(r, rlen);
	assert_int_equal(rlen - tr->hdr.hdr_len, alen - ta->hdr.hdr_len);
	assert_memory_equal(r + tr->hdr.hdr_len, a + ta->hdr.hdr_len,
	    alen - ta->hdr.hdr_len);
	assert_string_equal(tr->hdr.filename, "ITLFile.tlv");
	assert_true(tr->hdr.has_signer_version);
	assert_int_equal(tr->hdr.timestamp, 1600000100);
	assert_string_equal(tr->hdr.signer_name,
	    "CN=ITLRECOVERY_pub.example,O=opensbd tests");
	assert_int_equal(sbd_tl_verify(r, rlen, tr, NULL, &idx), 0);
	assert_int_equal(idx, 2);	/* the ITLRecovery record */
	/* The new key only. */
	assert_int_equal(sbd_tl_verify(r, rlen, tr, p->tftp, NULL),
	    SBD_ERR_SIG);
	assert_int_equal(sbd_tl_verify(r, rlen, tr, p->rec, NULL), 0);
	sbd_tl_free(ta);
	sbd_tl_free(tr);
	free(a);
	free(r);
}

static void
test_rollback_empty_records(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e[3];
	struct sbd_tl_opts o = { 0 };
	uint8_t *out = NULL;
	size_t outlen = 0;
	struct sbd_tl *tl;

	memset(e, 0, sizeof(e));
	e[0].role = SBD_ROLE_SAST;
	e[0].cert = p->tftp;
	e[1].role = SBD_ROLE_TFTP;	/* no certificate: empty */
	e[2].role = SBD_ROLE_TVS;
	e[2].dns_name = "10.48.47.153";
	e[2].has_ip = 1;
	memcpy(e[2].ip, "\x0a\x30\x2f\x99", 4);
	o.filename = "ITLFile.tlv";
	assert_int_equal(sbd_tl_build(&o, e, 3, p->tftp, p->tftp_k, &out,
	    &outlen), 0);
	tl = must_parse(out, outlen);
	assert_int_equal(tl->nrec, 3);
	/* FORMATS.md 4.7: RECORD_LENGTH and FUNCTION only. */
	assert_int_equal(tl->rec[1].len, 10);
	assert_int_equal(tl->rec[1].nelem, 2);
	assert_null(tl->rec[1].cert);
	/* The CUCM non-secure CTL shape: 5 + 16 + 5 + 7 = 33. */
	assert_int_equal(tl->rec[2].len, 33);
	assert_int_equal(sbd_tl_verify(out, outlen, tl, NULL, NULL), 0);
	sbd_tl_free(tl);
	free(out);
}

static void
test_roles(void **state)
{
	(void)state;
	assert_string_equal(sbd_role_cucm_name(0),
	    "System Administrator Security Token");
	assert_string_equal(sbd_role_cucm_name(2), "CCM+TFTP");
	assert_null(sbd_role_cucm_name(6));
	assert_int_equal(sbd_role_parse("tvs"), 21);
	assert_int_equal(sbd_role_parse("APP-SERVER"), 7);
	assert_int_equal(sbd_role_parse("HTTPS"), 7);
	assert_int_equal(sbd_role_parse("3"), 3);
	assert_int_equal(sbd_role_parse("65536"), -1);
	assert_int_equal(sbd_role_parse("bogus"), -1);
	assert_int_equal(sbd_role_parse(""), -1);
}

static void
test_role_list(void **state)
{
	static const uint8_t codes[] = { 0, 1, 3, 6, 21 };
	char buf[64], small[9];

	(void)state;
	sbd_role_list(codes, sizeof(codes), buf, sizeof(buf));
	assert_string_equal(buf, "SAST,CCM,TFTP,6,TVS");
	sbd_role_list(codes, 0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	/* Cut to fit, always terminated, never written past cap. */
	memset(small, 'x', sizeof(small));
	sbd_role_list(codes, sizeof(codes), small, sizeof(small) - 1);
	assert_string_equal(small, "SAST,CC");
	assert_int_equal(small[sizeof(small) - 1], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_freepbx_parses_and_verifies),
		cmocka_unit_test(test_csptech_serial_without_sign_byte),
		cmocka_unit_test(test_views_match_certutils),
		cmocka_unit_test(test_rebuild_records_byte_exact),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_flipped_bit_anywhere_fails),
		cmocka_unit_test(test_signature_bit_flip),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_any_order_inside_containers),
		cmocka_unit_test(test_malformed_records),
		cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_signer_sizes),
		cmocka_unit_test(test_ec_signer_refused),
		cmocka_unit_test(test_too_big_refused),
		cmocka_unit_test(test_resign),
		cmocka_unit_test(test_rollback_empty_records),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_role_list),
	};

	return cmocka_run_group_tests_name("trustlist", tests, setup_pki,
	    teardown_pki);
}
