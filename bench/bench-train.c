/*
 * Training throughput of the score network, beside the single-precision
 * matrix-multiply rate of the same shapes measured in the same run.
 *
 * Usage: bench-train [--threads N] [--blas LIBRARY] [--steps N]
 *                    [--arch small|deep]
 *
 * Prints tab-separated rows:
 *   sgemm  KERNEL  PRODUCT  MxNxK  THREADS  MEDIAN_MS  GFLOP/S
 *   train  ARCH  BATCH  THREADS  MEDIAN_MS  STEPS/S  SAMPLES/S  GFLOP/S
 *          PERCENT_OF_MATMUL  CPU_MS
 *   part   ARCH  BATCH  THREADS  PART  MEDIAN_MS
 * GFLOP/s of a step counts 6 flops per multiply-add of the forward pass
 * (2 forward, 4 backward) per sample, as the reference figures do, although
 * the embedding layers need no input gradient. PERCENT_OF_MATMUL compares a
 * step with this kernel's median rate over the three products of the
 * 1000x256x256 layer. CPU_MS is the median processor time of a step summed
 * over threads: on one thread it is what the step costs when other work
 * shares the core, which makes the wall time meaningless.
 *
 * --blas loads a CBLAS library (such as OpenBLAS) with dlopen and measures
 * its cblas_sgemm on the same shapes; nothing of it is linked in.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "frameflow/model.h"
#include "frameflow/rng.h"
#include "frameflow/so3.h"
#include "frameflow/train.h"
#include "adamw.h"
#include "model_internal.h"
#include "network.h"
#include "sgemm.h"

#define MAX_REPEAT 200

/* CBLAS constants, as cblas.h defines them. */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };

typedef void (*cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m,
                               int n, int k, float alpha, const float *a,
                               int lda, const float *b, int ldb, float beta,
                               float *c, int ldc);
typedef void (*set_threads_fn)(int n);

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static float *
random_floats(size_t n, uint32_t item)
{
    ff_rng rng;
    float *v = malloc(n * sizeof(float));

    if (v == NULL) {
        fprintf(stderr, "bench-train: out of memory\n");
        exit(1);
    }
    ff_rng_init(&rng, 1, FF_RNG_STREAM_USER, 0, item);
    for (size_t i = 0; i < n; i++) {
        v[i] = (float)(2.0 * ff_rng_uniform(&rng) - 1.0);
    }
    return v;
}

typedef struct shape {
    int m;
    int n;
    int k;
} shape;

/* Time the three products of a layer with m rows, n outputs and k inputs,
 * with this library's kernel (blas NULL) or a CBLAS; print each median and
 * return the mean of the three rates in GFLOP/s. */
static double
bench_products(const char *kernel, cblas_sgemm_fn blas, shape s, int threads,
               int repeat)
{
    float *X = random_floats((size_t)s.m * s.k, 1);
    float *W = random_floats((size_t)s.n * s.k, 2);
    float *Y = random_floats((size_t)s.m * s.n, 3);
    float *dX = random_floats((size_t)s.m * s.k, 4);
    float *dW = random_floats((size_t)s.n * s.k, 5);
    float *bias = random_floats((size_t)s.n, 6);
    ff_sgemm_scratch scratch;
    const char *names[3] = {"Y=XW^T", "dX=dYW", "dW+=dY^TX"};
    double rates[3];
    double flops = 2.0 * s.m * s.n * s.k;

    if (ff_sgemm_scratch_init(&scratch, s.n > s.k ? s.n : s.k,
                              s.n > s.k ? s.n : s.k) != 0) {
        fprintf(stderr, "bench-train: out of memory\n");
        exit(1);
    }
    for (int p = 0; p < 3; p++) {
        double t[MAX_REPEAT];
        for (int r = 0; r < repeat + 3; r++) {
            double t0 = now();
            if (blas == NULL && p == 0) {
                ff_sgemm_nt(Y, s.n, X, s.k, W, s.k, bias, 1, s.m, s.n, s.k,
                            &scratch);
            } else if (blas == NULL && p == 1) {
                ff_sgemm_nn(dX, s.k, Y, s.n, W, s.k, X, s.k, s.m, s.n, s.k,
                            &scratch);
            } else if (blas == NULL) {
                ff_sgemm_tn(dW, s.k, Y, s.n, X, s.k, s.m, s.n, s.k, &scratch);
            } else if (p == 0) {
                blas(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, s.m, s.n,
                     s.k, 1.0f, X, s.k, W, s.k, 0.0f, Y, s.n);
            } else if (p == 1) {
                blas(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_NO_TRANS, s.m,
                     s.k, s.n, 1.0f, Y, s.n, W, s.k, 0.0f, dX, s.k);
            } else {
                blas(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, s.n, s.k,
                     s.m, 1.0f, Y, s.n, X, s.k, 1.0f, dW, s.k);
            }
            // The first runs warm the caches and the thread pool.
            if (r >= 3) {
                t[r - 3] = now() - t0;
            }
        }
        double ms = median(t, repeat) * 1e3;
        rates[p] = flops / (ms * 1e-3) / 1e9;
        printf("sgemm\t%s\t%s\t%dx%dx%d\t%d\t%.3f\t%.1f\n", kernel, names[p],
               s.m, s.n, s.k, threads, ms, rates[p]);
    }
    ff_sgemm_scratch_free(&scratch);
    free(X);
    free(W);
    free(Y);
    free(dX);
    free(dW);
    free(bias);
    return (rates[0] + rates[1] + rates[2]) / 3.0;
}

/* Training frames: 100 poses spread over a 30 A box, like a small
 * protein's residues. */
static ff_pose *
bench_frames(size_t n)
{
    ff_rng rng;
    ff_pose *poses = malloc(n * sizeof *poses);

    ff_rng_init(&rng, 2, FF_RNG_STREAM_USER, 0, 0);
    for (size_t i = 0; i < n; i++) {
        ff_rng_rotation_uniform(poses[i].R, &rng);
        for (int j = 0; j < 3; j++) {
            poses[i].x[j] = 30.0 * ff_rng_uniform(&rng);
        }
    }
    return poses;
}

static void
bench_training(int arch, int batch, int threads, int steps, double matmul)
{
    const size_t frames = 100;
    ff_pose *poses = bench_frames(frames);
    ff_model_config cfg;
    ff_error err;

    ff_model_config_default(&cfg, arch);
    cfg.batch = (uint32_t)batch;
    if (ff_train_config_set_frames(&cfg, poses, frames, 1, &err) != 0) {
        fprintf(stderr, "bench-train: %s\n", err.message);
        exit(1);
    }
    ff_model *m = ff_model_new(&cfg, &err);
    ff_trainer *tr = m != NULL ? ff_trainer_new(m, poses, frames, NULL, &err)
                               : NULL;
    if (tr == NULL) {
        fprintf(stderr, "bench-train: %s\n", err.message);
        exit(1);
    }

    // Whole steps.
    double t[MAX_REPEAT];
    double cpu[MAX_REPEAT];
    for (int r = 0; r < steps + 3; r++) {
        double t0 = now();
        double c0 = cpu_now();
        if (ff_trainer_step(tr, NULL, &err) != 0) {
            fprintf(stderr, "bench-train: %s\n", err.message);
            exit(1);
        }
        if (r >= 3) {
            t[r - 3] = now() - t0;
            cpu[r - 3] = cpu_now() - c0;
        }
    }
    double ms = median(t, steps) * 1e3;
    double cpu_ms = median(cpu, steps) * 1e3;
    double gflop = 6.0 * ff_network_macs(&m->net) * batch / 1e9;
    const char *name = ff_model_arch_name(arch);
    printf("train\t%s\t%d\t%d\t%.3f\t%.1f\t%.0f\t%.1f\t%.0f%%\t%.3f\n",
           name, batch, threads, ms, 1e3 / ms, batch * 1e3 / ms,
           gflop / (ms * 1e-3), 100.0 * gflop / (ms * 1e-3) / matmul,
           cpu_ms);

    // The parts of a step, on a workspace of the same batch: forward,
    // backward and the optimiser; the rest of a step is drawing the batch
    // and the loss.
    ff_network_work w;
    float *grad = calloc(m->param_count, sizeof(float));
    ff_network grad_net;
    ff_adamw opt = {5e-4, 0.9, 0.999, 1e-8, 0.01};
    if (grad == NULL || ff_network_work_init(&w, &m->net, batch, 1) != 0) {
        fprintf(stderr, "bench-train: out of memory\n");
        exit(1);
    }
    ff_network_bind(&grad_net, arch, grad);
    float *input = random_floats((size_t)batch * FF_NETWORK_INPUT, 7);
    memcpy(w.input, input, (size_t)batch * FF_NETWORK_INPUT * sizeof(float));
    for (int i = 0; i < batch; i++) {
        w.t[i] = 0.001 + 0.999 * (i + 0.5) / batch;
    }
    float *dout = random_floats((size_t)batch * FF_NETWORK_OUTPUT, 8);
    const char *parts[3] = {"forward", "backward", "adamw"};
    double part_ms[3];
    for (int p = 0; p < 3; p++) {
        for (int r = 0; r < steps + 3; r++) {
            double t0 = now();
            if (p == 0) {
                ff_network_forward(&w, &m->net, m->fourier, batch, 0);
            } else if (p == 1) {
                memcpy(w.dout, dout,
                       (size_t)batch * FF_NETWORK_OUTPUT * sizeof(float));
                memset(grad, 0, m->param_count * sizeof(float));
                ff_network_backward(&grad_net, &w, &m->net, batch);
            } else {
                ff_adamw_step(m->params, m->adam_m, m->adam_v, grad,
                              m->param_count, 1, &opt);
            }
            if (r >= 3) {
                t[r - 3] = now() - t0;
            }
        }
        part_ms[p] = median(t, steps) * 1e3;
        printf("part\t%s\t%d\t%d\t%s\t%.3f\n", name, batch, threads, parts[p],
               part_ms[p]);
    }
    printf("part\t%s\t%d\t%d\tbatch and loss (the rest)\t%.3f\n", name, batch,
           threads, ms - part_ms[0] - part_ms[1] - part_ms[2]);

    free(input);
    free(dout);
    free(grad);
    ff_network_work_free(&w);
    ff_trainer_free(tr);
    ff_model_free(m);
    free(poses);
}

int
main(int argc, char **argv)
{
    int threads = 1;
    int steps = 30;
    const char *blas_path = NULL;
    const char *arch = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            steps = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--blas") == 0 && i + 1 < argc) {
            blas_path = argv[++i];
        } else if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) {
            arch = argv[++i];
        } else {
            fprintf(stderr, "usage: bench-train [--threads N] [--steps N] "
                    "[--blas LIBRARY] [--arch small|deep]\n");
            return 2;
        }
    }
    if (arch != NULL && strcmp(arch, "small") != 0
        && strcmp(arch, "deep") != 0) {
        fprintf(stderr, "bench-train: --arch must be small or deep\n");
        return 2;
    }
    if (threads < 1 || steps < 1 || steps > MAX_REPEAT) {
        fprintf(stderr, "bench-train: --threads must be at least 1 and "
                "--steps from 1 to %d\n", MAX_REPEAT);
        return 2;
    }
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    threads = 1;
#endif

    cblas_sgemm_fn blas = NULL;
    if (blas_path != NULL) {
        void *lib = dlopen(blas_path, RTLD_NOW | RTLD_LOCAL);
        if (lib == NULL) {
            fprintf(stderr, "bench-train: %s\n", dlerror());
            return 1;
        }
        *(void **)&blas = dlsym(lib, "cblas_sgemm");
        set_threads_fn set_threads = NULL;
        *(void **)&set_threads = dlsym(lib, "openblas_set_num_threads");
        if (blas == NULL) {
            fprintf(stderr, "bench-train: %s has no cblas_sgemm\n",
                    blas_path);
            return 1;
        }
        if (set_threads != NULL) {
            set_threads(threads);
        }
    }

    const shape shapes[3] = {{1000, 256, 256}, {1000, 128, 256},
                             {500, 256, 128}};
    double matmul = 0.0;
    for (int i = 0; i < 3; i++) {
        double rate = bench_products(ff_sgemm_kernel_name(), NULL, shapes[i],
                                     threads, steps);
        if (i == 0) {
            matmul = rate;
        }
        if (blas != NULL) {
            bench_products("cblas", blas, shapes[i], threads, steps);
        }
    }
    if (arch == NULL || strcmp(arch, "small") == 0) {
        bench_training(FF_MODEL_ARCH_SMALL, 500, threads, steps, matmul);
    }
    if (arch == NULL || strcmp(arch, "deep") == 0) {
        bench_training(FF_MODEL_ARCH_DEEP, 1000, threads, steps, matmul);
    }
    return 0;
}
