"""Console users: create one with a setup link, set a password, sign in and out.

Every change is audited (:mod:`registry.audit`): ``user.create``, ``user.set_password``,
``user.login``, ``user.login_failed``, ``user.logout``, ``user.totp_enable`` and
``user.setup_link``. What a person does in the console is recorded with the actor
``Actor(org_id=<their organisation>, key_id=<their user id>, via="console")``
(:func:`console_actor`), so the audit log tells people from API keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from registry.audit import Actor, record_audit, set_actor
from registry.errors import AuthenticationError, ConflictError, InvalidInputError, NotFoundError
from registry.ids import new_record_id
from registry.models.orgs import Organisation
from registry.models.users import ConsoleSession, SetupToken, User, UserRole
from registry.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    new_token,
    token_hash,
    totp_step,
    verify_password,
)

#: How long a setup link stays usable.
SETUP_LINK_TTL: Final = timedelta(hours=72)
#: How long a console session lasts from sign-in (it is not extended by use).
SESSION_TTL: Final = timedelta(hours=12)
#: The audit subject of a user.
SUBJECT: Final = "console_user"
#: How the console's actions are recorded (``Actor.via``).
VIA: Final = "console"
#: A plausible email address: something, one ``@``, a domain with a dot; no spaces.
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_LENGTH: Final = 320
MAX_TOTP_SECRET_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid console session with its user and their organisation."""

    session: ConsoleSession
    user: User
    org: Organisation


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    """``email`` trimmed and lower-cased; raises :class:`InvalidInputError` if implausible."""
    value = email.strip().lower()
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.fullmatch(value):
        raise InvalidInputError(
            "the email address is not valid", code="invalid_email", field="email"
        )
    return value


def user_snapshot(user: User) -> dict[str, str | None]:
    """A user as their audit entries commit to them (never the password hash)."""
    return {"id": user.id, "org_id": user.org_id, "email": user.email, "role": user.role.value}


def console_actor(user: User) -> Actor:
    """The audit actor of what ``user`` does in the console."""
    return Actor(org_id=user.org_id, key_id=user.id, via=VIA)


def create_user(session: Session, *, org_id: str, email: str, role: UserRole) -> tuple[User, str]:
    """Create a user without a password and a setup link token; commits.

    Returns the user and the token (shown once: only its hash is stored).
    """
    address = normalize_email(email)
    if session.get(Organisation, org_id) is None:
        raise NotFoundError(f"organisation {org_id} does not exist", field="org_id")
    if session.exec(select(User).where(User.email == address)).first() is not None:
        raise ConflictError(
            f"a user with the email {address} exists", code="email_taken", field="email"
        )
    user = User(id=new_record_id("usr"), org_id=org_id, email=address, role=role)
    session.add(user)
    session.flush()
    record_audit(
        session,
        action="user.create",
        subject_type=SUBJECT,
        subject_id=user.id,
        after=user_snapshot(user),
    )
    token = _add_setup_token(session, user.id)
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent create of the same address
        session.rollback()
        raise ConflictError(
            f"a user with the email {address} exists", code="email_taken", field="email"
        ) from exc
    return user, token


def _add_setup_token(session: Session, user_id: str) -> str:
    token = new_token()
    session.add(
        SetupToken(
            user_id=user_id, token_hash=token_hash(token), expires_at=_now() + SETUP_LINK_TTL
        )
    )
    return token


def new_setup_link(session: Session, *, user_id: str) -> str:
    """A fresh setup link token for an existing user (e.g. one who lost their password);
    audited ``user.setup_link``; commits. The old password works until the link is used."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist", field="user_id")
    record_audit(
        session,
        action="user.setup_link",
        subject_type=SUBJECT,
        subject_id=user.id,
        after=user_snapshot(user),
    )
    token = _add_setup_token(session, user.id)
    session.commit()
    return token


def setup_user(session: Session, token: str) -> tuple[SetupToken, User]:
    """The usable setup link ``token`` and its user.

    Raises :class:`NotFoundError` (``setup_link_invalid``) for an unknown token and
    :class:`ConflictError` (``setup_link_used``, ``setup_link_expired``) for one that was used or
    has expired.
    """
    row = session.exec(select(SetupToken).where(SetupToken.token_hash == token_hash(token))).first()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or user.disabled_at is not None:
        raise NotFoundError("this setup link is not valid", code="setup_link_invalid")
    if row.used_at is not None:
        raise ConflictError("this setup link was used already", code="setup_link_used")
    if row.expires_at <= _now():
        raise ConflictError("this setup link has expired", code="setup_link_expired")
    return row, user


def set_password(session: Session, *, token: str, password: str) -> User:
    """Set the password of the setup link's user and use the link up; commits.

    Any session the user had is ended (a new password signs every browser out).
    """
    row, user = setup_user(session, token)
    check_password_rules(password)
    set_actor(session, console_actor(user))
    user.password_hash = hash_password(password)
    row.used_at = _now()
    session.add_all([user, row])
    _end_sessions(session, user.id)
    record_audit(
        session,
        action="user.set_password",
        subject_type=SUBJECT,
        subject_id=user.id,
        after=user_snapshot(user),
    )
    session.commit()
    return user


def _end_sessions(session: Session, user_id: str) -> None:
    now = _now()
    for open_session in session.exec(
        select(ConsoleSession).where(
            ConsoleSession.user_id == user_id, col(ConsoleSession.ended_at).is_(None)
        )
    ):
        open_session.ended_at = now
        session.add(open_session)


def _second_factor(user: User, code: str) -> bool:
    """Whether ``user`` needs no TOTP code or ``code`` is a fresh one (then it is used up)."""
    if user.totp_secret is None:
        return True
    step = totp_step(user.totp_secret, code, after=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def sign_in(session: Session, *, email: str, password: str, code: str = "") -> tuple[SignedIn, str]:
    """Check ``email``, ``password`` (and the TOTP ``code`` of a user who turned it on) and open
    a console session; commits.

    Returns the session and its cookie value (only its hash is stored). A wrong email, password
    or code is audited (``user.login_failed``) and raises :class:`AuthenticationError`
    (``invalid_login``, the same for all, so it does not tell which addresses have accounts).
    """
    try:
        address = normalize_email(email)
    except InvalidInputError:
        address = email.strip().lower()[:MAX_EMAIL_LENGTH]
    user = session.exec(select(User).where(User.email == address)).first()
    stored = user.password_hash if user is not None else None
    ok = verify_password(password, stored) and user is not None and _second_factor(user, code)
    org = session.get(Organisation, user.org_id) if user is not None else None
    if not ok or user is None or org is None or user.disabled_at is not None:
        set_actor(session, console_actor(user) if user is not None else Actor(None, None, VIA))
        record_audit(
            session,
            action="user.login_failed",
            subject_type=SUBJECT,
            subject_id=user.id if user is not None else address[:200],
        )
        session.commit()
        raise AuthenticationError("the email or the password is wrong", code="invalid_login")
    set_actor(session, console_actor(user))
    session.add(user)
    if stored is not None and needs_rehash(stored):
        user.password_hash = hash_password(password)
        session.add(user)
    cookie = new_token()
    row = ConsoleSession(
        user_id=user.id,
        session_hash=token_hash(cookie),
        csrf_token=new_token(),
        expires_at=_now() + SESSION_TTL,
    )
    session.add(row)
    record_audit(session, action="user.login", subject_type=SUBJECT, subject_id=user.id)
    session.commit()
    return SignedIn(session=row, user=user, org=org), cookie


def signed_in(session: Session, cookie: str) -> SignedIn | None:
    """The open, unexpired session whose cookie is ``cookie``, or ``None``.

    Sets the session's audit actor to its user.
    """
    row = session.exec(
        select(ConsoleSession).where(ConsoleSession.session_hash == token_hash(cookie))
    ).first()
    if row is None or row.ended_at is not None or row.expires_at <= _now():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None or user.password_hash is None:
        return None
    org = session.get(Organisation, user.org_id)
    if org is None:
        return None
    set_actor(session, console_actor(user))
    return SignedIn(session=row, user=user, org=org)


def sign_out(session: Session, current: SignedIn) -> None:
    """End ``current``'s session; commits."""
    current.session.ended_at = _now()
    session.add(current.session)
    record_audit(session, action="user.logout", subject_type=SUBJECT, subject_id=current.user.id)
    session.commit()


def list_users(session: Session, *, org_id: str) -> list[User]:
    """The users of ``org_id``, by email."""
    return list(
        session.exec(select(User).where(User.org_id == org_id).order_by(col(User.email))).all()
    )


def enable_totp(session: Session, current: SignedIn, *, secret: str, code: str) -> None:
    """Turn the TOTP second factor on for ``current``'s user with ``secret``, once ``code`` shows
    their app has it; commits. Raises :class:`InvalidInputError` (``invalid_totp_code``)."""
    user = current.user
    step = totp_step(secret, code, after=None)
    if step is None or len(secret) > MAX_TOTP_SECRET_LENGTH:
        raise InvalidInputError(
            "the code does not match: check the app's clock and enter the current code",
            code="invalid_totp_code",
            field="code",
        )
    user.totp_secret = secret
    user.totp_last_step = step
    session.add(user)
    record_audit(
        session,
        action="user.totp_enable",
        subject_type=SUBJECT,
        subject_id=user.id,
        after=user_snapshot(user),
    )
    session.commit()
