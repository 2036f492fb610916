#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <zlib.h>

#include "frameflow/so3.h"
#include "plot.h"
#include "testutil.h"

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Read a whole file into a NUL-terminated string. */
static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
    buf[size] = '\0';
    fclose(f);
    return buf;
}

static int
count_of(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(text, needle); p != NULL;
         p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

START_TEST(plot_loss_reads_columns_by_name)
{
    char path[512];
    test_scratch_path(path, sizeof path, "loss.csv");
    ff_plot_loss loss;
    ff_error err;

    // Columns in another order, an extra one, CRLF ends and a blank line.
    write_text(path, "seconds,loss,extra,step\r\n0.5,2.5,x,10\r\n\r\n"
                     "1.0,1.25,y,20\r\n1.5,nan,z,30\r\n");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err), 0);
    ck_assert_uint_eq(loss.count, 3);
    ck_assert_double_eq(loss.step[0], 10.0);
    ck_assert_double_eq(loss.loss[0], 2.5);
    ck_assert_double_eq(loss.step[1], 20.0);
    ck_assert_double_eq(loss.loss[1], 1.25);
    ck_assert(isnan(loss.loss[2]));
    ff_plot_loss_free(&loss);
    ff_plot_loss_free(NULL);
    unlink(path);
}
END_TEST

START_TEST(plot_loss_reads_gzip)
{
    char path[512];
    test_scratch_path(path, sizeof path, "loss.csv.gz");
    ff_plot_loss loss;
    ff_error err;
    gzFile gz = gzopen(path, "wb");

    ck_assert_ptr_nonnull(gz);
    gzputs(gz, "step,loss,seconds\n1,0.5,0.1\n2,0.25,0.2\n");
    ck_assert_int_eq(gzclose(gz), Z_OK);
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err), 0);
    ck_assert_uint_eq(loss.count, 2);
    ck_assert_double_eq(loss.loss[1], 0.25);
    ff_plot_loss_free(&loss);
    unlink(path);
}
END_TEST

START_TEST(plot_loss_rejects_bad_logs)
{
    char path[512];
    char message[1024];
    test_scratch_path(path, sizeof path, "bad.csv");
    ff_plot_loss loss;
    ff_error err;

    write_text(path, "step,value\n1,2\n");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err),
                     FF_STATUS_ERR_FORMAT);
    snprintf(message, sizeof message,
             "%s:1: no step and loss columns in the header; expected a "
             "loss log with the header step,loss,seconds", path);
    ck_assert_str_eq(err.message, message);

    write_text(path, "step,loss,seconds\n1,2,3\n2,oops,4\n");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err),
                     FF_STATUS_ERR_FORMAT);
    snprintf(message, sizeof message,
             "%s:3: expected numbers in the step and loss columns", path);
    ck_assert_str_eq(err.message, message);
    ck_assert_uint_eq(loss.count, 0);
    ck_assert_ptr_null(loss.step);

    write_text(path, "step,loss,seconds\n3\n");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err),
                     FF_STATUS_ERR_FORMAT);

    write_text(path, "step,loss,seconds\n");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err),
                     FF_STATUS_ERR_EMPTY);
    write_text(path, "");
    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err),
                     FF_STATUS_ERR_EMPTY);
    unlink(path);

    ck_assert_int_eq(ff_plot_loss_read(&loss, path, &err), FF_STATUS_ERR_IO);
    ck_assert(strstr(err.message, "cannot open") != NULL);
}
END_TEST

START_TEST(plot_loss_svg_draws_every_row)
{
    char path[512];
    test_scratch_path(path, sizeof path, "loss.svg");
    double step[5] = {1, 2, 3, 4, 5};
    double value[5] = {2.0, 1.0, -1.0, 0.5, 0.25};
    ff_plot_loss loss = {5, step, value};
    ff_error err;

    ck_assert_int_eq(ff_plot_write_loss(path, &loss, "run <A> & \"B\"", &err),
                     0);
    char *svg = read_text(path);
    ck_assert(strncmp(svg, "<?xml version=\"1.0\"", 19) == 0);
    ck_assert(strstr(svg, "</svg>\n") != NULL);
    // The title appears escaped, in <title> and as the heading.
    ck_assert_int_eq(count_of(svg, "run &lt;A&gt; &amp; &quot;B&quot;"), 2);
    ck_assert(strstr(svg, "1 of 5 rows not drawn (loss not finite or not "
                          "above 0)") != NULL);
    ck_assert(strstr(svg, "training step") != NULL);
    ck_assert(strstr(svg, "loss (log scale)") != NULL);
    // The loss spans 0.25 to 2: the axis runs from 0.2 to 2, with ticks
    // at 1, 2 and 5 of each decade. Its labels are the right-aligned ones.
    const char *label = "text-anchor=\"end\" font-size=\"12\">";
    char want[128];
    const char *const ticks[4] = {"0.2", "0.5", "1", "2"};
    for (int k = 0; k < 4; k++) {
        snprintf(want, sizeof want, "%s%s</text>", label, ticks[k]);
        ck_assert_msg(strstr(svg, want) != NULL, "no tick label %s", ticks[k]);
    }
    ck_assert_int_eq(count_of(svg, label), 4);

    // The raw line has one point per drawable row (4 here).
    const char *needle = "stroke=\"#9ecae1\" stroke-width=\"1\" points=\"";
    const char *raw = strstr(svg, needle);
    ck_assert_ptr_nonnull(raw);
    raw += strlen(needle);
    const char *end = strchr(raw, '"');
    int points = 0;
    for (const char *p = raw; p < end; p++) {
        points += *p == ',';
    }
    ck_assert_int_eq(points, 4);
    free(svg);
    unlink(path);

    double none[2] = {NAN, 0.0};
    ff_plot_loss bad = {2, step, none};
    ck_assert_int_eq(ff_plot_write_loss(path, &bad, NULL, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(plot_loss_svg_thins_long_runs)
{
    char path[512];
    test_scratch_path(path, sizeof path, "long.svg");
    size_t n = 100000;
    ff_plot_loss loss = {n, malloc(n * sizeof(double)),
                         malloc(n * sizeof(double))};
    ff_error err;

    for (size_t i = 0; i < n; i++) {
        loss.step[i] = (double)(i + 1);
        loss.loss[i] = 1.0 + 0.5 * sin((double)i);
    }
    ck_assert_int_eq(ff_plot_write_loss(path, &loss, NULL, &err), 0);
    char *svg = read_text(path);
    // Two points per pixel column of the 700 wide plot area, not 10^5.
    ck_assert_uint_lt(strlen(svg), 60000);
    ck_assert(strstr(svg, "moving mean of log loss, 2001 rows") != NULL);
    free(svg);
    free(loss.step);
    free(loss.loss);
    unlink(path);
}
END_TEST

/* Read the centres of the point circles (r="2.5") of an SVG. */
static int
point_centres(const char *svg, double *cx, double *cy, int max)
{
    int n = 0;

    for (const char *p = strstr(svg, "<circle cx=\""); p != NULL && n < max;
         p = strstr(p + 1, "<circle cx=\"")) {
        double x;
        double y;
        char rest[16];
        if (sscanf(p, "<circle cx=\"%lf\" cy=\"%lf\" r=\"%15[^\"]", &x, &y,
                   rest) == 3
            && strcmp(rest, "2.5") == 0) {
            cx[n] = x;
            cy[n] = y;
            n++;
        }
    }
    return n;
}

START_TEST(plot_rotations_places_axes)
{
    char path[512];
    test_scratch_path(path, sizeof path, "rot.svg");
    ff_pose poses[4];
    ff_error err;

    // Third columns: +z, -z, +x and (0.6, 0.48, -0.64).
    const double w[4][3] = {{0, 0, 0}, {M_PI, 0, 0}, {0, M_PI / 2 - 1e-9, 0},
                            {0, 0, 0}};
    for (int k = 0; k < 4; k++) {
        ff_so3_exp(poses[k].R, w[k]);
    }
    const double col0[3] = {0.0, 0.8, 0.6};
    const double col2[3] = {0.6, 0.48, -0.64};
    const double col1[3] = {col2[1] * col0[2] - col2[2] * col0[1],
                            col2[2] * col0[0] - col2[0] * col0[2],
                            col2[0] * col0[1] - col2[1] * col0[0]};
    for (int r = 0; r < 3; r++) {
        poses[3].R[3 * r + 0] = col0[r];
        poses[3].R[3 * r + 1] = col1[r];
        poses[3].R[3 * r + 2] = col2[r];
    }
    ck_assert_double_le(ff_so3_orthonormality_error(poses[3].R), 1e-12);
    ck_assert_double_gt(ff_so3_det(poses[3].R), 0.0);

    ff_plot_series series[2] = {{"reference & co", poses, 3},
                                {"samples", poses + 3, 1}};
    ck_assert_int_eq(ff_plot_write_rotations(path, series, 2, NULL, &err), 0);
    char *svg = read_text(path);
    double cx[8];
    double cy[8];
    ck_assert_int_eq(point_centres(svg, cx, cy, 8), 4);
    // Disc centres (220, 270) and (640, 270), radius 180; the view from -z
    // mirrors x.
    const double want[4][2] = {{220, 270}, {640, 270}, {400, 270},
                               {640 - 0.6 * 180, 270 - 0.48 * 180}};
    for (int k = 0; k < 4; k++) {
        ck_assert_double_eq_tol(cx[k], want[k][0], 0.051);
        ck_assert_double_eq_tol(cy[k], want[k][1], 0.051);
    }
    ck_assert(strstr(svg, "reference &amp; co (3 frames)") != NULL);
    ck_assert(strstr(svg, "samples (1 frame)") != NULL);
    ck_assert(strstr(svg, "z &gt;= 0, seen from +z") != NULL);
    free(svg);
    unlink(path);

    ff_plot_series empty = {"none", poses, 0};
    ck_assert_int_eq(ff_plot_write_rotations(path, &empty, 1, NULL, &err),
                     FF_STATUS_ERR_EMPTY);
    ck_assert_int_eq(ff_plot_write_rotations("/nonexistent-dir/r.svg",
                                             series, 2, NULL, &err),
                     FF_STATUS_ERR_IO);
}
END_TEST

START_TEST(plot_rotations_series_past_palette)
{
    // Series 1 and 9 share a colour, so series 9 is drawn as rings, and
    // series 17 as filled squares.
    char path[512];
    test_scratch_path(path, sizeof path, "many.svg");
    ff_pose pose;
    ff_error err;
    const double w[3] = {0.1, 0.2, 0.3};
    ff_so3_exp(pose.R, w);
    ff_plot_series series[17];
    for (int i = 0; i < 17; i++) {
        series[i] = (ff_plot_series){"series", &pose, 1};
    }
    ck_assert_int_eq(ff_plot_write_rotations(path, series, 17, NULL, &err),
                     0);
    char *svg = read_text(path);
    size_t filled = 0;
    size_t rings = 0;
    size_t squares = 0;
    for (const char *p = svg; (p = strstr(p, "<g fill=\"")) != NULL; p++) {
        filled += strncmp(p, "<g fill=\"none\"", 14) != 0;
        rings += strncmp(p, "<g fill=\"none\"", 14) == 0;
    }
    for (const char *p = svg; (p = strstr(p, "<rect x=")) != NULL; p++) {
        squares++;
    }
    // A group per series for the points and one for its legend entry.
    ck_assert_uint_eq(rings, 2 * 8);
    ck_assert_uint_eq(filled, 2 * 9);
    ck_assert_uint_eq(squares, 2);
    free(svg);
    unlink(path);
}
END_TEST

static Suite *
plot_suite(void)
{
    Suite *s = suite_create("plot");

    TEST_ADD(s, plot_loss_reads_columns_by_name);
    TEST_ADD(s, plot_loss_reads_gzip);
    TEST_ADD(s, plot_loss_rejects_bad_logs);
    TEST_ADD(s, plot_loss_svg_draws_every_row);
    TEST_ADD(s, plot_loss_svg_thins_long_runs);
    TEST_ADD(s, plot_rotations_places_axes);
    TEST_ADD(s, plot_rotations_series_past_palette);
    return s;
}

int
main(void)
{
    return test_run_suite(plot_suite()) == 0 ? 0 : 1;
}
