/* split.c — one round of a federated computation split into TFF's DistributeAggregateForm:
 * server_prepare, server_to_client_broadcast, client_work, client_to_server_aggregation and
 * server_result, the pieces a deployment runs on the server, on the wire and on each client.
 *
 * How: every node of the computation's body gets a phase — what it needs to have happened first
 * (local: nothing; prepare: the server's inputs; broadcast; client: the clients' data or a
 * broadcast; aggregate; result: an aggregate). Then the body is copied into server_result, and
 * wherever the copy meets a node of an earlier phase it cuts: an aggregation becomes a reference
 * to the aggregation part's result, whose client-side argument is copied into client_work, whose
 * broadcasts become references to the broadcast part, whose arguments are copied into
 * server_prepare (and server values the result needs travel as intermediate state). Let
 * bindings are hoisted into the part that uses them, once per part, so a client value bound once
 * is computed once. What does not fit (a second round, a client value that reaches the server
 * without an aggregation, an intrinsic with no place in the form) is refused with its position.
 * This file only rewrites trees; the type checker checks the result and the executor runs it.
 */
#include <assert.h>
#include <string.h>

#include "core/core_int.h"

typedef enum phase {
    PH_LOCAL = 0,   /* needs nothing placed: constants, closed functions */
    PH_PREPARE = 1, /* the server's inputs */
    PH_BROADCAST = 2,
    PH_CLIENT = 3,
    PH_AGGREGATE = 4,
    PH_RESULT = 5
} phase;

enum { CTX_PREPARE, CTX_CLIENT, CTX_AGGREGATE, CTX_RESULT, NCTX };

/* The parameter names of the parts: a binding or definition of the same name would be shadowed
 * inside a part, so such computations are refused. */
static const char *const k_reserved[] = {"server_state", "broadcast_input",    "client_data",
                                         "broadcast",    "intermediate_state", "client_results",
                                         "aggregates"};

/* The form's definitions, plus the one that maps the original's argument onto them. */
static const char *const k_parts[] = {"daf_inputs",
                                      "server_prepare",
                                      "server_to_client_broadcast",
                                      "client_work",
                                      "client_to_server_aggregation",
                                      "server_result"};

typedef struct binding {
    const char *name;
    const fedc_node *value;
    phase ph;
    fedc_node *emitted[NCTX]; /* its value copied into a part's block, once */
    struct binding *next;     /* in order of appearance */
} binding;

typedef enum res_kind { RES_NONE, RES_SERVER_PARAM, RES_CLIENT_PARAM, RES_BINDING } res_kind;

typedef struct info {
    const fedc_node *node;
    phase ph;
    bool open; /* uses a parameter or binding of the computation */
    res_kind res;
    binding *b;
} info;

typedef struct scope {
    const char *name;
    res_kind res;
    binding *b;
    const struct scope *up;
} scope;

/* A growing list of nodes of the output module: the exports of one part to the next. */
typedef struct list {
    fedc_node **items;
    const fedc_type **types;
    size_t n, cap;
} list;

typedef struct splitter {
    fedc_ctx *ctx;
    fedc_comp *out;
    fedc_arena *tmp;
    info *infos; /* open addressing on the node pointer */
    size_t cap, count;
    binding *first, *last;
    list bc_args;      /* server_prepare -> broadcast: what is broadcast */
    list inter;        /* server_prepare -> aggregation and result: intermediate state */
    list client_out;   /* client_work -> aggregation */
    list aggregations; /* aggregation -> server_result */
    bool oom;
} splitter;

static fedc_status oom(splitter *s) {
    s->oom = true;
    return fedc_ctx_errorf(s->ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory splitting");
}

static info *lookup(splitter *s, const fedc_node *n) {
    size_t h = ((uintptr_t)n >> 4) & (s->cap - 1);
    while (s->infos[h].node && s->infos[h].node != n)
        h = (h + 1) & (s->cap - 1);
    return &s->infos[h];
}

static fedc_status put(splitter *s, const fedc_node *n, info v) {
    if (2 * (s->count + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        info *old = s->infos;
        size_t oldcap = s->cap;
        if (!(s->infos = fedc_calloc(cap, sizeof *s->infos))) {
            s->infos = old;
            return oom(s);
        }
        s->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].node) *lookup(s, old[i].node) = old[i];
        fedc_free(old);
    }
    info *slot = lookup(s, n);
    if (!slot->node) s->count++;
    v.node = n;
    *slot = v;
    return FEDC_STATUS_OK;
}

/* The recorded reference under a function to a local binding, or NULL. */
static const info *find(splitter *s, const fedc_node *n) {
    const info *i = s->cap ? lookup(s, n) : NULL;
    return i && i->node == n ? i : NULL;
}

static const info *get(splitter *s, const fedc_node *n) {
    const info *i = lookup(s, n);
    assert(i->node == n);
    return i;
}

static bool is_reserved(const char *name) {
    for (size_t i = 0; i < sizeof k_reserved / sizeof k_reserved[0]; i++)
        if (strcmp(name, k_reserved[i]) == 0) return true;
    return false;
}

static bool is_aggregation(fedc_intrinsic in) {
    switch (in) {
    case FEDC_INTRINSIC_FEDERATED_SUM:
    case FEDC_INTRINSIC_FEDERATED_MEAN:
    case FEDC_INTRINSIC_FEDERATED_WEIGHTED_MEAN:
    case FEDC_INTRINSIC_FEDERATED_MIN:
    case FEDC_INTRINSIC_FEDERATED_MAX:
    case FEDC_INTRINSIC_FEDERATED_AGGREGATE:
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM:
    case FEDC_INTRINSIC_FEDERATED_SECURE_SUM_BITWIDTH: return true;
    default: return false;
    }
}

static bool intrinsic_call(const fedc_node *n, fedc_intrinsic *in) {
    if (n->kind != FEDC_NODE_CALL || n->a[0]->kind != FEDC_NODE_INTRINSIC) return false;
    *in = n->a[0]->intrinsic;
    return true;
}

static bool type_has_federated(const fedc_type *t) {
    if (!t) return false;
    switch (t->kind) {
    case FEDC_TYPE_FEDERATED: return true;
    case FEDC_TYPE_STRUCT:
        for (size_t i = 0; i < t->nfields; i++)
            if (type_has_federated(t->fields[i].type)) return true;
        return false;
    case FEDC_TYPE_FUNCTION: return type_has_federated(t->param) || type_has_federated(t->result);
    default: return false;
    }
}

static bool placed_at(const fedc_type *t, fedc_placement p) {
    return t && t->kind == FEDC_TYPE_FEDERATED && t->placement == p;
}

static const scope *resolve(const scope *sc, const char *name) {
    for (; sc; sc = sc->up)
        if (strcmp(sc->name, name) == 0) return sc;
    return NULL;
}

/* ---- phases ---- */

static fedc_status analyze(splitter *s, const fedc_node *n, const scope *sc, phase *out);

/* The free names of a function (`inner` holds its own parameters and lets) that are names of
 * the computation: a local let binding is fine (it is copied into whichever part the function
 * goes to; the reference is recorded so that emit finds it), a parameter or a placed binding is
 * not (a function over federated values cannot be cut apart): *bad is the first such reference. */
static fedc_status captured(splitter *s, const fedc_node *n, const scope *sc, const scope *inner,
                            const fedc_node **bad) {
    if (!n || *bad) return FEDC_STATUS_OK;
    fedc_status st = FEDC_STATUS_OK;
    switch (n->kind) {
    case FEDC_NODE_REFERENCE: {
        const scope *r = resolve(inner, n->name) ? NULL : resolve(sc, n->name);
        if (!r) return FEDC_STATUS_OK;
        if (r->res != RES_BINDING || r->b->ph != PH_LOCAL) {
            *bad = n;
            return FEDC_STATUS_OK;
        }
        info v = {0};
        v.open = true;
        v.res = RES_BINDING;
        v.b = r->b;
        return put(s, n, v);
    }
    case FEDC_NODE_LAMBDA: {
        scope local[16];
        const scope *cur = inner;
        for (size_t i = 0; i < n->n && i < 16; i++) { /* more than 16: outer names stay seen */
            local[i] = (scope){n->params[i].name, RES_NONE, NULL, cur};
            cur = &local[i];
        }
        return captured(s, n->a[0], sc, cur, bad);
    }
    case FEDC_NODE_BLOCK: {
        const scope *cur = inner;
        scope local[16];
        for (size_t i = 0; i < n->n && st >= 0; i++) {
            st = captured(s, n->items[i], sc, cur, bad);
            if (i < 16) {
                local[i] = (scope){n->names[i], RES_NONE, NULL, cur};
                cur = &local[i];
            }
        }
        return st < 0 ? st : captured(s, n->a[0], sc, cur, bad);
    }
    default:
        for (int i = 0; i < 2 && st >= 0; i++)
            st = captured(s, n->a[i], sc, inner, bad);
        for (size_t i = 0; n->kind == FEDC_NODE_STRUCT && i < n->n && st >= 0; i++)
            st = captured(s, n->items[i], sc, inner, bad);
        return st;
    }
}

static phase max_phase(phase a, phase b) { return a > b ? a : b; }

static fedc_status analyze_call(splitter *s, const fedc_node *n, const scope *sc, phase *out,
                                bool *open) {
    phase arg = PH_LOCAL, callee = PH_LOCAL;
    fedc_status st = analyze(s, n->a[0], sc, &callee);
    if (st < 0) return st;
    *open = get(s, n->a[0])->open;
    if (n->a[1]) {
        if ((st = analyze(s, n->a[1], sc, &arg)) < 0) return st;
        *open = *open || get(s, n->a[1])->open;
    }
    fedc_intrinsic in;
    if (!intrinsic_call(n, &in)) {
        const fedc_node *f = n->a[0];
        if (f->kind == FEDC_NODE_REFERENCE && !resolve(sc, f->name) && type_has_federated(f->type))
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "calls '%s', a federated computation: write its body in "
                                     "place to split this one",
                                     f->name);
        *out = max_phase(arg, callee);
        return FEDC_STATUS_OK;
    }
    const char *iname = fedc_intrinsic_name(in);
    if (in == FEDC_INTRINSIC_FEDERATED_SELECT)
        return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                 "federated_select has no place in the distribute-aggregate "
                                 "form (only broadcasts go from the server to the clients)");
    if (in == FEDC_INTRINSIC_FEDERATED_BROADCAST) {
        if (arg >= PH_AGGREGATE)
            return fedc__node_errorf(
                s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                "federated_broadcast of a value computed from an aggregation: the clients "
                "would work again after the server aggregated, a second round, which one "
                "distribute-aggregate form cannot express");
        *out = PH_BROADCAST;
        return FEDC_STATUS_OK;
    }
    if (is_aggregation(in)) {
        if (arg >= PH_AGGREGATE)
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "%s of a value computed from an aggregation: a second "
                                     "round, which one distribute-aggregate form cannot express",
                                     iname);
        *out = PH_AGGREGATE;
        return FEDC_STATUS_OK;
    }
    if (placed_at(n->type, FEDC_PLACEMENT_CLIENTS)) {
        if (arg >= PH_AGGREGATE)
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "%s runs on the clients after an aggregation: a second "
                                     "round, which one distribute-aggregate form cannot express",
                                     iname);
        *out = PH_CLIENT;
        return FEDC_STATUS_OK;
    }
    if (placed_at(n->type, FEDC_PLACEMENT_SERVER)) {
        if (arg == PH_BROADCAST || arg == PH_CLIENT)
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "%s brings a value placed at CLIENTS to the server without "
                                     "an aggregation",
                                     iname);
        *out = arg >= PH_AGGREGATE ? PH_RESULT : PH_PREPARE;
        return FEDC_STATUS_OK;
    }
    *out = arg; /* sequence intrinsics: local */
    return FEDC_STATUS_OK;
}

static fedc_status analyze(splitter *s, const fedc_node *n, const scope *sc, phase *out) {
    info v = {0};
    fedc_status st = FEDC_STATUS_OK;
    phase p = PH_LOCAL;
    switch (n->kind) {
    case FEDC_NODE_LITERAL:
    case FEDC_NODE_BUILTIN:
    case FEDC_NODE_INTRINSIC:
    case FEDC_NODE_PLACEMENT:
    case FEDC_NODE_NATIVE: break;
    case FEDC_NODE_DATA:
        p = placed_at(n->declared, FEDC_PLACEMENT_CLIENTS)  ? PH_CLIENT
            : placed_at(n->declared, FEDC_PLACEMENT_SERVER) ? PH_PREPARE
                                                            : PH_LOCAL;
        break;
    case FEDC_NODE_REFERENCE: {
        const scope *r = resolve(sc, n->name);
        if (r) {
            v.res = r->res;
            v.b = r->b;
            v.open = true;
            p = r->res == RES_SERVER_PARAM   ? PH_PREPARE
                : r->res == RES_CLIENT_PARAM ? PH_CLIENT
                                             : r->b->ph;
        }
        break;
    }
    case FEDC_NODE_LAMBDA: {
        const fedc_node *c = NULL;
        size_t before = s->count;
        if ((st = captured(s, n, sc, NULL, &c)) < 0) return st;
        if (c)
            return fedc__node_errorf(s->ctx, c, FEDC_STATUS_UNSUPPORTED,
                                     "a function uses '%s', a placed value of the computation "
                                     "being split; pass it to the function as an argument instead",
                                     c->name);
        v.open = s->count != before; /* it uses local let bindings */
        break;
    }
    case FEDC_NODE_SELECTION:
        if ((st = analyze(s, n->a[0], sc, &p)) < 0) return st;
        v.open = get(s, n->a[0])->open;
        break;
    case FEDC_NODE_STRUCT:
        for (size_t i = 0; i < n->n; i++) {
            phase q;
            if ((st = analyze(s, n->items[i], sc, &q)) < 0) return st;
            p = max_phase(p, q);
            v.open = v.open || get(s, n->items[i])->open;
        }
        break;
    case FEDC_NODE_CALL:
        if ((st = analyze_call(s, n, sc, &p, &v.open)) < 0) return st;
        break;
    case FEDC_NODE_BLOCK: {
        const scope *cur = sc;
        for (size_t i = 0; i < n->n; i++) {
            const char *name = n->names[i];
            for (const binding *b = s->first; b; b = b->next)
                if (strcmp(b->name, name) == 0)
                    return fedc__node_errorf(s->ctx, n->items[i], FEDC_STATUS_UNSUPPORTED,
                                             "'%s' is bound twice; give each let binding its "
                                             "own name to split the computation",
                                             name);
            if (is_reserved(name))
                return fedc__node_errorf(s->ctx, n->items[i], FEDC_STATUS_UNSUPPORTED,
                                         "'%s' is the name of a parameter of the form's parts; "
                                         "rename the binding",
                                         name);
            phase q;
            if ((st = analyze(s, n->items[i], cur, &q)) < 0) return st;
            binding *b = fedc_arena_calloc(s->tmp, 1, sizeof *b, 0);
            scope *e = fedc_arena_calloc(s->tmp, 1, sizeof *e, 0);
            if (!b || !e) return oom(s);
            *b = (binding){name, n->items[i], q, {NULL}, NULL};
            if (s->last)
                s->last->next = b;
            else
                s->first = b;
            s->last = b;
            *e = (scope){name, RES_BINDING, b, cur};
            cur = e;
        }
        if ((st = analyze(s, n->a[0], cur, &p)) < 0) return st;
        v.open = true;
        break;
    }
    }
    v.ph = p;
    if ((st = put(s, n, v)) < 0) return st;
    *out = p;
    return FEDC_STATUS_OK;
}

/* ---- copying into the parts ---- */

static fedc_status push(splitter *s, list *l, fedc_node *node, const fedc_type *type,
                        size_t *index) {
    if (!node) return oom(s);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        fedc_node **items = fedc_arena_calloc(s->tmp, cap, sizeof *items, 0);
        const fedc_type **types = fedc_arena_calloc(s->tmp, cap, sizeof *types, 0);
        if (!items || !types) return oom(s);
        if (l->n) {
            memcpy(items, l->items, l->n * sizeof *items);
            memcpy(types, l->types, l->n * sizeof *types);
        }
        l->items = items;
        l->types = types;
        l->cap = cap;
    }
    l->items[l->n] = node;
    l->types[l->n] = type;
    *index = l->n++;
    return FEDC_STATUS_OK;
}

static fedc_node *param_item(splitter *s, const char *param, size_t index) {
    return fedc_node_select_index(s->out, fedc_node_reference(s->out, param), (int64_t)index);
}

static fedc_status emit(splitter *s, const fedc_node *n, int cx, fedc_node **out);

/* A server value the aggregation or the result needs: computed by server_prepare, handed on as
 * intermediate state. */
static fedc_status export_intermediate(splitter *s, const fedc_node *n, fedc_node **out) {
    fedc_node *v;
    size_t k;
    fedc_status st = emit(s, n, CTX_PREPARE, &v);
    if (st < 0 || (st = push(s, &s->inter, v, n->type, &k)) < 0) return st;
    *out = param_item(s, "intermediate_state", k);
    return *out ? FEDC_STATUS_OK : oom(s);
}

/* One argument of an aggregation, as the aggregation part sees it. */
static fedc_status aggregation_item(splitter *s, const fedc_node *n, fedc_node **out) {
    const info *i = get(s, n);
    if (i->ph == PH_CLIENT || i->ph == PH_BROADCAST) {
        fedc_node *v;
        size_t k;
        fedc_status st = emit(s, n, CTX_CLIENT, &v);
        if (st < 0 || (st = push(s, &s->client_out, v, n->type, &k)) < 0) return st;
        *out = param_item(s, "client_results", k);
        return *out ? FEDC_STATUS_OK : oom(s);
    }
    if (i->ph == PH_LOCAL) /* functions and zeros, with the local bindings they use */
        return emit(s, n, CTX_AGGREGATE, out);
    return export_intermediate(s, n, out); /* server values */
}

static fedc_status cut_aggregation(splitter *s, const fedc_node *n, fedc_node **out) {
    const fedc_node *arg = n->a[1];
    fedc_node *a = NULL;
    fedc_status st = FEDC_STATUS_OK;
    if (arg->kind == FEDC_NODE_STRUCT) { /* item by item: functions and zeros stay here */
        fedc_node **items = fedc_arena_calloc(s->tmp, arg->n ? arg->n : 1, sizeof *items, 0);
        if (!items) return oom(s);
        for (size_t i = 0; i < arg->n && st >= 0; i++)
            st = aggregation_item(s, arg->items[i], &items[i]);
        if (st < 0) return st;
        a = fedc_node_struct(s->out, arg->n, items, arg->names);
    } else if ((st = aggregation_item(s, arg, &a)) < 0) {
        return st;
    }
    fedc_node *call = fedc_node_call(s->out, fedc_node_intrinsic(s->out, n->a[0]->intrinsic), a);
    size_t k;
    if ((st = push(s, &s->aggregations, call, n->type, &k)) < 0) return st;
    *out = param_item(s, "aggregates", k);
    return *out ? FEDC_STATUS_OK : oom(s);
}

static fedc_status cut_broadcast(splitter *s, const fedc_node *n, fedc_node **out) {
    fedc_node *v;
    size_t k;
    fedc_status st = emit(s, n->a[1], CTX_PREPARE, &v);
    if (st < 0 || (st = push(s, &s->bc_args, v, n->a[1]->type, &k)) < 0) return st;
    *out = param_item(s, "broadcast", k);
    return *out ? FEDC_STATUS_OK : oom(s);
}

static fedc_status emit_binding(splitter *s, binding *b, int cx) {
    if (b->emitted[cx]) return FEDC_STATUS_OK;
    return emit(s, b->value, cx, &b->emitted[cx]);
}

/* The local bindings a function uses, into part cx, where the function is copied as it is. */
static fedc_status emit_captured(splitter *s, const fedc_node *n, int cx) {
    if (!n) return FEDC_STATUS_OK;
    const info *i = n->kind == FEDC_NODE_REFERENCE ? find(s, n) : NULL;
    if (i && i->res == RES_BINDING) return emit_binding(s, i->b, cx);
    fedc_status st = FEDC_STATUS_OK;
    for (int k = 0; k < 2 && st >= 0; k++)
        st = emit_captured(s, n->a[k], cx);
    for (size_t k = 0;
         (n->kind == FEDC_NODE_STRUCT || n->kind == FEDC_NODE_BLOCK) && k < n->n && st >= 0; k++)
        st = emit_captured(s, n->items[k], cx);
    return st;
}

/* The copy of n in part cx (*out, in the output module): a node of an earlier phase becomes a
 * reference to what an earlier part hands on (a cut: a broadcast, an aggregation, intermediate
 * state), one that cannot be in cx is refused with its position, the rest is copied with its
 * children copied the same way. */
static fedc_status emit(splitter *s, const fedc_node *n, int cx, fedc_node **out) {
    *out = NULL;
    const info *i = get(s, n);
    phase ph = i->ph;
    fedc_status st;
    fedc_intrinsic in;
    if (cx == CTX_RESULT) {
        if (ph == PH_PREPARE) return export_intermediate(s, n, out);
        if (ph == PH_CLIENT || ph == PH_BROADCAST)
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "a value placed at CLIENTS reaches the server's result "
                                     "without an aggregation");
        if (intrinsic_call(n, &in) && is_aggregation(in)) return cut_aggregation(s, n, out);
    } else if (cx == CTX_CLIENT) {
        if (ph >= PH_AGGREGATE || ph == PH_PREPARE)
            return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                     "the clients' work uses a value of the server's (%s) that "
                                     "no broadcast sends",
                                     ph == PH_PREPARE ? "its input" : "an aggregate");
        if (intrinsic_call(n, &in) && in == FEDC_INTRINSIC_FEDERATED_BROADCAST)
            return cut_broadcast(s, n, out);
    } else if (cx == CTX_AGGREGATE ? ph != PH_LOCAL : ph > PH_PREPARE) {
        return fedc__node_errorf(s->ctx, n, FEDC_STATUS_UNSUPPORTED,
                                 "the server's preparation needs a value of a later phase");
    }
    /* copy the node itself, its children in the same part */
    switch (n->kind) {
    case FEDC_NODE_REFERENCE:
        if (i->res == RES_SERVER_PARAM || i->res == RES_CLIENT_PARAM) {
            const char *p = i->res == RES_SERVER_PARAM ? "server_state" : "client_data";
            *out = fedc_node_select_name(s->out, fedc_node_reference(s->out, p), n->name);
        } else if (i->res == RES_BINDING) {
            if ((st = emit_binding(s, i->b, cx)) < 0) return st;
            *out = fedc_node_reference(s->out, n->name);
        } else {
            *out = fedc_node_reference(s->out, n->name);
        }
        break;
    case FEDC_NODE_SELECTION: {
        fedc_node *src;
        if ((st = emit(s, n->a[0], cx, &src)) < 0) return st;
        *out = n->name ? fedc_node_select_name(s->out, src, n->name)
                       : fedc_node_select_index(s->out, src, n->index);
        break;
    }
    case FEDC_NODE_STRUCT: {
        fedc_node **items = fedc_arena_calloc(s->tmp, n->n ? n->n : 1, sizeof *items, 0);
        if (!items) return oom(s);
        for (size_t k = 0; k < n->n; k++)
            if ((st = emit(s, n->items[k], cx, &items[k])) < 0) return st;
        *out = fedc_node_struct(s->out, n->n, items, n->names);
        break;
    }
    case FEDC_NODE_CALL: {
        fedc_node *f, *a = NULL;
        if ((st = emit(s, n->a[0], cx, &f)) < 0) return st;
        if (n->a[1] && (st = emit(s, n->a[1], cx, &a)) < 0) return st;
        *out = n->a[1] ? fedc_node_call(s->out, f, a) : fedc_node_call0(s->out, f);
        break;
    }
    case FEDC_NODE_BLOCK: /* its bindings are hoisted into the part's own block */
        return emit(s, n->a[0], cx, out);
    case FEDC_NODE_LAMBDA:
        if (i->open && (st = emit_captured(s, n, cx)) < 0) return st;
        *out = fedc_node_clone(s->out, n);
        break;
    default: *out = fedc_node_clone(s->out, n); break;
    }
    return *out ? FEDC_STATUS_OK : oom(s);
}

/* ---- assembling the module ---- */

/* The struct of the exports' (checked) types, copied into the output module's arena. */
static const fedc_type *list_type(splitter *s, const list *l) {
    fedc_type_field *f = fedc_arena_calloc(s->tmp, l->n ? l->n : 1, sizeof *f, 0);
    if (!f) return NULL;
    for (size_t i = 0; i < l->n; i++)
        f[i].type = l->types[i];
    return fedc_type_clone(fedc_comp_arena(s->out), fedc_type_struct(s->tmp, l->n, f));
}

static fedc_node *list_struct(splitter *s, const list *l) {
    return fedc_node_struct(s->out, l->n, l->items, NULL);
}

/* let <the bindings emitted in part cx, in their original order> in body */
static fedc_node *with_bindings(splitter *s, int cx, fedc_node *body) {
    size_t n = 0;
    for (const binding *b = s->first; b; b = b->next)
        n += b->emitted[cx] != NULL;
    if (!n || !body) return body;
    const char **names = fedc_arena_calloc(s->tmp, n, sizeof *names, 0);
    fedc_node **values = fedc_arena_calloc(s->tmp, n, sizeof *values, 0);
    if (!names || !values) return NULL;
    size_t k = 0;
    for (const binding *b = s->first; b; b = b->next)
        if (b->emitted[cx]) {
            names[k] = b->name;
            values[k++] = b->emitted[cx];
        }
    return fedc_node_block(s->out, n, names, values, body);
}

/* The struct type of the parameters of `fn` placed at p, fields named as the parameters. */
static const fedc_type *params_type(splitter *s, const fedc_node *fn, fedc_placement p) {
    fedc_type_field *f = fedc_arena_calloc(s->tmp, fn->n ? fn->n : 1, sizeof *f, 0);
    if (!f) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < fn->n; i++)
        if (fn->params[i].type->placement == p)
            f[k++] = (fedc_type_field){fn->params[i].name, fn->params[i].type};
    return fedc_type_clone(fedc_comp_arena(s->out), fedc_type_struct(s->tmp, k, f));
}

/* daf_inputs = (the original's parameters -> <server_state=<...>, client_data=<...>>) */
static fedc_node *inputs_def(splitter *s, const fedc_node *fn) {
    fedc_node *groups[2];
    for (int g = 0; g < 2; g++) {
        fedc_placement p = g ? FEDC_PLACEMENT_CLIENTS : FEDC_PLACEMENT_SERVER;
        fedc_node **items = fedc_arena_calloc(s->tmp, fn->n ? fn->n : 1, sizeof *items, 0);
        const char **names = fedc_arena_calloc(s->tmp, fn->n ? fn->n : 1, sizeof *names, 0);
        if (!items || !names) return NULL;
        size_t k = 0;
        for (size_t i = 0; i < fn->n; i++)
            if (fn->params[i].type->placement == p) {
                names[k] = fn->params[i].name;
                items[k++] = fedc_node_reference(s->out, fn->params[i].name);
            }
        groups[g] = fedc_node_struct(s->out, k, items, names);
    }
    fedc_param *params = fedc_arena_calloc(s->tmp, fn->n ? fn->n : 1, sizeof *params, 0);
    if (!params) return NULL;
    for (size_t i = 0; i < fn->n; i++)
        params[i] = (fedc_param){fn->params[i].name,
                                 fedc_type_clone(fedc_comp_arena(s->out), fn->params[i].type)};
    static const char *const group_names[2] = {"server_state", "client_data"};
    return fedc_node_lambda(s->out, fn->n, params,
                            fedc_node_struct(s->out, 2, groups, group_names));
}

static fedc_node *lambda1(splitter *s, const char *name, const fedc_type *t, fedc_node *body) {
    fedc_param p = {name, t};
    return t ? fedc_node_lambda(s->out, 1, &p, body) : NULL;
}

static fedc_node *lambda2(splitter *s, const char *a, const fedc_type *ta, const char *b,
                          const fedc_type *tb, fedc_node *body) {
    fedc_param p[2] = {{a, ta}, {b, tb}};
    return ta && tb ? fedc_node_lambda(s->out, 2, p, body) : NULL;
}

static fedc_status build(splitter *s, const fedc_node *fn) {
    fedc_arena *ar = fedc_comp_arena(s->out);
    fedc_node *result;
    fedc_status st = emit(s, fn->a[0], CTX_RESULT, &result);
    if (st < 0) return st;
    const fedc_type *state_t = params_type(s, fn, FEDC_PLACEMENT_SERVER);
    const fedc_type *data_t = params_type(s, fn, FEDC_PLACEMENT_CLIENTS);
    const fedc_type *bc_in_t = list_type(s, &s->bc_args);
    const fedc_type *inter_t = list_type(s, &s->inter);
    const fedc_type *client_t = list_type(s, &s->client_out);
    const fedc_type *agg_t = list_type(s, &s->aggregations);
    /* what the clients receive: each broadcast input, all-equal at CLIENTS */
    fedc_type_field *bf = fedc_arena_calloc(s->tmp, s->bc_args.n ? s->bc_args.n : 1, sizeof *bf, 0);
    fedc_node **bcalls =
        fedc_arena_calloc(s->tmp, s->bc_args.n ? s->bc_args.n : 1, sizeof *bcalls, 0);
    if (!bf || !bcalls) return oom(s);
    for (size_t i = 0; i < s->bc_args.n; i++) {
        bf[i].type = fedc_type_federated(ar, fedc_type_clone(ar, s->bc_args.types[i]->element),
                                         FEDC_PLACEMENT_CLIENTS, true);
        bcalls[i] =
            fedc_node_call(s->out, fedc_node_intrinsic(s->out, FEDC_INTRINSIC_FEDERATED_BROADCAST),
                           param_item(s, "broadcast_input", i));
    }
    const fedc_type *bc_out_t = fedc_type_struct(ar, s->bc_args.n, bf);
    static const char *const prep_names[2] = {"broadcast_input", "intermediate_state"};
    fedc_node *prep_body = fedc_node_struct(
        s->out, 2, (fedc_node *[]){list_struct(s, &s->bc_args), list_struct(s, &s->inter)},
        prep_names);
    fedc_node *defs[6] = {
        inputs_def(s, fn),
        lambda1(s, "server_state", state_t, with_bindings(s, CTX_PREPARE, prep_body)),
        lambda1(s, "broadcast_input", bc_in_t,
                fedc_node_struct(s->out, s->bc_args.n, bcalls, NULL)),
        lambda2(s, "client_data", data_t, "broadcast", bc_out_t,
                with_bindings(s, CTX_CLIENT, list_struct(s, &s->client_out))),
        lambda2(s, "intermediate_state", inter_t, "client_results", client_t,
                with_bindings(s, CTX_AGGREGATE, list_struct(s, &s->aggregations))),
        lambda2(s, "intermediate_state", inter_t, "aggregates", agg_t,
                with_bindings(s, CTX_RESULT, result)),
    };
    for (int i = 0; i < 6; i++)
        if ((st = fedc_comp_define(s->ctx, s->out, k_parts[i], defs[i])) < 0) return st;
    return FEDC_STATUS_OK;
}

/* The definition's parameters must each be placed: at SERVER (the server's state and inputs)
 * or at CLIENTS (their data). */
static fedc_status check_signature(splitter *s, const fedc_def *d) {
    const fedc_node *fn = d->node;
    if (fn->kind != FEDC_NODE_LAMBDA)
        return fedc__node_errorf(s->ctx, fn, FEDC_STATUS_UNSUPPORTED,
                                 "'%s' is not a function (written as a lambda) to split", d->name);
    for (size_t i = 0; i < fn->n; i++) {
        const fedc_type *t = fn->params[i].type;
        if (t->kind != FEDC_TYPE_FEDERATED) {
            char ts[128];
            fedc_type_format(t, ts, sizeof ts);
            return fedc__node_errorf(s->ctx, fn, FEDC_STATUS_UNSUPPORTED,
                                     "parameter '%s' of '%s' has type %s: each parameter must "
                                     "be placed at SERVER or CLIENTS",
                                     fn->params[i].name, d->name, ts);
        }
        if (is_reserved(fn->params[i].name))
            return fedc__node_errorf(s->ctx, fn, FEDC_STATUS_UNSUPPORTED,
                                     "parameter '%s' has the name of a parameter of the form's "
                                     "parts; rename it",
                                     fn->params[i].name);
    }
    if (type_has_federated(fn->type->result) &&
        !placed_at(fn->type->result, FEDC_PLACEMENT_SERVER)) {
        const fedc_type *r = fn->type->result;
        bool all_server = r->kind == FEDC_TYPE_STRUCT;
        for (size_t i = 0; all_server && i < r->nfields; i++)
            all_server = !type_has_federated(r->fields[i].type) ||
                         placed_at(r->fields[i].type, FEDC_PLACEMENT_SERVER);
        if (!all_server) {
            char ts[256];
            fedc_type_format(r, ts, sizeof ts);
            return fedc__node_errorf(s->ctx, fn->a[0], FEDC_STATUS_UNSUPPORTED,
                                     "the result of '%s' has type %s: a round ends with its "
                                     "results at the server",
                                     d->name, ts);
        }
    }
    return FEDC_STATUS_OK;
}

fedc_status fedc_comp_split_daf(fedc_ctx *ctx, const fedc_comp *checked, const char *name,
                                fedc_comp **out) {
    *out = NULL;
    const fedc_def *d = fedc_comp_lookup(checked, name);
    if (!d) return fedc_ctx_errorf(ctx, FEDC_STATUS_NOT_FOUND, "no definition '%s'", name);
    if (!d->node->type)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "'%s' is not checked (call fedc_comp_check first)", name);
    for (size_t i = 0; i < checked->ndefs; i++) {
        const char *dn = checked->defs[i].name;
        bool clash = is_reserved(dn);
        for (size_t k = 0; k < sizeof k_parts / sizeof k_parts[0]; k++)
            clash = clash || strcmp(dn, k_parts[k]) == 0;
        if (clash)
            return fedc_ctx_errorf(ctx, FEDC_STATUS_UNSUPPORTED,
                                   "%d:%d: the module defines '%s', a name the split form uses; "
                                   "rename it",
                                   checked->defs[i].line, checked->defs[i].col, dn);
    }
    splitter s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    fedc_status st = fedc_arena_create(ctx, 0, &s.tmp);
    if (st < 0) return st;
    if ((st = fedc_comp_create(ctx, &s.out)) < 0) goto done;
    if ((st = check_signature(&s, d)) < 0) goto done;
    /* the definitions before it, which it may use, come along unchanged */
    for (size_t i = 0; i < checked->ndefs && &checked->defs[i] != d && st >= 0; i++)
        st = fedc_comp_define(ctx, s.out, checked->defs[i].name,
                              fedc_node_clone(s.out, checked->defs[i].node));
    if (st < 0) goto done;
    const fedc_node *fn = d->node;
    const scope *sc = NULL;
    scope *params = fedc_arena_calloc(s.tmp, fn->n ? fn->n : 1, sizeof *params, 0);
    if (!params) {
        st = oom(&s);
        goto done;
    }
    for (size_t i = 0; i < fn->n; i++) {
        bool server = fn->params[i].type->placement == FEDC_PLACEMENT_SERVER;
        params[i] =
            (scope){fn->params[i].name, server ? RES_SERVER_PARAM : RES_CLIENT_PARAM, NULL, sc};
        sc = &params[i];
    }
    phase body;
    if ((st = analyze(&s, fn->a[0], sc, &body)) < 0 || (st = build(&s, fn)) < 0) goto done;
    if ((st = fedc_comp_check(ctx, s.out)) < 0) {
        fedc_ctx_prefixf(ctx, "the split of '%s' does not check (a defect of the split)", name);
        goto done;
    }
    *out = s.out;
    s.out = NULL;
done:
    fedc_comp_destroy(s.out);
    fedc_free(s.infos);
    fedc_arena_destroy(s.tmp);
    return st;
}
