/* comp_print.c — the canonical text of computations: one `name = expr` line per definition,
 * every lambda and block in parentheses, so parsing the text gives an equal module. Printing
 * allocates only the output string.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"

static void write_scalar(fedc__sb *sb, fedc_dtype dt, const fedc_tensor *t, int64_t i) {
    double v = fedc_tensor_get_flat(t, i);
    switch (dt) {
    case FEDC_DTYPE_FLOAT32:
    case FEDC_DTYPE_FLOAT64: {
        if (isnan(v)) {
            fedc__sb_puts(sb, "nan");
            return;
        }
        if (isinf(v)) {
            fedc__sb_puts(sb, v < 0 ? "-inf" : "inf");
            return;
        }
        char buf[64];
        /* enough digits that the text parses back to the same bits */
        snprintf(buf, sizeof buf, dt == FEDC_DTYPE_FLOAT32 ? "%.9g" : "%.17g", v);
        if (dt == FEDC_DTYPE_FLOAT32) {
            /* the shortest of %.6g .. %.9g that round-trips, for readable literals */
            for (int prec = 6; prec < 9; prec++) {
                char s[64];
                snprintf(s, sizeof s, "%.*g", prec, v);
                if ((float)strtod(s, NULL) == (float)v) {
                    memcpy(buf, s, sizeof s);
                    break;
                }
            }
        } else {
            for (int prec = 15; prec < 17; prec++) {
                char s[64];
                snprintf(s, sizeof s, "%.*g", prec, v);
                if (strtod(s, NULL) == v) {
                    memcpy(buf, s, sizeof s);
                    break;
                }
            }
        }
        fedc__sb_puts(sb, buf);
        if (!strpbrk(buf, ".e")) fedc__sb_puts(sb, ".0");
        return;
    }
    case FEDC_DTYPE_BOOL: fedc__sb_puts(sb, v != 0 ? "true" : "false"); return;
    default: break;
    }
    /* integers: exact through int64 (fedc_tensor_get_flat goes through double, so read raw) */
    long long iv;
    const void *p = (const char *)t->data + (size_t)i * fedc_dtype_size(dt);
    switch (dt) {
    case FEDC_DTYPE_INT32: iv = *(const int32_t *)p; break;
    case FEDC_DTYPE_INT64: iv = *(const int64_t *)p; break;
    case FEDC_DTYPE_UINT8: iv = *(const uint8_t *)p; break;
    default: iv = (long long)v; break;
    }
    fedc__sb_printf(sb, "%lld", iv);
}

static void write_array(fedc__sb *sb, const fedc_tensor *t, int axis, int64_t *flat) {
    if (axis == t->shape.rank) {
        write_scalar(sb, t->dtype, t, (*flat)++);
        return;
    }
    fedc__sb_puts(sb, "[");
    for (int64_t i = 0; i < t->shape.dims[axis]; i++) {
        if (i) fedc__sb_puts(sb, ", ");
        write_array(sb, t, axis + 1, flat);
    }
    fedc__sb_puts(sb, "]");
}

void fedc__literal_write(fedc__sb *sb, const fedc_tensor *t) {
    /* float32, int32 and bool are the bare literals' dtypes; others are spelled out */
    bool bare = t->dtype == FEDC_DTYPE_FLOAT32 || t->dtype == FEDC_DTYPE_INT32 ||
                t->dtype == FEDC_DTYPE_BOOL;
    if (!bare) {
        fedc__sb_puts(sb, fedc_dtype_name(t->dtype));
        fedc__sb_puts(sb, "(");
    }
    int64_t flat = 0;
    write_array(sb, t, 0, &flat);
    if (!bare) fedc__sb_puts(sb, ")");
}

static void write_node(fedc__sb *sb, const fedc_node *n);

/* A quoted string with " and \ escaped, as the lexer reads them back. */
static void write_quoted(fedc__sb *sb, const char *s) {
    fedc__sb_puts(sb, "\"");
    for (; *s; s++) {
        char c[3] = {'\\', *s, 0};
        fedc__sb_puts(sb, (*s == '"' || *s == '\\') ? c : c + 1);
    }
    fedc__sb_puts(sb, "\"");
}

static bool unnamed_struct(const fedc_node *n) {
    if (!n || n->kind != FEDC_NODE_STRUCT || n->n < 2) return false;
    for (size_t i = 0; n->names && i < n->n; i++)
        if (n->names[i]) return false;
    return true;
}

static void write_items(fedc__sb *sb, const fedc_node *s) {
    for (size_t i = 0; i < s->n; i++) {
        if (i) fedc__sb_puts(sb, ", ");
        if (s->names && s->names[i]) {
            fedc__sb_puts(sb, s->names[i]);
            fedc__sb_puts(sb, "=");
        }
        write_node(sb, s->items[i]);
    }
}

static void write_node(fedc__sb *sb, const fedc_node *n) {
    switch (n->kind) {
    case FEDC_NODE_REFERENCE:
    case FEDC_NODE_BUILTIN: fedc__sb_puts(sb, n->name); break;
    case FEDC_NODE_INTRINSIC: fedc__sb_puts(sb, fedc_intrinsic_name(n->intrinsic)); break;
    case FEDC_NODE_PLACEMENT: fedc__sb_puts(sb, fedc_placement_name(n->placement)); break;
    case FEDC_NODE_SELECTION:
        write_node(sb, n->a[0]);
        if (n->name) {
            fedc__sb_puts(sb, ".");
            fedc__sb_puts(sb, n->name);
        } else {
            fedc__sb_printf(sb, "[%lld]", (long long)n->index);
        }
        break;
    case FEDC_NODE_STRUCT:
        fedc__sb_puts(sb, "<");
        write_items(sb, n);
        fedc__sb_puts(sb, ">");
        break;
    case FEDC_NODE_CALL:
        write_node(sb, n->a[0]);
        fedc__sb_puts(sb, "(");
        /* builtins read as plain functions: add(x, y) rather than add(<x, y>) */
        if (n->a[0]->kind == FEDC_NODE_BUILTIN && unnamed_struct(n->a[1]))
            write_items(sb, n->a[1]);
        else if (n->a[1])
            write_node(sb, n->a[1]);
        fedc__sb_puts(sb, ")");
        break;
    case FEDC_NODE_LAMBDA:
        fedc__sb_puts(sb, "(");
        for (size_t i = 0; i < n->n; i++) {
            if (i) fedc__sb_puts(sb, ", ");
            fedc__sb_puts(sb, n->params[i].name);
            fedc__sb_puts(sb, ": ");
            fedc__type_write(sb, n->params[i].type);
        }
        fedc__sb_puts(sb, " -> ");
        write_node(sb, n->a[0]);
        fedc__sb_puts(sb, ")");
        break;
    case FEDC_NODE_BLOCK:
        fedc__sb_puts(sb, "(let ");
        for (size_t i = 0; i < n->n; i++) {
            if (i) fedc__sb_puts(sb, ", ");
            fedc__sb_puts(sb, n->names[i]);
            fedc__sb_puts(sb, " = ");
            write_node(sb, n->items[i]);
        }
        fedc__sb_puts(sb, " in ");
        write_node(sb, n->a[0]);
        fedc__sb_puts(sb, ")");
        break;
    case FEDC_NODE_LITERAL: fedc__literal_write(sb, &n->literal); break;
    case FEDC_NODE_NATIVE:
        fedc__sb_puts(sb, "native(");
        write_quoted(sb, n->name);
        fedc__sb_puts(sb, ": ");
        fedc__type_write(sb, n->declared);
        if (n->blob_size) {
            fedc__sb_puts(sb, ", \"");
            for (size_t i = 0; i < n->blob_size; i++)
                fedc__sb_printf(sb, "%02x", n->blob[i]);
            fedc__sb_puts(sb, "\"");
        }
        fedc__sb_puts(sb, ")");
        break;
    case FEDC_NODE_DATA:
        fedc__sb_puts(sb, "data(");
        write_quoted(sb, n->name);
        fedc__sb_puts(sb, ": ");
        fedc__type_write(sb, n->declared);
        fedc__sb_puts(sb, ")");
        break;
    }
}

static fedc_status finish(fedc_ctx *ctx, fedc__sb *sb, char **out) {
    if (!sb->oom && !sb->buf) { /* empty text */
        sb->buf = fedc_malloc(1);
        if (sb->buf)
            sb->buf[0] = '\0';
        else
            sb->oom = true;
    }
    if (sb->oom) {
        fedc_free(sb->buf);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory printing a computation (%zu bytes)", sb->len);
    }
    *out = sb->buf;
    return FEDC_STATUS_OK;
}

fedc_status fedc_node_print(fedc_ctx *ctx, const fedc_node *node, char **out) {
    *out = NULL;
    fedc__sb sb;
    fedc__sb_growing(&sb);
    write_node(&sb, node);
    return finish(ctx, &sb, out);
}

/* ---- the module printer: an expression that fits in the line stays on it; one that does not
 * is broken after its opening bracket, one element per line, indented by 4 ---- */

#define WIDTH 100

typedef struct pretty {
    fedc__sb *sb;
    size_t line_start; /* sb->len at the start of the current line */
} pretty;

static size_t flat_len(const fedc_node *n) {
    fedc__sb count;
    fedc__sb_fixed(&count, NULL, 0); /* counts without writing */
    write_node(&count, n);
    return count.len;
}

static void newline(pretty *pp, int indent) {
    fedc__sb_puts(pp->sb, "\n");
    pp->line_start = pp->sb->len;
    for (int i = 0; i < indent; i++)
        fedc__sb_puts(pp->sb, " ");
}

/* `trail` counts the characters that will follow n on its last line (",", ")"), so that they
 * fit too. */
static void write_pretty(pretty *pp, const fedc_node *n, int indent, size_t trail);

/* Elements of a struct node, one per line at indent + 4, then a newline at indent. */
static void pretty_items(pretty *pp, const fedc_node *s, int indent) {
    for (size_t i = 0; i < s->n; i++) {
        newline(pp, indent + 4);
        if (s->names && s->names[i]) {
            fedc__sb_puts(pp->sb, s->names[i]);
            fedc__sb_puts(pp->sb, "=");
        }
        write_pretty(pp, s->items[i], indent + 4, i + 1 < s->n ? 1 : 0);
        if (i + 1 < s->n) fedc__sb_puts(pp->sb, ",");
    }
    newline(pp, indent);
}

static void write_pretty(pretty *pp, const fedc_node *n, int indent, size_t trail) {
    size_t col = pp->sb->len - pp->line_start;
    if (col + flat_len(n) + trail <= WIDTH || pp->sb->oom) {
        write_node(pp->sb, n);
        return;
    }
    switch (n->kind) {
    case FEDC_NODE_STRUCT:
        fedc__sb_puts(pp->sb, "<");
        pretty_items(pp, n, indent);
        fedc__sb_puts(pp->sb, ">");
        return;
    case FEDC_NODE_CALL:
        write_pretty(pp, n->a[0], indent, 1);
        fedc__sb_puts(pp->sb, "(");
        if (n->a[0]->kind == FEDC_NODE_BUILTIN && unnamed_struct(n->a[1])) {
            pretty_items(pp, n->a[1], indent);
        } else if (n->a[1] && n->a[1]->kind == FEDC_NODE_STRUCT && n->a[1]->n > 0) {
            fedc__sb_puts(pp->sb, "<");
            pretty_items(pp, n->a[1], indent);
            fedc__sb_puts(pp->sb, ">");
        } else if (n->a[1]) {
            newline(pp, indent + 4);
            write_pretty(pp, n->a[1], indent + 4, 0);
            newline(pp, indent);
        }
        fedc__sb_puts(pp->sb, ")");
        return;
    case FEDC_NODE_LAMBDA:
        fedc__sb_puts(pp->sb, "(");
        for (size_t i = 0; i < n->n; i++) {
            if (i) fedc__sb_puts(pp->sb, ", ");
            fedc__sb_puts(pp->sb, n->params[i].name);
            fedc__sb_puts(pp->sb, ": ");
            fedc__type_write(pp->sb, n->params[i].type);
        }
        fedc__sb_puts(pp->sb, " ->");
        newline(pp, indent + 4);
        write_pretty(pp, n->a[0], indent + 4, trail + 1);
        fedc__sb_puts(pp->sb, ")");
        return;
    case FEDC_NODE_BLOCK:
        fedc__sb_puts(pp->sb, "(let");
        for (size_t i = 0; i < n->n; i++) {
            newline(pp, indent + 4);
            fedc__sb_puts(pp->sb, n->names[i]);
            fedc__sb_puts(pp->sb, " = ");
            write_pretty(pp, n->items[i], indent + 4, i + 1 < n->n ? 1 : 0);
            if (i + 1 < n->n) fedc__sb_puts(pp->sb, ",");
        }
        newline(pp, indent);
        fedc__sb_puts(pp->sb, "in");
        newline(pp, indent + 4);
        write_pretty(pp, n->a[0], indent + 4, trail + 1);
        fedc__sb_puts(pp->sb, ")");
        return;
    case FEDC_NODE_SELECTION:
        write_pretty(pp, n->a[0], indent,
                     trail + (n->name ? strlen(n->name) + 1
                                      : (size_t)snprintf(NULL, 0, "[%lld]", (long long)n->index)));
        if (n->name) {
            fedc__sb_puts(pp->sb, ".");
            fedc__sb_puts(pp->sb, n->name);
        } else {
            fedc__sb_printf(pp->sb, "[%lld]", (long long)n->index);
        }
        return;
    default: write_node(pp->sb, n); return;
    }
}

fedc_status fedc_comp_print(fedc_ctx *ctx, const fedc_comp *comp, char **out) {
    *out = NULL;
    fedc__sb sb;
    fedc__sb_growing(&sb);
    pretty pp = {&sb, 0};
    for (size_t i = 0; i < comp->ndefs; i++) {
        fedc__sb_puts(&sb, comp->defs[i].name);
        fedc__sb_puts(&sb, " = ");
        write_pretty(&pp, comp->defs[i].node, 0, 0);
        newline(&pp, 0);
    }
    return finish(ctx, &sb, out);
}
