"""Languages are data: the page catalogue, names keyed by language tag, Traditional Chinese."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from registry.catalogue import CATALOGUE_FILE, CATEGORIES, UNITS
from registry.errors import InvalidInputError
from registry.grading import load_scheme
from registry.i18n import (
    COMPANION,
    FALLBACKS,
    LANGUAGES,
    MESSAGES_FILE,
    NAME_KEYS,
    REQUIRED_NAME_LANGUAGES,
    catalogue_files,
    language_keyed,
    localized,
    messages,
    parse_names,
)
from verifier.protocol.languages import normalize

#: Characters only Simplified Chinese writes (their Traditional forms differ). None may appear in
#: the Traditional Chinese text: it is translated for Hong Kong readers, not left Simplified.
SIMPLIFIED_ONLY = (
    "迹产标签业类码约当辆车驶换计级阈该无开发结围认证书编号时间统边摇篮门坟数链记录块区钟销请"
    "为过图样伪这个们说浏览节点询锚尔载应条项页态资启钥验与单电脑锂离动组机纹钢铝锭树轮锅吨线"
    "纯紧凑轻笔铁盐炉"
)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("path", catalogue_files(), ids=lambda p: p.name)
def test_the_catalogue_has_every_language_and_the_same_keys_in_each(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert list(raw) == list(LANGUAGES)
    keys = set(raw[LANGUAGES[0]])
    for lang in LANGUAGES:
        assert set(raw[lang]) == keys, lang
        assert all(text.strip() for text in raw[lang].values()), lang
    # The same placeholders in every language, so no translation drops a number.
    for key in keys:
        assert len({frozenset(_fields(raw[lang][key])) for lang in LANGUAGES}) == 1, key


def test_messages_reads_any_tag_and_falls_back_to_the_default() -> None:
    assert messages("zh") is messages("zh-CN") is messages("zh-Hans")
    assert messages("zh-HK") is messages("zh-Hant") is messages("zh-TW")
    assert messages("en-GB") is messages("en")
    assert messages("fr") is messages("zh-Hans")


def _traditional_texts() -> dict[str, str]:
    texts = {f"messages.{k}": v for k, v in messages("zh-Hant").items()}
    for code, category in CATEGORIES.items():
        texts[f"category.{code}"] = category.names["zh-Hant"]
        texts[f"category.{code}.piece"] = category.piece["zh-Hant"]
    texts.update({f"unit.{unit}": names["zh-Hant"] for unit, names in UNITS.items()})
    texts["grading scheme"] = load_scheme().name("zh-Hant")
    demo = json.loads((MESSAGES_FILE.parent / "demo_products.json").read_text(encoding="utf-8"))
    for product in demo["products"]:
        texts[f"demo.{product['key']}"] = product["footprint"]["product_name"]["zh-Hant"]
    return texts


def test_traditional_chinese_is_translated_not_left_simplified() -> None:
    texts = _traditional_texts()
    found = {where: sorted(set(text) & set(SIMPLIFIED_ONLY)) for where, text in texts.items()}
    assert {where: chars for where, chars in found.items() if chars} == {}
    # Hong Kong wording where it differs from the mainland's, not a character-by-character swap.
    assert texts["category.laptop"] == "手提電腦" and texts["category.motorcycle"] == "電單車"
    assert texts["unit.t"] == "公噸" and texts["unit.kg"] == "公斤" and texts["unit.km"] == "公里"
    assert messages("zh-Hant")["company"] == "公司" != messages("zh-Hans")["company"]


def test_data_files_name_every_language() -> None:
    catalogue = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    for entry in catalogue["categories"]:
        assert list(entry["name"]) == list(LANGUAGES), entry["code"]
    assert all(list(names) == list(LANGUAGES) for names in catalogue["units"].values())
    assert all(load_scheme().names[lang] for lang in LANGUAGES)


def test_name_keys_and_language_tables_cover_every_language() -> None:
    assert set(NAME_KEYS) == set(FALLBACKS) == set(COMPANION) == set(LANGUAGES)
    # Each stored key reads back as its own language (a record's "zh" is Simplified Chinese).
    assert all(normalize(key) == lang for lang, key in NAME_KEYS.items())
    assert set(REQUIRED_NAME_LANGUAGES) <= set(LANGUAGES)
    assert all(FALLBACKS[lang][0] == lang for lang in LANGUAGES)
    assert all(COMPANION[lang] != lang for lang in LANGUAGES)


@pytest.mark.parametrize(
    ("texts", "lang", "expected"),
    [
        ({"zh": "简", "zh-Hant": "繁", "en": "E"}, "zh-Hant", "繁"),
        ({"zh": "简", "zh-Hant": "繁", "en": "E"}, "zh-HK", "繁"),
        ({"zh": "简", "zh-Hant": "繁", "en": "E"}, "zh", "简"),
        ({"zh": "简", "zh-Hant": "繁", "en": "E"}, "en-US", "E"),
        ({"zh": "简", "en": "E"}, "zh-Hant", "简"),  # a label from before zh-Hant existed
        ({"zh-Hant": "繁", "en": "E"}, "zh-Hans", "繁"),
        ({"en": "E"}, "zh-Hans", "E"),
        ({"zh": "简"}, "en", "简"),
        ({"zh": "", "en": "E"}, "zh-Hans", "E"),  # empty text is no text
        ({"fr": "F"}, "en", ""),
        ({}, "en", ""),
    ],
)
def test_localized_picks_the_language_or_the_best_stand_in(
    texts: dict[str, str], lang: str, expected: str
) -> None:
    assert localized(texts, lang) == expected


def test_language_keyed_stores_any_tag_under_its_name_key() -> None:
    pairs = [("en", "E"), ("zh-HK", "繁"), ("zh-Hans", "简")]
    assert language_keyed(pairs) == {"zh": "简", "zh-Hant": "繁", "en": "E"}
    assert list(language_keyed(pairs)) == ["zh", "zh-Hant", "en"]
    with pytest.raises(ValueError, match="given twice"):
        language_keyed([("zh", "a"), ("zh-CN", "b")])
    with pytest.raises(ValueError, match="not a language"):
        language_keyed([("fr", "F")])


def test_parse_names_reads_tag_equals_text() -> None:
    assert parse_names(["zh-Hans=锂电芯", "zh-Hant=鋰電芯=A"], field="name") == {
        "zh": "锂电芯",
        "zh-Hant": "鋰電芯=A",
    }
    assert parse_names([], field="name") == {}
    for values, code in (
        (["锂电芯"], "invalid_name"),
        (["zh="], "invalid_name"),
        (["=x"], "invalid_name"),
        (["fr=x"], "unknown_language"),
        (["zh=a", "zh-Hans=b"], "unknown_language"),
    ):
        with pytest.raises(InvalidInputError) as info:
            parse_names(values, field="name")
        assert (info.value.code, info.value.field) == (code, "name"), values
