/* program_progress.c — the progress display of a training loop: one line rewritten in place on
 * a terminal, plain lines every k rounds elsewhere. The line itself comes from
 * fedc_progress_format, a pure function, so what a user sees is tested without a terminal.
 * Must not write anything but to the stream it was given.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "learning/program_int.h"

struct fedc_progress {
    fedc_progress_opts opts;
    char *loss_metric, *accuracy_metric;
    bool tty, open_line; /* a terminal line is on screen without its newline */
    double start;
    int64_t shown;
};

static double monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Appends to buf at *len, keeping count of what was wanted past cap (as snprintf does). */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) FEDC_PRINTF(4, 5);
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = *len < cap ? cap - *len : 0;
    int n = vsnprintf(room ? buf + *len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) *len += (size_t)n;
}

int fedc_progress_format(char *buf, size_t cap, const fedc_progress_state *st, int bar_width) {
    size_t len = 0;
    if (cap) buf[0] = '\0';
    bool known_total = st->total_rounds > 0;
    if (bar_width > 0 && known_total) {
        double frac = (double)st->round / (double)st->total_rounds;
        if (frac < 0) frac = 0;
        if (frac > 1) frac = 1;
        int filled = (int)(frac * bar_width); /* floor: the bar is full only at the end */
        append(buf, cap, &len, "[");
        for (int i = 0; i < bar_width; i++)
            append(buf, cap, &len, "%c", i < filled ? '#' : '.');
        append(buf, cap, &len, "] ");
    }
    if (known_total)
        append(buf, cap, &len, "round %lld/%lld", (long long)st->round,
               (long long)st->total_rounds);
    else
        append(buf, cap, &len, "round %lld", (long long)st->round);
    if (isfinite(st->loss))
        append(buf, cap, &len, "  loss %.4f", st->loss);
    else
        append(buf, cap, &len, "  loss -");
    if (isfinite(st->accuracy))
        append(buf, cap, &len, "  acc %.4f", st->accuracy);
    else
        append(buf, cap, &len, "  acc -");
    double rate = st->rounds_per_second;
    if (rate > 0 && isfinite(rate))
        append(buf, cap, &len, "  %.2f r/s", rate);
    else
        append(buf, cap, &len, "  - r/s");
    if (known_total) {
        int64_t left = st->total_rounds - st->round;
        if (left < 0) left = 0;
        if (rate > 0 && isfinite(rate) && (double)left / rate < 1e9) {
            long long secs = (long long)llround((double)left / rate);
            append(buf, cap, &len, "  ETA %lld:%02lld:%02lld", secs / 3600, secs / 60 % 60,
                   secs % 60);
        } else {
            append(buf, cap, &len, "  ETA -");
        }
    }
    return (int)len;
}

fedc_progress_opts fedc_progress_opts_default(void) {
    fedc_progress_opts o;
    memset(&o, 0, sizeof o);
    o.out = NULL; /* stderr, resolved at create: stderr is not a constant expression */
    o.mode = FEDC_PROGRESS_AUTO;
    o.every = 1;
    o.bar_width = 30;
    o.loss_metric = "train/loss";
    o.accuracy_metric = "train/sparse_categorical_accuracy";
    return o;
}

void fedc_progress_destroy(fedc_progress *p) {
    if (!p) return;
    if (p->open_line) {
        fputc('\n', p->opts.out);
        fflush(p->opts.out);
    }
    fedc_free(p->loss_metric);
    fedc_free(p->accuracy_metric);
    fedc_free(p);
}

fedc_status fedc_progress_create(fedc_ctx *ctx, const fedc_progress_opts *opts,
                                 fedc_progress **out) {
    *out = NULL;
    fedc_progress_opts o = opts ? *opts : fedc_progress_opts_default();
    if (o.every < 1)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "progress: every = %d (must be >= 1)", o.every);
    if (o.bar_width < 0)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_INVALID_ARGUMENT,
                               "progress: bar width %d is negative", o.bar_width);
    if (!o.out) o.out = stderr;
    fedc_progress *p = fedc_calloc(1, sizeof *p);
    if (!p)
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a progress display");
    p->opts = o;
    p->loss_metric = fedc_strdup(o.loss_metric ? o.loss_metric : "train/loss");
    p->accuracy_metric =
        fedc_strdup(o.accuracy_metric ? o.accuracy_metric : "train/sparse_categorical_accuracy");
    if (!p->loss_metric || !p->accuracy_metric) {
        fedc_progress_destroy(p);
        return fedc_ctx_errorf(ctx, FEDC_STATUS_OUT_OF_MEMORY,
                               "out of memory for a progress display");
    }
    p->opts.loss_metric = p->loss_metric;
    p->opts.accuracy_metric = p->accuracy_metric;
    p->tty = o.mode == FEDC_PROGRESS_TTY || (o.mode == FEDC_PROGRESS_AUTO && isatty(fileno(o.out)));
    p->start = monotonic_seconds();
    *out = p;
    return FEDC_STATUS_OK;
}

bool fedc_progress_is_tty(const fedc_progress *p) { return p->tty; }

fedc_status fedc_progress_update(fedc_ctx *ctx, fedc_progress *p,
                                 const fedc_metrics_record *record) {
    fedc_progress_state st = {fedc_metrics_record_round(record), p->opts.total_rounds, NAN, NAN, 0};
    fedc_metrics_record_get(record, p->loss_metric, &st.loss);
    fedc_metrics_record_get(record, p->accuracy_metric, &st.accuracy);
    p->shown++;
    double elapsed = monotonic_seconds() - p->start;
    st.rounds_per_second = elapsed > 0 ? (double)p->shown / elapsed : 0;
    bool last = st.total_rounds > 0 && st.round >= st.total_rounds;
    char line[512];
    if (p->tty) {
        fedc_progress_format(line, sizeof line, &st, p->opts.bar_width);
        fprintf(p->opts.out, "\r%s\x1b[K", line); /* \x1b[K clears what a longer line left */
        p->open_line = true;
    } else {
        if (st.round % p->opts.every != 0 && !last) return FEDC_STATUS_OK;
        fedc_progress_format(line, sizeof line, &st, 0);
        fprintf(p->opts.out, "%s\n", line);
    }
    if (fflush(p->opts.out) != 0 || ferror(p->opts.out))
        return fedc_ctx_errorf(ctx, FEDC_STATUS_IO, "progress: cannot write the progress line");
    return FEDC_STATUS_OK;
}
