# One H100 call (2026-11-25): every cell of the issue 4, 5 and 6 benchmarks that did not fit the CPU, as
# parallel one-thread processes (each is launch-bound, so they share the GPU well), cut off at $LIMIT seconds.
# Run from the repository root with the MNIST .gz files in .gpu/mnist; outputs land in $OUT/batch.tgz.
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 GANCLF_DATA=$PWD/.gpu GANCLF_BENCH_RUNS=/tmp/runs
LIMIT=${LIMIT:-470}
B=/tmp/batch; mkdir -p /tmp/runs $B/logs $B/runs
nvidia-smi --query-gpu=name --format=csv,noheader; python3 -c "import torch; print(torch.__version__)"
job() { name=$1; shift; (cd benchmarks && timeout $LIMIT "$@" > $B/logs/$name.log 2>&1) & }
for seed in 0 1 2; do
  for budget in 100 1000 10000; do job aug-$budget-$seed python3 augment.py --budgets $budget --seed $seed --sweep; done
  job transfer-$seed python3 transfer.py --seed $seed --gan-epochs 10
  job ssl-mlp-100-$seed python3 -c "from common import *; from ganclf import ssl_gan; ssl_gan('mnist', '100', $seed,
    out=RUNS / 'ssl-mlp-100-seed$seed-e40', data_dir=DATA_ROOT, preset='mlp', epochs=40, quiet=True, download=False)"
done
job ssl-conv-10pct-0 python3 -c "from common import *; from ganclf import ssl_gan; ssl_gan('mnist', '10%', 0,
  out=RUNS / 'ssl-conv-10pct-seed0-e15', data_dir=DATA_ROOT, preset='conv', epochs=15, quiet=True, download=False)"
wait
(cd benchmarks && timeout 30 python3 augment.py --budgets 100,1000,10000 --seeds 3 --sweep > $B/logs/aug-summary.log 2>&1)
cp benchmarks/results/transfer_*_seed*.json benchmarks/results/augment_100_1000_10000_3seeds.json $B/ 2>/dev/null
(cd /tmp/runs && find . \( -name '*.json' -o -name '*.jsonl' -o -name 'samples.png' -o -name 'losses.png' \) \
  -not -name 'split.json' -exec cp --parents {} $B/runs/ \;)
tail -n 4 $B/logs/*.log
tar -czf $OUT/batch.tgz -C $B .  # the device returns only a few files
