/*
 * fuzz_conf.c - libFuzzer target for the configuration parser
 * (lib/conf/conf.c: conf_parse, then conf_get, conf_get_int,
 * conf_get_bool and the section list), the INI dialect of sertel.conf
 * (conf.h).
 *
 * An input holding a NUL byte is refused as conf_load refuses the file;
 * anything else is parsed. Parsing must never crash, leak or hang, and a
 * refusal must say why. On success, the target reads the text again in
 * the simplest way (lines, "[section]", "key = value", blanks and comments
 * skipped) and checks against it what the parser kept: every section is
 * listed once, in file order; every key gives back the value written,
 * trimmed; the values parse as numbers and booleans or are refused with a
 * message.
 *
 * Build:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib fuzz/fuzz_conf.c \
 *     lib/conf/[a-z]*.c lib/util/[a-z]*.c $(pkg-config --cflags --libs libsodium) -lcrypto \
 *     -o /tmp/fuzz_conf
 *   /tmp/fuzz_conf -max_len=8192 -dict=fuzz/conf.dict fuzz/corpus/conf
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The blanks conf.c trims: spaces and tabs before, spaces, tabs and CR after. */
static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

/* Check what c holds against a plain reading of text (which is modified). */
static void check(const conf *c, char *text)
{
    char *line = text, *next, section[4200] = "";
    int nsec = 1; /* section "" comes first */
    sertel_err err = {0};
    int64_t iv;
    int bv, rc;

    if (conf_section_count(c) < 1 || strcmp(conf_section_name(c, 0), "") != 0)
        abort();
    for (; line != NULL; line = next) {
        char *s, *eq;
        const char *got;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e == NULL)
                abort(); /* the parser accepted a header without ']' */
            *e = '\0';
            snprintf(section, sizeof(section), "%s", trim(s + 1));
            if (nsec >= conf_section_count(c) || strcmp(conf_section_name(c, nsec), section) != 0)
                abort(); /* sections are listed in file order */
            nsec++;
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL)
            abort(); /* the parser accepted a line that is neither */
        *eq = '\0';
        got = conf_get(c, section, trim(s));
        if (got == NULL || strcmp(got, trim(eq + 1)) != 0)
            abort(); /* the value given back is the value written */
        rc = conf_get_int(c, section, trim(s), 0, INT64_MIN, INT64_MAX, &iv, &err);
        if (rc != SERTEL_OK && err.msg[0] == '\0')
            abort();
        err.msg[0] = '\0';
        rc = conf_get_bool(c, section, trim(s), 0, &bv, &err);
        if (rc != SERTEL_OK && err.msg[0] == '\0')
            abort();
        if (rc == SERTEL_OK && bv != 0 && bv != 1)
            abort();
        err.msg[0] = '\0';
    }
    if (nsec != conf_section_count(c))
        abort(); /* no section but those in the text */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    conf *c = NULL;
    sertel_err err = {0};
    int rc;

    if (size > 65536 || memchr(data, '\0', size) != NULL)
        return 0;
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rc = conf_parse(text, "fuzz.conf", &c, &err);
    if (rc != SERTEL_OK) {
        if (c != NULL || strstr(err.msg, "fuzz.conf") == NULL)
            abort(); /* a refusal keeps nothing and names the file */
    } else {
        check(c, text);
    }
    conf_free(c);
    free(text);
    return 0;
}
