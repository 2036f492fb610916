/*
 * Helpers shared by the fuzz targets: checks that abort on a broken
 * contract, so that libFuzzer and the replay report them as crashes, and a
 * private scratch folder for readers that take a path.
 */
#ifndef FRAMEFLOW_FUZZ_H
#define FRAMEFLOW_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "frameflow/error.h"
#include "frameflow/se3.h"

/* The entry point every target defines; libFuzzer or replay.c calls it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message on stderr unless cond holds. */
#define FUZZ_CHECK(cond)                                                    \
    ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

void fuzz_fail(const char *file, int line, const char *what);

/*
 * Check a failure as error.h promises it: a negative status equal to
 * err->code, and a message of one non-empty line.
 */
void fuzz_check_error(int status, const ff_error *err);

/*
 * Check that pose is one that the frames file reader accepts: a
 * translation within FF_FRAMES_COORD_MAX of the origin in each coordinate,
 * every entry of R^T R - I at most 1e-6 and det R > 0.
 */
void fuzz_check_pose(const ff_pose *pose);

/*
 * Return the path of a file named name in a folder that this process
 * created under TMPDIR (or /tmp) on first use and removes at exit. Return
 * NULL, after a message on stderr, when the folder cannot be made.
 */
const char *fuzz_scratch_path(const char *name);

/* Replace the file at path by size bytes of data. Return 0 or -1. */
int fuzz_write_file(const char *path, const void *data, size_t size);

#endif
