/*
 * Key generation, certificate creation and PKCS#12.  See include/sbd/x509.h.
 *
 * Every public function brackets its OpenSSL calls with ERR_set_mark() and
 * ERR_pop_to_mark(): failures are reported through the return value, and
 * the caller's OpenSSL error queue is left as it was found.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sbd/x509.h"

#define RSA_MIN_BITS	512
#define RSA_MAX_BITS	4096
#define CERT_MAX_DAYS	36500
#define SERIAL_BYTES	16	/* 128 random bits (CA/B BR 7.1: >= 64) */
#define SECS_PER_DAY	86400L

/* RFC 5280 Appendix A upper bounds, in characters. */
#define UB_COMMON_NAME	64
#define UB_ORG_UNIT	64
#define UB_ORG		64
#define UB_LOCALITY	128
#define UB_STATE	128
#define UB_DNS_NAME	253	/* RFC 1035 2.3.4, no final dot */

static const struct {
	const char *name;
	int nid;
} curves[] = {
	{ "P-256", NID_X9_62_prime256v1 },
	{ "prime256v1", NID_X9_62_prime256v1 },
	{ "secp256r1", NID_X9_62_prime256v1 },
	{ "P-384", NID_secp384r1 },
	{ "secp384r1", NID_secp384r1 },
	{ "P-521", NID_secp521r1 },
	{ "secp521r1", NID_secp521r1 },
};

/*
 * Extensions by profile, as OpenSSL v3 configuration values.  These are
 * constants, never built from caller input, so no caller string can
 * inject a second extension value.  keyUsage is critical as RFC 5280
 * 4.2.1.3 asks; keyEncipherment is dropped for EC keys, which cannot
 * encipher (RFC 8813 3).
 */
static const struct {
	const char *bc;
	const char *ku_rsa;
	const char *ku_ec;
	const char *eku;
} profiles[] = {
	[SBD_CERT_SERVER] = {
		"CA:FALSE",
		"critical,digitalSignature,keyEncipherment",
		"critical,digitalSignature",
		"serverAuth,clientAuth,ipsecEndSystem",
	},
	[SBD_CERT_CA] = {
		"critical,CA:TRUE",
		"critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign",
		"critical,digitalSignature,keyCertSign,cRLSign",
		"serverAuth,clientAuth",
	},
	[SBD_CERT_DEVICE] = {
		"CA:FALSE",
		"critical,digitalSignature,keyEncipherment",
		"critical,digitalSignature",
		"clientAuth,serverAuth",
	},
	/* What capfd issues (FORMATS.md 8.5). */
	[SBD_CERT_LSC] = {
		"critical,CA:FALSE",
		"critical,digitalSignature,keyEncipherment",
		"critical,digitalSignature",
		"serverAuth,clientAuth,ipsecEndSystem",
	},
};

int
sbd_curve_nid(const char *name)
{
	size_t i;

	if (name == NULL)
		return NID_undef;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcasecmp(curves[i].name, name) == 0)
			return curves[i].nid;
	return NID_undef;
}

static int
curve_supported(int nid)
{
	size_t i;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].nid == nid)
			return 1;
	return 0;
}

int
sbd_key_generate(enum sbd_keytype t, int param, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	int err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (out == NULL)
		goto out;
	switch (t) {
	case SBD_KEY_RSA:
		if (param < RSA_MIN_BITS || param > RSA_MAX_BITS)
			goto out;
		err = SBD_ERR_CRYPTO;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, param) <= 0)
			goto out;
		break;
	case SBD_KEY_EC:
		if (!curve_supported(param))
			goto out;
		err = SBD_ERR_CRYPTO;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_group_name(ctx, OBJ_nid2sn(param)) <= 0)
			goto out;
		break;
	default:
		goto out;
	}
	if (EVP_PKEY_generate(ctx, &k) <= 0)
		goto out;
	*out = k;
	k = NULL;
	err = 0;
out:
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	ERR_pop_to_mark();
	return err;
}

/*
 * Count the characters of a UTF-8 string, or return -1 if it is not
 * well-formed (RFC 3629 4: no overlong forms, no surrogates, at most
 * U+10FFFF) or holds a C0 control or DEL.  Names end up in trust-list
 * records and in show output, where a newline would forge a line.
 */
static long
utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	uint32_t cp, min;
	int more;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p < 0x80) {
			p++;
			n++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			cp = *p & 0x1f;
			more = 1;
			min = 0x80;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			cp = *p & 0x0f;
			more = 2;
			min = 0x800;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			cp = *p & 0x07;
			more = 3;
			min = 0x10000;
		} else
			return -1;
		for (p++; more > 0; more--, p++) {
			if ((*p & 0xc0) != 0x80)
				return -1;	/* also stops at the NUL */
			cp = (cp << 6) | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		n++;
	}
	return n;
}

static int
name_add(X509_NAME *n, int nid, const char *v, long max)
{
	long nc;

	if (v == NULL)
		return 0;
	nc = utf8_chars(v);
	if (nc < 1 || nc > max)
		return SBD_ERR_INVAL;
	if (!X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
	    (const unsigned char *)v, -1, -1, 0))
		return SBD_ERR_CRYPTO;
	return 0;
}

/* countryName is a two-letter PrintableString (RFC 5280 Appendix A). */
static int
country_ok(const char *c)
{
	const unsigned char *p = (const unsigned char *)c;

	return ((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
	    ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')) &&
	    p[2] == '\0';
}

/* Subject in DER order CN, OU, O, L, ST, C: what CUCM writes (SPEC.md). */
static int
build_name(const struct sbd_cert_req *r, X509_NAME **out)
{
	X509_NAME *n = NULL;
	int err = SBD_ERR_INVAL;

	if (r->c != NULL && !country_ok(r->c))
		goto out;
	err = SBD_ERR_NOMEM;
	if ((n = X509_NAME_new()) == NULL)
		goto out;
	if ((err = name_add(n, NID_commonName, r->cn, UB_COMMON_NAME)) != 0 ||
	    (err = name_add(n, NID_organizationalUnitName, r->ou,
	    UB_ORG_UNIT)) != 0 ||
	    (err = name_add(n, NID_organizationName, r->o, UB_ORG)) != 0 ||
	    (err = name_add(n, NID_localityName, r->l, UB_LOCALITY)) != 0 ||
	    (err = name_add(n, NID_stateOrProvinceName, r->st,
	    UB_STATE)) != 0 ||
	    (err = name_add(n, NID_countryName, r->c, 2)) != 0)
		goto out;
	*out = n;
	n = NULL;
	err = 0;
out:
	X509_NAME_free(n);
	return err;
}

/* A DNS name: letters, digits, '-', '.', '_' and a '*' wildcard label. */
static int
dns_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > UB_DNS_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || (ch == '*' && i == 0))
			continue;
		return 0;
	}
	return 1;
}

static int
key_type_ok(EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);

	return id == EVP_PKEY_RSA || id == EVP_PKEY_EC;
}

static int
check_req(const struct sbd_cert_req *r)
{
	if (r->cn == NULL || r->cn[0] == '\0')
		return SBD_ERR_INVAL;
	if (r->days < 1 || r->days > CERT_MAX_DAYS || r->not_before < 0)
		return SBD_ERR_INVAL;
	if ((unsigned)r->profile >= sizeof(profiles) / sizeof(profiles[0]))
		return SBD_ERR_INVAL;
	if (r->dns != NULL && !dns_ok(r->dns))
		return SBD_ERR_INVAL;
	if (r->key == NULL || (r->issuer == NULL) != (r->issuer_key == NULL))
		return SBD_ERR_INVAL;
	if (r->issuer != NULL) {
		if (!sbd_key_matches(r->issuer, r->issuer_key))
			return SBD_ERR_INVAL;
		/*
		 * A certificate that may not sign certificates (no CA:TRUE,
		 * or keyUsage without keyCertSign) would issue one that no
		 * verifier accepts: refuse rather than hand out a dud.
		 */
		if (X509_check_ca(r->issuer) == 0)
			return SBD_ERR_INVAL;
	}
	if (!key_type_ok(r->key) ||
	    (r->issuer_key != NULL && !key_type_ok(r->issuer_key)))
		return SBD_ERR_KEY;
	return 0;
}

/* A random positive serial of SERIAL_BYTES bytes (RFC 5280 4.1.2.2). */
static int
set_serial(X509 *x)
{
	uint8_t rnd[SERIAL_BYTES];
	BIGNUM *bn = NULL;
	int err = SBD_ERR_CRYPTO;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	/* The bytes are read unsigned, so the value is never negative. */
	if ((bn = BN_bin2bn(rnd, sizeof(rnd), NULL)) == NULL)
		goto out;
	/* Zero is not a valid serial; 2^-128 odds, but be exact. */
	if (BN_is_zero(bn) && !BN_one(bn))
		goto out;
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	err = 0;
out:
	BN_free(bn);
	return err;
}

static int
add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e;
	int ok;

	e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (e == NULL)
		return SBD_ERR_CRYPTO;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : SBD_ERR_CRYPTO;
}

/*
 * Key identifier: SHA-1 of the subjectPublicKey BIT STRING, RFC 5280
 * 4.2.1.2 method (1), as OpenSSL and CUCM compute it.
 */
static int
key_id(X509 *c, ASN1_OCTET_STRING **out)
{
	ASN1_OCTET_STRING *os = NULL;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n;
	int err = SBD_ERR_CRYPTO;

	if (!X509_pubkey_digest(c, EVP_sha1(), md, &n))
		goto out;
	if ((os = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(os, md, (int)n))
		goto out;
	*out = os;
	os = NULL;
	err = 0;
out:
	ASN1_OCTET_STRING_free(os);
	return err;
}

static int
add_ski(X509 *x)
{
	ASN1_OCTET_STRING *os = NULL;
	int err;

	if ((err = key_id(x, &os)) != 0)
		return err;
	if (X509_add1_ext_i2d(x, NID_subject_key_identifier, os, 0,
	    X509V3_ADD_DEFAULT) != 1)
		err = SBD_ERR_CRYPTO;
	ASN1_OCTET_STRING_free(os);
	return err;
}

/*
 * authorityKeyIdentifier: the issuer's own subjectKeyIdentifier when it
 * has one (RFC 5280 4.2.1.1 wants the two to match), else the same
 * derivation from its key.  OpenSSL's "keyid:always" would fail instead
 * on an imported CA without the extension.
 */
static int
add_aki(X509 *x, X509 *issuer)
{
	AUTHORITY_KEYID *akid = NULL;
	const ASN1_OCTET_STRING *ski;
	int err = SBD_ERR_NOMEM;

	if ((akid = AUTHORITY_KEYID_new()) == NULL)
		goto out;
	ski = X509_get0_subject_key_id(issuer);
	if (ski != NULL) {
		if ((akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL)
			goto out;
	} else if ((err = key_id(issuer, &akid->keyid)) != 0)
		goto out;
	err = SBD_ERR_CRYPTO;
	if (X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	err = 0;
out:
	AUTHORITY_KEYID_free(akid);
	return err;
}

/* An IA5String holds 7-bit characters only (RFC 5280 4.2.1.6). */
static int
ia5_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Append one IA5String name (dNSName, URI) to gens. */
static int
san_push(GENERAL_NAMES *gens, int type, const char *v)
{
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *ia5 = NULL;
	int err = SBD_ERR_NOMEM;

	if ((gn = GENERAL_NAME_new()) == NULL ||
	    (ia5 = ASN1_IA5STRING_new()) == NULL)
		goto out;
	if (!ASN1_STRING_set(ia5, v, (int)strlen(v)))
		goto out;
	GENERAL_NAME_set0_value(gn, type, ia5);
	ia5 = NULL;
	if (!sk_GENERAL_NAME_push(gens, gn))
		goto out;
	gn = NULL;
	err = 0;
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gn);
	return err;
}

/*
 * subjectAltName with a dNSName and/or a URI (either may be NULL), built
 * as a structure, not a string.
 */
static int
add_san(X509 *x, const char *dns, const char *uri)
{
	GENERAL_NAMES *gens = NULL;
	int err = SBD_ERR_NOMEM;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto out;
	if ((dns != NULL && (err = san_push(gens, GEN_DNS, dns)) != 0) ||
	    (uri != NULL && (err = san_push(gens, GEN_URI, uri)) != 0))
		goto out;
	err = SBD_ERR_CRYPTO;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) != 1)
		goto out;
	err = 0;
out:
	GENERAL_NAMES_free(gens);
	return err;
}

static int
add_extensions(X509 *x, const struct sbd_cert_req *r)
{
	X509V3_CTX ctx;
	const char *ku, *uri;
	int err;

	memset(&ctx, 0, sizeof(ctx));
	X509V3_set_ctx(&ctx, r->issuer != NULL ? r->issuer : x, x, NULL,
	    NULL, 0);
	ku = EVP_PKEY_get_base_id(r->key) == EVP_PKEY_RSA ?
	    profiles[r->profile].ku_rsa : profiles[r->profile].ku_ec;
	if ((err = add_conf_ext(x, &ctx, NID_basic_constraints,
	    profiles[r->profile].bc)) != 0 ||
	    (err = add_conf_ext(x, &ctx, NID_key_usage, ku)) != 0 ||
	    (err = add_conf_ext(x, &ctx, NID_ext_key_usage,
	    profiles[r->profile].eku)) != 0 ||
	    (err = add_ski(x)) != 0)
		return err;
	/*
	 * capfd names the device in a URI as well as in the CN (FORMATS.md
	 * 8.5); "SEP<MAC>" has no scheme, but that is what phones carry.
	 */
	uri = r->profile == SBD_CERT_LSC ? r->cn : NULL;
	if (uri != NULL && !ia5_ok(uri))
		return SBD_ERR_INVAL;
	if ((r->dns != NULL || uri != NULL) &&
	    (err = add_san(x, r->dns, uri)) != 0)
		return err;
	if (r->issuer != NULL && (err = add_aki(x, r->issuer)) != 0)
		return err;
	return 0;
}

int
sbd_cert_create(const struct sbd_cert_req *r, X509 **out)
{
	X509 *x = NULL;
	X509_NAME *subj = NULL;
	EVP_PKEY *signer;
	time_t nb;
	int err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (r == NULL || out == NULL)
		goto out;
	if ((err = check_req(r)) != 0)
		goto out;
	if ((err = build_name(r, &subj)) != 0)
		goto out;
	nb = r->not_before != 0 ? r->not_before : time(NULL);
	err = SBD_ERR_NOMEM;
	if ((x = X509_new()) == NULL)
		goto out;
	err = SBD_ERR_CRYPTO;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_subject_name(x, subj) ||
	    !X509_set_issuer_name(x, r->issuer != NULL ?
	    X509_get_subject_name(r->issuer) : subj) ||
	    !X509_set_pubkey(x, r->key))
		goto out;
	if ((err = set_serial(x)) != 0)
		goto out;
	/*
	 * UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5);
	 * OpenSSL picks.  A start so late that the end passes 9999 fails.
	 */
	err = SBD_ERR_INVAL;
	if (ASN1_TIME_set(X509_getm_notBefore(x), nb) == NULL ||
	    ASN1_TIME_adj(X509_getm_notAfter(x), nb, r->days, 0) == NULL)
		goto out;
	if ((err = add_extensions(x, r)) != 0)
		goto out;
	signer = r->issuer_key != NULL ? r->issuer_key : r->key;
	/* RSA signs PKCS#1 v1.5 SHA-256, EC signs ECDSA-SHA256. */
	err = SBD_ERR_KEY;
	if (X509_sign(x, signer, EVP_sha256()) <= 0)
		goto out;
	*out = x;
	x = NULL;
	err = 0;
out:
	X509_free(x);
	X509_NAME_free(subj);
	ERR_pop_to_mark();
	return err;
}

int
sbd_p12_export(X509 *c, EVP_PKEY *k, const char *pass, const char *friendly,
    uint8_t **out, size_t *len)
{
	PKCS12 *p12 = NULL;
	uint8_t *buf = NULL;
	unsigned char *q;
	int n, err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (c == NULL || k == NULL || pass == NULL || out == NULL ||
	    len == NULL)
		goto out;
	/*
	 * An empty password is written as NULL by some tools and as "" by
	 * others (RFC 7292 B.1 leaves it open): refuse to make such files.
	 */
	if (pass[0] == '\0' || !sbd_key_matches(c, k))
		goto out;
	if (friendly != NULL && friendly[0] == '\0')
		friendly = NULL;
	err = SBD_ERR_CRYPTO;
	/*
	 * AES-256-CBC under PBES2/PBKDF2 for both bags.  mac_iter -1 leaves
	 * the MAC out, because PKCS12_create_ex would use SHA-1; it is added
	 * below with SHA-256.
	 */
	p12 = PKCS12_create_ex(pass, friendly, k, c, NULL, NID_aes_256_cbc,
	    NID_aes_256_cbc, PKCS12_DEFAULT_ITER, -1, 0, NULL, NULL);
	if (p12 == NULL)
		goto out;
	if (PKCS12_set_mac(p12, pass, -1, NULL, 0, PKCS12_DEFAULT_ITER,
	    EVP_sha256()) != 1)
		goto out;
	if ((n = i2d_PKCS12(p12, NULL)) <= 0)
		goto out;
	err = SBD_ERR_NOMEM;
	if ((buf = malloc((size_t)n)) == NULL)
		goto out;
	err = SBD_ERR_CRYPTO;
	q = buf;
	if (i2d_PKCS12(p12, &q) != n)
		goto out;
	*out = buf;
	*len = (size_t)n;
	buf = NULL;
	err = 0;
out:
	free(buf);
	PKCS12_free(p12);
	ERR_pop_to_mark();
	return err;
}

/*
 * Check the MAC (RFC 7292 5.1) before touching the bags, so a wrong
 * password is told apart from a damaged file.
 */
static int
p12_check_mac(PKCS12 *p12, const char *pass)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;

	PKCS12_get0_mac(NULL, &alg, NULL, NULL, p12);
	if (alg == NULL)
		return SBD_ERR_VALUE;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	/* An unknown MAC digest must not read as a wrong password. */
	if (EVP_get_digestbyobj(obj) == NULL)
		return SBD_ERR_VALUE;
	if (PKCS12_verify_mac(p12, pass, -1))
		return 0;
	/* See sbd_p12_export: an empty password may also be NULL. */
	if (pass[0] == '\0' && PKCS12_verify_mac(p12, NULL, 0))
		return 0;
	return SBD_ERR_PASSWORD;
}

int
sbd_p12_import(const uint8_t *p, size_t len, const char *pass, X509 **c,
    EVP_PKEY **k)
{
	PKCS12 *p12 = NULL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	const unsigned char *q = p;
	int mac, err = SBD_ERR_INVAL;

	ERR_set_mark();
	if (p == NULL || pass == NULL || c == NULL || k == NULL)
		goto out;
	err = SBD_ERR_TOOBIG;
	if (len > LONG_MAX)
		goto out;
	err = SBD_ERR_VALUE;
	if (len == 0 || (p12 = d2i_PKCS12(NULL, &q, (long)len)) == NULL)
		goto out;
	err = SBD_ERR_TRAILING;
	if ((size_t)(q - p) != len)
		goto out;
	mac = PKCS12_mac_present(p12);
	if (mac && (err = p12_check_mac(p12, pass)) != 0)
		goto out;
	/*
	 * With a good MAC a failure here is an algorithm OpenSSL will not
	 * run (RC2-40 needs the legacy provider).  Without a MAC a wrong
	 * password shows only as bags that do not decrypt.
	 */
	if (!PKCS12_parse(p12, pass, &key, &cert, NULL)) {
		err = mac ? SBD_ERR_CRYPTO : SBD_ERR_PASSWORD;
		goto out;
	}
	err = SBD_ERR_MISSING;
	if (cert == NULL || key == NULL)
		goto out;
	err = SBD_ERR_KEY;
	if (!sbd_key_matches(cert, key))
		goto out;
	*c = cert;
	*k = key;
	cert = NULL;
	key = NULL;
	err = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(key);	/* clears the private components */
	PKCS12_free(p12);
	ERR_pop_to_mark();
	return err;
}
