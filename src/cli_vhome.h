/*
 * cli_vhome.h - what `sertel verify` takes from a CA home besides its
 * root: the database's record of every certificate the home issued, an
 * authoritative revocation source for those certificates (vfy_opts.home).
 */
#ifndef SERTEL_CLI_VHOME_H
#define SERTEL_CLI_VHOME_H

#include <stddef.h>

#include "pdf/verify.h"
#include "util/err.h"

/*
 * The records of the home at home, opened read-only (no keys), sorted for
 * vfy_opts.home: revoked certificates first kept when there are more than
 * VFY_MAX_HOME_CERTS. *out (free()) is NULL and *n 0 when home is not a CA
 * home (no sertel.conf; SERTEL_OK: nothing to add). Errors opening or reading an
 * existing database are returned with the store's message.
 * Thread safety: opens its own connection.
 */
int cli_vhome_load(const char *home, vfy_home_cert **out, size_t *n, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

#endif
