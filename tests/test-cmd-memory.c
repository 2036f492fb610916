/*
 * "frameflow frames" over many inputs, run as a program. Its peak memory
 * must not grow with the number of inputs, because at most a window of
 * results is read ahead of the one being written. The window must not
 * change the file written. The program's path comes from FF_FRAMEFLOW.
 *
 * To make the writer lag behind the readers whatever the machine's speed,
 * the peak is measured with the frames written into a pipe that is not
 * drained for the first PIPE_PAUSE_S seconds: the writer blocks, and
 * readers without a bound would read every input meanwhile. The bound holds
 * however long the pause is; a machine too slow to read the inputs in the
 * pause only shows a smaller growth when the bound is missing.
 */
// wait4, which returns the resource use of one child, is a BSD and Linux
// call outside POSIX.
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef UNDER_ADDRESS_SANITIZER
#define UNDER_ADDRESS_SANITIZER 0
#endif

/* Allowed growth of the peak from 50 to 400 inputs, KiB. Reading all 400
 * copies of 1crn ahead of the writer takes about 170 MiB. */
#define PEAK_GROWTH_MAX_KIB (16 * 1024L)

/* Seconds the pipe of the peak test stays undrained. */
#define PIPE_PAUSE_S 2

/* Start frameflow frames --list list --threads threads -o output -q with
 * stdout and stderr to the null device; return its process id. */
static pid_t
start_frames(const char *list, const char *threads, const char *output)
{
    const char *exe = getenv("FF_FRAMEFLOW");
    char *argv[] = {(char *)exe, "frames", "--list", (char *)list,
                    "--threads", (char *)threads, "-o", (char *)output,
                    "-q", NULL};

    ck_assert_msg(exe != NULL, "FF_FRAMEFLOW is not set");
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
            _exit(127);
        }
        execv(exe, argv);
        _exit(127);
    }
    return pid;
}

/* Return the exit status of wait4's wstatus, or -1 for a signal. */
static int
exit_status(int wstatus)
{
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

/* Run frames into the file output; return the exit status. */
static int
run_frames(const char *list, const char *threads, const char *output)
{
    pid_t pid = start_frames(list, threads, output);
    int wstatus = 0;

    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    return exit_status(wstatus);
}

/*
 * Run frames into a new pipe, drained only after PIPE_PAUSE_S seconds.
 * Return the exit status and store the peak resident set in *peak_kib.
 */
static int
run_frames_into_pipe(const char *list, const char *threads, long *peak_kib)
{
    char fifo[512];

    test_scratch_path(fifo, sizeof fifo, "frames.pipe");
    unlink(fifo);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    // Opened without blocking, so that a program that fails before it
    // opens the pipe cannot hang the test.
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    ck_assert_int_ge(fd, 0);
    pid_t pid = start_frames(list, threads, fifo);
    sleep(PIPE_PAUSE_S);

    // Drain until the program ends. An empty pipe reads as EAGAIN while
    // the program has it open, and as end of file before it opens it.
    const struct timespec pause = {0, 10000000};
    int wstatus = 0;
    struct rusage usage;
    for (;;) {
        char buffer[1 << 16];
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got > 0) {
            continue;
        }
        ck_assert_msg(got == 0 || errno == EAGAIN, "reading the pipe: %s",
                      strerror(errno));
        pid_t done = wait4(pid, &wstatus, WNOHANG, &usage);
        ck_assert_int_ge(done, 0);
        if (done == pid) {
            break;
        }
        nanosleep(&pause, NULL);
    }
    close(fd);
    unlink(fifo);
    *peak_kib = usage.ru_maxrss;  // KiB on Linux
    return exit_status(wstatus);
}

/* Write a list naming each path in paths, in turn, count lines in all. */
static void
write_list(const char *list, const char *const *paths, size_t path_count,
           size_t count)
{
    FILE *f = fopen(list, "w");

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        test_source_path(path, sizeof path, paths[i % path_count]);
        fprintf(f, "%s\n", path);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* Return the content of path (malloc'd) and its size in *size. */
static char *
read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long length = ftell(f);
    ck_assert_int_ge(length, 0);
    rewind(f);
    char *data = malloc((size_t)length + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)length, f), (size_t)length);
    fclose(f);
    *size = (size_t)length;
    return data;
}

START_TEST(cmd_memory_peak_does_not_grow)
{
    if (UNDER_ADDRESS_SANITIZER) {
        // The sanitizer keeps freed memory in quarantine, so the peak
        // grows with the work done whatever the program keeps.
        printf("cmd_memory_peak_does_not_grow: skipped under "
               "AddressSanitizer\n");
        return;
    }

    static const char *const crambin[] = {"datasets/1crn.pdb"};
    char list[512];
    long peak_few = 0;
    long peak_many = 0;

    test_scratch_path(list, sizeof list, "inputs.txt");
    write_list(list, crambin, 1, 50);
    ck_assert_int_eq(run_frames_into_pipe(list, "2", &peak_few), 0);
    write_list(list, crambin, 1, 400);
    ck_assert_int_eq(run_frames_into_pipe(list, "2", &peak_many), 0);
    unlink(list);

    printf("cmd_memory_peak_does_not_grow: peak %ld KiB over 50 inputs, "
           "%ld KiB over 400\n", peak_few, peak_many);
    ck_assert_int_gt(peak_few, 0);
    ck_assert_msg(peak_many <= peak_few + PEAK_GROWTH_MAX_KIB,
                  "peak memory grew from %ld KiB over 50 inputs to %ld KiB "
                  "over 400", peak_few, peak_many);
}
END_TEST

START_TEST(cmd_memory_threads_give_same_file)
{
    // Inputs of different sizes, so that threads finish out of order and
    // the window fills.
    static const char *const mixed[] = {
        "datasets/3BDY.pdb", "datasets/1crn.pdb", "datasets/1l2y.pdb.gz",
        "datasets/7gsa.cif", "datasets/1pfe.cif.gz", "datasets/1bni.pdb",
        "datasets/3JQH.cif",
    };
    static const char *const threads[] = {"1", "2", "3"};
    char list[512];
    char output[512];
    char *first = NULL;
    size_t first_size = 0;

    test_scratch_path(list, sizeof list, "mixed.txt");
    test_scratch_path(output, sizeof output, "mixed.tsv");
    write_list(list, mixed, sizeof mixed / sizeof mixed[0], 21);
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        ck_assert_int_eq(run_frames(list, threads[t], output), 0);
        size_t size = 0;
        char *data = read_file(output, &size);
        if (first == NULL) {
            first = data;
            first_size = size;
            continue;
        }
        ck_assert_msg(size == first_size
                      && memcmp(data, first, size) == 0,
                      "--threads %s wrote another file than --threads 1",
                      threads[t]);
        free(data);
    }
    free(first);
    unlink(list);
    unlink(output);
}
END_TEST

static Suite *
cmd_memory_suite(void)
{
    Suite *s = suite_create("cmd-memory");

    TEST_ADD(s, cmd_memory_peak_does_not_grow);
    TEST_ADD(s, cmd_memory_threads_give_same_file);
    return s;
}

int
main(void)
{
    return test_run_suite(cmd_memory_suite()) == 0 ? 0 : 1;
}
