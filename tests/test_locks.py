"""The hashed dependency locks agree with pyproject.toml (regenerate: ``bash scripts/lock.sh``).

``requirements/dev.lock`` (CI and developers: runtime + the ``dev`` extra) and
``requirements/runtime.lock`` (deployments: runtime + the ``postgres`` extra) must pin, with
hashes, a release that satisfies every requirement pyproject states, name no top-level package
pyproject no longer asks for, and pin pip and the build backend. npm's ``package-lock.json`` must
give every package an integrity hash.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
REGENERATE = "pyproject.toml and the lock disagree: run `bash scripts/lock.sh`"
#: A pin line of a uv / pip-tools lock: ``name==version \\`` (hashes follow on their own lines).
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")
#: The annotation uv writes under a package pyproject itself asks for.
FROM_PYPROJECT = "tanji (pyproject.toml)"


@dataclass(frozen=True)
class Lock:
    """One lock file: the pinned version, the hash count and the ``# via`` lines of each package."""

    pins: dict[str, Version]
    hashes: dict[str, int]
    via: dict[str, list[str]]


def read_lock(path: Path) -> Lock:
    pins: dict[str, Version] = {}
    hashes: dict[str, int] = {}
    via: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        pin = PIN.match(line)
        if pin:
            current = canonicalize_name(pin[1])
            assert current not in pins, f"{path.name}: {current} pinned twice"
            pins[current] = Version(pin[2])
            hashes[current] = 0
            via[current] = []
        elif current is not None and HASH.search(line):
            hashes[current] += 1
        elif current is not None and line.startswith("    #"):
            via[current].append(line.strip("# ").removeprefix("via").strip())
    return Lock(pins, hashes, via)


def pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def requirements(*extras: str) -> list[Requirement]:
    project = pyproject()["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return found


LOCK_EXTRAS = {"dev.lock": ("dev",), "runtime.lock": ("postgres",)}


@pytest.mark.parametrize(("name", "extras"), LOCK_EXTRAS.items())
def test_lock_satisfies_every_pyproject_requirement(name: str, extras: tuple[str, ...]) -> None:
    lock = read_lock(LOCKS / name)
    for req in requirements(*extras):
        key = canonicalize_name(req.name)
        assert key in lock.pins, f"{name}: {req} is not locked; {REGENERATE}"
        assert req.specifier.contains(lock.pins[key], prereleases=True), (
            f"{name}: pyproject asks {req}, the lock pins {lock.pins[key]}; {REGENERATE}"
        )


@pytest.mark.parametrize(("name", "extras"), LOCK_EXTRAS.items())
def test_lock_names_no_requirement_pyproject_dropped(name: str, extras: tuple[str, ...]) -> None:
    lock = read_lock(LOCKS / name)
    wanted = {canonicalize_name(r.name) for r in requirements(*extras)}
    top_level = {pkg for pkg, vias in lock.via.items() if FROM_PYPROJECT in vias}
    assert top_level == wanted, f"{name}: {sorted(top_level ^ wanted)}; {REGENERATE}"


@pytest.mark.parametrize("name", LOCK_EXTRAS)
def test_every_locked_package_is_hashed_and_both_locks_agree(name: str) -> None:
    lock = read_lock(LOCKS / name)
    assert lock.pins, name
    unhashed = sorted(pkg for pkg, count in lock.hashes.items() if count == 0)
    assert not unhashed, f"{name}: no hash for {unhashed}"
    dev = read_lock(LOCKS / "dev.lock")
    differ = {p: (v, dev.pins.get(p)) for p, v in lock.pins.items() if dev.pins.get(p) != v}
    assert not differ, f"runtime.lock and dev.lock pin different versions: {differ}"


@pytest.mark.parametrize("name", LOCK_EXTRAS)
def test_lock_pins_the_installer_and_the_build_backend(name: str) -> None:
    """``pip install --no-deps --no-build-isolation -e .`` then needs nothing unhashed."""
    lock = read_lock(LOCKS / name)
    assert "pip" in lock.pins
    for build_req in map(Requirement, pyproject()["build-system"]["requires"]):
        pinned = lock.pins.get(canonicalize_name(build_req.name))
        assert pinned is not None and build_req.specifier.contains(pinned), (
            f"{name}: build requirement {build_req} not locked; {REGENERATE}"
        )


def test_test_all_installs_from_the_locks() -> None:
    script = (ROOT / "scripts" / "test-all.sh").read_text(encoding="utf-8")
    assert "pip install -q --require-hashes -r requirements/dev.lock" in script
    assert "--no-deps --no-build-isolation -e ." in script
    assert "npm ci" in script


def test_package_lock_has_an_integrity_hash_for_every_package() -> None:
    data = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert data["lockfileVersion"] >= 2
    packages = {k: v for k, v in data["packages"].items() if k and not v.get("link")}
    assert packages
    missing = sorted(k for k, v in packages.items() if not v.get("integrity"))
    assert not missing, missing
