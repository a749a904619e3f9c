/* Unit tests: bounded cursor and TLV reader/writer (lib/tlv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbd/tlv.h"

static void
test_reads_and_bounds(void **state)
{
	static const uint8_t in[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde };
	struct sbd_cur c;
	uint8_t u8 = 0xee;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	const uint8_t *p = NULL;

	(void)state;
	sbd_cur_init(&c, in, sizeof(in));
	assert_int_equal(sbd_get_u8(&c, &u8), 0);
	assert_int_equal(u8, 0x12);
	assert_int_equal(sbd_get_u16(&c, &u16), 0);
	assert_int_equal(u16, 0x3456);
	assert_int_equal(sbd_get_u32(&c, &u32), 0);
	assert_int_equal(u32, 0x789abcde);
	assert_int_equal(sbd_cur_left(&c), 0);
	/* A failed read moves nothing and writes nothing. */
	u8 = 0xee;
	assert_int_equal(sbd_get_u8(&c, &u8), SBD_ERR_TRUNCATED);
	assert_int_equal(u8, 0xee);
	assert_int_equal(c.off, 7);

	sbd_cur_init(&c, in, 3);
	assert_int_equal(sbd_get_u32(&c, &u32), SBD_ERR_TRUNCATED);
	assert_int_equal(c.off, 0);
	assert_int_equal(sbd_get_bytes(&c, 4, &p), SBD_ERR_TRUNCATED);
	assert_null(p);
	assert_int_equal(sbd_get_bytes(&c, 3, &p), 0);
	assert_ptr_equal(p, in);
	/* A huge n must not wrap the bounds check. */
	sbd_cur_init(&c, in, sizeof(in));
	assert_int_equal(sbd_skip(&c, 1), 0);
	assert_int_equal(sbd_skip(&c, SIZE_MAX), SBD_ERR_TRUNCATED);
	assert_int_equal(c.off, 1);
}

static void
test_tlv_overrun_and_sub(void **state)
{
	/* tag 3, len 5, but only 4 value bytes follow. */
	static const uint8_t bad[] = { 0x03, 0x00, 0x05, 1, 2, 3, 4 };
	static const uint8_t good[] = { 0x09, 0x00, 0x02, 0xaa, 0xbb, 0x0d };
	struct sbd_cur c, sub;
	struct sbd_tlv t;

	(void)state;
	sbd_cur_init(&c, bad, sizeof(bad));
	assert_int_equal(sbd_get_tlv(&c, &t), SBD_ERR_OVERRUN);
	assert_int_equal(c.off, 0);
	sbd_cur_init(&c, bad, 2);
	assert_int_equal(sbd_get_tlv(&c, &t), SBD_ERR_TRUNCATED);

	sbd_cur_init(&c, good, sizeof(good));
	c.base = 100;
	assert_int_equal(sbd_get_tlv(&c, &t), 0);
	assert_int_equal(t.tag, 9);
	assert_int_equal(t.len, 2);
	assert_int_equal(t.off, 100);
	assert_int_equal(t.val[1], 0xbb);
	assert_int_equal(sbd_get_sub(&c, 2, &sub), SBD_ERR_OVERRUN);
	assert_int_equal(sbd_get_sub(&c, 1, &sub), 0);
	/* Sub-cursors keep absolute offsets for diagnostics. */
	assert_int_equal(sbd_cur_pos(&sub), 105);
}

static void
test_cstring(void **state)
{
	(void)state;
	assert_int_equal(sbd_tlv_is_cstring((const uint8_t *)"ab", 3), 0);
	assert_int_equal(sbd_tlv_is_cstring((const uint8_t *)"", 1), 0);
	assert_int_not_equal(sbd_tlv_is_cstring((const uint8_t *)"ab", 2), 0);
	assert_int_not_equal(sbd_tlv_is_cstring((const uint8_t *)"a\0b", 4),
	    0);
	assert_int_not_equal(sbd_tlv_is_cstring((const uint8_t *)"", 0), 0);
	/* Text: printable, NUL-terminated, length (NUL counted) bounded. */
	assert_int_equal(sbd_tlv_is_text((const uint8_t *)"SEP01", 6, 2, 6),
	    0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"SEP01", 6, 2,
	    5), 0);
	assert_int_equal(sbd_tlv_is_text((const uint8_t *)"", 1, 1, 8), 0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"", 1, 2, 8), 0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"a\tb", 4, 1,
	    8), 0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"a\177", 3, 1,
	    8), 0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"a\200", 3, 1,
	    8), 0);
	assert_int_not_equal(sbd_tlv_is_text((const uint8_t *)"ab", 2, 1, 8),
	    0);
}

static void
test_writer(void **state)
{
	struct sbd_buf b;
	uint8_t *out = NULL;
	size_t len = 0, head;
	static const uint8_t want[] = { 0x03, 0x00, 0x08, 0x04, 0x00, 0x02,
		'x', 0, 0x05, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x7f };

	(void)state;
	sbd_buf_init(&b, 1024);
	head = sbd_put_open(&b, 3);
	sbd_put_tlv_str(&b, 4, "x");
	sbd_put_tlv(&b, 5, NULL, 0);
	sbd_put_close(&b, head);
	sbd_put_u8(&b, 0x7f);
	sbd_buf_insert(&b, b.len - 1, "\x0c\x00\x01", 3);
	assert_int_equal(sbd_buf_take(&b, &out, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);
}

static void
test_writer_cap_is_sticky(void **state)
{
	struct sbd_buf b;
	uint8_t *out = NULL;
	size_t len = 0;
	uint8_t big[70000];

	(void)state;
	memset(big, 0xab, sizeof(big));
	sbd_buf_init(&b, 8);
	sbd_put_u32(&b, 1);
	sbd_put_u32(&b, 2);
	sbd_put_u8(&b, 3);	/* one over the cap */
	assert_int_equal(b.err, SBD_ERR_TOOBIG);
	sbd_put_u8(&b, 4);	/* the error sticks */
	assert_int_equal(sbd_buf_take(&b, &out, &len), SBD_ERR_TOOBIG);
	assert_null(out);

	/* A TLV value over 65535 bytes cannot be encoded. */
	sbd_buf_init(&b, sizeof(big) + 16);
	sbd_put_tlv(&b, 1, big, sizeof(big));
	assert_int_equal(sbd_buf_take(&b, &out, &len), SBD_ERR_TOOBIG);

	/* Inserting past the end is refused. */
	sbd_buf_init(&b, 64);
	sbd_put_u8(&b, 1);
	sbd_buf_insert(&b, 5, "x", 1);
	assert_int_equal(sbd_buf_take(&b, &out, &len), SBD_ERR_INVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_bounds),
		cmocka_unit_test(test_tlv_overrun_and_sub),
		cmocka_unit_test(test_cstring),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_cap_is_sticky),
	};

	return cmocka_run_group_tests_name("tlv", tests, NULL, NULL);
}
