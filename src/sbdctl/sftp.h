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
 * Write len bytes to the server as path (mode 0600), replacing it.  A
 * path ending in '/' is a directory: the file is put there as name.
 */
int sftp_put(const struct sftp_target *t, const char *path, const char *name,
    const uint8_t *p, size_t len);
/* Read the regular file path (at most max bytes); *out malloc'ed. */
int sftp_get(const struct sftp_target *t, const char *path, size_t max,
    uint8_t **out, size_t *len);

#endif
