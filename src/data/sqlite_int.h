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

#endif /* FEDC_DATA_SQLITE_INT_H */
