"""Own the background tasks: kept references, names, cancelled together (design.md §9, §11.15)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import structlog

__all__ = ["TaskGroup"]

_log = structlog.get_logger("hub.tasks")


class TaskGroup:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro, name=name)  # noqa: TID251 (this is the one place)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("task_failed", task=task.get_name(), error=repr(task.exception()))

    async def aclose(self, timeout: float = 10.0) -> None:
        """Cancel every task and wait for them, at most `timeout` seconds (a task that ignores
        its cancellation must not hold the shutdown forever)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, stuck = await asyncio.wait(tasks, timeout=timeout)
        for task in stuck:
            _log.error("task_ignored_cancel", task=task.get_name())
