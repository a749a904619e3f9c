/*
 * sbdctl: the text layout of CUCM's `show itl` (seed 001) and the matching
 * JSON.  CUCM labels its first column BYTEPOS but prints the tag number
 * there; we do the same.  Containers print LENGTH 2 and their size as the
 * value, as CUCM does ("3 SIGNERID 2 139").
 */
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "sbd/util.h"
#include "sbdctl.h"
#include "show.h"

static const char *
htag_name(uint8_t tag)
{
	/* CUCM's spellings, typos included (DIGESTALGORTITHM). */
	static const char *names[] = {
		[SBD_H_SIGNER_INFO] = "SIGNERID",
		[SBD_H_SIGNER_NAME] = "SIGNERNAME",
		[SBD_H_SERIAL] = "SERIALNUMBER",
		[SBD_H_ISSUER] = "CANAME",
		[SBD_H_SIG_INFO] = "SIGNATUREINFO",
		[SBD_H_HASH_ALG] = "DIGESTALGORTITHM",
		[SBD_H_SIG_ALG_INFO] = "SIGNATUREALGOINFO",
		[SBD_H_SIG_ALG] = "SIGNATUREALGORTITHM",
		[SBD_H_SIG_MODULUS] = "SIGNATUREMODULUS",
		[SBD_H_SIGNATURE] = "SIGNATURE",
		[SBD_H_FILENAME] = "FILENAME",
		[SBD_H_TIMESTAMP] = "TIMESTAMP",
		[SBD_H_ENC_INFO] = "ENCRYPTIONINFO",
		[SBD_H_ENC_IV_INFO] = "ENCRYPTIONIVINFO",
		[SBD_H_ENC_UNKNOWN1] = "UNKNOWN1",
		[SBD_H_ENC_IV] = "ENCRYPTIONIV",
		[SBD_H_ENC_PAD] = "PADDINGCOUNT",
		[SBD_H_ENC_KEY_INFO] = "ENCRYPTIONKEYINFO",
		[SBD_H_ENC_UNKNOWN2] = "UNKNOWN2",
		[SBD_H_ENC_KEY_SIZE] = "KEYSIZE",
		[SBD_H_ENC_KEY_ALG] = "KEYALGORITHM",
		[SBD_H_ENC_KEY] = "ENCRYPTEDKEY",
		[SBD_H_ENC_HASH_ALG] = "ENCRYPTIONHASHALGORITHM",
		[SBD_H_ENC_HASH] = "ENCRYPTIONHASH",
		[SBD_H_SIGNER_VERSION] = "SIGNERVERSION",
	};

	if (tag < sizeof(names) / sizeof(names[0]) && names[tag] != NULL)
		return names[tag];
	return "UNKNOWN";
}

static const char *
rtag_name(uint8_t tag)
{
	static const char *names[] = {
		[SBD_R_LENGTH] = "RECORDLENGTH",
		[SBD_R_DNS_NAME] = "DNSNAME",
		[SBD_R_SUBJECT] = "SUBJECTNAME",
		[SBD_R_ROLE] = "FUNCTION",
		[SBD_R_ISSUER] = "ISSUERNAME",
		[SBD_R_SERIAL] = "SERIALNUMBER",
		[SBD_R_PUBKEY] = "PUBLICKEY",
		[SBD_R_SIGNATURE] = "SIGNATURE",
		[SBD_R_CERT] = "CERTIFICATE",
		[SBD_R_IP] = "IPADDRESS",
		[SBD_R_CERT_HASH] = "CERTHASH",
		[SBD_R_HASH_ALG] = "HASH ALGORITHM",
	};

	if (tag < sizeof(names) / sizeof(names[0]) && names[tag] != NULL)
		return names[tag];
	return "UNKNOWN";
}

static int
is_container(uint8_t tag)
{
	return tag == SBD_H_SIGNER_INFO || tag == SBD_H_SIG_INFO ||
	    tag == SBD_H_SIG_ALG_INFO || tag == SBD_H_ENC_INFO ||
	    tag == SBD_H_ENC_IV_INFO || tag == SBD_H_ENC_KEY_INFO;
}

/* Uppercase hex, space separated ("01 9C 4C"). */
static void
print_hex_spaced(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%02X", i ? " " : "", p[i]);
}

static void
print_serial(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%02X", i ? ":" : "", p[i]);
}

/* A string value without its NUL, control bytes shown as '?'. */
static void
print_str(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != '\0'; i++)
		fputc(p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i], f);
}

static uint32_t
be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n && i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

void
show_header_rows(FILE *f, const struct sbd_sighdr *h)
{
	size_t i, k;

	fprintf(f, "BYTEPOS\tTAG\tLENGTH\tVALUE\n");
	fprintf(f, "-------\t---\t------\t-----\n");
	for (i = 0; i < h->nelem; i++) {
		const struct sbd_elem *e = &h->elem[i];

		if (e->tag == SBD_H_VERSION || e->tag == SBD_H_LENGTH ||
		    e->tag == SBD_H_PADDING)
			continue;
		if (is_container(e->tag)) {
			fprintf(f, "%u\t%s\t2\t%zu\n", e->tag,
			    htag_name(e->tag), e->len);
			continue;
		}
		fprintf(f, "%u\t%s\t%zu\t", e->tag, htag_name(e->tag),
		    e->len);
		switch (e->tag) {
		case SBD_H_SIGNER_NAME:
		case SBD_H_ISSUER:
			print_str(f, e->val, e->len);
			break;
		case SBD_H_SERIAL:
			print_serial(f, e->val, e->len);
			break;
		case SBD_H_SIGNER_VERSION:
			fprintf(f, "%u.%u", e->val[0], e->val[1]);
			break;
		case SBD_H_SIGNATURE:
			/* CUCM: rows of eight, "%x" without zero padding. */
			for (k = 0; k < e->len; k++)
				fprintf(f, "%s%x", k % 8 ? " " : "\n",
				    e->val[k]);
			break;
		case SBD_H_ENC_PAD:
		case SBD_H_ENC_KEY_SIZE:
		case SBD_H_ENC_KEY_ALG:
		case SBD_H_ENC_UNKNOWN1:
		case SBD_H_ENC_UNKNOWN2:
			fprintf(f, "%u", be(e->val, e->len));
			break;
		case SBD_H_ENC_HASH_ALG: {
			const char *hn = sbd_hash_name(e->val[0]);

			if (hn != NULL)
				fputs(hn, f);
			else
				fprintf(f, "%u", e->val[0]);
			break;
		}
		default:
			/* CUCM leaves the other values blank. */
			break;
		}
		fputc('\n', f);
	}
}

void
show_record_rows(FILE *f, const struct sbd_tl_record *r)
{
	size_t i;

	fprintf(f, "BYTEPOS\tTAG\tLENGTH\tVALUE\n");
	fprintf(f, "-------\t---\t------\t-----\n");
	for (i = 0; i < r->nelem; i++) {
		const struct sbd_elem *e = &r->elem[i];

		fprintf(f, "%u\t%s\t%zu\t", e->tag, rtag_name(e->tag),
		    e->len);
		switch (e->tag) {
		case SBD_R_LENGTH:
			fprintf(f, "%u", r->len);
			break;
		case SBD_R_DNS_NAME:
		case SBD_R_SUBJECT:
		case SBD_R_ISSUER:
			print_str(f, e->val, e->len);
			break;
		case SBD_R_ROLE: {
			const char *n = sbd_role_cucm_name(r->role);

			if (n != NULL)
				fputs(n, f);
			else
				fprintf(f, "%u", r->role);
			break;
		}
		case SBD_R_SERIAL:
			print_serial(f, e->val, e->len);
			break;
		case SBD_R_CERT: {
			uint8_t md[EVP_MAX_MD_SIZE];
			unsigned mdlen = 0;

			/* CUCM shows the certificate's SHA-1, not its bytes. */
			EVP_Digest(e->val, e->len, md, &mdlen, EVP_sha1(),
			    NULL);
			print_hex_spaced(f, md, mdlen);
			fputs("\n(SHA1 Hash HEX)", f);
			break;
		}
		case SBD_R_IP:
			fprintf(f, "%u.%u.%u.%u", e->val[0], e->val[1],
			    e->val[2], e->val[3]);
			break;
		case SBD_R_CERT_HASH:
			print_hex_spaced(f, e->val, e->len);
			break;
		case SBD_R_HASH_ALG: {
			const char *hn = sbd_hash_name(e->val[0]);

			if (hn != NULL)
				fputs(hn, f);
			else
				fprintf(f, "%u", e->val[0]);
			break;
		}
		default:
			break;
		}
		fputc('\n', f);
	}
}

void
json_header(struct sbd_json *j, const char *key, const struct sbd_sighdr *h)
{
	char ver[16];
	size_t i;

	sbd_json_obj(j, key);
	snprintf(ver, sizeof(ver), "%u.%u", h->ver_major, h->ver_minor);
	sbd_json_str(j, "version", ver);
	sbd_json_int(j, "header_length", h->hdr_len);
	if (h->has_signer_version) {
		snprintf(ver, sizeof(ver), "%u.%u", h->sv_major, h->sv_minor);
		sbd_json_str(j, "signer_version", ver);
	}
	sbd_json_str(j, "signer_name", h->signer_name);
	sbd_json_hex(j, "serial", h->serial, h->serial_len);
	sbd_json_str(j, "issuer_name", h->issuer_name);
	sbd_json_str(j, "hash", sbd_hash_name(h->hash_alg));
	sbd_json_int(j, "signature_algorithm", h->sig_alg);
	sbd_json_int(j, "signature_bits", (long long)h->sig_len * 8);
	sbd_json_hex(j, "signature", h->sig, h->sig_len);
	sbd_json_str(j, "filename", h->filename);
	if (h->has_timestamp)
		sbd_json_int(j, "timestamp", h->timestamp);
	else
		sbd_json_null(j, "timestamp");
	sbd_json_arr(j, "elements");
	for (i = 0; i < h->nelem; i++) {
		const struct sbd_elem *e = &h->elem[i];

		sbd_json_obj(j, NULL);
		sbd_json_int(j, "offset", (long long)e->off);
		sbd_json_int(j, "tag", e->tag);
		sbd_json_str(j, "name", e->tag == SBD_H_VERSION ? "VERSION" :
		    e->tag == SBD_H_LENGTH ? "HEADERLENGTH" :
		    e->tag == SBD_H_PADDING ? "PADDING" : htag_name(e->tag));
		sbd_json_int(j, "length", (long long)e->len);
		sbd_json_end(j);
	}
	sbd_json_end(j);
	sbd_json_end(j);
}

void
json_record(struct sbd_json *j, const struct sbd_tl_record *r)
{
	const char *rn;

	sbd_json_obj(j, NULL);
	sbd_json_int(j, "offset", (long long)r->off);
	sbd_json_int(j, "length", r->len);
	sbd_json_int(j, "role", r->role);
	rn = sbd_role_name(r->role);
	sbd_json_str(j, "role_name", rn);
	if (r->dns_name != NULL)
		sbd_json_str(j, "dns_name", r->dns_name);
	if (r->subject != NULL)
		sbd_json_str(j, "subject", r->subject);
	if (r->issuer != NULL)
		sbd_json_str(j, "issuer", r->issuer);
	if (r->serial != NULL)
		sbd_json_hex(j, "serial", r->serial, r->serial_len);
	if (r->pubkey != NULL)
		sbd_json_int(j, "public_key_length", (long long)r->pubkey_len);
	if (r->sig != NULL)
		sbd_json_int(j, "signature_length", (long long)r->sig_len);
	if (r->cert != NULL) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;

		sbd_json_int(j, "certificate_length", (long long)r->cert_len);
		EVP_Digest(r->cert, r->cert_len, md, &mdlen, EVP_sha1(), NULL);
		sbd_json_hex(j, "certificate_sha1", md, mdlen);
	}
	if (r->has_ip) {
		char ip[16];

		snprintf(ip, sizeof(ip), "%u.%u.%u.%u", r->ip[0], r->ip[1],
		    r->ip[2], r->ip[3]);
		sbd_json_str(j, "ip_address", ip);
	}
	if (r->cert_hash != NULL)
		sbd_json_hex(j, "cert_hash", r->cert_hash, r->cert_hash_len);
	if (r->has_hash_alg)
		sbd_json_int(j, "cert_hash_algorithm", r->hash_alg);
	sbd_json_end(j);
}

void
file_digests(const uint8_t *p, size_t n, char md5[33], char sha1[41])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_md5(), NULL);
	sbd_hex(md, 16, md5);
	EVP_Digest(p, n, md, &mdlen, EVP_sha1(), NULL);
	sbd_hex(md, 20, sha1);
}

void
file_mtime(const char *path, char *out, size_t outsz)
{
	struct stat st;
	struct tm tm;

	out[0] = '\0';
	if (stat(path, &st) != 0 || localtime_r(&st.st_mtime, &tm) == NULL)
		return;
	/* Java's Date.toString(), which CUCM prints. */
	strftime(out, outsz, "%a %b %d %H:%M:%S %Z %Y", &tm);
}
