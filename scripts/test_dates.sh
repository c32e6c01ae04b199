#!/usr/bin/env bash
# `make test-dates`: the tests that run on the process clock (end to end, browser, the command line
# in its own process) and the period tests, each run with the process clock at one of the calendar's
# hard instants. The runs go two side by side (they share nothing: own databases, free ports) and
# each writes its log to test-artifacts/dates-<instant>.log, shown when a run fails.
#
# Not here, because the date cannot change what they prove: the 50,000-entry sync (volume), the
# SIGTERM burst and the kill and two-instance tests (process control). Every other test pins its
# clock (tests/support/clock.py), and a unit test checks that the product reads no clock but
# connector/clock.py. SQLite only: PostgreSQL's part (timestamptz) is pinned by the storage tests.
set -uo pipefail
cd "$(dirname "$0")/.."
INSTANTS=(2027-01-01T00:30:00Z 2027-03-28T01:30:00Z 2027-10-31T00:30:00Z 2027-02-28T23:30:00Z)
SELECTION=(
  tests/browser
  tests/e2e/periods tests/e2e/demo tests/e2e/budgets tests/e2e/guards
  tests/e2e/sync/test_sync_e2e.py tests/e2e/invoicing/test_invoicing_e2e_credits.py
  tests/e2e/invoicing/test_invoicing_e2e_topups.py tests/e2e/serve/test_serve_e2e.py
  tests/unit/periods tests/integration/periods
  tests/integration/guards/test_guards_cli.py tests/integration/guards/test_guards_cli_invoiced.py
  tests/integration/guards/test_guards_forecast_hold.py tests/integration/budgets/test_budgets_cli_reconcile.py
  --deselect tests/e2e/sync/test_sync_e2e.py::test_full_sync_of_50000_entries_equals_the_sandbox_within_the_call_budget
  --deselect tests/e2e/serve/test_serve_e2e.py::test_sigterm_during_a_webhook_burst_loses_no_accepted_event
)
mkdir -p test-artifacts
started=$SECONDS
failed=0
run() {
  TEST_CLOCK_AT="$1" PYTHONPATH="$PWD/tests/dates" .venv/bin/pytest -q -p no:cacheprovider -m "not postgres" \
    -W "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning" \
    "${SELECTION[@]}" >"test-artifacts/dates-$1.log" 2>&1
}
report() {
  if [ "$2" = 0 ]; then
    echo "process clock at $1: $(grep -E '^[0-9]+ passed' "test-artifacts/dates-$1.log" | tail -1)"
  else
    failed=1
    echo "process clock at $1: FAILED (test-artifacts/dates-$1.log)"
    grep -E '^(FAILED|ERROR)|passed|failed' "test-artifacts/dates-$1.log" | tail -30
  fi
}
# Two instants at a time, one per core: four at once starve the e2e tests' 0.1 s write timeouts.
for ((i = 0; i < ${#INSTANTS[@]}; i += 2)); do
  first=${INSTANTS[$i]} second=${INSTANTS[$((i + 1))]}
  run "$first" & a=$!
  run "$second" & b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  report "$first" $ra
  report "$second" $rb
done
echo "test-dates: $((SECONDS - started)) s for ${#INSTANTS[@]} instants"
exit $failed
