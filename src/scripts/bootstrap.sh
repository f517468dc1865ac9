#!/bin/sh
# Entry point of the postgres container (cdk8s-postgres-walg). POSIX sh.
#
# First start (PGDATA empty):
#   PG_WALG_BOOTSTRAP=initdb   check that the archive holds no other cluster's backups, run initdb;
#   PG_WALG_BOOTSTRAP=restore  wal-g backup-fetch (LATEST, a named backup, or the newest one that
#                              finished before the target time), write the recovery configuration for
#                              the cluster's PostgreSQL major, replay WAL from the source archive and
#                              promote. Fails after a bounded number of attempts, saying what it tried.
#                              An onward archive must hold no other cluster's backups, as for initdb.
#   PG_WALG_ROLE=standby       a hot standby (replicas > 1): the newest base backup of the archive, checked
#                              to be of the primary's database system, then stream from the primary and
#                              fall back to the archive's WAL.
# Then, with PG_WALG_ARCHIVE=on, the first start of a new cluster pushes a base backup to the archive
# before the server accepts clients, so that the archive is restorable from the start.
# With replicas > 1 the data says what a member is once it has some (a promotion by hand makes a standby a
# primary): a member whose data and PG_WALG_ROLE disagree is not started, and the message says what to do.
# The primary (re)creates the replication role at every start.
# Every start: install postgresql.conf and pg_hba.conf from the ConfigMap, then exec postgres.
set -eu
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"
check_walg

: "${PG_WALG_STATE:?}" "${PGDATA:?}" "${PGHOST:?}" "${PGPORT:?}"
RESTORE_PENDING="$PG_WALG_STATE/restore-pending"
BACKUP_PENDING="$PG_WALG_STATE/first-backup-pending"
# Present while PGDATA is being filled (initdb or backup-fetch): a container killed half-way leaves it,
# and the next start empties PGDATA and begins again instead of taking a partial PGDATA for a cluster.
PGDATA_INCOMPLETE="$PG_WALG_STATE/pgdata-incomplete" # written by begin_pgdata (lib.sh)
# Present once a new cluster sharing its archive (allowNonEmptyArchive) was found on a timeline of its own.
TIMELINE_CHECKED="$PG_WALG_STATE/archive-timeline-checked"
# Present while promote.sh promotes this standby (wal-fetch.sh then never answers "not there" on a storage error).
PROMOTING="$PG_WALG_STATE/promoting"
# primary or standby: what the member is made at its first start (replicas > 1; unset: a single instance).
ROLE=${PG_WALG_ROLE:-}

# install_config: (re)write the files the ConfigMap owns into PGDATA (install_server_config). pg-walg.conf
# holds the ConfigMap's settings and, while a restore of PostgreSQL >= 12 is pending, the recovery settings.
install_config() {
  install_server_config bootstrap_settings
}

# bootstrap_settings: what pg-walg.conf holds after the ConfigMap's postgresql.conf.
bootstrap_settings() {
  if [ -f "$RESTORE_PENDING" ] && [ "$PG_WALG_RECOVERY_STYLE" = recovery.signal ]; then
    printf '\n# Recovery settings (removed once the restore has completed)\n'
    cat "$PG_WALG_CONFIG/recovery-settings.conf"
  fi
  if [ "$ROLE" = standby ] && [ -f "$PGDATA/standby.signal" ]; then
    printf '\n# Hot standby settings (ignored once promoted)\n'
    standby_settings
  fi
}

# archive_must_be_empty: a cluster that begins (initdb, or a restore that archives onward) archives only
# to a location without base backups, unless PG_WALG_ALLOW_NONEMPTY_ARCHIVE is true. Checked before
# anything else is done, so that a wrong prefix costs no fetch.
archive_must_be_empty() {
  if [ "$PG_WALG_ARCHIVE" != on ] || [ "${PG_WALG_ALLOW_NONEMPTY_ARCHIVE:-false}" = true ]; then
    return 0
  fi
  (
    load_storage archive
    _backups=$(list_backups archive)
    if [ -n "$_backups" ]; then
      die "the archive $(storage_location) already holds base backups of another cluster ($(printf '%s\n' "$_backups" | awk 'NR == 1 { print $1 }') …). Archiving a new cluster there would mix two WAL histories. Use an empty prefix, or set allowNonEmptyArchive if you really mean it."
    fi
  )
}

# bootstrap_initdb: a new cluster, whose superuser password is set as a restore sets it (password_sql).
# initdb never reads the Secret: its --pwfile takes the first line only, and PostgreSQL 9.6 to 13 keep
# only its first 1023 (9.6) or 99 (10 to 13) bytes. So initdb runs without a password (its pg_hba.conf,
# hence --auth=trust, is never used: install_config puts the ConfigMap's in place before any server
# start), and the single-user backend runs the ALTER ROLE, reading it on its stdin.
bootstrap_initdb() {
  archive_must_be_empty
  superuser_password
  log "initialising a new cluster in $PGDATA"
  begin_pgdata
  initdb -D "$PGDATA" -U "${PGUSER:-postgres}" --auth=trust --encoding=UTF8 --no-locale --data-checksums >&2
  password_sql |
    postgres --single -D "$PGDATA" -c exit_on_error=true postgres >/dev/null
  if [ "$PG_WALG_ARCHIVE" = on ]; then
    : >"$BACKUP_PENDING"
  fi
  rm -f "$PGDATA_INCOMPLETE"
}

# backup_times LIST: LIST ("name modified" lines from list_backups) with the time a time target is
# compared with, after a first line that says which time that is: "finish" (the finish time WAL-G
# recorded in each backup, from `backup-list --detail`: a copied archive keeps it) or "modified WHY" (the
# storage's modification time of each backup, which a copied archive resets to the copy time; WHY says
# why the finish time is not used). Without a time target the times are not compared: no detailed list.
backup_times() {
  if [ -z "${PG_WALG_TARGET_TIME_UTC:-}" ] || [ -z "$1" ]; then
    printf 'modified no time target\n%s\n' "$1"
    return 0
  fi
  if [ "${PG_WALG_LIST_DETAIL:-off}" != on ]; then
    printf 'modified WAL-G %s has no detailed backup list\n%s\n' "${PG_WALG_WALG_VERSION:-of the PostgresVersion}" "$1"
    return 0
  fi
  _why=
  _ft=$(retry "list the finish times of the base backups at $(storage_location)" finish_times_once || printf 'failed: %s\n' "$LAST_ERROR")
  case $_ft in
    'failed: '*) _why="WAL-G's detailed backup list failed: ${_ft#failed: }" ;;
    'none: '*) _why="a base backup has no metadata (pushed by a WAL-G that recorded no finish time): ${_ft#none: }" ;;
  esac
  if [ -z "$_why" ]; then
    # Each backup of LIST with its finish time, or "- NAME" alone for the first one without (a backup
    # pushed while the two lists were read is in the second only, and left out).
    _timed=$(printf '%s\n' "$_ft" | awk -v list="$1" '
      { fin[$1] = $2 }
      END {
        n = split(list, l, "\n")
        for (i = 1; i <= n; i++) {
          split(l[i], f, " ")
          if (f[1] == "") continue
          if (!(f[1] in fin) || fin[f[1]] == "-") { out = "- " f[1]; break }
          out = out f[1] " " fin[f[1]] "\n"
        }
        printf "%s", out
      }')
    case $_timed in
      '- '*) _why="WAL-G's detailed backup list gives no finish time in UTC for base backup ${_timed#- }" ;;
    esac
  fi
  if [ -n "$_why" ]; then
    log "WARNING: $_why; the base backups are compared with the recovery target time by their storage modification time instead"
    printf 'modified %s\n%s\n' "$_why" "$1"
    return 0
  fi
  printf 'finish\n%s\n' "$_timed"
}

# select_backup: read backup_times's output (which time, then "name time" lines) and print the base
# backup to fetch: the one named, or the newest one that finished by the time target, or LATEST. A named
# backup must have finished by the time target too: recovery cannot stop before the end of its base
# backup. Each message says which time was compared: the finish time WAL-G recorded in the backup, or the
# storage's modification time (and why), which a copied archive resets to the copy time.
select_backup() {
  IFS= read -r _kind || _kind=
  case $_kind in finish | modified*) ;; *) die "no backup times to choose a base backup by (got \"$_kind\")" ;; esac
  _list=$(cat)
  [ -n "$_list" ] || die "no base backup found at $(storage_location): it is not a WAL-G archive, or the prefix is wrong"
  if [ "$_kind" = finish ]; then
    _col='finish time' _verb=finished _what='finish time recorded by WAL-G in the backup'
  else
    _col='storage modification time' _verb='was stored'
    _what="storage modification time: ${_kind#modified }; a copied archive shows the copy time"
  fi
  if [ -n "${PG_WALG_TARGET_TIME_UTC:-}" ]; then
    # Times compare as UTC RFC 3339 strings (WAL-G prints them in UTC here), at whole seconds: a time with a
    # fraction of a second counts as after the target's second (the target is a whole second, rounded
    # down); some stores (Swift) round modification times up to the second. A time in another zone is
    # not compared.
    _zoned=$(printf '%s\n' "$_list" | awk '$2 !~ /(Z|[+-]00:00)$/ { print $1 " " $2 }' | head -n 1)
    [ -z "$_zoned" ] || die "cannot compare the $_col of base backup $_zoned with the recovery target time $PG_WALG_TARGET_TIME_UTC: WAL-G did not print it in UTC"
  fi
  if [ -n "${PG_WALG_BACKUP_NAME:-}" ]; then
    _named=$(printf '%s\n' "$_list" | awk -v b="$PG_WALG_BACKUP_NAME" '$1 == b { print $2 }')
    [ -n "$_named" ] || die "base backup $PG_WALG_BACKUP_NAME is not in $(storage_location); the archive holds: $(printf '%s\n' "$_list" | awk '{ printf "%s ", $1 }')"
    _best="$PG_WALG_BACKUP_NAME $_named"
    if [ -n "${PG_WALG_TARGET_TIME_UTC:-}" ] && [ -z "$(printf '%s\n' "$_best" | by_target)" ]; then
      die "base backup $PG_WALG_BACKUP_NAME $_verb at $_named ($_what), after the recovery target time $PG_WALG_TARGET_TIME_UTC: recovery cannot stop before the end of its base backup. Name an older backup, or leave backupName out to use the newest one before the target"
    fi
  elif [ -n "${PG_WALG_TARGET_TIME_UTC:-}" ]; then
    _best=$(printf '%s\n' "$_list" | by_target | tail -n 1)
    [ -n "$_best" ] || die "no base backup in $(storage_location) $_verb before the recovery target time $PG_WALG_TARGET_TIME_UTC ($_what); the archive holds (name, $_col): $(printf '%s\n' "$_list" | awk '{ printf "%s %s; ", $1, $2 }')"
  else
    printf 'LATEST'
    return 0
  fi
  if [ -n "${PG_WALG_TARGET_TIME_UTC:-}" ]; then
    log "base backup ${_best% *} $_verb at ${_best#* } ($_what), by the recovery target time $PG_WALG_TARGET_TIME_UTC"
  fi
  printf '%s' "${_best% *}"
}

# by_target: of the "name time" lines read, print those whose time is by the recovery target time (at
# whole seconds; a fraction of a second makes a time later than its second), oldest first.
by_target() {
  awk -v t="$PG_WALG_TARGET_TIME_UTC" '
    function key(m, f) {
      f = ""
      if (substr(m, 20, 1) == ".") { f = substr(m, 21); sub(/[^0-9].*$/, "", f) }
      return substr(m, 1, 19) "." substr(f "000000000", 1, 9)
    }
    key($2) <= substr(t, 1, 19) ".000000000" { print key($2), $1, $2 }' | LC_ALL=C sort | cut -d ' ' -f 2-
}

bootstrap_restore() {
  archive_must_be_empty
  superuser_password # checked before the fetch: finish_restore sets it
  (
    load_storage restore
    _list=$(list_backups restore)
    _timed=$(backup_times "$_list")
    _backup=$(printf '%s\n' "$_timed" | select_backup)
    log "fetching base backup $_backup from $(storage_location) into $PGDATA"
    if [ "$_backup" = LATEST ]; then
      # The probe reads the segment where the newest backup began; the fetch names it LATEST, as asked.
      decode_probe "$(newest_backup "$_list")"
    fi
    fetch_checked "$_backup"
  )
  : >"$RESTORE_PENDING"
  install_recovery "$PG_WALG_CONFIG/recovery-settings.conf"
  fetched_pgdata_complete
}

# bootstrap_standby: a new hot standby, made from the archive's newest base backup rather than with
# pg_basebackup from the primary: the primary serves no full copy of its data, and every new standby is a
# restore of the archive (a broken archive shows at once). The primary must answer first: the base backup
# must be of its database system (with allowNonEmptyArchive the archive may hold another cluster's), or the
# standby would replay another cluster's WAL and serve its data. No base backup yet (the primary is still
# pushing its first one) stops the start; the pod starts again and waits for it.
bootstrap_standby() {
  write_pgpass
  _idf=$(mktemp)
  retry "ask the primary $PG_WALG_PRIMARY_HOST for its database system identifier" primary_system_identifier >"$_idf" ||
    die "cannot ask the primary $PG_WALG_PRIMARY_HOST (port ${PG_WALG_PRIMARY_PORT:-$PGPORT}) for its database system identifier after $PG_WALG_ATTEMPTS attempts, as the replication role $PG_WALG_REPLICATION_USER: a new standby is made only once the primary answers. Last error: $LAST_ERROR"
  _primary=$(cat "$_idf")
  rm -f "$_idf"
  (
    load_storage archive
    _list=$(list_backups archive)
    [ -n "$_list" ] || die "no base backup in $(storage_location) yet (the primary pushes its first one before it accepts clients): a new standby is made from one; this pod starts again and looks again"
    _latest=$(newest_backup "$_list")
    log "making a hot standby of $PG_WALG_PRIMARY_HOST from base backup $_latest at $(storage_location)"
    fetch_checked "$_latest"
    _mine=$(control_system_identifier "$PGDATA")
    [ "$_mine" = "$_primary" ] || die "base backup $_latest at $(storage_location) is of database system $_mine, but the primary $PG_WALG_PRIMARY_HOST runs database system $_primary: it is another cluster's (allowNonEmptyArchive lets clusters share a location). A standby made from it would serve that cluster's data and never follow the primary, so none is made: give the cluster an archive of its own, or push a base backup of the primary there"
  )
  case $PG_WALG_RECOVERY_STYLE in
    recovery.conf) : >"$PGDATA/recovery.conf" ;;
    *) : >"$PGDATA/standby.signal" ;;
  esac
  fetched_pgdata_complete
}

# member_matches_data: with replicas > 1, a member whose data disagrees with its role is not started. A
# standby's data on the primary member: the library never promotes by itself (the old primary may still be
# writing); a primary's data on a standby member: the old primary after a failover, or a standby promoted
# before primaryMember was changed, either of which would be a second primary.
member_matches_data() {
  case $ROLE in
    primary)
      if is_standby_data; then
        die "this member is the primaryMember, but its data is a hot standby's: the library never promotes a standby by itself (the old primary could still be accepting writes). Make sure the old primary is stopped, then promote this member by hand (kubectl exec $(pod_name) -c postgres -- sh $PG_WALG_CONFIG/promote.sh), as the README's promotion runbook says"
      fi
      ;;
    standby)
      if ! is_standby_data; then
        die "this member is a standby of the manifests, but its data is a primary's: the old primary after a promotion of another member, or a standby promoted by hand before primaryMember named it. Two primaries would write two histories, so it is not started: if another member is now the primary, rebuild this one as its standby (delete this pod's PersistentVolumeClaim, then the pod); if this member is the new primary, set primaryMember to it. See the README's promotion runbook"
      fi
      ;;
  esac
}

# standby_start: every start of a hot standby: the password file, the recovery settings (recovery.conf up to
# PostgreSQL 11, written again at each start; from 12 in pg-walg.conf by install_config).
standby_start() {
  write_pgpass
  if [ "$PG_WALG_RECOVERY_STYLE" = recovery.conf ]; then
    {
      printf '%s\n' "# Hot standby settings of cdk8s-postgres-walg (written at every start)" "standby_mode = 'on'"
      standby_settings
    } >"$PGDATA/recovery.conf"
    chmod 0600 "$PGDATA/recovery.conf"
  fi
}

# replication_role: on the primary, (re)create the role standbys stream as, in the single-user backend
# (nothing else runs yet; the password is read on its stdin, never an argument).
replication_role() {
  replication_password
  replication_role_sql |
    postgres --single -D "$PGDATA" -c exit_on_error=true postgres >/dev/null
}

# finish_restore: replay WAL from the source archive until the recovery target (or the end of the
# archive), wait for promotion, set the superuser password from the auth Secret, stop.
finish_restore() {
  install_config
  (
    superuser_password
    load_storage restore
    log "replaying WAL from $(storage_location)"
    postgres -D "$PGDATA" -k "$PGHOST" -c listen_addresses= -c archive_mode=off &
    _pid=$!
    trap 'kill -TERM "$_pid" 2>/dev/null' TERM INT
    wait_ready "$_pid"
    while [ "$(psql_local 'SELECT pg_is_in_recovery()')" != f ]; do
      kill -0 "$_pid" 2>/dev/null || die "PostgreSQL stopped during recovery; its log is above"
      sleep 1
    done
    log "recovery complete: promoted at $(psql_local "SELECT now()")"
    password_sql |
      psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "${PGUSER:-postgres}" -d postgres >/dev/null
    pg_ctl -D "$PGDATA" -m fast -w stop >&2
  )
  # In this order: a container stopped in between must still push the first base backup at its next start.
  if [ "$PG_WALG_ARCHIVE" = on ]; then
    mark_history_for_archive
    : >"$BACKUP_PENDING"
  fi
  rm -f "$RESTORE_PENDING"
}

# timeline_must_be_free: with allowNonEmptyArchive a new cluster's archive may hold another cluster's
# base backups and WAL. WAL-G names WAL segments, history files and base backups by timeline and position
# alone, so on the same timeline this cluster's would take the names of that cluster's and overwrite them:
# before this cluster archives anything, stop if the archive holds a base backup on its timeline, or the
# history file of its timeline (from 2 on). A timeline that a server outside the library began by its own
# promotion (a failover: a standby or a copy of the volume promoted) has WAL and its history file in the
# archive, but no base backup until one is pushed. Checked once: after the first push the archive holds
# this cluster's own. A restore's own history file is not in the archive then: PostgreSQL promoted it to a
# timeline whose history file its source archive lacked, and it archived nothing since (archive_mode off).
timeline_must_be_free() {
  if [ "${PG_WALG_ALLOW_NONEMPTY_ARCHIVE:-false}" != true ] || [ -f "$TIMELINE_CHECKED" ]; then
    return 0
  fi
  _tl=$(current_timeline)
  _list=$(list_backups archive)
  _taken=$(printf '%s\n' "$_list" | awk -v p="base_$_tl" 'index($1, p) == 1 { print $1; exit }')
  if [ -n "$_taken" ]; then
    die "the archive $(storage_location) holds base backup $_taken of another cluster on timeline $_tl, the timeline this new cluster archives on: WAL-G names WAL segments and base backups by timeline and position only, so this cluster's would overwrite that cluster's. allowNonEmptyArchive lets clusters share a location only on different timelines: use an empty prefix."
  fi
  if [ "$_tl" != 00000001 ]; then
    _held=$(retry "look for $_tl.history at $(storage_location)" history_once "$_tl" || printf 'failed: %s\n' "$LAST_ERROR")
    case $_held in
      held) die "the archive $(storage_location) holds $_tl.history, the history file of timeline $_tl, the timeline this new cluster archives on: another server began that timeline there (a promotion: a failover, or a restore archiving there), and WAL-G names WAL segments and history files by timeline and position only, so this cluster's would overwrite that server's. allowNonEmptyArchive lets clusters share a location only on different timelines: use an empty prefix." ;;
      free) ;;
      *) die "cannot read the archive storage $(storage_location) after $PG_WALG_ATTEMPTS attempts to look for $_tl.history. Last error: ${_held#failed: }" ;;
    esac
  fi
  : >"$TIMELINE_CHECKED"
}

# history_once TL: print "held" when the loaded storage holds the history file of timeline TL, "free" when
# WAL-G says it does not; fails (saying why) on anything else, a storage error.
history_once() {
  _ho=$(fetch_back "$1.history")
  case $_ho in
    fetched) echo held ;;
    missing) echo free ;;
    *)
      echo "${_ho#failed: }" >&2
      return 1
      ;;
  esac
}

# mark_history_for_archive: the promotion wrote the new timeline's history file, but with archive_mode off
# (the archive env was not loaded) did not mark it for archiving. Mark it, so that the archiver pushes it to
# the onward archive at the first start that archives: a restore of that archive naming this timeline
# (recovery_target_timeline) needs it.
mark_history_for_archive() {
  _tl=$(current_timeline)
  for _wd in "$PGDATA/pg_wal" "$PGDATA/pg_xlog"; do
    if [ -f "$_wd/$_tl.history" ]; then
      mkdir -p "$_wd/archive_status"
      : >"$_wd/archive_status/$_tl.history.ready"
    fi
  done
}

# first_base_backup: push the base backup that makes a new archive restorable.
first_base_backup() {
  if [ -f "$RESTORE_PENDING" ] || [ ! -f "$BACKUP_PENDING" ]; then
    return 0
  fi
  timeline_must_be_free
  log "pushing the first base backup to $(storage_location)"
  pg_ctl -D "$PGDATA" -w -t 600 -o "-k $PGHOST -c listen_addresses=" start >&2
  _started=$(date +%s)
  if ! push_base_backup; then
    pg_ctl -D "$PGDATA" -m fast -w stop >&2 || true
    die "cannot push a base backup to $(storage_location). Last error: $LAST_ERROR"
  fi
  pg_ctl -D "$PGDATA" -m fast -w stop >&2
  backup_status 1 "$_started"
  rm -f "$BACKUP_PENDING"
}

if [ -f "$PGDATA_INCOMPLETE" ]; then
  log "the last start stopped while it was filling $PGDATA: starting again from an empty PGDATA"
fi
if [ -f "$PROMOTING" ]; then
  log "a promotion by promote.sh did not complete before this start: this member starts as it was; run promote.sh again to promote it"
  rm -f "$PROMOTING"
fi
case $ROLE in
  '' | primary | standby) ;;
  *) die "unknown PG_WALG_ROLE $ROLE" ;;
esac
if [ -n "$ROLE" ]; then
  replication_password # checked before anything is done: every member needs it
fi
if [ -f "$PGDATA_INCOMPLETE" ] || [ ! -s "$PGDATA/PG_VERSION" ]; then
  case $ROLE:$PG_WALG_BOOTSTRAP in
    standby:*) bootstrap_standby ;;
    *:initdb) bootstrap_initdb ;;
    *:restore) bootstrap_restore ;;
    *) die "unknown PG_WALG_BOOTSTRAP $PG_WALG_BOOTSTRAP" ;;
  esac
fi
if [ -f "$RESTORE_PENDING" ]; then
  finish_restore
fi
member_matches_data
if [ "$ROLE" = standby ]; then
  standby_start
fi
install_config
if [ "$PG_WALG_ARCHIVE" = on ]; then
  load_storage archive
  if [ "$ROLE" = standby ]; then
    log "hot standby of $PG_WALG_PRIMARY_HOST, falling back to the archive $(storage_location)"
  else
    first_base_backup
    log "archiving WAL to $(storage_location)"
  fi
fi
if [ "$ROLE" = primary ]; then
  replication_role
fi
log "starting PostgreSQL $(pg_major)"
exec postgres -D "$PGDATA" -k "$PGHOST" -c "listen_addresses=${PG_WALG_LISTEN_ADDRESSES:-*}"
