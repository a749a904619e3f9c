/*
 * sbdctl: SFTP with libssh (sftp.h), for the ITLRecovery key: one
 * connection per call, the host key checked against the cluster's
 * known_hosts before any secret leaves this machine; and the options,
 * known_hosts path and password prompt that fill a target for the verbs.
 */
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <openssl/crypto.h>

#include "admin.h"
#include "sbdctl.h"
#include "sftp.h"

#define SFTP_PORT	22
#define KNOWN_HOSTS	"known_hosts"	/* in the data directory */
#define SFTP_TIMEOUT	10	/* seconds, when the target sets none */
/* Bytes per read or write request: well under the 256 KiB packet
 * OpenSSH's sftp-server accepts (and what its own client sends). */
#define SFTP_CHUNK	32768

struct conn {
	const struct sftp_target *t;
	unsigned port;
	ssh_session ssh;
	sftp_session sftp;
};

/* "sbdctl: HOST:PORT: [PATH: ]what: libssh's reason". */
static void
conn_err(const struct conn *c, const char *path, const char *what)
{
	warnx_("%s:%u: %s%s%s: %s", c->t->host, c->port,
	    path != NULL ? path : "", path != NULL ? ": " : "", what,
	    ssh_get_error(c->ssh));
}

/* OpenSSH's names of key types, as in its "... key fingerprint is". */
static const char *
key_type_name(const ssh_key key)
{
	enum ssh_keytypes_e type = ssh_key_type(key);

	switch (type) {
	case SSH_KEYTYPE_RSA:
		return "RSA";
	case SSH_KEYTYPE_DSS:
		return "DSA";
	case SSH_KEYTYPE_ECDSA:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
		return "ECDSA";
	case SSH_KEYTYPE_ED25519:
		return "ED25519";
	case SSH_KEYTYPE_SK_ECDSA:
		return "ECDSA-SK";
	case SSH_KEYTYPE_SK_ED25519:
		return "ED25519-SK";
	default:
		return ssh_key_type_to_char(type);
	}
}

/*
 * The host and the address connected to, as OpenSSH shows them:
 * "[host]:port" off port 22.
 */
static void
host_labels(const struct conn *c, char *host, size_t hcap, char *addr,
    size_t acap)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char a[NI_MAXHOST];

	if (getpeername(ssh_get_fd(c->ssh), (struct sockaddr *)&ss,
	    &sl) != 0 || getnameinfo((struct sockaddr *)&ss, sl, a, sizeof(a),
	    NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(a, sizeof(a), "?");
	if (c->port == SFTP_PORT) {
		snprintf(host, hcap, "%s", c->t->host);
		snprintf(addr, acap, "%s", a);
	} else {
		snprintf(host, hcap, "[%s]:%u", c->t->host, c->port);
		snprintf(addr, acap, "[%s]:%u", a, c->port);
	}
}

/*
 * A host key known_hosts has never seen: shown with its SHA-256
 * fingerprint and recorded only when the administrator (or accept_new)
 * says yes, as OpenSSH's StrictHostKeyChecking=ask (or accept-new) does.
 */
static int
accept_new_key(const struct conn *c, const ssh_key key, const char *fp)
{
	char host[NI_MAXHOST + 16], addr[NI_MAXHOST + 16];

	host_labels(c, host, sizeof(host), addr, sizeof(addr));
	printf("The authenticity of host '%s (%s)' can't be established.\n"
	    "%s key fingerprint is %s.\n", host, addr, key_type_name(key), fp);
	if (!admin_confirm("Are you sure you want to continue connecting "
	    "(yes/no)? ", c->t->accept_new, 0)) {
		warnx_("%s:%u: host key not accepted", c->t->host, c->port);
		return -1;
	}
	if (ssh_session_update_known_hosts(c->ssh) != SSH_OK) {
		conn_err(c, NULL, "cannot record the host key");
		return -1;
	}
	printf("Warning: Permanently added '%s' (%s) to %s.\n", host,
	    key_type_name(key), c->t->known_hosts);
	return 0;
}

static int
check_host_key(const struct conn *c)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;
	int rc = -1;

	if (ssh_get_server_publickey(c->ssh, &key) != SSH_OK) {
		conn_err(c, NULL, "no host key");
		goto out;
	}
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 || (fp = ssh_get_fingerprint_hash(
	    SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) == NULL) {
		conn_err(c, NULL, "cannot hash the host key");
		goto out;
	}
	switch (ssh_session_is_known_server(c->ssh)) {
	case SSH_KNOWN_HOSTS_OK:
		rc = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		/*
		 * Someone may be in the middle: never overridden, not even
		 * by accept_new (which only covers hosts never seen).
		 */
		warnx_("%s:%u: the host key (%s %s) is not the one %s "
		    "holds for this host: refused; if the server's key did "
		    "change, remove its old line from %s", c->t->host,
		    c->port, key_type_name(key), fp, c->t->known_hosts,
		    c->t->known_hosts);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		rc = accept_new_key(c, key, fp);
		break;
	case SSH_KNOWN_HOSTS_ERROR:
		conn_err(c, NULL, "cannot check the host key");
		break;
	}
out:
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return rc;
}

static int
authenticate(const struct conn *c)
{
	const struct sftp_target *t = c->t;
	ssh_key key = NULL;
	char *pw = NULL;
	int r, rc = -1;

	if (t->identity != NULL) {
		if (ssh_pki_import_privkey_file(t->identity, NULL, NULL, NULL,
		    &key) != SSH_OK) {
			warnx_("%s:%u: %s: cannot load the private key",
			    t->host, c->port, t->identity);
			goto out;
		}
		r = ssh_userauth_publickey(c->ssh, NULL, key);
	} else if (t->password != NULL) {
		r = ssh_userauth_password(c->ssh, NULL, t->password);
	} else {
		if (read_password(t->password_file, t->password_env,
		    "Password: ", &pw) != 0)
			goto out;
		r = ssh_userauth_password(c->ssh, NULL, pw);
	}
	if (r == SSH_AUTH_ERROR) {
		conn_err(c, NULL, "authentication failed");
		goto out;
	}
	/* PARTIAL: the server wants another method too; not offered. */
	if (r != SSH_AUTH_SUCCESS) {
		warnx_("%s:%u: permission denied for user %s (%s)", t->host,
		    c->port, t->user, t->identity != NULL ? t->identity :
		    "password");
		goto out;
	}
	rc = 0;
out:
	if (pw != NULL)
		OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	ssh_key_free(key);
	return rc;
}

static void
conn_close(struct conn *c)
{
	if (c->sftp != NULL)
		sftp_free(c->sftp);
	if (c->ssh != NULL) {
		if (ssh_is_connected(c->ssh))
			ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	c->sftp = NULL;
	c->ssh = NULL;
}

/*
 * Connect, check the host key, authenticate and start SFTP.  Only
 * DATA/known_hosts counts: no ~/.ssh/config, no system-wide known hosts,
 * so what the cluster trusts does not depend on who runs sbdctl.
 */
static int
conn_open(const struct sftp_target *t, struct conn *c)
{
	long timeout = t->timeout_s != 0 ? (long)t->timeout_s : SFTP_TIMEOUT;
	bool no = false;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->t = t;
	c->port = t->port != 0 ? t->port : SFTP_PORT;
	if ((c->ssh = ssh_new()) == NULL) {
		warnx_("%s:%u: out of memory", t->host, c->port);
		goto out;
	}
	if (ssh_options_set(c->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_HOST, t->host) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &c->port) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_USER, t->user) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS,
	    t->known_hosts) < 0 ||
	    ssh_options_set(c->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS,
	    "/dev/null") < 0) {
		conn_err(c, NULL, "bad SSH options");
		goto out;
	}
	if (ssh_connect(c->ssh) != SSH_OK) {
		conn_err(c, NULL, "cannot connect");
		goto out;
	}
	if (check_host_key(c) != 0 || authenticate(c) != 0)
		goto out;
	if ((c->sftp = sftp_new(c->ssh)) == NULL) {
		conn_err(c, NULL, "cannot open an SFTP channel");
		goto out;
	}
	if (sftp_init(c->sftp) != SSH_OK) {
		conn_err(c, NULL, "cannot start SFTP");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		conn_close(c);
	return rc;
}

/*
 * Write the whole buffer to f (the temporary file for target), fsync it
 * where the server can.
 */
static int
put_bytes(const struct conn *c, sftp_file f, const char *target,
    const uint8_t *p, size_t len)
{
	size_t off, k;
	ssize_t n;

	for (off = 0; off < len; off += (size_t)n) {
		k = len - off < SFTP_CHUNK ? len - off : SFTP_CHUNK;
		if ((n = sftp_write(f, p + off, k)) <= 0) {
			conn_err(c, target, "cannot write");
			return -1;
		}
	}
	if (sftp_extension_supported(c->sftp, "fsync@openssh.com", "1") &&
	    sftp_fsync(f) != 0) {
		conn_err(c, target, "cannot write");
		return -1;
	}
	return 0;
}

/*
 * Rename tmp over target.  SFTP version 3 (draft-ietf-secsh-filexfer-02
 * section 6.5) leaves renaming onto an existing name to the server, and
 * OpenSSH's refuses it: then a regular file there is removed first.
 */
static int
put_rename(const struct conn *c, const char *tmp, const char *target)
{
	sftp_attributes a;
	int regular;

	if (sftp_rename(c->sftp, tmp, target) == 0)
		return 0;
	if ((a = sftp_lstat(c->sftp, target)) == NULL) {
		conn_err(c, target, "cannot replace");
		return -1;
	}
	regular = a->type == SSH_FILEXFER_TYPE_REGULAR;
	sftp_attributes_free(a);
	if (!regular) {
		warnx_("%s:%u: %s: not a regular file", c->t->host, c->port,
		    target);
		return -1;
	}
	if (sftp_unlink(c->sftp, target) != 0 ||
	    sftp_rename(c->sftp, tmp, target) != 0) {
		conn_err(c, target, "cannot replace");
		return -1;
	}
	return 0;
}

int
sftp_opt(struct sftp_target *t, int ch, const char *arg, const char *usage)
{
	unsigned long v;
	int rc = 0;

	switch (ch) {
	case SFTP_OPT_PORT:
		if (parse_uint(arg, 1, 65535, &v) != 0)
			rc = usage_err(usage, "bad --port: %s (1 to 65535)",
			    arg);
		else
			t->port = (unsigned)v;
		break;
	case SFTP_OPT_IDENTITY:
		t->identity = arg;
		break;
	case SFTP_OPT_PWFILE:
		t->password_file = arg;
		break;
	case SFTP_OPT_PWENV:
		t->password_env = arg;
		break;
	case SFTP_OPT_ACCEPT:
		t->accept_new = 1;
		break;
	}
	return rc;
}

int
sftp_known_hosts(struct sftp_target *t, const char *dir, char *buf,
    size_t cap)
{
	int n, rc = -1;

	n = snprintf(buf, cap, "%s/%s", dir, KNOWN_HOSTS);
	if (n >= 0 && (size_t)n < cap) {
		t->known_hosts = buf;
		rc = 0;
	} else
		warnx_("%s: path too long", dir);
	return rc;
}

int
sftp_ask_password(struct sftp_target *t, const char *prompt, char **pw)
{
	int rc = 0;

	if (t->identity == NULL && t->password_file == NULL &&
	    t->password_env == NULL &&
	    (rc = read_password(NULL, NULL, prompt, pw)) == 0)
		t->password = *pw;
	return rc;
}

int
sftp_put(const struct sftp_target *t, const char *path, const char *name,
    const uint8_t *p, size_t len)
{
	struct conn c;
	sftp_file f = NULL;
	char target[PATH_MAX], tmp[PATH_MAX + 32];
	const char *base;
	size_t plen = strlen(path);
	int n, made = 0, rc = -1;

	memset(&c, 0, sizeof(c));
	n = plen > 0 && path[plen - 1] == '/' ?
	    snprintf(target, sizeof(target), "%s%s", path, name) :
	    snprintf(target, sizeof(target), "%s", path);
	if (n < 0 || (size_t)n >= sizeof(target)) {
		warnx_("%s: path too long", path);
		goto out;
	}
	/*
	 * The temporary file sits beside the target: the directory holds the
	 * old copy or the whole new one, never a part of it.
	 */
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	snprintf(tmp, sizeof(tmp), "%.*s.%s.sbdctl-%ld", (int)(base - target),
	    target, base, (long)getpid());
	if (conn_open(t, &c) != 0)
		goto out;
	f = sftp_open(c.sftp, tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (f == NULL) {
		conn_err(&c, target, "cannot create");
		goto out;
	}
	made = 1;
	if (put_bytes(&c, f, target, p, len) != 0)
		goto out;
	n = sftp_close(f);
	f = NULL;
	if (n != SSH_NO_ERROR) {
		conn_err(&c, target, "cannot write");
		goto out;
	}
	if (put_rename(&c, tmp, target) != 0)
		goto out;
	made = 0;
	rc = 0;
out:
	if (f != NULL)
		sftp_close(f);
	if (made)
		(void)sftp_unlink(c.sftp, tmp);
	conn_close(&c);
	return rc;
}

int
sftp_get(const struct sftp_target *t, const char *path, size_t max,
    uint8_t **out, size_t *len)
{
	struct conn c;
	sftp_attributes a = NULL;
	sftp_file f = NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, got = 0, k;
	ssize_t n;
	int rc = -1;

	if (conn_open(t, &c) != 0)
		goto out;
	/* Checked before opening: opening a FIFO or a device could hang. */
	if ((a = sftp_stat(c.sftp, path)) == NULL) {
		conn_err(&c, path, "cannot read");
		goto out;
	}
	if (a->type != SSH_FILEXFER_TYPE_REGULAR) {
		warnx_("%s:%u: %s: not a regular file", t->host, c.port, path);
		goto out;
	}
	if (a->size > max) {
		warnx_("%s:%u: %s: larger than %zu bytes", t->host, c.port,
		    path, max);
		goto out;
	}
	/* One byte over the size it had notices a file that grew. */
	cap = (size_t)a->size + 1;
	if ((buf = malloc(cap)) == NULL) {
		warnx_("out of memory");
		goto out;
	}
	if ((f = sftp_open(c.sftp, path, O_RDONLY, 0)) == NULL) {
		conn_err(&c, path, "cannot read");
		goto out;
	}
	while (got < cap) {
		k = cap - got < SFTP_CHUNK ? cap - got : SFTP_CHUNK;
		if ((n = sftp_read(f, buf + got, k)) < 0) {
			conn_err(&c, path, "cannot read");
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == cap) {
		warnx_("%s:%u: %s: changed while it was read", t->host, c.port,
		    path);
		goto out;
	}
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	/* The file is a private key, protected or not: leave no copy. */
	if (buf != NULL)
		OPENSSL_cleanse(buf, cap);
	free(buf);
	if (f != NULL)
		sftp_close(f);
	sftp_attributes_free(a);
	conn_close(&c);
	return rc;
}
