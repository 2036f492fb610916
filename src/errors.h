/*
 * Internal helpers that fill an ff_error record. Messages follow the pattern
 * "FILE:LINE: what is wrong; what to do" (or "FILE: ..." without a line), and
 * the program prefixes them with its own name.
 */
#ifndef FRAMEFLOW_ERRORS_H
#define FRAMEFLOW_ERRORS_H

#include <zlib.h>

#include "frameflow/error.h"

#if defined(__GNUC__) || defined(__clang__)
#define FF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FF_PRINTF(fmt, args)
#endif

/*
 * Fill err (when not NULL) with code and a formatted message, and return
 * code, so that a failure reads "return ff_error_set(err, ...)".
 */
int ff_error_set(ff_error *err, int code, const char *fmt, ...)
    FF_PRINTF(3, 4);

/*
 * Like ff_error_set with FF_STATUS_ERR_IO, appending ": " and
 * strerror(errnum). Pass errno as saved right after the failing call.
 */
int ff_error_set_errno(ff_error *err, int errnum, const char *fmt, ...)
    FF_PRINTF(3, 4);

/*
 * Fill err from the error state of the gzip reader gz of the file at path
 * and return the status, or return 0 when gz has no error. A gzip file cut
 * short and one with damaged data each get their own message. zlib's text
 * starts with the path, so only the reason after it is kept.
 */
int ff_error_set_gzip(ff_error *err, gzFile gz, const char *path);

/*
 * Fill err and return FF_STATUS_ERR_IO when path names a pipe, socket or
 * character device, because a probe would consume its bytes before the
 * read that follows. Return 0 otherwise, also when path cannot be
 * examined, which the open that follows then reports.
 */
int ff_error_if_stream(ff_error *err, const char *path);

#endif
