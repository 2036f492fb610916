#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "frameflow/frames.h"
#include "frameflow/so3.h"
#include "testutil.h"

/* EXPECTED.tsv prints 6 decimals, so its values are off by up to 5e-7. */
#define EXPECTED_TOL 1e-6

/* Geodesic interpolation is exact up to the accuracy of Exp and Log, about
 * 1e-12 (so3.h); 1e-9 leaves room for the sums. */
#define INTERP_TOL 1e-9

typedef struct built {
    ff_frameset *set;
    ff_frames_summary summary;
} built;

static built
build(const char *relative, const ff_frames_options *options)
{
    char path[512];
    ff_error err;
    built b = {NULL, {0, NULL, 0, 0}};

    test_source_path(path, sizeof path, relative);
    b.set = ff_frameset_new(&err);
    ck_assert_ptr_nonnull(b.set);
    int status = ff_frames_build_file(b.set, &b.summary, path, options, &err);
    ck_assert_msg(status == 0, "%s: %s", relative, err.message);
    return b;
}

static built
build_default(const char *relative, int interpolate)
{
    ff_frames_options options;

    ff_frames_options_init(&options);
    options.interpolate = interpolate;
    return build(relative, &options);
}

static void
release(built *b)
{
    ff_frames_summary_free(&b->summary);
    ff_frameset_free(b->set);
}

static const ff_chain_summary *
find_summary(const built *b, const char *chain)
{
    for (size_t i = 0; i < b->summary.chain_count; i++) {
        if (strcmp(b->summary.chains[i].chain, chain) == 0) {
            return &b->summary.chains[i];
        }
    }
    return NULL;
}

/* Return the index of the first residue frame of chain, or SIZE_MAX. */
static size_t
first_frame(const ff_frameset *set, const char *chain)
{
    for (size_t i = 0; i < set->count; i++) {
        const ff_frame_label *l = &set->labels[i];
        if (l->kind == FF_FRAME_KIND_RESIDUE
            && strcmp(set->chains[l->chain], chain) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* Return the index of the residue frame of chain at seqnum/icode. */
static size_t
find_residue(const ff_frameset *set, const char *chain, int seqnum,
             char icode)
{
    for (size_t i = 0; i < set->count; i++) {
        const ff_frame_label *l = &set->labels[i];
        if (l->kind == FF_FRAME_KIND_RESIDUE && l->seqnum == seqnum
            && l->icode == icode && strcmp(set->chains[l->chain], chain) == 0) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* ------------------------------------------------------------------ */
/* The shipped structures against datasets/EXPECTED.tsv                */

#define EXPECTED_COLUMNS 20

/* Split a tab-separated line in place; return the number of fields. */
static int
split_tabs(char *line, char **fields, int max)
{
    int n = 0;

    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = line;
        char *tab = strchr(line, '\t');
        if (tab == NULL) {
            break;
        }
        *tab = '\0';
        line = tab + 1;
    }
    return n;
}

static void
check_expected_row(const built *b, char **f)
{
    const char *file = f[0];
    const char *chain = f[2];
    const ff_chain_summary *sum = find_summary(b, chain);

    ck_assert_msg(sum != NULL, "%s: chain %s not read", file, chain);
    ck_assert_msg(sum->residues == strtoul(f[3], NULL, 10),
                  "%s %s: %zu residues, expected %s", file, chain,
                  sum->residues, f[3]);
    ck_assert_msg(sum->frames + sum->rejected == strtoul(f[4], NULL, 10),
                  "%s %s: %zu complete, expected %s", file, chain,
                  sum->frames + sum->rejected, f[4]);
    ck_assert_msg(sum->breaks == strtoul(f[5], NULL, 10),
                  "%s %s: %zu breaks, expected %s", file, chain, sum->breaks,
                  f[5]);
    ck_assert_msg(sum->skipped + sum->frames + sum->rejected == sum->residues,
                  "%s %s: counts do not add up", file, chain);

    size_t first = first_frame(b->set, chain);
    if (strcmp(f[6], "NA") == 0) {
        ck_assert_msg(first == SIZE_MAX, "%s %s: unexpected frame", file,
                      chain);
        return;
    }
    ck_assert_msg(first != SIZE_MAX, "%s %s: no frame", file, chain);
    const ff_frame_label *l = &b->set->labels[first];
    char seqid[32];
    snprintf(seqid, sizeof seqid, l->icode == ' ' ? "%d" : "%d%c",
             (int)l->seqnum, l->icode);
    ck_assert_msg(strcmp(l->resname, f[6]) == 0, "%s %s: first %s, "
                  "expected %s", file, chain, l->resname, f[6]);
    ck_assert_msg(strcmp(seqid, f[7]) == 0, "%s %s: first %s, expected %s",
                  file, chain, seqid, f[7]);

    const ff_pose *p = &b->set->poses[first];
    for (int k = 0; k < 9; k++) {
        double want = strtod(f[8 + k], NULL);
        ck_assert_msg(fabs(p->R[k] - want) <= EXPECTED_TOL,
                      "%s %s: R entry %d is %.9f, expected %.6f", file, chain,
                      k, p->R[k], want);
    }
    for (int k = 0; k < 3; k++) {
        double want = strtod(f[17 + k], NULL);
        ck_assert_msg(fabs(p->x[k] - want) <= EXPECTED_TOL,
                      "%s %s: x[%d] is %.9f, expected %.6f", file, chain, k,
                      p->x[k], want);
    }
}

/* Return the number of rows of EXPECTED.tsv for file. */
static size_t
expected_chain_count(const char *file)
{
    char path[512];
    char line[2048];
    size_t n = 0;

    test_source_path(path, sizeof path, "datasets/EXPECTED.tsv");
    FILE *in = fopen(path, "r");
    ck_assert_ptr_nonnull(in);
    while (fgets(line, sizeof line, in) != NULL) {
        size_t len = strlen(file);
        n += strncmp(line, file, len) == 0 && line[len] == '\t';
    }
    fclose(in);
    return n;
}

static void
check_expected(int interpolate)
{
    char path[512];
    char line[2048];
    char *fields[EXPECTED_COLUMNS + 1];
    int rows = 0;

    test_source_path(path, sizeof path, "datasets/EXPECTED.tsv");
    FILE *in = fopen(path, "r");
    ck_assert_msg(in != NULL, "cannot open %s", path);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, in));
    ck_assert_int_eq(strncmp(line, "file\tmodel\tchain", 16), 0);
    while (fgets(line, sizeof line, in) != NULL) {
        ck_assert_int_eq(split_tabs(line, fields, EXPECTED_COLUMNS + 1),
                         EXPECTED_COLUMNS);
        char relative[256];
        snprintf(relative, sizeof relative, "datasets/%s", fields[0]);
        built b = build_default(relative, interpolate);
        ck_assert_int_eq(b.summary.chains[0].model, atoi(fields[1]));
        // Every chain read is one that the table lists.
        ck_assert_uint_eq(b.summary.chain_count,
                          expected_chain_count(fields[0]));
        check_expected_row(&b, fields);
        release(&b);
        rows++;
    }
    fclose(in);
    ck_assert_int_eq(rows, 30);
}

START_TEST(frames_match_expected_table)
{
    check_expected(0);
}
END_TEST

START_TEST(frames_match_expected_interpolated)
{
    check_expected(FF_FRAMES_INTERPOLATE_DEFAULT);
}
END_TEST

START_TEST(frames_are_rotations)
{
    built b = build_default("datasets/7gsa.cif", 3);

    ck_assert_uint_gt(b.set->count, 284);
    for (size_t i = 0; i < b.set->count; i++) {
        // Gram-Schmidt on doubles leaves about 1e-15 of error.
        ck_assert_double_le(ff_so3_orthonormality_error(b.set->poses[i].R),
                            1e-12);
        ck_assert_double_gt(ff_so3_det(b.set->poses[i].R), 0.0);
    }
    release(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Altlocs and microheterogeneity                                      */

START_TEST(frames_altloc_policies_differ)
{
    ff_frames_options options;

    ff_frames_options_init(&options);
    options.interpolate = 0;
    built occ = build("datasets/3QHF_Fv.pdb", &options);
    options.altloc = FF_ALTLOC_FIRST;
    built first = build("datasets/3QHF_Fv.pdb", &options);

    // H VAL 12: altloc A (occupancy 0.37) comes first, B (0.63) is higher.
    size_t i = find_residue(occ.set, "H", 12, ' ');
    size_t j = find_residue(first.set, "H", 12, ' ');
    ck_assert_uint_ne(i, SIZE_MAX);
    ck_assert_uint_ne(j, SIZE_MAX);
    ck_assert_double_eq_tol(occ.set->poses[i].x[0], -9.639, 1e-9);
    ck_assert_double_eq_tol(occ.set->poses[i].x[2], -5.348, 1e-9);
    ck_assert_double_eq_tol(first.set->poses[j].x[0], -9.630, 1e-9);
    ck_assert_double_eq_tol(first.set->poses[j].x[2], -5.418, 1e-9);

    // The counts do not depend on the policy.
    ck_assert_uint_eq(occ.set->count, first.set->count);
    release(&occ);
    release(&first);
}
END_TEST

START_TEST(frames_altloc_tie_keeps_first)
{
    ff_frames_options options;

    ff_frames_options_init(&options);
    options.interpolate = 0;
    built occ = build("datasets/1k6p.pdb", &options);
    options.altloc = FF_ALTLOC_FIRST;
    built first = build("datasets/1k6p.pdb", &options);

    // 1k6p has backbone altlocs 1 and 2 at 0.50 each: both policies agree.
    ck_assert_uint_eq(occ.set->count, first.set->count);
    for (size_t i = 0; i < occ.set->count; i++) {
        ck_assert_mem_eq(&occ.set->poses[i], &first.set->poses[i],
                         sizeof(ff_pose));
    }
    release(&occ);
    release(&first);
}
END_TEST

START_TEST(frames_microheterogeneity_keeps_major)
{
    built jqh = build_default("datasets/3JQH.cif", 0);
    built pfe = build_default("datasets/1pfe.cif.gz", 0);
    struct {
        const built *b;
        const char *chain;
        int seqnum;
        const char *resname;
    } cases[] = {
        {&jqh, "A", 1, "PRO"},   // PRO 0.83 over SER 0.17
        {&jqh, "A", 15, "ARG"},  // ARG 0.50 over GLN 0.33 and GLU 0.17
        {&pfe, "B", 3, "N2C"},   // N2C 0.56 over NCY 0.44
        {&pfe, "B", 7, "NCY"},   // NCY 0.56 over N2C 0.44
    };

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t i = find_residue(cases[c].b->set, cases[c].chain,
                                cases[c].seqnum, ' ');
        ck_assert_uint_ne(i, SIZE_MAX);
        ck_assert_str_eq(cases[c].b->set->labels[i].resname,
                         cases[c].resname);
    }
    // One frame per residue number.
    ck_assert_uint_eq(jqh.set->count, 23);
    ck_assert_uint_eq(pfe.set->count, 8);
    release(&jqh);
    release(&pfe);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Interpolation                                                       */

START_TEST(frames_interpolation_counts)
{
    const int k = 7;
    built crn = build_default("datasets/1crn.pdb", k);
    built bdy = build_default("datasets/3BDY.pdb", k);

    // 1crn: 46 residues, no break, so 45 linked pairs.
    const ff_chain_summary *a = find_summary(&crn, "A");
    ck_assert_uint_eq(a->interpolated, 45 * (size_t)k);
    ck_assert_uint_eq(crn.set->count, 46 + 45 * (size_t)k);

    // 3BDY H: 216 residues and 1 break leave 214 linked pairs.
    const ff_chain_summary *h = find_summary(&bdy, "H");
    ck_assert_uint_eq(h->interpolated, 214 * (size_t)k);
    release(&crn);
    release(&bdy);
}
END_TEST

START_TEST(frames_interpolation_on_geodesic)
{
    const int k = 19;
    built b = build_default("datasets/1crn.pdb", k);
    const ff_frameset *set = b.set;

    // Frames come as residue, k interpolated, next residue, ...
    for (size_t r = 0; r + 1 < 46; r++) {
        size_t i = r * (size_t)(k + 1);
        size_t next = i + (size_t)k + 1;
        ck_assert_int_eq(set->labels[i].kind, FF_FRAME_KIND_RESIDUE);
        ck_assert_int_eq(set->labels[next].kind, FF_FRAME_KIND_RESIDUE);
        const ff_pose *p0 = &set->poses[i];
        const ff_pose *p1 = &set->poses[next];
        double total = ff_so3_angle(p0->R, p1->R);
        for (int j = 1; j <= k; j++) {
            const ff_frame_label *l = &set->labels[i + (size_t)j];
            const ff_pose *p = &set->poses[i + (size_t)j];
            double s = (double)j / (double)(k + 1);
            ck_assert_int_eq(l->kind, FF_FRAME_KIND_INTERPOLATED);
            ck_assert_int_eq(l->seqnum, set->labels[i].seqnum);
            ck_assert_double_eq(l->fraction, s);
            for (int d = 0; d < 3; d++) {
                double want = (1.0 - s) * p0->x[d] + s * p1->x[d];
                ck_assert_double_eq_tol(p->x[d], want, INTERP_TOL);
            }
            // On the geodesic: the angles from both ends add up and split
            // as s : 1 - s.
            ck_assert_double_eq_tol(ff_so3_angle(p0->R, p->R), s * total,
                                    INTERP_TOL);
            ck_assert_double_eq_tol(ff_so3_angle(p->R, p1->R),
                                    (1.0 - s) * total, INTERP_TOL);
            ck_assert_double_le(ff_so3_orthonormality_error(p->R), 1e-12);
            // The same rotation as ff_so3_interp, which evaluates Exp
            // for each fraction on its own.
            double R[9];
            ff_so3_interp(R, p0->R, p1->R, s);
            for (int e = 0; e < 9; e++) {
                ck_assert_double_eq_tol(p->R[e], R[e], 1e-14);
            }
        }
    }
    release(&b);
}
END_TEST

START_TEST(frames_no_interpolation_across_break)
{
    built bdy = build_default("datasets/3BDY.pdb", 5);
    built bni = build_default("datasets/1bni.pdb", 5);

    // 3BDY H: residues 131-135 are missing, so SER 130 has no frames after
    // it; its neighbour before it is linked.
    for (size_t i = 0; i < bdy.set->count; i++) {
        const ff_frame_label *l = &bdy.set->labels[i];
        if (strcmp(bdy.set->chains[l->chain], "H") != 0) {
            continue;
        }
        ck_assert_msg(!(l->kind == FF_FRAME_KIND_INTERPOLATED
                        && l->seqnum == 130),
                      "frame interpolated across the break after H 130");
    }
    size_t i = find_residue(bdy.set, "H", 130, ' ');
    ck_assert_int_eq(bdy.set->labels[i + 1].kind, FF_FRAME_KIND_RESIDUE);
    ck_assert_int_eq(bdy.set->labels[i + 1].seqnum, 136);
    ck_assert_int_eq(bdy.set->labels[i - 1].kind, FF_FRAME_KIND_INTERPOLATED);

    // 1bni C: VAL 3 lacks N, so nothing comes from it.
    const ff_chain_summary *c = find_summary(&bni, "C");
    ck_assert_uint_eq(c->skipped, 1);
    ck_assert_uint_eq(c->interpolated, 106 * 5);
    release(&bdy);
    release(&bni);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Selection                                                           */

START_TEST(frames_range_parse_forms)
{
    ff_frames_range r;
    ff_error err;

    ck_assert_int_eq(ff_frames_range_parse(&r, "H:52A-82C", &err), 0);
    ck_assert_str_eq(r.chain, "H");
    ck_assert_int_eq(r.first_seqnum, 52);
    ck_assert_int_eq(r.first_icode, 'A');
    ck_assert_int_eq(r.last_seqnum, 82);
    ck_assert_int_eq(r.last_icode, 'C');
    ck_assert_int_eq(ff_frames_range_parse(&r, "AA1:-5--2", &err), 0);
    ck_assert_str_eq(r.chain, "AA1");
    ck_assert_int_eq(r.first_seqnum, -5);
    ck_assert_int_eq(r.last_seqnum, -2);
    ck_assert_int_eq(r.last_icode, ' ');

    const char *bad[] = {"H1-10", "H:10-1", "H:1-", "H:a-b", "H:1-10xy",
                         "H:52AB-60", "H:52B-52A", ":", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(ff_frames_range_parse(&r, bad[i], &err),
                         FF_STATUS_ERR_INVALID);
        ck_assert_ptr_nonnull(strstr(err.message, bad[i]));
    }
}
END_TEST

START_TEST(frames_range_with_insertion_codes)
{
    ff_frames_options options;
    ff_frames_range range;
    ff_error err;

    ff_frames_options_init(&options);
    options.interpolate = 0;
    ck_assert_int_eq(ff_frames_range_parse(&range, "H:52A-82C", &err), 0);
    options.ranges = &range;
    options.range_count = 1;
    built b = build("datasets/3BDY.pdb", &options);

    // A range alone selects its chain only: 52A, 53 to 82, 82A to 82C.
    ck_assert_uint_eq(b.summary.chain_count, 1);
    ck_assert_uint_eq(b.set->count, 34);
    ck_assert_int_eq(b.set->labels[0].seqnum, 52);
    ck_assert_int_eq(b.set->labels[0].icode, 'A');
    ck_assert_int_eq(b.set->labels[33].seqnum, 82);
    ck_assert_int_eq(b.set->labels[33].icode, 'C');
    release(&b);
}
END_TEST

START_TEST(frames_chain_and_model_selection)
{
    ff_frames_options options;
    const char *chains[] = {"L", "V"};

    ff_frames_options_init(&options);
    options.interpolate = 0;
    options.chains = chains;
    options.chain_count = 2;
    built b = build("datasets/3BDY.pdb", &options);
    ck_assert_uint_eq(b.summary.chain_count, 2);
    ck_assert_uint_eq(b.set->count, 217 + 95);
    release(&b);

    ff_frames_options_init(&options);
    options.interpolate = 0;
    options.model = 3;
    built lcd = build("datasets/1LCD.pdb", &options);
    ck_assert_uint_eq(lcd.set->count, 51);
    ck_assert_int_eq(lcd.set->labels[0].model, 3);
    ck_assert_int_eq(lcd.summary.chains[0].model, 3);
    release(&lcd);
}
END_TEST

/* Build with options and expect a failure with code and fragment. */
static void
expect_build_error(const char *relative, const ff_frames_options *options,
                   int code, const char *fragment)
{
    char path[512];
    ff_error err;
    ff_frameset *set = ff_frameset_new(&err);
    ff_frames_summary summary = {0, NULL, 0, 0};

    test_source_path(path, sizeof path, relative);
    ck_assert_int_eq(ff_frames_build_file(set, &summary, path, options, &err),
                     code);
    ck_assert_msg(strstr(err.message, fragment) != NULL,
                  "message '%s' lacks '%s'", err.message, fragment);
    ck_assert_uint_eq(set->count, 0);
    ck_assert_uint_eq(summary.chain_count, 0);
    ff_frameset_free(set);
}

START_TEST(frames_selection_matching_nothing)
{
    ff_frames_options options;
    const char *missing[] = {"Z"};
    const char *dna[] = {"B"};
    ff_frames_range range;
    ff_error err;

    ff_frames_options_init(&options);
    options.chains = missing;
    options.chain_count = 1;
    expect_build_error("datasets/1crn.pdb", &options, FF_STATUS_ERR_EMPTY,
                       "no chain 'Z'; its chains are 'A'");

    options.chains = dna;
    expect_build_error("datasets/1LCD.pdb", &options, FF_STATUS_ERR_EMPTY,
                       "chain 'B' of model 1 has no amino-acid residues");

    ff_frames_options_init(&options);
    options.model = 5;
    expect_build_error("datasets/1crn.pdb", &options, FF_STATUS_ERR_EMPTY,
                       "no model 5");

    ff_frames_options_init(&options);
    ck_assert_int_eq(ff_frames_range_parse(&range, "A:200-300", &err), 0);
    options.ranges = &range;
    options.range_count = 1;
    expect_build_error("datasets/1crn.pdb", &options, FF_STATUS_ERR_EMPTY,
                       "residue ranges");

    // A range on a chain that the chain list leaves out is a contradiction.
    options.chains = dna;
    options.chain_count = 1;
    expect_build_error("datasets/1crn.pdb", &options, FF_STATUS_ERR_INVALID,
                       "not among the selected chains");

    ff_frames_options_init(&options);
    options.interpolate = FF_FRAMES_INTERPOLATE_MAX + 1;
    expect_build_error("datasets/1crn.pdb", &options, FF_STATUS_ERR_INVALID,
                       "interpolated frames");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad structures                                                      */

/* Append one PDB ATOM record with coordinates given as text (8 columns
 * each), so that NaN and huge values can be written. */
static void
pdb_atom(FILE *f, int serial, const char *name, const char *resname,
         char chain, int seqnum, const char *x, const char *y, const char *z)
{
    fprintf(f, "ATOM  %5d  %-3s %3s %c%4d    %8s%8s%8s  1.00 20.00           "
            "%c\n", serial, name, resname, chain, seqnum, x, y, z, name[0]);
}

/* Write a three-residue glycine chain into a scratch file named name, the
 * x of the second CA given as text bad, and put its path in path. */
static void
write_glycines(char *path, size_t size, const char *name, const char *bad)
{
    test_scratch_path(path, size, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    pdb_atom(f, 1, "N", "GLY", 'A', 1, "0.000", "0.000", "0.000");
    pdb_atom(f, 2, "CA", "GLY", 'A', 1, "1.458", "0.000", "0.000");
    pdb_atom(f, 3, "C", "GLY", 'A', 1, "2.009", "1.420", "0.000");
    pdb_atom(f, 4, "N", "GLY", 'A', 2, "3.300", "1.600", "0.000");
    pdb_atom(f, 5, "CA", "GLY", 'A', 2, bad, "2.900", "0.100");
    pdb_atom(f, 6, "C", "GLY", 'A', 2, "5.300", "3.000", "0.000");
    pdb_atom(f, 7, "N", "GLY", 'A', 3, "6.000", "4.000", "0.000");
    pdb_atom(f, 8, "CA", "GLY", 'A', 3, "7.400", "4.300", "0.000");
    pdb_atom(f, 9, "C", "GLY", 'A', 3, "8.000", "5.600", "0.000");
    fprintf(f, "END\n");
    fclose(f);
}

START_TEST(frames_reject_far_residue)
{
    // Residue 2's CA lies 10^8 A out, beyond FF_FRAMES_COORD_MAX: a number
    // the PDB columns can hold, but no real coordinate.
    char path[512];
    ff_error err;
    ff_frames_options options;
    ff_frames_summary summary = {0, NULL, 0, 0};
    ff_frameset *set = ff_frameset_new(&err);

    ff_frames_options_init(&options);
    write_glycines(path, sizeof path, "far-coord.pdb", "99999999");
    int status = ff_frames_build_file(set, &summary, path, &options, &err);
    ck_assert_msg(status == 0, "%s", err.message);
    ck_assert_uint_eq(summary.chain_count, 1);
    const ff_chain_summary *a = &summary.chains[0];
    ck_assert_uint_eq(a->residues, 3);
    ck_assert_uint_eq(a->rejected, 1);
    ck_assert_uint_eq(a->frames, 2);
    ck_assert_int_eq(a->first_rejected_seqnum, 2);
    // Nothing is interpolated next to the rejected residue.
    ck_assert_uint_eq(a->interpolated, 0);
    ck_assert_uint_eq(set->count, 2);
    for (size_t i = 0; i < set->count; i++) {
        for (int k = 0; k < 3; k++) {
            ck_assert(isfinite(set->poses[i].x[k]));
        }
    }
    ff_frames_summary_free(&summary);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(frames_reject_file_with_bad_number)
{
    // A coordinate that is not a plain decimal number makes the whole file
    // invalid, with the line of the record (the second CA is on line 5).
    const char *values[] = {"     nan", "    -inf", "1.00e+99", "  1.0x0",
                            "        ", "********"};

    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        char path[512];
        ff_error err;
        ff_frames_options options;
        ff_frames_summary summary = {0, NULL, 0, 0};
        ff_frameset *set = ff_frameset_new(&err);

        ff_frames_options_init(&options);
        write_glycines(path, sizeof path, "bad-coord.pdb", values[v]);
        int status = ff_frames_build_file(set, &summary, path, &options,
                                          &err);
        ck_assert_int_eq(status, FF_STATUS_ERR_FORMAT);
        ck_assert_msg(strstr(err.message, ":5: x coordinate '") != NULL,
                      "value '%s': %s", values[v], err.message);
        ck_assert_uint_eq(set->count, 0);
        ck_assert_uint_eq(summary.chain_count, 0);
        ff_frameset_free(set);
        unlink(path);
    }
}
END_TEST

START_TEST(frames_reject_coincident_and_collinear)
{
    char path[512];
    ff_error err;
    ff_frames_options options;
    ff_frames_summary summary = {0, NULL, 0, 0};
    ff_frameset *set = ff_frameset_new(&err);

    test_scratch_path(path, sizeof path, "degenerate.pdb");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    // Residue 1: CA on N. Residue 2: C on the line through N and CA.
    // Residue 3: a proper frame.
    pdb_atom(f, 1, "N", "ALA", 'A', 1, "1.000", "1.000", "1.000");
    pdb_atom(f, 2, "CA", "ALA", 'A', 1, "1.000", "1.000", "1.000");
    pdb_atom(f, 3, "C", "ALA", 'A', 1, "2.000", "2.000", "1.000");
    pdb_atom(f, 4, "N", "ALA", 'A', 2, "3.000", "2.000", "1.000");
    pdb_atom(f, 5, "CA", "ALA", 'A', 2, "4.000", "2.000", "1.000");
    pdb_atom(f, 6, "C", "ALA", 'A', 2, "5.500", "2.000", "1.000");
    pdb_atom(f, 7, "N", "ALA", 'A', 3, "6.000", "3.000", "1.000");
    pdb_atom(f, 8, "CA", "ALA", 'A', 3, "7.400", "3.300", "1.000");
    pdb_atom(f, 9, "C", "ALA", 'A', 3, "8.000", "4.600", "1.000");
    fclose(f);

    ff_frames_options_init(&options);
    ck_assert_int_eq(ff_frames_build_file(set, &summary, path, &options,
                                          &err), 0);
    ck_assert_uint_eq(summary.chains[0].rejected, 2);
    ck_assert_uint_eq(summary.chains[0].frames, 1);
    ck_assert_int_eq(summary.chains[0].first_rejected_seqnum, 1);
    ck_assert_uint_eq(set->count, 1);
    ck_assert_int_eq(set->labels[0].seqnum, 3);
    ff_frames_summary_free(&summary);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(frames_nearly_collinear_are_rotations)
{
    char path[512];
    ff_error err;
    ff_frames_options options;
    ff_frameset *set = ff_frameset_new(&err);

    // C is 8e4 A from CA and 2e-6 A off the line through N and CA: one
    // Gram-Schmidt pass leaves e1 about 2e-6 off orthogonal.
    test_scratch_path(path, sizeof path, "nearly-collinear.pdb");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    pdb_atom(f, 1, "N", "ALA", 'A', 1, "0.3", "0.7", "0.1");
    pdb_atom(f, 2, "CA", "ALA", 'A', 1, "1.3", "1.9", "0.1");
    pdb_atom(f, 3, "C", "ALA", 'A', 1, "-49998.7", "-59998.1", "0.100002");
    fclose(f);

    ff_frames_options_init(&options);
    ck_assert_int_eq(ff_frames_build_file(set, NULL, path, &options, &err),
                     0);
    ck_assert_uint_eq(set->count, 1);
    ck_assert_double_le(ff_so3_orthonormality_error(set->poses[0].R), 1e-12);
    ck_assert_double_gt(ff_so3_det(set->poses[0].R), 0.0);
    // e0 = (CA - N) / |CA - N| is the first column.
    ck_assert_double_eq_tol(set->poses[0].R[0], 1.0 / sqrt(2.44), 1e-12);
    ck_assert_double_eq_tol(set->poses[0].R[3], 1.2 / sqrt(2.44), 1e-12);
    ck_assert_double_eq_tol(set->poses[0].R[6], 0.0, 1e-12);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(frames_only_nucleic_acids_or_waters)
{
    char path[512];
    ff_error err;
    ff_frames_options options;
    ff_frameset *set = ff_frameset_new(&err);

    ff_frames_options_init(&options);
    test_scratch_path(path, sizeof path, "dna.pdb");
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    pdb_atom(f, 1, "P", " DG", 'B', 1, "0.000", "0.000", "0.000");
    pdb_atom(f, 2, "C1'", " DG", 'B', 1, "1.000", "0.000", "0.000");
    pdb_atom(f, 3, "P", " DC", 'B', 2, "5.000", "0.000", "0.000");
    fclose(f);
    ck_assert_int_eq(ff_frames_build_file(set, NULL, path, &options, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_ptr_nonnull(strstr(err.message, "no amino-acid residues"));
    ck_assert_ptr_nonnull(strstr(err.message, path));

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "HETATM    1  O   HOH A   1       1.000   2.000   3.000  1.00 "
            "20.00           O\n");
    fprintf(f, "HETATM    2  O   HOH A   2       4.000   2.000   3.000  1.00 "
            "20.00           O\n");
    fclose(f);
    ck_assert_int_eq(ff_frames_build_file(set, NULL, path, &options, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_ptr_nonnull(strstr(err.message, "no amino-acid residues"));
    ck_assert_uint_eq(set->count, 0);
    ff_frameset_free(set);
    unlink(path);
}
END_TEST

START_TEST(frames_failure_leaves_set_unchanged)
{
    char path[512];
    ff_error err;
    ff_frames_options options;
    ff_frameset *set = ff_frameset_new(&err);
    const char *chains[] = {"A", "Q"};

    // Chain A would be built before chain Q is found missing; selection
    // is checked first, so nothing is added.
    ff_frames_options_init(&options);
    test_source_path(path, sizeof path, "datasets/1KTZ.pdb");
    ck_assert_int_eq(ff_frames_build_file(set, NULL, path, &options, &err),
                     0);
    size_t count = set->count;
    options.chains = chains;
    options.chain_count = 2;
    ck_assert_int_eq(ff_frames_build_file(set, NULL, path, &options, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_uint_eq(set->count, count);
    ff_frameset_free(set);
}
END_TEST

static Suite *
frames_suite(void)
{
    Suite *s = suite_create("frames");

    TEST_ADD(s, frames_match_expected_table);
    TEST_ADD(s, frames_match_expected_interpolated);
    TEST_ADD(s, frames_are_rotations);
    TEST_ADD(s, frames_altloc_policies_differ);
    TEST_ADD(s, frames_altloc_tie_keeps_first);
    TEST_ADD(s, frames_microheterogeneity_keeps_major);
    TEST_ADD(s, frames_interpolation_counts);
    TEST_ADD(s, frames_interpolation_on_geodesic);
    TEST_ADD(s, frames_no_interpolation_across_break);
    TEST_ADD(s, frames_range_parse_forms);
    TEST_ADD(s, frames_range_with_insertion_codes);
    TEST_ADD(s, frames_chain_and_model_selection);
    TEST_ADD(s, frames_selection_matching_nothing);
    TEST_ADD(s, frames_reject_far_residue);
    TEST_ADD(s, frames_reject_file_with_bad_number);
    TEST_ADD(s, frames_reject_coincident_and_collinear);
    TEST_ADD(s, frames_nearly_collinear_are_rotations);
    TEST_ADD(s, frames_only_nucleic_acids_or_waters);
    TEST_ADD(s, frames_failure_leaves_set_unchanged);
    return s;
}

int
main(void)
{
    return test_run_suite(frames_suite()) == 0 ? 0 : 1;
}
