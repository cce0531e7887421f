# Sourced by the launcher and CI: sets JAVA_HOME to a JDK 25 or newer and checks Maven.
# Order: $JAVA_HOME if it is 25+, the java on the PATH if it is 25+, else the newest JDK
# 25+ found in the usual install folders.

java_feature() { # prints the feature release of the JDK in $1 (e.g. 25), or nothing
  local release="$1/release"
  [[ -f "$release" ]] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

pick_jdk() {
  local candidates=()
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local dir
  for dir in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [[ -d "$dir" ]] && candidates+=("$dir")
  done
  for dir in "${candidates[@]}"; do
    local v
    v="$(java_feature "$dir")"
    if [[ -n "$v" && "$v" -ge 25 && -x "$dir/bin/javac" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! JAVA_HOME="$(pick_jdk)"; then
  echo "petrel: a JDK 25 or newer is needed; set JAVA_HOME to one" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
