"""Attachments: text from generated PDF/DOCX/OFD/TXT/HTML files, and the safety checks.

Every fixture file is built here from code (a hand-written PDF with a ToUnicode CJK font, DOCX
via python-docx, OFD as the GB/T 33190 zip layout), so nothing binary lives in the repo.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest

from watcher.errors import ExtractError, UnsafeInputError
from watcher.ingest.attachments import (
    CELL_SEPARATOR,
    PAGE_BREAK,
    UNSUPPORTED_OLE,
    AttachmentText,
    body_is_only_attachment,
    text_from_bytes,
    text_from_file,
)
from watcher.models import Attachment

# --------------------------------------------------------------------------- fixture builders


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF whose Type0 font maps each CID to the Unicode code point (ToUnicode CMap)."""
    chars = sorted({c for page in pages for line in page for c in line})
    bfchar = "\n".join(f"<{ord(c):04X}> <{ord(c):04X}>" for c in chars)
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Test-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n{bfchar}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: bytes = b"") -> bytes:
        return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    tounicode = add(stream(cmap))
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /TestSong /Flags 4 /FontBBox [0 -120 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
    )
    cidfont = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestSong /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 >>" % descriptor
    )
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /TestSong /Encoding /Identity-H "
        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (cidfont, tounicode)
    )
    kids = []
    for page in pages:
        ops = [b"BT /F1 12 Tf 14 TL 50 800 Td"]
        for line in page:
            ops.append(b"<" + "".join(f"{ord(c):04X}" for c in line).encode() + b"> Tj T*")
        ops.append(b"ET")
        content = add(stream(b"\n".join(ops)))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_obj, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "重庆市教育委员会文件（页眉）"
    document.sections[0].footer.paragraphs[0].text = "— 1 —"
    document.add_paragraph("关于印发《示例实施方案》的通知")
    document.add_paragraph("一、总体要求")
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([("序号", "指标", "2027年"), ("1", "普惠性幼儿园覆盖率", "92%")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("二、重点任务")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def replace_in_zip(data: bytes, name: str, new: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        entries = {n: src.read(n) for n in src.namelist()}
    entries[name] = new
    return make_zip(entries)


OFD_NS = "http://www.ofdspec.org/2016"


def make_ofd(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """An OFD package: OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml with TextCode."""
    entries = {
        "OFD.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>x</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        ).encode(),
    }
    page_refs = "".join(
        f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
    )
    entries["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
        "<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
        f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>"
    ).encode()
    for i, objects in enumerate(pages):
        # objects are deliberately stored out of reading order; the reader sorts by position
        body = "".join(
            f'<ofd:TextObject ID="{i * 100 + j}" Boundary="{x} {y} 150 6" Font="1" Size="5.6">'
            f'<ofd:TextCode X="0" Y="4.5" DeltaX="g {len(text) - 1} 5.6">{text}</ofd:TextCode></ofd:TextObject>'
            for j, (x, y, text) in enumerate(reversed(objects))
        )
        entries[f"Doc_0/Pages/Page_{i}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="{i + 50}">{body}</ofd:Layer></ofd:Content></ofd:Page>'
        ).encode()
    return make_zip(entries)


# --------------------------------------------------------------------------- PDF


def test_pdf_text_keeps_page_boundaries_as_form_feeds() -> None:
    data = make_pdf(
        [
            ["一、总体要求", "到2027年，教育强国建设取得重要阶段性成效。"],
            ["二、重点任务", "（一）加强思想政治教育。"],
        ]
    )
    result = text_from_bytes(data, "pdf", name="纲要.pdf")
    assert result.kind == "pdf" and result.supported and result.pages == 2
    first, second = result.text.split(PAGE_BREAK)
    assert "总体要求" in first and "阶段性成效" in first
    assert "重点任务" in second and "加强思想政治教育" in second
    assert result.reason is None


def test_pdf_without_text_layer_says_it_needs_ocr() -> None:
    result = text_from_bytes(make_pdf([[], []]), ".PDF")
    assert result.supported and result.text.strip() == ""
    assert result.reason and "扫描件" in result.reason


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.7\nthis is not a pdf at all", b"%PDF-", b"\x00\x01garbage", b""],
    ids=["garbage-after-header", "header-only", "binary-junk", "empty"],
)
def test_broken_pdf_is_a_clear_extract_error(data: bytes) -> None:
    with pytest.raises(ExtractError) as info:
        text_from_bytes(data, "pdf", name="坏文件.pdf")
    assert "坏文件.pdf" in str(info.value)


def test_truncated_pdf_is_extract_error_or_partial_text() -> None:
    data = make_pdf([["第一页文字"], ["第二页文字"]])
    try:
        result = text_from_bytes(data[: len(data) // 2], "pdf")
    except ExtractError:
        return
    assert isinstance(result, AttachmentText)


def test_html_error_page_behind_a_pdf_link_is_rejected() -> None:
    page = "<html><head><title>521</title></head><body>访问被拦截</body></html>".encode()
    with pytest.raises(ExtractError, match="网页"):
        text_from_bytes(page, "pdf", name="附件.pdf")


def test_mislabelled_extension_is_read_by_content() -> None:
    data = make_pdf([["实际上是PDF"]])
    result = text_from_bytes(data, "docx")
    assert result.kind == "pdf" and "实际上是PDF" in result.text


# --------------------------------------------------------------------------- DOCX


def test_docx_paragraphs_and_table_rows_in_order_without_header_footer() -> None:
    result = text_from_bytes(make_docx(), "docx", name="方案.docx")
    lines = result.text.split("\n")
    assert result.kind == "docx" and result.supported
    assert lines[0] == "关于印发《示例实施方案》的通知"
    assert lines.index("一、总体要求") < lines.index(
        CELL_SEPARATOR.join(["序号", "指标", "2027年"])
    )
    assert CELL_SEPARATOR.join(["1", "普惠性幼儿园覆盖率", "92%"]) in lines
    assert lines[-1] == "二、重点任务"
    assert "页眉" not in result.text and "— 1 —" not in result.text


def test_docx_tracked_insertions_kept_and_deletions_dropped() -> None:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    base = make_docx()
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        xml = zf.read("word/document.xml").decode()
    para = (
        f'<w:p xmlns:w="{w}"><w:r><w:t>到2027年覆盖率达到</w:t></w:r>'
        '<w:del w:id="1" w:author="a" w:date="2025-01-01T00:00:00Z"><w:r><w:delText>85%</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a" w:date="2025-01-01T00:00:00Z"><w:r><w:t>92%</w:t></w:r></w:ins></w:p>'
    )
    xml = xml.replace("<w:sectPr", para.replace(f' xmlns:w="{w}"', "") + "<w:sectPr", 1)
    result = text_from_bytes(replace_in_zip(base, "word/document.xml", xml.encode()), "docx")
    assert "到2027年覆盖率达到92%" in result.text.split("\n")
    assert "85%" not in result.text


def test_docx_with_entity_declaration_is_rejected_before_python_docx() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = replace_in_zip(make_docx(), "word/document.xml", bomb)
    with pytest.raises(UnsafeInputError, match="实体"):
        text_from_bytes(data, "docx")


def test_corrupt_docx_is_extract_error() -> None:
    data = make_docx()
    with pytest.raises(ExtractError):
        text_from_bytes(data[:300], "docx", name="坏.docx")
    # a valid zip that is not a Word package
    with pytest.raises(ExtractError):
        text_from_bytes(make_zip({"word/document.xml": b"<not-closed"}), "docx")


# --------------------------------------------------------------------------- zip guard


def test_zip_bomb_entry_with_absurd_ratio_is_rejected() -> None:
    bomb = make_zip(
        {"word/document.xml": b"<a/>", "word/media/huge.bin": b"\0" * (3 * 1024 * 1024)}
    )
    with pytest.raises(UnsafeInputError, match="压缩"):
        text_from_bytes(bomb, "docx")


def test_zip_with_too_many_entries_is_rejected() -> None:
    many = make_zip(
        {f"x/{i}.xml": b"<a/>" for i in range(5001)} | {"OFD.xml": b"<a/>"}, zipfile.ZIP_STORED
    )
    with pytest.raises(UnsafeInputError, match="条目"):
        text_from_bytes(many, "ofd")


@pytest.mark.parametrize(
    "evil", ["../../etc/cron.d/x", "/etc/passwd", "Doc_0/../../x.xml", "C:/win.ini"]
)
def test_zip_path_traversal_is_rejected(evil: str) -> None:
    data = make_zip({"OFD.xml": b"<a/>", evil: b"x"})
    with pytest.raises(UnsafeInputError, match="路径"):
        text_from_bytes(data, "ofd")


# --------------------------------------------------------------------------- OFD


def test_ofd_pages_and_lines_in_reading_order() -> None:
    data = make_ofd(
        [
            [
                (25, 30, "重庆市教育委员会"),
                (25, 40, "关于印发《示例方案》的通知"),
                (80, 40, "（试行）"),
            ],
            [(25, 30, "一、总体要求"), (25, 37, "坚持立德树人。")],
        ]
    )
    result = text_from_bytes(data, "ofd", name="通知.ofd")
    assert result.kind == "ofd" and result.pages == 2
    first, second = result.text.split(PAGE_BREAK)
    assert first.split("\n") == ["重庆市教育委员会", "关于印发《示例方案》的通知（试行）"]
    assert second.split("\n") == ["一、总体要求", "坚持立德树人。"]


def test_ofd_with_xml_entities_is_rejected() -> None:
    data = make_ofd([[(25, 30, "正文")]])
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><ofd:OFD xmlns:ofd="x">&e;</ofd:OFD>'
    with pytest.raises(UnsafeInputError):
        text_from_bytes(replace_in_zip(data, "OFD.xml", evil), "ofd")


def test_ofd_missing_parts_is_extract_error() -> None:
    with pytest.raises(ExtractError, match=r"DocRoot|缺少"):
        text_from_bytes(make_zip({"OFD.xml": b"<OFD><DocBody/></OFD>"}), "ofd")


# --------------------------------------------------------------------------- other formats


@pytest.mark.parametrize("ext", ["doc", ".wps", "DOC"])
def test_ole_word_formats_are_unsupported_with_advice(ext: str) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    result = text_from_bytes(ole, ext)
    assert not result.supported and result.text == ""
    assert result.reason == UNSUPPORTED_OLE


def test_unknown_format_is_unsupported_not_an_error() -> None:
    result = text_from_bytes(b"Rar!\x1a\x07\x00", "rar")
    assert not result.supported and result.reason and ".rar" in result.reason


TEXT = "重庆市教育委员会关于做好2025年职业教育工作的通知\n各区县教委：现将有关事项通知如下。"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), TEXT),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), TEXT),
        (TEXT.encode("gb18030"), TEXT),
        (
            "重慶市教育委員會關於做好職業教育工作的通知".encode("big5"),
            "重慶市教育委員會關於做好職業教育工作的通知",
        ),
    ],
    ids=["utf8", "utf8-bom", "gbk", "big5"],
)
def test_txt_decoding(data: bytes, expected: str) -> None:
    assert text_from_bytes(data, "txt").text == expected


def test_html_attachment_yields_its_text() -> None:
    html = (
        '<html><head><meta charset="gbk"><title>通知</title></head><body>'
        "<div class='content'><p>一、总体要求</p><p>坚持以习近平新时代中国特色社会主义思想为指导，"
        "全面贯彻党的教育方针，落实立德树人根本任务，加快建设教育强市。</p></div></body></html>"
    ).encode("gb18030")
    result = text_from_bytes(html, "htm")
    assert result.kind == "html"
    assert "落实立德树人根本任务" in result.text


def test_size_limit() -> None:
    with pytest.raises(ExtractError, match="太大"):
        text_from_bytes(b"x" * 2048, "txt", name="大文件.txt", max_bytes=1024)


def test_text_from_file(tmp_path: Path) -> None:
    path = tmp_path / "方案.docx"
    path.write_bytes(make_docx())
    assert "二、重点任务" in text_from_file(path).text
    with pytest.raises(ExtractError, match="找不到文件"):
        text_from_file(tmp_path / "missing.pdf")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 4096)
    with pytest.raises(ExtractError, match="太大"):
        text_from_file(big, max_bytes=1024)


# --------------------------------------------------------------------------- body is only a link

PDF_ATT = (
    Attachment(
        url="https://www.gsdrc.gov.cn/P020250301.pdf",
        name="甘肃省加快构建现代化产业体系实施方案.pdf",
        ext="pdf",
    ),
)
DOCX_ATT = (
    Attachment(
        url="./202407/W020240701.docx", name="附件1：渝中区协同育人实验区建设方案", ext="docx"
    ),
)


@pytest.mark.parametrize(
    ("text", "attachments", "expected"),
    [
        ("附件：甘肃省加快构建现代化产业体系实施方案.pdf", PDF_ATT, True),
        ("详见附件。\n\n附件下载：P020250301.pdf", PDF_ATT, True),
        (
            "现将《甘肃省加快构建现代化产业体系实施方案》印发给你们，请认真贯彻执行。\n附件：甘肃省加快构建现代化产业体系实施方案.pdf",
            PDF_ATT,
            True,
        ),
        ("", DOCX_ATT, True),
        ("附件1：渝中区协同育人实验区建设方案", DOCX_ATT, True),
        # a real body that merely has an attachment
        (
            "为深入贯彻党的二十大报告中关于健全学校家庭社会育人机制的决策部署，根据有关规定，结合我区实际，"
            "制定如下建设方案。一、总体要求。坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针。\n"
            "附件1：渝中区协同育人实验区建设方案",
            DOCX_ATT,
            False,
        ),
        ("附件：甘肃省加快构建现代化产业体系实施方案.pdf", (), False),
    ],
)
def test_body_is_only_attachment(
    text: str, attachments: tuple[Attachment, ...], expected: bool
) -> None:
    assert body_is_only_attachment(text, attachments) is expected
