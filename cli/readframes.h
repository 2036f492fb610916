/*
 * Reading frames for the commands that judge or draw them: a frames file,
 * or any structure file (frameflow's own pseudo-backbone PDB and mmCIF
 * files among them), whose frames are built from every chain of the first
 * model without interpolated frames.
 */
#ifndef FRAMEFLOW_CLI_READFRAMES_H
#define FRAMEFLOW_CLI_READFRAMES_H

#include "frameflow/error.h"
#include "frameflow/frames.h"

/*
 * Read the frames of path, telling a frames file from a structure by its
 * first line. Return a new set (free it with ff_frameset_free), or NULL
 * with err filled; a file that gives no frame is an error too.
 */
ff_frameset *cli_read_frames(const char *path, ff_error *err);

/*
 * Return the index just past the chain that frame first of set starts: the
 * run of frames that share its source, model and chain, as the frames file
 * writer stores them one chain after another.
 */
size_t cli_frameset_chain_end(const ff_frameset *set, size_t first);

/* Return the number of chains in set, as cli_frameset_chain_end finds
 * them. Chain A of two sources counts twice. */
size_t cli_frameset_chain_count(const ff_frameset *set);

#endif
