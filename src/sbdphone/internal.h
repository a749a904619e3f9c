/*
 * sbdphone: what its own files share beyond phone.h (which is the
 * contract with capf.c).  See phone.h for the state directory.
 *
 * The TVS cache: the "tvs-cache" file holds "SHA256HEX EXPIRY ROLES"
 * lines (ROLES: comma-separated role codes, "-" for none), and the
 * certificate of every entry a QUERY answered is kept as
 * tvs/SHA256HEX.pem, so a file signed by it verifies next time without
 * asking TVS again.  VERIFY entries need no certificate: the phone looks
 * them up by the SHA-256 of the certificate it is shown.
 */
#ifndef SBDPHONE_INTERNAL_H
#define SBDPHONE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "sbd/sighdr.h"
#include "sbd/tftp.h"
#include "sbd/trustlist.h"
#include "sbd/tvs.h"	/* phone.h needs SBD_TVS_ROLES_MAX */
#include "sbdphone/phone.h"

#define PHONE_WHY_MAX		320	/* one reason, for messages */
#define PHONE_TIMEOUT_MS	2000	/* per packet, connect, handshake */
#define PHONE_FILE_MAX		(4 * 1024 * 1024) /* any file fetched */
#define PHONE_TVS_SESSION	1001	/* the phone of FORMATS.md 7.5 */

/* ---- trust (trust.c) -------------------------------------------------- */

/* How a list, a signer or a server came to be trusted. */
enum phone_via {
	PHONE_VIA_NONE = 0,
	PHONE_VIA_TOFU,		/* no trust list: trust on first use */
	PHONE_VIA_SAME,		/* the bytes already installed */
	PHONE_VIA_CTL,		/* a record of the installed CTL */
	PHONE_VIA_ITL,		/* a record of the installed ITL */
	PHONE_VIA_CACHE,	/* the TVS cache */
	PHONE_VIA_QUERY,	/* TVS QUERY, just now */
	PHONE_VIA_VERIFY,	/* TVS VERIFY, just now */
};

/* "trust on first use", "ITL", "TVS cache", "TVS VERIFY", ... */
const char *phone_via_name(int via);

enum phone_list {
	PHONE_CTL = 0,
	PHONE_ITL = 1,
};

/* An "empty" list (rollback, FORMATS.md 4.7): no record has a cert. */
int phone_tl_empty(const struct sbd_tl *tl);
/*
 * Does the phone trust on first use: no CTL, and no ITL or only an
 * empty one (SPEC.md, "Phone trust rules").
 */
int phone_tofu(const struct phone *ph);

/*
 * Judge a trust list received as which (parsed as tl from buf): 0 and
 * *via when it may be installed, an error and why when it is refused.
 * May ask TVS (QUERY), which may add to the TVS cache.
 */
int phone_judge_list(struct phone *ph, int which, const uint8_t *buf,
    size_t len, const struct sbd_tl *tl, unsigned timeout_ms, int *via,
    char why[PHONE_WHY_MAX]) SBD_WUR;
/* Replace the installed list which with buf/tl (both taken). */
int phone_install_list(struct phone *ph, int which, uint8_t *buf,
    size_t len, struct sbd_tl *tl) SBD_WUR;

/* Judge a signed file (.sgn, .enc.sgn) whose header is h. */
int phone_judge_signed(struct phone *ph, const uint8_t *buf, size_t len,
    const struct sbd_sighdr *h, unsigned timeout_ms, int *via,
    char why[PHONE_WHY_MAX]) SBD_WUR;

/*
 * Judge a TLS server's certificate (https): a CTL/ITL record of any
 * role, the TVS cache, TVS VERIFY.
 */
int phone_judge_server(struct phone *ph, X509 *cert, unsigned timeout_ms,
    int *via, char why[PHONE_WHY_MAX]) SBD_WUR;

/* ---- state (state.c) -------------------------------------------------- */

/* Read config.xml bytes into ph (config, tvs, capf, capf_auth,
 * encr_config); nothing changes when xml is not a usable <device>. */
int phone_config_apply(struct phone *ph, const uint8_t *xml, size_t len)
    SBD_WUR;
/* Is the <device> in xml a full configuration (fullConfig not false)? */
int phone_config_is_full(const uint8_t *xml, size_t len);
/* Does xml say <encrConfig>true</encrConfig>?  -1 if not XML. */
int phone_config_encrypted(const uint8_t *xml, size_t len);

/* Cache entry i: expired at the phone's clock? */
int phone_cache_expired(const struct phone *ph, size_t i);
/* The entry for a certificate's SHA-256, or -1. */
int phone_cache_find(const struct phone *ph, const uint8_t sha256[32]);
/*
 * Add (or renew) cert for ttl seconds with roles, and keep the
 * certificate too when keep (QUERY answers); expired entries go.
 */
int phone_cache_add(struct phone *ph, X509 *cert, uint32_t ttl,
    const uint8_t *roles, size_t nroles, int keep) SBD_WUR;
/* The certificate kept for entry i (NULL *out: none kept). */
int phone_cache_cert(const struct phone *ph, size_t i, X509 **out) SBD_WUR;

/* SHA-256 of cert's DER. */
int phone_cert_sha256(X509 *cert, uint8_t out[32]) SBD_WUR;

/*
 * An unsigned decimal in [lo, hi]: digits only, no sign or blank (the
 * command line's numbers and the configuration's).
 */
int phone_parse_ulong(const char *s, unsigned long lo, unsigned long hi,
    unsigned long *out);
/* Monotonic milliseconds, for durations and deadlines (not the clock). */
uint64_t phone_now_ms(void);

/* ---- boot (boot.c) ---------------------------------------------------- */

enum phone_proto {
	PHONE_PROTO_TFTP = 0,
	PHONE_PROTO_HTTP = 1,
};

struct phone_boot_opts {
	const char *host;	/* the TFTP server (and its HTTP service) */
	uint16_t tftp_port;	/* 69 */
	uint16_t http_port;	/* 6970: --proto http and DeviceTLInfo */
	int proto;		/* enum phone_proto */
	unsigned timeout_ms;	/* per packet or request */
};

/* Boot results, the words of --json and fleet summaries. */
enum phone_result {
	PHONE_OK = 0,
	PHONE_TL_FAILED,	/* "trust-list-update-failed" */
	PHONE_SIG_FAILED,	/* "config-signature-failed" */
	PHONE_DECRYPT_FAILED,	/* "decrypt-failed" */
	PHONE_TIMEOUT,		/* "tftp-timeout": the server did not answer */
	PHONE_NOT_FOUND,	/* "not-found": no configuration */
	PHONE_CONFIG_INVALID,	/* "config-invalid": not a <device> */
	PHONE_ERROR,		/* "error": the phone's own failure */
	PHONE_NRESULTS
};
const char *phone_result_name(int result);

#define PHONE_BOOT_FILES	8

struct phone_boot_file {
	char name[SBD_TFTP_NAME_MAX + 1];
	int got;		/* 1: fetched */
	size_t len;
	char verdict[PHONE_WHY_MAX];	/* "installed (trust on first use)",
					 * "not found", "refused: ..." */
};

struct phone_boot_res {
	int result;			/* enum phone_result */
	char why[PHONE_WHY_MAX];	/* for results other than PHONE_OK */
	struct phone_boot_file file[PHONE_BOOT_FILES];
	size_t nfile;
	int reported;			/* DeviceTLInfo accepted */
	char report_why[PHONE_WHY_MAX];
	uint64_t ms;			/* the whole boot */
};

/* One boot (SPEC.md, "Boot sequence"); *r is always filled. */
void phone_boot(struct phone *ph, const struct phone_boot_opts *o,
    struct phone_boot_res *r);

/* ---- https (https.c) -------------------------------------------------- */

/* GET url (https://HOST[:PORT]/PATH) into out (a file; NULL: stdout). */
int phone_https(struct phone *ph, const char *url, const char *out,
    unsigned timeout_ms) SBD_WUR;

/* ---- fleet (fleet.c) -------------------------------------------------- */

struct phone_fleet_opts {
	unsigned count;
	unsigned concurrency;
	const char *base;		/* BASE/SEP<MAC> per phone */
	uint64_t mac_base;		/* 48 bits */
	const char *model;
	struct phone_boot_opts boot;
	int json;
};

/* Boot count phones; 0 when every boot succeeded. */
int phone_fleet(const struct phone_fleet_opts *o) SBD_WUR;

#endif
