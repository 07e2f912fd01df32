"""The demo's people: ``tanji demo`` prints one console user per role, and each signs in."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlmodel import Session

from registry.config import load_settings
from registry.crud.users import sign_in as sign_in_crud
from registry.db import make_engine, migrate
from registry.demo import DEMO_MISSION_FILE, DEMO_PRODUCTS_FILE
from registry.demo_users import (
    PEOPLE,
    USERS_FILE,
    read_users_file,
    seed_users,
    write_users_file,
)
from registry.errors import AuthenticationError
from tests.registry.console.browser import ROLES, ConsoleServer, screenshot, sign_in


def test_a_rerun_gives_each_person_a_new_password_and_the_old_one_stops_working(
    tmp_path: Path,
) -> None:
    """The city administrator's organisation is the demo's own, so it seeds on an empty
    registry: run twice, the second password replaces the first."""
    engine = make_engine(load_settings(data_dir=tmp_path / "data", anchoring=False))
    migrate(engine)
    data = {"products": _json(DEMO_PRODUCTS_FILE), "mission": _json(DEMO_MISSION_FILE)}
    admin = [person for person in PEOPLE if person.key == "city_admin"]
    try:
        (first,) = seed_users(engine, **data, people=admin)
        (second,) = seed_users(engine, **data, people=admin)
        assert (first.email, first.org_id) == (second.email, second.org_id)
        assert first.password != second.password
        with Session(engine) as session:
            with pytest.raises(AuthenticationError):
                sign_in_crud(session, email=first.email, password=first.password)
            signed, _ = sign_in_crud(session, email=second.email, password=second.password)
            assert signed.org.role.value == "admin"
    finally:
        engine.dispose()
    written = write_users_file(tmp_path / USERS_FILE, [second], "http://127.0.0.1:8000/console")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert read_users_file(written) == {"city_admin": second}


def _json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_the_demo_writes_one_user_per_role_readable_by_its_owner_only(
    console: ConsoleServer,
) -> None:
    print(f"tanji demo seeded the console's server in {console.seed_seconds:.1f} s")
    users_file = console.out_dir / USERS_FILE
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    assert set(console.users) == {person.key for person in PEOPLE}
    text = users_file.read_text(encoding="utf-8")
    assert f"{console.url}/console" in text
    # `tanji demo` prints the same list, with where to sign in.
    for line in text.splitlines():
        assert line in console.seed_output
    # Never in the summary the demo publishes beside its bundles.
    summary = (console.out_dir / "summary.json").read_text(encoding="utf-8")
    for user in console.users.values():
        assert user.password not in summary


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_each_demo_user_signs_in(console: ConsoleServer, page: Page, role: str) -> None:
    user = sign_in(page, role)
    assert user.email in page.locator("#console-nav").inner_text()
    assert page.locator("#user-role").inner_text() == user.role
    assert page.locator("#org-id").inner_text() == user.org_id
    screenshot(page, f"home-{role}")
