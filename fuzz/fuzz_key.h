/*
 * The fixed RSA-1024 key and self-signed certificate of the fuzz targets
 * that sign (fuzz_tl.c, fuzz_sgn.c).  Made once with `sbdctl cert create
 * --rsa 1024` and embedded, not generated at start-up: a fresh certificate
 * would get a random serial, so header sizes and paths would change from
 * run to run and a crash might not reproduce.  1024 bits because a SHA-512
 * DigestInfo does not fit RSA-512.  A throwaway key that protects nothing.
 */
#ifndef FUZZ_KEY_H
#define FUZZ_KEY_H

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static const char fuzz_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAMLX5VI9w71bkSn/\n"
	"TSL0meRLXQVRapA9l8aAoLzcKsipntvldJU8eYMBeV9/6ZyM6sk/+Gztg99gD1QX\n"
	"sof1lcGw2E494rG/RWicyV9nSOI/60L8O9U5077LGKVFaFwGLPV3p7ZEFa1uYUGD\n"
	"xa+FiUVprHW6c0oEg5AbLg0RLGd9AgMBAAECgYEAniBewM7Vg2DDv8StElhWaHtt\n"
	"I7q+dA84lOWhDYTUyAM4pJdkdRUePF6+5O1HZ0DJ7sgW0jg0VN19sy6EOmjpvlma\n"
	"/IoXFpfKFY8I/TaMn3UnvM6qqTiIYK57H9H6pHITXsu+0Xpir7+40jyAurF+lkoM\n"
	"oCoWoBsQTfQU8SjA/0ECQQD8LI1KvDVrjW2UHiScj/CK+lejufu/j9gSbcoHAiIM\n"
	"IL8ZzMWhzSWOm4lLuteXcKlPXskZCtKRIbWfxdZTHXTRAkEAxcyrp+NVVL2ZysXx\n"
	"Fugamw4CsVF495HCNsASU1lW5809507NaipVAZUWUMcQHkyOEHrl8BrhsHW45zzj\n"
	"lgui7QJAJc4EDJ00oQAd2mO+d1444IzxUJFURX6qFPEypWRTeF/8ZkDFrCEWLU/y\n"
	"AFFter2gFE8QdNmjgbB9Cwvcuq8i0QJBAKKSYy+9KIBayZGg+VOzd1KjxFDLPtp0\n"
	"QaVQXn+E+WnSBiQcX7b3jiCb0diYlEXi9AzVhjG/Vmn7h/r+z6ueas0CQQCTeZ2a\n"
	"sx7w4sMrPsQZLzC/b/azM3XLEuDySAKpzUXYmk3qIYA0DKAqqA4fxLYOg4U8VFop\n"
	"xrOI/Wg8I/DNTCGx\n"
	"-----END PRIVATE KEY-----\n";

static const char fuzz_cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICYjCCAcugAwIBAgIQDnl6DnCmjoHO6nfLdGa03zANBgkqhkiG9w0BAQsFADA9\n"
	"MRowGAYDVQQDDBFTQVNULW9wZW5zYmQtZnV6ejENMAsGA1UECwwEZnV6ejEQMA4G\n"
	"A1UECgwHb3BlbnNiZDAgFw0yNjExMjMxMDE2NTBaGA8yMTI2MTAzMDEwMTY1MFow\n"
	"PTEaMBgGA1UEAwwRU0FTVC1vcGVuc2JkLWZ1enoxDTALBgNVBAsMBGZ1enoxEDAO\n"
	"BgNVBAoMB29wZW5zYmQwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMLX5VI9\n"
	"w71bkSn/TSL0meRLXQVRapA9l8aAoLzcKsipntvldJU8eYMBeV9/6ZyM6sk/+Gzt\n"
	"g99gD1QXsof1lcGw2E494rG/RWicyV9nSOI/60L8O9U5077LGKVFaFwGLPV3p7ZE\n"
	"Fa1uYUGDxa+FiUVprHW6c0oEg5AbLg0RLGd9AgMBAAGjYTBfMA8GA1UdEwEB/wQF\n"
	"MAMBAf8wDgYDVR0PAQH/BAQDAgGmMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEF\n"
	"BQcDAjAdBgNVHQ4EFgQUCulP0Uei25iBZlj8I7tRzA78qw0wDQYJKoZIhvcNAQEL\n"
	"BQADgYEAU0TFaUsH0aspM+3fvukQ/d/RfLNLMJyH4cLX632yhfy0EOfxr4HMjXmQ\n"
	"ItU/MQHVlBw4W7/SoUR0Dt9ysuan3RUGtaA7g5ZCy6kORrZ+B3NcalxSUC8iyjGk\n"
	"8208fpOHoJmdb+nt0MiYM5FgySQBCh6gTRCXR33OhHDC5Ov4tE8=\n"
	"-----END CERTIFICATE-----\n";

/* Load the key and certificate (once per process); abort on failure. */
static void
fuzz_key_load(EVP_PKEY **key, X509 **cert)
{
	BIO *b;

	b = BIO_new_mem_buf(fuzz_key_pem, -1);
	if (b != NULL)
		*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	b = BIO_new_mem_buf(fuzz_cert_pem, -1);
	if (b != NULL)
		*cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*key == NULL || *cert == NULL)
		abort();
}

#endif
