#!/usr/bin/env bash
# Install every dependency (Python venv + npm) and run every check and test.
# This is the README's test command; .ci/run calls it after installing system packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export ETH_HASH_BACKEND=pysha3
PY="${PYTHON:-python3}"

echo "== install (pip, npm: from the hashed locks)"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# requirements/dev.lock (scripts/lock.sh) pins every package, pip and the build backend included,
# with hashes; tanji itself is then built from the tree with nothing fetched.
.venv/bin/python -m pip install -q --require-hashes -r requirements/dev.lock
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
npm ci --no-audit --no-fund --loglevel=error

echo "== lint and types"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== contract: committed artifact matches a fresh compile; Hardhat tests"
node scripts/export-artifact.js --check
npx hardhat test

echo "== pytest: the SQLite pass and the PostgreSQL pass, at once (tests/database.py)"
# -rs lists skip reasons; under CI=true a missing outside program fails instead of skipping.
# Both passes collect the whole suite; the PostgreSQL pass deselects the tests that open no
# database (the verifier's, the contract's, the Merkle tree's: tests/database.py pass_of), so it
# runs every registry test and every anchoring-ledger test on PostgreSQL. Arguments go to both
# passes. Each pass's output is prefixed with its name; each has its own exit status.
run_pass() {
  local name=$1
  shift
  set +e
  TANJI_TEST_DATABASE=$name .venv/bin/python -m pytest -q -rs -p no:cacheprovider "$@" 2>&1 \
    | sed -u "s/^/[$name] /"
  local status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 5 ]; then echo "[$name] pytest collected no tests"; status=1; fi
  echo "[$name] pytest exit status $status"
  return "$status"
}
started=$SECONDS
run_pass sqlite "$@" &
sqlite_pid=$!
run_pass postgresql "$@" &
pg_pid=$!
status=0
wait "$sqlite_pid" || status=1
wait "$pg_pid" || status=1
echo "== pytest: both passes done in $((SECONDS - started)) s"
exit "$status"
