/* tf_example.c — tf.train.Example in protobuf wire format, decoded and encoded by hand
 * (schema: proto/tf_example.proto). Every read is bounds-checked and every error names the byte
 * offset in the serialized message. Nothing here touches files or SQLite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"
#include "fedc/base_pb.h"

enum { KIND_NONE = 0, KIND_BYTES = 1, KIND_FLOAT = 2, KIND_INT64 = 3 };

static const char *kind_name(int kind) {
    static const char *const names[] = {"no list", "bytes_list", "float_list", "int64_list"};
    return names[kind];
}

/* The wire primitives are the base layer's (fedc/base_pb.h); these names keep the decoder
 * below short. Errors read `tf.train.Example: byte offset N: ...`. */
typedef fedc_pb_reader reader;
typedef fedc_pb_field field;

static fedc_status corrupt(fedc_ctx *ctx, const reader *r, const uint8_t *at, const char *what) {
    return fedc_pb_corrupt(ctx, r, at, "%s", what);
}

/* One Feature's list: its kind and the reader over the list message (last oneof wins). */
typedef struct list_ref {
    int kind;
    reader list;
} list_ref;

static fedc_status parse_feature(fedc_ctx *ctx, reader feat, list_ref *out) {
    out->kind = KIND_NONE;
    while (feat.p < feat.end) {
        field f;
        fedc_status st = fedc_pb_read_field(ctx, &feat, &f);
        if (st) return st;
        if (f.num >= 1 && f.num <= 3) {
            if (f.wire != FEDC_PB_LEN)
                return corrupt(ctx, &feat, f.at, "Feature list is not a message");
            out->kind = (int)f.num;
            out->list = f.sub;
        }
    }
    return FEDC_STATUS_OK;
}

/* Counts the values of a list (packed and unpacked entries of field 1 mixed). For bytes_list,
 * *first is the first value. */
static fedc_status count_values(fedc_ctx *ctx, const list_ref *l, int64_t *count, reader *first) {
    reader r = l->list;
    int64_t n = 0;
    while (r.p < r.end) {
        field f;
        fedc_status st = fedc_pb_read_field(ctx, &r, &f);
        if (st) return st;
        if (f.num != 1) continue;
        if (l->kind == KIND_BYTES) {
            if (f.wire != FEDC_PB_LEN)
                return corrupt(ctx, &r, f.at, "bytes_list value is not bytes");
            if (n == 0) *first = f.sub;
            n++;
        } else if (l->kind == KIND_FLOAT) {
            if (f.wire == FEDC_PB_I32)
                n++;
            else if (f.wire == FEDC_PB_LEN) {
                size_t len = (size_t)(f.sub.end - f.sub.p);
                if (len % 4) return corrupt(ctx, &r, f.at, "packed floats not a multiple of 4");
                n += (int64_t)(len / 4);
            } else
                return corrupt(ctx, &r, f.at, "float_list value has a wrong wire type");
        } else {
            if (f.wire == FEDC_PB_VARINT)
                n++;
            else if (f.wire == FEDC_PB_LEN) {
                for (const uint8_t *q = f.sub.p; q < f.sub.end; q++)
                    if (*q < 0x80) n++;
                if (f.sub.end > f.sub.p && f.sub.end[-1] >= 0x80)
                    return corrupt(ctx, &r, f.sub.end - 1, "truncated varint in packed int64s");
            } else
                return corrupt(ctx, &r, f.at, "int64_list value has a wrong wire type");
        }
    }
    *count = n;
    return FEDC_STATUS_OK;
}

static float load_f32(const uint8_t *p) {
    uint32_t u = fedc_pb_load_fixed32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void store(fedc_tensor *t, int64_t i, double fv, int64_t iv, bool is_float) {
    switch (t->dtype) {
    case FEDC_DTYPE_FLOAT32: ((float *)t->data)[i] = is_float ? (float)fv : (float)iv; break;
    case FEDC_DTYPE_FLOAT64: ((double *)t->data)[i] = is_float ? fv : (double)iv; break;
    case FEDC_DTYPE_INT32: ((int32_t *)t->data)[i] = (int32_t)iv; break;
    case FEDC_DTYPE_INT64: ((int64_t *)t->data)[i] = iv; break;
    case FEDC_DTYPE_UINT8: ((uint8_t *)t->data)[i] = (uint8_t)iv; break;
    case FEDC_DTYPE_BOOL: ((uint8_t *)t->data)[i] = iv != 0; break;
    default: break;
    }
}

/* Writes the values of a float or int64 list into t (numel already equal to the count). */
static fedc_status fill_values(fedc_ctx *ctx, const list_ref *l, fedc_tensor *t) {
    reader r = l->list;
    int64_t i = 0;
    bool fast_f32 = l->kind == KIND_FLOAT && t->dtype == FEDC_DTYPE_FLOAT32;
    while (r.p < r.end) {
        field f;
        fedc_status st = fedc_pb_read_field(ctx, &r, &f);
        if (st) return st;
        if (f.num != 1) continue;
        if (l->kind == KIND_FLOAT) {
            const uint8_t *q = f.sub.p;
            size_t nv = (size_t)(f.sub.end - f.sub.p) / 4;
            if (fast_f32) {
                float *dst = (float *)t->data + i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* The wire's little-endian floats are the host's: one copy. */
                if (nv) memcpy(dst, q, nv * 4);
#else
                for (size_t k = 0; k < nv; k++)
                    dst[k] = load_f32(q + 4 * k);
#endif
                i += (int64_t)nv;
            } else {
                for (size_t k = 0; k < nv; k++)
                    store(t, i++, load_f32(q + 4 * k), 0, true);
            }
        } else if (f.wire == FEDC_PB_VARINT) {
            store(t, i++, 0, (int64_t)f.value, false);
        } else {
            reader pr = f.sub;
            while (pr.p < pr.end) {
                uint64_t v;
                st = fedc_pb_read_varint(ctx, &pr, &v);
                if (st) return st;
                store(t, i++, 0, (int64_t)v, false);
            }
        }
    }
    return FEDC_STATUS_OK;
}

/* The lengths of a bytes_list's values (nvalues of them, wire types already checked by
 * count_values) into lengths[], and their sum into *total; with `dst`, the values are copied
 * there one after another. */
static fedc_status bytes_values(fedc_ctx *ctx, const list_ref *l, int64_t *lengths, int64_t *total,
                                uint8_t *dst) {
    reader r = l->list;
    int64_t k = 0, sum = 0;
    while (r.p < r.end) {
        field f;
        fedc_status st = fedc_pb_read_field(ctx, &r, &f);
        if (st) return st;
        if (f.num != 1) continue;
        int64_t len = (int64_t)(f.sub.end - f.sub.p);
        if (lengths) lengths[k] = len;
        if (dst && len) memcpy(dst + sum, f.sub.p, (size_t)len);
        sum += len;
        k++;
    }
    *total = sum;
    return FEDC_STATUS_OK;
}

/* Produces feature `name` from its list: natural types when spec is NULL. */
static fedc_status decode_one(fedc_ctx *ctx, const char *name, const list_ref *l,
                              const fedc_feature_spec *spec, fedc_example *ex) {
    int64_t count = 0, nvalues = 0;
    reader first = {0};
    fedc_status st = l->kind == KIND_NONE ? FEDC_STATUS_OK : count_values(ctx, l, &count, &first);
    if (st) return st;
    /* A bytes_list of one value is a plain uint8 tensor; any other count makes a list of byte
     * strings, whose element count is the strings' total length. */
    bool is_list = l->kind == KIND_BYTES && count != 1;
    if (l->kind == KIND_BYTES) {
        nvalues = count;
        if (is_list) {
            st = bytes_values(ctx, l, NULL, &count, NULL);
            if (st) return st;
        } else {
            count = (int64_t)(first.end - first.p);
        }
    }
    fedc_dtype dtype;
    fedc_shape shape;
    if (!spec) {
        dtype = l->kind == KIND_INT64   ? FEDC_DTYPE_INT64
                : l->kind == KIND_BYTES ? FEDC_DTYPE_UINT8
                                        : FEDC_DTYPE_FLOAT32;
        shape = FEDC_SHAPE(count);
    } else {
        dtype = spec->dtype;
        bool ok = l->kind == KIND_NONE || (l->kind == KIND_FLOAT && fedc_dtype_is_float(dtype)) ||
                  (l->kind == KIND_INT64 && !fedc_dtype_is_float(dtype)) ||
                  (l->kind == KIND_BYTES && dtype == FEDC_DTYPE_UINT8);
        if (!ok)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE, "feature '%s': a %s cannot be read as %s",
                                   name, kind_name(l->kind), fedc_dtype_name(dtype));
        shape = spec->shape;
        int64_t known = 1;
        int infer = -1;
        for (int d = 0; d < shape.rank; d++) {
            if (shape.dims[d] == -1 && infer < 0)
                infer = d;
            else
                known *= shape.dims[d];
        }
        if (infer >= 0 && known > 0 && count % known == 0) shape.dims[infer] = count / known;
        if (fedc__shape_numel_checked(&shape) != count) {
            char s[128];
            fedc_shape_format(&spec->shape, s, sizeof s);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_SHAPE,
                                   "feature '%s': %lld values do not fill shape %s", name,
                                   (long long)count, s);
        }
    }
    fedc_tensor *t;
    if (is_list) {
        int64_t local[32];
        int64_t *lengths = local;
        if (nvalues > 32) {
            lengths = fedc_malloc((size_t)nvalues * sizeof *lengths);
            if (!lengths)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "feature '%s': cannot list %lld byte strings", name,
                                       (long long)nvalues);
        }
        int64_t total;
        st = bytes_values(ctx, l, lengths, &total, NULL);
        if (!st) st = fedc_example_set_bytes_list(ctx, ex, name, lengths, nvalues, &t);
        if (!st) st = bytes_values(ctx, l, lengths, &total, t->data);
        if (lengths != local) fedc_free(lengths);
        return st;
    }
    st = fedc_example_set(ctx, ex, name, dtype, &shape, &t);
    if (st) return st;
    if (l->kind == KIND_BYTES) {
        if (count) memcpy(t->data, first.p, (size_t)count);
        return FEDC_STATUS_OK;
    }
    if (l->kind == KIND_NONE) return FEDC_STATUS_OK;
    return fill_values(ctx, l, t);
}

/* Calls fn for every map entry of the Example, in wire order. */
typedef fedc_status (*entry_fn)(fedc_ctx *ctx, void *arg, reader key, const list_ref *l);

static fedc_status for_each_entry(fedc_ctx *ctx, reader msg, entry_fn fn, void *arg) {
    while (msg.p < msg.end) {
        field f;
        fedc_status st = fedc_pb_read_field(ctx, &msg, &f);
        if (st) return st;
        if (f.num != 1) continue;
        if (f.wire != FEDC_PB_LEN)
            return corrupt(ctx, &msg, f.at, "Example.features is not a message");
        reader feats = f.sub;
        while (feats.p < feats.end) {
            field e;
            st = fedc_pb_read_field(ctx, &feats, &e);
            if (st) return st;
            if (e.num != 1) continue;
            if (e.wire != FEDC_PB_LEN)
                return corrupt(ctx, &feats, e.at, "map entry is not a message");
            reader entry = e.sub, key = e.sub;
            list_ref l = {KIND_NONE, e.sub};
            key.p = key.end = entry.p;
            while (entry.p < entry.end) {
                field kv;
                st = fedc_pb_read_field(ctx, &entry, &kv);
                if (st) return st;
                if (kv.num == 1 && kv.wire == FEDC_PB_LEN)
                    key = kv.sub;
                else if (kv.num == 2 && kv.wire == FEDC_PB_LEN) {
                    st = parse_feature(ctx, kv.sub, &l);
                    if (st) return st;
                } else if (kv.num <= 2)
                    return corrupt(ctx, &entry, kv.at, "map entry field has a wrong wire type");
            }
            st = fn(ctx, arg, key, &l);
            if (st) return st;
        }
    }
    return FEDC_STATUS_OK;
}

typedef struct natural_arg {
    fedc_example *ex;
} natural_arg;

static fedc_status natural_entry(fedc_ctx *ctx, void *arg, reader key, const list_ref *l) {
    natural_arg *a = arg;
    char name[256];
    size_t len = (size_t)(key.end - key.p);
    if (len == 0) return corrupt(ctx, &key, key.p, "feature with an empty name");
    if (len >= sizeof name) return corrupt(ctx, &key, key.p, "feature name longer than 255 bytes");
    memcpy(name, key.p, len);
    name[len] = '\0';
    if (memchr(name, '\0', len)) return corrupt(ctx, &key, key.p, "feature name contains NUL");
    return decode_one(ctx, name, l, NULL, a->ex);
}

typedef struct spec_arg {
    const fedc_feature_spec *specs;
    int nspecs;
    list_ref *found; /* per spec; kind -1 = not seen */
} spec_arg;

static fedc_status spec_entry(fedc_ctx *ctx, void *arg, reader key, const list_ref *l) {
    (void)ctx;
    spec_arg *a = arg;
    size_t len = (size_t)(key.end - key.p);
    for (int i = 0; i < a->nspecs; i++)
        if (strlen(a->specs[i].name) == len && memcmp(a->specs[i].name, key.p, len) == 0)
            a->found[i] = *l; /* protobuf maps: the last entry of a key wins */
    return FEDC_STATUS_OK;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

fedc_status fedc_tf_example_decode(fedc_ctx *ctx, const void *data, size_t size,
                                   const fedc_feature_spec *specs, int nspecs, fedc_example *ex) {
    fedc_example_clear(ex);
    reader msg = fedc_pb_reader_init(data, size, "tf.train.Example");
    if (nspecs <= 0) {
        natural_arg a = {ex};
        fedc_status st = for_each_entry(ctx, msg, natural_entry, &a);
        if (st) return st;
        /* Name order: sort the names, then swap each feature into place (no copies). */
        int n = fedc_example_count(ex);
        bool sorted = true;
        for (int i = 1; i < n && sorted; i++)
            sorted = strcmp(fedc_example_name(ex, i - 1), fedc_example_name(ex, i)) < 0;
        if (sorted) return FEDC_STATUS_OK;
        const char *local[64];
        const char **order = local;
        if (n > 64) {
            order = fedc_malloc((size_t)n * sizeof *order);
            if (!order)
                return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                                       "cannot sort %d feature names", n);
        }
        for (int i = 0; i < n; i++)
            order[i] = fedc_example_name(ex, i);
        qsort(order, (size_t)n, sizeof order[0], cmp_names);
        fedc__example_reorder(ex, order, n);
        if (order != local) fedc_free(order);
        return FEDC_STATUS_OK;
    }
    list_ref found_local[16];
    list_ref *found = found_local;
    if (nspecs > 16) {
        found = fedc_malloc((size_t)nspecs * sizeof *found);
        if (!found)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "cannot allocate %d specs",
                                   nspecs);
    }
    for (int i = 0; i < nspecs; i++)
        found[i].kind = -1;
    spec_arg a = {specs, nspecs, found};
    fedc_status st = for_each_entry(ctx, msg, spec_entry, &a);
    for (int i = 0; i < nspecs && !st; i++) {
        if (found[i].kind < 0)
            st = fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "tf.train.Example has no feature '%s'",
                                 specs[i].name);
        else
            st = decode_one(ctx, specs[i].name, &found[i], &specs[i], ex);
    }
    if (found != found_local) fedc_free(found);
    return st;
}

/* ---- encoding ---- */

static int64_t int_at(const fedc_tensor *t, int64_t i) {
    switch (t->dtype) {
    case FEDC_DTYPE_INT32: return ((const int32_t *)t->data)[i];
    case FEDC_DTYPE_INT64: return ((const int64_t *)t->data)[i];
    default: return ((const uint8_t *)t->data)[i];
    }
}

static int list_kind(fedc_dtype d) {
    return fedc_dtype_is_float(d) ? KIND_FLOAT : d == FEDC_DTYPE_UINT8 ? KIND_BYTES : KIND_INT64;
}

/* Size of a list of byte strings' BytesList message: one field 1 per string. */
static size_t bytes_list_payload(const fedc_example *ex, int i) {
    size_t payload = 0;
    int64_t n = fedc_example_bytes_count(ex, i);
    for (int64_t k = 0; k < n; k++) {
        size_t len;
        fedc_example_bytes_at(ex, i, k, &len);
        payload += 1 + fedc_pb_varint_size(len) + len;
    }
    return payload;
}

/* Bytes of the values inside a BytesList/FloatList/Int64List's field 1. */
static size_t list_inner(const fedc_tensor *t, int kind) {
    int64_t n = fedc_tensor_numel(t);
    if (kind == KIND_BYTES) return (size_t)n;
    if (kind == KIND_FLOAT) return (size_t)n * 4;
    size_t inner = 0;
    for (int64_t i = 0; i < n; i++)
        inner += fedc_pb_varint_size((uint64_t)int_at(t, i));
    return inner;
}

/* Size of the list message: field 1 with the values (an empty packed field is omitted, as the
 * protobuf library does; an empty bytes value is still one value). */
static size_t list_payload(int kind, size_t inner) {
    if (kind != KIND_BYTES && inner == 0) return 0;
    return 1 + fedc_pb_varint_size(inner) + inner;
}

fedc_status fedc_tf_example_encode(fedc_ctx *ctx, const fedc_example *ex, void **out_data,
                                   size_t *out_size) {
    *out_data = NULL;
    *out_size = 0;
    int n = fedc_example_count(ex);
    /* Sizes, innermost first: list payload, Feature, map entry, Features. */
    size_t features = 0;
    for (int i = 0; i < n; i++) {
        const fedc_tensor *t = fedc_example_tensor(ex, i);
        size_t lp = fedc_example_is_bytes_list(ex, i)
                        ? bytes_list_payload(ex, i)
                        : list_payload(list_kind(t->dtype), list_inner(t, list_kind(t->dtype)));
        size_t feat = 1 + fedc_pb_varint_size(lp) + lp;
        size_t klen = strlen(fedc_example_name(ex, i));
        size_t entry = 1 + fedc_pb_varint_size(klen) + klen + 1 + fedc_pb_varint_size(feat) + feat;
        features += 1 + fedc_pb_varint_size(entry) + entry;
    }
    size_t total = 1 + fedc_pb_varint_size(features) + features;
    uint8_t *buf = fedc_malloc(total);
    if (!buf)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "cannot allocate %zu bytes for a tf.train.Example", total);
    uint8_t *p = buf;
    *p++ = 0x0a;
    p = fedc_pb_put_varint(p, features);
    for (int i = 0; i < n; i++) {
        const fedc_tensor *t = fedc_example_tensor(ex, i);
        int kind = list_kind(t->dtype);
        int64_t numel = fedc_tensor_numel(t);
        bool is_list = fedc_example_is_bytes_list(ex, i);
        size_t inner = is_list ? 0 : list_inner(t, kind);
        size_t lp = is_list ? bytes_list_payload(ex, i) : list_payload(kind, inner);
        size_t feat = 1 + fedc_pb_varint_size(lp) + lp;
        const char *name = fedc_example_name(ex, i);
        size_t klen = strlen(name);
        size_t entry = 1 + fedc_pb_varint_size(klen) + klen + 1 + fedc_pb_varint_size(feat) + feat;
        *p++ = 0x0a;
        p = fedc_pb_put_varint(p, entry);
        *p++ = 0x0a;
        p = fedc_pb_put_varint(p, klen);
        memcpy(p, name, klen);
        p += klen;
        *p++ = 0x12;
        p = fedc_pb_put_varint(p, feat);
        *p++ = (uint8_t)(kind << 3 | FEDC_PB_LEN);
        p = fedc_pb_put_varint(p, lp);
        if (is_list) { /* field 1 once per string */
            for (int64_t k = 0; k < fedc_example_bytes_count(ex, i); k++) {
                size_t len;
                const uint8_t *v = fedc_example_bytes_at(ex, i, k, &len);
                *p++ = 0x0a;
                p = fedc_pb_put_varint(p, len);
                if (len) memcpy(p, v, len);
                p += len;
            }
            continue;
        }
        if (lp == 0) continue;
        *p++ = 0x0a; /* field 1: packed values, or the one bytes value */
        p = fedc_pb_put_varint(p, inner);
        if (kind == KIND_BYTES) {
            memcpy(p, t->data, (size_t)numel);
            p += numel;
        } else if (kind == KIND_FLOAT) {
            for (int64_t k = 0; k < numel; k++) {
                float f = t->dtype == FEDC_DTYPE_FLOAT32 ? ((const float *)t->data)[k]
                                                         : (float)((const double *)t->data)[k];
                uint32_t u;
                memcpy(&u, &f, sizeof u);
                p[0] = (uint8_t)u;
                p[1] = (uint8_t)(u >> 8);
                p[2] = (uint8_t)(u >> 16);
                p[3] = (uint8_t)(u >> 24);
                p += 4;
            }
        } else {
            for (int64_t k = 0; k < numel; k++)
                p = fedc_pb_put_varint(p, (uint64_t)int_at(t, k));
        }
    }
    if ((size_t)(p - buf) != total) {
        fedc_free(buf);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INTERNAL, "tf.train.Example size mismatch");
    }
    *out_data = buf;
    *out_size = total;
    return FEDC_STATUS_OK;
}
