"""extract() on "wild" pages: real-shaped government pages that the extractor got wrong.

Each tests/fixtures/pages/wild/<name>.html has a hand-written gold <name>.json in the format of
tests/fixtures/pages/*.json plus ``provenance`` (the public page or code it follows, or "written
from description") and ``failure`` (which reported failure it exercises: F1 MOE 2024
#moe-policy-table, F2 script/font links in the title block, F3 empty cell shifting values, F4
attachments outside the body, F5 body-only page with title and 发文字号 as centred lines, F6
label shapes and furniture; see tests/fixtures/pages/wild/README.md).

Gold is what a person reads on the page: the real title, every metadata value in its own field
(an empty field is absent), the body as paragraphs without metadata, furniture or pop-ups, and
every attachment link anywhere on the page in page order. Many of these tests fail on purpose
until the extractor is changed; the README records which and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.metric import score_page, score_set
from tests.test_extract import FIXTURE_F1_FLOOR, FURNITURE, _gold, _run
from watcher.models import META_KEYS

WILD = Path(__file__).parent / "fixtures" / "pages" / "wild"
GOLD = sorted(WILD.glob("*.json"))
IDS = [p.stem for p in GOLD]
FAILURES = {"F1", "F2", "F3", "F4", "F5", "F6"}
GOLD_KEYS = {
    "url",
    "template",
    "title",
    "meta",
    "text",
    "text_contains",
    "text_absent",
    "paragraphs_min",
    "attachments",
    "provenance",
    "failure",
}


def _found(article: Any) -> list[dict[str, str | None]]:
    return [{"url": a.url, "name": a.name, "ext": a.ext} for a in article.attachments]


def test_wild_set_is_present() -> None:
    assert len(GOLD) >= 12


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_wild_gold_is_well_formed(path: Path) -> None:
    gold = _gold(path)
    assert set(gold) == GOLD_KEYS
    assert path.with_suffix(".html").is_file()
    assert gold["provenance"].strip()
    assert gold["failure"] and set(gold["failure"]) <= FAILURES
    assert set(gold["meta"]) <= set(META_KEYS) and all(gold["meta"].values())
    assert all(needle in gold["text"] for needle in gold["text_contains"])
    assert not any(word in gold["text"] for word in (*FURNITURE, *gold["text_absent"]))
    assert len(gold["text"].split("\n")) >= gold["paragraphs_min"]
    for att in gold["attachments"]:
        assert set(att) == {"url", "name", "ext"}
        assert att["url"].startswith(("http://", "https://"))


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_wild_title(path: Path) -> None:
    gold, article = _run(path)
    assert article.title == gold["title"]


@pytest.mark.parametrize(
    ("path", "key"),
    [(p, k) for p in GOLD for k in META_KEYS],
    ids=[f"{p.stem}-{k}" for p in GOLD for k in META_KEYS],
)
def test_wild_meta_field(path: Path, key: str) -> None:
    gold, article = _run(path)
    assert article.meta.get(key) == gold["meta"].get(key)


@pytest.mark.parametrize(
    "path",
    [p for p in GOLD if _gold(p).get("template")],
    ids=[p.stem for p in GOLD if _gold(p).get("template")],
)
def test_wild_template_recognised(path: Path) -> None:
    gold, article = _run(path)
    assert article.method == f"template:{gold['template']}"


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_wild_text_contains_and_no_furniture(path: Path) -> None:
    gold, article = _run(path)
    missing = [needle for needle in gold["text_contains"] if needle not in article.text]
    assert not missing
    leaked = [word for word in (*FURNITURE, *gold["text_absent"]) if word in article.text]
    assert not leaked


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_wild_text_paragraphs(path: Path) -> None:
    gold, article = _run(path)
    paragraphs = article.text.split("\n")
    assert len(paragraphs) >= gold["paragraphs_min"]
    assert all(p == p.strip() and p for p in paragraphs)
    assert "\u3000" not in "".join(p[:1] for p in paragraphs)  # indentation removed
    assert "  " not in article.text
    assert article.text == gold["text"]


@pytest.mark.parametrize("path", GOLD, ids=IDS)
def test_wild_attachments(path: Path) -> None:
    gold, article = _run(path)
    assert _found(article) == gold["attachments"]


def test_wild_pages_f1_floor() -> None:
    scores = [score_page(article.text, gold["text"]) for gold, article in map(_run, GOLD)]
    assert score_set(scores).f1 >= FIXTURE_F1_FLOOR
