#include "network.h"

#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

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

/* Return linear layer i: 0 the time layer, 1 the pose layer, 2 + l dense
 * layer l. */
static const ff_nn_linear *
linear_at(const ff_network *net, int i)
{
    if (i == 0) {
        return &net->time;
    }
    if (i == 1) {
        return &net->pose;
    }
    return &net->layers[i - 2];
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
        w->dtime = carve(base, &off, cap * FF_NETWORK_EMBED);
    }
    if (w->training) {
        // One stage per column panel of a weight gradient and one per
        // bias gradient.
        w->stage_count = 0;
        for (int i = 0; i < net->layer_count + 2; i++) {
            w->stage_count += ff_sgemm_panel_count(linear_at(net, i)->in) + 1;
        }
        w->stages = (uint32_t *)carve(base, &off, (size_t)w->stage_count);
    }
    for (int i = 0; i < net->layer_count + 2; i++) {
        const ff_nn_linear *layer = linear_at(net, i);
        w->packed_forward[i] = carve(base, &off,
                                     ff_sgemm_packed_size(layer->out,
                                                          layer->in));
        w->packed_backward[i] = w->training && i >= 2
                                ? carve(base, &off,
                                        ff_sgemm_packed_size(layer->in,
                                                             layer->out))
                                : NULL;
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
    return 0;
}

void
ff_network_work_free(ff_network_work *w)
{
    if (w == NULL) {
        return;
    }
    free(w->memory);
    memset(w, 0, sizeof *w);
}

static int
team_index(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

static int
team_size(void)
{
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

/* Return this thread's share [*first, *last) of count work items. */
static void
team_share(int count, int *first, int *last)
{
    int part = team_index();
    int parts = team_size();

    *first = (int)((long)count * part / parts);
    *last = (int)((long)count * (part + 1) / parts);
}

void
ff_network_rows(int n, int *begin, int *end)
{
    ff_sgemm_split_rows(n, team_index(), team_size(), begin, end);
}

void
ff_network_pack_team(ff_network_work *w, const ff_network *net)
{
    // Jobs are the column panels of every layer's packed weights, forward
    // layout first, numbered across layers and shared over the team.
    int layers = net->layer_count + 2;
    int jobs = 0;
    for (int i = 0; i < layers; i++) {
        const ff_nn_linear *layer = linear_at(net, i);
        jobs += ff_sgemm_panel_count(layer->out);
        if (w->packed_backward[i] != NULL) {
            jobs += ff_sgemm_panel_count(layer->in);
        }
    }

    int first = 0;
    int last = 0;
    team_share(jobs, &first, &last);
    int job = 0;
    for (int i = 0; i < layers && job < last; i++) {
        const ff_nn_linear *layer = linear_at(net, i);
        int panels = ff_sgemm_panel_count(layer->out);
        for (int jp = 0; jp < panels; jp++, job++) {
            if (job >= first && job < last) {
                ff_sgemm_pack_nt_panel(w->packed_forward[i], layer->weight,
                                       layer->in, layer->out, layer->in, jp);
            }
        }
        if (w->packed_backward[i] == NULL) {
            continue;
        }
        panels = ff_sgemm_panel_count(layer->in);
        for (int jp = 0; jp < panels; jp++, job++) {
            if (job >= first && job < last) {
                ff_sgemm_pack_nn_panel(w->packed_backward[i], layer->weight,
                                       layer->in, layer->out, layer->in, jp);
            }
        }
    }
#pragma omp barrier
}

/* Run linear layer i on rows of x into rows of y (count rows). */
static void
linear_rows(const ff_network_work *w, const ff_network *net, int i, float *y,
            int ldy, const float *x, int ldx, int relu, int rows)
{
    const ff_nn_linear *layer = linear_at(net, i);

    ff_sgemm_packed(y, ldy, x, ldx, w->packed_forward[i], layer->bias, relu,
                    NULL, 0, rows, layer->out, layer->in);
}

/* Compute SiLU(time layer(fourier(t))) of rows [begin, begin + rows) into
 * columns 128..255 of cat0. */
static void
time_rows(ff_network_work *w, const ff_network *net, const float *fourier,
          int begin, int rows)
{
    size_t b = (size_t)begin;
    float *features = w->fourier + b * 2 * FF_NETWORK_FOURIER;
    float *z = w->z_time + b * FF_NETWORK_EMBED;

    ff_nn_fourier_forward(features, 2 * FF_NETWORK_FOURIER, w->t + b,
                          fourier, FF_NETWORK_FOURIER, rows);
    linear_rows(w, net, 0, z, FF_NETWORK_EMBED, features,
                2 * FF_NETWORK_FOURIER, 0, rows);
    ff_nn_silu_forward(w->cat0 + b * CAT_WIDTH + FF_NETWORK_EMBED, CAT_WIDTH,
                       w->training ? w->s_time + b * FF_NETWORK_EMBED : NULL,
                       z, FF_NETWORK_EMBED, rows, FF_NETWORK_EMBED);
}

void
ff_network_forward_rows(ff_network_work *w, const ff_network *net,
                        const float *fourier, int begin, int end,
                        int shared_time)
{
    int rows = end - begin;
    size_t b = (size_t)begin;

    if (rows <= 0) {
        return;
    }

    // Time embedding, computed once and copied when all rows share t.
    time_rows(w, net, fourier, begin, shared_time ? 1 : rows);
    if (shared_time) {
        const float *first = w->cat0 + b * CAT_WIDTH + FF_NETWORK_EMBED;
        for (int i = 1; i < rows; i++) {
            memcpy(w->cat0 + (b + (size_t)i) * CAT_WIDTH + FF_NETWORK_EMBED,
                   first, FF_NETWORK_EMBED * sizeof(float));
        }
    }

    // Pose embedding into columns 0..127 of cat0.
    float *z = w->z_pose + b * FF_NETWORK_EMBED;
    linear_rows(w, net, 1, z, FF_NETWORK_EMBED,
                w->input + b * FF_NETWORK_INPUT, FF_NETWORK_INPUT, 0, rows);
    ff_nn_silu_forward(w->cat0 + b * CAT_WIDTH, CAT_WIDTH,
                       w->training ? w->s_pose + b * FF_NETWORK_EMBED : NULL,
                       z, FF_NETWORK_EMBED, rows, FF_NETWORK_EMBED);

    // Dense layers; the head of deep reads concat(trunk, time).
    const float *x = w->cat0 + b * CAT_WIDTH;
    int ldx = CAT_WIDTH;
    for (int l = 0; l < net->layer_count; l++) {
        if (l == net->head_start) {
            float *cat1 = w->cat1 + b * CAT_WIDTH;
            ff_nn_concat_forward(cat1 + FF_NETWORK_EMBED, CAT_WIDTH,
                                 w->cat0 + b * CAT_WIDTH + FF_NETWORK_EMBED,
                                 CAT_WIDTH, rows, FF_NETWORK_EMBED);
            x = cat1;
            ldx = CAT_WIDTH;
        }
        float *y = w->act[l] + b * (size_t)w->ld_act[l];
        linear_rows(w, net, 2 + l, y, w->ld_act[l], x, ldx, net->relu[l],
                    rows);
        x = y;
        ldx = w->ld_act[l];
    }
}

/* Return the input of dense layer l and its leading dimension. */
static float *
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

/* Wait until the threads before this one have finished stage. */
static void
wait_for_stage(const uint32_t *stage, uint32_t thread)
{
    int spins = 0;

    while (__atomic_load_n(stage, __ATOMIC_ACQUIRE) != thread) {
        // Yield now and then, in case the thread waited for has no core.
        if (++spins == 4096) {
            sched_yield();
            spins = 0;
        }
    }
}

/* Mark stage as finished by this thread, for the next one. */
static void
finish_stage(uint32_t *stage, uint32_t thread)
{
    __atomic_store_n(stage, thread + 1, __ATOMIC_RELEASE);
}

/* Add rows [r0, r0 + rows) of dy^T x to the tiles of column panel jp of
 * weight gradient g, packing the block of x into buffer. */
static void
gradient_block(const ff_nn_linear *g, const ff_nn_linear *layer,
               const float *dy, int lddy, const float *x, int ldx, int r0,
               int rows, int jp, float *buffer)
{
    int per_panel = ff_sgemm_tn_tiles_per_panel(layer->out);

    ff_sgemm_tn_pack(buffer, x + (size_t)r0 * ldx, ldx, rows, layer->in, jp);
    for (int t = jp * per_panel; t < (jp + 1) * per_panel; t++) {
        ff_sgemm_tn_tile(g->weight, layer->in, dy + (size_t)r0 * lddy, lddy,
                         buffer, rows, layer->out, layer->in, t);
    }
}

/*
 * Add the weight and bias gradients of linear layer i for the rows
 * [begin, end) of dy and x, as this thread's part of the pipeline. The
 * layer's stages start at *next, which is advanced past them.
 */
static void
parameter_gradient_rows(const ff_network *grad, ff_network_work *w,
                        const ff_network *net, int i, const float *dy,
                        int lddy, const float *x, int ldx, int begin,
                        int end, int *next)
{
    const ff_nn_linear *layer = linear_at(net, i);
    const ff_nn_linear *g = linear_at(grad, i);
    uint32_t thread = (uint32_t)team_index();
    int panels = ff_sgemm_panel_count(layer->in);
    _Alignas(64) float buffer[FF_SGEMM_TN_BUFFER];

    // A packed block of rows stays in cache while the tiles of its column
    // panel pass. The chains are the same in either order below.
    if (team_size() == 1) {
        // Alone, run every panel block by block, so that each block of dy
        // and x is read from memory once.
        for (int r0 = begin; r0 < end; r0 += FF_SGEMM_TN_BLOCK) {
            int rows = end - r0 < FF_SGEMM_TN_BLOCK ? end - r0
                                                    : FF_SGEMM_TN_BLOCK;
            for (int jp = 0; jp < panels; jp++) {
                gradient_block(g, layer, dy, lddy, x, ldx, r0, rows, jp,
                               buffer);
            }
        }
        *next += panels;
    } else {
        // In a team, run all blocks panel by panel, so that the next
        // thread can start on a panel as soon as this one has finished it.
        for (int jp = 0; jp < panels; jp++) {
            uint32_t *stage = w->stages + (*next)++;
            wait_for_stage(stage, thread);
            for (int r0 = begin; r0 < end; r0 += FF_SGEMM_TN_BLOCK) {
                int rows = end - r0 < FF_SGEMM_TN_BLOCK ? end - r0
                                                        : FF_SGEMM_TN_BLOCK;
                gradient_block(g, layer, dy, lddy, x, ldx, r0, rows, jp,
                               buffer);
            }
            finish_stage(stage, thread);
        }
    }
    uint32_t *stage = w->stages + (*next)++;
    wait_for_stage(stage, thread);
    if (end > begin) {
        ff_nn_bias_backward(g->bias, dy + (size_t)begin * lddy, lddy,
                            end - begin, 0, layer->out);
    }
    finish_stage(stage, thread);
}

void
ff_network_backward_team(const ff_network *grad, ff_network_work *w,
                         const ff_network *net, int n, int begin, int end)
{
    int rows = end - begin;
    size_t b = (size_t)begin;

    // Every stage starts unclaimed, which the barrier ending single
    // makes visible to all threads.
#pragma omp single
    memset(w->stages, 0, (size_t)w->stage_count * sizeof *w->stages);

    // Dense layers from the output down. Each step turns dy, the gradient
    // of layer l's pre-activation output, into that of the layer below,
    // row by row, so a thread needs no other thread's rows. The input
    // gradient overwrites the layer's input, which the weight gradient
    // has read by then, so the pass touches no further memory. The inner
    // dimension, the layer's width of at most 256, is one block of the
    // product, so each tile reads its gate before it writes there.
    const float *dy = w->dout;
    int lddy = FF_NETWORK_OUTPUT;
    int stage = 0;
    (void)n;
    for (int l = net->layer_count - 1; l >= 0; l--) {
        int ldx = 0;
        float *x = layer_input(w, net, l, &ldx);
        const float *gate = NULL;

        if (l != 0 && l != net->head_start && net->relu[l - 1]) {
            gate = x;
        }
        parameter_gradient_rows(grad, w, net, 2 + l, dy, lddy, x, ldx,
                                begin, end, &stage);
        if (rows > 0) {
            const ff_nn_linear *layer = &net->layers[l];
            ff_sgemm_packed(x + b * ldx, ldx, dy + b * lddy, lddy,
                            w->packed_backward[2 + l], NULL, 0,
                            gate != NULL ? gate + b * ldx : NULL, ldx, rows,
                            layer->in, layer->out);
        }
        dy = x;
        lddy = ldx;
    }

    // Time embedding: its output feeds cat0 and, in deep, cat1. Then the
    // pose embedding, from columns 0..127 of cat0, overwritten in place by
    // the SiLU derivative.
    if (rows > 0) {
        float *dtime = w->dtime + b * FF_NETWORK_EMBED;
        float *dcat0 = w->cat0 + b * CAT_WIDTH;
        const float *dy_time = dcat0 + FF_NETWORK_EMBED;
        int lddy_time = CAT_WIDTH;
        if (net->head_start < net->layer_count) {
            ff_nn_concat_forward(dtime, FF_NETWORK_EMBED,
                                 dcat0 + FF_NETWORK_EMBED, CAT_WIDTH, rows,
                                 FF_NETWORK_EMBED);
            ff_nn_concat_backward(dtime, FF_NETWORK_EMBED,
                                  w->cat1 + b * CAT_WIDTH + FF_NETWORK_EMBED,
                                  CAT_WIDTH, rows, FF_NETWORK_EMBED);
            dy_time = dtime;
            lddy_time = FF_NETWORK_EMBED;
        }
        ff_nn_silu_backward(dtime, FF_NETWORK_EMBED, dy_time, lddy_time,
                            w->z_time + b * FF_NETWORK_EMBED,
                            FF_NETWORK_EMBED,
                            w->s_time + b * FF_NETWORK_EMBED, rows,
                            FF_NETWORK_EMBED);
        ff_nn_silu_backward(dcat0, CAT_WIDTH, dcat0, CAT_WIDTH,
                            w->z_pose + b * FF_NETWORK_EMBED,
                            FF_NETWORK_EMBED,
                            w->s_pose + b * FF_NETWORK_EMBED, rows,
                            FF_NETWORK_EMBED);
    }
    parameter_gradient_rows(grad, w, net, 0, w->dtime, FF_NETWORK_EMBED,
                            w->fourier, 2 * FF_NETWORK_FOURIER, begin, end,
                            &stage);
    parameter_gradient_rows(grad, w, net, 1, w->cat0, CAT_WIDTH, w->input,
                            FF_NETWORK_INPUT, begin, end, &stage);
}

/* Threads cost more than they save below about a million multiply-adds. */
#define PARALLEL_WORK 1e6

void
ff_network_forward(ff_network_work *w, const ff_network *net,
                   const float *fourier, int n, int shared_time)
{
#pragma omp parallel if (n * ff_network_macs(net) > PARALLEL_WORK)
    {
        int begin = 0;
        int end = 0;
        ff_network_pack_team(w, net);
        ff_network_rows(n, &begin, &end);
        ff_network_forward_rows(w, net, fourier, begin, end, shared_time);
    }
}

void
ff_network_backward(const ff_network *grad, ff_network_work *w,
                    const ff_network *net, int n)
{
#pragma omp parallel if (n * ff_network_macs(net) > PARALLEL_WORK)
    {
        int begin = 0;
        int end = 0;
        ff_network_rows(n, &begin, &end);
        ff_network_backward_team(grad, w, net, n, begin, end);
    }
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
