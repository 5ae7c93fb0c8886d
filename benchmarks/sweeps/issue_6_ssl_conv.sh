# Second H200 call (2026-11-26): the conv D with its head initialised at logit std 0.1, at three learning rates
# (10% labels) and one at 100 labels; the mlp preset at 10% labels. One process (one CPU thread) per run.
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 GANCLF_DATA=$PWD/.gpu
LIMIT=${LIMIT:-280}
B=/tmp/batch; mkdir -p $B/logs $B/runs
run_args() { timeout $LIMIT python3 benchmarks/sweeps/ssl_variants.py $1 0 $2 /tmp/runs $3 $4 > $B/logs/$1-$3.log 2>&1; }
for v in conv-lr3e-4 conv-lr1e-3 conv-lr3e-3; do run_args $v 10 10% conv & done
run_args conv-lr1e-3 10 100 conv &
run_args preset 30 10% mlp &
wait
(cd /tmp/runs && find . \( -name '*.json' -o -name '*.jsonl' \) -not -name 'split.json' -exec cp --parents {} $B/runs/ \;)
tail -qn 1 $B/logs/*.log; for f in /tmp/runs/*/metrics.jsonl; do echo "$f $(wc -l < $f) $(tail -1 $f | cut -c1-150)"; done
tar -czf $OUT/batch.tgz -C $B .
