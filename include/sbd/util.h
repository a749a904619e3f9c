/* Small helpers: bounded file reads, atomic writes, hex. */
#ifndef SBD_UTIL_H
#define SBD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbd/err.h"

/* Read a whole regular file of at most max bytes.  *out is malloc'ed. */
int sbd_read_file(const char *path, size_t max, uint8_t **out,
    size_t *len) SBD_WUR;
/*
 * Replace path atomically: write a temporary file beside it, fsync, rename,
 * fsync the directory.  Readers see the old or the new file, never a part.
 */
int sbd_write_file_atomic(const char *path, const void *p, size_t len,
    mode_t mode) SBD_WUR;

/* Lowercase hex of p into out (2 * n + 1 bytes). */
void sbd_hex(const uint8_t *p, size_t n, char *out);

/*
 * The cluster's clock in Unix seconds: time(NULL), plus, for tests only,
 * the offset in seconds (a signed decimal) read from the file named by
 * the environment variable SBD_TEST_CLOCK at every call, so a test can
 * move sbdctl and a running sbdd a day ahead.  A missing or unreadable
 * file is an offset of 0.  Used by the five-minute regeneration hold and
 * the daily backup alarm; never by TLS or certificate validity checks.
 */
int64_t sbd_now(void);

#endif
