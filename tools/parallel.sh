#!/usr/bin/env bash
# Runs projen tasks at the same time and prints each one's output whole, in the order given, when all
# have finished (the failed ones last); exits non-zero if any failed. test:all runs `bindings` (CPU-bound builds) next to `e2e`
# (mostly waiting on PostgreSQL and storage servers, about one core of two): together they take about
# as long as e2e alone. A lane of several tasks, joined by commas, runs them one after the other (stopping at
# the first that fails).
#
#   bash tools/parallel.sh LANE...        e.g. bash tools/parallel.sh bindings,bench:smoke e2e
#
# Each lane's output is also kept in .parallel-logs/<lane>.log.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
mkdir -p .parallel-logs
declare -A pids=()
started=$SECONDS
lane() {
  local task tasks
  IFS=, read -r -a tasks <<<"$1"
  for task in "${tasks[@]}"; do
    npx projen "$task" </dev/null || return
  done
}
for task in "$@"; do
  lane "$task" >".parallel-logs/$task.log" 2>&1 &
  pids[$task]=$!
  echo "parallel: started $task (output when all have finished; meanwhile: tail -f '.parallel-logs/$task.log')"
done
status=0
declare -A rcs=()
for task in "$@"; do
  wait "${pids[$task]}"
  rcs[$task]=$?
  [[ ${rcs[$task]} == 0 ]] || status=1
done
# The lanes that passed first, the failed ones last, and then again the end of each failed lane's log: a
# CI page that shows only the end of the output still shows why a lane failed.
for task in "$@"; do
  [[ ${rcs[$task]} == 0 ]] || continue
  echo "==================== $task (exit ${rcs[$task]}) ===================="
  cat ".parallel-logs/$task.log"
done
for task in "$@"; do
  [[ ${rcs[$task]} != 0 ]] || continue
  echo "==================== $task (exit ${rcs[$task]}) ===================="
  cat ".parallel-logs/$task.log"
done
for task in "$@"; do
  [[ ${rcs[$task]} != 0 ]] || continue
  # Each line marked "| ": CI's totals (.ci/run) count a suite's "N passed, N failed" line once, not again here.
  echo "==================== $task FAILED (exit ${rcs[$task]}): the last 60 lines of its log ===================="
  tail -n 60 ".parallel-logs/$task.log" | sed 's/^/| /'
done
echo "parallel: $* took $((SECONDS - started)) s; exit codes: $(for t in "$@"; do printf '%s=%s ' "$t" "${rcs[$t]}"; done)"
exit $status
