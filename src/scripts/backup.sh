#!/bin/sh
# Entry point of the walg-backup sidecar (cdk8s-postgres-walg). POSIX sh.
# Every PG_WALG_BACKUP_INTERVAL_SECONDS it pushes a base backup of the running primary, or with
# PG_WALG_BASE_BACKUPS_FROM=standby of the hot standby it runs beside (a delta backup
# while the newest full one has fewer than PG_WALG_DELTA_MAX_STEPS deltas, where that is set) and then
# applies the retention: with PG_WALG_RETAIN_SECONDS, it keeps what point-in-time recovery to any moment
# of that window needs and at least the newest PG_WALG_RETAIN_FULL full backups (retention_cut, lib.sh);
# without it, when PG_WALG_RETAIN_FULL > 0, the newest N full backups. Older backups and their WAL go.
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
window=${PG_WALG_RETAIN_SECONDS:-}
check=${PG_WALG_CHECK_SECONDS:-60}
if [ "$interval" -lt "$check" ]; then
  check=$interval
fi
load_storage archive

# What this sidecar does: beside the primary, check the archiving and, unless a standby takes them
# (PG_WALG_BASE_BACKUPS_FROM=standby), push the scheduled base backups; beside the standby that takes them,
# push them only, while its server is a hot standby (in recovery): once promoted, its member is no longer
# the one of the manifests that takes them, and it stops until primaryMember says what it is.
checks=yes
pushes=yes
in_recovery=f
if [ "${PG_WALG_ROLE:-primary}" = standby ]; then
  checks=
  in_recovery=t
elif [ "${PG_WALG_BASE_BACKUPS_FROM:-primary}" = standby ]; then
  pushes=
fi

server_up() {
  pg_isready -q -h "$PGHOST" -p "$PGPORT" && [ "$(psql_local 'SELECT pg_is_in_recovery()' 2>/dev/null)" = "$in_recovery" ] &&
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

# retain_by_age: delete the base backups, and the WAL before them, that neither point-in-time recovery to
# a moment of the last $window seconds nor the newest $retain full backups need (retention_cut says which
# backup is the oldest kept). Nothing is deleted when the backups or their times cannot be read.
retain_by_age() {
  _cut=$(($(date +%s) - window))
  [ "$_cut" -ge 0 ] || _cut=0
  _list=$(retry "list the base backups at $(storage_location)" list_once) || {
    LAST_ERROR="cannot list the base backups at $(storage_location); nothing was deleted"
    return 1
  }
  _times=$(retention_times "$_list")
  _decision=$(printf '%s\n' "$_times" | retention_cut "$_cut" "$retain" 2>&1) || {
    LAST_ERROR="$_decision; nothing was deleted"
    return 1
  }
  _oldest=${_decision%% *}
  if [ "$_oldest" = - ]; then
    log "retention: nothing to delete: ${_decision#- }"
    return 0
  fi
  log "retention: deleting the base backups before $_oldest and the WAL before it: ${_decision#* }"
  retry "delete the base backups before $_oldest" bounded "${PG_WALG_DELETE_TIMEOUT:-3600}" wal-g delete before FIND_FULL "$_oldest" --confirm || return 1
  log "retention: $(list_backups archive | wc -l | tr -d ' ') base backup(s) kept, from $_oldest on"
}

push_backup() {
  if [ -n "${PG_WALG_DELTA_MAX_STEPS:-}" ]; then
    # Only this push (a background subshell) reads it: the first base backup of an archive is full.
    WALG_DELTA_MAX_STEPS=$PG_WALG_DELTA_MAX_STEPS
    export WALG_DELTA_MAX_STEPS
    log "pushing a base backup to $(storage_location) (a delta backup while the newest full backup has fewer than $PG_WALG_DELTA_MAX_STEPS deltas after it)"
  else
    log "pushing a base backup to $(storage_location)"
  fi
  _started=$(date +%s)
  if push_base_backup; then
    _ended=$(date +%s)
    if [ -n "$window" ]; then
      if ! retain_by_age; then
        log "WARNING: retention failed: $LAST_ERROR"
      fi
    elif [ "$retain" -gt 0 ]; then
      if retry "delete backups beyond the newest $retain" bounded "${PG_WALG_DELETE_TIMEOUT:-3600}" wal-g delete retain FULL "$retain" --confirm; then
        log "retention: $(list_backups archive | wc -l | tr -d ' ') base backup(s) kept (the newest $retain full)"
      else
        log "WARNING: retention failed: $LAST_ERROR"
      fi
    fi
    # After the retention, so that the count of base backups is what the archive keeps; the push's own end and time.
    backup_status 1 "$_started" "$_ended"
    return 0
  fi
  log "WARNING: base backup failed: $LAST_ERROR"
  backup_status 0 "$_started"
  return 1
}

# A scheduled push runs in the background (bounded by PG_WALG_BACKUP_PUSH_TIMEOUT), so that the checks
# keep their schedule while it runs: a push that hangs on an unreachable store must not silence them.
pushing=
next=$(($(date +%s) + interval))
# A pod's deletion sends SIGTERM to this shell, the container's first process: stop a push in progress (PostgreSQL
# aborts WAL-G's non-exclusive backup when its connection ends) and exit now, rather than ignore the signal until
# the grace period's SIGKILL. The pause between checks runs in the background so that the trap runs at once.
napping=
stop_sidecar() {
  for _p in $pushing $napping; do
    kill "$_p" 2>/dev/null || true
  done
  exit 0
}
trap stop_sidecar TERM INT
while :; do
  if [ -n "$pushing" ] && ! kill -0 "$pushing" 2>/dev/null; then
    wait "$pushing" || true
    pushing=
    next=$(($(date +%s) + interval))
  fi
  if server_up; then
    if [ -n "$checks" ]; then
      check_archiver
      check_archived
    fi
    if [ -n "$pushes" ] && [ -z "$pushing" ] && [ "$(date +%s)" -ge "$next" ]; then
      push_backup &
      pushing=$!
    fi
  fi
  sleep "$check" &
  napping=$!
  wait "$napping" || true
  napping=
done
