/* fedc/learning_train.h — the training loop (tff.simulation.run_training_process analog): rounds
 * of a learning process over clients sampled from keyed streams, with periodic evaluation of the
 * global model on held-out data, reported round by round.
 *
 * Part of layer learning. Thread safety: one run per process at a time; the run uses its own
 * thread pool (opts.threads) for the executor.
 */
#ifndef FEDC_LEARNING_TRAIN_H
#define FEDC_LEARNING_TRAIN_H

#include "fedc/learning.h"
#include "fedc/learning_program.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one round did, handed to the callback after the round. Values not measured this round
 * (no evaluation) are NaN. */
typedef struct fedc_round_report {
    int64_t round; /* 1-based: the number of rounds done */
    int64_t rounds;
    int64_t clients; /* in this round's cohort */
    double train_loss, train_accuracy, train_examples;
    double eval_loss, eval_accuracy;
    double seconds;                    /* this round's wall time, evaluation included */
    const fedc_metrics_record *record; /* what the metric files get (borrowed) */
    double elapsed;                    /* since the run started */
    fedc_value *metrics; /* the round's full metrics (borrowed, valid during the callback) */
    fedc_value *eval;    /* the evaluation's metrics or NULL (borrowed) */
    int64_t non_finite;  /* the finalizer rejected this round's update */
} fedc_round_report;

typedef struct fedc_train_opts {
    int64_t rounds;              /* default 10 */
    fedc_sampling_opts sampling; /* default uniform, cohort 10, seed 0 */
    int threads;                 /* executor threads: 1 the reference executor; 0 one per core */
    int64_t eval_every;          /* evaluate every k rounds and after the last; 0: only after the
                                    last; -1: never */
    int64_t eval_batch_size;     /* default 500 */
    /* The run directory (NULL: nothing written): metrics.csv, metrics.jsonl and a TensorBoard
     * events file get one record per round ("train/loss", "train/sparse_categorical_accuracy",
     * "eval/...", "aggregator/...", "finalizer/update_non_finite", "round_seconds"), flushed
     * per round; checkpoints go to DIR/checkpoints. The directory is created when missing. */
    const char *out_dir;
    int64_t checkpoint_every; /* write a checkpoint every k rounds and after the last; 0: never */
    int keep_checkpoints;     /* the last N kept (default 3) */
    /* Continue from the newest valid checkpoint in out_dir (none: start from *state): the
     * final state is bit-identical to an uninterrupted run's, and the metric files are cut
     * back to the checkpoint's round before appending. A process with a client store
     * (SCAFFOLD) gets the store's entries of the checkpoint back: checkpoints copy the whole
     * store, which must support fedc_client_store_each and _clear. */
    bool resume;
    /* Called after every round (may be NULL). A non-OK return stops the run with that status. */
    fedc_status (*on_round)(fedc_ctx *ctx, void *user, const fedc_round_report *report);
    void *user;
} fedc_train_opts;

fedc_train_opts fedc_train_opts_default(void);

/* Runs opts->rounds rounds of `process` from *state (a state of that process; replaced by the
 * final one, the old reference released), sampling each round's cohort from `train` with
 * opts->sampling (round r's cohort depends only on the seed and r, so a resumed run samples what
 * an uninterrupted one would), and evaluating the global model on every client of `test` (may be
 * NULL: no evaluation) as opts->eval_every says. Runs rounds fedc_learning_process_round(state)
 * + 1 ... opts->rounds, so a state from a checkpoint continues where it stopped. Errors: those
 * of sampling, the process (naming the client) and the callback; INVALID_ARGUMENT for bad
 * options; IO for the run directory (naming the path); CORRUPT / TYPE for a checkpoint that is
 * not this process's. On error *state holds the last completed round's state and the newest
 * checkpoint is intact. */
fedc_status fedc_train_run(fedc_ctx *ctx, fedc_learning_process *process, fedc_value **state,
                           const fedc_client_data *train, const fedc_client_data *test,
                           const fedc_train_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* FEDC_LEARNING_TRAIN_H */
