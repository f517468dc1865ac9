#!/bin/sh
# Restore drill of cdk8s-postgres-walg (the restoreDrill option): the container command of the CronJob
# <name>-restore-drill. POSIX sh. It proves that the archive restores, without touching the live database:
#   1. list the archive's base backups and fetch the newest (LATEST) into a scratch PGDATA, as a restore does
#      (decode probe, retries, the major checked);
#   2. replay the archive's WAL to its end through wal-fetch.sh (no recovery target, the newest timeline),
#      on a server of its own that listens on its socket only (listen_addresses='') and never archives
#      (archive_mode=off); a segment the archive lacks in the middle of the chain, or a storage error,
#      aborts recovery (wal-fetch.sh exits 255) and fails the drill with wal-fetch.sh's reason;
#   3. once recovery has ended (pg_is_in_recovery() is false), run the check query (check.sql of the
#      drill's ConfigMap, by default SELECT 1) with psql as the superuser over the socket;
#   4. stop the server, empty the scratch PGDATA and print ONE result line on stdout, with a stable prefix:
#        pg-walg-restore-drill: result=passed backup=<name> timeline=<n> replayed-to=<LSN> duration=<s>s
#        pg-walg-restore-drill: result=failed step=<setup|fetch|replay|check> duration=<s>s reason="<why>"
#      and exit 0 (passed) or 1 (failed): the Job's status says the same.
# It reads the archive only: it never runs wal-g wal-push, backup-push or delete, and it refuses to run
# with PG_WALG_ARCHIVE on. Its settings: $PG_WALG_DRILL_CONFIG/recovery-settings.conf and check.sql.
set -eu
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"

: "${PGDATA:?}" "${PGHOST:?}" "${PGPORT:?}" "${PG_WALG_STATE:?}" "${PG_WALG_DRILL_CONFIG:?}"
DRILL_STARTED=$(date +%s)
# What the drill learns, for the result line: one file each, so that a step in a subshell can say it.
DRILL_DIR=$(mktemp -d)
SERVER_LOG="$DRILL_DIR/server.log"

# note NAME VALUE: remember VALUE as NAME for the result line.
note() {
  printf '%s\n' "$2" >"$DRILL_DIR/$1"
}

# noted NAME: what note remembered as NAME, or nothing.
noted() {
  if [ -f "$DRILL_DIR/$1" ]; then
    cat "$DRILL_DIR/$1"
  fi
}

# The drill's die: lib.sh's, and the reason kept for the result line (also when it runs in a subshell).
die() {
  log "ERROR: $*"
  note reason "$*"
  exit 1
}

# server_running: whether the drill's server still runs.
server_running() {
  _pid=$(noted pid)
  [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null
}

# replay_failure: why the server stopped during recovery: the last ERROR that wal-fetch.sh logged (a segment
# missing in the middle of the chain, a storage error, a file that cannot be decoded), else the server's
# last FATAL or PANIC line.
replay_failure() {
  _why=$(sed -n 's/^.* pg-walg: ERROR: //p' "$SERVER_LOG" | tail -n 1)
  if [ -z "$_why" ]; then
    _why=$(awk '/(FATAL|PANIC): / { l = $0 } END { sub(/^.*(FATAL|PANIC): */, "", l); print l }' "$SERVER_LOG")
  fi
  printf 'PostgreSQL stopped during recovery: %s' "${_why:-see its log above}"
}

# drill_settings: what pg-walg.conf holds after the ConfigMap's postgresql.conf: from PostgreSQL 12 on, the
# drill's recovery settings (recovery.signal is in PGDATA). Called by install_server_config.
# shellcheck disable=SC2317
drill_settings() {
  if [ "$PG_WALG_RECOVERY_STYLE" = recovery.signal ]; then
    printf '\n# Recovery settings of the restore drill\n'
    cat "$PG_WALG_DRILL_CONFIG/recovery-settings.conf"
  fi
}

# drill: the steps; any failure exits (set -e, die) with the step noted.
drill() {
  [ "${PG_WALG_ARCHIVE:-off}" = off ] || die "PG_WALG_ARCHIVE is $PG_WALG_ARCHIVE: a restore drill never archives"
  check_walg
  [ -s "$PG_WALG_DRILL_CONFIG/check.sql" ] || die "no check query: $PG_WALG_DRILL_CONFIG/check.sql is missing or empty"
  note step fetch
  load_storage archive
  _list=$(list_backups archive)
  [ -n "$_list" ] || die "no base backup in $(storage_location) to restore"
  _backup=$(newest_backup "$_list")
  note backup "$_backup"
  log "restore drill: fetching base backup $_backup from $(storage_location) into $PGDATA"
  fetch_checked "$_backup"
  install_recovery "$PG_WALG_DRILL_CONFIG/recovery-settings.conf"
  fetched_pgdata_complete
  install_server_config drill_settings

  note step replay
  log "restore drill: replaying WAL from $(storage_location) to the end of the archive"
  # No logical replication apply worker (PostgreSQL 10 and later): a restored subscription would connect to its
  # publisher and consume the live subscriber's changes from its slot.
  _workers=
  case $PG_WALG_PG_MAJOR in 9.*) ;; *) _workers='-c max_logical_replication_workers=0' ;; esac
  # shellcheck disable=SC2086 # one option and its value, or nothing
  postgres -D "$PGDATA" -k "$PGHOST" -c listen_addresses= -c archive_mode=off $_workers >"$SERVER_LOG" 2>&1 &
  note pid "$!"
  tail -n +1 -f "$SERVER_LOG" >&2 &
  note tail "$!"
  while [ "$(psql_local 'SELECT pg_is_in_recovery()' 2>/dev/null || :)" != f ]; do
    server_running || die "$(replay_failure)"
    sleep 1
  done
  _lsn=$(psql_local "SELECT $(replay_lsn_function)()")
  note lsn "$_lsn"
  # The timeline replayed to its end: the newest of the archive (recovery_target_timeline 'latest'), one before
  # the timeline PostgreSQL selected when recovery ended (its log says which; unknown when it logs elsewhere).
  _new=$(sed -n 's/.*selected new timeline ID: \([0-9][0-9]*\).*/\1/p' "$SERVER_LOG" | tail -n 1)
  note timeline "${_new:+$((_new - 1))}"
  log "restore drill: recovery ended at $_lsn"

  note step check
  _out=$(psql -X -q -v ON_ERROR_STOP=1 -At -h "$PGHOST" -p "$PGPORT" -U "${PGUSER:-postgres}" -d postgres -f "$PG_WALG_DRILL_CONFIG/check.sql" 2>&1) ||
    die "the check query failed: $(printf '%s\n' "$_out" | grep -v '^[[:space:]^]*$' | tail -n 3 | tr '\n' ' ' | tr -s ' ' | sed 's/ $//')"
  log "restore drill: the check query answered: $(printf '%s\n' "$_out" | head -n 3 | tr '\n' ' ' | sed 's/ $//')"
  pg_ctl -D "$PGDATA" -m fast -w -t 600 stop >&2
}

# replay_lsn_function: the function that tells where replay ended (renamed in PostgreSQL 10).
replay_lsn_function() {
  case $PG_WALG_PG_MAJOR in
    9.*) echo pg_last_xlog_replay_location ;;
    *) echo pg_last_wal_replay_lsn ;;
  esac
}

# one_line TEXT: TEXT on one line, its double quotes as single ones (for reason="…").
one_line() {
  printf '%s' "$1" | tr '\n\r"' "  '"
}

note step setup
set +e
(
  set -e
  drill
)
rc=$?
set -e
if server_running; then
  pg_ctl -D "$PGDATA" -m immediate -w -t 60 stop >&2 || kill -KILL "$(noted pid)" 2>/dev/null || :
fi
_tail=$(noted tail)
if [ -n "$_tail" ]; then
  sleep 1 # tail -f prints the server's last lines
  kill "$_tail" 2>/dev/null || :
fi
# The scratch volume goes with the pod; emptied now, so that a pod kept for its log holds no copy of the data.
rm -rf "$PGDATA" "$PG_WALG_STATE" 2>/dev/null || :
duration=$(($(date +%s) - DRILL_STARTED))
if [ "$rc" -eq 0 ]; then
  _timeline=$(noted timeline)
  printf 'pg-walg-restore-drill: result=passed backup=%s timeline=%s replayed-to=%s duration=%ss\n' "$(noted backup)" "${_timeline:-unknown}" "$(noted lsn)" "$duration"
  rm -rf "$DRILL_DIR"
  exit 0
fi
reason=$(noted reason)
printf 'pg-walg-restore-drill: result=failed step=%s duration=%ss reason="%s"\n' "$(noted step)" "$duration" "$(one_line "${reason:-exit status $rc; see the log above}")"
rm -rf "$DRILL_DIR"
exit 1
