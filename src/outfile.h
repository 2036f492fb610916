/*
 * Output files that appear whole or not at all.
 *
 * ff_outfile_open creates a temporary file ".NAME.NNNNNN.tmp" beside the
 * destination (same folder, so the final rename stays on one file system);
 * writes go there, optionally through gzip, and ff_outfile_commit flushes,
 * syncs, closes and renames it into place, then syncs the folder. Any
 * failure, or ff_outfile_abort, removes the temporary file, so a failed
 * writer never leaves a partial file under the destination name. A process
 * killed before it commits or aborts leaves its temporary file behind; the
 * destination keeps its old content.
 *
 * A destination that is a symbolic link stays one: the file it points to is
 * replaced. A destination that exists and is not a regular file (a device
 * such as /dev/null, a pipe) is written directly, without a temporary file.
 *
 * Write errors are sticky: the first failure is kept and reported by
 * ff_outfile_commit, so writers may check only the commit. An ff_outfile
 * belongs to one thread.
 */
#ifndef FRAMEFLOW_OUTFILE_H
#define FRAMEFLOW_OUTFILE_H

#include <stddef.h>

#include "frameflow/error.h"
#include "errors.h"

typedef struct ff_outfile ff_outfile;

/* Compression choices for ff_outfile_open. */
enum ff_outfile_mode {
    FF_OUTFILE_PLAIN = 0,
    FF_OUTFILE_GZIP = 1,
    FF_OUTFILE_BY_NAME = 2  /* gzip when ff_outfile_gzip_name(path) */
};

/* Return 1 when path ends in ".gz" in any case, the names that
 * FF_OUTFILE_BY_NAME compresses, and 0 otherwise. */
int ff_outfile_gzip_name(const char *path);

/*
 * Start writing path. Return a handle, or NULL with err filled when the
 * folder is missing or not writable. The destination is not touched until
 * ff_outfile_commit.
 */
ff_outfile *ff_outfile_open(const char *path, int mode, ff_error *err);

/* Append n bytes. Return 0 or a negative status (also kept for commit). */
int ff_outfile_write(ff_outfile *out, const void *data, size_t n);

/* Append formatted text. Return 0 or a negative status. */
int ff_outfile_printf(ff_outfile *out, const char *fmt, ...) FF_PRINTF(2, 3);

/* Return whether a write has already failed. */
int ff_outfile_failed(const ff_outfile *out);

/* Return 0 while every write succeeded, else the first failure's status
 * with err (when not NULL) filled. */
int ff_outfile_get_error(const ff_outfile *out, ff_error *err);

/*
 * Finish: flush, fsync, close and rename into place, sync the folder, then
 * free the handle. Return 0, or a negative status with err filled. On
 * failure the temporary file is removed and the destination is left as it
 * was, unless only the final folder sync failed: the new file is then in
 * place but may not survive a power loss.
 */
int ff_outfile_commit(ff_outfile *out, ff_error *err);

/* Discard everything written and free the handle; NULL is allowed. */
void ff_outfile_abort(ff_outfile *out);

#endif
