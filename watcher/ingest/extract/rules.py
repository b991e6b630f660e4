"""Extraction heuristics as data: CMS templates, metadata label variants and page furniture.

Nothing here runs; ``watcher.extract`` and its helpers read these tables. Each template names the
selectors that recognise a government CMS (gov.cn, Chongqing TRS, MOE, Hanweb), where its title
and body live and what to cut out of the body. Label variants map the irregular labels of
metadata tables (after spaces and U+3000 are removed) to ``models.META_KEYS``. Furniture lists
are the print/share/QR/counter fragments that must never reach the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ATTACHMENT_AREAS",
    "ATTACHMENT_EXTS",
    "ATTACHMENT_HEADED_MAX_LINKS",
    "ATTACHMENT_HEADINGS",
    "BLOCK_TAGS",
    "COMMENT_CLASS",
    "COMMON_BODY",
    "COMMON_BODY_MIN_CHARS",
    "DATE_CLASS",
    "DATE_CLASS_MAX_CHARS",
    "DATE_KEYS",
    "DROP_TAGS",
    "EMPTY_VALUES",
    "FURNITURE_CLASS",
    "FURNITURE_LINE",
    "FURNITURE_LINE_MAX",
    "FURNITURE_MAX_CHARS",
    "FURNITURE_TOKENS",
    "INLINE_LABEL",
    "LABELS",
    "META_LINE_MAX",
    "META_TAG_DATES",
    "META_TAG_TITLES",
    "NOT_PUBLICATION",
    "POPUP_LINE",
    "TEMPLATES",
    "TITLE_INFO",
    "TITLE_LABELS",
    "TITLE_SEPARATORS",
    "TITLE_STUBS",
    "Template",
]

# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class Template:
    """A known CMS detail-page layout. Selectors are CSS; lists are tried in order."""

    name: str
    detect: tuple[str, ...]  # any match means the page uses this template
    body: tuple[str, ...]  # first non-empty match is the body
    inner: tuple[str, ...] = ()  # inside that body, prefer the first match of these
    title: tuple[str, ...] = ()
    meta: tuple[str, ...] = ()  # regions holding label/value metadata
    remove: tuple[str, ...] = ()  # cut from the body before reading its text
    comment_body: tuple[str, str] | None = None  # body between two HTML comments (Hanweb)


_TRS_INNER = (
    ".trs_editor_view",
    ".TRS_UEDITOR",
    ".trs_paper_default",
    ".TRS_Editor",
    ".view",
    ".Section1",
    ".Content",
)

TEMPLATES: tuple[Template, ...] = (
    # Chongqing municipal, bureaus and districts: one TRS template family.
    Template(
        name="cq-trs",
        detect=(
            "table.zwxl-table",
            "div.zwxl-article",
            "div.zcwjk-xlcon",
            "div.zwxl-main",
            "div.gfxwj-content",
            "div.zcwjk-con",
        ),
        body=(
            "div.zwxl-article",
            "div.zcwjk-xlcon",
            "div.gfxwj-content",
            "div.zcwjk-con",
            "div.zwxl-main",
            "div.zwxl-content",
        ),
        inner=_TRS_INNER,
        title=(
            "div.zwxl-title h1",
            ".zwxl-title",
            "div.zcwjk-xlcon h1",
            "div.zwxl-main h1",
            "h1.tit",
            ".article-title",
        ),
        meta=("table.zwxl-table", "table.a11", ".zw-table", ".zwxl-head", "table.gkxl-top"),
        remove=(
            "table.zwxl-table",
            ".zwxl-head",
            "canvas",
            "a[href='#']",
            ".zwxl-bar",
            ".ewm",
            ".zwxl-share",
            ".zwxl-tool",
        ),
    ),
    # www.gov.cn, current template (div.TRS_UEDITOR, div.share-title, meta firstpublishedtime)
    # and the 2016–2022 one (table.bd1 + td#UCAP-CONTENT).
    Template(
        name="gov.cn",
        detect=(
            "table.bd1",
            "div.share-title",
            "meta[name=firstpublishedtime]",
            "#UCAP-CONTENT",
            "div.pages_content",
        ),
        body=("#UCAP-CONTENT", "div.TRS_UEDITOR", "div.pages_content", "#zoom"),
        title=("div.share-title", "div.article h1", "div.pages-title", "h1#ti"),
        meta=("table.bd1",),
        remove=("#pagination", ".jiedu-blk", ".pages-date", ".share", ".editor", ".pages_print"),
    ),
    # www.moe.gov.cn: /srcsite/ information-disclosure pages and jyb_ news/notice pages.
    Template(
        name="moe",
        detect=(
            "#xxgk_head_table",
            "#content_body_xxgk",
            ".moe-detail-box",
            "#moe-detail-box",
            "#xxgk_content_div",
        ),
        body=(
            "#content_body_xxgk",
            "#xxgk_content_div",
            ".moe-detail-box",
            "#moe-detail-box",
            ".TRS_Editor",
        ),
        inner=(".TRS_Editor",),
        title=(
            "#xxgk_content_redtitle",
            ".moe-detail-box h1",
            "#moe-detail-box h1",
            "div.xxgk_title h1",
        ),
        meta=("#xxgk_head_table",),
        remove=(
            "#moe-detail-page-set",
            "#moeCode",
            ".moe-detail-shuxing",
            "h1",
            "#xxgk_content_redtitle",
            ".moe-policy-link",
        ),
    ),
    # Hanweb JCMS (Zhejiang, Anhui, …): the body is delimited by HTML comments.
    Template(
        name="hanweb",
        detect=(),
        body=("#zoom", "div.main-txt"),
        title=("p.con-title", "div.con-title", ".article-title"),
        comment_body=("ZJEG_RSS.content.begin", "ZJEG_RSS.content.end"),
    ),
)

#: Body containers many other CMSs share; tried (longest wins) before the density scorer.
COMMON_BODY = (
    "div.TRS_Editor",
    "div.trs_editor_view",
    "div.TRS_UEDITOR",
    "div#zoom",
    "div.pages_content",
    "div.zwxx_content",
    "div.article-content",
    "div#UCAP-CONTENT",
    "div#fontzoom",
)

#: A common body container must hold at least this many characters to be trusted.
COMMON_BODY_MIN_CHARS = 120

# --------------------------------------------------------------------------- metadata labels

#: Label (spaces and U+3000 removed, no colon or brackets) → Article.meta key.
LABELS: dict[str, str] = {
    "索引号": "index_no",
    "信息索引号": "index_no",
    "索取号": "index_no",
    "信息索引": "index_no",
    "发文字号": "doc_number",
    "文号": "doc_number",
    "发文号": "doc_number",
    "文件编号": "doc_number",
    "发文文号": "doc_number",
    "发布机构": "issuer",
    "发文机关": "issuer",
    "发文机构": "issuer",
    "发布机关": "issuer",
    "发文单位": "issuer",
    "发布单位": "issuer",
    "制发机关": "issuer",
    "发布部门": "issuer",
    "成文日期": "written_date",
    "成文时间": "written_date",
    "印发日期": "written_date",
    "发文日期": "written_date",
    # MOE's 信息公开 table says 生成日期 for the day the record was published, not signed.
    "发布日期": "published_date",
    "生成日期": "published_date",
    "发布时间": "published_date",
    "公开日期": "published_date",
    "公开时间": "published_date",
    "主题分类": "topic",
    # 「分　　类：」 in Guangdong's dl lists and Jilin's 信息公开 table (extract-dev has one).
    "分类": "topic",
    "主题类别": "topic",
    "信息分类": "topic",
    "信息类别": "topic",
    "有效性": "validity",
    "时效性": "validity",
    "效力状态": "validity",
    "有效状态": "validity",
}
#: A body line that starts with a metadata label and is this short is header residue, not text.
META_LINE_MAX = 100

#: Labels whose value is the document title (a fallback when no template title is found).
TITLE_LABELS = frozenset({"标题", "名称", "文件名称", "信息名称", "公文名称"})
DATE_KEYS = frozenset({"written_date", "published_date"})
#: Values that mean "nothing here".
EMPTY_VALUES = frozenset({"", "无", "暂无", "-", "—", "/", "空", "null", "None"})

#: <meta name=…> → meta key. ``Maketime`` and 「页面生成时间」 are generation times: never dates.
META_TAG_DATES: tuple[tuple[str, str], ...] = (
    ("firstpublishedtime", "published_date"),
    ("PubDate", "published_date"),
    ("pubdate", "published_date"),
    ("publishdate", "published_date"),
)
#: Elements whose class/id says they hold the article's date line (media and news pages).
DATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:time|date|pubtime|pub-?date|publish\w*|article-?info|info|shuxing|"
    r"source|laiyuan|pages-date|detail-time)(?:$|[\s_-])",
    re.IGNORECASE,
)
DATE_CLASS_MAX_CHARS = 120
#: A date line mentioning these is a generation/print time, not the publication date.
NOT_PUBLICATION = ("生成", "Maketime", "打印时间", "更新时间", "访问")
META_TAG_TITLES = ("ArticleTitle", "articletitle")

# A label inside a text run: optional brackets, label chars (spaces allowed), colon or bracket.
_LABEL_CHARS = r"[\u4e00-\u9fff][\u4e00-\u9fff \u3000\xa0]{0,8}[\u4e00-\u9fff]"
INLINE_LABEL = re.compile(
    rf"[\[【［]\s*({_LABEL_CHARS})\s*[\]】］]\s*[:：]?|({_LABEL_CHARS})\s*[:：]"
)

#: Page-info labels a title block carries after the title (日期：…, 来源：…, 浏览次数：, 【字号：…】):
#: a title line is cut where the first of them starts.
TITLE_INFO = re.compile(
    r"(?:^|(?<=\s))[【\[［]?\s*(?:发布日期|发布时间|更新时间|日期|时间|信息来源|文章来源|来源|"
    r"作者|编辑|浏览次数|访问次数|阅读次数|点击数|点击量|浏览量|字号|字体)\s*[:：]"
)

#: Site-name separators in <title> (「…_重庆市人民政府网」, 「… - 山西省人民政府门户网站」).
#: <title> parts that are navigation, not the document title (「首页_关于…的通知」).
TITLE_STUBS = frozenset(
    {"首页", "主页", "正文", "详情", "详细内容", "当前位置", "内容页", "文章页"}
)
TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|\s[-–—]+\s|--|——\s)\s*")

# --------------------------------------------------------------------------- furniture

#: Elements dropped everywhere before reading text.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "canvas",
    "iframe",
    "object",
    "embed",
    "svg",
    "template",
    "select",
    "button",
    "input",
    "textarea",
)
#: class/id fragments of share bars, QR codes, print/close tools, font-size switchers.
FURNITURE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:bdshare\w*|share\w*|fenxiang|qrcode|ewm|erweima|print\w*|dayin|"
    r"jiucuo|font-?size|zitidx|zthz|close-?win|toolbar|xgwz|related|pagination|"
    r"bottom-?tool|article-?tool|wzfx|wxtip|wx-?tips?|weixin-?tip)(?:$|[\s_-])",
    re.IGNORECASE,
)
#: Such a block is furniture only when small: a wrapper named 「print-area」 may hold the article.
FURNITURE_MAX_CHARS = 300
#: Reader comments: dropped whatever their size (policy text never lives there).
COMMENT_CLASS = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|respond|replies)(?:$|[\s_-])", re.IGNORECASE
)
#: Whole-line furniture tokens; a line made only of these (and separators) is dropped.
FURNITURE_TOKENS = (
    "扫一扫在手机打开当前页",
    "扫一扫在手机上查看当前页面",
    "在手机上查看",
    "分享到",
    "分享",
    "打印本页",
    "打印",
    "关闭窗口",
    "关闭本页",
    "关闭",
    "我要纠错",
    "纠错",
    "收藏",
    "加入收藏",
    "返回顶部",
    "保存",
    "字体",
    "大",
    "中",
    "小",
    "默认",
    "字号",
    "微信",
    "微博",
    "QQ空间",
    "【",
    "】",
    "[",
    "]",
    "|",
    "｜",
    "：",
    ":",
    "·",
    "/",
    "、",
)
#: Lines starting with these (and short) are counters, editor credits or generation stamps.
FURNITURE_LINE = re.compile(
    r"^\s*[【\[]?\s*(?:责任编辑|责编|编辑|访问量|浏览次数|浏览量|阅读次数|点击数|点击量|"
    r"访问次数|阅读量|页面生成时间|生成时间|来源：?\s*$)"
)
#: The whole line of the tip a WeChat/in-app browser shows over a page (「点击右上角」
#: 「选择在浏览器中打开」, alone or together); a sentence that merely mentions a browser stays.
POPUP_LINE = re.compile(
    r"(?:请)?(?:点击(?:屏幕)?右上角(?:的?[.…·]+|按钮|菜单)?[，,]?\s*)?"
    r"(?:(?:选择)?(?:在|用)(?:系统|默认)?浏览器中?打开)?[。.！!]?"
)
FURNITURE_LINE_MAX = 60

# --------------------------------------------------------------------------- attachments

ATTACHMENT_EXTS = frozenset(
    {"pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "zip", "rar", "7z", "ppt", "pptx"}
)
#: Elements outside the body that hold a page's attachment list.
ATTACHMENT_AREAS = (
    ".fj",
    ".xgfj",
    ".fujian",
    ".attachment",
    ".attachments",
    "#attachment",
    ".fjxz",
    ".zwxl-fj",
    ".downloads",
    ".download",
    ".appendix",
)

#: The heading of an attachment list outside the body (a 「文件下载」 column, 「附件下载：」),
#: compared after spaces and colons are removed.
ATTACHMENT_HEADINGS = frozenset(
    {"附件", "附件下载", "文件下载", "相关附件", "下载附件", "附件列表", "相关文件下载", "下载"}
)
#: A container named by such a heading holds at most this many links (else it is a whole page).
ATTACHMENT_HEADED_MAX_LINKS = 30

# --------------------------------------------------------------------------- text layout

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "tfoot",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "nav",
        "aside",
        "blockquote",
        "pre",
        "hr",
        "center",
        "form",
        "address",
        "figure",
        "figcaption",
        "caption",
        "body",
        "html",
    }
)
