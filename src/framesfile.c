/*
 * The frames file: writer and reader of the tab-separated format described
 * in frameflow/frames.h.
 */
#include "frameflow/frames.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "frameflow/so3.h"
#include "errors.h"
#include "numfmt.h"
#include "outfile.h"

#define COLUMN_COUNT 20

static const char *const column_names[COLUMN_COUNT] = {
    "source", "model", "chain", "seqnum", "icode", "resname", "kind",
    "fraction", "tx", "ty", "tz", "R00", "R01", "R02", "R10", "R11", "R12",
    "R20", "R21", "R22"
};

/* Columns before the 12 numbers of the pose. */
#define LABEL_COLUMNS 8

/* Largest accepted entry of R^T R - I. Frames written with 17 significant
 * digits are off by about 1e-15, and with six decimals by up to about
 * 3e-6, so 1e-4 takes files that other tools wrote with four decimals or
 * more and still catches any matrix that is not a rotation. */
#define ROTATION_TOLERANCE 1e-4

/* Entry of R^T R - I above which a rotation read is projected onto SO(3):
 * far above the rounding of 17 digits, which are kept bit for bit. */
#define ROTATION_REPAIR 1e-12

/* Bytes of text collected before a write. */
#define WRITE_BUFFER_SIZE (1 << 16)

/* Maximum length of a line the reader accepts, in bytes. */
#define LINE_MAX_BYTES (1 << 16)

static const char *const kind_names[] = {"residue", "interpolated"};

struct ff_framesfile {
    ff_outfile *out;   /* the bytes of the file, gzip members included */
    char *path;
    int gzip;          /* whether each block is a gzip member */
    int failed;        /* set after a failed write, when only abort remains */
};

struct ff_framesfile_block {
    unsigned char *data;
    size_t size;
    size_t capacity;
};

/* ------------------------------------------------------------------ */
/* Writer                                                              */

/*
 * The writer turns text into the file's bytes through an encoder: plain
 * text passes through, and for a ".gz" name every call of encoder_finish
 * closes one gzip member. Concatenated members form a valid gzip file that
 * gzip, zlib and Python read whole, so sets can be compressed apart, in
 * parallel, and joined in order.
 */
typedef int (*emit_fn)(void *target, const void *data, size_t n);

typedef struct encoder {
    int gzip;
    z_stream z;
    emit_fn emit;
    void *target;
    unsigned char out[1 << 16];
} encoder;

/* Level 1: the digits of %.17g numbers compress little better at higher
 * levels, and level 6 takes about 3.7 times as long for a file about 9%
 * smaller (frames of 3BDY, zlib 1.2.13). */
#define GZIP_LEVEL 1

static int
encoder_start(encoder *e, int gzip, emit_fn emit, void *target)
{
    e->gzip = gzip;
    e->emit = emit;
    e->target = target;
    if (!gzip) {
        return 0;
    }
    memset(&e->z, 0, sizeof e->z);
    // 16 + 15: a gzip wrapper around a 32 KiB window.
    return deflateInit2(&e->z, GZIP_LEVEL, Z_DEFLATED, 16 + 15, 8,
                        Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

/* Compress n bytes of text with flush mode and emit the output. */
static int
encoder_deflate(encoder *e, const char *text, size_t n, int flush)
{
    e->z.next_in = (unsigned char *)(uintptr_t)text;
    e->z.avail_in = (uInt)n;
    int status;
    do {
        e->z.next_out = e->out;
        e->z.avail_out = sizeof e->out;
        status = deflate(&e->z, flush);
        if (status == Z_STREAM_ERROR) {
            return -1;
        }
        size_t produced = sizeof e->out - e->z.avail_out;
        if (produced > 0 && e->emit(e->target, e->out, produced) != 0) {
            return -1;
        }
    } while (e->z.avail_out == 0
             || (flush == Z_FINISH && status != Z_STREAM_END));
    return 0;
}

/* Encode n bytes of text (n below 4 GiB). */
static int
encoder_put(encoder *e, const char *text, size_t n)
{
    if (!e->gzip) {
        return e->emit(e->target, text, n);
    }
    return encoder_deflate(e, text, n, Z_NO_FLUSH);
}

/* End the block; return 0 or -1. The encoder is released either way. */
static int
encoder_finish(encoder *e)
{
    if (!e->gzip) {
        return 0;
    }
    int status = encoder_deflate(e, NULL, 0, Z_FINISH);
    deflateEnd(&e->z);
    return status;
}

/* Release an encoder after a failure. */
static void
encoder_abort(encoder *e)
{
    if (e->gzip) {
        deflateEnd(&e->z);
    }
}

static int
emit_to_outfile(void *target, const void *data, size_t n)
{
    return ff_outfile_write(target, data, n) == 0 ? 0 : -1;
}

static int
emit_to_block(void *target, const void *data, size_t n)
{
    ff_framesfile_block *block = target;

    if (n == 0) {
        return 0;
    }
    if (n > block->capacity - block->size) {
        size_t capacity = block->capacity ? block->capacity : 1 << 16;
        while (capacity - block->size < n) {
            if (capacity > SIZE_MAX / 2) {
                return -1;
            }
            capacity *= 2;
        }
        unsigned char *grown = realloc(block->data, capacity);
        if (grown == NULL) {
            return -1;
        }
        block->data = grown;
        block->capacity = capacity;
    }
    memcpy(block->data + block->size, data, n);
    block->size += n;
    return 0;
}

static int
has_separator(const char *s)
{
    return strpbrk(s, "\t\n\r") != NULL;
}

ff_framesfile *
ff_framesfile_open(const char *path, ff_error *err)
{
    ff_framesfile *file = calloc(1, sizeof *file);

    if (file == NULL || (file->path = strdup(path)) == NULL) {
        free(file);
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    file->gzip = ff_outfile_gzip_name(path);
    file->out = ff_outfile_open(path, FF_OUTFILE_PLAIN, err);
    if (file->out == NULL) {
        free(file->path);
        free(file);
        return NULL;
    }

    char header[512];
    int n = snprintf(header, sizeof header, "%s %d\n", FF_FRAMESFILE_MAGIC,
                     FF_FRAMESFILE_VERSION);
    for (int c = 0; c < COLUMN_COUNT; c++) {
        n += snprintf(header + n, sizeof header - (size_t)n, "%s%c",
                      column_names[c], c + 1 < COLUMN_COUNT ? '\t' : '\n');
    }
    // A write error stays in the outfile, and commit reports it; without
    // one, only memory for the compressor can have run out.
    encoder e;
    int status = encoder_start(&e, file->gzip, emit_to_outfile, file->out);
    if (status == 0) {
        status = encoder_put(&e, header, (size_t)n);
        if (status == 0) {
            status = encoder_finish(&e);
        } else {
            encoder_abort(&e);
        }
    }
    if (status != 0 && !ff_outfile_failed(file->out)) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
        ff_outfile_abort(file->out);
        free(file->path);
        free(file);
        return NULL;
    }
    return file;
}

/* Check that every name that goes into a column can be written. */
static int
check_names(const char *path, const ff_frameset *set, ff_error *err)
{
    for (size_t i = 0; i < set->source_count; i++) {
        if (set->sources[i][0] == '\0' || has_separator(set->sources[i])) {
            return ff_error_set(err, FF_STATUS_ERR_INVALID,
                                "%s: source name '%s' is empty or holds a tab "
                                "or line break, which a frames file cannot "
                                "store; rename the file",
                                path, set->sources[i]);
        }
    }
    for (size_t i = 0; i < set->chain_count; i++) {
        if (has_separator(set->chains[i])) {
            return ff_error_set(err, FF_STATUS_ERR_INVALID,
                                "%s: chain name '%s' holds a tab or line "
                                "break, which a frames file cannot store",
                                path, set->chains[i]);
        }
    }
    for (size_t i = 0; i < set->count; i++) {
        const ff_frame_label *l = &set->labels[i];
        if (has_separator(l->resname) || l->kind > FF_FRAME_KIND_INTERPOLATED) {
            return ff_error_set(err, FF_STATUS_ERR_INVALID,
                                "%s: frame %zu has residue name '%s' or "
                                "kind %d, which a frames file cannot store",
                                path, i + 1, l->resname, l->kind);
        }
    }
    return 0;
}

/* Check that every translation is one the reader accepts: finite and
 * within FF_FRAMES_COORD_MAX. */
static int
check_translations(const char *path, const ff_frameset *set, ff_error *err)
{
    for (size_t i = 0; i < set->count; i++) {
        for (int k = 0; k < 3; k++) {
            double x = set->poses[i].x[k];
            if (!(fabs(x) <= FF_FRAMES_COORD_MAX)) {
                return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                    "%s: frame %zu has the coordinate %g "
                                    "Angstrom, which is not finite or beyond "
                                    "the %g of any structure",
                                    path, i + 1, x, FF_FRAMES_COORD_MAX);
            }
        }
    }
    return 0;
}

/* Copy the n bytes of text to p and a separator after them; return the
 * position after the separator. */
static char *
put_field(char *p, const char *text, size_t n, char separator)
{
    memcpy(p, text, n);
    p[n] = separator;
    return p + n + 1;
}

/*
 * Format frame i of set as one line into buf, numbers as %.17g. Return its
 * length, or, when it may not fit in size bytes, a bound on the length that
 * a buffer of more bytes than that surely holds.
 */
static size_t
format_row(char *buf, size_t size, const ff_frameset *set, size_t i)
{
    const ff_frame_label *l = &set->labels[i];
    const ff_pose *p = &set->poses[i];
    const char *source = set->sources[l->source];
    const char *chain = set->chains[l->chain];
    const char *kind = kind_names[l->kind];
    size_t source_length = strlen(source);
    size_t chain_length = strlen(chain);
    size_t resname_length = strlen(l->resname);
    size_t kind_length = strlen(kind);

    // Two integers, the icode, 13 numbers and 20 separators besides the
    // names.
    size_t bound = source_length + chain_length + resname_length
                   + kind_length + 2 * 12 + 1 + 13 * FF_G17_MAX + 20;
    if (bound >= size) {
        return bound;
    }

    char number[FF_G17_MAX];
    char *q = put_field(buf, source, source_length, '\t');
    q = put_field(q, number, ff_format_int32(number, l->model), '\t');
    q = put_field(q, chain, chain_length, '\t');
    q = put_field(q, number, ff_format_int32(number, l->seqnum), '\t');
    *q++ = l->icode == ' ' || l->icode == '\0' ? '.' : l->icode;
    *q++ = '\t';
    q = put_field(q, l->resname, resname_length, '\t');
    q = put_field(q, kind, kind_length, '\t');
    q = put_field(q, number, ff_format_g17(number, l->fraction), '\t');
    for (int d = 0; d < 3; d++) {
        q = put_field(q, number, ff_format_g17(number, p->x[d]), '\t');
    }
    for (int e = 0; e < 9; e++) {
        q = put_field(q, number, ff_format_g17(number, p->R[e]),
                      e < 8 ? '\t' : '\n');
    }
    return (size_t)(q - buf);
}

/* Format a row too long for the shared buffer in a buffer of its own and
 * encode it. */
static int
put_long_row(encoder *e, const ff_frameset *set, size_t i, size_t bound)
{
    char *row = malloc(bound + 1);

    if (row == NULL) {
        return -1;
    }
    size_t length = format_row(row, bound + 1, set, i);
    int status = encoder_put(e, row, length);
    free(row);
    return status;
}

/*
 * Encode every row of set through a new encoder: one gzip member for a
 * compressed file. Return 0, or a negative status with err filled.
 */
static int
encode_set(const ff_framesfile *file, const ff_frameset *set, emit_fn emit,
           void *target, ff_error *err)
{
    int status = check_names(file->path, set, err);
    if (status == 0) {
        // The reader rejects what it would not write.
        status = check_translations(file->path, set, err);
    }
    if (status != 0) {
        return status;
    }
    char *buffer = malloc(WRITE_BUFFER_SIZE);
    encoder e;
    if (buffer == NULL || encoder_start(&e, file->gzip, emit, target) != 0) {
        free(buffer);
        return ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                            file->path);
    }

    // Rows are collected in a buffer so that gzip gets few, large pieces.
    size_t used = 0;
    int failed = 0;
    for (size_t i = 0; !failed && i < set->count; i++) {
        size_t n = format_row(buffer + used, WRITE_BUFFER_SIZE - used, set, i);
        if (n >= WRITE_BUFFER_SIZE - used) {
            failed = encoder_put(&e, buffer, used) != 0;
            used = 0;
            n = format_row(buffer, WRITE_BUFFER_SIZE, set, i);
            if (!failed && n >= WRITE_BUFFER_SIZE) {
                failed = put_long_row(&e, set, i, n) != 0;
                n = 0;
            }
        }
        used += n;
    }
    if (!failed) {
        failed = encoder_put(&e, buffer, used) != 0;
    }
    free(buffer);
    if (failed) {
        encoder_abort(&e);
    } else {
        failed = encoder_finish(&e) != 0;
    }
    if (failed) {
        // A write error stays in the outfile, and commit reports it; a
        // failure without one is memory running out.
        if (emit == emit_to_outfile && ff_outfile_failed(file->out)) {
            return ff_outfile_get_error(file->out, err);
        }
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "%s: out of memory while encoding frames",
                            file->path);
    }
    return 0;
}

int
ff_framesfile_write(ff_framesfile *file, const ff_frameset *set,
                    ff_error *err)
{
    if (file->failed) {
        return ff_error_set(err, FF_STATUS_ERR_IO,
                            "%s: an earlier write failed", file->path);
    }
    int status = encode_set(file, set, emit_to_outfile, file->out, err);
    if (status == 0) {
        // The outfile keeps the reason, and commit reports it too.
        status = ff_outfile_get_error(file->out, err);
    }
    if (status != 0) {
        file->failed = 1;
    }
    return status;
}

ff_framesfile_block *
ff_framesfile_encode(const ff_framesfile *file, const ff_frameset *set,
                     ff_error *err)
{
    ff_framesfile_block *block = calloc(1, sizeof *block);

    if (block == NULL) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                     file->path);
        return NULL;
    }
    if (encode_set(file, set, emit_to_block, block, err) != 0) {
        ff_framesfile_block_free(block);
        return NULL;
    }
    return block;
}

int
ff_framesfile_write_block(ff_framesfile *file,
                          const ff_framesfile_block *block, ff_error *err)
{
    if (file->failed) {
        return ff_error_set(err, FF_STATUS_ERR_IO,
                            "%s: an earlier write failed", file->path);
    }
    if (block->size > 0
        && ff_outfile_write(file->out, block->data, block->size) != 0) {
        file->failed = 1;
        return ff_outfile_get_error(file->out, err);
    }
    return 0;
}

void
ff_framesfile_block_free(ff_framesfile_block *block)
{
    if (block != NULL) {
        free(block->data);
        free(block);
    }
}

int
ff_framesfile_commit(ff_framesfile *file, ff_error *err)
{
    if (file->failed) {
        int status = ff_error_set(err, FF_STATUS_ERR_IO,
                                  "%s: not written because an earlier write "
                                  "failed", file->path);
        ff_framesfile_abort(file);
        return status;
    }
    int status = ff_outfile_commit(file->out, err);
    free(file->path);
    free(file);
    return status;
}

void
ff_framesfile_abort(ff_framesfile *file)
{
    if (file == NULL) {
        return;
    }
    ff_outfile_abort(file->out);
    free(file->path);
    free(file);
}

int
ff_frameset_write(const ff_frameset *set, const char *path, ff_error *err)
{
    ff_error local;
    if (err == NULL) {
        err = &local;
    }
    ff_framesfile *file = ff_framesfile_open(path, err);
    if (file == NULL) {
        return err->code;
    }
    int status = ff_framesfile_write(file, set, err);
    if (status != 0) {
        ff_framesfile_abort(file);
        return status;
    }
    return ff_framesfile_commit(file, err);
}

/* ------------------------------------------------------------------ */
/* Reader                                                              */

/* A gzip or plain file read one line at a time. */
typedef struct line_reader {
    const char *path;
    gzFile gz;
    char *buf;      /* LINE_MAX_BYTES + 1 bytes */
    size_t start;   /* first unread byte */
    size_t end;     /* one past the last byte read */
    int eof;
    long line;      /* number of the line last returned */
} line_reader;

static int
reader_open(line_reader *r, const char *path, ff_error *err)
{
    struct stat st;

    memset(r, 0, sizeof *r);
    r->path = path;
    if (stat(path, &st) != 0) {
        return ff_error_set_errno(err, errno, "%s: cannot open", path);
    }
    if (S_ISDIR(st.st_mode)) {
        return ff_error_set(err, FF_STATUS_ERR_IO,
                            "%s: is a folder, not a file", path);
    }
    r->buf = malloc(LINE_MAX_BYTES + 1);
    if (r->buf == NULL) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                            path);
    }
    // gzopen reads plain files unchanged, so gzip is found by content.
    errno = 0;
    r->gz = gzopen(path, "rb");
    if (r->gz == NULL) {
        int saved = errno;
        free(r->buf);
        r->buf = NULL;
        if (saved != 0) {
            return ff_error_set_errno(err, saved, "%s: cannot open", path);
        }
        return ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory",
                            path);
    }
    gzbuffer(r->gz, 1 << 17);
    return 0;
}

static void
reader_close(line_reader *r)
{
    if (r->gz != NULL) {
        gzclose(r->gz);
    }
    free(r->buf);
}

/* Read more bytes after the unread ones. Return 0 or a negative status. */
static int
reader_fill(line_reader *r, ff_error *err)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    int n = gzread(r->gz, r->buf + r->end,
                   (unsigned)(LINE_MAX_BYTES - r->end));
    int status = ff_error_set_gzip(err, r->gz, r->path);
    if (status != 0) {
        return status;
    }
    if (n < 0) {
        return ff_error_set(err, FF_STATUS_ERR_IO, "%s: read failed",
                            r->path);
    }
    if (n == 0) {
        r->eof = 1;
    }
    r->end += (size_t)n;
    return 0;
}

/*
 * Point *line at the next line, without its line break (and without a
 * carriage return before it). Return 1 for a line, 0 at the end, or a
 * negative status. The line stays valid until the next call.
 */
static int
reader_next(line_reader *r, char **line, ff_error *err)
{
    for (;;) {
        char *begin = r->buf + r->start;
        char *nl = memchr(begin, '\n', r->end - r->start);
        if (nl != NULL || (r->eof && r->end > r->start)) {
            char *stop = nl != NULL ? nl : r->buf + r->end;
            r->start = nl != NULL ? (size_t)(nl - r->buf) + 1 : r->end;
            if (stop > begin && stop[-1] == '\r') {
                stop--;
            }
            *stop = '\0';
            r->line++;
            *line = begin;
            return 1;
        }
        if (r->eof) {
            return 0;
        }
        if (r->start == 0 && r->end == LINE_MAX_BYTES) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: line longer than %d bytes", r->path,
                                r->line + 1, LINE_MAX_BYTES);
        }
        int status = reader_fill(r, err);
        if (status != 0) {
            return status;
        }
    }
}

/* Check the magic line. */
static int
check_magic(const line_reader *r, const char *line, ff_error *err)
{
    size_t n = strlen(FF_FRAMESFILE_MAGIC);

    if (strncmp(line, FF_FRAMESFILE_MAGIC, n) != 0 || line[n] != ' ') {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:1: not a frameflow frames file: the first "
                            "line should be '%s %d'",
                            r->path, FF_FRAMESFILE_MAGIC,
                            FF_FRAMESFILE_VERSION);
    }
    char *end = NULL;
    errno = 0;
    long version = strtol(line + n + 1, &end, 10);
    if (end == line + n + 1 || *end != '\0' || errno != 0) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:1: invalid format version '%s'", r->path,
                            line + n + 1);
    }
    if (version != FF_FRAMESFILE_VERSION) {
        return ff_error_set(err, FF_STATUS_ERR_VERSION,
                            "%s:1: frames file format version %ld is not "
                            "supported; this frameflow reads version %d",
                            r->path, version, FF_FRAMESFILE_VERSION);
    }
    return 0;
}

/* Check the line of column names. */
static int
check_header(const line_reader *r, const char *line, ff_error *err)
{
    const char *p = line;

    for (int c = 0; c < COLUMN_COUNT; c++) {
        size_t n = strlen(column_names[c]);
        char next = c + 1 < COLUMN_COUNT ? '\t' : '\0';
        if (strncmp(p, column_names[c], n) != 0 || p[n] != next) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: expected the column names source, "
                                "model, chain, seqnum, icode, resname, kind, "
                                "fraction, tx, ty, tz, R00 ... R22 separated "
                                "by tabs; column %d differs",
                                r->path, r->line, c + 1);
        }
        p += n + 1;
    }
    return 0;
}

/* Split line at tabs into exactly COLUMN_COUNT fields. */
static int
split_fields(const line_reader *r, char *line, char **fields, ff_error *err)
{
    int count = 0;
    char *p = line;

    for (;;) {
        if (count == COLUMN_COUNT) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s:%ld: more than %d tab-separated columns",
                                r->path, r->line, COLUMN_COUNT);
        }
        fields[count++] = p;
        char *tab = strchr(p, '\t');
        if (tab == NULL) {
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    if (count != COLUMN_COUNT) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%ld: expected %d tab-separated columns, "
                            "found %d",
                            r->path, r->line, COLUMN_COUNT, count);
    }
    return 0;
}

static int
parse_int32(const line_reader *r, const char *text, int column, int32_t *out,
            ff_error *err)
{
    char *end = NULL;

    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || v < INT32_MIN
        || v > INT32_MAX) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%ld: column %s: invalid integer '%s'",
                            r->path, r->line, column_names[column], text);
    }
    *out = (int32_t)v;
    return 0;
}

static int
parse_double(const line_reader *r, const char *text, int column, double *out,
             ff_error *err)
{
    char *end = NULL;

    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0') {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%ld: column %s: invalid number '%s'",
                            r->path, r->line, column_names[column], text);
    }
    // strtod sets ERANGE for underflow too; only an infinite result is an
    // error, and it is caught as non-finite.
    if (!isfinite(v)) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "%s:%ld: column %s: non-finite number '%s'",
                            r->path, r->line, column_names[column], text);
    }
    *out = v;
    return 0;
}

/* Parse the kind and fraction columns. */
static int
parse_kind(const line_reader *r, char **fields, int *kind, double *fraction,
           ff_error *err)
{
    if (strcmp(fields[6], kind_names[FF_FRAME_KIND_RESIDUE]) == 0) {
        *kind = FF_FRAME_KIND_RESIDUE;
    } else if (strcmp(fields[6], kind_names[FF_FRAME_KIND_INTERPOLATED])
               == 0) {
        *kind = FF_FRAME_KIND_INTERPOLATED;
    } else {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%ld: column kind: '%s' is neither 'residue' "
                            "nor 'interpolated'",
                            r->path, r->line, fields[6]);
    }
    int status = parse_double(r, fields[7], 7, fraction, err);
    if (status != 0) {
        return status;
    }
    int valid = *kind == FF_FRAME_KIND_RESIDUE
                ? *fraction == 0.0
                : *fraction > 0.0 && *fraction < 1.0;
    if (!valid) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%ld: column fraction: %s is not valid for a "
                            "frame of kind %s (0 for a residue, between 0 "
                            "and 1 for an interpolated frame)",
                            r->path, r->line, fields[7], fields[6]);
    }
    return 0;
}

/* Parse the 12 numbers of the pose and check the rotation. */
static int
parse_pose(const line_reader *r, char **fields, ff_pose *pose, ff_error *err)
{
    for (int k = 0; k < 3; k++) {
        int status = parse_double(r, fields[LABEL_COLUMNS + k],
                                  LABEL_COLUMNS + k, &pose->x[k], err);
        if (status != 0) {
            return status;
        }
        if (fabs(pose->x[k]) > FF_FRAMES_COORD_MAX) {
            return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                                "%s:%ld: column %s: %s Angstrom is beyond "
                                "the %g of any structure",
                                r->path, r->line,
                                column_names[LABEL_COLUMNS + k],
                                fields[LABEL_COLUMNS + k],
                                FF_FRAMES_COORD_MAX);
        }
    }
    for (int k = 0; k < 9; k++) {
        int status = parse_double(r, fields[LABEL_COLUMNS + 3 + k],
                                  LABEL_COLUMNS + 3 + k, &pose->R[k], err);
        if (status != 0) {
            return status;
        }
    }
    double orth = ff_so3_orthonormality_error(pose->R);
    if (!(orth <= ROTATION_TOLERANCE)) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "%s:%ld: R00 ... R22 are not a rotation: an "
                            "entry of R^T R - I is %.3g (at most %g allowed); "
                            "write the rotation with at least four decimals",
                            r->path, r->line, orth, ROTATION_TOLERANCE);
    }
    double det = ff_so3_det(pose->R);
    if (!(det > 0.0)) {
        return ff_error_set(err, FF_STATUS_ERR_NUMERIC,
                            "%s:%ld: R00 ... R22 are not a rotation: the "
                            "determinant is %.6g, a reflection",
                            r->path, r->line, det);
    }
    // A rotation written with few digits is made exact, so that the
    // frames used are rotations to the last bit.
    if (orth > ROTATION_REPAIR) {
        double exact[9];
        ff_so3_orthonormalize(exact, pose->R);
        memcpy(pose->R, exact, sizeof exact);
    }
    return 0;
}

/* Parse one row and append it to set. */
static int
parse_row(const line_reader *r, char *line, ff_frameset *set, ff_error *err)
{
    char *fields[COLUMN_COUNT];
    int32_t model = 0;
    int32_t seqnum = 0;
    int kind = 0;
    double fraction = 0.0;
    ff_pose pose;

    int status = split_fields(r, line, fields, err);
    if (status == 0 && fields[0][0] == '\0') {
        status = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                              "%s:%ld: column source is empty", r->path,
                              r->line);
    }
    if (status == 0) {
        status = parse_int32(r, fields[1], 1, &model, err);
    }
    if (status == 0) {
        status = parse_int32(r, fields[3], 3, &seqnum, err);
    }
    char icode = ' ';
    if (status == 0 && strcmp(fields[4], ".") != 0) {
        if (strlen(fields[4]) != 1 || fields[4][0] == ' ') {
            status = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                  "%s:%ld: column icode: '%s' is not one "
                                  "character or '.'",
                                  r->path, r->line, fields[4]);
        }
        icode = fields[4][0];
    }
    if (status == 0 && strlen(fields[5]) > FF_RESNAME_MAX) {
        status = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                              "%s:%ld: column resname: '%s' is longer than "
                              "%d characters",
                              r->path, r->line, fields[5], FF_RESNAME_MAX);
    }
    if (status == 0) {
        status = parse_kind(r, fields, &kind, &fraction, err);
    }
    if (status == 0) {
        status = parse_pose(r, fields, &pose, err);
    }
    if (status == 0) {
        status = ff_frameset_add(set, &pose, fields[0], fields[2], model,
                                 seqnum, icode, fields[5], kind, fraction,
                                 err);
    }
    return status;
}

ff_frameset *
ff_frameset_read(const char *path, ff_error *err)
{
    line_reader r;
    ff_frameset *set = NULL;
    char *line = NULL;

    int status = reader_open(&r, path, err);
    if (status != 0) {
        return NULL;
    }
    set = ff_frameset_new(err);
    if (set == NULL) {
        goto fail;
    }

    status = reader_next(&r, &line, err);
    if (status == 0) {
        ff_error_set(err, FF_STATUS_ERR_FORMAT,
                     "%s: empty file, not a frameflow frames file", path);
        goto fail;
    }
    if (status < 0 || check_magic(&r, line, err) != 0) {
        goto fail;
    }
    status = reader_next(&r, &line, err);
    if (status == 0) {
        ff_error_set(err, FF_STATUS_ERR_FORMAT,
                     "%s:2: the line of column names is missing", path);
        goto fail;
    }
    if (status < 0 || check_header(&r, line, err) != 0) {
        goto fail;
    }

    while ((status = reader_next(&r, &line, err)) == 1) {
        // Empty lines and comments, such as a final blank line that an
        // editor adds, are not rows.
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        if (parse_row(&r, line, set, err) != 0) {
            goto fail;
        }
    }
    if (status < 0) {
        goto fail;
    }
    reader_close(&r);
    return set;

fail:
    reader_close(&r);
    ff_frameset_free(set);
    return NULL;
}

int
ff_frameset_probe(const char *path, ff_error *err)
{
    line_reader r;
    char head[sizeof FF_FRAMESFILE_MAGIC];
    size_t n = sizeof head - 1;

    int status = ff_error_if_stream(err, path);
    if (status == 0) {
        status = reader_open(&r, path, err);
    }
    if (status != 0) {
        return status;
    }
    // Only the first bytes matter: a structure file is simply not a frames
    // file. Damaged gzip data is reported here, since zlib may have
    // inflated and checked a small file whole.
    int got = gzread(r.gz, head, (unsigned)n);
    int compressed = !gzdirect(r.gz);
    status = ff_error_set_gzip(err, r.gz, path);
    reader_close(&r);
    if (status != 0) {
        return status;
    }
    if (got != (int)n || memcmp(head, FF_FRAMESFILE_MAGIC, n) != 0) {
        return 0;
    }
    return compressed ? FF_FRAMESFILE_GZIP : FF_FRAMESFILE_PLAIN;
}
