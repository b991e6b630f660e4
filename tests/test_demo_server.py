"""The bundled demo sites over real HTTP: every list and page served, charsets, 304, editions, links."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup

from watcher.config import Config, ListSpec, Source
from watcher.demo.server import DEMO_HOSTS, SITES_DIR, DemoServer, demo_config

MANIFEST: list[dict[str, Any]] = json.loads(
    (SITES_DIR.parent / "manifest.json").read_text(encoding="utf-8")
)["documents"]
GUIHUA = "zwgk/zfxxgkml/zdmsxx/jy/zyzc/202502/t20250228_14353175.html"
SOURCE_OF_HOST = {
    "www.gov.cn": "gov-cn",
    "www.moe.gov.cn": "moe",
    "www.cq.gov.cn": "cq-gov",
    "jw.cq.gov.cn": "cq-jw",
    "www.cqyz.gov.cn": "cq-yuzhong",
    "www.hc.gov.cn": "cq-hechuan",
    "news.eol.cn": "eol",
}


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


@pytest.fixture(scope="module")
def cfg(demo: DemoServer) -> Config:
    return demo_config(demo.base_url)


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def _page_urls(spec: ListSpec) -> list[str]:
    """The list URL plus TRS pagination pages (index_1.html, …) when ``pages`` > 1."""
    urls = [spec.url]
    for n in range(1, spec.pages):
        urls.append(urljoin(spec.url, f"index_{n}.html"))
    return urls


def _links(spec: ListSpec, body: bytes, page_url: str) -> list[str]:
    """Article links on one list page, read with the same selectors as sources.yaml."""
    if spec.type == "json":
        data: Any = json.loads(body)
        for part in (spec.json_path or "").split("."):
            data = data[part]
        urls = [str(item[spec.url_field]) for item in data]
    else:
        soup = BeautifulSoup(body, "lxml")
        urls = [str(a.get("href")) for a in soup.select(spec.item or "a") if a.get("href")]
    urls = [urljoin(page_url, u) for u in urls]
    if spec.link_pattern:
        urls = [u for u in urls if re.search(spec.link_pattern, u)]
    return urls


def _all_links(cfg: Config, client: httpx.Client) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for src in cfg.sources:
        for spec in src.lists:
            for page in _page_urls(spec):
                r = client.get(page)
                assert r.status_code == 200, page
                found[page] = _links(spec, r.content, page)
    return found


def test_every_list_page_is_served_and_every_link_resolves(
    cfg: Config, client: httpx.Client, demo: DemoServer
) -> None:
    found = _all_links(cfg, client)
    assert all(found.values()), [p for p, links in found.items() if not links]
    reached = set()
    for page, links in found.items():
        for link in links:
            assert link.startswith(demo.base_url + "/"), (page, link)
            assert client.get(link).status_code == 200, (page, link)
            reached.add(link)
    # every demo document can be discovered from some list
    for doc in MANIFEST:
        assert demo.url(doc["host"], doc["path"]) in reached, doc["path"]


def test_link_pattern_drops_non_policy_links(cfg: Config, client: httpx.Client) -> None:
    spec = cfg.source("gov-cn").lists[1]
    body = client.get(spec.url).content
    raw = BeautifulSoup(body, "lxml").select(spec.item or "")
    assert len(_links(spec, body, spec.url)) == len(raw) - 1  # the /xinwen/ news link is dropped


@pytest.mark.parametrize("doc", MANIFEST, ids=[d["path"].rsplit("/", 1)[-1] for d in MANIFEST])
def test_every_detail_page_is_served_with_its_title(
    doc: dict[str, Any], demo: DemoServer, client: httpx.Client
) -> None:
    r = client.get(demo.url(doc["host"], doc["path"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    text = r.content.decode("gb18030" if doc["host"] == "www.cqyz.gov.cn" else "utf-8")
    assert doc["title"] in BeautifulSoup(text, "lxml").get_text()
    # real absolute links were pointed at the local server
    assert not re.search(r"https?://(" + "|".join(map(re.escape, DEMO_HOSTS)) + r")/", text)


def test_gbk_site_declares_charset_only_in_meta(demo: DemoServer, client: httpx.Client) -> None:
    r = client.get(demo.url("www.cqyz.gov.cn", "zwgk_229/zcwj/"))
    assert r.headers["content-type"] == "text/html"
    assert b'<meta charset="gb2312">' in r.content
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert "渝中府办〔2024〕13号" in r.content.decode("gb18030")
    doc = next(d for d in MANIFEST if d["host"] == "www.cqyz.gov.cn")
    page = client.get(demo.url(doc["host"], doc["path"])).content.decode("gb18030")
    assert "学校家庭社会协同育人" in page


def test_utf8_sites_send_their_charset_except_eol(demo: DemoServer, client: httpx.Client) -> None:
    assert (
        client.get(demo.url("www.gov.cn", "zhengce/zuixin/")).headers["content-type"]
        == "text/html; charset=utf-8"
    )
    eol = client.get(demo.url("news.eol.cn", "yaowen/"))
    assert eol.headers["content-type"] == "text/html"  # no charset: the fetcher must read <meta>
    assert "中国教育在线" in eol.content.decode("utf-8")
    js = client.get(demo.url("sousuo.www.gov.cn", "search-gov/data?t=zhengcelibrary_gw&p=1"))
    assert js.headers["content-type"] == "application/json; charset=utf-8"
    assert js.json()["searchVO"]["listVO"][0]["pubtimeStr"] == "2025.01.19"


def test_conditional_requests_get_304(demo: DemoServer, client: httpx.Client) -> None:
    url = demo.url("www.cq.gov.cn", GUIHUA)
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert (
        client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status_code
        == 200
    )


def test_counter_page_changes_on_every_request_without_validators(
    demo: DemoServer, client: httpx.Client
) -> None:
    doc = next(d for d in MANIFEST if d["host"] == "jw.cq.gov.cn" and d["dynamic"])
    url = demo.url(doc["host"], doc["path"])
    a, b = client.get(url), client.get(url)
    assert "etag" not in a.headers and "last-modified" not in a.headers
    assert a.content != b.content
    visits = [int(re.search(r"访问量：(\d+)", r.text).group(1)) for r in (a, b)]  # type: ignore[union-attr]
    assert visits[1] > visits[0]
    assert "{{" not in a.text
    # only the counter and the generation time differ
    strip = re.compile(r"访问量：\d+|页面生成时间[ ：][\d: -]+")
    assert strip.sub("", a.text) == strip.sub("", b.text)


def test_unknown_paths_are_404_and_directories_redirect(
    demo: DemoServer, client: httpx.Client
) -> None:
    for path in (
        "/www.gov.cn/nope.htm",
        "/example.com/",
        "/www.gov.cn/../../etc/passwd",
        "/" + "www.cq.gov.cn/" + GUIHUA.replace(".html", ".edition2.html"),
        "/",
    ):
        assert client.get(demo.base_url + path).status_code == 404, path
    r = client.get(demo.url("www.gov.cn", "zhengce/zuixin"))
    assert r.status_code == 301 and r.headers["location"] == "/www.gov.cn/zhengce/zuixin/"


def test_edition_switch_changes_exactly_the_second_edition_page() -> None:
    with DemoServer() as server, httpx.Client() as c:
        static = [d for d in MANIFEST if not d["dynamic"]]
        before = {d["path"]: c.get(server.url(d["host"], d["path"])) for d in static}
        server.set_edition(2)
        after = {d["path"]: c.get(server.url(d["host"], d["path"])) for d in static}
        changed = {p for p in before if before[p].content != after[p].content}
        assert changed == {GUIHUA}
        old, new = before[GUIHUA], after[GUIHUA]
        assert old.headers["etag"] != new.headers["etag"]
        assert "智慧教育平台应用覆盖率超过80%" in old.text and "覆盖率超过90%" in new.text
        assert "“双高”提质工程" in new.text and "“双高”提质工程" not in old.text
        # a client holding edition 1's validators now gets the new page, not a 304
        assert (
            c.get(
                server.url("www.cq.gov.cn", GUIHUA), headers={"If-None-Match": old.headers["etag"]}
            ).status_code
            == 200
        )
        server.set_edition(1)
        assert c.get(server.url("www.cq.gov.cn", GUIHUA)).content == old.content


def test_attachments_are_real_docx_files(demo: DemoServer, client: httpx.Client) -> None:
    doc = next(d for d in MANIFEST if d.get("attachments"))
    assert len(doc["attachments"]) == 2
    for path in doc["attachments"]:
        r = client.get(demo.url(doc["host"], path))
        assert r.status_code == 200
        assert r.headers["content-type"].endswith("wordprocessingml.document")
        xml = zipfile.ZipFile(io.BytesIO(r.content)).read("word/document.xml").decode("utf-8")
        assert "教联体" in xml
        assert "[bookmark:" not in xml


def test_demo_tree_stays_small() -> None:
    total = sum(p.stat().st_size for p in SITES_DIR.parent.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024


def test_discover_finds_the_same_links(cfg: Config, client: httpx.Client) -> None:
    discover = pytest.importorskip("watcher.ingest.discover")
    ours = _all_links(cfg, client)
    for src in cfg.sources:
        for spec in src.lists:
            for page in _page_urls(spec):
                r = client.get(page)
                got = {link.url for link in discover.find_links(spec, r.text, page)}
                assert got == set(ours[page]), page


# Expected extraction per page: title, doc_number, issuer, written_date, published_date.
# None means "must be absent" (an empty table cell must not borrow the next label); ... = not checked.
EXPECTED: dict[str, tuple[Any, Any, Any, Any, Any]] = {
    "zhengce/202501/content_6999913.htm": (
        "中共中央 国务院印发《教育强国建设规划纲要（2024—2035年）》",
        None,
        "中共中央 国务院",
        "2025-01-19",
        "2025-01-19",
    ),
    "zhengce/202501/content_6999914.htm": (
        "加快建设教育强国的纲领性文件——教育部负责人就《教育强国建设规划纲要（2024—2035年）》答记者问",
        None,
        ...,
        ...,
        "2025-01-19",
    ),
    "zhengce/zhengceku/202502/content_7003415.htm": (
        "教育部 财政部关于实施中国特色高水平高职学校和专业建设计划（2025—2029年）的通知",
        "教职成〔2025〕2号",
        "教育部 财政部",
        "2025-02-08",
        "2025-02-12",
    ),
    "srcsite/A07/zcs_zhgg/202502/t20250212_1178920.html": (
        "教育部 财政部关于实施中国特色高水平高职学校和专业建设计划（2025—2029年）的通知",
        "教职成〔2025〕2号",
        "教育部 财政部",
        ...,
        ...,
    ),  # MOE only shows 生成日期
    "jyb_xwfb/s6192/s133/s186/202412/t20241220_1168010.html": (
        "青海省以“四力”推动职业教育高质量发展",
        None,
        ...,
        None,
        "2024-12-20",
    ),
    GUIHUA: (
        "市委 市政府印发《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》",
        None,
        None,
        "2025-02-28",
        "2025-02-28",
    ),
    "zwgk/zfxxgkml/zdmsxx/jy/zcjd/202503/t20250303_14362208.html": (
        "市教委负责人解读《重庆加快建设教育强市推进教育现代化规划（2024—2035年）》",
        None,
        "重庆市教育委员会",
        "2025-03-03",
        "2025-03-03",
    ),
    "zwgk/zfxxgkml/zcwj/gfxwj/202503/t20250305_14381104.html": (
        "职业教育提质领跑行动方案（2025—2027年）",
        "渝教发〔2025〕4号",
        "重庆市教育委员会",
        "2025-03-04",
        "2025-03-05",
    ),
    "zwgk/zfxxgkml/zcwj/qtwj/202503/t20250305_14381101.html": (
        "立德树人固本铸魂行动方案（2025—2027年）",
        "渝教发〔2025〕1号",
        "重庆市教育委员会",
        "2025-03-04",
        "2025-03-05",
    ),
    "zwgk_229/zcwj/qtwj/202406/t20240606_13301745.html": (
        "重庆市渝中区人民政府办公室关于印发《重庆市渝中区全国学校家庭社会协同育人实验区建设实施方案》的通知",
        "渝中府办〔2024〕13号",
        "渝中区政府办公室",
        "2024-05-21",
        "2024-06-06",
    ),
    "bmjd/bm_100486/qjw/tzgg/202507/t20250708_14689552.html": (
        "重庆市合川区教育委员会关于征集合川区家校社协同育人“教联体”建设成果案例的通知",
        None,
        "重庆市合川区教育委员会",
        "2025-07-07",
        "2025-07-08",
    ),
    "yaowen/202503/t20250306_2658990.shtml": (
        "重庆印发教育现代化八项行动方案 职业教育提质领跑",
        None,
        ...,
        None,
        ...,
    ),
}
_BY_PATH = {d["path"]: d for d in MANIFEST}


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: p.rsplit("/", 1)[-1])
def test_extract_reads_title_and_metadata(
    path: str, cfg: Config, demo: DemoServer, client: httpx.Client
) -> None:
    extract_mod = pytest.importorskip("watcher.ingest.extract")
    doc = _BY_PATH[path]
    url = demo.url(doc["host"], path)
    source: Source = cfg.source(SOURCE_OF_HOST[doc["host"]])
    article = extract_mod.extract(client.get(url).content, url, rules=source.detail)
    title, number, issuer, written, published = EXPECTED[path]
    assert article.title == title
    for key, want in (
        ("doc_number", number),
        ("issuer", issuer),
        ("written_date", written),
        ("published_date", published),
    ):
        if want is ...:
            continue
        assert article.meta.get(key) == want, (key, dict(article.meta))
    assert len(article.text) > 200 or doc["host"] == "www.hc.gov.cn" or "八项" in title
    for furniture in ("扫一扫在手机打开当前页", "{{", "访问量"):
        assert furniture not in article.text


def test_extract_finds_the_docx_attachments(
    cfg: Config, demo: DemoServer, client: httpx.Client
) -> None:
    extract_mod = pytest.importorskip("watcher.ingest.extract")
    doc = next(d for d in MANIFEST if d.get("attachments"))
    url = demo.url(doc["host"], doc["path"])
    article = extract_mod.extract(
        client.get(url).content, url, rules=cfg.source(SOURCE_OF_HOST[doc["host"]]).detail
    )
    assert {a.url for a in article.attachments} == {
        demo.url(doc["host"], p) for p in doc["attachments"]
    }
    assert {a.ext for a in article.attachments} == {"docx"}


def test_manifest_lists_every_detail_file() -> None:
    """Every served page in the tree is either a list page, a home page or a manifest document."""
    docs = {(d["host"], d["path"]) for d in MANIFEST}
    for f in SITES_DIR.rglob("*"):
        if f.suffix not in (".html", ".htm", ".shtml") or ".edition" in f.name:
            continue
        rel = f.relative_to(SITES_DIR)
        host, path = rel.parts[0], "/".join(rel.parts[1:])
        if f.name.startswith("index") or path.startswith("was5/"):
            continue
        assert (host, path) in docs, rel
