/*
 * Run a fuzz target on saved inputs without libFuzzer: replay PATH...
 * calls LLVMFuzzerTestOneInput once on every file given and on every file
 * in every folder given (not recursing, skipping names that start with a
 * dot), in name order. A broken check aborts; a sanitizer build reports
 * what the sanitizers find. Exits non-zero when a path cannot be read or
 * no input was found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");

    if (fp == NULL) {
        fprintf(stderr, "replay: %s: cannot open: %s\n", path,
                strerror(errno));
        return -1;
    }
    long end = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    if (end < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: %s: not a regular file\n", path);
        fclose(fp);
        return -1;
    }
    // Exactly the bytes of the file, as libFuzzer passes them, so that
    // ASan catches a read past the end.
    size_t size = (size_t)end;
    uint8_t *data = malloc(size > 0 ? size : 1);
    if (data == NULL) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
        fclose(fp);
        return -1;
    }
    size_t got = fread(data, 1, size, fp);
    fclose(fp);
    if (got != size) {
        fprintf(stderr, "replay: %s: read failed\n", path);
        free(data);
        return -1;
    }
    printf("replay: %s (%zu bytes)\n", path, size);
    fflush(stdout);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every file in dir; add their number to *count. */
static int
replay_folder(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);

    if (d == NULL) {
        fprintf(stderr, "replay: %s: cannot open: %s\n", dir,
                strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    int status = 0;
    struct dirent *entry;
    while (status == 0 && (entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char **grown = realloc(names, (n + 1) * sizeof *names);
        char *name = strdup(entry->d_name);
        if (grown == NULL || name == NULL) {
            fprintf(stderr, "replay: %s: out of memory\n", dir);
            free(grown != NULL ? grown : names);
            names = NULL;
            free(name);
            n = 0;
            status = -1;
            break;
        }
        names = grown;
        names[n++] = name;
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof *names, compare_names);
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (status == 0) {
            status = replay_file(path);
            *count += status == 0;
        }
        free(names[i]);
    }
    free(names);
    return status;
}

int
main(int argc, char **argv)
{
    size_t count = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int status = S_ISDIR(st.st_mode) ? replay_folder(argv[i], &count)
                                         : replay_file(argv[i]);
        if (status != 0) {
            return 1;
        }
        count += !S_ISDIR(st.st_mode);
    }
    if (count == 0) {
        fprintf(stderr, "replay: no input found in the paths given\n");
        return 1;
    }
    printf("replay: %zu inputs, no failure\n", count);
    return 0;
}
