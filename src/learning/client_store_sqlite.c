/* client_store_sqlite.c — the client store in an SQLite file: one row per client in
 * client_variates(client_id TEXT PRIMARY KEY, variate BLOB), the vector as little-endian float32
 * bytes, so a population of millions stays on disk and a round touches only its clients' rows.
 * One connection whose statements are serialized by a lock; it must not cache rows in memory.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "learning/learning_int.h"

typedef struct sqlite_store {
    pthread_mutex_t lock; /* one connection, shared by the round's concurrent clients */
    sqlite3 *db;
    sqlite3_stmt *get, *put;
    char path[512];
} sqlite_store;

static fedc_status db_error(fedc_ctx *ctx, sqlite_store *s, const char *what, const char *id) {
    return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "client store %s: %s%s%s: %s", s->path, what,
                           id ? " of client " : "", id ? id : "", sqlite3_errmsg(s->db));
}

/* float32 <-> little-endian bytes, whatever the machine's order */
static void to_le(const float *v, int64_t n, unsigned char *b) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int k = 0; k < 4; k++)
            b[4 * i + k] = (unsigned char)(u >> (8 * k));
    }
}

static void from_le(const unsigned char *b, int64_t n, float *v) {
    for (int64_t i = 0; i < n; i++) {
        uint32_t u = 0;
        for (int k = 0; k < 4; k++)
            u |= (uint32_t)b[4 * i + k] << (8 * k);
        memcpy(&v[i], &u, 4);
    }
}

static fedc_status sqlite_get(fedc_ctx *ctx, void *self, const char *id, float *out, int64_t n,
                              int64_t *count) {
    sqlite_store *s = self;
    fedc_status st = FEDC_STATUS_OK;
    *count = -1;
    pthread_mutex_lock(&s->lock);
    sqlite3_reset(s->get);
    sqlite3_bind_text(s->get, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s->get);
    if (rc == SQLITE_ROW) {
        int bytes = sqlite3_column_bytes(s->get, 0);
        const unsigned char *b = sqlite3_column_blob(s->get, 0);
        if (bytes % 4)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "client store %s: client '%s' has a vector of %d bytes, not a "
                                 "whole number of float32",
                                 s->path, id, bytes);
        else {
            *count = bytes / 4;
            if (*count == n && n > 0) from_le(b, n, out);
        }
    } else if (rc != SQLITE_DONE) {
        st = db_error(ctx, s, "reading the vector", id);
    }
    sqlite3_reset(s->get);
    pthread_mutex_unlock(&s->lock);
    return st;
}

static fedc_status sqlite_put(fedc_ctx *ctx, void *self, const char *id, const float *v,
                              int64_t n) {
    sqlite_store *s = self;
    unsigned char *b = fedc_malloc((size_t)(n ? n : 1) * 4);
    if (!b)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "client store: out of memory storing client '%s'", id);
    to_le(v, n, b);
    fedc_status st = FEDC_STATUS_OK;
    pthread_mutex_lock(&s->lock);
    sqlite3_reset(s->put);
    sqlite3_bind_text(s->put, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s->put, 2, b, (int)(n * 4), SQLITE_STATIC);
    if (sqlite3_step(s->put) != SQLITE_DONE) st = db_error(ctx, s, "writing the vector", id);
    sqlite3_reset(s->put);
    sqlite3_clear_bindings(s->put);
    pthread_mutex_unlock(&s->lock);
    fedc_free(b);
    return st;
}

static void sqlite_destroy(void *self) {
    sqlite_store *s = self;
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->put);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
    fedc_free(s);
}

static fedc_status sqlite_each(fedc_ctx *ctx, void *self, fedc_client_store_visit visit,
                               void *user) {
    sqlite_store *s = self;
    sqlite3_stmt *q = NULL;
    float *v = NULL;
    fedc_status st = FEDC_STATUS_OK;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT client_id, variate FROM client_variates ORDER BY client_id", -1,
                           &q, NULL) != SQLITE_OK)
        st = db_error(ctx, s, "listing the vectors", NULL);
    int rc = SQLITE_DONE;
    while (st >= 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        int bytes = sqlite3_column_bytes(q, 1);
        const unsigned char *b = sqlite3_column_blob(q, 1);
        float *grown = fedc_realloc(v, (size_t)(bytes ? bytes : 4));
        if (!grown) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "client store: out of memory");
            break;
        }
        v = grown;
        if (bytes % 4) {
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_CORRUPT,
                                 "client store %s: client '%s' has a vector of %d bytes", s->path,
                                 id ? id : "?", bytes);
            break;
        }
        from_le(b, bytes / 4, v);
        st = visit(ctx, user, id ? id : "", v, bytes / 4);
    }
    if (st >= 0 && rc != SQLITE_DONE) st = db_error(ctx, s, "listing the vectors", NULL);
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    fedc_free(v);
    return st;
}

static fedc_status sqlite_clear(fedc_ctx *ctx, void *self) {
    sqlite_store *s = self;
    pthread_mutex_lock(&s->lock);
    fedc_status st =
        sqlite3_exec(s->db, "DELETE FROM client_variates", NULL, NULL, NULL) == SQLITE_OK
            ? FEDC_STATUS_OK
            : db_error(ctx, s, "removing the vectors", NULL);
    pthread_mutex_unlock(&s->lock);
    return st;
}

static const fedc_client_store_ops k_sqlite_ops = {"sqlite",       sqlite_get,  sqlite_put,
                                                   sqlite_destroy, sqlite_each, sqlite_clear};

fedc_status fedc_client_store_sqlite_open(fedc_ctx *ctx, const char *path,
                                          fedc_client_store **out) {
    *out = NULL;
    sqlite_store *s = fedc_calloc(1, sizeof *s);
    if (!s || pthread_mutex_init(&s->lock, NULL) != 0) {
        fedc_free(s);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory for a client store");
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    fedc_status st = FEDC_STATUS_OK;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        st = db_error(ctx, s, "opening", NULL);
    /* WAL with NORMAL sync: a round's puts do not each wait for the disk, and a crash loses at
     * most the last commits, never the file */
    if (st >= 0 && sqlite3_exec(s->db,
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                "CREATE TABLE IF NOT EXISTS client_variates ("
                                "client_id TEXT PRIMARY KEY, variate BLOB NOT NULL)",
                                NULL, NULL, NULL) != SQLITE_OK)
        st = db_error(ctx, s, "creating the table", NULL);
    if (st >= 0 &&
        sqlite3_prepare_v2(s->db, "SELECT variate FROM client_variates WHERE client_id = ?1", -1,
                           &s->get, NULL) != SQLITE_OK)
        st = db_error(ctx, s, "preparing a read", NULL);
    if (st >= 0 && sqlite3_prepare_v2(s->db,
                                      "INSERT OR REPLACE INTO client_variates(client_id, variate) "
                                      "VALUES (?1, ?2)",
                                      -1, &s->put, NULL) != SQLITE_OK)
        st = db_error(ctx, s, "preparing a write", NULL);
    if (st < 0) {
        sqlite_destroy(s);
        return st;
    }
    return fedc_client_store_create(ctx, &k_sqlite_ops, s, out);
}
