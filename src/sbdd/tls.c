/*
 * TLS server contexts for TVS and CAPF.
 *
 * Each service answers with its node's active certificate for the role
 * (TVS.pem on 2445, CAPF.pem on 3804), which phones check against the
 * ITL records of that role (FORMATS.md 7.1).  The phone's own
 * certificate (its LSC or MIC) is asked for and logged, never required:
 * tvsd does not verify it, and a phone without an LSC must still reach
 * CAPF to get one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sbd/cluster.h"
#include "sbd/util.h"
#include "sbd/x509.h"
#include "sbdd.h"

/* Take any client certificate: it is logged, not judged. */
static int
accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

int
sbdd_tls_ctx(struct sbdd *d, const char *role, SSL_CTX **out)
{
	static const unsigned char sid[] = "sbdd";
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;
	char why[160];
	int err;

	if ((err = sbd_cluster_load(d->store, d->conf.datadir, d->conf.node,
	    role, &cert, &key)) != 0) {
		sbdd_log(d, LOG_ERR, "%s certificate of node %s: %s", role,
		    d->conf.node, sbd_strerror(err));
		goto out;
	}
	err = SBD_ERR_CRYPTO;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	/*
	 * The 7900 series speaks only TLS 1.0 with RSA key exchange, which
	 * OpenSSL 3 refuses above security level 0 (FORMATS.md 7.1); that
	 * is an administrator's explicit choice (tls_legacy).
	 */
	if (d->conf.tls_legacy) {
		if (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
		    SSL_CTX_set_cipher_list(ctx, d->conf.tls_ciphers[0] ?
		    d->conf.tls_ciphers : "DEFAULT:@SECLEVEL=0") != 1)
			goto fail;
	} else if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (d->conf.tls_ciphers[0] != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, d->conf.tls_ciphers) != 1)) {
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
	/* Phones reconnect often; resumption spares them a handshake. */
	if (SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1) != 1)
		goto fail;
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	*out = ctx;
	ctx = NULL;
	err = 0;
	goto out;
fail:
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	sbdd_log(d, LOG_ERR, "TLS context for %s: %s", role, why);
	ERR_clear_error();
out:
	SSL_CTX_free(ctx);
	X509_free(cert);
	EVP_PKEY_free(key);
	return err;
}

const char *
sbdd_tls_peer_desc(SSL *ssl, char *buf, size_t cap)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1], *dn = NULL, *p;
	unsigned n = 0;
	X509 *c;

	if ((c = SSL_get0_peer_certificate(ssl)) == NULL) {
		snprintf(buf, cap, "no client certificate");
		return buf;
	}
	if (sbd_dn_string(X509_get_subject_name(c), &dn) != 0 ||
	    sbd_x509_digest(c, EVP_sha1(), md, &n) != 0) {
		snprintf(buf, cap, "unreadable client certificate");
		free(dn);
		return buf;
	}
	sbd_hex(md, n, hex);
	/* The subject is the client's text: nothing unprintable is logged. */
	for (p = dn; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ||
		    *p == '"')
			*p = '?';
	snprintf(buf, cap, "client certificate \"%.96s\" sha1 %s", dn, hex);
	free(dn);
	return buf;
}
