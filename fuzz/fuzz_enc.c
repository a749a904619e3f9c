/*
 * libFuzzer target: the encrypted configuration (FORMATS.md section 6).
 *
 * The input is tried three ways: as an .enc.sgn (sbd_enc_parse, then the
 * signature check and sbd_enc_decrypt when it parses), and as a phone
 * configuration (sbd_enc_short_config).  Nothing is printed.
 *
 * The device key is a fixed RSA-512 test key, loaded once on first use,
 * so that the seed corpus (fuzz/corpus/fuzz_enc/, encrypted to it and
 * signed by it) gets past the key unwrap into the AES, padding and hash
 * checks.  It is a throwaway key for fuzzing only; it protects nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sbd/encconf.h"
#include "sbd/sgn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char dev_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAz1Y7We9L9XEhyd5+\n"
	"IyE8VZwq9MjvivQSV75H9fabAOMFtUK1SzKA47NexZh1hl8JO3bgyFCEn+4dImGK\n"
	"F+B59wIDAQABAkAW1dZ/lz10cNtZ0mluEREGFMceYqsPUMZcZ5ahXmG//Q45QQsL\n"
	"HQ5wUwMWDJudnr9N0DZ8oW3rpPshHdwuugNBAiEA6TL85y5mmLmwsmKc4nHoFezb\n"
	"mq11cwekXceAn+20TXECIQDjm+fg1VzXKXZjJTXSsw9IjLDTutB65LkD36GqqH+p\n"
	"5wIhALYQJr7ezR7jqn462z03rPihKXqDfjTGfJ7yyQsTbDchAiBzcguNzYrWk3A5\n"
	"35DKOwpAeSPjcLj37HUvUsm0Ptzp9wIgMq3UT2EE5ZirD/hq48BCrgVD+GUpNTQ1\n"
	"TsxvcQLRXa0=\n"
	"-----END PRIVATE KEY-----\n";

static const char dev_cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBmDCCAUKgAwIBAgIBATANBgkqhkiG9w0BAQsFADApMRgwFgYDVQQDDA9TRVBG\n"
	"MDBEMDAwMDAwMDExDTALBgNVBAsMBGZ1enowIBcNMjYxMTIzMDk1NjI4WhgPMjEy\n"
	"NjEwMzAwOTU2MjhaMCkxGDAWBgNVBAMMD1NFUEYwMEQwMDAwMDAwMTENMAsGA1UE\n"
	"CwwEZnV6ejBcMA0GCSqGSIb3DQEBAQUAA0sAMEgCQQDPVjtZ70v1cSHJ3n4jITxV\n"
	"nCr0yO+K9BJXvkf19psA4wW1QrVLMoDjs17FmHWGXwk7duDIUISf7h0iYYoX4Hn3\n"
	"AgMBAAGjUzBRMB0GA1UdDgQWBBRG5rAIxypFIa4nPyRnfpWonEbOmjAfBgNVHSME\n"
	"GDAWgBRG5rAIxypFIa4nPyRnfpWonEbOmjAPBgNVHRMBAf8EBTADAQH/MA0GCSqG\n"
	"SIb3DQEBCwUAA0EAiep9qFXkkmbAxaTogTLE5ldQwUHEYltA5GAALvYQkBX+P9Bs\n"
	"rczTR9YQB8e/xkvW9VEhVoLzR1jJORkZNXwKeg==\n"
	"-----END CERTIFICATE-----\n";

static EVP_PKEY *dev_key;
static X509 *dev_cert;
static unsigned long nverified;	/* keeps the result used */

/* Load the fixed key and certificate once; they live until exit. */
static void
load_fixed(void)
{
	BIO *b;

	if (dev_key != NULL)
		return;
	b = BIO_new_mem_buf(dev_key_pem, -1);
	if (b != NULL)
		dev_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(dev_cert_pem, -1);
	if (b != NULL)
		dev_cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (dev_key == NULL || dev_cert == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_sighdr *h;
	struct sbd_diag d;
	uint8_t *plain = NULL, *out = NULL;
	size_t plen = 0, outlen = 0;
	unsigned flags;

	load_fixed();
	h = malloc(sizeof(*h));
	if (h == NULL)
		return 0;
	for (flags = 0; flags <= SBD_PARSE_SKIP_UNKNOWN; flags++) {
		if (sbd_enc_parse(data, size, flags, h, &d) != 0)
			continue;
		/*
		 * Decrypt whether or not the signature verifies: inputs
		 * the fuzzer makes never do, and decrypt must be safe on
		 * any header that parses.
		 */
		if (sbd_sgn_verify_cert(data, size, h, dev_cert) == 0)
			nverified++;
		if (sbd_enc_decrypt(data, size, h, dev_key, &plain,
		    &plen) == 0)
			free(plain);
		plain = NULL;
	}
	free(h);
	if (sbd_enc_short_config(data, size, dev_cert, &out, &outlen) == 0)
		free(out);
	return 0;
}
