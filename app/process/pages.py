"""The repository of process summary pages: what a list read answers, built from rows, from the fast path's
page layer when it kept the same page or the same summaries (app/fast/pages.py decides what is kept and under
which key; this module says what the entries are and how much memory they take). The types of
app/process/types.py never see a cache."""

from __future__ import annotations

from typing import Any, NamedTuple

from app.fast.pages import KeptItem, Pages
from app.graphql.context import Loaders
from app.graphql.pagination import PageInfo, encode_cursor
from app.process import listing
from app.process.types import ProcessSummary, ProcessSummaryConnection, ProcessSummaryEdge

# Estimated bytes (tracemalloc, the benchmark's summaries) of a kept summary, and of one answer in its memo.
SUMMARY_BYTES = 5500
SUMMARY_FRAGMENT_BYTES = 500
# Estimated bytes per row (tracemalloc, the benchmark's pages) of a kept page, and of one answer kept for it.
PAGE_ROW_BYTES = 2500
PAGE_FRAGMENT_ROW_BYTES = 400


def page_layer(loaders: Loaders, on: bool) -> Pages:
    """The page layer of this request's shared cache; off (`PAGE_CACHE=false`) it keeps and finds nothing."""
    return Pages(loaders.shared if on else None)


class PageScope(NamedTuple):
    """What, besides the list, order and cursor, picks a page's rows and columns: part of its keys."""

    workspace_id: str
    name_contains: str | None
    size: int
    summary_only: bool  # no `process` selected: the summary columns only


async def kept_page(engine: Any, pages: Pages, *, kind: str, scope: PageScope, after: str | None,
                    where: dict[str, Any]) -> ProcessSummaryConnection | None:
    """The page kept for this list, order, scope and `after`, when the rows `where` selects
    (listing.versions) have the same versions as that page's; None otherwise, and the caller reads the rows
    (a second statement). Only for pages of summaries alone (`scope.summary_only`): a page that selects the
    processes' trees keeps its one statement for the rows, so that one whose rows changed costs at most three
    (the rows, the missing trees' groups and jobs)."""
    if not scope.summary_only or not pages.versions_first(kind, scope, after):
        return None
    seen = await listing.versions(engine, **where)
    kept: ProcessSummaryConnection | None = pages.page(kind, scope, after, seen.has_next, seen.rows)
    return kept


def summary_page(rows: list[Any], pages: Pages, *, kind: str, order: listing.Order, has_next: bool,
                 after: str | None, count: Any, scope: PageScope) -> ProcessSummaryConnection:
    """A page of summaries; the kept one when a page was read with the same `scope` (workspace, filter, size,
    which columns), `after` and `has_next` whose rows have the same ids, revisions and latest runs: everything
    a page's answer reads (the summaries' fields and cursors follow from the revision and the latest run's
    time; `run` reads the latest run's id; `process` the row, equal at the same revision). Such a page keeps
    what compiled selections answered for it, so a repeated page costs its one statement."""
    versions = tuple(map(listing.version_of, rows)) if pages.on else ()  # the key's, built once
    if pages.on and (kept := pages.page(kind, scope, after, has_next, versions)) is not None:
        return kept  # type: ignore[no-any-return]
    edges = _edges(rows, pages, kind, order)
    page = ProcessSummaryConnection(edges=edges, page_info=PageInfo.of(edges, has_next=has_next, after=after),
                                    _count=count)
    page.fragment_memo = pages.keep_page(kind, scope, after, has_next, versions, page,
                                         size=len(rows) * PAGE_ROW_BYTES,
                                         answer_bytes=len(rows) * PAGE_FRAGMENT_ROW_BYTES, mark=scope.summary_only)
    return page


def _edges(rows: list[Any], pages: Pages, kind: str, order: listing.Order) -> list[ProcessSummaryEdge]:
    """A page's edges; their summaries and cursors kept when the page layer holds the row's revision."""
    if not pages.on:
        return [ProcessSummaryEdge(cursor=encode_cursor(kind, listing.key_values(order, row)),
                                   node=ProcessSummary.lazy(row)) for row in rows]
    stable = listing.revision_stable(order)
    edges = []
    for row in rows:
        kept = _kept_summary(pages, row)
        cursor = kept.cursors.get(kind) if kept is not None and stable else None
        if cursor is None:
            cursor = encode_cursor(kind, listing.key_values(order, row))
            if kept is not None and stable:
                kept.cursors[kind] = cursor  # a handful of kinds (list, order, direction)
        edges.append(ProcessSummaryEdge(cursor=cursor, node=ProcessSummary.lazy(row) if kept is None
                                        else _for_row(kept.item, row)))
    return edges


def _kept_summary(pages: Pages, row: Any) -> KeptItem[ProcessSummary] | None:
    def make() -> ProcessSummary:
        summary = ProcessSummary.from_row(row)
        summary._row = None  # each copy gets its request's row (_for_row)
        return summary

    def attach(summary: ProcessSummary, memo: Any) -> None:
        summary.fragment_memo = memo

    return pages.item("summary", str(row.id), row.revision, make, attach, size=SUMMARY_BYTES,
                      answer_bytes=SUMMARY_FRAGMENT_BYTES)


def _for_row(summary: ProcessSummary, row: Any) -> ProcessSummary:
    """A copy of a kept summary for this request, with its row: the row also carries what changes without a
    revision (the latest run, read by `ProcessSummary.run`), so the kept summary itself is never handed out."""
    made: ProcessSummary = object.__new__(ProcessSummary)
    made.__dict__.update(summary.__dict__)
    made._row = row
    return made
