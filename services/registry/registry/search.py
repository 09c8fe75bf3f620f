"""Typeahead search over every entity, in memory.

The index is built from the database and rebuilt when the catalog version
(bumped by every transaction that changes entities) moves; a process checks
that version at most once per ``ttl`` seconds, and at once after its own
imports. A query is a list of word prefixes: each must start some word of
the name (accents, case and punctuation ignored; both names of a bilingual
comune are words). Results are ranked for typeahead: the name equal to the
query, then names starting with it, then names starting with its first
word, then other word matches; within each, larger population first.
"""
from __future__ import annotations

import base64
import bisect
import heapq
import json
import threading
import time
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .adapters.orm import catalog, entities
from .domain.text import fold



class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    doc: dict
    variants: tuple[str, ...]   # folded names: whole, Italian, other language
    words: tuple[str, ...]
    name_key: str
    size: int                   # for ranking: newest population, else the counted one
    kind: str
    regions: tuple[str, ...]    # folded: the whole name, and each language's ("Südtirol")
    province: str
    eligible: bool


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    region: str | None = None      # folded
    province: str | None = None    # upper case sigla
    eligible: bool | None = None

    def admit(self, e: Entry) -> bool:
        return ((self.kind is None or e.kind == self.kind)
                and (self.region is None or self.region in e.regions)
                and (self.province is None or e.province == self.province)
                and (self.eligible is None or e.eligible == self.eligible))


def _region_names(region: str) -> tuple[str, ...]:
    """A bilingual region answers to its whole name and to each part:
    "Trentino-Alto Adige/Südtirol", "Trentino-Alto Adige", "Südtirol"."""
    return tuple(dict.fromkeys([fold(region), *(fold(p) for p in region.split("/") if p)]))


def encode_cursor(key: tuple) -> str:
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw.decode("utf-8"))
        if (isinstance(key, list) and len(key) == 4 and all(isinstance(k, int) for k in key[:2])
                and all(isinstance(k, str) for k in key[2:])):
            return tuple(key)
    except (ValueError, UnicodeDecodeError):
        pass
    raise BadCursor("cursor is not one this API returned")


class Snapshot:
    """An immutable index of one catalog version.

    For every prefix of every word it keeps the matching entries already
    ranked for that prefix, so a one-word query reads its page off a list;
    several words start from the shortest such list and check the others.
    """

    def __init__(self, docs: Iterable[dict], version: int = 0):
        self.version = version
        self.entries: list[Entry] = []
        self.by_code: dict[str, Entry] = {}
        prefixes: dict[str, list[int]] = {}
        heads: dict[str, set[int]] = {}   # prefixes that start a whole name variant
        for doc in docs:
            folded = fold(doc["name"])
            others = (doc.get("name_it"), doc.get("name_other_language"))
            variants = tuple(dict.fromkeys([folded, *(fold(n) for n in others if n)]))
            size = doc.get("population_latest") or doc.get("population") or 0
            words = tuple(sorted(set(folded.split())))
            entry = Entry(doc, variants, words, folded, size, doc["kind"],
                          _region_names(doc.get("region") or ""),
                          (doc.get("province") or "").upper(),
                          bool(doc["eligible"]))
            self.entries.append(entry)
            self.by_code[doc["code"]] = entry
        entries = self.entries
        by_rank = sorted(range(len(entries)), key=lambda i: _key_of(entries[i], ""))
        for i in by_rank:
            entry = entries[i]
            for prefix in {w[:n] for w in entry.words for n in range(1, len(w) + 1)}:
                prefixes.setdefault(prefix, []).append(i)
            for prefix in {v.split()[0][:n] for v in entry.variants
                           for n in range(1, len(v.split()[0]) + 1)}:
                heads.setdefault(prefix, set()).add(i)
        # Each list is in population order; move the names that start with
        # the prefix (tier 1) and those equal to it (tier 0) to the front.
        for prefix, starting in heads.items():
            ids = prefixes[prefix]
            ranked = ([i for i in ids if i in starting and prefix in entries[i].variants]
                      + [i for i in ids if i in starting and prefix not in entries[i].variants]
                      + [i for i in ids if i not in starting])
            prefixes[prefix] = ranked
        self.prefixes = prefixes
        self.alphabetical = sorted(range(len(entries)), key=lambda i: _key_of(entries[i], None))

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, q: str = "", filters: Filters = Filters(), limit: int = 20,
               after: tuple | None = None) -> tuple[list[dict], tuple | None]:
        """One page of results and the key to continue after (None at the end)."""
        tokens = list(dict.fromkeys(fold(q).split()))
        if not tokens:
            return self._walk(self.alphabetical, None, filters, limit, after)
        phrase = " ".join(fold(q).split())
        lists = sorted((self.prefixes.get(t, ()) for t in tokens), key=len)
        if len(tokens) == 1:
            return self._walk(lists[0], phrase, filters, limit, after)
        others = [t for t in tokens if self.prefixes.get(t, ()) is not lists[0]] or tokens[1:]
        keyed = []
        for i in lists[0]:
            entry = self.entries[i]
            if not filters.admit(entry):
                continue
            if all(any(w.startswith(t) for w in entry.words) for t in others):
                key = _key_of(entry, phrase)
                if after is None or key > after:
                    keyed.append((key, i))
        best = heapq.nsmallest(limit + 1, keyed)
        page = [self.entries[i].doc for _, i in best[:limit]]
        return page, (best[limit - 1][0] if len(best) > limit else None)

    def _walk(self, ranked, phrase, filters, limit, after):
        """Read a page off a list already in rank order."""
        entries = self.entries
        start = 0
        if after is not None:
            start = bisect.bisect_right(ranked, after, key=lambda i: _key_of(entries[i], phrase))
        page: list[Entry] = []
        for pos in range(start, len(ranked)):
            entry = entries[ranked[pos]]
            if filters.admit(entry):
                if len(page) == limit:
                    return [e.doc for e in page], _key_of(page[-1], phrase)
                page.append(entry)
        return [e.doc for e in page], None


def _key_of(entry: Entry, phrase: str | None) -> tuple:
    if phrase is None:
        return (0, 0, entry.name_key, entry.doc["code"])
    if phrase in entry.variants:
        tier = 0
    elif any(v.startswith(phrase) for v in entry.variants):
        tier = 1
    elif " " in phrase and any(v.startswith(phrase.split(" ", 1)[0]) for v in entry.variants):
        tier = 2
    else:
        tier = 3
    return (tier, -entry.size, entry.name_key, entry.doc["code"])


def row_document(row) -> dict:
    """The entity document from its row (contract columns + details)."""
    doc = {"code": row.code, "name": row.name, "kind": row.kind, "province": row.province,
           "region": row.region, "population": row.population,
           "population_date": row.population_date, "eligible": bool(row.eligible),
           "eligibility_reason": row.eligibility_reason, "lat": row.lat, "lon": row.lon}
    for key, value in json.loads(row.details or "{}").items():
        doc.setdefault(key, value)
    return doc


def catalog_version(conn) -> int:
    return conn.execute(select(catalog.c.version).where(catalog.c.id == 1)).scalar() or 0


class SearchIndex:
    """The current snapshot of a database's entities, rebuilt when they change."""

    def __init__(self, engine: Engine, ttl: float = 1.0):
        self.engine = engine
        self.ttl = ttl
        self._snapshot: Snapshot | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """Check the catalog version on the next use (after a local change)."""
        self._checked = float("-inf")

    def snapshot(self) -> Snapshot:
        now = time.monotonic()
        current = self._snapshot
        if current is not None and now - self._checked < self.ttl:
            return current
        with self._lock:
            if self._snapshot is not None and time.monotonic() - self._checked < self.ttl:
                return self._snapshot
            with self.engine.connect() as conn:
                version = catalog_version(conn)
                if self._snapshot is None or self._snapshot.version != version:
                    docs = [row_document(r) for r in conn.execute(select(entities))]
                    self._snapshot = Snapshot(docs, version)
            self._checked = time.monotonic()
            return self._snapshot
