/*
 * libFuzzer target: TVS frames (FORMATS.md 7), as a TVS server reads
 * them from a phone and a phone reads them from a server.
 *
 * A frame that parses must keep tvs.h's promises (every element inside
 * the input, names NUL-terminated, at most SBD_TVS_ROLES_MAX roles), and
 * building it again must give a frame that parses to the same header and
 * elements.  sbd_tvs_frame_len must agree with the parse on the length.
 * A broken promise aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbd/tvs.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbd_tvs_msg m, r;
	uint8_t *out = NULL;
	size_t len = 0, total = 0;

	if (sbd_tvs_parse(data, size, &m, NULL) != 0)
		return 0;
	if (sbd_tvs_frame_len(data, size, &total, NULL) != 0 || total != size)
		abort();
	if (!inside(m.device, m.device_len, data, size) ||
	    !inside(m.cert, m.cert_len, data, size) ||
	    !inside(m.serial, m.serial_len, data, size) ||
	    m.nroles > SBD_TVS_ROLES_MAX ||
	    (m.subject != NULL && !inside(m.subject, strlen(m.subject) + 1,
	    data, size)) ||
	    (m.issuer != NULL && !inside(m.issuer, strlen(m.issuer) + 1,
	    data, size)))
		abort();
	if (sbd_tvs_build(&m, &out, &len) != 0)
		abort();
	if (sbd_tvs_parse(out, len, &r, NULL) != 0 ||
	    r.cmd != m.cmd || r.session != m.session ||
	    r.reserved != m.reserved ||
	    !same_bytes(r.device, r.device_len, m.device, m.device_len) ||
	    !same_bytes(r.cert, r.cert_len, m.cert, m.cert_len) ||
	    !same_bytes(r.serial, r.serial_len, m.serial, m.serial_len) ||
	    !same_str(r.subject, m.subject) || !same_str(r.issuer, m.issuer) ||
	    r.has_status != m.has_status || r.status != m.status ||
	    r.has_roles != m.has_roles || r.nroles != m.nroles ||
	    memcmp(r.roles, m.roles, m.nroles) != 0 ||
	    r.has_ttl != m.has_ttl || r.ttl != m.ttl)
		abort();
	free(out);
	return 0;
}
