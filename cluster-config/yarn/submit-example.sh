#!/usr/bin/env bash
# Example: train igspark on a YARN cluster with GPUs, through bin/igspark-submit --profile yarn
# (cluster-config/yarn/spark-defaults.conf). Copy it and edit the variables, or set them in the
# environment:
#
#   SPARK_HOME       a Spark 4.2 (Scala 2.13) installation with bin/spark-submit  (required)
#   HADOOP_CONF_DIR  the cluster's Hadoop/YARN client configuration               (required)
#   CONFIG           the run configuration (YAML) on this host; it is shipped to the driver
#                    (default: configs/sit-xl2-ig.yaml)
#   QUEUE            YARN queue with GPU nodes (default: the profile's spark.yarn.queue)
#   DEPLOY_MODE      cluster (default: the driver runs in YARN and is restarted on failure) or
#                    client (the driver runs here; export SPARK_LOCAL_IP=<this host's cluster
#                    address> first, the default 127.0.0.1 is unreachable from executors)
#
#   cluster-config/yarn/submit-example.sh [extra train options...]
#
# The run directory in CONFIG must be on HDFS (hdfs://...): a restarted driver runs on another
# node and resumes from the run directory's LATEST checkpoint. The world size (number of
# executors, one per GPU node) comes from the run configuration; cores, GPUs and memory per
# executor from the profile (override with --conf below).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
igspark_home="$(cd "$here/../.." && pwd)"

: "${SPARK_HOME:?set SPARK_HOME to a Spark 4.2 (Scala 2.13) installation}"
: "${HADOOP_CONF_DIR:?set HADOOP_CONF_DIR to the Hadoop configuration directory of the cluster}"
config="${CONFIG:-$igspark_home/configs/sit-xl2-ig.yaml}"
deploy_mode="${DEPLOY_MODE:-cluster}"
if [[ ! -f "$config" ]]; then
  echo "submit-example: no run configuration at $config (set CONFIG)" >&2
  exit 2
fi

submit=(--profile yarn --deploy-mode "$deploy_mode")
[[ -n "${QUEUE:-}" ]] && submit+=(--conf "spark.yarn.queue=$QUEUE")
if [[ "$deploy_mode" == cluster ]]; then
  # The driver runs in a YARN container: ship the config there (it lands in the container's
  # working directory under its own name) and the driver reads it by that name.
  submit+=(--conf "spark.yarn.dist.files=$config")
  config_arg="$(basename "$config")"
else
  config_arg="$config"
fi

exec "$igspark_home/bin/igspark-submit" "${submit[@]}" train --config "$config_arg" "$@"
