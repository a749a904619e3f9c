/* TVS frames (FORMATS.md 7): parse and build. */
#include <stdlib.h>
#include <string.h>

#include "sbd/tlv.h"
#include "sbd/tvs.h"

int
sbd_tvs_frame_len(const uint8_t *p, size_t len, size_t *total,
    struct sbd_diag *d)
{
	uint16_t body;

	if (len < SBD_TVS_HDR)
		return sbd_diag_set(d, len, SBD_ERR_TRUNCATED,
		    "a TVS header is %d bytes", SBD_TVS_HDR);
	if (p[0] != SBD_TVS_PROTO)
		return sbd_diag_set(d, 0, SBD_ERR_VALUE,
		    "protocol 0x%02x is not TVS (0x57)", p[0]);
	/* tvsd 4.2 accepts version <= 1 (FORMATS.md 7.2). */
	if (p[1] > SBD_TVS_VERSION)
		return sbd_diag_set(d, 1, SBD_ERR_VERSION,
		    "TVS version %u", p[1]);
	body = (uint16_t)(p[8] << 8 | p[9]);
	if (body > SBD_TVS_BODY_MAX)
		return sbd_diag_set(d, 8, SBD_ERR_TOOBIG,
		    "a %u-byte TVS body is over %d", body, SBD_TVS_BODY_MAX);
	*total = SBD_TVS_HDR + (size_t)body;
	return 0;
}

static int
element(const struct sbd_tlv *t, struct sbd_tvs_msg *m, unsigned *seen,
    struct sbd_diag *d)
{
	size_t i;

	if (t->tag < 32) {
		if (*seen & (1u << t->tag))
			return sbd_diag_set(d, t->off, SBD_ERR_TAG,
			    "TVS element %u given twice", t->tag);
		*seen |= 1u << t->tag;
	}
	switch (t->tag) {
	case SBD_TVS_T_DEVICE:
		/* 0x01, then "CP-<model>-SEP<MAC>" without a NUL. */
		if (t->len < 2 || t->val[0] != SBD_TVS_DEVNAME_PREFIX)
			goto bad;
		for (i = 1; i < t->len; i++)
			if (t->val[i] < 0x21 || t->val[i] >= 0x7f)
				goto bad;
		m->device = (const char *)t->val + 1;
		m->device_len = t->len - 1;
		break;
	case SBD_TVS_T_CERT:
		if (t->len == 0)
			goto bad;
		m->cert = t->val;
		m->cert_len = t->len;
		break;
	case SBD_TVS_T_SUBJECT:
	case SBD_TVS_T_ISSUER:
		if (sbd_tlv_is_text(t->val, t->len, 1, SBD_TVS_NAME_MAX) != 0)
			goto bad;
		if (t->tag == SBD_TVS_T_SUBJECT)
			m->subject = (const char *)t->val;
		else
			m->issuer = (const char *)t->val;
		break;
	case SBD_TVS_T_SERIAL:
		if (t->len == 0 || t->len > 64)
			goto bad;
		m->serial = t->val;
		m->serial_len = t->len;
		break;
	case SBD_TVS_T_STATUS:
		if (t->len != 1)
			goto bad;
		m->has_status = 1;
		m->status = t->val[0];
		break;
	case SBD_TVS_T_ROLES:
		if (t->len > SBD_TVS_ROLES_MAX)
			goto bad;
		memcpy(m->roles, t->val, t->len);
		m->nroles = t->len;
		m->has_roles = 1;
		break;
	case SBD_TVS_T_TTL:
		if (t->len != 4)
			goto bad;
		m->has_ttl = 1;
		m->ttl = (uint32_t)t->val[0] << 24 | (uint32_t)t->val[1] << 16 |
		    (uint32_t)t->val[2] << 8 | t->val[3];
		break;
	default:
		break;		/* unknown: skipped */
	}
	return 0;
bad:
	return sbd_diag_set(d, t->off, SBD_ERR_VALUE,
	    "TVS element %u: invalid %zu-byte value", t->tag, t->len);
}

int
sbd_tvs_parse(const uint8_t *p, size_t len, struct sbd_tvs_msg *m,
    struct sbd_diag *d)
{
	struct sbd_tvs_msg out;
	struct sbd_cur c, body;
	struct sbd_tlv t;
	size_t total;
	unsigned seen = 0;
	int r;

	if ((r = sbd_tvs_frame_len(p, len, &total, d)) != 0)
		return r;
	if (len < total)
		return sbd_diag_set(d, len, SBD_ERR_TRUNCATED,
		    "the TVS body ends %zu bytes early", total - len);
	if (len > total)
		return sbd_diag_set(d, total, SBD_ERR_TRAILING,
		    "%zu bytes after the TVS body", len - total);
	memset(&out, 0, sizeof(out));
	out.version = p[1];
	out.cmd = p[2];
	out.reserved = p[3];
	out.session = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
	    (uint32_t)p[6] << 8 | p[7];
	sbd_cur_init(&c, p, len);
	if ((r = sbd_skip(&c, SBD_TVS_HDR)) != 0 ||
	    (r = sbd_get_sub(&c, total - SBD_TVS_HDR, &body)) != 0)
		return sbd_diag_set(d, SBD_TVS_HDR, r, "TVS body");
	while (sbd_cur_left(&body) > 0) {
		if ((r = sbd_get_tlv(&body, &t)) != 0)
			return sbd_diag_set(d, sbd_cur_pos(&body),
			    r == SBD_ERR_TRUNCATED ? SBD_ERR_OVERRUN : r,
			    "a TVS element overruns the body");
		if ((r = element(&t, &out, &seen, d)) != 0)
			return r;
	}
	*m = out;
	return 0;
}

int
sbd_tvs_build(const struct sbd_tvs_msg *m, uint8_t **out, size_t *len)
{
	struct sbd_buf b;
	uint8_t tmp[4];
	size_t body;

	if ((m->device != NULL && m->device_len == 0) ||
	    m->nroles > SBD_TVS_ROLES_MAX)
		return SBD_ERR_INVAL;
	sbd_buf_init(&b, SBD_TVS_HDR + SBD_TVS_BODY_MAX);
	sbd_put_u8(&b, SBD_TVS_PROTO);
	sbd_put_u8(&b, m->version ? m->version : SBD_TVS_VERSION);
	sbd_put_u8(&b, m->cmd);
	sbd_put_u8(&b, m->reserved);
	sbd_put_u32(&b, m->session);
	sbd_put_u16(&b, 0);		/* body length, set below */
	if (m->device != NULL) {
		/* Prefix byte and name, as one element. */
		if (m->device_len + 1 > UINT16_MAX) {
			sbd_buf_release(&b);
			return SBD_ERR_TOOBIG;
		}
		sbd_put_u8(&b, SBD_TVS_T_DEVICE);
		sbd_put_u16(&b, (uint16_t)(m->device_len + 1));
		sbd_put_u8(&b, SBD_TVS_DEVNAME_PREFIX);
		sbd_put_bytes(&b, m->device, m->device_len);
	}
	if (m->has_status)
		sbd_put_tlv_u8(&b, SBD_TVS_T_STATUS, m->status);
	if (m->cert != NULL)
		sbd_put_tlv(&b, SBD_TVS_T_CERT, m->cert, m->cert_len);
	if (m->subject != NULL)
		sbd_put_tlv_str(&b, SBD_TVS_T_SUBJECT, m->subject);
	if (m->issuer != NULL)
		sbd_put_tlv_str(&b, SBD_TVS_T_ISSUER, m->issuer);
	if (m->serial != NULL)
		sbd_put_tlv(&b, SBD_TVS_T_SERIAL, m->serial, m->serial_len);
	if (m->has_roles)
		sbd_put_tlv(&b, SBD_TVS_T_ROLES, m->roles, m->nroles);
	if (m->has_ttl) {
		tmp[0] = (uint8_t)(m->ttl >> 24);
		tmp[1] = (uint8_t)(m->ttl >> 16);
		tmp[2] = (uint8_t)(m->ttl >> 8);
		tmp[3] = (uint8_t)m->ttl;
		sbd_put_tlv(&b, SBD_TVS_T_TTL, tmp, sizeof(tmp));
	}
	body = b.len - SBD_TVS_HDR;
	if (b.err == 0 && body <= SBD_TVS_BODY_MAX)
		sbd_buf_set_u16(&b, 8, (uint16_t)body);
	else if (b.err == 0)
		b.err = SBD_ERR_TOOBIG;
	return sbd_buf_take(&b, out, len);
}
