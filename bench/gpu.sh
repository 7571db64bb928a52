#!/usr/bin/env bash
# Every GPU figure of the project in one run (for a machine with one CUDA GPU and the model's Python packages):
# the 8B model's chunk latency and memory (issue 3) and its training step with and without DeepSpeed ZeRO-1 (issue 6).
# Usage: bash bench/gpu.sh [OUTPUT_DIR]   (JSON figures and logs go to OUTPUT_DIR, default bench-gpu/)
set -uo pipefail
out=${1:-bench-gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 -c "import torch, transformers, diffusers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'diffusers', diffusers.__version__)"
timeout 200 python3 bench/model.py --config motus_8b --device cuda --modes vla,joint --batch-sizes 1,8 --decode both \
  --json "$out/model.json" 2>&1 | tee "$out/model.log"
timeout 150 python3 bench/train.py --config motus_8b --device cuda --batch 1 --steps 5 --checkpointing \
  --strategy single --json "$out/train_single.json" 2>&1 | grep -v Warning | tee "$out/train_single.log"
timeout 200 python3 bench/train.py --config motus_8b --device cuda --batch 1 --steps 5 --checkpointing \
  --strategy deepspeed --json "$out/train_zero1.json" 2>&1 | grep -v Warning | tee "$out/train_zero1.log"
