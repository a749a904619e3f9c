/* Unit-test helpers: keys, certificates and fixture files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "helper_pki.h"
#include "sbd/util.h"
#include "sbd/x509.h"

static void
make(EVP_PKEY *k, const char *cn, X509 **cert, EVP_PKEY **key)
{
	struct sbd_cert_req r = { 0 };

	r.cn = cn;
	r.o = "opensbd tests";
	r.days = 30;
	r.profile = SBD_CERT_SERVER;
	r.key = k;
	assert_int_equal(sbd_cert_create(&r, cert), 0);
	*key = k;
}

void
th_rsa_cert(int bits, const char *cn, X509 **cert, EVP_PKEY **key)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(sbd_key_generate(SBD_KEY_RSA, bits, &k), 0);
	make(k, cn, cert, key);
}

void
th_ec_cert(int nid, const char *cn, X509 **cert, EVP_PKEY **key)
{
	EVP_PKEY *k = NULL;

	assert_int_equal(sbd_key_generate(SBD_KEY_EC, nid, &k), 0);
	make(k, cn, cert, key);
}

uint8_t *
th_read(const char *rel, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;

	snprintf(path, sizeof(path), "tests/data/%s", rel);
	assert_int_equal(sbd_read_file(path, 64 * 1024 * 1024, &buf, len), 0);
	return buf;
}
