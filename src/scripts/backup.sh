#!/bin/sh
# Entry point of the walg-backup sidecar (cdk8s-postgres-walg). POSIX sh.
# Every PG_WALG_BACKUP_INTERVAL_SECONDS it pushes a base backup of the running primary and, when
# PG_WALG_RETAIN_FULL > 0, deletes the backups (and their WAL) older than the newest N full ones.
# Every minute, also while a push runs, it checks pg_stat_archiver and pg_wal/archive_status and logs a warning while WAL
# archiving is failing, hanging or falling behind; and it checks that the newest segment PostgreSQL
# counts as archived can be fetched back whole (a wal-push that reports success without uploading
# would otherwise go unnoticed until a restore ends early).
set -eu
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"
check_walg

interval=${PG_WALG_BACKUP_INTERVAL_SECONDS:-86400}
retain=${PG_WALG_RETAIN_FULL:-0}
check=${PG_WALG_CHECK_SECONDS:-60}
if [ "$interval" -lt "$check" ]; then
  check=$interval
fi
load_storage archive

primary_up() {
  pg_isready -q -h "$PGHOST" -p "$PGPORT" && [ "$(psql_local 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] &&
    [ ! -f "$PG_WALG_STATE/first-backup-pending" ] && [ ! -f "$PG_WALG_STATE/restore-pending" ]
}

check_archiver() {
  # WAL waiting to be archived: a failing or a hanging archive_command both leave it there.
  _status="$PGDATA/pg_wal/archive_status"
  [ -d "$_status" ] || _status="$PGDATA/pg_xlog/archive_status"
  _ready=$(find "$_status" -name '*.ready' 2>/dev/null | wc -l)
  if [ "$_ready" -ge "${PG_WALG_BEHIND_SEGMENTS:-4}" ]; then
    log "WARNING: $_ready WAL segments are waiting to be archived to $(storage_location); archiving is failing or too slow, and pg_wal grows until it catches up."
  fi
  _state=$(psql_local "SELECT coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false), coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, '') FROM pg_stat_archiver" 2>/dev/null) || return 0
  case $_state in
    t\|*) log "WARNING: WAL archiving to $(storage_location) is failing (last failed: ${_state#t|}). PostgreSQL keeps the WAL in pg_wal and retries; watch the volume's free space." ;;
  esac
}

# check_archived: fetch the newest segment that PostgreSQL counts as archived back from the archive
# (once per segment) and say so when it is not there whole.
verified=
check_archived() {
  _wal=$(psql_local "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver" 2>/dev/null) || return 0
  case $_wal in '' | *.* | "$verified") return 0 ;; esac
  _outcome=$(fetch_back "$_wal")
  case $_outcome in
    fetched) verified=$_wal ;;
    missing) log "ERROR: PostgreSQL counts WAL segment $_wal as archived (wal-g wal-push exited 0), but it is not in $(storage_location): a restore would end before it. Check the archive's storage and WAL-G settings." ;;
    *) log "WARNING: cannot check that WAL segment $_wal is in $(storage_location): $_outcome" ;;
  esac
}

push_backup() {
  log "pushing a base backup to $(storage_location)"
  if push_base_backup; then
    if [ "$retain" -gt 0 ]; then
      if retry "delete backups beyond the newest $retain" bounded "${PG_WALG_DELETE_TIMEOUT:-3600}" wal-g delete retain FULL "$retain" --confirm; then
        log "retention: $(list_backups archive | wc -l | tr -d ' ') base backup(s) kept (the newest $retain full)"
      else
        log "WARNING: retention failed: $LAST_ERROR"
      fi
    fi
    return 0
  fi
  log "WARNING: base backup failed: $LAST_ERROR"
  return 1
}

# A scheduled push runs in the background (bounded by PG_WALG_BACKUP_PUSH_TIMEOUT), so that the checks
# keep their schedule while it runs: a push that hangs on an unreachable store must not silence them.
pushing=
next=$(($(date +%s) + interval))
while :; do
  if [ -n "$pushing" ] && ! kill -0 "$pushing" 2>/dev/null; then
    wait "$pushing" || true
    pushing=
    next=$(($(date +%s) + interval))
  fi
  if primary_up; then
    check_archiver
    check_archived
    if [ -z "$pushing" ] && [ "$(date +%s)" -ge "$next" ]; then
      push_backup &
      pushing=$!
    fi
  fi
  sleep "$check"
done
