/*
 * The views of X.509 certificates that the trust-list formats need, and PEM
 * loading and saving.  Generation and PKCS#12 are in certgen.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "sbd/tlv.h"
#include "sbd/util.h"
#include "sbd/x509.h"

#define PEM_FILE_MAX (1024 * 1024)

/* RFC 4514 short names, as certutils (Python cryptography) writes them. */
static const char *
attr_name(int nid)
{
	switch (nid) {
	case NID_commonName:
		return "CN";
	case NID_localityName:
		return "L";
	case NID_stateOrProvinceName:
		return "ST";
	case NID_organizationName:
		return "O";
	case NID_organizationalUnitName:
		return "OU";
	case NID_countryName:
		return "C";
	case NID_streetAddress:
		return "STREET";
	case NID_domainComponent:
		return "DC";
	case NID_userId:
		return "UID";
	}
	return NULL;
}

/* Append value with RFC 4514 escaping (section 2.4). */
static void
put_escaped(struct sbd_buf *b, const unsigned char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = v[i];

		if (ch == '\0') {
			sbd_put_bytes(b, "\\00", 3);
			continue;
		}
		if (strchr("\\\"+,;<>", ch) != NULL ||
		    (i == 0 && (ch == '#' || ch == ' ')) ||
		    (i == n - 1 && ch == ' '))
			sbd_put_u8(b, '\\');
		sbd_put_u8(b, ch);
	}
}

int
sbd_dn_string(const X509_NAME *n, char **out)
{
	struct sbd_buf b;
	int i, cnt, err;
	uint8_t *res = NULL;
	size_t reslen;

	sbd_buf_init(&b, 64 * 1024);
	cnt = X509_NAME_entry_count(n);
	for (i = 0; i < cnt; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const char *name = attr_name(OBJ_obj2nid(obj));
		unsigned char *utf8 = NULL;
		int ulen;

		if (i > 0)
			sbd_put_u8(&b, ',');
		if (name != NULL) {
			sbd_put_bytes(&b, name, strlen(name));
		} else {
			char oid[128];

			if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0) {
				sbd_buf_release(&b);
				return SBD_ERR_VALUE;
			}
			sbd_put_bytes(&b, oid, strlen(oid));
		}
		sbd_put_u8(&b, '=');
		ulen = ASN1_STRING_to_UTF8(&utf8,
		    X509_NAME_ENTRY_get_data(e));
		if (ulen < 0) {
			sbd_buf_release(&b);
			return SBD_ERR_VALUE;
		}
		put_escaped(&b, utf8, (size_t)ulen);
		OPENSSL_free(utf8);
	}
	sbd_put_u8(&b, '\0');
	err = sbd_buf_take(&b, &res, &reslen);
	if (err != 0)
		return err;
	*out = (char *)res;
	return 0;
}

int
sbd_x509_serial(X509 *c, uint8_t **out, size_t *len)
{
	BIGNUM *bn;
	uint8_t *p;
	int n;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL);
	if (bn == NULL)
		return SBD_ERR_VALUE;
	n = BN_num_bytes(bn);
	p = malloc(n > 0 ? (size_t)n : 1);
	if (p == NULL) {
		BN_free(bn);
		return SBD_ERR_NOMEM;
	}
	if (n == 0) {
		/* Serial zero still needs one byte on the wire. */
		p[0] = 0;
		n = 1;
	} else {
		BN_bn2bin(bn, p);
	}
	BN_free(bn);
	*out = p;
	*len = (size_t)n;
	return 0;
}

int
sbd_x509_pubkey_record(X509 *c, uint8_t **out, size_t *len)
{
	EVP_PKEY *pk = X509_get0_pubkey(c);
	unsigned char *der = NULL;
	int n, id;

	if (pk == NULL)
		return SBD_ERR_KEY;
	id = EVP_PKEY_get_base_id(pk);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC)
		return SBD_ERR_KEY;
	/*
	 * i2d_PublicKey gives PKCS#1 RSAPublicKey for RSA and the X9.62 point
	 * (uncompressed unless the key says otherwise) for EC: exactly the
	 * record's PUBLIC_KEY (FORMATS.md 4.2).
	 */
	n = i2d_PublicKey(pk, &der);
	if (n <= 0)
		return SBD_ERR_CRYPTO;
	*out = der;
	*len = (size_t)n;
	return 0;
}

int
sbd_x509_sigvalue(X509 *c, const uint8_t **p, size_t *len)
{
	const ASN1_BIT_STRING *sig = NULL;
	const X509_ALGOR *alg = NULL;

	X509_get0_signature(&sig, &alg, c);
	if (sig == NULL)
		return SBD_ERR_VALUE;
	*p = ASN1_STRING_get0_data(sig);
	*len = (size_t)ASN1_STRING_length(sig);
	return 0;
}

int
sbd_x509_der(X509 *c, uint8_t **out, size_t *len)
{
	unsigned char *der = NULL;
	int n;

	n = i2d_X509(c, &der);
	if (n <= 0)
		return SBD_ERR_CRYPTO;
	*out = der;
	*len = (size_t)n;
	return 0;
}

int
sbd_x509_from_der(const uint8_t *p, size_t len, X509 **out)
{
	const unsigned char *q = p;
	X509 *c;

	if (len == 0 || len > PEM_FILE_MAX)
		return SBD_ERR_VALUE;
	c = d2i_X509(NULL, &q, (long)len);
	if (c == NULL) {
		ERR_clear_error();
		return SBD_ERR_VALUE;
	}
	/* The whole value must be the certificate. */
	if (q != p + len) {
		X509_free(c);
		return SBD_ERR_TRAILING;
	}
	*out = c;
	return 0;
}

int
sbd_x509_digest(X509 *c, const EVP_MD *md, uint8_t *out, unsigned *outlen)
{
	if (X509_digest(c, md, out, outlen) != 1)
		return SBD_ERR_CRYPTO;
	return 0;
}

/* Read a PEM (or, for certificates, DER) file into a memory BIO. */
static int
file_bio(const char *path, BIO **out, uint8_t **buf, size_t *len)
{
	int err;

	err = sbd_read_file(path, PEM_FILE_MAX, buf, len);
	if (err != 0)
		return err;
	*out = BIO_new_mem_buf(*buf, (int)*len);
	if (*out == NULL) {
		OPENSSL_cleanse(*buf, *len);
		free(*buf);
		return SBD_ERR_NOMEM;
	}
	return 0;
}

int
sbd_cert_load(const char *path, X509 **out)
{
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	X509 *c;
	int err;

	err = file_bio(path, &bio, &buf, &len);
	if (err != 0)
		return err;
	c = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (c == NULL) {
		const unsigned char *q = buf;

		c = d2i_X509(NULL, &q, (long)len);
	}
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);	/* the file may also hold a key */
	free(buf);
	if (c == NULL)
		return SBD_ERR_VALUE;
	*out = c;
	return 0;
}

int
sbd_key_load(const char *path, EVP_PKEY **out)
{
	BIO *bio = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	EVP_PKEY *k;
	int err;

	err = file_bio(path, &bio, &buf, &len);
	if (err != 0)
		return err;
	/* The empty passphrase callback refuses encrypted PEM keys. */
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	ERR_clear_error();
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (k == NULL)
		return SBD_ERR_KEY;
	*out = k;
	return 0;
}

/* Write what a PEM writer put into a memory BIO to path, atomically. */
static int
save_bio(const char *path, BIO *bio, mode_t mode)
{
	char *p = NULL;
	long n;

	n = BIO_get_mem_data(bio, &p);
	if (n <= 0)
		return SBD_ERR_CRYPTO;
	return sbd_write_file_atomic(path, p, (size_t)n, mode);
}

int
sbd_cert_save(const char *path, X509 *c)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int err;

	if (bio == NULL)
		return SBD_ERR_NOMEM;
	if (PEM_write_bio_X509(bio, c) != 1)
		err = SBD_ERR_CRYPTO;
	else
		err = save_bio(path, bio, 0644);
	BIO_free(bio);
	return err;
}

int
sbd_key_save(const char *path, EVP_PKEY *k)
{
	/* A secure-memory BIO is cleansed when freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	int err;

	if (bio == NULL)
		return SBD_ERR_NOMEM;
	if (PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1)
		err = SBD_ERR_CRYPTO;
	else
		err = save_bio(path, bio, 0600);
	BIO_free(bio);
	return err;
}

int
sbd_key_matches(X509 *c, EVP_PKEY *k)
{
	int r = X509_check_private_key(c, k) == 1;

	ERR_clear_error();
	return r;
}
