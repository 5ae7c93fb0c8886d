# Second H100 call (2026-11-25): the two sweep variants the first call (issues_4_5_6.sh) ran out of time for.
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 GANCLF_DATA=$PWD/.gpu GANCLF_BENCH_RUNS=/tmp/runs
LIMIT=${LIMIT:-200}
B=/tmp/batch; mkdir -p /tmp/runs $B/logs $B/runs
for seed in 0 1 2; do for budget in 100 1000; do
  (cd benchmarks && timeout $LIMIT python3 augment.py --budgets $budget --seed $seed \
     --variants "real share 50%,classifier filter" > $B/logs/aug-$budget-$seed.log 2>&1) &
done; done
wait
(cd /tmp/runs && find . \( -name '*.json' -o -name '*.jsonl' \) -not -name 'split.json' -exec cp --parents {} $B/runs/ \;)
tail -n 3 $B/logs/*.log
tar -czf $OUT/batch.tgz -C $B .
