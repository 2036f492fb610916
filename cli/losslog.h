/*
 * The loss log of "frameflow train": a CSV file with the header
 * step,loss,seconds and one row per training step.
 *
 * Rows are written one at a time with write(2), so that a failed write is
 * seen at the step that caused it, and the file is cut back to its last
 * complete row when a write fails. When training resumes, rows after the
 * resumed model's step are dropped before new rows are appended: a run
 * killed after its last checkpoint wrote them, and the resumed run writes
 * those steps again.
 */
#ifndef FRAMEFLOW_CLI_LOSSLOG_H
#define FRAMEFLOW_CLI_LOSSLOG_H

#include <stdint.h>
#include <sys/types.h>

#define CLI_LOSS_LOG_HEADER "step,loss,seconds\n"

typedef struct cli_loss_log {
    const char *path;
    int fd;
    int regular;          /* a regular file, which can be cut back */
    off_t complete_size;  /* bytes up to the end of the last complete row */
} cli_loss_log;

/*
 * Open the log at path. When resuming at step, an existing log keeps its
 * rows up to step and is appended to; otherwise the log starts afresh with
 * its header. Return 0, or print one line and return a CLI exit status.
 */
int cli_loss_log_open(cli_loss_log *log, const char *path, int resuming,
                      uint64_t step);

/*
 * Append the row of one step. Return 0, or an errno value after cutting
 * the file back to its last complete row; the log is then closed.
 */
int cli_loss_log_append(cli_loss_log *log, uint64_t step, double loss,
                        double seconds);

/* Return what the user can do about a write that failed with errnum. */
const char *cli_loss_log_remedy(int errnum);

/* Close the log; a closed or never opened log is allowed. */
void cli_loss_log_close(cli_loss_log *log);

#endif
