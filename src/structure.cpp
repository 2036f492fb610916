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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <system_error>
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
}

struct ff_structure {
    gemmi::Structure st;
    int format;
    int compressed;    /* 1 when the file was gzip-compressed */
};

namespace {

/* Bytes examined to tell text from binary content. */
constexpr size_t kSniffBytes = 4096;

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
                                  "inside the compressed stream)", path);
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
                                  "%s: corrupt gzip data (%s)", path,
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

/* Copy an exception's text as one line: gemmi messages may hold breaks. */
int
set_from_exception(ff_error *err, int code, const char *path,
                   const char *what)
{
    std::string line(what);
    for (char &c : line) {
        if (c == '\n' || c == '\r') {
            c = ' ';
        }
    }
    // gemmi's CIF messages start with "PATH:LINE:COLUMN: " and its PDB
    // messages with "Problem in line LINE: "; both become "PATH:LINE: ".
    const char *text = line.c_str();
    size_t plen = std::strlen(path);
    if (line.compare(0, plen, path) == 0 && line.size() > plen
        && line[plen] == ':') {
        text += plen + 1;
        if (*text >= '0' && *text <= '9') {
            return ff_error_set(err, code, "%s:%s", path, text);
        }
        while (*text == ' ') {
            text++;
        }
    }
    const char *problem = "Problem in line ";
    if (std::strncmp(text, problem, std::strlen(problem)) == 0) {
        return ff_error_set(err, code, "%s:%s", path,
                            text + std::strlen(problem));
    }
    return ff_error_set(err, code, "%s: %s", path, text);
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
        out->st = gemmi::make_structure(doc);
    } else {
        out->format = FF_STRUCTURE_FORMAT_PDB;
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

}  // namespace

extern "C" {

ff_structure *
ff_structure_open(const char *path, ff_error *err)
{
    ff_structure *out = nullptr;

    try {
        std::vector<unsigned char> raw;
        if (read_whole_file(path, raw, err) != 0) {
            return nullptr;
        }
        if (raw.empty()) {
            ff_error_set(err, FF_STATUS_ERR_FORMAT,
                         "%s: empty file, not a PDB or mmCIF file", path);
            return nullptr;
        }
        const bool compressed = is_gzip(raw);
        if (compressed) {
            std::vector<unsigned char> plain;
            if (gunzip(path, raw, plain, err) != 0) {
                return nullptr;
            }
            raw.swap(plain);
            if (raw.empty()) {
                ff_error_set(err, FF_STATUS_ERR_FORMAT,
                             "%s: empty after gzip decompression", path);
                return nullptr;
            }
        }
        if (check_text(path, raw, err) != 0) {
            return nullptr;
        }
        out = new ff_structure();
        out->compressed = compressed ? 1 : 0;
        if (parse_structure(out, path, raw, err) != 0) {
            delete out;
            return nullptr;
        }
        return out;
    } catch (const std::bad_alloc &) {
        ff_error_set(err, FF_STATUS_ERR_NOMEM, "%s: out of memory", path);
    } catch (const std::system_error &e) {
        set_from_exception(err, FF_STATUS_ERR_IO, path, e.what());
    } catch (const std::exception &e) {
        set_from_exception(err, FF_STATUS_ERR_FORMAT, path, e.what());
    } catch (...) {
        ff_error_set(err, FF_STATUS_ERR_INTERNAL,
                     "%s: unexpected failure in the structure reader", path);
    }
    delete out;
    return nullptr;
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
