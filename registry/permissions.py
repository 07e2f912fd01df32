"""Who may do what: the one table of rules the API and the console both check.

An action is allowed by two facts:

- the **organisation's** role (:class:`registry.models.orgs.OrgRole`): what the organisation may
  do at all (an enterprise submits footprints, a certification body issues labels);
- the **person's** role inside it (:class:`registry.models.users.UserRole`): an owner does
  everything the organisation may, an editor prepares and submits, a reviewer decides, a viewer
  reads.

An API key is a machine credential of its organisation, created by one of its owners: it acts
with the organisation's role and no person's (``user_role=None`` passes the person check). A
console page and the API route for the same action name the same :class:`Action`, so no rule
lives only in a page (:func:`registry.api.deps.permit`, :func:`registry.api.routes.console.permit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from registry.errors import PermissionDeniedError
from registry.models.orgs import OrgRole
from registry.models.users import UserRole

__all__ = ["RULES", "Action", "Rule", "allowed", "check"]

_ANY_ORG: Final = frozenset(OrgRole)
_ALL_PEOPLE: Final = frozenset(UserRole)
_WRITERS: Final = frozenset({UserRole.OWNER, UserRole.EDITOR})
_DECIDERS: Final = frozenset({UserRole.OWNER, UserRole.REVIEWER})
_OWNERS: Final = frozenset({UserRole.OWNER})


class Action(StrEnum):
    """Something a person or a machine does in the registry."""

    # Every organisation
    ORG_READ = "org.read"
    USERS_MANAGE = "users.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    # Enterprise
    #: Read the enterprise's products, labels and suppliers' attestations (the console's pages).
    PRODUCTS_READ = "products.read"
    PRODUCTS_MANAGE = "products.manage"
    INVENTORY_READ = "inventory.read"
    INVENTORY_EDIT = "inventory.edit"
    FOOTPRINT_SUBMIT = "footprint.submit"
    SUPPLIERS_MANAGE = "suppliers.manage"
    ATTESTATION_SIGN = "attestation.sign"
    PACT_SHARE = "pact.share"
    # Certification body
    REVIEW_COMMENT = "review.comment"
    REVIEW_DECIDE = "review.decide"
    LABEL_ISSUE = "label.issue"
    LABEL_REVOKE = "label.revoke"
    # Enterprise or certification body: documents the review reads
    EVIDENCE_UPLOAD = "evidence.upload"
    # Partner certifier
    RECOGNITION_SIGN = "recognition.sign"
    # City administrator
    ORGS_MANAGE = "orgs.manage"
    PREFIX_CONFIRM = "prefix.confirm"
    PUBLISHER_CONFIRM = "publisher.confirm"
    STATS_READ = "stats.read"
    ORG_DISTRICT_SET = "org.district"


@dataclass(frozen=True, slots=True)
class Rule:
    """The organisation roles and the person roles an action needs (both must hold)."""

    org_roles: frozenset[OrgRole]
    user_roles: frozenset[UserRole]


def _rule(orgs: frozenset[OrgRole] | OrgRole, people: frozenset[UserRole]) -> Rule:
    return Rule(frozenset({orgs}) if isinstance(orgs, OrgRole) else orgs, people)


_ENTERPRISE: Final = OrgRole.ENTERPRISE
_CERTIFIER: Final = OrgRole.CERTIFICATION_BODY

#: The rules. A new action is added here, and its API route and console page both check it.
RULES: Final[Mapping[Action, Rule]] = {
    Action.ORG_READ: _rule(_ANY_ORG, _ALL_PEOPLE),
    Action.USERS_MANAGE: _rule(_ANY_ORG, _OWNERS),
    Action.API_KEYS_MANAGE: _rule(_ANY_ORG, _OWNERS),
    Action.PRODUCTS_READ: _rule(_ENTERPRISE, _ALL_PEOPLE),
    Action.PRODUCTS_MANAGE: _rule(_ENTERPRISE, _WRITERS),
    Action.INVENTORY_READ: _rule(_ENTERPRISE, _ALL_PEOPLE),
    Action.INVENTORY_EDIT: _rule(_ENTERPRISE, _WRITERS),
    Action.FOOTPRINT_SUBMIT: _rule(_ENTERPRISE, _WRITERS),
    Action.SUPPLIERS_MANAGE: _rule(_ENTERPRISE, _WRITERS),
    Action.ATTESTATION_SIGN: _rule(_ENTERPRISE, _WRITERS),
    Action.PACT_SHARE: _rule(_ENTERPRISE, _WRITERS),
    Action.REVIEW_COMMENT: _rule(_CERTIFIER, _DECIDERS),
    Action.REVIEW_DECIDE: _rule(_CERTIFIER, _DECIDERS),
    Action.LABEL_ISSUE: _rule(_CERTIFIER, _DECIDERS),
    Action.LABEL_REVOKE: _rule(_CERTIFIER, _DECIDERS),
    Action.EVIDENCE_UPLOAD: _rule(frozenset({_ENTERPRISE, _CERTIFIER}), _WRITERS | _DECIDERS),
    Action.RECOGNITION_SIGN: _rule(OrgRole.PARTNER_CERTIFIER, _DECIDERS),
    Action.ORGS_MANAGE: _rule(OrgRole.ADMIN, _WRITERS),
    Action.PREFIX_CONFIRM: _rule(frozenset({OrgRole.ADMIN, _CERTIFIER}), _WRITERS | _DECIDERS),
    Action.PUBLISHER_CONFIRM: _rule(OrgRole.ADMIN, _WRITERS),
    Action.STATS_READ: _rule(OrgRole.ADMIN, _ALL_PEOPLE),
    Action.ORG_DISTRICT_SET: _rule(OrgRole.ADMIN, _WRITERS),
}


def allowed(action: Action, *, org_role: OrgRole, user_role: UserRole | None) -> bool:
    """Whether an organisation of ``org_role`` (and a person of ``user_role`` in it) may act.

    ``user_role`` is ``None`` for an API key (a machine acting for its organisation).
    """
    rule = RULES[action]
    return org_role in rule.org_roles and (user_role is None or user_role in rule.user_roles)


def check(action: Action, *, org_role: OrgRole, user_role: UserRole | None) -> None:
    """Raise 403 unless :func:`allowed`: ``forbidden_role`` for the organisation's role,
    ``forbidden_user_role`` for the person's."""
    rule = RULES[action]
    if org_role not in rule.org_roles:
        needed = sorted(role.value for role in rule.org_roles)
        raise PermissionDeniedError(
            f"{action.value} needs an organisation with role {' or '.join(needed)}; "
            f"yours is {org_role.value}",
            code="forbidden_role",
            details=[{"action": action.value, "required_roles": needed, "role": org_role.value}],
        )
    if user_role is not None and user_role not in rule.user_roles:
        needed = sorted(role.value for role in rule.user_roles)
        raise PermissionDeniedError(
            f"{action.value} needs the role {' or '.join(needed)} in your organisation; "
            f"yours is {user_role.value}",
            code="forbidden_user_role",
            details=[{"action": action.value, "required_roles": needed, "role": user_role.value}],
        )
