/* sbdctl: signed-file verbs -- sign, show, verify and strip .sgn files. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sbd/json.h"
#include "sbd/sgn.h"
#include "sbd/trustlist.h"
#include "sbdctl.h"
#include "show.h"

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int
cmd_sgn_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "signer", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "filename", required_argument, NULL, 'f' },
		{ "hash", required_argument, NULL, 'H' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "sign --signer CERT.pem [--key KEY.pem] "
	    "[--filename NAME] [--hash sha1|sha512]\n"
	    "       [--timestamp UNIXTIME] [-o OUT] FILE";
	const char *out = NULL, *signerpath = NULL, *keypath = NULL;
	const char *fname = NULL, *path;
	char *defname = NULL, *defout = NULL, *pcopy = NULL;
	int hash = SBD_HASH_SHA1, ch, err, rc = 1;
	uint32_t ts = 0;
	unsigned long ul;
	uint8_t *buf = NULL, *res = NULL;
	size_t len = 0, outlen = 0;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:s:k:f:H:t:h", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 's':
			signerpath = optarg;
			break;
		case 'k':
			keypath = optarg;
			break;
		case 'f':
			fname = optarg;
			break;
		case 'H':
			if ((hash = parse_hash(optarg)) < 0)
				return usage_err(usage, "bad --hash: %s",
				    optarg);
			break;
		case 't':
			if (parse_uint(optarg, 1, UINT32_MAX, &ul) != 0)
				return usage_err(usage, "bad --timestamp: %s",
				    optarg);
			ts = (uint32_t)ul;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	if (signerpath == NULL)
		return usage_err(usage, "--signer is required");
	path = argv[optind];
	if (fname != NULL && sbd_sgn_filename_ok(fname) != 0) {
		warnx_("--filename %s: must be a relative path without '..', "
		    "backslashes or control characters", fname);
		return EXIT_USAGE;
	}
	if (fname == NULL) {
		/* FORMATS.md 5.1: the default FILENAME is basename.sgn. */
		pcopy = strdup(path);
		if (pcopy == NULL ||
		    asprintf(&defname, "%s.sgn", basename(pcopy)) < 0) {
			defname = NULL;
			warnx_("out of memory");
			goto out;
		}
		fname = defname;
		if (sbd_sgn_filename_ok(fname) != 0) {
			warnx_("%s: name not usable as FILENAME; give "
			    "--filename", path);
			goto out;
		}
	}
	if (out == NULL) {
		if (asprintf(&defout, "%s.sgn", path) < 0) {
			defout = NULL;
			warnx_("out of memory");
			goto out;
		}
		out = defout;
	}
	if (load_signer(signerpath, keypath, &cert, &key) != 0)
		goto out;
	if (read_input(path, SBD_SGN_MAX - 65536, &buf, &len) != 0)
		goto out;
	err = sbd_sgn_sign(buf, len, fname, hash, ts, cert, key, &res,
	    &outlen);
	if (err != 0) {
		warnx_("%s: cannot sign: %s", path, sbd_strerror(err));
		goto out;
	}
	if (write_output(out, res, outlen, 0644) != 0)
		goto out;
	rc = 0;
out:
	free(buf);
	free(res);
	free(defname);
	free(defout);
	free(pcopy);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

static int
parse_sgn_file(const char *path, uint8_t **buf, size_t *len,
    struct sbd_sighdr *h, unsigned flags)
{
	struct sbd_diag d;

	if (read_input(path, SBD_SGN_MAX, buf, len) != 0)
		return -1;
	memset(&d, 0, sizeof(d));
	if (sbd_sgn_parse(*buf, *len, flags, h, &d) != 0) {
		diag_err(path, &d);
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}

int
cmd_sgn_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "skip-unknown", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "show sgn [--json] [--skip-unknown] FILE";
	struct sbd_sighdr *h = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned flags = 0;
	int json = 0, ch, rc = 1;
	char md5[33], sha1[41];

	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'u':
			flags |= SBD_PARSE_SKIP_UNKNOWN;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	h = malloc(sizeof(*h));
	if (h == NULL) {
		warnx_("out of memory");
		return 1;
	}
	if (parse_sgn_file(argv[optind], &buf, &len, h, flags) != 0)
		goto out;
	file_digests(buf, len, md5, sha1);
	if (json) {
		struct sbd_json j;

		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_str(&j, "file", argv[optind]);
		sbd_json_str(&j, "md5", md5);
		sbd_json_str(&j, "sha1", sha1);
		sbd_json_int(&j, "length", (long long)len);
		json_header(&j, "header", h);
		sbd_json_int(&j, "payload_offset", h->hdr_len);
		sbd_json_int(&j, "payload_length",
		    (long long)(len - h->hdr_len));
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else {
		printf("The checksum value of the signed file:\n");
		printf("%s(MD5)\n%s(SHA1)\n\n", md5, sha1);
		printf("Length of signed file: %zu\n\n", len);
		printf("Version: %u.%u\n", h->ver_major, h->ver_minor);
		printf("HeaderLength: %u (BYTES)\n\n", h->hdr_len);
		show_header_rows(stdout, h);
		if (h->has_timestamp) {
			time_t t = (time_t)h->timestamp;
			struct tm tm;
			char ts[64];

			gmtime_r(&t, &tm);
			strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
			printf("\nSigned: %s\n", ts);
		}
		printf("\nPayload: %zu bytes at offset %u\n",
		    len - h->hdr_len, h->hdr_len);
	}
	rc = 0;
out:
	free(buf);
	free(h);
	return rc;
}

int
cmd_sgn_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert", required_argument, NULL, 'c' },
		{ "tl", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "verify sgn (--cert CERT.pem | --tl ITL.tlv) "
	    "[--json] [-q] FILE";
	const char *certpath = NULL, *tlpath = NULL, *path;
	struct sbd_sighdr *h = NULL;
	struct sbd_tl *tl = NULL;
	uint8_t *buf = NULL, *tlbuf = NULL;
	size_t len = 0, tllen = 0;
	X509 *cert = NULL;
	int quiet = 0, json = 0, ch, err, idx = -1, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:l:jqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'c':
			certpath = optarg;
			break;
		case 'l':
			tlpath = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	if ((certpath == NULL) == (tlpath == NULL))
		return usage_err(usage, "give exactly one of --cert and --tl");
	path = argv[optind];
	h = malloc(sizeof(*h));
	if (h == NULL) {
		warnx_("out of memory");
		return 1;
	}
	if (certpath != NULL && load_cert(certpath, &cert) != 0)
		goto out;
	if (tlpath != NULL) {
		struct sbd_diag d;

		if (read_input(tlpath, SBD_TL_PARSE_MAX, &tlbuf, &tllen) != 0)
			goto out;
		memset(&d, 0, sizeof(d));
		if (sbd_tl_parse(tlbuf, tllen, 0, &tl, &d) != 0) {
			diag_err(tlpath, &d);
			goto out;
		}
	}
	if (parse_sgn_file(path, &buf, &len, h, 0) != 0)
		goto out;
	if (cert != NULL)
		err = sbd_sgn_verify_cert(buf, len, h, cert);
	else
		err = sbd_sgn_verify_tl(buf, len, h, tl, &idx);
	if (json) {
		struct sbd_json j;

		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_str(&j, "file", path);
		sbd_json_str(&j, "signer_name", h->signer_name);
		sbd_json_hex(&j, "serial", h->serial, h->serial_len);
		sbd_json_str(&j, "filename", h->filename);
		if (idx >= 0)
			sbd_json_int(&j, "record", idx + 1);
		else
			sbd_json_null(&j, "record");
		sbd_json_bool(&j, "verified", err == 0);
		if (err != 0)
			sbd_json_str(&j, "error", sbd_strerror(err));
		sbd_json_end(&j);
		sbd_json_done(&j);
		quiet = 1;
	}
	if (err == SBD_ERR_NOSIGNER) {
		warnx_("%s: signer %s (serial in header) is not %s", path,
		    h->signer_name, cert ? "the given certificate" :
		    "a TFTP or CCM+TFTP record of the trust list");
		goto out;
	}
	if (err != 0) {
		warnx_("%s: signature verification failed", path);
		goto out;
	}
	if (!quiet) {
		if (idx >= 0)
			printf("%s: verified, signed by %s (record %d of "
			    "%s)\n", path, h->signer_name, idx + 1, tlpath);
		else
			printf("%s: verified, signed by %s\n", path,
			    h->signer_name);
	}
	rc = 0;
out:
	free(buf);
	free(tlbuf);
	free(h);
	sbd_tl_free(tl);
	X509_free(cert);
	return rc;
}

int
cmd_sgn_strip(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "strip sgn [-o OUT|-] FILE";
	const char *out = NULL, *path;
	char *defout = NULL;
	uint8_t *buf = NULL;
	const uint8_t *payload;
	size_t len = 0, plen;
	struct sbd_diag d;
	int ch, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			printf("usage: %s %s\n", progname, usage);
			return 0;
		default:
			return usage_err(usage, NULL);
		}
	}
	if (optind != argc - 1)
		return usage_err(usage, "expected one FILE");
	path = argv[optind];
	if (out == NULL) {
		const char *sfx = ends_with(path, ".sgn") ? ".sgn" :
		    ends_with(path, ".sha512") ? ".sha512" : NULL;

		if (sfx == NULL)
			return usage_err(usage, "%s does not end in .sgn or "
			    ".sha512: give -o", path);
		defout = strndup(path, strlen(path) - strlen(sfx));
		if (defout == NULL) {
			warnx_("out of memory");
			return 1;
		}
		out = defout;
	}
	if (read_input(path, SBD_SGN_MAX, &buf, &len) != 0)
		goto out;
	memset(&d, 0, sizeof(d));
	if (sbd_sgn_strip(buf, len, &payload, &plen, &d) != 0) {
		diag_err(path, &d);
		goto out;
	}
	if (strcmp(out, "-") == 0) {
		if (fwrite(payload, 1, plen, stdout) != plen ||
		    fflush(stdout) != 0) {
			warnx_("stdout: write failed");
			goto out;
		}
	} else if (write_output(out, payload, plen, 0644) != 0) {
		goto out;
	}
	rc = 0;
out:
	free(buf);
	free(defout);
	return rc;
}
