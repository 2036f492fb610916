#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

#include "frameflow/rng.h"
#include "frameflow/structure.h"
#include "structure_internal.h"
#include "testutil.h"

/* Read a whole shipped file into a malloc'd buffer. */
static unsigned char *
slurp(const char *relative, size_t *size)
{
    char path[512];

    test_source_path(path, sizeof path, relative);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_gt(n, 0);
    rewind(f);
    unsigned char *data = malloc((size_t)n);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

static void
write_bytes(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

/* Copy a shipped file to a scratch file named name, gzipped if asked. */
static void
copy_to_scratch(char *path, size_t size, const char *relative,
                const char *name, int gzip)
{
    size_t n;
    unsigned char *data = slurp(relative, &n);

    test_scratch_path(path, size, name);
    if (gzip) {
        gzFile gz = gzopen(path, "wb");
        ck_assert_ptr_nonnull(gz);
        ck_assert_int_eq(gzwrite(gz, data, (unsigned)n), (int)n);
        ck_assert_int_eq(gzclose(gz), Z_OK);
    } else {
        write_bytes(path, data, n);
    }
    free(data);
}

/* Count the amino-acid residues of the first model. */
static size_t
count_amino_acids(const ff_structure *st)
{
    size_t n = 0;

    for (size_t c = 0; c < ff_structure_chain_count(st, 0); c++) {
        for (size_t r = 0; r < ff_structure_residue_count(st, 0, c); r++) {
            ff_structure_residue res;
            ff_structure_get_residue(&res, st, 0, c, r);
            n += (size_t)res.amino_acid;
        }
    }
    return n;
}

START_TEST(structure_reads_shipped_formats)
{
    char path[512];
    ff_error err;
    const struct {
        const char *file;
        int format;
        size_t models;
        size_t amino_acids;
    } cases[] = {
        {"datasets/1crn.pdb", FF_STRUCTURE_FORMAT_PDB, 1, 46},
        {"datasets/7gsa.cif", FF_STRUCTURE_FORMAT_MMCIF, 1, 284},
        {"datasets/1l2y.pdb.gz", FF_STRUCTURE_FORMAT_PDB, 38, 20},
        {"datasets/1pfe.cif.gz", FF_STRUCTURE_FORMAT_MMCIF, 1, 10},
        {"datasets/1LCD.cif", FF_STRUCTURE_FORMAT_MMCIF, 3, 51},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        test_source_path(path, sizeof path, cases[i].file);
        ff_structure *st = ff_structure_open(path, &err);
        ck_assert_msg(st != NULL, "%s", err.message);
        ck_assert_int_eq(ff_structure_get_format(st), cases[i].format);
        ck_assert_int_eq(ff_structure_is_compressed(st),
                         strstr(cases[i].file, ".gz") != NULL);
        ck_assert_uint_eq(ff_structure_model_count(st), cases[i].models);
        // 1pfe: 8 numbers, 10 residues with its two alternative pairs.
        ck_assert_uint_eq(count_amino_acids(st), cases[i].amino_acids);
        ff_structure_free(st);
    }
}
END_TEST

START_TEST(structure_walks_residues_and_atoms)
{
    char path[512];
    ff_error err;
    ff_structure_residue res;
    ff_structure_atom atom;

    test_source_path(path, sizeof path, "datasets/3QHF_Fv.pdb");
    ff_structure *st = ff_structure_open(path, &err);
    ck_assert_ptr_nonnull(st);
    ck_assert_str_eq(ff_structure_chain_name(st, 0, 0), "H");
    ck_assert_int_eq(ff_structure_model_number(st, 0), 1);

    // The first residue is the HETATM pyroglutamate PCA 1.
    ff_structure_get_residue(&res, st, 0, 0, 0);
    ck_assert_str_eq(res.name, "PCA");
    ck_assert_int_eq(res.seqnum, 1);
    ck_assert_int_eq(res.icode, ' ');
    ck_assert_int_eq(res.amino_acid, 1);

    // VAL 12 has backbone altlocs A (0.37) and B (0.63).
    ff_structure_get_residue(&res, st, 0, 0, 11);
    ck_assert_str_eq(res.name, "VAL");
    ck_assert_int_eq(res.seqnum, 12);
    ff_structure_get_atom(&atom, st, 0, 0, 11, 0);
    ck_assert_str_eq(atom.name, "N");
    ck_assert_int_eq(atom.altloc, 'A');
    ck_assert_double_eq_tol(atom.occupancy, 0.37, 1e-6);
    ck_assert_double_eq_tol(atom.pos[0], -9.001, 1e-9);
    ff_structure_get_atom(&atom, st, 0, 0, 11, 1);
    ck_assert_int_eq(atom.altloc, 'B');

    // Insertion codes: 31A follows 31.
    int seen = 0;
    for (size_t r = 0; r < ff_structure_residue_count(st, 0, 0); r++) {
        ff_structure_get_residue(&res, st, 0, 0, r);
        if (res.seqnum == 31 && res.icode == 'A') {
            seen = 1;
        }
    }
    ck_assert_int_eq(seen, 1);
    ff_structure_free(st);
}
END_TEST

START_TEST(structure_waters_and_dna_are_not_amino_acids)
{
    char path[512];
    ff_error err;

    test_source_path(path, sizeof path, "datasets/1LCD.pdb");
    ff_structure *st = ff_structure_open(path, &err);
    ck_assert_ptr_nonnull(st);
    for (size_t c = 0; c < ff_structure_chain_count(st, 0); c++) {
        for (size_t r = 0; r < ff_structure_residue_count(st, 0, c); r++) {
            ff_structure_residue res;
            ff_structure_get_residue(&res, st, 0, c, r);
            if (strcmp(res.name, "HOH") == 0 || strcmp(res.name, "DG") == 0
                || strcmp(res.name, "NA") == 0) {
                ck_assert_int_eq(res.amino_acid, 0);
            }
        }
    }
    ff_structure_free(st);
}
END_TEST

START_TEST(structure_format_found_by_content)
{
    char path[512];
    ff_error err;
    const struct {
        const char *file;
        const char *name;
        int gzip;
        int format;
    } cases[] = {
        // gzip without ".gz", mmCIF named ".pdb", PDB named ".cif", and
        // gzip named as plain mmCIF.
        {"datasets/1crn.pdb", "crn-gz.pdb", 1, FF_STRUCTURE_FORMAT_PDB},
        {"datasets/3JQH.cif", "jqh.pdb", 0, FF_STRUCTURE_FORMAT_MMCIF},
        {"datasets/1crn.pdb", "crn.cif", 0, FF_STRUCTURE_FORMAT_PDB},
        {"datasets/7gsa.cif", "gsa.cif", 1, FF_STRUCTURE_FORMAT_MMCIF},
        {"datasets/1crn.pdb", "crn-noext", 0, FF_STRUCTURE_FORMAT_PDB},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        copy_to_scratch(path, sizeof path, cases[i].file, cases[i].name,
                        cases[i].gzip);
        ff_structure *st = ff_structure_open(path, &err);
        ck_assert_msg(st != NULL, "%s", err.message);
        ck_assert_int_eq(ff_structure_get_format(st), cases[i].format);
        ck_assert_int_eq(ff_structure_is_compressed(st), cases[i].gzip);
        ck_assert_uint_gt(count_amino_acids(st), 0);
        ff_structure_free(st);
        unlink(path);
    }
}
END_TEST

/* Open path and expect a failure with code and fragment in the message;
 * the message must also name the file. */
static void
expect_open_error(const char *path, int code, const char *fragment)
{
    ff_error err;

    ck_assert_ptr_null(ff_structure_open(path, &err));
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(strstr(err.message, fragment) != NULL,
                  "message '%s' lacks '%s'", err.message, fragment);
    ck_assert_msg(strncmp(err.message, path, strlen(path)) == 0,
                  "message '%s' does not start with the path", err.message);
    ck_assert_ptr_null(strchr(err.message, '\n'));
}

START_TEST(structure_open_missing_and_folder)
{
    expect_open_error("/nonexistent/x.pdb", FF_STATUS_ERR_IO,
                      "No such file");
    expect_open_error(FF_SOURCE_DIR "/datasets", FF_STATUS_ERR_IO,
                      "is a folder");
}
END_TEST

START_TEST(structure_open_empty_and_binary)
{
    char path[512];
    unsigned char noise[4096];
    ff_rng rng;

    test_scratch_path(path, sizeof path, "empty.pdb");
    write_bytes(path, "", 0);
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "empty file");

    ff_rng_init(&rng, 5, FF_RNG_STREAM_USER, 0, 0);
    for (size_t i = 0; i < sizeof noise; i++) {
        noise[i] = (unsigned char)(ff_rng_uniform(&rng) * 256.0);
    }
    write_bytes(path, noise, sizeof noise);
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "binary content");

    // Text without any atom record.
    write_bytes(path, "hello\nworld\n", 12);
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "no atoms found");

    // An empty gzip stream.
    gzFile gz = gzopen(path, "wb");
    ck_assert_ptr_nonnull(gz);
    gzclose(gz);
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "empty after gzip");
    unlink(path);
}
END_TEST

START_TEST(structure_open_truncated_gzip)
{
    char path[512];
    size_t n;
    unsigned char *data = slurp("datasets/1pfe.cif.gz", &n);

    test_scratch_path(path, sizeof path, "cut.cif.gz");
    write_bytes(path, data, n / 2);
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "truncated gzip");

    // Damage inside the compressed stream.
    for (size_t i = n / 3; i < n / 3 + 64; i++) {
        data[i] ^= 0x5a;
    }
    write_bytes(path, data, n);
    ff_error err;
    ck_assert_ptr_null(ff_structure_open(path, &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
    free(data);
    unlink(path);
}
END_TEST

START_TEST(structure_open_gemmi_parse_error)
{
    char path[512];
    const char *text = "data_x\nloop_\n_atom_site.id\n_atom_site.Cartn_x\n"
                       "1 2 3\n";

    // A loop whose values do not fill its rows: gemmi's message comes back
    // as one line that names the file.
    test_scratch_path(path, sizeof path, "broken.cif");
    write_bytes(path, text, strlen(text));
    expect_open_error(path, FF_STATUS_ERR_FORMAT, "broken.cif:2:");
    unlink(path);
}
END_TEST

START_TEST(structure_gemmi_version)
{
    const char *version = ff_structure_gemmi_version();

    // "MAJOR.MINOR.PATCH", such as Debian's 0.5.7.
    ck_assert_ptr_nonnull(version);
    ck_assert(version[0] >= '0' && version[0] <= '9');
    ck_assert_ptr_nonnull(strchr(version, '.'));
}
END_TEST

START_TEST(structure_read_memory_matches_file)
{
    const char *files[] = {"datasets/1crn.pdb", "datasets/1pfe.cif.gz",
                           "datasets/1l2y.pdb.gz"};
    char path[512];
    ff_error err;

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t size = 0;
        unsigned char *data = slurp(files[i], &size);
        test_source_path(path, sizeof path, files[i]);
        ff_structure *a = ff_structure_open(path, &err);
        ck_assert_msg(a != NULL, "%s", err.message);
        ff_structure *b = ff_structure_read_memory(data, size, "buffer", &err);
        ck_assert_msg(b != NULL, "%s", err.message);
        free(data);

        ck_assert_int_eq(ff_structure_get_format(a),
                         ff_structure_get_format(b));
        ck_assert_uint_eq(ff_structure_model_count(a),
                          ff_structure_model_count(b));
        size_t last = ff_structure_model_count(a) - 1;
        ck_assert_uint_eq(ff_structure_chain_count(a, last),
                          ff_structure_chain_count(b, last));
        for (size_t c = 0; c < ff_structure_chain_count(a, last); c++) {
            size_t residues = ff_structure_residue_count(a, last, c);
            ck_assert_uint_eq(ff_structure_residue_count(b, last, c),
                              residues);
            for (size_t r = 0; r < residues; r++) {
                ff_structure_residue ra;
                ff_structure_residue rb;
                ff_structure_get_residue(&ra, a, last, c, r);
                ff_structure_get_residue(&rb, b, last, c, r);
                ck_assert_str_eq(ra.name, rb.name);
                ck_assert_uint_eq(ra.atom_count, rb.atom_count);
                for (size_t k = 0; k < ra.atom_count; k++) {
                    ff_structure_atom aa;
                    ff_structure_atom ab;
                    ff_structure_get_atom(&aa, a, last, c, r, k);
                    ff_structure_get_atom(&ab, b, last, c, r, k);
                    ck_assert_str_eq(aa.name, ab.name);
                    ck_assert_int_eq(memcmp(aa.pos, ab.pos, sizeof aa.pos),
                                     0);
                }
            }
        }
        ff_structure_free(a);
        ff_structure_free(b);
    }

    // Messages start with the name given in place of a path.
    ck_assert_ptr_null(ff_structure_read_memory("", 0, "buffer", &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
    ck_assert_str_eq(err.message,
                     "buffer: empty file, not a PDB or mmCIF file");
    const unsigned char cut_gzip[] = {0x1f, 0x8b, 0x08, 0x00};
    ck_assert_ptr_null(ff_structure_read_memory(cut_gzip, sizeof cut_gzip,
                                                "buffer", &err));
    ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
    ck_assert_msg(strncmp(err.message, "buffer: ", 8) == 0, "%s",
                  err.message);
}
END_TEST

/* An mmCIF file of one alanine whose _atom_site.id and auth_seq_id are
 * serial and seqnum. */
static char *
alanine_cif(const char *serial, const char *seqnum)
{
    static char text[2048];
    const char *names[] = {"N", "CA", "C"};

    int n = snprintf(text, sizeof text,
                     "data_test\nloop_\n_atom_site.group_PDB\n"
                     "_atom_site.id\n_atom_site.type_symbol\n"
                     "_atom_site.label_atom_id\n_atom_site.label_alt_id\n"
                     "_atom_site.label_comp_id\n_atom_site.label_asym_id\n"
                     "_atom_site.label_seq_id\n_atom_site.Cartn_x\n"
                     "_atom_site.Cartn_y\n_atom_site.Cartn_z\n"
                     "_atom_site.occupancy\n_atom_site.B_iso_or_equiv\n"
                     "_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n");
    for (int i = 0; i < 3; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "ATOM %s%d %c %s . ALA A 1 %d.0 0.5 0.0 1.0 20.0 %s A\n",
                      serial, i, names[i][0], names[i], i, seqnum);
    }
    return text;
}

START_TEST(structure_residue_number_out_of_range)
{
    ff_error err;

    // The largest and smallest int are residue numbers like any other.
    const char *fine[] = {"2147483647", "-2147483648", "0042"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        const char *text = alanine_cif("", fine[i]);
        ff_structure *st = ff_structure_read_memory(text, strlen(text),
                                                    "in.cif", &err);
        ck_assert_msg(st != NULL, "%s: %s", fine[i], err.message);
        ff_structure_residue res;
        ff_structure_get_residue(&res, st, 0, 0, 0);
        ck_assert_int_eq(res.seqnum, (int32_t)strtol(fine[i], NULL, 10));
        ff_structure_free(st);
    }

    // One past them, and a number with an insertion code, are rejected.
    const char *bad[] = {"2147483648", "-2147483649", "99999999999A"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *text = alanine_cif("", bad[i]);
        ck_assert_ptr_null(ff_structure_read_memory(text, strlen(text),
                                                    "in.cif", &err));
        ck_assert_int_eq(err.code, FF_STATUS_ERR_FORMAT);
        ck_assert_msg(strstr(err.message, "in.cif: residue number") != NULL,
                      "%s", err.message);
        ck_assert_msg(strstr(err.message, bad[i]) != NULL, "%s",
                      err.message);
    }

    // An atom serial number out of range is ignored, as gemmi ignores a
    // serial that is no number.
    const char *text = alanine_cif("99999999999", "7");
    ff_structure *st = ff_structure_read_memory(text, strlen(text), "in.cif",
                                                &err);
    ck_assert_msg(st != NULL, "%s", err.message);
    ff_structure_free(st);
}
END_TEST

static Suite *
structure_suite(void)
{
    Suite *s = suite_create("structure");

    TEST_ADD(s, structure_reads_shipped_formats);
    TEST_ADD(s, structure_walks_residues_and_atoms);
    TEST_ADD(s, structure_waters_and_dna_are_not_amino_acids);
    TEST_ADD(s, structure_format_found_by_content);
    TEST_ADD(s, structure_open_missing_and_folder);
    TEST_ADD(s, structure_open_empty_and_binary);
    TEST_ADD(s, structure_open_truncated_gzip);
    TEST_ADD(s, structure_open_gemmi_parse_error);
    TEST_ADD(s, structure_gemmi_version);
    TEST_ADD(s, structure_read_memory_matches_file);
    TEST_ADD(s, structure_residue_number_out_of_range);
    return s;
}

int
main(void)
{
    return test_run_suite(structure_suite()) == 0 ? 0 : 1;
}
