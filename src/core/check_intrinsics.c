/* check_intrinsics.c — the type signatures of the federated and sequence intrinsics, as TFF
 * gives them (tff.federated_*, tff.sequence_*). Each check names the intrinsic, the signature it
 * expects and the type it got; nothing here evaluates anything.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_int.h"

static bool dt_numeric(fedc_dtype d) { return d != FEDC_DTYPE_BOOL; }
static bool dt_float(fedc_dtype d) { return fedc_dtype_is_float(d); }
static bool dt_int(fedc_dtype d) {
    return d == FEDC_DTYPE_INT32 || d == FEDC_DTYPE_INT64 || d == FEDC_DTYPE_UINT8;
}

static bool is_fed(const fedc_type *t, fedc_placement p) {
    return t && t->kind == FEDC_TYPE_FEDERATED && t->placement == p;
}

static const fedc_type *field(const fedc_type *t, size_t i) { return t->fields[i].type; }

static bool is_struct_n(const fedc_type *t, size_t n) {
    return t && t->kind == FEDC_TYPE_STRUCT && t->nfields == n;
}

static bool is_fn(const fedc_type *t) {
    return t && t->kind == FEDC_TYPE_FUNCTION && t->param != NULL;
}

static bool is_local(const fedc_type *t) {
    if (!t) return false;
    switch (t->kind) {
    case FEDC_TYPE_FEDERATED:
    case FEDC_TYPE_PLACEMENT: return false;
    case FEDC_TYPE_STRUCT:
        for (size_t i = 0; i < t->nfields; i++)
            if (!is_local(t->fields[i].type)) return false;
        return true;
    case FEDC_TYPE_SEQUENCE: return true;
    case FEDC_TYPE_FUNCTION: return is_local(t->result) && (!t->param || is_local(t->param));
    case FEDC_TYPE_TENSOR: return true;
    }
    return false;
}

/* <a, b> as an unnamed struct type in the arena. */
static const fedc_type *pair(fedc_arena *arena, const fedc_type *a, const fedc_type *b) {
    fedc_type_field f[2] = {{NULL, a}, {NULL, b}};
    return fedc_type_struct(arena, 2, f);
}

typedef struct sig {
    fedc__checker *ck;
    const fedc_node *call;
    const char *name;
    const char *want;
    const fedc_type *got;
} sig;

static fedc_status bad(const sig *s) {
    return fedc__type_mismatch(s->ck->ctx, s->call, s->name, s->want, s->got);
}

static fedc_status oom(const sig *s) {
    return fedc__node_errorf(s->ck->ctx, s->call, FEDC_STATUS_OUT_OF_MEMORY,
                             "out of memory typing %s", s->name);
}

/* The placement literal given as element i of the call's struct argument. */
static bool placement_arg(const fedc_node *call, size_t i, fedc_placement *out) {
    const fedc_node *arg = call->a[1];
    if (!arg || arg->kind != FEDC_NODE_STRUCT || arg->n <= i) return false;
    if (arg->items[i]->kind != FEDC_NODE_PLACEMENT) return false;
    *out = arg->items[i]->placement;
    return true;
}

static const char *const kWant[FEDC_INTRINSIC_COUNT] = {
    "<T,placement> (a placement literal)",
    "<( -> T),placement> (a placement literal)",
    "T@SERVER",
    "<(T -> U),{T}@CLIENTS> or <(T -> U),T@SERVER>",
    "<(T -> U),T@SERVER>",
    "a struct of values all @CLIENTS or all @SERVER",
    "{T}@CLIENTS",
    "{T}@CLIENTS",
    "<{T}@CLIENTS,{W}@CLIENTS> with T floating-point and W a numeric scalar",
    "{T}@CLIENTS",
    "{T}@CLIENTS",
    "<{V}@CLIENTS,A,(<A,V> -> A),(<A,A> -> A),(A -> R)>",
    "<{V}@CLIENTS,M> with V and M integers",
    "<{V}@CLIENTS,B> with V and B integers",
    "<{int32[n]}@CLIENTS,int32@SERVER,T@SERVER,(<T,int32> -> U)>",
    "<(T -> U),T*>",
    "<T*,U,(<U,T> -> U)>",
    "T* with T numeric",
};

fedc_status fedc__check_intrinsic(fedc__checker *ck, const fedc_node *call, fedc_intrinsic in,
                                  const fedc_type *a, const fedc_type **out) {
    fedc_arena *arena = ck->comp->arena;
    sig s = {ck, call, fedc_intrinsic_name(in), kWant[in], a};
    const fedc_type *r = NULL;
    if (!a) return bad(&s);
    switch (in) {
    case FEDC_INTRINSIC_FEDERATED_VALUE: {
        fedc_placement p;
        if (!is_struct_n(a, 2) || !is_local(field(a, 0)) || !placement_arg(call, 1, &p))
            return bad(&s);
        r = fedc_type_federated(arena, field(a, 0), p, true);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_EVAL: {
        fedc_placement p;
        const fedc_type *f = is_struct_n(a, 2) ? field(a, 0) : NULL;
        if (!f || f->kind != FEDC_TYPE_FUNCTION || f->param || !is_local(f->result) ||
            !placement_arg(call, 1, &p))
            return bad(&s);
        r = fedc_type_federated(arena, f->result, p, p == FEDC_PLACEMENT_SERVER);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_BROADCAST:
        if (!is_fed(a, FEDC_PLACEMENT_SERVER)) return bad(&s);
        r = fedc_type_federated(arena, a->element, FEDC_PLACEMENT_CLIENTS, true);
        break;
    case FEDC_INTRINSIC_FEDERATED_MAP:
    case FEDC_INTRINSIC_FEDERATED_APPLY: {
        if (!is_struct_n(a, 2)) return bad(&s);
        const fedc_type *f = field(a, 0), *v = field(a, 1);
        bool at_clients = is_fed(v, FEDC_PLACEMENT_CLIENTS);
        if (in == FEDC_INTRINSIC_FEDERATED_APPLY && at_clients) return bad(&s);
        if (!is_fn(f) || !(at_clients || is_fed(v, FEDC_PLACEMENT_SERVER)) ||
            !fedc__type_accepts_positional(f->param, v->element) || !is_local(f->result))
            return bad(&s);
        /* a map gives each client its own result, even from an all-equal input (as TFF) */
        r = fedc_type_federated(arena, f->result, v->placement, !at_clients);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_ZIP: {
        if (!a || a->kind != FEDC_TYPE_STRUCT || a->nfields == 0) return bad(&s);
        fedc_placement p = field(a, 0) && field(a, 0)->kind == FEDC_TYPE_FEDERATED
                               ? field(a, 0)->placement
                               : FEDC_PLACEMENT_SERVER;
        fedc_type_field *f = fedc_arena_calloc(arena, a->nfields, sizeof *f, 0);
        if (!f) return oom(&s);
        for (size_t i = 0; i < a->nfields; i++) {
            if (!is_fed(field(a, i), p)) return bad(&s);
            f[i].name = a->fields[i].name;
            f[i].type = field(a, i)->element;
        }
        r = fedc_type_federated(arena, fedc_type_struct(arena, a->nfields, f), p,
                                p == FEDC_PLACEMENT_SERVER);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_SUM:
    case FEDC_INTRINSIC_FEDERATED_MIN:
    case FEDC_INTRINSIC_FEDERATED_MAX:
    case FEDC_INTRINSIC_FEDERATED_MEAN: {
        bool (*ok)(fedc_dtype) = in == FEDC_INTRINSIC_FEDERATED_MEAN ? dt_float : dt_numeric;
        if (!is_fed(a, FEDC_PLACEMENT_CLIENTS)) return bad(&s);
        if (!fedc__type_all_tensors(a->element, ok)) {
            s.want = in == FEDC_INTRINSIC_FEDERATED_MEAN ? "{T}@CLIENTS with T floating-point"
                                                         : "{T}@CLIENTS with T numeric";
            return bad(&s);
        }
        r = fedc_type_federated(arena, a->element, FEDC_PLACEMENT_SERVER, true);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN: {
        if (!is_struct_n(a, 2)) return bad(&s);
        const fedc_type *v = field(a, 0), *w = field(a, 1);
        if (!is_fed(v, FEDC_PLACEMENT_CLIENTS) || !fedc__type_all_tensors(v->element, dt_float) ||
            !is_fed(w, FEDC_PLACEMENT_CLIENTS) || w->element->kind != FEDC_TYPE_TENSOR ||
            w->element->rank != 0 || !dt_numeric(w->element->dtype))
            return bad(&s);
        r = fedc_type_federated(arena, v->element, FEDC_PLACEMENT_SERVER, true);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE: {
        if (!is_struct_n(a, 5)) return bad(&s);
        const fedc_type *v = field(a, 0), *zero = field(a, 1), *acc = field(a, 2),
                        *merge = field(a, 3), *report = field(a, 4);
        if (!is_fed(v, FEDC_PLACEMENT_CLIENTS) || !is_local(zero) || !is_fn(acc) || !is_fn(merge) ||
            !is_fn(report))
            return bad(&s);
        const fedc_type *av = pair(arena, zero, v->element), *aa = pair(arena, zero, zero);
        if (!av || !aa) return oom(&s);
        if (!fedc__type_accepts_positional(acc->param, av) ||
            !fedc_type_assignable(zero, acc->result) ||
            !fedc__type_accepts_positional(merge->param, aa) ||
            !fedc_type_assignable(zero, merge->result) ||
            !fedc__type_accepts_positional(report->param, zero) || !is_local(report->result))
            return bad(&s);
        r = fedc_type_federated(arena, report->result, FEDC_PLACEMENT_SERVER, true);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM:
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM_BITWIDTH: {
        if (!is_struct_n(a, 2)) return bad(&s);
        const fedc_type *v = field(a, 0), *m = field(a, 1);
        if (!is_fed(v, FEDC_PLACEMENT_CLIENTS) || !fedc__type_all_tensors(v->element, dt_int) ||
            !fedc__type_all_tensors(m, dt_int))
            return bad(&s);
        /* the bound is one scalar for all, or has the value's structure */
        if (!(m->kind == FEDC_TYPE_TENSOR && m->rank == 0) &&
            !(m->kind == FEDC_TYPE_STRUCT && v->element->kind == FEDC_TYPE_STRUCT &&
              m->nfields == v->element->nfields))
            return bad(&s);
        r = fedc_type_federated(arena, v->element, FEDC_PLACEMENT_SERVER, true);
        break;
    }
    case FEDC_INTRINSIC_FEDERATED_SELECT: {
        if (!is_struct_n(a, 4)) return bad(&s);
        const fedc_type *keys = field(a, 0), *max_key = field(a, 1), *val = field(a, 2),
                        *fn = field(a, 3);
        if (!is_fed(keys, FEDC_PLACEMENT_CLIENTS) || keys->element->kind != FEDC_TYPE_TENSOR ||
            keys->element->dtype != FEDC_DTYPE_INT32 || keys->element->rank != 1 ||
            !is_fed(max_key, FEDC_PLACEMENT_SERVER) || max_key->element->kind != FEDC_TYPE_TENSOR ||
            max_key->element->dtype != FEDC_DTYPE_INT32 || max_key->element->rank != 0 ||
            !is_fed(val, FEDC_PLACEMENT_SERVER) || !is_fn(fn))
            return bad(&s);
        const fedc_type *key = fedc_type_tensor(arena, FEDC_DTYPE_INT32, 0, NULL);
        const fedc_type *tk = pair(arena, val->element, key);
        if (!tk) return oom(&s);
        if (!fedc__type_accepts_positional(fn->param, tk) ||
            !fedc__type_sequence_element_ok(fn->result))
            return bad(&s);
        r = fedc_type_federated(arena, fedc_type_sequence(arena, fn->result),
                                FEDC_PLACEMENT_CLIENTS, false);
        break;
    }
    case FEDC_INTRINSIC_SEQUENCE_MAP: {
        if (!is_struct_n(a, 2)) return bad(&s);
        const fedc_type *f = field(a, 0), *q = field(a, 1);
        if (!is_fn(f) || !q || q->kind != FEDC_TYPE_SEQUENCE ||
            !fedc__type_accepts_positional(f->param, q->element) ||
            !fedc__type_sequence_element_ok(f->result))
            return bad(&s);
        r = fedc_type_sequence(arena, f->result);
        break;
    }
    case FEDC_INTRINSIC_SEQUENCE_REDUCE: {
        if (!is_struct_n(a, 3)) return bad(&s);
        const fedc_type *q = field(a, 0), *zero = field(a, 1), *f = field(a, 2);
        if (!q || q->kind != FEDC_TYPE_SEQUENCE || !is_local(zero) || !is_fn(f)) return bad(&s);
        const fedc_type *ut = pair(arena, zero, q->element);
        if (!ut) return oom(&s);
        if (!fedc__type_accepts_positional(f->param, ut) || !fedc_type_assignable(zero, f->result))
            return bad(&s);
        r = zero;
        break;
    }
    case FEDC_INTRINSIC_SEQUENCE_SUM:
        if (a->kind != FEDC_TYPE_SEQUENCE || !fedc__type_all_tensors(a->element, dt_numeric))
            return bad(&s);
        r = a->element;
        break;
    default: return bad(&s);
    }
    if (!r) return oom(&s);
    *out = r;
    return FEDC_STATUS_OK;
}
