/*
 * Bounded cursor and TLV reader/writer.  See include/sbd/tlv.h.
 *
 * Bounds are always checked as "n > left", never "off + n > len", so no
 * check can overflow.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sbd/tlv.h"

void
sbd_cur_init(struct sbd_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
	c->base = 0;
}

int
sbd_peek_u8(const struct sbd_cur *c, uint8_t *v)
{
	if (sbd_cur_left(c) < 1)
		return SBD_ERR_TRUNCATED;
	*v = c->p[c->off];
	return 0;
}

int
sbd_get_u8(struct sbd_cur *c, uint8_t *v)
{
	if (sbd_cur_left(c) < 1)
		return SBD_ERR_TRUNCATED;
	*v = c->p[c->off++];
	return 0;
}

int
sbd_get_u16(struct sbd_cur *c, uint16_t *v)
{
	const uint8_t *q;

	if (sbd_cur_left(c) < 2)
		return SBD_ERR_TRUNCATED;
	q = c->p + c->off;
	*v = (uint16_t)((q[0] << 8) | q[1]);
	c->off += 2;
	return 0;
}

int
sbd_get_u32(struct sbd_cur *c, uint32_t *v)
{
	const uint8_t *q;

	if (sbd_cur_left(c) < 4)
		return SBD_ERR_TRUNCATED;
	q = c->p + c->off;
	*v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	    ((uint32_t)q[2] << 8) | q[3];
	c->off += 4;
	return 0;
}

int
sbd_get_bytes(struct sbd_cur *c, size_t n, const uint8_t **v)
{
	if (n > sbd_cur_left(c))
		return SBD_ERR_TRUNCATED;
	*v = c->p + c->off;
	c->off += n;
	return 0;
}

int
sbd_skip(struct sbd_cur *c, size_t n)
{
	if (n > sbd_cur_left(c))
		return SBD_ERR_TRUNCATED;
	c->off += n;
	return 0;
}

int
sbd_get_sub(struct sbd_cur *c, size_t n, struct sbd_cur *sub)
{
	if (n > sbd_cur_left(c))
		return SBD_ERR_OVERRUN;
	sub->p = c->p + c->off;
	sub->len = n;
	sub->off = 0;
	sub->base = c->base + c->off;
	c->off += n;
	return 0;
}

int
sbd_get_tlv(struct sbd_cur *c, struct sbd_tlv *t)
{
	struct sbd_cur tmp = *c;
	uint8_t tag;
	uint16_t len;
	const uint8_t *val;

	if (sbd_get_u8(&tmp, &tag) != 0 || sbd_get_u16(&tmp, &len) != 0)
		return SBD_ERR_TRUNCATED;
	if (sbd_get_bytes(&tmp, len, &val) != 0)
		return SBD_ERR_OVERRUN;
	t->tag = tag;
	t->off = sbd_cur_pos(c);
	t->val = val;
	t->len = len;
	*c = tmp;
	return 0;
}

int
sbd_tlv_is_cstring(const uint8_t *v, size_t len)
{
	if (len == 0 || v[len - 1] != '\0')
		return -1;
	if (memchr(v, '\0', len - 1) != NULL)
		return -1;
	return 0;
}

int
sbd_tlv_is_text(const uint8_t *v, size_t len, size_t min, size_t max)
{
	size_t i;

	if (len < min || len > max || sbd_tlv_is_cstring(v, len) != 0)
		return -1;
	for (i = 0; i + 1 < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return -1;
	return 0;
}

/* ---- writer ---- */

void
sbd_buf_init(struct sbd_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
sbd_buf_release(struct sbd_buf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
}

int
sbd_buf_take(struct sbd_buf *b, uint8_t **out, size_t *outlen)
{
	int err = b->err;

	if (err != 0) {
		sbd_buf_release(b);
		return err;
	}
	if (b->p == NULL) {
		/* An empty result is still a valid, freeable buffer. */
		b->p = malloc(1);
		if (b->p == NULL)
			return SBD_ERR_NOMEM;
	}
	*out = b->p;
	*outlen = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

static int
buf_reserve(struct sbd_buf *b, size_t n)
{
	size_t want, ncap;
	uint8_t *np;

	if (b->err != 0)
		return -1;
	if (n > b->max || b->len > b->max - n) {
		b->err = SBD_ERR_TOOBIG;
		return -1;
	}
	want = b->len + n;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	np = malloc(ncap);
	if (np == NULL) {
		b->err = SBD_ERR_NOMEM;
		return -1;
	}
	if (b->p != NULL) {
		memcpy(np, b->p, b->len);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = np;
	b->cap = ncap;
	return 0;
}

void
sbd_put_bytes(struct sbd_buf *b, const void *v, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return;
	if (n > 0)
		memcpy(b->p + b->len, v, n);
	b->len += n;
}

void
sbd_buf_insert(struct sbd_buf *b, size_t at, const void *v, size_t n)
{
	if (b->err == 0 && at > b->len) {
		b->err = SBD_ERR_INVAL;
		return;
	}
	if (buf_reserve(b, n) != 0)
		return;
	memmove(b->p + at + n, b->p + at, b->len - at);
	memcpy(b->p + at, v, n);
	b->len += n;
}

void
sbd_put_u8(struct sbd_buf *b, uint8_t v)
{
	sbd_put_bytes(b, &v, 1);
}

void
sbd_put_u16(struct sbd_buf *b, uint16_t v)
{
	uint8_t q[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	sbd_put_bytes(b, q, 2);
}

void
sbd_put_u32(struct sbd_buf *b, uint32_t v)
{
	uint8_t q[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	sbd_put_bytes(b, q, 4);
}

void
sbd_buf_set_u16(struct sbd_buf *b, size_t at, uint16_t v)
{
	if (b->err != 0)
		return;
	if (at > b->len || b->len - at < 2) {
		b->err = SBD_ERR_INVAL;
		return;
	}
	b->p[at] = (uint8_t)(v >> 8);
	b->p[at + 1] = (uint8_t)v;
}

void
sbd_put_tlv(struct sbd_buf *b, uint8_t tag, const void *v, size_t n)
{
	if (n > UINT16_MAX) {
		if (b->err == 0)
			b->err = SBD_ERR_TOOBIG;
		return;
	}
	sbd_put_u8(b, tag);
	sbd_put_u16(b, (uint16_t)n);
	sbd_put_bytes(b, v, n);
}

void
sbd_put_tlv_u8(struct sbd_buf *b, uint8_t tag, uint8_t v)
{
	sbd_put_tlv(b, tag, &v, 1);
}

void
sbd_put_tlv_u16(struct sbd_buf *b, uint8_t tag, uint16_t v)
{
	uint8_t q[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	sbd_put_tlv(b, tag, q, 2);
}

void
sbd_put_tlv_u32(struct sbd_buf *b, uint8_t tag, uint32_t v)
{
	uint8_t q[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	sbd_put_tlv(b, tag, q, 4);
}

void
sbd_put_tlv_str(struct sbd_buf *b, uint8_t tag, const char *s)
{
	sbd_put_tlv(b, tag, s, strlen(s) + 1);
}

size_t
sbd_put_open(struct sbd_buf *b, uint8_t tag)
{
	size_t head = b->len;

	sbd_put_u8(b, tag);
	sbd_put_u16(b, 0);
	return head;
}

void
sbd_put_close(struct sbd_buf *b, size_t head)
{
	size_t n;

	if (b->err != 0)
		return;
	n = b->len - head - 3;
	if (n > UINT16_MAX) {
		b->err = SBD_ERR_TOOBIG;
		return;
	}
	sbd_buf_set_u16(b, head + 1, (uint16_t)n);
}
