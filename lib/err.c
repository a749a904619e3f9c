/* Error strings and parser diagnostics. */
#include <stdarg.h>
#include <stdio.h>

#include "sbd/err.h"

const char *
sbd_strerror(int err)
{
	switch (err) {
	case SBD_OK:
		return "success";
	case SBD_ERR_NOMEM:
		return "out of memory";
	case SBD_ERR_TRUNCATED:
		return "truncated input";
	case SBD_ERR_OVERRUN:
		return "length overruns its container";
	case SBD_ERR_TAG:
		return "unexpected tag";
	case SBD_ERR_VERSION:
		return "unsupported version";
	case SBD_ERR_VALUE:
		return "invalid value";
	case SBD_ERR_MISSING:
		return "required element missing";
	case SBD_ERR_TRAILING:
		return "trailing data";
	case SBD_ERR_TOOBIG:
		return "size limit exceeded";
	case SBD_ERR_SIG:
		return "signature verification failed";
	case SBD_ERR_NOSIGNER:
		return "signer certificate not found";
	case SBD_ERR_HASH:
		return "content hash mismatch";
	case SBD_ERR_KEY:
		return "unusable key or certificate";
	case SBD_ERR_CRYPTO:
		return "cryptographic operation failed";
	case SBD_ERR_IO:
		return "I/O error";
	case SBD_ERR_INVAL:
		return "invalid argument";
	case SBD_ERR_PASSWORD:
		return "wrong password";
	case SBD_ERR_XML:
		return "invalid XML";
	case SBD_ERR_EXISTS:
		return "already exists";
	case SBD_ERR_NOTFOUND:
		return "not found";
	case SBD_ERR_STORE:
		return "cluster store error";
	case SBD_ERR_BUSY:
		return "cluster store busy";
	}
	return "unknown error";
}

int
sbd_diag_set(struct sbd_diag *d, size_t off, int err, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return err;
	d->off = off;
	d->err = err;
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	return err;
}
