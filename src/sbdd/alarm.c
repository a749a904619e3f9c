/*
 * sbdd: the ITLRecovery backup alarm (SPEC.md "Backup alarm").
 *
 * CUCM raises %UC_CERT-4-ITLRecoveryCertBackup every day until the
 * publisher's ITLRecovery key has been copied off the cluster: without
 * that copy, phones that lose trust in the cluster's ITL can only be
 * recovered by hand.  `sbdctl file get tftp ITLRecovery.p12` records the
 * SHA-1 of the file it copied in the parameter itlrecovery_backup, so a
 * new key (regenerated, or re-protected by a security password change)
 * arms the alarm again.  Only the publisher's sbdd raises it: the key
 * lives there.  Every "day" is one of sbd_now(), so tests can move it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "sbd/cluster.h"
#include "sbd/util.h"
#include "sbdd.h"

#define ALARM_PERIOD	86400		/* raised at most once a day */
#define P12_MAX		(1024 * 1024)	/* an ITLRecovery.p12 is a few KiB */

/*
 * 1 when the publisher pub's ITLRecovery.p12 exists and is not the one
 * last backed up, 0 when it is or there is none, -1 when it cannot be
 * read (logged).
 */
static int
armed(struct sbdd *d, const char *pub)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], sha1[41];
	char backup[SBD_PARAM_MAX];
	uint8_t *p12 = NULL, md[20];
	size_t len = 0;
	int e, r = -1;

	if (sbd_node_dir(d->conf.datadir, pub, "pki", dir, sizeof(dir)) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/ITLRecovery.p12", dir);
	if ((e = sbd_read_file(path, P12_MAX, &p12, &len)) != 0) {
		if (e == SBD_ERR_IO && errno == ENOENT)
			r = 0;
		else
			sbdd_log(d, LOG_ERR, "backup alarm: %s: %s", path,
			    e == SBD_ERR_IO ? strerror(errno) :
			    sbd_strerror(e));
		goto out;
	}
	if (EVP_Digest(p12, len, md, NULL, EVP_sha1(), NULL) != 1)
		goto out;
	sbd_hex(md, sizeof(md), sha1);
	e = sbd_store_param_get(d->store, "itlrecovery_backup", backup,
	    sizeof(backup));
	if (e != 0 && e != SBD_ERR_NOTFOUND) {
		sbdd_log(d, LOG_ERR, "backup alarm: store: %s",
		    sbd_store_errmsg(d->store));
		goto out;
	}
	r = e == SBD_ERR_NOTFOUND || strcasecmp(backup, sha1) != 0;
out:
	free(p12);
	return r;
}

/*
 * Raise the alarm unless it was raised less than a day ago.  It is
 * logged once stored, so the log and the store (sbdctl alarm list) tell
 * the same story, and a store that is busy now gets it next time.
 */
static void
check(struct sbdd *d)
{
	struct sbd_cluster c;
	struct sbd_node n;
	struct sbd_alarm a, last;
	int64_t now;
	int e;

	if (sbd_store_node_get(d->store, d->conf.node, &n) != 0) {
		sbdd_log(d, LOG_ERR, "backup alarm: store: %s",
		    sbd_store_errmsg(d->store));
		return;
	}
	if (!n.publisher || armed(d, n.name) != 1)
		return;
	now = sbd_now();
	e = sbd_store_alarm_last(d->store, SBD_ALARM_ITLRECOVERY_BACKUP,
	    &last);
	if (e == 0 && last.at > now - ALARM_PERIOD)
		return;
	if ((e != 0 && e != SBD_ERR_NOTFOUND) ||
	    sbd_store_cluster_get(d->store, &c) != 0) {
		sbdd_log(d, LOG_ERR, "backup alarm: store: %s",
		    sbd_store_errmsg(d->store));
		return;
	}
	memset(&a, 0, sizeof(a));
	a.at = now;
	snprintf(a.node, sizeof(a.node), "%s", n.name);
	snprintf(a.name, sizeof(a.name), "%s", SBD_ALARM_ITLRECOVERY_BACKUP);
	a.severity = LOG_WARNING;
	snprintf(a.text, sizeof(a.text), "%%UC_CERT-4-%s: %%[ClusterID=%s]"
	    "[NodeID=%s]: This cluster has an ITLRecovery certificate that "
	    "has not been backed up.", SBD_ALARM_ITLRECOVERY_BACKUP, c.name,
	    n.name);
	if (sbd_store_alarm_add(d->store, &a) != 0) {
		sbdd_log(d, LOG_ERR, "backup alarm: store: %s",
		    sbd_store_errmsg(d->store));
		return;
	}
	sbdd_log(d, LOG_WARNING, "%s", a.text);
	d->ctr.alarms_raised++;
}

static void
on_alarm(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	check(arg);
}

int
sbdd_alarm_start(struct sbdd *d)
{
	struct timeval tv = { (time_t)d->conf.alarm_check_s, 0 };

	if ((d->ev_alarm = event_new(d->base, -1, EV_PERSIST, on_alarm,
	    d)) == NULL || event_add(d->ev_alarm, &tv) != 0)
		return -1;
	check(d);
	return 0;
}

void
sbdd_alarm_free(struct sbdd *d)
{
	if (d->ev_alarm == NULL)
		return;
	event_free(d->ev_alarm);
	d->ev_alarm = NULL;
}
