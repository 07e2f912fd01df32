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

echo "== pytest"
# -rs lists skip reasons; under CI=true a missing outside program fails instead of skipping.
set +e
.venv/bin/python -m pytest -q -rs "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi
exit "$status"
