/*
 * Encrypted phone configuration: SEP<MAC>.cnf.xml.enc.sgn and its short
 * companion SEP<MAC>.cnf.xml.sgn (FORMATS.md section 6).  See
 * include/sbd/encconf.h.
 *
 * The XML is read with libxml2 and treated as hostile: no DTD is accepted
 * (the parse stops at the DOCTYPE, before any entity is declared), entities
 * are never substituted, nothing is fetched from the network, and libxml2's
 * default size limits stay on.  A phone configuration has no use for a DTD.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "sbd/encconf.h"
#include "sbd/sgn.h"
#include "sbd/tlv.h"
#include "sbd/util.h"
#include "sbd/x509.h"

#define ENC_KEY_LEN 16		/* AES-128 (FORMATS.md 6.3) */
#define ENC_IV_LEN 16
#define ENC_BLOCK 16
#define ENC_PAD_BYTE 0x0d	/* not PKCS#7: p bytes of '\r' */
#define ENC_DEV_BITS_MIN 512	/* device RSA keys we will wrap to */
#define ENC_DEV_BITS_MAX 4096
#define ENC_MD5_HEX (2 * 16 + 1)

/* Header, its extra elements and the padded ciphertext. */
#define ENC_FILE_MAX ((size_t)SBD_CONF_MAX + 2 * ENC_BLOCK + 65536)

static const char cnf_suffix[] = ".cnf.xml";

/* The short config keeps these children of <device> (FORMATS.md 6.1). */
static const char *const keep_elems[] = {
	"ipAddressMode",
	"loadInformation",
	"capfAuthMode",
	"capfList",
};

/* ---- XML --------------------------------------------------------------- */

/*
 * libxml2 reports some errors (input encoding conversion, I/O) through its
 * generic error handler even with XML_PARSE_NOERROR, and by default that
 * prints to stderr.  A library must not write to stderr, so each function
 * that calls libxml2 installs this no-op handler and puts the caller's
 * back before returning.  The handler is per thread in a thread-enabled
 * libxml2, so this is no shared state.
 */
static void
xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

struct xml_errsave {
	xmlGenericErrorFunc fn;
	void *ctx;
};

static void
xml_quiet_begin(struct xml_errsave *s)
{
	s->fn = xmlGenericError;
	s->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, xml_quiet);
}

static void
xml_quiet_end(const struct xml_errsave *s)
{
	xmlSetGenericErrorFunc(s->ctx, s->fn);
}

/*
 * SAX internalSubset hook: the document has a DOCTYPE.  Stop the parser
 * before it reads the internal subset, so no entity (internal or external)
 * is ever declared, let alone expanded or fetched.  userData is the parser
 * context (libxml2's default); its _private points at our flag.
 */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *eid,
    const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;

	(void)name;
	(void)eid;
	(void)sid;
	if (ctxt->_private != NULL)
		*(int *)ctxt->_private = 1;
	xmlStopParser(ctxt);
}

/*
 * Parse a phone configuration: well-formed, no DTD, root element <device>
 * in no namespace.  Options: NONET (never fetch), no NOENT/DTDLOAD/DTDATTR
 * (no entity substitution, no external subset), NOBLANKS and NOCDATA as
 * certutils' lxml parser uses them, so the short config comes out the same.
 */
static int
xml_parse(const uint8_t *xml, size_t len, xmlDocPtr *out)
{
	struct xml_errsave es;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int saw_dtd = 0, err = SBD_ERR_XML;
	const int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS |
	    XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

	xml_quiet_begin(&es);
	if (len > SBD_CONF_MAX) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	if (len == 0)
		goto out;
	xmlInitParser();
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL || ctxt->sax == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->_private = &saw_dtd;
	doc = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, NULL,
	    opts);
	if (doc == NULL || saw_dtd || !ctxt->wellFormed)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (root == NULL || root->ns != NULL ||
	    !xmlStrEqual(root->name, (const xmlChar *)"device"))
		goto out;
	*out = doc;
	doc = NULL;
	err = 0;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (ctxt != NULL)
		xmlFreeParserCtxt(ctxt);
	xml_quiet_end(&es);
	return err;
}

static int
keep_elem(xmlNodePtr n)
{
	size_t i;

	if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
		return 0;
	for (i = 0; i < sizeof(keep_elems) / sizeof(keep_elems[0]); i++)
		if (xmlStrEqual(n->name, (const xmlChar *)keep_elems[i]))
			return 1;
	return 0;
}

/* certHash: lowercase hex MD5 of the device certificate DER (6.1). */
static int
cert_md5_hex(X509 *c, char out[ENC_MD5_HEX])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	const EVP_MD *md5 = EVP_md5();

	if (md5 == NULL || sbd_x509_digest(c, md5, md, &n) != 0 || n != 16)
		return SBD_ERR_CRYPTO;
	sbd_hex(md, n, out);
	return 0;
}

/*
 * Write the short config for the parsed doc.  Whitespace: libxml2's
 * formatted output, i.e. the XML declaration and a newline, then one
 * element per line indented by two spaces per level, a newline after
 * </device>.  That is byte for byte what certutils' lxml pretty_print
 * writes for the same input; copied elements keep their attributes and any
 * text libxml2 did not classify as blank.
 */
static int
short_config_doc(xmlDocPtr doc, X509 *device_cert, uint8_t **out,
    size_t *outlen)
{
	static const char tail[] = "</device>\n";
	struct xml_errsave es;
	xmlDocPtr sdoc = NULL;
	xmlNodePtr root, sroot, n, copy;
	xmlChar *mem = NULL;
	uint8_t *p = NULL;
	char hash[ENC_MD5_HEX];
	size_t tl = sizeof(tail) - 1;
	int size = 0, err;

	if ((err = cert_md5_hex(device_cert, hash)) != 0)
		return err;
	xml_quiet_begin(&es);
	err = SBD_ERR_NOMEM;
	root = xmlDocGetRootElement(doc);
	if ((sdoc = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
		goto out;
	sroot = xmlNewDocNode(sdoc, NULL, (const xmlChar *)"device", NULL);
	if (sroot == NULL)
		goto out;
	xmlDocSetRootElement(sdoc, sroot);
	if (xmlNewTextChild(sroot, NULL, (const xmlChar *)"fullConfig",
	    (const xmlChar *)"false") == NULL)
		goto out;
	/* Direct children only, in document order. */
	for (n = root->children; n != NULL; n = n->next) {
		if (!keep_elem(n))
			continue;
		if ((copy = xmlDocCopyNode(n, sdoc, 1)) == NULL)
			goto out;
		if (xmlAddChild(sroot, copy) == NULL) {
			xmlFreeNode(copy);
			goto out;
		}
	}
	if (xmlNewTextChild(sroot, NULL, (const xmlChar *)"certHash",
	    (const xmlChar *)hash) == NULL)
		goto out;
	if (xmlNewTextChild(sroot, NULL, (const xmlChar *)"encrConfig",
	    (const xmlChar *)"true") == NULL)
		goto out;
	xmlDocDumpFormatMemoryEnc(sdoc, &mem, &size, "UTF-8", 1);
	if (mem == NULL || size <= 0)
		goto out;
	/* Never sign a short config that an output error cut short. */
	if ((size_t)size < tl ||
	    memcmp(mem + (size_t)size - tl, tail, tl) != 0) {
		err = SBD_ERR_XML;
		goto out;
	}
	/* Hand out malloc'ed memory, not xmlMalloc'ed. */
	if ((p = malloc((size_t)size)) == NULL)
		goto out;
	memcpy(p, mem, (size_t)size);
	*out = p;
	*outlen = (size_t)size;
	p = NULL;
	err = 0;
out:
	if (mem != NULL)
		xmlFree(mem);
	if (sdoc != NULL)
		xmlFreeDoc(sdoc);
	xml_quiet_end(&es);
	free(p);
	return err;
}

int
sbd_enc_short_config(const uint8_t *xml, size_t len, X509 *device_cert,
    uint8_t **out, size_t *outlen)
{
	xmlDocPtr doc = NULL;
	int err;

	if ((xml == NULL && len > 0) || device_cert == NULL || out == NULL ||
	    outlen == NULL)
		return SBD_ERR_INVAL;
	if ((err = xml_parse(xml, len, &doc)) != 0)
		goto out;
	err = short_config_doc(doc, device_cert, out, outlen);
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	return err;
}

/* ---- build ------------------------------------------------------------- */

/* Is h one of the hashes certutils accepts (FORMATS.md 2.5)? */
static const EVP_MD *
enc_md(int h)
{
	if (h != SBD_HASH_SHA1 && h != SBD_HASH_SHA512)
		return NULL;
	return sbd_hash_md(h);
}

/* "SEP<MAC>.cnf.xml": relative, a FILENAME we accept, right suffix. */
static int
cnf_name_ok(const char *name)
{
	size_t n, sl = sizeof(cnf_suffix) - 1;

	if (name == NULL || sbd_sgn_filename_ok(name) != 0)
		return 0;
	n = strlen(name);
	if (n <= sl || strcmp(name + n - sl, cnf_suffix) != 0)
		return 0;
	/* The last component must have a name before the suffix. */
	if (name[n - sl - 1] == '/')
		return 0;
	return 1;
}

/*
 * The device's public key, if we can wrap to it: RSA (not RSA-PSS, which
 * cannot encrypt), 512..4096 bits.  EC device keys cannot be used with
 * RSAES-PKCS1-v1_5 (FORMATS.md 6.3), so EC phones get SBD_ERR_KEY.
 */
static int
device_pubkey(X509 *device_cert, EVP_PKEY **out)
{
	EVP_PKEY *pk = X509_get0_pubkey(device_cert);
	int bits;

	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return SBD_ERR_KEY;
	bits = EVP_PKEY_get_bits(pk);
	if (bits < ENC_DEV_BITS_MIN || bits > ENC_DEV_BITS_MAX)
		return SBD_ERR_KEY;
	*out = pk;
	return 0;
}

/* RSAES-PKCS1-v1_5 encryption of the AES key to pub (FORMATS.md 6.3). */
static int
wrap_key(EVP_PKEY *pub, const uint8_t *key, uint8_t **out, size_t *outlen)
{
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *w = NULL;
	size_t wlen = 0;
	int err = SBD_ERR_CRYPTO;

	if ((pctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_encrypt_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_PKEY_encrypt(pctx, NULL, &wlen, key, ENC_KEY_LEN) <= 0 ||
	    wlen == 0)
		goto out;
	if ((w = malloc(wlen)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	if (EVP_PKEY_encrypt(pctx, w, &wlen, key, ENC_KEY_LEN) <= 0)
		goto out;
	/* The wrapped key is exactly one modulus long. */
	if (wlen != (size_t)EVP_PKEY_get_size(pub))
		goto out;
	*out = w;
	*outlen = wlen;
	w = NULL;
	err = 0;
out:
	free(w);
	EVP_PKEY_CTX_free(pctx);
	return err;
}

/*
 * Pad with p = 16 - (len % 16) bytes of 0x0D (1..16, a whole block when
 * already aligned) and encrypt with AES-128-CBC, EVP padding off
 * (FORMATS.md 6.3).  The padded plaintext copy is cleansed.
 */
static int
aes_encrypt(const uint8_t *key, const uint8_t *iv, const uint8_t *pt,
    size_t len, uint8_t **out, size_t *outlen, uint16_t *padp)
{
	EVP_CIPHER_CTX *cctx = NULL;
	uint8_t *padded = NULL, *ct = NULL;
	size_t p = ENC_BLOCK - len % ENC_BLOCK, total = len + p;
	int n1 = 0, n2 = 0, err = SBD_ERR_NOMEM;

	if (len > SBD_CONF_MAX) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	if ((padded = malloc(total)) == NULL || (ct = malloc(total)) == NULL)
		goto out;
	if (len > 0)
		memcpy(padded, pt, len);
	memset(padded + len, ENC_PAD_BYTE, p);
	err = SBD_ERR_CRYPTO;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key, iv) != 1 ||
	    EVP_CIPHER_CTX_set_padding(cctx, 0) != 1)
		goto out;
	if (EVP_EncryptUpdate(cctx, ct, &n1, padded, (int)total) != 1 ||
	    EVP_EncryptFinal_ex(cctx, ct + n1, &n2) != 1)
		goto out;
	if ((size_t)n1 + (size_t)n2 != total)
		goto out;
	*out = ct;
	*outlen = total;
	*padp = (uint16_t)p;
	ct = NULL;
	err = 0;
out:
	if (padded != NULL) {
		OPENSSL_cleanse(padded, total);
		free(padded);
	}
	free(ct);
	EVP_CIPHER_CTX_free(cctx);
	return err;
}

/*
 * The encryption elements that follow TIMESTAMP (FORMATS.md 6.2):
 *
 *   10 ENCRYPTION_INFO { 11 IV_INFO { 12 0, 13 iv, 14 pad },
 *                        15 KEY_INFO { 16 0, 17 8*keylen, 18 1, 19 key } }
 *   1A hash id, 1B digest
 *
 * 0x11 holds 4 + 19 + 5 = 28 bytes and 0x15 holds 4 + 5 + 4 + 3 + keylen.
 * certutils' enccnf fills in the 0x10 length after appending 0x1A and 0x1B,
 * so its 0x10 also counts them.  Its files are what phones in the field
 * accept, so we do the same, byte for byte; parsers that step into
 * containers (FORMATS.md 1.1) see the same tag sequence either way.
 */
static int
enc_elements(const uint8_t *iv, uint16_t pad, const uint8_t *wkey,
    size_t wlen, int hash, const uint8_t *digest, size_t dlen, uint8_t **out,
    size_t *outlen)
{
	struct sbd_buf b;
	size_t info, ivinfo, keyinfo;

	if (wlen > UINT16_MAX / 8)
		return SBD_ERR_KEY;
	sbd_buf_init(&b, 4096);
	info = sbd_put_open(&b, SBD_H_ENC_INFO);
	ivinfo = sbd_put_open(&b, SBD_H_ENC_IV_INFO);
	sbd_put_tlv_u8(&b, SBD_H_ENC_UNKNOWN1, 0);
	sbd_put_tlv(&b, SBD_H_ENC_IV, iv, ENC_IV_LEN);
	sbd_put_tlv_u16(&b, SBD_H_ENC_PAD, pad);
	sbd_put_close(&b, ivinfo);
	keyinfo = sbd_put_open(&b, SBD_H_ENC_KEY_INFO);
	sbd_put_tlv_u8(&b, SBD_H_ENC_UNKNOWN2, 0);
	sbd_put_tlv_u16(&b, SBD_H_ENC_KEY_SIZE, (uint16_t)(8 * wlen));
	sbd_put_tlv_u8(&b, SBD_H_ENC_KEY_ALG, 1);
	sbd_put_tlv(&b, SBD_H_ENC_KEY, wkey, wlen);
	sbd_put_close(&b, keyinfo);
	sbd_put_tlv_u8(&b, SBD_H_ENC_HASH_ALG, (uint8_t)hash);
	sbd_put_tlv(&b, SBD_H_ENC_HASH, digest, dlen);
	sbd_put_close(&b, info);
	return sbd_buf_take(&b, out, outlen);
}

int
sbd_enc_build(const uint8_t *xml, size_t len, const char *cnf_name,
    X509 *cert, EVP_PKEY *key, X509 *device_cert,
    const struct sbd_enc_opts *o, uint8_t **enc, size_t *enclen,
    uint8_t **sgn, size_t *sgnlen)
{
	xmlDocPtr doc = NULL;
	EVP_PKEY *devpub;
	const EVP_MD *md;
	struct sbd_sign_opts so;
	uint8_t aes_key[ENC_KEY_LEN], iv[ENC_IV_LEN];
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	uint8_t *shortcfg = NULL, *ct = NULL, *wkey = NULL, *extra = NULL;
	uint8_t *e = NULL, *s = NULL;
	size_t shortlen = 0, ctlen = 0, wlen = 0, extralen = 0;
	size_t elen = 0, slen = 0;
	char *enc_name = NULL, *sgn_name = NULL;
	uint16_t pad = 0;
	uint32_t ts;
	int hash, err = SBD_ERR_INVAL;

	if ((xml == NULL && len > 0) || cert == NULL || key == NULL ||
	    device_cert == NULL || enc == NULL || enclen == NULL ||
	    sgn == NULL || sgnlen == NULL)
		goto out;
	if (!cnf_name_ok(cnf_name))
		goto out;
	hash = (o == NULL || o->hash == 0) ? SBD_HASH_SHA1 : o->hash;
	if ((md = enc_md(hash)) == NULL)
		goto out;
	ts = (o == NULL || o->timestamp == 0) ? (uint32_t)time(NULL) :
	    o->timestamp;
	if (asprintf(&enc_name, "%s.enc.sgn", cnf_name) < 0) {
		enc_name = NULL;
		err = SBD_ERR_NOMEM;
		goto out;
	}
	if (asprintf(&sgn_name, "%s.sgn", cnf_name) < 0) {
		sgn_name = NULL;
		err = SBD_ERR_NOMEM;
		goto out;
	}
	if (sbd_sgn_filename_ok(enc_name) != 0)
		goto out;
	if ((err = device_pubkey(device_cert, &devpub)) != 0)
		goto out;
	/* Parse once: it validates the root and yields the short config. */
	if ((err = xml_parse(xml, len, &doc)) != 0)
		goto out;
	if ((err = short_config_doc(doc, device_cert, &shortcfg,
	    &shortlen)) != 0)
		goto out;

	/* ENCRYPTION_HASH is over the plaintext before padding (6.2). */
	err = SBD_ERR_CRYPTO;
	if (EVP_Digest(xml, len, digest, &dlen, md, NULL) != 1)
		goto out;
	if (RAND_bytes(aes_key, sizeof(aes_key)) != 1 ||
	    RAND_bytes(iv, sizeof(iv)) != 1)
		goto out;
	if ((err = aes_encrypt(aes_key, iv, xml, len, &ct, &ctlen, &pad)) != 0)
		goto out;
	if ((err = wrap_key(devpub, aes_key, &wkey, &wlen)) != 0)
		goto out;
	if ((err = enc_elements(iv, pad, wkey, wlen, hash, digest, dlen,
	    &extra, &extralen)) != 0)
		goto out;

	memset(&so, 0, sizeof(so));
	so.ver_major = 2;
	so.ver_minor = 0;
	so.hash = hash;
	so.filename = enc_name;
	so.has_timestamp = 1;
	so.timestamp = ts;
	so.extra = extra;
	so.extra_len = extralen;
	if ((err = sbd_sign_file(&so, cert, key, ct, ctlen, ENC_FILE_MAX, &e,
	    &elen)) != 0)
		goto out;
	if ((err = sbd_sgn_sign(shortcfg, shortlen, sgn_name, hash, ts, cert,
	    key, &s, &slen)) != 0)
		goto out;
	*enc = e;
	*enclen = elen;
	*sgn = s;
	*sgnlen = slen;
	e = s = NULL;
	err = 0;
out:
	OPENSSL_cleanse(aes_key, sizeof(aes_key));
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(shortcfg);
	free(ct);
	free(wkey);
	free(extra);
	free(e);
	free(s);
	free(enc_name);
	free(sgn_name);
	return err;
}

/* ---- parse ------------------------------------------------------------- */

/* Offset of the first element with tag t, for diagnostics. */
static size_t
elem_off(const struct sbd_sighdr *h, uint8_t t)
{
	size_t i;

	for (i = 0; i < h->nelem; i++)
		if (h->elem[i].tag == t)
			return h->elem[i].off;
	return 0;
}

int
sbd_enc_parse(const uint8_t *buf, size_t len, unsigned flags,
    struct sbd_sighdr *h, struct sbd_diag *d)
{
	struct sbd_sighdr *t = NULL;
	const EVP_MD *md;
	size_t ctlen, off;
	int err;

	if ((buf == NULL && len > 0) || h == NULL)
		return sbd_diag_set(d, 0, SBD_ERR_INVAL, "no input");
	/* struct sbd_sighdr is large: keep it off the stack. */
	if ((t = malloc(sizeof(*t))) == NULL)
		return sbd_diag_set(d, 0, SBD_ERR_NOMEM, "out of memory");
	if ((err = sbd_sighdr_parse(buf, len, flags, t, d)) != 0)
		goto out;
	if (t->ver_major != 2) {
		err = sbd_diag_set(d, elem_off(t, SBD_H_VERSION),
		    SBD_ERR_VERSION, "header version %u.%u, an .enc.sgn has "
		    "2.x", t->ver_major, t->ver_minor);
		goto out;
	}
	if (!t->has_enc) {
		err = sbd_diag_set(d, t->hdr_len, SBD_ERR_MISSING,
		    "no ENCRYPTION_INFO (tag 16) in the header");
		goto out;
	}
	if (t->enc_iv == NULL || t->enc_iv_len != ENC_IV_LEN) {
		err = sbd_diag_set(d, t->enc_iv ? elem_off(t, SBD_H_ENC_IV) :
		    elem_off(t, SBD_H_ENC_INFO),
		    t->enc_iv ? SBD_ERR_VALUE : SBD_ERR_MISSING,
		    "IV (tag 19) must be %d bytes", ENC_IV_LEN);
		goto out;
	}
	if (t->enc_pad < 1 || t->enc_pad > ENC_BLOCK) {
		off = elem_off(t, SBD_H_ENC_PAD);
		err = sbd_diag_set(d, off ? off : elem_off(t, SBD_H_ENC_INFO),
		    off ? SBD_ERR_VALUE : SBD_ERR_MISSING,
		    "pad count (tag 20) %u, must be 1..%d", t->enc_pad,
		    ENC_BLOCK);
		goto out;
	}
	if (t->enc_key == NULL || t->enc_key_len == 0) {
		err = sbd_diag_set(d, t->enc_key ? elem_off(t, SBD_H_ENC_KEY) :
		    elem_off(t, SBD_H_ENC_INFO), t->enc_key ? SBD_ERR_VALUE :
		    SBD_ERR_MISSING, "no wrapped key (tag 25)");
		goto out;
	}
	if (!t->has_enc_hash || t->enc_hash == NULL) {
		err = sbd_diag_set(d, elem_off(t, SBD_H_ENC_INFO),
		    SBD_ERR_MISSING, "no plaintext hash (tags 26, 27)");
		goto out;
	}
	if ((md = enc_md(t->enc_hash_alg)) == NULL) {
		err = sbd_diag_set(d, elem_off(t, SBD_H_ENC_HASH_ALG),
		    SBD_ERR_VALUE, "plaintext hash algorithm %u (want 1 or 3)",
		    t->enc_hash_alg);
		goto out;
	}
	if (t->enc_hash_len != (size_t)EVP_MD_get_size(md)) {
		err = sbd_diag_set(d, elem_off(t, SBD_H_ENC_HASH),
		    SBD_ERR_VALUE, "plaintext hash is %zu bytes, %s has %d",
		    t->enc_hash_len, sbd_hash_name(t->enc_hash_alg),
		    EVP_MD_get_size(md));
		goto out;
	}
	if (t->hdr_len > len) {
		err = sbd_diag_set(d, len, SBD_ERR_TRUNCATED,
		    "file ends inside the header");
		goto out;
	}
	ctlen = len - t->hdr_len;
	if (ctlen == 0 || ctlen % ENC_BLOCK != 0) {
		err = sbd_diag_set(d, t->hdr_len, ctlen == 0 ?
		    SBD_ERR_TRUNCATED : SBD_ERR_VALUE, "ciphertext is %zu "
		    "bytes, not a positive multiple of %d", ctlen, ENC_BLOCK);
		goto out;
	}
	memcpy(h, t, sizeof(*h));
	err = 0;
out:
	free(t);
	return err;
}

/* ---- decrypt ----------------------------------------------------------- */

/*
 * Unwrap the AES key.  Any failure, including an unwrapped length other
 * than 16, is one undistinguished SBD_ERR_KEY: no detail that could serve
 * as a Bleichenbacher padding oracle.  (OpenSSL >= 3.2 does implicit
 * rejection, in which case a bad blob yields a random key and the caller
 * sees SBD_ERR_HASH instead; either way nothing tells padding apart.)
 */
static int
unwrap_key(EVP_PKEY *priv, const uint8_t *w, size_t wlen,
    uint8_t key[ENC_KEY_LEN])
{
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *out = NULL;
	size_t cap = 0, olen;
	int err = SBD_ERR_KEY;

	if ((pctx = EVP_PKEY_CTX_new(priv, NULL)) == NULL)
		goto out;
	if (EVP_PKEY_decrypt_init(pctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (EVP_PKEY_decrypt(pctx, NULL, &cap, w, wlen) <= 0 || cap == 0)
		goto out;
	if ((out = malloc(cap)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	olen = cap;
	if (EVP_PKEY_decrypt(pctx, out, &olen, w, wlen) <= 0 ||
	    olen != ENC_KEY_LEN)
		goto out;
	memcpy(key, out, ENC_KEY_LEN);
	err = 0;
out:
	if (out != NULL) {
		OPENSSL_cleanse(out, cap);
		free(out);
	}
	EVP_PKEY_CTX_free(pctx);
	return err;
}

int
sbd_enc_decrypt(const uint8_t *buf, size_t len, const struct sbd_sighdr *h,
    EVP_PKEY *device_key, uint8_t **plain, size_t *plainlen)
{
	EVP_CIPHER_CTX *cctx = NULL;
	const EVP_MD *md;
	uint8_t key[ENC_KEY_LEN], digest[EVP_MAX_MD_SIZE];
	uint8_t *pt = NULL, bad = 0;
	const uint8_t *ct;
	size_t ctlen = 0, ptlen, i;
	unsigned dlen = 0;
	int n1 = 0, n2 = 0, mismatch, err = SBD_ERR_INVAL;

	/* Re-check what sbd_enc_parse() established: h is caller data. */
	if (buf == NULL || h == NULL || device_key == NULL || plain == NULL ||
	    plainlen == NULL)
		goto out;
	if (!h->has_enc || !h->has_enc_hash || h->enc_iv == NULL ||
	    h->enc_iv_len != ENC_IV_LEN || h->enc_key == NULL ||
	    h->enc_pad < 1 || h->enc_pad > ENC_BLOCK || h->enc_hash == NULL ||
	    h->hdr_len > len)
		goto out;
	if ((md = enc_md(h->enc_hash_alg)) == NULL ||
	    h->enc_hash_len != (size_t)EVP_MD_get_size(md))
		goto out;
	ct = buf + h->hdr_len;
	ctlen = len - h->hdr_len;
	if (ctlen == 0 || ctlen % ENC_BLOCK != 0)
		goto out;
	if (ctlen > (size_t)SBD_CONF_MAX + ENC_BLOCK) {
		err = SBD_ERR_TOOBIG;
		goto out;
	}
	/* A wrapped key is one modulus long (FORMATS.md 6.2, tag 0x17). */
	err = SBD_ERR_KEY;
	if (EVP_PKEY_get_base_id(device_key) != EVP_PKEY_RSA ||
	    h->enc_key_len != (size_t)EVP_PKEY_get_size(device_key))
		goto out;
	if ((err = unwrap_key(device_key, h->enc_key, h->enc_key_len,
	    key)) != 0)
		goto out;

	if ((pt = malloc(ctlen)) == NULL) {
		err = SBD_ERR_NOMEM;
		goto out;
	}
	err = SBD_ERR_CRYPTO;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_DecryptInit_ex(cctx, EVP_aes_128_cbc(), NULL, key,
	    h->enc_iv) != 1 || EVP_CIPHER_CTX_set_padding(cctx, 0) != 1)
		goto out;
	if (EVP_DecryptUpdate(cctx, pt, &n1, ct, (int)ctlen) != 1 ||
	    EVP_DecryptFinal_ex(cctx, pt + n1, &n2) != 1 ||
	    (size_t)n1 + (size_t)n2 != ctlen)
		goto out;

	/*
	 * The pad count comes from the signed header, so the plaintext
	 * length is public; check every pad byte and the hash without an
	 * early exit, and report a bad pad and a bad hash alike, so the
	 * result is no CBC padding oracle.
	 */
	ptlen = ctlen - h->enc_pad;
	for (i = ptlen; i < ctlen; i++)
		bad |= (uint8_t)(pt[i] ^ ENC_PAD_BYTE);
	if (EVP_Digest(pt, ptlen, digest, &dlen, md, NULL) != 1 ||
	    dlen != h->enc_hash_len)
		goto out;
	mismatch = CRYPTO_memcmp(digest, h->enc_hash, dlen);
	mismatch |= bad;
	if (mismatch != 0) {
		err = SBD_ERR_HASH;
		goto out;
	}
	OPENSSL_cleanse(pt + ptlen, ctlen - ptlen);
	*plain = pt;
	*plainlen = ptlen;
	pt = NULL;
	err = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (pt != NULL) {
		OPENSSL_cleanse(pt, ctlen);
		free(pt);
	}
	EVP_CIPHER_CTX_free(cctx);
	return err;
}
