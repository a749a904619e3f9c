/*
 * Unit tests: TVS frames (lib/tvs.c) against the exchanges of FORMATS.md
 * 7.5, and every refusal of the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbd/tvs.h"

/* VERIFY responses captured from tvsd (FORMATS.md 7.5). */
static const uint8_t verify_known[] = {
	0x57, 0x01, 0x02, 0x00, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x10,
	0x07, 0x00, 0x01, 0x00,
	0x08, 0x00, 0x02, 0x01, 0x03,
	0x09, 0x00, 0x04, 0x00, 0x00, 0x0e, 0x10,
};
static const uint8_t verify_unknown[] = {
	0x57, 0x01, 0x02, 0x00, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x04,
	0x07, 0x00, 0x01, 0x01,
};

static void
test_verify_responses_exact(void **state)
{
	struct sbd_tvs_msg m;
	uint8_t *out = NULL;
	size_t len = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_TVS_VERIFY_RES;
	m.session = 1001;
	m.has_status = 1;
	m.status = SBD_TVS_VALID;
	m.has_roles = 1;
	m.roles[0] = 1;
	m.roles[1] = 3;
	m.nroles = 2;
	m.has_ttl = 1;
	m.ttl = 3600;
	assert_int_equal(sbd_tvs_build(&m, &out, &len), 0);
	assert_int_equal(len, sizeof(verify_known));
	assert_memory_equal(out, verify_known, len);
	free(out);

	memset(&m, 0, sizeof(m));
	m.cmd = SBD_TVS_VERIFY_RES;
	m.session = 1001;
	m.has_status = 1;
	m.status = SBD_TVS_INVALID;
	assert_int_equal(sbd_tvs_build(&m, &out, &len), 0);
	assert_int_equal(len, sizeof(verify_unknown));
	assert_memory_equal(out, verify_unknown, len);
	free(out);

	assert_int_equal(sbd_tvs_parse(verify_known, sizeof(verify_known), &m,
	    NULL), 0);
	assert_int_equal(m.cmd, SBD_TVS_VERIFY_RES);
	assert_int_equal(m.session, 1001);
	assert_true(m.has_status && m.status == SBD_TVS_VALID);
	assert_int_equal(m.nroles, 2);
	assert_int_equal(m.roles[1], 3);
	assert_true(m.has_ttl && m.ttl == 3600);
	assert_null(m.cert);
}

/* A VERIFY request as a phone sends it: header length 0x0375 for 855. */
static void
test_verify_request_round_trip(void **state)
{
	static const char dev[] = "CP-8845-SEP001122334455";
	uint8_t der[855], *out = NULL;
	struct sbd_tvs_msg m, p;
	size_t len = 0, total = 0;

	(void)state;
	memset(der, 0x5a, sizeof(der));
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_TVS_VERIFY_REQ;
	m.session = 1001;
	m.device = dev;
	m.device_len = strlen(dev);
	m.cert = der;
	m.cert_len = sizeof(der);
	assert_int_equal(sbd_tvs_build(&m, &out, &len), 0);
	assert_int_equal(len, 10 + 0x375);
	assert_int_equal(out[8], 0x03);
	assert_int_equal(out[9], 0x75);
	/* 01 0018 01 "CP-..." then 02 0357 DER. */
	assert_int_equal(out[10], 1);
	assert_int_equal(out[12], 0x18);
	assert_int_equal(out[13], 0x01);
	assert_memory_equal(out + 14, dev, strlen(dev));
	assert_int_equal(out[14 + 23], 2);
	assert_int_equal(sbd_tvs_frame_len(out, 10, &total, NULL), 0);
	assert_int_equal(total, len);
	assert_int_equal(sbd_tvs_parse(out, len, &p, NULL), 0);
	assert_int_equal(p.device_len, strlen(dev));
	assert_memory_equal(p.device, dev, p.device_len);
	assert_int_equal(p.cert_len, sizeof(der));
	assert_ptr_equal(p.cert, out + 10 + 27 + 3);
	free(out);
}

/* The CUCM QUERY request of FORMATS.md 7.5: body 0x8f = 143 bytes. */
static void
test_query_request_cucm_lengths(void **state)
{
	static const char dev[] = "CP-8861-SEPB000B4BA0AEE";
	static const char subj[] = "CN=ucm11pub.stormin.local;OU=IST;"
	    "O=Stormin;L=Brisbane;ST=QLD;C=AU";
	static const char iss[] = "CN=stormin-WIN2012-CA";
	uint8_t serial[19], *out = NULL;
	struct sbd_tvs_msg m, p;
	size_t len = 0;

	(void)state;
	memset(serial, 0, sizeof(serial));
	serial[0] = 0x24;
	memset(&m, 0, sizeof(m));
	m.cmd = SBD_TVS_QUERY_REQ;
	m.session = 1001;
	m.device = dev;
	m.device_len = strlen(dev);
	m.subject = subj;
	m.issuer = iss;
	m.serial = serial;
	m.serial_len = sizeof(serial);
	assert_int_equal(sbd_tvs_build(&m, &out, &len), 0);
	assert_int_equal(out[8] << 8 | out[9], 0x8f);
	assert_int_equal(len, 153);
	assert_int_equal(sbd_tvs_parse(out, len, &p, NULL), 0);
	assert_string_equal(p.subject, subj);
	assert_string_equal(p.issuer, iss);
	assert_int_equal(p.serial_len, 19);
	free(out);
}

static void
test_header_refusals(void **state)
{
	uint8_t f[sizeof(verify_known)];
	struct sbd_tvs_msg m;
	struct sbd_diag d;
	size_t total, i;

	(void)state;
	/* Every truncation fails, none is read as a shorter frame. */
	for (i = 0; i < sizeof(verify_known); i++)
		assert_int_equal(sbd_tvs_parse(verify_known, i, &m, NULL),
		    SBD_ERR_TRUNCATED);
	assert_int_equal(sbd_tvs_frame_len(verify_known, 9, &total, NULL),
	    SBD_ERR_TRUNCATED);

	memcpy(f, verify_known, sizeof(f));
	f[0] = 0x55;
	assert_int_equal(sbd_tvs_parse(f, sizeof(f), &m, &d), SBD_ERR_VALUE);
	assert_int_equal(d.off, 0);
	memcpy(f, verify_known, sizeof(f));
	f[1] = 2;
	assert_int_equal(sbd_tvs_parse(f, sizeof(f), &m, &d),
	    SBD_ERR_VERSION);
	f[1] = 0;		/* version 0 is accepted, as tvsd 4.2 does */
	assert_int_equal(sbd_tvs_parse(f, sizeof(f), &m, NULL), 0);

	/* One over the body limit. */
	memcpy(f, verify_known, sizeof(f));
	f[8] = (SBD_TVS_BODY_MAX + 1) >> 8;
	f[9] = (SBD_TVS_BODY_MAX + 1) & 0xff;
	assert_int_equal(sbd_tvs_frame_len(f, sizeof(f), &total, NULL),
	    SBD_ERR_TOOBIG);
}

static void
test_body_refusals(void **state)
{
	uint8_t f[64];
	struct sbd_tvs_msg m;
	struct sbd_diag d;

	(void)state;
	/* Trailing garbage after the body. */
	memcpy(f, verify_unknown, sizeof(verify_unknown));
	f[sizeof(verify_unknown)] = 0;
	assert_int_equal(sbd_tvs_parse(f, sizeof(verify_unknown) + 1, &m, &d),
	    SBD_ERR_TRAILING);
	assert_int_equal(d.off, sizeof(verify_unknown));

	/* An element longer than the body. */
	memcpy(f, verify_unknown, sizeof(verify_unknown));
	f[12] = 2;
	assert_int_equal(sbd_tvs_parse(f, sizeof(verify_unknown), &m, &d),
	    SBD_ERR_OVERRUN);

	/* STATUS of 2 bytes; the body length follows. */
	memcpy(f, verify_unknown, sizeof(verify_unknown));
	f[9] = 5;
	f[12] = 2;
	f[14] = 0;
	assert_int_equal(sbd_tvs_parse(f, sizeof(verify_unknown) + 1, &m, &d),
	    SBD_ERR_VALUE);
	assert_int_equal(d.off, 10);

	/* STATUS twice. */
	memcpy(f, verify_unknown, sizeof(verify_unknown));
	memcpy(f + 14, f + 10, 4);
	f[9] = 8;
	assert_int_equal(sbd_tvs_parse(f, 18, &m, &d), SBD_ERR_TAG);
	assert_int_equal(d.off, 14);

	/* TTL of 3 bytes. */
	memcpy(f, verify_known, sizeof(verify_known));
	f[21] = 3;
	f[9] = 0x0f;
	assert_int_equal(sbd_tvs_parse(f, sizeof(verify_known) - 1, &m, NULL),
	    SBD_ERR_VALUE);

	/* An unknown element is skipped. */
	memcpy(f, verify_unknown, sizeof(verify_unknown));
	f[14] = 0x42;
	f[15] = 0;
	f[16] = 1;
	f[17] = 0xaa;
	f[9] = 8;
	assert_int_equal(sbd_tvs_parse(f, 18, &m, NULL), 0);
	assert_true(m.has_status && m.status == SBD_TVS_INVALID);
}

/* Parse a frame of one element: tag, value. */
static int
one(uint8_t tag, const void *v, size_t n, struct sbd_tvs_msg *m)
{
	uint8_t f[SBD_TVS_HDR + 3 + 64];

	assert_true(n <= 64);
	memcpy(f, verify_unknown, SBD_TVS_HDR);
	f[2] = SBD_TVS_QUERY_REQ;
	f[8] = 0;
	f[9] = (uint8_t)(3 + n);
	f[10] = tag;
	f[11] = 0;
	f[12] = (uint8_t)n;
	memcpy(f + 13, v, n);
	return sbd_tvs_parse(f, 13 + n, m, NULL);
}

static void
test_element_values(void **state)
{
	uint8_t roles[SBD_TVS_ROLES_MAX + 1];
	struct sbd_tvs_msg m;

	(void)state;
	memset(roles, 3, sizeof(roles));
	assert_int_equal(one(SBD_TVS_T_ROLES, roles, SBD_TVS_ROLES_MAX, &m),
	    0);
	assert_int_equal(m.nroles, SBD_TVS_ROLES_MAX);
	assert_int_equal(one(SBD_TVS_T_ROLES, roles, sizeof(roles), &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_DEVICE, "\001CP-8845-SEP0011", 16, &m),
	    0);
	assert_int_equal(m.device_len, 15);
	assert_int_equal(one(SBD_TVS_T_DEVICE, "CP-8845-SEP0011", 15, &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_DEVICE, "\001CP 8845", 8, &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_DEVICE, "\001", 1, &m), SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_SUBJECT, "CN=a", 5, &m), 0);
	assert_string_equal(m.subject, "CN=a");
	assert_int_equal(one(SBD_TVS_T_SUBJECT, "CN=a", 4, &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_ISSUER, "CN\0=a", 6, &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_ISSUER, "CN=\na", 6, &m),
	    SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_SERIAL, "", 0, &m), SBD_ERR_VALUE);
	assert_int_equal(one(SBD_TVS_T_CERT, "", 0, &m), SBD_ERR_VALUE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_responses_exact),
		cmocka_unit_test(test_verify_request_round_trip),
		cmocka_unit_test(test_query_request_cucm_lengths),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_body_refusals),
		cmocka_unit_test(test_element_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
