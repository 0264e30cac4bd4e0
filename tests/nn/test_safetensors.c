/* test_safetensors.c — weights as safetensors: exact round trips (in memory and through a file,
 * non-trainable state included), the header's layout, and corrupt files: each error's status
 * and message (tensor name or byte offset), with the model left unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fedc/nn.h"
#include "harness/harness.h"

static fedc_model *mixed(fedc_ctx *ctx, uint64_t seed) {
    fedc_layer_spec l[] = {
        fedc_layer_embedding(7, 3),
        fedc_layer_lstm(4, true),
        fedc_layer_batch_norm(),
        fedc_layer_flatten(),
        fedc_layer_dense(3, FEDC_ACTIVATION_SOFTMAX),
    };
    fedc_model_opts o = fedc_model_opts_default();
    o.seed = seed;
    fedc_shape in = FEDC_SHAPE(5);
    fedc_model *m;
    ASSERT_OK(fedc_model_create(ctx, &in, l, sizeof l / sizeof l[0], &o, &m));
    float *s = fedc_model_state(m);
    for (int64_t i = 0; i < fedc_model_num_state(m); i++)
        s[i] = 0.5f + (float)i + (float)seed;
    return m;
}

static bool same_weights(fedc_model *a, fedc_model *b) {
    return memcmp(fedc_model_params(a), fedc_model_params(b),
                  (size_t)fedc_model_num_params(a) * sizeof(float)) == 0 &&
           memcmp(fedc_model_state(a), fedc_model_state(b),
                  (size_t)fedc_model_num_state(a) * sizeof(float)) == 0;
}

TEST(round_trip_in_memory) {
    fedc_model *a = mixed(ctx, 1), *b = mixed(ctx, 2);
    ASSERT_FALSE(same_weights(a, b));
    void *img;
    size_t len;
    ASSERT_OK(fedc_model_weights_to_safetensors(ctx, a, &img, &len));
    const unsigned char *p = img;
    uint64_t hlen = 0;
    for (int k = 0; k < 8; k++)
        hlen |= (uint64_t)p[k] << (8 * k);
    ASSERT_EQ(hlen % 8, 0);
    ASSERT_EQ(len, 8 + hlen + (uint64_t)(fedc_model_num_params(a) + fedc_model_num_state(a)) * 4);
    char *header = strndup((const char *)p + 8, (size_t)hlen);
    ASSERT_CONTAINS(header, "\"embedding/embeddings\":{\"dtype\":\"F32\",\"shape\":[7,3],"
                            "\"data_offsets\":[0,84]}");
    ASSERT_CONTAINS(header, "\"lstm/recurrent_kernel\":{\"dtype\":\"F32\",\"shape\":[4,16]");
    ASSERT_CONTAINS(header, "\"batch_normalization/moving_variance\"");
    ASSERT_CONTAINS(header, "\"dense/kernel\":{\"dtype\":\"F32\",\"shape\":[20,3]");
    free(header);
    ASSERT_OK(fedc_model_weights_from_safetensors(ctx, b, img, len, "mem"));
    ASSERT_TRUE(same_weights(a, b));
    fedc_free(img);
    fedc_model_destroy(a);
    fedc_model_destroy(b);
}

TEST(round_trip_through_a_file) {
    char path[] = "/tmp/fedc_nn_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    fedc_model *a = mixed(ctx, 3), *b = mixed(ctx, 4);
    ASSERT_OK(fedc_model_save_safetensors(ctx, a, path));
    ASSERT_OK(fedc_model_load_safetensors(ctx, b, path));
    ASSERT_TRUE(same_weights(a, b));
    unlink(path);
    ASSERT_STATUS(fedc_model_load_safetensors(ctx, b, path), FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), path);
    ASSERT_STATUS(fedc_model_save_safetensors(ctx, a, "/nonexistent-dir/w.safetensors"),
                  FEDC_STATUS_IO);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "/nonexistent-dir/w.safetensors: ");
    fedc_model_destroy(a);
    fedc_model_destroy(b);
}

/* Replaces the first `from` in the image's header by `to` (same length). */
static void patch(unsigned char *img, size_t len, const char *from, const char *to) {
    size_t n = strlen(from);
    for (size_t i = 8; i + n <= len; i++)
        if (memcmp(img + i, from, n) == 0) {
            memcpy(img + i, to, n);
            return;
        }
    FAIL("'%s' not in the image", from);
}

typedef struct bad_case {
    const char *from, *to;
    fedc_status want;
    const char *message;
} bad_case;

TEST(corrupt_files_are_rejected_precisely) {
    fedc_model *a = mixed(ctx, 5), *b = mixed(ctx, 6);
    void *img;
    size_t len;
    ASSERT_OK(fedc_model_weights_to_safetensors(ctx, a, &img, &len));
    unsigned char *copy = malloc(len);
    const bad_case cases[] = {
        {"\"F32\"", "\"F16\"", FEDC_STATUS_TYPE,
         "mem: tensor 'embedding/embeddings' has dtype F16, expected F32"},
        {"[7,3]", "[3,7]", FEDC_STATUS_SHAPE,
         "tensor 'embedding/embeddings' has another shape than the model's [7,3]"},
        {"dense/bias", "dense/bibs", FEDC_STATUS_NOT_FOUND, "mem: no tensor 'dense/bias'"},
        {"[0,84]", "[4,84]", FEDC_STATUS_CORRUPT,
         "tensor 'embedding/embeddings' data_offsets [4, 84] do not hold 84 bytes"},
        {"{\"__metadata__\"", "{\"__metadata__\"", FEDC_STATUS_OK, NULL},
        {"\"dtype\"", "\"dtyp\"x", FEDC_STATUS_PARSE, "expected ':', found 'x'"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(copy, img, len);
        patch(copy, len, cases[c].from, cases[c].to);
        fedc_status st = fedc_model_weights_from_safetensors(ctx, b, copy, len, "mem");
        if (cases[c].want == FEDC_STATUS_OK) {
            ASSERT_OK(st);
            ASSERT_TRUE(same_weights(a, b));
            /* later cases must leave b unchanged: give it other values first */
            fedc_model_destroy(b);
            b = mixed(ctx, 6);
            continue;
        }
        ASSERT_EQ(fedc_status_name(st), fedc_status_name(cases[c].want));
        ASSERT_CONTAINS(fedc_ctx_message(ctx), cases[c].message);
        ASSERT_FALSE(same_weights(a, b));
    }
    /* Header size beyond the file; a file shorter than 8 bytes; a truncated data section. */
    memcpy(copy, img, len);
    copy[5] = 1;
    ASSERT_STATUS(fedc_model_weights_from_safetensors(ctx, b, copy, len, "mem"),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "mem: byte 0: header size");
    ASSERT_STATUS(fedc_model_weights_from_safetensors(ctx, b, img, 7, "mem"), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "7 bytes, too short");
    ASSERT_STATUS(fedc_model_weights_from_safetensors(ctx, b, img, len - 4, "mem"),
                  FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "'dense/bias' data_offsets");
    /* A tensor the model does not have. */
    fedc_layer_spec one = fedc_layer_embedding(7, 3);
    fedc_shape in = FEDC_SHAPE(5);
    fedc_model *small;
    ASSERT_OK(fedc_model_create(ctx, &in, &one, 1, NULL, &small));
    ASSERT_STATUS(fedc_model_weights_from_safetensors(ctx, small, img, len, "mem"),
                  FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "tensor 'lstm/kernel' is not a weight of this model");
    fedc_model_destroy(small);
    free(copy);
    fedc_free(img);
    fedc_model_destroy(a);
    fedc_model_destroy(b);
}

typedef struct sweep_arg {
    fedc_model *m;
    void *img;
    size_t len;
} sweep_arg;

static fedc_status sweep_save(fedc_ctx *ctx, void *arg) {
    sweep_arg *s = arg;
    return fedc_model_weights_to_safetensors(ctx, s->m, &s->img, &s->len);
}

static void sweep_save_cleanup(void *arg) {
    sweep_arg *s = arg;
    fedc_free(s->img);
    s->img = NULL;
}

static fedc_status sweep_load(fedc_ctx *ctx, void *arg) {
    sweep_arg *s = arg;
    return fedc_model_weights_from_safetensors(ctx, s->m, s->img, s->len, "mem");
}

TEST(allocation_failures) {
    sweep_arg s = {.m = mixed(ctx, 7)};
    fedc_test_alloc_sweep(ctx, sweep_save, sweep_save_cleanup, &s);
    ASSERT_OK(fedc_model_weights_to_safetensors(ctx, s.m, &s.img, &s.len));
    fedc_test_alloc_sweep(ctx, sweep_load, NULL, &s);
    fedc_free(s.img);
    fedc_model_destroy(s.m);
}
