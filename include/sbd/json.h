/*
 * A minimal streaming JSON writer for --json output.  Keys and values are
 * escaped; nesting is tracked so commas come out right.
 */
#ifndef SBD_JSON_H
#define SBD_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SBD_JSON_DEPTH 16

struct sbd_json {
	FILE *f;
	int depth;
	int count[SBD_JSON_DEPTH];
	char close[SBD_JSON_DEPTH];	/* '}' or ']' */
};

void sbd_json_init(struct sbd_json *j, FILE *f);
/* key is NULL inside arrays and at top level. */
void sbd_json_obj(struct sbd_json *j, const char *key);
void sbd_json_arr(struct sbd_json *j, const char *key);
void sbd_json_end(struct sbd_json *j);	/* closes the innermost */
void sbd_json_str(struct sbd_json *j, const char *key, const char *v);
/* Bytes as a JSON string, invalid UTF-8/controls escaped as \u00XX. */
void sbd_json_strn(struct sbd_json *j, const char *key, const char *v,
    size_t n);
void sbd_json_int(struct sbd_json *j, const char *key, long long v);
void sbd_json_bool(struct sbd_json *j, const char *key, int v);
void sbd_json_null(struct sbd_json *j, const char *key);
/* Lowercase hex string. */
void sbd_json_hex(struct sbd_json *j, const char *key, const uint8_t *p,
    size_t n);
/* Finish the document (newline). */
void sbd_json_done(struct sbd_json *j);

#endif
