# shellcheck shell=bash
# Sourced by bin/igspark-submit: what it needs to know of spark-submit's command line and of
# Spark's properties files, so it can pass the user's options through and merge the few settings
# it adds to. Defines igspark_submit_takes_value, igspark_read_properties and igspark_join.

# spark-submit's options that take a value (Spark 4.2.0, SparkSubmitOptionParser.opts); every
# other option is a switch (--verbose, --supervise, --load-spark-defaults, ...) or unknown, and
# either way goes to spark-submit as one argument.
IGSPARK_SUBMIT_VALUE_OPTS=" --archives --class --conf -c --deploy-mode --driver-class-path
  --driver-cores --driver-default-class-path --driver-java-options --driver-library-path
  --driver-memory --executor-cores --executor-memory --extra-properties-file --files --jars
  --keytab --kill --master
  --remote --name --num-executors --packages --exclude-packages --principal --properties-file
  --proxy-user --py-files --queue --repositories --status --total-executor-cores "

# Whether the spark-submit option $1 takes a value.
igspark_submit_takes_value() {
  [[ "$IGSPARK_SUBMIT_VALUE_OPTS" == *[[:space:]]"$1"[[:space:]]* ]]
}

# Reads the properties file $1 into the associative array named $2 (the caller declares it), the
# way spark-submit reads spark-defaults.conf and --properties-file: java.util.Properties syntax
# (# and ! comments, "key value", "key=value" or "key: value", a line ending in an odd number of
# backslashes continues on the next with its leading blanks dropped, \t \n \r \f \uXXXX escapes),
# a later line replacing an earlier one, and every value trimmed (Spark's Utils.trim).
igspark_read_properties() {
  local file="$1" raw logical="" continuing="" slashes
  local -n igspark_props_into="$2"
  while IFS= read -r raw || [[ -n "$raw" ]]; do
    raw="${raw%$'\r'}"
    raw="${raw#"${raw%%[!$' \t\f']*}"}"
    if [[ -z "$continuing" && ( -z "$raw" || "$raw" == [#!]* ) ]]; then
      continue
    fi
    slashes="${raw##*[!\\]}"
    if (( ${#slashes} % 2 == 1 )); then
      logical+="${raw%\\}"
      continuing=1
      continue
    fi
    logical+="$raw"
    continuing=""
    igspark_property_line "$logical"
    logical=""
  done <"$file"
  # A file ending in a continuation: Properties keeps what it read.
  if [[ -n "$logical" ]]; then
    igspark_property_line "$logical"
  fi
}

# Splits one logical line $1 into key and value and stores them in igspark_props_into (the array
# of the igspark_read_properties that calls it). The key ends at the first unescaped blank, '='
# or ':'; then blanks, at most one '=' or ':', and blanks again separate it from the value.
igspark_property_line() {
  local line="$1" key="" c i=0 n=${#1} escaped=""
  while ((i < n)); do
    c="${line:i:1}"
    if [[ -n "$escaped" ]]; then
      key+="\\$c"
      escaped=""
    elif [[ "$c" == "\\" ]]; then
      escaped=1
    elif [[ "$c" == [$' \t\f=:'] ]]; then
      break
    else
      key+="$c"
    fi
    i=$((i + 1))
  done
  local rest="${line:i}"
  rest="${rest#"${rest%%[!$' \t\f']*}"}"
  [[ "$rest" == [=:]* ]] && rest="${rest:1}"
  rest="${rest#"${rest%%[!$' \t\f']*}"}"
  igspark_unescape "$key"
  key="$IGSPARK_UNESCAPED"
  igspark_unescape "$rest"
  # String.trim: every character up to U+0020 at either end.
  local value="${IGSPARK_UNESCAPED#"${IGSPARK_UNESCAPED%%[![:space:][:cntrl:]]*}"}"
  value="${value%"${value##*[![:space:][:cntrl:]]}"}"
  igspark_props_into["$key"]="$value"
}

# Sets IGSPARK_UNESCAPED to $1 with java.util.Properties' escapes resolved (a variable, not
# output: a subshell per line would cost more than the parsing).
igspark_unescape() {
  local s="$1"
  IGSPARK_UNESCAPED="$s"
  [[ "$s" == *\\* ]] || return 0
  local out="" c i=0 n=${#s} ch
  while ((i < n)); do
    c="${s:i:1}"
    if [[ "$c" == "\\" && $((i + 1)) -lt $n ]]; then
      i=$((i + 1))
      c="${s:i:1}"
      case "$c" in
        t) out+=$'\t' ;;
        n) out+=$'\n' ;;
        r) out+=$'\r' ;;
        f) out+=$'\f' ;;
        u)
          if [[ "${s:i+1:4}" =~ ^[0-9a-fA-F]{4}$ ]]; then
            printf -v ch '%b' "\\u${s:i+1:4}"
            out+="$ch"
            i=$((i + 4))
          else
            out+="u"
          fi ;;
        *) out+="$c" ;;
      esac
    elif [[ "$c" != "\\" ]]; then
      out+="$c"
    fi
    i=$((i + 1))
  done
  IGSPARK_UNESCAPED="$out"
}

# Prints the non-empty arguments after the first, joined by the separator $1.
igspark_join() {
  local sep="$1" out="" part
  shift
  for part in "$@"; do
    [[ -n "$part" ]] || continue
    out+="${out:+$sep}$part"
  done
  printf '%s' "$out"
}
