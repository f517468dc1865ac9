# shellcheck shell=sh
# Shared functions of the cdk8s-postgres-walg pod scripts. POSIX sh (busybox ash in the Alpine images).
#
# The pod contract (defined once in src/_pod-contract.ts; a test keeps this block in step with it).
# The container environment names every path, so nothing here is hard-coded. Set by the manifests:
#   PGDATA                          data directory (on the data claim)
#   PGHOST                          socket directory for local connections
#   PGPORT                          the server port
#   PGUSER                          the superuser
#   HOME                            a writable home (an emptyDir): the root filesystem is read-only
#   PG_WALG_CONFIG                  ConfigMap mount: the scripts, postgresql.conf, pg_hba.conf, <role>.env,
#                                   <role>-ca.crt, recovery-settings.conf
#   PG_WALG_SECRETS                 parent of the Secret mounts: auth/, archive/, restore/, archive-encryption/,
#                                   restore-encryption/, replication/
#   PG_WALG_STATE                   bootstrap state, on the claim outside PGDATA (never in a base backup)
#   PG_WALG_BOOTSTRAP               how an empty PGDATA is filled: initdb or restore
#   PG_WALG_ARCHIVE                 on when the pod archives WAL, else off
#   PG_WALG_PG_MAJOR                the image's PostgreSQL major
#   PG_WALG_ATTEMPTS                tries of one storage operation (storageAttempts, default 12)
#   PG_WALG_RETRY_SECONDS           pause between two tries (storageRetryInterval, default 5)
#   PG_WALG_FETCH_NOT_FOUND_EXIT    wal-fetch's exit code for a file not in the archive (1, or 74 from WAL-G 2.0)
#   PG_WALG_ALLOW_NONEMPTY_ARCHIVE  true to archive where base backups already are
#   PG_WALG_RECOVERY_STYLE          recovery.conf (PostgreSQL <= 11) or recovery.signal (>= 12)
#   PG_WALG_BACKUP_NAME             the base backup a restore fetches (backupName; unset: the newest)
#   PG_WALG_TARGET_TIME_UTC         a time target in UTC: the base backup must have finished by it
#   PG_WALG_LIST_DETAIL             with a time target or retainFor: on when WAL-G lists finish times
#                                   (backup-list --detail), else off (the storage's modification times)
#   PG_WALG_WALG_VERSION            with a time target or retainFor: the WAL-G release of the PostgresVersion
#                                   (for messages)
#   PG_WALG_BACKUP_INTERVAL_SECONDS the sidecar: seconds between scheduled base backups
#   PG_WALG_RETAIN_FULL             the sidecar: full base backups kept (0: all)
#   PG_WALG_RETAIN_SECONDS          the sidecar: retainFor, the window of point-in-time recovery kept, in
#                                   seconds (unset: retention by count only)
#   PG_WALG_DELTA_MAX_STEPS         the sidecar: deltaMaxSteps, WALG_DELTA_MAX_STEPS of its scheduled pushes
#                                   (unset: full backups only)
#   PG_WALG_BASE_BACKUPS_FROM       the sidecars with baseBackupsFromStandby: standby (the primary's checks
#                                   the archiving only, the standby's pushes the scheduled base backups while
#                                   its server is in recovery; unset: the primary's pushes them)
#   PG_WALG_BACKUP_PUSH_TIMEOUT     seconds one backup-push may take (baseBackupTimeout, default 86400)
#   PG_WALG_WAL_VERIFY_SECONDS      the primary's sidecar: seconds between WAL chain checks (walVerifyInterval;
#                                   unset: none)
#   PG_WALG_BACKUP_FETCH_TIMEOUT    seconds one backup-fetch may take (baseBackupFetchTimeout, default 86400)
#   PG_WALG_WALG_DIR                where the init container copied wal-g (first on the PATH); unset when
#                                   the image has wal-g on its PATH
#   PG_WALG_ROLE                    with replicas > 1: what the member is made at its first start, primary or
#                                   standby (unset: primary); then its data says
#   PG_WALG_PRIMARY_HOST            a standby member: the primary member's pod DNS name, streamed from
#   PG_WALG_REPLICATION_USER        with replicas > 1: the role standbys stream as (the primary creates it)
#   PG_WALG_DRILL_CONFIG            the restore drill (restoreDrill): the mount of its own ConfigMap, with its
#                                   recovery settings (recovery-settings.conf) and check query (check.sql)
# Not in the manifests (the scripts' defaults apply; the tests and the e2e harness set them):
#   PG_WALG_PRIMARY_PORT            a standby: the primary's port (default PGPORT)
#   PG_WALG_LISTEN_ADDRESSES        listen_addresses of the server (default *)
#   PG_WALG_LIST_TIMEOUT            seconds one backup-list or probe read may take (default 60)
#   PG_WALG_FETCH_TIMEOUT           seconds one wal-fetch of the restore_command may take (default 60)
#   PG_WALG_FETCH_ATTEMPTS          tries of one WAL file in the restore_command (default PG_WALG_ATTEMPTS)
#   PG_WALG_SERVE_PREFETCHED        off to fetch every WAL file with wal-g, even one that WAL-G's prefetch
#                                   already downloaded (default on: serve_prefetched)
#   PG_WALG_GAP_PROBE_SEGMENTS      segments after one that is not in the archive that the restore_command
#                                   looks for before it lets recovery end there (default 16: later_segment)
#   PG_WALG_CHECK_SECONDS           the sidecar: seconds between archiving checks (default 60)
#   PG_WALG_BEHIND_SEGMENTS         the sidecar: waiting segments that make it warn (default 4)
#   PG_WALG_DELETE_TIMEOUT          the sidecar: seconds one retention delete may take (default 3600)
#   PG_WALG_WAL_VERIFY_TIMEOUT      the sidecar: seconds one wal-g wal-verify may take (default 3600)
# State files under PG_WALG_STATE:
#   restore-pending                 a restore has its base backup and has not promoted yet
#   first-backup-pending            a new archive's first base backup is still to be pushed
#   pgdata-incomplete               PGDATA is being filled; the next start empties it and begins again
#   archive-timeline-checked        a new cluster sharing its archive (allowNonEmptyArchive) is on a
#                                   timeline of its own there
#   promoting                       promote.sh is promoting this standby (wal-fetch.sh: no early end)
# Report files in PGDATA (read by the metrics exporter; removed from a fetched base backup):
#   pg-walg-backup-status           the last base backup pushed or tried: "<1|0> <end> <last pushed end>
#                                   <seconds> <backups listed>" (backup_status)
#   pg-walg-wal-verify-status       the last WAL chain check: "<integrity> <timeline> <end> <last all-OK end>
#                                   <seconds> <lost> <pending>" (backup.sh's wal_verify)

PG_WALG_ATTEMPTS=${PG_WALG_ATTEMPTS:-12}
PG_WALG_RETRY_SECONDS=${PG_WALG_RETRY_SECONDS:-5}
# WAL-G can wait a very long time on an unreachable endpoint: listing backups is bounded by this.
PG_WALG_LIST_TIMEOUT=${PG_WALG_LIST_TIMEOUT:-60}
# A database image without wal-g gets it from the init container, in PG_WALG_WALG_DIR: first on the PATH
# of the scripts and of the server they start (its archive_command runs "wal-g").
if [ -n "${PG_WALG_WALG_DIR:-}" ]; then
  PATH="$PG_WALG_WALG_DIR:$PATH"
  export PATH
fi

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

# check_walg: a wal-g copied from another image must run on this one; say why when it does not (a
# binary linked against a newer C library than the image's, or another C library, fails at once).
check_walg() {
  [ -n "${PG_WALG_WALG_DIR:-}" ] || return 0
  _cw_rc=0
  _cw_out=$(bounded 60 "$PG_WALG_WALG_DIR/wal-g" --version 2>&1) || _cw_rc=$?
  [ "$_cw_rc" -ne 0 ] || return 0
  _cw_out=$(printf '%s\n' "$_cw_out" | head -n 3 | tr '\n' ' ')
  die "cannot run $PG_WALG_WALG_DIR/wal-g (copied by the walg-install init container from the WAL-G image; exit $_cw_rc): ${_cw_out% }. The binary must run on this image's C library: use a database image of the WAL-G image's Debian release (glibc, never Alpine's musl), or a WAL-G image built for this one"
}

# A carriage return and a line feed, for secret_value.
_CR=$(printf '\r')
_LF='
'

# secret_value FILE WHAT [required]: set SECRET_VALUE to the value of a mounted Secret file. Every reader
# of a Secret value (load_storage, the superuser password) comes here, so that one file is read one way:
# the value is the file's content without the line ends at its end (any run of "\n", "\r\n" or "\r", as
# `kubectl create secret --from-file` and editors leave them). A value with a line break, a carriage
# return or a NUL byte before its end is refused, and so is an empty one (or one of line ends only) where
# "required" is given; the messages name WHAT (the Secret and key), never the value. Keys that WAL-G reads
# as files (a CA bundle, a GCS JSON key) never come here: their path is given, their content left as it is.
secret_value() {
  [ -f "$1" ] || die "$2 is missing: no file $1"
  if [ "$(tr -d '\000' <"$1" | wc -c)" -ne "$(wc -c <"$1")" ]; then
    die "$2 holds a NUL byte, which no environment variable or password can hold"
  fi
  SECRET_VALUE=$(cat "$1")
  while :; do
    case $SECRET_VALUE in
      *"$_CR" | *"$_LF") SECRET_VALUE=${SECRET_VALUE%?} ;;
      *) break ;;
    esac
  done
  case $SECRET_VALUE in
    *"$_CR"* | *"$_LF"*) die "$2 is more than one line: it holds a line break or a carriage return before its end (only the line ends at its end are ignored)" ;;
  esac
  if [ -z "$SECRET_VALUE" ] && [ "${3:-}" = required ]; then
    die "$2 is empty (a Secret value without line ends is needed)"
  fi
}

# export_secret ENV FILE ROLE: export ENV as the value (secret_value) of FILE, a key of the ROLE Secret.
export_secret() {
  secret_value "$2" "key ${2##*/} of the $3 Secret"
  export "$1=$SECRET_VALUE"
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
  for _file in "$_dir"/*; do
    [ -f "$_file" ] || continue
    _key=${_file##*/}
    case $_key in
      # @secret-keys: one arm per key of the bound storages' credentials, rendered at synth time from the
      # provider files (src/storage-*.ts): KubeDB's key names to the env names WAL-G reads, each value read
      # by export_secret, each key file (a CA bundle, a GCS JSON key) given by its path, its content untouched.
      *) ;; # not a credential key of this pod's storages: left alone
    esac
  done
  load_encryption "$_role"
}

# load_encryption ROLE: check the encryption key that the ROLE storage's settings name (mounted from its
# Secret at PG_WALG_SECRETS/ROLE-encryption), and export the OpenPGP passphrase, if any, from its file.
# WAL-G reads the key file itself; a missing or unusable key stops the pod here, before WAL-G runs.
load_encryption() {
  _enc="$PG_WALG_SECRETS/$1-encryption"
  if [ -n "${WALG_LIBSODIUM_KEY_PATH:-}" ]; then
    _what="the libsodium key of the $1 storage (the key of the Secret that its encryption names, mounted as $WALG_LIBSODIUM_KEY_PATH)"
    [ -s "$WALG_LIBSODIUM_KEY_PATH" ] || die "$_what is missing or empty"
    case ${WALG_LIBSODIUM_KEY_TRANSFORM:-none} in
      none)
        # WAL-G trims white space and uses the first 32 bytes; 1.x reads past the end of a shorter key.
        _len=$(tr -d ' \t\r\n' <"$WALG_LIBSODIUM_KEY_PATH" | wc -c | tr -d ' ')
        [ "$_len" -ge 32 ] || die "$_what is $_len bytes long: a key of at least 32 bytes is needed (e.g. openssl rand -base64 48), or give LibsodiumKeyTransform.BASE64 or HEX for an encoded 32-byte key"
        ;;
    esac
  fi
  if [ -n "${WALG_PGP_KEY_PATH:-}" ]; then
    _what="the OpenPGP key of the $1 storage (the key of the Secret that its encryption names, mounted as $WALG_PGP_KEY_PATH)"
    [ -s "$WALG_PGP_KEY_PATH" ] || die "$_what is missing or empty"
    grep -q -- '-----BEGIN PGP .*KEY BLOCK-----' "$WALG_PGP_KEY_PATH" || die "$_what is not an ASCII-armored OpenPGP key (gpg --armor --export-secret-keys)"
  fi
  if [ -f "$_enc/pgp-passphrase" ]; then
    secret_value "$_enc/pgp-passphrase" "the OpenPGP passphrase of the $1 storage" required
    export "WALG_PGP_KEY_PASSPHRASE=$SECRET_VALUE"
  fi
}

# superuser_password: set SUPERUSER_PASSWORD to the superuser password of the auth Secret (secret_value,
# required), or die saying what is wrong with it.
superuser_password() {
  secret_value "$PG_WALG_SECRETS/auth/POSTGRES_PASSWORD" "the superuser password (the key of the auth Secret that superuserPassword names, mounted as auth/POSTGRES_PASSWORD)" required
  SUPERUSER_PASSWORD=$SECRET_VALUE
}

# password_sql: print the SQL that sets the superuser's password to SUPERUSER_PASSWORD (superuser_password),
# for the stdin of a server session: the password is never an argument of a process. It first turns off,
# for the session, each setting of the server that would log the statement (those the major has), then
# runs ALTER ROLE with the password as an escape string literal (E'...', backslashes and quotes doubled),
# which every major reads the same whatever standard_conforming_strings says. The password has no line end
# (secret_value), so each statement is one line, as the single-user backend reads them.
password_sql() {
  quiet_session_sql
  printf 'ALTER ROLE "%s" PASSWORD %s;\n' "${PGUSER:-postgres}" "$(sql_literal "$SUPERUSER_PASSWORD")"
}

# sql_literal VALUE: VALUE as an escape string literal (E'...', backslashes and quotes doubled), which every
# major reads the same whatever standard_conforming_strings says.
sql_literal() {
  printf "E'%s'" "$(printf '%s\n' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"
}

# quiet_session_sql: print the SQL that turns off, for the session, each setting of the server that would
# log a statement (those the major has): a session that sets a password runs it first.
quiet_session_sql() {
  printf '%s\n' "SELECT set_config(name, value, false) FROM (VALUES ('log_statement', 'none'), ('log_min_error_statement', 'panic'), ('log_min_duration_statement', '-1'), ('log_min_duration_sample', '-1'), ('log_transaction_sample_rate', '0'), ('pg_stat_statements.track_utility', 'off'), ('pgaudit.log', 'none')) AS s (name, value) JOIN pg_settings USING (name);"
}

# bounded SECONDS COMMAND...: run COMMAND, stopping it (SIGTERM) after SECONDS; returns its exit status,
# and says "timed out after SECONDS s" on stderr when it was stopped. Portable (busybox's timeout changed
# its syntax between versions), and it leaves no process behind: the watcher is stopped and waited for,
# and the watcher waits for its sleep. Every process is reaped by the shell that started it: a child left
# unreaped is adopted by PID 1, which in a pod is the postmaster (the container's first process, when the
# restore_command of a hot standby runs this), and the postmaster takes an unknown child killed by a signal
# for a crashed backend and restarts every server process.
bounded() {
  _secs=$1
  shift
  _mark=$(mktemp)
  "$@" &
  _cmd=$!
  (
    # The watcher is stopped (SIGTERM) when the command ends first, at any point: even while it starts
    # its sleep, when the shell runs the trap only after "sleep &" and before "_sleep=$!". So the trap
    # only records the stop (and stops a sleep it knows of), and each step after it looks. The sleep is
    # stopped with SIGKILL: a child that has not yet become sleep would lose a SIGTERM, and live on. A
    # wait that the trap cut short is done again, so that the killed sleep is reaped here.
    _sleep=
    _stop=
    trap '_stop=1; if [ -n "$_sleep" ]; then kill -KILL "$_sleep" 2>/dev/null; fi' TERM
    sleep "$_secs" >/dev/null 2>&1 &
    _sleep=$!
    if [ -n "$_stop" ]; then
      kill -KILL "$_sleep" 2>/dev/null
      wait "$_sleep" 2>/dev/null
      exit 0
    fi
    if ! wait "$_sleep"; then
      wait "$_sleep" 2>/dev/null
      exit 0
    fi
    [ -z "$_stop" ] || exit 0
    echo stopped >"$_mark"
    kill -TERM "$_cmd" 2>/dev/null
  ) 2>/dev/null & # nor the shell's note of its killed sleep ("Killed")
  _watch=$!
  _rc=0
  # The shell's own note of a killed job ("Terminated") is not kept: the message below says why.
  wait "$_cmd" 2>/dev/null || _rc=$?
  kill "$_watch" 2>/dev/null || true
  wait "$_watch" 2>/dev/null || true
  # The message comes from here, after both have ended, so that it is never lost in a race.
  if [ "$_rc" -ne 0 ] && [ -s "$_mark" ]; then
    echo "timed out after $_secs s" >&2
  fi
  rm -f "$_mark"
  return "$_rc"
}

# storage_location: the storage prefix in use, for messages: the value of the one WAL-G prefix setting
# (WALG_<STORAGE>_PREFIX, or WAL-E's WALE_<STORAGE>_PREFIX) that the role's settings hold. The library
# computes it once, for every provider, and writes it in <role>.env; no provider is named here.
storage_location() {
  _loc=$(env | sed -n 's/^WAL[EG]_[A-Z0-9]*_PREFIX=//p' | head -n 1)
  printf '%s' "${_loc:-unknown}"
}

# walg_error FILE: the error that WAL-G wrote to FILE (its stderr), as one line for a log: from its last
# "ERROR:" line on (the cloud SDKs explain an error over many lines: which credentials were tried, the
# identity service's answer) up to a following INFO or WARNING line, without blank lines and rules of
# dashes, blanks squeezed, at most 1000 characters; with no "ERROR:" line, its last non-blank line.
walg_error() {
  awk '
    /^[[:space:]]*$/ || /^[[:space:]]*-+[[:space:]]*$/ { next }
    /^(INFO|WARNING): / { inerr = 0 }
    { line = $0; gsub(/[[:space:]]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line) }
    /^ERROR: / { msg = line; inerr = 1; seen = 1; next }
    inerr { msg = msg " " line; next }
    { last = line }
    END {
      out = seen ? msg : last
      if (out == "") out = "no message"
      if (length(out) > 1000) out = substr(out, 1, 997) "..."
      print out
    }' "$1"
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
    if undecodable "$_err"; then
      # Another attempt reads the same bytes: say why at once.
      LAST_ERROR="$(walg_error "$_err"). $UNDECODABLE_HINT"
      rm -f "$_err"
      return 1
    fi
    if [ "$_n" -ge "$PG_WALG_ATTEMPTS" ]; then
      rm -f "$_err"
      return 1
    fi
    _n=$((_n + 1))
    sleep "$PG_WALG_RETRY_SECONDS"
  done
}

# undecodable ERRLOG: whether WAL-G failed to decrypt or decompress what it downloaded (the messages of
# its lz4, lzma, zstd, brotli, libsodium and OpenPGP readers): the archive was written with encryption
# that these settings lack, with another key, or it is damaged. Retrying cannot help.
# (An upload's encryption error, e.g. an OpenPGP key without an encryption subkey, is not one of them.)
undecodable() {
  grep '^ERROR: ' "$1" | grep -v -e 'upload' -e 'encryption error' |
    grep -Eq '(lz4: bad magic number|invalid lz4 data|DecompressLz4|LZMA header|newRangeDecoder|DecompressLzma|cbrotli: |zstd: |magic number mismatch|corrupted chunk|openpgp: )'
}

# decode_probe BACKUP: fetch the WAL segment where base backup BACKUP began (its name after "base_", without
# a delta's "_D_…"), to learn before the fetch of the base backup whether these settings can decrypt and
# decompress the archive: WAL-G 1.1's backup-fetch hangs on a file it cannot decode instead of failing.
# Dies, saying why, when WAL-G cannot decode the segment; any other outcome is left to the fetch itself.
decode_probe() {
  _seg=${1#base_}
  _seg=${_seg%%_D_*}
  case $_seg in
    *[!0-9A-F]*) return 0 ;;
  esac
  [ "${#_seg}" -eq 24 ] || return 0
  _dp=$(fetch_back "$_seg")
  case $_dp in
    *"$UNDECODABLE_HINT"*) die "cannot read the archive $(storage_location): WAL segment $_seg (where base backup $1 began) ${_dp#failed: }" ;;
  esac
}
UNDECODABLE_HINT="WAL-G downloaded the file but cannot decrypt or decompress it: the archive was written with client-side encryption that this storage's settings lack (set the storage's encryption to the archive's, with its key), with another key, or its files are damaged"

# fetch_outcome FILE DEST RC ERRLOG: how `wal-g wal-fetch FILE DEST` ended, as PostgreSQL must hear it.
# Prints one line:
#   fetched        it exited 0 and DEST holds a whole file: a WAL segment whose first page header has
#                  the WAL magic and the segment size that DEST has, or a non-empty history file;
#   missing        WAL-G said that FILE is not in the archive: it exited with its not-found code
#                  (PG_WALG_FETCH_NOT_FOUND_EXIT: 1 before WAL-G 2.0, 74 since) AND logged
#                  "Archive 'FILE' does not exist." for exactly this FILE;
#   failed: WHY    anything else: a storage error (whatever the provider calls it: a refused connection,
#                  a timeout, a 5xx, expired credentials, "The specified bucket does not exist"), a kill by
#                  the time bound, an unknown message, an empty or partial file.
# WAL-G 0.2.x and 1.x exit 1 for a missing file and for a storage error alike: the exit code alone
# would end recovery early, and silently, at the first storage error. Only "missing" may become exit 1.
fetch_outcome() {
  _f=$1 _dest=$2 _rc=$3 _errlog=$4
  if [ "$_rc" -eq 0 ]; then
    _whole=$(whole_file "$_f" "$_dest") || {
      printf 'failed: wal-g exited 0 but %s\n' "$_whole"
      return 0
    }
    echo fetched
    return 0
  fi
  _says_missing=false
  if only_errors "$_errlog" "Archive '$_f' does not exist."; then
    _says_missing=true
    if [ "$_rc" -eq "${PG_WALG_FETCH_NOT_FOUND_EXIT:-1}" ]; then
      echo missing
      return 0
    fi
  fi
  printf 'failed: wal-g exited %s: %s' "$_rc" "$(walg_error "$_errlog")"
  if undecodable "$_errlog"; then
    printf '. %s' "$UNDECODABLE_HINT"
  fi
  if [ "$_says_missing" = true ]; then
    # WAL-G answered "not in the archive" with another release's code: the version is declared wrong.
    printf " (WAL-G's not-found message with exit %s where %s was expected: does the PostgresVersion's walgVersion name the image's WAL-G?)" "$_rc" "${PG_WALG_FETCH_NOT_FOUND_EXIT:-1}"
  fi
  echo
}

# only_errors ERRLOG TEXT: whether WAL-G logged at least one ERROR line and every one of them is TEXT
# (after WAL-G's "ERROR: <date> <time> " prefix, as the whole rest of the line).
only_errors() {
  awk -v text="$2" '
    /^ERROR: / { n++; if (length($0) > length(text) && substr($0, length($0) - length(text)) == " " text) ok++ }
    END { exit !(n > 0 && ok == n) }' "$1"
}

# is_segment NAME: whether NAME is a WAL segment's (24 upper-case hex digits), not a history file's.
is_segment() {
  case $1 in
    [0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]) return 0 ;;
    *) return 1 ;;
  esac
}

# whole_file FILE DEST: whether DEST is a whole copy of the archived FILE; if not, prints why.
whole_file() {
  _size=0
  if [ -f "$2" ]; then
    _size=$(wc -c <"$2" | tr -d ' ')
  fi
  if [ "$_size" -eq 0 ]; then
    echo "$2 is missing or empty"
    return 1
  fi
  # A history file: any non-empty content.
  is_segment "$1" || return 0
  # A WAL segment starts with a long page header: xlp_magic (2 bytes, 0xD0xx/0xD1xx for PostgreSQL
  # 9.6 to 18) and, at byte 32, xlp_seg_size, the segment size the cluster was created with.
  if [ "$_size" -lt 40 ]; then
    echo "$2 is partial: $_size bytes, shorter than a WAL page header"
    return 1
  fi
  _magic=$(od -An -tu2 -N2 "$2" | tr -d ' ')
  _segsize=$(od -An -tu4 -j32 -N4 "$2" | tr -d ' ')
  if [ -z "$_magic" ] || [ "$_magic" -lt 53248 ] || [ "$_magic" -gt 53759 ]; then
    echo "$2 does not start with a WAL page header (magic ${_magic:-none})"
    return 1
  fi
  if [ "$_size" != "$_segsize" ]; then
    echo "$2 is partial: $_size bytes of a $_segsize-byte WAL segment"
    return 1
  fi
}

# serve_prefetched FILE DEST: the fast path of the restore_command: put the WAL segment FILE in DEST
# without starting wal-g (tens of milliseconds a call, for every segment), when WAL-G's prefetch already
# downloaded it. Every WAL-G release from 0.2.4 to 3.0 (read in its source) prefetches into
# <directory of DEST>/.wal-g/prefetch: a download is written into running/FILE and renamed to FILE when it
# has ended (from 0.2.14 on also when it ended with an error: a file there may be partial). The file is
# renamed to DEST (atomic: no other process takes it too), then held to the check of a file that wal-g
# wal-fetch wrote (whole_file: the WAL magic and the segment size of its header, as in fetch_outcome): one
# that fails it is removed, and the caller fetches FILE with wal-g as before. So this succeeds only when DEST
# holds a whole segment, and it never says "not in the archive". It stays out of the way (returns 1 at
# once) for a file that is not a WAL segment (WAL-G never prefetches history files), when prefetch is off
# (WALG_DOWNLOAD_CONCURRENCY is 1, or not a number of at most 4 digits), when WALG_PREFETCH_DIR is set
# (WAL-G 0.2.22 to 3.0.5 prefetch there but look in the default place), and with PG_WALG_SERVE_PREFETCHED=off.
serve_prefetched() {
  [ "${PG_WALG_SERVE_PREFETCHED:-on}" != off ] || return 1
  [ -z "${WALG_PREFETCH_DIR:-}" ] || return 1
  case ${WALG_DOWNLOAD_CONCURRENCY:-10} in '' | *[!0-9]* | 0 | 1 | 0[0-9]* | ?????*) return 1 ;; esac
  is_segment "$1" || return 1
  case $2 in
    */*) _sp_dir=${2%/*}/.wal-g/prefetch ;;
    *) _sp_dir=.wal-g/prefetch ;;
  esac
  # A regular file, not a link: WAL-G writes only files there.
  if [ ! -f "$_sp_dir/$1" ] || [ -h "$_sp_dir/$1" ]; then
    return 1
  fi
  mv -f "$_sp_dir/$1" "$2" 2>/dev/null || return 1
  if ! _sp_why=$(whole_file "$1" "$2"); then
    rm -f "$2"
    log "the copy of $1 that WAL-G prefetched is not whole ($_sp_why): fetching it with wal-g"
    return 1
  fi
  keep_prefetching "$1" "$2" "$_sp_dir"
  return 0
}

# keep_prefetching FILE DEST DIR: after serve_prefetched served FILE from the prefetch directory DIR, start
# in the background what wal-g wal-fetch starts after every fetch, `wal-g wal-prefetch FILE DEST`, which
# downloads those of the next WALG_DOWNLOAD_CONCURRENCY segments that are neither downloaded nor being
# downloaded. Only when at most half of them are queued after FILE (in DIR or DIR/running), and the one it
# started last has ended (its PID is in DIR/../pg-walg-prefetch.pid while it runs, a name that WAL-G's
# clean-up of DIR leaves alone): the segments keep coming without a wal-g process for each of them. Bounded
# in time like a fetch; its log goes to the server log, as WAL-G's own prefetch's does.
keep_prefetching() {
  _kp_pidfile=${3%/prefetch}/pg-walg-prefetch.pid
  _kp_pid=
  if [ -f "$_kp_pidfile" ]; then
    read -r _kp_pid <"$_kp_pidfile" || true
  fi
  case $_kp_pid in
    '' | *[!0-9]*) ;;
    *) if kill -0 "$_kp_pid" 2>/dev/null; then return 0; fi ;;
  esac
  # Names compare as strings (awk would compare two all-digit names as numbers, and lose digits).
  _kp_ahead=$(printf '%s\n' "$3"/* "$3"/running/* | awk -v f="$1" '
    { sub(/.*\//, "") }
    length($0) == 24 && substr($0, 1, 8) == substr(f, 1, 8) && ("" $0) > ("" f) { n++ }
    END { print n + 0 }')
  # WALG_DOWNLOAD_CONCURRENCY is a number above 1 here (serve_prefetched).
  _kp_conc=${WALG_DOWNLOAD_CONCURRENCY:-10}
  [ "${_kp_ahead:-0}" -le $((_kp_conc / 2)) ] || return 0
  # A subshell of its own, which exits 0 whatever wal-g does: a process left behind by the restore_command
  # is adopted by PID 1, the postmaster once the pod runs it, which takes any other exit status for a crash
  # of one of its backends. Its standard output is replaced with exec, not by a redirection of the
  # function call (the shell would keep the caller's stdout open in a saved descriptor while it runs).
  (
    exec </dev/null >/dev/null
    bounded "${PG_WALG_FETCH_TIMEOUT:-60}" wal-g wal-prefetch "$1" "$2" || :
    rm -f "$_kp_pidfile"
  ) &
  echo "$!" >"$_kp_pidfile"
}

# list_outcome RC OUT ERRLOG: how `wal-g backup-list` ended. Prints "listed" (it exited 0 and printed
# base backups), "unconfirmed-empty" (no backups, WAL-G's "No backups found", and no other error: WAL-G
# 0.2.13 to 1.1.1 also print that, with exit 0, when the storage fails, and 0.2.12 and earlier log it as
# an ERROR with exit 1, so only a probe of the storage can tell an empty archive) or "failed: WHY".
list_outcome() {
  _listed=false
  if awk '$1 ~ /^base_[0-9A-F]/ { found = 1 } END { exit !found }' "$2"; then
    _listed=true
  fi
  if [ "$1" -eq 0 ] && [ "$_listed" = true ] && ! grep -q '^ERROR: ' "$3"; then
    echo listed
  elif [ "$1" -le 1 ] && [ "$_listed" = false ] && grep -q 'No backups found' "$3" &&
    { ! grep -q '^ERROR: ' "$3" || only_errors "$3" 'No backups found'; }; then
    echo unconfirmed-empty
  else
    printf 'failed: wal-g backup-list exited %s: %s\n' "$1" "$(walg_error "$3")"
  fi
}

# fetch_back FILE: fetch FILE from the loaded storage into a directory of its own, without prefetching,
# and print fetch_outcome's answer ("fetched", "missing" or "failed: WHY"); the copy is removed.
fetch_back() {
  _pd=$(mktemp -d)
  _prc=0
  WALG_DOWNLOAD_CONCURRENCY=1 bounded "$PG_WALG_LIST_TIMEOUT" wal-g wal-fetch "$1" "$_pd/$1" 2>"$_pd/log" || _prc=$?
  fetch_outcome "$1" "$_pd/$1" "$_prc" "$_pd/log"
  rm -rf "$_pd"
}

# wal_segment_size: the cluster's WAL segment size in bytes, from its control file (pg_controldata, in every
# image beside postgres); 16 MiB, initdb's default, when it cannot be read.
wal_segment_size() {
  _wss=$(LC_ALL=C pg_controldata "${PGDATA:-.}" 2>/dev/null | awk -F: '/^Bytes per WAL segment/ { gsub(/[ \t]/, "", $2); print $2 }') || _wss=
  case $_wss in
    '' | *[!0-9]* | 0*) echo 16777216 ;;
    *) echo "$_wss" ;;
  esac
}

# next_segment NAME SIZE: the name of the WAL segment after NAME (24 hex digits: timeline, log, segment) in
# a cluster of SIZE-byte segments, on the same timeline (a log holds 2^32 bytes of WAL).
next_segment() {
  _nx_per=$((0x100000000 / $2))
  _nx_log=$((0x$(printf '%s' "$1" | cut -c9-16)))
  _nx_seg=$((0x$(printf '%s' "$1" | cut -c17-24) + 1))
  if [ "$_nx_seg" -ge "$_nx_per" ]; then
    _nx_seg=0
    _nx_log=$((_nx_log + 1))
  fi
  printf '%s%08X%08X\n' "$(printf '%s' "$1" | cut -c1-8)" "$_nx_log" "$_nx_seg"
}

# in_pg_wal NAME: whether the server's own WAL directory (pg_wal, pg_xlog before PostgreSQL 10) holds the
# WAL segment NAME whole (whole_file's check of a fetched one).
in_pg_wal() {
  for _iw in "${PGDATA:-.}/pg_wal/$1" "${PGDATA:-.}/pg_xlog/$1"; do
    if [ -f "$_iw" ] && whole_file "$1" "$_iw" >/dev/null; then
      return 0
    fi
  done
  return 1
}

# later_segment NAME: whether the loaded archive holds one of the PG_WALG_GAP_PROBE_SEGMENTS (default 16)
# WAL segments after NAME, of its timeline, which it lacks: if so, NAME is a gap in the archive's WAL,
# not its end, and recovery must not end there (it would promote with every commit after it lost). Prints
# the first one found and succeeds; fails, printing nothing, when none is there; exits 2 of its subshell,
# printing why, when the storage does not answer (the caller cannot tell a gap from the end then). A
# gap longer than the probe is not seen here (`wal-g wal-verify integrity` sees every one).
later_segment() {
  _ls_size=$(wal_segment_size)
  _ls_name=$1
  _ls_i=0
  while [ "$_ls_i" -lt "${PG_WALG_GAP_PROBE_SEGMENTS:-16}" ]; do
    _ls_i=$((_ls_i + 1))
    _ls_name=$(next_segment "$_ls_name" "$_ls_size")
    _ls_out=$(fetch_back "$_ls_name")
    case $_ls_out in
      fetched)
        echo "$_ls_name"
        return 0
        ;;
      missing) ;;
      *)
        echo "cannot tell whether $1 is the end of the archive's WAL: looking for $_ls_name, $_ls_out"
        return 2
        ;;
    esac
  done
  return 1
}

# storage_probe: whether the loaded storage answers. A fetch of WAL segment 0 of timeline 1, which no
# archive holds, must come back as "not in the archive"; a storage error does not.
storage_probe() {
  _po=$(fetch_back 000000010000000000000000)
  [ "$_po" = missing ] && return 0
  echo "wal-g backup-list said \"No backups found\", but the storage does not answer: the probe read ${_po}" >&2
  return 1
}

# list_once: one bounded `wal-g backup-list`; prints "name modified" lines. Succeeds only for a list,
# or for "No backups found" from a storage that the probe shows to be answering.
list_once() {
  _lo=$(mktemp)
  _le=$(mktemp)
  _lrc=0
  # WAL-G prints times in its process's time zone: in UTC here, whatever zone the image sets, so
  # that the times compare with a UTC target.
  bounded "$PG_WALG_LIST_TIMEOUT" env TZ=UTC wal-g backup-list >"$_lo" 2>"$_le" || _lrc=$?
  _outcome=$(list_outcome "$_lrc" "$_lo" "$_le")
  case $_outcome in
    listed) awk '$1 ~ /^base_[0-9A-F]/ { print $1, $2 }' "$_lo" ;;
    unconfirmed-empty) storage_probe || _outcome=failed ;;
    *) echo "${_outcome#failed: }" >&2 ;;
  esac
  rm -f "$_lo" "$_le"
  case $_outcome in listed | unconfirmed-empty) return 0 ;; *) return 1 ;; esac
}

# list_backups ROLE: print the names and times of the base backups in the loaded storage
# ("name modified" lines), or die after a bounded number of attempts saying what was tried.
list_backups() {
  if ! retry "list the base backups at $(storage_location)" list_once; then
    die "cannot read the $1 storage $(storage_location) after $PG_WALG_ATTEMPTS attempts, $PG_WALG_RETRY_SECONDS s apart. Check the bucket, the prefix, the endpoint and the credentials (the $1 Secret, or the ServiceAccount of a keyless identity). Last error: $LAST_ERROR"
  fi
}

# finish_times_json FILE: the base backups and their finish times in FILE, the output of `wal-g
# backup-list --detail --json` (WAL-G 0.2.10 and later: an array of objects, one per backup, whose
# "backup_name" and "finish_time" members are read; the time is UTC, with a fraction of a second, in every
# release and whatever TZ says). Prints "name finish_time" lines, or "name -" for a backup without a usable
# finish time (none, zero, or not in UTC). The text is split at its double quotes (RS), so that whatever a
# string holds (a data directory or host name with spaces, braces or escaped quotes, user data) cannot
# pass for structure; members of nested objects are not read. Exits 2 for text that is not such JSON.
finish_times_json() {
  awk '
    BEGIN { RS = "\""; depth = 0; instr = 0; have = 0; bad = 0 }
    instr {
      s = s $0
      n = 0
      while (n < length($0) && substr($0, length($0) - n, 1) == "\\") n++
      if (n % 2 == 1) { s = s "\""; next } # an escaped quote: the string goes on
      str = s; s = ""; instr = 0; have = 1; last = "string"
      next
    }
    {
      if (have && depth == 2) {
        if ($0 ~ /^[ \t\r\n]*:/) key = str
        else if (key == "backup_name") name = str
        else if (key == "finish_time") fin = str
      }
      have = 0
      for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1)
        if (c == "{" || c == "[") {
          if (++depth == 2) { name = ""; fin = ""; key = "" }
        } else if (c == "}" || c == "]") {
          if (depth == 2 && name != "") {
            ok = fin ~ /^[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\.[0-9]+)?(Z|[+-]00:00)$/ && fin >= "1970"
            print name, (ok ? fin : "-")
          }
          if (--depth < 0) bad = 1
        } else if (c == "," && depth == 2) key = ""
      }
      instr = 1; last = "outside"
    }
    END { exit (bad || depth != 0 || last == "string") ? 2 : 0 }' "$1"
}

# finish_times_once: one bounded `wal-g backup-list --detail --json`; prints finish_times_json's lines.
# When WAL-G says that a backup has no metadata.json (pushed by a WAL-G before 0.2.10, which recorded no
# finish time), prints "none: WHY" and succeeds: asking again would not change it.
finish_times_once() {
  _fo=$(mktemp)
  _fe=$(mktemp)
  _frc=0
  bounded "$PG_WALG_LIST_TIMEOUT" env TZ=UTC wal-g backup-list --detail --json >"$_fo" 2>"$_fe" || _frc=$?
  _fjson=ok
  _fl=$(finish_times_json "$_fo") || _fjson=bad
  _flast=$(walg_error "$_fe")
  _fmeta=false
  if [ "$_frc" -ne 0 ] && grep -q "metadata\.json' not found" "$_fe"; then
    _fmeta=true
  fi
  _ferr=false
  if grep -q '^ERROR: ' "$_fe"; then
    _ferr=true
  fi
  rm -f "$_fo" "$_fe"
  if [ "$_frc" -eq 0 ] && [ "$_fjson" = ok ] && [ -n "$_fl" ] && [ "$_ferr" = false ]; then
    printf '%s\n' "$_fl"
  elif [ "$_fmeta" = true ]; then
    printf 'none: %s\n' "$_flast"
  elif [ "$_frc" -eq 0 ] && [ "$_ferr" = false ]; then
    echo "wal-g backup-list --detail --json exited 0 but printed no JSON list of base backups" >&2
    return 1
  else
    echo "wal-g backup-list --detail --json exited $_frc: $_flast" >&2
    return 1
  fi
}

# retention_times LIST: LIST ("name modified" lines from list_once) as "name time kind" lines, the time
# retention by age compares for each base backup: its finish time as WAL-G recorded it ("finish", from
# backup-list --detail, where PG_WALG_LIST_DETAIL is on), else its storage modification time ("modified").
# Both come after the end of the backup (WAL-G stores the backup's sentinel and metadata once PostgreSQL
# has ended it), and a copied archive shows the copy time: a backup may be kept longer, never deleted too
# soon. Says why when a list with finish times was expected but not had.
retention_times() {
  _rt_ft=
  if [ "${PG_WALG_LIST_DETAIL:-off}" = on ]; then
    _rt_ft=$(retry "list the finish times of the base backups at $(storage_location)" finish_times_once || printf 'failed: %s\n' "$LAST_ERROR")
    case $_rt_ft in
      'failed: '*)
        log "WARNING: WAL-G's detailed backup list failed: ${_rt_ft#failed: }; retention compares the storage modification times of the base backups instead (never earlier than their finish times: it may keep more, never less)"
        _rt_ft=
        ;;
      'none: '*)
        log "retention: a base backup has no metadata (pushed by a WAL-G that recorded no finish time: ${_rt_ft#none: }); the storage modification times of the base backups are compared instead"
        _rt_ft=
        ;;
    esac
  fi
  printf '%s\n' "$1" | awk -v ft="$_rt_ft" '
    BEGIN { n = split(ft, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], f, " "); if (f[1] != "" && f[2] != "-") fin[f[1]] = f[2] } }
    $1 == "" { next }
    $1 in fin { print $1, fin[$1], "finish"; next }
    { print $1, $2, "modified" }'
}

# retention_cut CUTOFF FULL: the oldest base backup that retention by age keeps, of those read as
# "name time kind" lines (retention_times; in any order). Prints one line: "NAME WHY" to delete the
# backups before full backup NAME and the WAL before it (`wal-g delete before FIND_FULL NAME`), or "- WHY"
# to delete nothing; WHY says what was kept and why. The backup kept is the older of
#   (a) the newest backup whose time is at or before CUTOFF (seconds since the epoch: now - retainFor):
#       a recovery to the start of the window begins from it (without one, the oldest backup), and
#   (b) the FULL-th newest full backup (without as many, the oldest backup),
# or, for a delta, the full backup it builds on: the newest full one before it, as WAL-G's FIND_FULL takes
# it. Backups are in WAL-G's order, by timeline and start segment (the 24 hex digits of their names; a
# delta's name has "_D_"). A time with a fraction of a second counts as the next second, and a storage
# modification time one second later (WAL-G prints it cut to the second). A time that cannot be read fails
# it (exit 2, saying which): nothing is deleted on a guess.
retention_cut() {
  awk -v cut="$1" -v full="$2" '
    # Seconds since the epoch of an RFC 3339 time (Z or an offset), a fraction of a second rounded up;
    # "" when it is not one.
    function epoch(s,   y, mo, d, rest, frac, off, era, yoe, doy, doe) {
      if (s !~ /^[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]/) return ""
      y = substr(s, 1, 4) + 0; mo = substr(s, 6, 2) + 0; d = substr(s, 9, 2) + 0
      if (y < 1970 || mo < 1 || mo > 12 || d < 1) return ""
      rest = substr(s, 20); frac = 0
      if (match(rest, /^\.[0-9]+/)) { frac = (substr(rest, 2, RLENGTH - 1) ~ /[1-9]/); rest = substr(rest, RLENGTH + 1) }
      if (rest == "Z") off = 0
      else if (rest ~ /^[+-][0-2][0-9]:[0-5][0-9]$/) { off = substr(rest, 2, 2) * 3600 + substr(rest, 5, 2) * 60; if (substr(rest, 1, 1) == "-") off = -off }
      else return ""
      # Days since 1970-01-01 of the civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
      y -= (mo <= 2); era = int(y / 400); yoe = y - era * 400
      doy = int((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1
      doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
      return (era * 146097 + doe - 719468) * 86400 + substr(s, 12, 2) * 3600 + substr(s, 15, 2) * 60 + substr(s, 18, 2) + frac - off
    }
    # The RFC 3339 UTC time of seconds since the epoch (at least 0).
    function rfc(e,   z, sec, era, doe, yoe, doy, mp, y, m) {
      sec = e % 86400; z = (e - sec) / 86400 + 719468
      era = int(z / 146097); doe = z - era * 146097
      yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
      doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100)); mp = int((5 * doy + 2) / 153)
      m = mp < 10 ? mp + 3 : mp - 9; y = yoe + era * 400 + (m <= 2)
      return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, doy - int((153 * mp + 2) / 5) + 1, int(sec / 3600), int(sec % 3600 / 60), sec % 60)
    }
    function when(i) { return kind[i] == "finish" ? "finished at " t[i] : "was stored at " t[i] " (storage modification time)" }
    $1 == "" { next }
    bad == "" {
      e = epoch($2)
      if (e == "") { bad = $1 " (" $2 ")"; next }
      n++; name[n] = $1; t[n] = $2; ep[n] = e + ($3 == "finish" ? 0 : 1); kind[n] = $3; key[n] = "k" substr($1, 6, 24)
    }
    END {
      if (bad != "") { print "cannot read the time of base backup " bad | "cat >&2"; exit 2 }
      if (n == 0) { print "- the archive holds no base backup"; exit 0 }
      for (i = 2; i <= n; i++) {
        for (j = i; j > 1; j--) {
          p = j - 1
          if (key[p] < key[j] || (key[p] == key[j] && (ep[p] < ep[j] || (ep[p] == ep[j] && name[p] <= name[j])))) break
          x = name[p]; name[p] = name[j]; name[j] = x; x = t[p]; t[p] = t[j]; t[j] = x
          x = ep[p]; ep[p] = ep[j]; ep[j] = x; x = kind[p]; kind[p] = kind[j]; kind[j] = x; x = key[p]; key[p] = key[j]; key[j] = x
        }
      }
      a = 0
      for (i = n; i >= 1 && !a; i--) if (ep[i] <= cut + 0) a = i
      b = 0; c = 0
      for (i = n; i >= 1 && !b; i--) if (name[i] !~ /_D_/ && ++c == full + 0) b = i
      start = rfc(cut + 0)
      why = a ? name[a] " " when(a) ", the newest base backup by " start " (the start of the window)" : "no base backup finished by " start " (the start of the window)"
      if (b) why = why "; " (full == 1 ? "the newest full backup is " name[b] : "the newest " full " full backups begin at " name[b])
      else why = why "; the archive holds " c " full backup(s), fewer than " full
      k = a ? a : 1
      if (b && b < k) k = b
      if (!b) k = 1
      f = 0
      for (i = k; i >= 1 && !f; i--) if (name[i] !~ /_D_/) f = i
      if (f == 0) { print "- " why "; " name[k] " is a delta backup without a full backup before it in the archive"; exit 0 }
      if (f == 1) { print "- " why "; nothing is older than " name[1]; exit 0 }
      print name[f], why (f == k ? "" : "; " name[k] " builds on the full backup " name[f])
    }'
}

# push_base_backup: `wal-g backup-push` of the running server, with retries, checked against the
# archive: it succeeds only when a base backup that was not there before is listed afterwards (a push
# that reports success without uploading is a failure; listings that lag, as Swift's may, are asked
# again). Fails with the reason in LAST_ERROR.
push_base_backup() {
  _before=$(list_backups archive) || {
    LAST_ERROR="cannot list the base backups at $(storage_location) before the push"
    return 1
  }
  retry "push a base backup" bounded "${PG_WALG_BACKUP_PUSH_TIMEOUT:-86400}" wal-g backup-push "$PGDATA" || return 1
  if ! _new=$(retry "find the new base backup at $(storage_location)" new_backup "$_before"); then
    LAST_ERROR="wal-g backup-push reported success, but no new base backup is listed at $(storage_location)"
    return 1
  fi
  log "base backup $_new is in $(storage_location)"
}

# new_backup BEFORE: print the newest listed base backup that is not in BEFORE ("name modified" lines).
new_backup() {
  _after=$(list_backups archive) || return 1
  _nb=$(printf '%s\n' "$_after" | awk -v before="$1" '
    BEGIN { n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); seen[f[1]] = 1 } }
    $1 != "" && !($1 in seen) { print $1 }' | tail -n 1)
  if [ -z "$_nb" ]; then
    echo "no base backup is listed that was not there before the push" >&2
    return 1
  fi
  printf '%s\n' "$_nb"
}

# begin_pgdata: start filling PGDATA from nothing (also after a half-done attempt). The marker
# PG_WALG_STATE/pgdata-incomplete stays until the caller has a whole PGDATA.
begin_pgdata() {
  mkdir -p "$PG_WALG_STATE"
  : >"$PG_WALG_STATE/pgdata-incomplete"
  rm -f "$PG_WALG_STATE/archive-timeline-checked"
  rm -rf "$PGDATA"
  mkdir -m 0700 "$PGDATA"
}

# fetch_base_backup NAME: one attempt to fetch base backup NAME into an empty PGDATA, checked: WAL-G
# must exit 0 and leave the files without which PostgreSQL would not start recovery where the backup
# began (a fetch that stops half-way is not a cluster).
fetch_base_backup() {
  begin_pgdata
  bounded "${PG_WALG_BACKUP_FETCH_TIMEOUT:-86400}" wal-g backup-fetch "$PGDATA" "$1" || return 1
  for _f in PG_VERSION global/pg_control backup_label; do
    if [ ! -s "$PGDATA/$_f" ]; then
      echo "wal-g backup-fetch exited 0 but $PGDATA/$_f is missing or empty: the base backup was not fetched whole" >&2
      return 1
    fi
  done
  # A base backup taken on a hot standby (baseBackupsFromStandby) holds the standby's standby.signal, or up
  # to PostgreSQL 11 its recovery.conf with standby_mode: a restore of it would stay a standby and never
  # promote. What is made of the fetched data writes its own recovery settings.
  rm -f "$PGDATA/standby.signal" "$PGDATA/recovery.signal" "$PGDATA/recovery.conf"
  # The source's report of its last base backup is not this instance's.
  rm -f "$PGDATA/pg-walg-backup-status" "$PGDATA/pg-walg-wal-verify-status"
}

# newest_backup LIST: the newest base backup of LIST (list_backups' "name modified" lines, oldest first).
newest_backup() {
  printf '%s\n' "$1" | awk 'NF { n = $1 } END { print n }'
}

# fetch_checked NAME: fetch base backup NAME from the loaded storage into an empty PGDATA (decode_probe
# first, then fetch_base_backup with retries) and check that it is of this image's PostgreSQL major (a
# base backup of another major cannot be started); dies saying why otherwise.
fetch_checked() {
  decode_probe "$1"
  if ! retry "fetch base backup $1" fetch_base_backup "$1"; then
    die "cannot fetch base backup $1 from $(storage_location) after $PG_WALG_ATTEMPTS attempts. Last error: $LAST_ERROR"
  fi
  _major=$(pg_major)
  if [ "$_major" != "$PG_WALG_PG_MAJOR" ]; then
    die "the base backup is of PostgreSQL $_major but this image runs PostgreSQL $PG_WALG_PG_MAJOR; restore it with a PostgresVersion of the same major"
  fi
}

# fetched_pgdata_complete: a fetched base backup is a whole PGDATA: the empty directories a backup may lack
# (PostgreSQL needs them), its mode, and no more marker of a half-done fill.
fetched_pgdata_complete() {
  for _d in pg_tblspc pg_twophase pg_stat pg_stat_tmp pg_replslot pg_snapshots pg_commit_ts pg_logical/snapshots pg_logical/mappings; do
    mkdir -p "$PGDATA/$_d"
  done
  chmod 0700 "$PGDATA"
  rm -f "$PG_WALG_STATE/pgdata-incomplete"
}

# install_file SRC DEST: copy a ConfigMap file into PGDATA, owned by the server and mode 0600.
install_file() {
  cat "$1" >"$2"
  chmod 0600 "$2"
}

# install_server_config MORE: (re)write the files the ConfigMap owns into PGDATA: pg_hba.conf, and
# pg-walg.conf (included by postgresql.conf) with the ConfigMap's postgresql.conf followed by what the
# function MORE prints (recovery or hot standby settings; ":" for none).
install_server_config() {
  install_file "$PG_WALG_CONFIG/pg_hba.conf" "$PGDATA/pg_hba.conf"
  {
    cat "$PG_WALG_CONFIG/postgresql.conf"
    "$1"
  } >"$PGDATA/pg-walg.conf"
  if ! grep -q "^include_if_exists = 'pg-walg.conf'" "$PGDATA/postgresql.conf"; then
    printf "\n# Added by cdk8s-postgres-walg: the settings of the ConfigMap\ninclude_if_exists = 'pg-walg.conf'\n" >>"$PGDATA/postgresql.conf"
  fi
}

# install_recovery SETTINGS: make a fetched PGDATA recover from the archive with the recovery settings file
# SETTINGS, as the major reads them: recovery.conf up to PostgreSQL 11 (a copy: PostgreSQL renames it, with
# an fsync that opens it read-write, when it promotes), recovery.signal from 12 (the settings then go into
# pg-walg.conf: install_server_config).
install_recovery() {
  case $PG_WALG_RECOVERY_STYLE in
    recovery.conf) install_file "$1" "$PGDATA/recovery.conf" ;;
    recovery.signal) : >"$PGDATA/recovery.signal" ;;
    *) die "unknown PG_WALG_RECOVERY_STYLE $PG_WALG_RECOVERY_STYLE" ;;
  esac
}

# backup_status RESULT STARTED [ENDED]: record a base backup's outcome (1 pushed, 0 failed; STARTED and ENDED
# in Unix seconds, ENDED now unless given) in PGDATA/pg-walg-backup-status for the metrics exporter,
# replacing the file whole (a reader never sees half a line). What this outcome cannot tell (the end of the last pushed one after a failure, the count
# of base backups when the archive cannot be listed) is carried over from the previous report.
backup_status() {
  _bs_file="$PGDATA/pg-walg-backup-status"
  _bs_end=${3:-$(date +%s)}
  _bs_ok=0
  _bs_count=0
  if [ -f "$_bs_file" ]; then
    _bs_ok=$(awk 'NR == 1 && $3 ~ /^[0-9]+$/ { print $3 }' "$_bs_file")
    _bs_count=$(awk 'NR == 1 && $5 ~ /^[0-9]+$/ { print $5 }' "$_bs_file")
  fi
  if [ "$1" = 1 ]; then
    _bs_ok=$_bs_end
  fi
  if _bs_list=$(list_once 2>/dev/null); then
    _bs_count=$(printf '%s\n' "$_bs_list" | grep -c . || true)
  fi
  if { printf '%s %s %s %s %s\n' "$1" "$_bs_end" "${_bs_ok:-0}" $((_bs_end - $2)) "${_bs_count:-0}" >"$_bs_file.tmp"; } 2>/dev/null &&
    mv -f "$_bs_file.tmp" "$_bs_file"; then
    return 0
  fi
  log "WARNING: cannot write $_bs_file (the base backup metrics)"
}

# wal_verify_summary OUT LAST_ARCHIVED SEGMENT_SIZE: what `wal-g wal-verify integrity timeline --json` (its output
# in the file OUT: one JSON object, the same from WAL-G 0.2.20 to 3.0) found. Prints one line,
# "<integrity> <timeline> <lost> <pending> <lost ranges>": each status as WAL-G says it (OK, WARNING,
# FAILURE; - when the output has none: WAL-G failed), the count of WAL segments lost and of those missing
# but not archived yet, and the lost ones as FIRST..LAST[,FIRST..LAST…] (- for none). LAST_ARCHIVED is what
# pg_stat_archiver named before the check began (a segment, or a segment's .backup or .partial file: its
# segment). PostgreSQL archives in order, and wal-push reported success for every segment up to it: on its
# timeline a missing segment at or before it is lost, and one after it is pending, whatever WAL-G guessed
# (WAL-G calls the newest WALG_UPLOAD_CONCURRENCY missing segments "probably uploading" and older ones lost,
# so an archive that only lags would look broken). On another timeline, or when LAST_ARCHIVED names no
# segment (none archived yet, a history file), WAL-G's word stands. Lost segments make integrity FAILURE;
# pending ones alone make it OK.
wal_verify_summary() {
  awk -v archived="$2" -v size="$3" '
    function hex(h,   i, n) { n = 0; for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1; return n }
    function segno(name) { return hex(substr(name, 9, 8)) * (4294967296 / size) + hex(substr(name, 17, 8)) }
    function name(tli, no) { return sprintf("%s%08X%08X", tli, int(no / (4294967296 / size)), no % (4294967296 / size)) }
    function status(key,   t) {
      if (!match(all, "\"" key "\":[{]\"status\":\"[A-Z]+\"")) return "-"
      t = substr(all, RSTART, RLENGTH); sub(/.*"status":"/, "", t); sub(/"$/, "", t); return t
    }
    function addlost(first, last) { lost += segno(last) - segno(first) + 1; ranges = ranges "," first ".." last }
    { all = all $0 }
    END {
      integrity = status("integrity"); timeline = status("timeline")
      lost = 0; pending = 0; ranges = ""
      # Names compare as strings: awk would compare two all-digit names as numbers, and lose digits.
      known = (archived ~ /^[0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F][0-9A-F]/)
      if (known) archived = "" substr(archived, 1, 24)
      rest = all
      while (match(rest, /"start_segment":"[0-9A-F]+","end_segment":"[0-9A-F]+","segments_count":[0-9]+,"status":"[A-Z_]+"/)) {
        row = substr(rest, RSTART, RLENGTH); rest = substr(rest, RSTART + RLENGTH)
        split(row, f, "\"")
        first = "" f[4]; last = "" f[8]; n = f[11]; gsub(/[^0-9]/, "", n); st = f[14]
        if (st == "FOUND") continue
        if (known && substr(first, 1, 8) == substr(archived, 1, 8)) {
          if (first > archived) { pending += n; continue }
          if (last <= archived) { addlost(first, last); continue }
          addlost(first, archived); pending += segno(last) - segno(archived)
          continue
        }
        if (st == "MISSING_LOST") addlost(first, last)
        else pending += n
      }
      if (integrity != "-") integrity = (lost > 0) ? "FAILURE" : "OK"
      sub(/^,/, "", ranges)
      print integrity, timeline, lost, pending, (ranges == "" ? "-" : ranges)
    }' "$1"
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

# --- Hot standbys (replicas > 1) ---

# replication_password: set REPLICATION_PASSWORD to the password of the role standbys stream as
# (secret_value of the replication Secret, required), or die saying what is wrong with it.
replication_password() {
  secret_value "$PG_WALG_SECRETS/replication/REPLICATION_PASSWORD" "the replication password (the key of the Secret that replicationPassword names, mounted as replication/REPLICATION_PASSWORD)" required
  REPLICATION_PASSWORD=$SECRET_VALUE
}

# replication_role_sql: print the SQL that makes PG_WALG_REPLICATION_USER a role with REPLICATION and
# LOGIN and nothing else, whose password is REPLICATION_PASSWORD (replication_password): created when
# missing, set again at every start of the primary, so that a changed Secret takes effect. One statement a
# line, after the settings that keep statements out of the server log (password_sql's first line).
replication_role_sql() {
  quiet_session_sql
  printf '%s\n' "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_WALG_REPLICATION_USER') THEN CREATE ROLE \"$PG_WALG_REPLICATION_USER\"; END IF; END \$\$;"
  printf 'ALTER ROLE "%s" WITH NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN REPLICATION NOBYPASSRLS PASSWORD %s;\n' \
    "$PG_WALG_REPLICATION_USER" "$(sql_literal "$REPLICATION_PASSWORD")"
}

# write_pgpass: the password file libpq reads for the standby's connections to the primary ($HOME/.pgpass,
# mode 0600: in an emptyDir, written at every start from the Secret), so that the password is in no setting
# and no argument. Host, port and database are wildcards: the file has the replication role's line only.
# PGPASSFILE names it, exported: libpq (PostgreSQL 15 and earlier) looks for ~/.pgpass in the home directory
# of the user's passwd entry, not $HOME, and the pod's user may have none; the walreceiver, a child of the
# postmaster exec'd by this shell, inherits it (a passfile in primary_conninfo would need PostgreSQL 10).
write_pgpass() {
  replication_password
  _pw=$(printf '%s\n' "$REPLICATION_PASSWORD" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')
  _user=$(printf '%s\n' "$PG_WALG_REPLICATION_USER" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g')
  PGPASSFILE=$HOME/.pgpass
  export PGPASSFILE
  (umask 077 && printf '*:*:*:%s:%s\n' "$_user" "$_pw" >"$PGPASSFILE")
  chmod 0600 "$PGPASSFILE"
}

# primary_conninfo: the libpq connection string a standby streams with (and asks the primary's system
# identifier with): the primary member's pod, the replication role (its password in $HOME/.pgpass), this
# pod's host name as application_name (pg_stat_replication shows it). No value holds a quote or a space.
primary_conninfo() {
  _pod=$(pod_name)
  printf 'host=%s port=%s user=%s connect_timeout=5 application_name=%s' \
    "${PG_WALG_PRIMARY_HOST:?}" "${PG_WALG_PRIMARY_PORT:-$PGPORT}" "$PG_WALG_REPLICATION_USER" "$(printf '%s' "$_pod" | tr -c 'A-Za-z0-9_-' '_')"
}

# primary_system_identifier: one attempt to print the database system identifier of the primary
# (IDENTIFY_SYSTEM over a replication connection, as a standby's walreceiver asks it); fails saying why.
primary_system_identifier() {
  _id=$(psql -X -At -c IDENTIFY_SYSTEM "$(primary_conninfo) dbname=replication replication=true") || return 1
  _id=${_id%%|*}
  case $_id in
    '' | *[!0-9]*)
      echo "IDENTIFY_SYSTEM answered \"$_id\", not a system identifier" >&2
      return 1
      ;;
  esac
  printf '%s\n' "$_id"
}

# control_system_identifier DIR: the database system identifier in DIR/global/pg_control (its first 8
# bytes, an unsigned 64-bit integer in the byte order of the machine that wrote it, this one's), as
# pg_controldata prints it. od is in coreutils and busybox alike.
control_system_identifier() {
  od -An -t u8 -N 8 "$1/global/pg_control" | tr -d ' \n'
}

# is_standby_data: whether PGDATA is a standby's: it has standby.signal (PostgreSQL 12 and later) or a
# recovery.conf (up to 11), which a promotion removes (or renames recovery.done).
is_standby_data() {
  [ -f "$PGDATA/standby.signal" ] || [ -f "$PGDATA/recovery.conf" ]
}

# standby_settings: the recovery settings of a hot standby, for the recovery style of the major: stream
# from the primary, fall back to the archive (wal-fetch.sh, in its standby mode: a storage error is "not
# there yet", as streaming is tried next) and follow the newest timeline (a promotion of another member).
standby_settings() {
  printf '%s\n' "primary_conninfo = '$(primary_conninfo)'"
  printf '%s\n' "restore_command = 'sh \"$PG_WALG_CONFIG/wal-fetch.sh\" %f %p standby'"
  printf '%s\n' "recovery_target_timeline = 'latest'"
}

# pod_name: this pod's name (its host name, which Kubernetes sets to the pod's name).
pod_name() {
  cat /proc/sys/kernel/hostname 2>/dev/null || echo POD
}

# current_timeline: this cluster's timeline as 8 hex digits: that of the newest history file in its WAL
# directory (a promotion writes one for the timeline it begins), or 00000001 when there is none.
current_timeline() {
  _tl=00000001
  for _h in "$PGDATA"/pg_wal/*.history "$PGDATA"/pg_xlog/*.history; do
    _n=${_h##*/}
    _n=${_n%.history}
    case $_n in *[!0-9A-F]*) continue ;; esac
    if [ -f "$_h" ] && [ ${#_n} -eq 8 ] && [ "$(printf '%s\n%s\n' "$_tl" "$_n" | LC_ALL=C sort | tail -n 1)" = "$_n" ]; then
      _tl=$_n
    fi
  done
  printf '%s\n' "$_tl"
}
