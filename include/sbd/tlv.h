/*
 * Bounded cursor and TLV reader/writer (FORMATS.md section 1).
 *
 * Every read of untrusted bytes goes through struct sbd_cur.  Invariant:
 * off <= len.  A failed read moves nothing and writes no out-parameter.
 * base is the absolute offset of p[0] in the original input, so that
 * sub-cursors report file offsets in diagnostics.
 *
 * struct sbd_buf is the writer: a growable buffer with a hard cap and a
 * sticky error, so a builder can append freely and check once at the end.
 */
#ifndef SBD_TLV_H
#define SBD_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "sbd/err.h"

struct sbd_cur {
	const uint8_t *p;
	size_t len;
	size_t off;
	size_t base;
};

/* One element: tag, the absolute offset of its first byte, value bounds. */
struct sbd_tlv {
	uint8_t tag;
	size_t off;		/* absolute offset of the tag byte */
	const uint8_t *val;	/* borrowed */
	size_t len;
};

void sbd_cur_init(struct sbd_cur *c, const uint8_t *p, size_t len);
static inline size_t
sbd_cur_left(const struct sbd_cur *c)
{
	return c->len - c->off;
}
static inline size_t
sbd_cur_pos(const struct sbd_cur *c)
{
	return c->base + c->off;
}

int sbd_get_u8(struct sbd_cur *c, uint8_t *v) SBD_WUR;
int sbd_get_u16(struct sbd_cur *c, uint16_t *v) SBD_WUR;
int sbd_get_u32(struct sbd_cur *c, uint32_t *v) SBD_WUR;
int sbd_peek_u8(const struct sbd_cur *c, uint8_t *v) SBD_WUR;
/* Borrow n bytes. */
int sbd_get_bytes(struct sbd_cur *c, size_t n, const uint8_t **v) SBD_WUR;
int sbd_skip(struct sbd_cur *c, size_t n) SBD_WUR;
/* Split off the next n bytes as a sub-cursor (absolute offsets kept). */
int sbd_get_sub(struct sbd_cur *c, size_t n, struct sbd_cur *sub) SBD_WUR;
/* tag u8, length u16 BE, value: the value becomes t->val/t->len. */
int sbd_get_tlv(struct sbd_cur *c, struct sbd_tlv *t) SBD_WUR;

/*
 * A TLV string value must end in NUL and hold no other NUL (FORMATS.md 1.1).
 * Returns 0 if so.
 */
int sbd_tlv_is_cstring(const uint8_t *v, size_t len);
/*
 * The same, and printable ASCII (0x20..0x7e) before the NUL, with len
 * (the NUL counted) in min..max: names and passwords of TVS and CAPF
 * frames, which end up in logs.  Returns 0 if so.
 */
int sbd_tlv_is_text(const uint8_t *v, size_t len, size_t min, size_t max);

/* ---- writer ---- */

struct sbd_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;		/* hard cap: appending past it fails */
	int err;		/* sticky: first failure */
};

void sbd_buf_init(struct sbd_buf *b, size_t max);
void sbd_buf_release(struct sbd_buf *b);	/* frees, cleanses */
/* Hand the bytes over: *out owns them, b is reset.  Fails if b->err. */
int sbd_buf_take(struct sbd_buf *b, uint8_t **out, size_t *outlen) SBD_WUR;

void sbd_put_u8(struct sbd_buf *b, uint8_t v);
void sbd_put_u16(struct sbd_buf *b, uint16_t v);
void sbd_put_u32(struct sbd_buf *b, uint32_t v);
void sbd_put_bytes(struct sbd_buf *b, const void *v, size_t n);
/* Insert n bytes at position at (memmove the tail). */
void sbd_buf_insert(struct sbd_buf *b, size_t at, const void *v, size_t n);
/* Overwrite a u16 written earlier (length placeholders). */
void sbd_buf_set_u16(struct sbd_buf *b, size_t at, uint16_t v);
void sbd_put_tlv(struct sbd_buf *b, uint8_t tag, const void *v, size_t n);
void sbd_put_tlv_u8(struct sbd_buf *b, uint8_t tag, uint8_t v);
void sbd_put_tlv_u16(struct sbd_buf *b, uint8_t tag, uint16_t v);
void sbd_put_tlv_u32(struct sbd_buf *b, uint8_t tag, uint32_t v);
/* A NUL-terminated string element: the length counts the NUL. */
void sbd_put_tlv_str(struct sbd_buf *b, uint8_t tag, const char *s);
/* Open a container: writes tag and a placeholder; returns its position. */
size_t sbd_put_open(struct sbd_buf *b, uint8_t tag);
/* Close it: the length is the bytes written since the head. */
void sbd_put_close(struct sbd_buf *b, size_t head);

#endif
