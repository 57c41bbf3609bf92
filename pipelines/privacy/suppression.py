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
    # The salts of lists combined into this one for reading (``combined``): an identifier is
    # suppressed when its hash with any of them is listed. Never written.
    other_salts: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def salts(self) -> tuple[str, ...]:
        return (self.salt, *self.other_salts)

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
        hashes = self.hashes()
        return any(identifier.hashed(salt) in hashes for salt in self.salts)

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
        if self.other_salts:
            raise ValueError("a combined list is for reading only")
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


def combined(lists: Iterable[SuppressionList]) -> SuppressionList:
    """One list to read that suppresses what any of ``lists`` does: merged where they share
    a salt, else holding every entry and every salt."""
    result: SuppressionList | None = None
    for each in lists:
        if result is None:
            result = SuppressionList(each.salt, list(each.entries))
        elif each.salt in result.salts:
            known = {(entry.kind, entry.hash) for entry in result.entries}
            result.entries += [e for e in each.entries if (e.kind, e.hash) not in known]
        else:
            result = SuppressionList(
                result.salt,
                result.entries + list(each.entries),
                (*result.other_salts, each.salt),
            )
    return result or SuppressionList()


def default_path(state_anchor: Path) -> Path:
    """Beside the warehouse, as dlt's state is: ``data/warehouse.duckdb.suppression.json``."""
    return state_anchor.parent / f"{state_anchor.name}.suppression.json"


def installation_path() -> Path:
    """The installation's list, which every warehouse it builds checks: ``SUPPRESSION_LIST``,
    else ``data/suppression.json`` in the project. A second machine loading the same archive
    points ``SUPPRESSION_LIST`` at the same file (or a copy kept in step)."""
    from pipelines.settings import PROJECT_ROOT

    given = os.environ.get("SUPPRESSION_LIST")
    return Path(given) if given else PROJECT_ROOT / "data" / "suppression.json"


@dataclass
class Lists:
    """The installation's list and the warehouse's own, as a load or a forget meets them."""

    installation_path: Path
    own_path: Path
    installation: SuppressionList
    own: SuppressionList

    @classmethod
    def of(cls, state_anchor: Path, installation: Path | None = None) -> Lists:
        """Both lists; a warehouse list from before there was an installation list (0.2)
        becomes the installation's, salt and all."""
        installation = installation or installation_path()
        own_path = default_path(state_anchor)
        own = SuppressionList.read(own_path)
        if installation.exists():
            shared = SuppressionList.read(installation)
        else:
            shared = SuppressionList(own.salt, list(own.entries))
        return cls(installation, own_path, shared, own)

    def for_loading(self) -> SuppressionList:
        return combined([self.installation, self.own])

    def add(self, identifiers: Iterable[Identifier], request_id: str) -> list[Entry]:
        """Suppress ``identifiers`` in both lists (the installation's first); the entries the
        installation's list gained."""
        identifiers = list(identifiers)
        added = self.installation.add(identifiers, request_id)
        self.installation.write(self.installation_path)
        self.own.add(identifiers, request_id)
        self.own.write(self.own_path)
        return added

    def keep_beside_warehouse(self) -> bool:
        """Copy the installation's entries into the warehouse's own list (when they share a
        salt), so a warehouse moved elsewhere keeps its forgotten; whether it changed."""
        if self.installation.salt != self.own.salt and self.own:
            return False
        merged = SuppressionList(self.installation.salt, list(self.own.entries)).merged(
            self.installation
        )
        if merged.entries == self.own.entries and self.own_path.exists():
            return False
        if not merged:
            return False
        merged.write(self.own_path)
        self.own = merged
        return True
