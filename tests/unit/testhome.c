/*
 * testhome.c - the shared test home (testhome.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "testhome.h"
#include "util/fs.h"

/* Rewrite three settings of sertel.conf for speed (see tu_home_init). */
static int make_fast(const char *home)
{
    static const struct {
        const char *key, *line;
    } set[] = {
        {"argon2_memory_kib", "argon2_memory_kib = 19456"},
        {"argon2_passes", "argon2_passes = 2"},
        {"second_factor", "second_factor = off"},
    };
    char path[4096], *save = NULL, *line;
    unsigned char *text = NULL;
    size_t len = 0, i;
    FILE *fp;

    if (fs_path_join(path, sizeof(path), home, "sertel.conf", NULL) != SERTEL_OK ||
        fs_read_file(path, 1 << 20, &text, &len, NULL) != SERTEL_OK)
        return -1;
    fp = fopen(path, "w");
    if (fp == NULL) {
        free(text);
        return -1;
    }
    for (line = strtok_r((char *)text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
            if (strncmp(line, set[i].key, strlen(set[i].key)) == 0)
                break;
        fprintf(fp, "%s\n", i < sizeof(set) / sizeof(set[0]) ? set[i].line : line);
    }
    free(text);
    return fclose(fp) == 0 ? 0 : -1;
}

int tu_home_init(const char *home, int fast)
{
    ca_init_opts o = {0};
    sertel_err err = {0};

    o.home = home;
    o.org = "Kementerian Uji";
    o.key_type = KS_KEY_EC_P256;
    o.admin_email = "admin@uji.go.id";
    o.admin_name = "Admin Uji";
    o.admin_password = "a long enough password";
    if (ca_init(&o, &err) != SERTEL_OK) {
        print_error("ca_init: %s\n", err.msg);
        return -1;
    }
    if (fast && make_fast(home) != 0) {
        print_error("cannot rewrite %s/sertel.conf\n", home);
        return -1;
    }
    return 0;
}
