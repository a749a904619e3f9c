/*
 * libsbd error codes.
 *
 * Every library function that can fail returns 0 or a negative enum sbd_err.
 * Parsers additionally fill a struct sbd_diag (when the caller passes one)
 * with the absolute byte offset where the input went wrong, so that a CLI can
 * name the file and the offset.
 */
#ifndef SBD_ERR_H
#define SBD_ERR_H

#include <stddef.h>

#define SBD_WUR __attribute__((warn_unused_result))

enum sbd_err {
	SBD_OK = 0,
	SBD_ERR_NOMEM = -1,	/* allocation failed */
	SBD_ERR_TRUNCATED = -2,	/* input ends inside an element */
	SBD_ERR_OVERRUN = -3,	/* a length overruns its container */
	SBD_ERR_TAG = -4,	/* unknown, misplaced or duplicated tag */
	SBD_ERR_VERSION = -5,	/* unsupported format version */
	SBD_ERR_VALUE = -6,	/* an element has an impossible value */
	SBD_ERR_MISSING = -7,	/* a required element is absent */
	SBD_ERR_TRAILING = -8,	/* bytes after the last element */
	SBD_ERR_TOOBIG = -9,	/* output or input over a size limit */
	SBD_ERR_SIG = -10,	/* signature does not verify */
	SBD_ERR_NOSIGNER = -11,	/* no certificate matches the signer */
	SBD_ERR_HASH = -12,	/* content hash does not match */
	SBD_ERR_KEY = -13,	/* unusable key or certificate */
	SBD_ERR_CRYPTO = -14,	/* the crypto library failed */
	SBD_ERR_IO = -15,	/* reading or writing a file failed */
	SBD_ERR_INVAL = -16,	/* bad argument from the caller */
	SBD_ERR_PASSWORD = -17,	/* wrong password (PKCS#12) */
	SBD_ERR_XML = -18,	/* malformed or unexpected XML */
	SBD_ERR_EXISTS = -19,	/* the object already exists */
	SBD_ERR_NOTFOUND = -20,	/* no such object */
	SBD_ERR_STORE = -21,	/* the cluster store failed */
	SBD_ERR_BUSY = -22,	/* the store is locked; try again */
};

/* Where a parser stopped, for messages such as "FILE: offset 388: ...". */
struct sbd_diag {
	size_t off;		/* absolute offset in the input */
	int err;		/* the enum sbd_err returned */
	char what[96];		/* short reason, NUL-terminated */
};

const char *sbd_strerror(int err);

/*
 * Record a failure in d (if not NULL) and return err.  Used by parsers so
 * every error path names an offset.
 */
int sbd_diag_set(struct sbd_diag *d, size_t off, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
