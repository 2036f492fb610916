/*
 * Status codes and the error record that every fallible frameflow function
 * fills.
 *
 * A function that can fail returns int: FF_STATUS_OK (0) on success or a
 * negative FF_STATUS_ERR_* code. Constructors return NULL instead. Each such
 * function takes an ff_error pointer, which may be NULL; on failure it
 * receives the code and one line of text that names the input (file and line
 * where there is one), what is wrong and what the user can do. The message
 * never ends with a newline and never starts with the program name, so a
 * program can print it as "frameflow: MESSAGE". Control characters that it
 * quotes from an input, line breaks included, appear as escapes such as \n
 * or \x1b.
 *
 * The library never prints. An ff_error belongs to the caller; use one per
 * thread.
 */
#ifndef FRAMEFLOW_ERROR_H
#define FRAMEFLOW_ERROR_H

#include <frameflow/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ff_status {
    FF_STATUS_OK = 0,
    FF_STATUS_ERR_IO = -1,          /* open, read, write, rename failed */
    FF_STATUS_ERR_FORMAT = -2,      /* a file's content is malformed */
    FF_STATUS_ERR_INVALID = -3,     /* an argument or option is invalid */
    FF_STATUS_ERR_NOMEM = -4,       /* memory allocation failed */
    FF_STATUS_ERR_EMPTY = -5,       /* a selection or input holds nothing */
    FF_STATUS_ERR_NUMERIC = -6,     /* a non-finite or out-of-range number */
    FF_STATUS_ERR_VERSION = -7,     /* a file format version not supported */
    FF_STATUS_ERR_CHECKSUM = -8,    /* stored and computed checksums differ */
    FF_STATUS_ERR_INTERRUPTED = -9, /* the caller asked the work to stop */
    FF_STATUS_ERR_INTERNAL = -10    /* an unexpected failure in a library */
} ff_status;

/* Size of ff_error.message, terminating NUL included. */
#define FF_ERROR_MESSAGE_SIZE 1024

typedef struct ff_error {
    int code;                             /* an ff_status value */
    char message[FF_ERROR_MESSAGE_SIZE];  /* one line, NUL-terminated */
} ff_error;

/* Reset an error record to FF_STATUS_OK with an empty message; err may be
 * NULL. */
FF_API void ff_error_clear(ff_error *err);

/*
 * Return a short constant name for a status code, such as "I/O error", or
 * "unknown error" for a code that is no ff_status. The string is static;
 * the call is safe from any thread.
 */
FF_API const char *ff_status_name(int code);

#ifdef __cplusplus
}
#endif

#endif
