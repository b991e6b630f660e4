"""extract() on "wild" pages: real-shaped government pages that the extractor got wrong.

Each tests/fixtures/pages/wild/<name>.html has a hand-written gold <name>.json in the format of
tests/fixtures/pages/*.json plus ``provenance`` (the public page or code it follows, or "written
from description") and ``failure`` (which reported failure it exercises: F1 MOE 2024
#moe-policy-table, F2 script/font links in the title block, F3 empty cell shifting values, F4
attachments outside the body, F5 body-only page with title and 发文字号 as centred lines, F6
label shapes and furniture; see tests/fixtures/pages/wild/README.md).

Gold is what a person reads on the page: the real title, every metadata value in its own field
(an empty field is absent), the body as paragraphs without metadata, furniture or pop-ups, and
every attachment link anywhere on the page in page order. The README records which failure each
fixture was made for, what the extractor does about it, and which fixtures were held out of
tuning (wild/held_out.txt). This file is part of the extraction quality gate CI runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.metric import score_page, score_set
from tests.test_extract import FIXTURE_F1_FLOOR, FURNITURE, _gold, _run
from watcher.ingest.extract import extract
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


# --------------------------------------------------------------------------- over-reach guards
# The rules above are general; these pages check they do not take what is not theirs.


def _page(body: str, title: str = "") -> str:
    head = f"<title>{title}</title>" if title else ""
    return f"<html><head>{head}</head><body>{body}</body></html>"


_PARAS = "".join(
    f"<p>　　第{n}段正文，内容足够长，讲清楚要求、分工和时间安排，并提出具体措施。</p>"
    for n in range(4)
)


def test_every_line_centred_keeps_its_first_lines() -> None:
    lines = "".join(
        f'<p align="center">关于开展第{n}批试点工作的通知</p>' for n in ("一", "二", "三")
    )
    article = extract(
        _page(f'<div class="TRS_Editor">{lines}{_PARAS.replace("<p>", "<p align=center>")}</div>')
    )
    assert article.title == ""
    assert article.text.startswith("关于开展第一批试点工作的通知")


def test_a_sentence_starting_with_a_doc_number_stays_text() -> None:
    body = (
        "<p>国发〔2019〕4号文件要求各地加快推进职业教育改革，现结合本地实际提出如下意见。</p>"
        + _PARAS
    )
    article = extract(_page(f'<div class="TRS_Editor">{body}</div>', "关于推进改革的意见"))
    assert "doc_number" not in article.meta
    assert article.text.startswith("国发〔2019〕4号文件要求")


def test_centred_lines_that_only_start_like_the_title_stay_text() -> None:
    body = '<p align="center">重庆市教育委员会</p><p align="center">二〇二四年工作要点</p>' + _PARAS
    article = extract(
        _page(f'<div class="TRS_Editor">{body}</div>', "重庆市教育委员会关于某事的通知_重庆市教委")
    )
    assert article.text.startswith("重庆市教育委员会\n二〇二四年工作要点")


def test_a_table_of_documents_in_the_body_is_text_not_metadata() -> None:
    rows = "".join(
        f"<tr><td>关于第{n}项工作的通知</td><td>渝教发〔2024〕{n}号</td><td>2024-0{n}-01</td></tr>"
        for n in range(1, 6)
    )
    table = f"<table><tr><td>文件名称</td><td>发文字号</td><td>发布日期</td></tr>{rows}</table>"
    article = extract(_page(f'<div class="TRS_Editor">{_PARAS}{table}</div>', "文件清单"))
    assert "渝教发〔2024〕3号" in article.text
    assert "doc_number" not in article.meta


def test_pdf_links_in_the_site_footer_are_not_attachments() -> None:
    page = _page(
        '<div class="wrap"><div class="zwxl-title"><p class="tit">关于某事的通知</p></div>'
        f'<div class="zwxl-article">{_PARAS}<p>附件：<a href="a1.pdf">实施细则</a></p></div></div>'
        '<div class="footer"><a href="/gk/ndbg2023.pdf">2023年政府信息公开年度报告</a></div>'
    )
    article = extract(page, "https://example.gov.cn/zw/202401/t1.html")
    assert [a.url for a in article.attachments] == ["https://example.gov.cn/zw/202401/a1.pdf"]


def test_a_sentence_about_a_browser_is_text_not_a_popup() -> None:
    body = _PARAS + "<p>点击右上角</p><p>请在浏览器中打开报名网址，按提示填写信息。</p>"
    article = extract(_page(f'<div class="TRS_Editor">{body}</div>', "报名通知"))
    assert "点击右上角" not in article.text
    assert "请在浏览器中打开报名网址，按提示填写信息。" in article.text
