#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "frameflow/backbone.h"
#include "frameflow/frames.h"
#include "frameflow/rng.h"
#include "frameflow/se3.h"
#include "frameflow/so3.h"
#include "testutil.h"

/* Coordinates are written with three decimals: each is off by at most
 * 5e-4 A. */
#define COORD_TOL 5.0001e-4
/* The rotation built back from atoms 1.5 A apart, each off by 5e-4 A in
 * each coordinate, is off by about 1e-3 rad; 2e-3 leaves a margin. */
#define ANGLE_TOL 2e-3

static ff_pose *
random_poses(size_t n, uint64_t seed, double spread)
{
    ff_pose *p = calloc(n, sizeof *p);
    ff_rng rng;

    ff_rng_init(&rng, seed, FF_RNG_STREAM_USER, 0, 0);
    for (size_t j = 0; j < n; j++) {
        ff_rng_rotation_uniform(p[j].R, &rng);
        for (int c = 0; c < 3; c++) {
            p[j].x[c] = spread * ff_rng_normal(&rng);
        }
    }
    return p;
}

/* Build a frame from N, CA, C as a structure reader does: e0 along
 * CA - N, e1 the part of C - CA orthogonal to e0, e2 = e0 x e1. */
static void
frame_from_atoms(ff_pose *p, const double N[3], const double CA[3],
                 const double C[3])
{
    double e0[3];
    double e1[3];
    double n0 = 0.0;
    double dot = 0.0;
    double n1 = 0.0;

    for (int c = 0; c < 3; c++) {
        e0[c] = CA[c] - N[c];
        n0 += e0[c] * e0[c];
    }
    for (int c = 0; c < 3; c++) {
        e0[c] /= sqrt(n0);
        dot += (C[c] - CA[c]) * e0[c];
    }
    for (int c = 0; c < 3; c++) {
        e1[c] = C[c] - CA[c] - dot * e0[c];
        n1 += e1[c] * e1[c];
    }
    for (int c = 0; c < 3; c++) {
        e1[c] /= sqrt(n1);
    }
    const double e2[3] = {e0[1] * e1[2] - e0[2] * e1[1],
                          e0[2] * e1[0] - e0[0] * e1[2],
                          e0[0] * e1[1] - e0[1] * e1[0]};
    for (int r = 0; r < 3; r++) {
        p->R[3 * r + 0] = e0[r];
        p->R[3 * r + 1] = e1[r];
        p->R[3 * r + 2] = e2[r];
        p->x[r] = CA[r];
    }
}

/* A file read into memory as lines. */
typedef struct lines {
    char **line;
    size_t count;
} lines;

static lines
read_lines(const char *path)
{
    lines out = {NULL, 0};
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t capacity = 0;

    ck_assert_ptr_nonnull(f);
    while (fgets(buf, sizeof buf, f) != NULL) {
        if (out.count == capacity) {
            capacity = capacity ? 2 * capacity : 1024;
            out.line = realloc(out.line, capacity * sizeof *out.line);
        }
        buf[strcspn(buf, "\n")] = '\0';
        out.line[out.count++] = strdup(buf);
    }
    fclose(f);
    return out;
}

static void
free_lines(lines *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->line[i]);
    }
    free(l->line);
}

/* Parse columns first .. last (1-based, inclusive) of a line as a number. */
static double
column_number(const char *line, int first, int last)
{
    char field[32];
    int len = last - first + 1;

    ck_assert_int_ge((int)strlen(line), last);
    memcpy(field, line + first - 1, (size_t)len);
    field[len] = '\0';
    char *end = NULL;
    double v = strtod(field, &end);
    ck_assert_msg(end != field, "no number in columns %d-%d of '%s'", first,
                  last, line);
    return v;
}

static int
starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Compare poses built back from the atoms of a file with the originals. */
static void
assert_frames_match(const ff_pose *got, const ff_pose *want, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        for (int c = 0; c < 3; c++) {
            ck_assert_double_eq_tol(got[j].x[c], want[j].x[c], COORD_TOL);
        }
        double angle = ff_so3_angle(got[j].R, want[j].R);
        ck_assert_msg(angle < ANGLE_TOL, "frame %zu is off by %g rad", j,
                      angle);
    }
}

START_TEST(backbone_atoms_ideal_geometry)
{
    ff_pose *p = random_poses(50, 3, 10.0);

    for (size_t j = 0; j < 50; j++) {
        double a[9];
        ff_backbone_atoms(a, &p[j]);
        double nca[3];
        double cac[3];
        for (int c = 0; c < 3; c++) {
            nca[c] = a[c] - a[3 + c];
            cac[c] = a[6 + c] - a[3 + c];
            ck_assert_double_eq_tol(a[3 + c], p[j].x[c], 1e-12);
        }
        double l1 = sqrt(nca[0] * nca[0] + nca[1] * nca[1] + nca[2] * nca[2]);
        double l2 = sqrt(cac[0] * cac[0] + cac[1] * cac[1] + cac[2] * cac[2]);
        double cosine = (nca[0] * cac[0] + nca[1] * cac[1] + nca[2] * cac[2])
                        / (l1 * l2);
        // The ideal alanine backbone: N-CA 1.4606 A, CA-C 1.5260 A,
        // N-CA-C 111.07 degrees; the C position is given to 1e-4 A.
        ck_assert_double_eq_tol(l1, 1.4606, 1e-12);
        ck_assert_double_eq_tol(l2, 1.5260, 1e-4);
        ck_assert_double_eq_tol(acos(cosine) * 180.0 / M_PI, 111.07, 5e-3);

        // The frame built back from exact atoms is the pose itself.
        ff_pose back;
        frame_from_atoms(&back, &a[0], &a[3], &a[6]);
        ck_assert_double_le(test_max_diff(back.R, p[j].R, 9), 1e-12);
    }
    free(p);
}
END_TEST

/* Read the N, CA, C atoms of a frameflow PDB file back into frames. */
static ff_pose *
read_pdb_frames(const lines *l, size_t *count)
{
    ff_pose *out = calloc(l->count / 3 + 1, sizeof *out);
    double atoms[3][3];
    int seen = 0;

    *count = 0;
    for (size_t i = 0; i < l->count; i++) {
        const char *s = l->line[i];
        if (!starts_with(s, "ATOM  ")) {
            continue;
        }
        for (int c = 0; c < 3; c++) {
            atoms[seen][c] = column_number(s, 31 + 8 * c, 38 + 8 * c);
        }
        if (++seen == 3) {
            frame_from_atoms(&out[(*count)++], atoms[0], atoms[1], atoms[2]);
            seen = 0;
        }
    }
    ck_assert_int_eq(seen, 0);
    return out;
}

START_TEST(backbone_pdb_round_trip)
{
    char path[512];
    test_scratch_path(path, sizeof path, "round.pdb");
    size_t n = 200;
    ff_pose *p = random_poses(n, 5, 30.0);
    const char *remarks[] = {"model: toy.ffm", "sampler: follow, seed 7"};
    ff_backbone_info info = {"frameflow samples", remarks, 2, NULL};
    ff_error err;

    ck_assert_int_eq(ff_backbone_write_pdb(path, p, n, &info, &err), 0);
    lines l = read_lines(path);
    size_t count = 0;
    ff_pose *back = read_pdb_frames(&l, &count);
    ck_assert_uint_eq(count, n);
    assert_frames_match(back, p, n);

    // Fixed columns: every line is 80 wide, the first is HEADER, remarks
    // carry the caller's lines, and the file ends with TER, END.
    for (size_t i = 0; i < l.count; i++) {
        ck_assert_uint_eq(strlen(l.line[i]), 80);
    }
    ck_assert(starts_with(l.line[0], "HEADER    "));
    ck_assert(starts_with(l.line[1], "TITLE     frameflow samples"));
    int found = 0;
    for (size_t i = 0; i < l.count; i++) {
        found += starts_with(l.line[i], "REMARK  99 model: toy.ffm ");
        found += starts_with(l.line[i], "REMARK  99 sampler: follow, seed 7");
    }
    ck_assert_int_eq(found, 2);
    ck_assert(starts_with(l.line[l.count - 2], "TER     601      GLY A 200"));
    ck_assert(starts_with(l.line[l.count - 1], "END "));
    const char *first = NULL;
    for (size_t i = 0; i < l.count && first == NULL; i++) {
        if (starts_with(l.line[i], "ATOM")) {
            first = l.line[i];
        }
    }
    ck_assert_ptr_nonnull(first);
    ck_assert_int_eq(strncmp(first, "ATOM      1  N   GLY A   1", 26), 0);
    ck_assert_int_eq(strncmp(first + 54, "  1.00  0.00           N  ", 26), 0);

    free(back);
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

START_TEST(backbone_pdb_continues_in_next_chain)
{
    char path[512];
    test_scratch_path(path, sizeof path, "chains.pdb");
    size_t n = 10001;
    ff_pose *p = random_poses(n, 6, 20.0);
    ff_error err;

    ck_assert_int_eq(ff_backbone_write_pdb(path, p, n, NULL, &err), 0);
    lines l = read_lines(path);
    size_t serial = 0;
    size_t ter = 0;
    char last_chain = 'A';
    int last_resseq = 0;
    for (size_t i = 0; i < l.count; i++) {
        const char *s = l.line[i];
        if (!starts_with(s, "ATOM  ") && !starts_with(s, "TER   ")) {
            continue;
        }
        // Serial numbers run on through TER records.
        ck_assert_uint_eq((size_t)column_number(s, 7, 11), ++serial);
        if (starts_with(s, "TER")) {
            ter++;
            continue;
        }
        char chain = s[21];
        int resseq = (int)column_number(s, 23, 26);
        ck_assert_int_ge(resseq, 1);
        ck_assert_int_le(resseq, 9999);
        if (chain != last_chain) {
            ck_assert_int_eq(last_resseq, 9999);
            ck_assert_int_eq(resseq, 1);
            last_chain = chain;
        }
        last_resseq = resseq;
    }
    // 9999 residues in A, 2 in B, each chain closed by TER.
    ck_assert_int_eq(last_chain, 'B');
    ck_assert_int_eq(last_resseq, 2);
    ck_assert_uint_eq(ter, 2);
    ck_assert_uint_eq(serial, 3 * n + 2);

    size_t count = 0;
    ff_pose *back = read_pdb_frames(&l, &count);
    ck_assert_uint_eq(count, n);
    assert_frames_match(back, p, n);
    free(back);
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

START_TEST(backbone_pdb_capacity_limit)
{
    char path[512];
    test_scratch_path(path, sizeof path, "full.pdb");
    size_t capacity = ff_backbone_pdb_capacity();
    ff_error err;

    // 33331 frames take 99993 atom serials and 4 TER serials, 99997 in
    // all; one frame more would need 100000.
    ck_assert_uint_eq(capacity, 33331);
    ff_pose *p = random_poses(capacity + 1, 7, 20.0);
    ck_assert_int_eq(ff_backbone_write_pdb(path, p, capacity + 1, NULL, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert(strstr(err.message, "33332 frames do not fit a PDB file (at "
                                  "most 33331, because atom serial numbers "
                                  "end at 99999); write mmCIF or a frames "
                                  "file instead") != NULL);
    ck_assert_int_ne(access(path, F_OK), 0);

    ck_assert_int_eq(ff_backbone_write_pdb(path, p, capacity, NULL, &err), 0);
    lines l = read_lines(path);
    ck_assert(starts_with(l.line[l.count - 2], "TER   99997      GLY D3334"));
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

START_TEST(backbone_rejects_unwritable_coordinates)
{
    char path[512];
    test_scratch_path(path, sizeof path, "wide.pdb");
    ff_pose *p = random_poses(3, 8, 1.0);
    ff_error err;

    // With the identity rotation C lies at x + (0.5485, 1.424, 0): CA fits
    // the columns, C does not.
    memset(p[1].R, 0, sizeof p[1].R);
    p[1].R[0] = 1.0;
    p[1].R[4] = 1.0;
    p[1].R[8] = 1.0;
    p[1].x[0] = 9999.7001;
    ck_assert_int_eq(ff_backbone_write_pdb(path, p, 3, NULL, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert(strstr(err.message, "frame 2 has the coordinate 10000.249, "
                                  "which does not fit the PDB columns "
                                  "(-999.999 to 9999.999); write mmCIF or a "
                                  "frames file instead") != NULL);
    ck_assert_int_ne(access(path, F_OK), 0);

    // N lies at x - (1.4606, 0, 0).
    p[1].x[0] = -999.0;
    ck_assert_int_eq(ff_backbone_write_pdb(path, p, 3, NULL, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert(strstr(err.message, "-1000.461") != NULL);

    // mmCIF has no width limit but still rejects non-finite numbers.
    test_scratch_path(path, sizeof path, "wide.cif");
    ck_assert_int_eq(ff_backbone_write_cif(path, p, 3, NULL, &err), 0);
    unlink(path);
    p[2].x[1] = NAN;
    ck_assert_int_eq(ff_backbone_write_cif(path, p, 3, NULL, &err),
                     FF_STATUS_ERR_NUMERIC);
    ck_assert(strstr(err.message, "frame 3 has a non-finite coordinate")
              != NULL);
    ck_assert_int_ne(access(path, F_OK), 0);
    free(p);
}
END_TEST

START_TEST(backbone_rejects_empty_and_unwritable)
{
    ff_pose p[1];
    ff_error err;

    memset(&p, 0, sizeof p);
    p[0].R[0] = 1.0;
    p[0].R[4] = 1.0;
    p[0].R[8] = 1.0;
    ck_assert_int_eq(ff_backbone_write_pdb("x.pdb", p, 0, NULL, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_str_eq(err.message, "x.pdb: no frames to write");
    ck_assert_int_eq(ff_backbone_write_pdb("/nonexistent-dir/x.pdb", p, 1,
                                           NULL, &err),
                     FF_STATUS_ERR_IO);
    ck_assert(strstr(err.message, "/nonexistent-dir/x.pdb") != NULL);
    ck_assert_int_eq(ff_backbone_write_cif("/nonexistent-dir/x.cif", p, 1,
                                           NULL, &err),
                     FF_STATUS_ERR_IO);
    ck_assert_int_eq(ff_backbone_write_pymol("/nonexistent-dir/x.pml",
                                             "x.pdb", "x", p, 1, 1.0, &err),
                     FF_STATUS_ERR_IO);
}
END_TEST

START_TEST(backbone_pdb_remarks_wrap)
{
    char path[512];
    test_scratch_path(path, sizeof path, "remarks.pdb");
    ff_pose *p = random_poses(2, 9, 1.0);
    const char *remarks[] = {
        "model: /a/rather/long/folder/name/that/goes/on/and/on/and/on/"
        "model-file-name.ffm trained for 30000 steps",
        "control\tcharacters\nbecome question marks",
    };
    ff_backbone_info info = {NULL, remarks, 2, NULL};
    ff_error err;

    ck_assert_int_eq(ff_backbone_write_pdb(path, p, 2, &info, &err), 0);
    lines l = read_lines(path);
    char joined[1024] = "";
    for (size_t i = 0; i < l.count; i++) {
        ck_assert_uint_eq(strlen(l.line[i]), 80);
        if (starts_with(l.line[i], "REMARK  99 ")) {
            char text[81];
            strcpy(text, l.line[i] + 11);
            size_t len = strlen(text);
            while (len > 0 && text[len - 1] == ' ') {
                text[--len] = '\0';
            }
            strcat(joined, text);
            strcat(joined, "|");
        }
    }
    // The long remark breaks at spaces, and inside a word longer than a
    // line; the default title stands in for a missing one.
    ck_assert(strstr(joined, "|model:|/a/rather/long/folder/name/that/goes/"
                             "on/and/on/and/on/model-file-name|.ffm trained "
                             "for 30000 steps|") != NULL);
    ck_assert(strstr(joined, "|control?characters?become question marks|")
              != NULL);
    ck_assert(starts_with(l.line[1], "TITLE     frameflow frames "));
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

/* Split a line at blanks into at most max fields; return the count. */
static int
split_fields(char *line, char **fields, int max)
{
    int n = 0;

    for (char *tok = strtok(line, " "); tok != NULL && n < max;
         tok = strtok(NULL, " ")) {
        fields[n++] = tok;
    }
    return n;
}

START_TEST(backbone_cif_round_trip)
{
    char path[512];
    test_scratch_path(path, sizeof path, "round.cif");
    size_t n = 40000;
    ff_pose *p = random_poses(n, 10, 40.0);
    const char *remarks[] = {"model: toy.ffm"};
    ff_backbone_info info = {"frameflow 'quoted' title", remarks, 1, NULL};
    ff_error err;

    // Beyond what a PDB file holds, and far out: mmCIF takes both.
    p[5].x[0] = 123456.0;
    ck_assert_int_eq(ff_backbone_write_cif(path, p, n, &info, &err), 0);
    lines l = read_lines(path);
    ck_assert_str_eq(l.line[0], "data_frameflow");
    ck_assert_str_eq(l.line[2], "# model: toy.ffm");

    // Find the loop's columns, then read the atoms by column index.
    int columns = 0;
    int cx = -1;
    int cname = -1;
    int cseq = -1;
    size_t i = 0;
    for (; i < l.count && !starts_with(l.line[i], "ATOM"); i++) {
        if (starts_with(l.line[i], "_atom_site.")) {
            const char *name = l.line[i] + strlen("_atom_site.");
            cx = strcmp(name, "Cartn_x") == 0 ? columns : cx;
            cname = strcmp(name, "label_atom_id") == 0 ? columns : cname;
            cseq = strcmp(name, "label_seq_id") == 0 ? columns : cseq;
            columns++;
        }
    }
    ck_assert_int_eq(columns, 18);
    ff_pose *back = calloc(n, sizeof *back);
    size_t count = 0;
    double atoms[3][3];
    static const char *const names[3] = {"N", "CA", "C"};
    for (int a = 0; i < l.count && starts_with(l.line[i], "ATOM"); i++) {
        char *fields[32];
        ck_assert_int_eq(split_fields(l.line[i], fields, 32), columns);
        ck_assert_str_eq(fields[cname], names[a]);
        ck_assert_uint_eq(strtoul(fields[cseq], NULL, 10), count + 1);
        for (int c = 0; c < 3; c++) {
            atoms[a][c] = strtod(fields[cx + c], NULL);
        }
        if (++a == 3) {
            frame_from_atoms(&back[count++], atoms[0], atoms[1], atoms[2]);
            a = 0;
        }
    }
    ck_assert_uint_eq(count, n);
    assert_frames_match(back, p, n);
    ck_assert_str_eq(l.line[l.count - 1], "#");
    free(back);
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

START_TEST(backbone_pymol_script_draws_triads)
{
    char path[512];
    test_scratch_path(path, sizeof path, "axes.pml");
    ff_pose *p = random_poses(7, 11, 5.0);
    ff_error err;

    ck_assert_int_eq(ff_backbone_write_pymol(path, "my \"odd\" name.pdb",
                                             "my-odd name", p, 7, 2.0, &err),
                     0);
    lines l = read_lines(path);
    int frames = 0;
    int loads = 0;
    static const char *const colours[3] = {"1, 0, 0, 1, 0, 0",
                                           "0, 1, 0, 0, 1, 0",
                                           "0, 0, 1, 0, 0, 1"};
    for (size_t i = 0; i < l.count; i++) {
        const char *s = l.line[i];
        // Comments and one-line Python commands, which PyMOL runs quietly.
        ck_assert_msg(s[0] == '#' || s[0] == '/', "line %zu: %s", i, s);
        loads += strcmp(s, "/ff_structure = \"my \\\"odd\\\" name.pdb\"")
                 == 0;
        loads += strcmp(s, "/ff_name = cmd.get_legal_name(\"my_odd_name\")")
                 == 0;
        loads += strcmp(s, "/cmd.load(ff_path, ff_name)") == 0;
        loads += strcmp(s, "/cmd.load_cgo(ff_axes, ff_name + \"_axes\")")
                 == 0;
        if (!starts_with(s, "/ff_axes += [")) {
            continue;
        }
        // Three cylinders from x along the columns of R, 2 A long.
        const char *at = s;
        for (int axis = 0; axis < 3; axis++) {
            at = strstr(at, "CYLINDER, ");
            ck_assert_ptr_nonnull(at);
            double v[7];
            ck_assert_int_eq(sscanf(at, "CYLINDER, %lf, %lf, %lf, %lf, %lf, "
                                        "%lf, %lf,",
                                    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                                    &v[6]),
                             7);
            for (int c = 0; c < 3; c++) {
                ck_assert_double_eq_tol(v[c], p[frames].x[c], COORD_TOL);
                ck_assert_double_eq_tol(v[3 + c] - v[c],
                                        2.0 * p[frames].R[3 * c + axis],
                                        2 * COORD_TOL);
            }
            at += strlen("CYLINDER, ");
            const char *next = strstr(at, "CYLINDER");
            const char *colour = strstr(at, colours[axis]);
            ck_assert_ptr_nonnull(colour);
            ck_assert(next == NULL || colour < next);
        }
        frames++;
    }
    ck_assert_int_eq(loads, 4);
    ck_assert_int_eq(frames, 7);

    ck_assert_int_eq(ff_backbone_write_pymol(path, "a.pdb", "a", p, 7, 0.0,
                                             &err),
                     FF_STATUS_ERR_INVALID);
    free_lines(&l);
    free(p);
    unlink(path);
}
END_TEST

/* Write n frames to the scratch file name, as mmCIF when the name says so
 * and PDB otherwise, and return its path in path. */
static void
write_backbone(char *path, size_t size, const char *name, const ff_pose *p,
               size_t n, const ff_backbone_info *info)
{
    ff_error err;

    test_scratch_path(path, size, name);
    int rc = strstr(name, ".cif") != NULL
             ? ff_backbone_write_cif(path, p, n, info, &err)
             : ff_backbone_write_pdb(path, p, n, info, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
}

/* Read a structure file back into frames with the frame builder, adding
 * interpolate frames between linked residues. */
static ff_frameset *
build_frames_interpolated(const char *path, int interpolate)
{
    ff_frames_options options;
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);

    ck_assert_ptr_nonnull(set);
    ff_frames_options_init(&options);
    options.interpolate = interpolate;
    ck_assert_msg(ff_frames_build_file(set, NULL, path, &options, &err) == 0,
                  "%s", err.message);
    return set;
}

/* Read a structure file back into frames without interpolated frames. */
static ff_frameset *
build_frames(const char *path)
{
    return build_frames_interpolated(path, 0);
}

/* Copy the file at from to to without its lines that start with prefix. */
static void
copy_without(const char *from, const char *to, const char *prefix)
{
    lines l = read_lines(from);
    FILE *f = fopen(to, "w");

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < l.count; i++) {
        if (!starts_with(l.line[i], prefix)) {
            fprintf(f, "%s\n", l.line[i]);
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    free_lines(&l);
}

START_TEST(backbone_pseudo_residues_not_linked)
{
    // Frames 2 A apart along x with one rotation put each pseudo-residue's
    // C 1.42 A from the next one's N, within the peptide link distance.
    size_t n = 10;
    int k = 3;
    ff_pose *p = calloc(n, sizeof *p);
    for (size_t j = 0; j < n; j++) {
        p[j].R[0] = p[j].R[4] = p[j].R[8] = 1.0;
        p[j].x[0] = 2.0 * (double)j;
    }
    ff_error err;
    char path[512];
    char plain[512];
    const char *names[2] = {"chain.pdb", "chain.cif"};

    for (int f = 0; f < 2; f++) {
        write_backbone(path, sizeof path, names[f], p, n, NULL);
        ff_frameset *set = build_frames_interpolated(path, k);
        ck_assert_uint_eq(set->count, n);
        ff_frameset_free(set);
        unlink(path);
    }

    // Without the classification, the same atoms are a linked chain.
    test_scratch_path(path, sizeof path, "chain.pdb");
    test_scratch_path(plain, sizeof plain, "unmarked.pdb");
    ck_assert_int_eq(ff_backbone_write_pdb(path, p, n, NULL, &err), 0);
    copy_without(path, plain, "HEADER");
    ff_frameset *set = build_frames_interpolated(plain, k);
    ck_assert_uint_eq(set->count, n + (n - 1) * (size_t)k);
    ff_frameset_free(set);
    unlink(path);
    unlink(plain);
    free(p);
}
END_TEST

START_TEST(backbone_residue_names_round_trip)
{
    // Two chains, an insertion code, a negative number and a residue name
    // that is not GLY come back from both formats as they were written.
    size_t n = 6;
    ff_pose *p = random_poses(n, 14, 20.0);
    const ff_backbone_residue residues[6] = {
        {"H", -2, ' ', "ALA"}, {"H", 52, ' ', "TYR"}, {"H", 52, 'A', "PRO"},
        {"H", 53, ' ', "MSE"}, {"L", 1, ' ', "ASP"}, {"L", 2, ' ', "ILE"},
    };
    ff_backbone_info info = {NULL, NULL, 0, residues};
    char path[512];
    const char *names[2] = {"named.pdb", "named.cif"};

    for (int f = 0; f < 2; f++) {
        write_backbone(path, sizeof path, names[f], p, n, &info);
        ff_frameset *set = build_frames(path);
        ck_assert_uint_eq(set->count, n);
        assert_frames_match(set->poses, p, n);
        for (size_t j = 0; j < n; j++) {
            const ff_frame_label *l = &set->labels[j];
            ck_assert_str_eq(set->chains[l->chain], residues[j].chain);
            ck_assert_int_eq(l->seqnum, residues[j].seqnum);
            ck_assert_int_eq(l->icode, residues[j].icode);
            ck_assert_str_eq(l->resname, residues[j].name);
        }
        ff_frameset_free(set);
        unlink(path);
    }
    free(p);
}
END_TEST

START_TEST(backbone_residue_names_that_do_not_fit)
{
    char why[256];
    const ff_backbone_residue twice[2] = {{"A", 5, 'B', "ALA"},
                                          {"A", 5, 'B', "GLY"}};
    const ff_backbone_residue long_chain[1] = {{"AB", 5, ' ', "ALA"}};
    const ff_backbone_residue far[1] = {{"A", 10000, ' ', "ALA"}};
    const ff_backbone_residue long_name[1] = {{"A", 5, ' ', "ABCD"}};
    const ff_backbone_residue spaced[1] = {{"A B", 5, ' ', "ALA"}};

    ck_assert_int_eq(ff_backbone_residues_fit(twice, 2, 0, why, sizeof why),
                     0);
    ck_assert_ptr_nonnull(strstr(why, "residue A 5B stands for more"));
    // PDB limits, which mmCIF does not have.
    ck_assert_int_eq(ff_backbone_residues_fit(long_chain, 1, 1, why,
                                              sizeof why), 0);
    ck_assert_int_eq(ff_backbone_residues_fit(long_chain, 1, 0, why,
                                              sizeof why), 1);
    ck_assert_int_eq(ff_backbone_residues_fit(far, 1, 1, why, sizeof why),
                     0);
    ck_assert_int_eq(ff_backbone_residues_fit(far, 1, 0, why, sizeof why),
                     1);
    ck_assert_int_eq(ff_backbone_residues_fit(long_name, 1, 1, why,
                                              sizeof why), 0);
    ck_assert_int_eq(ff_backbone_residues_fit(long_name, 1, 0, why,
                                              sizeof why), 1);
    // A name that mmCIF would have to quote is rejected by both.
    ck_assert_int_eq(ff_backbone_residues_fit(spaced, 1, 0, why, sizeof why),
                     0);

    // The writers reject residues that do not fit.
    ff_pose p[2];
    memset(p, 0, sizeof p);
    p[0].R[0] = p[0].R[4] = p[0].R[8] = 1.0;
    p[1] = p[0];
    ff_backbone_info info = {NULL, NULL, 0, twice};
    ff_error err;
    char path[512];
    test_scratch_path(path, sizeof path, "twice.pdb");
    ck_assert_int_eq(ff_backbone_write_pdb(path, p, 2, &info, &err),
                     FF_STATUS_ERR_INVALID);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(backbone_reader_round_trip)
{
    char path[512];
    // Past 9999 residues, so the second chain is read back too.
    size_t n = 10050;
    ff_pose *p = random_poses(n, 12, 25.0);
    const char *names[2] = {"reader.pdb", "reader.cif.gz"};

    for (int f = 0; f < 2; f++) {
        write_backbone(path, sizeof path, names[f], p, n, NULL);
        ff_frameset *set = build_frames(path);
        ck_assert_uint_eq(set->count, n);
        assert_frames_match(set->poses, p, n);
        ck_assert_str_eq(set->labels[0].resname, "GLY");
        ck_assert_int_eq(set->labels[n - 1].seqnum, f == 0 ? 51 : 10050);
        ff_frameset_free(set);
        unlink(path);
    }
    free(p);
}
END_TEST

START_TEST(backbone_frames_file_round_trip)
{
    char path[512];
    test_scratch_path(path, sizeof path, "exact.tsv");
    size_t n = 300;
    ff_pose *p = random_poses(n, 13, 25.0);
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);

    for (size_t j = 0; j < n; j++) {
        ck_assert_int_eq(ff_frameset_add(set, &p[j], "samples", "A", 1,
                                         (int32_t)j + 1, ' ', "GLY",
                                         FF_FRAME_KIND_RESIDUE, 0.0, &err),
                         0);
    }
    ck_assert_int_eq(ff_frameset_write(set, path, &err), 0);
    ff_frameset *back = ff_frameset_read(path, &err);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->count, n);
    // The frames file keeps every bit.
    ck_assert_mem_eq(back->poses, p, n * sizeof *p);
    ff_frameset_free(back);
    ff_frameset_free(set);
    free(p);
    unlink(path);
}
END_TEST

static Suite *
backbone_suite(void)
{
    Suite *s = suite_create("backbone");

    TEST_ADD(s, backbone_atoms_ideal_geometry);
    TEST_ADD(s, backbone_pdb_round_trip);
    TEST_ADD(s, backbone_pdb_continues_in_next_chain);
    TEST_ADD(s, backbone_pdb_capacity_limit);
    TEST_ADD(s, backbone_rejects_unwritable_coordinates);
    TEST_ADD(s, backbone_rejects_empty_and_unwritable);
    TEST_ADD(s, backbone_pdb_remarks_wrap);
    TEST_ADD(s, backbone_cif_round_trip);
    TEST_ADD(s, backbone_pymol_script_draws_triads);
    TEST_ADD(s, backbone_reader_round_trip);
    TEST_ADD(s, backbone_pseudo_residues_not_linked);
    TEST_ADD(s, backbone_residue_names_round_trip);
    TEST_ADD(s, backbone_residue_names_that_do_not_fit);
    TEST_ADD(s, backbone_frames_file_round_trip);
    return s;
}

int
main(void)
{
    return test_run_suite(backbone_suite()) == 0 ? 0 : 1;
}
