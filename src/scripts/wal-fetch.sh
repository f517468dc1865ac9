#!/bin/sh
# restore_command of cdk8s-postgres-walg: wal-g wal-fetch, with exit codes PostgreSQL can trust.
#   restore_command = 'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p'           (a restore)
#   restore_command = 'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p standby'   (a hot standby)
# PostgreSQL reads any exit code from 1 to 125 as "this file is not in the archive" and ends recovery
# there. So only a fetch that WAL-G clearly reports as "not in the archive" (fetch_outcome in lib.sh)
# exits 1. Anything else (a storage error, a timeout, an unknown message, an empty or partial file)
# is retried, then reported with exit code 255, which makes PostgreSQL abort recovery: the pod
# restarts and resumes replay where it stopped, instead of promoting with committed WAL missing.
# A segment WAL-G reports missing is the end of the archive's WAL only if none of the next ones is there
# (later_segment in lib.sh): a later one means a gap (a lost or deleted segment, or one still uploading
# behind a later one), and is retried like a storage error, then exit 255, saying so.
# A hot standby (third argument "standby") never ends recovery on exit code 1: it tries streaming from the
# primary next, and the archive again a few seconds later. So there a storage error gets one attempt and
# exit code 1, and the standby keeps streaming while the archive is down; except while promote.sh promotes
# it (PG_WALG_STATE/promoting): PostgreSQL then replays what the archive holds and promotes at the first
# file it cannot get, so a storage error exits 255 and the promotion waits for the archive.
set -u
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"
# A segment that WAL-G's prefetch already downloaded whole is served without starting wal-g (the same
# check of the file as below; it never answers "not in the archive"): serve_prefetched in lib.sh.
if serve_prefetched "$1" "$2"; then
  exit 0
fi
# As many attempts as every storage operation of the pod (storageAttempts), each bounded in time: a
# WAL segment is 16 MiB by default, and WAL-G before 1.1.2 retries S3 requests for minutes by itself.
attempts=${PG_WALG_FETCH_ATTEMPTS:-$PG_WALG_ATTEMPTS}
standby=
if [ "${3:-}" = standby ] && [ ! -f "$PG_WALG_STATE/promoting" ]; then
  standby=1
  attempts=1
fi
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT
n=1
later=
lrc=
while :; do
  rc=0
  later=
  lrc=
  bounded "${PG_WALG_FETCH_TIMEOUT:-60}" wal-g wal-fetch "$1" "$2" 2>"$errlog" || rc=$?
  # WAL-G's own log goes to the server log, as if it had run directly.
  grep -v '^[[:space:]]*$' "$errlog" >&2
  outcome=$(fetch_outcome "$1" "$2" "$rc" "$errlog")
  case $outcome in
    fetched) exit 0 ;;
    missing)
      rm -f "$2"
      # The end of the archive's WAL, or a gap in it? A later segment of the timeline says a gap. Not asked
      # when pg_wal holds the segment whole (a standby being promoted streamed it, and the primary died before
      # archiving it): PostgreSQL reads it there once told it is not in the archive.
      if [ -n "$standby" ] || ! is_segment "$1" || in_pg_wal "$1"; then
        exit 1
      fi
      lrc=0
      later=$(later_segment "$1") || lrc=$?
      case $lrc in
        1) exit 1 ;;
        0) outcome="is not in the archive, but the later segment $later is" ;;
        *) outcome=$later ;;
      esac
      ;;
  esac
  rm -f "$2"
  log "wal-fetch $1 $outcome (attempt $n/$attempts)"
  if undecodable "$errlog"; then
    log "ERROR: cannot decode $1 from $(storage_location); aborting recovery (another attempt reads the same bytes)"
    exit 255
  fi
  if [ -n "$standby" ]; then
    log "WARNING: cannot fetch $1 from $(storage_location) ($outcome); the standby streams from the primary meanwhile and tries the archive again"
    exit 1
  fi
  if [ "$n" -ge "$attempts" ]; then
    if [ -n "$later" ] && [ "$lrc" = 0 ]; then
      log "ERROR: WAL segment $1 is not in $(storage_location), but the later segment $later is: the archive's WAL has a gap there, and replay cannot go past it. Aborting recovery rather than ending it at $1 with every later commit lost (the pod restarts and tries again). Put the segment back in the archive, or restore to a recovery target before it."
    else
      log "ERROR: cannot fetch $1 from $(storage_location); aborting recovery rather than ending it early (the pod restarts and resumes replay)"
    fi
    exit 255
  fi
  n=$((n + 1))
  sleep "$PG_WALG_RETRY_SECONDS"
done
