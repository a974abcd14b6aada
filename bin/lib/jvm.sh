# Shared by bin/igspark, bin/igspark-submit and the cluster scripts: the JVM flags and environment
# every igspark JVM needs. Source it; it defines IGSPARK_HOME, IGSPARK_JVM_OPTS (an array) and
# igspark_ensure_built.

IGSPARK_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Spark 4.2.0's module options (JavaModuleOptions.defaultModuleOptions()); Kryo fails without them.
IGSPARK_MODULE_OPTS=(
  # jdk.incubator.vector is left out: only Spark MLlib uses it, and it prints a warning on every start.
  -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.type=pooled
  -Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE
  --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
)
# Nothing may leave loopback: DJL's telemetry probe stays off in every JVM.
IGSPARK_OFFLINE_OPTS=(-Dai.djl.offline=true -DOPT_OUT_TRACKING=true)
IGSPARK_JVM_OPTS=("${IGSPARK_MODULE_OPTS[@]}" "${IGSPARK_OFFLINE_OPTS[@]}")

export OPT_OUT_TRACKING=true
export DJL_OFFLINE=true
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.13}"
# The embedded default is a laptop: bind Spark to loopback unless told otherwise.
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

IGSPARK_JAR="$IGSPARK_HOME/trainer/target/igspark.jar"
IGSPARK_LIB="$IGSPARK_HOME/trainer/target/lib"

# Builds the project when the jar is missing or older than any source or pom, so a fresh clone
# needs no separate build step. Offline first (fast, no traffic); online only if that fails.
igspark_ensure_built() {
  local stale=""
  if [[ ! -f "$IGSPARK_JAR" || ! -d "$IGSPARK_LIB" ]]; then
    stale="missing"
  elif [[ -n "$(find "$IGSPARK_HOME/pom.xml" "$IGSPARK_HOME/core" "$IGSPARK_HOME/data-pipeline" "$IGSPARK_HOME/trainer" \
                 \( -path '*/target' -prune \) -o \( -path '*/src/main/*' -o -name pom.xml \) \
                 -type f -newer "$IGSPARK_JAR" -print -quit)" ]]; then
    stale="changed"
  fi
  [[ -z "$stale" ]] && return 0
  if ! command -v mvn >/dev/null 2>&1; then
    echo "igspark: Maven (mvn) is needed to build igspark; install it (Debian: apt-get install maven)." >&2
    return 1
  fi
  echo "igspark: building ($stale jar; this takes a minute the first time)..." >&2
  local log
  log="$(mktemp)"
  # lib/ is refilled, not added to: a dependency upgrade must not leave the old jar beside the
  # new one on the class path (lib/*).
  rm -rf "$IGSPARK_LIB"
  if ! (cd "$IGSPARK_HOME" && mvn -B -q -o -DskipTests package >"$log" 2>&1); then
    if ! (cd "$IGSPARK_HOME" && mvn -B -q -DskipTests package >"$log" 2>&1); then
      cat "$log" >&2
      echo "igspark: the build failed (log above)." >&2
      rm -f "$log"
      return 1
    fi
  fi
  rm -f "$log"
}
