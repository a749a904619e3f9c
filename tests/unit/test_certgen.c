/* Unit tests of lib/certgen.c: keys, certificates, PKCS#12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sbd/x509.h"

#define NB_FIXED ((time_t)1700000000)	/* 2023-11-14 22:13:20 UTC */
#define SENTINEL ((void *)0x5bd)

struct fx {
	EVP_PKEY *rsa;		/* 1024 bits: quick to sign with */
	EVP_PKEY *ec;		/* P-256 */
	EVP_PKEY *ec2;		/* another P-256, matches nothing */
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (sbd_key_generate(SBD_KEY_RSA, 1024, &f->rsa) != 0 ||
	    sbd_key_generate(SBD_KEY_EC, NID_X9_62_prime256v1, &f->ec) != 0 ||
	    sbd_key_generate(SBD_KEY_EC, NID_X9_62_prime256v1, &f->ec2) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	EVP_PKEY_free(f->rsa);
	EVP_PKEY_free(f->ec);
	EVP_PKEY_free(f->ec2);
	free(f);
	return 0;
}

static void
req_init(struct sbd_cert_req *r, const char *cn, EVP_PKEY *key)
{
	memset(r, 0, sizeof(*r));
	r->cn = cn;
	r->days = 365;
	r->not_before = NB_FIXED;
	r->profile = SBD_CERT_SERVER;
	r->key = key;
}

static X509 *
make(const struct sbd_cert_req *r)
{
	X509 *x = NULL;

	assert_int_equal(sbd_cert_create(r, &x), 0);
	assert_non_null(x);
	return x;
}

static void
assert_dn(const X509_NAME *n, const char *want)
{
	char *s = NULL;

	assert_int_equal(sbd_dn_string(n, &s), 0);
	assert_string_equal(s, want);
	free(s);
}

static int
has_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku;
	int i, found = 0;

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	if (eku == NULL)
		return 0;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			found = 1;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static int
ext_critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	return X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* ---- keys ---------------------------------------------------------------- */

static void
test_key_rsa(void **state)
{
	static const int sizes[] = { 1024, 2048 };
	EVP_PKEY *k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		k = NULL;
		assert_int_equal(sbd_key_generate(SBD_KEY_RSA, sizes[i], &k),
		    0);
		assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
		assert_int_equal(EVP_PKEY_get_bits(k), sizes[i]);
		EVP_PKEY_free(k);
	}
}

static void
test_key_ec(void **state)
{
	static const struct {
		int nid;
		int bits;
		const char *group;
	} c[] = {
		{ NID_X9_62_prime256v1, 256, "prime256v1" },
		{ NID_secp384r1, 384, "secp384r1" },
	};
	char name[64];
	size_t i, n;
	EVP_PKEY *k;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		k = NULL;
		assert_int_equal(sbd_key_generate(SBD_KEY_EC, c[i].nid, &k),
		    0);
		assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
		assert_int_equal(EVP_PKEY_get_bits(k), c[i].bits);
		assert_int_equal(EVP_PKEY_get_group_name(k, name,
		    sizeof(name), &n), 1);
		assert_string_equal(name, c[i].group);
		EVP_PKEY_free(k);
	}
}

static void
test_key_invalid(void **state)
{
	EVP_PKEY *k = SENTINEL;

	(void)state;
	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 511, &k),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 4097, &k),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_key_generate(SBD_KEY_EC, NID_secp224r1, &k),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_key_generate(SBD_KEY_EC, NID_undef, &k),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_key_generate((enum sbd_keytype)7, 2048, &k),
	    SBD_ERR_INVAL);
	assert_ptr_equal(k, SENTINEL);
}

static void
test_curve_nid(void **state)
{
	(void)state;
	assert_int_equal(sbd_curve_nid("P-256"), NID_X9_62_prime256v1);
	assert_int_equal(sbd_curve_nid("prime256v1"), NID_X9_62_prime256v1);
	assert_int_equal(sbd_curve_nid("secp256r1"), NID_X9_62_prime256v1);
	assert_int_equal(sbd_curve_nid("p-384"), NID_secp384r1);
	assert_int_equal(sbd_curve_nid("secp384r1"), NID_secp384r1);
	assert_int_equal(sbd_curve_nid("P-521"), NID_secp521r1);
	assert_int_equal(sbd_curve_nid("secp521r1"), NID_secp521r1);
	assert_int_equal(sbd_curve_nid("P-224"), NID_undef);
	assert_int_equal(sbd_curve_nid(""), NID_undef);
	assert_int_equal(sbd_curve_nid(NULL), NID_undef);
}

/* ---- certificates -------------------------------------------------------- */

static void
test_selfsigned_server(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x;
	uint32_t ku;

	req_init(&r, "a", f->rsa);
	r.ou = "b";
	r.o = "c";
	x = make(&r);
	assert_int_equal(X509_verify(x, f->rsa), 1);
	assert_true(X509_verify(x, f->ec) <= 0);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(X509_get_signature_nid(x),
	    NID_sha256WithRSAEncryption);
	assert_dn(X509_get_subject_name(x), "CN=a,OU=b,O=c");
	assert_dn(X509_get_issuer_name(x), "CN=a,OU=b,O=c");
	assert_int_equal(X509_check_ca(x), 0);
	ku = X509_get_key_usage(x);
	assert_true(ku & KU_DIGITAL_SIGNATURE);
	assert_true(ku & KU_KEY_ENCIPHERMENT);
	assert_false(ku & KU_KEY_CERT_SIGN);
	assert_true(has_eku(x, NID_server_auth));
	assert_true(has_eku(x, NID_client_auth));
	assert_true(has_eku(x, NID_ipsecEndSystem));
	assert_non_null(X509_get0_subject_key_id(x));
	assert_int_equal(X509_get_ext_by_NID(x, NID_authority_key_identifier,
	    -1), -1);
	assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1),
	    -1);
	assert_int_equal(X509_check_private_key(x, f->rsa), 1);
	X509_free(x);
}

static void
test_subject_order(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x;

	req_init(&r, "test10pub.joemar2.lab", f->rsa);
	/* Filled in an order unlike the DER order, which must not matter. */
	r.c = "US";
	r.st = "nc";
	r.l = "rtp";
	r.o = "cisco";
	r.ou = "tac";
	x = make(&r);
	assert_dn(X509_get_subject_name(x),
	    "CN=test10pub.joemar2.lab,OU=tac,O=cisco,L=rtp,ST=nc,C=US");
	X509_free(x);

	req_init(&r, "only", f->ec);
	r.st = "x";
	x = make(&r);
	assert_dn(X509_get_subject_name(x), "CN=only,ST=x");
	X509_free(x);

	/* UTF-8 survives as UTF-8. */
	req_init(&r, "Krak\xc3\xb3w", f->ec);
	x = make(&r);
	assert_dn(X509_get_subject_name(x), "CN=Krak\xc3\xb3w");
	X509_free(x);
}

static void
test_ca_profile(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x;
	uint32_t ku;

	req_init(&r, "ITLRECOVERY_pub", f->rsa);
	r.profile = SBD_CERT_CA;
	x = make(&r);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(ext_critical(x, NID_basic_constraints), 1);
	ku = X509_get_key_usage(x);
	assert_true(ku & KU_KEY_CERT_SIGN);
	assert_true(ku & KU_CRL_SIGN);
	assert_true(ku & KU_DIGITAL_SIGNATURE);
	assert_true(ku & KU_KEY_ENCIPHERMENT);
	assert_true(has_eku(x, NID_server_auth));
	assert_true(has_eku(x, NID_client_auth));
	assert_false(has_eku(x, NID_ipsecEndSystem));
	X509_free(x);
}

static void
test_ec_key_usage(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x;

	/* An EC key cannot encipher: no keyEncipherment bit. */
	req_init(&r, "ec", f->ec);
	x = make(&r);
	assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	assert_false(X509_get_key_usage(x) & KU_KEY_ENCIPHERMENT);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_verify(x, f->ec), 1);
	X509_free(x);
}

static void
test_issued_by_ca(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *ca, *leaf;
	X509_STORE *st;
	X509_STORE_CTX *ctx;
	GENERAL_NAMES *san;
	AUTHORITY_KEYID *akid;
	const GENERAL_NAME *gn;

	/* An EC CA signs with ECDSA-SHA256 a leaf holding an RSA key. */
	req_init(&r, "CAPF-75638ad9", f->ec);
	r.ou = "tac";
	r.profile = SBD_CERT_CA;
	ca = make(&r);

	req_init(&r, "SEP001122334455", f->rsa);
	r.profile = SBD_CERT_DEVICE;
	r.dns = "sep.example.com";
	r.issuer = ca;
	r.issuer_key = f->ec;
	leaf = make(&r);

	assert_int_equal(X509_verify(leaf, f->ec), 1);
	assert_int_equal(X509_verify(leaf, f->ec2), 0);
	assert_int_equal(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
	assert_dn(X509_get_issuer_name(leaf), "CN=CAPF-75638ad9,OU=tac");
	assert_dn(X509_get_subject_name(leaf), "CN=SEP001122334455");
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(X509_check_private_key(leaf, f->rsa), 1);
	assert_true(has_eku(leaf, NID_client_auth));
	assert_true(has_eku(leaf, NID_server_auth));
	assert_false(has_eku(leaf, NID_ipsecEndSystem));

	/* authorityKeyIdentifier = the CA's subjectKeyIdentifier. */
	akid = X509_get_ext_d2i(leaf, NID_authority_key_identifier, NULL,
	    NULL);
	assert_non_null(akid);
	assert_non_null(akid->keyid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid,
	    X509_get0_subject_key_id(ca)), 0);
	AUTHORITY_KEYID_free(akid);

	san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	assert_int_equal(gn->type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.dNSName),
	    "sep.example.com");
	GENERAL_NAMES_free(san);

	/* A real path validation, at a time inside both validities. */
	st = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	assert_non_null(st);
	assert_non_null(ctx);
	assert_int_equal(X509_STORE_add_cert(st, ca), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
	X509_STORE_CTX_set_time(ctx, 0, NB_FIXED + 86400);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);

	X509_free(leaf);
	X509_free(ca);
}

static void
test_validity(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x;
	int day, sec;
	time_t before, after;

	/* ITLRecovery: exactly five years of 365 days (SPEC.md). */
	req_init(&r, "ITLRECOVERY_pub", f->rsa);
	r.profile = SBD_CERT_CA;
	r.days = 1825;
	x = make(&r);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x),
	    NB_FIXED), 0);
	assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(day, 1825);
	assert_int_equal(sec, 0);
	X509_free(x);

	/* not_before 0 means now. */
	req_init(&r, "now", f->ec);
	r.not_before = 0;
	r.days = 1;
	before = time(NULL);
	x = make(&r);
	after = time(NULL);
	assert_true(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x),
	    before) >= 0);
	assert_true(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), after) <= 0);
	assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	assert_int_equal(day, 1);
	assert_int_equal(sec, 0);
	X509_free(x);

	/* The upper bound is accepted. */
	req_init(&r, "long", f->ec);
	r.days = 36500;
	x = make(&r);
	X509_free(x);
}

static void
test_serial(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *x[8];
	uint8_t *s[8];
	size_t n[8], i, j;

	req_init(&r, "serial", f->ec);
	for (i = 0; i < 8; i++) {
		x[i] = make(&r);
		assert_int_equal(ASN1_STRING_type(X509_get0_serialNumber(x[i])),
		    V_ASN1_INTEGER);	/* not V_ASN1_NEG_INTEGER */
		assert_int_equal(sbd_x509_serial(x[i], &s[i], &n[i]), 0);
		assert_true(n[i] >= 1 && n[i] <= 16);
		/* Below 2^-64 odds that 128 random bits fit in 8 bytes. */
		assert_true(n[i] > 8);
	}
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			assert_false(n[i] == n[j] &&
			    memcmp(s[i], s[j], n[i]) == 0);
	for (i = 0; i < 8; i++) {
		free(s[i]);
		X509_free(x[i]);
	}
}

static void
expect_inval(const struct sbd_cert_req *r)
{
	X509 *x = SENTINEL;

	assert_int_equal(sbd_cert_create(r, &x), SBD_ERR_INVAL);
	assert_ptr_equal(x, SENTINEL);
}

static void
test_invalid_requests(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	X509 *ca, *server, *x = SENTINEL;
	char longcn[66];

	req_init(&r, "ca", f->ec);
	r.profile = SBD_CERT_CA;
	ca = make(&r);
	req_init(&r, "server", f->rsa);
	server = make(&r);

	req_init(&r, NULL, f->rsa);
	expect_inval(&r);
	req_init(&r, "", f->rsa);
	expect_inval(&r);
	req_init(&r, "a", f->rsa);
	r.days = 0;
	expect_inval(&r);
	r.days = -1;
	expect_inval(&r);
	r.days = 36501;
	expect_inval(&r);
	req_init(&r, "a", NULL);
	expect_inval(&r);
	req_init(&r, "a", f->rsa);
	r.not_before = -5;
	expect_inval(&r);

	/* Issuer and issuer key: both or neither, and they must match. */
	req_init(&r, "a", f->rsa);
	r.issuer = ca;
	expect_inval(&r);
	r.issuer = NULL;
	r.issuer_key = f->ec;
	expect_inval(&r);
	r.issuer = ca;
	r.issuer_key = f->ec2;
	expect_inval(&r);
	r.issuer_key = f->rsa;
	expect_inval(&r);
	/* A certificate that is not a CA cannot issue. */
	r.issuer = server;
	r.issuer_key = f->rsa;
	expect_inval(&r);

	/* Names: RFC 5280 bounds, two-letter country, no controls. */
	memset(longcn, 'x', 65);
	longcn[65] = '\0';
	req_init(&r, longcn, f->rsa);
	expect_inval(&r);
	longcn[64] = '\0';
	r.cn = longcn;
	x = make(&r);
	X509_free(x);
	req_init(&r, "a\nCN=forged", f->rsa);
	expect_inval(&r);
	req_init(&r, "a\xc0\xaf", f->rsa);	/* overlong '/' */
	expect_inval(&r);
	req_init(&r, "a\xed\xa0\x80", f->rsa);	/* a surrogate */
	expect_inval(&r);
	req_init(&r, "a", f->rsa);
	r.c = "USA";
	expect_inval(&r);
	r.c = "U1";
	expect_inval(&r);
	r.c = NULL;
	r.ou = "";
	expect_inval(&r);
	r.ou = NULL;
	r.dns = "a b.example";
	expect_inval(&r);
	r.dns = "a.example,IP:127.0.0.1";
	expect_inval(&r);
	r.dns = NULL;
	r.profile = (enum sbd_cert_profile)(SBD_CERT_LSC + 1);
	expect_inval(&r);

	assert_int_equal(sbd_cert_create(NULL, &x), SBD_ERR_INVAL);
	req_init(&r, "a", f->rsa);
	assert_int_equal(sbd_cert_create(&r, NULL), SBD_ERR_INVAL);

	X509_free(server);
	X509_free(ca);
}

/* ---- PKCS#12 ------------------------------------------------------------- */

static X509 *
p12_fixture(struct fx *f, EVP_PKEY *k, uint8_t **p12, size_t *len)
{
	struct sbd_cert_req r;
	X509 *x;

	(void)f;
	req_init(&r, "ITLRECOVERY_pub", k);
	r.profile = SBD_CERT_CA;
	x = make(&r);
	assert_int_equal(sbd_p12_export(x, k, "s3cret", "itlrecovery", p12,
	    len), 0);
	return x;
}

static void
test_p12_roundtrip(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *keys[2] = { f->rsa, f->ec }, *k2;
	uint8_t *p12, *d1, *d2;
	size_t len, n1, n2, i;
	X509 *x, *c2;
	PKCS12 *pk;
	const unsigned char *q;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	EVP_MD_CTX *md;
	uint8_t sig[256];
	size_t siglen = sizeof(sig);

	for (i = 0; i < 2; i++) {
		x = p12_fixture(f, keys[i], &p12, &len);
		c2 = NULL;
		k2 = NULL;
		assert_int_equal(sbd_p12_import(p12, len, "s3cret", &c2, &k2),
		    0);
		assert_int_equal(sbd_x509_der(x, &d1, &n1), 0);
		assert_int_equal(sbd_x509_der(c2, &d2, &n2), 0);
		assert_int_equal(n1, n2);
		assert_memory_equal(d1, d2, n1);
		OPENSSL_free(d1);
		OPENSSL_free(d2);
		assert_int_equal(sbd_key_matches(c2, k2), 1);

		/* The imported key is a private key: it signs. */
		md = EVP_MD_CTX_new();
		assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(),
		    NULL, k2), 1);
		assert_int_equal(EVP_DigestSign(md, sig, &siglen,
		    (const uint8_t *)"x", 1), 1);
		EVP_MD_CTX_free(md);
		siglen = sizeof(sig);

		/* MAC is HMAC-SHA256, not OpenSSL's SHA-1 default. */
		q = p12;
		pk = d2i_PKCS12(NULL, &q, (long)len);
		assert_non_null(pk);
		PKCS12_get0_mac(NULL, &alg, NULL, NULL, pk);
		assert_non_null(alg);
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
		assert_int_equal(OBJ_obj2nid(obj), NID_sha256);
		PKCS12_free(pk);

		EVP_PKEY_free(k2);
		X509_free(c2);
		X509_free(x);
		free(p12);
	}
}

static void
test_p12_encryption(void **state)
{
	struct fx *f = *state;
	uint8_t *p12;
	size_t len;
	X509 *x;
	PKCS12 *pk;
	STACK_OF(PKCS7) *safes;
	STACK_OF(PKCS12_SAFEBAG) *bags;
	const PKCS12_SAFEBAG *bag;
	const X509_SIG *shrouded;
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	const unsigned char *q;
	PBE2PARAM *pbe2;
	PKCS7 *p7;
	int i, j, saw_key = 0, saw_encdata = 0;

	x = p12_fixture(f, f->rsa, &p12, &len);
	q = p12;
	pk = d2i_PKCS12(NULL, &q, (long)len);
	assert_non_null(pk);
	safes = PKCS12_unpack_authsafes(pk);
	assert_non_null(safes);
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		p7 = sk_PKCS7_value(safes, i);
		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
			/* The certificate bag: PBES2 with AES-256-CBC. */
			alg = p7->d.encrypted->enc_data->algorithm;
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
			assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
			pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(
			    PBE2PARAM), alg->parameter);
			assert_non_null(pbe2);
			assert_int_equal(OBJ_obj2nid(pbe2->encryption->
			    algorithm), NID_aes_256_cbc);
			PBE2PARAM_free(pbe2);
			saw_encdata = 1;
			continue;
		}
		bags = PKCS12_unpack_p7data(p7);
		assert_non_null(bags);
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			bag = sk_PKCS12_SAFEBAG_value(bags, j);
			if (PKCS12_SAFEBAG_get_nid(bag) !=
			    NID_pkcs8ShroudedKeyBag)
				continue;
			shrouded = PKCS12_SAFEBAG_get0_pkcs8(bag);
			X509_SIG_get0(shrouded, &alg, NULL);
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
			assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
			pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(
			    PBE2PARAM), alg->parameter);
			assert_non_null(pbe2);
			assert_int_equal(OBJ_obj2nid(pbe2->encryption->
			    algorithm), NID_aes_256_cbc);
			PBE2PARAM_free(pbe2);
			saw_key = 1;
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	assert_true(saw_key);
	assert_true(saw_encdata);
	sk_PKCS7_pop_free(safes, PKCS7_free);
	PKCS12_free(pk);
	X509_free(x);
	free(p12);
}

static void
test_p12_wrong_password(void **state)
{
	struct fx *f = *state;
	uint8_t *p12;
	size_t len;
	X509 *x, *c = SENTINEL;
	EVP_PKEY *k = SENTINEL;

	x = p12_fixture(f, f->ec, &p12, &len);
	assert_int_equal(sbd_p12_import(p12, len, "s3creT", &c, &k),
	    SBD_ERR_PASSWORD);
	assert_int_equal(sbd_p12_import(p12, len, "", &c, &k),
	    SBD_ERR_PASSWORD);
	assert_ptr_equal(c, SENTINEL);
	assert_ptr_equal(k, SENTINEL);
	X509_free(x);
	free(p12);
}

static void
test_p12_garbage(void **state)
{
	struct fx *f = *state;
	uint8_t *p12, *buf, junk[512];
	size_t len, n, i;
	X509 *x, *c = SENTINEL;
	EVP_PKEY *k = SENTINEL;
	int err;

	x = p12_fixture(f, f->ec, &p12, &len);

	/* Every truncation fails cleanly. */
	for (n = 0; n < len; n++) {
		err = sbd_p12_import(p12, n, "s3cret", &c, &k);
		assert_true(err < 0);
	}
	/* Trailing bytes after a good file. */
	buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, p12, len);
	buf[len] = 0;
	assert_int_equal(sbd_p12_import(buf, len + 1, "s3cret", &c, &k),
	    SBD_ERR_TRAILING);
	/* A flipped bit anywhere is caught (DER, MAC or decryption). */
	for (i = 0; i < len; i += 7) {
		memcpy(buf, p12, len);
		buf[i] ^= 0x10;
		assert_true(sbd_p12_import(buf, len, "s3cret", &c, &k) < 0);
	}
	free(buf);
	/* Noise and a PEM certificate are not PKCS#12. */
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	assert_int_equal(sbd_p12_import(junk, sizeof(junk), "s3cret", &c, &k),
	    SBD_ERR_VALUE);
	assert_int_equal(sbd_p12_import((const uint8_t *)"-----BEGIN", 10,
	    "s3cret", &c, &k), SBD_ERR_VALUE);
	assert_int_equal(sbd_p12_import(NULL, 0, "s3cret", &c, &k),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_p12_import(p12, len, NULL, &c, &k),
	    SBD_ERR_INVAL);
	assert_ptr_equal(c, SENTINEL);
	assert_ptr_equal(k, SENTINEL);
	X509_free(x);
	free(p12);
}

/* A PKCS#12 made by OpenSSL directly, as another tool would. */
static void
peer_p12(X509 *x, EVP_PKEY *k, const char *pass, uint8_t **out, size_t *len)
{
	PKCS12 *pk;
	int n;
	unsigned char *q;

	pk = PKCS12_create(pass, NULL, k, x, NULL, 0, 0, 0, 0, 0);
	assert_non_null(pk);
	n = i2d_PKCS12(pk, NULL);
	assert_true(n > 0);
	*out = malloc((size_t)n);
	assert_non_null(*out);
	q = *out;
	assert_int_equal(i2d_PKCS12(pk, &q), n);
	*len = (size_t)n;
	PKCS12_free(pk);
}

static void
test_p12_peer_files(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	uint8_t *p12;
	size_t len;
	X509 *x, *c = SENTINEL;
	EVP_PKEY *k = SENTINEL;

	req_init(&r, "peer", f->rsa);
	x = make(&r);

	/* Certificate only: import must not hand out half a pair. */
	peer_p12(x, NULL, "pw", &p12, &len);
	assert_int_equal(sbd_p12_import(p12, len, "pw", &c, &k),
	    SBD_ERR_MISSING);
	assert_ptr_equal(c, SENTINEL);
	assert_ptr_equal(k, SENTINEL);
	free(p12);

	/* An empty password (NULL or "" to the writer) reads as "". */
	peer_p12(x, f->rsa, "", &p12, &len);
	assert_int_equal(sbd_p12_import(p12, len, "x", &c, &k),
	    SBD_ERR_PASSWORD);
	assert_int_equal(sbd_p12_import(p12, len, "", &c, &k), 0);
	assert_int_equal(X509_cmp(c, x), 0);
	assert_int_equal(sbd_key_matches(c, k), 1);
	X509_free(c);
	EVP_PKEY_free(k);
	free(p12);
	X509_free(x);
}

static void
test_p12_export_invalid(void **state)
{
	struct fx *f = *state;
	struct sbd_cert_req r;
	uint8_t *p = SENTINEL;
	size_t len = 77;
	X509 *x;

	req_init(&r, "x", f->rsa);
	x = make(&r);
	assert_int_equal(sbd_p12_export(x, f->ec, "pw", NULL, &p, &len),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_p12_export(x, f->rsa, "", NULL, &p, &len),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_p12_export(x, f->rsa, NULL, NULL, &p, &len),
	    SBD_ERR_INVAL);
	assert_int_equal(sbd_p12_export(NULL, f->rsa, "pw", NULL, &p, &len),
	    SBD_ERR_INVAL);
	assert_ptr_equal(p, SENTINEL);
	assert_int_equal(len, 77);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_rsa),
		cmocka_unit_test(test_key_ec),
		cmocka_unit_test(test_key_invalid),
		cmocka_unit_test(test_curve_nid),
		cmocka_unit_test(test_selfsigned_server),
		cmocka_unit_test(test_subject_order),
		cmocka_unit_test(test_ca_profile),
		cmocka_unit_test(test_ec_key_usage),
		cmocka_unit_test(test_issued_by_ca),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_p12_roundtrip),
		cmocka_unit_test(test_p12_encryption),
		cmocka_unit_test(test_p12_wrong_password),
		cmocka_unit_test(test_p12_garbage),
		cmocka_unit_test(test_p12_peer_files),
		cmocka_unit_test(test_p12_export_invalid),
	};

	return cmocka_run_group_tests_name("certgen", tests, setup,
	    teardown);
}
