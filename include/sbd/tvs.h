/*
 * Trust Verification Service messages (FORMATS.md 7): a 10-byte header
 * (protocol 0x57, version 1, command, an unused byte, session id, body
 * length) and a body of tag u8 / length u16 / value elements.
 *
 * Pure code: the TVS service in sbdd, `sbdctl tvs query` and sbdphone
 * parse and build frames only through these functions.  A parsed message
 * points into the caller's buffer.
 */
#ifndef SBD_TVS_H
#define SBD_TVS_H

#include <stddef.h>
#include <stdint.h>

#include "sbd/err.h"

#define SBD_TVS_PROTO		0x57	/* "Protocol Discriminator: 57" */
#define SBD_TVS_VERSION		1
#define SBD_TVS_HDR		10
#define SBD_TVS_BODY_MAX	16384	/* a certificate and three names */
#define SBD_TVS_ROLES_MAX	16
#define SBD_TVS_NAME_MAX	512	/* subject and issuer strings */
#define SBD_TVS_DEVNAME_PREFIX	0x01	/* leading byte of DEVICE_NAME */

enum sbd_tvs_cmd {
	SBD_TVS_VERIFY_REQ = 1,
	SBD_TVS_VERIFY_RES = 2,
	SBD_TVS_QUERY_REQ = 3,
	SBD_TVS_QUERY_RES = 4,
};

enum sbd_tvs_tag {
	SBD_TVS_T_DEVICE = 1,
	SBD_TVS_T_CERT = 2,
	SBD_TVS_T_SUBJECT = 3,
	SBD_TVS_T_ISSUER = 4,	/* [I] FORMATS.md 7.5 */
	SBD_TVS_T_SERIAL = 5,	/* [I] FORMATS.md 7.5 */
	SBD_TVS_T_STATUS = 7,
	SBD_TVS_T_ROLES = 8,
	SBD_TVS_T_TTL = 9,
};

enum sbd_tvs_status {
	SBD_TVS_VALID = 0,
	SBD_TVS_INVALID = 1,
};

struct sbd_tvs_msg {
	uint8_t version;
	uint8_t cmd;		/* enum sbd_tvs_cmd */
	uint8_t reserved;	/* header byte 3: 0, or 0xF7 from CUCM */
	uint32_t session;
	/* Elements; NULL / 0 when absent.  Pointers into the frame. */
	const char *device;	/* after the prefix byte, not terminated */
	size_t device_len;
	const uint8_t *cert;	/* X.509 DER */
	size_t cert_len;
	const char *subject;	/* NUL-terminated in the frame */
	const char *issuer;
	const uint8_t *serial;
	size_t serial_len;
	int has_status;
	uint8_t status;		/* enum sbd_tvs_status */
	uint8_t roles[SBD_TVS_ROLES_MAX];
	size_t nroles;		/* 0 and no element when has_roles is 0 */
	int has_roles;
	int has_ttl;
	uint32_t ttl;
};

/*
 * The length of the whole frame that starts at p, from its header, so a
 * stream reader knows how much to wait for.  SBD_ERR_TRUNCATED with fewer
 * than SBD_TVS_HDR bytes; SBD_ERR_VALUE for another protocol;
 * SBD_ERR_VERSION for a version above 1; SBD_ERR_TOOBIG for a body over
 * SBD_TVS_BODY_MAX.
 */
int sbd_tvs_frame_len(const uint8_t *p, size_t len, size_t *total,
    struct sbd_diag *d) SBD_WUR;

/*
 * Parse exactly one frame of len bytes.  Besides the header errors above:
 * an element overrunning the body (SBD_ERR_OVERRUN), a duplicated element
 * (SBD_ERR_TAG), bytes after the body (SBD_ERR_TRAILING), a STATUS not 1
 * byte, a TTL not 4, more than SBD_TVS_ROLES_MAX roles, a DEVICE_NAME
 * without its prefix byte or with non-printable bytes, a SUBJECT or
 * ISSUER not ending in its only NUL or over SBD_TVS_NAME_MAX
 * (SBD_ERR_VALUE).  Unknown element tags are skipped (newer firmware).
 */
int sbd_tvs_parse(const uint8_t *p, size_t len, struct sbd_tvs_msg *m,
    struct sbd_diag *d) SBD_WUR;

/*
 * Build m as one frame: the elements present, in the order phones and
 * CUCM send them (1, 7, 2, 3, 4, 5, 8, 9).  subject and issuer are
 * written with their NUL; device gets the 0x01 prefix.  *out malloc'ed.
 */
int sbd_tvs_build(const struct sbd_tvs_msg *m, uint8_t **out, size_t *len)
    SBD_WUR;

#endif
