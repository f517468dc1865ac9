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
# would otherwise go unnoticed until a restore ends early). With PG_WALG_WAL_VERIFY_SECONDS, beside the
# primary, it also runs the WAL chain check (`wal-g wal-verify integrity timeline`) that often, the first
# time at the first minutely check that finds the server up, in the background like a push: wal_verify.
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

# wal_verify: the WAL chain check. `wal-g wal-verify integrity timeline --json` (bounded by
# PG_WALG_WAL_VERIFY_TIMEOUT; never while a scheduled push and its retention run, nor a push while it runs);
# what it found (wal_verify_summary, lib.sh) is logged and recorded in
# PGDATA/pg-walg-wal-verify-status for the metrics exporter, replacing the file whole: "<integrity>
# <timeline> <end> <end of the last all-OK check> <seconds> <lost> <pending>", each status 0 OK,
# 1 WARNING, 2 FAILURE, -1 not run. All-OK: no segment lost and the timeline OK.
wal_verify() {
  _wv_started=$(date +%s)
  _wv_dir=$(mktemp -d)
  _wv_rc=0
  # Before the check: every segment up to it was archived before WAL-G lists the store. (Read after, it could
  # name a segment archived while WAL-G listed, which the listing lacks: a healthy archive reported broken.)
  _wv_archived=$(psql_local "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver" 2>/dev/null) || _wv_archived=
  bounded "${PG_WALG_WAL_VERIFY_TIMEOUT:-3600}" wal-g wal-verify integrity timeline --json >"$_wv_dir/out" 2>"$_wv_dir/log" || _wv_rc=$?
  _wv_summary=$(wal_verify_summary "$_wv_dir/out" "$_wv_archived" "$(wal_segment_size)") || _wv_summary=
  # shellcheck disable=SC2086 # the summary is five words
  set -- ${_wv_summary:-- - 0 0 -}
  _wv_ended=$(date +%s)
  _wv_where=$(storage_location)
  if [ "$1" = - ] || [ "$2" = - ]; then
    log "WARNING: the WAL chain check of $_wv_where did not run (wal-g wal-verify exited $_wv_rc): $(walg_error "$_wv_dir/log")"
  else
    case $1 in
      FAILURE)
        log "ERROR: WAL chain check of $_wv_where: $3 WAL segment(s) lost ($5). A restore cannot replay past the first of them: it stops there with an error, and a recovery target before it is the latest state it can reach. Push a base backup now (restores from it need none of the lost WAL), and find what deleted them."
        ;;
      *)
        if [ "$4" -gt 0 ]; then
          log "WAL chain check of $_wv_where: integrity OK up to the last archived segment; $4 newer WAL segment(s) not archived yet"
        else
          log "WAL chain check of $_wv_where: integrity OK"
        fi
        ;;
    esac
    case $2 in
      OK) ;;
      FAILURE)
        log "ERROR: WAL chain check of $_wv_where: timeline $2: $(sed -n 's/.*"current_timeline_id":\([0-9]*\),"highest_storage_timeline_id":\([0-9]*\).*/this server is on timeline \1, but the archive holds WAL of timeline \2/p' "$_wv_dir/out"). Another server (a promoted standby or copy) archives into this location, and a restore to the latest timeline would follow that server's history."
        ;;
      *) log "WARNING: WAL chain check of $_wv_where: timeline $2: WAL-G could not tell whether this server's timeline is the archive's highest" ;;
    esac
  fi
  _wv_file="$PGDATA/pg-walg-wal-verify-status"
  _wv_ok=0
  if [ -f "$_wv_file" ]; then
    _wv_ok=$(awk 'NR == 1 && $4 ~ /^[0-9]+$/ { print $4 }' "$_wv_file")
  fi
  if [ "$3" = 0 ] && [ "$2" = OK ]; then
    _wv_ok=$_wv_ended
  fi
  if { printf '%s %s %s %s %s %s %s\n' "$(verify_code "$1")" "$(verify_code "$2")" "$_wv_ended" "${_wv_ok:-0}" $((_wv_ended - _wv_started)) "$3" "$4" >"$_wv_file.tmp"; } 2>/dev/null &&
    mv -f "$_wv_file.tmp" "$_wv_file"; then
    :
  else
    log "WARNING: cannot write $_wv_file (the WAL chain check's metrics)"
  fi
  rm -rf "$_wv_dir"
}

# verify_code STATUS: a wal-verify status as a number (OK 0, WARNING 1, FAILURE 2, none -1).
verify_code() {
  case $1 in OK) echo 0 ;; WARNING) echo 1 ;; FAILURE) echo 2 ;; *) echo -1 ;; esac
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
verify_every=${PG_WALG_WAL_VERIFY_SECONDS:-}
verifying=
next_verify=0
stop_sidecar() {
  for _p in $pushing $verifying $napping; do
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
  if [ -n "$verifying" ] && ! kill -0 "$verifying" 2>/dev/null; then
    wait "$verifying" || true
    verifying=
    next_verify=$(($(date +%s) + verify_every))
  fi
  if server_up; then
    if [ -n "$checks" ]; then
      check_archiver
      check_archived
      # Not beside a push: its retention deletes backups and WAL, which a listing taken meanwhile would miss.
      if [ -n "$verify_every" ] && [ -z "$verifying" ] && [ -z "$pushing" ] && [ "$(date +%s)" -ge "$next_verify" ]; then
        wal_verify &
        verifying=$!
      fi
    fi
    if [ -n "$pushes" ] && [ -z "$pushing" ] && [ -z "$verifying" ] && [ "$(date +%s)" -ge "$next" ]; then
      push_backup &
      pushing=$!
    fi
  fi
  sleep "$check" &
  napping=$!
  wait "$napping" || true
  napping=
done
