"""What one source's run did, file by file: the progress lines and the closing summary."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from pipelines.segment_archive.files import printable
from pipelines.segment_archive.progress import Progress
from pipelines.segment_archive.reader import FileRead

log = logging.getLogger(__name__)

NOT_ARCHIVE_REASONS = ("not_gzip", "not_json_lines")
NOT_ARCHIVE_HELP = "not a Segment archive file: remove it from the archive folder"


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
    # Messages and quarantined lines of forgotten people dropped, by forget request.
    suppressed: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    # Symbolic links of a local archive that leave it or point at nothing: never read.
    links_skipped: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)
    # Files that are no archive files at all (``not_gzip``, ``not_json_lines``): name, reason.
    not_archives: list[tuple[str, str]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    expected: int = 0  # new files listed so far
    more_listed: bool = False  # the listing may hold more than it handed over yet
    progress: Progress | None = None

    def expect(self, files: int, more: bool) -> None:
        """A page of the listing held ``files`` new files (and ``more`` pages may follow)."""
        self.expected += files
        self.more_listed = more

    def file_done(
        self,
        name: str,
        read: FileRead,
        rows: int,
        seconds: float,
        repeated: int = 0,
        suppressed: Counter | None = None,
    ) -> None:
        self.files_read += 1
        self.suppressed.update(suppressed or Counter())
        whole_file = [r["reason"] for r in read.rejected if r["reason"] in NOT_ARCHIVE_REASONS]
        if whole_file:
            self.not_archives.append((name, whole_file[0]))
            log.warning(
                "%s: %s, quarantined whole (%s)", printable(name), whole_file[0], NOT_ARCHIVE_HELP
            )
        self.repeated += repeated
        self.lines += read.lines
        self.messages += read.messages
        self.rejected += len(read.rejected)
        self.rows_shaped += rows
        # A line per file only where there is something to see: cron mail stays short.
        dropped = sum((suppressed or Counter()).values())
        level = logging.INFO if read.rejected or repeated or dropped else logging.DEBUG
        log.log(
            level,
            "file %d: %s — %d lines, %d messages (%d repeats skipped), %d quarantined (%.2fs)%s",
            self.files_read,
            printable(name),
            read.lines,
            read.messages,
            repeated,
            len(read.rejected),
            seconds,
            f", {dropped} suppressed (forgotten on request)" if dropped else "",
        )
        if self.progress is not None:
            self.progress.update(self.files_read, self.expected, self.more_listed, self.messages)

    def warnings(self, dataset: str) -> list[str]:
        """What the run's summary and ``ops.load_runs`` warn about (empty when all is well)."""
        warnings = []
        if self.not_archives:
            shown = ", ".join(
                f"{printable(name)} ({reason})" for name, reason in self.not_archives[:5]
            )
            more = f" and {len(self.not_archives) - 5} more" if len(self.not_archives) > 5 else ""
            warnings.append(
                f"{dataset}: {len(self.not_archives)} file(s) are not Segment archive files and "
                f"were quarantined whole: {shown}{more} — remove them from the archive folder"
            )
        if self.links_skipped:
            shown = ", ".join(printable(name) for name in self.links_skipped[:5])
            more = f" and {len(self.links_skipped) - 5} more" if len(self.links_skipped) > 5 else ""
            warnings.append(
                f"{dataset}: {len(self.links_skipped)} symbolic link(s) leave the archive folder "
                f"or point at nothing and were not read: {shown}{more}"
            )
        return warnings
