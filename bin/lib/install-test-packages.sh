#!/usr/bin/env bash
# Debian packages the test suite uses. Installed only when missing, and only as root;
# otherwise the missing ones are named so a person can install them.
set -euo pipefail
needed=(dataset-fashion-mnist) # FD-FMNIST tests ingest the real splits
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
