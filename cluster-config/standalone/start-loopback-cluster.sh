#!/usr/bin/env bash
# Starts a Spark standalone cluster on this machine from the build's own jars (no Spark
# distribution needed): one Master and N Workers, every listener bound to 127.0.0.1.
#
#   start-loopback-cluster.sh --dir DIR [--workers 2] [--worker-cores 1] [--worker-memory 1g]
#       [--worker-gpus 0] [--master-port 0] [--master-webui-port 0] [--spark-home DIR]
#       [--jars-from DIR] [--timeout 120]
#   start-loopback-cluster.sh --dir DIR --add-worker [--worker-cores 1] [--worker-memory 1g]
#       [--worker-gpus 0]
#
# --add-worker starts one more Worker for the running cluster in DIR (as when a node comes back)
# and counts it in cluster.env's WORKERS. --worker-gpus N declares N GPUs (addresses 0..N-1) on
# every Worker for Spark's scheduling only: nothing checks that they exist, so tests of resource
# profiles run on CPU machines.
#
# Port 0 means "any free port" (read back from the logs). DIR receives logs/, pids/ (one file per
# JVM we started; stop-loopback-cluster.sh kills exactly those), work/worker-<i>/ (executor work
# dirs) and cluster.env (MASTER_URL, MASTER_WEBUI_URL, SPARK_HOME, WORKERS), which it also prints.
#
# SPARK_HOME is a directory whose jars/ holds Spark's runtime jars (docs/PLATFORM.md §2). When
# jars/ is empty (or, for the default trainer/target/spark-home, the poms changed since it was
# filled) it is filled, DJL and igspark excluded (the application ships those), from
# --jars-from, else trainer/target/lib (bin/igspark builds it), else
# `mvn dependency:copy-dependencies` on the core and data-pipeline modules. bin/spark-submit is added so
# bin/igspark-submit can submit to this cluster.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../bin/lib/jvm.sh
source "$here/../../bin/lib/jvm.sh"

dir=""
workers=2
worker_cores=1
worker_memory=1g
worker_gpus=0
master_port=0
master_webui_port=0
spark_home="$IGSPARK_HOME/trainer/target/spark-home"
jars_from=""
timeout=120
daemon_heap=512m
add_worker=false

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --worker-cores) worker_cores="$2"; shift 2 ;;
    --worker-memory) worker_memory="$2"; shift 2 ;;
    --worker-gpus) worker_gpus="$2"; shift 2 ;;
    --master-port) master_port="$2"; shift 2 ;;
    --master-webui-port) master_webui_port="$2"; shift 2 ;;
    --spark-home) spark_home="$2"; shift 2 ;;
    --jars-from) jars_from="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --add-worker) add_worker=true; shift ;;
    -h|--help) usage ;;
    *) echo "start-loopback-cluster: unknown option '$1'" >&2; usage ;;
  esac
done
[[ -n "$dir" ]] || { echo "start-loopback-cluster: --dir is required" >&2; usage; }
for n in "$workers" "$worker_cores" "$worker_gpus" "$master_port" "$master_webui_port" "$timeout"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "start-loopback-cluster: '$n' is not a number" >&2; exit 2; }
done
[[ "$workers" -ge 1 ]] || { echo "start-loopback-cluster: --workers must be >= 1" >&2; exit 2; }

mkdir -p "$dir/logs" "$dir/pids" "$dir/work"
dir="$(cd "$dir" && pwd)"
if [[ $add_worker == true ]]; then
  [[ -f "$dir/cluster.env" ]] \
    || { echo "start-loopback-cluster: --add-worker: no cluster.env in $dir" >&2; exit 2; }
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  spark_home="$SPARK_HOME"
elif compgen -G "$dir/pids/*.pid" >/dev/null; then
  echo "start-loopback-cluster: $dir already has a running cluster (pids/); stop it first" >&2
  exit 1
fi

# Links every jar of $1 into $spark_home/jars except DJL's and igspark's own.
link_jars_from() {
  local jar name
  for jar in "$1"/*.jar; do
    name="$(basename "$jar")"
    case "$name" in
      api-[0-9]*|pytorch-*|igspark-*) continue ;;
    esac
    ln -sf "$(cd "$(dirname "$jar")" && pwd)/$name" "$spark_home/jars/$name"
  done
}

mkdir -p "$spark_home/jars" "$spark_home/bin"
# The default SPARK_HOME is ours, filled from the poms: refilled when they change (a Spark
# upgrade would otherwise leave two versions of every Spark jar side by side).
stamp="$(cat "$IGSPARK_HOME"/pom.xml "$IGSPARK_HOME"/*/pom.xml | sha256sum | cut -d' ' -f1)"
if [[ "$spark_home" == "$IGSPARK_HOME/trainer/target/spark-home" \
      && "$(cat "$spark_home/jars.stamp" 2>/dev/null)" != "$stamp" ]]; then
  rm -f "$spark_home"/jars/*.jar
fi
if ! compgen -G "$spark_home/jars/*.jar" >/dev/null; then
  if [[ -n "$jars_from" ]]; then
    link_jars_from "$jars_from"
  elif [[ $(compgen -G "$IGSPARK_LIB/spark-core_*.jar" | wc -l) -eq 1 ]]; then
    link_jars_from "$IGSPARK_LIB"
  else
    echo "start-loopback-cluster: filling $spark_home/jars (mvn dependency:copy-dependencies)" >&2
    # From the root, so data-pipeline's own dependency on core resolves in the reactor
    # (test-compile: the reactor hands out core's test-jar only once its tests are compiled).
    copy=(-f "$IGSPARK_HOME/pom.xml" -pl "core,data-pipeline" test-compile
          dependency:copy-dependencies -DincludeScope=runtime
          "-DexcludeGroupIds=ai.djl,ai.djl.pytorch,ai.igspark" -DoutputDirectory="$spark_home/jars")
    # Maven's output (even -q prints ANSI resets) goes to stderr: stdout is cluster.env only.
    { mvn -B -q -o "${copy[@]}" || mvn -B -q "${copy[@]}"; } >&2
  fi
fi
compgen -G "$spark_home/jars/spark-core_*.jar" >/dev/null \
  || { echo "start-loopback-cluster: no spark-core jar in $spark_home/jars" >&2; exit 1; }
cores=("$spark_home"/jars/spark-core_*.jar)
if [[ ${#cores[@]} -gt 1 ]]; then
  echo "start-loopback-cluster: $spark_home/jars holds ${#cores[@]} spark-core jars" \
    "(${cores[*]##*/}); expected one Spark version: empty that folder and start again" >&2
  exit 1
fi
[[ "$spark_home" != "$IGSPARK_HOME/trainer/target/spark-home" ]] || echo "$stamp" >"$spark_home/jars.stamp"
cp "$here/spark-submit" "$spark_home/bin/spark-submit"
chmod +x "$spark_home/bin/spark-submit"

# Workers launch executors through Spark's launcher, which needs both (docs/PLATFORM.md §2).
export SPARK_HOME="$spark_home"
export SPARK_SCALA_VERSION=2.13
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_LOCAL_DIRS="$dir/work/tmp"
mkdir -p "$SPARK_LOCAL_DIRS"

started=()
daemon_conf=()
fail() {
  echo "start-loopback-cluster: $1" >&2
  local log
  for log in "$dir"/logs/*.log; do
    echo "--- tail of $log" >&2
    tail -n 20 "$log" >&2
  done
  "$here/stop-loopback-cluster.sh" --dir "$dir" >&2 || true
  exit 1
}

# Starts a daemon JVM in the background; $1 names its log and pid files.
start_daemon() {
  local name="$1"
  shift
  nohup java "${IGSPARK_JVM_OPTS[@]}" "${daemon_conf[@]}" -Xmx"$daemon_heap" \
    -cp "$SPARK_HOME/jars/*" "$@" \
    >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo "$!" >"$dir/pids/$name.pid"
  started+=("$name")
}

# Prints the first match of the extended regex $2 in log $1, waiting up to the timeout.
await_log() {
  local log="$1" pattern="$2" deadline=$((SECONDS + timeout)) match
  while ((SECONDS < deadline)); do
    match="$(grep -oE "$pattern" "$log" 2>/dev/null | head -n 1 || true)"
    if [[ -n "$match" ]]; then
      echo "$match"
      return 0
    fi
    kill -0 "$(cat "$dir/pids/$(basename "$log" .log).pid")" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

worker_gpu_conf=()
if [[ "$worker_gpus" -gt 0 ]]; then
  addresses="$(seq -s '", "' 0 $((worker_gpus - 1)))"
  printf '#!/usr/bin/env bash\necho '"'"'{"name": "gpu", "addresses": ["%s"]}'"'"'\n' "$addresses" \
    >"$dir/declared-gpus.sh"
  chmod +x "$dir/declared-gpus.sh"
  worker_gpu_conf=(-Dspark.worker.resource.gpu.amount="$worker_gpus"
                   -Dspark.worker.resource.gpu.discoveryScript="$dir/declared-gpus.sh")
fi

# Starts Worker $1 for the Master at $2.
start_worker() {
  local daemon_conf=("${daemon_conf[@]}" "${worker_gpu_conf[@]}")
  mkdir -p "$dir/work/worker-$1"
  start_daemon "worker-$1" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
    --port 0 --webui-port 0 --cores "$worker_cores" --memory "$worker_memory" \
    --work-dir "$dir/work/worker-$1" "$2"
}

t0=$SECONDS
if [[ $add_worker == true ]]; then
  # WORKERS and MASTER_URL come from cluster.env (sourced above).
  # shellcheck disable=SC2153
  i=$((WORKERS + 1)) master="$MASTER_URL"
  start_worker "$i" "$master"
  await_log "$dir/logs/worker-$i.log" 'Successfully registered with master' >/dev/null \
    || { echo "start-loopback-cluster: worker-$i did not register with $master" >&2; exit 1; }
  sed -i "s/^WORKERS=.*/WORKERS=$i/" "$dir/cluster.env"
  echo "start-loopback-cluster: worker-$i up in $((SECONDS - t0)) s" >&2
  exit 0
fi
# The REST submission server would take the fixed port 6066; the JSON web UI is enough.
daemon_conf+=(-Dspark.master.rest.enabled=false)
start_daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 \
  --port "$master_port" --webui-port "$master_webui_port"
master_url="$(await_log "$dir/logs/master.log" 'spark://127\.0\.0\.1:[0-9]+')" \
  || fail "the Master did not start"
webui_port="$(await_log "$dir/logs/master.log" "service 'MasterUI' on port [0-9]+")" \
  || fail "the Master web UI did not start"
webui_url="http://127.0.0.1:${webui_port##* }"

for ((i = 1; i <= workers; i++)); do
  start_worker "$i" "$master_url"
done
for ((i = 1; i <= workers; i++)); do
  await_log "$dir/logs/worker-$i.log" 'Successfully registered with master' >/dev/null \
    || fail "worker-$i did not register with $master_url"
done

cat >"$dir/cluster.env" <<ENV
MASTER_URL=$master_url
MASTER_WEBUI_URL=$webui_url
SPARK_HOME=$SPARK_HOME
WORKERS=$workers
WORKER_CORES=$worker_cores
ENV
echo "start-loopback-cluster: ${started[*]} up in $((SECONDS - t0)) s" >&2
cat "$dir/cluster.env"
