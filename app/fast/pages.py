"""Pages of a list, and the items on them, kept across requests in the gateway's shared cache (issue 16).

The page layer of the fast path. An item (a process summary, say) is kept by its id at its version, with its
cursors by list kind; a page is kept under a key that holds its list kind, its scope (what besides the list
picks its rows and columns), the cursor it starts after, whether rows follow, and every row's versions, so a
page is only ever evicted, never stale. Once a page of a list, scope and cursor has been kept, a mark says so:
the next read of it may look the page up by its rows' versions first (one narrow statement) instead of
reading the rows. What the entries are, and how much memory they take, the domain's repository says
(app/process/pages.py); what is kept and under which key is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from app.fast.cache import FragmentMemo, Layer

T = TypeVar("T")
# Estimated bytes of a page's mark (its key).
PAGE_SHAPE_BYTES = 300


class KeptItem(Generic[T]):
    """An item kept at one version for its lists, and its cursors by list kind (for the orders whose sort key
    only changes with the version)."""

    __slots__ = ("cursors", "item")

    def __init__(self, item: T) -> None:
        self.item = item
        self.cursors: dict[str, str] = {}


class Pages(Layer):
    """The page layer over one shared cache; with none (TREE_CACHE_MB=0) it keeps nothing and finds nothing."""

    __slots__ = ()

    def item(self, kind: str, family: str, version: int, make: Callable[[], T],
             attach: Callable[[T, FragmentMemo], None], *, size: int, answer_bytes: int) -> KeptItem[T] | None:
        """The item of `family` at `version`: the kept one, or one made by `make`, kept, and given (`attach`)
        the memo of what compiled selections answer for it; None when the budget keeps nothing."""
        if self.shared is None:
            return None
        key = (kind, family, version)
        kept: KeptItem[T] | None = self.shared.get(key)
        if kept is None:
            kept = KeptItem(make())
            memo = self.shared.keep(key, kept, family=family, version=version, size=size, answer_bytes=answer_bytes)
            if memo is None:
                return None
            attach(kept.item, memo)
        return kept

    def versions_first(self, kind: str, scope: Hashable, after: str | None) -> bool:
        """Whether a page of this list, scope and cursor was kept: then it is worth looking up by versions."""
        return self.shared is not None and self.shared.holds(_shape_key(kind, scope, after))

    def page(self, kind: str, scope: Hashable, after: str | None, has_next: bool,
             versions: Iterable[tuple[Any, ...]]) -> Any:
        """The page kept for these rows' versions, or None."""
        if self.shared is None:
            return None
        return self.shared.get(_page_key(kind, scope, after, has_next, versions))

    def keep_page(self, kind: str, scope: Hashable, after: str | None, has_next: bool,
                  versions: Iterable[tuple[Any, ...]], page: Any, *, size: int, answer_bytes: int,
                  mark: bool) -> FragmentMemo | None:
        """Keep `page`; the memo for its answers, or None when it was not kept. `mark`: note that pages of
        this list, scope and cursor are kept, so the next read looks them up by versions first."""
        if self.shared is None:
            return None
        memo = self.shared.keep(_page_key(kind, scope, after, has_next, versions), page, family=None, size=size,
                                answer_bytes=answer_bytes)
        if memo is not None and mark:
            self.shared.put(_shape_key(kind, scope, after), True, family=None, size=PAGE_SHAPE_BYTES)
        return memo


def _shape_key(kind: str, scope: Hashable, after: str | None) -> tuple[Any, ...]:
    """The mark that a page of this list, scope and cursor was kept."""
    return ("page-shape", kind, scope, after)


def _page_key(kind: str, scope: Hashable, after: str | None, has_next: bool,
              versions: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    return ("page", kind, scope, after, has_next, tuple(versions))
