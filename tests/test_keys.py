"""Folded keys for matching: the one folding every stage compares with, and the identity key text
that is stored (and so must not drift)."""

from __future__ import annotations

import pytest

from watcher.text.identity import identity_key, series_key, title_key
from watcher.text.keys import fold_char, halfwidth, match_key, squeeze, title_key_text, word_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("规划（2024—2035年）", "规划(2024-2035年)"),
        ("到２０２７年，覆盖率", "到 2027 年,覆盖率"),
        ("“双一流”建设；", '"双一流" 建设;'),
        ("国发﹝2019﹞4号", "国发〔2019〕4号"),
        ("ＳＴＥＭ教育：", "STEM教育:"),
    ],
)
def test_match_key_folds_width_and_space(a: str, b: str) -> None:
    assert match_key(a) == match_key(b)


def test_match_key_keeps_distinctions_that_matter() -> None:
    assert match_key("①") != match_key("1")
    assert match_key("1.5") != match_key("15")
    assert match_key("教育强市") != match_key("教育强国")


def test_fold_char_agrees_with_match_key_for_every_character() -> None:
    # The character diff folds one character at a time; it must see what match_key sees.
    for code in list(range(0x20, 0x3000)) + list(range(0xFE00, 0xFFFF)):
        ch = chr(code)
        assert fold_char(ch) == match_key(ch), hex(code)


def test_word_key_keeps_words_and_separates_runs() -> None:
    assert (
        word_key("到2027年，职业本科（试点）比例达到10％。") == "到2027年|职业本科|试点|比例达到10%"
    )


def test_squeeze_removes_every_kind_of_space() -> None:
    assert squeeze("AI 模型\n\t应用\u3000场景") == "AI模型应用场景"


def test_halfwidth_only_touches_fullwidth_ascii() -> None:
    assert halfwidth("ＡＢ１２（三）") == "AB12(三)"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "重庆加快建设教育强市推进教育现代化规划（2024—2035年）",
            "重慶加快建設教育強市推進教育現代化規劃(2024-2035年)",
        ),
        ("《职业教育提质领跑行动方案》", "职业教育提质领跑行动方案"),
        ("建設(shè)教育強市", "建设教育强市"),
        ("渝教发〔2025〕4号", "渝教发[2025]4号"),
    ],
)
def test_title_key_text_ignores_script_width_and_marks(a: str, b: str) -> None:
    assert title_key_text(a) == title_key_text(b)


def test_identity_keys_are_stable() -> None:
    # Stored in every store: a change here would split documents already held in two.
    assert title_key(
        "市委 市政府印发《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》"
    ) == ("重庆加快建设教育强市推进教育现代化规划（2024-2035年）")
    assert (
        series_key("职业教育提质领跑行动方案（2025—2027年）（征求意见稿）")
        == "职业教育提质领跑行动方案"
    )
    assert identity_key("关于印发某方案的通知", "渝教发〔2025〕4号") == "doc:渝教发〔2025〕4号"
