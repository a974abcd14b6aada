# shellcheck shell=bash
# Sourced by igspark-train.sbatch and start-worker.sh.

# The address this node's Spark daemons bind and advertise: the IPv4 address of
# $IGSPARK_NODE_INTERFACE when set (pick the cluster network on multi-homed nodes), else the first
# non-loopback address the node's hostname resolves to, else the first from `hostname -I`.
node_address() {
  local address=""
  if [[ -n "${IGSPARK_NODE_INTERFACE:-}" ]]; then
    address="$(ip -4 -o addr show dev "$IGSPARK_NODE_INTERFACE" 2>/dev/null \
      | awk '{split($4, a, "/"); print a[1]; exit}')"
  fi
  if [[ -z "$address" ]]; then
    address="$(getent ahostsv4 "$(hostname)" 2>/dev/null \
      | awk '$1 !~ /^127\./ {print $1; exit}')"
  fi
  if [[ -z "$address" ]]; then
    address="$(hostname -I 2>/dev/null | awk '{print $1}')"
  fi
  if [[ -z "$address" ]]; then
    echo "igspark-slurm: cannot find a non-loopback address for $(hostname);" \
      "set IGSPARK_NODE_INTERFACE" >&2
    return 1
  fi
  echo "$address"
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
