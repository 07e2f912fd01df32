"""The console's navigation: one entry per area page, shown to whoever may do its action.

An entry's :class:`registry.permissions.Action` decides who sees the link, by the same rule the
page itself checks, so a link never leads to a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from registry.models.orgs import OrgRole
from registry.models.users import UserRole
from registry.permissions import Action, allowed

__all__ = ["NAV", "NavEntry", "nav_for"]


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A link in the console's navigation."""

    path: str  # absolute, under /console
    label_key: str  # a message catalogue key
    action: Action  # who may see it: whoever may do this


#: In the order shown. Each area adds its pages here.
NAV: Final[tuple[NavEntry, ...]] = (
    NavEntry("/console", "console_nav_home", Action.ORG_READ),
    NavEntry("/console/users", "console_users", Action.USERS_MANAGE),
)


def nav_for(org_role: OrgRole, user_role: UserRole) -> list[NavEntry]:
    """The entries a person of ``user_role`` in an organisation of ``org_role`` may follow."""
    return [e for e in NAV if allowed(e.action, org_role=org_role, user_role=user_role)]
