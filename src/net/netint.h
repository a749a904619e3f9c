/*
 * What the files of src/net share among themselves and with no one else
 * (the public interface is net.h).
 */
#ifndef SBDN_NETINT_H
#define SBDN_NETINT_H

#include "net/net.h"

/*
 * Say why a call failed in the caller's errbuf (SBDN_ERRBUF bytes; NULL:
 * nowhere) and return SBD_ERR_IO, which most failures here are; the
 * others set their own error after it.
 */
int sbdn_fail(char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
