/* preprocess.c — TFF's task preprocessing, exactly: EMNIST (pixels to 784 floats or 28x28x1,
 * label to int32) and Shakespeare character prediction (TFF's CHAR_VOCAB, special ids, snippets
 * cut into sequences of 80 + 1, x and y shifted by one); and character tokenization as a map.
 * Nothing here shuffles or batches: users compose those steps as TFF's preprocess_fn does.
 */
#include <string.h>

#include "data/data_int.h"

/* ---- EMNIST ---- */

static const int kFlat = 1, kImage = 0;

static fedc_status emnist_map(fedc_ctx *ctx, void *user, const fedc_example *in,
                              fedc_example *out) {
    bool flat = *(const int *)user;
    const fedc_tensor *px = fedc_example_require(ctx, in, "pixels");
    if (!px) return fedc_ctx_prefixf(ctx, "emnist preprocessing");
    const fedc_tensor *label = fedc_example_require(ctx, in, "label");
    if (!label) return fedc_ctx_prefixf(ctx, "emnist preprocessing");
    if (fedc_tensor_numel(px) != 784 || fedc_tensor_numel(label) != 1) {
        char a[128], b[128];
        fedc_shape_format(&px->shape, a, sizeof a);
        fedc_shape_format(&label->shape, b, sizeof b);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                               "emnist preprocessing: pixels %s and label %s, expected 784 pixels "
                               "and one label",
                               a, b);
    }
    fedc_shape shape = flat ? FEDC_SHAPE(784) : FEDC_SHAPE(28, 28, 1);
    fedc_tensor *x, *y;
    fedc_status st = fedc_example_set(ctx, out, "x", FEDC_DTYPE_FLOAT32, &shape, &x);
    if (st) return st;
    fedc_tensor src = fedc_tensor_view(px->dtype, &shape, px->data);
    st = fedc_tensor_cast(ctx, x, &src);
    if (st) return st;
    fedc_shape scalar = FEDC_SHAPE0;
    st = fedc_example_set(ctx, out, "y", FEDC_DTYPE_INT32, &scalar, &y);
    if (st) return st;
    ((int32_t *)y->data)[0] = (int32_t)fedc_tensor_get_flat(label, 0);
    return FEDC_STATUS_OK;
}

fedc_status fedc_dataset_emnist_preprocess(fedc_ctx *ctx, fedc_dataset *in, bool flat,
                                           fedc_dataset **out) {
    return fedc_dataset_map(ctx, in, emnist_map, (void *)(flat ? &kFlat : &kImage), out);
}

/* ---- Shakespeare ---- */

/* CHAR_VOCAB of tff.simulation.baselines.shakespeare (from TFF's text generation tutorial). */
static const char kVocab[] =
    "dhlptx@DHLPTX $(,048cgkoswCGKOSW[_#'/37;?bfjnrvzBFJNRVZ\"&*.26:\naeimquyAEIMQUY]!%)-159\r";

_Static_assert(sizeof kVocab - 1 == FEDC_SHAKESPEARE_VOCAB_SIZE, "TFF's vocabulary has 86 chars");

const char *fedc_shakespeare_vocab(void) { return kVocab; }

int32_t fedc_shakespeare_char_id(unsigned char c) {
    const char *p = c ? memchr(kVocab, c, sizeof kVocab - 1) : NULL;
    return p ? (int32_t)(p - kVocab) + 1 : FEDC_SHAKESPEARE_OOV;
}

typedef struct shk_ds {
    fedc_dataset *in;
    fedc_example *snippet;
    int64_t seq_len;
    int32_t *tokens;
    int64_t ntokens, cap, pos;
} shk_ds;

static void shk_destroy(void *self) {
    shk_ds *s = self;
    if (!s) return;
    fedc_dataset_destroy(s->in);
    fedc_example_destroy(s->snippet);
    fedc_free(s->tokens);
    fedc_free(s);
}

/* [BOS, ids..., EOS] zero-padded to a multiple of seq_len + 1, as TFF's to_tokens_and_pad. */
static fedc_status tokenize(fedc_ctx *ctx, shk_ds *s, const fedc_tensor *t) {
    int64_t len = fedc_tensor_numel(t), piece = s->seq_len + 1;
    int64_t n = len + 2;
    n += (piece - n % piece) % piece;
    if (n > s->cap) {
        int32_t *nt = fedc_realloc(s->tokens, (size_t)n * sizeof *nt);
        if (!nt)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                   "shakespeare preprocessing: cannot allocate %lld tokens",
                                   (long long)n);
        s->tokens = nt;
        s->cap = n;
    }
    const uint8_t *c = t->data;
    s->tokens[0] = FEDC_SHAKESPEARE_BOS;
    for (int64_t i = 0; i < len; i++)
        s->tokens[i + 1] = fedc_shakespeare_char_id(c[i]);
    s->tokens[len + 1] = FEDC_SHAKESPEARE_EOS;
    for (int64_t i = len + 2; i < n; i++)
        s->tokens[i] = FEDC_SHAKESPEARE_PAD;
    s->ntokens = n;
    s->pos = 0;
    return FEDC_STATUS_OK;
}

static fedc_status shk_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    shk_ds *s = self;
    fedc_status st;
    if (s->pos >= s->ntokens) {
        bool in_got;
        st = fedc_dataset_next(ctx, s->in, s->snippet, &in_got);
        if (st || !in_got) return st;
        const fedc_tensor *t = fedc_example_require(ctx, s->snippet, "snippets");
        if (!t) return fedc_ctx_prefixf(ctx, "shakespeare preprocessing");
        if (t->dtype != FEDC_DTYPE_UINT8 || t->shape.rank != 1)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                                   "shakespeare preprocessing: 'snippets' is %s of rank %d, "
                                   "expected uint8 bytes of rank 1",
                                   fedc_dtype_name(t->dtype), t->shape.rank);
        st = tokenize(ctx, s, t);
        if (st) return st;
    }
    fedc_example_clear(out);
    fedc_shape shape = FEDC_SHAPE(s->seq_len);
    fedc_tensor *x, *y;
    st = fedc_example_set(ctx, out, "x", FEDC_DTYPE_INT32, &shape, &x);
    if (!st) st = fedc_example_set(ctx, out, "y", FEDC_DTYPE_INT32, &shape, &y);
    if (st) return st;
    memcpy(x->data, s->tokens + s->pos, (size_t)s->seq_len * sizeof(int32_t));
    memcpy(y->data, s->tokens + s->pos + 1, (size_t)s->seq_len * sizeof(int32_t));
    s->pos += s->seq_len + 1;
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status shk_reset(fedc_ctx *ctx, void *self) {
    shk_ds *s = self;
    s->pos = s->ntokens = 0;
    return fedc_dataset_reset(ctx, s->in);
}

static const fedc_dataset_vtable shk_vtable = {"shakespeare", shk_next, shk_reset, NULL,
                                               shk_destroy};

fedc_status fedc_dataset_shakespeare_preprocess(fedc_ctx *ctx, fedc_dataset *in, int64_t seq_len,
                                                fedc_dataset **out) {
    *out = NULL;
    if (seq_len < 1 || seq_len > (INT64_MAX >> 8)) {
        fedc_dataset_destroy(in);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "shakespeare preprocessing: sequence length %lld < 1",
                               (long long)seq_len);
    }
    shk_ds *s = fedc_calloc(1, sizeof *s);
    if (!s) {
        fedc_dataset_destroy(in);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a step");
    }
    s->in = in;
    s->seq_len = seq_len;
    fedc_status st = fedc_example_create(ctx, &s->snippet);
    if (st) {
        shk_destroy(s);
        return st;
    }
    return fedc__dataset_wrap(ctx, &shk_vtable, s, out);
}

/* ---- character tokenization (a built-in map) ---- */

typedef struct tok_ds {
    fedc_dataset *in;
    fedc_example *scratch;
    char *name;
    int32_t ids[256];
} tok_ds;

static void tok_destroy(void *self) {
    tok_ds *t = self;
    if (!t) return;
    fedc_dataset_destroy(t->in);
    fedc_example_destroy(t->scratch);
    fedc_free(t->name);
    fedc_free(t);
}

static fedc_status tok_next(fedc_ctx *ctx, void *self, fedc_example *out, bool *got) {
    tok_ds *t = self;
    fedc_status st = fedc_dataset_next(ctx, t->in, out, got);
    if (st || !*got) return st;
    *got = false;
    const fedc_tensor *src = fedc_example_require(ctx, out, t->name);
    if (!src) return fedc_ctx_prefixf(ctx, "tokenize");
    if (src->dtype != FEDC_DTYPE_UINT8)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "tokenize '%s': %s, expected uint8 bytes",
                               t->name, fedc_dtype_name(src->dtype));
    /* Ids go to scratch first: the feature's buffer grows (4 bytes per byte) when re-set. */
    fedc_shape shape = src->shape;
    fedc_tensor *ids, *dst;
    st = fedc_example_set(ctx, t->scratch, "ids", FEDC_DTYPE_INT32, &shape, &ids);
    if (st) return st;
    int64_t n = fedc_tensor_numel(src);
    const uint8_t *c = src->data;
    int32_t *o = ids->data;
    for (int64_t i = 0; i < n; i++)
        o[i] = t->ids[c[i]];
    st = fedc_example_set(ctx, out, t->name, FEDC_DTYPE_INT32, &shape, &dst);
    if (st) return st;
    if (n) memcpy(dst->data, ids->data, (size_t)n * sizeof(int32_t));
    *got = true;
    return FEDC_STATUS_OK;
}

static fedc_status tok_reset(fedc_ctx *ctx, void *self) {
    return fedc_dataset_reset(ctx, ((tok_ds *)self)->in);
}

static int64_t tok_cardinality(void *self) {
    return fedc_dataset_cardinality(((tok_ds *)self)->in);
}

static const fedc_dataset_vtable tok_vtable = {"tokenize", tok_next, tok_reset, tok_cardinality,
                                               tok_destroy};

fedc_status fedc_dataset_tokenize_chars(fedc_ctx *ctx, fedc_dataset *in, const char *name,
                                        const char *vocab, fedc_dataset **out) {
    *out = NULL;
    tok_ds *t = fedc_calloc(1, sizeof *t);
    if (t) t->name = fedc_strdup(name);
    if (!t || !t->name) {
        fedc_free(t);
        fedc_dataset_destroy(in);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate a tokenize step");
    }
    t->in = in;
    if (!vocab) {
        for (int c = 0; c < 256; c++)
            t->ids[c] = fedc_shakespeare_char_id((unsigned char)c);
    } else {
        size_t len = strlen(vocab);
        for (int c = 0; c < 256; c++)
            t->ids[c] = (int32_t)len + 1;
        for (size_t i = len; i-- > 0;) /* the first occurrence of a repeated byte wins */
            t->ids[(unsigned char)vocab[i]] = (int32_t)i + 1;
    }
    fedc_status st = fedc_example_create(ctx, &t->scratch);
    if (st) {
        tok_destroy(t);
        return st;
    }
    return fedc__dataset_wrap(ctx, &tok_vtable, t, out);
}
