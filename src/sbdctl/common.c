/* sbdctl: helpers shared by the verb groups. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sbd/sighdr.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

void
warnx_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
diag_err(const char *file, const struct sbd_diag *d)
{
	warnx_("%s: offset %zu: %s: %s", file, d->off, sbd_strerror(d->err),
	    d->what);
}

int
usage_err(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "%s: ", progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s %s\n", progname, usage);
	return EXIT_USAGE;
}

int
read_input(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int err = sbd_read_file(path, max, out, len);

	if (err == SBD_ERR_TOOBIG)
		warnx_("%s: larger than %zu bytes", path, max);
	else if (err != 0)
		warnx_("%s: %s", path,
		    errno ? strerror(errno) : sbd_strerror(err));
	return err;
}

int
write_output(const char *path, const void *p, size_t len, unsigned mode)
{
	int err = sbd_write_file_atomic(path, p, len, (mode_t)mode);

	if (err != 0)
		warnx_("%s: cannot write: %s", path,
		    errno ? strerror(errno) : sbd_strerror(err));
	return err;
}

int
load_cert(const char *path, X509 **out)
{
	int err = sbd_cert_load(path, out);

	if (err != 0)
		warnx_("%s: cannot load certificate: %s", path,
		    sbd_strerror(err));
	return err;
}

int
load_key(const char *path, EVP_PKEY **out)
{
	int err = sbd_key_load(path, out);

	if (err != 0)
		warnx_("%s: cannot load private key: %s", path,
		    sbd_strerror(err));
	return err;
}

int
load_signer(const char *certpath, const char *keypath, X509 **cert,
    EVP_PKEY **key)
{
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	const char *kp = keypath ? keypath : certpath;

	if (load_cert(certpath, &c) != 0)
		return -1;
	if (load_key(kp, &k) != 0) {
		X509_free(c);
		return -1;
	}
	if (!sbd_key_matches(c, k)) {
		warnx_("%s: private key does not match certificate %s", kp,
		    certpath);
		X509_free(c);
		EVP_PKEY_free(k);
		return -1;
	}
	*cert = c;
	*key = k;
	return 0;
}

int
parse_hash(const char *s)
{
	if (strcasecmp(s, "sha1") == 0 || strcasecmp(s, "sha-1") == 0)
		return SBD_HASH_SHA1;
	if (strcasecmp(s, "sha512") == 0 || strcasecmp(s, "sha-512") == 0)
		return SBD_HASH_SHA512;
	return -1;
}

int
parse_uint(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Read one line from f into a malloc'ed string without the newline. */
static char *
read_line(FILE *f)
{
	char buf[1024];
	size_t n;

	if (fgets(buf, sizeof(buf), f) == NULL)
		return NULL;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return strndup(buf, n);
}

int
read_password(const char *file, const char *env, const char *prompt,
    char **out)
{
	char *pw = NULL;

	if (file != NULL) {
		FILE *f = fopen(file, "r");

		if (f == NULL) {
			warnx_("%s: %s", file, strerror(errno));
			return -1;
		}
		pw = read_line(f);
		fclose(f);
		if (pw == NULL) {
			warnx_("%s: no password in file", file);
			return -1;
		}
	} else if (env != NULL) {
		const char *v = getenv(env);

		if (v == NULL) {
			warnx_("environment variable %s is not set", env);
			return -1;
		}
		pw = strdup(v);
	} else {
		struct termios old, quiet;
		int tty = isatty(STDIN_FILENO);

		if (!tty) {
			warnx_("no password given and standard input is not "
			    "a terminal (use --password-file or "
			    "--password-env)");
			return -1;
		}
		fputs(prompt, stderr);
		fflush(stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		pw = read_line(stdin);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		if (pw == NULL) {
			warnx_("no password read");
			return -1;
		}
	}
	if (pw == NULL) {
		warnx_("out of memory");
		return -1;
	}
	*out = pw;
	return 0;
}

void
hex_colon(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;

	if (outsz == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < n && o + 4 <= outsz; i++)
		o += (size_t)snprintf(out + o, outsz - o, "%s%02X",
		    i ? ":" : "", p[i]);
}

/*
 * getopt_long's own messages would name the verb word as the program, so
 * opterr is off and this reports what went wrong instead.
 */
int
getopt_failed(const char *usage, char **argv, int ch)
{
	const char *arg = argv[optind - 1];

	if (strncmp(arg, "--", 2) == 0)
		return usage_err(usage, ch == ':' ?
		    "option %s needs an argument" :
		    "unknown option or unexpected argument: %s", arg);
	if (ch == ':')
		return usage_err(usage, "option -%c needs an argument",
		    optopt);
	return usage_err(usage, "unknown option -%c", optopt);
}
