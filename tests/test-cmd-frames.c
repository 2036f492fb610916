/*
 * "frameflow frames" run as a program: the frames it writes, its summary,
 * and one clear line with a non-zero status and no output file for each
 * kind of bad input. The program's path comes from FF_FRAMEFLOW.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "frameflow/frames.h"
#include "testutil.h"

#define MAX_ARGS 32

typedef struct run_result {
    int status;          /* exit status, or -1 when killed by a signal */
    char out[1 << 16];   /* stdout, truncated */
    char err[1 << 14];   /* stderr, truncated */
} run_result;

static void
read_all(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(buf, 1, size - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

/* Run frameflow with the NULL-terminated arguments after the program. */
static void
run_frameflow(run_result *r, const char *const *args)
{
    const char *exe = getenv("FF_FRAMEFLOW");
    char out_path[512];
    char err_path[512];
    char *argv[MAX_ARGS + 2];
    int argc = 0;

    ck_assert_msg(exe != NULL, "FF_FRAMEFLOW is not set");
    argv[argc++] = (char *)exe;
    for (; args[argc - 1] != NULL && argc <= MAX_ARGS; argc++) {
        argv[argc] = (char *)args[argc - 1];
    }
    argv[argc] = NULL;
    test_scratch_path(out_path, sizeof out_path, "run.out");
    test_scratch_path(err_path, sizeof err_path, "run.err");

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) {
            _exit(127);
        }
        execv(exe, argv);
        _exit(127);
    }
    int wstatus = 0;
    ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
    r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    read_all(out_path, r->out, sizeof r->out);
    read_all(err_path, r->err, sizeof r->err);
    unlink(out_path);
    unlink(err_path);
}

static int
count_lines(const char *text)
{
    int n = 0;

    for (; *text != '\0'; text++) {
        n += *text == '\n';
    }
    return n;
}

/* Make a fresh empty scratch folder for one run's output. */
static void
make_folder(char *path, size_t size, const char *name)
{
    test_scratch_path(path, size, name);
    mkdir(path, 0755);
}

/* Return the number of entries in folder other than . and .. */
static int
folder_entries(const char *folder)
{
    DIR *dir = opendir(folder);
    int n = 0;

    ck_assert_ptr_nonnull(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(dir);
    return n;
}

static void
remove_folder(const char *folder)
{
    DIR *dir = opendir(folder);
    char path[1024];

    if (dir == NULL) {
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", folder, e->d_name);
            unlink(path);
        }
    }
    closedir(dir);
    rmdir(folder);
}

static void
write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    fclose(f);
}

START_TEST(cmd_frames_writes_frames_file)
{
    char folder[512];
    char output[600];
    char input[512];
    run_result r;
    ff_error err;

    make_folder(folder, sizeof folder, "one");
    snprintf(output, sizeof output, "%s/crn.tsv.gz", folder);
    test_source_path(input, sizeof input, "datasets/1crn.pdb");
    const char *args[] = {"frames", input, "-o", output, NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "%s", r.err);

    ff_frameset *set = ff_frameset_read(output, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    // 46 residues, 45 linked pairs, 19 frames between each pair.
    ck_assert_uint_eq(set->count, 46 + 45 * 19);
    ck_assert_str_eq(set->sources[0], input);
    ff_frameset_free(set);
    remove_folder(folder);
}
END_TEST

/* One row of datasets/EXPECTED.tsv: the counts of one chain. */
typedef struct expected_row {
    char file[64];
    int model;
    char chain[16];
    int residues;
    int complete;   /* residues with N, CA and C */
    int breaks;
} expected_row;

/* Open datasets/EXPECTED.tsv past its header line. */
static FILE *
open_expected(void)
{
    char path[512];
    char header[2048];

    test_source_path(path, sizeof path, "datasets/EXPECTED.tsv");
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(header, sizeof header, f));
    return f;
}

/* Read the next row; return 0 at the end of the file. */
static int
next_expected(FILE *f, expected_row *row)
{
    char line[2048];

    if (fgets(line, sizeof line, f) == NULL) {
        return 0;
    }
    ck_assert_int_eq(sscanf(line, "%63s %d %15s %d %d %d", row->file,
                            &row->model, row->chain, &row->residues,
                            &row->complete, &row->breaks),
                     6);
    return 1;
}

START_TEST(cmd_frames_summary_matches_expected)
{
    char folder[512];
    char output[600];
    char datasets[512];
    run_result r;

    make_folder(folder, sizeof folder, "all");
    snprintf(output, sizeof output, "%s/all.tsv", folder);
    test_source_path(datasets, sizeof datasets, "datasets");
    const char *args[] = {"frames", datasets, "-o", output, "--summary",
                          "--interpolate", "0", "-q", NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    // -q keeps the warnings about 1lzh's chains without frames off stderr;
    // the summary lists them with 0 frames.
    ck_assert_int_eq(count_lines(r.err), 0);
    ck_assert_int_eq(count_lines(r.out), 31);

    // Each row of EXPECTED.tsv has its line: file, model, chain, residues,
    // frames + rejected = complete, breaks.
    FILE *f = open_expected();
    expected_row e;
    while (next_expected(f, &e)) {
        char row[1024];
        snprintf(row, sizeof row, "%s/%s\t%d\t%s\t%d\t%d\t%d\t0\t%d\t0\n",
                 datasets, e.file, e.model, e.chain, e.residues, e.complete,
                 e.residues - e.complete, e.breaks);
        ck_assert_msg(strstr(r.out, row) != NULL, "summary lacks '%s'", row);
    }
    fclose(f);

    // The frames file read again gives a row per chain that has frames,
    // named by its source, with - for the counts it does not record.
    char again[600];
    snprintf(again, sizeof again, "%s/again.tsv", folder);
    const char *reread[] = {"frames", output, "-o", again, "--summary", "-q",
                            NULL};
    run_frameflow(&r, reread);
    ck_assert_msg(r.status == 0, "%s", r.err);
    char row[1024];
    snprintf(row, sizeof row, "%s/1crn.pdb\t1\tA\t46\t46\t-\t-\t-\t0\n",
             datasets);
    ck_assert_msg(strstr(r.out, row) != NULL, "summary lacks '%s'", row);
    remove_folder(folder);
}
END_TEST

/* Index of the kind line that a shipped file's name implies. */
static int
kind_of_name(const char *file)
{
    size_t n = strlen(file);
    int gzip = n > 3 && strcmp(file + n - 3, ".gz") == 0;
    int mmcif = strstr(file, ".cif") != NULL;
    return 2 * mmcif + gzip;
}

START_TEST(cmd_frames_counts_sources)
{
    static const char *const names[4] = {"PDB", "PDB, gzip", "mmCIF",
                                          "mmCIF, gzip"};
    size_t files[4] = {0};
    size_t chains[4] = {0};
    size_t frames[4] = {0};
    char folder[512];
    char output[600];
    char datasets[512];
    char last_file[64] = "";
    run_result r;

    make_folder(folder, sizeof folder, "kinds");
    snprintf(output, sizeof output, "%s/all.tsv.gz", folder);
    test_source_path(datasets, sizeof datasets, "datasets");
    const char *args[] = {"frames", datasets, "-o", output,
                          "--interpolate", "0", NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "%s", r.err);

    // The counts per kind follow from EXPECTED.tsv, with the kind taken
    // from each file's name, whereas the program finds it by content.
    FILE *f = open_expected();
    expected_row e;
    while (next_expected(f, &e)) {
        int k = kind_of_name(e.file);
        if (strcmp(e.file, last_file) != 0) {
            files[k]++;
            snprintf(last_file, sizeof last_file, "%s", e.file);
        }
        chains[k] += e.complete > 0;
        frames[k] += (size_t)e.complete;
    }
    fclose(f);
    for (int k = 0; k < 4; k++) {
        char expected[256];
        snprintf(expected, sizeof expected, "frameflow:   %-18s %6zu file%s "
                 "%7zu chain%s %9zu frames\n", names[k], files[k],
                 files[k] == 1 ? " " : "s", chains[k],
                 chains[k] == 1 ? " " : "s", frames[k]);
        ck_assert_msg(files[k] > 0, "no shipped file of kind %s", names[k]);
        ck_assert_msg(strstr(r.err, expected) != NULL,
                      "stderr lacks '%s':\n%s", expected, r.err);
    }

    // The frames file just written, read back gzip-compressed and plain.
    char plain[600];
    snprintf(plain, sizeof plain, "%s/copy.tsv", folder);
    ff_error err;
    ff_frameset *set = ff_frameset_read(output, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    ck_assert_int_eq(ff_frameset_write(set, plain, &err), 0);
    size_t all_frames = set->count;
    ff_frameset_free(set);
    size_t all_chains = chains[0] + chains[1] + chains[2] + chains[3];
    char again[600];
    snprintf(again, sizeof again, "%s/again.tsv", folder);
    const char *reread[] = {"frames", output, plain, "-o", again, NULL};
    run_frameflow(&r, reread);
    ck_assert_msg(r.status == 0, "%s", r.err);
    const char *kinds[2] = {"frames file", "frames file, gzip"};
    for (int k = 0; k < 2; k++) {
        char expected[256];
        snprintf(expected, sizeof expected, "frameflow:   %-18s %6d file  "
                 "%7zu chains %9zu frames\n", kinds[k], 1, all_chains,
                 all_frames);
        ck_assert_msg(strstr(r.err, expected) != NULL,
                      "stderr lacks '%s':\n%s", expected, r.err);
    }
    remove_folder(folder);
}
END_TEST

START_TEST(cmd_frames_keeps_input_order)
{
    char folder[512];
    char output[600];
    char list[600];
    char a[512];
    char b[512];
    run_result r;
    ff_error err;

    make_folder(folder, sizeof folder, "order");
    snprintf(output, sizeof output, "%s/order.tsv", folder);
    snprintf(list, sizeof list, "%s/inputs.txt", folder);
    test_source_path(a, sizeof a, "datasets/7gsa.cif");
    test_source_path(b, sizeof b, "datasets/1crn.pdb");
    FILE *f = fopen(list, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# the large one first\n%s\n\n%s\n", a, b);
    fclose(f);

    const char *args[] = {"frames", "--list", list, b, "-o", output,
                          "--threads", "2", "-q", NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ff_frameset *set = ff_frameset_read(output, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    ck_assert_str_eq(set->sources[set->labels[0].source], a);
    ck_assert_str_eq(set->sources[set->labels[set->count - 1].source], b);
    size_t switches = 0;
    for (size_t i = 1; i < set->count; i++) {
        switches += set->labels[i].source != set->labels[i - 1].source;
    }
    // 7gsa, then 1crn from the list, then 1crn again from the argument.
    ck_assert_uint_eq(switches, 1);
    ck_assert_uint_eq(set->count, (284 + 283 * 19) + 2 * (46 + 45 * 19));
    ff_frameset_free(set);
    remove_folder(folder);
}
END_TEST

START_TEST(cmd_frames_threads_give_same_file)
{
    char folder[512];
    char one[600];
    char two[600];
    char datasets[512];
    run_result r;

    make_folder(folder, sizeof folder, "threads");
    snprintf(one, sizeof one, "%s/one.tsv", folder);
    snprintf(two, sizeof two, "%s/two.tsv", folder);
    test_source_path(datasets, sizeof datasets, "datasets");
    const char *args1[] = {"frames", datasets, "-o", one, "--threads", "1",
                           "-q", "--interpolate", "2", NULL};
    const char *args2[] = {"frames", datasets, "-o", two, "--threads", "2",
                           "-q", "--interpolate", "2", NULL};
    run_frameflow(&r, args1);
    ck_assert_msg(r.status == 0, "%s", r.err);
    run_frameflow(&r, args2);
    ck_assert_msg(r.status == 0, "%s", r.err);

    FILE *fa = fopen(one, "rb");
    FILE *fb = fopen(two, "rb");
    ck_assert_ptr_nonnull(fa);
    ck_assert_ptr_nonnull(fb);
    long offset = 0;
    int ca;
    int cb;
    do {
        ca = fgetc(fa);
        cb = fgetc(fb);
        ck_assert_msg(ca == cb, "files differ at byte %ld", offset);
        offset++;
    } while (ca != EOF);
    fclose(fa);
    fclose(fb);
    remove_folder(folder);
}
END_TEST

/* Run frames on input with extra arguments and expect failure: status,
 * one line on stderr that contains fragment, and nothing left in the
 * output folder. */
static void
expect_failure(const char *input, const char *extra, int status,
               const char *fragment)
{
    char folder[512];
    char output[600];
    run_result r;

    make_folder(folder, sizeof folder, "bad");
    snprintf(output, sizeof output, "%s/out.tsv.gz", folder);
    const char *args[] = {"frames", input, "-o", output, "-q", extra, NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == status, "%s: status %d, expected %d; %s",
                  input, r.status, status, r.err);
    ck_assert_msg(count_lines(r.err) == 1, "%s: expected one line: %s",
                  input, r.err);
    ck_assert_msg(strncmp(r.err, "frameflow: ", 11) == 0, "%s", r.err);
    ck_assert_msg(strstr(r.err, fragment) != NULL, "'%s' lacks '%s'", r.err,
                  fragment);
    // No output file and no temporary file beside it.
    ck_assert_int_eq(folder_entries(folder), 0);
    remove_folder(folder);
}

START_TEST(cmd_frames_rejects_bad_inputs)
{
    char path[512];
    char empty_folder[512];
    unsigned char noise[2048];
    ff_rng rng;

    expect_failure("/nonexistent/x.pdb", NULL, 1,
                   "/nonexistent/x.pdb: cannot open");

    make_folder(empty_folder, sizeof empty_folder, "no-structures");
    expect_failure(empty_folder, NULL, 1, "no structure files");
    rmdir(empty_folder);

    test_scratch_path(path, sizeof path, "empty.pdb");
    write_file(path, "", 0);
    expect_failure(path, NULL, 1, "empty.pdb: empty file");

    ff_rng_init(&rng, 9, FF_RNG_STREAM_USER, 0, 0);
    for (size_t i = 0; i < sizeof noise; i++) {
        noise[i] = (unsigned char)(256.0 * ff_rng_uniform(&rng));
    }
    write_file(path, noise, sizeof noise);
    expect_failure(path, NULL, 1, "binary content");

    // A gzip cut in half.
    FILE *f = fopen(FF_SOURCE_DIR "/datasets/1l2y.pdb.gz", "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char bytes[1 << 18];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    test_scratch_path(path, sizeof path, "cut.pdb.gz");
    write_file(path, bytes, n / 2);
    expect_failure(path, NULL, 1, "truncated gzip");
    unlink(path);

    test_scratch_path(path, sizeof path, "dna.pdb");
    const char *dna =
        "ATOM      1  P    DG B   1       0.000   0.000   0.000  1.00 20.00"
        "           P\n"
        "ATOM      2  C1'  DG B   1       1.000   0.000   0.000  1.00 20.00"
        "           C\n";
    write_file(path, dna, strlen(dna));
    expect_failure(path, NULL, 1, "no amino-acid residues");

    // Beside a protein, the same file only gives no frames: a folder of
    // entries may hold nucleic acids.
    char folder[512];
    char output[600];
    run_result r;
    make_folder(folder, sizeof folder, "mixed");
    snprintf(output, sizeof output, "%s/out.tsv", folder);
    const char *args[] = {"frames", path, FF_SOURCE_DIR "/datasets/1crn.pdb",
                          "-o", output, NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "no amino-acid residues"));
    ck_assert_int_eq(folder_entries(folder), 1);
    remove_folder(folder);

    const char *water =
        "HETATM    1  O   HOH A   1       1.000   2.000   3.000  1.00 20.00"
        "           O\n";
    write_file(path, water, strlen(water));
    expect_failure(path, NULL, 1, "no amino-acid residues");
    unlink(path);

    expect_failure(FF_SOURCE_DIR "/datasets/1crn.pdb", "--chain=Z", 1,
                   "no chain 'Z'");
    expect_failure(FF_SOURCE_DIR "/datasets/1crn.pdb", "--range=A:300-400",
                   1, "residue ranges");
    expect_failure(FF_SOURCE_DIR "/datasets/1lzh.pdb.gz", NULL, 1,
                   "no residue has usable N, CA and C");
    expect_failure(FF_SOURCE_DIR "/datasets/1crn.pdb", "--range=A:9-1", 2,
                   "first residue comes after the last");
    expect_failure(FF_SOURCE_DIR "/datasets/1crn.pdb", "--interpolate=-1",
                   2, "--interpolate");
    expect_failure(FF_SOURCE_DIR "/datasets/1crn.pdb", "--altloc=best", 2,
                   "--altloc");
}
END_TEST

START_TEST(cmd_frames_far_residue_is_rejected)
{
    char folder[512];
    char input[600];
    char output[600];
    run_result r;
    ff_error err;

    make_folder(folder, sizeof folder, "far");
    snprintf(input, sizeof input, "%s/far.pdb", folder);
    snprintf(output, sizeof output, "%s/far.tsv", folder);
    const char *text =
        "ATOM      1  N   GLY A   1       0.000   0.000   0.000  1.00 20.00\n"
        "ATOM      2  CA  GLY A   1       1.458   0.000   0.000  1.00 20.00\n"
        "ATOM      3  C   GLY A   1       2.009   1.420   0.000  1.00 20.00\n"
        "ATOM      4  N   GLY A   2       3.300   1.600   0.000  1.00 20.00\n"
        "ATOM      5  CA  GLY A   2    99999999   2.900   0.100  1.00 20.00\n"
        "ATOM      6  C   GLY A   2       5.300   3.000   0.000  1.00 20.00\n";
    write_file(input, text, strlen(text));
    const char *args[] = {"frames", input, "-o", output, NULL};
    run_frameflow(&r, args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.err, "1 residue rejected") != NULL, "%s", r.err);
    ck_assert_msg(strstr(r.err, "first at 2") != NULL, "%s", r.err);
    ff_frameset *set = ff_frameset_read(output, &err);
    ck_assert_ptr_nonnull(set);
    ck_assert_uint_eq(set->count, 1);
    ff_frameset_free(set);
    remove_folder(folder);
}
END_TEST

START_TEST(cmd_frames_keep_going_skips)
{
    char folder[512];
    char bad[600];
    char output[600];
    char good[512];
    run_result r;
    ff_error err;

    make_folder(folder, sizeof folder, "keep");
    snprintf(bad, sizeof bad, "%s/bad.pdb", folder);
    snprintf(output, sizeof output, "%s/out.tsv", folder);
    write_file(bad, "", 0);
    test_source_path(good, sizeof good, "datasets/1crn.pdb");
    const char *args[] = {"frames", bad, good, "-o", output, "--keep-going",
                          "-q", NULL};
    run_frameflow(&r, args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "1 of 2 inputs were skipped") != NULL, "%s",
                  r.err);
    ff_frameset *set = ff_frameset_read(output, &err);
    ck_assert_msg(set != NULL, "%s", err.message);
    ck_assert_str_eq(set->sources[0], good);
    ff_frameset_free(set);

    // Without --keep-going the first bad input stops the run.
    unlink(output);
    const char *strict[] = {"frames", good, bad, "-o", output, "-q", NULL};
    run_frameflow(&r, strict);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "bad.pdb: empty file") != NULL, "%s", r.err);
    ck_assert_int_ne(access(output, F_OK), 0);
    remove_folder(folder);
}
END_TEST

START_TEST(cmd_frames_help_lists_options)
{
    run_result r;
    const char *args[] = {"frames", "--help", NULL};
    const char *options[] = {"--output", "--summary", "--list",
                             "--keep-going", "--threads", "--model",
                             "--chain", "--range", "--altloc",
                             "--interpolate", "default: occupancy",
                             "default: 19", "--quiet", "--verbose"};

    run_frameflow(&r, args);
    ck_assert_int_eq(r.status, 0);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        ck_assert_msg(strstr(r.out, options[i]) != NULL, "help lacks %s",
                      options[i]);
    }

    const char *top[] = {"--help", NULL};
    run_frameflow(&r, top);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "frames"));

    const char *version[] = {"--version", NULL};
    run_frameflow(&r, version);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "gemmi "));

    const char *missing[] = {"frames", FF_SOURCE_DIR "/datasets/1crn.pdb",
                             NULL};
    run_frameflow(&r, missing);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "missing -o FILE"));
}
END_TEST

static Suite *
cmd_frames_suite(void)
{
    Suite *s = suite_create("cmd-frames");

    TEST_ADD(s, cmd_frames_writes_frames_file);
    TEST_ADD(s, cmd_frames_summary_matches_expected);
    TEST_ADD(s, cmd_frames_counts_sources);
    TEST_ADD(s, cmd_frames_keeps_input_order);
    TEST_ADD(s, cmd_frames_threads_give_same_file);
    TEST_ADD(s, cmd_frames_rejects_bad_inputs);
    TEST_ADD(s, cmd_frames_far_residue_is_rejected);
    TEST_ADD(s, cmd_frames_keep_going_skips);
    TEST_ADD(s, cmd_frames_help_lists_options);
    return s;
}

int
main(void)
{
    return test_run_suite(cmd_frames_suite()) == 0 ? 0 : 1;
}
