/*
 * conf.c - INI-style configuration parser (see conf.h).
 *
 * Deliberately small: bounded sizes, no includes, no variable expansion,
 * no multi-line values. Every rejection names the file and line.
 */
#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/num.h"

#define CONF_FILE_MAX (1024 * 1024)
#define CONF_LINE_MAX 4096
#define CONF_ENTRIES_MAX 1024
#define CONF_SECTIONS_MAX 256

struct conf_entry {
    int section;
    char *key;
    char *value;
};

struct conf {
    char **sections;
    int nsections;
    struct conf_entry *entries;
    int nentries;
};

void conf_free(conf *c)
{
    int i;

    if (c == NULL)
        return;
    for (i = 0; i < c->nsections; i++)
        free(c->sections[i]);
    for (i = 0; i < c->nentries; i++) {
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->sections);
    free(c->entries);
    free(c);
}

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

static int valid_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.' && *s != ' ')
            return 0;
    return 1;
}

static int find_section(const conf *c, const char *name)
{
    int i;

    for (i = 0; i < c->nsections; i++)
        if (strcmp(c->sections[i], name) == 0)
            return i;
    return -1;
}

static int add_section(conf *c, const char *name)
{
    char **ns;

    if (c->nsections >= CONF_SECTIONS_MAX)
        return -1;
    ns = realloc(c->sections, sizeof(*ns) * (size_t)(c->nsections + 1));
    if (ns == NULL)
        return -1;
    c->sections = ns;
    ns[c->nsections] = strdup(name);
    if (ns[c->nsections] == NULL)
        return -1;
    return c->nsections++;
}

int conf_parse(const char *text, const char *name, conf **out, sertel_err *err)
{
    conf *c = NULL;
    const char *p = text;
    char line[CONF_LINE_MAX + 1];
    int lineno = 0, cur, rc = SERTEL_OK;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL || (cur = add_section(c, "")) < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory parsing %s", name);
        goto out;
    }
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *s, *eq, *k, *v;
        struct conf_entry *ne;
        int i;

        lineno++;
        if (len > CONF_LINE_MAX) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: line longer than %d bytes", name,
                                lineno, CONF_LINE_MAX);
            goto out;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (nl ? 1 : 0);
        if (memchr(line, '\0', len) != NULL && strlen(line) != len) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: NUL byte in line", name, lineno);
            goto out;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e == NULL || *trim(e + 1) != '\0') {
                rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: section header must be [name]",
                                    name, lineno);
                goto out;
            }
            *e = '\0';
            s = trim(s + 1);
            if (!valid_name(s)) {
                rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                    "%s:%d: bad section name '%s' (letters, digits, _ - . "
                                    "and spaces)",
                                    name, lineno, s);
                goto out;
            }
            cur = find_section(c, s);
            if (cur >= 0) {
                rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                    "%s:%d: section [%s] appears twice: merge them", name, lineno,
                                    s);
                goto out;
            }
            if ((cur = add_section(c, s)) < 0) {
                rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: too many sections", name,
                                    lineno);
                goto out;
            }
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "%s:%d: expected 'key = value' or '[section]'", name, lineno);
            goto out;
        }
        *eq = '\0';
        k = trim(s);
        v = trim(eq + 1);
        if (!valid_name(k) || strchr(k, ' ') != NULL) {
            rc =
                sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: bad key name '%s'", name, lineno, k);
            goto out;
        }
        for (i = 0; i < c->nentries; i++) {
            if (c->entries[i].section == cur && strcmp(c->entries[i].key, k) == 0) {
                rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                    "%s:%d: key '%s' is set twice in [%s]: keep one", name, lineno,
                                    k, c->sections[cur]);
                goto out;
            }
        }
        if (c->nentries >= CONF_ENTRIES_MAX) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "%s:%d: more than %d settings", name,
                                lineno, CONF_ENTRIES_MAX);
            goto out;
        }
        ne = realloc(c->entries, sizeof(*ne) * (size_t)(c->nentries + 1));
        if (ne == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory parsing %s", name);
            goto out;
        }
        c->entries = ne;
        ne[c->nentries].section = cur;
        ne[c->nentries].key = strdup(k);
        ne[c->nentries].value = strdup(v);
        c->nentries++;
        if (ne[c->nentries - 1].key == NULL || ne[c->nentries - 1].value == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory parsing %s", name);
            goto out;
        }
    }
    *out = c;
    c = NULL;
out:
    conf_free(c);
    return rc;
}

int conf_load(const char *path, conf **out, sertel_err *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = fs_read_file(path, CONF_FILE_MAX, &buf, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    if (strlen((char *)buf) != len)
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "%s contains a NUL byte: it is not a text "
                            "configuration file",
                            path);
    else
        rc = conf_parse((char *)buf, path, out, err);
    free(buf);
    return rc;
}

const char *conf_get(const conf *c, const char *section, const char *key)
{
    int s = find_section(c, section), i;

    if (s < 0)
        return NULL;
    for (i = 0; i < c->nentries; i++)
        if (c->entries[i].section == s && strcmp(c->entries[i].key, key) == 0)
            return c->entries[i].value;
    return NULL;
}

const char *conf_get_default(const conf *c, const char *section, const char *key, const char *def)
{
    const char *v = conf_get(c, section, key);
    return v ? v : def;
}

int conf_get_int(const conf *c, const char *section, const char *key, int64_t def, int64_t min,
                 int64_t max, int64_t *out, sertel_err *err)
{
    const char *v = conf_get(c, section, key);

    if (v == NULL) {
        *out = def;
        return SERTEL_OK;
    }
    if (num_parse_i64z(v, min, max, out) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[%s] %s = '%s' must be a whole number from %lld to %lld", section,
                              key, v, (long long)min, (long long)max);
    return SERTEL_OK;
}

int conf_get_bool(const conf *c, const char *section, const char *key, int def, int *out,
                  sertel_err *err)
{
    const char *v = conf_get(c, section, key);

    if (v == NULL) {
        *out = def;
        return SERTEL_OK;
    }
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
        *out = 0;
    else
        return sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] %s = '%s' must be true or false",
                              section, key, v);
    return SERTEL_OK;
}

int conf_section_count(const conf *c)
{
    return c->nsections;
}

const char *conf_section_name(const conf *c, int i)
{
    if (i < 0 || i >= c->nsections)
        return NULL;
    return c->sections[i];
}
