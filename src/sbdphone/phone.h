/*
 * sbdphone: a Cisco IP phone's trust behaviour (SPEC.md, "Phone trust
 * rules"), with its state in a directory.
 *
 *   main.c    command line: init, boot, https, capf, status, fleet
 *   state.c   the state directory: load, save (atomically), status log
 *   boot.c    the download order and the trust rules
 *   trust.c   is a certificate or a signer trusted: CTL/ITL, TVS cache,
 *             TVS (QUERY and VERIFY through src/net)
 *   https.c   `sbdphone https URL`
 *   capf.c    `sbdphone capf`: the phone side of FORMATS.md 8.3
 *   fleet.c   many phones at once on a pool of threads
 *
 * State directory (every file replaced atomically; keys 0600):
 *
 *   phone.conf     "mac=001122334455", "model=CP-8845" (key=value lines)
 *   ctl.tlv        installed CTL (absent: none)
 *   itl.tlv        installed ITL (absent: none)
 *   tvs-cache      "SHA256HEX EXPIRY ROLES" lines (ROLES: comma codes,
 *                  "-" for none)
 *   tvs/           SHA256HEX.pem: the certificates TVS QUERY returned,
 *                  kept to verify signatures while their entry lasts
 *   lsc.pem        LSC from CAPF, lsc.key its key
 *   mic.pem        manufacturer certificate (tests make one), mic.key
 *   config.xml     the last configuration accepted (plain XML)
 *   status         "HH:MM:SS message" lines, oldest first, at most
 *                  PHONE_STATUS_MAX kept (Settings > Status > Status
 *                  Messages)
 *
 * A struct phone is used by one thread at a time; phones share nothing,
 * so a fleet runs them on many threads.
 */
#ifndef SBDPHONE_H
#define SBDPHONE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/tvs.h"

#define PHONE_STATUS_MAX	64	/* status messages kept */
#define PHONE_TVS_CACHE_MAX	256	/* cached TVS verdicts */
#define PHONE_DIR_MAX		4096

/* Status messages, in the phone's words (SPEC.md; seeds 001, 002). */
#define PHONE_MSG_TL_FAILED	"Trust List Update Failed"
#define PHONE_MSG_TL_UPDATED	"Trust List Updated"
#define PHONE_MSG_HOST_NOT_FOUND	"Host Not Found"

struct phone_tvs_entry {
	uint8_t sha256[32];
	time_t expires;
	uint8_t roles[SBD_TVS_ROLES_MAX];
	size_t nroles;
};

/* A server the phone talks to: its configuration's TFTP, TVS, CAPF. */
struct phone_server {
	char host[SBD_NAME_MAX];
	uint16_t port;
};

struct phone {
	char dir[PHONE_DIR_MAX];
	char mac[SBD_MAC_LEN + 1];
	char model[SBD_MODEL_MAX];	/* "CP-8845" */
	/* Installed trust lists: raw bytes and their parse (NULL: none). */
	uint8_t *ctl_buf, *itl_buf;
	size_t ctl_len, itl_len;
	struct sbd_tl *ctl, *itl;
	struct phone_tvs_entry tvs_cache[PHONE_TVS_CACHE_MAX];
	size_t ntvs_cache;
	X509 *lsc, *mic;		/* NULL when absent */
	EVP_PKEY *lsc_key, *mic_key;
	uint8_t *config;		/* last configuration; NULL: none */
	size_t config_len;
	/* From the last configuration: TVS servers in order, CAPF. */
	struct phone_server tvs[SBD_TVS_MAX];
	size_t ntvs;
	struct phone_server capf;	/* first of capfList; port 0: none */
	int capf_auth;			/* capfAuthMode of the configuration
					 * (enum sbd_capf_auth; 0 = none) */
	int encr_config;		/* encrConfig of the configuration */
	int quiet;			/* phone_status does not echo the
					 * message to stderr (fleet) */
	time_t (*clock)(void);		/* time source (tests: fixed) */
};

/* Load dir (which phone.conf must exist in).  *out freed with phone_free. */
int phone_load(const char *dir, struct phone **out) SBD_WUR;
/* Create dir with phone.conf for mac/model (mac in any sbd_mac_parse
 * form); mic: also generate a self-signed RSA-2048 MIC. */
int phone_init(const char *dir, const char *mac, const char *model, int mic)
    SBD_WUR;
void phone_free(struct phone *ph);	/* NULL is a no-op */

/* "SEP001122334455" and "CP-8845-SEP001122334455" (TVS DEVICE_NAME). */
void phone_devname(const struct phone *ph, char *buf, size_t cap);
void phone_tvs_devname(const struct phone *ph, char *buf, size_t cap);

/* Append "HH:MM:SS msg" to the status file (and to ph's log). */
void phone_status(struct phone *ph, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Replace a state file atomically (mode 0644, or 0600 for keys). */
int phone_save(struct phone *ph, const char *file, const void *p, size_t n,
    int mode) SBD_WUR;
/* Remove a state file (absent is fine). */
int phone_remove(struct phone *ph, const char *file) SBD_WUR;
/*
 * Store a new LSC and key (lsc.pem, lsc.key); ph takes references of its
 * own, the caller keeps (and frees) lsc and key.
 */
int phone_set_lsc(struct phone *ph, X509 *lsc, EVP_PKEY *key) SBD_WUR;

/*
 * Is cert, presented by a TLS server, a server the phone trusts in role
 * (SBD_ROLE_TVS for TVS, SBD_ROLE_CAPF for CAPF): its DER is in a record
 * of the CTL or ITL with that role.  A phone with no list (or an empty
 * ITL and no CTL) trusts on first use: 0.  SBD_ERR_NOSIGNER otherwise.
 */
int phone_trusts_server(const struct phone *ph, X509 *cert, int role)
    SBD_WUR;

/*
 * `sbdphone capf` (capf.c): one CAPF session as the phone's side of
 * FORMATS.md 8.3.  The server is o->host:o->port, or the configuration's
 * capfList entry; its certificate must pass phone_trusts_server(CAPF).
 * The phone authenticates as its configuration's capfAuthMode says
 * (o->auth overrides it when not 0): the password o->password, nothing,
 * or its LSC / MIC with the signatures of FORMATS.md 8.4.  It generates
 * the key the server asks for, stores the LSC it is given, answers fetch
 * and delete.  *reason gets the END_SESSION reason; the outcome is also
 * a status message.  0 when the session ended normally (whatever the
 * reason), an error when it broke off.
 */
struct phone_capf_opts {
	const char *host;		/* NULL: from the configuration */
	uint16_t port;
	const char *password;		/* the authentication string typed */
	int auth;			/* 0: the configuration's */
	unsigned timeout_ms;
	int legacy;			/* TLS 1.0 allowed */
};
int phone_capf(struct phone *ph, const struct phone_capf_opts *o,
    int *reason) SBD_WUR;

#endif
