"""How a run shows its progress: live on a terminal, a line every few seconds in a log.

A line per file would flood cron mail once an archive has thousands of files; a person at a
terminal wants to see the run move and when it will end. Neither output carries ANSI codes: the
live line is redrawn with a carriage return only.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0  # not on a terminal: one progress line this often
REDRAW_EVERY_SECONDS = 0.2  # on a terminal


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class Progress:
    """The progress of one source's run: files and messages done, rate and time left."""

    def __init__(self, dataset: str, stream: TextIO | None = None) -> None:
        self.dataset = dataset
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.started = time.monotonic()
        self._shown = 0.0
        self._width = 0

    def line(self, files: int, expected: int, more: bool, messages: int) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        text = f"{self.dataset}: {files:,}/{expected:,}{'+' if more else ''} new files"
        text += f", {messages:,} messages, {messages / elapsed:,.0f} messages/s"
        if files and expected > files:
            left = (expected - files) * elapsed / files
            text += f", about {_duration(left)} left" + (" (more files listed)" if more else "")
        return text

    def update(self, files: int, expected: int, more: bool, messages: int) -> None:
        now = time.monotonic()
        every = REDRAW_EVERY_SECONDS if self.live else LOG_EVERY_SECONDS
        if now - self._shown < every:
            return
        if self._shown == 0.0 and not self.live:
            self._shown = now  # the first log line comes after a full interval, not at once
            return
        self._shown = now
        text = self.line(files, expected, more, messages)
        if self.live:
            self.stream.write("\r" + text.ljust(self._width))
            self.stream.flush()
            self._width = len(text)
        else:
            log.info("%s", text)

    def finish(self) -> None:
        """End the live line, so what is printed next starts on a line of its own."""
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
