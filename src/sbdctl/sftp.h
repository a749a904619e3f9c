/*
 * SFTP for the ITLRecovery key (libssh): `file get tftp ITLRecovery.p12`
 * copies it to a server, `utils itl reset remotekey` fetches it back.
 *
 * The server's host key is checked against DATA/known_hosts (OpenSSH's
 * format, one file per cluster).  An unknown key is shown as CUCM shows
 * it and accepted only by a "yes" at the prompt
 *
 *     The authenticity of host 'HOST (ADDR)' can't be established.
 *     KEYTYPE key fingerprint is SHA256:....
 *     Are you sure you want to continue connecting (yes/no)?
 *
 * or by accept_new (scripts); it is then added to known_hosts.  A key
 * that differs from the recorded one is always refused.  Authentication
 * is by the identity file when one is given, else by password (password
 * when set, else prompted as "Password: ", or from password_file /
 * password_env for scripts).
 * Every failure is printed as "sbdctl: HOST:PORT: what" and returns -1.
 */
#ifndef SBDCTL_SFTP_H
#define SBDCTL_SFTP_H

#include <stddef.h>
#include <stdint.h>

struct sftp_target {
	const char *host;
	unsigned port;			/* 22 when 0 */
	const char *user;
	const char *identity;		/* private key file, or NULL */
	const char *password;		/* already read (a prompt answered
					 * earlier), or NULL */
	const char *password_file;	/* or NULL */
	const char *password_env;	/* name of a variable, or NULL */
	const char *known_hosts;	/* DATA/known_hosts */
	int accept_new;			/* add an unknown host key unasked */
	unsigned timeout_s;		/* connect and each operation; 10 if 0 */
};

/*
 * The options that fill a target, as getopt_long values for a verb's own
 * option table: --port, --identity, --accept-host-key and the two of a
 * scripted password, whose names the verb chooses.  sftp_opt takes one
 * of them (ch, with its argument arg) into t; 0, or EXIT_USAGE after
 * usage and "bad --port: ARG (1 to 65535)".  The values lie above a
 * verb's own (256 up), so they share one table.
 */
enum {
	SFTP_OPT_PORT = 0x5f00, SFTP_OPT_IDENTITY, SFTP_OPT_PWFILE,
	SFTP_OPT_PWENV, SFTP_OPT_ACCEPT,
};
int sftp_opt(struct sftp_target *t, int ch, const char *arg,
    const char *usage);
/*
 * Point t->known_hosts at DIR/known_hosts, written in buf (cap bytes).
 * 0, or -1 after "sbdctl: DIR: path too long".
 */
int sftp_known_hosts(struct sftp_target *t, const char *dir, char *buf,
    size_t cap);
/*
 * Unless t has an identity or a scripted password, ask for the password
 * at the terminal with prompt: *pw (malloc'ed; release it with
 * free_secret once t is done with) and t->password get it, set only
 * then.  0, or -1.
 */
int sftp_ask_password(struct sftp_target *t, const char *prompt, char **pw);

/*
 * Write len bytes to the server as path (mode 0600), replacing it.  A
 * path ending in '/' is a directory: the file is put there as name.
 */
int sftp_put(const struct sftp_target *t, const char *path, const char *name,
    const uint8_t *p, size_t len);
/* Read the regular file path (at most max bytes); *out malloc'ed. */
int sftp_get(const struct sftp_target *t, const char *path, size_t max,
    uint8_t **out, size_t *len);

#endif
