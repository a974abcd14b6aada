#!/usr/bin/env bash
# Stops a cluster started by start-loopback-cluster.sh --dir DIR: sends TERM to exactly the PIDs
# in DIR/pids (Workers first; a Worker stops its executors on the way down), waits, then KILLs
# whatever is left of those PIDs. A PID that no longer runs a Spark daemon is left alone.
#
#   stop-loopback-cluster.sh --dir DIR [--grace 20]
set -euo pipefail
dir=""
grace=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --grace) grace="$2"; shift 2 ;;
    *) echo "stop-loopback-cluster: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ -n "$dir" ]] || { echo "stop-loopback-cluster: --dir is required" >&2; exit 2; }
[[ -d "$dir/pids" ]] || exit 0

# True when $1 is alive and still one of our Spark daemons (guards against PID reuse).
ours() {
  [[ -r "/proc/$1/cmdline" ]] \
    && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'org\.apache\.spark\.deploy\.'
}

pid_files=()
for f in "$dir"/pids/worker-*.pid "$dir"/pids/master.pid; do
  [[ -f "$f" ]] && pid_files+=("$f")
done
pids=()
for f in "${pid_files[@]}"; do
  pid="$(cat "$f")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  fi
done
deadline=$((SECONDS + grace))
for pid in "${pids[@]}"; do
  while ours "$pid" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if ours "$pid"; then
    echo "stop-loopback-cluster: $pid ignored TERM for ${grace} s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
done
rm -f "${pid_files[@]}"
