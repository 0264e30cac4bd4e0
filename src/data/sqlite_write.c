/* sqlite_write.c — writes TFF ClientData SQLite files: the same tables and column types TFF's
 * own files have, one serialized tf.train.Example per row, client_metadata counted from the rows
 * at finish. Everything goes in one transaction, so an unfinished file is removed, never left
 * half-written. Nothing here reads examples back.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/sqlite_int.h"

struct fedc_sqlite_writer {
    sqlite3 *db;
    sqlite3_stmt *insert;
    char *path;
    bool finished;
    int64_t rows;
};

static const char kSchema[] =
    "CREATE TABLE examples (split_name TEXT NOT NULL, client_id TEXT NOT NULL, "
    "serialized_example_proto BLOB NOT NULL);"
    "CREATE TABLE client_metadata (client_id TEXT NOT NULL, split_name TEXT NOT NULL, "
    "num_examples INTEGER NOT NULL);"
    "BEGIN;";

static fedc_status exec(fedc_ctx *ctx, fedc_sqlite_writer *w, const char *sql, const char *what) {
    int rc = sqlite3_exec(w->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return fedc__sqlite_error(ctx, w->db, rc, w->path, what);
    return FEDC_STATUS_OK;
}

fedc_status fedc_sqlite_writer_create(fedc_ctx *ctx, const char *path, fedc_sqlite_writer **out) {
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) == 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_EXISTS, "%s: file exists (not overwritten)", path);
    fedc_sqlite_writer *w = fedc_calloc(1, sizeof *w);
    if (!w) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot allocate", path);
    w->path = fedc_strdup(path);
    if (!w->path) {
        fedc_free(w);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "%s: cannot allocate", path);
    }
    int rc = sqlite3_open_v2(path, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    fedc_status st = FEDC_STATUS_OK;
    if (rc != SQLITE_OK) st = fedc__sqlite_error(ctx, w->db, rc, path, "cannot create");
    if (!st) st = exec(ctx, w, kSchema, "cannot create tables");
    if (!st) {
        rc = sqlite3_prepare_v2(w->db,
                                "INSERT INTO examples (split_name, client_id, "
                                "serialized_example_proto) VALUES (?1, ?2, ?3)",
                                -1, &w->insert, NULL);
        if (rc != SQLITE_OK) st = fedc__sqlite_error(ctx, w->db, rc, path, "cannot prepare");
    }
    if (st) {
        fedc_sqlite_writer_destroy(w);
        return st;
    }
    *out = w;
    return FEDC_STATUS_OK;
}

fedc_status fedc_sqlite_writer_add(fedc_ctx *ctx, fedc_sqlite_writer *w, const char *split_name,
                                   const char *client_id, const fedc_example *ex) {
    if (w->finished)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s: writer already finished",
                               w->path);
    void *data;
    size_t size;
    fedc_status st = fedc_tf_example_encode(ctx, ex, &data, &size);
    if (st) return fedc_ctx_prefixf(ctx, "%s: client '%s'", w->path, client_id);
    int rc = sqlite3_bind_text(w->insert, 1, split_name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(w->insert, 2, client_id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(w->insert, 3, data, size, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(w->insert);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sqlite3_reset(w->insert);
    sqlite3_clear_bindings(w->insert);
    fedc_free(data);
    if (rc != SQLITE_OK) {
        st = fedc__sqlite_error(ctx, w->db, rc, w->path, "cannot insert an example");
        return fedc_ctx_prefixf(ctx, "client '%s'", client_id);
    }
    w->rows++;
    return FEDC_STATUS_OK;
}

fedc_status fedc_sqlite_writer_finish(fedc_ctx *ctx, fedc_sqlite_writer *w) {
    if (w->finished) return FEDC_STATUS_OK;
    fedc_status st = exec(ctx, w,
                          "INSERT INTO client_metadata (client_id, split_name, num_examples) "
                          "SELECT client_id, split_name, COUNT(*) FROM examples "
                          "GROUP BY client_id, split_name ORDER BY client_id, split_name;"
                          "COMMIT;",
                          "cannot write client_metadata");
    if (!st) w->finished = true;
    return st;
}

void fedc_sqlite_writer_destroy(fedc_sqlite_writer *w) {
    if (!w) return;
    sqlite3_finalize(w->insert);
    if (w->db && !w->finished) sqlite3_exec(w->db, "ROLLBACK;", NULL, NULL, NULL);
    sqlite3_close(w->db);
    if (!w->finished && w->path) unlink(w->path);
    fedc_free(w->path);
    fedc_free(w);
}
