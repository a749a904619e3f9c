/* A minimal streaming JSON writer.  See include/sbd/json.h. */
#include <string.h>

#include "sbd/json.h"

void
sbd_json_init(struct sbd_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void
indent(struct sbd_json *j)
{
	int i;

	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void
put_string(struct sbd_json *j, const char *s, size_t n)
{
	size_t i;

	fputc('"', j->f);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(j->f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", j->f);
		else if (ch == '\t')
			fputs("\\t", j->f);
		else if (ch < 0x20 || ch >= 0x7f)
			/* Bytes, not code points: safe for any input. */
			fprintf(j->f, "\\u%04x", ch);
		else
			fputc(ch, j->f);
	}
	fputc('"', j->f);
}

/* Comma, newline, indentation and "key": before a value. */
static void
begin_value(struct sbd_json *j, const char *key)
{
	if (j->depth > 0) {
		if (j->count[j->depth - 1]++ > 0)
			fputc(',', j->f);
		fputc('\n', j->f);
		indent(j);
	}
	if (key != NULL && j->depth > 0) {
		put_string(j, key, strlen(key));
		fputs(": ", j->f);
	}
}

static void
open_(struct sbd_json *j, const char *key, char ch)
{
	begin_value(j, key);
	fputc(ch, j->f);
	if (j->depth < SBD_JSON_DEPTH) {
		j->count[j->depth] = 0;
		j->close[j->depth] = ch == '{' ? '}' : ']';
		j->depth++;
	}
}

void
sbd_json_obj(struct sbd_json *j, const char *key)
{
	open_(j, key, '{');
}

void
sbd_json_arr(struct sbd_json *j, const char *key)
{
	open_(j, key, '[');
}

void
sbd_json_end(struct sbd_json *j)
{
	int had;

	if (j->depth == 0)
		return;
	had = j->count[j->depth - 1] > 0;
	j->depth--;
	if (had) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(j->close[j->depth], j->f);
}

void
sbd_json_str(struct sbd_json *j, const char *key, const char *v)
{
	if (v == NULL) {
		sbd_json_null(j, key);
		return;
	}
	sbd_json_strn(j, key, v, strlen(v));
}

void
sbd_json_strn(struct sbd_json *j, const char *key, const char *v, size_t n)
{
	begin_value(j, key);
	put_string(j, v, n);
}

void
sbd_json_int(struct sbd_json *j, const char *key, long long v)
{
	begin_value(j, key);
	fprintf(j->f, "%lld", v);
}

void
sbd_json_bool(struct sbd_json *j, const char *key, int v)
{
	begin_value(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
sbd_json_null(struct sbd_json *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->f);
}

void
sbd_json_hex(struct sbd_json *j, const char *key, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	begin_value(j, key);
	fputc('"', j->f);
	for (i = 0; i < n; i++) {
		fputc(digits[p[i] >> 4], j->f);
		fputc(digits[p[i] & 0xf], j->f);
	}
	fputc('"', j->f);
}

void
sbd_json_done(struct sbd_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
