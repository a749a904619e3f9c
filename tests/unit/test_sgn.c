/* Unit tests: signed files (lib/sgn.c) and the header they share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helper_pki.h"
#include "sbd/sgn.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"

#define FW69 "public/fw-BOOT69xx.0-0-0-14.zz.sgn"
#define FW894 "public/fw-BOOT894x.0-0-2-0.bin.sgn"

static const char cnf[] = "<?xml version=\"1.0\"?>\n<device>"
    "<deviceProtocol>SIP</deviceProtocol></device>\n";

struct pki {
	X509 *tftp, *other;
	EVP_PKEY *tftp_k, *other_k;
};

static int
setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	th_rsa_cert(1024, "tftp.example", &p->tftp, &p->tftp_k);
	th_rsa_cert(1024, "other.example", &p->other, &p->other_k);
	*state = p;
	return 0;
}

static int
teardown(void **state)
{
	struct pki *p = *state;

	X509_free(p->tftp);
	X509_free(p->other);
	EVP_PKEY_free(p->tftp_k);
	EVP_PKEY_free(p->other_k);
	free(p);
	return 0;
}

static void
check_firmware(const char *file, const char *name)
{
	static const uint8_t serial[] = { 0x12, 0x34, 0x56, 0x78, 0x90, 0xab,
		0xcd, 0xef };
	struct sbd_sighdr h;
	struct sbd_diag d = { 0 };
	size_t n, plen, i, pads = 0;
	uint8_t *b = th_read(file, &n);
	const uint8_t *payload;

	assert_int_equal(sbd_sgn_parse(b, n, 0, &h, &d), 0);
	assert_int_equal(h.ver_major, 1);
	assert_int_equal(h.ver_minor, 1);
	assert_int_equal(h.hdr_len, 412);
	assert_false(h.has_timestamp);
	assert_string_equal(h.filename, name);
	assert_string_equal(h.signer_name,
	    "CN=someSigner;OU=someOrgUnit;O=someOrg");
	assert_string_equal(h.issuer_name, "CN=someCA;OU=someOrgUnit;O=someOrg");
	assert_int_equal(h.serial_len, sizeof(serial));
	assert_memory_equal(h.serial, serial, sizeof(serial));
	assert_int_equal(h.hash_alg, SBD_HASH_SHA1);
	assert_int_equal(h.sig_len, 256);
	for (i = 0; i < h.nelem; i++)
		pads += h.elem[i].tag == SBD_H_PADDING;
	assert_int_equal(pads, 3);
	assert_int_equal(sbd_sgn_strip(b, n, &payload, &plen, &d), 0);
	assert_ptr_equal(payload, b + 412);
	assert_int_equal(plen, n - 412);
	free(b);
}

static void
test_cisco_firmware(void **state)
{
	(void)state;
	check_firmware(FW69, "BOOT69xx.0-0-0-14.zz.sgn");
	check_firmware(FW894, "BOOT894x.0-0-2-0.bin.sgn");
}

static void
test_sign_roundtrip(void **state)
{
	struct pki *p = *state;
	int hashes[] = { SBD_HASH_SHA1, SBD_HASH_SHA512 };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct sbd_sighdr h;
		uint8_t *out = NULL;
		const uint8_t *pl;
		size_t outlen = 0, plen;

		assert_int_equal(sbd_sgn_sign((const uint8_t *)cnf,
		    sizeof(cnf) - 1, "SEP001122334455.cnf.xml.sgn", hashes[i],
		    1700000000, p->tftp, p->tftp_k, &out, &outlen), 0);
		assert_int_equal(sbd_sgn_parse(out, outlen, 0, &h, NULL), 0);
		assert_int_equal(h.ver_major, 1);
		assert_int_equal(h.ver_minor, 0);
		assert_false(h.has_signer_version);
		assert_int_equal(h.hash_alg, hashes[i]);
		assert_int_equal(h.hdr_len % 4, 0);
		assert_int_equal(h.timestamp, 1700000000);
		assert_string_equal(h.filename, "SEP001122334455.cnf.xml.sgn");
		assert_int_equal(sbd_sgn_verify_cert(out, outlen, &h, p->tftp),
		    0);
		/* Another certificate is not the signer. */
		assert_int_equal(sbd_sgn_verify_cert(out, outlen, &h,
		    p->other), SBD_ERR_NOSIGNER);
		assert_int_equal(sbd_sgn_strip(out, outlen, &pl, &plen, NULL),
		    0);
		assert_int_equal(plen, sizeof(cnf) - 1);
		assert_memory_equal(pl, cnf, plen);
		free(out);
	}
}

static void
test_flipped_bit_and_trailing(void **state)
{
	struct pki *p = *state;
	struct sbd_sighdr h;
	uint8_t *out = NULL, *big;
	size_t outlen = 0, i;

	assert_int_equal(sbd_sgn_sign((const uint8_t *)cnf, sizeof(cnf) - 1,
	    "x.sgn", SBD_HASH_SHA1, 1, p->tftp, p->tftp_k, &out, &outlen), 0);
	for (i = 0; i < outlen; i++) {
		int ok;

		out[i] ^= 0x04;
		ok = sbd_sgn_parse(out, outlen, 0, &h, NULL) == 0 &&
		    sbd_sgn_verify_cert(out, outlen, &h, p->tftp) == 0;
		if (ok)
			fail_msg("bit flip at %zu still verifies", i);
		out[i] ^= 0x04;
	}
	/* Trailing bytes are payload, and the signature covers them. */
	big = malloc(outlen + 1);
	memcpy(big, out, outlen);
	big[outlen] = '\n';
	assert_int_equal(sbd_sgn_parse(big, outlen + 1, 0, &h, NULL), 0);
	assert_int_equal(sbd_sgn_verify_cert(big, outlen + 1, &h, p->tftp),
	    SBD_ERR_SIG);
	free(big);
	/* Truncated anywhere: parse or verification fails. */
	for (i = 0; i < outlen; i++) {
		int ok = sbd_sgn_parse(out, i, 0, &h, NULL) == 0 &&
		    sbd_sgn_verify_cert(out, i, &h, p->tftp) == 0;

		assert_false(ok);
	}
	/* Bad version. */
	out[3] = 7;
	assert_int_equal(sbd_sgn_parse(out, outlen, 0, &h, NULL),
	    SBD_ERR_VERSION);
	free(out);
}

static void
test_verify_against_trust_list(void **state)
{
	struct pki *p = *state;
	struct sbd_tl_entry e[2];
	struct sbd_tl_opts o = { 0 };
	struct sbd_sighdr h;
	struct sbd_tl *tl = NULL;
	uint8_t *itl = NULL, *out = NULL;
	size_t itllen = 0, outlen = 0;
	int idx = -1, role;

	assert_int_equal(sbd_sgn_sign((const uint8_t *)cnf, sizeof(cnf) - 1,
	    "SEP1.cnf.xml.sgn", SBD_HASH_SHA1, 1, p->tftp, p->tftp_k, &out,
	    &outlen), 0);
	assert_int_equal(sbd_sgn_parse(out, outlen, 0, &h, NULL), 0);
	o.filename = "ITLFile.tlv";
	memset(e, 0, sizeof(e));
	e[0].role = SBD_ROLE_SAST;
	e[0].cert = p->other;
	e[1].cert = p->tftp;
	/* Only TFTP and CCM+TFTP records may sign files. */
	for (role = 0; role < 22; role++) {
		int want = role == SBD_ROLE_TFTP || role == SBD_ROLE_CCM_TFTP;

		if (sbd_role_name(role) == NULL)
			continue;
		e[1].role = (uint16_t)role;
		assert_int_equal(sbd_tl_build(&o, e, 2, p->other, p->other_k,
		    &itl, &itllen), 0);
		assert_int_equal(sbd_tl_parse(itl, itllen, 0, &tl, NULL), 0);
		idx = -1;
		assert_int_equal(sbd_sgn_verify_tl(out, outlen, &h, tl, &idx),
		    want ? 0 : SBD_ERR_NOSIGNER);
		assert_int_equal(idx, want ? 1 : -1);
		sbd_tl_free(tl);
		free(itl);
	}
	free(out);
}

static void
test_filename_rules(void **state)
{
	struct pki *p = *state;
	uint8_t *out = NULL;
	size_t outlen = 0;
	char longname[300];

	(void)state;
	assert_int_equal(sbd_sgn_filename_ok("SEP1.cnf.xml.sgn"), 0);
	assert_int_equal(sbd_sgn_filename_ok("New_Zealand/g3-tones.xml.sgn"),
	    0);
	assert_int_equal(sbd_sgn_filename_ok(
	    "Desktops/320x196x4/List.xml.sgn"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok(""), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("/etc/passwd"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("a/../b.sgn"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok(".."), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("a//b"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("a/./b"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("dir/"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("a\\b.sgn"), 0);
	assert_int_not_equal(sbd_sgn_filename_ok("a\nb"), 0);
	memset(longname, 'a', sizeof(longname));
	longname[SBD_FILENAME_MAX] = '\0';
	assert_int_equal(sbd_sgn_filename_ok(longname), 0);
	longname[SBD_FILENAME_MAX] = 'a';
	longname[SBD_FILENAME_MAX + 1] = '\0';
	assert_int_not_equal(sbd_sgn_filename_ok(longname), 0);
	assert_int_equal(sbd_sgn_sign((const uint8_t *)"x", 1, "../x.sgn",
	    SBD_HASH_SHA1, 1, p->tftp, p->tftp_k, &out, &outlen),
	    SBD_ERR_INVAL);
	assert_null(out);
}

static void
test_sha512_needs_rsa1024(void **state)
{
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *out = NULL;
	size_t outlen = 0;

	(void)state;
	/* An 83-byte SHA-512 DigestInfo cannot fit a 64-byte signature. */
	th_rsa_cert(512, "small", &c, &k);
	assert_int_equal(sbd_sgn_sign((const uint8_t *)"x", 1, "x.sgn",
	    SBD_HASH_SHA512, 1, c, k, &out, &outlen), SBD_ERR_KEY);
	assert_null(out);
	assert_int_equal(sbd_sgn_sign((const uint8_t *)"x", 1, "x.sgn",
	    SBD_HASH_SHA1, 1, c, k, &out, &outlen), 0);
	free(out);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void
test_strip_errors(void **state)
{
	static const uint8_t notsgn[] = "hello world";
	static const uint8_t shorthdr[] = { 0x01, 0x00, 0x02, 0x01, 0x00, 0x02,
		0x00, 0x02, 0x00, 0x40 };
	const uint8_t *pl = NULL;
	size_t plen = 0;
	struct sbd_diag d = { 0 };

	(void)state;
	assert_int_equal(sbd_sgn_strip(notsgn, sizeof(notsgn), &pl, &plen, &d),
	    SBD_ERR_TAG);
	assert_int_equal(d.off, 0);
	assert_null(pl);
	/* HEADER_LENGTH 64 in a 10-byte file. */
	assert_int_equal(sbd_sgn_strip(shorthdr, sizeof(shorthdr), &pl, &plen,
	    &d), SBD_ERR_TRUNCATED);
	assert_int_equal(d.off, 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cisco_firmware),
		cmocka_unit_test(test_sign_roundtrip),
		cmocka_unit_test(test_flipped_bit_and_trailing),
		cmocka_unit_test(test_verify_against_trust_list),
		cmocka_unit_test(test_filename_rules),
		cmocka_unit_test(test_sha512_needs_rsa1024),
		cmocka_unit_test(test_strip_errors),
	};

	return cmocka_run_group_tests_name("sgn", tests, setup, teardown);
}
