#!/bin/sh
# restore_command of cdk8s-postgres-walg: wal-g wal-fetch, with exit codes PostgreSQL can trust.
#   restore_command = 'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p'
# PostgreSQL reads any exit code from 1 to 125 as "this file is not in the archive" and ends
# recovery there. A storage error must not look like that, or a restore silently stops early.
# WAL-G >= 1.0 exits PG_WALG_FETCH_NOT_FOUND_EXIT (74) for a missing file: that becomes 1; any
# other failure is retried, then reported with an exit code above 125, which aborts recovery
# (the pod restarts and resumes) instead of promoting with WAL missing. WAL-G 0.2.x (the KubeDB
# images) does not tell the two apart: PG_WALG_FETCH_NOT_FOUND_EXIT is empty and every failure is 1.
set -u
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"
attempts=${PG_WALG_FETCH_ATTEMPTS:-5}
n=1
while :; do
  rc=0
  bounded "${PG_WALG_FETCH_TIMEOUT:-300}" wal-g wal-fetch "$1" "$2" || rc=$?
  if [ "$rc" -eq 0 ]; then
    exit 0
  fi
  if [ -z "${PG_WALG_FETCH_NOT_FOUND_EXIT:-}" ] || [ "$rc" -eq "$PG_WALG_FETCH_NOT_FOUND_EXIT" ]; then
    exit 1
  fi
  echo "pg-walg: wal-fetch $1 failed with exit code $rc (attempt $n/$attempts)" >&2
  if [ "$n" -ge "$attempts" ]; then
    echo "pg-walg: ERROR: cannot fetch $1 from the archive; aborting recovery rather than ending it early" >&2
    exit 255
  fi
  n=$((n + 1))
  sleep "${PG_WALG_RETRY_SECONDS:-5}"
done
