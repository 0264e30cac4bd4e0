/* exec_intrinsics.c — what the intrinsics do in the reference executor (TFF's semantics):
 * placement changes, maps over clients, and reductions in client-index order (the canonical
 * order every executor must reproduce). Errors name the intrinsic and the client index.
 */
#include <math.h>
#include <string.h>

#include "core/core_int.h"

static const char *iname(fedc_intrinsic in) { return fedc_intrinsic_name(in); }

static fedc_status oom(fedc__exec *ex, const fedc_node *n) {
    return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_OUT_OF_MEMORY, "out of memory evaluating");
}

static fedc_status bad_arg(fedc__exec *ex, const fedc_node *n, fedc_intrinsic in) {
    return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_TYPE, "%s got a value of the wrong kind",
                             iname(in));
}

static fedc_value *member(const fedc_value *v, size_t i) {
    return v->all_equal ? v->items[0] : v->items[i];
}

static bool is_fed(const fedc_value *v, fedc_placement p) {
    return v && v->kind == FEDC_VALUE_FEDERATED && v->placement == p;
}

static bool is_struct_n(const fedc_value *v, size_t n) {
    return v && v->kind == FEDC_VALUE_STRUCT && v->n == n;
}

/* How many clients a CLIENTS value stands for. */
static fedc_status clients(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                           const fedc_value *v, size_t *n) {
    if (v && !v->all_equal) {
        *n = v->n;
        return FEDC_STATUS_OK;
    }
    if (ex->opts.num_clients < 0)
        return fedc__node_errorf(ex->ctx, call, FEDC_STATUS_INVALID_ARGUMENT,
                                 "%s needs the number of clients (no per-client argument; set "
                                 "fedc_exec_opts.num_clients)",
                                 iname(in));
    *n = (size_t)ex->opts.num_clients;
    return FEDC_STATUS_OK;
}

/* Takes ownership of items[0..n) (released here) and makes the federated value. */
static fedc_status make_fed(fedc__exec *ex, fedc_placement p, bool all_equal, size_t n,
                            fedc_value **items, fedc_value **out) {
    fedc_status st = fedc_value_federated(ex->ctx, p, all_equal, n, items, out);
    for (size_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    return st;
}

static fedc_status client_error(fedc__exec *ex, fedc_intrinsic in, size_t i, fedc_status st) {
    return fedc__exec_client_error(ex, in, i, st);
}

/* A zero value of a (checked) type of tensors; unknown dimensions become 0. */
static fedc_status zeros_of(fedc__exec *ex, const fedc_node *call, const fedc_type *t,
                            fedc_value **out) {
    *out = NULL;
    if (t->kind == FEDC_TYPE_TENSOR) {
        int64_t dims[FEDC_MAX_RANK];
        for (int i = 0; i < t->rank; i++)
            dims[i] = t->dims[i] < 0 ? 0 : t->dims[i];
        fedc_shape s = fedc_shape_make(t->rank, dims);
        fedc_value *v = fedc__value_new(FEDC_VALUE_TENSOR, 0);
        if (!v) return oom(ex, call);
        fedc_status st = fedc_tensor_alloc(ex->ctx, &v->tensor, t->dtype, &s);
        if (st < 0) {
            fedc_value_release(v);
            return st;
        }
        *out = v;
        return FEDC_STATUS_OK;
    }
    if (t->kind != FEDC_TYPE_STRUCT)
        return fedc__node_errorf(ex->ctx, call, FEDC_STATUS_TYPE, "no zero of this type");
    fedc_value **items = fedc_calloc(t->nfields ? t->nfields : 1, sizeof *items);
    const char **names = fedc_calloc(t->nfields ? t->nfields : 1, sizeof *names);
    fedc_status st = items && names ? FEDC_STATUS_OK : oom(ex, call);
    for (size_t i = 0; i < t->nfields && st >= 0; i++) {
        names[i] = t->fields[i].name;
        st = zeros_of(ex, call, t->fields[i].type, &items[i]);
    }
    if (st >= 0) st = fedc_value_struct(ex->ctx, t->nfields, items, names, out);
    for (size_t i = 0; items && i < t->nfields; i++)
        fedc_value_release(items[i]);
    fedc_free(items);
    fedc_free(names);
    return st;
}

/* Folds the members of a CLIENTS value with op in client order. */
static fedc_status fold(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in, fedc_binary_op op,
                        const fedc_value *v, size_t n, fedc_value **out) {
    *out = NULL;
    if (n == 0) {
        if (op != FEDC_BINARY_OP_ADD)
            return fedc__node_errorf(ex->ctx, call, FEDC_STATUS_OUT_OF_RANGE, "%s over no clients",
                                     iname(in));
        return zeros_of(ex, call, call->type->element, out);
    }
    fedc_value *acc = fedc_value_retain(member(v, 0));
    for (size_t i = 1; i < n; i++) {
        fedc_status st = fedc__value_accumulate(ex->ctx, op, &acc, member(v, i));
        if (st < 0) {
            fedc_value_release(acc);
            return client_error(ex, in, i, st);
        }
    }
    *out = acc;
    return FEDC_STATUS_OK;
}

static fedc_status scalar_of(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                             const fedc_value *v, double *out) {
    if (v->kind != FEDC_VALUE_TENSOR || fedc_tensor_numel(&v->tensor) != 1)
        return bad_arg(ex, call, in);
    *out = fedc_tensor_get_flat(&v->tensor, 0);
    return FEDC_STATUS_OK;
}

/* Folds a sequence as it streams (never materialized): from zero with fn(<acc, x>), or, for a
 * plain sum (fn NULL), from the first element with add (zeros of the type when empty). */
static fedc_status seq_fold(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                            fedc_value *seq, fedc_value *zero, fedc_value *fn, fedc_value **out) {
    *out = NULL;
    fedc__seq_iter it;
    fedc_status st = fedc__seq_open(ex->ctx, seq, &it);
    if (st < 0) return st;
    fedc_value *acc = NULL;
    if (zero) {
        acc = fedc_value_retain(zero);
    } else if ((st = fedc__seq_next(ex->ctx, &it, &acc)) >= 0 && !acc) {
        st = zeros_of(ex, call, call->type, &acc);
    }
    while (st >= 0) {
        fedc_value *x, *next = NULL;
        if ((st = fedc__seq_next(ex->ctx, &it, &x)) < 0 || !x) break;
        if (fn) {
            fedc_value *pair[2] = {acc, x}, *arg;
            if ((st = fedc_value_struct(ex->ctx, 2, pair, NULL, &arg)) >= 0) {
                st = fedc__exec_apply(ex, fn, arg, &next);
                fedc_value_release(arg);
            }
        } else {
            st = fedc__value_binary(ex->ctx, FEDC_BINARY_OP_ADD, acc, x, &next);
        }
        fedc_value_release(x);
        fedc_value_release(acc);
        acc = next;
        if (st < 0) fedc_ctx_prefixf(ex->ctx, "%s: element %zu", iname(in), it.i - 1);
    }
    fedc__seq_close(&it);
    if (st < 0) {
        fedc_value_release(acc);
        return st;
    }
    *out = acc;
    return FEDC_STATUS_OK;
}

/* Applies fn to each client's member (or the server's) of v. */
static fedc_status map_members(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                               fedc_value *fn, fedc_value *v, fedc_value **out) {
    if (v->placement == FEDC_PLACEMENT_SERVER) {
        fedc_value *r;
        fedc_status st = fedc__exec_apply(ex, fn, v->items[0], &r);
        if (st < 0) return st;
        return make_fed(ex, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    }
    size_t n = 0;
    fedc_status st = clients(ex, call, in, v, &n);
    if (st < 0) return st;
    fedc_value **items = fedc_calloc(n ? n : 1, sizeof *items);
    if (!items) return oom(ex, call);
    bool parallel = ex->opts.pool && !v->all_equal;
    if (parallel) /* the threaded executor: clients on the pool, results stored by index */
        st = fedc__exec_map_clients(ex, in, fn, v, n, fedc__store_result, items);
    for (size_t i = 0; i < n && st >= 0 && !parallel; i++) {
        /* an all-equal input gives every client the same result: compute it once */
        if (v->all_equal && i > 0)
            items[i] = fedc_value_retain(items[0]);
        else if ((st = fedc__exec_apply(ex, fn, member(v, i), &items[i])) < 0)
            client_error(ex, in, i, st);
    }
    if (st >= 0)
        st = make_fed(ex, FEDC_PLACEMENT_CLIENTS, false, n, items, out);
    else
        for (size_t i = 0; i < n; i++)
            fedc_value_release(items[i]);
    fedc_free(items);
    return st;
}

fedc_status fedc__exec_intrinsic(fedc__exec *ex, const fedc_node *call, fedc_intrinsic in,
                                 fedc_value *a, fedc_value **out) {
    *out = NULL;
    fedc_status st = FEDC_STATUS_OK;
    size_t n = 0;
    if (!a) return bad_arg(ex, call, in);
    switch (in) {
    case FEDC_INTRINSIC_FEDERATED_VALUE: {
        if (!is_struct_n(a, 2) || a->items[1]->kind != FEDC_VALUE_PLACEMENT)
            return bad_arg(ex, call, in);
        fedc_value *m = fedc_value_retain(a->items[0]);
        return make_fed(ex, a->items[1]->placement, true, 1, &m, out);
    }
    case FEDC_INTRINSIC_FEDERATED_EVAL: {
        if (!is_struct_n(a, 2) || a->items[1]->kind != FEDC_VALUE_PLACEMENT)
            return bad_arg(ex, call, in);
        fedc_placement p = a->items[1]->placement;
        if (p == FEDC_PLACEMENT_SERVER) {
            fedc_value *r;
            if ((st = fedc__exec_apply(ex, a->items[0], NULL, &r)) < 0) return st;
            return make_fed(ex, p, true, 1, &r, out);
        }
        if ((st = clients(ex, call, in, NULL, &n)) < 0) return st;
        fedc_value **items = fedc_calloc(n ? n : 1, sizeof *items);
        if (!items) return oom(ex, call);
        if (ex->opts.pool) /* the threaded executor: one call per client on the pool */
            st = fedc__exec_map_clients(ex, in, a->items[0], NULL, n, fedc__store_result, items);
        for (size_t i = 0; i < n && st >= 0 && !ex->opts.pool; i++)
            if ((st = fedc__exec_apply(ex, a->items[0], NULL, &items[i])) < 0)
                client_error(ex, in, i, st);
        if (st >= 0)
            st = make_fed(ex, p, false, n, items, out);
        else
            for (size_t i = 0; i < n; i++)
                fedc_value_release(items[i]);
        fedc_free(items);
        return st;
    }
    case FEDC_INTRINSIC_FEDERATED_BROADCAST: {
        if (!is_fed(a, FEDC_PLACEMENT_SERVER)) return bad_arg(ex, call, in);
        fedc_value *m = fedc_value_retain(a->items[0]);
        return make_fed(ex, FEDC_PLACEMENT_CLIENTS, true, 1, &m, out);
    }
    case FEDC_INTRINSIC_FEDERATED_MAP:
    case FEDC_INTRINSIC_FEDERATED_APPLY:
        if (!is_struct_n(a, 2) || a->items[1]->kind != FEDC_VALUE_FEDERATED)
            return bad_arg(ex, call, in);
        return map_members(ex, call, in, a->items[0], a->items[1], out);
    case FEDC_INTRINSIC_FEDERATED_ZIP: {
        if (a->kind != FEDC_VALUE_STRUCT || a->n == 0 || a->items[0]->kind != FEDC_VALUE_FEDERATED)
            return bad_arg(ex, call, in);
        fedc_placement p = a->items[0]->placement;
        bool server = p == FEDC_PLACEMENT_SERVER;
        const fedc_value *per_client = NULL;
        for (size_t k = 0; k < a->n; k++) {
            if (!is_fed(a->items[k], p)) return bad_arg(ex, call, in);
            if (!a->items[k]->all_equal && !per_client) per_client = a->items[k];
        }
        n = 1;
        if (!server && (st = clients(ex, call, in, per_client, &n)) < 0) return st;
        fedc_value **items = fedc_calloc(n ? n : 1, sizeof *items);
        fedc_value **fields = fedc_calloc(a->n, sizeof *fields);
        if (!items || !fields) {
            fedc_free(items);
            fedc_free(fields);
            return oom(ex, call);
        }
        for (size_t i = 0; i < n && st >= 0; i++) {
            for (size_t k = 0; k < a->n; k++) {
                if (!a->items[k]->all_equal && a->items[k]->n != n) {
                    st = fedc__node_errorf(ex->ctx, call, FEDC_STATUS_SHAPE,
                                           "federated_zip: element %zu has %zu clients, "
                                           "expected %zu",
                                           k, a->items[k]->n, n);
                    break;
                }
                fields[k] = member(a->items[k], i);
            }
            if (st >= 0)
                st = fedc_value_struct(ex->ctx, a->n, fields, (const char *const *)a->names,
                                       &items[i]);
        }
        fedc_free(fields);
        if (st >= 0)
            st = make_fed(ex, p, server, n, items, out);
        else
            for (size_t i = 0; i < n; i++)
                fedc_value_release(items[i]);
        fedc_free(items);
        return st;
    }
    case FEDC_INTRINSIC_FEDERATED_SUM:
    case FEDC_INTRINSIC_FEDERATED_MIN:
    case FEDC_INTRINSIC_FEDERATED_MAX:
    case FEDC_INTRINSIC_FEDERATED_MEAN: {
        if (!is_fed(a, FEDC_PLACEMENT_CLIENTS)) return bad_arg(ex, call, in);
        if ((st = clients(ex, call, in, a, &n)) < 0) return st;
        fedc_binary_op op = in == FEDC_INTRINSIC_FEDERATED_MIN   ? FEDC_BINARY_OP_MINIMUM
                            : in == FEDC_INTRINSIC_FEDERATED_MAX ? FEDC_BINARY_OP_MAXIMUM
                                                                 : FEDC_BINARY_OP_ADD;
        if (in == FEDC_INTRINSIC_FEDERATED_MEAN && n == 0)
            return fedc__node_errorf(ex->ctx, call, FEDC_STATUS_OUT_OF_RANGE,
                                     "federated_mean over no clients");
        fedc_value *r;
        if ((st = fold(ex, call, in, op, a, n, &r)) < 0) return st;
        if (in == FEDC_INTRINSIC_FEDERATED_MEAN) {
            fedc_value *m;
            st = fedc__value_divide(ex->ctx, r, (double)n, &m);
            fedc_value_release(r);
            if (st < 0) return st;
            r = m;
        }
        return make_fed(ex, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    }
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN: {
        if (!is_struct_n(a, 2) || !is_fed(a->items[0], FEDC_PLACEMENT_CLIENTS) ||
            !is_fed(a->items[1], FEDC_PLACEMENT_CLIENTS))
            return bad_arg(ex, call, in);
        const fedc_value *v = a->items[0], *w = a->items[1];
        if ((st = clients(ex, call, in, v->all_equal ? w : v, &n)) < 0) return st;
        /* sums in the values' own dtypes, in client order, like the lowered aggregate */
        fedc_value *acc = NULL, *wacc = NULL;
        for (size_t i = 0; i < n && st >= 0; i++) {
            double wi = 0;
            fedc_value *term, *next;
            if ((st = scalar_of(ex, call, in, member(w, i), &wi)) < 0) break;
            if (!wacc) {
                wacc = fedc_value_retain(member(w, i));
            } else {
                if ((st = fedc__value_binary(ex->ctx, FEDC_BINARY_OP_ADD, wacc, member(w, i),
                                             &next)) < 0)
                    break;
                fedc_value_release(wacc);
                wacc = next;
            }
            if ((st = fedc__value_scale(ex->ctx, member(v, i), wi, &term)) < 0) break;
            if (!acc) {
                acc = term;
                continue;
            }
            st = fedc__value_binary(ex->ctx, FEDC_BINARY_OP_ADD, acc, term, &next);
            fedc_value_release(term);
            fedc_value_release(acc);
            acc = st >= 0 ? next : NULL;
        }
        double wsum = 0;
        if (st >= 0 && wacc) st = scalar_of(ex, call, in, wacc, &wsum);
        fedc_value_release(wacc);
        if (st < 0) {
            fedc_value_release(acc);
            return st;
        }
        if (!acc || wsum == 0) {
            fedc_value_release(acc);
            return fedc__node_errorf(ex->ctx, call, FEDC_STATUS_OUT_OF_RANGE,
                                     "federated_weighted_mean: the weights sum to 0");
        }
        fedc_value *r;
        st = fedc__value_divide(ex->ctx, acc, wsum, &r);
        fedc_value_release(acc);
        if (st < 0) return st;
        return make_fed(ex, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    }
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM:
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM_BITWIDTH: {
        /* the reference sums in the clear, as TFF's test executors do */
        if (!is_struct_n(a, 2) || !is_fed(a->items[0], FEDC_PLACEMENT_CLIENTS))
            return bad_arg(ex, call, in);
        if ((st = clients(ex, call, in, a->items[0], &n)) < 0) return st;
        fedc_value *r;
        if ((st = fold(ex, call, in, FEDC_BINARY_OP_ADD, a->items[0], n, &r)) < 0) return st;
        return make_fed(ex, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    }
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE: {
        if (!is_struct_n(a, 5) || !is_fed(a->items[0], FEDC_PLACEMENT_CLIENTS))
            return bad_arg(ex, call, in);
        /* sequentially: accumulate every client into one partial from zero, then report (the
         * merge is what a parallel executor uses to join partials) */
        if ((st = clients(ex, call, in, a->items[0], &n)) < 0) return st;
        fedc_value *acc = fedc_value_retain(a->items[1]);
        for (size_t i = 0; i < n && st >= 0; i++) {
            fedc_value *pair[2] = {acc, member(a->items[0], i)}, *arg, *next = NULL;
            if ((st = fedc_value_struct(ex->ctx, 2, pair, NULL, &arg)) < 0) break;
            if ((st = fedc__exec_apply(ex, a->items[2], arg, &next)) < 0)
                client_error(ex, in, i, st);
            fedc_value_release(arg);
            fedc_value_release(acc);
            acc = next;
        }
        if (st < 0) {
            fedc_value_release(acc);
            return st;
        }
        fedc_value *r;
        st = fedc__exec_apply(ex, a->items[4], acc, &r);
        fedc_value_release(acc);
        if (st < 0) return st;
        return make_fed(ex, FEDC_PLACEMENT_SERVER, true, 1, &r, out);
    }
    case FEDC_INTRINSIC_FEDERATED_SELECT: {
        if (!is_struct_n(a, 4) || !is_fed(a->items[0], FEDC_PLACEMENT_CLIENTS) ||
            !is_fed(a->items[1], FEDC_PLACEMENT_SERVER) ||
            !is_fed(a->items[2], FEDC_PLACEMENT_SERVER))
            return bad_arg(ex, call, in);
        double max_key = 0;
        if ((st = scalar_of(ex, call, in, a->items[1]->items[0], &max_key)) < 0) return st;
        if ((st = clients(ex, call, in, a->items[0], &n)) < 0) return st;
        fedc_value **items = fedc_calloc(n ? n : 1, sizeof *items);
        if (!items) return oom(ex, call);
        for (size_t i = 0; i < n && st >= 0; i++) {
            const fedc_value *keys = member(a->items[0], i);
            if (keys->kind != FEDC_VALUE_TENSOR) {
                st = bad_arg(ex, call, in);
                break;
            }
            int64_t nk = fedc_tensor_numel(&keys->tensor);
            fedc_value **elems = fedc_calloc(nk ? (size_t)nk : 1, sizeof *elems);
            if (!elems) {
                st = oom(ex, call);
                break;
            }
            for (int64_t k = 0; k < nk && st >= 0; k++) {
                double key = fedc_tensor_get_flat(&keys->tensor, k);
                if (key < 0 || key >= max_key) {
                    st = fedc__node_errorf(ex->ctx, call, FEDC_STATUS_OUT_OF_RANGE,
                                           "key %.0f outside [0, %.0f)", key, max_key);
                    break;
                }
                int32_t k32 = (int32_t)key;
                fedc_shape s0 = FEDC_SHAPE0;
                fedc_tensor kt = fedc_tensor_view(FEDC_DTYPE_INT32, &s0, &k32);
                fedc_value *kv, *arg;
                if ((st = fedc_value_tensor(ex->ctx, &kt, &kv)) < 0) break;
                fedc_value *pair[2] = {a->items[2]->items[0], kv};
                st = fedc_value_struct(ex->ctx, 2, pair, NULL, &arg);
                fedc_value_release(kv);
                if (st < 0) break;
                st = fedc__exec_apply(ex, a->items[3], arg, &elems[k]);
                fedc_value_release(arg);
            }
            if (st >= 0) st = fedc_value_sequence(ex->ctx, (size_t)nk, elems, &items[i]);
            for (int64_t k = 0; k < nk; k++)
                fedc_value_release(elems[k]);
            fedc_free(elems);
            if (st < 0) client_error(ex, in, i, st);
        }
        if (st >= 0)
            st = make_fed(ex, FEDC_PLACEMENT_CLIENTS, false, n, items, out);
        else
            for (size_t i = 0; i < n; i++)
                fedc_value_release(items[i]);
        fedc_free(items);
        return st;
    }
    case FEDC_INTRINSIC_SEQUENCE_MAP:
        if (!is_struct_n(a, 2) || a->items[1]->kind != FEDC_VALUE_SEQUENCE)
            return bad_arg(ex, call, in);
        return fedc__exec_sequence_map(ex, a->items[0], a->items[1], out);
    case FEDC_INTRINSIC_SEQUENCE_REDUCE:
        if (!is_struct_n(a, 3) || a->items[0]->kind != FEDC_VALUE_SEQUENCE)
            return bad_arg(ex, call, in);
        return seq_fold(ex, call, in, a->items[0], a->items[1], a->items[2], out);
    case FEDC_INTRINSIC_SEQUENCE_SUM:
        if (a->kind != FEDC_VALUE_SEQUENCE) return bad_arg(ex, call, in);
        return seq_fold(ex, call, in, a, NULL, NULL, out);
    default: break;
    }
    return bad_arg(ex, call, in);
}
