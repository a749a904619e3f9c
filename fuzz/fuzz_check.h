/*
 * Checks shared by the fuzz targets of the framed protocols (fuzz_tvs.c,
 * fuzz_capf.c): a parse must point only inside its input, and a frame
 * built again must parse to the same values.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Are the n bytes at p (NULL: absent) inside data? */
static inline int
inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return p == NULL || (q >= data && n <= size &&
	    (size_t)(q - data) <= size - n);
}

/* Equal bytes, or both absent. */
static inline int
same_bytes(const void *a, size_t an, const void *b, size_t bn)
{
	if (a == NULL || b == NULL)
		return a == b;
	return an == bn && memcmp(a, b, an) == 0;
}

/* Equal strings, or both absent. */
static inline int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

#endif
