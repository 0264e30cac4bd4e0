/* import_speakers.c — the importer of plays with speaker headers (tinyshakespeare's layout: a
 * `NAME:` line, the speech, a blank line) into TFF's Shakespeare schema: one example
 * {"snippets": bytes} per speech, one client per speaking role, the last fraction of each role's
 * speeches in the test split (LEAF splits each role in time order). Nothing here tokenizes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "data/data_int.h"

fedc_speakers_opts fedc_speakers_opts_default(void) {
    fedc_speakers_opts o = {"", "train", "test", 0.2};
    return o;
}

typedef struct role {
    char *id;
    int64_t count, seen;
} role;

typedef struct roles {
    role *r;
    int64_t n, cap, last;
} roles;

/* A header: starts with A-Z, then letters, spaces, apostrophes, hyphens or dots, ends in ':'. */
static bool is_header(const char *line, size_t len) {
    if (len < 2 || line[len - 1] != ':' || line[0] < 'A' || line[0] > 'Z') return false;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = line[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' || c == '\'' ||
                  c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

/* The role of a header line (prefix + upper case, spaces as '_'), added when new. */
static fedc_status find_role(fedc_ctx *ctx, roles *rs, const char *prefix, const char *line,
                             size_t len, int64_t *index) {
    char id[256];
    size_t plen = strlen(prefix), k = 0;
    if (plen + len >= sizeof id)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED, "speaker name longer than %zu bytes",
                               sizeof id - plen - 1);
    memcpy(id, prefix, plen);
    k = plen;
    for (size_t i = 0; i + 1 < len; i++) {
        char c = line[i];
        id[k++] = c == ' ' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    id[k] = '\0';
    if (rs->last >= 0 && strcmp(rs->r[rs->last].id, id) == 0) {
        *index = rs->last;
        return FEDC_STATUS_OK;
    }
    for (int64_t i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].id, id) == 0) {
            *index = rs->last = i;
            return FEDC_STATUS_OK;
        }
    if (rs->n == rs->cap) {
        int64_t ncap = rs->cap ? rs->cap * 2 : 64;
        role *nr = fedc_realloc(rs->r, (size_t)ncap * sizeof *nr);
        if (!nr) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "too many speakers");
        rs->r = nr;
        rs->cap = ncap;
    }
    rs->r[rs->n].id = fedc_strdup(id);
    if (!rs->r[rs->n].id) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "speaker id");
    rs->r[rs->n].count = rs->r[rs->n].seen = 0;
    *index = rs->last = rs->n++;
    return FEDC_STATUS_OK;
}

/* One pass over the text: pass 0 counts speeches per role, pass 1 writes them. */
static fedc_status scan(fedc_ctx *ctx, const char *text, size_t size, roles *rs,
                        const fedc_speakers_opts *o, int pass, fedc_sqlite_writer *w,
                        fedc_example *ex) {
    size_t pos = 0, speech_start = 0, speech_end = 0;
    bool in_speech = false;
    int64_t cur = -1;
    fedc_status st = FEDC_STATUS_OK;
    while (pos <= size && !st) {
        size_t end = pos;
        while (end < size && text[end] != '\n')
            end++;
        size_t len = end - pos;
        if (len && text[pos + len - 1] == '\r') len--;
        bool blank = len == 0;
        bool last_line = end >= size;
        if (!in_speech && is_header(text + pos, len)) {
            st = find_role(ctx, rs, o->id_prefix, text + pos, len, &cur);
        } else if (!blank && cur >= 0) {
            if (!in_speech) speech_start = pos;
            in_speech = true;
            speech_end = pos + len;
        }
        if (!st && in_speech && (blank || last_line)) {
            role *r = &rs->r[cur];
            if (pass == 0) {
                r->count++;
            } else {
                int64_t ntest = (int64_t)floor((double)r->count * o->test_fraction);
                const char *split = r->seen >= r->count - ntest ? o->test_split : o->train_split;
                r->seen++;
                fedc_tensor *t;
                fedc_shape s = FEDC_SHAPE((int64_t)(speech_end - speech_start));
                fedc_example_clear(ex);
                st = fedc_example_set(ctx, ex, "snippets", FEDC_DTYPE_UINT8, &s, &t);
                if (!st) {
                    /* Lines keep their '\n' joins; '\r' before them stays (rare; faithful). */
                    memcpy(t->data, text + speech_start, speech_end - speech_start);
                    st = fedc_sqlite_writer_add(ctx, w, split, r->id, ex);
                }
            }
            in_speech = false;
        }
        pos = end + 1;
    }
    return st;
}

fedc_status fedc_import_speakers(fedc_ctx *ctx, const char *text_path, const char *sqlite_path,
                                 const fedc_speakers_opts *opts, int64_t *num_clients) {
    fedc_speakers_opts o = opts ? *opts : fedc_speakers_opts_default();
    if (num_clients) *num_clients = 0;
    if (!(o.test_fraction >= 0.0 && o.test_fraction <= 1.0))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "test fraction %g is outside [0, 1]", o.test_fraction);
    uint8_t *text;
    size_t size;
    fedc_status st = fedc__read_file(ctx, text_path, &text, &size);
    if (st) return st;
    roles rs = {NULL, 0, 0, -1};
    fedc_sqlite_writer *w = NULL;
    fedc_example *ex = NULL;
    st = scan(ctx, (const char *)text, size, &rs, &o, 0, NULL, NULL);
    if (!st && rs.n == 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: no speaker headers (`NAME:` lines)",
                             text_path);
    if (!st) st = fedc_sqlite_writer_create(ctx, sqlite_path, &w);
    if (!st) st = fedc_example_create(ctx, &ex);
    if (!st) {
        rs.last = -1;
        st = scan(ctx, (const char *)text, size, &rs, &o, 1, w, ex);
    }
    if (!st) st = fedc_sqlite_writer_finish(ctx, w);
    if (st) fedc_ctx_prefixf(ctx, "%s", text_path);
    if (!st && num_clients) /* headers with no speech after them make no client */
        for (int64_t i = 0; i < rs.n; i++)
            *num_clients += rs.r[i].count > 0;
    fedc_sqlite_writer_destroy(w);
    fedc_example_destroy(ex);
    for (int64_t i = 0; i < rs.n; i++)
        fedc_free(rs.r[i].id);
    fedc_free(rs.r);
    fedc_free(text);
    return st;
}
