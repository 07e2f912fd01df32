"""SQLModel tables and API schemas of the registry (one module per resource)."""

from registry.models.attestations import Attestation
from registry.models.footprints import Footprint, FootprintCreate, FootprintPublic, FootprintsPublic
from registry.models.idempotency import CertificateCounter, IdempotencyEntry
from registry.models.labels import Label, LabelCreate, LabelPublic, LabelsPublic
from registry.models.orgs import ApiKey, Organisation, OrgCreate, OrgPublic, OrgRole, OrgsPublic
from registry.models.prefixes import IdPrefix
from registry.models.recognitions import Recognition, RecognitionWithdrawal
from registry.models.suppliers import SupplierKey

__all__ = [
    "ApiKey",
    "Attestation",
    "CertificateCounter",
    "Footprint",
    "FootprintCreate",
    "FootprintPublic",
    "FootprintsPublic",
    "IdPrefix",
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
    "Recognition",
    "RecognitionWithdrawal",
    "SupplierKey",
]
