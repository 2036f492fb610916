#include "losslog.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Return what the user can do about a loss log write that failed. */
static const char *
remedy(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
        return "free space on the disk or choose another --loss-log";
    case EFBIG:
        return "raise the file size limit (ulimit -f) or choose another "
               "--loss-log";
    default:
        return "choose another --loss-log";
    }
}

/* Write all n bytes; return 0 or an errno value. */
static int
write_all(int fd, const char *data, size_t n)
{
    while (n > 0) {
        ssize_t written = write(fd, data, n);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return written < 0 ? errno : EIO;
        }
        data += written;
        n -= (size_t)written;
    }
    return 0;
}

/*
 * Measure the part of the log at path to keep when resuming at step: the
 * header and the complete rows up to the first row after step. Store its
 * size in *keep (0 when the file does not exist) and the count of rows
 * after it in *dropped. Return 0, or print one line and return -1.
 */
static int
measure_kept_rows(const char *path, uint64_t step, off_t *keep,
                  size_t *dropped)
{
    FILE *fp = fopen(path, "r");

    *keep = 0;
    *dropped = 0;
    if (fp == NULL) {
        if (errno == ENOENT) {
            return 0;
        }
        cli_error("%s: cannot read the loss log: %s; choose another "
                  "--loss-log", path, strerror(errno));
        return -1;
    }

    char *line = NULL;
    size_t capacity = 0;
    ssize_t length = getline(&line, &capacity, fp);
    int status = 0;
    if (length > 0 && strcmp(line, CLI_LOSS_LOG_HEADER) != 0) {
        cli_error("%s: not a loss log: the first line is not "
                  "step,loss,seconds; choose another --loss-log", path);
        status = -1;
    } else if (length > 0) {
        *keep = length;
        int keeping = 1;
        while ((length = getline(&line, &capacity, fp)) > 0) {
            char *end = NULL;
            uint64_t row_step = strtoull(line, &end, 10);
            keeping = keeping && line[length - 1] == '\n' && end != line
                      && *end == ',' && row_step <= step;
            if (keeping) {
                *keep += length;
            } else {
                (*dropped)++;
            }
        }
    }
    if (status == 0 && ferror(fp)) {
        cli_error("%s: cannot read the loss log; choose another --loss-log",
                  path);
        status = -1;
    }
    free(line);
    fclose(fp);
    return status;
}

/* Cut the log back to its complete rows; devices and pipes are left. */
static void
cut_back(cli_loss_log *log)
{
    if (log->regular) {
        // The row that failed is dropped; nothing more can be done if
        // this fails too.
        (void)!ftruncate(log->fd, log->complete_size);
    }
}

int
cli_loss_log_open(cli_loss_log *log, const char *path, int resuming,
                  uint64_t step)
{
    off_t keep = 0;
    size_t dropped = 0;

    log->path = path;
    log->fd = -1;
    log->complete_size = 0;
    if (resuming && measure_kept_rows(path, step, &keep, &dropped) != 0) {
        return CLI_EXIT_FAILURE;
    }

    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
    if (keep == 0) {
        flags |= O_TRUNC;
    }
    log->fd = open(path, flags, 0666);
    if (log->fd < 0) {
        int errnum = errno;
        cli_error("%s: cannot open the loss log for writing: %s; %s", path,
                  strerror(errnum), remedy(errnum));
        return CLI_EXIT_FAILURE;
    }
    struct stat st;
    log->regular = fstat(log->fd, &st) == 0 && S_ISREG(st.st_mode);
    log->complete_size = keep;
    if (dropped > 0) {
        cut_back(log);
        cli_log(CLI_LEVEL_INFO, "%s: dropped %zu row%s after step %" PRIu64
                ", the step of the resumed model", path, dropped,
                cli_plural(dropped), step);
    }
    if (keep == 0) {
        int errnum = write_all(log->fd, CLI_LOSS_LOG_HEADER,
                               strlen(CLI_LOSS_LOG_HEADER));
        if (errnum != 0) {
            // A log without its header is of no use: remove it, unless
            // it is a device, a pipe or a link to something else.
            cli_error("%s: writing the loss log failed: %s; %s", path,
                      strerror(errnum), remedy(errnum));
            cli_loss_log_close(log);
            if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                unlink(path);
            }
            return CLI_EXIT_FAILURE;
        }
        log->complete_size = (off_t)strlen(CLI_LOSS_LOG_HEADER);
    }
    return 0;
}

int
cli_loss_log_append(cli_loss_log *log, uint64_t step, double loss,
                    double seconds)
{
    char row[128];
    int n = snprintf(row, sizeof row, "%" PRIu64 ",%.9g,%.3f\n", step, loss,
                     seconds);

    int errnum = write_all(log->fd, row, (size_t)n);
    if (errnum != 0) {
        cut_back(log);
        cli_loss_log_close(log);
        return errnum;
    }
    log->complete_size += n;
    return 0;
}

const char *
cli_loss_log_remedy(int errnum)
{
    return remedy(errnum);
}

void
cli_loss_log_close(cli_loss_log *log)
{
    if (log->fd >= 0) {
        close(log->fd);
        log->fd = -1;
    }
}
