/*
 * The C interface to gemmi's PDB and mmCIF readers. This is frameflow's only
 * C++ file: every gemmi call happens here, inside a try block, and each
 * exception becomes an ff_status with gemmi's message.
 *
 * A file is read whole into memory, gunzipped when it starts with the gzip
 * magic bytes, and handed to gemmi's in-memory reader for the format its
 * first lines show. The buffers are released before ff_structure_open
 * returns, so an open structure holds only gemmi's model of the atoms.
 */
#include "frameflow/structure.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include <zlib.h>

#include <gemmi/cif.hpp>
#include <gemmi/mmcif.hpp>
#include <gemmi/model.hpp>
#include <gemmi/pdb.hpp>
#include <gemmi/resinfo.hpp>
#include <gemmi/version.hpp>

extern "C" {
#include "errors.h"
#include "structure_internal.h"
}

struct ff_structure {
    gemmi::Structure st;
    int format;
    int compressed;    /* 1 when the file was gzip-compressed */
};

namespace {

/* Bytes examined to tell text from binary content. */
constexpr size_t kSniffBytes = 4096;

/* Longest ATOM or HETATM record accepted, trailing blanks aside, because
 * gemmi reads the first 120 characters of a line and drops the rest. */
constexpr size_t kPdbRecordMax = 120;

/* Shortest ATOM or HETATM record that gemmi reads: up to the z
 * coordinate in columns 47-54. */
constexpr size_t kPdbRecordMin = 54;

/* A number field of an ATOM or HETATM record, 1-based columns. */
struct pdb_field {
    const char *name;
    size_t first;
    size_t last;
};

constexpr pdb_field kPdbCoordinates[] = {
    {"x coordinate", 31, 38}, {"y coordinate", 39, 46},
    {"z coordinate", 47, 54}
};
constexpr pdb_field kPdbOccupancy = {"occupancy", 55, 60};

int
read_whole_file(const char *path, std::vector<unsigned char> &data,
                ff_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ff_error_set_errno(err, errno, "%s: cannot open", path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return ff_error_set_errno(err, saved, "%s: cannot open", path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return ff_error_set(err, FF_STATUS_ERR_IO,
                            "%s: is a folder, not a structure file", path);
    }

    // Regular files report their size; read in growing steps otherwise.
    size_t capacity = st.st_size > 0 ? (size_t)st.st_size + 1 : 1 << 16;
    data.resize(capacity);
    size_t used = 0;
    for (;;) {
        if (used == data.size()) {
            data.resize(2 * data.size());
        }
        ssize_t n = read(fd, data.data() + used, data.size() - used);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int saved = errno;
            close(fd);
            return ff_error_set_errno(err, saved, "%s: read failed", path);
        }
        if (n == 0) {
            break;
        }
        used += (size_t)n;
    }
    close(fd);
    data.resize(used);
    return 0;
}

int
is_gzip(const std::vector<unsigned char> &data)
{
    return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

/* Inflate every gzip member of in into out. */
int
gunzip(const char *path, const std::vector<unsigned char> &in,
       std::vector<unsigned char> &out, ff_error *err)
{
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    // 16 + MAX_WBITS: gzip wrapper only.
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        return ff_error_set(err, FF_STATUS_ERR_NOMEM,
                            "%s: cannot start gzip decompression", path);
    }
    out.resize(in.size() * 4 + 4096);
    size_t pos = 0;
    size_t produced = 0;
    int status = 0;

    for (;;) {
        if (produced == out.size()) {
            out.resize(2 * out.size());
        }
        // zlib counts in unsigned int; feed at most 1 GiB per call.
        size_t in_left = in.size() - pos;
        size_t out_left = out.size() - produced;
        zs.next_in = const_cast<unsigned char *>(in.data()) + pos;
        zs.avail_in = (uInt)(in_left < (1u << 30) ? in_left : (1u << 30));
        zs.next_out = out.data() + produced;
        zs.avail_out = (uInt)(out_left < (1u << 30) ? out_left : (1u << 30));
        uInt avail_in = zs.avail_in;
        uInt avail_out = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        pos += avail_in - zs.avail_in;
        produced += avail_out - zs.avail_out;

        if (z == Z_STREAM_END) {
            // Another member may follow, as after "cat a.gz b.gz".
            if (in.size() - pos >= 2 && in[pos] == 0x1f && in[pos + 1] == 0x8b) {
                inflateReset(&zs);
                continue;
            }
            break;
        }
        if (z == Z_BUF_ERROR && pos == in.size()) {
            status = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                  "%s: truncated gzip data (the file ends "
                                  "inside the compressed stream); copy or "
                                  "download it again", path);
            break;
        }
        if (z == Z_MEM_ERROR) {
            status = ff_error_set(err, FF_STATUS_ERR_NOMEM,
                                  "%s: out of memory while decompressing",
                                  path);
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            status = ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                  "%s: corrupt gzip data (%s); copy or "
                                  "download it again", path,
                                  zs.msg ? zs.msg : "inflate failed");
            break;
        }
    }
    inflateEnd(&zs);
    out.resize(produced);
    return status;
}

/* Reject content that is not text: structure files are ASCII, with at most
 * a few UTF-8 characters in free-text fields. */
int
check_text(const char *path, const std::vector<unsigned char> &data,
           ff_error *err)
{
    size_t n = data.size() < kSniffBytes ? data.size() : kSniffBytes;
    size_t odd = 0;

    // A model file starts with "FFMODEL" and a NUL byte (src/modelfile.c).
    static const char model_magic[] = "FFMODEL";
    if (data.size() >= sizeof model_magic
        && std::memcmp(data.data(), model_magic, sizeof model_magic) == 0) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: a frameflow model, not a PDB or mmCIF "
                            "file; models go to 'frameflow sample', "
                            "'info' or 'train --resume'", path);
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = data[i];
        if (c == 0) {
            odd = n;
            break;
        }
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')
            || c >= 0x80) {
            odd++;
        }
    }
    // Random bytes give about 60% such characters; text well below 10%.
    if (odd * 10 > n) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: binary content, not a PDB or mmCIF file "
                            "(plain or gzip)", path);
    }
    return 0;
}

/* Tell mmCIF from PDB by the first token that is not a comment. */
int
looks_like_cif(const std::vector<unsigned char> &data)
{
    size_t i = 0;
    size_t n = data.size();

    while (i < n) {
        unsigned char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
        } else if (c == '#') {
            while (i < n && data[i] != '\n') {
                i++;
            }
        } else {
            break;
        }
    }
    if (i >= n) {
        return 0;
    }
    const char *p = reinterpret_cast<const char *>(data.data()) + i;
    size_t left = n - i;
    return (left >= 5 && strncasecmp(p, "data_", 5) == 0)
           || (left >= 5 && strncasecmp(p, "loop_", 5) == 0)
           || p[0] == '_';
}

/* Return what with its first letter in lower case when it starts a word
 * such as "Wrong", so that the text reads on after "FILE:LINE: ". */
std::string
lower_first(const char *what)
{
    std::string text(what);
    if (text.size() >= 2 && text[0] >= 'A' && text[0] <= 'Z'
        && text[1] >= 'a' && text[1] <= 'z') {
        text[0] = (char)(text[0] - 'A' + 'a');
    }
    return text;
}

/* Copy an exception's text as one line: gemmi messages may hold breaks.
 * format, when not NULL, names the format of a message without a line. */
int
set_from_exception(ff_error *err, int code, const char *path,
                   const char *format, const char *what)
{
    std::string line(what);
    for (char &c : line) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    // gemmi's CIF messages start with "PATH:LINE:COLUMN: " and its PDB
    // messages with "Problem in line LINE: "; both become "PATH:LINE: ",
    // with the column at the end when it is past the first.
    const char *text = line.c_str();
    size_t plen = std::strlen(path);
    if (line.compare(0, plen, path) == 0 && line.size() > plen
        && line[plen] == ':') {
        text += plen + 1;
        char *end = nullptr;
        unsigned long number = std::strtoul(text, &end, 10);
        if (end != text && *end == ':') {
            unsigned long column = 0;
            const char *rest = end + 1;
            if (*rest >= '0' && *rest <= '9') {
                column = std::strtoul(rest, &end, 10);
                rest = *end == ':' ? end + 1 : rest;
            }
            while (*rest == ' ') {
                rest++;
            }
            std::string message = lower_first(rest);
            if (column > 1) {
                return ff_error_set(err, code,
                                    "%s:%lu: invalid mmCIF: %s (column %lu)",
                                    path, number, message.c_str(), column);
            }
            return ff_error_set(err, code, "%s:%lu: invalid mmCIF: %s", path,
                                number, message.c_str());
        }
        while (*text == ' ') {
            text++;
        }
    }
    const char *problem = "Problem in line ";
    if (std::strncmp(text, problem, std::strlen(problem)) == 0) {
        char *end = nullptr;
        unsigned long number = std::strtoul(text + std::strlen(problem), &end,
                                            10);
        if (*end == ':') {
            end++;
        }
        while (*end == ' ') {
            end++;
        }
        return ff_error_set(err, code, "%s:%lu: invalid PDB record: %s",
                            path, number, lower_first(end).c_str());
    }
    if (format != nullptr) {
        return ff_error_set(err, code, "%s: invalid %s: %s", path, format,
                            lower_first(text).c_str());
    }
    return ff_error_set(err, code, "%s: %s", path, lower_first(text).c_str());
}

/* Return whether the n characters at p are a number as a PDB file writes
 * it (Fortran F8.3 and the like): blanks around an optional sign, digits
 * and at most one point. Exponents, NaN, infinities and the stars of an
 * overflowed field are not. */
bool
is_pdb_number(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == ' ') {
        i++;
    }
    if (i < n && (p[i] == '-' || p[i] == '+')) {
        i++;
    }
    size_t digits = 0;
    bool point = false;
    for (; i < n && p[i] != ' '; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            digits++;
        } else if (p[i] == '.' && !point) {
            point = true;
        } else {
            return false;
        }
    }
    while (i < n && p[i] == ' ') {
        i++;
    }
    return digits > 0 && i == n;
}

/* Return columns first to last (1-based) of a record of len characters,
 * without blanks around them. */
std::string
pdb_columns(const char *line, size_t len, size_t first, size_t last)
{
    while (first <= last && first <= len && line[first - 1] == ' ') {
        first++;
    }
    last = last < len ? last : len;
    while (last >= first && line[last - 1] == ' ') {
        last--;
    }
    return first <= last ? std::string(line + first - 1, last - first + 1)
                         : std::string();
}

/* Check that a number field of a record of len characters is a number. A
 * blank field passes when it is optional. */
int
check_pdb_field(const char *path, size_t number, const char *line,
                size_t len, const pdb_field &field, bool optional,
                ff_error *err)
{
    size_t n = (len < field.last ? len : field.last) - (field.first - 1);
    const char *p = line + field.first - 1;
    if (optional && pdb_columns(line, len, field.first, field.last).empty()) {
        return 0;
    }
    if (!is_pdb_number(p, n)) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%zu: %s '%.*s' in columns %zu-%zu is not a "
                            "number; fix the value or remove the line",
                            path, number, field.name, (int)n, p, field.first,
                            field.last);
    }
    return 0;
}

/* Atoms of the current model, each given by columns 13-27 of its record
 * (name, altloc, residue name, chain, number and insertion code) and its
 * segment, with the line of their first record. */
typedef std::unordered_map<std::string, size_t> pdb_atom_lines;

/* Report a second record of an atom already in seen, or add the atom. */
int
check_pdb_duplicate(const char *path, size_t number, const char *line,
                    size_t len, pdb_atom_lines &seen, ff_error *err)
{
    std::string key(line + 12, 15);
    key += '|';
    key += pdb_columns(line, len, 73, 76);
    auto inserted = seen.emplace(key, number);
    if (inserted.second) {
        return 0;
    }
    std::string icode = pdb_columns(line, len, 27, 27);
    return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                        "%s:%zu: atom %s of %s %s%s in chain '%s' is given "
                        "again with the same altloc (first at line %zu); "
                        "remove one copy or give the copies different "
                        "altlocs",
                        path, number, pdb_columns(line, len, 13, 16).c_str(),
                        pdb_columns(line, len, 18, 20).c_str(),
                        pdb_columns(line, len, 23, 26).c_str(), icode.c_str(),
                        pdb_columns(line, len, 21, 22).c_str(),
                        inserted.first->second);
}

/* Check one ATOM or HETATM record of len characters (line break and a
 * carriage return before it excluded) at line number. */
int
check_pdb_atom(const char *path, size_t number, const char *record,
               const char *line, size_t len, pdb_atom_lines &seen,
               ff_error *err)
{
    size_t content = len;
    while (content > 0 && line[content - 1] == ' ') {
        content--;
    }
    const void *tab = std::memchr(line, '\t', content);
    if (tab != nullptr) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%zu: tab in column %zu of the %s record; PDB "
                            "records have fixed columns, so replace tabs "
                            "with spaces",
                            path, number,
                            (size_t)(static_cast<const char *>(tab) - line)
                                + 1,
                            record);
    }
    if (len < kPdbRecordMin) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%zu: %s record of %zu characters, too short "
                            "for the coordinates in columns 31-54; the line "
                            "is cut off or not in PDB format",
                            path, number, record, len);
    }
    if (content > kPdbRecordMax) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s:%zu: %s record of %zu characters, longer "
                            "than the %zu that are read; PDB records have 80 "
                            "columns, so line breaks are probably missing",
                            path, number, record, content, kPdbRecordMax);
    }
    for (const pdb_field &field : kPdbCoordinates) {
        int status = check_pdb_field(path, number, line, len, field, false,
                                     err);
        if (status != 0) {
            return status;
        }
    }
    if (len >= kPdbOccupancy.first) {
        int status = check_pdb_field(path, number, line, len, kPdbOccupancy,
                                     true, err);
        if (status != 0) {
            return status;
        }
    }
    return check_pdb_duplicate(path, number, line, len, seen, err);
}

/*
 * Check the ATOM and HETATM records of a PDB file before gemmi reads it.
 * gemmi takes what it can from a damaged record without an error: it reads
 * "1.0x0" as 1.0, a tab shifts every later column, and a second copy of an
 * atom stays beside the first. Records are recognised as gemmi does, and
 * like gemmi the check stops at END.
 */
int
check_pdb_records(const char *path, const std::vector<unsigned char> &text,
                  ff_error *err)
{
    const char *data = reinterpret_cast<const char *>(text.data());
    size_t size = text.size();
    pdb_atom_lines seen;
    size_t number = 0;

    for (size_t pos = 0; pos < size;) {
        const char *line = data + pos;
        const void *nl = std::memchr(line, '\n', size - pos);
        size_t len = nl != nullptr
                     ? (size_t)(static_cast<const char *>(nl) - line)
                     : size - pos;
        pos += len + 1;
        number++;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }

        char head[5] = {0, 0, 0, 0, 0};
        std::memcpy(head, line, len < 4 ? len : 4);
        if (gemmi::pdb_impl::is_record_type3(head, "END")) {
            break;
        }
        if (gemmi::pdb_impl::is_record_type(head, "MODEL")
            || gemmi::pdb_impl::is_record_type(head, "ENDMDL")) {
            seen.clear();
            continue;
        }
        const char *record = nullptr;
        if (gemmi::pdb_impl::is_record_type(head, "ATOM")) {
            record = "ATOM";
        } else if (gemmi::pdb_impl::is_record_type(head, "HETATM")) {
            record = "HETATM";
        }
        if (record != nullptr) {
            int status = check_pdb_atom(path, number, record, line, len, seen,
                                        err);
            if (status != 0) {
                return status;
            }
        }
    }
    return 0;
}

/* Columns of _atom_site without which gemmi reads no atom at all. */
const char *const kCifRequired[] = {
    "id", "type_symbol", "label_alt_id", "label_asym_id", "Cartn_x",
    "Cartn_y", "Cartn_z", "occupancy", "B_iso_or_equiv", "auth_seq_id"
};

/* Positions in the table that check_cif_atoms reads. */
enum cif_column {
    kCifId, kCifX, kCifY, kCifZ, kCifOccupancy, kCifAltId, kCifLabelAsym,
    kCifSeq, kCifAuthAsym, kCifInsCode, kCifLabelComp, kCifAuthComp,
    kCifLabelAtom, kCifAuthAtom, kCifModel
};

/* Name the required _atom_site columns that the block lacks, or return an
 * empty string when it has all of them or none. */
std::string
missing_cif_columns(const gemmi::cif::Block &block)
{
    std::string missing;
    size_t count = 0;
    for (const char *column : kCifRequired) {
        if (!block.has_tag(std::string("_atom_site.") + column)) {
            missing += missing.empty() ? "" : ", ";
            missing += column;
            count++;
        }
    }
    return count == sizeof kCifRequired / sizeof kCifRequired[0]
           ? std::string() : missing;
}

/* Check that a column of row that gemmi reads as one character, such as
 * the altloc, is one character or null. */
int
check_cif_character(const char *path, gemmi::cif::Table::Row &row,
                    int column, const char *name, ff_error *err)
{
    if (!row.has(column) || gemmi::cif::is_null(row[column])) {
        return 0;
    }
    std::string value = gemmi::cif::as_string(row[column]);
    if (value.size() != 1) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: atom %.40s (_atom_site.id): %s '%.40s' is "
                            "not one character; fix the row (a missing or "
                            "extra value shifts the values after it)",
                            path, row[kCifId].c_str(), name, value.c_str());
    }
    return 0;
}

/* Check the value of a coordinate or occupancy column of row. */
int
check_cif_number(const char *path, gemmi::cif::Table::Row &row, int column,
                 const char *name, bool optional, ff_error *err)
{
    const std::string &value = row[column];
    if (optional && gemmi::cif::is_null(value)) {
        return 0;
    }
    if (!std::isfinite(gemmi::cif::as_number(value))) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: atom %.40s (_atom_site.id): %s '%.40s' is "
                            "not a finite number; fix the value or remove "
                            "the atom",
                            path, row[kCifId].c_str(), name, value.c_str());
    }
    return 0;
}

/*
 * Check the _atom_site table of an mmCIF file before gemmi reads it. When a
 * column is missing, gemmi reads no atom and gives no reason. It also
 * takes a coordinate that is not a number as NaN and keeps a second copy of
 * an atom. Duplicates are found by the identifiers gemmi uses: author
 * chain, residue and atom names where the file has them.
 */
int
check_cif_atoms(const char *path, gemmi::cif::Block &block, ff_error *err)
{
    namespace cif = gemmi::cif;

    std::string missing = missing_cif_columns(block);
    if (!missing.empty()) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: the _atom_site table lacks the column%s %s, "
                            "without which no atom can be read; give a "
                            "complete mmCIF coordinate file",
                            path, missing.find(',') == std::string::npos
                                  ? "" : "s", missing.c_str());
    }
    cif::Table table = block.find("_atom_site.",
                                  {"id", "Cartn_x", "Cartn_y", "Cartn_z",
                                   "occupancy", "label_alt_id",
                                   "label_asym_id", "auth_seq_id",
                                   "?auth_asym_id", "?pdbx_PDB_ins_code",
                                   "?label_comp_id", "?auth_comp_id",
                                   "?label_atom_id", "?auth_atom_id",
                                   "?pdbx_PDB_model_num"});
    if (!table.ok()) {
        return 0;
    }
    if (table.length() == 0) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: the _atom_site table has no rows, so there "
                            "are no atoms; the file may be cut off", path);
    }

    int asym = table.first_of(kCifAuthAsym, kCifLabelAsym);
    int comp = table.first_of(kCifAuthComp, kCifLabelComp);
    int atom = table.first_of(kCifAuthAtom, kCifLabelAtom);
    if (!table.has_column(comp) || !table.has_column(atom)) {
        return 0;  // gemmi names what is missing
    }
    std::unordered_map<std::string, std::string> seen;
    for (size_t i = 0; i < table.length(); i++) {
        cif::Table::Row row = table[(int)i];
        const char *const names[] = {"Cartn_x", "Cartn_y", "Cartn_z"};
        for (int k = 0; k < 3; k++) {
            int status = check_cif_number(path, row, kCifX + k, names[k],
                                          false, err);
            if (status != 0) {
                return status;
            }
        }
        int status = check_cif_number(path, row, kCifOccupancy, "occupancy",
                                      true, err);
        if (status == 0) {
            status = check_cif_character(path, row, kCifAltId,
                                         "label_alt_id", err);
        }
        if (status == 0) {
            status = check_cif_character(path, row, kCifInsCode,
                                         "pdbx_PDB_ins_code", err);
        }
        if (status != 0) {
            return status;
        }

        const int key_columns[] = {kCifModel, asym, kCifSeq, kCifInsCode,
                                   comp, atom, kCifAltId};
        std::string key;
        for (int column : key_columns) {
            if (row.has(column)) {
                key += cif::as_string(row[column]);
            }
            key += '\n';
        }
        auto inserted = seen.emplace(key, row[kCifId]);
        if (!inserted.second) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s: atom %.40s (_atom_site.id) repeats atom "
                                "%.40s: %.40s of %.40s %.40s in chain "
                                "'%.40s' with the same altloc; remove one "
                                "copy or give the copies different altlocs",
                                path, row[kCifId].c_str(),
                                inserted.first->second.c_str(),
                                cif::as_string(row[atom]).c_str(),
                                cif::as_string(row[comp]).c_str(),
                                cif::as_string(row[kCifSeq]).c_str(),
                                cif::as_string(row[asym]).c_str());
        }
    }
    return 0;
}

size_t
atom_total(const gemmi::Structure &st)
{
    size_t total = 0;
    for (const gemmi::Model &model : st.models) {
        for (const gemmi::Chain &chain : model.chains) {
            for (const gemmi::Residue &res : chain.residues) {
                total += res.atoms.size();
            }
        }
    }
    return total;
}

/* Return whether the integer that text starts with (after blanks and a
 * sign) lies outside the range of int. */
bool
integer_prefix_overflows(const std::string &text)
{
    size_t i = text.find_first_not_of(" \t");
    if (i == std::string::npos) {
        return false;
    }
    long long limit = INT_MAX;
    if (text[i] == '-' || text[i] == '+') {
        limit += text[i] == '-' ? 1 : 0;
        i++;
    }
    long long value = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; i++) {
        value = 10 * value + (text[i] - '0');
        if (value > limit) {
            return true;
        }
    }
    return false;
}

/*
 * Reject an mmCIF residue number outside the range of int. gemmi 0.5.7
 * reads integers without an overflow check (string_to_int in
 * gemmi/atox.hpp). This file is built with -fwrapv, so any such number
 * wraps instead of being undefined, and this check keeps a wrapped residue
 * number out of the frames.
 */
int
check_residue_numbers(const char *path, gemmi::cif::Block &block,
                      ff_error *err)
{
    const char *tag = "_atom_site.auth_seq_id";
    for (const std::string &value : block.find_values(tag)) {
        if (integer_prefix_overflows(value)) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s: residue number '%.40s' in %s is out of "
                                "range; residue numbers must lie between "
                                "%d and %d",
                                path, value.c_str(), tag, INT_MIN, INT_MAX);
        }
    }
    return 0;
}

/* Return whether the line at p (n bytes) starts with record, compared as
 * gemmi compares record names: the first four letters, in any case. */
bool
is_record(const unsigned char *p, size_t n, const char *record)
{
    if (n < 4) {
        return false;
    }
    for (int k = 0; k < 4; k++) {
        if ((p[k] & ~0x20u) != ((unsigned char)record[k] & ~0x20u)) {
            return false;
        }
    }
    return true;
}

/*
 * Overwrite the SSBOND and LINK records of PDB text with blanks, keeping
 * the line breaks. gemmi 0.5.7 reads a bond distance from columns 74-78 of
 * such a record when the line is longer than 73 characters, also when it
 * ends before column 78, and then reads past the end of its copy of the
 * line. frameflow reads no bonds, so the records can go.
 */
void
blank_bond_records(std::vector<unsigned char> &text)
{
    size_t start = 0;
    while (start < text.size()) {
        size_t end = start;
        while (end < text.size() && text[end] != '\n') {
            end++;
        }
        const unsigned char *line = text.data() + start;
        if (is_record(line, end - start, "SSBOND")
            || is_record(line, end - start, "LINK")) {
            std::memset(text.data() + start, ' ', end - start);
        }
        start = end + 1;
    }
}

int
parse_structure(ff_structure *out, const char *path,
                std::vector<unsigned char> &text, ff_error *err)
{
    const char *data = reinterpret_cast<const char *>(text.data());

    if (looks_like_cif(text)) {
        out->format = FF_STRUCTURE_FORMAT_MMCIF;
        gemmi::cif::Document doc = gemmi::cif::read_memory(data, text.size(),
                                                           path);
        std::vector<unsigned char>().swap(text);
        if (doc.blocks.empty()) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s: mmCIF file without a data block", path);
        }
        int status = check_cif_atoms(path, doc.blocks[0], err);
        if (status == 0) {
            status = check_residue_numbers(path, doc.blocks[0], err);
        }
        if (status != 0) {
            return status;
        }
        out->st = gemmi::make_structure(doc);
    } else {
        out->format = FF_STRUCTURE_FORMAT_PDB;
        int status = check_pdb_records(path, text, err);
        if (status != 0) {
            return status;
        }
        blank_bond_records(text);
        out->st = gemmi::read_pdb_from_memory(data, text.size(), path);
    }
    if (atom_total(out->st) == 0) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: no atoms found; expected a PDB file with "
                            "ATOM or HETATM records or an mmCIF file with "
                            "_atom_site", path);
    }
    return 0;
}

/* Return whether res has atoms named N, CA and C (any altloc). */
bool
has_backbone(const gemmi::Residue &res)
{
    bool n = false;
    bool ca = false;
    bool c = false;
    for (const gemmi::Atom &atom : res.atoms) {
        n = n || atom.name == "N";
        ca = ca || atom.name == "CA";
        c = c || atom.name == "C";
    }
    return n && ca && c;
}

int
is_amino_acid(const gemmi::Residue &res)
{
    if (res.entity_type == gemmi::EntityType::NonPolymer
        || res.entity_type == gemmi::EntityType::Water
        || res.entity_type == gemmi::EntityType::Branched) {
        return 0;
    }
    gemmi::ResidueInfo info = gemmi::find_tabulated_residue(res.name);
    if (info.found()) {
        return info.is_amino_acid() ? 1 : 0;
    }
    return has_backbone(res) ? 1 : 0;
}

/*
 * Parse raw, the bytes of a structure file (plain or gzip), into a new
 * structure stored in out; name starts the messages. raw is consumed.
 * Return 0, or a negative status with err filled for content that is not
 * a structure. gemmi's exceptions propagate to the caller, which frees out
 * on any failure.
 */
int
parse_bytes(const char *name, std::vector<unsigned char> &raw,
            ff_structure *&out, ff_error *err)
{
    if (raw.empty()) {
        return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                            "%s: empty file, not a PDB or mmCIF file", name);
    }
    const bool compressed = is_gzip(raw);
    if (compressed) {
        std::vector<unsigned char> plain;
        int status = gunzip(name, raw, plain, err);
        if (status != 0) {
            return status;
        }
        raw.swap(plain);
        if (raw.empty()) {
            return ff_error_set(err, FF_STATUS_ERR_FORMAT,
                                "%s: empty after gzip decompression", name);
        }
    }
    int status = check_text(name, raw, err);
    if (status != 0) {
        return status;
    }
    out = new ff_structure();
    out->compressed = compressed ? 1 : 0;
    return parse_structure(out, name, raw, err);
}

/*
 * Run read(out), which returns 0 with a new structure in out or a negative
 * status with err filled, and turn any exception it throws into an error
 * about name. Return the structure, or NULL after freeing what read made.
 */
template <typename Reader>
ff_structure *
read_guarded(const char *name, ff_error *err, Reader read)
{
    ff_structure *out = nullptr;

    try {
        if (read(out) == 0) {
            return out;
        }
    } catch (const std::bad_alloc &) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", name);
    } catch (const std::system_error &e) {
        set_from_exception(err, FF_STATUS_ERR_IO, name, nullptr, e.what());
    } catch (const std::exception &e) {
        const char *format = nullptr;
        if (out != nullptr) {
            format = out->format == FF_STRUCTURE_FORMAT_MMCIF ? "mmCIF"
                                                              : "PDB";
        }
        set_from_exception(err, FF_STATUS_ERR_FORMAT, name, format,
                           e.what());
    } catch (...) {
        ff_error_set(err, FF_STATUS_ERR_INTERNAL,
                     "%s: unexpected failure in the structure reader", name);
    }
    delete out;
    return nullptr;
}

}  // namespace

extern "C" {

ff_structure *
ff_structure_open(const char *path, ff_error *err)
{
    return read_guarded(path, err, [&](ff_structure *&out) {
        std::vector<unsigned char> raw;
        int status = read_whole_file(path, raw, err);
        if (status != 0) {
            return status;
        }
        return parse_bytes(path, raw, out, err);
    });
}

ff_structure *
ff_structure_read_memory(const void *data, size_t size, const char *name,
                         ff_error *err)
{
    return read_guarded(name, err, [&](ff_structure *&out) {
        const unsigned char *bytes = static_cast<const unsigned char *>(data);
        std::vector<unsigned char> raw(bytes, bytes + size);
        return parse_bytes(name, raw, out, err);
    });
}

void
ff_structure_free(ff_structure *structure)
{
    delete structure;
}

int
ff_structure_get_format(const ff_structure *structure)
{
    return structure->format;
}

int
ff_structure_is_compressed(const ff_structure *structure)
{
    return structure->compressed;
}

int
ff_structure_is_pseudo_backbone(const ff_structure *structure)
{
    try {
        const auto &info = structure->st.info;
        auto it = info.find("_struct_keywords.pdbx_keywords");
        return it != info.end()
               && gemmi::trim_str(it->second) == FF_STRUCTURE_PSEUDO_BACKBONE;
    } catch (...) {
        return 0;
    }
}

size_t
ff_structure_model_count(const ff_structure *structure)
{
    return structure->st.models.size();
}

int32_t
ff_structure_model_number(const ff_structure *structure, size_t model)
{
    const std::string &name = structure->st.models[model].name;
    char *end = nullptr;
    errno = 0;
    long number = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0' || errno != 0
        || number < INT32_MIN || number > INT32_MAX) {
        return (int32_t)(model + 1);
    }
    return (int32_t)number;
}

size_t
ff_structure_chain_count(const ff_structure *structure, size_t model)
{
    return structure->st.models[model].chains.size();
}

const char *
ff_structure_chain_name(const ff_structure *structure, size_t model,
                        size_t chain)
{
    return structure->st.models[model].chains[chain].name.c_str();
}

size_t
ff_structure_residue_count(const ff_structure *structure, size_t model,
                           size_t chain)
{
    return structure->st.models[model].chains[chain].residues.size();
}

void
ff_structure_get_residue(ff_structure_residue *out,
                         const ff_structure *structure, size_t model,
                         size_t chain, size_t residue)
{
    const gemmi::Residue &res
        = structure->st.models[model].chains[chain].residues[residue];

    out->name = res.name.c_str();
    // gemmi marks a missing number with its own sentinel; it stays as is.
    out->seqnum = (int32_t)*res.seqid.num;
    out->icode = res.seqid.icode == '\0' ? ' ' : res.seqid.icode;
    out->amino_acid = is_amino_acid(res);
    out->atom_count = res.atoms.size();
}

void
ff_structure_get_atom(ff_structure_atom *out, const ff_structure *structure,
                      size_t model, size_t chain, size_t residue, size_t atom)
{
    const gemmi::Atom &a = structure->st.models[model]
                               .chains[chain].residues[residue].atoms[atom];

    out->name = a.name.c_str();
    out->altloc = a.altloc;
    out->occupancy = a.occ;
    out->pos[0] = a.pos.x;
    out->pos[1] = a.pos.y;
    out->pos[2] = a.pos.z;
}

const char *
ff_structure_gemmi_version(void)
{
    return GEMMI_VERSION;
}

}  // extern "C"
