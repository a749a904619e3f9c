/*
 * sbdd: reference-counted, immutable bytes of one servable file.
 *
 * A transfer holds a reference for its whole life, so a reload that
 * replaces the ITL or drops the signed-file cache never pulls bytes from
 * under a transfer in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sbd/util.h"
#include "sbdd.h"

static struct sbdd_blob *
blob_alloc(void)
{
	struct sbdd_blob *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->refs = 1;
	b->fd = -1;
	return b;
}

struct sbdd_blob *
sbdd_blob_take(uint8_t *p, size_t len)
{
	struct sbdd_blob *b;

	if ((b = blob_alloc()) == NULL)
		return NULL;
	b->data = p;
	b->len = len;
	return b;
}

struct sbdd_blob *
sbdd_blob_new(const void *p, size_t len)
{
	struct sbdd_blob *b;
	uint8_t *copy;

	/* malloc(0) may return NULL; keep one byte so data is never NULL. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		return NULL;
	if (len)
		memcpy(copy, p, len);
	if ((b = sbdd_blob_take(copy, len)) == NULL)
		free(copy);
	return b;
}

struct sbdd_blob *
sbdd_blob_fd(int fd, size_t len)
{
	struct sbdd_blob *b;

	if ((b = blob_alloc()) == NULL)
		return NULL;
	b->fd = fd;
	b->len = len;
	return b;
}

struct sbdd_blob *
sbdd_blob_ref(struct sbdd_blob *b)
{
	b->refs++;
	return b;
}

void
sbdd_blob_unref(struct sbdd_blob *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	if (b->fd != -1)
		close(b->fd);
	free(b->data);
	free(b);
}

const uint8_t *
sbdd_blob_get(const struct sbdd_blob *b, size_t off, size_t n,
    uint8_t *scratch)
{
	size_t got = 0;
	ssize_t r;

	if (off > b->len || n > b->len - off)
		return NULL;
	if (b->data != NULL)
		return b->data + off;
	while (got < n) {
		r = pread(b->fd, scratch + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;	/* the file shrank or failed */
		got += (size_t)r;
	}
	return scratch;
}

/* One digest per blob, not one per transfer or reload. */
int
sbdd_blob_sha1(struct sbdd_blob *b)
{
	uint8_t md[20];

	if (b->has_sha1)
		return 0;
	if (b->data == NULL || EVP_Digest(b->data, b->len, md, NULL,
	    EVP_sha1(), NULL) != 1)
		return -1;
	sbd_hex(md, sizeof(md), b->sha1);
	b->has_sha1 = 1;
	return 0;
}
