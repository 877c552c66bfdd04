"""The process list: ordering, keyset cursors, the name filter and page sizes (docs/data-model.md, API conventions).

Every expected order is computed here, in Python, from the rows the test made:
NAME compares `str.casefold()` of the name then the id (both in the chosen
direction); DUE_DATE and RUN_CREATED compare their value in the chosen
direction with null values last either way, ties broken by casefolded name
ascending then id ascending. The default order is RUN_CREATED descending.
Runs do not exist yet, so `latest_run_at` is written straight to the table.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import table
from app.process.models import Process
from tests.factories import CREATE, process_input
from tests.helpers import GraphQLClient

PROCESS = table(Process)

LIST = """
query List($first: Int, $after: String, $order: ProcessOrder, $filter: ProcessFilter) {
  processes(first: $first, after: $after, orderBy: $order, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } }
  }
}
"""

TRASHED = """
query Trashed($first: Int, $after: String, $order: ProcessOrder, $filter: ProcessFilter) {
  trashedProcesses(first: $first, after: $after, orderBy: $order, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name } }
  }
}
"""

TRASH = """
mutation Trash($id: ID!) {
  processTrash(input: {id: $id}) { errors { code message } trashedProcess { id } }
}
"""

# (the `orderBy` argument, the order it means as (field, descending)), one per order, plus the default
ORDERS = [
    pytest.param(None, ("RUN_CREATED", True), id="default"),
    *(
        pytest.param({"field": field, "direction": direction}, (field, direction == "DESC"),
                     id=f"{field}-{direction}")
        for field in ("NAME", "DUE_DATE", "RUN_CREATED")
        for direction in ("ASC", "DESC")
    ),
]

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


@dataclass
class Row:
    id: str
    name: str
    due: date | None
    run: datetime | None


def expected_ids(rows: list[Row], order: tuple[str, bool]) -> list[str]:
    """The ids in the order docs/data-model.md (API conventions) defines, computed in Python."""
    field, descending = order
    if field == "NAME":
        return [r.id for r in sorted(rows, key=lambda r: (r.name.casefold(), r.id), reverse=descending)]

    def value(r: Row) -> Any:
        return r.due if field == "DUE_DATE" else r.run

    # Stable sorts: tie-break order first, then the value (reverse=True keeps ties in place).
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.id))
    valued = sorted((r for r in by_name if value(r) is not None), key=value, reverse=descending)
    return [r.id for r in valued] + [r.id for r in by_name if value(r) is None]


async def set_latest_run(engine: AsyncEngine, process_id: str, when: datetime | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(PROCESS).where(PROCESS.c.id == process_id).values(latest_run_at=when))


async def make(gql: GraphQLClient, engine: AsyncEngine, name: str, due: date | None = None,
               run: datetime | None = None) -> Row:
    """Create a one-node process through the API; then give it a latest run time when asked."""
    extra = {} if due is None else {"dueDate": due.isoformat()}
    payload = (await gql(CREATE, {"input": process_input(name, nodes=1, **extra)}))["processCreate"]
    assert payload["errors"] == [], payload["errors"]
    row = Row(payload["process"]["id"], name, due, run)
    if run is not None:
        await set_latest_run(engine, row.id, run)
    return row


async def trash(gql: GraphQLClient, process_id: str) -> None:
    payload = (await gql(TRASH, {"id": process_id}))["processTrash"]
    assert payload["errors"] == [], payload["errors"]


async def list_page(gql: GraphQLClient, *, first: int | None = None, after: str | None = None,
                    order: dict[str, str] | None = None, name_contains: str | None = None,
                    query: str = LIST) -> dict[str, Any]:
    variables: dict[str, Any] = {"first": first, "after": after, "order": order}
    if name_contains is not None:
        variables["filter"] = {"nameContains": name_contains}
    data = await gql(query, variables)
    return data["trashedProcesses" if query is TRASHED else "processes"]


async def list_all(gql: GraphQLClient, *, first: int, order: dict[str, str] | None = None,
                   name_contains: str | None = None, query: str = LIST) -> list[str]:
    """Every id of the list, following `endCursor` page by page."""
    ids: list[str] = []
    after = None
    for _ in range(300):
        page = await list_page(gql, first=first, after=after, order=order, name_contains=name_contains,
                               query=query)
        ids += [e["node"]["id"] for e in page["edges"]]
        assert len(page["edges"]) <= first
        assert page["edges"] or after is None, "hasNextPage promised rows that did not come"
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        assert len(page["edges"]) == first, "a page short of `first` must be the last one"
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    pytest.fail("the pages never ended")


def error_of(result: Any) -> dict[str, Any]:
    """The Error shape of the single top-level error of a refused query."""
    assert result.errors and len(result.errors) == 1, result.errors
    assert result.data is None
    return dict(result.errors[0].extensions)


# --- 1. ordering -------------------------------------------------------------------------------

# Names that differ only in case, that casefold alike across scripts (ß/SS, final sigma, the fi
# ligature), non-ASCII letters that sort after "z" by code point, exact duplicates, and punctuation.
# Due dates and run times repeat (ties) and are missing (nulls); two run times differ by 1 µs.
ORDERING_ROWS: list[tuple[str, date | None, datetime | None]] = [
    ("Straße", date(2025, 5, 1), T0),
    ("STRASSE", date(2025, 5, 1), T0),
    ("strasse", None, None),
    ("Ärger", date(2025, 1, 10), T0 + US),
    ("ärger", None, T0 - timedelta(days=1)),
    ("ÄRGER", date(2025, 1, 10), T0 + US),
    ("Zebra", date(2025, 1, 10), None),
    ("zebra", date(2025, 12, 31), T0 + US),
    ("apple", date(2025, 5, 1), None),
    ("Apple", None, T0),
    ("apple", date(2025, 1, 10), T0 + timedelta(hours=2)),
    ("ΣΊΣΥΦΟΣ", date(2024, 12, 31), T0 + timedelta(hours=2)),
    ("σίσυφος", None, None),
    ("ﬁnance", date(2025, 5, 1), T0 - timedelta(days=1)),
    ("Finance", date(2025, 5, 1), T0 - timedelta(days=1)),
    ("beta two", date(2026, 1, 1), None),
    ("beta-one", date(2026, 1, 1), T0 + 2 * US),
    ("10 items", None, T0),
    ("9 items", date(2025, 1, 10), None),
]


@pytest.mark.parametrize(("order_by", "order"), ORDERS)
async def test_pages_follow_the_documented_order(
    gql: GraphQLClient, engine: AsyncEngine, order_by: dict[str, str] | None, order: tuple[str, bool]
) -> None:
    # given processes with case variants, non-ASCII names, duplicates, equal and missing keys
    rows = [await make(gql, engine, name, due, run) for name, due, run in ORDERING_ROWS]
    expected = expected_ids(rows, order)

    # when the list is read whole, and page by page (a cursor on every row, and across ties)
    whole = await list_page(gql, order=order_by)

    # then every reading gives the order computed in Python
    assert [e["node"]["id"] for e in whole["edges"]] == expected
    assert whole["totalCount"] == len(rows) and whole["pageInfo"]["hasNextPage"] is False
    for size in (1, 4):
        assert await list_all(gql, first=size, order=order_by) == expected, f"pages of {size}"


async def test_default_order_is_newest_run_first_then_name_then_id(gql: GraphQLClient,
                                                                   engine: AsyncEngine) -> None:
    # given runs at distinct times, a tie broken by name, a tie broken by id, and never-run processes
    never_b = await make(gql, engine, "b never run")
    old = await make(gql, engine, "old", run=T0 - timedelta(days=3))
    newest = await make(gql, engine, "newest", run=T0 + timedelta(days=3))
    tie_b = await make(gql, engine, "B tie", run=T0)
    tie_a1 = await make(gql, engine, "a tie", run=T0)
    tie_a2 = await make(gql, engine, "A TIE", run=T0)
    never_a = await make(gql, engine, "A never run")

    # when the list is read without orderBy
    ids = [e["node"]["id"] for e in (await list_page(gql))["edges"]]

    # then the newest run comes first, never-run processes last, ties by casefolded name then id
    tie_a = sorted([tie_a1.id, tie_a2.id])
    assert ids == [newest.id, *tie_a, tie_b.id, old.id, never_a.id, never_b.id]


# --- 2. keyset cursors stay stable while rows are added -------------------------------------------

STABILITY_ROWS: list[tuple[str, date | None, datetime | None]] = [
    ("Kilo", date(2025, 6, 1), T0),
    ("kilo", date(2025, 6, 1), T0),
    ("Lima", date(2025, 6, 2), T0 + timedelta(hours=1)),
    ("Mike", None, T0 + timedelta(hours=1)),
    ("mike", date(2025, 6, 3), None),
    ("November", date(2025, 6, 3), T0 + timedelta(hours=2)),
    ("Oscar", None, None),
    ("Papa", date(2025, 6, 4), T0 + timedelta(hours=3)),
    ("Quebec", date(2025, 6, 5), T0 + timedelta(hours=3)),
]


@pytest.mark.parametrize(("order_by", "order"), ORDERS)
async def test_cursors_survive_inserts_before_and_after_them(
    gql: GraphQLClient, engine: AsyncEngine, order_by: dict[str, str] | None, order: tuple[str, bool]
) -> None:
    # given nine processes
    rows = {r.id: r for r in [await make(gql, engine, *spec) for spec in STABILITY_ROWS]}
    at_start = set(rows)

    # when the list is read in pages of 3 and, after each of the first three pages, new processes
    # are created: one sorting first and one sorting last for every order, one without due date or
    # run, and one with the same name, due date and run as the row under the cursor
    pages: list[list[str]] = []
    inserted: list[tuple[Row, str]] = []  # (row, the cursor's row id when it was inserted)
    after = None
    for round_ in range(100):
        page = await list_page(gql, first=3, after=after, order=order_by)
        pages.append([e["node"]["id"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if round_ < 3:
            cursor_row = rows[pages[-1][-1]]
            # outside the initial rows' range of names, due dates (June 2025) and runs (T0 to T0 + 3 h)
            early = (f"Aaa {round_}", date(2025, 1, 1) - timedelta(days=round_), T0 - timedelta(days=1 + round_))
            late = (f"Zzz {round_}", date(2025, 12, 1) + timedelta(days=round_), T0 + timedelta(days=1 + round_))
            for spec in [early, late,
                         (f"Null {round_}", None, None),
                         (cursor_row.name, cursor_row.due, cursor_row.run)]:
                new = await make(gql, engine, *spec)
                rows[new.id] = new
                inserted.append((new, cursor_row.id))
    else:
        pytest.fail("the pages never ended")

    # then no row comes twice, every row that existed at the start comes, and the pages run in order
    seen = [i for p in pages for i in p]
    assert len(seen) == len(set(seen)), "a row came twice"
    assert at_start <= set(seen), "a row that existed at the start was skipped"
    rank = {row_id: n for n, row_id in enumerate(expected_ids(list(rows.values()), order))}
    assert [rank[i] for i in seen] == sorted(rank[i] for i in seen)
    # and a new row comes exactly when it sorts after the cursor it was inserted behind
    landed_before = [new.id for new, cursor_id in inserted if rank[new.id] < rank[cursor_id]]
    landed_after = [new.id for new, cursor_id in inserted if rank[new.id] > rank[cursor_id]]
    assert landed_before and landed_after, "the test must insert on both sides of the cursor"
    assert not set(landed_before) & set(seen)
    assert set(landed_after) <= set(seen)


# --- 3. nameContains, totalCount and the trash ----------------------------------------------------

async def test_name_contains_compares_casefolded_and_takes_wildcards_literally(
    gql: GraphQLClient, engine: AsyncEngine
) -> None:
    # given names with ß, umlauts, and the LIKE metacharacters % _ and the escape character \
    names = ["Straße", "STRASSE plan", "Strasbourg", "Ärger", "100% done", "100 percent", "a_b", "axb",
             "back\\slash", "backslash"]
    made = {r.name: r.id for r in [await make(gql, engine, name) for name in names]}

    async def found(needle: str) -> set[str]:
        page = await list_page(gql, name_contains=needle)
        ids = {e["node"]["id"] for e in page["edges"]}
        assert page["totalCount"] == len(ids)
        return ids

    def ids(*wanted: str) -> set[str]:
        return {made[n] for n in wanted}

    # when / then: the needle is casefolded too, so ß and SS match each other in any case
    assert await found("strasse") == ids("Straße", "STRASSE plan")
    assert await found("STRAßE") == ids("Straße", "STRASSE plan")
    assert await found("ärger") == ids("Ärger") == await found("ÄRGER")
    # and % _ \ are plain characters, not patterns
    assert await found("%") == ids("100% done")
    assert await found("0% d") == ids("100% done")
    assert await found("_") == ids("a_b")
    assert await found("a_b") == ids("a_b")
    assert await found("\\") == ids("back\\slash")
    assert await found("nothing like it") == set()


async def test_total_count_follows_the_filter_and_leaves_out_the_trash(gql: GraphQLClient,
                                                                       engine: AsyncEngine) -> None:
    # given five processes, three of them named like "Report", one of those trashed
    reports = [await make(gql, engine, name) for name in ("Report A", "report b", "Q1 REPORT")]
    others = [await make(gql, engine, name) for name in ("Budget", "Plan")]
    await trash(gql, reports[0].id)

    # when the live list is read with and without the filter
    everything = await list_page(gql)
    filtered = await list_page(gql, name_contains="report")

    # then the counts and rows leave the trashed process out
    live = {r.id for r in [*reports[1:], *others]}
    assert everything["totalCount"] == 4 and {e["node"]["id"] for e in everything["edges"]} == live
    assert filtered["totalCount"] == 2
    assert {e["node"]["id"] for e in filtered["edges"]} == {reports[1].id, reports[2].id}

    # and the trash lists only the trashed process, filter and count included
    trashed = await list_page(gql, query=TRASHED)
    assert trashed["totalCount"] == 1 and [e["node"]["id"] for e in trashed["edges"]] == [reports[0].id]
    trashed_filtered = await list_page(gql, query=TRASHED, name_contains="budget")
    assert trashed_filtered["totalCount"] == 0 and trashed_filtered["edges"] == []


async def test_trashed_processes_pages_in_order(gql: GraphQLClient, engine: AsyncEngine) -> None:
    # given seven processes, five of them trashed
    rows = [await make(gql, engine, name, date(2025, 1, 1 + i % 3)) for i, name in
            enumerate(["e", "D", "c", "B", "a", "live 1", "live 2"])]
    for row in rows[:5]:
        await trash(gql, row.id)
    order_by = {"field": "DUE_DATE", "direction": "DESC"}

    # when the trash is read in pages of 2
    ids = await list_all(gql, first=2, order=order_by, query=TRASHED)

    # then it holds only the trashed ones, in the requested order
    assert ids == expected_ids(rows[:5], ("DUE_DATE", True))


# --- 4. page size --------------------------------------------------------------------------------

async def test_page_size_defaults_to_100_and_stops_at_1000(gql: GraphQLClient, engine: AsyncEngine) -> None:
    # given 101 processes
    for i in range(101):
        await make(gql, engine, f"P {i:03}")
    order_by = {"field": "NAME", "direction": "ASC"}

    # when the list is read without `first`, then with `first: 1000`
    default = await list_page(gql, order=order_by)
    most = await list_page(gql, first=1000, order=order_by)

    # then the default page holds 100 rows and says more follow; 1000 takes them all
    assert len(default["edges"]) == 100 and default["pageInfo"]["hasNextPage"] is True
    assert default["totalCount"] == 101
    assert [e["node"]["name"] for e in most["edges"]] == [f"P {i:03}" for i in range(101)]
    assert most["pageInfo"]["hasNextPage"] is False
    rest = await list_page(gql, after=default["pageInfo"]["endCursor"], order=order_by)
    assert [e["node"]["name"] for e in rest["edges"]] == ["P 100"]


async def test_first_beyond_1000_is_refused_with_limit_exceeded(gql: GraphQLClient) -> None:
    # when a page of 1001 rows is asked for
    result = await gql.raw(LIST, {"first": 1001})

    # then the query is refused with the limit and the asked number
    error = error_of(result)
    assert error["code"] == "LIMIT_EXCEEDED" and error["target"] == "first"
    assert error["meta"] == {"limit": 1000, "actual": 1001}
    assert error_of(await gql.raw(TRASHED, {"first": 1001}))["code"] == "LIMIT_EXCEEDED"


async def test_negative_first_is_refused(gql: GraphQLClient) -> None:
    error = error_of(await gql.raw(LIST, {"first": -1}))
    assert error["code"] == "VALIDATION_ERROR" and error["target"] == "first"


# --- 5. cursors belong to one order ---------------------------------------------------------------

async def test_a_cursor_from_another_order_is_refused(gql: GraphQLClient, engine: AsyncEngine) -> None:
    # given a cursor taken from the list ordered by name ascending
    for name in ("a", "b", "c"):
        await make(gql, engine, name, date(2025, 1, 1))
    name_asc = {"field": "NAME", "direction": "ASC"}
    cursor = (await list_page(gql, first=1, order=name_asc))["pageInfo"]["endCursor"]
    assert (await list_page(gql, first=1, after=cursor, order=name_asc))["edges"][0]["node"]["name"] == "b"

    # when it is used with any other order, then it is refused as a bad `after`
    for other in [None, {"field": "NAME", "direction": "DESC"}, {"field": "DUE_DATE", "direction": "ASC"},
                  {"field": "RUN_CREATED", "direction": "ASC"}]:
        error = error_of(await gql.raw(LIST, {"first": 1, "after": cursor, "order": other}))
        assert (error["code"], error["target"]) == ("VALIDATION_ERROR", "after"), other


def forge(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    pytest.param("garbage", id="not-base64-json"),
    pytest.param("", id="empty"),
    pytest.param("ü", id="non-ascii"),
    pytest.param(forge({"a": 1}), id="json-object"),
    pytest.param(forge(["process:NAME:asc"]), id="short-envelope"),
    pytest.param(forge(["process:NAME:asc", ["a"]]), id="too-few-keys"),
    pytest.param(forge(["process:NAME:asc", "ab"]), id="keys-not-a-list"),
])
async def test_a_garbage_cursor_is_refused(gql: GraphQLClient, engine: AsyncEngine, cursor: str) -> None:
    await make(gql, engine, "a")
    error = error_of(await gql.raw(LIST, {"after": cursor, "order": {"field": "NAME", "direction": "ASC"}}))
    assert (error["code"], error["target"]) == ("VALIDATION_ERROR", "after")


@pytest.mark.parametrize(("order_by", "cursor"), [
    pytest.param({"field": "DUE_DATE", "direction": "ASC"},
                 forge(["process:DUE_DATE:asc", ["not-a-date", "a", "0" * 32]]), id="text-for-date"),
    pytest.param(None, forge(["process:RUN_CREATED:desc", [12, "a", "0" * 32]]), id="number-for-datetime"),
    pytest.param({"field": "NAME", "direction": "ASC"}, forge(["process:NAME:asc", [None, "0" * 32]]),
                 id="null-name"),
    pytest.param({"field": "NAME", "direction": "ASC"}, forge(["process:NAME:asc", [1, 2]]), id="numbers"),
])
async def test_a_cursor_with_forged_key_values_is_refused(
    gql: GraphQLClient, engine: AsyncEngine, order_by: dict[str, str] | None, cursor: str
) -> None:
    # given a cursor with the right envelope but key values of the wrong type
    await make(gql, engine, "a", date(2025, 1, 1), T0)

    # when it is used, then it is refused as a bad `after` (not an internal error)
    error = error_of(await gql.raw(LIST, {"after": cursor, "order": order_by}))
    assert (error["code"], error["target"]) == ("VALIDATION_ERROR", "after")
