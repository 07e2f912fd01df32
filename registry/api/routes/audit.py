"""``/api/v1/audit``: the audit log (docs/AUDIT.md); admins read all of it, others their own."""

from __future__ import annotations

from fastapi import APIRouter

from registry.api.deps import CurrentOrg, PageDep, SessionDep
from registry.crud import audit as crud
from registry.models.audit import AuditEntriesPublic

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("")
def list_audit(session: SessionDep, org: CurrentOrg, page: PageDep) -> AuditEntriesPublic:
    """Audit entries, newest first: every entry for an admin, else the caller's own changes."""
    rows, count = crud.list_entries(
        session, org_id=crud.visible_to(org), offset=page.offset, limit=page.limit
    )
    return AuditEntriesPublic(data=crud.to_public(session, rows), count=count)
