"""SQLModel tables and API schemas of the registry (one module per resource)."""

from registry.models.footprints import Footprint, FootprintCreate, FootprintPublic, FootprintsPublic
from registry.models.idempotency import CertificateCounter, IdempotencyEntry
from registry.models.labels import Label, LabelCreate, LabelPublic, LabelsPublic
from registry.models.orgs import ApiKey, Organisation, OrgCreate, OrgPublic, OrgRole, OrgsPublic

__all__ = [
    "ApiKey",
    "CertificateCounter",
    "Footprint",
    "FootprintCreate",
    "FootprintPublic",
    "FootprintsPublic",
    "IdempotencyEntry",
    "Label",
    "LabelCreate",
    "LabelPublic",
    "LabelsPublic",
    "OrgCreate",
    "OrgPublic",
    "OrgRole",
    "Organisation",
    "OrgsPublic",
]
