/*
 * sbdctl: shared pieces of the CUCM cluster verbs (admin.h) -- the node a
 * verb acts as, the publisher-only rule, yes/no prompts, waiting for a
 * node's sbdd, the reset hook and the ITLRecovery.p12 file.
 *
 * The store is the truth: a verb commits its change, then waits (read
 * only, never holding the write lock) for the node state each sbdd
 * writes after a reload to show that the change has reached the node.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sbd/util.h"
#include "sbd/x509.h"
#include "admin.h"
#include "sbdctl.h"

#define POLL_MS		100	/* how often the waits read the store */
#define P12_MAX		(1024 * 1024)
#define ANSWER_MAX	128

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

int
admin_node(struct sbd_store *st, const char *dir, const char *opt,
    struct sbd_node *out)
{
	const char *env = getenv("SBD_NODE");
	const char *name = opt != NULL ? opt :
	    env != NULL && env[0] != '\0' ? env : NULL;
	char now[SBD_NAME_MAX];
	struct sbd_node n;
	int err;

	err = name != NULL ? sbd_store_node_get(st, name, &n) :
	    sbd_store_node_publisher(st, &n);
	/* Named as it was before a host name change: say what it is now. */
	if (err == SBD_ERR_NOTFOUND && name != NULL &&
	    sbd_store_node_renamed(st, name, now) == 0)
		warnx_("node %s: not in the cluster (renamed %s)", name, now);
	else if (err == SBD_ERR_NOTFOUND && name != NULL)
		warnx_("node %s: not in the cluster", name);
	else if (err != 0)
		store_warn(st, dir, "cannot read the nodes", err);
	if (err != 0)
		return -1;
	*out = n;
	return 0;
}

int
admin_publisher_only(const struct sbd_node *n)
{
	if (n->publisher)
		return 0;
	/* CUCM's words, on its console (seed 001). */
	printf("This is not a Publisher Node\n");
	return -1;
}

int
admin_confirm(const char *prompt, int assume_yes, int y_n)
{
	char buf[ANSWER_MAX];
	size_t n;
	int yes;

	fputs(prompt, stdout);
	if (assume_yes) {
		printf("yes\n");
		return 1;
	}
	fflush(stdout);
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		buf[0] = '\0';
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	/*
	 * A terminal echoes the answer; from a pipe it is echoed here so
	 * that the transcript reads as CUCM's.
	 */
	if (!isatty(STDIN_FILENO))
		printf("%s\n", buf);
	yes = strcasecmp(buf, "yes") == 0 ||
	    (y_n && strcasecmp(buf, "y") == 0);
	return yes;
}

int64_t
admin_node_pid(struct sbd_store *st, const char *node)
{
	struct sbd_node_state s;

	if (sbd_store_node_state_get(st, node, &s) != 0 || s.pid <= 0 ||
	    s.pid > INT_MAX)
		return 0;
	/* EPERM: the process exists but belongs to someone else. */
	if (kill((pid_t)s.pid, 0) != 0 && errno != EPERM)
		return 0;
	return s.pid;
}

/*
 * Poll node's state until the field restart ? tftp_restart : gen reaches
 * want, bounded by wait_s seconds.  The reads are autocommit, so no lock
 * is held between polls.
 */
static int
wait_state(struct sbd_store *st, const char *node, int64_t want,
    unsigned wait_s, int restart)
{
	struct sbd_node_state s;
	int64_t deadline = mono_ms() + (int64_t)wait_s * 1000, have;
	int err;

	for (;;) {
		if (admin_node_pid(st, node) == 0)
			return 1;
		if ((err = sbd_store_node_state_get(st, node, &s)) != 0) {
			warnx_("node %s: cannot read its state: %s", node,
			    err == SBD_ERR_STORE ? sbd_store_errmsg(st) :
			    sbd_strerror(err));
			return -1;
		}
		have = restart ? s.tftp_restart : s.gen;
		if (have >= want)
			return 0;
		if (mono_ms() >= deadline)
			break;
		sleep_ms(POLL_MS);
	}
	warnx_("node %s: sbdd (pid %lld) has not taken %s %lld within %u s "
	    "(it is at %lld)", node, (long long)s.pid, restart ?
	    "TFTP restart" : "store generation", (long long)want, wait_s,
	    (long long)have);
	return -1;
}

int
admin_wait_gen(struct sbd_store *st, const char *node, int64_t gen,
    unsigned wait_s)
{
	return wait_state(st, node, gen, wait_s, 0);
}

int
admin_wait_restart(struct sbd_store *st, const char *node, int64_t req,
    unsigned wait_s)
{
	return wait_state(st, node, req, wait_s, 1);
}

/* ---- the reset hook -------------------------------------------------- */

/*
 * Write the names to the hook's standard input, one per line, until the
 * deadline.  A hook that exits without reading them is not an error of
 * ours: EPIPE ends the writing (SIGPIPE is ignored meanwhile).
 */
static void
feed_names(int fd, char *const *names, size_t n, int64_t deadline)
{
	struct sigaction ign, old;
	struct pollfd p;
	size_t i, off, len;
	ssize_t r;
	int64_t left;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	for (i = 0; i < n; i++) {
		char line[SBD_DEVNAME_MAX + 2];

		len = (size_t)snprintf(line, sizeof(line), "%s\n", names[i]);
		if (len >= sizeof(line))
			continue;
		for (off = 0; off < len;) {
			if ((left = deadline - mono_ms()) <= 0)
				goto out;
			p.fd = fd;
			p.events = POLLOUT;
			p.revents = 0;
			if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
				goto out;
			r = write(fd, line + off, len - off);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				goto out;
			off += r > 0 ? (size_t)r : 0;
		}
	}
out:
	sigaction(SIGPIPE, &old, NULL);
}

/*
 * Run hook with /bin/sh -c in a process group of its own (so a timeout
 * kills what it started too).  *status gets the wait status; 1 when it
 * was killed at the deadline, 0 when it exited, -1 when it could not run.
 */
static int
run_hook(const char *hook, const char *dir, const char *reason,
    char *const *names, size_t n, unsigned timeout_s, int *status)
{
	int64_t deadline = mono_ms() + (int64_t)timeout_s * 1000;
	int fds[2], st = 0, rc = -1;
	pid_t pid, w;

	if (pipe(fds) != 0) {
		warnx_("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		warnx_("fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);
		close(fds[1]);
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		close(fds[0]);
		if (setenv("SBD_RESET_REASON", reason, 1) != 0 ||
		    setenv("SBD_DATA", dir, 1) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", hook, (char *)NULL);
		_exit(127);
	}
	/* Both sides set the group: whichever runs first wins the race. */
	(void)setpgid(pid, pid);
	close(fds[0]);
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0)
		feed_names(fds[1], names, n, deadline);
	close(fds[1]);
	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			rc = 0;
			break;
		}
		if (w < 0 && errno != EINTR) {
			warnx_("waitpid: %s", strerror(errno));
			break;
		}
		if (mono_ms() >= deadline) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				continue;
			rc = 1;
			break;
		}
		sleep_ms(20);
	}
	*status = st;
	return rc;
}

/* Every device name of the store, malloc'ed (names point into *devs). */
static int
all_devices(struct sbd_store *st, const char *dir, struct sbd_device **devs,
    size_t *ndev, char ***names)
{
	struct sbd_device *d = NULL;
	char **v = NULL;
	size_t n = 0, i;
	int err;

	if ((err = sbd_store_device_list(st, &d, &n)) != 0) {
		store_warn(st, dir, "cannot read the devices", err);
		return -1;
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		warnx_("out of memory");
		sbd_device_list_free(d, n);
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i] = d[i].name;
	*devs = d;
	*ndev = n;
	*names = v;
	return 0;
}

int
admin_reset_devices(struct sbd_store *st, const char *dir,
    char *const *names, size_t n, const char *reason, unsigned timeout_s)
{
	char hook[SBD_PARAM_MAX], outcome[64];
	struct sbd_device *devs = NULL;
	char **all = NULL;
	size_t ndev = 0;
	int err, status = 0, r, rc = -1;

	if ((err = sbd_store_param_get(st, "reset_hook", hook,
	    sizeof(hook))) == SBD_ERR_NOTFOUND)
		hook[0] = '\0';
	else if (err != 0) {
		store_warn(st, dir, "cannot read reset_hook", err);
		goto out;
	}
	if (names == NULL) {
		if (all_devices(st, dir, &devs, &ndev, &all) != 0)
			goto out;
		names = all;
		n = ndev;
	}
	if (hook[0] == '\0') {
		warnx_("no reset hook is set (sbdctl param set reset_hook "
		    "COMMAND): reset %zu phone%s by hand", n,
		    n == 1 ? "" : "s");
		snprintf(outcome, sizeof(outcome), "no hook");
		rc = 1;
	} else if ((r = run_hook(hook, dir, reason, names, n, timeout_s,
	    &status)) < 0) {
		snprintf(outcome, sizeof(outcome), "hook did not run");
	} else if (r == 1) {
		warnx_("the reset hook did not finish within %u s: killed",
		    timeout_s);
		snprintf(outcome, sizeof(outcome), "hook killed after %u s",
		    timeout_s);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("Reset sent to %zu device%s.\n", n, n == 1 ? "" : "s");
		snprintf(outcome, sizeof(outcome), "hook exit 0");
		rc = 0;
	} else if (WIFEXITED(status)) {
		warnx_("the reset hook failed: exit status %d",
		    WEXITSTATUS(status));
		snprintf(outcome, sizeof(outcome), "hook exit %d",
		    WEXITSTATUS(status));
	} else {
		warnx_("the reset hook failed: killed by signal %d",
		    WTERMSIG(status));
		snprintf(outcome, sizeof(outcome), "hook killed by signal %d",
		    WTERMSIG(status));
	}
	/* The attempt is audited whatever came of it. */
	if ((err = sbd_store_begin(st)) != 0) {
		store_warn(st, dir, "cannot begin a transaction", err);
		rc = -1;
	} else if (store_commit(st, dir, "cannot write the audit log",
	    "device reset", "%zu device%s, reason: %s; %s", n,
	    n == 1 ? "" : "s", reason, outcome) != 0) {
		sbd_store_rollback(st);
		rc = -1;
	}
out:
	free(all);
	sbd_device_list_free(devs, ndev);
	return rc;
}

/* ---- ITLRecovery.p12 ------------------------------------------------- */

int
admin_p12_path(const char *dir, const char *pub, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/nodes/%s/pki/ITLRecovery.p12", dir,
	    pub);

	if (n < 0 || (size_t)n >= cap) {
		warnx_("%s: path too long", dir);
		return -1;
	}
	return 0;
}

static int
new_path(const char *path, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s.new", path);

	if (n < 0 || (size_t)n >= cap) {
		warnx_("%s: path too long", path);
		return -1;
	}
	return 0;
}

int
admin_p12_stage(const char *path, const uint8_t *p12, size_t len)
{
	char tmp[PATH_MAX];

	if (new_path(path, tmp, sizeof(tmp)) != 0)
		return -1;
	return write_output(tmp, p12, len, 0600) != 0 ? -1 : 0;
}

/* fsync the directory holding path, so a rename in it is durable. */
static int
sync_dir(const char *path)
{
	char d[PATH_MAX];
	char *slash;
	int fd, rc = -1;

	snprintf(d, sizeof(d), "%s", path);
	if ((slash = strrchr(d, '/')) == NULL)
		snprintf(d, sizeof(d), ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = fsync(fd) == 0 ? 0 : -1;
		close(fd);
	}
	if (rc != 0)
		warnx_("%s: cannot sync: %s", d, strerror(errno));
	return rc;
}

int
admin_p12_commit(const char *path)
{
	char tmp[PATH_MAX];

	if (new_path(path, tmp, sizeof(tmp)) != 0)
		return -1;
	if (rename(tmp, path) != 0) {
		warnx_("%s: cannot rename to %s: %s", tmp, path,
		    strerror(errno));
		return -1;
	}
	return sync_dir(path);
}

/*
 * Open a p12 file: 0, SBD_ERR_NOTFOUND when there is no such file, -1
 * when it cannot be read or opened with pw (message printed unless
 * quiet).
 */
static int
open_p12(const char *path, const char *pw, int quiet, X509 **cert,
    EVP_PKEY **key)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat sb;
	int err, rc = -1;

	if (stat(path, &sb) != 0 && errno == ENOENT)
		return SBD_ERR_NOTFOUND;
	if ((err = sbd_read_file(path, P12_MAX, &buf, &len)) != 0) {
		if (!quiet)
			warnx_("%s: %s", path, err == SBD_ERR_TOOBIG ?
			    "too large" : strerror(errno));
		goto out;
	}
	if ((err = sbd_p12_import(buf, len, pw, cert, key)) != 0) {
		if (!quiet)
			warnx_("%s: cannot open: %s", path,
			    sbd_strerror(err));
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	return rc;
}

/* Is c the publisher's active ITLRecovery certificate in the store? */
static int
is_active_recovery(struct sbd_store *st, const char *pub, X509 *c)
{
	struct sbd_store_cert sc;
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen;

	if (sbd_store_cert_get(st, pub, SBD_CR_ITLRECOVERY, &sc) != 0 ||
	    sbd_x509_digest(c, EVP_sha1(), md, &mdlen) != 0)
		return 0;
	sbd_hex(md, mdlen, hex);
	return strcmp(hex, sc.sha1) == 0;
}

/*
 * A PATH.new left by a killed command: it became current when the store
 * commit happened, that is when it opens with the (checked) security
 * password and holds the active ITLRecovery certificate.  Finish the
 * rename then; otherwise the change never happened and the file goes.
 */
static int
finish_staged(struct sbd_store *st, const char *pub, const char *path,
    const char *pw)
{
	char tmp[PATH_MAX];
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int r, current, rc = -1;

	if (new_path(path, tmp, sizeof(tmp)) != 0)
		return -1;
	if ((r = open_p12(tmp, pw, 1, &c, &k)) == SBD_ERR_NOTFOUND) {
		rc = 0;
		goto out;
	}
	current = r == 0 && is_active_recovery(st, pub, c);
	if (current) {
		warnx_("%s: finishing an interrupted change", tmp);
		rc = admin_p12_commit(path);
	} else {
		warnx_("%s: removing an interrupted change", tmp);
		if (unlink(tmp) != 0)
			warnx_("%s: cannot remove: %s", tmp, strerror(errno));
		else
			rc = 0;
	}
out:
	X509_free(c);
	EVP_PKEY_free(k);
	return rc;
}

int
admin_p12_load(struct sbd_store *st, const char *dir, const char *pw,
    X509 **cert, EVP_PKEY **key)
{
	struct sbd_cluster cl;
	struct sbd_node pub;
	char path[PATH_MAX];
	int err, rc = -1;

	if ((err = sbd_store_node_publisher(st, &pub)) != 0) {
		store_warn(st, dir, "cannot read the publisher", err);
		goto out;
	}
	if ((err = sbd_store_cluster_get(st, &cl)) != 0) {
		store_warn(st, dir, "cannot read the cluster", err);
		goto out;
	}
	/*
	 * Only the current password may decide the fate of a staged file:
	 * with a wrong one a committed change would look like a lost one.
	 */
	if (sbd_password_check(pw, &cl) != 0) {
		warnx_("wrong security password");
		goto out;
	}
	if (admin_p12_path(dir, pub.name, path, sizeof(path)) != 0 ||
	    finish_staged(st, pub.name, path, pw) != 0)
		goto out;
	if ((err = open_p12(path, pw, 0, cert, key)) == SBD_ERR_NOTFOUND)
		warnx_("%s: no such file", path);
	else if (err == 0)
		rc = 0;
out:
	OPENSSL_cleanse(&cl, sizeof(cl));
	return rc;
}

int
admin_security_password(struct sbd_store *st, const char *file,
    const char *env, const char *prompt, char **out)
{
	struct sbd_cluster cl;
	char *pw = NULL;
	int err, rc = -1;

	if (read_password(file, env, prompt, &pw) != 0)
		goto out;
	if ((err = sbd_store_cluster_get(st, &cl)) != 0) {
		warnx_("cannot read the cluster: %s",
		    err == SBD_ERR_STORE ? sbd_store_errmsg(st) :
		    sbd_strerror(err));
		goto out;
	}
	if (sbd_password_check(pw, &cl) != 0) {
		warnx_("wrong security password");
		goto out;
	}
	*out = pw;
	pw = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(&cl, sizeof(cl));
	free_secret(pw);
	return rc;
}

int
admin_parse_secs(const char *usage, const char *opt, const char *s,
    unsigned lo, unsigned *out)
{
	unsigned long ul;

	if (parse_uint(s, lo, ADMIN_WAIT_MAX, &ul) != 0)
		return usage_err(usage, "bad %s: %s (%u to %d seconds)", opt,
		    s, lo, ADMIN_WAIT_MAX);
	*out = (unsigned)ul;
	return 0;
}
