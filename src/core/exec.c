/* exec.c — the reference executor: a sequential, direct evaluator of checked computations over
 * values, the oracle for faster executors. Clarity over speed; it must stay deterministic
 * (clients are visited in index order) and must not use threads.
 */
#include <assert.h>
#include <string.h>

#include "core/core_int.h"

static fedc_status oom(fedc__exec *ex, const fedc_node *n) {
    return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_OUT_OF_MEMORY, "out of memory evaluating");
}

static fedc_status kind_error(fedc__exec *ex, const fedc_node *n, const char *want,
                              const fedc_value *got) {
    static const char *const kinds[] = {"tensor",    "struct",   "sequence",
                                        "federated", "function", "placement"};
    return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_TYPE, "expected %s, got a %s value", want,
                             kinds[got->kind]);
}

/* Whether two names are equal, compared here rather than by a call to strcmp: names are short
 * and most differ at their first character (a client's work looks up its names in its
 * environment once per client). */
static inline bool same_name(const char *a, const char *b) {
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static const fedc_def *find_def(const fedc_comp *comp, const char *name) {
    return fedc_comp_lookup(comp, name);
}

/* The value of definition d: from the run's cache when d is a constant (a literal, or a lambda,
 * which closes over nothing at the top level), else evaluated afresh. */
static fedc_status eval_def(fedc__exec *ex, const fedc_def *d, fedc_value **out) {
    fedc_node_kind k = d->node->kind;
    if (!ex->def_cache || (k != FEDC_NODE_LITERAL && k != FEDC_NODE_LAMBDA))
        return fedc__exec_eval(ex, NULL, d->node, out);
    fedc_value *_Atomic *slot = &ex->def_cache[d - ex->comp->defs];
    fedc_value *cached = atomic_load(slot);
    if (cached) {
        *out = fedc_value_retain(cached);
        return FEDC_STATUS_OK;
    }
    fedc_status st = fedc__exec_eval(ex, NULL, d->node, out);
    if (st < 0) return st;
    fedc_value *expected = NULL;
    fedc_value_retain(*out); /* the cache's reference */
    if (!atomic_compare_exchange_strong(slot, &expected, *out))
        fedc_value_release(*out); /* another worker cached its own equal value first */
    return FEDC_STATUS_OK;
}

fedc_status fedc__exec_apply(fedc__exec *ex, fedc_value *fn, fedc_value *arg, fedc_value **out) {
    *out = NULL;
    if (fn->kind != FEDC_VALUE_FUNCTION) return kind_error(ex, NULL, "a function", fn);
    const fedc_node *l = fn->lambda;
    if (l->kind == FEDC_NODE_NATIVE) {
        fedc_status st = fn->native->fn(ex->ctx, fn->native->user, l->blob, l->blob_size, arg, out);
        if (st < 0) {
            fedc_value_release(*out); /* a failing native may have set it */
            *out = NULL;
            return fedc_ctx_prefixf(ex->ctx, "native '%s'", l->name);
        }
        if (!*out)
            return fedc__node_errorf(ex->ctx, l, FEDC_STATUS_INTERNAL,
                                     "native '%s' returned no value", l->name);
        return st;
    }
    fedc__env *env = fn->env;
    if (env) env->refs++;
    if (l->n == 1) {
        fedc__env *e = fedc__env_push(env, l->params[0].name, arg);
        fedc__env_release(env);
        if (!e) return oom(ex, l);
        env = e;
    } else if (l->n > 1) {
        /* (a: T, b: U -> ...) binds its names to the argument's fields by position */
        if (!arg || arg->kind != FEDC_VALUE_STRUCT || arg->n != l->n) {
            fedc__env_release(env);
            return fedc__node_errorf(ex->ctx, l, FEDC_STATUS_TYPE,
                                     "expected a struct of %zu values for the parameters", l->n);
        }
        for (size_t i = 0; i < l->n; i++) {
            fedc__env *e = fedc__env_push(env, l->params[i].name, arg->items[i]);
            fedc__env_release(env);
            if (!e) return oom(ex, l);
            env = e;
        }
    }
    fedc_status st = fedc__exec_eval(ex, env, l->a[0], out);
    fedc__env_release(env);
    return st;
}

fedc_value *fedc__exec_peek(fedc__exec *ex, fedc__env *env, const fedc_node *n) {
    if (n->kind == FEDC_NODE_REFERENCE) {
        for (fedc__env *e = env; e; e = e->up)
            if (same_name(e->name, n->name)) return e->value;
        const fedc_def *d = ex->def_cache ? find_def(ex->comp, n->name) : NULL;
        return d ? atomic_load(&ex->def_cache[d - ex->comp->defs]) : NULL;
    }
    if (n->kind == FEDC_NODE_LITERAL && ex->literals) {
        uint64_t h = (uint64_t)(uintptr_t)n * UINT64_C(0x9E3779B97F4A7C15);
        for (size_t probe = 0; probe < FEDC__LITERAL_SLOTS; probe++) {
            fedc__literal_slot *s = &ex->literals[((h >> 58) + probe) & (FEDC__LITERAL_SLOTS - 1)];
            const fedc_node *key = atomic_load(&s->node);
            if (key == n) return atomic_load(&s->value);
            if (!key) break;
        }
    }
    return NULL;
}

/* A literal's value: from the run's cache when it has one (values are immutable, so one value
 * serves every evaluation of the node; a scalar like `1.0` in a client's work was two
 * allocations per client), else a fresh copy of the node's tensor. */
static fedc_status eval_literal(fedc__exec *ex, const fedc_node *n, fedc_value **out) {
    fedc__literal_slot *slots = ex->literals;
    if (!slots) return fedc_value_tensor(ex->ctx, &n->literal, out);
    uint64_t h = (uint64_t)(uintptr_t)n * UINT64_C(0x9E3779B97F4A7C15);
    for (size_t probe = 0; probe < FEDC__LITERAL_SLOTS; probe++) {
        fedc__literal_slot *s = &slots[((h >> 58) + probe) & (FEDC__LITERAL_SLOTS - 1)];
        const fedc_node *key = atomic_load(&s->node);
        if (!key && atomic_compare_exchange_strong(&s->node, &key, n)) {
            fedc_status st = fedc_value_tensor(ex->ctx, &n->literal, out);
            if (st >= 0) atomic_store(&s->value, fedc_value_retain(*out)); /* the cache's */
            return st;
        }
        if (key == n) {
            fedc_value *v = atomic_load(&s->value);
            if (!v) break; /* another worker is making it: make our own */
            *out = fedc_value_retain(v);
            return FEDC_STATUS_OK;
        }
    }
    return fedc_value_tensor(ex->ctx, &n->literal, out); /* the table is full */
}

/* A builtin called on an unnamed struct of at most 4 arguments, `add(x, y)`: the struct is
 * built on the stack, not allocated, since builtins read their arguments' items and keep none
 * of the struct itself (in a client's work this saved two allocations per call). */
static fedc_status eval_builtin_args(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                                     fedc_value **out) {
    const fedc_node *s = n->a[1];
    fedc_value *items[4] = {NULL};
    fedc_status st = FEDC_STATUS_OK;
    for (size_t i = 0; i < s->n && st >= 0; i++)
        st = fedc__exec_eval(ex, env, s->items[i], &items[i]);
    if (st >= 0) {
        fedc_value args;
        memset(&args, 0, sizeof args);
        args.refs = 1;
        args.kind = FEDC_VALUE_STRUCT;
        args.n = s->n;
        args.items = items;
        st = fedc__exec_builtin(ex, n, n->a[0]->name, &args, out);
        assert(args.refs == 1); /* a builtin that kept its argument struct would dangle */
    }
    for (size_t i = 0; i < s->n; i++)
        fedc_value_release(items[i]);
    return st;
}

static bool unnamed(const fedc_node *s) {
    for (size_t i = 0; s->names && i < s->n; i++)
        if (s->names[i]) return false;
    return true;
}

static fedc_status eval_call(fedc__exec *ex, fedc__env *env, const fedc_node *n, fedc_value **out) {
    fedc_value *arg = NULL;
    bool done = false;
    for (const fedc__fused *f = ex->fused; f; f = f->next)
        if (f->call == n) { /* computed while a let-bound map streamed */
            *out = fedc_value_retain(f->value);
            return FEDC_STATUS_OK;
        }
    fedc_status st = fedc__exec_fused_aggregate(ex, env, n, &done, out); /* only with a pool */
    if (done || st < 0) return st;
    const fedc_node *fn = n->a[0];
    if (fn->kind == FEDC_NODE_BUILTIN && ex->opts.pool &&
        ((st = fedc__exec_fused_elementwise(ex, env, n, &done, out)) < 0 || done))
        return st;
    if (fn->kind == FEDC_NODE_BUILTIN && n->a[1] && n->a[1]->kind == FEDC_NODE_STRUCT &&
        n->a[1]->n <= 4 && unnamed(n->a[1]))
        return eval_builtin_args(ex, env, n, out);
    if (n->a[1] && (st = fedc__exec_eval(ex, env, n->a[1], &arg)) < 0) return st;
    if (fn->kind == FEDC_NODE_INTRINSIC) {
        st = fedc__exec_intrinsic(ex, n, fn->intrinsic, arg, out);
    } else if (fn->kind == FEDC_NODE_BUILTIN) {
        st = fedc__exec_builtin(ex, n, fn->name, arg, out);
    } else {
        fedc_value *f;
        if ((st = fedc__exec_eval(ex, env, fn, &f)) >= 0) {
            st = fedc__exec_apply(ex, f, arg, out);
            fedc_value_release(f);
        }
    }
    fedc_value_release(arg);
    return st;
}

/* let names[i] = items[i] ... in a[0]. With a pool, a binding to a federated_map that only
 * aggregations use is streamed into them instead (fedc__exec_stream_binding): the name is then
 * bound to an empty placeholder that nothing reads. */
static fedc_status eval_block(fedc__exec *ex, fedc__env *env, const fedc_node *n,
                              fedc_value **out) {
    fedc_status st = FEDC_STATUS_OK;
    fedc__fused *mark = ex->fused;
    if (env) env->refs++;
    fedc__env *cur = env;
    for (size_t i = 0; i < n->n && st >= 0; i++) {
        fedc_value *v = NULL;
        bool streamed = false;
        if (ex->opts.pool && (st = fedc__exec_stream_binding(ex, cur, n, i, &streamed)) >= 0 &&
            streamed && !(v = fedc__value_new(FEDC_VALUE_STRUCT, 0)))
            st = oom(ex, n);
        if (st >= 0 && !streamed) st = fedc__exec_eval(ex, cur, n->items[i], &v);
        if (st < 0) break;
        fedc__env *e = fedc__env_push(cur, n->names[i], v);
        fedc_value_release(v);
        fedc__env_release(cur);
        cur = e;
        if (!e) st = oom(ex, n);
    }
    if (st >= 0) st = fedc__exec_eval(ex, cur, n->a[0], out);
    fedc__env_release(cur);
    while (ex->fused != mark) { /* the streamed aggregations belong to this block */
        fedc__fused *f = ex->fused;
        ex->fused = f->next;
        fedc_value_release(f->value);
        fedc_free(f);
    }
    return st;
}

fedc_status fedc__exec_eval(fedc__exec *ex, fedc__env *env, const fedc_node *n, fedc_value **out) {
    *out = NULL;
    fedc_status st;
    switch (n->kind) {
    case FEDC_NODE_REFERENCE: {
        for (fedc__env *e = env; e; e = e->up)
            if (same_name(e->name, n->name)) {
                *out = fedc_value_retain(e->value);
                return FEDC_STATUS_OK;
            }
        const fedc_def *d = find_def(ex->comp, n->name);
        if (!d)
            return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_NOT_FOUND, "unknown name '%s'",
                                     n->name);
        return eval_def(ex, d, out);
    }
    case FEDC_NODE_SELECTION: {
        fedc_value *s;
        if ((st = fedc__exec_eval(ex, env, n->a[0], &s)) < 0) return st;
        st = FEDC_STATUS_OK;
        if (s->kind != FEDC_VALUE_STRUCT) {
            st = kind_error(ex, n, "a struct", s);
        } else if (n->name) {
            for (size_t i = 0; i < s->n; i++)
                if (s->names && s->names[i] && strcmp(s->names[i], n->name) == 0)
                    *out = fedc_value_retain(s->items[i]);
            if (!*out)
                st = fedc__node_errorf(ex->ctx, n, FEDC_STATUS_TYPE, "no field '%s'", n->name);
        } else if ((size_t)n->index < s->n) {
            *out = fedc_value_retain(s->items[n->index]);
        } else {
            st = fedc__node_errorf(ex->ctx, n, FEDC_STATUS_TYPE, "no element %lld",
                                   (long long)n->index);
        }
        fedc_value_release(s);
        return st;
    }
    case FEDC_NODE_STRUCT: {
        fedc_value *v = fedc__value_new(FEDC_VALUE_STRUCT, n->n);
        if (!v) return oom(ex, n);
        if (n->names && n->n && !(v->names = fedc_calloc(n->n, sizeof *v->names))) {
            fedc_value_release(v);
            return oom(ex, n);
        }
        for (size_t i = 0; i < n->n; i++) {
            if ((st = fedc__exec_eval(ex, env, n->items[i], &v->items[i])) < 0 ||
                (n->names && n->names[i] && !(v->names[i] = fedc_strdup(n->names[i])))) {
                fedc_value_release(v);
                return st < 0 ? st : oom(ex, n);
            }
        }
        *out = v;
        return FEDC_STATUS_OK;
    }
    case FEDC_NODE_CALL: return eval_call(ex, env, n, out);
    case FEDC_NODE_LAMBDA: {
        fedc_value *v = fedc__value_new(FEDC_VALUE_FUNCTION, 0);
        if (!v) return oom(ex, n);
        v->lambda = n;
        v->env = env;
        if (env) env->refs++;
        *out = v;
        return FEDC_STATUS_OK;
    }
    case FEDC_NODE_BLOCK: return eval_block(ex, env, n, out);
    case FEDC_NODE_LITERAL: return eval_literal(ex, n, out);
    case FEDC_NODE_DATA:
        if (!ex->opts.resolve_data)
            return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_NOT_FOUND,
                                     "no data resolver for \"%s\"", n->name);
        return ex->opts.resolve_data(ex->ctx, ex->opts.user, n->name, n->declared, out);
    case FEDC_NODE_NATIVE: {
        const fedc_native *nat = NULL;
        for (size_t i = 0; i < ex->opts.nnatives && !nat; i++)
            if (strcmp(ex->opts.natives[i].name, n->name) == 0) nat = &ex->opts.natives[i];
        if (!nat)
            return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_NOT_FOUND,
                                     "no native function '%s' given to the executor", n->name);
        fedc_value *v = fedc__value_new(FEDC_VALUE_FUNCTION, 0);
        if (!v) return oom(ex, n);
        v->lambda = n;
        v->native = nat;
        *out = v;
        return FEDC_STATUS_OK;
    }
    case FEDC_NODE_PLACEMENT: {
        fedc_value *v = fedc__value_new(FEDC_VALUE_PLACEMENT, 0);
        if (!v) return oom(ex, n);
        v->placement = n->placement;
        *out = v;
        return FEDC_STATUS_OK;
    }
    case FEDC_NODE_INTRINSIC:
    case FEDC_NODE_BUILTIN:
        return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_TYPE,
                                 "an intrinsic or builtin must be called");
    }
    return fedc__node_errorf(ex->ctx, n, FEDC_STATUS_INTERNAL, "unknown node kind");
}

fedc_exec_opts fedc_exec_opts_default(void) {
    fedc_exec_opts o;
    memset(&o, 0, sizeof o);
    return o;
}

/* The number of members of the first per-client value inside v, or -1. */
static int64_t count_clients(const fedc_value *v) {
    if (!v) return -1;
    if (v->kind == FEDC_VALUE_FEDERATED && v->placement == FEDC_PLACEMENT_CLIENTS && !v->all_equal)
        return (int64_t)v->n;
    if (v->kind == FEDC_VALUE_STRUCT)
        for (size_t i = 0; i < v->n; i++) {
            int64_t c = count_clients(v->items[i]);
            if (c >= 0) return c;
        }
    return -1;
}

/* fedc_exec_run's evaluation of definition d on arg. */
static fedc_status run_def(fedc__exec *ex, const fedc_def *d, fedc_value *arg, fedc_value **out) {
    fedc_ctx *ctx = ex->ctx;
    const char *name = d->name;
    fedc_value *v;
    fedc_status st = fedc__exec_eval(ex, NULL, d->node, &v);
    if (st < 0) return st;
    if (v->kind == FEDC_VALUE_FUNCTION) {
        bool wants = d->node->type->param != NULL;
        if (wants != (arg != NULL)) {
            fedc_value_release(v);
            return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "'%s' takes %s argument",
                                   name, wants ? "an" : "no");
        }
        if (arg && (st = fedc__value_conforms(ctx, d->node->type->param, arg, true)) < 0) {
            fedc_value_release(v);
            return fedc_ctx_prefixf(ctx, "the argument of '%s'", name);
        }
        fedc_value *r;
        st = fedc__exec_apply(ex, v, arg, &r);
        fedc_value_release(v);
        if (st < 0) return st;
        /* mapped sequences refer to the module: read them before it can be destroyed */
        st = fedc__value_materialize(ctx, r, out);
        fedc_value_release(r);
        return st;
    }
    if (arg) {
        fedc_value_release(v);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "'%s' is not a function and takes no argument", name);
    }
    st = fedc__value_materialize(ctx, v, out);
    fedc_value_release(v);
    return st;
}

fedc_status fedc_exec_run(fedc_ctx *ctx, const fedc_comp *comp, const char *name, fedc_value *arg,
                          const fedc_exec_opts *opts, fedc_value **out) {
    *out = NULL;
    const fedc_def *d = fedc_comp_lookup(comp, name);
    if (!d) return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no definition '%s'", name);
    if (!d->node->type)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "'%s' is not checked (call fedc_comp_check first)", name);
    fedc__exec ex = {ctx,  comp, opts ? *opts : fedc_exec_opts_default(), NULL, NULL, NULL, NULL,
                     NULL, NULL};
    if (ex.opts.num_clients <= 0) ex.opts.num_clients = count_clients(arg);
    /* without memory for the cache the run just evaluates constants each time */
    ex.def_cache = fedc_calloc(comp->ndefs ? comp->ndefs : 1, sizeof *ex.def_cache);
    ex.literals = fedc_calloc(FEDC__LITERAL_SLOTS, sizeof *ex.literals);
    if (ex.opts.pool) ex.chains = fedc__exec_chains_new(); /* only the threaded executor fuses */
    fedc_status st = run_def(&ex, d, arg, out);
    for (size_t i = 0; ex.def_cache && i < comp->ndefs; i++)
        fedc_value_release(atomic_load(&ex.def_cache[i]));
    fedc_free(ex.def_cache);
    for (size_t i = 0; ex.literals && i < FEDC__LITERAL_SLOTS; i++)
        fedc_value_release(atomic_load(&ex.literals[i].value));
    fedc_free(ex.literals);
    fedc__exec_chains_free(ex.chains);
    return st;
}
