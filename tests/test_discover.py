"""Link discovery on real and hand-built list pages: TRS HTML, gov.cn JSON, Chongqing JSONP,
Jiangxi inline JSON, MOE was5 fragments; pagination, dates, lenient JSON and take_new."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from watcher.config import ListSpec
from watcher.errors import ExtractError
from watcher.ingest.discover import (
    find_links,
    list_page_urls,
    parse_lenient_json,
    take_new,
)
from watcher.models import Link

FIXTURES = Path(__file__).parent / "fixtures" / "discover"


def spec(url: str = "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/", **kw: Any) -> ListSpec:
    if kw.get("type", "html") in ("html", "was5"):
        kw.setdefault("item", "a")
    return ListSpec(url=url, **kw)


# --------------------------------------------------------------------------- pagination


@pytest.mark.parametrize(
    ("url", "pages", "expected"),
    [
        (
            "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/",
            3,
            [
                "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/",
                "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/index_1.html",
                "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/index_2.html",
            ],
        ),
        (
            "http://www.hc.gov.cn/xxgk/gggs/index.html",
            2,
            [
                "http://www.hc.gov.cn/xxgk/gggs/index.html",
                "http://www.hc.gov.cn/xxgk/gggs/index_1.html",
            ],
        ),
        (
            "https://www.mee.gov.cn/zcwj/index.shtml",
            2,
            [
                "https://www.mee.gov.cn/zcwj/index.shtml",
                "https://www.mee.gov.cn/zcwj/index_1.shtml",
            ],
        ),
        (
            "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&sort=pubtime&p=1&n=20",
            2,
            [
                "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&sort=pubtime&p=1&n=20",
                "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&sort=pubtime&p=2&n=20",
            ],
        ),
        (
            "http://www.moe.gov.cn/was5/web/search?channelid=254874&chnlid=5744&page=1",
            2,
            [
                "http://www.moe.gov.cn/was5/web/search?channelid=254874&chnlid=5744&page=1",
                "http://www.moe.gov.cn/was5/web/search?channelid=254874&chnlid=5744&page=2",
            ],
        ),
        (
            "http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/myjson.json",
            3,
            ["http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/myjson.json"],
        ),
        (
            "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/",
            1,
            ["https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/"],
        ),
    ],
)
def test_list_page_urls(url: str, pages: int, expected: list[str]) -> None:
    assert list_page_urls(spec(url, pages=pages)) == expected


# --------------------------------------------------------------------------- real sample pages


def test_jiangxi_inline_article_list_sample() -> None:
    page_url = "http://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/index.html"
    body = (FIXTURES / "04_jiangxi_ucap_list.html").read_text(encoding="utf-8")
    s = spec(
        page_url,
        type="inline_json",
        inline_key="articleList",
        url_field="urls.pc",
        date_field="pubDate",
    )
    links = find_links(s, body, page_url)
    assert len(links) == 50
    first = links[0]
    assert (
        first.url
        == "http://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/content/content_1951206363677671424.html"
    )
    assert first.title == "《江西省生态环境分类执法监管办法》政策解读"
    assert first.date == "2025-07-29"
    assert first.meta["contentSource"] == "生态环境执法局(生态环境厅)"
    assert all(
        link.url.startswith("http://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/content/")
        for link in links
    )
    assert all(link.date and link.title for link in links)
    # the JSON-in-string urls object also works without naming its "pc" key
    assert (
        find_links(
            spec(page_url, type="inline_json", inline_key="articleList", url_field="urls"),
            body,
            page_url,
        )[0].url
        == first.url
    )


@pytest.mark.parametrize(
    "kw",
    [
        {"row": "div.szbmtclb tr", "item": "a"},  # row selector, date found in the row
        {"item": "a[title]", "date": "td:nth-of-type(4)"},  # item + date selector
        {"item": "a", "link_pattern": r"/t\d{8}_\d+\.html$"},  # generic <a> kept by pattern
    ],
)
def test_handan_trs_table_sample(kw: dict[str, str]) -> None:
    page_url = "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/index.html"
    body = (FIXTURES / "07_handan_trs_list.html").read_text(encoding="utf-8")
    links = find_links(spec(page_url, **kw), body, page_url)
    assert links == [
        Link(
            url="http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200805_1353179.html",
            title="邯郸市教育局关于印发《邯郸市学校安全工作目标管理考核办法》的通知",
            date="2020-08-05",
        )
    ]


# --------------------------------------------------------------------------- hand-written endpoints

ZCWJK = """<html><body><div class="nav"><a href="/">首页</a><a href="javascript:void(0)">打印</a>
<a href="mailto:jw@cq.gov.cn">联系我们</a><a href="#top">返回顶部</a></div>
<div class="zcwjk-list">
  <div class="zcwjk-list-c clearfix cur">
    <p class="tit"><a href="./202502/t20250228_14353175.html" target="_blank"
       title="重庆市教育委员会关于印发《重庆市教育强市建设规划（2024—2035年）》的通知">重庆市教育委员会关于印发《重庆市教育强市…</a></p>
    <p class="info"><span class="zh">渝教发〔2025〕3号</span><span class="time">成文日期：2025年02月28日</span></p>
  </div>
  <div class="zcwjk-list-c clearfix">
    <p class="tit"><a href="../qtwj/202412/t20241230_14100001.html#p1" target="_blank">关于做好2025年职业教育工作的通知</a></p>
    <p class="info"><span class="zh">渝教职成〔2024〕12号</span><span class="time">成文日期：2024年12月30日</span></p>
  </div>
  <div class="zcwjk-list-c clearfix">
    <p class="tit"><a href="./202502/t20250228_14353175.html" target="_blank">重复出现的同一文件</a></p>
    <p class="info"><span class="time">[2025-02-28]</span></p>
  </div>
  <div class="zcwjk-list-c clearfix">
    <p class="tit"><a href="./P020250228123456789.pdf">附件：解读图</a></p>
  </div>
</div></body></html>"""


@pytest.mark.parametrize("date_selector", ["span.time", None])
def test_chongqing_zcwjk_list(date_selector: str | None) -> None:
    page_url = "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/gfxwj/index.html"
    s = spec(
        page_url,
        row="div.zcwjk-list-c",
        item="p.tit a",
        date=date_selector,
        link_pattern=r"/t\d{8}_\d+\.html$",
    )
    links = find_links(s, ZCWJK, page_url)
    assert [(x.url, x.date) for x in links] == [
        (
            "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/gfxwj/202502/t20250228_14353175.html",
            "2025-02-28",
        ),
        (
            "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/202412/t20241230_14100001.html",
            "2024-12-30",
        ),
    ]
    # the title attribute beats the truncated link text
    assert (
        links[0].title == "重庆市教育委员会关于印发《重庆市教育强市建设规划（2024—2035年）》的通知"
    )
    assert links[1].title == "关于做好2025年职业教育工作的通知"


def test_generic_anchor_selector_drops_script_mail_and_fragment_links() -> None:
    page_url = "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/gfxwj/index.html"
    urls = [x.url for x in find_links(spec(page_url, item="a"), ZCWJK, page_url)]
    assert urls == [
        "https://jw.cq.gov.cn/",
        "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/gfxwj/202502/t20250228_14353175.html",
        "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/qtwj/202412/t20241230_14100001.html",
        "https://jw.cq.gov.cn/zwgk/zfxxgkml/zcwj/gfxwj/P020250228123456789.pdf",
    ]


GOV_JSON = """{"code":200,"searchVO":{"totalCount":2,"listVO":[
 {"title":"国务院关于印发《<em>教育</em>强国建设规划纲要（2024—2035年）》的通知","url":"https://www.gov.cn/zhengce/content/202501/content_6999001.htm",
  "pcode":"国发〔2025〕1号","pubtimeStr":"2025.01.19","puborg":"国务院","summary":"为贯彻落实党的二十大…"},
 {"title":"关于深化现代职业<em>教育</em>体系建设改革的意见","url":"https://www.gov.cn/zhengce/2022-12/21/content_5732986.htm",
  "pcode":"","pubtimeStr":"2022.12.21","puborg":"中共中央办公厅 国务院办公厅"}
]}}"""


def test_gov_cn_policy_library_json() -> None:
    page_url = "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&p=1&n=20"
    s = spec(page_url, type="json", json_path="searchVO.listVO", date_field="pubtimeStr")
    links = find_links(s, GOV_JSON, page_url)
    assert [x.title for x in links] == [
        "国务院关于印发《教育强国建设规划纲要（2024—2035年）》的通知",
        "关于深化现代职业教育体系建设改革的意见",
    ]
    assert [x.date for x in links] == ["2025-01-19", "2022-12-21"]
    assert links[0].meta["pcode"] == "国发〔2025〕1号" and "title" not in links[0].meta


CQWS_JSONP = """myjson({'total': 3, 'datas': [
  {'title': '巫山县关于\\'十五五\\'教育规划的解读', 'url': './202505/t20250520_14400001.html', 'time': '2025-05-20'},
  {'title': '图解："双减"工作方案', 'url': 'http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/202504/t20250401_14300002.html', 'time': '2025年4月1日',},
  {'title': '无链接', 'url': '', 'time': ''},
]});"""


def test_chongqing_single_quoted_jsonp() -> None:
    page_url = "http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/myjson.json?myjson=myjson&_=1700000000"
    s = spec(page_url, type="jsonp", json_path="datas", date_field="time")
    links = find_links(s, CQWS_JSONP, page_url)
    assert [(x.url, x.title, x.date) for x in links] == [
        (
            "http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/202505/t20250520_14400001.html",
            "巫山县关于'十五五'教育规划的解读",
            "2025-05-20",
        ),
        (
            "http://www.cqws.gov.cn/zwgk_258/zfxxgkml_154818/zcjd_1/202504/t20250401_14300002.html",
            '图解："双减"工作方案',
            "2025-04-01",
        ),
    ]


MOE_WAS5 = """<li><a href="/srcsite/A07/moe_737/s3876_qt/202502/t20250210_1178001.html" target="_blank" title="教育部办公厅关于做好2025年职业教育招生工作的通知">教育部办公厅关于做好2025年职业教育招生…</a><span>2025-02-10</span></li>
<li><a href="../../jyb_xwfb/gzdt_gzdt/s5987/202502/t20250207_1177900.html" target="_blank">教育部召开2025年职业教育工作会议</a><span>2025-02-07</span></li>
<li><a href="https://www.gov.cn/zhengce/content/202501/content_6999001.htm" target="_blank">中共中央 国务院印发《教育强国建设规划纲要（2024—2035年）》</a><span>2025-01-19</span></li>
<li><a href="javascript:void(0)" onclick="getWasRecord(5744,254874,2)">下一页</a></li>"""


@pytest.mark.parametrize("date_selector", ["span", None])
def test_moe_was5_fragments(date_selector: str | None) -> None:
    page_url = "http://www.moe.gov.cn/was5/web/search?channelid=254874&chnlid=5744&page=1"
    links = find_links(
        spec(page_url, type="was5", item="li a", date=date_selector), MOE_WAS5, page_url
    )
    assert [(x.url, x.date) for x in links] == [
        (
            "http://www.moe.gov.cn/srcsite/A07/moe_737/s3876_qt/202502/t20250210_1178001.html",
            "2025-02-10",
        ),
        (
            "http://www.moe.gov.cn/jyb_xwfb/gzdt_gzdt/s5987/202502/t20250207_1177900.html",
            "2025-02-07",
        ),
        ("https://www.gov.cn/zhengce/content/202501/content_6999001.htm", "2025-01-19"),
    ]
    assert links[0].title == "教育部办公厅关于做好2025年职业教育招生工作的通知"


INLINE_JS = """<html><head><base href="/jyj/"></head><body><script>
  // list data written by the CMS
  var pageSize = 15;
  var articleList = [
    {title: '关于公布2025年市级<em>高水平</em>专业群名单的通知', pubDate: '2025-03-01 09:30', urls: "{\\"pc\\":\\"/jyj/col/col1/content/content_1.html\\"}"},
    {title: "招生简章", pubDate: 1740787200000, urls: "{\\"pc\\":\\"col/col1/content/content_2.html\\"}", hits: undefined,},
  ];
</script></body></html>"""


def test_inline_js_array_with_assignment_and_js_literals() -> None:
    page_url = "https://jyj.example.gov.cn/jyj/col/col1/index.html"
    s = spec(
        page_url,
        type="inline_json",
        inline_key="articleList",
        url_field="urls.pc",
        date_field="pubDate",
    )
    links = find_links(s, INLINE_JS, page_url)
    assert [(x.url, x.title, x.date) for x in links] == [
        (
            "https://jyj.example.gov.cn/jyj/col/col1/content/content_1.html",
            "关于公布2025年市级高水平专业群名单的通知",
            "2025-03-01",
        ),
        (
            "https://jyj.example.gov.cn/jyj/col/col1/content/content_2.html",
            "招生简章",
            "2025-03-01",
        ),
    ]


def test_missing_or_broken_list_yields_no_links() -> None:
    page_url = "https://jyj.example.gov.cn/jyj/col/col1/index.html"
    assert (
        find_links(
            spec(page_url, type="inline_json", inline_key="articleList"),
            "<html>暂无</html>",
            page_url,
        )
        == []
    )
    assert (
        find_links(
            spec(page_url, type="json", json_path="searchVO.listVO"), '{"searchVO": {}}', page_url
        )
        == []
    )
    with pytest.raises(ExtractError, match="不是 JSON"):
        find_links(spec(page_url, type="json", json_path="a"), "<html>系统繁忙</html>", page_url)


# --------------------------------------------------------------------------- dates and lenient JSON


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        (
            "{'a': 'it\\'s', b: \"x'y\", c: [1, 2,], d: undefined, e: true}",
            {"a": "it's", "b": "x'y", "c": [1, 2], "d": None, "e": True},
        ),
        ("/* c */ [ {k: 'v'}, // tail\n ]", [{"k": "v"}]),
        ("{'q': 'say \"hi\"'}", {"q": 'say "hi"'}),
    ],
)
def test_parse_lenient_json(text: str, expected: object) -> None:
    assert parse_lenient_json(text) == expected


# --------------------------------------------------------------------------- take_new

LIST = [Link(url=f"https://jw.cq.gov.cn/a/t2025030{i}_{i}.html") for i in range(1, 7)]


@pytest.mark.parametrize(
    ("known", "kw", "expected"),
    [
        (set(), {}, [1, 2, 3, 4, 5, 6]),
        ({3, 4, 5, 6}, {}, [1, 2]),
        ({1, 4, 5, 6}, {}, []),  # a pinned old item on top stops at once…
        ({1, 4, 5, 6}, {"stop_after_known": 2}, [2, 3]),  # …unless two known in a row are required
        ({5, 6}, {"limit": 2}, [1, 2]),
    ],
)
def test_take_new(known: set[int], kw: dict[str, int], expected: list[int]) -> None:
    known_urls = {LIST[i - 1].url for i in known}
    got = take_new(LIST, known_urls.__contains__, **kw)
    assert got == [LIST[i - 1] for i in expected]
