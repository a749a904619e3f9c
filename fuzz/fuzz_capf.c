/*
 * libFuzzer target: CAPF frames (FORMATS.md 8), as the CAPF service reads
 * them from a phone and a phone reads them from the service.
 *
 * A frame that parses must keep capf.h's promises (every element inside
 * the input, strings NUL-terminated), sbd_capf_frame_len must agree on its
 * length, and building it again must give a frame that parses to the same
 * command, session and elements.  A broken promise aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbd/capf.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_raw(const struct sbd_capf_raw *a, const struct sbd_capf_raw *b)
{
	return same_bytes(a->p, a->len, b->p, b->len);
}

static int
same_u8(const struct sbd_capf_u8 *a, const struct sbd_capf_u8 *b)
{
	return a->set == b->set && (!a->set || a->v == b->v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_capf_msg m, r;
	uint8_t *out = NULL;
	size_t len = 0, total = 0;

	if (sbd_capf_parse(data, size, &m, NULL) != 0)
		return 0;
	if (sbd_capf_frame_len(data, size, &total, NULL) != 0 || total != size)
		abort();
	if (!inside(m.cert, m.cert_len, data, size) ||
	    !inside(m.pubkey.p, m.pubkey.len, data, size) ||
	    !inside(m.sudi.p, m.sudi.len, data, size) ||
	    (m.password != NULL && !inside(m.password,
	    strlen(m.password) + 1, data, size)) ||
	    (m.device != NULL && !inside(m.device, strlen(m.device) + 1,
	    data, size)))
		abort();
	if (sbd_capf_build(&m, &out, &len) != 0)
		abort();
	if (sbd_capf_parse(out, len, &r, NULL) != 0 || r.cmd != m.cmd ||
	    r.session != m.session || !same_u8(&r.reason, &m.reason) ||
	    !same_u8(&r.version, &m.version) ||
	    !same_u8(&r.auth_type, &m.auth_type) ||
	    !same_u8(&r.cert_type, &m.cert_type) ||
	    !same_u8(&r.key_type, &m.key_type) ||
	    !same_u8(&r.curve, &m.curve) || !same_u8(&r.digest, &m.digest) ||
	    r.has_key_size != m.has_key_size || r.key_size != m.key_size ||
	    r.cert_len != m.cert_len ||
	    (m.cert != NULL && (r.cert_inner_type != m.cert_inner_type ||
	    memcmp(r.cert, m.cert, m.cert_len) != 0)) ||
	    !same_str(r.password, m.password) ||
	    !same_str(r.device, m.device) ||
	    !same_raw(&r.pubkey, &m.pubkey) ||
	    !same_raw(&r.signed_data, &m.signed_data) ||
	    !same_raw(&r.sha2_signed, &m.sha2_signed) ||
	    !same_raw(&r.sudi, &m.sudi) ||
	    !same_raw(&r.reason_info, &m.reason_info) ||
	    !same_raw(&r.cert_id, &m.cert_id) ||
	    !same_raw(&r.retry_delay, &m.retry_delay))
		abort();
	free(out);
	return 0;
}
