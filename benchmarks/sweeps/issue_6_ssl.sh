# H200 call (2026-11-26): SSL-GAN variants at 100 labels, two seeds each, one process (one CPU thread) per run.
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 GANCLF_DATA=$PWD/.gpu
LIMIT=${LIMIT:-480}; EPOCHS=${EPOCHS:-40}
B=/tmp/batch; mkdir -p $B/logs $B/runs
for v in ${VARIANTS:-mlp shift2 shift2-nocons shift3 shift2-ent shift1}; do for seed in 0 1; do
  timeout $LIMIT python3 benchmarks/sweeps/ssl_variants.py $v $seed $EPOCHS /tmp/runs > $B/logs/$v-$seed.log 2>&1 &
done; done
wait
(cd /tmp/runs && find . \( -name '*.json' -o -name '*.jsonl' \) -not -name 'split.json' -exec cp --parents {} $B/runs/ \;)
tail -n 2 $B/logs/*.log; for f in /tmp/runs/*/metrics.jsonl; do echo "$f $(wc -l < $f) $(tail -1 $f | cut -c1-200)"; done
tar -czf $OUT/batch.tgz -C $B .
