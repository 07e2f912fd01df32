#!/usr/bin/env bash
# Regenerate the hashed Python locks from pyproject.toml (run after changing any dependency):
#   bash scripts/lock.sh [--upgrade]
#   requirements/dev.lock      runtime + the `dev` extra (tests, lint, PostgreSQL driver): CI and
#                              developers install this (scripts/test-all.sh);
#   requirements/runtime.lock  runtime + the `postgres` extra: what a deployment installs.
# Both also pin pip and the build backend (pyproject's [build-system] requires), so that
# `pip install --no-deps --no-build-isolation -e .` builds tanji from hashed packages only.
# Target: CPython 3.11 on Linux x86_64; every file of each pinned release on PyPI is hashed.
# The resolver is uv, installed from PyPI into a throw-away tool venv (not into .venv).
# npm's lock is package-lock.json (`npm install` updates it; scripts/test-all.sh runs `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
TOOLS="${TANJI_LOCK_TOOLS:-${TMPDIR:-/tmp}/tanji-lock-tools}"
if [ ! -x "$TOOLS/bin/uv" ] || [ "$("$TOOLS/bin/uv" --version)" != "uv $UV_VERSION" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q "uv==$UV_VERSION"
fi

# Installer and build backend: pip plus pyproject's own [build-system] requires.
tools=$(python3 - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(["pip", *tomllib.load(f)["build-system"]["requires"]]))
EOF
)

compile() {
  local out=$1
  shift
  # --index-url: PyPI only (pip's machine-wide extra indexes and find-links are not looked at).
  printf '%s\n' "$tools" | "$TOOLS/bin/uv" pip compile pyproject.toml - "$@" \
    --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
    --index-url https://pypi.org/simple --custom-compile-command "scripts/lock.sh" \
    --quiet -o "$out"
}

mkdir -p requirements
# uv keeps the versions already in a lock unless pyproject needs others; `scripts/lock.sh
# --upgrade` moves every unpinned dependency to its newest release instead. The runtime lock is
# constrained by the dev lock, so both pin the same versions.
compile requirements/dev.lock --extra dev "$@"
compile requirements/runtime.lock --extra postgres -c requirements/dev.lock "$@"
echo "wrote requirements/dev.lock and requirements/runtime.lock"
