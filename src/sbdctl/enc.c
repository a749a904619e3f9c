/*
 * sbdctl: encrypted phone configuration (FORMATS.md section 6).
 *
 *   build enc     SEP<MAC>.cnf.xml -> SEP<MAC>.cnf.xml.enc.sgn and the short
 *                 signed SEP<MAC>.cnf.xml.sgn (the plaintext is kept)
 *   show enc      print an .enc.sgn header
 *   decrypt enc   verify (optionally) and decrypt an .enc.sgn
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/encconf.h"
#include "sbd/json.h"
#include "sbd/sgn.h"
#include "sbd/trustlist.h"
#include "sbd/x509.h"
#include "sbdctl.h"
#include "show.h"

/* An .enc.sgn: a header (at most 64 KiB) and the padded ciphertext. */
#define ENC_FILE_MAX ((size_t)SBD_CONF_MAX + 65536 + 32)

static const char build_usage[] =
    "build enc SEP<MAC>.cnf.xml --signer CERT.pem [--key KEY.pem]\n"
    "           --device-cert DEV.pem [-d OUTDIR] [--hash sha1|sha512]\n"
    "           [--timestamp T]";
static const char show_usage[] = "show enc [--json] [--skip-unknown] FILE";
static const char decrypt_usage[] =
    "decrypt enc FILE --device-key KEY.pem [--cert TFTP.pem | --tl ITL.tlv]\n"
    "           [-o OUT]";

/* A getopt failure as a usage error (getopt's own messages are off). */
static int
bad_option(const char *usage, int ch, char **argv)
{
	const char *opt = argv[optind - 1];

	if (ch == ':')
		return usage_err(usage, "option %s needs an argument", opt);
	if (optopt != 0)
		return usage_err(usage, "unknown option -%c", optopt);
	return usage_err(usage, "unknown option %s", opt);
}

/* Print an untrusted string, control bytes shown as '?'. */
static void
print_safe(FILE *f, const char *s)
{
	if (s == NULL) {
		fputs("(none)", f);
		return;
	}
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void
print_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static const char *
hash_label(int h)
{
	const char *n = sbd_hash_name(h);

	return n != NULL ? n : "unknown";
}

/* Is the device certificate's key one we can wrap to?  Says why not. */
static int
check_device_cert(const char *path, X509 *c)
{
	EVP_PKEY *pk = X509_get0_pubkey(c);

	if (pk == NULL) {
		warnx_("%s: cannot read the device certificate's public key",
		    path);
		return -1;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
		warnx_("%s: device key is EC; an encrypted configuration "
		    "needs an RSA device key to wrap the AES key to "
		    "(FORMATS.md 6.3)", path);
		return -1;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		warnx_("%s: device key is not RSA; an encrypted configuration "
		    "needs an RSA device key", path);
		return -1;
	}
	return 0;
}

/* ---- build enc --------------------------------------------------------- */

int
cmd_enc_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "signer", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "device-cert", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "hash", required_argument, NULL, 'H' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *signer = NULL, *keypath = NULL, *devpath = NULL;
	const char *outdir = NULL, *input, *base;
	char *incopy = NULL, *dircopy = NULL, *encpath = NULL, *sgnpath = NULL;
	X509 *cert = NULL, *dev = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *xml = NULL, *enc = NULL, *sgn = NULL;
	size_t xmllen = 0, enclen = 0, sgnlen = 0, n;
	struct sbd_enc_opts eo;
	unsigned long ul;
	int ch, err, rc = 1;

	memset(&eo, 0, sizeof(eo));
	eo.hash = SBD_HASH_SHA1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":s:k:c:d:H:t:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			signer = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'c':
			devpath = optarg;
			break;
		case 'd':
			outdir = optarg;
			break;
		case 'H':
			if ((eo.hash = parse_hash(optarg)) < 0)
				return usage_err(build_usage,
				    "--hash: %s: want sha1 or sha512", optarg);
			break;
		case 't':
			if (parse_uint(optarg, 0, UINT32_MAX, &ul) != 0)
				return usage_err(build_usage, "--timestamp: "
				    "%s: want seconds since 1970 (0 = now)",
				    optarg);
			eo.timestamp = (uint32_t)ul;
			break;
		case 'h':
			printf("usage: %s %s\n\n"
			    "Encrypt a phone configuration for one phone "
			    "(FORMATS.md 6): writes\n"
			    "OUTDIR/NAME.enc.sgn (AES-128-CBC, "
			    "key wrapped to DEV.pem, signed by\nCERT.pem) and "
			    "OUTDIR/NAME.sgn (the signed short config). "
			    "OUTDIR defaults\nto the input's directory. The "
			    "plaintext input is kept (certutils' enccnf\n"
			    "deletes it).\n", progname, build_usage);
			return 0;
		default:
			return bad_option(build_usage, ch, argv);
		}
	}
	if (optind != argc - 1)
		return usage_err(build_usage, optind == argc ?
		    "no configuration file given" : "too many arguments");
	if (signer == NULL)
		return usage_err(build_usage, "--signer is required");
	if (devpath == NULL)
		return usage_err(build_usage, "--device-cert is required");
	input = argv[optind];

	/* The name the phone asks for is the input's base name. */
	if ((incopy = strdup(input)) == NULL ||
	    (dircopy = strdup(input)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	base = basename(incopy);
	n = strlen(base);
	if (n <= strlen(".cnf.xml") ||
	    strcmp(base + n - strlen(".cnf.xml"), ".cnf.xml") != 0 ||
	    sbd_sgn_filename_ok(base) != 0) {
		rc = usage_err(build_usage, "%s: name must be SEP<MAC>.cnf.xml "
		    "(ending in .cnf.xml)", input);
		goto out;
	}
	if (outdir == NULL)
		outdir = dirname(dircopy);
	if (asprintf(&encpath, "%s/%s.enc.sgn", outdir, base) < 0) {
		encpath = NULL;
		warnx_("out of memory");
		goto out;
	}
	if (asprintf(&sgnpath, "%s/%s.sgn", outdir, base) < 0) {
		sgnpath = NULL;
		warnx_("out of memory");
		goto out;
	}

	if (load_signer(signer, keypath, &cert, &key) != 0)
		goto out;
	if (load_cert(devpath, &dev) != 0 || check_device_cert(devpath,
	    dev) != 0)
		goto out;
	if (read_input(input, SBD_CONF_MAX, &xml, &xmllen) != 0)
		goto out;

	err = sbd_enc_build(xml, xmllen, base, cert, key, dev, &eo, &enc,
	    &enclen, &sgn, &sgnlen);
	switch (err) {
	case 0:
		break;
	case SBD_ERR_XML:
		warnx_("%s: not a phone configuration: malformed XML, a "
		    "DOCTYPE, or a root element other than <device>", input);
		goto out;
	case SBD_ERR_KEY:
		warnx_("%s, %s: unusable key (the device key must be RSA "
		    "512..4096 bits, the signer RSA 512, 1024, 2048 or 4096)",
		    devpath, signer);
		goto out;
	default:
		warnx_("%s: cannot build: %s", input, sbd_strerror(err));
		goto out;
	}
	/*
	 * The phone fetches the short .sgn first and then the .enc.sgn
	 * (FORMATS.md 6.4), so write the .enc.sgn first: a reader never sees
	 * a new short config pointing at an old encrypted file.
	 */
	if (write_output(encpath, enc, enclen, 0644) != 0)
		goto out;
	if (write_output(sgnpath, sgn, sgnlen, 0644) != 0) {
		warnx_("%s was written; %s was not", encpath, sgnpath);
		goto out;
	}
	rc = 0;
out:
	if (xml != NULL) {
		OPENSSL_cleanse(xml, xmllen);
		free(xml);
	}
	free(enc);
	free(sgn);
	free(incopy);
	free(dircopy);
	free(encpath);
	free(sgnpath);
	X509_free(cert);
	X509_free(dev);
	EVP_PKEY_free(key);
	return rc;
}

/* ---- show enc ---------------------------------------------------------- */

static void
show_text(const char *path, const struct sbd_sighdr *h, size_t len)
{
	char ts[64], serial[3 * 64];
	struct tm tm;
	time_t t;

	hex_colon(h->serial, h->serial_len, serial, sizeof(serial));
	printf("File:                 %s\n", path);
	printf("Version:              %u.%u\n", h->ver_major, h->ver_minor);
	printf("Header length:        %u\n", h->hdr_len);
	printf("Signer name:          ");
	print_safe(stdout, h->signer_name);
	printf("\nSerial number:        %s%s\n", serial,
	    3 * h->serial_len > sizeof(serial) ? "..." : "");
	printf("Issuer name:          ");
	print_safe(stdout, h->issuer_name);
	printf("\nHash algorithm:       %s\n", hash_label(h->hash_alg));
	printf("Signature:            %zu bits (%zu bytes, modulus index %u)\n",
	    8 * h->sig_len, h->sig_len, h->modulus_idx);
	printf("Filename:             ");
	print_safe(stdout, h->filename);
	if (h->has_timestamp) {
		t = (time_t)h->timestamp;
		if (gmtime_r(&t, &tm) == NULL || strftime(ts, sizeof(ts),
		    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			snprintf(ts, sizeof(ts), "%u", h->timestamp);
		printf("\nTimestamp:            %s (%u)\n", ts, h->timestamp);
	} else
		printf("\nTimestamp:            (none)\n");
	printf("IV:                   ");
	print_hex(stdout, h->enc_iv, h->enc_iv_len);
	printf("\nPad count:            %u\n", h->enc_pad);
	printf("Key size:             %u\n", h->enc_key_size);
	printf("Key algorithm:        %u\n", h->enc_key_alg);
	printf("Unknown 1, 2:         %u, %u\n", h->enc_unknown1,
	    h->enc_unknown2);
	printf("Wrapped key:          %zu bytes\n", h->enc_key_len);
	printf("Plaintext hash:       %s ", hash_label(h->enc_hash_alg));
	print_hex(stdout, h->enc_hash, h->enc_hash_len);
	printf("\nCiphertext:           %zu bytes\n", len - h->hdr_len);
}

static void
show_json(const char *path, const struct sbd_sighdr *h, size_t len)
{
	struct sbd_json j;

	sbd_json_init(&j, stdout);
	sbd_json_obj(&j, NULL);
	sbd_json_str(&j, "file", path);
	json_header(&j, "header", h);
	sbd_json_obj(&j, "encryption");
	sbd_json_hex(&j, "iv", h->enc_iv, h->enc_iv_len);
	sbd_json_int(&j, "pad_count", h->enc_pad);
	sbd_json_int(&j, "key_size", h->enc_key_size);
	sbd_json_int(&j, "key_algorithm", h->enc_key_alg);
	sbd_json_int(&j, "unknown1", h->enc_unknown1);
	sbd_json_int(&j, "unknown2", h->enc_unknown2);
	sbd_json_int(&j, "wrapped_key_length", (long long)h->enc_key_len);
	sbd_json_str(&j, "plaintext_hash_algorithm",
	    sbd_hash_name(h->enc_hash_alg));
	sbd_json_hex(&j, "plaintext_hash", h->enc_hash, h->enc_hash_len);
	sbd_json_int(&j, "ciphertext_length", (long long)(len - h->hdr_len));
	sbd_json_end(&j);
	sbd_json_end(&j);
	sbd_json_done(&j);
}

int
cmd_enc_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "skip-unknown", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sbd_sighdr *h = NULL;
	struct sbd_diag d;
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned flags = 0;
	int ch, json = 0, rc = 1;
	const char *path;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'u':
			flags |= SBD_PARSE_SKIP_UNKNOWN;
			break;
		case 'h':
			printf("usage: %s %s\n\nPrint the header of an "
			    "encrypted configuration (.enc.sgn).\n", progname,
			    show_usage);
			return 0;
		default:
			return bad_option(show_usage, ch, argv);
		}
	}
	if (optind != argc - 1)
		return usage_err(show_usage, optind == argc ?
		    "no file given" : "too many arguments");
	path = argv[optind];
	if (read_input(path, ENC_FILE_MAX, &buf, &len) != 0)
		goto out;
	if ((h = malloc(sizeof(*h))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	if (sbd_enc_parse(buf, len, flags, h, &d) != 0) {
		diag_err(path, &d);
		goto out;
	}
	if (json)
		show_json(path, h, len);
	else
		show_text(path, h, len);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnx_("standard output: write error");
		goto out;
	}
	rc = 0;
out:
	free(h);
	free(buf);
	return rc;
}

/* ---- decrypt enc ------------------------------------------------------- */

/* Verify buf's signature against the trust list in tlpath. */
static int
verify_with_tl(const char *path, const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, const char *tlpath)
{
	struct sbd_tl *tl = NULL;
	struct sbd_diag d;
	uint8_t *tbuf = NULL;
	size_t tlen = 0;
	int err, rc = -1;

	if (read_input(tlpath, SBD_TL_PARSE_MAX, &tbuf, &tlen) != 0)
		goto out;
	memset(&d, 0, sizeof(d));
	if (sbd_tl_parse(tbuf, tlen, 0, &tl, &d) != 0) {
		diag_err(tlpath, &d);
		goto out;
	}
	/* A trust list we cannot verify vouches for nothing. */
	if ((err = sbd_tl_verify(tbuf, tlen, tl, NULL, NULL)) != 0) {
		warnx_("%s: trust list does not verify: %s", tlpath,
		    sbd_strerror(err));
		goto out;
	}
	err = sbd_sgn_verify_tl(buf, len, h, tl, NULL);
	if (err == SBD_ERR_NOSIGNER)
		warnx_("%s: signer is not a TFTP or CCM+TFTP record of %s",
		    path, tlpath);
	else if (err != 0)
		warnx_("%s: signature verification failed: %s", path,
		    sbd_strerror(err));
	else
		rc = 0;
out:
	sbd_tl_free(tl);
	free(tbuf);
	return rc;
}

static int
verify_with_cert(const char *path, const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, const char *certpath)
{
	X509 *c = NULL;
	int err, rc = -1;

	if (load_cert(certpath, &c) != 0)
		return -1;
	err = sbd_sgn_verify_cert(buf, len, h, c);
	if (err == SBD_ERR_NOSIGNER)
		warnx_("%s: not signed by %s (serial differs)", path,
		    certpath);
	else if (err != 0)
		warnx_("%s: signature verification failed: %s", path,
		    sbd_strerror(err));
	else
		rc = 0;
	X509_free(c);
	return rc;
}

static int
write_stdout(const uint8_t *p, size_t n)
{
	if ((n > 0 && fwrite(p, 1, n, stdout) != n) || fflush(stdout) != 0) {
		warnx_("standard output: write error");
		return -1;
	}
	return 0;
}

int
cmd_enc_decrypt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "device-key", required_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "tl", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL, *certpath = NULL, *tlpath = NULL;
	const char *outpath = NULL, *path;
	struct sbd_sighdr *h = NULL;
	struct sbd_diag d;
	EVP_PKEY *key = NULL;
	uint8_t *buf = NULL, *plain = NULL;
	size_t len = 0, plen = 0;
	int ch, err, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":k:c:T:o:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'k':
			keypath = optarg;
			break;
		case 'c':
			certpath = optarg;
			break;
		case 'T':
			tlpath = optarg;
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			printf("usage: %s %s\n\nDecrypt an encrypted "
			    "configuration with the phone's private key.\n"
			    "With --cert or --tl the file signature is "
			    "verified first. The plaintext\ngoes to OUT "
			    "(mode 0600) or standard output.\n", progname,
			    decrypt_usage);
			return 0;
		default:
			return bad_option(decrypt_usage, ch, argv);
		}
	}
	if (optind != argc - 1)
		return usage_err(decrypt_usage, optind == argc ?
		    "no file given" : "too many arguments");
	if (keypath == NULL)
		return usage_err(decrypt_usage, "--device-key is required");
	if (certpath != NULL && tlpath != NULL)
		return usage_err(decrypt_usage,
		    "--cert and --tl are mutually exclusive");
	path = argv[optind];

	if (load_key(keypath, &key) != 0)
		goto out;
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		warnx_("%s: not an RSA private key; encrypted configurations "
		    "are wrapped to RSA keys only", keypath);
		goto out;
	}
	if (read_input(path, ENC_FILE_MAX, &buf, &len) != 0)
		goto out;
	if ((h = malloc(sizeof(*h))) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	if (sbd_enc_parse(buf, len, 0, h, &d) != 0) {
		diag_err(path, &d);
		goto out;
	}
	if (tlpath != NULL && verify_with_tl(path, buf, len, h, tlpath) != 0)
		goto out;
	if (certpath != NULL &&
	    verify_with_cert(path, buf, len, h, certpath) != 0)
		goto out;

	err = sbd_enc_decrypt(buf, len, h, key, &plain, &plen);
	switch (err) {
	case 0:
		break;
	case SBD_ERR_HASH:
		warnx_("%s: plaintext hash mismatch", path);
		goto out;
	case SBD_ERR_KEY:
		warnx_("%s: cannot unwrap the AES key with %s (not this "
		    "phone's key?)", path, keypath);
		goto out;
	default:
		warnx_("%s: cannot decrypt: %s", path, sbd_strerror(err));
		goto out;
	}
	if (outpath != NULL) {
		if (write_output(outpath, plain, plen, 0600) != 0)
			goto out;
	} else if (write_stdout(plain, plen) != 0)
		goto out;
	rc = 0;
out:
	if (plain != NULL) {
		OPENSSL_cleanse(plain, plen);
		free(plain);
	}
	free(h);
	free(buf);
	EVP_PKEY_free(key);
	return rc;
}
