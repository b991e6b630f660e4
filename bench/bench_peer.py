"""Side by side: watcher vs urlwatch 2.29 vs changedetection.io 0.60 on one loopback TRS site.

One site on 127.0.0.1 (a fresh server per tool, so every request it counts is that tool's):
10 sources in the Chongqing TRS template (list pages ``index.html``, ``index_1.html``… of 20
items), N article pages of 5–15 KB of policy text (一、/（一） headings, a ``zwxl-table``
metadata table), every fifth page GBK with the charset only in ``<meta>``; ETag and
Last-Modified on every page and 304 to a matching conditional request. Each tool runs three
cycles: first (all new), unchanged, and one after 5 % of the pages had a sentence edited. Then
the daemons: 200 pages due every 3 s for ``--daemon-seconds`` (watcher ``run``; changedetection's
own scheduler; urlwatch has no daemon).

Per tool and cycle: CPU seconds (user+sys of the process tree: ``os.wait4`` rusage for the
commands, psutil for the long-running changedetection server), wall seconds, peak process-tree
RSS (psutil, sampled every 0.2 s), requests and 304s as the server counted them, changes
detected and false positives (against the pages the bench really edited), store size after the
three cycles; daemon rounds (completed checks of every page) and RSS::

    .venv/bin/python bench/bench_peer.py                    # N=2000, installs the peers
    .venv/bin/python bench/bench_peer.py --n 500 --tools watcher,urlwatch --json out.json
    .venv/bin/python bench/bench_peer.py --short            # N=60, watcher only, < 1 min
    .venv/bin/python bench/bench_peer.py --profile prof.out # cProfile of watcher's first cycle
    .venv/bin/python bench/bench_peer.py --profile prof.out --profile-cycle changed5

The peers are installed by this script into their own venvs under ``bench/.peers/<name>/``
(``python3 -m venv`` + pip from PyPI); one that cannot be installed or started is skipped with
the reason printed. ``--short`` (run by tests/test_bench.py) never installs anything and runs
only watcher unless ``--tools`` names a peer that is already installed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import pstats
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.loopback import LoopbackServer, Reply, Request  # noqa: E402

PEERS_DIR = REPO / "bench" / ".peers"
TOOLS = ("watcher", "urlwatch", "changedetection")
PER_LIST_PAGE = 20
SOURCES = 10
CD_TOKEN = "bench-peer-token"

# ---------------------------------------------------------------------------------------- site

_ISSUERS = [
    "渝中区",
    "江北区",
    "沙坪坝区",
    "九龙坡区",
    "南岸区",
    "北碚区",
    "渝北区",
    "巴南区",
    "合川区",
    "永川区",
    "江津区",
    "涪陵区",
]
_ABBR = ["渝中", "江北", "沙", "九", "南", "碚", "渝北", "巴", "合", "永", "江津", "涪"]
_TOPICS = [
    "现代职业教育体系建设",
    "职业教育产教融合",
    "职业院校“双师型”教师队伍建设",
    "中等职业学校办学能力提升",
    "高技能人才培养",
    "职业院校专业设置管理",
    "市域产教联合体建设",
    "职业教育数字化转型",
    "职业技能等级证书试点",
    "职业院校学生实习管理",
    "现代学徒制试点",
    "职业教育质量评价",
    "职普融通改革",
    "职业院校教材建设",
    "终身职业技能培训",
    "职业教育国际合作",
    "职业院校办学经费保障",
    "新时代职业学校思政课建设",
    "乡村振兴职业教育赋能",
    "职业教育集团化办学",
]
_KINDS = [
    "实施方案",
    "行动计划",
    "工作要点",
    "管理办法",
    "实施意见",
    "三年行动方案",
    "工作方案",
    "推进方案",
    "指导意见",
    "若干措施",
]
_SCHOOLS = [
    "区职业教育中心",
    "重庆工程职业技术学院",
    "重庆城市管理职业学院",
    "区内中职学校",
    "重庆电子科技职业大学",
    "区属高职院校",
    "重庆工业职业技术学院",
    "区技工学校",
]
_SENTENCES = [
    "到{y}年，建成市级高水平专业群{a}个、产教融合实训基地{b}个，职业院校“双师型”教师占专业课教师比例达到{p}%以上。",
    "支持{s}与行业龙头企业共建现代产业学院，每年遴选{a}个示范项目，给予每个项目不低于{b}万元的经费支持。",
    "完善“岗课赛证”综合育人机制，推动{a}门核心课程对接职业技能等级标准，学生获取证书比例提高到{p}%。",
    "健全校企合作激励机制，对接收学生实习实训的企业按规定落实税费优惠政策，年均新增合作企业{a}家。",
    "实施职业院校办学条件达标工程，{y}年底前全面完成生均校舍面积、实训工位等{a}项指标的达标任务。",
    "深化教师、教材、教法改革，组建{a}个市级教师教学创新团队，开发新形态教材{b}种。",
    "加强职业教育与普通教育的双向沟通，在{a}所普通高中开设职业技术课程，开展职普融通试点。",
    "推动{s}面向先进制造业、现代服务业和现代农业调整专业结构，新增紧缺专业{a}个、撤并落后专业{b}个。",
    "建立专业设置动态调整机制，每{a}年开展一次专业建设质量评估，评估结果与招生计划和经费安排挂钩。",
    "围绕全市“33618”现代制造业集群体系，建设区域共享型实训基地{a}个，年培训企业职工{b}人次。",
    "实施职业技能提升行动，面向退役军人、农民工、下岗职工等群体开展补贴性培训{b}人次以上。",
    "推进职业教育数字化转型，建成市级精品在线开放课程{a}门、虚拟仿真实训基地{b}个。",
    "健全以质量为导向的评价机制，将毕业生就业质量、用人单位满意度等纳入考核，满意度不低于{p}%。",
    "落实职业院校生均拨款制度，区财政每年安排职业教育专项资金不少于{b}万元，并建立动态增长机制。",
    "鼓励{s}与境外院校和“走出去”企业合作，共建海外分校或“鲁班工坊”，每年选派{a}名骨干教师赴境外研修。",
    "加强学生实习管理，严禁安排学生从事与专业无关的简单重复劳动，实习单位覆盖率达到{p}%。",
    "深化现代学徒制试点，校企联合招生、联合培养，每年培养学徒{b}名，合作企业不少于{a}家。",
    "强化党对职业教育工作的全面领导，把思想政治工作贯穿教育教学全过程，培育{a}个思政育人品牌。",
    "服务乡村振兴战略，面向新型职业农民开展学历教育和技能培训，年培训{b}人次。",
    "建立职业教育工作联席会议制度，每年至少召开{a}次会议，研究解决职业教育改革发展中的重大问题。",
    "加大对经济困难学生的资助力度，落实国家助学金和免学费政策，资助覆盖面达到{p}%。",
    "完善职业院校治理结构，推动{a}所学校制定章程并组建理事会，扩大学校在专业设置、人事管理等方面的自主权。",
    "建设职业教育“双师型”教师培养培训基地{a}个，专业课教师每年到企业实践时间累计不少于{m}个月。",
    "推进集团化办学，组建由{a}家企业、{b}所院校参与的职业教育集团，实现资源共建共享。",
]
_TASKS = [
    "优化职业教育布局结构",
    "深化产教融合校企合作",
    "加强教师队伍建设",
    "推进专业和课程改革",
    "提升技术技能人才培养质量",
    "扩大优质职业教育资源供给",
    "推进职业教育数字化",
    "健全职业培训体系",
    "深化职普融通",
    "加强实习实训基地建设",
    "扩大职业教育开放合作",
    "完善质量评价机制",
]
_GUARANTEES = ["加强组织领导", "强化经费保障", "健全督导评估", "营造良好氛围"]
_CHINESE = "一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return _CHINESE[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CHINESE[tens - 1]) + "十" + (_CHINESE[ones - 1] if ones else "")


def _para(text: str) -> str:
    return f'<p style="text-indent: 2em;">{text}</p>'


@dataclass
class Article:
    path: str
    source: int
    title: str
    gbk: bool
    v0: bytes
    v1: bytes  # the page after one sentence was edited (used only if edited)
    edited: bool = False


def _sentence(rng: random.Random, school: str) -> str:
    return rng.choice(_SENTENCES).format(
        y=rng.choice((2026, 2027, 2028, 2030)),
        a=rng.randint(2, 30),
        b=rng.randint(10, 900) * 10,
        p=rng.randint(50, 95),
        s=school,
        m=rng.randint(1, 6),
    )


def build_article(
    i: int, source: int, local: int, edited_sentence: bool = False
) -> tuple[str, str, bytes, bytes]:
    """(title, date, v0 bytes, v1 bytes) of article ``i``, deterministic in ``i``."""
    rng = random.Random(i * 7919 + 17)
    issuer = _ISSUERS[source % len(_ISSUERS)] + "教育委员会"
    year = 2025 - local // 200
    topic, kind = _TOPICS[local % len(_TOPICS)], _KINDS[(local // len(_TOPICS)) % len(_KINDS)]
    inner = f"{issuer.removesuffix('教育委员会')}{year}年{topic}{kind}"
    title = f"关于印发《{inner}》的通知"
    month, day = 1 + local % 12, 1 + local % 27
    date = f"{year}-{month:02d}-{day:02d}"
    doc_no = f"{_ABBR[source % len(_ABBR)]}教发〔{year}〕{local + 1}号"
    gbk = i % 5 == 4
    target = rng.randint(5200, 14800)
    school = rng.choice(_SCHOOLS)

    def render(paras: list[str]) -> bytes:
        charset = "gbk" if gbk else "utf-8"
        html = (
            f'<!DOCTYPE html>\n<html lang="zh-CN"><head>\n<meta charset="{charset}">\n'
            f'<meta name="SiteName" content="{issuer}">\n<meta name="ColumnName" content="政策文件">\n'
            f'<meta name="ArticleTitle" content="{title}">\n<meta name="PubDate" content="{date} 10:00">\n'
            f'<meta name="ContentSource" content="{issuer}">\n<title>{title}_{issuer}</title>\n</head><body>\n'
            f'<div class="header"><a href="/" class="logo">{issuer}</a>\n<ul class="nav"><li><a href="/">首页</a></li>'
            f'<li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>\n'
            f'<div class="zcwjk-xlcon zwxl-main">\n<div class="crumbs">当前位置：<a href="/">首页</a> &gt; 政务公开 &gt; 政策文件</div>\n'
            f'<table class="zwxl-table" cellspacing="0" cellpadding="0">\n'
            f'<tr><td class="t1">索 引 号：</td><td class="t2">1150{source:04d}MB{i:07d}/{year}-{local + 1:05d}</td>'
            f'<td class="t1">发文字号：</td><td class="t2">{doc_no}</td></tr>\n'
            f'<tr><td class="t1">主题分类：</td><td class="t2">教育</td><td class="t1">体裁分类：</td><td class="t2">通知</td></tr>\n'
            f'<tr><td class="t1">发布机构：</td><td class="t2">{issuer}</td><td class="t1">有 效 性：</td><td class="t2">有效</td></tr>\n'
            f'<tr><td class="t1">成文日期：</td><td class="t2">{date}</td><td class="t1">发布日期：</td><td class="t2">{date}</td></tr>\n'
            f'<tr><td class="t1">标　　题：</td><td class="t2" colspan="3">{title}</td></tr>\n</table>\n'
            f'<div class="zwxl-title"><p class="tit">{title}</p></div>\n'
            f'<div class="zwxl-tools"><span>【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</span> '
            f'<a href="#" class="print">打印</a> <span class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></span></div>\n'
            f'<div class="zwxl-article">\n<div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">\n'
            + "\n".join(paras)
            + '\n</div>\n<div class="ewm"><canvas></canvas>扫一扫在手机打开当前页</div>\n</div>\n'
            f'<div class="footer"><p>主办：{issuer}</p></div>\n</body></html>\n'
        )
        return html.encode(charset)

    paras = [
        _para("各镇人民政府、街道办事处，区级有关部门，各职业院校："),
        _para(f"现将《{inner}》印发给你们，请结合实际认真贯彻落实。"),
        f'<p style="text-align: right;">{issuer}</p>',
        f'<p style="text-align: right;">{date}</p>',
        f'<p style="text-align: center;"><strong>{inner}</strong></p>',
        _para(
            "为深入贯彻落实《中华人民共和国职业教育法》和《国家职业教育改革实施方案》，"
            f"加快推进{topic}，结合我区实际，制定本{kind[-2:]}。"
        ),
        _para("<strong>一、总体要求</strong>"),
        _para(
            "（一）指导思想。坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻党的教育方针，"
            "坚持立德树人，以服务发展为宗旨、以促进就业为导向，深化产教融合、校企合作。"
        ),
        _para(f"（二）工作目标。{_sentence(rng, school)}{_sentence(rng, school)}"),
        _para("<strong>二、主要任务</strong>"),
    ]
    tail = [_para("<strong>三、保障措施</strong>")]
    for k, g in enumerate(_GUARANTEES, 1):
        tail.append(_para(f"（{_cn(k)}）{g}。{_sentence(rng, school)}"))
    tail.append(_para(f"本{kind[-2:]}自印发之日起施行，由{issuer}负责解释。"))
    tasks = rng.sample(_TASKS, len(_TASKS))
    k = 0
    body: list[str] = []
    while len(render(paras + body + tail)) < target and k < 30:
        k += 1
        name = tasks[(k - 1) % len(tasks)]
        body.append(
            _para(
                f"（{_cn(k)}）{name}。"
                + "".join(_sentence(rng, school) for _ in range(rng.randint(2, 4)))
            )
        )
        if rng.random() < 0.5:
            body.append(_para("".join(_sentence(rng, school) for _ in range(rng.randint(2, 3)))))
    v0 = render(paras + body + tail)
    # The edit: one sentence of the middle task paragraph is rewritten, as a corrected notice would.
    mid = max(0, len(body) // 2)
    edited = list(body)
    if edited:
        edited[mid] = edited[mid].replace(
            "。",
            f"。（根据{year}年{month}月工作调度会议要求，相关指标调整为{local % 9 + 2}项。）",
            1,
        )
    v1 = render(paras + edited + tail)
    return title, date, v0, v1


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


@dataclass
class Stats:
    requests: int = 0
    articles: int = 0
    not_modified: int = 0
    bytes: int = 0
    by_path: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "article_requests": self.articles,
            "not_modified": self.not_modified,
            "bytes": self.bytes,
        }


class Site:
    """N articles in ``SOURCES`` TRS sources; ``serve()`` mounts them on a fresh loopback server."""

    def __init__(self, n: int, sources: int = SOURCES) -> None:
        self.n = n
        self.sources = sources
        self.per_source = [n // sources + (1 if s < n % sources else 0) for s in range(sources)]
        self.articles: dict[str, Article] = {}
        self.lists: dict[str, bytes] = {}
        self.changed = False
        self.base_mtime = 1741000000.0  # 2025-03-03: every page's Last-Modified
        self.change_mtime = self.base_mtime
        i = 0
        for s in range(sources):
            folder = self.folder(s)
            entries = []
            for local in range(self.per_source[s]):
                title, date, v0, v1 = build_article(i, s, local)
                path = f"{folder}{date[:4]}{date[5:7]}/t{date.replace('-', '')}_{1000000 + i}.html"
                self.articles[path] = Article(path, s, title, i % 5 == 4, v0, v1)
                entries.append((date, path, title))
                i += 1
            entries.sort(reverse=True)
            pages = self.list_pages(s)
            for p in range(pages):
                chunk = entries[p * PER_LIST_PAGE : (p + 1) * PER_LIST_PAGE]
                items = "".join(
                    f'<div class="zcwjk-list-c clearfix">\n<p class="tit"><a href=".{path[len(folder) - 1 :]}" '
                    f'target="_blank" title="{t}">{t}</a></p>\n<p class="info"><span class="time">{d}</span></p>\n</div>\n'
                    for d, path, t in chunk
                )
                name = "index.html" if p == 0 else f"index_{p}.html"
                self.lists[folder + name] = (
                    f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
                    f"<title>政策文件_{_ISSUERS[s % len(_ISSUERS)]}教育委员会</title></head><body>\n"
                    f'<div class="header"><a href="/" class="logo">{_ISSUERS[s % len(_ISSUERS)]}</a></div>\n'
                    f'<div class="zcwjk-list">\n{items}</div>\n'
                    f'<div class="page"><script>createPage({pages}, {p}, "index", "html");</script></div>\n'
                    f"</body></html>\n"
                ).encode()
        # Every 20th article is edited for the third cycle: 5 %.
        for k, art in enumerate(self.articles.values()):
            art.edited = k % 20 == 7

    @staticmethod
    def folder(s: int) -> str:
        return f"/qx{s:02d}/zwgk/zcwj/"

    def list_pages(self, s: int) -> int:
        return max(1, -(-self.per_source[s] // PER_LIST_PAGE))

    @property
    def edited_paths(self) -> set[str]:
        return {p for p, a in self.articles.items() if a.edited}

    def set_changed(self, changed: bool) -> None:
        self.changed = changed
        self.change_mtime = time.time() - 1 if changed else self.base_mtime

    def _answer(self, stats: Stats, lock: threading.Lock, req: Request) -> Reply:
        path = req.route
        art = self.articles.get(path)
        if art is not None:
            new = self.changed and art.edited
            body, mtime = (art.v1, self.change_mtime) if new else (art.v0, self.base_mtime)
            etag = f'"{abs(hash((path, new))) % 10**12:x}-{len(body):x}"'
            ctype = (
                "text/html" if art.gbk else "text/html; charset=utf-8"
            )  # GBK: charset in <meta> only
        else:
            body, mtime = self.lists[path], self.base_mtime
            etag = f'"l{abs(hash(path)) % 10**12:x}-{len(body):x}"'
            ctype = "text/html; charset=utf-8"
        lm = _http_date(mtime)
        inm, ims = req.headers.get("if-none-match"), req.headers.get("if-modified-since")
        if inm is not None:
            fresh = etag in [t.strip() for t in inm.split(",")]
        elif ims:
            try:
                from email.utils import parsedate_to_datetime

                fresh = parsedate_to_datetime(ims).timestamp() >= int(mtime)
            except (TypeError, ValueError):
                fresh = False
        else:
            fresh = False
        with lock:
            stats.requests += 1
            stats.articles += art is not None
            stats.not_modified += fresh
            stats.bytes += 0 if fresh else len(body)
            stats.by_path[path] += 1
        headers = {"ETag": etag, "Last-Modified": lm}
        if fresh:
            return Reply(status=304, headers=headers)
        return Reply(body=body, headers={**headers, "Content-Type": ctype})

    @contextlib.contextmanager
    def serve(self) -> Iterator[tuple[LoopbackServer, Stats]]:
        self.set_changed(False)
        stats, lock = Stats(), threading.Lock()
        with LoopbackServer() as srv:
            for path in [*self.lists, *self.articles]:
                srv.route(path, lambda req, _s=stats, _l=lock: self._answer(_s, _l, req))
            yield srv, stats

    def article_urls(self, srv: LoopbackServer) -> list[str]:
        return [srv.url(p) for p in self.articles]

    def size_kb(self) -> tuple[float, float, float]:
        sizes = [len(a.v0) / 1024 for a in self.articles.values()]
        return min(sizes), sum(sizes) / len(sizes), max(sizes)


# ------------------------------------------------------------------------------ measurement


class TreeSampler:
    """Samples a process tree every 0.2 s: peak summed RSS and the latest CPU seconds per pid."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.last_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return []

    def sample(self) -> None:
        rss = 0
        for p in self.tree():
            with contextlib.suppress(psutil.Error):
                rss += p.memory_info().rss
        if rss:
            self.last_rss = rss
            self.peak_rss = max(self.peak_rss, rss)

    def cpu(self) -> float:
        """CPU seconds (user+sys) of the live tree now."""
        total = 0.0
        for p in self.tree():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def reset_peak(self) -> None:
        self.sample()
        self.peak_rss = self.last_rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    rc: int
    cpu_s: float
    wall_s: float
    peak_rss_mb: float


MB = 1024 * 1024


def run_measured(
    cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float
) -> Run:
    """Run ``cmd`` to completion: CPU from ``wait4`` (the child and its reaped children), RSS sampled."""
    started = time.monotonic()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    timer = threading.Timer(timeout, lambda: proc.kill())
    timer.start()
    with TreeSampler(proc.pid) as sampler:
        _pid, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max(sampler.peak_rss, usage.ru_maxrss * 1024)
    return Run(
        proc.returncode, usage.ru_utime + usage.ru_stime, time.monotonic() - started, peak / MB
    )


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / MB
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / MB


def disk_mb(path: Path) -> float:
    """Allocated size (``du``): a datastore of many small files takes whole blocks."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_blocks * 512 for p in files) / MB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHER_")}
    env.update(extra)
    return env


CYCLES = ("first", "unchanged", "changed5")


@dataclass
class Cycle:
    tool: str
    cycle: str
    cpu_s: float
    wall_s: float
    peak_rss_mb: float
    requests: int
    not_modified: int
    detected: int  # first cycle: pages stored/seen as new; then: pages reported changed
    false_pos: int  # reported changed although the page did not change
    missed: int  # edited pages not reported
    rc: int = 0


def score(
    tool: str,
    cycle: str,
    run: Run,
    stats: dict[str, int],
    reported: set[str],
    truth: set[str],
    n: int,
) -> Cycle:
    if cycle == "first":
        detected, fp, missed = len(reported), 0, n - len(reported)
    else:
        detected, fp, missed = len(reported), len(reported - truth), len(truth - reported)
    return Cycle(
        tool,
        cycle,
        round(run.cpu_s, 2),
        round(run.wall_s, 2),
        round(run.peak_rss_mb, 1),
        stats["requests"],
        stats["not_modified"],
        detected,
        fp,
        missed,
        run.rc,
    )


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}


# ---------------------------------------------------------------------------------- watcher


def watcher_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("watcher")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "watcher"]


def watcher_yaml(site: Site, srv: LoopbackServer, interval_minutes: float) -> str:
    lines = [
        "settings:",
        "  fetch: {min_delay_seconds: 0, jitter_seconds: 0, retries: 0, timeout_seconds: 30,"
        " per_host_concurrency: 10}",
        "sources:",
    ]
    for s in range(site.sources):
        per = max(1, site.per_source[s])
        lines += [
            f"  - id: qx{s:02d}",
            f"    name: {_ISSUERS[s % len(_ISSUERS)]}教育委员会",
            "    level: district",
            "    allow_private: true",
            f"    interval_minutes: {interval_minutes}",
            "    jitter_seconds: 0",
            f"    max_new_per_run: {per}",
            f"    recheck_per_run: {per}",
            "    lists:",
            f"      - url: {srv.url(site.folder(s) + 'index.html')}",
            '        item: ".zcwjk-list p.tit a"',
            "        row: .zcwjk-list-c",
            "        date: span.time",
            f"        pages: {site.list_pages(s)}",
            "    detail:",
            '      body: "div.zwxl-article div.trs_editor_view, div.zwxl-article"',
            "      meta_table: table.zwxl-table",
            '      remove: [".ewm", canvas, ".zwxl-tools", ".zwxl-visit"]',
        ]
    return "\n".join(lines) + "\n"


def versions_by_url(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT d.url, COUNT(v.id) FROM documents d JOIN versions v ON v.document_id = d.id "
            "GROUP BY d.url"
        ).fetchall()
    finally:
        conn.close()
    return {str(u): int(c) for u, c in rows}


def _path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url


def run_watcher(site: Site, work: Path, timeout: float) -> dict[str, Any]:
    work.mkdir(parents=True)
    db, cfg, log = work / "watcher.db", work / "sources.yaml", work / "watcher.log"
    cycles: list[Cycle] = []
    with site.serve() as (srv, stats):
        cfg.write_text(watcher_yaml(site, srv, 360), encoding="utf-8")
        before_versions: dict[str, int] = {}
        for cycle in CYCLES:
            site.set_changed(cycle == "changed5")
            before = stats.snapshot()
            run = run_measured(
                [*watcher_cmd(), "--store", str(db), "--config", str(cfg), "check"],
                env=clean_env(),
                cwd=work,
                log=log,
                timeout=timeout,
            )
            now = versions_by_url(db)
            if cycle == "first":
                reported = {_path_of(u) for u in now}
            else:
                reported = {_path_of(u) for u, c in now.items() if c > before_versions.get(u, 0)}
            before_versions = now
            cycles.append(
                score(
                    "watcher",
                    cycle,
                    run,
                    delta(stats.snapshot(), before),
                    reported,
                    site.edited_paths if cycle == "changed5" else set(),
                    site.n,
                )
            )
            print(f"  watcher {cycle}: {asdict(cycles[-1])}", flush=True)
    store = sum(dir_mb(p) for p in work.glob("watcher.db*"))
    disk = sum(disk_mb(p) for p in work.glob("watcher.db*"))
    return {"cycles": cycles, "store_mb": round(store, 1), "store_disk_mb": round(disk, 1)}


def watcher_daemon(site: Site, work: Path, seconds: float) -> dict[str, Any]:
    work.mkdir(parents=True)
    db, cfg, log = work / "watcher.db", work / "sources.yaml", work / "daemon.log"
    with site.serve() as (srv, stats):
        cfg.write_text(watcher_yaml(site, srv, 0.05), encoding="utf-8")  # due every 3 s
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [*watcher_cmd(), "--store", str(db), "--config", str(cfg), "run", "--log-json"],
                env=clean_env(),
                cwd=work,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        with TreeSampler(proc.pid) as sampler:
            time.sleep(seconds)
            final_rss = sampler.last_rss
            proc.send_signal(signal.SIGTERM)
            _wait_exit(proc, 30)
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        snap = stats.snapshot()
    runs: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            rec = json.loads(line)
            if rec.get("message") == "source run finished":
                runs[str(rec.get("source"))] += 1
    per_source = [runs.get(f"qx{s:02d}", 0) for s in range(site.sources)]
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "rounds": round(sum(per_source) / len(per_source), 1),
        "rounds_min": min(per_source),
        "rounds_by_server": round(snap["article_requests"] / site.n, 1),
        "peak_rss_mb": round(sampler.peak_rss / MB, 1),
        "final_rss_mb": round(final_rss / MB, 1),
        "cpu_s": round(cpu, 1),
        **snap,
    }


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait until ``proc`` has exited (a zombie) without reaping it, so ``wait4`` gets its rusage."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            if psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
                time.sleep(0.1)
                continue
        return
    proc.kill()


def profile_cycle(site: Site, work: Path, out: Path, timeout: float, which: str = "first") -> None:
    """One watcher cycle under ``python -m cProfile -o OUT -m watcher check``; top 15 cumulative.

    The cycles before ``which`` run unprofiled on the same store and server first.
    """
    work.mkdir(parents=True)
    db, cfg = work / "watcher.db", work / "sources.yaml"
    env = clean_env(PYTHONPATH=str(REPO))
    base = ["-m", "watcher", "--store", str(db), "--config", str(cfg), "check"]
    with site.serve() as (srv, _stats):
        cfg.write_text(watcher_yaml(site, srv, 360), encoding="utf-8")
        for cycle in CYCLES[: CYCLES.index(which)]:
            site.set_changed(cycle == "changed5")
            run_measured(
                [sys.executable, *base],
                env=env,
                cwd=work,
                log=work / "profile.log",
                timeout=timeout,
            )
        site.set_changed(which == "changed5")
        run = run_measured(
            [sys.executable, "-m", "cProfile", "-o", str(out), *base],
            env=env,
            cwd=work,
            log=work / "profile.log",
            timeout=timeout,
        )
    print(
        f"profiled the {which} cycle: rc {run.rc}, {run.cpu_s:.1f} s CPU (with profiler overhead) -> {out}"
    )
    pstats.Stats(str(out)).sort_stats("cumulative").print_stats(15)


# ---------------------------------------------------------------------------------- peers

PEER_SPECS = {
    "urlwatch": (["urlwatch==2.29"], "urlwatch"),
    "changedetection": (
        ["changedetection.io==0.60.*", "changedetection.io<0.61", "changedetection.io"],
        "changedetection.io",
    ),
}


def peer_exe(name: str) -> Path:
    return PEERS_DIR / name / "bin" / PEER_SPECS[name][1]


def ensure_peer(name: str, install: bool) -> tuple[Path | None, str]:
    """The peer's executable (installing it into bench/.peers/<name> if allowed), or None and why."""
    exe = peer_exe(name)
    if exe.exists():
        return exe, "installed"
    if not install:
        return (
            None,
            f"not installed in {exe.parent.parent} and --short never installs (run once without --short)",
        )
    venv = exe.parent.parent
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        return None, f"python -m venv failed: {made.stderr.strip()[-300:]}"
    errors = []
    for spec in PEER_SPECS[name][0]:
        print(f"  installing {spec} into {venv} …", flush=True)
        pip = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", spec, "psutil"],
            capture_output=True,
            text=True,
        )
        if pip.returncode == 0 and exe.exists():
            return exe, f"installed {spec}"
        errors.append(f"{spec}: " + (pip.stderr.strip().splitlines() or ["?"])[-1])
    return None, "pip install failed: " + "; ".join(errors)


def peer_version(name: str) -> str:
    py = PEERS_DIR / name / "bin" / "python"
    dist = {"urlwatch": "urlwatch", "changedetection": "changedetection.io"}[name]
    out = subprocess.run(
        [str(py), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


_UW_LINE = re.compile(r"^(NEW|CHANGED|ERROR): (\S+)")


def run_urlwatch(exe: Path, site: Site, work: Path, timeout: float) -> dict[str, Any]:
    work.mkdir(parents=True)
    urls, cache, conf, hooks = (
        work / "urls.yaml",
        work / "cache.db",
        work / "urlwatch.yaml",
        work / "hooks.py",
    )
    conf.write_text(
        "display: {new: true, error: true, unchanged: false, empty-diff: false}\n"
        "report:\n  text: {minimal: true, details: false, footer: false}\n"
        "  stdout: {enabled: true, color: false}\n",
        encoding="utf-8",
    )
    hooks.write_text("", encoding="utf-8")
    cycles: list[Cycle] = []
    with site.serve() as (srv, stats):
        urls.write_text(
            "".join(f"---\nurl: {u}\n" for u in site.article_urls(srv)), encoding="utf-8"
        )
        for cycle in CYCLES:
            site.set_changed(cycle == "changed5")
            before = stats.snapshot()
            log = work / f"report-{cycle}.txt"
            run = run_measured(
                [
                    str(exe),
                    "--urls",
                    str(urls),
                    "--cache",
                    str(cache),
                    "--config",
                    str(conf),
                    "--hooks",
                    str(hooks),
                ],
                env=clean_env(HOME=str(work)),
                cwd=work,
                log=log,
                timeout=timeout,
            )
            verbs: dict[str, set[str]] = {"NEW": set(), "CHANGED": set(), "ERROR": set()}
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                m = _UW_LINE.match(line.strip())
                if m:
                    verbs[m.group(1)].add(_path_of(m.group(2)))
            if verbs["ERROR"]:
                print(f"  urlwatch {cycle}: {len(verbs['ERROR'])} errors (see {log})")
            reported = verbs["NEW"] if cycle == "first" else verbs["CHANGED"]
            cycles.append(
                score(
                    "urlwatch",
                    cycle,
                    run,
                    delta(stats.snapshot(), before),
                    reported,
                    site.edited_paths if cycle == "changed5" else set(),
                    site.n,
                )
            )
            print(f"  urlwatch {cycle}: {asdict(cycles[-1])}", flush=True)
    return {
        "cycles": cycles,
        "store_mb": round(dir_mb(cache), 1),
        "store_disk_mb": round(disk_mb(cache), 1),
        "version": peer_version("urlwatch"),
    }


class ChangeDetection:
    """A changedetection.io server on a loopback port with its own datastore, driven by its API."""

    def __init__(self, exe: Path, work: Path, seconds_between_checks: int | None) -> None:
        self.exe, self.work = exe, work
        self.datastore = work / "datastore"
        self.datastore.mkdir(parents=True)
        self.port = free_port()
        every = (
            {
                "weeks": None,
                "days": None,
                "hours": None,
                "minutes": None,
                "seconds": seconds_between_checks,
            }
            if seconds_between_checks
            else {"weeks": None, "days": None, "hours": 3, "minutes": None, "seconds": None}
        )
        # A datastore made up front: no default (internet) watches, a known API key, the requests
        # fetcher, 10 workers, and the recheck interval (3 h for the cycles, 3 s for the daemon).
        (self.datastore / "changedetection.json").write_text(
            json.dumps(
                {
                    "settings": {
                        "requests": {
                            "time_between_check": every,
                            "workers": 10,
                            "jitter_seconds": 0,
                            "timeout": 45,
                        },
                        "application": {
                            "api_access_token_enabled": True,
                            "api_access_token": CD_TOKEN,
                            "fetch_backend": "html_requests",
                            "schema_version": 33,
                        },
                    }
                }
            ),
            encoding="utf-8",
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.sampler: TreeSampler | None = None

    def api(self, path: str, data: bytes | None = None, content_type: str = "text/plain") -> Any:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/{path}",
            data=data,
            headers={"x-api-key": CD_TOKEN, "Content-Type": content_type},
        )
        with urllib.request.urlopen(req, timeout=120) as resp:
            return json.loads(resp.read() or b"null")

    def start(self) -> None:
        env = clean_env(
            HOME=str(self.work),
            ALLOW_IANA_RESTRICTED_ADDRESSES="true",
            FETCH_WORKERS="10",
            LOGGER_LEVEL="WARNING",
        )
        with open(self.work / "changedetection.log", "wb") as out:
            self.proc = subprocess.Popen(
                [str(self.exe), "-d", str(self.datastore), "-h", "127.0.0.1", "-p", str(self.port)],
                env=env,
                cwd=self.work,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.sampler = TreeSampler(self.proc.pid).__enter__()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"changedetection.io exited with {self.proc.returncode}: "
                    + (self.work / "changedetection.log").read_text(errors="replace")[-500:]
                )
            try:
                self.api("systeminfo")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("changedetection.io did not answer its API within 120 s")

    def stop(self) -> None:
        if self.sampler is not None:
            self.sampler.__exit__()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def watches(self) -> dict[str, Any]:
        return dict(self.api("watch"))

    def history_counts(self, url_of: dict[str, str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for uuid, url in url_of.items():
            h = self.datastore / uuid / "history.txt"
            out[url] = (
                sum(1 for line in h.read_text().splitlines() if line.strip()) if h.exists() else 0
            )
        return out

    def wait_checked(
        self, stats: Stats, target_requests: int, since: float, n: int, timeout: float
    ) -> None:
        """Until the server saw ``target_requests`` article requests and the API says all n were checked."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and stats.articles < target_requests:
            time.sleep(0.2)
        while time.monotonic() < deadline:
            w = self.watches()
            if len(w) >= n and all(
                int(v.get("last_checked") or 0) >= int(since) for v in w.values()
            ):
                return
            time.sleep(1.0)
        raise RuntimeError("changedetection.io did not finish the cycle in time")


def run_changedetection(exe: Path, site: Site, work: Path, timeout: float) -> dict[str, Any]:
    work.mkdir(parents=True)
    cd = ChangeDetection(exe, work, None)
    cycles: list[Cycle] = []
    try:
        with site.serve() as (srv, stats):
            cd.start()
            assert cd.sampler is not None
            url_of: dict[str, str] = {}
            before_hist: dict[str, int] = {}
            for cycle in CYCLES:
                site.set_changed(cycle == "changed5")
                before, cpu0, t0, wall0 = (
                    stats.snapshot(),
                    cd.sampler.cpu(),
                    time.time(),
                    time.monotonic(),
                )
                cd.sampler.reset_peak()
                target = stats.articles + site.n
                if cycle == "first":
                    cd.api("import", "\n".join(site.article_urls(srv)).encode())
                else:
                    cd.api("watch?recheck_all=1")
                cd.wait_checked(stats, target, t0, site.n, timeout)
                cpu, wall = cd.sampler.cpu() - cpu0, time.monotonic() - wall0
                cd.sampler.sample()
                if not url_of:
                    url_of = {uuid: _path_of(v["url"]) for uuid, v in cd.watches().items()}
                hist = cd.history_counts(url_of)
                if cycle == "first":
                    reported = {u for u, c in hist.items() if c >= 1}
                else:
                    reported = {u for u, c in hist.items() if c > before_hist.get(u, 0)}
                before_hist = hist
                run = Run(0, cpu, wall, cd.sampler.peak_rss / MB)
                cycles.append(
                    score(
                        "changedetection",
                        cycle,
                        run,
                        delta(stats.snapshot(), before),
                        reported,
                        site.edited_paths if cycle == "changed5" else set(),
                        site.n,
                    )
                )
                print(f"  changedetection {cycle}: {asdict(cycles[-1])}", flush=True)
    finally:
        cd.stop()
    return {
        "cycles": cycles,
        "store_mb": round(dir_mb(cd.datastore), 1),
        "store_disk_mb": round(disk_mb(cd.datastore), 1),
        "version": peer_version("changedetection"),
    }


def changedetection_daemon(exe: Path, site: Site, work: Path, seconds: float) -> dict[str, Any]:
    work.mkdir(parents=True)
    cd = ChangeDetection(exe, work, 3)
    try:
        with site.serve() as (srv, stats):
            cd.start()
            assert cd.sampler is not None
            cd.sampler.reset_peak()
            cpu0 = cd.sampler.cpu()
            cd.api("import", "\n".join(site.article_urls(srv)).encode())
            time.sleep(seconds)
            cpu = cd.sampler.cpu() - cpu0
            cd.sampler.sample()
            snap = stats.snapshot()
            peak, final = cd.sampler.peak_rss, cd.sampler.last_rss
    finally:
        cd.stop()
    rounds = snap["article_requests"] / site.n
    return {
        "rounds": round(rounds, 1),
        "rounds_min": min(stats.by_path[p] for p in site.articles),
        "rounds_by_server": round(rounds, 1),
        "peak_rss_mb": round(peak / MB, 1),
        "final_rss_mb": round(final / MB, 1),
        "cpu_s": round(cpu, 1),
        **snap,
    }


# ---------------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "commit": commit or "?",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return str(v)


def _ratio(a: Any, b: Any) -> str:
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or not b:
        return "–"
    return f"{a / b:.2f}×"


def _print_cycles(results: dict[str, Any]) -> None:
    tools = results["tools"]
    cols = [
        "tool",
        "cycle",
        "CPU s",
        "wall s",
        "peak RSS MB",
        "requests",
        "304s",
        "detected",
        "false +",
        "missed",
    ]
    print("\n| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for name in TOOLS:
        t = tools.get(name)
        if not t or "skipped" in t:
            continue
        for c in t["cycles"]:
            print(
                f"| {name} | {c['cycle']} | {_fmt(c['cpu_s'])} | {_fmt(c['wall_s'])} | {_fmt(c['peak_rss_mb'])} | "
                f"{c['requests']} | {c['not_modified']} | {c['detected']} | {c['false_pos']} | {c['missed']} |"
            )
    for name in TOOLS:
        t = tools.get(name)
        if t and "daemon" in t and t["daemon"]:
            d = t["daemon"]
            print(
                f"| {name} | daemon {results['daemon_seconds']:.0f} s, {results['daemon_pages']} pages/3 s | "
                f"{_fmt(d['cpu_s'])} | {results['daemon_seconds']:.1f} | {_fmt(d['peak_rss_mb'])} | {d['requests']} | "
                f"{d['not_modified']} | rounds {d['rounds']} | min {d['rounds_min']} | – |"
            )


def _metric(tools: dict[str, Any], name: str, key: str) -> Any:
    """One tool's value of a summary metric (``cycle:field``, ``daemon_field`` or a store key)."""
    t = tools.get(name)
    if not t or "skipped" in t:
        return None
    if key.startswith("daemon_"):
        return (t.get("daemon") or {}).get(key.removeprefix("daemon_"))
    if key in ("store_mb", "store_disk_mb"):
        return t.get(key)
    if key == "peak_rss_mb":
        return max(c["peak_rss_mb"] for c in t["cycles"])
    cycle, metric = key.split(":")
    return next(c[metric] for c in t["cycles"] if c["cycle"] == cycle)


def print_tables(results: dict[str, Any]) -> None:
    tools = results["tools"]
    _print_cycles(results)

    def get(name: str, key: str) -> Any:
        return _metric(tools, name, key)

    rows = [
        ("first cycle CPU s", "first:cpu_s"),
        ("unchanged cycle CPU s", "unchanged:cpu_s"),
        ("5 % changed cycle CPU s", "changed5:cpu_s"),
        ("first cycle wall s", "first:wall_s"),
        ("peak RSS MB (3 cycles)", "peak_rss_mb"),
        ("store MB after 3 cycles", "store_mb"),
        ("store on disk MB (du)", "store_disk_mb"),
        ("requests, unchanged cycle", "unchanged:requests"),
        ("304s, unchanged cycle", "unchanged:not_modified"),
        ("changes found (of edited)", "changed5:detected"),
        ("false positives (cycles 2+3)", "unchanged:false_pos"),
        ("daemon rounds", "daemon_rounds"),
        ("daemon peak RSS MB", "daemon_peak_rss_mb"),
        ("daemon CPU s", "daemon_cpu_s"),
    ]
    ratios: dict[str, dict[str, str]] = {}
    print(
        "\n| metric | watcher | urlwatch | changedetection | watcher/urlwatch | watcher/changedetection |"
    )
    print("|---|---|---|---|---|---|")
    for label, key in rows:
        vals = [get(n, key) for n in TOOLS]
        if key == "unchanged:false_pos":
            vals = [
                None if v is None else v + get(n, "changed5:false_pos")
                for v, n in zip(vals, TOOLS, strict=True)
            ]
        if all(v is None for v in vals):
            continue
        if label.startswith("changes found"):
            edited = results["edited"]
            cells = [f"{v}/{edited}" if v is not None else "–" for v in vals]
        else:
            cells = [_fmt(v) for v in vals]
        r_u, r_c = _ratio(vals[0], vals[1]), _ratio(vals[0], vals[2])
        ratios[label] = {"watcher/urlwatch": r_u, "watcher/changedetection": r_c}
        print(f"| {label} | " + " | ".join(cells) + f" | {r_u} | {r_c} |")
    results["ratios"] = ratios
    for name in TOOLS:
        t = tools.get(name)
        if t and "skipped" in t:
            print(f"\n{name}: skipped — {t['skipped']}")


def _run_peer(
    name: str, site: Site, daemon_site: Site | None, root: Path, args: Any
) -> dict[str, Any]:
    exe, why = ensure_peer(name, install=not args.short)
    if exe is None:
        print(f"  skipped: {why}")
        return {"skipped": why}
    if name == "urlwatch":
        return run_urlwatch(exe, site, root / "urlwatch", args.timeout)
    entry = run_changedetection(exe, site, root / "changedetection", args.timeout)
    if daemon_site is not None:
        entry["daemon"] = changedetection_daemon(
            exe, daemon_site, root / "changedetection-daemon", args.daemon_seconds
        )
    return entry


def run_tool(
    name: str, site: Site, daemon_site: Site | None, root: Path, args: Any
) -> dict[str, Any]:
    """One tool's three cycles (and daemon), or ``{"skipped": why}``."""
    try:
        if name == "watcher":
            entry = run_watcher(site, root / "watcher", args.timeout)
            if daemon_site is not None:
                entry["daemon"] = watcher_daemon(
                    daemon_site, root / "watcher-daemon", args.daemon_seconds
                )
        else:
            entry = _run_peer(name, site, daemon_site, root, args)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        print(f"  skipped: {type(exc).__name__}: {exc}")
        return {"skipped": f"{type(exc).__name__}: {exc}"}
    if "skipped" in entry:
        return entry
    entry["cycles"] = [asdict(c) for c in entry["cycles"]]
    if "daemon" in entry:
        print(f"  {name} daemon: {entry['daemon']}", flush=True)
    return entry


def _parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="article pages (default 2000)")
    parser.add_argument(
        "--short", action="store_true", help="N=60, 6 s daemon, watcher only, installs nothing"
    )
    parser.add_argument("--skip-peers", action="store_true", help="watcher only")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS)
    )
    parser.add_argument("--daemon-seconds", type=float, default=100.0)
    parser.add_argument("--daemon-pages", type=int, default=200)
    parser.add_argument("--no-daemon", action="store_true")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per cycle before giving up"
    )
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--profile", metavar="FILE", help="only profile one watcher cycle (cProfile) into FILE"
    )
    parser.add_argument(
        "--profile-cycle", choices=CYCLES, default="first", help="the cycle --profile profiles"
    )
    parser.add_argument(
        "--keep", metavar="DIR", help="keep every tool's working directory under DIR"
    )
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if args.short:
        args.n, args.daemon_seconds, args.daemon_pages = 60, 6.0, 60
        if args.tools == parser.get_default("tools"):
            tools = ["watcher"]  # CI: peer-free unless peers are named explicitly
    if args.skip_peers:
        tools = [t for t in tools if t == "watcher"]
    return args, tools


def main(argv: list[str] | None = None) -> int:
    args, tools = _parse_args(argv)
    built = time.monotonic()
    site = Site(args.n)
    lo, mean, hi = site.size_kb()
    print(
        f"site: {args.n} articles in {site.sources} sources, {lo:.1f}–{hi:.1f} KB (mean {mean:.1f}), "
        f"{sum(a.gbk for a in site.articles.values())} GBK, {len(site.edited_paths)} edited in cycle 3; "
        f"built in {time.monotonic() - built:.1f} s",
        flush=True,
    )
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-peer-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        if args.profile:
            profile_cycle(
                site,
                root / "profile",
                Path(args.profile).resolve(),
                args.timeout,
                args.profile_cycle,
            )
            return 0
        daemon_site = None if args.no_daemon else Site(args.daemon_pages)
        results: dict[str, Any] = {
            "machine": machine(),
            "n": args.n,
            "edited": len(site.edited_paths),
            "daemon_seconds": args.daemon_seconds,
            "daemon_pages": args.daemon_pages,
            "page_kb": {"min": round(lo, 1), "mean": round(mean, 1), "max": round(hi, 1)},
            "tools": {},
        }
        for name in tools:
            print(f"{name}:", flush=True)
            results["tools"][name] = run_tool(name, site, daemon_site, root, args)
        print_tables(results)
        if args.json:
            Path(args.json).write_text(
                json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8"
            )
            print(f"\nwrote {args.json}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
