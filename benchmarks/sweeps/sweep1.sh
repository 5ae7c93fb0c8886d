export PYTHONPATH=src PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name --format=csv,noheader; python3 -c "import torch;print(torch.__version__, torch.cuda.is_available())"
R=/tmp/sw; mkdir -p $R
for j in ccw1 ccw0 chinge ccw1e40 cseed dall dseed d10k; do python3 benchmarks/sweeps/sweep1.py $j $R > $R/$j.log 2>&1 & done
wait
tail -n 3 $R/*.log
python3 -c "
import json,glob; d={}
[d.update(json.load(open(f))) for f in glob.glob('$R/*.json')]
json.dump(d, open('$OUT/sweep.json','w'), indent=1); print(json.dumps(d, indent=1))"
for j in ccw1 ccw0 cseed dall dseed; do cp $R/$j/samples.png $OUT/$j.png 2>/dev/null; done
