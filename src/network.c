#include "network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/model.h"
#include "frameflow/rng.h"

/* Width of the concatenated embeddings, and of the head's input. */
#define CAT_WIDTH (2 * FF_NETWORK_EMBED)

/* The dense layers after the embeddings: input and output widths and
 * whether a ReLU follows. */
typedef struct layer_shape {
    int in;
    int out;
    int relu;
} layer_shape;

static const layer_shape small_layers[] = {
    {256, 128, 1}, {128, 256, 1}, {256, 6, 0},
};

static const layer_shape deep_layers[] = {
    {256, 128, 1}, {128, 256, 1}, {256, 256, 1},
    {256, 256, 1}, {256, 256, 1}, {256, 128, 0},
    {256, 128, 1}, {128, 256, 1}, {256, 256, 1},
    {256, 256, 1}, {256, 256, 1}, {256, 6, 0},
};

#define DEEP_HEAD_START 6

static const layer_shape *
arch_layers(int arch, int *count, int *head_start)
{
    switch (arch) {
    case FF_MODEL_ARCH_SMALL:
        *count = (int)(sizeof small_layers / sizeof small_layers[0]);
        *head_start = *count;
        return small_layers;
    case FF_MODEL_ARCH_DEEP:
        *count = (int)(sizeof deep_layers / sizeof deep_layers[0]);
        *head_start = DEEP_HEAD_START;
        return deep_layers;
    default:
        return NULL;
    }
}

static size_t
linear_size(int in, int out)
{
    return (size_t)out * (size_t)in + (size_t)out;
}

size_t
ff_network_param_count(int arch)
{
    int count = 0;
    int head = 0;
    const layer_shape *shapes = arch_layers(arch, &count, &head);

    if (shapes == NULL) {
        return 0;
    }
    size_t total = linear_size(2 * FF_NETWORK_FOURIER, FF_NETWORK_EMBED)
                   + linear_size(FF_NETWORK_INPUT, FF_NETWORK_EMBED);
    for (int l = 0; l < count; l++) {
        total += linear_size(shapes[l].in, shapes[l].out);
    }
    return total;
}

/* Point layer at the next in x out weights and out biases of the block. */
static float *
bind_linear(ff_nn_linear *layer, float *cursor, int in, int out)
{
    layer->in = in;
    layer->out = out;
    if (cursor == NULL) {
        // Only the shape is wanted.
        layer->weight = NULL;
        layer->bias = NULL;
        return NULL;
    }
    layer->weight = cursor;
    layer->bias = cursor + (size_t)out * in;
    return cursor + linear_size(in, out);
}

int
ff_network_bind(ff_network *net, int arch, float *block)
{
    int count = 0;
    int head = 0;
    const layer_shape *shapes = arch_layers(arch, &count, &head);

    memset(net, 0, sizeof *net);
    if (shapes == NULL) {
        return -1;
    }
    net->arch = arch;
    net->layer_count = count;
    net->head_start = head;

    float *cursor = block;
    cursor = bind_linear(&net->time, cursor, 2 * FF_NETWORK_FOURIER,
                         FF_NETWORK_EMBED);
    cursor = bind_linear(&net->pose, cursor, FF_NETWORK_INPUT,
                         FF_NETWORK_EMBED);
    for (int l = 0; l < count; l++) {
        cursor = bind_linear(&net->layers[l], cursor, shapes[l].in,
                             shapes[l].out);
        net->relu[l] = shapes[l].relu;
    }
    return 0;
}

/* Draw a layer's weights, then its biases, uniform in +-1/sqrt(in). */
static void
init_linear(const ff_nn_linear *layer, uint64_t seed, uint32_t index)
{
    ff_rng rng;
    double bound = 1.0 / sqrt((double)layer->in);
    size_t weights = (size_t)layer->out * layer->in;

    ff_rng_init(&rng, seed, FF_RNG_STREAM_INIT, index, 0);
    for (size_t i = 0; i < weights; i++) {
        layer->weight[i] = (float)((2.0 * ff_rng_uniform(&rng) - 1.0) * bound);
    }
    for (int i = 0; i < layer->out; i++) {
        layer->bias[i] = (float)((2.0 * ff_rng_uniform(&rng) - 1.0) * bound);
    }
}

void
ff_network_init(const ff_network *net, float *fourier, uint64_t seed)
{
    ff_rng rng;

    // Step 0 of the stream draws the frequencies, step 1 + i layer i.
    ff_rng_init(&rng, seed, FF_RNG_STREAM_INIT, 0, 0);
    for (int j = 0; j < FF_NETWORK_FOURIER; j++) {
        fourier[j] = (float)(FF_NETWORK_FOURIER_SCALE * ff_rng_normal(&rng));
    }
    init_linear(&net->time, seed, 1);
    init_linear(&net->pose, seed, 2);
    for (int l = 0; l < net->layer_count; l++) {
        init_linear(&net->layers[l], seed, 3 + (uint32_t)l);
    }
}

/* Carve n floats, 64-byte aligned, from a running offset. */
static float *
carve(char *base, size_t *offset, size_t n)
{
    float *p = base != NULL ? (float *)(base + *offset) : NULL;

    *offset += (n * sizeof(float) + 63) / 64 * 64;
    return p;
}

/*
 * Lay out the workspace buffers from base, or with base NULL only measure
 * them. Return the bytes needed.
 */
static size_t
layout_work(ff_network_work *w, const ff_network *net, char *base)
{
    size_t cap = (size_t)w->capacity;
    size_t off = 0;
    int deep = net->head_start < net->layer_count;

    w->input = carve(base, &off, cap * FF_NETWORK_INPUT);
    // Times are doubles: carve twice the floats.
    w->t = (double *)carve(base, &off, cap * 2);
    w->fourier = carve(base, &off, cap * 2 * FF_NETWORK_FOURIER);
    w->z_time = carve(base, &off, cap * FF_NETWORK_EMBED);
    w->z_pose = carve(base, &off, cap * FF_NETWORK_EMBED);
    w->cat0 = carve(base, &off, cap * CAT_WIDTH);
    w->cat1 = deep ? carve(base, &off, cap * CAT_WIDTH) : NULL;
    for (int l = 0; l < net->layer_count; l++) {
        if (deep && l == net->head_start - 1) {
            // The trunk's last layer writes into the head's input.
            w->act[l] = w->cat1;
            w->ld_act[l] = CAT_WIDTH;
        } else {
            w->act[l] = carve(base, &off, cap * net->layers[l].out);
            w->ld_act[l] = net->layers[l].out;
        }
    }
    if (w->training) {
        w->s_time = carve(base, &off, cap * FF_NETWORK_EMBED);
        w->s_pose = carve(base, &off, cap * FF_NETWORK_EMBED);
        w->dout = carve(base, &off, cap * FF_NETWORK_OUTPUT);
        w->dbuf[0] = carve(base, &off, cap * CAT_WIDTH);
        w->dbuf[1] = carve(base, &off, cap * CAT_WIDTH);
        w->dcat0 = carve(base, &off, cap * CAT_WIDTH);
        w->dcat1 = deep ? carve(base, &off, cap * CAT_WIDTH) : NULL;
        w->dtime = carve(base, &off, cap * FF_NETWORK_EMBED);
    }
    return off;
}

int
ff_network_work_init(ff_network_work *w, const ff_network *net, int capacity,
                     int training)
{
    memset(w, 0, sizeof *w);
    w->capacity = capacity;
    w->training = training;

    size_t bytes = layout_work(w, net, NULL);
    w->memory = aligned_alloc(64, bytes);
    if (w->memory == NULL) {
        memset(w, 0, sizeof *w);
        return -1;
    }
    layout_work(w, net, w->memory);

    // The widest product output has CAT_WIDTH columns; a weight gradient
    // has at most CAT_WIDTH rows.
    int rows = capacity > CAT_WIDTH ? capacity : CAT_WIDTH;
    if (ff_sgemm_scratch_init(&w->scratch, rows, CAT_WIDTH) != 0) {
        ff_network_work_free(w);
        return -1;
    }
    return 0;
}

void
ff_network_work_free(ff_network_work *w)
{
    if (w == NULL) {
        return;
    }
    ff_sgemm_scratch_free(&w->scratch);
    free(w->memory);
    memset(w, 0, sizeof *w);
}

/* Compute SiLU(time layer(fourier(t))) into columns 128..255 of cat0, for
 * rows rows (1 when the time is shared). */
static void
time_forward(ff_network_work *w, const ff_network *net, const float *fourier,
             int rows)
{
    float *time_out = w->cat0 + FF_NETWORK_EMBED;

    ff_nn_fourier_forward(w->fourier, 2 * FF_NETWORK_FOURIER, w->t, fourier,
                          FF_NETWORK_FOURIER, rows);
    ff_nn_linear_forward(w->z_time, FF_NETWORK_EMBED, w->fourier,
                         2 * FF_NETWORK_FOURIER, &net->time, 0, rows,
                         &w->scratch);
    ff_nn_silu_forward(time_out, CAT_WIDTH, w->training ? w->s_time : NULL,
                       w->z_time, FF_NETWORK_EMBED, rows, FF_NETWORK_EMBED);
}

void
ff_network_forward(ff_network_work *w, const ff_network *net,
                   const float *fourier, int n, int shared_time)
{
    float *time_out = w->cat0 + FF_NETWORK_EMBED;

    // Time embedding, computed once and copied when all rows share t.
    time_forward(w, net, fourier, shared_time ? 1 : n);
    if (shared_time) {
        for (int i = 1; i < n; i++) {
            memcpy(time_out + (size_t)i * CAT_WIDTH, time_out,
                   FF_NETWORK_EMBED * sizeof(float));
        }
    }

    // Pose embedding into columns 0..127 of cat0.
    ff_nn_linear_forward(w->z_pose, FF_NETWORK_EMBED, w->input,
                         FF_NETWORK_INPUT, &net->pose, 0, n, &w->scratch);
    ff_nn_silu_forward(w->cat0, CAT_WIDTH, w->training ? w->s_pose : NULL,
                       w->z_pose, FF_NETWORK_EMBED, n, FF_NETWORK_EMBED);

    // Dense layers; the head of deep reads concat(trunk, time).
    const float *x = w->cat0;
    int ldx = CAT_WIDTH;
    for (int l = 0; l < net->layer_count; l++) {
        if (l == net->head_start) {
            ff_nn_concat_forward(w->cat1 + FF_NETWORK_EMBED, CAT_WIDTH,
                                 time_out, CAT_WIDTH, n, FF_NETWORK_EMBED);
            x = w->cat1;
            ldx = CAT_WIDTH;
        }
        ff_nn_linear_forward(w->act[l], w->ld_act[l], x, ldx,
                             &net->layers[l], net->relu[l], n, &w->scratch);
        x = w->act[l];
        ldx = w->ld_act[l];
    }
}

/* Return the input of dense layer l and its leading dimension. */
static const float *
layer_input(const ff_network_work *w, const ff_network *net, int l, int *ld)
{
    if (l == 0) {
        *ld = CAT_WIDTH;
        return w->cat0;
    }
    if (l == net->head_start) {
        *ld = CAT_WIDTH;
        return w->cat1;
    }
    *ld = w->ld_act[l - 1];
    return w->act[l - 1];
}

void
ff_network_backward(const ff_network *grad, ff_network_work *w,
                    const ff_network *net, int n)
{
    // Dense layers from the output down. Each step turns dy, the gradient
    // of layer l's pre-activation output, into that of the layer below.
    const float *dy = w->dout;
    int lddy = FF_NETWORK_OUTPUT;
    int next = 0;
    for (int l = net->layer_count - 1; l >= 0; l--) {
        int ldx = 0;
        const float *x = layer_input(w, net, l, &ldx);
        float *dx;
        const float *gate = NULL;

        if (l == 0) {
            dx = w->dcat0;
        } else if (l == net->head_start) {
            dx = w->dcat1;
        } else {
            dx = w->dbuf[next];
            next = 1 - next;
            gate = net->relu[l - 1] ? x : NULL;
        }
        ff_nn_linear_backward(dx, CAT_WIDTH, &grad->layers[l], dy, lddy, x,
                              ldx, &net->layers[l], gate, ldx, n,
                              &w->scratch);
        dy = dx;
        lddy = CAT_WIDTH;
    }

    // Time embedding: its output feeds cat0 and, in deep, cat1.
    ff_nn_concat_forward(w->dtime, FF_NETWORK_EMBED,
                         w->dcat0 + FF_NETWORK_EMBED, CAT_WIDTH, n,
                         FF_NETWORK_EMBED);
    if (net->head_start < net->layer_count) {
        ff_nn_concat_backward(w->dtime, FF_NETWORK_EMBED,
                              w->dcat1 + FF_NETWORK_EMBED, CAT_WIDTH, n,
                              FF_NETWORK_EMBED);
    }
    ff_nn_silu_backward(w->dtime, FF_NETWORK_EMBED, w->dtime,
                        FF_NETWORK_EMBED, w->z_time, FF_NETWORK_EMBED,
                        w->s_time, n, FF_NETWORK_EMBED);
    ff_nn_linear_backward(NULL, 0, &grad->time, w->dtime, FF_NETWORK_EMBED,
                          w->fourier, 2 * FF_NETWORK_FOURIER, &net->time,
                          NULL, 0, n, &w->scratch);

    // Pose embedding, from columns 0..127 of cat0; dcat0 is overwritten in
    // place by the SiLU derivative.
    ff_nn_silu_backward(w->dcat0, CAT_WIDTH, w->dcat0, CAT_WIDTH, w->z_pose,
                        FF_NETWORK_EMBED, w->s_pose, n, FF_NETWORK_EMBED);
    ff_nn_linear_backward(NULL, 0, &grad->pose, w->dcat0, CAT_WIDTH,
                          w->input, FF_NETWORK_INPUT, &net->pose, NULL, 0, n,
                          &w->scratch);
}

double
ff_network_macs(const ff_network *net)
{
    double macs = (double)net->time.in * net->time.out
                  + (double)net->pose.in * net->pose.out;

    for (int l = 0; l < net->layer_count; l++) {
        macs += (double)net->layers[l].in * net->layers[l].out;
    }
    return macs;
}
