/* sbdctl: helpers shared by the verb groups. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sbd/sighdr.h"
#include "sbd/store.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdctl.h"

#define DEFAULT_DATA	"./var"

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
load_cert_der(const char *path, uint8_t **der, size_t *len)
{
	X509 *c = NULL;
	int rc = -1;

	if (load_cert(path, &c) != 0)
		goto out;
	if (sbd_x509_der(c, der, len) != 0) {
		warnx_("%s: cannot encode the certificate", path);
		goto out;
	}
	rc = 0;
out:
	X509_free(c);
	return rc;
}

char *
der_subject(const uint8_t *der, size_t len)
{
	X509 *c = NULL;
	char *s = NULL;

	if (sbd_x509_from_der(der, len, &c) == 0 &&
	    sbd_dn_string(X509_get_subject_name(c), &s) != 0)
		s = NULL;
	X509_free(c);
	return s;
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
parse_keyspec(const char *s, struct keyspec *ks)
{
	unsigned long bits = KEYSPEC_RSA_DEFAULT;
	int nid;

	if (strcmp(s, "rsa") == 0 || (strncmp(s, "rsa:", 4) == 0 &&
	    parse_uint(s + 4, 512, 4096, &bits) == 0)) {
		ks->type = SBD_KEY_RSA;
		ks->param = (int)bits;
	} else if (strncmp(s, "ec:", 3) == 0 &&
	    (nid = sbd_curve_nid(s + 3)) != NID_undef) {
		ks->type = SBD_KEY_EC;
		ks->param = nid;
	} else
		return -1;
	return 0;
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
free_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

int
read_new_password(const char *file, const char *env, const char *prompt,
    const char *again, char **out)
{
	char *pw = NULL, *pw2 = NULL;
	int rc = -1;

	if (read_password(file, env, prompt, &pw) != 0)
		goto out;
	if (file == NULL && env == NULL) {
		if (read_password(NULL, NULL, again, &pw2) != 0)
			goto out;
		if (strcmp(pw, pw2) != 0) {
			warnx_("the passwords do not match");
			goto out;
		}
	}
	if (strlen(pw) < SECURITY_PASSWORD_MIN) {
		warnx_("the security password must have at least %d "
		    "characters", SECURITY_PASSWORD_MIN);
		goto out;
	}
	*out = pw;
	pw = NULL;
	rc = 0;
out:
	free_secret(pw);
	free_secret(pw2);
	return rc;
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

/* ---- options ---------------------------------------------------------- */

/*
 * getopt_long's own messages would name the verb word as the program, so
 * opterr is off and this reports what went wrong instead.
 */
int
opt_default(const char *usage, char **argv, int ch)
{
	const char *arg = argv[optind - 1];

	if (ch == 'h') {
		printf("usage: %s %s\n", progname, usage);
		return 0;
	}
	if (strncmp(arg, "--", 2) == 0)
		return usage_err(usage, ch == ':' ?
		    "option %s needs an argument" :
		    "unknown option or unexpected argument: %s", arg);
	if (ch == ':')
		return usage_err(usage, "option -%c needs an argument",
		    optopt);
	return usage_err(usage, "unknown option -%c", optopt);
}

int
extra_operand(const char *usage, char **argv)
{
	return usage_err(usage, "unexpected argument: %s", argv[optind]);
}

int
store_opts(int argc, char **argv, const char *usage, const char **dopt,
    const char **node, int *json)
{
	struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "node", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	/*
	 * Where --node means nothing it must not be in the table, or
	 * getopt_long would take its argument; --json takes none and is just
	 * reported as unknown.
	 */
	if (node == NULL)
		memset(&opts[3], 0, sizeof(opts[3]));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, node != NULL ? ":d:n:h" : ":d:h",
	    opts, NULL)) != -1) {
		if (ch == 'd')
			*dopt = optarg;
		else if (ch == 'n')
			*node = optarg;
		else if (ch == 'j' && json != NULL)
			*json = 1;
		else
			return opt_default(usage, argv, ch == 'j' ? '?' : ch);
	}
	return -1;
}

int
list_open(int argc, char **argv, const char *usage, int *json,
    const char **dir, struct sbd_store **st)
{
	const char *dopt = NULL;
	int r;

	if ((r = store_opts(argc, argv, usage, &dopt, NULL, json)) >= 0)
		return r;
	if (optind != argc)
		return extra_operand(usage, argv);
	*dir = data_dir(dopt);
	return open_store(*dir, SBD_STORE_RDONLY, st) != 0 ? 1 : -1;
}

/* ---- the cluster store ------------------------------------------------ */

const char *
data_dir(const char *opt)
{
	const char *env = getenv("SBD_DATA");

	if (opt != NULL)
		return opt;
	return env != NULL && env[0] != '\0' ? env : DEFAULT_DATA;
}

int
store_path(const char *dir, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", dir, SBD_STORE_FILE);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

void
store_warn(struct sbd_store *st, const char *dir, const char *what, int err)
{
	char path[PATH_MAX];

	if (store_path(dir, path, sizeof(path)) != 0)
		snprintf(path, sizeof(path), "%s", dir);
	if (err == SBD_ERR_STORE && st != NULL)
		warnx_("%s: %s: %s", path, what, sbd_store_errmsg(st));
	else if (err == SBD_ERR_BUSY)
		warnx_("%s: %s: the store stayed locked; try again", path,
		    what);
	else
		warnx_("%s: %s: %s", path, what, sbd_strerror(err));
}

int
open_store(const char *dir, unsigned flags, struct sbd_store **out)
{
	char path[PATH_MAX];
	int err;

	if (store_path(dir, path, sizeof(path)) != 0) {
		warnx_("%s: path too long", dir);
		return -1;
	}
	/* Administrators' changes: durable when the verb returns. */
	if (!(flags & SBD_STORE_RDONLY))
		flags |= SBD_STORE_DURABLE;
	err = sbd_store_open(path, flags, out);
	if (err == SBD_ERR_NOTFOUND)
		warnx_("%s: no cluster here (no %s; see sbdctl cluster init)",
		    dir, path);
	else if (err != 0)
		warnx_("%s: cannot open the store: %s%s%s", path,
		    sbd_strerror(err), *sbd_store_errmsg(NULL) ? ": " : "",
		    sbd_store_errmsg(NULL));
	return err != 0 ? -1 : 0;
}

int
store_begin(const char *dir, unsigned flags, struct sbd_store **out)
{
	struct sbd_store *st = NULL;
	int err, rc = -1;

	if (open_store(dir, flags, &st) != 0)
		goto out;
	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, dir, "cannot begin a transaction", err);
		goto out;
	}
	*out = st;
	st = NULL;
	rc = 0;
out:
	sbd_store_close(st);
	return rc;
}

int
store_commit(struct sbd_store *st, const char *dir, const char *what,
    const char *action, const char *fmt, ...)
{
	char actor[SBD_NAME_MAX];
	char detail[sizeof(((struct sbd_audit *)NULL)->detail)];
	va_list ap;
	int n, err = SBD_ERR_INVAL;

	/*
	 * sbd_store_audit has no va_list form, so the detail is formatted
	 * here; one that does not fit is refused, as sbd_store_audit would.
	 */
	va_start(ap, fmt);
	n = vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	audit_actor(actor, sizeof(actor));
	if (n >= 0 && (size_t)n < sizeof(detail) &&
	    (err = sbd_store_audit(st, actor, action, "%s", detail)) == 0)
		err = sbd_store_commit(st);
	if (err != 0)
		store_warn(st, dir, what, err);
	return err != 0 ? -1 : 0;
}

int
store_remove(const char *dir, int (*rm)(struct sbd_store *, const char *),
    const char *key, const char *name, const char *absent, const char *what,
    const char *action)
{
	struct sbd_store *st = NULL;
	int err, rc = -1;

	if (store_begin(dir, 0, &st) != 0)
		goto out;
	err = rm(st, key);
	if (err == SBD_ERR_NOTFOUND) {
		warnx_("%s", absent);
		goto out;
	} else if (err != 0) {
		store_warn(st, dir, what, err);
		goto out;
	}
	if (store_commit(st, dir, what, action, "%s", name) != 0)
		goto out;
	printf("removed %s\n", name);
	rc = 0;
out:
	store_end(st);
	return rc;
}

void
store_end(struct sbd_store *st)
{
	/* A committed store has nothing to roll back: then a no-op. */
	if (st != NULL)
		sbd_store_rollback(st);
	sbd_store_close(st);
}

int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

void
audit_actor(char *buf, size_t cap)
{
	const char *user = getenv("USER");
	struct passwd *pw;

	if (user == NULL || user[0] == '\0')
		user = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : "?";
	snprintf(buf, cap, "sbdctl:%s", user);
}

int
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SBD_NAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") == n;
}
