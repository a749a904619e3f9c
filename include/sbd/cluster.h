/*
 * What a cluster serves, built from the cluster store: the node's ITL, the
 * cluster's tokenless CTL, a device's generated configuration; and where a
 * node keeps its files.
 *
 * Data directory layout (DATA is the directory holding SBD_STORE_FILE):
 *
 *   DATA/store.db                the cluster store
 *   DATA/nodes/NODE/pki/         NODE's certificates and keys (0700; keys
 *                                0600); ITLRecovery.p12 on the publisher
 *   DATA/nodes/NODE/tftp/        NODE's TFTP directory: administrators'
 *                                files, and the ITL/CTL sbdd serves
 *   DATA/nodes/NODE/run/         sbdd's control socket and pid file
 */
#ifndef SBD_CLUSTER_H
#define SBD_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sbd/err.h"
#include "sbd/store.h"

/*
 * out = DATA/nodes/NODE/SUB (SUB may be NULL or "": the node directory).
 * SBD_ERR_INVAL if node is empty, contains '/' or starts with '.', or the
 * result does not fit in cap.
 */
int sbd_node_dir(const char *datadir, const char *node, const char *sub,
    char *out, size_t cap) SBD_WUR;

/*
 * Finish the directory moves of node renames (sbd_store_node_rename):
 * for each record not yet moved, oldest first, DATA/nodes/OLD is renamed
 * DATA/nodes/NEW, and the record marked moved.  sbdctl runs it after a
 * rename's commit, and every sbdd at start and on each store change, so
 * that a command killed in between is finished by the next one.  A record
 * whose OLD directory is gone was moved already.  A record whose NEW
 * directory exists and holds files is left pending (the move would lose
 * one of them) and the others are settled: SBD_ERR_EXISTS then.
 * SBD_ERR_IO when a move fails.
 */
int sbd_node_renames_settle(struct sbd_store *st, const char *datadir)
    SBD_WUR;

/*
 * Load the active certificate of node for role (SBD_CR_*) and, if key is
 * not NULL, its private key; paths in the store are relative to datadir.
 */
int sbd_cluster_load(struct sbd_store *st, const char *datadir,
    const char *node, const char *role, X509 **cert, EVP_PKEY **key) SBD_WUR;

struct sbd_itl_opts {
	int rollback;		/* "Prepare Cluster for Rollback to pre 8.0":
				 * role-only records (FORMATS.md 4.7) */
	const char *signer_role; /* NULL = SBD_CR_CALLMANAGER of the node;
				  * SBD_CR_ITLRECOVERY = the publisher's
				  * ITLRecovery (utils itl reset) */
	int hash;		/* SBD_HASH_SHA1 if 0 */
	uint32_t timestamp;	/* 0 = now */
};

/*
 * The ITL that node serves (SPEC.md "The ITL"), FILENAME ITLFile.tlv:
 *   1. SAST: the signer
 *   2. TFTP: node's CallManager certificate
 *   3. CAPF: the CAPF certificate of every node with the CAPF service
 *   4. TVS: node's own TVS certificate (if it runs TVS)
 *   5. SAST: the publisher's ITLRecovery certificate
 *   6. TVS: every other node's TVS certificate, publisher first
 * (the order of CUCM's ITL in seed 001).  With o->rollback every record
 * is role-only.  Signed with the signer's key.
 */
int sbd_cluster_build_itl(struct sbd_store *st, const char *datadir,
    const char *node, const struct sbd_itl_opts *o, uint8_t **out,
    size_t *len) SBD_WUR;

/*
 * The tokenless CTL of CUCM 10 mixed mode, FILENAME CTLFile.tlv, signed by
 * the publisher's CallManager key: SAST (publisher CallManager), CCM+TFTP
 * (each TFTP node's CallManager), CAPF (each CAPF node), SAST (the
 * publisher's ITLRecovery).  SBD_ERR_NOTFOUND when the cluster is not in
 * mixed mode.
 */
int sbd_cluster_build_ctl(struct sbd_store *st, const char *datadir,
    uint8_t **out, size_t *len) SBD_WUR;

/*
 * A generated SEP<MAC>.cnf.xml for dev: deviceSecurityMode (1 non-secure,
 * 2 authenticated, 3 encrypted), the CallManager group and TVS members
 * from dev->tvs (addresses and ports from the nodes), the CAPF list,
 * ipAddressMode, loadInformation, capfAuthMode, and certHash/encrConfig
 * where they apply.  Well-formed XML; node names are escaped.
 */
int sbd_cluster_device_config(struct sbd_store *st,
    const struct sbd_device *dev, uint8_t **out, size_t *len) SBD_WUR;

#endif
