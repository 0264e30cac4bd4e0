/* cmd_check.c — `fedc check FILE`: parses and type-checks a computation file and prints each
 * definition's type; also the argument parsing and file loading (text or binary form) that
 * `fedc run` and `fedc fmt` share. It must not run anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/fedc.h"

int fedc_cmd_file_args(const char *cmd, const char *help, int argc, char **argv,
                       const char **path) {
    *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return FEDC_EXIT_OK;
        }
        if (argv[i][0] == '-' || *path) {
            fprintf(stderr, "fedc %s: unexpected argument '%s' (see 'fedc %s --help')\n", cmd,
                    argv[i], cmd);
            return FEDC_EXIT_USAGE;
        }
        *path = argv[i];
    }
    if (!*path) {
        fprintf(stderr, "fedc %s: missing FILE (see 'fedc %s --help')\n", cmd, cmd);
        return FEDC_EXIT_USAGE;
    }
    return -1;
}

char *fedc_cmd_read_file(const char *cmd, const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fedc %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0, got;
    char *data = malloc(cap);
    while (data && (got = fread(data + n, 1, cap - 1 - n, f)) > 0) {
        n += got;
        if (n == cap - 1) {
            char *grown = realloc(data, cap *= 2);
            if (!grown) free(data);
            data = grown;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!data || bad) {
        fprintf(stderr, "fedc %s: cannot read %s\n", cmd, path);
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

int fedc_cmd_load_module(const char *cmd, const char *path, bool check, fedc_ctx *ctx,
                         fedc_comp **out) {
    *out = NULL;
    size_t n;
    char *data = fedc_cmd_read_file(cmd, path, &n);
    if (!data) return FEDC_EXIT_FAILURE;
    fedc_status st;
    /* the binary form is told by its magic bytes, whatever the file is called */
    if (fedc_comp_is_binary(data, n)) {
        st = fedc_comp_from_binary(ctx, data, n, path, out);
    } else if (strlen(data) != n) {
        fprintf(stderr, "fedc %s: %s: NUL byte at offset %zu\n", cmd, path, strlen(data));
        free(data);
        return FEDC_EXIT_FAILURE;
    } else {
        st = fedc_comp_parse(ctx, path, data, out);
    }
    free(data);
    if (st >= 0 && check && (st = fedc_comp_check(ctx, *out)) < 0)
        fprintf(stderr, "fedc %s: %s:%s%s\n", cmd, path,
                fedc_ctx_message(ctx)[0] >= '0' && fedc_ctx_message(ctx)[0] <= '9' ? "" : " ",
                fedc_ctx_message(ctx));
    else if (st < 0)
        fprintf(stderr, "fedc %s: %s\n", cmd, fedc_ctx_message(ctx));
    if (st < 0) {
        fedc_comp_destroy(*out);
        *out = NULL;
        return FEDC_EXIT_FAILURE;
    }
    return FEDC_EXIT_OK;
}

static const char *const k_help =
    "usage: fedc check FILE\n"
    "\n"
    "Parses and type-checks a module of federated computations and prints each definition with\n"
    "its type, one per line (`name: type`). FILE is in the text syntax or the binary form\n"
    "(`fedc fmt --binary`), told apart by its first bytes. A type error names the place\n"
    "(FILE:LINE:COL) and both types.\n"
    "\n"
    "example:\n"
    "  fedc check examples/analytics_mean.fc\n";

int fedc_cmd_check(int argc, char **argv) {
    const char *path = NULL;
    int usage = fedc_cmd_file_args("check", k_help, argc, argv, &path);
    if (usage >= 0) return usage;
    fedc_ctx *ctx;
    if (fedc_ctx_create(&ctx) < 0) return FEDC_EXIT_FAILURE;
    fedc_comp *comp;
    int rc = fedc_cmd_load_module("check", path, true, ctx, &comp);
    for (size_t i = 0; rc == FEDC_EXIT_OK && i < fedc_comp_ndefs(comp); i++) {
        const fedc_def *d = fedc_comp_def(comp, i);
        char small[256];
        size_t len = fedc_type_format(d->node->type, small, sizeof small);
        if (len < sizeof small) {
            printf("%s: %s\n", d->name, small);
            continue;
        }
        char *big = malloc(len + 1);
        if (!big) {
            fprintf(stderr, "fedc check: out of memory\n");
            rc = FEDC_EXIT_FAILURE;
            break;
        }
        fedc_type_format(d->node->type, big, len + 1);
        printf("%s: %s\n", d->name, big);
        free(big);
    }
    fedc_comp_destroy(comp);
    fedc_ctx_destroy(ctx);
    return rc;
}
