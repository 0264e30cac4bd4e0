/* sqlite_int.h — helpers shared by the SQLite reader and writer of TFF's ClientData files.
 * Private to src/data/.
 */
#ifndef FEDC_DATA_SQLITE_INT_H
#define FEDC_DATA_SQLITE_INT_H

#include <sqlite3.h>

#include "data/data_int.h"

/* Records SQLite's last error on db as a fedc status: CORRUPT for a file that is not a database
 * or lacks a table or column, IO for the rest, OUT_OF_MEMORY for SQLITE_NOMEM. */
fedc_status fedc__sqlite_error(fedc_ctx *ctx, sqlite3 *db, int rc, const char *path,
                               const char *what);

/* The database file to open for `path` into *db_path (fedc_malloc'ed): a copy of path for a
 * plain file (and for one that cannot be read: SQLite then reports why), or for an xz or lzma
 * file the path of its decompressed copy, made now unless a cached copy made from a source of
 * the same size and mtime exists. The copy lives in $FEDC_CACHE_DIR when set, else beside the
 * source as PATH.fedc.sqlite when that directory is writable, else in $XDG_CACHE_HOME/fedc or
 * ~/.cache/fedc. Errors: those of fedc__lzma_decompress (a partial copy is removed), IO naming
 * the cache path or directory, OUT_OF_MEMORY. Thread-safe (concurrent rebuilds each write
 * their own temporary file; the last rename wins, and both copies are whole). */
fedc_status fedc__sqlite_source(fedc_ctx *ctx, const char *path, char **db_path);

#endif /* FEDC_DATA_SQLITE_INT_H */
