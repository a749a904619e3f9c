/*
 * TFTP packets: RFC 1350 (protocol), RFC 2347 (option extension), RFC 2348
 * (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize).
 *
 * Pure code, no sockets: the daemon (src/sbdd/tftp.c), the proxy client
 * and the load generator parse and build packets only through these
 * functions.  Every parser reads through a bounded cursor and never writes
 * an out-parameter on failure.
 */
#ifndef SBD_TFTP_H
#define SBD_TFTP_H

#include <stddef.h>
#include <stdint.h>

#include "sbd/err.h"

enum sbd_tftp_op {
	SBD_TFTP_RRQ = 1,
	SBD_TFTP_WRQ = 2,
	SBD_TFTP_DATA = 3,
	SBD_TFTP_ACK = 4,
	SBD_TFTP_ERROR = 5,
	SBD_TFTP_OACK = 6,	/* RFC 2347 */
};

/* ERROR codes, RFC 1350 section 5 and RFC 2347 (8). */
enum sbd_tftp_ecode {
	SBD_TFTP_EUNDEF = 0,
	SBD_TFTP_ENOTFOUND = 1,
	SBD_TFTP_EACCESS = 2,
	SBD_TFTP_ENOSPACE = 3,
	SBD_TFTP_EBADOP = 4,
	SBD_TFTP_EBADID = 5,
	SBD_TFTP_EEXISTS = 6,
	SBD_TFTP_ENOUSER = 7,
	SBD_TFTP_EOPTNEG = 8,
};

enum sbd_tftp_mode {
	SBD_TFTP_OCTET = 0,
	SBD_TFTP_NETASCII = 1,
};

#define SBD_TFTP_SEGSIZE	512	/* RFC 1350 block size */
#define SBD_TFTP_BLKSIZE_MIN	8	/* RFC 2348 */
#define SBD_TFTP_BLKSIZE_MAX	65464	/* RFC 2348 */
#define SBD_TFTP_TIMEOUT_MIN	1	/* RFC 2349, seconds */
#define SBD_TFTP_TIMEOUT_MAX	255
#define SBD_TFTP_WINDOW_MIN	1	/* RFC 7440 */
#define SBD_TFTP_WINDOW_MAX	65535
#define SBD_TFTP_NAME_MAX	255	/* longest file name we accept */
#define SBD_TFTP_HDR		4	/* opcode + block number */
#define SBD_TFTP_PKT_MAX	(SBD_TFTP_BLKSIZE_MAX + SBD_TFTP_HDR)
#define SBD_TFTP_ERRMSG_MAX	128	/* longest ERROR text we send */
#define SBD_TFTP_HOPS_MAX	3	/* proxy chain length (loop guard) */

/*
 * Options, as bits of sbd_tftp_req.opts.  SBD_TFTP_O_HOPS is our own
 * "x-sbd-hops" option: a proxying sbdd adds it to its upstream requests
 * so a chain of proxies cannot loop (RFC 2347 lets servers ignore
 * options they do not know).
 */
enum sbd_tftp_optbit {
	SBD_TFTP_O_BLKSIZE = 1 << 0,
	SBD_TFTP_O_TSIZE = 1 << 1,
	SBD_TFTP_O_TIMEOUT = 1 << 2,
	SBD_TFTP_O_WINDOWSIZE = 1 << 3,
	SBD_TFTP_O_HOPS = 1 << 4,
};
#define SBD_TFTP_NOPTS	5

/* A read or write request as received. */
struct sbd_tftp_req {
	int op;			/* SBD_TFTP_RRQ or SBD_TFTP_WRQ */
	char file[SBD_TFTP_NAME_MAX + 1]; /* as sent, NUL-terminated */
	enum sbd_tftp_mode mode;
	unsigned opts;		/* options present with a valid value */
	unsigned bad;		/* options present with an invalid value */
	uint8_t order[SBD_TFTP_NOPTS]; /* bit indexes in the client's order */
	unsigned norder;
	uint32_t blksize;	/* as requested; may exceed BLKSIZE_MAX */
	uint32_t timeout;
	uint32_t windowsize;
	uint64_t tsize;
	uint32_t hops;
};

/*
 * Parse an RRQ or WRQ.  Mode and option names are case-insensitive (RFC
 * 1350, RFC 2347).  Refused with an error (and d naming the offset):
 *   SBD_ERR_TRUNCATED  short packet, unterminated file name, mode, option
 *                      name or value, option name without a value
 *   SBD_ERR_INVAL      opcode other than RRQ/WRQ
 *   SBD_ERR_VALUE      empty or over-long file name; unknown mode ("mail"
 *                      included)
 *   SBD_ERR_TAG        an option given twice (names compared without case)
 * An option with a value out of its RFC range, or not a decimal number,
 * is not an error: its bit goes to req->bad and the server leaves it out
 * of the OACK.  A blksize above BLKSIZE_MAX is valid (the server clamps
 * it, RFC 2348).  Unknown options are ignored.
 */
int sbd_tftp_parse_req(const uint8_t *p, size_t len, struct sbd_tftp_req *req,
    struct sbd_diag *d) SBD_WUR;

/* What the server decided to use for a transfer. */
struct sbd_tftp_neg {
	unsigned opts;		/* options to acknowledge in the OACK */
	uint8_t order[SBD_TFTP_NOPTS];
	unsigned norder;
	uint32_t blksize;	/* 512 unless negotiated */
	uint32_t timeout;	/* seconds; 0 = server default */
	uint32_t windowsize;	/* 1 unless negotiated */
	uint64_t tsize;		/* the file size, when acknowledged */
	uint32_t hops;		/* build_rrq only: x-sbd-hops value */
};

/*
 * Decide the options of an RRQ: blksize clamped to blksize_cap (the path
 * MTU minus headers; BLKSIZE_MAX if 0), windowsize clamped to window_cap
 * (1..WINDOW_MAX), timeout taken as is, tsize answered with file_size
 * (when file_size is known, i.e. not UINT64_MAX).  HOPS is never
 * acknowledged.  n->opts == 0 means no OACK: answer with DATA 1.
 */
void sbd_tftp_negotiate(const struct sbd_tftp_req *req, uint32_t blksize_cap,
    uint32_t window_cap, uint64_t file_size, struct sbd_tftp_neg *n);

/*
 * Builders write into buf (cap bytes) and return the packet length, or a
 * negative enum sbd_err if cap is too small.
 */
/* OACK with n's acknowledged options in the client's order, names in
 * lower case, values in decimal. */
int sbd_tftp_build_oack(uint8_t *buf, size_t cap, const struct sbd_tftp_neg *n);
/* ERROR code msg; msg is cut to SBD_TFTP_ERRMSG_MAX bytes. */
int sbd_tftp_build_error(uint8_t *buf, size_t cap, int code, const char *msg);
/* The 4-byte DATA header for block (the caller appends the data). */
void sbd_tftp_put_data_hdr(uint8_t *buf, uint16_t block);
int sbd_tftp_build_ack(uint8_t *buf, size_t cap, uint16_t block);
/*
 * RRQ for file in octet mode with the options in want->opts (blksize,
 * tsize 0, timeout, windowsize, hops), in that order.  Used by the proxy
 * client and the load generator.
 */
int sbd_tftp_build_rrq(uint8_t *buf, size_t cap, const char *file,
    const struct sbd_tftp_neg *want);

/* A packet a client sends during a transfer, or a server's reply. */
struct sbd_tftp_pkt {
	int op;
	uint16_t block;		/* DATA, ACK */
	const uint8_t *data;	/* DATA payload (points into the packet) */
	size_t datalen;
	uint16_t code;		/* ERROR */
	char msg[SBD_TFTP_ERRMSG_MAX + 1]; /* ERROR text, sanitised */
	struct sbd_tftp_neg oack; /* OACK: options the server acknowledged */
};

/*
 * Parse DATA, ACK, ERROR or OACK.  A DATA payload over SBD_TFTP_BLKSIZE_MAX,
 * an ACK or DATA shorter than 4 bytes, an OACK with an unknown, duplicated
 * or malformed option are refused.  ERROR text is cut at
 * SBD_TFTP_ERRMSG_MAX and non-printable bytes become '?'.
 */
int sbd_tftp_parse_pkt(const uint8_t *p, size_t len, struct sbd_tftp_pkt *pkt,
    struct sbd_diag *d) SBD_WUR;

/*
 * Netascii (RFC 764, as RFC 1350 uses it): LF becomes CR LF, a bare CR
 * becomes CR NUL.  *out is malloc'ed.
 */
int sbd_tftp_netascii(const uint8_t *p, size_t len, uint8_t **out,
    size_t *outlen) SBD_WUR;

/* "RRQ", "OACK", ... for logs; "?" for others. */
const char *sbd_tftp_opname(int op);

#endif
