# shellcheck shell=sh
# Shared functions of the cdk8s-postgres-walg pod scripts. POSIX sh (busybox ash in the Alpine images).
#
# The container environment (set by the StatefulSet) names every path, so nothing here is hard-coded:
#   PGDATA                  data directory (on the PVC)
#   PGHOST, PGPORT, PGUSER  socket directory, port and superuser for local connections
#   PG_WALG_CONFIG          ConfigMap mount: scripts, postgresql.conf, pg_hba.conf, <role>.env, recovery.conf
#   PG_WALG_SECRETS         parent of the Secret mounts: auth/, archive/, restore/
#   PG_WALG_STATE           bootstrap state (on the PVC, outside PGDATA so that it is never in a base backup)

PG_WALG_ATTEMPTS=${PG_WALG_ATTEMPTS:-12}
PG_WALG_RETRY_SECONDS=${PG_WALG_RETRY_SECONDS:-5}
# WAL-G can wait a very long time on an unreachable endpoint: listing backups is bounded by this.
PG_WALG_LIST_TIMEOUT=${PG_WALG_LIST_TIMEOUT:-60}

log() {
  printf '%s pg-walg: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# is_env_name NAME: whether NAME can be exported as an environment variable.
is_env_name() {
  case $1 in
    '' | [0-9]* | *[!A-Za-z0-9_]*) return 1 ;;
    *) return 0 ;;
  esac
}

# load_storage ROLE: export the WAL-G settings of ROLE ("archive" or "restore"): the non-secret
# settings from $PG_WALG_CONFIG/ROLE.env (KEY=VALUE lines, read literally, never evaluated) and the
# credentials from the files of the Secret mounted at $PG_WALG_SECRETS/ROLE (KubeDB's key names).
load_storage() {
  _role=$1
  _env_file="$PG_WALG_CONFIG/$_role.env"
  [ -f "$_env_file" ] || die "no WAL-G settings for the $_role storage: $_env_file is missing"
  while IFS= read -r _line || [ -n "$_line" ]; do
    case $_line in '' | '#'*) continue ;; esac
    _key=${_line%%=*}
    is_env_name "$_key" || die "invalid line in $_env_file: $_line"
    export "$_key=${_line#*=}"
  done <"$_env_file"
  # WAL-G 3 refuses a Local prefix directory that does not exist yet; an archive creates it.
  if [ "$_role" = archive ] && [ -n "${WALG_FILE_PREFIX:-}" ]; then
    mkdir -p "$WALG_FILE_PREFIX"
  fi
  if [ -f "$PG_WALG_CONFIG/$_role-ca.crt" ]; then
    export "WALG_S3_CA_CERT_FILE=$PG_WALG_CONFIG/$_role-ca.crt"
  fi
  _dir="$PG_WALG_SECRETS/$_role"
  [ -d "$_dir" ] || return 0
  for _file in "$_dir"/*; do
    [ -f "$_file" ] || continue
    _key=${_file##*/}
    case $_key in
      AZURE_ACCOUNT_NAME) export "AZURE_STORAGE_ACCOUNT=$(cat "$_file")" ;;
      AZURE_ACCOUNT_KEY) export "AZURE_STORAGE_ACCESS_KEY=$(cat "$_file")" ;;
      GOOGLE_SERVICE_ACCOUNT_JSON_KEY) export "GOOGLE_APPLICATION_CREDENTIALS=$_file" ;;
      CA_CERT_DATA) export "WALG_S3_CA_CERT_FILE=$_file" ;;
      AWS_* | AZURE_* | GOOGLE_PROJECT_ID | ST_* | OS_*)
        if is_env_name "$_key"; then
          export "$_key=$(cat "$_file")"
        fi
        ;;
      *) ;; # not a credential key this library knows: left alone
    esac
  done
}

# bounded SECONDS COMMAND...: run COMMAND, killing it after SECONDS. Portable: busybox's timeout
# changed its syntax between versions, so this is done in sh.
bounded() {
  _secs=$1
  shift
  "$@" &
  _cmd=$!
  (
    trap 'kill "$_sleep" 2>/dev/null; exit 0' TERM
    sleep "$_secs" >/dev/null 2>&1 &
    _sleep=$!
    wait "$_sleep"
    if kill -TERM "$_cmd" 2>/dev/null; then
      echo "timed out after $_secs s" >&2
    fi
  ) &
  _watch=$!
  _rc=0
  wait "$_cmd" || _rc=$?
  kill "$_watch" 2>/dev/null || true
  return "$_rc"
}

# storage_location: the storage prefix in use, for messages.
storage_location() {
  printf '%s' "${WALG_S3_PREFIX:-${WALE_S3_PREFIX:-${WALG_GS_PREFIX:-${WALE_GS_PREFIX:-${WALG_AZ_PREFIX:-${WALE_AZ_PREFIX:-${WALG_SWIFT_PREFIX:-${WALE_SWIFT_PREFIX:-${WALG_FILE_PREFIX:-unknown}}}}}}}}}"
}

# retry DESCRIPTION COMMAND...: run COMMAND up to PG_WALG_ATTEMPTS times, PG_WALG_RETRY_SECONDS
# apart. Its stdout goes to stdout; its stderr is logged. Fails with the last error in LAST_ERROR.
retry() {
  _what=$1
  shift
  _n=1
  _err=$(mktemp)
  while :; do
    if "$@" 2>"$_err"; then
      rm -f "$_err"
      return 0
    fi
    LAST_ERROR=$(tail -n 5 "$_err")
    log "attempt $_n/$PG_WALG_ATTEMPTS to $_what failed: $LAST_ERROR"
    if [ "$_n" -ge "$PG_WALG_ATTEMPTS" ]; then
      rm -f "$_err"
      return 1
    fi
    _n=$((_n + 1))
    sleep "$PG_WALG_RETRY_SECONDS"
  done
}

# list_backups ROLE: print the names and times of the base backups in the loaded storage
# ("name modified" lines), or die after a bounded number of attempts saying what was tried.
list_backups() {
  _out=$(mktemp)
  if ! retry "list the base backups at $(storage_location)" bounded "$PG_WALG_LIST_TIMEOUT" wal-g backup-list >"$_out"; then
    rm -f "$_out"
    die "cannot read the $1 storage $(storage_location) after $PG_WALG_ATTEMPTS attempts, $PG_WALG_RETRY_SECONDS s apart. Check the bucket, the prefix, the endpoint and the credentials in the $1 Secret. Last error: $LAST_ERROR"
  fi
  awk '$1 ~ /^base_[0-9A-F]/ { print $1, $2 }' "$_out"
  rm -f "$_out"
}

# pg_major: the PostgreSQL major of the cluster in PGDATA ("9.6", "10", …).
pg_major() {
  cat "$PGDATA/PG_VERSION"
}

# psql_local SQL: run SQL as the superuser over the local socket; prints tuples only.
psql_local() {
  psql -X -v ON_ERROR_STOP=1 -At -h "$PGHOST" -p "$PGPORT" -U "${PGUSER:-postgres}" -d postgres -c "$1"
}

# wait_ready PID: wait until the server started as PID accepts connections; die if it exits.
wait_ready() {
  while ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; do
    kill -0 "$1" 2>/dev/null || die "PostgreSQL exited while starting; its log is above"
    sleep 1
  done
}
