#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "frameflow/version.h"
#include "errors.h"
#include "outfile.h"

/* Series colours: the eight Okabe-Ito colours, black last. */
static const char *const palette[] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
    "#f0e442", "#000000",
};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

/* ---- loss log ---------------------------------------------------------- */

void
ff_plot_loss_free(ff_plot_loss *loss)
{
    if (loss == NULL) {
        return;
    }
    free(loss->step);
    free(loss->loss);
    loss->step = NULL;
    loss->loss = NULL;
    loss->count = 0;
}

/* Find the 0-based index of name among the comma-separated fields of
 * header, or -1. */
static int
column_index(const char *header, const char *name)
{
    size_t len = strlen(name);
    int index = 0;

    for (const char *p = header;; index++) {
        size_t field = strcspn(p, ",\r\n");
        if (field == len && strncmp(p, name, len) == 0) {
            return index;
        }
        if (p[field] != ',') {
            return -1;
        }
        p += field + 1;
    }
}

/* Parse field number index of a CSV row as a number into *value. Return
 * 0, or -1 when the row is short or the field is not a number. */
static int
row_field(const char *row, int index, double *value)
{
    const char *p = row;

    for (int i = 0; i < index; i++) {
        p = strchr(p, ',');
        if (p == NULL) {
            return -1;
        }
        p++;
    }
    char *end = NULL;
    errno = 0;
    *value = strtod(p, &end);
    if (end == p || (*end != ',' && *end != '\r' && *end != '\n'
                     && *end != '\0')) {
        return -1;
    }
    return 0;
}

static int
loss_append(ff_plot_loss *out, size_t *capacity, double step, double loss)
{
    if (out->count == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 1024;
        double *s = realloc(out->step, grown * sizeof *s);
        if (s == NULL) {
            return -1;
        }
        out->step = s;
        double *l = realloc(out->loss, grown * sizeof *l);
        if (l == NULL) {
            return -1;
        }
        out->loss = l;
        *capacity = grown;
    }
    out->step[out->count] = step;
    out->loss[out->count] = loss;
    out->count++;
    return 0;
}

/* Read the rows after the header; line counts the lines read so far. */
static int
loss_read_rows(ff_plot_loss *out, gzFile in, const char *path, int step_col,
               int loss_col, ff_error *err)
{
    char row[4096];
    size_t capacity = 0;
    long line = 1;

    while (gzgets(in, row, sizeof row) != NULL) {
        line++;
        size_t len = strlen(row);
        if (len == sizeof row - 1 && row[len - 1] != '\n') {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: line longer than %zu characters; "
                                "is this a loss log?", path, line,
                                sizeof row - 2);
        }
        if (row[strspn(row, " \t\r\n")] == '\0') {
            continue;
        }
        double step;
        double loss;
        if (row_field(row, step_col, &step) < 0
            || row_field(row, loss_col, &loss) < 0) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: expected numbers in the step and "
                                "loss columns", path, line);
        }
        if (!isfinite(step)) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: step is not a finite number",
                                path, line);
        }
        if (loss_append(out, &capacity, step, loss) < 0) {
            return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                "%s: out of memory after %zu rows", path,
                                out->count);
        }
    }
    return ff_error_set_gzip(err, in, path);
}

int
ff_plot_loss_read(ff_plot_loss *out, const char *path, ff_error *err)
{
    memset(out, 0, sizeof *out);
    gzFile in = gzopen(path, "rb");
    if (in == NULL) {
        return ff_error_set_errno(err, errno, "%s: cannot open", path);
    }

    int rc = 0;
    char header[4096];
    if (gzgets(in, header, sizeof header) == NULL) {
        // No line: an error (a folder, damaged gzip data) or an empty file.
        rc = ff_error_set_gzip(err, in, path);
        if (rc == 0) {
            rc = ff_error_set(err, FF_STATUS_ERR_EMPTY,
                              "%s: empty file; expected a loss log with the "
                              "header step,loss,seconds", path);
        }
        goto done;
    }
    int step_col = column_index(header, "step");
    int loss_col = column_index(header, "loss");
    if (step_col < 0 || loss_col < 0) {
        rc = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                          "%s:1: no step and loss columns in the header; "
                          "expected a loss log with the header "
                          "step,loss,seconds", path);
        goto done;
    }
    rc = loss_read_rows(out, in, path, step_col, loss_col, err);
    if (rc == 0 && out->count == 0) {
        rc = ff_error_set(err, FF_STATUS_ERR_EMPTY,
                          "%s: no rows after the header", path);
    }

done:
    gzclose(in);
    if (rc < 0) {
        ff_plot_loss_free(out);
    }
    return rc;
}

/* ---- SVG helpers ------------------------------------------------------- */

/* Write text with the five XML special characters escaped; other control
 * characters, which XML 1.0 forbids, become '?'. */
static void
svg_text(ff_outfile *out, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        switch (c) {
        case '&':
            ff_outfile_printf(out, "&amp;");
            break;
        case '<':
            ff_outfile_printf(out, "&lt;");
            break;
        case '>':
            ff_outfile_printf(out, "&gt;");
            break;
        case '"':
            ff_outfile_printf(out, "&quot;");
            break;
        case '\'':
            ff_outfile_printf(out, "&apos;");
            break;
        default:
            ff_outfile_printf(out, "%c", c < 0x20 || c == 0x7f ? '?' : c);
        }
    }
}

/* Write a <text> element at (x, y); anchor is start, middle or end. */
static void
svg_label(ff_outfile *out, double x, double y, const char *anchor,
          int size, const char *text)
{
    ff_outfile_printf(out,
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
                      "font-size=\"%d\">", x, y, anchor, size);
    svg_text(out, text);
    ff_outfile_printf(out, "</text>\n");
}

static void
svg_begin(ff_outfile *out, int width, int height, const char *title)
{
    ff_outfile_printf(out,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                      "font-family=\"DejaVu Sans, Helvetica, Arial, "
                      "sans-serif\">\n",
                      width, height, width, height);
    ff_outfile_printf(out, "<title>");
    svg_text(out, title);
    ff_outfile_printf(out, "</title>\n<desc>written by frameflow %s</desc>\n",
                      FF_VERSION_STRING);
    ff_outfile_printf(out, "<rect width=\"100%%\" height=\"100%%\" "
                      "fill=\"white\"/>\n");
    svg_label(out, width / 2.0, 28.0, "middle", 18, title);
}

/* Return a round step (1, 2 or 5 times a power of ten) near range / 6. */
static double
nice_step(double range)
{
    double raw = range / 6.0;
    double power = pow(10.0, floor(log10(raw)));
    double m = raw / power;

    if (m < 1.5) {
        return power;
    }
    if (m < 3.5) {
        return 2.0 * power;
    }
    if (m < 7.5) {
        return 5.0 * power;
    }
    return 10.0 * power;
}

/* ---- loss picture ------------------------------------------------------ */

enum {
    LOSS_WIDTH = 820,
    LOSS_HEIGHT = 520,
    LOSS_LEFT = 90,
    LOSS_RIGHT = 30,
    LOSS_TOP = 70,
    LOSS_BOTTOM = 70
};

/* Mantissas m of the log axis ticks m * 10^d, as bit masks: decades
 * only, 1-2-5, or every integer from 1 to 9. */
static const unsigned tick_masks[3] = {
    1u << 1,
    (1u << 1) | (1u << 2) | (1u << 5),
    0x3feu,
};

/* The plot area's mapping from data to pixels. */
typedef struct loss_frame {
    double x0, x1;        /* step range */
    double e0, e1;        /* log10 loss range, at m * 10^d, m in 1..9 */
    unsigned ticks;       /* one of tick_masks */
} loss_frame;

static double
loss_px(const loss_frame *f, double step)
{
    double w = LOSS_WIDTH - LOSS_LEFT - LOSS_RIGHT;
    return LOSS_LEFT + w * (step - f->x0) / (f->x1 - f->x0);
}

static double
loss_py(const loss_frame *f, double log_loss)
{
    double h = LOSS_HEIGHT - LOSS_TOP - LOSS_BOTTOM;
    return LOSS_TOP + h * (f->e1 - log_loss) / (f->e1 - f->e0);
}

/* Whether the log axis has a tick at m * 10^d. */
static int
loss_has_tick(const loss_frame *f, int d, int m)
{
    double e = d + log10((double)m);

    return (f->ticks & (1u << m)) != 0 && e >= f->e0 - 1e-9
           && e <= f->e1 + 1e-9;
}

/* Draw the axes, grid and tick labels. */
static void
loss_axes(ff_outfile *out, const loss_frame *f)
{
    double left = LOSS_LEFT;
    double right = LOSS_WIDTH - LOSS_RIGHT;
    double top = LOSS_TOP;
    double bottom = LOSS_HEIGHT - LOSS_BOTTOM;
    char text[64];

    ff_outfile_printf(out, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    for (int d = (int)floor(f->e0); d <= (int)ceil(f->e1); d++) {
        for (int m = 1; m < 10; m++) {
            if (!loss_has_tick(f, d, m)) {
                continue;
            }
            double y = loss_py(f, d + log10((double)m));
            ff_outfile_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                              "y2=\"%.1f\"/>\n", left, y, right, y);
        }
    }
    double step = nice_step(f->x1 - f->x0);
    for (double x = ceil(f->x0 / step) * step; x <= f->x1 + 1e-9 * step;
         x += step) {
        double px = loss_px(f, x);
        ff_outfile_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\"/>\n", px, top, px, bottom);
    }
    ff_outfile_printf(out, "</g>\n");

    ff_outfile_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n",
                      left, top, right - left, bottom - top);
    for (int d = (int)floor(f->e0); d <= (int)ceil(f->e1); d++) {
        for (int m = 1; m < 10; m++) {
            if (!loss_has_tick(f, d, m)) {
                continue;
            }
            snprintf(text, sizeof text, "%g", m * pow(10.0, d));
            svg_label(out, left - 8, loss_py(f, d + log10((double)m)) + 4,
                      "end", 12, text);
        }
    }
    for (double x = ceil(f->x0 / step) * step; x <= f->x1 + 1e-9 * step;
         x += step) {
        snprintf(text, sizeof text, "%g", x);
        svg_label(out, loss_px(f, x), bottom + 18, "middle", 12, text);
    }
    svg_label(out, (left + right) / 2, LOSS_HEIGHT - 25, "middle", 14,
              "training step");
    ff_outfile_printf(out, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" "
                      "font-size=\"14\" transform=\"rotate(-90 22 %.1f)\">"
                      "loss (log scale)</text>\n",
                      (top + bottom) / 2, (top + bottom) / 2);
}

/*
 * Draw the raw values as a polyline. Past two points per pixel column the
 * line would only add bytes, so each column then keeps its lowest and
 * highest value, which preserves the envelope.
 */
static void
loss_raw_line(ff_outfile *out, const loss_frame *f, const double *step,
              const double *logl, size_t n)
{
    int width = LOSS_WIDTH - LOSS_LEFT - LOSS_RIGHT;

    ff_outfile_printf(out, "<polyline fill=\"none\" stroke=\"#9ecae1\" "
                      "stroke-width=\"1\" points=\"");
    if (n <= (size_t)(2 * width)) {
        for (size_t i = 0; i < n; i++) {
            ff_outfile_printf(out, "%.1f,%.1f ", loss_px(f, step[i]),
                              loss_py(f, logl[i]));
        }
    } else {
        size_t i = 0;
        while (i < n) {
            int column = (int)floor(loss_px(f, step[i]));
            double lo = logl[i];
            double hi = logl[i];
            size_t j = i + 1;
            for (; j < n && (int)floor(loss_px(f, step[j])) == column; j++) {
                lo = logl[j] < lo ? logl[j] : lo;
                hi = logl[j] > hi ? logl[j] : hi;
            }
            ff_outfile_printf(out, "%d,%.1f %d,%.1f ", column,
                              loss_py(f, hi), column, loss_py(f, lo));
            i = j;
        }
    }
    ff_outfile_printf(out, "\"/>\n");
}

/* Fill smooth with the mean of logl over a centred window of
 * 2 half + 1 points (shorter at the ends), from prefix sums. */
static int
moving_mean(double *smooth, const double *logl, size_t n, size_t half)
{
    double *prefix = malloc((n + 1) * sizeof *prefix);
    if (prefix == NULL) {
        return -1;
    }
    prefix[0] = 0.0;
    for (size_t i = 0; i < n; i++) {
        prefix[i + 1] = prefix[i] + logl[i];
    }
    for (size_t i = 0; i < n; i++) {
        size_t lo = i > half ? i - half : 0;
        size_t hi = i + half + 1 < n ? i + half + 1 : n;
        smooth[i] = (prefix[hi] - prefix[lo]) / (double)(hi - lo);
    }
    free(prefix);
    return 0;
}

static void
loss_legend(ff_outfile *out, size_t window)
{
    double x = LOSS_WIDTH - LOSS_RIGHT - 300;
    double y = LOSS_TOP + 10;
    char text[96];

    ff_outfile_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"290\" "
                      "height=\"50\" fill=\"white\" stroke=\"#999999\"/>\n",
                      x, y);
    ff_outfile_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                      "y2=\"%.1f\" stroke=\"#9ecae1\" stroke-width=\"2\"/>\n",
                      x + 10, y + 17, x + 40, y + 17);
    svg_label(out, x + 48, y + 21, "start", 12, "loss at each logged step");
    ff_outfile_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                      "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"/>\n",
                      x + 10, y + 37, x + 40, y + 37, palette[0]);
    snprintf(text, sizeof text, "moving mean of log loss, %zu rows",
             window);
    svg_label(out, x + 48, y + 41, "start", 12, text);
}

/* Keep the drawable rows: finite step and loss above 0. Return their
 * count; step and logl receive them, logl as log10(loss). */
static size_t
loss_drawable(double *step, double *logl, const ff_plot_loss *loss)
{
    size_t n = 0;

    for (size_t i = 0; i < loss->count; i++) {
        if (isfinite(loss->loss[i]) && loss->loss[i] > 0.0) {
            step[n] = loss->step[i];
            logl[n] = log10(loss->loss[i]);
            n++;
        }
    }
    return n;
}

/* Return log10 of the largest m * 10^d at most 10^e (up = 0) or the
 * smallest at least 10^e (up = 1), m an integer from 1 to 9. */
static double
round_log(double e, int up)
{
    double d = floor(e);
    double mantissa = pow(10.0, e - d);
    // A relative margin of 1e-9 keeps a value that is already round
    // from moving to the next mantissa through rounding.
    double m = up ? ceil(mantissa * (1.0 - 1e-9))
                  : floor(mantissa * (1.0 + 1e-9));

    if (m < 1.0) {
        m = 1.0;
    }
    if (m >= 10.0) {
        return d + 1.0;
    }
    return d + log10(m);
}

/* Choose the sparsest tick set that still puts three ticks on the axis. */
static unsigned
choose_ticks(const loss_frame *f)
{
    for (int k = 0; k < 3; k++) {
        int count = 0;
        for (int d = (int)floor(f->e0); d <= (int)ceil(f->e1); d++) {
            for (int m = 1; m < 10; m++) {
                double e = d + log10((double)m);
                count += (tick_masks[k] & (1u << m)) != 0
                         && e >= f->e0 - 1e-9 && e <= f->e1 + 1e-9;
            }
        }
        if (count >= 3) {
            return tick_masks[k];
        }
    }
    return tick_masks[2];
}

static void
loss_frame_fit(loss_frame *f, const double *step, const double *logl,
               size_t n)
{
    double lo = logl[0];
    double hi = logl[0];

    f->x0 = step[0];
    f->x1 = step[0];
    for (size_t i = 1; i < n; i++) {
        lo = logl[i] < lo ? logl[i] : lo;
        hi = logl[i] > hi ? logl[i] : hi;
        f->x0 = step[i] < f->x0 ? step[i] : f->x0;
        f->x1 = step[i] > f->x1 ? step[i] : f->x1;
    }
    if (f->x1 <= f->x0) {
        f->x1 = f->x0 + 1.0;
    }
    // The axis ends at round values around the data: 4.1 to 6.5 gives 4
    // to 7, not 1 to 10.
    f->e0 = round_log(lo, 0);
    f->e1 = round_log(hi, 1);
    if (f->e1 <= f->e0 + 1e-9) {
        f->e1 = round_log(f->e0 + 1e-6, 1);
    }
    f->ticks = choose_ticks(f);
}

int
ff_plot_write_loss(const char *path, const ff_plot_loss *loss,
                   const char *title, ff_error *err)
{
    double *step = malloc((loss->count + 1) * sizeof *step);
    double *logl = malloc((loss->count + 1) * sizeof *logl);
    double *smooth = malloc((loss->count + 1) * sizeof *smooth);
    ff_outfile *out = NULL;
    int rc = 0;

    if (step == NULL || logl == NULL || smooth == NULL) {
        rc = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                          "%s: out of memory for %zu rows", path,
                          loss->count);
        goto done;
    }
    size_t n = loss_drawable(step, logl, loss);
    if (n == 0) {
        rc = ff_error_set(err, FF_STATUS_ERR_EMPTY,
                          "%s: no finite loss above 0 to draw", path);
        goto done;
    }
    // A window of 2% of the run smooths the batch noise but keeps the
    // shape of the curve.
    size_t half = n / 100;
    if (moving_mean(smooth, logl, n, half) < 0) {
        rc = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                          "%s: out of memory for %zu rows", path, n);
        goto done;
    }
    loss_frame f;
    loss_frame_fit(&f, step, logl, n);

    out = ff_outfile_open(path, FF_OUTFILE_PLAIN, err);
    if (out == NULL) {
        rc = err != NULL ? err->code : FF_STATUS_ERR_IO;
        goto done;
    }
    svg_begin(out, LOSS_WIDTH, LOSS_HEIGHT,
              title != NULL ? title : "training loss");
    if (n < loss->count) {
        char note[128];
        snprintf(note, sizeof note, "%zu of %zu rows not drawn (loss not "
                 "finite or not above 0)", loss->count - n, loss->count);
        svg_label(out, LOSS_WIDTH / 2.0, 48, "middle", 12, note);
    }
    loss_axes(out, &f);
    loss_raw_line(out, &f, step, logl, n);
    ff_outfile_printf(out, "<polyline fill=\"none\" stroke=\"%s\" "
                      "stroke-width=\"2.5\" points=\"", palette[0]);
    // One point per pixel column is as fine as the eye can see.
    size_t stride = n / (LOSS_WIDTH - LOSS_LEFT - LOSS_RIGHT) + 1;
    for (size_t i = 0; i < n; i += stride) {
        ff_outfile_printf(out, "%.1f,%.1f ", loss_px(&f, step[i]),
                          loss_py(&f, smooth[i]));
    }
    ff_outfile_printf(out, "%.1f,%.1f\"/>\n", loss_px(&f, step[n - 1]),
                      loss_py(&f, smooth[n - 1]));
    loss_legend(out, 2 * half + 1);
    ff_outfile_printf(out, "</svg>\n");
    rc = ff_outfile_commit(out, err);

done:
    free(step);
    free(logl);
    free(smooth);
    return rc;
}

/* ---- rotation picture -------------------------------------------------- */

enum {
    ROT_WIDTH = 860,
    ROT_HEIGHT = 520,
    ROT_RADIUS = 180,
    ROT_CENTER_Y = 270
};

static const double rot_center_x[2] = {220.0, 640.0};

/* Draw one disc: outline, cross hairs and axis labels. View 0 is seen
 * from +z; view 1 from -z, where +x points left. */
static void
rotation_disc(ff_outfile *out, int view)
{
    double cx = rot_center_x[view];
    double cy = ROT_CENTER_Y;
    double r = ROT_RADIUS;

    ff_outfile_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
                      "fill=\"#f7f7f7\" stroke=\"black\"/>\n", cx, cy, r);
    ff_outfile_printf(out, "<g stroke=\"#bbbbbb\" stroke-dasharray=\"4 4\">\n"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                      "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" "
                      "fill=\"none\"/>\n</g>\n",
                      cx - r, cy, cx + r, cy, cx, cy - r, cx, cy + r, cx, cy,
                      r * sin(M_PI / 4));
    svg_label(out, view == 0 ? cx + r + 6 : cx - r - 6, cy + 4,
              view == 0 ? "start" : "end", 12, "+x");
    svg_label(out, cx, cy - r - 8, "middle", 12, "+y");
    svg_label(out, cx, cy + r + 28, "middle", 14,
              view == 0 ? "z >= 0, seen from +z" : "z < 0, seen from -z");
}

/*
 * Markers of series i: the palette's colour, and past the palette's size
 * another shape (filled circle, ring, filled square, open square), so that
 * series 1 and 9 stay apart.
 */
static int
marker_shape(size_t i)
{
    return (int)((i / PALETTE_SIZE) % 4);
}

/* Open a group that draws markers of series i. */
static void
marker_group(ff_outfile *out, size_t i)
{
    const char *colour = palette[i % PALETTE_SIZE];

    if (marker_shape(i) % 2 == 0) {
        ff_outfile_printf(out, "<g fill=\"%s\" fill-opacity=\"0.55\" "
                          "stroke=\"none\">\n", colour);
    } else {
        ff_outfile_printf(out, "<g fill=\"none\" stroke=\"%s\" "
                          "stroke-opacity=\"0.8\" stroke-width=\"1\">\n",
                          colour);
    }
}

/* Draw one marker of series i at (x, y) with radius r. */
static void
marker(ff_outfile *out, size_t i, double x, double y, double r)
{
    if (marker_shape(i) < 2) {
        ff_outfile_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" "
                          "r=\"%.1f\"/>\n", x, y, r);
    } else {
        ff_outfile_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"/>\n", x - r, y - r, 2 * r, 2 * r);
    }
}

static void
rotation_points(ff_outfile *out, const ff_plot_series *s, size_t i)
{
    marker_group(out, i);
    for (size_t j = 0; j < s->count; j++) {
        const double *R = s->poses[j].R;
        double zx = R[2];
        double zy = R[5];
        double zz = R[8];
        if (!(isfinite(zx) && isfinite(zy) && isfinite(zz))) {
            continue;
        }
        // Orthographic views: from +z, x runs right; from -z, x runs left.
        int view = zz >= 0.0 ? 0 : 1;
        double px = rot_center_x[view]
                    + ROT_RADIUS * (view == 0 ? zx : -zx);
        double py = ROT_CENTER_Y - ROT_RADIUS * zy;
        marker(out, i, px, py, 2.5);
    }
    ff_outfile_printf(out, "</g>\n");
}

static void
rotation_legend(ff_outfile *out, const ff_plot_series *series, size_t count)
{
    double x = 20;
    double y = ROT_HEIGHT + 4;

    for (size_t i = 0; i < count; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s (%zu frame%s)", series[i].label,
                 series[i].count, series[i].count == 1 ? "" : "s");
        marker_group(out, i);
        marker(out, i, x + 5, y - 4, 5.0);
        ff_outfile_printf(out, "</g>\n");
        svg_label(out, x + 16, y, "start", 12, text);
        y += 22.0;
    }
}

int
ff_plot_write_rotations(const char *path, const ff_plot_series *series,
                        size_t series_count, const char *title,
                        ff_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < series_count; i++) {
        total += series[i].count;
    }
    if (total == 0) {
        return ff_error_set(err, FF_STATUS_ERR_EMPTY,
                            "%s: no frames to draw", path);
    }

    // Room for the legend below the discs grows with the series.
    int height = ROT_HEIGHT + 22 * (int)series_count;
    ff_outfile *out = ff_outfile_open(path, FF_OUTFILE_PLAIN, err);
    if (out == NULL) {
        return err != NULL ? err->code : FF_STATUS_ERR_IO;
    }
    svg_begin(out, ROT_WIDTH, height,
              title != NULL ? title : "direction of each frame's z axis");
    svg_label(out, ROT_WIDTH / 2.0, 50, "middle", 12,
              "each point is R e_z, the third column of a frame's "
              "rotation, on the unit sphere");
    for (int view = 0; view < 2; view++) {
        rotation_disc(out, view);
    }
    for (size_t i = 0; i < series_count; i++) {
        rotation_points(out, &series[i], i);
    }
    rotation_legend(out, series, series_count);
    ff_outfile_printf(out, "</svg>\n");
    return ff_outfile_commit(out, err);
}
