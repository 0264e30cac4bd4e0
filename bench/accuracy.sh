#!/bin/sh
# accuracy.sh — federated training on real data, as docs/RESULTS.md reports it: each experiment is
# one `fedc train` run whose test accuracy (or loss) is printed as a table row. Every run is
# deterministic: the same command gives the same numbers on any machine and thread count.
#
#   make && sh bench/accuracy.sh [NAME...]        # NAME: fashion mnist-2nn-iid mnist-2nn-shards
#                                                 #   mnist-cnn-iid mnist-cnn-shards shakespeare
# Data: Fashion-MNIST from Debian's dataset-fashion-mnist; MNIST and tinyshakespeare from
# ../shared/data (FEDC_DATA_DIR). Runs go to ${RUNS:-/tmp/fedc-accuracy}/NAME (plots: fedc report).
set -eu
cd "$(dirname "$0")/.."
FEDC=${FEDC:-build/fedc}
RUNS=${RUNS:-/tmp/fedc-accuracy}
DATA=${FEDC_DATA_DIR:-../shared/data}
THREADS=${THREADS:-0}
mkdir -p "$RUNS"

run() { # NAME ARGS...: trains, then prints the last evaluated round's line
    name=$1
    shift
    start=$(date +%s)
    "$FEDC" train --threads "$THREADS" --out "$RUNS/$name" "$@" >"$RUNS/$name.log" 2>&1 ||
        { echo "$name: failed, see $RUNS/$name.log"; return 1; }
    end=$(date +%s)
    last=$(grep 'test loss *[0-9]' "$RUNS/$name.log" | tail -1)
    printf '%-18s %4ss  %s\n' "$name" $((end - start)) "$last"
}

experiment() {
    case $1 in
    fashion) # fedc train's default, longer: small CNN, 100 clients, Dirichlet(0.5), E=2, lr 0.1
        run fashion --rounds 100 --epochs 2 --client-lr 0.1 --eval-every 10 ;;
    mnist-2nn-iid) # McMahan et al. 2017's 2NN, E=1, B=10, C=0.1 of 100 clients
        run mnist-2nn-iid --data mnist --partition iid --model 2nn --batch-size 10 \
            --client-lr 0.1 --rounds 50 --eval-every 10 ;;
    mnist-2nn-shards) # pathological non-IID: 2 shards of one label per client
        run mnist-2nn-shards --data mnist --partition shards --model 2nn --batch-size 10 \
            --client-lr 0.1 --rounds 50 --eval-every 10 ;;
    mnist-cnn-iid)
        run mnist-cnn-iid --data mnist --partition iid --model cnn --batch-size 10 \
            --client-lr 0.05 --epochs 1 --rounds 5 --eval-every 5 ;;
    mnist-cnn-shards)
        run mnist-cnn-shards --data mnist --partition shards --model cnn --batch-size 10 \
            --client-lr 0.05 --epochs 1 --rounds 10 --eval-every 5 ;;
    shakespeare) # TFF's character model on tinyshakespeare's speaking roles
        "$FEDC" data import speakers "$DATA/tinyshakespeare/input.txt" -o "$RUNS/plays.sqlite" \
            >/dev/null 2>&1 || true
        run shakespeare --data "$RUNS/plays.sqlite:train" --test "$RUNS/plays.sqlite:test" \
            --preprocess shakespeare --model shakespeare_lstm --batch-size 4 --max-batches 10 \
            --client-lr 1 --clients-per-round 4 --rounds 20 --eval-every 10 ;;
    *) echo "unknown experiment $1" >&2; return 2 ;;
    esac
}

[ $# -gt 0 ] || set -- fashion mnist-2nn-iid mnist-2nn-shards mnist-cnn-iid mnist-cnn-shards shakespeare
for e in "$@"; do experiment "$e"; done
