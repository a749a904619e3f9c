/*
 * sbdctl: the administrator's tool.  This file dispatches "VERB [OBJECT]" to
 * the verb groups (tl.c, sgn.c, enc.c, cert.c, cluster.c, device.c,
 * tvs.c, and the CUCM cluster verbs: regen.c, itlreset.c, report.c,
 * fileget.c, network.c).
 */
#include <stdio.h>
#include <string.h>

#include "sbdctl.h"

#define SBD_VERSION "0.1.0"

const char *progname = "sbdctl";

enum { ANY = 0, ITL, CTL };

struct verb {
	const char *verb;
	const char *object;	/* NULL: the verb takes no object word */
	int (*fn)(int, char **);
	int (*tlfn)(int, char **, int);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "build", "itl", NULL, cmd_tl_build, "build and sign an ITL" },
	{ "build", "ctl", NULL, cmd_tl_build, "build and sign a CTL" },
	{ "show", "itl", NULL, cmd_tl_show, "print an ITL as CUCM's show itl" },
	{ "show", "ctl", NULL, cmd_tl_show, "print a CTL as CUCM's show ctl" },
	{ "verify", "itl", NULL, cmd_tl_verify, "verify an ITL's signature" },
	{ "verify", "ctl", NULL, cmd_tl_verify, "verify a CTL's signature" },
	{ "resign", "itl", NULL, cmd_tl_resign, "re-sign an ITL with another key" },
	{ "resign", "ctl", NULL, cmd_tl_resign, "re-sign a CTL with another key" },
	{ "sign", NULL, cmd_sgn_sign, NULL, "sign a file into FILE.sgn" },
	{ "show", "sgn", cmd_sgn_show, NULL, "print a signed file's header" },
	{ "verify", "sgn", cmd_sgn_verify, NULL, "verify a signed file" },
	{ "strip", "sgn", cmd_sgn_strip, NULL, "write a signed file's payload" },
	{ "build", "enc", cmd_enc_build, NULL,
	    "encrypt a SEP<MAC>.cnf.xml into .enc.sgn and short .sgn" },
	{ "show", "enc", cmd_enc_show, NULL, "print an .enc.sgn header" },
	{ "decrypt", "enc", cmd_enc_decrypt, NULL, "decrypt an .enc.sgn" },
	{ "cert", "create", cmd_cert_create, NULL,
	    "create a key and certificate" },
	{ "cert", "show", cmd_cert_show, NULL, "print a certificate" },
	{ "cert", "export-p12", cmd_cert_export_p12, NULL,
	    "write a PKCS#12 file under a password" },
	{ "cert", "import-p12", cmd_cert_import_p12, NULL,
	    "read a PKCS#12 file into PEM files" },
	{ "cluster", "init", cmd_cluster_init, NULL,
	    "create a cluster and its publisher in a data directory" },
	{ "node", "add", cmd_node_add, NULL,
	    "add a subscriber node with its certificates" },
	{ "node", "list", cmd_node_list, NULL, "list the cluster's nodes" },
	{ "device", "add", cmd_device_add, NULL,
	    "add a phone (or many, from a CSV file)" },
	{ "device", "list", cmd_device_list, NULL, "list the phones" },
	{ "device", "show", cmd_device_show, NULL,
	    "print a phone and what the server saw of it" },
	{ "device", "remove", cmd_device_remove, NULL, "remove a phone" },
	{ "device", "capf", cmd_device_capf, NULL,
	    "set a phone's next CAPF operation (LSC install, fetch, delete)" },
	{ "ctl", "set-cluster", cmd_ctl_set_cluster, NULL,
	    "set the CTL mode: mixed-mode or non-secure" },
	{ "tvs", "query", cmd_tvs_query, NULL,
	    "ask a TVS server about a certificate (VERIFY or QUERY)" },
	{ "trust", "add", cmd_trust_add, NULL,
	    "make TVS vouch for a certificate" },
	{ "trust", "list", cmd_trust_list, NULL,
	    "list the certificates TVS vouches for beyond the cluster's" },
	{ "trust", "remove", cmd_trust_remove, NULL,
	    "stop TVS vouching for a certificate" },
	{ "set", "cert", cmd_set_cert_regen, NULL,
	    "set cert regen ROLE: regenerate a node's certificate" },
	{ "set", "network", cmd_set_network, NULL,
	    "set network hostname|domain: rename a node (new certificates)" },
	{ "set", "password", cmd_set_password_security, NULL,
	    "set password security: change the security password" },
	{ "param", "set", cmd_param_set, NULL,
	    "set an enterprise parameter" },
	{ "param", "show", cmd_param_show, NULL,
	    "print the enterprise parameters" },
	{ "device", "reset", cmd_device_reset, NULL,
	    "reset phones through the cluster's reset hook" },
	{ "utils", "itl", cmd_utils_itl_reset, NULL,
	    "utils itl reset localkey|remotekey: bulk ITL reset" },
	{ "utils", "service", cmd_utils_service, NULL,
	    "utils service restart \"Cisco Tftp\": restart a node's TFTP" },
	{ "file", "get", cmd_file_get_tftp, NULL,
	    "file get tftp ITLRecovery.p12: back the key up over SFTP" },
	{ "report", "itl", cmd_report_itl, NULL,
	    "which phones a bulk ITL reset would not save" },
	{ "plan", "cert", cmd_plan_cert_regen, NULL,
	    "plan cert regen ROLE[,ROLE]: who would lose trust (dry run)" },
	{ "alarm", "list", cmd_alarm_list, NULL,
	    "print the alarms the cluster raised" },
	{ "stats", NULL, cmd_stats, NULL, "print a running sbdd's counters" },
	{ "reload", NULL, cmd_reload, NULL,
	    "make a running sbdd rebuild what it serves" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s VERB [OBJECT] [options] [args]\n"
	    "       %s VERB OBJECT --help\n\n"
	    "verbs:\n", progname, progname);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		char w[32];

		snprintf(w, sizeof(w), "%s%s%s", verbs[i].verb,
		    verbs[i].object ? " " : "",
		    verbs[i].object ? verbs[i].object : "");
		fprintf(f, "  %-18s %s\n", w, verbs[i].summary);
	}
	fprintf(f, "\nSee sbdctl(1) for every option.\n");
}

int
main(int argc, char **argv)
{
	size_t i;
	const char *verb, *object;
	int known_verb = 0;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	verb = argv[1];
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 ||
	    strcmp(verb, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(verb, "--version") == 0) {
		printf("sbdctl %s\n", SBD_VERSION);
		return 0;
	}
	object = argc > 2 ? argv[2] : NULL;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		const struct verb *v = &verbs[i];

		if (strcmp(v->verb, verb) != 0)
			continue;
		known_verb = 1;
		if (v->object == NULL)
			return v->fn(argc - 1, argv + 1);
		if (object == NULL || strcmp(v->object, object) != 0)
			continue;
		/* The verb function sees "OBJECT args..." as its argv. */
		if (v->tlfn != NULL)
			return v->tlfn(argc - 2, argv + 2,
			    strcmp(object, "ctl") == 0);
		return v->fn(argc - 2, argv + 2);
	}
	if (known_verb)
		warnx_("%s: %s: unknown object (see %s --help)", verb,
		    object ? object : "(none)", progname);
	else
		warnx_("%s: unknown verb (see %s --help)", verb, progname);
	return EXIT_USAGE;
}
