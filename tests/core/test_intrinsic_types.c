/* test_intrinsic_types.c — the typing of every intrinsic with TFF's signatures: each accepts the
 * right types (result printed in TFF's notation) and a wrong one gives
 * `LINE:COL: NAME expects SIGNATURE, got TYPE`.
 */
#include "core/core_testutil.h"

TEST(federated_value) {
    ct_expect_type(ctx, "f = federated_value(<1.5, SERVER>)", "float32@SERVER");
    ct_expect_type(ctx, "f = federated_value(<<a=1>, CLIENTS>)", "<a=int32>@CLIENTS");
    ct_expect_error(ctx, "f = (p: placement -> federated_value(<1, p>))", FEDC_STATUS_TYPE,
                    "1:22: federated_value expects <T,placement> (a placement literal), got "
                    "<int32,placement>");
    ct_expect_error(ctx, "f = (x: int32@SERVER -> federated_value(<x, CLIENTS>))", FEDC_STATUS_TYPE,
                    "1:25: federated_value expects <T,placement> (a placement literal), got "
                    "<int32@SERVER,placement>");
}

TEST(federated_eval) {
    ct_expect_type(ctx, "f = federated_eval(<( -> 1), SERVER>)", "int32@SERVER");
    ct_expect_type(ctx, "f = federated_eval(<( -> 1), CLIENTS>)", "{int32}@CLIENTS");
    ct_expect_error(ctx, "f = federated_eval(<(x: int32 -> x), SERVER>)", FEDC_STATUS_TYPE,
                    "1:5: federated_eval expects <( -> T),placement> (a placement literal), got "
                    "<(int32 -> int32),placement>");
}

TEST(federated_broadcast) {
    ct_expect_type(ctx, "f = (x: float32[3]@SERVER -> federated_broadcast(x))",
                   "(float32[3]@SERVER -> float32[3]@CLIENTS)");
    ct_expect_error(ctx, "f = (x: {float32}@CLIENTS -> federated_broadcast(x))", FEDC_STATUS_TYPE,
                    "1:30: federated_broadcast expects T@SERVER, got {float32}@CLIENTS");
}

TEST(federated_map) {
    ct_expect_type(ctx,
                   "f = (x: {float32[?]}@CLIENTS -> federated_map(<(v: float32[?] -> "
                   "reduce_sum(v)), x>))",
                   "({float32[?]}@CLIENTS -> {float32}@CLIENTS)");
    /* an all-equal input maps to one result per client, as TFF's federated_map */
    ct_expect_type(ctx, "f = (x: float32@CLIENTS -> federated_map(<(v: float32 -> v), x>))",
                   "(float32@CLIENTS -> {float32}@CLIENTS)");
    ct_expect_type(ctx, "f = (x: float32@SERVER -> federated_map(<(v: float32 -> v), x>))",
                   "(float32@SERVER -> float32@SERVER)");
    ct_expect_type(ctx, "f = (x: {float32[3]}@CLIENTS -> federated_map(<(v: float32[?] -> v), x>))",
                   "({float32[3]}@CLIENTS -> {float32[?]}@CLIENTS)");
    ct_expect_error(ctx, "f = (x: {int32}@CLIENTS -> federated_map(<(v: float32 -> v), x>))",
                    FEDC_STATUS_TYPE,
                    "1:28: federated_map expects <(T -> U),{T}@CLIENTS> or <(T -> U),T@SERVER>, "
                    "got <(float32 -> float32),{int32}@CLIENTS>");
    ct_expect_error(ctx, "f = (x: int32 -> federated_map(<(v: int32 -> v), x>))", FEDC_STATUS_TYPE,
                    "1:18: federated_map expects <(T -> U),{T}@CLIENTS> or <(T -> U),T@SERVER>, "
                    "got <(int32 -> int32),int32>");
}

TEST(federated_apply) {
    ct_expect_type(ctx, "f = (x: int32@SERVER -> federated_apply(<(v: int32 -> <v, v>), x>))",
                   "(int32@SERVER -> <int32,int32>@SERVER)");
    ct_expect_error(ctx, "f = (x: {int32}@CLIENTS -> federated_apply(<(v: int32 -> v), x>))",
                    FEDC_STATUS_TYPE,
                    "1:28: federated_apply expects <(T -> U),T@SERVER>, got "
                    "<(int32 -> int32),{int32}@CLIENTS>");
}

TEST(federated_zip) {
    ct_expect_type(ctx, "f = (a: {int32}@CLIENTS, b: float32@CLIENTS -> federated_zip(<x=a, y=b>))",
                   "(<a={int32}@CLIENTS,b=float32@CLIENTS> -> {<x=int32,y=float32>}@CLIENTS)");
    ct_expect_type(ctx, "f = (a: int32@SERVER, b: float32@SERVER -> federated_zip(<a, b>))",
                   "(<a=int32@SERVER,b=float32@SERVER> -> <int32,float32>@SERVER)");
    ct_expect_error(ctx, "f = (a: int32@SERVER, b: {float32}@CLIENTS -> federated_zip(<a, b>))",
                    FEDC_STATUS_TYPE,
                    "1:47: federated_zip expects a struct of values all @CLIENTS or all @SERVER, "
                    "got <int32@SERVER,{float32}@CLIENTS>");
}

TEST(federated_sum) {
    ct_expect_type(ctx, "f = (x: {<a=float32[2],b=int32>}@CLIENTS -> federated_sum(x))",
                   "({<a=float32[2],b=int32>}@CLIENTS -> <a=float32[2],b=int32>@SERVER)");
    ct_expect_type(ctx, "f = (x: int32@CLIENTS -> federated_sum(x))",
                   "(int32@CLIENTS -> int32@SERVER)");
    /* the message of DESIGN.md, at the place of the call */
    ct_expect_error(ctx, "# sums\nf = (x: float32@SERVER ->\n             federated_sum(x))",
                    FEDC_STATUS_TYPE,
                    "3:14: federated_sum expects {T}@CLIENTS, got float32@SERVER");
    ct_expect_error(ctx, "f = (x: {bool}@CLIENTS -> federated_sum(x))", FEDC_STATUS_TYPE,
                    "1:27: federated_sum expects {T}@CLIENTS with T numeric, got "
                    "{bool}@CLIENTS");
}

TEST(federated_mean) {
    ct_expect_type(ctx, "f = (x: {float32[10]}@CLIENTS -> federated_mean(x))",
                   "({float32[10]}@CLIENTS -> float32[10]@SERVER)");
    ct_expect_error(ctx, "f = (x: {int32}@CLIENTS -> federated_mean(x))", FEDC_STATUS_TYPE,
                    "1:28: federated_mean expects {T}@CLIENTS with T floating-point, got "
                    "{int32}@CLIENTS");
}

TEST(federated_weighted_mean) {
    ct_expect_type(ctx,
                   "f = (x: {float32[3]}@CLIENTS, w: {float32}@CLIENTS -> "
                   "federated_weighted_mean(<x, w>))",
                   "(<x={float32[3]}@CLIENTS,w={float32}@CLIENTS> -> float32[3]@SERVER)");
    ct_expect_error(ctx,
                    "f = (x: {float32[3]}@CLIENTS, w: {float32[2]}@CLIENTS -> "
                    "federated_weighted_mean(<x, w>))",
                    FEDC_STATUS_TYPE,
                    "1:58: federated_weighted_mean expects <{T}@CLIENTS,{W}@CLIENTS> with T "
                    "floating-point and W a numeric scalar, got "
                    "<{float32[3]}@CLIENTS,{float32[2]}@CLIENTS>");
}

TEST(federated_min_and_max) {
    ct_expect_type(ctx, "f = (x: {int32[2]}@CLIENTS -> federated_min(x))",
                   "({int32[2]}@CLIENTS -> int32[2]@SERVER)");
    ct_expect_type(ctx, "f = (x: {float32}@CLIENTS -> federated_max(x))",
                   "({float32}@CLIENTS -> float32@SERVER)");
    ct_expect_error(ctx, "f = (x: float32* -> federated_max(x))", FEDC_STATUS_TYPE,
                    "1:21: federated_max expects {T}@CLIENTS, got float32*");
}

TEST(federated_aggregate) {
    ct_expect_type(ctx,
                   "f = (x: {float32}@CLIENTS -> federated_aggregate(<x, <0.0, 0>,\n"
                   "  (a: <float32,int32>, v: float32 -> <add(a[0], v), add(a[1], 1)>),\n"
                   "  (a: <float32,int32>, b: <float32,int32> -> <add(a[0], b[0]), "
                   "add(a[1], b[1])>),\n"
                   "  (a: <float32,int32> -> div(a[0], cast(a[1], 0.0)))>))",
                   "({float32}@CLIENTS -> float32@SERVER)");
    ct_expect_error(ctx,
                    "f = (x: {float32}@CLIENTS -> federated_aggregate(<x, 0,\n"
                    "  (a: int32, v: float32 -> v), (a: int32, b: int32 -> a), (a: int32 -> a)>))",
                    FEDC_STATUS_TYPE,
                    "1:30: federated_aggregate expects <{V}@CLIENTS,A,(<A,V> -> A),(<A,A> -> "
                    "A),(A -> R)>, got <{float32}@CLIENTS,int32,(<a=int32,v=float32> -> "
                    "float32),(<a=int32,b=int32> -> int32),(int32 -> int32)>");
}

TEST(federated_secure_sum) {
    ct_expect_type(ctx, "f = (x: {int32[4]}@CLIENTS -> federated_secure_sum(<x, 100>))",
                   "({int32[4]}@CLIENTS -> int32[4]@SERVER)");
    ct_expect_type(ctx, "f = (x: {<int32,int64>}@CLIENTS -> federated_secure_sum(<x, <1, 2>>))",
                   "({<int32,int64>}@CLIENTS -> <int32,int64>@SERVER)");
    ct_expect_error(ctx, "f = (x: {float32}@CLIENTS -> federated_secure_sum(<x, 100>))",
                    FEDC_STATUS_TYPE,
                    "1:30: federated_secure_sum expects <{V}@CLIENTS,M> with V and M integers, "
                    "got <{float32}@CLIENTS,int32>");
}

TEST(federated_secure_sum_bitwidth) {
    ct_expect_type(ctx, "f = (x: {int32}@CLIENTS -> federated_secure_sum_bitwidth(<x, 8>))",
                   "({int32}@CLIENTS -> int32@SERVER)");
    ct_expect_error(ctx, "f = (x: {int32}@CLIENTS -> federated_secure_sum_bitwidth(<x, 8.0>))",
                    FEDC_STATUS_TYPE,
                    "1:28: federated_secure_sum_bitwidth expects <{V}@CLIENTS,B> with V and B "
                    "integers, got <{int32}@CLIENTS,float32>");
}

TEST(federated_select) {
    ct_expect_type(ctx,
                   "f = (keys: {int32[2]}@CLIENTS, max: int32@SERVER, v: float32[5,3]@SERVER -> "
                   "federated_select(<keys, max, v, (s: float32[5,3], k: int32 -> "
                   "reduce_sum(s, 0))>))",
                   "(<keys={int32[2]}@CLIENTS,max=int32@SERVER,v=float32[5,3]@SERVER> -> "
                   "{float32[3]*}@CLIENTS)");
    ct_expect_error(ctx,
                    "f = (keys: {int32}@CLIENTS, v: float32@SERVER -> federated_select(<keys, "
                    "federated_value(<3, SERVER>), v, (s: float32, k: int32 -> s)>))",
                    FEDC_STATUS_TYPE,
                    "1:50: federated_select expects <{int32[n]}@CLIENTS,int32@SERVER,T@SERVER,"
                    "(<T,int32> -> U)>, got <{int32}@CLIENTS,int32@SERVER,float32@SERVER,"
                    "(<s=float32,k=int32> -> float32)>");
}

TEST(sequence_map) {
    ct_expect_type(ctx,
                   "f = (s: float32[2]* -> sequence_map(<(x: float32[2] -> reduce_max(x)), s>))",
                   "(float32[2]* -> float32*)");
    ct_expect_error(ctx, "f = (s: float32 -> sequence_map(<(x: float32 -> x), s>))",
                    FEDC_STATUS_TYPE,
                    "1:20: sequence_map expects <(T -> U),T*>, got <(float32 -> float32),float32>");
    ct_expect_error(ctx, "f = (s: float32* -> sequence_map(<(x: float32 -> <x, ( -> x)>), s>))",
                    FEDC_STATUS_TYPE,
                    "1:21: sequence_map expects <(T -> U),T*>, got <(float32 -> "
                    "<float32,( -> float32)>),float32*>");
}

TEST(sequence_reduce) {
    ct_expect_type(ctx,
                   "f = (s: int32* -> sequence_reduce(<s, 0, (a: int32, x: int32 -> add(a, x))>))",
                   "(int32* -> int32)");
    ct_expect_error(ctx, "f = (s: int32* -> sequence_reduce(<s, 0.0, (a: int32, x: int32 -> a)>))",
                    FEDC_STATUS_TYPE,
                    "1:19: sequence_reduce expects <T*,U,(<U,T> -> U)>, got <int32*,float32,"
                    "(<a=int32,x=int32> -> int32)>");
}

TEST(sequence_sum) {
    ct_expect_type(ctx, "f = (s: <a=float32[2],n=int32>* -> sequence_sum(s))",
                   "(<a=float32[2],n=int32>* -> <a=float32[2],n=int32>)");
    ct_expect_error(ctx, "f = (s: bool* -> sequence_sum(s))", FEDC_STATUS_TYPE,
                    "1:18: sequence_sum expects T* with T numeric, got bool*");
    ct_expect_error(ctx, "f = sequence_sum()", FEDC_STATUS_TYPE,
                    "1:5: sequence_sum expects T* with T numeric, got no argument");
}

TEST(intrinsic_names_round_trip) {
    for (int i = 0; i < FEDC_INTRINSIC_COUNT; i++) {
        fedc_intrinsic back;
        ASSERT_TRUE(fedc_intrinsic_lookup(fedc_intrinsic_name((fedc_intrinsic)i), &back));
        ASSERT_EQ(back, (fedc_intrinsic)i);
    }
    fedc_intrinsic x;
    ASSERT_FALSE(fedc_intrinsic_lookup("federated_collect", &x));
    ASSERT_NULL(fedc_intrinsic_name(FEDC_INTRINSIC_COUNT));
}
