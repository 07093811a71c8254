/*
 * conf.h - sertel's configuration file (<home>/sertel.conf).
 *
 * An INI dialect: "[section]" or "[section name]" headers, "key = value"
 * lines, "#" or ";" comments on their own line, values trimmed of
 * surrounding blanks. Keys before the first section belong to section "".
 * Limits: 1 MiB file, 4096-byte lines, 1024 entries; duplicate keys in one
 * section are an error (a silent override is how configuration mistakes
 * hide). Every error names the file and line.
 *
 * Ownership: conf_load returns a conf the caller frees with conf_free;
 * strings returned by conf_get are borrowed from it.
 */
#ifndef SERTEL_CONF_H
#define SERTEL_CONF_H

#include <stdint.h>

#include "util/err.h"

typedef struct conf conf;

int conf_load(const char *path, conf **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
int conf_parse(const char *text, const char *name, conf **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);
void conf_free(conf *c);

/* The value of key in section, or NULL when absent. */
const char *conf_get(const conf *c, const char *section, const char *key) SERTEL_NONNULL(1, 2, 3);

/* Value or def when absent. */
const char *conf_get_default(const conf *c, const char *section, const char *key, const char *def)
    SERTEL_NONNULL(1, 2, 3);

/*
 * Integer value in [min, max]; def when absent. A value that is not a whole
 * number or is out of range is SERTEL_ERR_CONFIG naming section, key and
 * the allowed range.
 */
int conf_get_int(const conf *c, const char *section, const char *key, int64_t def, int64_t min,
                 int64_t max, int64_t *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 7);

/* Boolean: true/false/yes/no/on/off/1/0; def when absent. */
int conf_get_bool(const conf *c, const char *section, const char *key, int def, int *out,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/* Number of sections, and the name of section i (0-based, file order). */
int conf_section_count(const conf *c) SERTEL_NONNULL(1);
const char *conf_section_name(const conf *c, int i) SERTEL_NONNULL(1);

#endif
