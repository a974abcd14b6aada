# shellcheck shell=bash
# Sourced by bin/igspark-submit for --gpu: the checks of a CUDA libtorch directory and the Spark
# settings that point DJL at it (cluster-config/README.md, "Running on GPUs"). Defines
# IGSPARK_LIBTORCH_VERSION, IGSPARK_DEFAULT_FLAVOR, igspark_libtorch_version,
# igspark_check_libtorch, igspark_gpu_shipped and igspark_gpu_conf (which fills IGSPARK_GPU_ENV
# and IGSPARK_GPU_CONF).
#
# The rules (ai.igspark.device.LibtorchDirectory applies the same ones on every executor):
#   - PYTORCH_LIBRARY_PATH is one directory holding libtorch.so, libc10.so and DJL's
#     libdjl_torch.so (or <djl version>-libdjl_torch.so): what DJL's LibUtils loads.
#   - Its version is the first line of build-version in that directory or its parent (a libtorch
#     zip from pytorch.org unpacks to libtorch/{build-version,lib/}: "2.7.1+cu128"), else
#     __version__ in ../version.py (torch/lib of a pip wheel), else the name of a DJL cache
#     directory (<version>-<flavor>-linux-x86_64). The part before "+" must be 2.7.1, the
#     libtorch DJL 0.36's JNI library was built against.
#   - It must be a CUDA build: libtorch_cuda.so present, and no "+cpu" in the version. A
#     "+cuNNN" suffix must equal PYTORCH_FLAVOR (default cu128, the flavor DJL 0.36 ships
#     libdjl_torch.so for).

IGSPARK_LIBTORCH_VERSION=2.7.1
IGSPARK_DEFAULT_FLAVOR=cu128

# Prints "<version> <file it came from>" for the libtorch in $1; returns 1 when none is found.
igspark_libtorch_version() {
  local dir="$1" file line
  for file in "$dir/build-version" "$dir/../build-version"; do
    if [[ -f "$file" ]]; then
      read -r line <"$file" || true
      line="${line//[[:space:]]/}"
      if [[ -n "$line" ]]; then
        echo "$line $file"
        return 0
      fi
    fi
  done
  file="$dir/../version.py"
  if [[ -f "$file" ]]; then
    line="$(sed -n "s/^__version__[[:space:]]*=[[:space:]]*['\"]\\([^'\"]*\\)['\"].*/\\1/p" "$file" \
      | head -n 1)"
    if [[ -n "$line" ]]; then
      echo "$line $file"
      return 0
    fi
  fi
  # DJL's own cache directories: ~/.djl.ai/pytorch/<version>[-<build date>]-<flavor>-<os>-<arch>.
  local name
  name="$(basename "$dir")"
  if [[ "$name" =~ ^([0-9]+\.[0-9]+\.[0-9]+)(-[0-9]+)?-([a-z0-9]+)(-precxx11)?-(linux|osx|win)- ]]
  then
    echo "${BASH_REMATCH[1]}+${BASH_REMATCH[3]} the directory name"
    return 0
  fi
  return 1
}

# Checks that $1 is a CUDA libtorch 2.7.1 of flavor $2 with DJL's JNI library. Prints what is
# wrong and returns 1 if it is not.
igspark_check_libtorch() {
  local dir="$1" flavor="$2" hint="see cluster-config/README.md, \"Running on GPUs\""
  if [[ -z "$dir" ]]; then
    echo "--gpu needs PYTORCH_LIBRARY_PATH: the lib/ directory of a CUDA libtorch" \
      "$IGSPARK_LIBTORCH_VERSION ($flavor) holding libtorch.so, libc10.so and DJL's" \
      "libdjl_torch.so, at the same path on every node ($hint)"
    return 1
  fi
  if [[ "$dir" != /* ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir: give an absolute path (executors resolve it in their own" \
      "working directories)"
    return 1
  fi
  if [[ "$dir" == *:* ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir: give one directory for --gpu, not a list"
    return 1
  fi
  if [[ ! -d "$dir" ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir is not a directory on this host ($hint; with the path" \
      "only on the cluster nodes, set IGSPARK_LIBTORCH_CHECK=skip)"
    return 1
  fi
  local missing=() lib
  for lib in libtorch.so libc10.so; do
    [[ -f "$dir/$lib" ]] || missing+=("$lib")
  done
  if ! compgen -G "$dir/*libdjl_torch.so" >/dev/null; then
    local jni="libdjl_torch.so (DJL's JNI library: unzip -j trainer/target/lib/pytorch-jni-*.jar"
    jni+=" 'jnilib/linux-x86_64/$flavor/libdjl_torch.so' -d $dir)"
    missing+=("$jni")
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    local list="${missing[0]}" i
    for ((i = 1; i < ${#missing[@]}; i++)); do
      list+=", ${missing[i]}"
    done
    echo "PYTORCH_LIBRARY_PATH=$dir lacks $list ($hint)"
    return 1
  fi
  local found version source
  if ! found="$(igspark_libtorch_version "$dir")"; then
    echo "PYTORCH_LIBRARY_PATH=$dir: cannot tell its libtorch version: no build-version in it" \
      "or its parent (a libtorch zip has libtorch/build-version) and no ../version.py (a pip" \
      "wheel's torch/); if it is $IGSPARK_LIBTORCH_VERSION, say so: echo" \
      "$IGSPARK_LIBTORCH_VERSION+$flavor > $dir/build-version"
    return 1
  fi
  version="${found%% *}"
  source="${found#* }"
  if [[ "${version%%+*}" != "$IGSPARK_LIBTORCH_VERSION" ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir holds libtorch $version ($source); DJL 0.36 needs" \
      "$IGSPARK_LIBTORCH_VERSION ($hint)"
    return 1
  fi
  local local_part=""
  [[ "$version" == *+* ]] && local_part="${version#*+}"
  local cpu_only=""
  if [[ ! -f "$dir/libtorch_cuda.so" ]]; then
    cpu_only="no libtorch_cuda.so"
  elif [[ "$local_part" == cpu* ]]; then
    cpu_only="a +cpu build"
  fi
  if [[ -n "$cpu_only" ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir holds a CPU-only libtorch ($version from $source," \
      "$cpu_only); --gpu needs the CUDA build $IGSPARK_LIBTORCH_VERSION+$flavor ($hint)"
    return 1
  fi
  if [[ "$local_part" == cu* && "$local_part" != "$flavor" ]]; then
    echo "PYTORCH_LIBRARY_PATH=$dir holds libtorch $version, but PYTORCH_FLAVOR=$flavor;" \
      "use the $flavor build, or set PYTORCH_FLAVOR=$local_part with a libdjl_torch.so built" \
      "for it"
    return 1
  fi
  return 0
}

# Whether a runtime jar goes to the executors under --gpu: not DJL's CPU libtorch.
igspark_gpu_shipped() {
  [[ "$(basename "$1")" != pytorch-native-cpu*.jar ]]
}

# The environment a GPU run needs (IGSPARK_GPU_ENV, NAME=VALUE) and the --conf arguments that
# give it to the executors and to a driver that runs in the cluster (IGSPARK_GPU_CONF), for the
# Spark master $1. Reads PYTORCH_LIBRARY_PATH, PYTORCH_FLAVOR and TORCH_ALLOW_TF32_CUBLAS_OVERRIDE.
igspark_gpu_conf() {
  local master="$1" entry
  IGSPARK_GPU_ENV=(
    "PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH"
    "PYTORCH_VERSION=$IGSPARK_LIBTORCH_VERSION"
    "PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-$IGSPARK_DEFAULT_FLAVOR}"
    # CUDA ordinals in nvidia-smi's order, so discover-gpus.sh's indexes name the same GPUs.
    "CUDA_DEVICE_ORDER=PCI_BUS_ID"
    # TF32 matmuls, as the official SiT recipe trains (fp32 with TF32); the run config's
    # gpu.tf32 overrides it for training (ai.igspark.spark.SparkContexts).
    "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=${TORCH_ALLOW_TF32_CUBLAS_OVERRIDE:-1}"
  )
  IGSPARK_GPU_CONF=()
  for entry in "${IGSPARK_GPU_ENV[@]}"; do
    IGSPARK_GPU_CONF+=(--conf "spark.executorEnv.$entry")
    case "$master" in
      yarn*) IGSPARK_GPU_CONF+=(--conf "spark.yarn.appMasterEnv.$entry") ;;
      k8s://*) IGSPARK_GPU_CONF+=(--conf "spark.kubernetes.driverEnv.$entry") ;;
    esac
  done
}
