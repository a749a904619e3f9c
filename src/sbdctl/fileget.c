/*
 * sbdctl: `file get tftp ITLRecovery.p12` -- copy the publisher's
 * ITLRecovery key off the cluster to an SFTP server, with CUCM's prompts
 * (seed 001), and record the copy so the backup alarm stops (SPEC.md,
 * "Backup alarm").
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/store.h"
#include "sbd/util.h"
#include "admin.h"
#include "sbdctl.h"
#include "sftp.h"

#define P12_NAME	"ITLRecovery.p12"
#define P12_MAX		(1024 * 1024)
#define ANSWER_MAX	1024

enum { O_NODE = 256, O_YES, O_HOST, O_USER, O_DIR };

struct get_opts {
	const char *dopt, *node, *host, *port, *user, *dir;
	int yes;
	struct sftp_target t;
};

/*
 * CUCM prints the size in kilobytes as Java prints a float: the fewest
 * decimals that read back as the same float, at least one (1709 bytes
 * are "1.6689453", 1024 are "1.0").
 */
static void
kbytes(size_t n, char *buf, size_t cap)
{
	float k = (float)n / 1024.0f;
	int d;

	for (d = 1; d < 9; d++) {
		snprintf(buf, cap, "%.*f", d, (double)k);
		if (strtof(buf, NULL) == k)
			return;
	}
}

/*
 * One of CUCM's questions: the option's value when one was given (echoed
 * after the prompt, as admin_confirm echoes --yes), else a line of
 * standard input, echoed when it is not a terminal so that the
 * transcript reads as CUCM's.
 */
static int
ask(const char *prompt, const char *opt, char *buf, size_t cap)
{
	size_t n;

	fputs(prompt, stdout);
	if (opt != NULL) {
		printf("%s\n", opt);
		n = (size_t)snprintf(buf, cap, "%s", opt);
	} else {
		fflush(stdout);
		if (fgets(buf, (int)cap, stdin) == NULL) {
			putchar('\n');
			warnx_("no answer on standard input");
			return -1;
		}
		n = strcspn(buf, "\r\n");
		if (buf[n] == '\0' && !feof(stdin)) {
			putchar('\n');
			warnx_("answer longer than %zu bytes", cap - 2);
			return -1;
		}
		buf[n] = '\0';
		if (!isatty(STDIN_FILENO))
			printf("%s\n", buf);
	}
	if (n >= cap || !printable(buf)) {
		warnx_("%.*s: too long or not printable",
		    (int)strcspn(prompt, ":"), prompt);
		return -1;
	}
	return 0;
}

/*
 * The SFTP server, its port, the user, the password (unless a key or a
 * scripted password is given; *pw malloc'ed) and the download directory,
 * as CUCM asks for them; t gets them, and path (cap + 1 bytes) the
 * directory with a '/' so that sftp_put puts the file in it.
 */
static int
ask_target(struct get_opts *o, char *host, char *user, char *path,
    size_t cap, char **pw)
{
	char port[16];
	unsigned long v = 22;
	size_t n;

	if (ask("SFTP server IP: ", o->host, host, cap) != 0 ||
	    ask("SFTP server port [22]: ", o->port, port,
	    sizeof(port)) != 0)
		return -1;
	if (port[0] != '\0' && parse_uint(port, 1, 65535, &v) != 0) {
		warnx_("bad port: %s (1 to 65535)", port);
		return -1;
	}
	if (ask("User ID: ", o->user, user, cap) != 0)
		return -1;
	/* CUCM asks for the password before the directory (seed 001). */
	if (sftp_ask_password(&o->t, "Password: ", pw) != 0 ||
	    ask("Download directory: ", o->dir, path, cap) != 0)
		return -1;
	if (host[0] == '\0' || user[0] == '\0' || path[0] == '\0') {
		warnx_("an SFTP server, a user and a directory are needed");
		return -1;
	}
	n = strlen(path);
	if (path[n - 1] != '/')
		memcpy(path + n, "/", 2);
	o->t.host = host;
	o->t.port = (unsigned)v;
	o->t.user = user;
	return 0;
}

/*
 * The copy is recorded as the SHA-1 of the bytes sent: sbdd compares it
 * with the current ITLRecovery.p12, so a key replaced meanwhile keeps
 * the alarm armed.
 */
static int
record(const char *dir, const struct sbd_node *n, const struct get_opts *o,
    const char *path, const uint8_t *p, size_t len)
{
	struct sbd_store *st = NULL;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	int err, rc = -1;

	if (EVP_Digest(p, len, md, &mdlen, EVP_sha1(), NULL) != 1) {
		warnx_("cannot compute SHA-1");
		goto out;
	}
	sbd_hex(md, mdlen, hex);
	if (store_begin(dir, 0, &st) != 0)
		goto out;
	if ((err = sbd_store_param_set(st, "itlrecovery_backup", hex)) != 0) {
		store_warn(st, dir, "cannot record the backup", err);
		goto out;
	}
	if (store_commit(st, dir, "cannot record the backup", "file get",
	    "tftp %s of %s (sha1 %s) to %.64s@%.128s:%u:%.200s", P12_NAME,
	    n->name, hex, o->t.user, o->t.host, o->t.port, path) != 0)
		goto out;
	rc = 0;
out:
	store_end(st);
	return rc;
}

static int
parse_opts(int argc, char **argv, const char *usage, struct get_opts *o)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, O_NODE },
		{ "yes", no_argument, NULL, O_YES },
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, SFTP_OPT_PORT },
		{ "user", required_argument, NULL, O_USER },
		{ "dir", required_argument, NULL, O_DIR },
		{ "identity", required_argument, NULL, SFTP_OPT_IDENTITY },
		{ "password-file", required_argument, NULL, SFTP_OPT_PWFILE },
		{ "password-env", required_argument, NULL, SFTP_OPT_PWENV },
		{ "accept-host-key", no_argument, NULL, SFTP_OPT_ACCEPT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, r;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dopt = optarg;
			break;
		case O_NODE:
			o->node = optarg;
			break;
		case O_YES:
			o->yes = 1;
			break;
		case O_HOST:
			o->host = optarg;
			break;
		case O_USER:
			o->user = optarg;
			break;
		case O_DIR:
			o->dir = optarg;
			break;
		case SFTP_OPT_PORT:
		case SFTP_OPT_IDENTITY:
		case SFTP_OPT_PWFILE:
		case SFTP_OPT_PWENV:
		case SFTP_OPT_ACCEPT:
			if ((r = sftp_opt(&o->t, ch, optarg, usage)) != 0)
				return r;
			/* The port as typed answers CUCM's port question. */
			if (ch == SFTP_OPT_PORT)
				o->port = optarg;
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (argc - optind < 2 || strcmp(argv[optind], "tftp") != 0)
		return usage_err(usage, "expected tftp ITLRecovery.p12");
	if (argc - optind > 2) {
		optind += 2;
		return extra_operand(usage, argv);
	}
	if (o->t.password_file != NULL && o->t.password_env != NULL)
		return usage_err(usage, "--password-file and --password-env "
		    "exclude each other");
	return -1;
}

int
cmd_file_get_tftp(int argc, char **argv)
{
	const char *usage = "file get tftp ITLRecovery.p12 [-d DIR] "
	    "[--node HOST] [--yes]\n"
	    "       [--host HOST] [--port N] [--user USER] [--dir DIR] "
	    "[--identity KEY]\n"
	    "       [--password-file FILE | --password-env VAR] "
	    "[--accept-host-key]";
	struct get_opts o;
	struct sbd_store *st = NULL;
	struct sbd_node n;
	char p12[PATH_MAX], kh[PATH_MAX], k[32];
	char host[ANSWER_MAX], user[ANSWER_MAX], path[ANSWER_MAX + 1];
	char *pw = NULL;
	const char *dir;
	uint8_t *p = NULL;
	size_t len = 0;
	int r, rc = 1;

	memset(&o, 0, sizeof(o));
	if ((r = parse_opts(argc, argv, usage, &o)) >= 0)
		return r;
	if (strcmp(argv[optind + 1], P12_NAME) != 0) {
		warnx_("only %s can be got from tftp", P12_NAME);
		return 1;
	}
	dir = data_dir(o.dopt);
	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0 ||
	    admin_node(st, dir, o.node, &n) != 0 ||
	    admin_p12_path(dir, n.name, p12, sizeof(p12)) != 0 ||
	    sftp_known_hosts(&o.t, dir, kh, sizeof(kh)) != 0)
		goto out;
	sbd_store_close(st);
	st = NULL;
	if (access(p12, F_OK) != 0 && errno == ENOENT) {
		/* A subscriber has none: CUCM's words for no match. */
		printf("Please wait while the system is gathering files info "
		    "...done.\nNo files matched filter criteria.\n");
		goto out;
	}
	if (read_input(p12, P12_MAX, &p, &len) != 0)
		goto out;
	kbytes(len, k, sizeof(k));
	printf("Please wait while the system is gathering files info "
	    "...done.\nSub-directories were not traversed.\n"
	    "Number of files affected: 1\n"
	    "Total size in Bytes: %zu\n"
	    "Total size in Kbytes: %s\n", len, k);
	if (!admin_confirm("Would you like to proceed [y/n]? ", o.yes, 1))
		goto out;
	if (ask_target(&o, host, user, path, sizeof(host), &pw) != 0)
		goto out;
	fflush(stdout);
	if (sftp_put(&o.t, path, P12_NAME, p, len) != 0)
		goto out;
	printf("Transfer completed.\n");
	if (record(dir, &n, &o, path, p, len) != 0)
		goto out;
	rc = 0;
out:
	sbd_store_close(st);
	free_secret(pw);
	if (p != NULL)
		OPENSSL_cleanse(p, len);
	free(p);
	return rc;
}
