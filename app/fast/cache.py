"""What reads assemble, kept across requests within one gateway process, in bounded memory (issue 16).

A process tree changes only with its process's `revision`, and a run tree only with its run's
`tree_version`: both are columns of the row every read of a tree loads first (one cheap statement, which
it needs anyway). So an entry is keyed by the id and that version, and a read uses it only when the row it
has just read carries the same version: a write committed through any gateway process (its response
returned) changes the version, and the next read anywhere misses the old entry and reads the tree from the
database. Nothing is invalidated by message, so a lost or late wake-up cannot serve a stale tree. Versions
only grow: storing a newer version of an id drops the older ones at once (no read can ask for them again),
the rest goes least recently used first. A page of a list belongs to no family: its key holds every row's
id and version (app/process/types.py summary_page), so it is only ever evicted.

Cross-cutting like app/bus.py: it imports no domain. Responses that hold a cached fragment are serialized
with orjson, as every response of the gateway is (HTTP and WebSocket). The entries' sizes are estimates in bytes (the
domains' builders say how much they add, measured with tracemalloc on the benchmark's trees); the budget
is the TREE_CACHE_MB setting, 0 turns the cache off. Storing an entry marks the running request as one that
filled the cache (app/fast/recording.py): the next request of the same text reads less, and it is that one whose
answer app/fast/answers.py keeps.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import orjson

from app.fast.recording import filled


class _Entry:
    __slots__ = ("family", "size", "value")

    def __init__(self, family: str | None, value: Any, size: int) -> None:
        self.family, self.value, self.size = family, value, size


class SharedCache:
    """Least recently used entries with an estimated size, within a byte budget. An entry belongs to a family
    (a process or run id) at a version; a family holds entries of one version at a time."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = max(0, budget_bytes)
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._families: dict[str, tuple[int, list[Hashable]]] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.budget > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, *keys: Hashable) -> Any:
        """The value stored under the first of `keys` held (their parts include the version), or None."""
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.value
        self.misses += 1
        return None

    def holds(self, key: Hashable) -> bool:
        """Whether `key` is held (a mark: not counted as a lookup, not made recently used)."""
        return key in self._entries

    def keep(self, key: Hashable, value: Any, *, family: str | None, version: int = 0, size: int,
             answer_bytes: int) -> FragmentMemo | None:
        """`put`, and the memo for the answers of compiled selections on `value` (each counting
        `answer_bytes`), to hang on the object they are asked of; None when the value is not kept."""
        if not self.put(key, value, family=family, version=version, size=size):
            return None
        return FragmentMemo(Handle(self, key), answer_bytes)

    def put(self, key: Hashable, value: Any, *, family: str | None, version: int = 0, size: int) -> bool:
        """Keep `value` (estimated at `size` bytes); False when it is not kept (off, too big, or older than
        the family's version held). An entry of no family (None) is only replaced or evicted."""
        if not self.budget or size > self.budget:
            return False
        filled()
        if family is None:
            self._drop(key)
            self._entries[key] = _Entry(None, value, size)
            self.size += size
            self._evict()
            return True
        held = self._families.get(family)
        if held is not None and held[0] != version:
            if held[0] > version:  # a read that raced a write: the newer version is already here
                return False
            for old in held[1]:
                self._drop(old)
            held = None
        if key in self._entries:
            self._drop(key)
            held = self._families.get(family)
        if held is None:
            held = (version, [])
            self._families[family] = held
        held[1].append(key)
        self._entries[key] = _Entry(family, value, size)
        self.size += size
        self._evict()
        return True

    def discard(self, key: Hashable) -> None:
        """Drop the entry under `key`, if held (one found out of date)."""
        self._drop(key)

    def grow(self, key: Hashable, size: int) -> None:
        """An entry's value took on `size` more bytes (API objects built from it, a response fragment)."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.size += size
            self.size += size
            self._evict()

    def clear(self) -> None:
        self._entries.clear()
        self._families.clear()
        self.size = 0

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self.size -= entry.size
        family = entry.family
        if family is not None and (held := self._families.get(family)) is not None:
            held[1].remove(key)
            if not held[1]:
                del self._families[family]

    def _evict(self) -> None:
        while self.size > self.budget and self._entries:
            self._drop(next(iter(self._entries)))


class Layer:
    """A layer of the fast path over one shared cache (app/fast/trees.py, app/fast/pages.py): off (keeping and
    finding nothing) without one, or with one whose budget is 0."""

    __slots__ = ("shared",)

    def __init__(self, shared: SharedCache | None) -> None:
        self.shared = shared if shared is not None and shared.enabled else None

    @property
    def on(self) -> bool:
        return self.shared is not None


class Handle:
    """Where a cached value reports its growth: the cache and the value's key (held by the value itself)."""

    __slots__ = ("cache", "key")

    def __init__(self, cache: SharedCache, key: Hashable) -> None:
        self.cache, self.key = cache, key

    def grow(self, size: int) -> None:
        self.cache.grow(self.key, size)


class FragmentMemo:
    """Response fragments of one cached API object: what a compiled selection (app/graphql/executor.py)
    returned for it, by compiled function, kept serialized (orjson.Fragment: a quarter of the memory of the
    dicts, and the response embeds the bytes as they are). Such a selection reads only plain attributes of
    objects that are never changed once built, so its answer for the object never changes. At most LIMIT
    selections per object, each counting `size` bytes against the cache."""

    __slots__ = ("_found", "handle", "size")
    LIMIT = 2

    def __init__(self, handle: Handle, size: int) -> None:
        self.handle, self.size = handle, size
        self._found: dict[Any, orjson.Fragment] = {}

    def get(self, selection: Any) -> orjson.Fragment | None:
        return self._found.get(selection)

    def put(self, selection: Any, answer: Any) -> None:
        try:
            kept = orjson.Fragment(orjson.dumps(answer))
        except TypeError:  # a value orjson refuses (a JSON scalar's huge integer): not kept
            return
        found = self._found
        if len(found) >= self.LIMIT:
            found.pop(next(iter(found)))  # the oldest makes room (its charge stays with the new one)
        else:
            self.handle.grow(self.size)
        found[selection] = kept
