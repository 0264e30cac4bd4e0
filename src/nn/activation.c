/* activation.c — the activation functions (relu, tanh, sigmoid, softmax, gelu) and their
 * derivatives over row-major matrices, shared by Dense, Conv2D and the Activation layer.
 *
 * Plain loops in float with double only where a sum would lose precision (softmax's backward);
 * no allocation, no state.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "nn/nn_int.h"

static const char *const act_names[FEDC_ACTIVATION_COUNT] = {"linear",  "relu",    "tanh",
                                                             "sigmoid", "softmax", "gelu"};

const char *fedc_activation_name(fedc_activation act) {
    if ((int)act < 0 || act >= FEDC_ACTIVATION_COUNT) return "invalid";
    return act_names[act];
}

bool fedc_activation_parse(const char *name, fedc_activation *out) {
    if (!name) return false;
    for (int i = 0; i < FEDC_ACTIVATION_COUNT; i++) {
        if (strcmp(name, act_names[i]) == 0) {
            *out = (fedc_activation)i;
            return true;
        }
    }
    return false;
}

static float sigmoidf_(float x) {
    /* Split by sign so exp never overflows. */
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

void fedc__act_forward(fedc_activation act, int64_t rows, int64_t cols, const float *z, float *y) {
    int64_t n = rows * cols;
    switch (act) {
    case FEDC_ACTIVATION_LINEAR:
        if (y != z) memcpy(y, z, (size_t)n * sizeof(float));
        break;
    case FEDC_ACTIVATION_RELU:
        for (int64_t i = 0; i < n; i++)
            y[i] = z[i] > 0.0f ? z[i] : 0.0f;
        break;
    case FEDC_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++)
            y[i] = tanhf(z[i]);
        break;
    case FEDC_ACTIVATION_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            y[i] = sigmoidf_(z[i]);
        break;
    case FEDC_ACTIVATION_SOFTMAX: fedc_softmax_rows(rows, cols, z, y); break;
    case FEDC_ACTIVATION_GELU:
        for (int64_t i = 0; i < n; i++) {
            double x = z[i];
            y[i] = (float)(0.5 * x * (1.0 + erf(x * 0.70710678118654752440)));
        }
        break;
    default: assert(!"unknown activation");
    }
}

void fedc__act_backward(fedc_activation act, int64_t rows, int64_t cols, const float *z,
                        const float *y, const float *dy, float *dz) {
    int64_t n = rows * cols;
    switch (act) {
    case FEDC_ACTIVATION_LINEAR:
        if (dz != dy) memcpy(dz, dy, (size_t)n * sizeof(float));
        break;
    case FEDC_ACTIVATION_RELU:
        /* The derivative at 0 is taken as 0, as TensorFlow and PyTorch do. */
        for (int64_t i = 0; i < n; i++)
            dz[i] = y[i] > 0.0f ? dy[i] : 0.0f;
        break;
    case FEDC_ACTIVATION_TANH:
        for (int64_t i = 0; i < n; i++)
            dz[i] = dy[i] * (1.0f - y[i] * y[i]);
        break;
    case FEDC_ACTIVATION_SIGMOID:
        for (int64_t i = 0; i < n; i++)
            dz[i] = dy[i] * y[i] * (1.0f - y[i]);
        break;
    case FEDC_ACTIVATION_SOFTMAX:
        /* dz = y * (dy - <dy, y>) per row. */
        for (int64_t r = 0; r < rows; r++) {
            const float *yr = y + r * cols, *dyr = dy + r * cols;
            float *dzr = dz + r * cols;
            double dot = 0.0;
            for (int64_t c = 0; c < cols; c++)
                dot += (double)dyr[c] * yr[c];
            for (int64_t c = 0; c < cols; c++)
                dzr[c] = (float)(yr[c] * (dyr[c] - dot));
        }
        break;
    case FEDC_ACTIVATION_GELU:
        /* d/dx x Phi(x) = Phi(x) + x phi(x). */
        for (int64_t i = 0; i < n; i++) {
            double x = z[i];
            double cdf = 0.5 * (1.0 + erf(x * 0.70710678118654752440));
            double pdf = 0.39894228040143267794 * exp(-0.5 * x * x);
            dz[i] = (float)(dy[i] * (cdf + x * pdf));
        }
        break;
    default: assert(!"unknown activation");
    }
}
