/* program_report.c — the HTML report of a run: one inline SVG line plot per metric over rounds
 * (train and eval curves of one metric together) and a table of final values, from the JSON
 * lines metrics file. The page is self-contained (no scripts, fonts, images or links) and the
 * same metrics always give the same bytes. Must not reference anything outside the page.
 */
#include <math.h>
#include <string.h>

#include "learning/program_int.h"

enum { PLOT_W = 640, PLOT_H = 320, M_LEFT = 72, M_RIGHT = 24, M_TOP = 40, M_BOTTOM = 48 };

static const char *const k_colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                       "#ff7f0e", "#17becf", "#8c564b", "#e377c2"};
/* prefixes whose metrics share a plot with the same metric under another of them */
static const char *const k_splits[] = {"train/", "eval/", "test/", "validation/"};

typedef struct table {
    size_t nrows, row_cap, nmetrics, metric_cap;
    int64_t *rounds;
    char **names;
    double **values; /* values[metric][row]; NaN when the row lacks the metric */
} table;

static void table_free(table *t) {
    for (size_t m = 0; m < t->nmetrics; m++) {
        fedc_free(t->names[m]);
        fedc_free(t->values[m]);
    }
    fedc_free(t->names);
    fedc_free(t->values);
    fedc_free(t->rounds);
}

static bool grow_rows(table *t) {
    size_t cap = t->row_cap ? t->row_cap * 2 : 64;
    int64_t *rounds = fedc_realloc(t->rounds, cap * sizeof *rounds);
    if (!rounds) return false;
    t->rounds = rounds;
    for (size_t m = 0; m < t->nmetrics; m++) {
        double *v = fedc_realloc(t->values[m], cap * sizeof *v);
        if (!v) return false;
        t->values[m] = v;
    }
    t->row_cap = cap;
    return true;
}

static long metric_index(table *t, const char *name) {
    for (size_t m = 0; m < t->nmetrics; m++)
        if (strcmp(t->names[m], name) == 0) return (long)m;
    if (t->nmetrics == t->metric_cap) {
        size_t cap = t->metric_cap ? t->metric_cap * 2 : 16;
        char **names = fedc_realloc(t->names, cap * sizeof *names);
        if (!names) return -1;
        t->names = names;
        double **values = fedc_realloc(t->values, cap * sizeof *values);
        if (!values) return -1;
        t->values = values;
        t->metric_cap = cap;
    }
    double *v = fedc_malloc((t->row_cap ? t->row_cap : 1) * sizeof *v);
    char *copy = fedc_strdup(name);
    if (!v || !copy) {
        fedc_free(v);
        fedc_free(copy);
        return -1;
    }
    for (size_t r = 0; r < t->row_cap; r++)
        v[r] = NAN;
    t->names[t->nmetrics] = copy;
    t->values[t->nmetrics] = v;
    return (long)t->nmetrics++;
}

static fedc_status add_record(fedc_ctx *ctx, void *user, const fedc_metrics_record *r) {
    table *t = user;
    if (t->nrows == t->row_cap) {
        size_t old = t->row_cap;
        if (!grow_rows(t)) goto oom;
        for (size_t m = 0; m < t->nmetrics; m++)
            for (size_t k = old; k < t->row_cap; k++)
                t->values[m][k] = NAN;
    }
    size_t row = t->nrows++;
    t->rounds[row] = fedc_metrics_record_round(r);
    for (size_t m = 0; m < t->nmetrics; m++)
        t->values[m][row] = NAN;
    for (size_t i = 0; i < fedc_metrics_record_count(r); i++) {
        long m = metric_index(t, fedc_metrics_record_name(r, i));
        if (m < 0) goto oom;
        t->values[m][row] = fedc_metrics_record_value(r, i);
    }
    return FEDC_STATUS_OK;
oom:
    return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY, "out of memory reading the metrics");
}

/* The part of a name plots are grouped by: "loss" for "train/loss" and "eval/loss". */
static const char *plot_key(const char *name) {
    for (size_t i = 0; i < sizeof k_splits / sizeof k_splits[0]; i++) {
        size_t n = strlen(k_splits[i]);
        if (strncmp(name, k_splits[i], n) == 0 && name[n]) return name + n;
    }
    return name;
}

static void put_escaped(fedc__prog_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': fedc__prog_buf_puts(b, "&amp;"); break;
        case '<': fedc__prog_buf_puts(b, "&lt;"); break;
        case '>': fedc__prog_buf_puts(b, "&gt;"); break;
        case '"': fedc__prog_buf_puts(b, "&quot;"); break;
        case '\'': fedc__prog_buf_puts(b, "&#39;"); break;
        default: fedc__prog_buf_append(b, s, 1);
        }
    }
}

/* A "nice" step (1, 2 or 5 times a power of ten) that cuts `span` into about `parts` ticks. */
static double nice_step(double span, int parts) {
    double raw = span / parts;
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

typedef struct axis {
    double lo, hi, step;
    int decimals;
} axis;

static axis make_axis(double lo, double hi, bool integral) {
    if (!(hi > lo)) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.05 : 1;
        lo -= pad;
        hi += pad;
    }
    axis a;
    a.step = nice_step(hi - lo, 5);
    if (integral && a.step < 1) a.step = 1;
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step) * a.step;
    double d = -floor(log10(a.step));
    a.decimals = d > 0 ? (int)d : 0;
    return a;
}

static void put_number(fedc__prog_buf *b, double v, int decimals) {
    if (fabs(v) < 1e-12) v = 0; /* no "-0.0" ticks */
    fedc__prog_buf_printf(b, "%.*f", decimals, v);
}

/* One plot: every metric m with plot_key(name) == key. */
static void put_plot(fedc__prog_buf *b, const table *t, const char *key, const bool *in_plot) {
    size_t nseries = 0, single = 0;
    double ylo = INFINITY, yhi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
    for (size_t m = 0; m < t->nmetrics; m++) {
        if (!in_plot[m]) continue;
        nseries++;
        single = m;
        for (size_t r = 0; r < t->nrows; r++) {
            double v = t->values[m][r];
            if (!isfinite(v)) continue;
            if (v < ylo) ylo = v;
            if (v > yhi) yhi = v;
            double x = (double)t->rounds[r];
            if (x < xlo) xlo = x;
            if (x > xhi) xhi = x;
        }
    }
    const char *title = nseries == 1 ? t->names[single] : key;
    if (!isfinite(ylo)) { /* no finite value at all: an empty frame still says so */
        ylo = 0;
        yhi = 1;
        xlo = 0;
        xhi = 1;
    }
    axis ax = make_axis(xlo, xhi, true), ay = make_axis(ylo, yhi, false);
    double pw = PLOT_W - M_LEFT - M_RIGHT, ph = PLOT_H - M_TOP - M_BOTTOM;
#define SX(x) (M_LEFT + ((x)-ax.lo) / (ax.hi - ax.lo) * pw)
#define SY(y) (M_TOP + ph - ((y)-ay.lo) / (ay.hi - ay.lo) * ph)
    fedc__prog_buf_puts(b, "<figure>\n<svg width=\"640\" height=\"320\" viewBox=\"0 0 640 320\" "
                           "role=\"img\" aria-label=\"");
    put_escaped(b, title);
    fedc__prog_buf_puts(b, "\">\n<title>");
    put_escaped(b, title);
    fedc__prog_buf_printf(b, "</title>\n<text class=\"title\" x=\"%d\" y=\"22\">", PLOT_W / 2);
    put_escaped(b, title);
    fedc__prog_buf_puts(b, "</text>\n");
    /* grid and ticks */
    /* ticks by index, not by repeated addition, so rounding does not drop the last one; at
     * most 50 guards against spans that overflow */
    for (int i = 0; i <= 50 && ax.lo + i * ax.step <= ax.hi + ax.step * 1e-9; i++) {
        double x = ax.lo + i * ax.step;
        fedc__prog_buf_printf(b,
                              "<line class=\"grid\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%.2f\"/>"
                              "<text class=\"xtick\" x=\"%.2f\" y=\"%.2f\">",
                              SX(x), M_TOP, SX(x), M_TOP + ph, SX(x), M_TOP + ph + 16);
        put_number(b, x, 0);
        fedc__prog_buf_puts(b, "</text>\n");
    }
    for (int i = 0; i <= 50 && ay.lo + i * ay.step <= ay.hi + ay.step * 1e-9; i++) {
        double y = ay.lo + i * ay.step;
        fedc__prog_buf_printf(b,
                              "<line class=\"grid\" x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>"
                              "<text class=\"ytick\" x=\"%d\" y=\"%.2f\">",
                              M_LEFT, SY(y), M_LEFT + pw, SY(y), M_LEFT - 6, SY(y) + 4);
        put_number(b, y, ay.decimals);
        fedc__prog_buf_puts(b, "</text>\n");
    }
    fedc__prog_buf_printf(b,
                          "<line class=\"axis\" x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>"
                          "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.2f\"/>\n",
                          M_LEFT, M_TOP + ph, M_LEFT + pw, M_TOP + ph, M_LEFT, M_TOP, M_LEFT,
                          M_TOP + ph);
    fedc__prog_buf_printf(b, "<text class=\"xlabel\" x=\"%.2f\" y=\"%d\">round</text>\n",
                          M_LEFT + pw / 2, PLOT_H - 8);
    fedc__prog_buf_printf(b, "<text class=\"ylabel\" transform=\"translate(16 %.2f) rotate(-90)\">",
                          M_TOP + ph / 2);
    put_escaped(b, key);
    fedc__prog_buf_puts(b, "</text>\n");
    /* series: polylines broken where a value is missing; dots where few points or isolated */
    size_t color = 0, legend = 0;
    for (size_t m = 0; m < t->nmetrics; m++) {
        if (!in_plot[m]) continue;
        const char *c = k_colors[color++ % (sizeof k_colors / sizeof k_colors[0])];
        size_t finite = 0;
        for (size_t r = 0; r < t->nrows; r++)
            finite += isfinite(t->values[m][r]);
        bool dots = finite <= 60;
        fedc__prog_buf_printf(b, "<g class=\"series\" stroke=\"%s\" fill=\"%s\">\n", c, c);
        for (size_t r = 0; r < t->nrows;) {
            while (r < t->nrows && !isfinite(t->values[m][r]))
                r++;
            size_t start = r;
            while (r < t->nrows && isfinite(t->values[m][r]))
                r++;
            if (r - start >= 2) {
                fedc__prog_buf_puts(b, "<polyline fill=\"none\" points=\"");
                for (size_t k = start; k < r; k++)
                    fedc__prog_buf_printf(b, "%s%.2f,%.2f", k > start ? " " : "",
                                          SX((double)t->rounds[k]), SY(t->values[m][k]));
                fedc__prog_buf_puts(b, "\"/>\n");
            }
            for (size_t k = start; k < r; k++)
                if (dots || r - start == 1)
                    fedc__prog_buf_printf(b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\"/>\n",
                                          SX((double)t->rounds[k]), SY(t->values[m][k]));
        }
        fedc__prog_buf_puts(b, "</g>\n");
        if (nseries > 1) {
            double ly = M_TOP + 14 + 16.0 * (double)legend++;
            fedc__prog_buf_printf(b,
                                  "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                                  "stroke=\"%s\" stroke-width=\"2\"/><text class=\"legend\" "
                                  "x=\"%.2f\" y=\"%.2f\">",
                                  M_LEFT + pw - 150, ly - 4, M_LEFT + pw - 130, ly - 4, c,
                                  M_LEFT + pw - 124, ly);
            put_escaped(b, t->names[m]);
            fedc__prog_buf_puts(b, "</text>\n");
        }
    }
#undef SX
#undef SY
    fedc__prog_buf_puts(b, "</svg>\n</figure>\n");
}

static const char k_style[] = "body{font-family:sans-serif;margin:24px;color:#222}"
                              "figure{display:inline-block;margin:8px}"
                              "svg text{font-family:sans-serif;font-size:12px;fill:#222}"
                              "svg .title{font-size:15px;text-anchor:middle;font-weight:bold}"
                              "svg .xtick,svg .xlabel,svg .ylabel{text-anchor:middle}"
                              "svg .ytick{text-anchor:end}"
                              "svg .grid{stroke:#e4e4e4}"
                              "svg .axis{stroke:#444}"
                              "svg .series polyline{stroke-width:1.8}"
                              "table{border-collapse:collapse;margin-top:16px}"
                              "td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
                              "td.num{text-align:right;font-family:monospace}";

static void put_page(fedc__prog_buf *b, const table *t, const char *title) {
    fedc__prog_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<title>");
    put_escaped(b, title);
    fedc__prog_buf_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", k_style);
    put_escaped(b, title);
    fedc__prog_buf_printf(
        b, "</h1>\n<p>%zu rounds recorded, round %lld to round %lld; %zu metrics.</p>\n", t->nrows,
        (long long)t->rounds[0], (long long)t->rounds[t->nrows - 1], t->nmetrics);
    bool *in_plot = fedc_calloc(t->nmetrics ? t->nmetrics : 1, sizeof *in_plot);
    bool *done = fedc_calloc(t->nmetrics ? t->nmetrics : 1, sizeof *done);
    if (!in_plot || !done) {
        b->oom = true;
    } else {
        for (size_t m = 0; m < t->nmetrics; m++) {
            if (done[m]) continue;
            const char *key = plot_key(t->names[m]);
            for (size_t k = 0; k < t->nmetrics; k++) {
                in_plot[k] = !done[k] && strcmp(plot_key(t->names[k]), key) == 0;
                if (in_plot[k]) done[k] = true;
            }
            put_plot(b, t, key, in_plot);
        }
    }
    fedc_free(in_plot);
    fedc_free(done);
    fedc__prog_buf_puts(b, "<h2>Final values</h2>\n<table>\n<tr><th>metric</th><th>value</th>"
                           "<th>round</th></tr>\n");
    for (size_t m = 0; m < t->nmetrics; m++) {
        fedc__prog_buf_puts(b, "<tr><td>");
        put_escaped(b, t->names[m]);
        size_t r = t->nrows;
        while (r > 0 && !isfinite(t->values[m][r - 1]))
            r--;
        if (r == 0) {
            fedc__prog_buf_puts(b, "</td><td class=\"num\">-</td><td class=\"num\">-</td></tr>\n");
        } else {
            fedc__prog_buf_printf(
                b, "</td><td class=\"num\">%.6g</td><td class=\"num\">%lld</td></tr>\n",
                t->values[m][r - 1], (long long)t->rounds[r - 1]);
        }
    }
    fedc__prog_buf_puts(b, "</table>\n</body>\n</html>\n");
}

fedc_status fedc_report_write_html(fedc_ctx *ctx, const char *metrics_path, const char *html_path,
                                   const char *title) {
    table t = {0};
    fedc_status st = fedc_metrics_jsonl_read(ctx, metrics_path, add_record, &t);
    if (st == FEDC_STATUS_OK && t.nrows == 0)
        st = fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT, "%s holds no metrics record",
                             metrics_path);
    fedc__prog_buf b = {0};
    if (st == FEDC_STATUS_OK) {
        put_page(&b, &t, title ? title : metrics_path);
        st = fedc__prog_buf_check(ctx, &b, html_path);
    }
    if (st == FEDC_STATUS_OK) st = fedc__prog_replace_file(ctx, html_path, b.data, b.len);
    fedc__prog_buf_free(&b);
    table_free(&t);
    return st;
}
