/*
 * The inside of an ff_model, shared by the modules that build, store and
 * train it.
 */
#ifndef FRAMEFLOW_MODEL_INTERNAL_H
#define FRAMEFLOW_MODEL_INTERNAL_H

#include <stddef.h>

#include "frameflow/error.h"
#include "frameflow/model.h"
#include "network.h"

struct ff_model {
    ff_model_config config;
    float fourier[FF_NETWORK_FOURIER];  /* Fourier frequencies, fixed */
    size_t param_count;
    float *params;   /* param_count trained parameters */
    float *adam_m;   /* param_count first moments, same layout */
    float *adam_v;   /* param_count second moments, same layout */
    ff_network net;  /* the network, bound to params */
};

/*
 * Check cfg for an impossible value; context (such as a file name) starts
 * the message. Return 0 or FF_STATUS_ERR_INVALID with err filled.
 */
int ff_model_config_check(const ff_model_config *cfg, const char *context,
                          ff_error *err);

/*
 * Allocate a model for cfg (checked) with its blocks zeroed and the
 * network bound, without drawing weights. Return it or NULL with err
 * filled.
 */
ff_model *ff_model_alloc(const ff_model_config *cfg, const char *context,
                         ff_error *err);

/*
 * Parse size bytes at data as the content of a model file, as
 * ff_model_load does, with name in place of the path in messages. data is
 * not kept. Return the model or NULL with err filled, with the codes of
 * ff_model_load other than FF_STATUS_ERR_IO.
 */
ff_model *ff_model_load_memory(const void *data, size_t size,
                               const char *name, ff_error *err);

#endif
