/*
 * testhome.h - a fresh sertel home for the unit tests of the modules that
 * sit on the CA (ca, pki, ra): one way to make it, with the same test
 * organisation and administrator everywhere. Linked only into those tests.
 */
#ifndef SERTEL_TESTHOME_H
#define SERTEL_TESTHOME_H

/*
 * Create a home at home (the directory must not exist yet) with a P-256
 * CA for "Kementerian Uji" and the administrator admin@uji.go.id. With
 * fast set, the passphrase KDF is lowered to the allowed minimum (19 MiB,
 * 2 passes) and the second factor is off, to keep lifecycle tests quick.
 * Returns 0, or -1 after printing why.
 */
int tu_home_init(const char *home, int fast);

#endif
