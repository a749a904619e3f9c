/*
 * The client side of one TVS exchange (FORMATS.md 7.2-7.5) on an open TLS
 * connection: the request goes out in one write, the answer is read as a
 * 10-byte header and then exactly the body it announces, and libsbd
 * parses it.
 */
#include <stdlib.h>
#include <string.h>

#include "net/netint.h"

int
sbdn_tvs_exchange(struct sbdn_tls *t, const struct sbd_tvs_msg *req,
    uint8_t **buf, struct sbd_tvs_msg *res, char *errbuf)
{
	struct sbd_tvs_msg m;
	struct sbd_diag dg;
	uint8_t hdr[SBD_TVS_HDR], *out = NULL, *in = NULL;
	size_t outlen = 0, total;
	int err;

	if ((err = sbd_tvs_build(req, &out, &outlen)) != 0) {
		sbdn_fail(errbuf, "TVS request: %s", sbd_strerror(err));
		goto out;
	}
	if ((err = sbdn_tls_write(t, out, outlen, errbuf)) != 0 ||
	    (err = sbdn_tls_read(t, hdr, sizeof(hdr), errbuf)) != 0)
		goto out;
	/* The header bounds the body (at most SBD_TVS_BODY_MAX). */
	if ((err = sbd_tvs_frame_len(hdr, sizeof(hdr), &total, &dg)) != 0) {
		sbdn_fail(errbuf, "TVS answer: offset %zu: %s", dg.off,
		    dg.what);
		goto out;
	}
	if ((in = malloc(total)) == NULL) {
		sbdn_fail(errbuf, "out of memory");
		err = SBD_ERR_NOMEM;
		goto out;
	}
	memcpy(in, hdr, sizeof(hdr));
	if (total > sizeof(hdr) && (err = sbdn_tls_read(t, in + sizeof(hdr),
	    total - sizeof(hdr), errbuf)) != 0)
		goto out;
	if ((err = sbd_tvs_parse(in, total, &m, &dg)) != 0) {
		sbdn_fail(errbuf, "TVS answer: offset %zu: %s", dg.off,
		    dg.what);
		goto out;
	}
	/* tvsc refuses an answer to another session (FORMATS.md 7.2). */
	if (m.session != req->session) {
		sbdn_fail(errbuf, "TVS answer for session 0x%08x, not 0x%08x",
		    m.session, req->session);
		err = SBD_ERR_VALUE;
		goto out;
	}
	if (m.cmd != req->cmd + 1) {
		sbdn_fail(errbuf, "TVS answer is command %u, not %u", m.cmd,
		    req->cmd + 1u);
		err = SBD_ERR_VALUE;
		goto out;
	}
	*buf = in;
	*res = m;
	in = NULL;
	err = 0;
out:
	free(out);
	free(in);
	return err;
}
