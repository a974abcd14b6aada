#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs this process may use as Spark's resource JSON,
#   {"name": "gpu", "addresses": ["0", "1"]}
# Point spark.executor.resource.gpu.discoveryScript (and, on standalone Workers,
# spark.worker.resource.gpu.discoveryScript) at it; it must exist at this path on every node.
#
# The addresses are CUDA device ordinals as the executor JVM sees them, because igspark opens
# Device.gpu(<address>) (ai.igspark.spark.DeviceAssignment):
#   - CUDA_VISIBLE_DEVICES set (Slurm, YARN GPU isolation, the NVIDIA device plugin): CUDA
#     renumbers the listed devices 0..n-1, so the answer is 0..n-1 whatever they are called
#     (indexes, GPU-<uuid>, MIG-<uuid>). Empty, "NoDevFiles" (Slurm without GPUs) or a leading
#     "-1" mean none.
#   - otherwise every GPU `nvidia-smi --query-gpu=index --format=csv,noheader` lists.
#   - no nvidia-smi, or it fails (no driver, no GPU): no addresses, so Spark schedules no GPU
#     and igspark trains on the CPU.
set -euo pipefail

addresses=()
if [[ -n "${CUDA_VISIBLE_DEVICES+set}" ]]; then
  IFS=',' read -r -a visible <<<"${CUDA_VISIBLE_DEVICES// /}"
  for device in "${visible[@]}"; do
    # CUDA stops at the first invalid entry; "-1" is the conventional "no GPU".
    [[ -z "$device" || "$device" == "NoDevFiles" || "$device" == -* ]] && break
    addresses+=("${#addresses[@]}")
  done
elif command -v nvidia-smi >/dev/null 2>&1; then
  if listing="$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null)"; then
    while read -r index; do
      index="${index//[[:space:]]/}"
      [[ "$index" =~ ^[0-9]+$ ]] && addresses+=("$index")
    done <<<"$listing"
  fi
fi

json=""
for address in "${addresses[@]}"; do
  json+="${json:+, }\"$address\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$json"
