#include "frameflow/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"

void
ff_error_clear(ff_error *err)
{
    if (err != NULL) {
        err->code = FF_STATUS_OK;
        err->message[0] = '\0';
    }
}

const char *
ff_status_name(int code)
{
    switch (code) {
    case FF_STATUS_OK:
        return "success";
    case FF_STATUS_ERR_IO:
        return "I/O error";
    case FF_STATUS_ERR_FORMAT:
        return "malformed input";
    case FF_STATUS_ERR_INVALID:
        return "invalid argument";
    case FF_STATUS_ERR_NOMEM:
        return "out of memory";
    case FF_STATUS_ERR_EMPTY:
        return "empty input";
    case FF_STATUS_ERR_NUMERIC:
        return "invalid number";
    case FF_STATUS_ERR_VERSION:
        return "unsupported format version";
    case FF_STATUS_ERR_CHECKSUM:
        return "checksum mismatch";
    case FF_STATUS_ERR_INTERRUPTED:
        return "interrupted";
    case FF_STATUS_ERR_INTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}

/*
 * Copy text into err->message with each control character written as an
 * escape such as \n or \x1b, as the program prints them. Messages quote
 * text from input files, and a line break or a terminal escape in it would
 * break the one-line message that error.h promises. A message too long for
 * the record is cut before an escape, never inside one.
 */
static void
set_message(ff_error *err, const char *text)
{
    size_t used = 0;

    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
         p++) {
        char piece[8] = {(char)*p, '\0'};
        if (*p == '\n') {
            memcpy(piece, "\\n", 3);
        } else if (*p == '\r') {
            memcpy(piece, "\\r", 3);
        } else if (*p == '\t') {
            memcpy(piece, "\\t", 3);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(piece, sizeof piece, "\\x%02x", *p);
        }
        size_t n = strlen(piece);
        if (used + n >= sizeof err->message) {
            break;
        }
        memcpy(err->message + used, piece, n);
        used += n;
    }
    err->message[used] = '\0';
}

int
ff_error_set(ff_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        char text[FF_ERROR_MESSAGE_SIZE];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        set_message(err, text);
        err->code = code;
    }
    return code;
}

int
ff_error_set_errno(ff_error *err, int errnum, const char *fmt, ...)
{
    if (err != NULL) {
        char reason[256];
        // strerror_r is POSIX; the XSI variant returns an int.
        if (strerror_r(errnum, reason, sizeof reason) != 0) {
            snprintf(reason, sizeof reason, "error %d", errnum);
        }
        char text[FF_ERROR_MESSAGE_SIZE];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof text) {
            snprintf(text + n, sizeof text - (size_t)n, ": %s", reason);
        }
        set_message(err, text);
        err->code = FF_STATUS_ERR_IO;
    }
    return FF_STATUS_ERR_IO;
}

int
ff_error_set_gzip(ff_error *err, gzFile gz, const char *path)
{
    int zerr = Z_OK;
    const char *reason = gzerror(gz, &zerr);

    if (zerr == Z_OK || zerr == Z_STREAM_END) {
        return 0;
    }
    if (zerr == Z_ERRNO) {
        return ff_error_set_errno(err, errno, "%s: read failed", path);
    }
    if (zerr == Z_BUF_ERROR) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: truncated gzip data (the file ends inside "
                            "the compressed stream); copy or download it "
                            "again", path);
    }
    size_t plen = strlen(path);
    if (strncmp(reason, path, plen) == 0
        && strncmp(reason + plen, ": ", 2) == 0) {
        reason += plen + 2;
    }
    return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                        "%s: corrupt gzip data (%s); copy or download it "
                        "again", path, reason);
}

int
ff_error_if_stream(ff_error *err, const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0
        || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)
             || S_ISSOCK(st.st_mode))) {
        return 0;
    }
    return ff_error_set(err, FF_STATUS_ERR_IO,
                        "%s: is a pipe or device, but an input is read "
                        "twice (first to tell its kind); save it to a file "
                        "and give that name", path);
}
