"""Pydantic validation errors as the registry's error details.

Each error becomes ``{"code", "message", "field"}``: ``field`` is a JSON path such as
``reference_period.end`` or ``items[3].gtin``; ``code`` is ``missing_field``, ``unknown_field``,
``too_many_items``, ``invalid_json`` (a body that is not JSON; its field is ``body``),
the custom code a validator raised (``invalid_gtin``, ``unknown_category``, ...), or
``invalid_field``. A model-level validator names its field with a ``loc`` context entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_GENERIC = {
    "missing": "missing_field",
    "extra_forbidden": "unknown_field",
    # A list past its bound: a bulk request with more items than one request may carry.
    "too_long": "too_many_items",
}
#: Codes our validators raise (PydanticCustomError types); anything else is invalid_field.
CUSTOM_CODES = frozenset(
    {
        "invalid_gtin",
        "unknown_category",
        "invalid_declared_unit",
        "split_mismatch",
        "invalid_period",
        "invalid_validity",
        "invalid_country",
        "invalid_subdivision",
        "invalid_region",  # registry.models.footprints.Geography: not a PACT UN region
        "invalid_geography",  # a country or a region, exactly one
        "bad_text",  # registry.plaintext: control, bidi or zero-width characters
        "invalid_prefix",
        "number_out_of_range",  # registry.models.common.JsonFloat: at or beyond 2**53
        "calculation_not_allowed",  # registry.models.footprints: only computed footprints
        "calculation_mismatch",
    }
)


#: A placeholder pydantic leaves in a message: it fills ``{name}`` only, not ``{name!r}``.
_PLACEHOLDER = re.compile(r"\{(\w+)(?:!([rs]))?\}")


def filled(message: str, ctx: Mapping[str, Any]) -> str:
    """``message`` with any placeholder left in it filled from the error's context ``ctx``
    (``{value!r}`` as ``repr``): a person reads the offending value, never a template."""

    def fill(match: re.Match[str]) -> str:
        name, conversion = match[1], match[2]
        if name not in ctx:
            return match[0]
        value = ctx[name]
        return repr(value) if conversion == "r" else str(value)

    return _PLACEHOLDER.sub(fill, message)


def json_path(loc: Sequence[int | str]) -> str | None:
    """``("items", 3, "gtin")`` → ``items[3].gtin``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def validation_error_details(
    errors: Sequence[Any], *, strip: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Map pydantic's ``errors()`` to registry error details (``strip`` drops a loc prefix)."""
    details: list[dict[str, Any]] = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc and loc[0] in strip:
            loc = loc[1:]
        ctx = error.get("ctx") or {}
        if isinstance(ctx.get("loc"), str):
            loc.append(ctx["loc"])
        kind = str(error.get("type", ""))
        if kind == "json_invalid":
            # loc is ("body", character offset): the field is the body, the offset goes in text.
            at = f" at character {loc[-1]}" if loc else ""
            reason = ctx.get("error") or "not JSON"
            message = f"the request body is not valid JSON: {reason}{at}"
            details.append({"code": "invalid_json", "message": message, "field": "body"})
            continue
        code = _GENERIC.get(kind) or (kind if kind in CUSTOM_CODES else "invalid_field")
        message = filled(str(error.get("msg", "invalid value")), ctx)
        details.append({"code": code, "message": message, "field": json_path(loc)})
    return details
