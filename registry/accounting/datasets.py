"""Where a calculation's factor dataset versions come from.

An inventory names each dataset version it cites with its digest (``factorDatasets``). A
calculation looks each one up in its sources, in order, and takes the first copy whose digest is
the one named (else the first copy at all, which the calculation then refuses as
``digest_mismatch``):

- :class:`FileDatasets`: ``tanji-factors/1`` documents given as files (``--factors``);
- :class:`StarterDatasets`: the starter datasets shipped in ``registry/data/factors/``;
- :class:`DatabaseDatasets`: the versions published in the registry's factor database.

A version no source has is refused as ``unknown_dataset`` at every line that cites it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final, Protocol

from sqlmodel import Session

from registry.errors import InvalidInputError, NotFoundError
from registry.factors import crud as factors_crud
from registry.factors.starter import STARTER_DIR
from verifier.protocol.accounting import (
    AccountingError,
    FactorDataset,
    Inventory,
    Issue,
    parse_factor_dataset,
)

__all__ = [
    "DatabaseDatasets",
    "DatasetSource",
    "FileDatasets",
    "StarterDatasets",
    "resolve_datasets",
]


class DatasetSource(Protocol):
    """Something that may hold factor dataset versions."""

    def find(self, dataset: str, version: str) -> list[FactorDataset]:
        """The copies it holds of ``dataset`` at ``version`` (usually one, or none)."""
        ...


class FileDatasets:
    """Dataset version documents read from files (JSON or YAML ``tanji-factors/1``)."""

    def __init__(self, paths: Iterable[Path], *, field: str = "factors") -> None:
        self.datasets: list[FactorDataset] = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InvalidInputError(f"cannot read {path}: {exc.strerror}", field=field) from exc
            try:
                self.datasets.append(parse_factor_dataset(data))
            except AccountingError as exc:
                raise InvalidInputError(
                    f"{path} is not a valid tanji-factors/1 document: {exc}",
                    code=exc.code,
                    field=field,
                    details=[issue.to_dict() for issue in exc.issues],
                ) from exc

    def find(self, dataset: str, version: str) -> list[FactorDataset]:
        """The files' copies of ``dataset@version``."""
        return [d for d in self.datasets if d.dataset == dataset and d.version == version]


@lru_cache(maxsize=1)
def _starter() -> tuple[FactorDataset, ...]:
    return tuple(
        parse_factor_dataset(path.read_bytes()) for path in sorted(STARTER_DIR.glob("*.json"))
    )


class StarterDatasets:
    """The starter datasets shipped with Tanji (``registry/data/factors/``)."""

    def find(self, dataset: str, version: str) -> list[FactorDataset]:
        """The shipped copy of ``dataset@version``, if Tanji ships it."""
        return [d for d in _starter() if d.dataset == dataset and d.version == version]


#: Parsed database versions by (dataset, version, digest): versions never change, so a parsed
#: copy is good for as long as the digest is the same. Bounded; the oldest entry goes first.
_PARSED: OrderedDict[tuple[str, str, str], FactorDataset] = OrderedDict()
_PARSED_MAX: Final = 32
_PARSED_LOCK = threading.Lock()


class DatabaseDatasets:
    """The versions published in the registry's factor database (parsed once per digest).

    With ``refuse_revoked`` (a new calculation), a version withdrawn with its publisher's key
    is refused as ``dataset_revoked``, and a version of a publisher the city withdrew its
    confirmation of as ``publisher_withdrawn``; recomputing a stored footprint still reads both.
    """

    def __init__(self, session: Session, *, refuse_revoked: bool = False) -> None:
        self.session = session
        self.refuse_revoked = refuse_revoked

    def refusal(self, dataset: str, version: str) -> str | None:
        """Why a new calculation may not use the version (with ``refuse_revoked``), or None."""
        if not self.refuse_revoked:
            return None
        if factors_crud.is_revoked(self.session, dataset=dataset, version=version):
            return REVOKED
        try:
            withdrawn = factors_crud.publisher_withdrawn(
                self.session, dataset=dataset, version=version
            )
        except NotFoundError:
            return None  # not published here: resolve_datasets says unknown_dataset
        return PUBLISHER_WITHDRAWN if withdrawn else None

    def find(self, dataset: str, version: str) -> list[FactorDataset]:
        """The published copy of ``dataset@version``, or none."""
        try:
            row = factors_crud.get_version(self.session, dataset=dataset, version=version)
        except NotFoundError:
            return []
        key = (row.dataset, row.version, row.digest)
        with _PARSED_LOCK:
            parsed = _PARSED.get(key)
        if parsed is None:
            parsed = parse_factor_dataset(row.document)
            with _PARSED_LOCK:
                _PARSED[key] = parsed
                while len(_PARSED) > _PARSED_MAX:
                    _PARSED.popitem(last=False)
        return [parsed]


def resolve_datasets(inventory: Inventory, sources: Sequence[DatasetSource]) -> list[FactorDataset]:
    """The dataset versions ``inventory`` names, found in ``sources``.

    Raises :class:`AccountingError` with an ``unknown_dataset`` issue at each line citing a
    version no source holds (at ``factorDatasets[i]`` if no line cites it).
    """
    found: list[FactorDataset] = []
    missing: dict[tuple[str, str], tuple[int, str]] = {}
    for index, ref in enumerate(inventory.factor_datasets):
        refusal = next(
            (r for source in sources if (r := _refusal(source, ref.dataset, ref.version))), None
        )
        if refusal is not None:
            missing[(ref.dataset, ref.version)] = (index, refusal)
            continue
        copies = [copy for source in sources for copy in source.find(ref.dataset, ref.version)]
        if not copies:
            missing[(ref.dataset, ref.version)] = (index, UNKNOWN)
            continue
        found.append(next((c for c in copies if c.digest == ref.digest), copies[0]))
    if not missing:
        return found
    issues: list[Issue] = []
    cited: set[tuple[str, str]] = set()
    for part in inventory.walk():
        for line in part.lines:
            if line.factor is None:
                continue
            key = (line.factor.dataset, line.factor.version)
            if key in missing:
                cited.add(key)
                issues.append(_refused(f"{line.path}.factor", *key, missing[key][1]))
    for key, (index, code) in missing.items():
        if key not in cited:
            issues.append(_refused(f"factorDatasets[{index}]", *key, code))
    raise AccountingError(issues)


#: A version no source holds.
UNKNOWN: Final = "unknown_dataset"
#: A version withdrawn with its publisher's revoked key.
REVOKED: Final = "dataset_revoked"
#: A version of a publisher whose confirmation the city withdrew (registry.city.publishers).
PUBLISHER_WITHDRAWN: Final = "publisher_withdrawn"


def _refusal(source: DatasetSource, dataset: str, version: str) -> str | None:
    refusal = getattr(source, "refusal", None)
    return refusal(dataset, version) if callable(refusal) else None


def _refused(path: str, dataset: str, version: str, code: str) -> Issue:
    if code == REVOKED:
        text = (
            f"the factor dataset {dataset}@{version} was withdrawn: its publisher revoked the "
            "key that signed it"
        )
    elif code == PUBLISHER_WITHDRAWN:
        text = (
            f"the city withdrew its confirmation of the publisher of the factor dataset "
            f"{dataset}@{version}: new calculations may not use it"
        )
    else:
        text = (
            f"the factor dataset {dataset}@{version} is not published in this registry "
            "(nor given as a file)"
        )
    return Issue(code, path, text, {"dataset": dataset, "version": version})
