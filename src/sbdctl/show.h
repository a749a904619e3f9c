/* sbdctl: printing headers and records the way CUCM's show itl does. */
#ifndef SBDCTL_SHOW_H
#define SBDCTL_SHOW_H

#include <stdio.h>

#include "sbd/json.h"
#include "sbd/sighdr.h"
#include "sbd/trustlist.h"

/* "BYTEPOS TAG LENGTH VALUE" rows of the header (not tags 1 and 2). */
void show_header_rows(FILE *f, const struct sbd_sighdr *h);
/* "ITL Record #:N" block rows of one record. */
void show_record_rows(FILE *f, const struct sbd_tl_record *r);
/* The header as a JSON object under key. */
void json_header(struct sbd_json *j, const char *key,
    const struct sbd_sighdr *h);
/* One record as a JSON object. */
void json_record(struct sbd_json *j, const struct sbd_tl_record *r);
/* MD5 and SHA1 of a buffer as lowercase hex. */
void file_digests(const uint8_t *p, size_t n, char md5[33], char sha1[41]);
/* "Wed Feb 26 10:24:27 PST 2014" for a file's mtime; "" if unknown. */
void file_mtime(const char *path, char *out, size_t outsz);

#endif
