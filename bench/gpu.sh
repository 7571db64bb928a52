#!/usr/bin/env bash
# Every GPU figure of the project (for a machine with one CUDA GPU and the model's Python packages), by section:
#   eval  (issue 19): the 8B model's VLA chunk per compile scope (eager, MoT layer, whole step, whole step as a CUDA
#         graph) at batch 1 and 8, with 10 and 2 Euler steps; ~8 min. Targets: <= 0.1 s at batch 1, <= 0.04 s per
#         episode at batch 8, peak <= 20 GB.
#   model (issue 3): chunk latency and memory in the vla and joint modes, frames decoded or not.
#   train (issue 6): the training step with and without DeepSpeed ZeRO-1.
# Usage: bash bench/gpu.sh [OUTPUT_DIR] [SECTIONS]   (default bench-gpu/ and "eval"; SECTIONS e.g. "eval model train")
# JSON figures are written row by row, so a section stopped by its time limit keeps what it measured.
set -uo pipefail
out=${1:-bench-gpu}
sections=${2:-eval}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/gpu.txt"
python3 -c "import torch, transformers, diffusers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'diffusers', diffusers.__version__)"
for section in $sections; do
  case $section in
    eval)
      timeout 480 python3 bench/model.py --config motus_8b --device cuda --modes vla --batch-sizes 1,8 --steps 10,2 \
        --compile none,cudagraphs,layers,step --repeats 5 --json "$out/vla_speed.json" 2>&1 | tee "$out/vla_speed.log" ;;
    model)
      timeout 200 python3 bench/model.py --config motus_8b --device cuda --modes vla,joint --batch-sizes 1,8 \
        --decode both --json "$out/model.json" 2>&1 | tee "$out/model.log" ;;
    train)
      timeout 150 python3 bench/train.py --config motus_8b --device cuda --batch 1 --steps 5 --checkpointing \
        --strategy single --json "$out/train_single.json" 2>&1 | grep -v Warning | tee "$out/train_single.log"
      timeout 200 python3 bench/train.py --config motus_8b --device cuda --batch 1 --steps 5 --checkpointing \
        --strategy deepspeed --json "$out/train_zero1.json" 2>&1 | grep -v Warning | tee "$out/train_zero1.log" ;;
    *) echo "unknown section $section; valid: eval model train" >&2; exit 2 ;;
  esac
done
