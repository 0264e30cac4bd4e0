/* cmd_run.c — `fedc run FILE [--arg NAME=VALUE]...`: runs a definition of a computation file on
 * arguments given as text literals or client data files, and prints the result. It binds the
 * command line to the public API only; it must not evaluate anything itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "fedc/core_data.h"
#include "fedc/fedc.h"

static const char *const k_help =
    "usage: fedc run FILE [--def NAME] [--arg NAME=VALUE]... [--threads N] [--preprocess P]\n"
    "                [--clients N]\n"
    "\n"
    "Type-checks the module in FILE and runs definition NAME (default: main) on the arguments,\n"
    "then prints the result.\n"
    "\n"
    "  --arg NAME=VALUE  the parameter NAME of the definition's lambda. VALUE is either a literal\n"
    "                    of the text syntax (1.5, [1, 2], <a=1, b=2.0>), placed as the "
    "parameter's\n"
    "                    type says (a {T}@CLIENTS parameter takes a list: one element per "
    "client),\n"
    "                    or client data PATH:SPLIT (a TFF SQLite file; PATH.json for LEAF JSON)\n"
    "                    for a {T*}@CLIENTS parameter\n"
    "  --preprocess P    how client data examples are read: none (as stored, default), emnist\n"
    "                    (<x=float32[28,28,1],y=int32>), emnist-flat (x: float32[784]),\n"
    "                    shakespeare (<x=int32[80],y=int32[80]>)\n"
    "  --clients N       use only the first N clients of the client data\n"
    "  --threads N       1 (default): the reference executor; N > 1: the threaded executor on N\n"
    "                    threads (0: one per processor); results are bit-identical\n"
    "\n"
    "example:\n"
    "  fedc run examples/analytics_mean.fc \\\n"
    "      --arg clients=../shared/data/tff-sqlite/emnist_sample.sqlite:digits_only_train \\\n"
    "      --preprocess emnist --threads 4\n";

typedef struct run_opts {
    const char *path, *def, *preprocess;
    const char *names[32], *values[32];
    int nargs, threads;
    long long max_clients;
} run_opts;

/* What a run holds, freed together. */
typedef struct run_state {
    fedc_ctx *ctx;
    fedc_client_data *data[32]; /* client data opened for arguments, and their views */
    int ndata;
    const char **ids; /* of the (single) client data argument, for messages */
    int64_t num_clients;
} run_state;

static int usage(const char *fmt, const char *what) {
    fprintf(stderr, "fedc run: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see 'fedc run --help')\n");
    return FEDC_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, run_opts *o, bool *help) {
    memset(o, 0, sizeof *o);
    o->def = "main";
    o->preprocess = "none";
    o->threads = 1;
    o->max_clients = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *help = true;
            return FEDC_EXIT_OK;
        }
        bool takes = !strcmp(a, "--arg") || !strcmp(a, "--def") || !strcmp(a, "--threads") ||
                     !strcmp(a, "--preprocess") || !strcmp(a, "--clients");
        if (takes && i + 1 >= argc) return usage("%s needs a value", a);
        if (!strcmp(a, "--arg")) {
            const char *v = argv[++i], *eq = strchr(v, '=');
            if (!eq || eq == v) return usage("--arg wants NAME=VALUE, got '%s'", v);
            if (o->nargs == 32) return usage("%s", "too many --arg");
            o->names[o->nargs] = v;
            o->values[o->nargs++] = eq + 1;
        } else if (!strcmp(a, "--def")) {
            o->def = argv[++i];
        } else if (!strcmp(a, "--preprocess")) {
            o->preprocess = argv[++i];
            if (strcmp(o->preprocess, "none") && strcmp(o->preprocess, "emnist") &&
                strcmp(o->preprocess, "emnist-flat") && strcmp(o->preprocess, "shakespeare"))
                return usage("unknown --preprocess '%s' (none, emnist, emnist-flat, shakespeare)",
                             o->preprocess);
        } else if (!strcmp(a, "--threads") || !strcmp(a, "--clients")) {
            const char *v = argv[++i];
            char *end;
            long long n = strtoll(v, &end, 10);
            if (!*v || *end || n < 0 || n > 4096 * (a[2] == 't' ? 1 : 1000000LL))
                return usage("bad number '%s'", v);
            if (a[2] == 't')
                o->threads = (int)n;
            else
                o->max_clients = n;
        } else if (a[0] == '-' || o->path) {
            return usage("unexpected argument '%s'", a);
        } else {
            o->path = a;
        }
    }
    if (!o->path) return usage("%s", "missing FILE");
    return FEDC_EXIT_OK;
}

static fedc_status preprocess_fn(fedc_ctx *ctx, void *user, fedc_dataset *in, fedc_dataset **out) {
    const char *p = user;
    if (!strcmp(p, "shakespeare")) return fedc_dataset_shakespeare_preprocess(ctx, in, 80, out);
    return fedc_dataset_emnist_preprocess(ctx, in, !strcmp(p, "emnist-flat"), out);
}

/* PATH:SPLIT (or PATH.json) as a {T*}@CLIENTS value. */
static fedc_status client_data_value(run_state *rs, const run_opts *o, const char *spec,
                                     fedc_value **out) {
    fedc_ctx *ctx = rs->ctx;
    char path[4096];
    const char *colon = strrchr(spec, ':');
    size_t plen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (plen >= sizeof path) return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "long path");
    memcpy(path, spec, plen);
    path[plen] = '\0';
    fedc_client_data *cd = NULL;
    fedc_status st;
    if (plen > 5 && !strcmp(path + plen - 5, ".json")) {
        st = fedc_client_data_open_leaf(ctx, path, &cd);
    } else {
        fedc_sqlite_opts so = fedc_sqlite_opts_default();
        so.split_name = colon && colon[1] ? colon + 1 : NULL;
        st = fedc_client_data_open_sqlite(ctx, path, &so, &cd);
    }
    if (st < 0) return st;
    rs->data[rs->ndata++] = cd;
    if (o->max_clients >= 0 && o->max_clients < fedc_client_data_num_clients(cd)) {
        int64_t *idx = malloc((size_t)(o->max_clients ? o->max_clients : 1) * sizeof *idx);
        if (!idx) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
        for (int64_t i = 0; i < o->max_clients; i++)
            idx[i] = i;
        st = fedc_client_data_subset(ctx, cd, idx, o->max_clients, &cd);
        free(idx);
        if (st < 0) return st;
        rs->data[rs->ndata++] = cd;
    }
    if (strcmp(o->preprocess, "none")) {
        if ((st = fedc_client_data_preprocess(ctx, cd, preprocess_fn, (void *)o->preprocess, &cd)) <
            0)
            return st;
        rs->data[rs->ndata++] = cd;
    }
    if (!rs->ids) {
        if ((st = fedc_client_data_id_array(ctx, cd, &rs->ids)) < 0) return st;
        rs->num_clients = fedc_client_data_num_clients(cd);
    }
    return fedc_value_clients_sequences(ctx, cd, out);
}

/* A literal's value: the text is parsed as the module `v = TEXT` and evaluated. */
static fedc_status literal_value(fedc_ctx *ctx, const char *text, fedc_value **out) {
    size_t n = strlen(text);
    char *src = malloc(n + 8);
    if (!src) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(src, "v = ", 4);
    memcpy(src + 4, text, n + 1);
    fedc_comp *c = NULL;
    fedc_status st = fedc_comp_parse(ctx, "literal", src, &c);
    free(src);
    if (st >= 0) st = fedc_comp_check(ctx, c);
    if (st >= 0) st = fedc_exec_run(ctx, c, "v", NULL, NULL, out);
    fedc_comp_destroy(c);
    return st;
}

/* Places a plain value as the federated type t says: T@SERVER and T@CLIENTS wrap it; {T}@CLIENTS
 * splits a tensor along its first axis (or takes a struct's items), one per client. */
static fedc_status place(fedc_ctx *ctx, const fedc_type *t, fedc_value *v, fedc_value **out) {
    *out = NULL;
    if (t->kind != FEDC_TYPE_FEDERATED || fedc_value_get_kind(v) == FEDC_VALUE_FEDERATED) {
        *out = fedc_value_retain(v);
        return FEDC_STATUS_OK;
    }
    if (t->all_equal) return fedc_value_federated(ctx, t->placement, true, 1, &v, out);
    if (fedc_value_get_kind(v) == FEDC_VALUE_STRUCT) {
        size_t n = fedc_value_size(v);
        fedc_value **items = calloc(n ? n : 1, sizeof *items);
        if (!items) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
        for (size_t i = 0; i < n; i++)
            items[i] = fedc_value_item(v, i);
        fedc_status st = fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, n, items, out);
        free(items);
        return st;
    }
    const fedc_tensor *x = fedc_value_get_tensor(v);
    if (!x || x->shape.rank < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_TYPE,
                               "a per-client argument takes a list (one element per client)");
    int64_t n = x->shape.dims[0];
    fedc_shape rs = fedc_shape_make(x->shape.rank - 1, x->shape.dims + 1);
    size_t row = n ? fedc_tensor_nbytes(x) / (size_t)n : 0;
    fedc_value **items = calloc(n ? (size_t)n : 1, sizeof *items);
    if (!items) return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory");
    fedc_status st = FEDC_STATUS_OK;
    for (int64_t i = 0; i < n && st >= 0; i++) {
        fedc_tensor r = fedc_tensor_view(x->dtype, &rs, (char *)x->data + (size_t)i * row);
        st = fedc_value_tensor(ctx, &r, &items[i]);
    }
    if (st >= 0)
        st = fedc_value_federated(ctx, FEDC_PLACEMENT_CLIENTS, false, (size_t)n, items, out);
    for (int64_t i = 0; i < n; i++)
        fedc_value_release(items[i]);
    free(items);
    return st;
}

/* The value of parameter `name` of type t from the --arg list. */
static fedc_status arg_value(run_state *rs, const run_opts *o, const char *name, const fedc_type *t,
                             fedc_value **out) {
    for (int i = 0; i < o->nargs; i++) {
        size_t len = (size_t)(o->values[i] - 1 - o->names[i]);
        if (strlen(name) != len || strncmp(name, o->names[i], len)) continue;
        const char *v = o->values[i];
        bool is_data = t->kind == FEDC_TYPE_FEDERATED && t->element->kind == FEDC_TYPE_SEQUENCE &&
                       (strstr(v, ".sqlite") || strstr(v, ".json") || strstr(v, ".db"));
        if (is_data) return client_data_value(rs, o, v, out);
        fedc_value *lit;
        fedc_status st = literal_value(rs->ctx, v, &lit);
        if (st < 0) return fedc_ctx_prefixf(rs->ctx, "--arg %s", name);
        st = place(rs->ctx, t, lit, out);
        fedc_value_release(lit);
        return st < 0 ? fedc_ctx_prefixf(rs->ctx, "--arg %s", name) : st;
    }
    return fedc_ctx_errorf(rs->ctx, FEDC_STATUS_INVALID_ARGUMENT,
                           "missing --arg %s=VALUE (the parameter's type is given by 'fedc check')",
                           name);
}

/* The definition's argument from the --arg list: one value for a one-parameter lambda, a struct
 * of them for several. */
static fedc_status build_arg(run_state *rs, const run_opts *o, const fedc_def *d,
                             fedc_value **out) {
    *out = NULL;
    const fedc_node *l = d->node;
    if (!l->type->param) {
        if (o->nargs)
            return fedc_ctx_errorf(rs->ctx, FEDC_STATUS_INVALID_ARGUMENT, "'%s' takes no argument",
                                   o->def);
        return FEDC_STATUS_OK;
    }
    if (l->kind != FEDC_NODE_LAMBDA)
        return fedc_ctx_errorf(rs->ctx, FEDC_STATUS_UNSUPPORTED,
                               "'%s' is not a lambda: its parameters have no names", o->def);
    for (int i = 0; i < o->nargs; i++) {
        bool known = false;
        size_t len = (size_t)(o->values[i] - 1 - o->names[i]);
        for (size_t k = 0; k < l->n; k++)
            known |=
                strlen(l->params[k].name) == len && !strncmp(l->params[k].name, o->names[i], len);
        if (!known)
            return fedc_ctx_errorf(rs->ctx, FEDC_STATUS_INVALID_ARGUMENT,
                                   "'%s' has no parameter '%.*s'", o->def, (int)len, o->names[i]);
    }
    if (l->n == 1) return arg_value(rs, o, l->params[0].name, l->params[0].type, out);
    fedc_value *items[32] = {0};
    const char *names[32];
    fedc_status st =
        l->n <= 32 ? FEDC_STATUS_OK
                   : fedc_ctx_errorf(rs->ctx, FEDC_STATUS_UNSUPPORTED, "more than 32 parameters");
    for (size_t k = 0; k < l->n && st >= 0; k++) {
        names[k] = l->params[k].name;
        st = arg_value(rs, o, names[k], l->params[k].type, &items[k]);
    }
    if (st >= 0) st = fedc_value_struct(rs->ctx, l->n, items, names, out);
    for (size_t k = 0; k < l->n && k < 32; k++)
        fedc_value_release(items[k]);
    return st;
}

int fedc_cmd_run(int argc, char **argv) {
    run_opts o;
    bool help = false;
    int rc = parse_args(argc, argv, &o, &help);
    if (help) {
        fputs(k_help, stdout);
        return FEDC_EXIT_OK;
    }
    if (rc != FEDC_EXIT_OK) return rc;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    if (fedc_ctx_create(&rs.ctx) < 0) return FEDC_EXIT_FAILURE;
    fedc_comp *comp = NULL;
    fedc_pool *pool = NULL;
    fedc_value *arg = NULL, *result = NULL;
    char *text = NULL;
    rc = fedc_cmd_load_module("run", o.path, true, rs.ctx, &comp);
    if (rc != FEDC_EXIT_OK) goto done;
    const fedc_def *d = fedc_comp_lookup(comp, o.def);
    if (!d) {
        fprintf(stderr, "fedc run: %s has no definition '%s'\n", o.path, o.def);
        rc = FEDC_EXIT_USAGE;
        goto done;
    }
    fedc_status st = build_arg(&rs, &o, d, &arg);
    if (st == FEDC_STATUS_INVALID_ARGUMENT) {
        fprintf(stderr, "fedc run: %s\n", fedc_ctx_message(rs.ctx));
        rc = FEDC_EXIT_USAGE;
        goto done;
    }
    if (st >= 0 && o.threads != 1) st = fedc_pool_create(rs.ctx, o.threads, &pool);
    if (st >= 0) {
        fedc_exec_opts eo = fedc_exec_opts_default();
        eo.pool = pool;
        eo.client_ids = rs.ids;
        eo.num_clients = rs.ids ? rs.num_clients : 0;
        st = fedc_exec_run(rs.ctx, comp, o.def, arg, &eo, &result);
    }
    if (st >= 0) st = fedc_value_print(rs.ctx, result, &text);
    if (st < 0) {
        fprintf(stderr, "fedc run: %s\n", fedc_ctx_message(rs.ctx));
        rc = FEDC_EXIT_FAILURE;
    } else {
        printf("%s\n", text);
    }
done:
    fedc_free(text);
    fedc_value_release(result);
    fedc_value_release(arg);
    fedc_pool_destroy(pool);
    fedc_comp_destroy(comp);
    for (int i = rs.ndata - 1; i >= 0; i--)
        fedc_client_data_destroy(rs.data[i]);
    fedc_free(rs.ids);
    fedc_ctx_destroy(rs.ctx);
    return rc;
}
