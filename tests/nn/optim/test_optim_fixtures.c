/* test_optim_fixtures.c — every optimizer against the committed fixtures written by
 * tests/nn/optim/make_fixtures.py (PyTorch configured to TFF's rules, or the script's NumPy
 * re-implementation of TFF's yogi.py / adafactor.py): the weights after each of several steps
 * must agree to 1e-5 relative. The files are read relative to the repository root, where the
 * tests run; this file must not need torch or Python.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/nn_optim.h"
#include "harness/harness.h"

#define FIX_DIR "tests/nn/optim/fixtures/"
#define FIX_MAX_N 64
#define FIX_MAX_STEPS 8
#define FIX_MAX_SEGMENTS 8

typedef struct fixture {
    fedc_optimizer_opts opts;
    fedc_shape segments[FIX_MAX_SEGMENTS];
    int64_t n;
    int steps;
    float w0[FIX_MAX_N];
    float grad[FIX_MAX_STEPS][FIX_MAX_N];
    float want[FIX_MAX_STEPS][FIX_MAX_N];
} fixture;

/* Reads up to `n` floats from strtok_r's remaining tokens; returns how many. */
static int64_t read_floats(char **save, float *out, int64_t n) {
    int64_t k = 0;
    for (char *tok; k < n && (tok = strtok_r(NULL, " \t\n", save)) != NULL; k++)
        out[k] = strtof(tok, NULL);
    return k;
}

static void set_opt(fixture *f, const char *key, double v) {
    fedc_optimizer_opts *o = &f->opts;
    if (strcmp(key, "learning_rate") == 0)
        o->learning_rate = v;
    else if (strcmp(key, "momentum") == 0)
        o->momentum = v;
    else if (strcmp(key, "nesterov") == 0)
        o->nesterov = v != 0;
    else if (strcmp(key, "beta_1") == 0)
        o->beta_1 = v;
    else if (strcmp(key, "beta_2") == 0)
        o->beta_2 = v;
    else if (strcmp(key, "epsilon") == 0)
        o->epsilon = v;
    else if (strcmp(key, "weight_decay") == 0)
        o->weight_decay = v;
    else if (strcmp(key, "decay") == 0)
        o->decay = v;
    else if (strcmp(key, "initial_preconditioner_value") == 0)
        o->initial_preconditioner_value = v;
    else if (strcmp(key, "beta_2_decay") == 0)
        o->beta_2_decay = v;
    else if (strcmp(key, "epsilon_1") == 0)
        o->epsilon_1 = v;
    else if (strcmp(key, "epsilon_2") == 0)
        o->epsilon_2 = v;
    else if (strcmp(key, "clip_threshold") == 0)
        o->clip_threshold = v;
    else if (strcmp(key, "relative_step") == 0)
        o->relative_step = v != 0;
    else
        FAIL("fixture: unknown option '%s'", key);
}

static void load(const char *name, fixture *f) {
    char path[256];
    snprintf(path, sizeof path, FIX_DIR "%s.txt", name);
    FILE *fp = fopen(path, "r");
    if (!fp) FAIL("cannot open %s (tests run from the repository root)", path);
    static char line[1 << 16];
    memset(f, 0, sizeof *f);
    bool have_kind = false;
    while (fgets(line, sizeof line, fp)) {
        char *save = NULL;
        char *key = strtok_r(line, " \t\n", &save);
        if (!key || key[0] == '#') continue;
        if (strcmp(key, "kind") == 0) {
            fedc_optimizer_kind kind;
            ASSERT_TRUE(fedc_optimizer_kind_parse(strtok_r(NULL, " \t\n", &save), &kind));
            f->opts = fedc_optimizer_opts_default(kind);
            have_kind = true;
        } else if (strcmp(key, "opt") == 0) {
            ASSERT_TRUE(have_kind);
            char *k = strtok_r(NULL, " \t\n", &save);
            char *v = strtok_r(NULL, " \t\n", &save);
            ASSERT_NOT_NULL(v);
            set_opt(f, k, strtod(v, NULL));
        } else if (strcmp(key, "segment") == 0) {
            ASSERT_LT(f->opts.nsegments, (size_t)FIX_MAX_SEGMENTS);
            fedc_shape *s = &f->segments[f->opts.nsegments++];
            for (char *tok; (tok = strtok_r(NULL, " \t\n", &save)) != NULL;)
                s->dims[s->rank++] = strtoll(tok, NULL, 10);
        } else if (strcmp(key, "nparams") == 0) {
            f->n = strtoll(strtok_r(NULL, " \t\n", &save), NULL, 10);
            ASSERT_LE(f->n, FIX_MAX_N);
        } else if (strcmp(key, "steps") == 0) {
            f->steps = atoi(strtok_r(NULL, " \t\n", &save));
            ASSERT_LE(f->steps, FIX_MAX_STEPS);
        } else if (strcmp(key, "w0") == 0) {
            ASSERT_EQ(read_floats(&save, f->w0, f->n), f->n);
        } else if (strcmp(key, "grad") == 0 || strcmp(key, "w") == 0) {
            int t = atoi(strtok_r(NULL, " \t\n", &save));
            ASSERT_TRUE(t >= 1 && t <= f->steps);
            float *dst = key[0] == 'g' ? f->grad[t - 1] : f->want[t - 1];
            ASSERT_EQ(read_floats(&save, dst, f->n), f->n);
        } else {
            FAIL("%s: unknown line '%s'", path, key);
        }
    }
    fclose(fp);
    ASSERT_TRUE(have_kind);
    ASSERT_GT(f->steps, 0);
    if (f->opts.nsegments) f->opts.segments = f->segments;
}

/* Runs the fixture's steps and compares the weights after each. */
static void run_fixture(fedc_ctx *ctx, const char *name) {
    static fixture f;
    load(name, &f);
    fedc_optimizer *opt = NULL;
    ASSERT_OK(fedc_optimizer_create(ctx, &f.opts, f.n, &opt));
    int64_t size = fedc_optimizer_state_size(opt);
    float *state = malloc((size_t)size * sizeof *state);
    ASSERT_NOT_NULL(state);
    fedc_optimizer_init(opt, state);
    float w[FIX_MAX_N];
    memcpy(w, f.w0, sizeof w);
    for (int t = 0; t < f.steps; t++) {
        ASSERT_OK(fedc_optimizer_next(ctx, opt, state, w, f.grad[t]));
        ASSERT_FLOATS_NEAR(w, f.want[t], f.n, 1e-5);
    }
    ASSERT_EQ(fedc_optimizer_step_count(opt, state), (int64_t)f.steps);
    free(state);
    fedc_optimizer_destroy(opt);
}

TEST(fixture_sgd_plain) { run_fixture(ctx, "sgd_plain"); }
TEST(fixture_sgd_momentum) { run_fixture(ctx, "sgd_momentum"); }
TEST(fixture_sgd_nesterov) { run_fixture(ctx, "sgd_nesterov"); }
TEST(fixture_adam_default) { run_fixture(ctx, "adam_default"); }
TEST(fixture_adam_large_eps) { run_fixture(ctx, "adam_large_eps"); }
TEST(fixture_adamw) { run_fixture(ctx, "adamw"); }
TEST(fixture_adagrad) { run_fixture(ctx, "adagrad"); }
TEST(fixture_rmsprop) { run_fixture(ctx, "rmsprop"); }
TEST(fixture_yogi) { run_fixture(ctx, "yogi"); }
TEST(fixture_adafactor) { run_fixture(ctx, "adafactor"); }
TEST(fixture_adafactor_fixed_step) { run_fixture(ctx, "adafactor_fixed_step"); }
