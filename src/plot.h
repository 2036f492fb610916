/*
 * Self-contained SVG pictures: the training loss curve and the directions
 * of frames' third axes on the unit sphere.
 *
 * Every picture is one SVG file with its own axes, labels and legend and
 * no external references, written through a temporary file (see
 * outfile.h). The loss log is a CSV file with the header step,loss,seconds
 * (further columns are ignored), plain or gzip-compressed.
 *
 * The functions keep no state and are safe from any thread.
 */
#ifndef FRAMEFLOW_PLOT_H
#define FRAMEFLOW_PLOT_H

#include <stddef.h>

#include "frameflow/error.h"
#include "frameflow/se3.h"

/* A loss log: count rows of step and loss, in file order. */
typedef struct ff_plot_loss {
    size_t count;
    double *step;
    double *loss;
} ff_plot_loss;

/*
 * Read the loss log at path into out (owned by the caller, released with
 * ff_plot_loss_free). Return 0, or FF_STATUS_ERR_IO, FF_STATUS_ERR_FORMAT
 * (no step or loss column, a row that is not numbers, "FILE:LINE: ..."),
 * FF_STATUS_ERR_EMPTY (no rows) or FF_STATUS_ERR_NOMEM with err filled;
 * out is then empty.
 */
int ff_plot_loss_read(ff_plot_loss *out, const char *path, ff_error *err);

/* Release the arrays of a loss log; NULL and empty logs are allowed. */
void ff_plot_loss_free(ff_plot_loss *loss);

/*
 * Write the loss curve as SVG at path: loss against step with a
 * logarithmic loss axis, the raw values in a light colour and a moving
 * mean of log loss over 2% of the run on top. Values that are not finite
 * or not above 0 cannot be drawn on the log axis and are counted in a note
 * under the title. title may be NULL. Return 0 or a negative status with
 * err filled (FF_STATUS_ERR_EMPTY when no value can be drawn).
 */
int ff_plot_write_loss(const char *path, const ff_plot_loss *loss,
                       const char *title, ff_error *err);

/* One set of frames in a rotation picture. */
typedef struct ff_plot_series {
    const char *label;     /* legend text, e.g. a file name */
    const ff_pose *poses;
    size_t count;
} ff_plot_series;

/*
 * Write where each frame sends the z axis (the third column of R) as SVG
 * at path: two orthographic views of the unit sphere, the hemisphere
 * z >= 0 seen from +z and z < 0 seen from -z, one colour per series, a
 * legend with the counts. title may be NULL. Return 0 or a negative status
 * with err filled (FF_STATUS_ERR_EMPTY when there is no frame).
 */
int ff_plot_write_rotations(const char *path, const ff_plot_series *series,
                            size_t series_count, const char *title,
                            ff_error *err);

#endif
