#!/bin/sh
# Promotes this hot standby to a primary, by hand (cdk8s-postgres-walg never promotes by itself). POSIX sh.
#   kubectl exec <standby pod> -c postgres -- sh /etc/pg-walg/config/promote.sh
# Run it only once the old primary is stopped: two primaries would write two histories. PostgreSQL first
# replays what the archive holds beyond what was streamed; while this script runs, wal-fetch.sh stops the
# promotion on a storage error (PG_WALG_STATE/promoting) instead of letting PostgreSQL promote at a file it
# could not fetch, so the archive must answer first. Then the server is a primary on a new timeline and,
# archive_mode being on in every member, archives that timeline (its history file first) at once. Next:
# set primaryMember to this member and apply, so that the client Service and the scheduled base backups
# follow it, and rebuild the old primary as its standby (the README's promotion runbook).
set -eu
# shellcheck source=lib.sh
. "$PG_WALG_CONFIG/lib.sh"
check_walg
: "${PG_WALG_STATE:?}" "${PGDATA:?}"
PROMOTING="$PG_WALG_STATE/promoting"

is_standby_data || die "this member's data is not a hot standby's (no standby.signal or recovery.conf in $PGDATA): nothing to promote"
[ "$(psql_local 'SELECT pg_is_in_recovery()')" = t ] || die "the server in this pod is not in recovery: nothing to promote"
load_storage archive
retry "read the archive $(storage_location)" list_once >/dev/null ||
  die "cannot read the archive $(storage_location) after $PG_WALG_ATTEMPTS attempts: the promotion replays what it holds first, so it waits for the archive. Last error: $LAST_ERROR"
: >"$PROMOTING"
trap 'rm -f "$PROMOTING"' EXIT
log "promoting $(pod_name): PostgreSQL replays what the archive holds beyond the streamed WAL, then ends recovery"
pg_ctl -D "$PGDATA" promote >&2
while [ "$(psql_local 'SELECT pg_is_in_recovery()' 2>/dev/null || echo gone)" != f ]; do
  if [ "$(psql_local 'SELECT 1' 2>/dev/null || echo gone)" = gone ]; then
    die "the server stopped during the promotion (its log says why: a WAL file the archive could not serve stops it rather than promoting without it); the pod starts it again as a standby: run promote.sh again"
  fi
  sleep 1
done
log "promoted: $(pod_name) is a primary on timeline $(current_timeline), archiving to $(storage_location). Next: set primaryMember to this member and apply; then rebuild the old primary as its standby (delete its PersistentVolumeClaim and pod)"
