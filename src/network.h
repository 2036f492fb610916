/*
 * The score network: its two architectures, the layout of its parameters in
 * one float block, their PyTorch-style initialisation, and the forward and
 * backward passes over a batch.
 *
 * Input per sample: the pose (x in model units, then R row-major: 12
 * numbers) and the time t. Output: 6 numbers (translation part, then
 * rotation part) before the division by sigma(t)^2, which the caller
 * applies.
 *
 *   time  = SiLU(Linear(128, 128)(fourier(t)))     fourier: 64 -> sin, cos
 *   pose  = SiLU(Linear(12, 128)(x, R))
 *   small: concat(pose, time) -> 256-128 ReLU 128-256 ReLU 256-6
 *   deep:  trunk = concat(pose, time) -> 256-128 ReLU 128-256 ReLU
 *                  256-256 ReLU 256-256 ReLU 256-256 ReLU 256-128
 *          head  = concat(trunk, time) -> the same shape ending in 256-6
 *
 * The parameter block holds, in this order, the time layer, the pose layer
 * and the dense layers, each as its weight (out x in, row-major) followed
 * by its bias (out). Gradients and optimiser moments use the same layout.
 * The Fourier frequencies are not part of the block: they are not trained.
 *
 * A network description (ff_network) only points into a block; it may be
 * shared by threads that only read it. A workspace belongs to one caller;
 * the functions named _team are called by every thread of one OpenMP
 * parallel region (or by one thread outside any), each with its own block
 * of rows from ff_network_rows, and synchronise the threads themselves.
 */
#ifndef FRAMEFLOW_NETWORK_H
#define FRAMEFLOW_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"
#include "sgemm.h"

#define FF_NETWORK_INPUT 12        /* x (3) and R (9) */
#define FF_NETWORK_OUTPUT 6        /* v_x (3) and v_r (3) */
#define FF_NETWORK_EMBED 128       /* width of the pose and time embeddings */
#define FF_NETWORK_FOURIER 64      /* Fourier frequencies: 128 features */
#define FF_NETWORK_FOURIER_SCALE 30.0  /* standard deviation of W */
#define FF_NETWORK_MAX_LAYERS 12   /* dense layers after the embeddings */

typedef struct ff_network {
    int arch;                     /* an ff_model_arch */
    ff_nn_linear time;            /* 128 -> 128, then SiLU */
    ff_nn_linear pose;            /* 12 -> 128, then SiLU */
    int layer_count;              /* 3 (small) or 12 (deep) */
    ff_nn_linear layers[FF_NETWORK_MAX_LAYERS];
    int relu[FF_NETWORK_MAX_LAYERS];  /* whether a ReLU follows layer l */
    int head_start;               /* first head layer (deep: 6); small:
                                     layer_count, as it has no head */
} ff_network;

/*
 * Return the number of floats in the parameter block of arch, or 0 for an
 * unknown architecture.
 */
size_t ff_network_param_count(int arch);

/*
 * Describe the network of arch with its parameters in block (of
 * ff_network_param_count(arch) floats; NULL describes only the shapes).
 * Return 0, or -1 for an unknown architecture.
 */
int ff_network_bind(ff_network *net, int arch, float *block);

/*
 * Fill the parameters as PyTorch initialises nn.Linear (weights and biases
 * uniform in [-1/sqrt(in), 1/sqrt(in)]) and the Fourier frequencies
 * fourier[FF_NETWORK_FOURIER] from N(0, 30^2), all from stream
 * FF_RNG_STREAM_INIT of seed.
 */
void ff_network_init(const ff_network *net, float *fourier, uint64_t seed);

/* Activations and gradients of one batch. */
typedef struct ff_network_work {
    int capacity;     /* largest batch */
    int training;     /* whether the backward buffers exist */
    float *input;     /* capacity x 12: the pose rows, filled by the caller */
    double *t;        /* capacity: times, filled by the caller */
    float *fourier;   /* capacity x 128 */
    float *z_time;    /* capacity x 128: time layer before SiLU */
    float *s_time;    /* capacity x 128: its sigmoid (training only) */
    float *z_pose;    /* capacity x 128: pose layer before SiLU */
    float *s_pose;    /* capacity x 128: its sigmoid (training only) */
    /* The backward pass writes each layer's input gradient over the
     * layer's input, once the weight gradient has read it: cat0, cat1
     * and every act[] but the output contain gradients after
     * ff_network_backward. */
    float *cat0;      /* capacity x 256: [SiLU(pose), SiLU(time)] */
    float *cat1;      /* capacity x 256: [trunk, SiLU(time)] (deep only) */
    float *act[FF_NETWORK_MAX_LAYERS];  /* capacity x out of each layer;
                                           the last is the output */
    int ld_act[FF_NETWORK_MAX_LAYERS];  /* their leading dimensions */
    float *dout;      /* capacity x 6: loss gradient of the output */
    float *dtime;     /* capacity x 128 */
    /* Weights packed for the matrix products (see sgemm.h), by linear
     * index: 0 the time layer, 1 the pose layer, 2 + l dense layer l. */
    float *packed_forward[FF_NETWORK_MAX_LAYERS + 2];
    float *packed_backward[FF_NETWORK_MAX_LAYERS + 2];  /* dense only */
    /* Training only: the progress of the threads through the column
     * panels of the weight gradients (see ff_network_backward_team). */
    uint32_t *stages;
    int stage_count;
    void *memory;     /* the single allocation behind the buffers */
} ff_network_work;

/*
 * Allocate a workspace for batches of up to capacity samples; training
 * adds the buffers of the backward pass. Return 0, or -1 when memory runs
 * out (the workspace is then empty and safe to free).
 */
int ff_network_work_init(ff_network_work *w, const ff_network *net,
                         int capacity, int training);

/* Release a workspace; an empty one is allowed. */
void ff_network_work_free(ff_network_work *w);

/*
 * Return this thread's block [*begin, *end) of n rows: blocks are aligned
 * to the matrix kernel's rows and cover the batch over the team.
 */
void ff_network_rows(int n, int *begin, int *end);

/*
 * Pack the weights of net into w for the matrix products: the forward
 * layout always, the backward one too in a training workspace. Call after
 * the parameters change. A team function: it ends with a barrier.
 */
void ff_network_pack_team(ff_network_work *w, const ff_network *net);

/*
 * Run the network on rows [begin, end) of w->input, on the calling thread,
 * with the weights packed by ff_network_pack_team. Row i uses time
 * w->t[i]; with shared_time all rows must have the same time, and the time
 * branch runs once. The output is w->act[net->layer_count - 1] (6 per row).
 */
void ff_network_forward_rows(ff_network_work *w, const ff_network *net,
                             const float *fourier, int begin, int end,
                             int shared_time);

/*
 * Add to grad (a network bound to a gradient block) the gradient of the
 * loss, given in w->dout for the first n rows, the loss gradient with
 * respect to the output of the last forward pass (run without
 * shared_time). A team function: each thread passes its rows from
 * ff_network_rows and reads only those rows of w->dout, which it may fill
 * just before. The weight gradients form a pipeline. The threads take
 * every column panel in turn, in the order of their rows, and each
 * continues the sums over its own rows. The result is then that of one
 * thread, and no thread reads another's rows. It starts with a barrier,
 * and the gradients are complete after the team's next barrier.
 */
void ff_network_backward_team(const ff_network *grad, ff_network_work *w,
                              const ff_network *net, int n, int begin,
                              int end);

/*
 * Pack, then run the network on the first n rows with OpenMP threads, from
 * outside a parallel region.
 */
void ff_network_forward(ff_network_work *w, const ff_network *net,
                        const float *fourier, int n, int shared_time);

/*
 * Run ff_network_backward_team with OpenMP threads, from outside a
 * parallel region, after ff_network_forward on the same rows.
 */
void ff_network_backward(const ff_network *grad, ff_network_work *w,
                         const ff_network *net, int n);

/* Return the multiply-adds of one sample's forward pass. */
double ff_network_macs(const ff_network *net);

#endif
