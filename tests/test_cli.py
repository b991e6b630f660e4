"""The ``watcher`` commands a user types, end to end through click, on real files and stores.
Also: every command is documented in the README (an undocumented command is a defect)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, seed_path
from watcher.cli import main
from watcher.store import Store

TEXT = REPO / "tests" / "fixtures" / "text"


def _run(*args: str, store: Path | None = None) -> str:
    prefix = ["--store", str(store)] if store else []
    result = CliRunner().invoke(main, [*prefix, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in main.commands:
        assert re.search(rf"`watcher {re.escape(name)}\b", readme), (
            f"watcher {name} is undocumented"
        )


def test_outline_json_of_the_national_plan_has_its_sections() -> None:
    tree = json.loads(_run("outline", str(TEXT / "national_gangyao.txt"), "--json"))
    level1 = [n for n in tree if re.fullmatch(r"[一二三四五六七八九十]+", n["number"])]
    assert len(level1) == 11
    assert sum(len(n["children"]) for n in level1) == 38
    assert {"id", "level", "number", "heading", "children"} <= set(level1[0])


def test_normalize_restores_a_traditional_pinyin_copy() -> None:
    original = (TEXT / "cq_guihua_excerpt.txt").read_text(encoding="utf-8")
    out = _run("normalize", str(TEXT / "cq_guihua_excerpt_trad_pinyin.txt"))
    assert out.strip() == original.strip()


def test_import_splits_a_compilation_into_documents(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    out = _run(
        "import", str(REPO / "tests" / "fixtures" / "files" / "compilation_sample.txt"), store=db
    )
    with Store.open(db) as store:
        titles = [d.title for d in store.documents()]
    assert len(titles) >= 2 and "个文档" in out
    again = _run(
        "import", str(REPO / "tests" / "fixtures" / "files" / "compilation_sample.txt"), store=db
    )
    assert "[新文档]" not in again, "re-importing the same file stores nothing new"


def test_import_of_seed_001_yields_the_two_plans_separately(tmp_path: Path) -> None:
    seed = seed_path("001")
    db = tmp_path / "w.db"
    _run("import", str(seed), store=db)
    with Store.open(db) as store:
        docs = store.documents(limit=100)
        national = [
            d
            for d in docs
            if "教育强国建设规划纲要" in d.title
            and "解读" not in d.title
            and "答记者问" not in d.title
        ]
        local = [d for d in docs if "教育强市" in d.title and "解读" not in d.title]
        assert len(docs) >= 12
        assert national and local and national[0].id != local[0].id
        # The local plan cites the national one: the import links and compares them.
        comparisons = store.comparisons(new_document_id=local[0].id)
    assert comparisons and comparisons[0].old_document_id == national[0].id


def test_extract_json_prints_the_article() -> None:
    page = REPO / "tests" / "fixtures" / "pages" / "gov_cn_old.html"
    if not page.exists():
        page = next((REPO / "tests" / "fixtures" / "pages").glob("*.html"))
    article = json.loads(_run("extract", str(page), "--json"))
    assert article["title"] and article["text"] and isinstance(article["meta"], dict)


def test_compare_files_from_the_command_line() -> None:
    out = _run("compare", str(TEXT / "national_gangyao.txt"), str(TEXT / "cq_guihua.txt"), "--json")
    data = json.loads(out)
    statuses = {s["status"] for s in data["sections"]}
    assert {"changed", "new"} <= statuses
    assert any("红岩" in s["new_heading"] for s in data["sections"] if s["status"] == "new")


def test_unknown_source_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--store",
            str(tmp_path / "w.db"),
            "--config",
            str(REPO / "sources.yaml"),
            "check",
            "--source",
            "nope",
        ],
    )
    assert result.exit_code == 2
    assert "没有 id 为 'nope' 的来源" in result.output


def test_missing_config_names_the_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "absent.yaml"), "sources"])
    assert result.exit_code == 2 and "absent.yaml" in result.output


@pytest.mark.parametrize("args", [["sources", "--json"], ["status", "--json"]])
def test_reporting_commands_on_an_empty_store(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(
        main, ["--store", str(tmp_path / "w.db"), "--config", str(REPO / "sources.yaml"), *args]
    )
    assert result.exit_code == 0, result.output
    json.loads(result.output)


def _production_store(path: Path) -> None:
    with Store.open(path) as store, store.transaction():
        store.save_version(
            url="http://jw.cq.gov.cn/zwgk/t1.html",
            identity_key="jw:t1",
            title="重庆市教育委员会关于开展职业院校教学能力比赛的通知",
            text="一、比赛安排\n各区县教委：现将有关事项通知如下。",
            text_hash="h1",
            level="municipal",
            source_id="cq-jw",
        )


def _demo(store_arg: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    return subprocess.run(
        [sys.executable, "-m", "watcher", *store_arg, "demo"],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_demo_leaves_the_store_named_by_watcher_store_alone(tmp_path: Path) -> None:
    """The container sets WATCHER_STORE to the production store; `watcher demo` there used to
    replace it with demo data. The demo now builds its own store and the user's stays whole."""
    prod = tmp_path / "data" / "watcher.db"
    prod.parent.mkdir()
    _production_store(prod)
    proc = _demo([], {"WATCHER_STORE": str(prod)}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    with Store.open(prod) as store:
        assert [d.title for d in store.documents()] == [
            "重庆市教育委员会关于开展职业院校教学能力比赛的通知"
        ]
    with Store.open(tmp_path / "store" / "demo.db") as demo:
        assert len(demo.documents()) > 10


def test_demo_refuses_to_overwrite_a_store_with_real_data(tmp_path: Path) -> None:
    prod = tmp_path / "watcher.db"
    _production_store(prod)
    proc = _demo(["--store", str(prod)], {}, tmp_path)
    assert proc.returncode != 0
    assert "非演示数据" in proc.stderr and "Traceback" not in proc.stderr
    with Store.open(prod) as store:
        assert len(store.documents()) == 1 and store.integrity_ok()


def test_demo_may_rebuild_a_store_it_made_itself(tmp_path: Path) -> None:
    target = tmp_path / "mine.db"
    assert _demo(["--store", str(target)], {}, tmp_path).returncode == 0
    again = _demo(["--store", str(target)], {}, tmp_path)
    assert again.returncode == 0, again.stderr
