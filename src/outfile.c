#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

struct ff_outfile {
    char *path;      /* destination as the caller named it, for messages */
    char *target;    /* file that commit replaces: path, or the file that a
                        symbolic link at path points to */
    char *tmp_path;  /* temporary file beside target; NULL when direct */
    int direct;      /* writing straight into an existing device or pipe */
    int stream_fd;   /* with direct, the open descriptor that path names
                        (/dev/stdout, /dev/fd/N), or -1 to open path */
    int fd;
    int sync_fd;     /* a duplicate of fd, kept open to fsync after gzclose */
    int created;     /* whether tmp_path is ours to remove */
    FILE *fp;        /* plain output, or NULL */
    gzFile gz;       /* gzip output, or NULL */
    int failed;      /* first failure's status, 0 while all is well */
    ff_error err;    /* its message */
};

/* Return what the user can do about a file operation that failed with
 * errnum. */
static const char *
remedy(int errnum)
{
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
        return "free space on the disk or write the file elsewhere";
    case EFBIG:
        return "raise the file size limit (ulimit -f) or write the file "
               "elsewhere";
    case EROFS:
        return "write the file elsewhere";
    case EACCES:
    case EPERM:
        return "choose a folder you may write to";
    case ENOENT:
    case ENOTDIR:
        return "create the folder or choose another path";
    default:
        return "check the disk or write the file elsewhere";
    }
}

/* Fill err with "PATH: WHAT: REASON; REMEDY" and return the status. */
static int
set_io_error(ff_error *err, int errnum, const char *path, const char *what)
{
    int status = ff_error_set_errno(err, errnum, "%s: %s", path, what);

    if (err != NULL) {
        size_t used = strlen(err->message);
        snprintf(err->message + used, sizeof err->message - used, "; %s",
                 remedy(errnum));
    }
    return status;
}

int
ff_outfile_gzip_name(const char *path)
{
    size_t n = strlen(path);

    return n >= 3 && strcasecmp(path + n - 3, ".gz") == 0;
}

/*
 * Create "DIR/.NAME.NNNNNN.tmp" beside the target with O_EXCL; the umask
 * applies to 0666. A process killed before commit or abort leaves this
 * file behind, and the name marks it as temporary.
 */
static int
create_temporary(ff_outfile *out, ff_error *err)
{
    const char *slash = strrchr(out->target, '/');
    size_t dir_len = slash ? (size_t)(slash - out->target) + 1 : 0;
    const char *base = out->target + dir_len;
    size_t size = strlen(out->target) + 32;

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
                 out->target, base, tag);
        out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                       0666);
        if (out->fd >= 0) {
            out->created = 1;
            return 0;
        }
        if (errno != EEXIST) {
            return set_io_error(err, errno, out->path,
                                "cannot create the file");
        }
    }
    return ff_error_set(err, FF_STATUS_ERR_IO,
                        "%s: cannot create a temporary file beside it; "
                        "remove old .*.tmp files there",
                        out->path);
}

/*
 * Return the descriptor that path names as an alias of an open one
 * (/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N), or -1.
 */
static int
stream_alias(const char *path)
{
    static const char *const prefixes[] = {"/dev/fd/", "/proc/self/fd/"};

    if (strcmp(path, "/dev/stdout") == 0) {
        return STDOUT_FILENO;
    }
    if (strcmp(path, "/dev/stderr") == 0) {
        return STDERR_FILENO;
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) == 0 && path[n] >= '0'
            && path[n] <= '9') {
            char *end = NULL;
            long fd = strtol(path + n, &end, 10);
            if (*end == '\0' && fd <= 1024) {
                return (int)fd;
            }
        }
    }
    return -1;
}

/*
 * Return the file that the symbolic link path points to, resolved against
 * the link's folder, whether or not it exists; malloc'd, or NULL.
 */
static char *
link_destination(const char *path)
{
    char dest[4096];
    ssize_t n = readlink(path, dest, sizeof dest - 1);

    if (n < 0 || (size_t)n >= sizeof dest - 1) {
        return NULL;
    }
    dest[n] = '\0';
    const char *slash = strrchr(path, '/');
    if (dest[0] == '/' || slash == NULL) {
        return strdup(dest);
    }
    size_t folder = (size_t)(slash - path) + 1;
    char *joined = malloc(folder + (size_t)n + 1);
    if (joined != NULL) {
        memcpy(joined, path, folder);
        memcpy(joined + folder, dest, (size_t)n + 1);
    }
    return joined;
}

/*
 * Decide where the finished file goes. A symbolic link at path is kept and
 * the file it points to is replaced, or made when it is missing. An
 * existing device, pipe or socket is written in place, because a rename
 * would replace the special file itself. So is an open descriptor named
 * as /dev/stdout or /dev/fd/N, because replacing the file it points to
 * would lose what the shell put there, as with >> redirection.
 */
static int
resolve_target(ff_outfile *out, ff_error *err)
{
    struct stat st;

    out->stream_fd = stream_alias(out->path);
    if (out->stream_fd >= 0) {
        out->direct = 1;
        return 0;
    }
    if (stat(out->path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return ff_error_set(err, FF_STATUS_ERR_IO,
                                "%s: is a folder; give a file name",
                                out->path);
        }
        out->direct = !S_ISREG(st.st_mode);
        if (!out->direct && lstat(out->path, &st) == 0
            && S_ISLNK(st.st_mode)) {
            out->target = realpath(out->path, NULL);
        }
    } else if (errno == ENOENT && lstat(out->path, &st) == 0
               && S_ISLNK(st.st_mode)) {
        // A dangling link: make the file it points to.
        out->target = link_destination(out->path);
    }
    if (out->target == NULL) {
        out->target = strdup(out->path);
    }
    if (out->target == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                            out->path);
    }
    return 0;
}

static int
open_direct(ff_outfile *out, ff_error *err)
{
    if (out->stream_fd >= 0) {
        out->fd = fcntl(out->stream_fd, F_DUPFD_CLOEXEC, 0);
    } else {
        out->fd = open(out->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    }
    if (out->fd < 0) {
        return set_io_error(err, errno, out->path,
                            "cannot open for writing");
    }
    return 0;
}

/*
 * Reject replacing an existing file that the user may not write, as cp
 * would, and give the new file the old one's permissions, so that a
 * private file stays private.
 */
static int
keep_permissions(ff_outfile *out, ff_error *err)
{
    struct stat st;

    if (stat(out->target, &st) != 0 || !S_ISREG(st.st_mode)) {
        return 0;
    }
    if (access(out->target, W_OK) != 0 && errno == EACCES) {
        return ff_error_set(err, FF_STATUS_ERR_IO,
                            "%s: the existing file is write-protected; "
                            "change its permissions or remove it to replace "
                            "it", out->path);
    }
    if (fchmod(out->fd, st.st_mode & 0777) != 0) {
        return set_io_error(err, errno, out->path,
                            "cannot set the permissions");
    }
    return 0;
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
    out->stream_fd = -1;
    out->path = strdup(path);
    if (out->path == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
        free(out);
        return NULL;
    }

    if (resolve_target(out, err) != 0) {
        goto fail;
    }
    int status = out->direct ? open_direct(out, err)
                             : create_temporary(out, err);
    if (status == 0 && !out->direct) {
        status = keep_permissions(out, err);
    }
    if (status != 0) {
        goto fail;
    }

    int gzip = mode == FF_OUTFILE_GZIP
               || (mode == FF_OUTFILE_BY_NAME && ff_outfile_gzip_name(path));
    if (gzip) {
        out->sync_fd = dup(out->fd);
        if (out->sync_fd < 0) {
            set_io_error(err, errno, path, "cannot open for writing");
            goto fail;
        }
        out->gz = gzdopen(out->fd, "wb6");
        if (out->gz == NULL) {
            ff_error_set(err, FF_STATUS_ERR_NOMEM,
                         "%s: cannot start gzip compression", path);
            goto fail;
        }
        gzbuffer(out->gz, 1 << 17);
    } else {
        out->fp = fdopen(out->fd, "wb");
        if (out->fp == NULL) {
            set_io_error(err, errno, path, "cannot open for writing");
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
        out->failed = set_io_error(&out->err, errnum, out->path, what);
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

int
ff_outfile_get_error(const ff_outfile *out, ff_error *err)
{
    if (out->failed != 0 && err != NULL) {
        *err = out->err;
    }
    return out->failed;
}

static void
release(ff_outfile *out)
{
    if (out->sync_fd >= 0) {
        close(out->sync_fd);
    }
    free(out->path);
    free(out->target);
    free(out->tmp_path);
    free(out);
}

/* Sync a file; devices and pipes, which cannot be synced, pass. */
static int
sync_file(int fd)
{
    if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
        return errno;
    }
    return 0;
}

/* Flush, sync and close the stream, keeping the first failure: a full disk
 * often shows only here, when buffered data reaches the file. */
static void
finish_stream(ff_outfile *out)
{
    if (out->gz != NULL) {
        int zstatus = gzclose(out->gz);
        int errnum = errno;
        out->gz = NULL;
        out->fd = -1;
        if (zstatus != Z_OK) {
            record_failure(out, zstatus == Z_ERRNO ? errnum : 0,
                           "write failed while closing");
        }
        errnum = sync_file(out->sync_fd);
        if (errnum != 0) {
            record_failure(out, errnum, "write failed");
        }
    } else if (out->fp != NULL) {
        int errnum = 0;
        if (fflush(out->fp) != 0) {
            errnum = errno;
        } else {
            errnum = sync_file(fileno(out->fp));
        }
        if (errnum != 0) {
            record_failure(out, errnum, "write failed");
        }
        if (fclose(out->fp) != 0) {
            record_failure(out, errno, "write failed while closing");
        }
        out->fp = NULL;
        out->fd = -1;
    }
}

/*
 * Sync the folder that contains path, so that a rename into it survives a
 * power loss. Return 0 or an errno value; a folder that cannot be opened
 * for reading is not synced.
 */
static int
sync_folder(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *folder = NULL;

    if (slash == NULL) {
        folder = strdup(".");
    } else if (slash == path) {
        folder = strdup("/");
    } else {
        folder = strndup(path, (size_t)(slash - path));
    }
    if (folder == NULL) {
        return ENOMEM;
    }
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(folder);
    if (fd < 0) {
        return 0;
    }
    int errnum = sync_file(fd);
    close(fd);
    return errnum;
}

int
ff_outfile_commit(ff_outfile *out, ff_error *err)
{
    finish_stream(out);
    if (!out->failed && !out->direct) {
        if (rename(out->tmp_path, out->target) != 0) {
            record_failure(out, errno,
                           "cannot move the finished file into place");
        } else {
            out->created = 0;
            int errnum = sync_folder(out->target);
            if (errnum != 0) {
                record_failure(out, errnum, "written, but syncing its "
                               "folder failed");
            }
        }
    }

    int status = out->failed;
    if (status != 0) {
        if (err != NULL) {
            *err = out->err;
        }
        if (out->created) {
            unlink(out->tmp_path);
        }
    }
    release(out);
    return status;
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
