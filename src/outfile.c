#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

struct ff_outfile {
    char *path;      /* destination */
    char *tmp_path;  /* temporary file beside it */
    int fd;
    int sync_fd;     /* a duplicate of fd, kept open to fsync after gzclose */
    int created;     /* whether tmp_path is ours to remove */
    FILE *fp;        /* plain output, or NULL */
    gzFile gz;       /* gzip output, or NULL */
    int failed;      /* first failure's status, 0 while all is well */
    ff_error err;    /* its message */
};

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Create "DIR/.NAME.XXXXXX.tmp" with O_EXCL; the umask applies to 0666. */
static int
create_temporary(ff_outfile *out, ff_error *err)
{
    const char *slash = strrchr(out->path, '/');
    size_t dir_len = slash ? (size_t)(slash - out->path) + 1 : 0;
    const char *base = out->path + dir_len;
    size_t size = strlen(out->path) + 32;

    out->tmp_path = malloc(size);
    if (out->tmp_path == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "%s: out of memory", out->path);
    }

    unsigned long salt = (unsigned long)getpid() * 2654435761u
                         ^ (unsigned long)time(NULL)
                         ^ (unsigned long)(size_t)out;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned long tag = (salt + (unsigned long)attempt * 40503u) % 1000000;
        snprintf(out->tmp_path, size, "%.*s.%s.%06lu.tmp", (int)dir_len,
                 out->path, base, tag);
        out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                       0666);
        if (out->fd >= 0) {
            out->created = 1;
            return 0;
        }
        if (errno != EEXIST) {
            return ff_error_set_errno(err, errno, "%s: cannot create file",
                                      out->path);
        }
    }
    return ff_error_set(err, FF_STATUS_ERR_IO,
                        "%s: cannot create a temporary file beside it",
                        out->path);
}

ff_outfile *
ff_outfile_open(const char *path, int mode, ff_error *err)
{
    ff_outfile *out = calloc(1, sizeof *out);

    if (out == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    out->fd = -1;
    out->sync_fd = -1;
    out->path = strdup(path);
    if (out->path == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
        free(out);
        return NULL;
    }

    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        ff_error_set(err, FF_STATUS_ERR_IO,
                     "%s: is a folder; give a file name", path);
        goto fail;
    }
    if (create_temporary(out, err) != 0) {
        goto fail;
    }

    int fast = (mode & FF_OUTFILE_FAST) != 0;
    mode &= ~FF_OUTFILE_FAST;
    int gzip = mode == FF_OUTFILE_GZIP
               || (mode == FF_OUTFILE_BY_NAME && ends_with(path, ".gz"));
    if (gzip) {
        out->sync_fd = dup(out->fd);
        if (out->sync_fd < 0) {
            ff_error_set_errno(err, errno, "%s: cannot open for writing",
                               path);
            goto fail;
        }
        out->gz = gzdopen(out->fd, fast ? "wb1" : "wb6");
        if (out->gz == NULL) {
            ff_error_set(err, FF_STATUS_ERR_NOMEM,
                         "%s: cannot start gzip compression", path);
            goto fail;
        }
        gzbuffer(out->gz, 1 << 17);
    } else {
        out->fp = fdopen(out->fd, "wb");
        if (out->fp == NULL) {
            ff_error_set_errno(err, errno, "%s: cannot open for writing",
                               path);
            goto fail;
        }
    }
    return out;

fail:
    ff_outfile_abort(out);
    return NULL;
}

static void
record_failure(ff_outfile *out, int errnum, const char *what)
{
    if (out->failed) {
        return;
    }
    if (errnum != 0) {
        out->failed = ff_error_set_errno(&out->err, errnum, "%s: %s",
                                         out->path, what);
    } else {
        out->failed = ff_error_set(&out->err, FF_STATUS_ERR_IO, "%s: %s",
                                   out->path, what);
    }
}

int
ff_outfile_write(ff_outfile *out, const void *data, size_t n)
{
    if (out->failed) {
        return out->failed;
    }
    if (n == 0) {
        return 0;
    }
    if (out->gz != NULL) {
        const char *p = data;
        while (n > 0) {
            unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
            int written = gzwrite(out->gz, p, chunk);
            if (written <= 0) {
                int zerr = 0;
                const char *msg = gzerror(out->gz, &zerr);
                record_failure(out, zerr == Z_ERRNO ? errno : 0,
                               zerr == Z_ERRNO ? "write failed" : msg);
                return out->failed;
            }
            p += written;
            n -= (size_t)written;
        }
        return 0;
    }
    if (fwrite(data, 1, n, out->fp) != n) {
        record_failure(out, errno, "write failed");
        return out->failed;
    }
    return 0;
}

int
ff_outfile_printf(ff_outfile *out, const char *fmt, ...)
{
    char stack[1024];
    va_list ap;

    if (out->failed) {
        return out->failed;
    }
    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof stack, fmt, ap);
    va_end(ap);
    if (n < 0) {
        record_failure(out, 0, "text formatting failed");
        return out->failed;
    }
    if ((size_t)n < sizeof stack) {
        return ff_outfile_write(out, stack, (size_t)n);
    }

    char *heap = malloc((size_t)n + 1);
    if (heap == NULL) {
        record_failure(out, ENOMEM, "write failed");
        return out->failed;
    }
    va_start(ap, fmt);
    vsnprintf(heap, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int status = ff_outfile_write(out, heap, (size_t)n);
    free(heap);
    return status;
}

int
ff_outfile_failed(const ff_outfile *out)
{
    return out->failed != 0;
}

static void
release(ff_outfile *out)
{
    if (out->sync_fd >= 0) {
        close(out->sync_fd);
    }
    free(out->path);
    free(out->tmp_path);
    free(out);
}

int
ff_outfile_commit(ff_outfile *out, ff_error *err)
{
    // Flush and close, keeping the first failure: a full disk often shows
    // only here, when buffered data reaches the file.
    if (out->gz != NULL) {
        int zstatus = gzclose(out->gz);
        out->gz = NULL;
        out->fd = -1;
        if (zstatus != Z_OK) {
            record_failure(out, zstatus == Z_ERRNO ? errno : 0,
                           "write failed while closing");
        }
        if (fsync(out->sync_fd) != 0 && errno != EINVAL) {
            record_failure(out, errno, "write failed");
        }
    } else if (out->fp != NULL) {
        if (fflush(out->fp) != 0) {
            record_failure(out, errno, "write failed");
        } else if (fsync(fileno(out->fp)) != 0 && errno != EINVAL) {
            record_failure(out, errno, "write failed");
        }
        if (fclose(out->fp) != 0) {
            record_failure(out, errno, "write failed while closing");
        }
        out->fp = NULL;
        out->fd = -1;
    }

    if (!out->failed && rename(out->tmp_path, out->path) != 0) {
        record_failure(out, errno, "cannot move the finished file into place");
    }
    if (out->failed) {
        int status = out->failed;
        if (err != NULL) {
            *err = out->err;
        }
        unlink(out->tmp_path);
        release(out);
        return status;
    }
    release(out);
    return 0;
}

void
ff_outfile_abort(ff_outfile *out)
{
    if (out == NULL) {
        return;
    }
    if (out->gz != NULL) {
        gzclose(out->gz);
    } else if (out->fp != NULL) {
        fclose(out->fp);
    } else if (out->fd >= 0) {
        close(out->fd);
    }
    if (out->created) {
        unlink(out->tmp_path);
    }
    release(out);
}
