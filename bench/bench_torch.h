/* bench_torch.h — driving a PyTorch script in --serve mode from a benchmark, so that fedc's and
 * PyTorch's samples alternate and both see the same machine load.
 *
 * Protocol: the script prints `ready torch VERSION` (or `notorch REASON`), then answers each
 * request line `NAME SECONDS wall|cpu` with one sample `NAME VALUE UNIT`; EOF on its stdin ends
 * it. The child gets OMP_NUM_THREADS=1 and MKL_NUM_THREADS=1 before torch loads (with
 * torch.set_num_threads(1) alone, the OpenMP pool made at import kept a second core busy).
 * Header-only, because each bench/NAME.c is its own program.
 */
#ifndef FEDC_BENCH_TORCH_H
#define FEDC_BENCH_TORCH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_PYTHON "/usr/bin/python3"

typedef struct bench_torch {
    pid_t pid;
    FILE *to, *from;
    char version[64];
} bench_torch;

/* Starts the script; false (with a notice on stdout) when it cannot run or lacks torch. */
static inline bool bench_torch_start(bench_torch *tp, const char *script) {
    memset(tp, 0, sizeof *tp);
    if (access(script, R_OK) != 0) {
        printf("notice: %s not found (run from the repository root); PyTorch side skipped\n",
               script);
        return false;
    }
    if (access(BENCH_PYTHON, X_OK) != 0) {
        printf("notice: %s not found; PyTorch side skipped\n", BENCH_PYTHON);
        return false;
    }
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) return false;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        setenv("OMP_NUM_THREADS", "1", 1);
        setenv("MKL_NUM_THREADS", "1", 1);
        execl(BENCH_PYTHON, BENCH_PYTHON, script, "--serve", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    tp->pid = pid;
    tp->to = fdopen(in[1], "w");
    tp->from = fdopen(out[0], "r");
    char line[512] = "";
    if (!tp->to || !tp->from || !fgets(line, sizeof line, tp->from) ||
        strncmp(line, "ready torch ", 12) != 0) {
        line[strcspn(line, "\n")] = '\0';
        printf("notice: PyTorch side skipped (python3 said: %s)\n",
               strncmp(line, "notorch ", 8) == 0 ? line + 8 : "nothing usable");
        if (tp->to) fclose(tp->to);
        if (tp->from) fclose(tp->from);
        waitpid(pid, NULL, 0);
        tp->pid = 0;
        return false;
    }
    line[strcspn(line, "\n")] = '\0';
    snprintf(tp->version, sizeof tp->version, "%.63s", line + 12);
    return true;
}

/* One sample of workload `name` lasting at least `seconds`, in the workload's unit. Exits the
 * program on a malformed answer. */
static inline double bench_torch_sample(bench_torch *tp, const char *name, double seconds,
                                        bool cpu_time) {
    fprintf(tp->to, "%s %.3f %s\n", name, seconds, cpu_time ? "cpu" : "wall");
    fflush(tp->to);
    char line[512] = "", got[64];
    double v;
    if (!fgets(line, sizeof line, tp->from) || sscanf(line, "%63s %lf", got, &v) != 2 ||
        strcmp(got, name) != 0) {
        fprintf(stderr, "bench: bad answer from the PyTorch script: %s\n", line);
        exit(1);
    }
    return v;
}

static inline void bench_torch_stop(bench_torch *tp) {
    if (!tp->pid) return;
    fclose(tp->to); /* EOF ends the child's loop */
    fclose(tp->from);
    waitpid(tp->pid, NULL, 0);
    tp->pid = 0;
}

#endif /* FEDC_BENCH_TORCH_H */
