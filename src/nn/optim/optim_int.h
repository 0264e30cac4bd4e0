/* optim_int.h — private names shared by the optimizer files in src/nn/optim and their tests.
 *
 * Not part of the API; nothing outside src/nn/optim and tests/nn/optim may include it. The
 * per-kind update functions are pure loops: they validate nothing (optimizer.c does) and never
 * allocate.
 */
#ifndef FEDC_NN_OPTIM_INT_H
#define FEDC_NN_OPTIM_INT_H

#include "fedc/nn_optim.h"

#define FEDC__OPTIM_MAX_HPARAMS 6
#define FEDC__OPTIM_MAX_SLOTS 2

/* The step counter is kept in two floats, low 24 bits and high 24 bits, so that it is exact (a
 * float32 counts exactly only to 2^24) and the state stays a plain float vector. */
#define FEDC__OPTIM_STEP_SPLIT 16777216.0 /* 2^24 */

/* How a hyperparameter's value is checked. */
typedef enum fedc__hparam_rule {
    FEDC__RULE_NONNEG,     /* finite, >= 0 */
    FEDC__RULE_POSITIVE,   /* finite, > 0 */
    FEDC__RULE_NONPOS,     /* finite, <= 0 */
    FEDC__RULE_UNIT_OPEN,  /* in [0, 1) */
    FEDC__RULE_UNIT_CLOSED /* in [0, 1] */
} fedc__hparam_rule;

/* One step of one kind. h: the hyperparameters as doubles in state order; t: the new step
 * (>= 1); slots: the state after the step counter; w, g: nparams floats. */
typedef void (*fedc__optim_step_fn)(const fedc_optimizer *opt, const double *h, int64_t t,
                                    float *slots, float *w, const float *g);

struct fedc_optimizer {
    fedc_optimizer_kind kind;
    int64_t nparams;
    size_t nhparams;
    const char *hparam_names[FEDC__OPTIM_MAX_HPARAMS];
    fedc__hparam_rule hparam_rules[FEDC__OPTIM_MAX_HPARAMS];
    double hparam_init[FEDC__OPTIM_MAX_HPARAMS];
    size_t nslots;
    const char *slot_names[FEDC__OPTIM_MAX_SLOTS];
    int64_t slot_offset[FEDC__OPTIM_MAX_SLOTS]; /* from the start of the slots */
    int64_t slot_length[FEDC__OPTIM_MAX_SLOTS];
    float slot_init[FEDC__OPTIM_MAX_SLOTS];
    int64_t slots_size;
    bool nesterov;
    bool relative_step;
    fedc_shape *segments; /* adafactor: owned, nsegments entries (at least one) */
    size_t nsegments;
    fedc__optim_step_fn step;
};

/* The per-kind steps (optim_sgd.c, optim_adam.c, optim_adagrad.c, optim_adafactor.c). */
void fedc__optim_sgd_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                          float *w, const float *g);
void fedc__optim_adam_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                           float *w, const float *g);
void fedc__optim_adamw_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                            float *w, const float *g);
void fedc__optim_yogi_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                           float *w, const float *g);
void fedc__optim_adagrad_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                              float *w, const float *g);
void fedc__optim_rmsprop_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                              float *w, const float *g);
void fedc__optim_adafactor_step(const fedc_optimizer *opt, const double *h, int64_t t, float *slots,
                                float *w, const float *g);

/* Adafactor's moment floats for one segment shape: rows + cols when factored (rank >= 2, over
 * the last two axes, leading axes as a batch), numel otherwise. */
int64_t fedc__adafactor_moments_size(const fedc_shape *shape);

#endif /* FEDC_NN_OPTIM_INT_H */
