/*
 * sbdctl: what the cluster knows about its phones' trust (SPEC.md,
 * "Verification" and "Beyond the anchors") -- report itl (which phones a
 * bulk ITL reset would not save), plan cert regen (which phones a
 * certificate change would lock out; a dry run) and alarm list.
 *
 * A phone's trust list is known by its SHA-1: the one it reported
 * (DeviceTLInfo), else the one the server last served it.  The store keeps
 * every ITL a node has served by SHA-1 (itl_seen), which turns the SHA-1
 * back into the records the phone holds.  Nothing here writes the store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sbd/json.h"
#include "sbd/store.h"
#include "sbd/trustlist.h"
#include "sbd/util.h"
#include "admin.h"
#include "sbdctl.h"

#define SHA1_HEX	41
#define ALARM_MAX	1000000	/* --max */

/* Record roles that may sign a new ITL (the phone's rule, SPEC.md). */
static const int list_signers[] = {
	SBD_ROLE_SAST, SBD_ROLE_CCM_TFTP, SBD_ROLE_TFTP,
};
/* Record roles of a TFTP node's own certificate in its ITL. */
static const int tftp_roles[] = { SBD_ROLE_TFTP, SBD_ROLE_CCM_TFTP };
static const int tvs_roles[] = { SBD_ROLE_TVS };
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* One ITL a phone holds, looked up once per distinct SHA-1. */
struct seen {
	char sha1[SHA1_HEX];
	uint8_t *der;		/* NULL: not in itl_seen */
	struct sbd_tl *tl;	/* NULL: unknown or unparsable */
};

struct seen_cache {
	struct seen *s;
	size_t n, cap;
};

/* The ITL a device holds, as far as the server knows. */
struct held {
	const char *sha1;	/* borrowed from the device; NULL: none */
	const char *source;	/* "reported", "served" or "none" */
	const struct sbd_tl *tl; /* NULL: unknown to the store */
};

static void
cache_free(struct seen_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		sbd_tl_free(c->s[i].tl);
		free(c->s[i].der);
	}
	free(c->s);
}

/*
 * The ITL whose SHA-1 is sha1, parsed (*tl NULL when the store has never
 * seen it or it does not parse).  -1 on a store failure.
 */
static int
cache_get(struct sbd_store *st, const char *dir, struct seen_cache *c,
    const char *sha1, const struct sbd_tl **tl)
{
	struct seen *s, *grown;
	size_t i, len = 0;
	int err;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->s[i].sha1, sha1) == 0) {
			*tl = c->s[i].tl;
			return 0;
		}
	if (c->n == c->cap) {
		if ((grown = reallocarray(c->s, c->cap ? 2 * c->cap : 16,
		    sizeof(*grown))) == NULL) {
			warnx_("out of memory");
			return -1;
		}
		c->s = grown;
		c->cap = c->cap ? 2 * c->cap : 16;
	}
	s = &c->s[c->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->sha1, sizeof(s->sha1), "%s", sha1);
	err = sbd_store_itl_seen_get(st, sha1, &s->der, &len);
	if (err != 0 && err != SBD_ERR_NOTFOUND) {
		store_warn(st, dir, "cannot read the ITLs served", err);
		return -1;
	}
	if (err == 0 && sbd_tl_parse(s->der, len, 0, &s->tl, NULL) != 0)
		s->tl = NULL;
	c->n++;
	*tl = s->tl;
	return 0;
}

/* The ITL dev holds: its report, else what it was last served. */
static int
held_get(struct sbd_store *st, const char *dir, struct seen_cache *c,
    const struct sbd_device *dev, struct held *h)
{
	memset(h, 0, sizeof(*h));
	h->source = "none";
	if (dev->reported_sha1[0] != '\0') {
		h->sha1 = dev->reported_sha1;
		h->source = "reported";
	} else if (dev->served_itl_sha1[0] != '\0') {
		h->sha1 = dev->served_itl_sha1;
		h->source = "served";
	}
	return h->sha1 != NULL ? cache_get(st, dir, c, h->sha1, &h->tl) : 0;
}

static int
role_in(uint16_t role, const int *roles, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (roles[i] == role)
			return 1;
	return 0;
}

/*
 * Does tl hold the certificate whose DER has the SHA-1 sha1 (lowercase
 * hex) in a record of one of roles (any role when roles is NULL)?  A
 * record may carry the certificate itself or only its hash (FORMATS.md
 * 4.2, tags 9 and 11).
 */
static int
tl_has(const struct sbd_tl *tl, const char *sha1, const int *roles,
    size_t nroles)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	char hex[SHA1_HEX];
	unsigned mdlen;
	size_t i;

	if (strlen(sha1) != SHA1_HEX - 1)
		return 0;
	for (i = 0; i < tl->nrec; i++) {
		const struct sbd_tl_record *r = &tl->rec[i];

		if (roles != NULL && (!r->has_role ||
		    !role_in(r->role, roles, nroles)))
			continue;
		if (r->cert != NULL) {
			if (EVP_Digest(r->cert, r->cert_len, md, &mdlen,
			    EVP_sha1(), NULL) != 1)
				continue;
			sbd_hex(md, mdlen, hex);
		} else if (r->cert_hash != NULL &&
		    r->cert_hash_len == (SHA1_HEX - 1) / 2)
			sbd_hex(r->cert_hash, r->cert_hash_len, hex);
		else
			continue;
		if (CRYPTO_memcmp(hex, sha1, SHA1_HEX - 1) == 0)
			return 1;
	}
	return 0;
}

/*
 * The rollback ITL of "Prepare Cluster for Rollback to pre 8.0" holds no
 * certificate at all (FORMATS.md 4.7): a phone that has it trusts the
 * next list it meets, as one with no list does.
 */
static int
tl_rollback(const struct sbd_tl *tl)
{
	size_t i;

	for (i = 0; i < tl->nrec; i++)
		if (tl->rec[i].cert != NULL || tl->rec[i].cert_hash != NULL)
			return 0;
	return 1;
}

/* "SHA1 (source)", or "-" for a device that holds nothing we know of. */
static void
held_str(const struct held *h, char *buf, size_t cap)
{
	if (h->sha1 == NULL)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%s (%s)", h->sha1, h->source);
}

static void
held_json(struct sbd_json *j, const struct sbd_device *dev,
    const struct held *h)
{
	sbd_json_str(j, "device", dev->name);
	if (h->sha1 != NULL)
		sbd_json_str(j, "held", h->sha1);
	else
		sbd_json_null(j, "held");
	sbd_json_str(j, "source", h->source);
}

/*
 * The nodes, their node states (state[i].node "" when none) and the
 * devices: what both reports read.
 */
struct view {
	struct sbd_node *nodes;
	struct sbd_node_state *state;
	size_t nn;
	struct sbd_device *devs;
	size_t nd;
	struct seen_cache seen;
};

static void
view_free(struct view *v)
{
	free(v->nodes);
	free(v->state);
	sbd_device_list_free(v->devs, v->nd);
	cache_free(&v->seen);
}

static int
view_load(struct sbd_store *st, const char *dir, struct view *v)
{
	size_t i;
	int err;

	memset(v, 0, sizeof(*v));
	if ((err = sbd_store_node_list(st, &v->nodes, &v->nn)) != 0) {
		store_warn(st, dir, "cannot read the nodes", err);
		return -1;
	}
	if ((v->state = calloc(v->nn ? v->nn : 1, sizeof(*v->state))) ==
	    NULL) {
		warnx_("out of memory");
		return -1;
	}
	for (i = 0; i < v->nn; i++) {
		err = sbd_store_node_state_get(st, v->nodes[i].name,
		    &v->state[i]);
		if (err == SBD_ERR_NOTFOUND)
			memset(&v->state[i], 0, sizeof(v->state[i]));
		else if (err != 0) {
			store_warn(st, dir, "cannot read the node states",
			    err);
			return -1;
		}
	}
	if ((err = sbd_store_device_list(st, &v->devs, &v->nd)) != 0) {
		store_warn(st, dir, "cannot read the devices", err);
		return -1;
	}
	return 0;
}

/* Does a node serve sha1 now? */
static int
view_current(const struct view *v, const char *sha1)
{
	size_t i;

	for (i = 0; i < v->nn; i++)
		if (v->state[i].node[0] != '\0' &&
		    strcmp(v->state[i].itl_sha1, sha1) == 0)
			return 1;
	return 0;
}

/* ---- report itl --------------------------------------------------------- */

enum saved { SAVED_YES, SAVED_NO, SAVED_UNKNOWN };
static const char *const saved_names[] = {
	[SAVED_YES] = "yes", [SAVED_NO] = "no", [SAVED_UNKNOWN] = "unknown",
};

/*
 * Would `utils itl reset` save this phone?  The reset ITL is signed by
 * the publisher's ITLRecovery key, which the phone accepts only when its
 * ITL holds that certificate -- or when it trusts any list (no ITL, or
 * the rollback one).  *recov: -1 when there is no ITL to look in.
 */
static enum saved
saved_verdict(const struct held *h, const char *recovery, int *recov)
{
	*recov = -1;
	if (h->sha1 == NULL)
		return SAVED_YES;
	if (h->tl == NULL)
		return SAVED_UNKNOWN;
	*recov = tl_has(h->tl, recovery, NULL, 0);
	return *recov || tl_rollback(h->tl) ? SAVED_YES : SAVED_NO;
}

static void
report_nodes(const struct view *v, struct sbd_json *j)
{
	const struct sbd_node_state *s;
	size_t i;

	if (j != NULL)
		sbd_json_arr(j, "nodes");
	for (i = 0; i < v->nn; i++) {
		if (!(v->nodes[i].services & SBD_SVC_TFTP))
			continue;
		s = &v->state[i];
		if (j == NULL && s->node[0] == '\0')
			printf("%s serves - (no sbdd has run for it)\n",
			    v->nodes[i].name);
		else if (j == NULL)
			printf("%s serves %s (%s)\n", v->nodes[i].name,
			    s->itl_sha1, s->itl_signer);
		if (j == NULL)
			continue;
		sbd_json_obj(j, NULL);
		sbd_json_str(j, "node", v->nodes[i].name);
		if (s->node[0] != '\0') {
			sbd_json_str(j, "serves", s->itl_sha1);
			sbd_json_str(j, "signer", s->itl_signer);
		} else {
			sbd_json_null(j, "serves");
			sbd_json_null(j, "signer");
		}
		sbd_json_end(j);
	}
	if (j != NULL)
		sbd_json_end(j);
}

int
cmd_report_itl(int argc, char **argv)
{
	const char *usage = "report itl [-d DIR] [--json]";
	const char *dir;
	struct sbd_store *st = NULL;
	struct sbd_store_cert rec;
	struct sbd_node pub;
	struct sbd_json j;
	struct view v;
	struct held h;
	enum saved sv;
	char hs[SHA1_HEX + 16];
	size_t i, count[3] = { 0, 0, 0 };
	int r, err, json = 0, recov, rc = 1;

	memset(&v, 0, sizeof(v));
	if ((r = list_open(argc, argv, usage, &json, &dir, &st)) >= 0)
		return r;
	if ((err = sbd_store_node_publisher(st, &pub)) != 0 ||
	    (err = sbd_store_cert_get(st, pub.name, SBD_CR_ITLRECOVERY,
	    &rec)) != 0) {
		store_warn(st, dir, "cannot read the publisher's ITLRecovery "
		    "certificate", err);
		goto out;
	}
	if (view_load(st, dir, &v) != 0)
		goto out;
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_arr(&j, "devices");
	} else
		printf("%-15s %-51s %-7s %-11s %s\n", "DEVICE",
		    "HELD SHA1 (SOURCE)", "CURRENT", "ITLRECOVERY", "SAVED");
	for (i = 0; i < v.nd; i++) {
		if (held_get(st, dir, &v.seen, &v.devs[i], &h) != 0)
			goto out;
		sv = saved_verdict(&h, rec.sha1, &recov);
		count[sv]++;
		if (json) {
			sbd_json_obj(&j, NULL);
			held_json(&j, &v.devs[i], &h);
			sbd_json_bool(&j, "current", h.sha1 != NULL &&
			    view_current(&v, h.sha1));
			if (recov < 0)
				sbd_json_null(&j, "itlrecovery");
			else
				sbd_json_bool(&j, "itlrecovery", recov);
			sbd_json_str(&j, "saved", saved_names[sv]);
			sbd_json_end(&j);
			continue;
		}
		held_str(&h, hs, sizeof(hs));
		printf("%-15s %-51s %-7s %-11s %s\n", v.devs[i].name, hs,
		    h.sha1 != NULL && view_current(&v, h.sha1) ? "yes" : "no",
		    recov < 0 ? "-" : recov ? "yes" : "no", saved_names[sv]);
	}
	if (json)
		sbd_json_end(&j);
	else
		printf("\n");
	report_nodes(&v, json ? &j : NULL);
	if (json) {
		sbd_json_int(&j, "saved", (long long)count[SAVED_YES]);
		sbd_json_int(&j, "not_saved", (long long)count[SAVED_NO]);
		sbd_json_int(&j, "unknown", (long long)count[SAVED_UNKNOWN]);
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else
		printf("%zu devices: %zu saved by utils itl reset, %zu not "
		    "saved, %zu unknown\n", v.nd, count[SAVED_YES],
		    count[SAVED_NO], count[SAVED_UNKNOWN]);
	rc = 0;
out:
	view_free(&v);
	sbd_store_close(st);
	return rc;
}

/* ---- plan cert regen ---------------------------------------------------- */

enum verdict { KEEPS, LOSES, UNKNOWN };
static const char *const verdict_names[] = {
	[KEEPS] = "keeps", [LOSES] = "loses", [UNKNOWN] = "unknown",
};

/*
 * The roles a plan may name, and whether phones' boot trust follows them
 * (SPEC.md, "Certificate regeneration").
 */
static const struct plan_role {
	const char *name;
	int boot;
} plan_roles[] = {
	{ SBD_CR_CALLMANAGER, 1 },
	{ SBD_CR_TVS, 1 },
	{ SBD_CR_CAPF, 0 },
	{ SBD_CR_ITLRECOVERY, 0 },
};
#define PLAN_ROLES	NELEM(plan_roles)

struct plan {
	const char *node;	/* whose certificates change */
	int role[PLAN_ROLES];	/* named in the plan */
	int boot;		/* a role phones' boot trust follows */
	struct sbd_store_cert *certs;	/* every certificate, for history */
	size_t ncert;
};

/* Is node's certificate of role (an SBD_CR_*) in the plan? */
static int
plan_changes(const struct plan *p, const char *node, const char *role)
{
	size_t i;

	for (i = 0; i < PLAN_ROLES; i++)
		if (p->role[i] && strcmp(plan_roles[i].name, role) == 0)
			return strcmp(node, p->node) == 0;
	return 0;
}

/* The active certificate of node for role (NULL: none). */
static const struct sbd_store_cert *
plan_active(const struct plan *p, const char *node, const char *role)
{
	size_t i;

	for (i = 0; i < p->ncert; i++)
		if (p->certs[i].active && strcmp(p->certs[i].node, node) == 0 &&
		    strcmp(p->certs[i].role, role) == 0)
			return &p->certs[i];
	return NULL;
}

/*
 * The node that served tl: the one whose CallManager certificate, current
 * or past, is its TFTP record (each node's ITL carries its own, SPEC.md
 * "The ITL").  NULL when no node of the cluster matches.
 */
static const char *
plan_server(const struct plan *p, const struct sbd_tl *tl)
{
	size_t i;

	for (i = 0; i < p->ncert; i++)
		if (strcmp(p->certs[i].role, SBD_CR_CALLMANAGER) == 0 &&
		    tl_has(tl, p->certs[i].sha1, tftp_roles,
		    NELEM(tftp_roles)))
			return p->certs[i].node;
	return NULL;
}

/*
 * What a phone holding h meets after the change, as sbdphone judges it
 * (SPEC.md, "Phone trust rules"): the signer of the new ITL is the
 * serving node's CallManager certificate (a new, unknown one when the
 * plan regenerates it); the phone keeps trust when that certificate is
 * in its ITL, else when one of its TVS servers, in order, still shows a
 * TVS certificate of its ITL and so can vouch for the new signer.  A
 * plan of CAPF or ITLRecovery alone changes nothing a phone checks then.
 */
static enum verdict
plan_verdict(const struct plan *p, const struct sbd_device *dev,
    const struct held *h, char *why, size_t cap)
{
	const struct sbd_store_cert *c;
	const char *server;
	size_t k;

	if (!p->boot) {
		snprintf(why, cap, "nothing it trusts changes");
		return KEEPS;
	}
	if (h->sha1 == NULL || (h->tl != NULL && tl_rollback(h->tl))) {
		snprintf(why, cap, "trust on first use");
		return KEEPS;
	}
	if (h->tl == NULL) {
		snprintf(why, cap, "ITL not known to the store");
		return UNKNOWN;
	}
	if ((server = plan_server(p, h->tl)) == NULL) {
		snprintf(why, cap, "ITL of no node of the cluster");
		return UNKNOWN;
	}
	if (!plan_changes(p, server, SBD_CR_CALLMANAGER) &&
	    (c = plan_active(p, server, SBD_CR_CALLMANAGER)) != NULL &&
	    tl_has(h->tl, c->sha1, list_signers, NELEM(list_signers))) {
		snprintf(why, cap, "signer in ITL");
		return KEEPS;
	}
	for (k = 0; k < SBD_TVS_MAX && dev->tvs[k][0] != '\0'; k++) {
		if (plan_changes(p, dev->tvs[k], SBD_CR_TVS) ||
		    (c = plan_active(p, dev->tvs[k], SBD_CR_TVS)) == NULL ||
		    !tl_has(h->tl, c->sha1, tvs_roles, NELEM(tvs_roles)))
			continue;
		snprintf(why, cap, "TVS on %s", dev->tvs[k]);
		return KEEPS;
	}
	snprintf(why, cap, "Trust List Update Failed");
	return LOSES;
}

/* Parse "ROLE[,ROLE]" into p->role; a usage error names a bad one. */
static int
plan_parse(const char *usage, const char *list, struct plan *p)
{
	const char *s = list;
	size_t n, i;

	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < PLAN_ROLES; i++)
			if (strlen(plan_roles[i].name) == n &&
			    strncasecmp(s, plan_roles[i].name, n) == 0)
				break;
		if (i == PLAN_ROLES)
			return usage_err(usage, "unknown role: %.*s "
			    "(CallManager, TVS, CAPF or ITLRecovery)", (int)n,
			    s);
		p->role[i] = 1;
		p->boot |= plan_roles[i].boot;
		if (s[n] == '\0')
			return -1;
		s += n + 1;
	}
}

int
cmd_plan_cert_regen(int argc, char **argv)
{
	const char *usage = "plan cert regen ROLE[,ROLE] [-d DIR] "
	    "[--node HOST] [--json]";
	const char *dopt = NULL, *nopt = NULL, *dir;
	struct sbd_store *st = NULL;
	struct sbd_node self;
	struct plan p;
	struct sbd_json j;
	struct view v;
	struct held h;
	enum verdict vd;
	char hs[SHA1_HEX + 16], why[SBD_NAME_MAX + 16];
	size_t i, count[3] = { 0, 0, 0 };
	int r, err, json = 0, rc = 1;

	memset(&v, 0, sizeof(v));
	memset(&p, 0, sizeof(p));
	if (argc < 2 || strcmp(argv[1], "regen") != 0)
		return usage_err(usage, NULL);
	argc--;
	argv++;
	if ((r = store_opts(argc, argv, usage, &dopt, &nopt, &json)) >= 0)
		return r;
	if (optind != argc - 1)
		return usage_err(usage, "expected one ROLE[,ROLE]");
	if ((r = plan_parse(usage, argv[optind], &p)) >= 0)
		return r;
	dir = data_dir(dopt);
	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0)
		goto out;
	if (admin_node(st, dir, nopt, &self) != 0)
		goto out;
	p.node = self.name;
	if ((err = sbd_store_cert_list(st, NULL, 0, &p.certs,
	    &p.ncert)) != 0) {
		store_warn(st, dir, "cannot read the certificates", err);
		goto out;
	}
	if (view_load(st, dir, &v) != 0)
		goto out;
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_obj(&j, NULL);
		sbd_json_str(&j, "node", self.name);
		sbd_json_arr(&j, "roles");
		for (i = 0; i < PLAN_ROLES; i++)
			if (p.role[i])
				sbd_json_str(&j, NULL, plan_roles[i].name);
		sbd_json_end(&j);
		sbd_json_arr(&j, "devices");
	} else {
		printf("Dry run of set cert regen on node %s: nothing is "
		    "changed\n", self.name);
		for (i = 0; i < PLAN_ROLES; i++)
			if (p.role[i] && !plan_roles[i].boot)
				printf("%s does not change what phones trust "
				    "at boot\n", plan_roles[i].name);
		printf("\n%-15s %-51s %s\n", "DEVICE", "HELD SHA1 (SOURCE)",
		    "VERDICT");
	}
	for (i = 0; i < v.nd; i++) {
		if (held_get(st, dir, &v.seen, &v.devs[i], &h) != 0)
			goto out;
		vd = plan_verdict(&p, &v.devs[i], &h, why, sizeof(why));
		count[vd]++;
		if (json) {
			sbd_json_obj(&j, NULL);
			held_json(&j, &v.devs[i], &h);
			sbd_json_str(&j, "verdict", verdict_names[vd]);
			sbd_json_str(&j, "why", why);
			sbd_json_end(&j);
			continue;
		}
		held_str(&h, hs, sizeof(hs));
		printf("%-15s %-51s %s%s\n", v.devs[i].name, hs,
		    vd == KEEPS ? "keeps trust: " : vd == LOSES ?
		    "loses trust: " : "unknown: ", why);
	}
	if (json) {
		sbd_json_end(&j);
		sbd_json_int(&j, "keep", (long long)count[KEEPS]);
		sbd_json_int(&j, "lose", (long long)count[LOSES]);
		sbd_json_int(&j, "unknown", (long long)count[UNKNOWN]);
		sbd_json_end(&j);
		sbd_json_done(&j);
	} else
		printf("\n%zu devices: %zu keep trust, %zu would lose it, %zu "
		    "unknown\n", v.nd, count[KEEPS], count[LOSES],
		    count[UNKNOWN]);
	rc = 0;
out:
	free(p.certs);
	view_free(&v);
	sbd_store_close(st);
	return rc;
}

/* ---- alarm list --------------------------------------------------------- */

int
cmd_alarm_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "max", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = "alarm list [-d DIR] [--json] [--max N]";
	const char *dopt = NULL, *dir;
	struct sbd_store *st = NULL;
	struct sbd_alarm *a = NULL;
	struct sbd_json j;
	struct tm tm;
	time_t t;
	char when[32];
	unsigned long max = 0;
	size_t n = 0, i;
	int ch, err, json = 0, rc = 1;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dopt = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'm':
			if (parse_uint(optarg, 1, ALARM_MAX, &max) != 0)
				return usage_err(usage, "bad --max: %s (1 to "
				    "%d)", optarg, ALARM_MAX);
			break;
		default:
			return opt_default(usage, argv, ch);
		}
	}
	if (optind != argc)
		return extra_operand(usage, argv);
	dir = data_dir(dopt);
	if (open_store(dir, SBD_STORE_RDONLY, &st) != 0)
		goto out;
	if ((err = sbd_store_alarm_list(st, (size_t)max, &a, &n)) != 0) {
		store_warn(st, dir, "cannot read the alarms", err);
		goto out;
	}
	if (json) {
		sbd_json_init(&j, stdout);
		sbd_json_arr(&j, NULL);
	} else
		printf("%-20s %-15s %s\n", "TIME", "NODE", "TEXT");
	for (i = 0; i < n; i++) {
		t = (time_t)a[i].at;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) == 0)
			snprintf(when, sizeof(when), "%lld",
			    (long long)a[i].at);
		if (!json) {
			printf("%-20s %-15s %s\n", when, a[i].node,
			    a[i].text);
			continue;
		}
		sbd_json_obj(&j, NULL);
		sbd_json_int(&j, "id", a[i].id);
		sbd_json_int(&j, "at", a[i].at);
		sbd_json_str(&j, "time", when);
		sbd_json_str(&j, "node", a[i].node);
		sbd_json_str(&j, "name", a[i].name);
		sbd_json_int(&j, "severity", a[i].severity);
		sbd_json_str(&j, "text", a[i].text);
		sbd_json_end(&j);
	}
	if (json) {
		sbd_json_end(&j);
		sbd_json_done(&j);
	}
	rc = 0;
out:
	free(a);
	sbd_store_close(st);
	return rc;
}
