#!/bin/sh
# check-layers.sh — fails when a file includes a header of a higher (or sibling) layer.
#
# The layers, lowest first (DESIGN.md): base <- tensor <- {nn, data} <- core <- runtime <-
# {learning, analytics} <- tools. A file in src/<layer>/ or include/fedc/<layer>[_part].h may include
# the public headers of its own layer and of lower layers, and private headers ("<layer>/...")
# of its own layer only. fedc/fedc.h (everything) is for programs, not for the library.
set -u
cd "$(dirname "$0")/.." || exit 2

rank() {
    case "$1" in
        base) echo 0 ;; tensor) echo 1 ;; nn|data) echo 2 ;; core) echo 3 ;; runtime) echo 4 ;;
        learning|analytics) echo 5 ;; *) echo 99 ;;
    esac
}

bad=0
report() { echo "check-layers: $1"; bad=1; }

check_file() { # file layer
    file=$1 layer=$2 own=$(rank "$2")
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
        sed 's/^\([0-9]*\):.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1 \2/' |
        while read -r line inc; do
            case "$inc" in
                fedc/fedc.h)
                    echo "$file:$line: includes fedc/fedc.h (the whole API); include the layers it needs" ;;
                fedc/*.h)
                    other=$(basename "$inc" .h)
                    other=${other%%_*} # fedc/nn_optim.h is part of layer nn
                    r=$(rank "$other")
                    if [ "$r" -gt "$own" ] || { [ "$r" -eq "$own" ] && [ "$other" != "$layer" ]; }; then
                        echo "$file:$line: layer '$layer' includes $inc of layer '$other' (not below it)"
                    fi ;;
                */*)
                    other=${inc%%/*}
                    if [ "$(rank "$other")" -ne 99 ] && [ "$other" != "$layer" ]; then
                        echo "$file:$line: layer '$layer' includes $inc, private to layer '$other'"
                    fi ;;
            esac
        done
}

out=$(
    for f in $(find src -name '*.[ch]' | sort); do
        layer=$(echo "$f" | cut -d/ -f2)
        check_file "$f" "$layer"
    done
    for f in $(find include/fedc -name '*.h' | sort); do
        layer=$(basename "$f" .h)
        layer=${layer%%_*}
        [ "$layer" = fedc ] && continue
        check_file "$f" "$layer"
    done
)
if [ -n "$out" ]; then
    echo "$out" | while read -r l; do report "$l"; done
    echo "check-layers: FAILED"
    exit 1
fi
echo "check-layers: ok ($(find src include -name '*.[ch]' | wc -l) files)"
