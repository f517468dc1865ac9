#!/usr/bin/env bash
# npx projen bindings: builds the jsii bindings and checks them in Python, Java and Go.
#
# The packages, built by bindings/package.sh as projen's package:<language> tasks build them:
#   bindings-results/dist/python   the wheel and sdist, static properties typed for type checkers
#   bindings-results/dist/java     the jar, as a Maven repository   (jsii-pacmak)
#   bindings-results/dist/go       the Go module                    (jsii-pacmak, with `go build`)
#   bindings-results/dist/dotnet   the C# sources                   (jsii-pacmak --code-only: no .NET SDK
#                                  here; with `dotnet` on the PATH the package is built as well)
#
# Then, per language, with the official cdk8s packages of that language:
#   - the example app (examples/<lang>) synthesizes YAML byte-identical to examples/typescript's
#     (on a difference the check fails and shows the diff);
#   - an unsupported version/provider pair (Azure with 9.6-v2) is rejected: by javac, by go build, by
#     mypy, and at run time in Python;
#   - the README snippet (bindings/snippets) compiles and runs; the three snippets synthesize the same YAML;
#   - the modern versions' cells (bindings/snippets/modern_cells.py, ModernCells.java, modern_cells.go,
#     rendered from src/_catalog.ts: one WalStorage call per modern version × provider) type-check (mypy
#     and pyright, javac -Werror, gofmt, go vet and go build) and run: each synthesizes one ArchivingPostgres
#     per cell and requires one StatefulSet per cell; the three synthesize the same YAML.
#
# Prints `PASS|FAIL <check>` per check and ends with `N passed, N failed`; exits 1 if a check failed.
# Logs: bindings-results/logs/. Works on a fresh machine where only node_modules is installed: it
# installs its own pip, Maven and Go dependencies (PyPI, Maven Central, Go module proxy) into
#
#   ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/bindings
#     venv-example-<hash>/ venv-build-<hash>/   Python environments (pip cache: pip/)
#     m2/                                         Maven local repository
#     go-mod/                                     GOMODCACHE
#     deps-<versions>/{java,go}                   cdk8s, cdk8s-plus-27 and constructs bindings that
#                                                 bindings/deps.sh generated from their npm packages, only
#                                                 when Maven Central or the Go module proxy does not
#                                                 serve the pinned versions
#
# Environment: PG_WALG_CACHE (cache root), MAVEN_CENTRAL_URL (default https://repo.maven.apache.org/maven2).
set -euo pipefail
exec </dev/null
started=$SECONDS

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
# shellcheck source=bindings/env.sh
. bindings/env.sh
results="$root/bindings-results"
dist="$results/dist"
work="$results/work"
yaml="$results/yaml"
logs="$results/logs"
state="$results/state"

rm -rf "$dist" "$work" "$yaml" "$logs" "$state"
mkdir -p "$dist" "$work" "$yaml" "$logs" "$state"

# The second Python type checker (npm); mypy is pinned in bindings/python/requirements.txt.
PYRIGHT_VERSION=1.1.414
go_module="$(node -p "require('$root/package.json').jsii.targets.go.moduleName")/cdk8spostgreswalg"

passed=0
failed=0
declare -A status=()

# check ID "NAME" "NEEDS" FUNCTION: runs FUNCTION in a subshell (errexit on) with its output in
# logs/ID.log, unless a check it needs did not pass; prints PASS or FAIL (with the log's tail).
check() {
  local id=$1 name=$2 needs=$3 fn=$4 log="$logs/$1.log" t0=$SECONDS rc n
  for n in $needs; do
    if [[ ${status[$n]:-} != ok ]]; then
      status[$id]=skipped
      failed=$((failed + 1))
      echo "FAIL $name (not run: $n did not pass)"
      return 0
    fi
  done
  set +e
  (set -euo pipefail; "$fn") >"$log" 2>&1
  rc=$?
  set -e
  if [[ $rc == 0 ]]; then
    status[$id]=ok
    passed=$((passed + 1))
    echo "PASS $name ($((SECONDS - t0)) s)"
    grep '^NOTE: ' "$log" | sed 's/^/     /' || true
  else
    status[$id]=failed
    failed=$((failed + 1))
    echo "FAIL $name ($((SECONDS - t0)) s; log: ${log#"$root"/})"
    grep -v '^!!' "$log" | tail -n 60 | sed 's/^/    | /'
  fi
}

# same_yaml EXPECTED ACTUAL: byte-identical, or show the diff.
same_yaml() {
  [[ -s $1 ]] || { echo "missing: $1"; return 1; }
  [[ -s $2 ]] || { echo "missing: $2"; return 1; }
  if ! cmp -s "$1" "$2"; then
    echo "the YAML differs (diff -u ${1#"$root"/} ${2#"$root"/}):"
    { diff -u "$1" "$2" || true; } | sed -n 1,60p
    return 1
  fi
  echo "identical: ${1#"$root"/} ${2#"$root"/}"
}

# expect_patterns LOG PATTERN...: LOG (the output of a command that had to fail) matches every PATTERN.
expect_patterns() {
  local log=$1 p
  shift
  for p in "$@"; do
    grep -qE -- "$p" "$log" || { echo "expected /$p/ in the output:"; cat "$log"; return 1; }
  done
}

# ---------------------------------------------------------------------------------------------------
# What the machine must provide (everything else is installed into the cache).
step_tools() {
  local bad=0 v
  need() { if command -v "$1" >/dev/null 2>&1; then echo "$1: $(command -v "$1")"; else echo "missing: $1 ($2)"; bad=1; fi; }
  need python3 "Python 3.10+ with venv and pip"
  need javac "a JDK 11+ (Java 17 here)"
  need java "a JDK 11+"
  need mvn "Maven 3.6+"
  need go "Go 1.25+ (jsii-runtime-go needs go 1.25)"
  need curl "curl"
  [[ $bad == 0 ]] || return 1
  python3 -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 10), sys.version' || { echo "python3 must be 3.10+ with the venv and ensurepip modules (Debian: python3-venv)"; bad=1; }
  v="$(go env GOVERSION)"
  echo "go: $v"
  [[ $(printf '%s\n' go1.25 "$v" | sort -V | sed -n 1p) == go1.25 ]] || { echo "go 1.25 or later is needed (jsii-runtime-go $jsii_version)"; bad=1; }
  javac -version
  mvn -B -v 2>&1 | sed -n 1p
  return $bad
}

# The jsii assembly (lib/ and .jsii) from src/, compiled unless up to date (the build compiles first).
step_compile() {
  if [[ -f .jsii && -f lib/index.js ]] && [[ -z $(find src package.json -newer .jsii -type f -print -quit) ]]; then
    echo "lib/ and .jsii are up to date"
  else
    "$bin/jsii" --silence-warnings=reserved-word
  fi
  mkdir -p lib/scripts
  cp src/scripts/*.sh lib/scripts/
}

step_typescript() {
  CDK8S_OUTDIR="$yaml/typescript" TS_NODE_TRANSPILE_ONLY=true "$bin/ts-node" --project test/tsconfig.json examples/typescript/main.ts
  ls -l "$yaml/typescript"
}

# The examples pin what the npm package pins.
step_pins() {
  local bad=0
  pin() { # FILE REGEX EXPECTED
    local got
    got="$(sed -nE "s~$2~\\1~p" "$1" | sed -n 1p)"
    if [[ $got != "$3" ]]; then echo "$1: expected $3, found '${got}' (/$2/)"; bad=1; else echo "$1: $3"; fi
  }
  pin examples/python/requirements.txt '^cdk8s==([^ ]+)$' "$cdk8s_version"
  pin examples/python/requirements.txt '^cdk8s-plus-27==([^ ]+)$' "$plus_version"
  pin examples/python/requirements.txt '^constructs==([^ ]+)$' "$constructs_version"
  grep -A2 '<artifactId>cdk8s</artifactId>' examples/java/pom.xml | grep -q "<version>$cdk8s_version</version>" || { echo "examples/java/pom.xml: org.cdk8s:cdk8s is not $cdk8s_version"; bad=1; }
  grep -A2 '<artifactId>cdk8s-plus-27</artifactId>' examples/java/pom.xml | grep -q "<version>$plus_version</version>" || { echo "examples/java/pom.xml: org.cdk8s:cdk8s-plus-27 is not $plus_version"; bad=1; }
  grep -A2 '<artifactId>constructs</artifactId>' examples/java/pom.xml | grep -q "<version>$constructs_version</version>" || { echo "examples/java/pom.xml: software.constructs:constructs is not $constructs_version"; bad=1; }
  pin examples/go/go.mod '^\s*github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2 v([^ ]+).*$' "$cdk8s_version"
  pin examples/go/go.mod '^\s*github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2 v([^ ]+).*$' "$plus_version"
  pin examples/go/go.mod '^\s*github.com/aws/jsii-runtime-go v([^ ]+).*$' "$jsii_version"
  return $bad
}

# ---------------------------------------------------------------------------------------------------
# cdk8s, cdk8s-plus-27 and constructs for Java and Go (bindings/deps.sh: from Maven Central and the Go
# module proxy when they serve the pinned versions, else generated by jsii-pacmak and cached), both at once.
step_deps() {
  local rc=0 pj pg
  bash bindings/deps.sh java >"$state/deps-java" 2>"$work/deps-java.log" & pj=$!
  bash bindings/deps.sh go >"$state/deps-go" 2>"$work/deps-go.log" & pg=$!
  wait "$pj" || rc=1
  wait "$pg" || rc=1
  cat "$work/deps-java.log" "$work/deps-go.log"
  return $rc
}

# The packages, as projen's package:<language> tasks build them (bindings/package.sh).
step_python_wheel() { bash bindings/package.sh python "$dist"; }
step_java_jar() {
  bash bindings/package.sh java "$dist"
  # Only this package's artifacts are left to publish.
  [[ $(cd "$dist/java" && find . -name '*.pom' | sort) == "./io/github/cdk8s-postgres-walg/cdk8s-postgres-walg/$version/cdk8s-postgres-walg-$version.pom" ]]
}
step_go_module() {
  bash bindings/package.sh go "$dist"
  grep -qx "module $go_module" "$dist/go/cdk8spostgreswalg/go.mod"
  [[ $(ls "$dist/go") == cdk8spostgreswalg ]]
}
step_dotnet() {
  bash bindings/package.sh dotnet "$dist"
  local src="$dist/dotnet/Cdk8sPostgresWalg"
  ls "$src/Cdk8sPostgresWalg.csproj"
  # The C# signatures carry the matrix as the other languages' do.
  grep -E 'public static Cdk8sPostgresWalg\.WalStorage Azure\(Cdk8sPostgresWalg\.IAzureSwiftPostgresVersion version' "$src/Cdk8sPostgresWalg/WalStorage.cs"
  grep -E 'public static Cdk8sPostgresWalg\.PostgresVersion V9_6_V2' "$src/Cdk8sPostgresWalg/PostgresVersion.cs"
}

# ---------------------------------------------------------------------------------------------------
# Python checks: a venv with the official PyPI packages (pinned), mypy, and the wheel.
step_python_env() {
  local venv
  venv="$cache/venv-example-$(py_hash examples/python/requirements.txt bindings/python/requirements.txt <(echo "jsii==$jsii_version"))"
  if [[ ! -f $venv/.complete ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q -r examples/python/requirements.txt -r bindings/python/requirements.txt "jsii==$jsii_version"
    touch "$venv/.complete"
  fi
  local pyright="$cache/pyright-$PYRIGHT_VERSION"
  if [[ ! -x $pyright/node_modules/.bin/pyright ]]; then
    rm -rf "$pyright"
    mkdir -p "$pyright"
    (cd "$pyright" && echo '{"private": true}' >package.json && npm install --no-audit --no-fund --no-save "pyright@$PYRIGHT_VERSION")
  fi
  mkdir -p "$work/pyright"
  printf '{ "typeCheckingMode": "strict", "pythonVersion": "3.10" }\n' >"$work/pyright/pyrightconfig.json"
  "$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$dist/python"/*.whl
  "$venv/bin/python" -m pip check
  "$venv/bin/python" -m pip list
  echo "$venv" >"$state/py-venv"
}
py() { "$(cat "$state/py-venv")/bin/python" "$@"; }
mypy_run() { py -m mypy --strict --cache-dir "$cache/mypy-cache" "$@"; }
pyright_run() {
  "$cache/pyright-$PYRIGHT_VERSION/node_modules/.bin/pyright" -p "$work/pyright/pyrightconfig.json" \
    --pythonpath "$(cat "$state/py-venv")/bin/python" "$@"
}

step_python_example() {
  CDK8S_OUTDIR="$yaml/python" py examples/python/main.py
  same_yaml "$yaml/typescript/orders.k8s.yaml" "$yaml/python/orders.k8s.yaml"
}
step_python_typecheck() {
  mypy_run examples/python/main.py bindings/snippets/snippet.py
  pyright_run "$root/examples/python/main.py" "$root/bindings/snippets/snippet.py"
}
step_python_typecheck_negative() {
  local log="$work/mypy-negative.log"
  if mypy_run examples/python/negative/unsupported_pair.py >"$log" 2>&1; then
    cat "$log"; echo "mypy accepted WalStorage.azure(PostgresVersion.V9_6_V2, ...)"; return 1
  fi
  cat "$log"
  expect_patterns "$log" 'Argument 1 to "azure" of "WalStorage" has incompatible type "PostgresVersion"; expected "IAzureSwiftPostgresVersion"  \[arg-type\]' '^Found 1 error'
  log="$work/pyright-negative.log"
  if pyright_run "$root/examples/python/negative/unsupported_pair.py" >"$log" 2>&1; then
    cat "$log"; echo "pyright accepted WalStorage.azure(PostgresVersion.V9_6_V2, ...)"; return 1
  fi
  cat "$log"
  expect_patterns "$log" 'Argument of type "PostgresVersion" cannot be assigned to parameter "version" of type "IAzureSwiftPostgresVersion" in function "azure"' '^1 error'
}
step_python_runtime_negative() {
  # The factories take interfaces (IAzureSwiftPostgresVersion), which neither the generated wrapper's
  # runtime type check nor the jsii kernel narrows to a class: the call reaches the library, whose
  # runtime half of the support matrix refuses the pair, with or without the wrapper's checks (-O).
  local log="$work/python-negative.log" flag
  local message='Unsupported pair in WalStorage\.azure\(\): PostgresVersion 9\.6-v2 cannot archive to or restore from Azure \(its WAL-G supports S3, GCS\)\. Versions that support Azure: 9\.6-v3, '
  for flag in "" -O; do
    if py $flag examples/python/negative/unsupported_pair.py >"$log" 2>&1; then
      cat "$log"; echo "python $flag: WalStorage.azure(PostgresVersion.V9_6_V2, ...) ran without an error"; return 1
    fi
    echo "python $flag:"
    grep -v '^!!' "$log" | grep -E 'Error' | tail -n 3 || true
    expect_patterns "$log" "^RuntimeError: Error: $message"
  done
}
step_python_snippet() {
  mkdir -p "$work/snippets/python"
  (cd "$work/snippets/python" && py "$root/bindings/snippets/snippet.py")
  ls -l "$work/snippets/python/dist/shop.k8s.yaml"
}

# The modern versions' cells (bindings/snippets/modern_cells.py, rendered by projenrc/postgres-versions.ts).
step_python_modern_cells_types() {
  mypy_run bindings/snippets/modern_cells.py
  pyright_run "$root/bindings/snippets/modern_cells.py"
}
step_python_modern_cells_run() {
  mkdir -p "$work/modern-cells/python"
  (cd "$work/modern-cells/python" && py "$root/bindings/snippets/modern_cells.py") | tee "$work/modern-cells/python.out"
  expect_cells "$work/modern-cells/python.out" "$work/modern-cells/python/dist/modern-cells.k8s.yaml"
}

# ---------------------------------------------------------------------------------------------------
# Java checks: examples/java (Maven) against the jar in bindings-results/dist/java and cdk8s from
# Maven Central (or the generated bindings), in a copy under bindings-results/work/java.
step_java_build() {
  local deps
  deps="$(cat "$state/deps-java")"
  rm -rf "$work/java"
  cp -a examples/java "$work/java"
  cp bindings/snippets/Snippet.java "$work/java/Snippet.java"
  {
    echo '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">'
    echo "  <localRepository>$m2</localRepository>"
    echo '  <interactiveMode>false</interactiveMode>'
    echo '  <profiles><profile><id>bindings</id><repositories>'
    echo "    <repository><id>central</id><url>$central</url></repository>"
    echo "    <repository><id>cdk8s-postgres-walg-bindings</id><url>file://$dist/java</url></repository>"
    [[ -z $deps ]] || echo "    <repository><id>cdk8s-generated</id><url>file://$deps</url></repository>"
    echo '  </repositories></profile></profiles>'
    echo '  <activeProfiles><activeProfile>bindings</activeProfile></activeProfiles>'
    echo '</settings>'
  } >"$work/java/settings.xml"
  # A release version is never downloaded twice: drop the copy an earlier run left in the local repository.
  rm -rf "$m2/io/github/cdk8s-postgres-walg"
  (cd "$work/java" && mvn -B -q -s settings.xml "-Dcdk8s-postgres-walg.version=$version" \
    compile dependency:build-classpath -Dmdep.outputFile=classpath.txt)
  tr ':' '\n' <"$work/java/classpath.txt"
}
java_cp() { echo "$work/java/target/classes:$(cat "$work/java/classpath.txt")"; }

step_java_example() {
  CDK8S_OUTDIR="$yaml/java" java -cp "$(java_cp)" com.example.orders.Main
  same_yaml "$yaml/typescript/orders.k8s.yaml" "$yaml/java/orders.k8s.yaml"
}
step_java_negative() {
  local log="$work/javac-negative.log"
  mkdir -p "$work/java/negative-classes"
  if javac -d "$work/java/negative-classes" -cp "$(java_cp)" examples/java/negative/UnsupportedPair.java >"$log" 2>&1; then
    cat "$log"; echo "javac accepted WalStorage.azure(PostgresVersion.V9_6_V2, ...)"; return 1
  fi
  cat "$log"
  expect_patterns "$log" 'UnsupportedPair\.java:[0-9]+: error: incompatible types: PostgresVersion cannot be converted to IAzureSwiftPostgresVersion' '^1 error$'
}
step_java_snippet() {
  mkdir -p "$work/java/snippet-classes" "$work/snippets/java"
  javac -Werror -d "$work/java/snippet-classes" -cp "$(java_cp)" "$work/java/Snippet.java"
  (cd "$work/snippets/java" && java -cp "$work/java/snippet-classes:$(java_cp)" Snippet)
  ls -l "$work/snippets/java/dist/shop.k8s.yaml"
}

# The modern versions' cells, compiled as the snippet is (javac -Werror, the example's classpath).
step_java_modern_cells_types() {
  mkdir -p "$work/java/modern-cells-classes"
  javac -Werror -d "$work/java/modern-cells-classes" -cp "$(java_cp)" bindings/snippets/ModernCells.java
  ls -l "$work/java/modern-cells-classes/ModernCells.class"
}
step_java_modern_cells_run() {
  mkdir -p "$work/modern-cells/java"
  (cd "$work/modern-cells/java" && java -cp "$work/java/modern-cells-classes:$(java_cp)" ModernCells) | tee "$work/modern-cells/java.out"
  expect_cells "$work/modern-cells/java.out" "$work/modern-cells/java/dist/modern-cells.k8s.yaml"
}

# ---------------------------------------------------------------------------------------------------
# Go checks: examples/go against the module in bindings-results/dist/go (go mod edit -replace) and
# cdk8s from the Go module proxy (or the generated bindings), in a copy under bindings-results/work/go.
step_go_build() {
  local deps
  deps="$(cat "$state/deps-go")"
  rm -rf "$work/go"
  cp -a examples/go "$work/go"
  mkdir -p "$work/go/snippet"
  cp bindings/snippets/snippet.go "$work/go/snippet/main.go"
  cd "$work/go"
  go mod edit -replace "$go_module=$dist/go/cdk8spostgreswalg"
  if [[ -n $deps ]]; then
    go mod edit \
      -replace "github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2=$deps/cdk8s" \
      -replace "github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2=$deps/cdk8splus27" \
      -replace "github.com/aws/constructs-go/constructs/v10=$deps/constructs"
  fi
  go mod tidy
  cat go.mod
  go vet . ./snippet
  go build -o orders .
  go build -o snippet-bin ./snippet
}
step_go_example() {
  CDK8S_OUTDIR="$yaml/go" "$work/go/orders"
  same_yaml "$yaml/typescript/orders.k8s.yaml" "$yaml/go/orders.k8s.yaml"
}
step_go_negative() {
  local log="$work/go-negative.log"
  if (cd "$work/go" && go build -tags negative -o /dev/null ./negative) >"$log" 2>&1; then
    cat "$log"; echo "go build accepted WalStorage_Azure(PostgresVersion_V9_6_V2(), ...)"; return 1
  fi
  cat "$log"
  expect_patterns "$log" 'negative/unsupported_pair\.go:[0-9]+:[0-9]+: cannot use walg\.PostgresVersion_V9_6_V2\(\) .* as cdk8spostgreswalg\.IAzureSwiftPostgresVersion value in argument to walg\.WalStorage_Azure' 'missing method AzureSwiftCapable'
}
step_go_snippet() {
  mkdir -p "$work/snippets/go"
  (cd "$work/snippets/go" && "$work/go/snippet-bin")
  ls -l "$work/snippets/go/dist/shop.k8s.yaml"
}

# The modern versions' cells, a package of the example's module (as the snippet is): gofmt, go vet, go build.
step_go_modern_cells_types() {
  rm -rf "$work/go/modern-cells"
  mkdir -p "$work/go/modern-cells"
  cp bindings/snippets/modern_cells.go "$work/go/modern-cells/main.go"
  cd "$work/go"
  local unformatted
  unformatted="$(gofmt -l modern-cells)"
  [[ -z $unformatted ]] || { echo "not gofmt-formatted: bindings/snippets/modern_cells.go"; gofmt -d modern-cells; return 1; }
  go vet ./modern-cells
  go build -o modern-cells-bin ./modern-cells
  ls -l modern-cells-bin
}
step_go_modern_cells_run() {
  mkdir -p "$work/modern-cells/go"
  (cd "$work/modern-cells/go" && "$work/go/modern-cells-bin") | tee "$work/modern-cells/go.out"
  expect_cells "$work/modern-cells/go.out" "$work/modern-cells/go/dist/modern-cells.k8s.yaml"
}

# expect_cells OUTPUT YAML: a modern-cells program printed "N cells, N StatefulSets" for the N cells of the
# catalog (its modern versions × its providers, from lib/_catalog.js), and its chart holds N StatefulSets.
expect_cells() {
  local n=$modern_cells got
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "the number of modern cells is unknown ('$n'): lib/_catalog.js not loaded"; return 1; }
  grep -qx "$n cells, $n StatefulSets" "$1" || { echo "expected the line '$n cells, $n StatefulSets' in the output"; return 1; }
  got="$(grep -c '^kind: StatefulSet$' "$2")"
  [[ $got == "$n" ]] || { echo "${2#"$root"/}: $got StatefulSets, expected $n"; return 1; }
  echo "${2#"$root"/}: $got StatefulSets"
}

step_modern_cells_same() {
  same_yaml "$work/modern-cells/python/dist/modern-cells.k8s.yaml" "$work/modern-cells/java/dist/modern-cells.k8s.yaml"
  same_yaml "$work/modern-cells/python/dist/modern-cells.k8s.yaml" "$work/modern-cells/go/dist/modern-cells.k8s.yaml"
}

# The README shows exactly the snippets this task compiles and runs.
step_readme_snippets() {
  python3 - README.md bindings/snippets/snippet.py bindings/snippets/Snippet.java bindings/snippets/snippet.go <<'PY'
import sys
readme = open(sys.argv[1], encoding="utf-8").read()
bad = 0
for path, lang in zip(sys.argv[2:], ["python", "java", "go"]):
    block = "```" + lang + "\n" + open(path, encoding="utf-8").read() + "```"
    if block in readme:
        print(f"README.md shows {path}")
    else:
        print(f"README.md does not show {path} verbatim as a ```{lang} block")
        bad = 1
sys.exit(bad)
PY
}

step_snippets_same() {
  same_yaml "$work/snippets/python/dist/shop.k8s.yaml" "$work/snippets/java/dist/shop.k8s.yaml"
  same_yaml "$work/snippets/python/dist/shop.k8s.yaml" "$work/snippets/go/dist/shop.k8s.yaml"
}

# ---------------------------------------------------------------------------------------------------
echo "bindings: cdk8s-postgres-walg $version; cdk8s $cdk8s_version, cdk8s-plus-27 $plus_version, constructs $constructs_version; jsii-pacmak $jsii_version"
check tools "tools: python3 (venv), JDK, Maven, Go 1.25+, curl" "" step_tools
check compile "jsii assembly (lib/, .jsii) up to date" "" step_compile
# The cells of bindings/snippets/modern_cells.*: the catalog's modern (non-KubeDB) versions × its providers.
modern_cells="$(node -p "const c = require('$root/lib/_catalog.js'); c.CATALOG.filter((e) => !c.isKubedb(e)).length * c.PROVIDERS.length" 2>/dev/null || echo '?')"
check typescript "typescript: example synthesizes (the reference YAML)" "compile" step_typescript
check pins "examples pin the npm versions of cdk8s, cdk8s-plus-27, constructs and the jsii runtime" "" step_pins
check deps "java/go: cdk8s, cdk8s-plus-27 and constructs available" "tools compile" step_deps
check python-wheel "python: wheel built (bindings/package.sh: jsii-pacmak code, static properties typed, twine check)" "tools compile" step_python_wheel
check java-jar "java: jar built by jsii-pacmak (bindings/package.sh; dist/java holds only its artifacts)" "tools compile deps" step_java_jar
check go-module "go: module built by jsii-pacmak with go build (bindings/package.sh; dist/go holds only it)" "tools compile deps" step_go_module
check dotnet "dotnet: C# sources generated by jsii-pacmak; WalStorage.Azure takes an IAzureSwiftPostgresVersion" "tools compile" step_dotnet

check python-env "python: wheel installs with cdk8s $cdk8s_version and cdk8s-plus-27 $plus_version from PyPI (pip check)" "python-wheel" step_python_env
check python-example "python: example YAML byte-identical to the TypeScript example's" "python-env typescript" step_python_example
check python-typecheck "python: mypy --strict and pyright (strict) accept the example and the README snippet" "python-env" step_python_typecheck
check python-typecheck-negative "python: mypy and pyright flag WalStorage.azure(PostgresVersion.V9_6_V2, ...)" "python-env" step_python_typecheck_negative
check python-runtime-negative "python: running WalStorage.azure(PostgresVersion.V9_6_V2, ...) raises the library's unsupported-pair error" "python-env" step_python_runtime_negative
check python-snippet "python: README snippet runs" "python-env" step_python_snippet
check python-modern-cells-types "python: mypy --strict and pyright (strict) accept the $modern_cells modern-version cells (bindings/snippets/modern_cells.py)" "python-env" step_python_modern_cells_types
check python-modern-cells-run "python: the $modern_cells modern-version cells run: one ArchivingPostgres and one StatefulSet per cell" "python-env compile" step_python_modern_cells_run

check java-build "java: example compiles against the jar and cdk8s $cdk8s_version, cdk8s-plus-27 $plus_version (Maven)" "java-jar" step_java_build
check java-example "java: example YAML byte-identical to the TypeScript example's" "java-build typescript" step_java_example
check java-negative "java: javac rejects WalStorage.azure(PostgresVersion.V9_6_V2, ...) (incompatible types)" "java-build" step_java_negative
check java-snippet "java: README snippet compiles (javac -Werror) and runs" "java-build" step_java_snippet
check java-modern-cells-types "java: javac -Werror compiles the $modern_cells modern-version cells (bindings/snippets/ModernCells.java)" "java-build" step_java_modern_cells_types
check java-modern-cells-run "java: the $modern_cells modern-version cells run: one ArchivingPostgres and one StatefulSet per cell" "java-modern-cells-types compile" step_java_modern_cells_run

check go-build "go: example and README snippet build against the module and cdk8s-core-go $cdk8s_version (go vet)" "go-module" step_go_build
check go-example "go: example YAML byte-identical to the TypeScript example's" "go-build typescript" step_go_example
check go-negative "go: go build rejects WalStorage_Azure(PostgresVersion_V9_6_V2(), ...)" "go-build" step_go_negative
check go-snippet "go: README snippet runs" "go-build" step_go_snippet
check go-modern-cells-types "go: gofmt, go vet and go build accept the $modern_cells modern-version cells (bindings/snippets/modern_cells.go)" "go-build" step_go_modern_cells_types
check go-modern-cells-run "go: the $modern_cells modern-version cells run: one ArchivingPostgres and one StatefulSet per cell" "go-modern-cells-types compile" step_go_modern_cells_run

check snippets "README snippets synthesize the same YAML in Python, Java and Go" "python-snippet java-snippet go-snippet" step_snippets_same
check modern-cells "the $modern_cells modern-version cells synthesize the same YAML in Python, Java and Go" "python-modern-cells-run java-modern-cells-run go-modern-cells-run" step_modern_cells_same
check readme-snippets "README shows the Python, Java and Go snippets verbatim (bindings/snippets)" "" step_readme_snippets

echo "bindings took $((SECONDS - started)) s (logs: bindings-results/logs)"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
