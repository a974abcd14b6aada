#!/usr/bin/env bash
# Debian packages the test suite uses. Installed only when missing, and only as root;
# otherwise the missing ones are named so a person can install them.
set -euo pipefail
needed=(
  # cluster-config and bin/ scripts are checked with shellcheck (ShellScriptsTest)
  shellcheck
  # notebooks/ (trainer NotebooksTest executes them headless)
  jupyter-nbconvert python3-nbconvert python3-ipykernel python3-matplotlib python3-pandas
  python3-nbformat
  # FD-FMNIST tests ingest the real Fashion-MNIST splits
  dataset-fashion-mnist
  # TensorBoard event files are read back by an independent protobuf reader (metrics.tensorboard)
  python3-protobuf
  # docs/run-config.schema.json is checked with a real JSON Schema validator (config RunConfigSchemaTest)
  python3-jsonschema
  # the Slurm template runs on a one-node Slurm the test starts (clusterconfig SlurmTemplateTest)
  slurmctld slurmd slurm-client munge
)
missing=()
for pkg in "${needed[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "run-tests: installing ${missing[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
else
  echo "run-tests: please install these Debian packages first: ${missing[*]}" >&2
  exit 1
fi
