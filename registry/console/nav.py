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
    NavEntry("/console/products", "console_enterprise_nav_products", Action.PRODUCTS_READ),
    NavEntry("/console/labels", "console_enterprise_nav_labels", Action.PRODUCTS_READ),
    NavEntry("/console/suppliers", "console_enterprise_nav_suppliers", Action.PRODUCTS_READ),
    NavEntry("/console/sharing", "console_enterprise_nav_sharing", Action.PACT_SHARE),
    NavEntry("/console/api-keys", "console_enterprise_nav_api_keys", Action.API_KEYS_MANAGE),
    NavEntry("/console/inventories", "console_inventories_nav", Action.INVENTORY_READ),
    NavEntry("/console/signing/attest", "console_signing_nav_attest", Action.ATTESTATION_SIGN),
    NavEntry(
        "/console/signing/recognise", "console_signing_nav_recognise", Action.RECOGNITION_SIGN
    ),
    NavEntry("/console/my-reviews", "console_review_nav_mine", Action.FOOTPRINT_SUBMIT),
    NavEntry("/console/reviews", "console_review_nav_queue", Action.REVIEW_COMMENT),
    NavEntry("/console/city/prefixes", "console_city_nav_prefixes", Action.PREFIX_CONFIRM),
    NavEntry("/console/city/publishers", "console_city_nav_publishers", Action.PUBLISHER_CONFIRM),
    NavEntry("/console/city/districts", "console_city_nav_districts", Action.ORG_DISTRICT_SET),
    NavEntry("/console/city/stats", "console_city_nav_stats", Action.STATS_READ),
    NavEntry("/console/city/health", "console_city_nav_health", Action.STATS_READ),
)


def nav_for(org_role: OrgRole, user_role: UserRole) -> list[NavEntry]:
    """The entries a person of ``user_role`` in an organisation of ``org_role`` may follow."""
    return [e for e in NAV if allowed(e.action, org_role=org_role, user_role=user_role)]
