/*
 * Reading a structure from bytes already in memory, for callers inside the
 * project (the fuzz harnesses and the tests).
 */
#ifndef FRAMEFLOW_STRUCTURE_INTERNAL_H
#define FRAMEFLOW_STRUCTURE_INTERNAL_H

#include <stddef.h>

#include "frameflow/structure.h"

/*
 * Parse size bytes at data as the content of a structure file, exactly as
 * ff_structure_open parses a file's content (plain or gzip, format found by
 * content), with name in place of the path in messages. data is not kept.
 * Return the structure, or NULL with err filled: FF_STATUS_ERR_FORMAT or
 * FF_STATUS_ERR_NOMEM as ff_structure_open returns them.
 */
ff_structure *ff_structure_read_memory(const void *data, size_t size,
                                       const char *name, ff_error *err);

#endif
