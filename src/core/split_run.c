/* split_run.c — runs the parts of a distribute-aggregate form in order with the executor, the
 * way a deployment moves values between the server and the clients. It only sequences
 * fedc_exec_run calls; what each part computes is split.c's business.
 */
#include "core/core_int.h"

/* The number of members of the first per-client value inside v, or 0. */
static int64_t count_clients(const fedc_value *v) {
    if (!v) return 0;
    if (v->kind == FEDC_VALUE_FEDERATED && v->placement == FEDC_PLACEMENT_CLIENTS && !v->all_equal)
        return (int64_t)v->n;
    for (size_t i = 0; v->kind == FEDC_VALUE_STRUCT && i < v->n; i++) {
        int64_t c = count_clients(v->items[i]);
        if (c > 0) return c;
    }
    return 0;
}

static fedc_status run_part(fedc_ctx *ctx, const fedc_comp *daf, const char *part, fedc_value *arg,
                            const fedc_exec_opts *opts, fedc_value **out) {
    if (!fedc_comp_lookup(daf, part))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "no '%s' in the module: not a split form", part);
    fedc_status st = fedc_exec_run(ctx, daf, part, arg, opts, out);
    if (st < 0) fedc_ctx_prefixf(ctx, "%s", part);
    return st;
}

/* <a, b> from two values (new reference). */
static fedc_status pair(fedc_ctx *ctx, fedc_value *a, fedc_value *b, fedc_value **out) {
    fedc_value *items[2] = {a, b};
    return fedc_value_struct(ctx, 2, items, NULL, out);
}

fedc_status fedc_daf_run(fedc_ctx *ctx, const fedc_comp *daf, fedc_value *arg,
                         const fedc_exec_opts *opts, fedc_value **out) {
    *out = NULL;
    fedc_exec_opts o = opts ? *opts : fedc_exec_opts_default();
    /* later parts see only what earlier ones made: the clients are counted on the original */
    if (o.num_clients <= 0) o.num_clients = count_clients(arg);
    fedc_value *inputs = NULL, *prep = NULL, *bc = NULL, *work = NULL, *agg = NULL, *p = NULL;
    fedc_status st = run_part(ctx, daf, "daf_inputs", arg, &o, &inputs);
    if (st >= 0) st = run_part(ctx, daf, "server_prepare", fedc_value_item(inputs, 0), &o, &prep);
    if (st >= 0)
        st = run_part(ctx, daf, "server_to_client_broadcast", fedc_value_item(prep, 0), &o, &bc);
    if (st >= 0 && (st = pair(ctx, fedc_value_item(inputs, 1), bc, &p)) >= 0) {
        st = run_part(ctx, daf, "client_work", p, &o, &work);
        fedc_value_release(p);
    }
    if (st >= 0 && (st = pair(ctx, fedc_value_item(prep, 1), work, &p)) >= 0) {
        st = run_part(ctx, daf, "client_to_server_aggregation", p, &o, &agg);
        fedc_value_release(p);
    }
    if (st >= 0 && (st = pair(ctx, fedc_value_item(prep, 1), agg, &p)) >= 0) {
        st = run_part(ctx, daf, "server_result", p, &o, out);
        fedc_value_release(p);
    }
    fedc_value_release(inputs);
    fedc_value_release(prep);
    fedc_value_release(bc);
    fedc_value_release(work);
    fedc_value_release(agg);
    return st;
}
