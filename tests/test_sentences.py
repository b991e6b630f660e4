"""One sentence splitter, several kinds of text: the terminators and the breaks each caller needs."""

from __future__ import annotations

from watcher.text.sentences import STRONG_ENDS, split_sentences

TEXT = "一、总体要求\n坚持立德树人；深化产教融合。到2027年，建成一批高水平学校！\n\n（一）完善体系"


def test_web_text_breaks_at_every_line_and_every_terminator() -> None:
    assert split_sentences(TEXT) == [
        "一、总体要求",
        "坚持立德树人；",
        "深化产教融合。",
        "到2027年，建成一批高水平学校！",
        "（一）完善体系",
    ]


def test_strong_ends_keep_a_semicolon_list_in_one_sentence() -> None:
    assert split_sentences(TEXT, ends=STRONG_ENDS)[1] == "坚持立德树人；深化产教融合。"


def test_wrapped_text_breaks_only_at_blank_lines() -> None:
    wrapped = "本科层\n次职业教育稳步发展。\n\n新段落"
    assert split_sentences(wrapped, breaks="paragraph") == [
        "本科层\n次职业教育稳步发展。",
        "新段落",
    ]


def test_no_breaks_at_all_for_flat_prose() -> None:
    assert split_sentences("第一句\n接着说。第二句", ends=STRONG_ENDS, breaks="none") == [
        "第一句\n接着说。",
        "第二句",
    ]


def test_a_run_of_terminators_stays_with_its_sentence() -> None:
    assert split_sentences("真的吗？！是的。") == ["真的吗？！", "是的。"]


def test_pieces_that_are_not_prose_are_dropped() -> None:
    assert split_sentences("。。\n——\n好。") == ["好。"]
    assert split_sentences("一、\n加强领导。", min_han=2) == ["加强领导。"]
