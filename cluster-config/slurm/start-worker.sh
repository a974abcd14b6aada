#!/usr/bin/env bash
# One Spark standalone Worker on this node, in the foreground (igspark-train.sbatch runs it once per
# node with srun, and stops it by stopping that srun). It offers the node's cores, memory and every
# GPU cluster-config/gpu/discover-gpus.sh finds (Slurm's CUDA_VISIBLE_DEVICES when set), so the
# Master starts one executor per node with all of them.
#
#   start-worker.sh MASTER_URL LOG_DIR
#
# Environment (exported by igspark-train.sbatch): SPARK_HOME, CORES_PER_NODE, WORKER_MEMORY,
# WORKER_WEBUI_PORT, SLURM_JOB_ID; optional IGSPARK_NODE_INTERFACE, WORKER_WORK_DIR, JAVA_HOME.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

[[ $# -eq 2 ]] || { echo "usage: start-worker.sh MASTER_URL LOG_DIR" >&2; exit 2; }
master_url="$1"
log_dir="$2"
: "${SPARK_HOME:?SPARK_HOME is not set}"
: "${CORES_PER_NODE:?CORES_PER_NODE is not set}"
: "${WORKER_MEMORY:?WORKER_MEMORY is not set}"

SPARK_LOCAL_IP="$(node_address)"
export SPARK_LOCAL_IP
# shellcheck source=../../bin/lib/jvm.sh
source "$here/../../bin/lib/jvm.sh"
export SPARK_HOME

discovery="$here/../gpu/discover-gpus.sh"
gpus="$(gpu_count "$("$discovery")")"
worker_conf=()
if [[ "$gpus" -gt 0 ]]; then
  worker_conf=(-Dspark.worker.resource.gpu.amount="$gpus"
               -Dspark.worker.resource.gpu.discoveryScript="$discovery")
fi
work_dir="${WORKER_WORK_DIR:-${TMPDIR:-/tmp}/igspark-worker-${SLURM_JOB_ID:-$$}}"
mkdir -p "$work_dir" "$log_dir"
echo "igspark-slurm: worker on $(hostname) ($SPARK_LOCAL_IP): $CORES_PER_NODE cores," \
  "$WORKER_MEMORY, $gpus GPUs" >&2

# exec: srun's task is the Worker JVM itself, so stopping the srun step stops it.
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" "${IGSPARK_JVM_OPTS[@]}" "${worker_conf[@]}" -Xmx1g \
  -cp "$SPARK_HOME/jars/*" org.apache.spark.deploy.worker.Worker \
  --host "$SPARK_LOCAL_IP" --webui-port "${WORKER_WEBUI_PORT:-8081}" \
  --cores "$CORES_PER_NODE" --memory "$WORKER_MEMORY" --work-dir "$work_dir" \
  "$master_url" >"$log_dir/worker-$(hostname).log" 2>&1
