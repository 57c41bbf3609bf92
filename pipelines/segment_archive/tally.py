"""What one source's run did, file by file: the progress lines and the closing summary."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from pipelines.archive.reader import FileRead

log = logging.getLogger("pipelines.load")


@dataclass
class RunTally:
    """Counts for the progress display and the closing summary of one source's run."""

    listed: int = 0
    files_read: int = 0
    lines: int = 0
    messages: int = 0
    rejected: int = 0
    rows_shaped: int = 0
    repeated: int = 0
    skipped: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def file_done(
        self, name: str, read: FileRead, rows: int, seconds: float, repeated: int = 0
    ) -> None:
        self.files_read += 1
        self.repeated += repeated
        self.lines += read.lines
        self.messages += read.messages
        self.rejected += len(read.rejected)
        self.rows_shaped += rows
        elapsed = time.monotonic() - self.started
        rate = self.lines / elapsed if elapsed else 0.0
        log.info(
            "file %d: %s — %d lines, %d messages (%d repeats skipped), %d quarantined "
            "(%.2fs; %.0f lines/s overall)",
            self.files_read,
            name,
            read.lines,
            read.messages,
            repeated,
            len(read.rejected),
            seconds,
            rate,
        )
