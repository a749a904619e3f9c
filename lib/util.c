/* Bounded file reads, atomic replacement, hex, the cluster's clock. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sbd/util.h"

int
sbd_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd = -1, err = SBD_ERR_IO;
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0, cap;
	ssize_t r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		errno = 0;
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	/* Read until EOF: the file may change size under us. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb;

			if (cap > max) {
				errno = 0;
				err = SBD_ERR_TOOBIG;
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				err = SBD_ERR_NOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		errno = 0;
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
	err = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return err;
}

int
sbd_write_file_atomic(const char *path, const void *p, size_t len,
    mode_t mode)
{
	char *tmp = NULL, *dcopy = NULL;
	int fd = -1, dfd = -1, err = SBD_ERR_IO, saved;
	size_t off = 0;
	ssize_t w;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
		tmp = NULL;
		err = SBD_ERR_NOMEM;
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (off < len) {
		w = write(fd, (const uint8_t *)p + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	/* Make the rename itself durable. */
	dcopy = strdup(path);
	if (dcopy != NULL) {
		dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	err = 0;
	goto out;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
	errno = saved;
out:
	if (fd >= 0)
		close(fd);
	free(dcopy);
	free(tmp);
	return err;
}

void
sbd_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/*
 * The test clock's offset: a signed decimal, blanks around it allowed
 * (echo writes a newline).  Anything else, a file longer than any such
 * number, or an offset that would overflow the clock counts as 0.
 */
static int64_t
test_clock_offset(int64_t now)
{
	const char *path;
	char buf[65], *end;
	size_t n = 0;
	ssize_t r;
	long long v;
	int fd;

	if ((path = getenv("SBD_TEST_CLOCK")) == NULL || *path == '\0' ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return 0;
	while (n < sizeof(buf) - 1) {
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			n = 0;		/* unreadable */
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n == 0 || n == sizeof(buf) - 1)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf)
		return 0;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0' || (v > 0 && now > INT64_MAX - v) ||
	    (v < 0 && now < INT64_MIN - v))
		return 0;
	return (int64_t)v;
}

int64_t
sbd_now(void)
{
	int64_t now = (int64_t)time(NULL);

	return now + test_clock_offset(now);
}
