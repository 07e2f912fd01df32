"""Refusals of footprint accounting: one error holding every fault found, each with a code and path.

A document is checked as a whole: a dataset import reports every bad row, an inventory every bad
line, so that nothing is half-accepted and a publisher fixes all faults in one round
(docs/ACCOUNTING.md, "Errors").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from verifier.errors import VerifierError

__all__ = ["MAX_ISSUES", "AccountingError", "Issue", "Issues"]

#: At most this many issues are kept per refusal (a 50,000-row file of garbage says enough).
MAX_ISSUES: Final = 1000


@dataclass(frozen=True, slots=True)
class Issue:
    """One fault: a stable snake_case ``code``, the ``path`` of the member at fault
    (``lines[3].unit``; ``""`` for the document), an English ``message`` and machine ``details``
    (``{"unit": "kg", "factorUnit": "kWh"}``, ``{"rule": "required_stage:production"}``)."""

    code: str
    path: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The issue as JSON: ``{"code", "path", "message", "details"}``."""
        return {
            "code": self.code,
            "path": self.path,
            "message": self.message,
            "details": dict(self.details),
        }


class AccountingError(VerifierError, ValueError):
    """A factor dataset, inventory or calculation refused: ``issues`` lists every fault found.

    ``code``, ``path`` and ``details`` are the first issue's (what a one-line report shows).
    """

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        if not self.issues:
            raise ValueError("an AccountingError needs at least one issue")
        first = self.issues[0]
        self.code = first.code
        self.path = first.path
        self.details = first.details
        more = len(self.issues) - 1
        where = f"{first.path}: " if first.path else ""
        suffix = f" (and {more} more)" if more else ""
        super().__init__(f"{first.code}: {where}{first.message}{suffix}")

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "path", "message", "details", "issues": [...]}`` (first issue on top)."""
        return {**self.issues[0].to_dict(), "issues": [i.to_dict() for i in self.issues]}


class Issues:
    """Collects issues while a document is read; :meth:`raise_if_any` refuses it at the end."""

    def __init__(self) -> None:
        self.items: list[Issue] = []

    def add(self, code: str, path: str, message: str, **details: Any) -> None:
        """Record a fault (silently past :data:`MAX_ISSUES`)."""
        if len(self.items) < MAX_ISSUES:
            self.items.append(Issue(code, path, message, details))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        """Raise :class:`AccountingError` with every issue collected, if any."""
        if self.items:
            raise AccountingError(self.items)
