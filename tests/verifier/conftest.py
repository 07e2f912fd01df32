"""Every result any verifier test produces can be told in every language.

The observer below wraps the verifier's ``run_check`` for each test in this directory, so every
result of every check under every bundle these tests verify (offline, against real nodes, under
trust profiles, fuzzed) is held to the message catalogue: its code has a template in each
language, and each template names only data the result carries (no ``?`` in any message).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import verifier._internal.verifier
from verifier._internal.checks import Check, CheckResult, Target
from verifier.protocol.languages import LANGUAGES
from verifier.protocol.messages import placeholders, template


def message_gaps(result: CheckResult) -> list[str]:
    """What keeps ``result`` from being told in full: a language without a template for its code,
    or a template naming data the result lacks."""
    gaps = []
    for lang in LANGUAGES:
        text = template(result.code, lang, check=result.name)
        if text == f"code {int(result.code)}":
            gaps.append(f"{result.qualified_name}: no {lang} template for code {int(result.code)}")
        missing = placeholders(text) - set(result.data)
        if missing:
            gaps.append(
                f"{result.qualified_name} ({int(result.code)}, {lang}): the template names "
                f"{sorted(missing)}, the data has {sorted(result.data)}"
            )
    return gaps


@pytest.fixture(autouse=True)
def _every_result_is_told_in_every_language(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    seen: list[CheckResult] = []
    run_check = verifier._internal.verifier.run_check

    def observed(check: Check, target: Target) -> CheckResult:
        result = run_check(check, target)
        seen.append(result)
        return result

    monkeypatch.setattr(verifier._internal.verifier, "run_check", observed)
    yield
    gaps = sorted({gap for result in seen for gap in message_gaps(result)})
    assert not gaps, "\n".join(gaps)
