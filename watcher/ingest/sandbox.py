"""Attachment extraction in a worker process with a CPU-time, memory and page budget.

A hostile or pathological PDF/DOCX (thousands of page entries, a content stream built to be
slow, a document.xml that expands into gigabytes of objects) must not stall the daemon: the
pipeline's event loop serves every source at once. So the bytes go to a child process forked
from a single-threaded fork server (safe beside the daemon's threads; the readers are
preloaded there, so a child starts in milliseconds), which runs ``attachments.text_from_bytes``
under ``RLIMIT_CPU`` and ``RLIMIT_AS``. The caller waits in a thread, off the event loop. A
child that runs out of CPU time or memory is gone, and the caller gets an ``ExtractError``
saying which budget the file exceeded; the other documents and sources carry on.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import resource
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn

from watcher.errors import ExtractError, UnsafeInputError, WatcherError
from watcher.ingest import attachments
from watcher.ingest.attachments import AttachmentText

__all__ = ["Budget", "extract_isolated", "extract_off_loop"]

MiB = 1024 * 1024

_CTX = multiprocessing.get_context("forkserver")
_CTX.set_forkserver_preload(["watcher.ingest.attachments", "pypdf", "docx"])


@dataclass(frozen=True)
class Budget:
    """What one attachment may cost: CPU seconds, address space, pages read."""

    cpu_seconds: float = 60.0
    memory_bytes: int = 1536 * MiB
    max_pages: int = attachments.PDF_MAX_PAGES

    @property
    def wall_seconds(self) -> float:
        """A child blocked on nothing but the CPU limit ends well before this."""
        return self.cpu_seconds * 4 + 30


async def extract_off_loop(
    data: bytes, ext: str, *, name: str = "", budget: Budget | None = None
) -> AttachmentText:
    """``extract_isolated`` awaited from a thread, so the event loop keeps serving."""
    return await asyncio.to_thread(extract_isolated, data, ext, name=name, budget=budget)


def extract_isolated(
    data: bytes, ext: str, *, name: str = "", budget: Budget | None = None
) -> AttachmentText:
    """The text of an attachment, read in a child process within ``budget``."""
    budget = budget or Budget()
    label = name or "附件"
    receiver, sender = _CTX.Pipe(duplex=False)
    proc = _CTX.Process(
        target=_work, args=(sender, data, ext, label, budget), name="extract", daemon=True
    )
    proc.start()
    sender.close()
    outcome: Any = None
    try:
        # Whichever comes first: an answer, the child's end (a resource limit), the deadline.
        timed_out = not wait([receiver, proc.sentinel], budget.wall_seconds)
        if receiver.poll(0):
            try:
                outcome = receiver.recv()
            except EOFError:
                outcome = None  # the child died before answering (a resource limit)
    finally:
        proc.join(1.0)  # a dead child's status arrives just after its pipe closes
        if proc.is_alive():
            proc.kill()
        proc.join()
        receiver.close()
    return _result(outcome, proc.exitcode, timed_out, label, budget)


def _result(
    outcome: Any, exitcode: int | None, timed_out: bool, label: str, budget: Budget
) -> AttachmentText:
    if outcome is not None:
        kind = outcome[0]
        if kind == "ok":
            return outcome[1]  # type: ignore[no-any-return]
        if kind == "unsafe":
            raise UnsafeInputError(outcome[1])
        if kind == "error":
            raise ExtractError(outcome[1])
        if kind == "memory":
            _over(label, f"内存超过上限 {budget.memory_bytes // MiB} MB")
    if timed_out:
        _over(label, f"超过 {budget.wall_seconds:.0f} 秒仍未结束")
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        _over(label, f"用了超过 {budget.cpu_seconds:g} 秒 CPU 时间")
    raise ExtractError(f"{label} 解析进程意外退出（退出码 {exitcode}），已跳过，下一轮重试")


def _over(label: str, what: str) -> NoReturn:
    raise ExtractError(
        f"{label} 解析{what}，已停止（文件可能是异常构造的）；本来源的其他文件和其他来源照常处理"
    )


def _work(out: Connection, data: bytes, ext: str, label: str, budget: Budget) -> None:
    cpu = max(1, math.ceil(budget.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))
    resource.setrlimit(resource.RLIMIT_AS, (budget.memory_bytes, budget.memory_bytes))
    try:
        result: tuple[Any, ...] = (
            "ok",
            attachments.text_from_bytes(data, ext, name=label, max_pages=budget.max_pages),
        )
    except UnsafeInputError as exc:
        result = ("unsafe", str(exc))
    except WatcherError as exc:
        result = ("error", str(exc))
    except MemoryError:
        result = ("memory",)
    out.send(result)
    out.close()
