/* sqlite_read.c — client data backed by a TFF ClientData SQLite file (tables examples and
 * client_metadata, one serialized tf.train.Example per row). The client list is read once; each
 * client dataset streams its rows through its own read-only connection, so memory stays bounded
 * by the clients open at once. Nothing here writes to the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/sqlite_int.h"

fedc_status fedc__sqlite_error(fedc_ctx *ctx, sqlite3 *db, int rc, const char *path,
                               const char *what) {
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int code = rc & 0xff;
    if (code == SQLITE_NOMEM)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: %s: %s", path, what, msg);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT, "%s: not a valid SQLite database: %s",
                               path, msg);
    if (code == SQLITE_ERROR && (strstr(msg, "no such table") || strstr(msg, "no such column")))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                               "%s: not a TFF ClientData file (tables examples(split_name, "
                               "client_id, serialized_example_proto), client_metadata(client_id, "
                               "split_name, num_examples)): %s",
                               path, msg);
    return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "%s: %s: %s", path, what, msg);
}

static fedc_status open_ro(fedc_ctx *ctx, const char *path, sqlite3 **db) {
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fedc_status st = fedc__sqlite_error(ctx, *db, rc, path, "cannot open");
        sqlite3_close(*db);
        *db = NULL;
        return st;
    }
    return FEDC_STATUS_OK;
}

static fedc_status prepare(fedc_ctx *ctx, sqlite3 *db, const char *path, const char *sql,
                           sqlite3_stmt **stmt) {
    int rc = sqlite3_prepare_v2(db, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) return fedc__sqlite_error(ctx, db, rc, path, "cannot query");
    return FEDC_STATUS_OK;
}

/* Checks both tables with every column TFF reads, so a wrong file fails at open, not later. */
static fedc_status check_schema(fedc_ctx *ctx, sqlite3 *db, const char *path) {
    static const char *const probes[] = {
        "SELECT client_id, split_name, num_examples FROM client_metadata LIMIT 0",
        "SELECT split_name, client_id, serialized_example_proto FROM examples LIMIT 0"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *s;
        fedc_status st = prepare(ctx, db, path, probes[i], &s);
        if (st) return st;
        sqlite3_finalize(s);
    }
    return FEDC_STATUS_OK;
}

/* ---- specs, copied so datasets outlive the caller's arrays and the client data ---- */

static void specs_free(fedc_feature_spec *specs, int n) {
    if (!specs) return;
    for (int i = 0; i < n; i++)
        fedc_free((char *)specs[i].name);
    fedc_free(specs);
}

static fedc_status specs_copy(fedc_ctx *ctx, const fedc_feature_spec *src, int n,
                              fedc_feature_spec **out) {
    *out = NULL;
    if (!src || n <= 0) return FEDC_STATUS_OK;
    fedc_feature_spec *s = fedc_calloc((size_t)n, sizeof *s);
    if (!s) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot copy %d specs", n);
    for (int i = 0; i < n; i++) {
        s[i] = src[i];
        s[i].name = fedc_strdup(src[i].name);
        if (!s[i].name) {
            specs_free(s, i);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot copy feature specs");
        }
    }
    *out = s;
    return FEDC_STATUS_OK;
}

/* ---- one client's dataset ---- */

typedef struct sq_ds {
    sqlite3 *db;
    sqlite3_stmt *stmt;
    char *path, *split, *client;
    fedc_feature_spec *specs;
    int nspecs;
    int64_t count;
} sq_ds;

static void sq_ds_destroy(void *self) {
    sq_ds *d = self;
    if (!d) return;
    sqlite3_finalize(d->stmt);
    sqlite3_close(d->db);
    fedc_free(d->path);
    fedc_free(d->split);
    fedc_free(d->client);
    specs_free(d->specs, d->nspecs);
    fedc_free(d);
}

static fedc_status sq_ds_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    sq_ds *d = self;
    int rc = sqlite3_step(d->stmt);
    if (rc == SQLITE_DONE) return FEDC_STATUS_OK;
    if (rc != SQLITE_ROW) {
        fedc_status st = fedc__sqlite_error(ctx, d->db, rc, d->path, "cannot read examples");
        (void)st;
        return fedc_ctx_prefixf(ctx, "client '%s'", d->client);
    }
    long long rowid = sqlite3_column_int64(d->stmt, 0);
    const void *blob = sqlite3_column_blob(d->stmt, 1);
    int size = sqlite3_column_bytes(d->stmt, 1);
    fedc_status st = fedc_tf_example_decode(ctx, blob, (size_t)size, d->specs, d->nspecs, out);
    if (st) {
        fedc_ctx_prefixf(ctx, "%s: split '%s', client '%s', examples rowid %lld", d->path,
                         d->split ? d->split : "(all)", d->client, rowid);
        return st;
    }
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status sq_ds_reset(fedc_ctx *ctx, void *self) {
    (void)ctx;
    sqlite3_reset(((sq_ds *)self)->stmt);
    return FEDC_STATUS_OK;
}

static int64_t sq_ds_cardinality(void *self) { return ((sq_ds *)self)->count; }

static const fedc_dataset_vtable sq_ds_vtable = {"sqlite", sq_ds_next, sq_ds_reset,
                                                 sq_ds_cardinality, sq_ds_destroy};

/* ---- the client data ---- */

typedef struct sq_client {
    char *id;
    int64_t count;
    int64_t lo, hi; /* the client's rows lie in rowid [lo, hi] (unindexed files) */
} sq_client;

typedef struct sq_cd {
    char *path, *split;
    char *db_path; /* the file SQLite opens: path, or its decompressed copy */
    fedc_feature_spec *specs;
    int nspecs;
    sq_client *clients;
    int64_t n;
    bool indexed; /* an index on examples(client_id, ...) exists: SQLite finds rows itself */
} sq_cd;

static void sq_cd_destroy(void *self) {
    sq_cd *c = self;
    if (!c) return;
    for (int64_t i = 0; i < c->n; i++)
        fedc_free(c->clients[i].id);
    fedc_free(c->clients);
    fedc_free(c->path);
    fedc_free(c->db_path);
    fedc_free(c->split);
    specs_free(c->specs, c->nspecs);
    fedc_free(c);
}

static int64_t sq_cd_num_clients(void *self) { return ((sq_cd *)self)->n; }
static const char *sq_cd_client_id(void *self, int64_t i) { return ((sq_cd *)self)->clients[i].id; }
static int64_t sq_cd_num_examples(void *self, int64_t i) {
    return ((sq_cd *)self)->clients[i].count;
}

static fedc_status sq_cd_open(fedc_ctx *ctx, void *self, int64_t i, fedc_dataset **out) {
    sq_cd *c = self;
    sq_ds *d = fedc_calloc(1, sizeof *d);
    if (!d) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a dataset");
    d->count = c->clients[i].count;
    d->nspecs = c->nspecs;
    d->path = fedc_strdup(c->path);
    d->client = fedc_strdup(c->clients[i].id);
    d->split = c->split ? fedc_strdup(c->split) : NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (!d->path || !d->client || (c->split && !d->split))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a dataset");
    if (!st) st = specs_copy(ctx, c->specs, c->nspecs, &d->specs);
    if (!st) st = open_ro(ctx, c->db_path, &d->db);
    if (st && strcmp(c->db_path, c->path) != 0) fedc_ctx_prefixf(ctx, "%s", c->path);
    /* Without an index, a query by client_id scans the whole table for every client; the
     * rowid range found at open (clients are written contiguously) keeps it to the client's
     * own rows. */
    if (!st)
        st = prepare(ctx, d->db, c->path,
                     c->split ? "SELECT rowid, serialized_example_proto FROM examples "
                                "WHERE rowid BETWEEN ?3 AND ?4 AND client_id = ?1 "
                                "AND split_name = ?2 ORDER BY rowid"
                              : "SELECT rowid, serialized_example_proto FROM examples "
                                "WHERE rowid BETWEEN ?3 AND ?4 AND client_id = ?1 ORDER BY rowid",
                     &d->stmt);
    if (!st) {
        int rc = sqlite3_bind_text(d->stmt, 1, d->client, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK && d->split)
            rc = sqlite3_bind_text(d->stmt, 2, d->split, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(d->stmt, 3, c->indexed ? INT64_MIN : c->clients[i].lo);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(d->stmt, 4, c->indexed ? INT64_MAX : c->clients[i].hi);
        if (rc != SQLITE_OK) st = fedc__sqlite_error(ctx, d->db, rc, c->path, "cannot bind");
    }
    if (st) {
        sq_ds_destroy(d);
        return st;
    }
    return fedc_dataset_create(ctx, &sq_ds_vtable, d, out);
}

static const fedc_client_data_vtable sq_cd_vtable = {
    "sqlite", sq_cd_num_clients, sq_cd_client_id, sq_cd_num_examples, sq_cd_open, sq_cd_destroy};

fedc_sqlite_opts fedc_sqlite_opts_default(void) {
    fedc_sqlite_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

/* Reads the split names into a list; used for the client list's error message too. */
static fedc_status read_splits(fedc_ctx *ctx, sqlite3 *db, const char *path, char ***names,
                               int64_t *count) {
    *names = NULL;
    *count = 0;
    sqlite3_stmt *s;
    fedc_status st = prepare(
        ctx, db, path, "SELECT DISTINCT split_name FROM client_metadata ORDER BY split_name", &s);
    if (st) return st;
    int64_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*count == cap) {
            cap = cap ? cap * 2 : 4;
            char **nn = fedc_realloc(*names, (size_t)cap * sizeof *nn);
            if (!nn) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot list splits");
                break;
            }
            *names = nn;
        }
        const char *t = (const char *)sqlite3_column_text(s, 0);
        (*names)[*count] = fedc_strdup(t ? t : "");
        if (!(*names)[*count]) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot list splits");
            break;
        }
        ++*count;
    }
    if (!st && rc != SQLITE_DONE) st = fedc__sqlite_error(ctx, db, rc, path, "cannot list splits");
    sqlite3_finalize(s);
    if (st) {
        fedc_string_list_free(*names, *count);
        *names = NULL;
        *count = 0;
    }
    return st;
}

void fedc_string_list_free(char **names, int64_t count) {
    if (!names) return;
    for (int64_t i = 0; i < count; i++)
        fedc_free(names[i]);
    fedc_free(names);
}

fedc_status fedc_sqlite_splits(fedc_ctx *ctx, const char *path, char ***names, int64_t *count) {
    *names = NULL;
    *count = 0;
    sqlite3 *db = NULL;
    char *db_path;
    fedc_status st = fedc__sqlite_source(ctx, path, &db_path);
    if (st) return st;
    st = open_ro(ctx, db_path, &db);
    if (!st) st = check_schema(ctx, db, path);
    if (!st) st = read_splits(ctx, db, path, names, count);
    sqlite3_close(db);
    fedc_free(db_path);
    return st;
}

static fedc_status read_clients(fedc_ctx *ctx, sqlite3 *db, sq_cd *c) {
    sqlite3_stmt *s;
    fedc_status st = prepare(ctx, db, c->path,
                             c->split ? "SELECT client_id, SUM(num_examples) FROM client_metadata "
                                        "WHERE split_name = ?1 GROUP BY client_id"
                                      : "SELECT client_id, SUM(num_examples) FROM client_metadata "
                                        "GROUP BY client_id",
                             &s);
    if (st) return st;
    if (c->split) sqlite3_bind_text(s, 1, c->split, -1, SQLITE_STATIC);
    int64_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (c->n == cap) {
            cap = cap ? cap * 2 : 64;
            sq_client *nc = fedc_realloc(c->clients, (size_t)cap * sizeof *nc);
            if (!nc) {
                st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                     "%s: cannot allocate a list of %lld clients", c->path,
                                     (long long)cap);
                break;
            }
            c->clients = nc;
        }
        const char *id = (const char *)sqlite3_column_text(s, 0);
        c->clients[c->n].count = sqlite3_column_int64(s, 1);
        c->clients[c->n].lo = INT64_MIN;
        c->clients[c->n].hi = INT64_MAX;
        c->clients[c->n].id = fedc_strdup(id ? id : "");
        if (!c->clients[c->n].id) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot copy client ids",
                                 c->path);
            break;
        }
        c->n++;
    }
    if (!st && rc != SQLITE_DONE)
        st = fedc__sqlite_error(ctx, db, rc, c->path, "cannot read client_metadata");
    sqlite3_finalize(s);
    return st;
}

static int cmp_client_ids(const void *a, const void *b) {
    return strcmp(((const sq_client *)a)->id, ((const sq_client *)b)->id);
}

/* Whether some index of examples starts with client_id. */
static fedc_status check_indexed(fedc_ctx *ctx, sqlite3 *db, sq_cd *c) {
    sqlite3_stmt *s;
    fedc_status st = prepare(ctx, db, c->path,
                             "SELECT 1 FROM pragma_index_list('examples') AS il, "
                             "pragma_index_info(il.name) AS ii "
                             "WHERE ii.seqno = 0 AND ii.name = 'client_id'",
                             &s);
    if (st) return st;
    int rc = sqlite3_step(s);
    c->indexed = rc == SQLITE_ROW;
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fedc__sqlite_error(ctx, db, rc, c->path, "cannot list indexes");
    return FEDC_STATUS_OK;
}

/* One scan for every client's rowid range (unindexed files only). */
static fedc_status read_ranges(fedc_ctx *ctx, sqlite3 *db, sq_cd *c) {
    sqlite3_stmt *s;
    fedc_status st = prepare(ctx, db, c->path,
                             c->split ? "SELECT client_id, MIN(rowid), MAX(rowid) FROM examples "
                                        "WHERE split_name = ?1 GROUP BY client_id"
                                      : "SELECT client_id, MIN(rowid), MAX(rowid) FROM examples "
                                        "GROUP BY client_id",
                             &s);
    if (st) return st;
    if (c->n == 0) { /* no clients: nothing to find (and qsort must not see NULL) */
        sqlite3_finalize(s);
        return FEDC_STATUS_OK;
    }
    if (c->split) sqlite3_bind_text(s, 1, c->split, -1, SQLITE_STATIC);
    qsort(c->clients, (size_t)c->n, sizeof *c->clients, cmp_client_ids);
    for (int64_t i = 0; i < c->n; i++) /* a client without rows: an empty range */
        c->clients[i].lo = 1, c->clients[i].hi = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sq_client key = {(char *)sqlite3_column_text(s, 0), 0, 0, 0};
        if (!key.id) continue;
        sq_client *hit =
            bsearch(&key, c->clients, (size_t)c->n, sizeof *c->clients, cmp_client_ids);
        if (!hit) continue; /* rows of a client missing from client_metadata: unreachable */
        hit->lo = sqlite3_column_int64(s, 1);
        hit->hi = sqlite3_column_int64(s, 2);
    }
    if (rc != SQLITE_DONE) st = fedc__sqlite_error(ctx, db, rc, c->path, "cannot scan examples");
    sqlite3_finalize(s);
    return st;
}

fedc_status fedc_client_data_open_sqlite(fedc_ctx *ctx, const char *path,
                                         const fedc_sqlite_opts *opts, fedc_client_data **out) {
    *out = NULL;
    fedc_sqlite_opts o = opts ? *opts : fedc_sqlite_opts_default();
    sq_cd *c = fedc_calloc(1, sizeof *c);
    if (!c) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot open", path);
    c->path = fedc_strdup(path);
    c->split = o.split_name ? fedc_strdup(o.split_name) : NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (!c->path || (o.split_name && !c->split))
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot open", path);
    if (!st) {
        st = specs_copy(ctx, o.specs, o.nspecs, &c->specs);
        c->nspecs = c->specs ? o.nspecs : 0;
    }
    sqlite3 *db = NULL;
    if (!st) st = fedc__sqlite_source(ctx, path, &c->db_path);
    if (!st) st = open_ro(ctx, c->db_path, &db);
    if (!st) st = check_schema(ctx, db, path);
    if (!st) st = read_clients(ctx, db, c);
    if (!st) st = check_indexed(ctx, db, c);
    if (!st && !c->indexed) st = read_ranges(ctx, db, c);
    if (!st && c->n == 0 && c->split) {
        char **names;
        int64_t count;
        st = read_splits(ctx, db, path, &names, &count);
        if (!st) {
            char list[512] = "";
            size_t len = 0;
            for (int64_t i = 0; i < count && len < sizeof list; i++) {
                int k = snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "", names[i]);
                if (k < 0) break;
                len += (size_t)k;
            }
            fedc_string_list_free(names, count);
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND,
                                 "%s: no clients in split '%s'; the splits are: %s", path, c->split,
                                 count ? list : "(none)");
        }
    }
    sqlite3_close(db);
    if (st) {
        sq_cd_destroy(c);
        return st;
    }
    return fedc_client_data_create(ctx, &sq_cd_vtable, c, out);
}
