"""The demo's people: one console user per role, so a newcomer can sign in at ``/console``.

Each person is a user of one of the demo's organisations (:data:`PEOPLE`), created with the
console's own crud (:func:`registry.crud.users.create_user`, then
:func:`registry.crud.users.set_password` with the setup link's token) and given a fresh random
password on every run; a re-run gives an existing user a new password through a new setup link
(:func:`registry.crud.users.new_setup_link`). Passwords are never stored anywhere but as Argon2
hashes in the database and in the list :func:`write_users_file` writes (mode 0600) for the
newcomer; ``tanji demo`` prints them too (:func:`users_lines`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlmodel import Session, col, select

from registry.crud.orgs import create_org
from registry.crud.users import create_user, new_setup_link, normalize_email, set_password
from registry.demo_client import DemoError
from registry.demo_computed import COMPUTED_COMPANY
from registry.models.orgs import Organisation, OrgRole
from registry.models.users import User, UserRole

__all__ = [
    "ADMIN_ORG",
    "PEOPLE",
    "USERS_FILE",
    "DemoUser",
    "Person",
    "read_users_file",
    "seed_users",
    "users_lines",
    "write_users_file",
]

#: The list of the demo's people and their passwords, in the demo's output directory.
USERS_FILE: Final = "console-users.txt"
#: The city's administration: the demo's only admin organisation (created here).
ADMIN_ORG: Final = "示例重庆市碳标签管理办公室 Demo Chongqing Carbon Label Office (fictional)"
#: The demo's people's addresses: ``<key>@`` this (a reserved example domain, RFC 2606).
EMAIL_DOMAIN: Final = "demo.tanji.example"
#: Random bytes of a demo password (16 URL-safe characters).
PASSWORD_BYTES: Final = 12


@dataclass(frozen=True, slots=True)
class Person:
    """One of the demo's people: what they are for, their role and where their organisation
    comes from (``org``: a path into the demo's data files, see :func:`_org_name`)."""

    key: str  # what tests and the printed list call them: ``enterprise_owner``, ...
    title: str  # what they do, in English
    role: UserRole
    org_role: OrgRole
    org: str


#: In the order printed.
PEOPLE: Final[tuple[Person, ...]] = (
    Person(
        "enterprise_owner",
        "enterprise owner (products, suppliers, labels, users and keys)",
        UserRole.OWNER,
        OrgRole.ENTERPRISE,
        "supply_chain.product.company",
    ),
    Person(
        "enterprise_editor",
        "enterprise editor (inventories, footprints)",
        UserRole.EDITOR,
        OrgRole.ENTERPRISE,
        "computed",
    ),
    Person(
        "supplier",
        "supplier (an enterprise signing attestations for its customer)",
        UserRole.EDITOR,
        OrgRole.ENTERPRISE,
        "supply_chain.direct_supplier",
    ),
    Person(
        "reviewer",
        "certification body reviewer (review queue, approve, revoke)",
        UserRole.REVIEWER,
        OrgRole.CERTIFICATION_BODY,
        "certifier",
    ),
    Person(
        "partner_sg",
        "partner certifier, Singapore (recognise, withdraw)",
        UserRole.REVIEWER,
        OrgRole.PARTNER_CERTIFIER,
        "partners.sg",
    ),
    Person(
        "partner_hk",
        "partner certifier, Hong Kong (recognise, withdraw)",
        UserRole.REVIEWER,
        OrgRole.PARTNER_CERTIFIER,
        "partners.hk",
    ),
    Person(
        "city_admin",
        "city administrator (prefixes, publishers, statistics)",
        UserRole.OWNER,
        OrgRole.ADMIN,
        "admin",
    ),
    Person(
        "viewer",
        "viewer (reads the enterprise's records)",
        UserRole.VIEWER,
        OrgRole.ENTERPRISE,
        "supply_chain.product.company",
    ),
)


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo person with their password (plaintext: only for the newcomer's list)."""

    key: str
    title: str
    email: str
    password: str
    role: str
    org_id: str
    org_name: str


#: The columns of :func:`users_lines`.
_COLUMNS: Final = ("key", "email", "password", "role", "org_id", "org_name", "title")


def _org_name(person: Person, products: Mapping[str, Any], mission: Mapping[str, Any]) -> str:
    """The name of ``person``'s organisation, from the demo's data files."""
    chain = mission["supply_chain"]
    if person.org == "supply_chain.product.company":
        return str(chain["product"]["company"])
    if person.org == "supply_chain.direct_supplier":
        direct = {c["supplier"] for c in chain["components"]}
        return next(str(s["name"]) for s in chain["suppliers"] if s["key"] in direct)
    if person.org == "computed":
        return COMPUTED_COMPANY
    if person.org == "certifier":
        return str(products["certifier"]["name"])
    if person.org.startswith("partners."):
        key = person.org.removeprefix("partners.")
        return next(str(p["name"]) for p in mission["partners"] if p["key"] == key)
    if person.org == "admin":
        return ADMIN_ORG
    raise ValueError(f"unknown demo organisation {person.org}")


def _organisation(session: Session, name: str, role: OrgRole) -> Organisation | None:
    return session.exec(
        select(Organisation)
        .where(Organisation.name == name, Organisation.role == role)
        .order_by(col(Organisation.created_at))
    ).first()


def _has_partner(person: Person, mission: Mapping[str, Any]) -> bool:
    if not person.org.startswith("partners."):
        return True
    key = person.org.removeprefix("partners.")
    return any(p["key"] == key for p in mission["partners"])


def seed_users(
    engine: Any,
    *,
    products: Mapping[str, Any],
    mission: Mapping[str, Any],
    people: Sequence[Person] = PEOPLE,
) -> list[DemoUser]:
    """Create (or, on a re-run, give a new password to) each of ``people``; the admin
    organisation is created when missing, a partner left out when the mission has none."""
    seeded = []
    with Session(engine, expire_on_commit=False) as session:
        for person in people:
            if not _has_partner(person, mission):
                continue
            name = _org_name(person, products, mission)
            org = _organisation(session, name, person.org_role)
            if org is None and person.org_role is OrgRole.ADMIN:
                org, _ = create_org(session, name=name, role=OrgRole.ADMIN)
            if org is None:
                raise DemoError(f"the demo has no organisation {name} for the {person.key}")
            email = normalize_email(f"{person.key.replace('_', '-')}@{EMAIL_DOMAIN}")
            user = session.exec(select(User).where(User.email == email)).first()
            if user is None:
                user, token = create_user(session, org_id=org.id, email=email, role=person.role)
            elif user.org_id != org.id or user.role is not person.role:
                raise DemoError(f"{email} exists in another organisation or role")
            else:
                token = new_setup_link(session, user_id=user.id)
            password = secrets.token_urlsafe(PASSWORD_BYTES)
            set_password(session, token=token, password=password)
            seeded.append(
                DemoUser(
                    key=person.key,
                    title=person.title,
                    email=email,
                    password=password,
                    role=person.role.value,
                    org_id=org.id,
                    org_name=org.name,
                )
            )
    return seeded


def users_lines(users: Sequence[DemoUser], console_url: str) -> list[str]:
    """What ``tanji demo`` prints (and :data:`USERS_FILE` holds): where to sign in, then one
    tab-separated line per person: key, email, password, role, organisation id and name, what
    they do."""
    lines = [
        f"# Sign in to the console at {console_url} (tanji serve must be running).",
        "# " + "\t".join(_COLUMNS),
    ]
    for user in users:
        lines.append("\t".join(str(getattr(user, column)) for column in _COLUMNS))
    return lines


def write_users_file(path: Path, users: Sequence[DemoUser], console_url: str) -> Path:
    """Write :func:`users_lines` to ``path``, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a new file gets the mode below, whatever the old one had
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join(users_lines(users, console_url)) + "\n")
    return path


def read_users_file(path: Path) -> dict[str, DemoUser]:
    """The people of a :data:`USERS_FILE`, by key."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            user = DemoUser(**dict(zip(_COLUMNS, line.split("\t"), strict=True)))
            found[user.key] = user
    return found
