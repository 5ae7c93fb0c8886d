export PYTHONPATH=src PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2
S="python3 benchmarks/sweeps/sweep2.py"; mkdir -p /tmp/sw2
python3 -m ganclf baseline --method cnn --labels 100 --epochs 1 --data-dir .gpu --out /tmp/sw2/smoke --quiet &
$S gan d2 dcgan default all '{"epochs": 10}' &
$S gan d3 dcgan deep all '{"epochs": 10}' &
$S gan ch40 cdcgan default 10000 '{"epochs": 40, "loss": "hinge"}' &
$S gan cd40 cdcgan deep 10000 '{"epochs": 40, "loss": "hinge"}' &
wait
for g in d2 d3; do for L in 1000 10000; do
 $S tr $g-t0-$L tr $g $L '{}' &
 $S tr $g-t1-$L tr $g $L '{"body_lr_scale": 1.0, "unfreeze_after": 0, "dropout": 0.3, "head": "linear"}' &
 $S tr $g-t2-$L tr $g $L '{"body_lr_scale": 0.3, "dropout": 0.3}' &
 $S tr $g-t3-$L tr $g $L '{"body_lr_scale": 1.0, "dropout": 0.5}' &
done; done
for g in ch40 cd40; do for n in 10000 30000; do $S aug $g-$n $g $n & done; done
wait
cp /tmp/sw2/ch40/samples.png $OUT/ch40.png; cp /tmp/sw2/d3/samples.png $OUT/d3.png
