/*
 * Write a model file with fresh, untrained weights, for the tests of the
 * program: make-model small|deep PATH [SEED].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frameflow/model.h"

int
main(int argc, char **argv)
{
    ff_model_config cfg;
    ff_error err;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: make-model small|deep PATH [SEED]\n");
        return 2;
    }
    int arch = strcmp(argv[1], "deep") == 0 ? FF_MODEL_ARCH_DEEP
                                            : FF_MODEL_ARCH_SMALL;
    if (ff_model_config_default(&cfg, arch) < 0) {
        return 1;
    }
    cfg.seed = argc == 4 ? strtoull(argv[3], NULL, 10) : 1;
    ff_model *model = ff_model_new(&cfg, &err);
    if (model == NULL) {
        fprintf(stderr, "make-model: %s\n", err.message);
        return 1;
    }
    int rc = ff_model_save(model, argv[2], &err);
    if (rc < 0) {
        fprintf(stderr, "make-model: %s\n", err.message);
    }
    ff_model_free(model);
    return rc < 0 ? 1 : 0;
}
