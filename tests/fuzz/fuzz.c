#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frameflow/frames.h"
#include "frameflow/so3.h"

/* Names fuzz_scratch_path has handed out, removed at exit. */
#define SCRATCH_NAMES_MAX 8

static char scratch_dir[4096];
static char scratch_paths[SCRATCH_NAMES_MAX][4096 + 64];
static int scratch_count;

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}

void
fuzz_check_error(int status, const ff_error *err)
{
    if (!(status < 0 && err->code == status)) {
        fprintf(stderr, "status %d, error code %d: %s\n", status, err->code,
                err->message);
    }
    FUZZ_CHECK(status < 0);
    FUZZ_CHECK(err->code == status);
    FUZZ_CHECK(err->message[0] != '\0');
    FUZZ_CHECK(strpbrk(err->message, "\n\r") == NULL);
}

void
fuzz_check_pose(const ff_pose *pose)
{
    for (int k = 0; k < 3; k++) {
        FUZZ_CHECK(fabs(pose->x[k]) <= FF_FRAMES_COORD_MAX);
    }
    double orth = ff_so3_orthonormality_error(pose->R);
    double det = ff_so3_det(pose->R);
    if (!(orth <= 1e-6 && det > 0.0)) {
        fprintf(stderr, "R^T R - I entry %.3g, det %.17g\n", orth, det);
    }
    FUZZ_CHECK(orth <= 1e-6);
    FUZZ_CHECK(det > 0.0);
}

static void
remove_scratch(void)
{
    for (int i = 0; i < scratch_count; i++) {
        unlink(scratch_paths[i]);
    }
    if (scratch_dir[0] != '\0') {
        rmdir(scratch_dir);
    }
}

const char *
fuzz_scratch_path(const char *name)
{
    for (int i = 0; i < scratch_count; i++) {
        const char *base = strrchr(scratch_paths[i], '/') + 1;
        if (strcmp(base, name) == 0) {
            return scratch_paths[i];
        }
    }
    if (scratch_dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] == '\0') {
            tmp = "/tmp";
        }
        snprintf(scratch_dir, sizeof scratch_dir, "%s/frameflow-fuzz-XXXXXX",
                 tmp);
        if (mkdtemp(scratch_dir) == NULL) {
            perror(scratch_dir);
            scratch_dir[0] = '\0';
            return NULL;
        }
        atexit(remove_scratch);
    }
    FUZZ_CHECK(scratch_count < SCRATCH_NAMES_MAX);
    FUZZ_CHECK(strlen(name) < 64);
    char *path = scratch_paths[scratch_count++];
    snprintf(path, sizeof scratch_paths[0], "%s/%s", scratch_dir, name);
    return path;
}

int
fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");

    if (fp == NULL) {
        perror(path);
        return -1;
    }
    size_t written = size > 0 ? fwrite(data, 1, size, fp) : 0;
    if (fclose(fp) != 0 || written != size) {
        perror(path);
        return -1;
    }
    return 0;
}
