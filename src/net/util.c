/* Helpers the files of src/net share (netint.h). */
#include <stdarg.h>
#include <stdio.h>

#include "net/netint.h"

int
sbdn_fail(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (errbuf != NULL) {
		va_start(ap, fmt);
		vsnprintf(errbuf, SBDN_ERRBUF, fmt, ap);
		va_end(ap);
	}
	return SBD_ERR_IO;
}
