/* Signed files (FORMATS.md section 5): sign, parse, verify, strip. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sbd/sgn.h"
#include "sbd/tlv.h"
#include "sbd/x509.h"

int
sbd_sgn_filename_ok(const char *name)
{
	size_t n, i, comp = 0;

	if (name == NULL)
		return -1;
	n = strlen(name);
	if (n == 0 || n > SBD_FILENAME_MAX || name[0] == '/')
		return -1;
	for (i = 0; i <= n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch == '/' || ch == '\0') {
			/* Check the component that just ended. */
			const char *s = name + i - comp;

			if (comp == 0 || (comp == 1 && s[0] == '.') ||
			    (comp == 2 && s[0] == '.' && s[1] == '.'))
				return -1;
			comp = 0;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f || ch == '\\')
			return -1;
		comp++;
	}
	return 0;
}

int
sbd_sgn_sign(const uint8_t *payload, size_t len, const char *filename,
    int hash, uint32_t timestamp, X509 *cert, EVP_PKEY *key, uint8_t **out,
    size_t *outlen)
{
	struct sbd_sign_opts so;

	if (sbd_sgn_filename_ok(filename) != 0)
		return SBD_ERR_INVAL;
	memset(&so, 0, sizeof(so));
	so.ver_major = 1;	/* certutils since 2020-10 (2.4) */
	so.ver_minor = 0;
	so.hash = hash ? hash : SBD_HASH_SHA1;
	so.filename = filename;
	so.has_timestamp = 1;
	so.timestamp = timestamp ? timestamp : (uint32_t)time(NULL);
	return sbd_sign_file(&so, cert, key, payload, len, SBD_SGN_MAX, out,
	    outlen);
}

int
sbd_sgn_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *h, struct sbd_diag *d)
{
	if (len > SBD_SGN_MAX)
		return sbd_diag_set(d, SBD_SGN_MAX, SBD_ERR_TOOBIG,
		    "signed file over %zu bytes", SBD_SGN_MAX);
	return sbd_sighdr_parse(buf, len, flags, h, d);
}

int
sbd_sgn_verify_cert(const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, X509 *cert)
{
	if (!sbd_sighdr_names_cert(h, cert))
		return SBD_ERR_NOSIGNER;
	return sbd_sighdr_verify(buf, len, h, X509_get0_pubkey(cert));
}

int
sbd_sgn_verify_tl(const uint8_t *buf, size_t len, const struct sbd_sighdr *h,
    const struct sbd_tl *tl, int *rec_idx)
{
	size_t i;
	int err = SBD_ERR_NOSIGNER;

	for (i = 0; i < tl->nrec; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];
		X509 *c = NULL;

		if (r->role != SBD_ROLE_TFTP && r->role != SBD_ROLE_CCM_TFTP)
			continue;
		if (r->serial_len != h->serial_len ||
		    memcmp(r->serial, h->serial, h->serial_len) != 0)
			continue;
		if (r->issuer != NULL && h->issuer_name != NULL &&
		    strcmp(r->issuer, h->issuer_name) != 0)
			continue;
		if (sbd_tl_record_cert(tl, i, &c) != 0)
			continue;
		err = sbd_sighdr_verify(buf, len, h, X509_get0_pubkey(c));
		X509_free(c);
		if (err == 0) {
			if (rec_idx != NULL)
				*rec_idx = (int)i;
			return 0;
		}
	}
	return err;
}

int
sbd_sgn_strip(const uint8_t *buf, size_t len, const uint8_t **payload,
    size_t *plen, struct sbd_diag *d)
{
	struct sbd_cur c;
	struct sbd_tlv t;
	uint16_t hl;

	/* FORMATS.md 5.2: VERSION then HEADER_LENGTH, nothing else read. */
	sbd_cur_init(&c, buf, len);
	if (sbd_get_tlv(&c, &t) != 0 || t.tag != SBD_H_VERSION ||
	    t.len != 2)
		return sbd_diag_set(d, 0, SBD_ERR_TAG,
		    "first element is not a 2-byte VERSION");
	if (sbd_get_tlv(&c, &t) != 0 || t.tag != SBD_H_LENGTH || t.len != 2)
		return sbd_diag_set(d, 5, SBD_ERR_TAG,
		    "second element is not a 2-byte HEADER_LENGTH");
	hl = (uint16_t)((t.val[0] << 8) | t.val[1]);
	if (hl < c.off || hl > len)
		return sbd_diag_set(d, 8, SBD_ERR_TRUNCATED,
		    "header length %u outside the file (%zu bytes)", hl, len);
	*payload = buf + hl;
	*plen = len - hl;
	return 0;
}
