"""The suppression list: salted hashes of every forgotten person's identifiers, kept beside the
warehouse, that every load checks before it writes anything.

Why a file and not only a table: a rebuild from the whole archive into an empty warehouse has
no table yet, and must still leave the forgotten out; the list is handed to it
(``--suppression-list``, ``SUPPRESSION_LIST``) and copied beside the new warehouse.

Why salted hashes: the list must outlive the data it stands for without holding it. The salt
is drawn once per list, so the same phone hashes differently in two brands' lists. A hash of a
phone number can still be found by hashing every possible number with that salt: the list is
pseudonymous personal data, and the README says how to keep it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.errors import SuppressionListError
from pipelines.privacy.identifiers import Identifier

FORMAT = 1


@dataclass(frozen=True)
class Entry:
    """One suppressed identifier: its kind, its salted hash and the request that added it."""

    kind: str
    hash: str
    request_id: str


@dataclass
class SuppressionList:
    salt: str = field(default_factory=lambda: secrets.token_hex(16))
    entries: list[Entry] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def hashes(self) -> dict[str, list[str]]:
        """For each hash, the requests that suppressed it."""
        requests: dict[str, list[str]] = {}
        for entry in self.entries:
            requests.setdefault(entry.hash, []).append(entry.request_id)
        return requests

    def add(self, identifiers: Iterable[Identifier], request_id: str) -> list[Entry]:
        """Suppress ``identifiers`` for ``request_id``; the entries added."""
        known = {(entry.kind, entry.hash) for entry in self.entries}
        added = []
        for identifier in sorted(set(identifiers)):
            entry = Entry(identifier.kind, identifier.hashed(self.salt), request_id)
            if (entry.kind, entry.hash) not in known:
                added.append(entry)
                known.add((entry.kind, entry.hash))
        self.entries.extend(added)
        return added

    def suppresses(self, identifier: Identifier) -> bool:
        return identifier.hashed(self.salt) in self.hashes()

    @classmethod
    def read(cls, path: Path) -> SuppressionList:
        """The list at ``path``; an empty one (with a new salt) when there is none yet."""
        if not path.exists():
            return cls()
        try:
            document = json.loads(path.read_text())
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
            return cls(
                document["salt"],
                [Entry(e["kind"], e["hash"], e["request_id"]) for e in document["entries"]],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SuppressionListError(
                f"the suppression list {path} cannot be read ({exc}): restore it from your "
                "backup; loading without it would bring forgotten people back"
            ) from None

    def write(self, path: Path) -> None:
        """Write the list atomically, readable by its owner only."""
        document = {
            "format": FORMAT,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "salt": self.salt,
            "entries": [entry.__dict__ for entry in self.entries],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)

    def merged(self, other: SuppressionList) -> SuppressionList:
        """This list with ``other``'s entries; both must share a salt (a hash cannot be
        re-salted without the identifier it stands for)."""
        if not other:
            return self
        if not self:
            return SuppressionList(other.salt, list(other.entries))
        if other.salt != self.salt:
            raise SuppressionListError(
                "the suppression list given and the one kept with this warehouse were made "
                "with different salts and cannot be merged: load with the warehouse's own list, "
                "or forget the people of the other list again in this warehouse"
            )
        known = {(entry.kind, entry.hash) for entry in self.entries}
        extra = [entry for entry in other.entries if (entry.kind, entry.hash) not in known]
        return SuppressionList(self.salt, self.entries + extra)


def default_path(state_anchor: Path) -> Path:
    """Beside the warehouse, as dlt's state is: ``data/warehouse.duckdb.suppression.json``."""
    return state_anchor.parent / f"{state_anchor.name}.suppression.json"
