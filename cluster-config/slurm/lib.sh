# shellcheck shell=bash
# Sourced by igspark-train.sbatch and start-worker.sh.

# The address this node's Spark daemons bind and advertise: the IPv4 address of
# $IGSPARK_NODE_INTERFACE when set (pick the cluster network on multi-homed nodes); else the first
# address the node's hostname resolves to that is one of the node's own and not loopback; else the
# node's first non-loopback IPv4 address (`hostname -I`); else, on a one-node allocation, where no
# other node has to reach it, 127.0.0.1.
node_address() {
  local address="" own
  if [[ -n "${IGSPARK_NODE_INTERFACE:-}" ]]; then
    address="$(ip -4 -o addr show dev "$IGSPARK_NODE_INTERFACE" 2>/dev/null \
      | awk '{split($4, a, "/"); print a[1]; exit}')"
    if [[ -z "$address" ]]; then
      echo "igspark-slurm: IGSPARK_NODE_INTERFACE=$IGSPARK_NODE_INTERFACE has no IPv4 address" \
        "on $(hostname)" >&2
      return 1
    fi
    echo "$address"
    return 0
  fi
  # A name can resolve to an address the node does not have (a stale /etc/hosts, a container):
  # Spark cannot bind that, so only the node's own addresses count.
  own=" $(hostname -I 2>/dev/null || true) "
  address="$(getent ahostsv4 "$(hostname)" 2>/dev/null \
    | awk -v own="$own" '$1 !~ /^127\./ && index(own, " " $1 " ") {print $1; exit}')"
  if [[ -z "$address" ]]; then
    address="$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) {print $i; exit}}' \
      <<<"$own")"
  fi
  if [[ -z "$address" && "${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-}}" == 1 ]]; then
    address=127.0.0.1
  fi
  if [[ -z "$address" ]]; then
    echo "igspark-slurm: cannot find a non-loopback address for $(hostname), which other nodes" \
      "must reach; set IGSPARK_NODE_INTERFACE" >&2
    return 1
  fi
  echo "$address"
}

# The node's memory in MiB that Slurm allotted to this job: --mem (SLURM_MEM_PER_NODE), else
# --mem-per-cpu times the node's CPUs, else the node's physical memory; never more than that.
node_memory_mib() {
  local physical allotted=""
  physical="$(awk '/^MemTotal:/ {print int($2 / 1024); exit}' /proc/meminfo)"
  if [[ -n "${SLURM_MEM_PER_NODE:-}" ]]; then
    allotted="$SLURM_MEM_PER_NODE"
  elif [[ -n "${SLURM_MEM_PER_CPU:-}" && -n "${SLURM_CPUS_ON_NODE:-}" ]]; then
    allotted="$((SLURM_MEM_PER_CPU * SLURM_CPUS_ON_NODE))"
  fi
  if [[ -z "$allotted" || "$allotted" -le 0 || "$allotted" -gt "$physical" ]]; then
    allotted="$physical"
  fi
  echo "$allotted"
}

# Number of GPU addresses a Spark resource JSON line lists ({"name": "gpu", "addresses": [...]}).
gpu_count() {
  local json="$1" list
  list="${json#*\"addresses\": [}"
  list="${list%%]*}"
  if [[ -z "${list//[[:space:]]/}" ]]; then
    echo 0
  else
    local commas="${list//[^,]/}"
    echo $((${#commas} + 1))
  fi
}
