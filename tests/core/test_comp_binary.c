/* test_comp_binary.c — the binary form of modules (proto/computation.proto): every example
 * program, its lowered form, the text forms of the core tests and a module built in C read back
 * equal, with the same checked types and positions; the bytes are deterministic; every
 * truncation and many byte flips give an error or a valid module, never a crash; a newer
 * format is UNSUPPORTED; hand-made bad images name the right byte offset and problem; reading
 * and writing survive allocation failures.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fedc/base_pb.h"
#include "fedc/core.h"
#include "harness/harness.h"

/* The 10 bytes every image starts with (proto/computation.proto, Module.magic). */
static const uint8_t kMagic[10] = {0x0a, 0x08, 0x89, 'F', 'D', 'C', 0x0d, 0x0a, 0x1a, 0x0a};

static fedc_comp *parse(fedc_ctx *ctx, const char *text) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_parse(ctx, "t.fc", text, &c));
    return c;
}

/* The positions of a tree, compared node by node in the same walk order. */
static void expect_same_positions(const fedc_node *a, const fedc_node *b) {
    ASSERT_EQ(a->line, b->line);
    ASSERT_EQ(a->col, b->col);
    for (int i = 0; i < 2; i++)
        if (a->a[i]) expect_same_positions(a->a[i], b->a[i]);
    if (a->kind == FEDC_NODE_STRUCT || a->kind == FEDC_NODE_BLOCK)
        for (size_t i = 0; i < a->n; i++)
            expect_same_positions(a->items[i], b->items[i]);
}

/* from_binary(to_binary(c)) equals c with the same positions; the bytes are the same twice and
 * for the copy; when c checks, the copy checks to the same types. */
static void round_trip(fedc_ctx *ctx, fedc_comp *c) {
    void *bin, *again, *copy_bin;
    size_t len, again_len, copy_len;
    ASSERT_OK(fedc_comp_to_binary(ctx, c, &bin, &len));
    ASSERT_TRUE(fedc_comp_is_binary(bin, len));
    ASSERT_OK(fedc_comp_to_binary(ctx, c, &again, &again_len));
    ASSERT_EQ(again_len, len);
    ASSERT_TRUE(memcmp(bin, again, len) == 0);
    fedc_comp *back;
    ASSERT_OK(fedc_comp_from_binary(ctx, bin, len, "rt.pb", &back));
    ASSERT_TRUE(fedc_comp_equal(c, back));
    ASSERT_EQ(fedc_comp_ndefs(back), fedc_comp_ndefs(c));
    for (size_t i = 0; i < fedc_comp_ndefs(c); i++) {
        ASSERT_EQ(fedc_comp_def(back, i)->line, fedc_comp_def(c, i)->line);
        ASSERT_EQ(fedc_comp_def(back, i)->col, fedc_comp_def(c, i)->col);
        expect_same_positions(fedc_comp_def(c, i)->node, fedc_comp_def(back, i)->node);
    }
    ASSERT_OK(fedc_comp_to_binary(ctx, back, &copy_bin, &copy_len));
    ASSERT_EQ(copy_len, len);
    ASSERT_TRUE(memcmp(bin, copy_bin, len) == 0);
    if (fedc_comp_check(ctx, c) == FEDC_STATUS_OK) {
        ASSERT_OK(fedc_comp_check(ctx, back));
        for (size_t i = 0; i < fedc_comp_ndefs(c); i++)
            ASSERT_TRUE(fedc_type_equal(fedc_comp_def(c, i)->node->type,
                                        fedc_comp_def(back, i)->node->type));
    }
    fedc_comp_destroy(back);
    fedc_free(bin);
    fedc_free(again);
    fedc_free(copy_bin);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL("cannot open %s", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

TEST(every_example_and_its_lowered_form_round_trip) {
    DIR *d = opendir("examples");
    if (!d) SKIP("examples/ is not in the working directory");
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".fc") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "examples/%s", e->d_name);
        fedc_comp *c;
        ASSERT_OK(fedc_comp_parse(ctx, path, read_text(path), &c));
        round_trip(ctx, c);
        ASSERT_OK(fedc_comp_check(ctx, c));
        fedc_comp *lowered;
        ASSERT_OK(fedc_comp_lower_aggregates(ctx, c, &lowered));
        round_trip(ctx, lowered);
        fedc_comp_destroy(lowered);
        fedc_comp_destroy(c);
        seen++;
    }
    closedir(d);
    ASSERT_GE(seen, 4);
}

/* The text forms of the core tests: every kind of node, type and literal dtype. */
static const char *const kForms[] = {
    "f = (x: int32 -> x)\n",
    "f = ( -> 1)\n",
    "f = (a: int32, b: int32 -> add(a, b))\n",
    "f = (s: <a=int32,b=<c=float32>> -> <s.b.c, s[0], s.b[0]>)\n",
    "f = (let a = 1, b = add(a, a) in <a=a, b=b, c=<>>)\n",
    "f = federated_value(<1.5, SERVER>)\n",
    "f = federated_eval(<( -> 2), CLIENTS>)\n",
    "f = data(\"emnist.sqlite:train\": {<x=float32[784],y=int32>*}@CLIENTS)\n",
    "f = (x: float32 -> x)\ng = (y: float32 -> f(f(y)))\n",
    "f = (g: ( -> int32) -> g())\n",
    "f = [[1, 2], [3, 4]]\n",
    "f = <true, false, [true, false]>\n",
    "f = <int64(9007199254740993), float64(0.1), uint8([0, 255]), int64([])>\n",
    "f = <inf, -inf, nan, -0.0>\n",
    "f = reshape([1, 2, 3, 4], [2, -1])\n",
    "f = [[], []]\n",
    "f = (x: float32[?,3], p: placement, s: int32@CLIENTS, q: (<float32,int32> -> bool) -> x)\n",
    "above = (t: <readings=float32*, threshold=float32> ->\n"
    "  sequence_sum(sequence_map(<(x: float32 -> where(greater(x, t.threshold), x, 0.0)), "
    "t.readings>)))\n"
    "main = (readings: {float32*}@CLIENTS, threshold: float32@SERVER) ->\n"
    "  federated_mean(federated_map(<above,\n"
    "    federated_zip(<readings=readings, threshold=federated_broadcast(threshold)>)>))\n",
    "f = (let a = [[1, 2], [3, 4]], b = int64(-7) in <a=a, b=b, c=a[0], d=data(\"u\": int32)>)\n"
    "g = native(\"n\": (float32[?,3] -> <bool,float64>), \"0aff\")\n"
    "h = ( -> federated_eval(<( -> 1.5e-3), CLIENTS>))\n",
};

TEST(text_forms_round_trip) {
    for (size_t i = 0; i < sizeof kForms / sizeof kForms[0]; i++) {
        fedc_comp *c = parse(ctx, kForms[i]);
        round_trip(ctx, c);
        fedc_comp_destroy(c);
    }
}

/* A module built in C (no positions): every node kind, a native blob with every byte value. */
static fedc_comp *build_in_c(fedc_ctx *ctx) {
    fedc_comp *c;
    ASSERT_OK(fedc_comp_create(ctx, &c));
    fedc_arena *a = fedc_comp_arena(c);
    const fedc_type *f32 = fedc_type_tensor(a, FEDC_DTYPE_FLOAT32, 0, NULL);
    uint8_t blob[256];
    for (int i = 0; i < 256; i++)
        blob[i] = (uint8_t)i;
    ASSERT_OK(fedc_comp_define(
        ctx, c, "scale", fedc_node_native(c, "scale", fedc_type_function(a, f32, f32), blob, 256)));
    ASSERT_OK(fedc_comp_define(
        ctx, c, "empty_blob", fedc_node_native(c, "n", fedc_type_function(a, NULL, f32), NULL, 0)));
    fedc_param p = {"x", fedc_type_struct(a, 2, (fedc_type_field[]){{NULL, f32}, {"b", f32}})};
    const char *names[3] = {NULL, "named", NULL};
    fedc_node *items[3] = {
        fedc_node_select_index(c, fedc_node_reference(c, "x"), 0),
        fedc_node_call(c, fedc_node_reference(c, "scale"),
                       fedc_node_select_name(c, fedc_node_reference(c, "x"), "b")),
        fedc_node_placement(c, FEDC_PLACEMENT_SERVER)};
    ASSERT_OK(fedc_comp_define(ctx, c, "f",
                               fedc_node_lambda(c, 1, &p, fedc_node_struct(c, 3, items, names))));
    ASSERT_OK(
        fedc_comp_define(ctx, c, "g", fedc_node_call0(c, fedc_node_reference(c, "empty_blob"))));
    int64_t big[2 * 300];
    for (int i = 0; i < 600; i++)
        big[i] = (int64_t)i * -1234567891011LL;
    fedc_shape s = FEDC_SHAPE(2, 300);
    fedc_tensor t = fedc_tensor_view(FEDC_DTYPE_INT64, &s, big);
    const char *let_names[1] = {"v"};
    fedc_node *let_values[1] = {fedc_node_literal(c, &t)};
    ASSERT_OK(fedc_comp_define(ctx, c, "h",
                               fedc_node_block(c, 1, let_names, let_values,
                                               fedc_node_call(c, fedc_node_builtin(c, "reduce_sum"),
                                                              fedc_node_reference(c, "v")))));
    ASSERT_OK(fedc_comp_define(
        ctx, c, "i",
        fedc_node_call(
            c, fedc_node_intrinsic(c, FEDC_INTRINSIC_FEDERATED_VALUE),
            fedc_node_struct(c, 2,
                             (fedc_node *[]){fedc_node_float(c, 2.5f),
                                             fedc_node_placement(c, FEDC_PLACEMENT_CLIENTS)},
                             NULL))));
    return c;
}

TEST(a_module_built_in_c_round_trips) {
    fedc_comp *c = build_in_c(ctx);
    round_trip(ctx, c);
    void *bin;
    size_t len;
    ASSERT_OK(fedc_comp_to_binary(ctx, c, &bin, &len));
    fedc_comp *back;
    ASSERT_OK(fedc_comp_from_binary(ctx, bin, len, NULL, &back));
    const fedc_node *n = fedc_comp_lookup(back, "scale")->node;
    ASSERT_EQ(n->blob_size, 256u);
    ASSERT_EQ(n->blob[200], 200);
    ASSERT_EQ(fedc_comp_lookup(back, "empty_blob")->node->blob_size, 0u);
    const fedc_node *lit = fedc_comp_lookup(back, "h")->node->items[0];
    ASSERT_EQ(lit->literal.dtype, FEDC_DTYPE_INT64);
    ASSERT_EQ(((const int64_t *)lit->literal.data)[599], 599 * -1234567891011LL);
    ASSERT_EQ(fedc_comp_lookup(back, "f")->node->line, 0);
    fedc_comp_destroy(back);
    fedc_free(bin);
    fedc_comp_destroy(c);
}

TEST(the_magic_tells_binary_from_text) {
    fedc_comp *c = parse(ctx, kForms[0]);
    void *bin;
    size_t len;
    ASSERT_OK(fedc_comp_to_binary(ctx, c, &bin, &len));
    ASSERT_TRUE(memcmp(bin, kMagic, sizeof kMagic) == 0);
    ASSERT_FALSE(fedc_comp_is_binary(kForms[0], strlen(kForms[0])));
    ASSERT_FALSE(fedc_comp_is_binary(bin, 9));
    ASSERT_FALSE(fedc_comp_is_binary(NULL, 0));
    fedc_comp *back;
    ASSERT_STATUS(fedc_comp_from_binary(ctx, kForms[0], strlen(kForms[0]), "f.fc", &back),
                  FEDC_STATUS_CORRUPT);
    ASSERT_NULL(back);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "f.fc: byte offset 0: not the binary form");
    ASSERT_STATUS(fedc_comp_from_binary(ctx, NULL, 0, NULL, &back), FEDC_STATUS_CORRUPT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "computation.pb: byte offset 0:");
    fedc_free(bin);
    fedc_comp_destroy(c);
}

/* An image of the sketch module, for the damage tests. */
static void sketch_image(fedc_ctx *ctx, void **bin, size_t *len) {
    fedc_comp *c = parse(ctx, kForms[17]);
    ASSERT_OK(fedc_comp_to_binary(ctx, c, bin, len));
    fedc_comp_destroy(c);
}

/* Every prefix of c's image fails with CORRUPT naming an offset, except a cut right after a
 * definition: that is a valid module of the definitions before it. */
static void expect_truncations_fail(fedc_ctx *ctx, const fedc_comp *c) {
    void *bin;
    size_t len;
    ASSERT_OK(fedc_comp_to_binary(ctx, c, &bin, &len));
    for (size_t n = 0; n < len; n++) {
        /* a copy of exactly n bytes, so that the sanitizers see any read past it */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, bin, n);
        fedc_comp *back = (fedc_comp *)1;
        fedc_ctx_clear(ctx);
        fedc_status st = fedc_comp_from_binary(ctx, cut, n, NULL, &back);
        free(cut);
        if (st == FEDC_STATUS_OK) {
            ASSERT_LT(fedc_comp_ndefs(back), fedc_comp_ndefs(c));
            for (size_t i = 0; i < fedc_comp_ndefs(back); i++)
                ASSERT_TRUE(
                    fedc_node_equal(fedc_comp_def(back, i)->node, fedc_comp_def(c, i)->node));
            fedc_comp_destroy(back);
            continue;
        }
        ASSERT_NULL(back);
        ASSERT_STATUS(st, FEDC_STATUS_CORRUPT);
        ASSERT_CONTAINS(fedc_ctx_message(ctx), "computation.pb: byte offset ");
    }
    fedc_free(bin);
}

TEST(every_truncation_is_an_error) {
    for (size_t i = 0; i < sizeof kForms / sizeof kForms[0]; i++) {
        fedc_comp *c = parse(ctx, kForms[i]);
        expect_truncations_fail(ctx, c);
        fedc_comp_destroy(c);
    }
    fedc_comp *c = build_in_c(ctx);
    expect_truncations_fail(ctx, c);
    fedc_comp_destroy(c);
}

TEST(flipped_bytes_give_errors_or_valid_modules) {
    void *bin;
    size_t len;
    sketch_image(ctx, &bin, &len);
    uint8_t *img = malloc(len);
    fedc_rng r = FEDC_RNG(fedc_test_seed(), FEDC_RNG_PURPOSE_TEST, 77);
    int ok = 0, failed = 0;
    for (size_t i = 0; i < len; i++) {
        static const uint8_t kMasks[] = {0x01, 0x80, 0xff, 0x7f};
        for (size_t m = 0; m < sizeof kMasks + 2; m++) {
            memcpy(img, bin, len);
            img[i] ^= m < sizeof kMasks ? kMasks[m] : (uint8_t)(1 + fedc_rng_below(&r, 255));
            if (m == sizeof kMasks + 1) /* and a second byte anywhere */
                img[fedc_rng_below(&r, len)] ^= (uint8_t)(1 + fedc_rng_below(&r, 255));
            fedc_comp *back;
            fedc_ctx_clear(ctx);
            if (fedc_comp_from_binary(ctx, img, len, NULL, &back) == FEDC_STATUS_OK) {
                void *again;
                size_t again_len;
                ASSERT_OK(fedc_comp_to_binary(ctx, back, &again, &again_len));
                fedc_comp *third;
                ASSERT_OK(fedc_comp_from_binary(ctx, again, again_len, NULL, &third));
                ASSERT_TRUE(fedc_comp_equal(back, third));
                fedc_comp_check(ctx, back); /* may fail; must not crash */
                fedc_comp_destroy(third);
                fedc_free(again);
                fedc_comp_destroy(back);
                ok++;
            } else {
                ASSERT_NULL(back);
                ASSERT_NE(fedc_ctx_message(ctx)[0], '\0');
                failed++;
            }
        }
    }
    ASSERT_GT(ok, 0);
    ASSERT_GT(failed, 0);
    free(img);
    fedc_free(bin);
}

/* ---- hand-made images ---- */

/* A writer holding the magic and version `major`. */
static void start_image(fedc_pb_writer *w, uint64_t major) {
    fedc_pb_writer_init(w);
    fedc_pb_write_raw(w, kMagic, sizeof kMagic);
    if (major) fedc_pb_write_uint(w, 2, major);
}

/* Decodes the writer's bytes: expects `status` and a message containing `want`. */
static void expect_image(fedc_ctx *ctx, fedc_pb_writer *w, fedc_status status, const char *want) {
    void *bin;
    size_t len;
    ASSERT_OK(fedc_pb_writer_finish(ctx, w, "image", &bin, &len));
    fedc_comp *back = NULL;
    fedc_ctx_clear(ctx);
    fedc_status st = fedc_comp_from_binary(ctx, bin, len, NULL, &back);
    fedc_free(bin);
    if (st != status)
        FAIL("decoded with %s (%s), expected %s", fedc_status_name(st), fedc_ctx_message(ctx),
             fedc_status_name(status));
    if (st == FEDC_STATUS_OK)
        fedc_comp_destroy(back);
    else
        ASSERT_STREQ(fedc_ctx_message(ctx), want);
}

TEST(a_newer_major_version_is_unsupported_a_newer_minor_is_read) {
    fedc_pb_writer w;
    start_image(&w, 2);
    fedc_pb_write_uint(&w, 3, 5);
    fedc_pb_write_bytes(&w, 4, "\x0a\x01\x66\x12\x00", 5); /* `f` with an empty node: not read */
    expect_image(ctx, &w, FEDC_STATUS_UNSUPPORTED,
                 "computation.pb: byte offset 10: format version 2.5 is newer than this reader's "
                 "1.0; read it with a newer fedc");
    start_image(&w, 0);
    expect_image(ctx, &w, FEDC_STATUS_CORRUPT,
                 "computation.pb: byte offset 0: no format version (Module.version_major)");
    /* 1.7 with fields this reader does not know, at every level */
    start_image(&w, 1);
    fedc_pb_write_uint(&w, 3, 7);
    fedc_pb_write_string(&w, 99, "a later field");
    size_t def = fedc_pb_writer_begin(&w, 4);
    fedc_pb_write_string(&w, 1, "f");
    fedc_pb_write_fixed64(&w, 1000, 42);
    size_t node = fedc_pb_writer_begin(&w, 2);
    fedc_pb_write_fixed32(&w, 14, 1);
    size_t ref = fedc_pb_writer_begin(&w, 8); /* a literal: int32 scalar 7 */
    fedc_pb_write_uint(&w, 1, 3);
    fedc_pb_write_bytes(&w, 3, "\x07\x00\x00\x00", 4);
    fedc_pb_write_uint(&w, 4, 1);
    fedc_pb_writer_end(&w, ref);
    fedc_pb_writer_end(&w, node);
    fedc_pb_writer_end(&w, def);
    void *bin;
    size_t len;
    ASSERT_OK(fedc_pb_writer_finish(ctx, &w, "image", &bin, &len));
    fedc_comp *back;
    ASSERT_OK(fedc_comp_from_binary(ctx, bin, len, NULL, &back));
    ASSERT_EQ(fedc_comp_ndefs(back), 1u);
    ASSERT_EQ(*(const int32_t *)fedc_comp_lookup(back, "f")->node->literal.data, 7);
    fedc_comp_destroy(back);
    fedc_free(bin);
}

/* An image with one definition `f` whose node holds `kind` (field number) with payload bytes. */
static void one_node(fedc_pb_writer *w, uint32_t kind, const void *payload, size_t n) {
    start_image(w, 1);                        /* bytes 0-11 */
    size_t def = fedc_pb_writer_begin(w, 4);  /* key 12, length 13 */
    fedc_pb_write_string(w, 1, "f");          /* 14 15 16 */
    size_t node = fedc_pb_writer_begin(w, 2); /* key 17, length 18 */
    fedc_pb_write_bytes(w, kind, payload, n); /* key 19, length 20, payload from 21 */
    fedc_pb_writer_end(w, node);
    fedc_pb_writer_end(w, def);
}

TEST(bad_images_name_the_byte_offset) {
    fedc_pb_writer w;
    /* framing */
    start_image(&w, 0);
    fedc_pb_write_raw(&w, "\x10\x81", 2);
    expect_image(ctx, &w, FEDC_STATUS_CORRUPT, "computation.pb: byte offset 11: truncated varint");
    start_image(&w, 1);
    fedc_pb_write_raw(&w, "\x22\x05\x0a\x01", 4);
    expect_image(ctx, &w, FEDC_STATUS_CORRUPT,
                 "computation.pb: byte offset 12: field 4 of length 5 runs past the end of its "
                 "message (2 bytes left)");
    start_image(&w, 1);
    fedc_pb_write_uint(&w, 4, 1);
    expect_image(ctx, &w, FEDC_STATUS_CORRUPT,
                 "computation.pb: byte offset 12: field 4 of Module has wire type 0, expected 2");
    start_image(&w, 1);
    fedc_pb_write_raw(&w, "\x23", 1);
    expect_image(ctx, &w, FEDC_STATUS_CORRUPT,
                 "computation.pb: byte offset 12: field 4 has unsupported wire type 3");
    /* trees fedc cannot build */
    one_node(&w, 4, NULL, 0);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: a Call without a function");
    one_node(&w, 1, "\x0a\x02\x32\x78", 4);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: a reference name '2x' is not an identifier or "
                 "is reserved");
    one_node(&w, 1, "\x0a\x02\x69\x6e", 4);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: a reference name 'in' is not an identifier or "
                 "is reserved");
    one_node(&w, 8, "\x08\x07", 2);
    expect_image(ctx, &w, FEDC_STATUS_TYPE, "computation.pb: byte offset 21: bad dtype 7");
    one_node(&w, 8, "\x08\x03\x12\x07\x01\x01\x01\x01\x01\x01\x01\x1a\x04\x00\x00\x00\x00", 17);
    expect_image(ctx, &w, FEDC_STATUS_TYPE,
                 "computation.pb: byte offset 31: rank above FEDC_MAX_RANK (6)");
    one_node(&w, 8, "\x08\x01\x12\x01\x02\x1a\x04\x00\x00\x00\x00", 11);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: a literal of dtype float32 and shape [2] holds 4 "
                 "bytes, not 8");
    one_node(&w, 8, "\x08\x03\x12\x0d\x00\x80\x80\x80\x80\x80\x20\x80\x80\x80\x80\x80\x20", 17);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: a literal of dtype int32 and shape "
                 "[0,1099511627776,1099511627776] is too large");
    one_node(&w, 8, "\x08\x03\x12\x05\x80\x80\x80\x01\x00", 9);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: an empty literal of shape [2097152,0] holds more "
                 "than 1048576 empty arrays");
    one_node(&w, 8, "\x08\x0a\x1a\x01\x02", 5);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 25: bool literal element 0 is 2, not 0 or 1");
    one_node(&w, 7, "\x0a\x03\x66\x6f\x6f", 5);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 19: unknown intrinsic 'foo'");
    one_node(&w, 10, "\x08\x03", 2);
    expect_image(ctx, &w, FEDC_STATUS_TYPE,
                 "computation.pb: byte offset 21: bad placement 3 (1 SERVER, 2 CLIENTS)");
    /* data("u": {int32@SERVER}@CLIENTS): a federated member that is federated */
    one_node(&w, 9,
             "\x0a\x01\x75\x12\x10\x2a\x0e\x08\x02\x1a\x0a\x2a\x08\x08\x01\x1a\x04\x0a\x02"
             "\x08\x03",
             21);
    expect_image(ctx, &w, FEDC_STATUS_TYPE,
                 "computation.pb: byte offset 30: a federated member that is federated");
    one_node(&w, 2, "\x0a\x00\x18\x00", 4);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 21: a Node with no known kind");
    /* a definition twice, and one with a bad name */
    start_image(&w, 1);
    for (int i = 0; i < 2; i++)
        fedc_pb_write_bytes(&w, 4, "\x0a\x01\x66\x12\x05\x0a\x03\x0a\x01\x78", 10);
    expect_image(ctx, &w, FEDC_STATUS_INVALID_ARGUMENT,
                 "computation.pb: byte offset 24: definition 'f' appears twice");
}

TEST(deep_nesting_is_an_error_not_a_crash) {
    fedc_pb_writer w;
    start_image(&w, 1);
    size_t marks[2 * 1000 + 2];
    size_t n = 0;
    marks[n++] = fedc_pb_writer_begin(&w, 4);
    fedc_pb_write_string(&w, 1, "f");
    marks[n++] = fedc_pb_writer_begin(&w, 2);
    for (int i = 0; i < 1000; i++) { /* Node{call{function: Node{call{...}}}} */
        marks[n++] = fedc_pb_writer_begin(&w, 4);
        marks[n++] = fedc_pb_writer_begin(&w, 1);
    }
    fedc_pb_write_bytes(&w, 1, "\x0a\x01\x78", 3);
    while (n > 0)
        fedc_pb_writer_end(&w, marks[--n]);
    void *bin;
    size_t len;
    ASSERT_OK(fedc_pb_writer_finish(ctx, &w, "image", &bin, &len));
    fedc_comp *back;
    ASSERT_STATUS(fedc_comp_from_binary(ctx, bin, len, NULL, &back), FEDC_STATUS_INVALID_ARGUMENT);
    ASSERT_CONTAINS(fedc_ctx_message(ctx), "nodes nested deeper than 400");
    fedc_free(bin);
}

typedef struct sweep_arg {
    fedc_comp *comp;
    void *bin;
    size_t len;
    fedc_comp *back;
} sweep_arg;

static fedc_status write_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    return fedc_comp_to_binary(ctx, s->comp, &s->bin, &s->len);
}

static void write_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_free(s->bin);
    s->bin = NULL;
}

static fedc_status read_op(fedc_ctx *ctx, void *p) {
    sweep_arg *s = p;
    return fedc_comp_from_binary(ctx, s->bin, s->len, NULL, &s->back);
}

static void read_cleanup(void *p) {
    sweep_arg *s = p;
    fedc_comp_destroy(s->back);
    s->back = NULL;
}

TEST(reading_and_writing_survive_allocation_failures) {
    sweep_arg s = {build_in_c(ctx), NULL, 0, NULL};
    ASSERT_GE(fedc_test_alloc_sweep(ctx, write_op, write_cleanup, &s), 1);
    ASSERT_OK(fedc_comp_to_binary(ctx, s.comp, &s.bin, &s.len));
    ASSERT_GT(fedc_test_alloc_sweep(ctx, read_op, read_cleanup, &s), 2);
    fedc_free(s.bin);
    fedc_comp_destroy(s.comp);
}
