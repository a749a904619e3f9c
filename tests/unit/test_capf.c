/*
 * Unit tests: CAPF frames (lib/capf.c) against the install flow captured
 * between capfd and capfc (FORMATS.md 8.3), and the parser's refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbd/capf.h"

static const uint8_t auth_req[] = {
	0x55, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08,
	0x07, 0x00, 0x01, 0x03, 0x08, 0x00, 0x01, 0x00,
};
static const uint8_t auth_res[] = {
	0x55, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x25,
	0x01, 0x00, 0x01, 0x01, 0x07, 0x00, 0x01, 0x03,
	0x0b, 0x00, 0x07, '1', '2', '3', '4', '5', '6', 0,
	0x0d, 0x00, 0x10, 'S', 'E', 'P', '0', '0', '1', '1', '2', '2', '3',
	'3', '4', '4', '5', '5', 0,
};
static const uint8_t keygen_req[] = {
	0x55, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09,
	0x0a, 0x00, 0x02, 0x08, 0x00, 0x11, 0x00, 0x01, 0x00,
};
static const uint8_t end_session[] = {
	0x55, 0x0f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04,
	0x01, 0x00, 0x01, 0x01,
};

/* Build m and compare with want, then parse want back into m2. */
static void
same(const struct sbd_capf_msg *m, const uint8_t *want, size_t n,
    struct sbd_capf_msg *m2)
{
	uint8_t *out = NULL;
	size_t len = 0;

	assert_int_equal(sbd_capf_build(m, &out, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
	free(out);
	assert_int_equal(sbd_capf_parse(want, n, m2, NULL), 0);
}

static void
test_install_flow_exact(void **state)
{
	struct sbd_capf_msg m, p;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_AUTH_REQ;
	m.session = 1;
	m.version.set = 1;
	m.version.v = SBD_CAPF_VERSION;
	m.auth_type.set = 1;
	m.auth_type.v = 0;
	same(&m, auth_req, sizeof(auth_req), &p);
	assert_true(p.version.set && p.version.v == 3);
	assert_true(p.auth_type.set && p.auth_type.v == 0);

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_AUTH_RES;
	m.session = 1;
	m.reason.set = 1;
	m.reason.v = 1;
	m.version.set = 1;
	m.version.v = 3;
	m.password = "123456";
	m.device = "SEP001122334455";
	same(&m, auth_res, sizeof(auth_res), &p);
	assert_string_equal(p.password, "123456");
	assert_string_equal(p.device, "SEP001122334455");

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_KEYGEN_REQ;
	m.session = 1;
	m.has_key_size = 1;
	m.key_size = 2048;
	m.key_type.set = 1;
	m.key_type.v = 0;
	same(&m, keygen_req, sizeof(keygen_req), &p);
	assert_int_equal(p.key_size, 2048);
	assert_false(p.curve.set);

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_END_SESSION;
	m.session = 1;
	m.reason.set = 1;
	m.reason.v = 1;
	same(&m, end_session, sizeof(end_session), &p);
	assert_int_equal(p.cmd, SBD_CAPF_END_SESSION);
}

/* STORE_CERTIFICATE_REQUEST with an 856-byte DER: body 0x364. */
static void
test_store_certificate(void **state)
{
	uint8_t der[856], *out = NULL;
	struct sbd_capf_msg m, p;
	size_t len = 0;

	(void)state;
	memset(der, 0x30, sizeof(der));
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_CAPF_STORE_REQ;
	m.session = 1;
	m.cert_type.set = 1;
	m.cert_type.v = 1;
	m.cert = der;
	m.cert_len = sizeof(der);
	m.cert_inner_type = 1;
	assert_int_equal(sbd_capf_build(&m, &out, &len), 0);
	assert_int_equal(out[6] << 8 | out[7], 0x364);
	/* 03 0001 01 | 04 035d 01 035a 00 01 <DER> */
	assert_int_equal(out[12], 0x04);
	assert_int_equal(out[13] << 8 | out[14], 0x35d);
	assert_int_equal(out[15], 0x01);
	assert_int_equal(out[16] << 8 | out[17], 0x35a);
	assert_int_equal(out[18], 0x00);
	assert_int_equal(out[19], 0x01);
	assert_int_equal(sbd_capf_parse(out, len, &p, NULL), 0);
	assert_int_equal(p.cert_len, sizeof(der));
	assert_ptr_equal(p.cert, out + 20);
	/* The inner length must agree with the element's. */
	out[17]--;
	assert_int_equal(sbd_capf_parse(out, len, &p, NULL), SBD_ERR_VALUE);
	free(out);
}

static void
test_refusals(void **state)
{
	uint8_t f[sizeof(auth_res) + 8];
	struct sbd_capf_msg m;
	struct sbd_diag d;
	size_t i, total;

	(void)state;
	for (i = 0; i < sizeof(auth_res); i++)
		assert_int_equal(sbd_capf_parse(auth_res, i, &m, NULL),
		    SBD_ERR_TRUNCATED);
	memcpy(f, auth_res, sizeof(auth_res));
	f[0] = 0x57;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	memcpy(f, auth_res, sizeof(auth_res));
	f[1] = 0;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	f[1] = SBD_CAPF_CMD_MAX + 1;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	assert_int_equal(d.off, 1);
	/* Trailing bytes. */
	memcpy(f, auth_res, sizeof(auth_res));
	f[sizeof(auth_res)] = 0;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res) + 1, &m, &d),
	    SBD_ERR_TRAILING);
	/* One over the body limit. */
	f[6] = (SBD_CAPF_BODY_MAX + 1) >> 8;
	f[7] = (SBD_CAPF_BODY_MAX + 1) & 0xff;
	assert_int_equal(sbd_capf_frame_len(f, sizeof(f), &total, NULL),
	    SBD_ERR_TOOBIG);
	/* PASSWORD without its NUL (the last byte becomes '7'). */
	memcpy(f, auth_res, sizeof(auth_res));
	f[25] = '7';
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	assert_int_equal(d.off, 16);
	/* DEVICE_NAME with a control character. */
	memcpy(f, auth_res, sizeof(auth_res));
	f[30] = '\n';
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_VALUE);
	/* VERSION given twice (REASON's tag rewritten to 7). */
	memcpy(f, auth_res, sizeof(auth_res));
	f[8] = 0x07;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_res), &m, &d),
	    SBD_ERR_TAG);
	assert_int_equal(d.off, 12);
	/* VERSION of 2 bytes. */
	memcpy(f, auth_req, sizeof(auth_req));
	f[10] = 2;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_req), &m, &d),
	    SBD_ERR_VALUE);
	/* An element longer than the body. */
	memcpy(f, auth_req, sizeof(auth_req));
	f[14] = 9;
	assert_int_equal(sbd_capf_parse(f, sizeof(auth_req), &m, &d),
	    SBD_ERR_OVERRUN);
	/* An unknown tag is skipped. */
	memcpy(f, end_session, sizeof(end_session));
	f[7] = 8;
	f[12] = 0x63;
	f[13] = 0;
	f[14] = 1;
	f[15] = 9;
	assert_int_equal(sbd_capf_parse(f, 16, &m, NULL), 0);
	assert_true(m.reason.set && m.reason.v == 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_flow_exact),
		cmocka_unit_test(test_store_certificate),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
