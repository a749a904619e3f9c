/*
 * Unit tests: CAPF frames (lib/capf.c) against the install flow captured
 * between capfd and capfc (FORMATS.md 8.3), and the parser's refusals;
 * the signed data of certificate authentication (8.4), the check of the
 * phone's new key, and the LSC profile of lib/certgen.c (8.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "helper_pki.h"
#include "sbd/capf.h"
#include "sbd/x509.h"

static const uint8_t auth_req[] = {
	0x55, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
	0x07, 0x00, 0x01, 0x03, 0x08, 0x00, 0x01, 0x00,
};
static const uint8_t auth_res[] = {
	0x55, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x25,
	0x01, 0x00, 0x01, 0x01, 0x07, 0x00, 0x01, 0x03,
	0x0b, 0x00, 0x07, '1', '2', '3', '4', '5', '6', 0,
	0x0d, 0x00, 0x10, 'S', 'E', 'P', '0', '0', '1', '1', '2', '2', '3',
	'3', '4', '4', '5', '5', 0,
};
static const uint8_t keygen_req[] = {
	0x55, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09,
	0x0a, 0x00, 0x02, 0x08, 0x00, 0x11, 0x00, 0x01, 0x00,
};
static const uint8_t end_session[] = {
	0x55, 0x0f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04,
	0x01, 0x00, 0x01, 0x01,
};

/* Build m and compare with want, then parse want back into m2. */
static void
same(const struct sbd_capf_msg *m, const uint8_t *want, size_t n,
    struct sbd_capf_msg *m2)
{
	uint8_t *out = NULL;
	size_t len = 0;

	assert_int_equal(sbd_capf_build(m, &out, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
	free(out);
	assert_int_equal(sbd_capf_parse(want, n, m2, NULL), 0);
}

static void
test_install_flow_exact(void **state)
{
	struct sbd_capf_msg m, p;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_AUTH_REQ;
	m.session = 1;
	m.version.set = 1;
	m.version.v = SBD_CAPF_VERSION;
	m.auth_type.set = 1;
	m.auth_type.v = 0;
	same(&m, auth_req, sizeof(auth_req), &p);
	assert_true(p.version.set && p.version.v == 3);
	assert_true(p.auth_type.set && p.auth_type.v == 0);

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_AUTH_RES;
	m.session = 1;
	m.reason.set = 1;
	m.reason.v = 1;
	m.version.set = 1;
	m.version.v = 3;
	m.password = "123456";
	m.device = "SEP001122334455";
	same(&m, auth_res, sizeof(auth_res), &p);
	assert_string_equal(p.password, "123456");
	assert_string_equal(p.device, "SEP001122334455");

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_KEYGEN_REQ;
	m.session = 1;
	m.has_key_size = 1;
	m.key_size = 2048;
	m.key_type.set = 1;
	m.key_type.v = 0;
	same(&m, keygen_req, sizeof(keygen_req), &p);
	assert_int_equal(p.key_size, 2048);
	assert_false(p.curve.set);

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_END_SESSION;
	m.session = 1;
	m.reason.set = 1;
	m.reason.v = 1;
	same(&m, end_session, sizeof(end_session), &p);
	assert_int_equal(p.cmd, SBD_CAPF_END_SESSION);
}

/* STORE_CERTIFICATE_REQUEST with an 856-byte DER: body 0x364. */
static void
test_store_certificate(void **state)
{
	uint8_t der[856], *out = NULL;
	struct sbd_capf_msg m, p;
	size_t len = 0;

	(void)state;
	memset(der, 0x30, sizeof(der));
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_STORE_REQ;
	m.session = 1;
	m.cert_type.set = 1;
	m.cert_type.v = 1;
	m.cert = der;
	m.cert_len = sizeof(der);
	m.cert_inner_type = 1;
	assert_int_equal(sbd_capf_build(&m, &out, &len), 0);
	assert_int_equal(out[6] << 8 | out[7], 0x364);
	/* 03 0001 01 | 04 035d 01 035a 00 01 <DER> */
	assert_int_equal(out[12], 0x04);
	assert_int_equal(out[13] << 8 | out[14], 0x35d);
	assert_int_equal(out[15], 0x01);
	assert_int_equal(out[16] << 8 | out[17], 0x35a);
	assert_int_equal(out[18], 0x00);
	assert_int_equal(out[19], 0x01);
	assert_int_equal(sbd_capf_parse(out, len, &p, NULL), 0);
	assert_int_equal(p.cert_len, sizeof(der));
	assert_ptr_equal(p.cert, out + 20);
	/* The inner length must agree with the element's. */
	out[17]--;
	assert_int_equal(sbd_capf_parse(out, len, &p, NULL), SBD_ERR_VALUE);
	free(out);
}

static void
test_refusals(void **state)
{
	uint8_t f[sizeof(auth_res) + 8];
	struct sbd_capf_msg m;
	struct sbd_diag d;
	size_t i, total;

	(void)state;
	for (i = 0; i < sizeof(auth_res); i++)
		assert_int_equal(sbd_capf_parse(auth_res, i, &m, NULL),
		    SBD_ERR_TRUNCATED);
	memcpy(f, auth_res, sizeof(auth_res));
	f[0] = 0x57;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	memcpy(f, auth_res, sizeof(auth_res));
	f[1] = 0;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	f[1] = SBD_CAPF_CMD_MAX + 1;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	assert_int_equal(d.off, 1);
	/* Trailing bytes. */
	memcpy(f, auth_res, sizeof(auth_res));
	f[sizeof(auth_res)] = 0;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res) + 1, &m, &d),
	    SBD_ERR_TRAILING);
	/* One over the body limit. */
	f[6] = (SBD_CAPF_BODY_MAX + 1) >> 8;
	f[7] = (SBD_CAPF_BODY_MAX + 1) & 0xff;
	assert_int_equal(sbd_capf_frame_len(f, sizeof(f), &total, NULL),
	    SBD_ERR_TOOBIG);
	/* PASSWORD without its NUL (the last byte becomes '7'). */
	memcpy(f, auth_res, sizeof(auth_res));
	f[25] = '7';
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	assert_int_equal(d.off, 16);
	/* DEVICE_NAME with a control character. */
	memcpy(f, auth_res, sizeof(auth_res));
	f[30] = '\n';
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	/* VERSION given twice (REASON's tag rewritten to 7). */
	memcpy(f, auth_res, sizeof(auth_res));
	f[8] = 0x07;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_TAG);
	assert_int_equal(d.off, 12);
	/* VERSION of 2 bytes. */
	memcpy(f, auth_req, sizeof(auth_req));
	f[10] = 2;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_req), &m, &d),
	    SBD_ERR_VALUE);
	/* An element longer than the body. */
	memcpy(f, auth_req, sizeof(auth_req));
	f[14] = 9;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_req), &m, &d),
	    SBD_ERR_OVERRUN);
	/* An unknown tag is skipped. */
	memcpy(f, end_session, sizeof(end_session));
	f[7] = 8;
	f[12] = 0x63;
	f[13] = 0;
	f[14] = 1;
	f[15] = 9;
	assert_int_equal(sbd_capf_parse(f, 16, &m, NULL), 0);
	assert_true(m.reason.set && m.reason.v == 1);
}

/* ---- signed data (FORMATS.md 8.4) ---------------------------------- */

#define DEV	"SEP001122334455"

/* The DER of c, for signing; free with OPENSSL_free. */
static uint8_t *
der_of(X509 *c, size_t *len)
{
	uint8_t *p = NULL;

	assert_int_equal(sbd_x509_der(c, &p, len), 0);
	return p;
}

/* Sign with both hashes, verify, then break each input in turn. */
static void
sign_verify(X509 *c, EVP_PKEY *k)
{
	static const int hashes[] = { SBD_CAPF_HASH_SHA1,
	    SBD_CAPF_HASH_SHA512 };
	EVP_PKEY *pub = X509_get0_pubkey(c);
	uint8_t *der, *sig;
	size_t dlen, slen, i;

	der = der_of(c, &dlen);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sbd_capf_sign(k, hashes[i], DEV, der, dlen,
		    &sig, &slen), 0);
		assert_int_equal(sbd_capf_verify(pub, hashes[i], DEV, der,
		    dlen, sig, slen), 0);
		/* The other hash's check fails. */
		assert_int_not_equal(sbd_capf_verify(pub, hashes[1 - i], DEV,
		    der, dlen, sig, slen), 0);
		/* Another device, another certificate, a flipped bit. */
		assert_int_equal(sbd_capf_verify(pub, hashes[i],
		    "SEP001122334456", der, dlen, sig, slen), SBD_ERR_SIG);
		der[dlen - 1] ^= 1;
		assert_int_equal(sbd_capf_verify(pub, hashes[i], DEV, der,
		    dlen, sig, slen), SBD_ERR_SIG);
		der[dlen - 1] ^= 1;
		sig[slen - 1] ^= 0x10;
		assert_int_equal(sbd_capf_verify(pub, hashes[i], DEV, der,
		    dlen, sig, slen), SBD_ERR_SIG);
		sig[slen - 1] ^= 0x10;
		assert_int_equal(sbd_capf_verify(pub, hashes[i], DEV, der,
		    dlen, sig, slen), 0);
		free(sig);
	}
	OPENSSL_free(der);
}

static void
test_signed_rsa(void **state)
{
	X509 *c;
	EVP_PKEY *k;

	(void)state;
	th_rsa_cert(1024, "rsa-1024", &c, &k);
	sign_verify(c, k);
	X509_free(c);
	EVP_PKEY_free(k);
}

static void
test_signed_ec(void **state)
{
	X509 *c;
	EVP_PKEY *k;

	(void)state;
	th_ec_cert(NID_X9_62_prime256v1, "ec-256", &c, &k);
	sign_verify(c, k);
	X509_free(c);
	EVP_PKEY_free(k);
	th_ec_cert(NID_secp384r1, "ec-384", &c, &k);
	sign_verify(c, k);
	X509_free(c);
	EVP_PKEY_free(k);
}

/*
 * The RSA signature is type-1 padding of the bare hash, without
 * DigestInfo: undo it with the raw public operation and look.
 */
static void
test_signed_rsa_layout(void **state)
{
	uint8_t *der, *sig, plain[256], md[EVP_MAX_MD_SIZE];
	EVP_PKEY_CTX *ctx;
	EVP_MD_CTX *mctx;
	X509 *c;
	EVP_PKEY *k;
	size_t dlen, slen, plen = sizeof(plain), i;
	unsigned mdlen;

	(void)state;
	th_rsa_cert(2048, "rsa-2048", &c, &k);
	der = der_of(c, &dlen);
	assert_int_equal(sbd_capf_sign(k, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, &sig, &slen), 0);
	/* 03 | u16 256 | 256-byte signature */
	assert_int_equal(slen, 3 + 256);
	assert_int_equal(sig[0], 3);
	assert_int_equal(sig[1] << 8 | sig[2], 256);
	ctx = EVP_PKEY_CTX_new(k, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING),
	    1);
	assert_int_equal(EVP_PKEY_verify_recover(ctx, plain, &plen, sig + 3,
	    256), 1);
	assert_int_equal(plen, 256);
	mctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestInit_ex(mctx, EVP_sha512(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(mctx, DEV, sizeof(DEV)), 1);
	assert_int_equal(EVP_DigestUpdate(mctx, der, dlen), 1);
	assert_int_equal(EVP_DigestFinal_ex(mctx, md, &mdlen), 1);
	assert_int_equal(mdlen, 64);
	/* 00 01 FF..FF 00 H: the hash follows the padding directly. */
	assert_int_equal(plain[0], 0);
	assert_int_equal(plain[1], 1);
	for (i = 2; i < 256 - 64 - 1; i++)
		assert_int_equal(plain[i], 0xff);
	assert_int_equal(plain[256 - 64 - 1], 0);
	assert_memory_equal(plain + 256 - 64, md, 64);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(ctx);
	free(sig);
	OPENSSL_free(der);
	X509_free(c);
	EVP_PKEY_free(k);
}

/* The SHA2_SIGNED_DATA wrapper's refusals, and a key too small. */
static void
test_signed_wrapper(void **state)
{
	EVP_PKEY *pub, *k512;
	uint8_t *der, *sig;
	size_t dlen, slen;
	X509 *c, *c512;

	(void)state;
	th_rsa_cert(1024, "rsa-1024", &c, &pub);
	der = der_of(c, &dlen);
	assert_int_equal(sbd_capf_sign(pub, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, &sig, &slen), 0);
	sig[0] = 2;
	assert_int_equal(sbd_capf_verify(pub, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, sig, slen), SBD_ERR_VALUE);
	sig[0] = 3;
	assert_int_equal(sbd_capf_verify(pub, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, sig, slen - 1), SBD_ERR_TRUNCATED);
	sig[2]--;
	assert_int_equal(sbd_capf_verify(pub, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, sig, slen), SBD_ERR_TRAILING);
	sig[2]++;
	assert_int_equal(sbd_capf_verify(pub, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, sig, slen), 0);
	/* SHA-256 is not one of the two elements. */
	assert_int_equal(sbd_capf_verify(pub, 2, DEV, der, dlen, sig, slen),
	    SBD_ERR_INVAL);
	free(sig);
	/* RSA-512 holds no padded SHA-512 (64 + 11 > 64 bytes). */
	th_rsa_cert(512, "rsa-512", &c512, &k512);
	assert_int_equal(sbd_capf_sign(k512, SBD_CAPF_HASH_SHA512, DEV, der,
	    dlen, &sig, &slen), SBD_ERR_KEY);
	OPENSSL_free(der);
	X509_free(c);
	X509_free(c512);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k512);
}

/* ---- the phone's new key and the LSC --------------------------------- */

/* The SubjectPublicKeyInfo DER of k. */
static uint8_t *
spki_of(EVP_PKEY *k, size_t *len)
{
	uint8_t *p = NULL;
	int n = i2d_PUBKEY(k, &p);

	assert_true(n > 0);
	*len = (size_t)n;
	return p;
}

static void
test_pubkey(void **state)
{
	EVP_PKEY *rsa = NULL, *ec = NULL, *k1 = NULL, *out = NULL;
	uint8_t *p, *q, *big;
	size_t plen, qlen;

	(void)state;
	assert_int_equal(sbd_capf_curve_code(256), 0);
	assert_int_equal(sbd_capf_curve_code(384), 1);
	assert_int_equal(sbd_capf_curve_code(521), 2);
	assert_int_equal(sbd_capf_curve_code(224), -1);
	assert_int_equal(sbd_capf_curve_nid(1), NID_secp384r1);
	assert_int_equal(sbd_capf_curve_nid(3), NID_undef);

	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 1024, &rsa), 0);
	assert_int_equal(sbd_key_generate(SBD_KEY_EC, NID_secp384r1, &ec), 0);
	assert_int_equal(sbd_key_generate(SBD_KEY_EC, NID_secp256k1, &k1),
	    SBD_ERR_INVAL);
	p = spki_of(rsa, &plen);
	q = spki_of(ec, &qlen);
	assert_int_equal(sbd_capf_pubkey(p, plen, 0, 1024, &out), 0);
	assert_int_equal(EVP_PKEY_get_bits(out), 1024);
	assert_int_equal(EVP_PKEY_eq(out, rsa), 1);
	EVP_PKEY_free(out);
	out = NULL;
	assert_int_equal(sbd_capf_pubkey(q, qlen, 1, 384, &out), 0);
	assert_int_equal(EVP_PKEY_eq(out, ec), 1);
	EVP_PKEY_free(out);
	out = NULL;
	/* Another size, another type, another curve: no key handed out. */
	assert_int_equal(sbd_capf_pubkey(p, plen, 0, 2048, &out),
	    SBD_ERR_KEY);
	assert_int_equal(sbd_capf_pubkey(p, plen, 1, 256, &out), SBD_ERR_KEY);
	assert_int_equal(sbd_capf_pubkey(q, qlen, 0, 384, &out), SBD_ERR_KEY);
	assert_int_equal(sbd_capf_pubkey(q, qlen, 1, 256, &out), SBD_ERR_KEY);
	assert_int_equal(sbd_capf_pubkey(q, qlen, 1, 383, &out), SBD_ERR_KEY);
	/* Truncated, or a byte after the DER. */
	assert_int_equal(sbd_capf_pubkey(p, plen - 1, 0, 1024, &out),
	    SBD_ERR_VALUE);
	big = malloc(plen + 1);
	assert_non_null(big);
	memcpy(big, p, plen);
	big[plen] = 0;
	assert_int_equal(sbd_capf_pubkey(big, plen + 1, 0, 1024, &out),
	    SBD_ERR_VALUE);
	assert_null(out);
	free(big);
	OPENSSL_free(p);
	OPENSSL_free(q);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

/* Does c carry extended key usage nid? */
static int
has_eku(X509 *c, int nid)
{
	EXTENDED_KEY_USAGE *eku;
	int i, found = 0;

	eku = X509_get_ext_d2i(c, NID_ext_key_usage, NULL, NULL);
	for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		found |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/*
 * An LSC as CAPF issues it (FORMATS.md 8.5), from the phone's public key
 * alone (the phone keeps the private key): signed by the CAPF key, the
 * issuer named by the CAPF certificate's subject, and the extensions.
 */
static void
test_lsc_profile(void **state)
{
	struct sbd_cert_req r;
	EVP_PKEY *capf_key, *root_key, *phone = NULL, *pub = NULL;
	X509 *root, *capf = NULL, *lsc = NULL;
	GENERAL_NAMES *san;
	const GENERAL_NAME *gn;
	BASIC_CONSTRAINTS *bc;
	uint8_t *spki;
	size_t slen;
	int crit;

	(void)state;
	/*
	 * The CAPF certificate is not self-signed here, so an issuer name
	 * taken from its issuer (capfd's bug) would show.
	 */
	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 2048, &root_key), 0);
	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 2048, &capf_key), 0);
	memset(&r, 0, sizeof(r));
	r.cn = "root";
	r.days = 30;
	r.profile = SBD_CERT_CA;
	r.key = root_key;
	assert_int_equal(sbd_cert_create(&r, &root), 0);
	r.cn = "CAPF-0a1b2c3d";
	r.o = "opensbd";
	r.c = "US";
	r.key = capf_key;
	r.issuer = root;
	r.issuer_key = root_key;
	assert_int_equal(sbd_cert_create(&r, &capf), 0);

	assert_int_equal(sbd_key_generate(SBD_KEY_EC, NID_X9_62_prime256v1,
	    &phone), 0);
	spki = spki_of(phone, &slen);
	assert_int_equal(sbd_capf_pubkey(spki, slen, 1, 256, &pub), 0);
	memset(&r, 0, sizeof(r));
	r.cn = DEV;
	r.o = "opensbd";
	r.c = "US";
	r.days = 1825;
	r.profile = SBD_CERT_LSC;
	r.key = pub;
	/* Self-signed needs the private key the CAPF never has. */
	assert_int_not_equal(sbd_cert_create(&r, &lsc), 0);
	r.issuer = capf;
	r.issuer_key = capf_key;
	assert_int_equal(sbd_cert_create(&r, &lsc), 0);

	assert_int_equal(X509_verify(lsc, capf_key), 1);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(lsc),
	    X509_get_subject_name(capf)), 0);
	assert_int_not_equal(X509_NAME_cmp(X509_get_issuer_name(lsc),
	    X509_get_subject_name(root)), 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(lsc), phone), 1);
	bc = X509_get_ext_d2i(lsc, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_get_extension_flags(lsc) & EXFLAG_KUSAGE);
	assert_true(X509_get_key_usage(lsc) & KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_ext_by_critical(lsc, 1, -1) >= 0, 1);
	assert_true(has_eku(lsc, NID_server_auth));
	assert_true(has_eku(lsc, NID_client_auth));
	assert_true(has_eku(lsc, NID_ipsecEndSystem));
	san = X509_get_ext_d2i(lsc, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_int_equal(ASN1_STRING_length(gn->d.uniformResourceIdentifier),
	    (int)strlen(DEV));
	assert_memory_equal(ASN1_STRING_get0_data(
	    gn->d.uniformResourceIdentifier), DEV, strlen(DEV));
	GENERAL_NAMES_free(san);
	X509_free(lsc);
	lsc = NULL;
	/* The URI is an IA5String: 7-bit names only. */
	r.cn = "SEP\xc3\xa9";
	assert_int_equal(sbd_cert_create(&r, &lsc), SBD_ERR_INVAL);
	assert_null(lsc);
	r.cn = DEV;

	/* An RSA LSC may also encipher (the .enc.sgn key wrap, 6.3). */
	EVP_PKEY_free(pub);
	pub = NULL;
	OPENSSL_free(spki);
	EVP_PKEY_free(phone);
	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, 1024, &phone), 0);
	r.key = phone;
	assert_int_equal(sbd_cert_create(&r, &lsc), 0);
	assert_true(X509_get_key_usage(lsc) & KU_KEY_ENCIPHERMENT);
	X509_free(lsc);
	X509_free(capf);
	X509_free(root);
	EVP_PKEY_free(phone);
	EVP_PKEY_free(capf_key);
	EVP_PKEY_free(root_key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_flow_exact),
		cmocka_unit_test(test_store_certificate),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_signed_rsa),
		cmocka_unit_test(test_signed_ec),
		cmocka_unit_test(test_signed_rsa_layout),
		cmocka_unit_test(test_signed_wrapper),
		cmocka_unit_test(test_pubkey),
		cmocka_unit_test(test_lsc_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
