/* train_flags.c — options of `fedc train` and `fedc eval` from flags and config files (see
 * train_common.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "train_common.h"

bool train_flag_is_switch(const char *name) {
    return !strcmp(name, "uniform-weighting") || !strcmp(name, "print-computation") ||
           !strcmp(name, "resume");
}

/* The command's own spelling of a known option name, or NULL. */
static const char *known(const train_flags *f, const char *name) {
    for (size_t i = 0; f->known[i]; i++)
        if (!strcmp(f->known[i], name)) return f->known[i];
    return NULL;
}

const char *train_flag(const train_flags *f, const char *name) {
    for (int i = f->n - 1; i >= 0; i--)
        if (!strcmp(f->names[i], name)) return f->values[i];
    return NULL;
}

int train_usage(const train_flags *f, const char *fmt, const char *what) {
    fprintf(stderr, "fedc %s: ", f->cmd);
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see 'fedc %s --help')\n", f->cmd);
    return FEDC_EXIT_USAGE;
}

static int set(train_flags *f, const char *name, const char *value) {
    if (!known(f, name)) return train_usage(f, "unknown option '%s'", name);
    if (f->n == (int)(sizeof f->names / sizeof f->names[0]))
        return train_usage(f, "%s", "too many options");
    char *v = strdup(value);
    if (!v) return train_usage(f, "%s", "out of memory");
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name)) {
            free(f->values[i]);
            f->values[i] = v;
            return -1;
        }
    f->names[f->n] = name;
    f->values[f->n++] = v;
    return -1;
}

void train_flags_free(train_flags *f) {
    for (int i = 0; i < f->n; i++)
        free(f->values[i]);
}

/* NAME = VALUE lines; options already set on the command line are kept. */
static int read_config(train_flags *f, const char *path) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "fedc %s: %s: %s\n", f->cmd, path, strerror(errno));
        return FEDC_EXIT_USAGE;
    }
    char line[1024];
    int lineno = 0, rc = -1;
    while (rc < 0 && fgets(line, sizeof line, fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
            s[--len] = 0;
        if (!len) continue;
        char *eq = strchr(s, '=');
        char *name_end = eq ? eq : s + len;
        while (name_end > s && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        *name_end = 0;
        const char *value = eq ? eq + 1 : "1";
        while (*value == ' ' || *value == '\t')
            value++;
        const char *name = known(f, s);
        if (!name || !strcmp(name, "config")) {
            fprintf(stderr, "fedc %s: %s:%d: unknown option '%s'\n", f->cmd, path, lineno, s);
            rc = FEDC_EXIT_USAGE;
        } else if (!eq && !train_flag_is_switch(name)) {
            fprintf(stderr, "fedc %s: %s:%d: '%s' needs '= VALUE'\n", f->cmd, path, lineno, s);
            rc = FEDC_EXIT_USAGE;
        } else if (!train_flag(f, name)) {
            rc = set(f, name, value);
        }
    }
    fclose(fp);
    return rc;
}

int train_flags_parse(int argc, char **argv, train_flags *f, bool *help) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return FEDC_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) return train_usage(f, "unexpected argument '%s'", a);
        const char *name = known(f, a + 2);
        if (!name) return train_usage(f, "unknown option '%s'", a);
        int rc;
        if (train_flag_is_switch(name)) {
            rc = set(f, name, "1");
        } else {
            if (i + 1 >= argc) return train_usage(f, "%s needs a value", a);
            rc = set(f, name, argv[++i]);
        }
        if (rc >= 0) return rc;
    }
    const char *config = train_flag(f, "config");
    return config ? read_config(f, config) : -1;
}

/* Numbers with their ranges; errors name the option. */
bool train_flag_num(const train_flags *f, const char *name, double def, double lo, double *out) {
    const char *v = train_flag(f, name);
    *out = def;
    if (!v) return true;
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno || !(x >= lo) || !isfinite(x)) {
        fprintf(stderr, "fedc %s: --%s wants a number >= %g, got '%s'\n", f->cmd, name, lo, v);
        return false;
    }
    *out = x;
    return true;
}

bool train_flag_int(const train_flags *f, const char *name, long long def, long long lo,
                    int64_t *out) {
    double x;
    if (!train_flag_num(f, name, (double)def, (double)lo, &x)) return false;
    if (x != floor(x) || x > 9e15) {
        fprintf(stderr, "fedc %s: --%s wants an integer, got '%s'\n", f->cmd, name,
                train_flag(f, name));
        return false;
    }
    *out = (int64_t)x;
    return true;
}
