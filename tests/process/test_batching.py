"""Batching: a whole tree per request in a fixed number of SQL statements (docs/conventions.md habit 4, issue 2 point 6)."""

from __future__ import annotations

from typing import Any

import pytest

from app.process.types import Process
from tests.factories import CREATE, NODE_FIELDS, READ_TREE, normalize_input, process_input, rebuild
from tests.helpers import GraphQLClient, SqlCounter

# Nested selection through `root.children`, three levels deep, plus the flat list.
TREE_QUERY = f"""
query($id: ID!) {{
  process(id: $id) {{
    id name revision created {{ dateTime user {{ id }} }}
    root {{ id name children {{ ...C
      ... on ProcessGroup {{ children {{ ...C ... on ProcessGroup {{ children {{ ...C }} }} }} }} }} }}
    nodes {{ {NODE_FIELDS} }}
  }}
}}
fragment C on ProcessGroupChild {{
  ... on ProcessGroup {{ id name ordinal parentId readOnly }}
  ... on ProcessJob {{ id name ordinal action tags {{ category value }} arguments {{ __typename }}
                     generated {{ id children {{ ... on ProcessGroup {{ id }} }} }} }}
}}
"""

LIST_QUERY = f"""
query($first: Int!) {{
  processes(first: $first) {{
    totalCount
    edges {{ node {{ id name process {{ id
                                        nodes {{ {NODE_FIELDS} }} }} }} }}
  }}
}}
"""


async def _create(gql: GraphQLClient, nodes: int) -> tuple[str, dict]:
    given = process_input(nodes=nodes)
    data = await gql(CREATE, {"input": given})
    assert data["processCreate"]["errors"] == []
    return data["processCreate"]["process"]["id"], given


async def _statements_for_tree(gql: GraphQLClient, sql: SqlCounter, nodes: int) -> int:
    pid, given = await _create(gql, nodes)
    sql.reset()
    data = await gql(TREE_QUERY, {"id": pid})
    count = sql.count
    # the tree that comes back is the one created
    full = await gql(READ_TREE, {"id": pid})
    assert rebuild(full["process"]["nodes"], full["process"]["root"]["id"]) == normalize_input(given["root"])
    assert data["process"]["id"] == pid
    return count


async def test_one_tree_costs_the_same_for_10_and_1000_nodes(gql: GraphQLClient, sql: SqlCounter) -> None:
    small = await _statements_for_tree(gql, sql, 10)
    large = await _statements_for_tree(gql, sql, 1000)
    # process row, all groups, all jobs with their tags (user ids need no query)
    assert small == large == 3


@pytest.mark.parametrize("count", [5, 50])
async def test_a_page_of_trees_costs_the_same_for_5_and_50_processes(
    gql: GraphQLClient, sql: SqlCounter, count: int
) -> None:
    for _ in range(count):
        await _create(gql, 12)
    sql.reset()
    data = await gql(LIST_QUERY, {"first": count})
    edges = data["processes"]["edges"]
    assert len(edges) == count and data["processes"]["totalCount"] == count
    assert all(len(e["node"]["process"]["nodes"]) > 12 for e in edges)
    # the page, the count, all groups of the page's processes, all their jobs with tags
    assert sql.count == 4, sql.statements


async def test_user_details_are_batched_across_the_tree(gql: GraphQLClient, sql: SqlCounter) -> None:
    pid, _ = await _create(gql, 200)
    sql.reset()
    data = await gql("""query($id: ID!) { process(id: $id) { created { user { name } }
        nodes { ... on ProcessGroup { created { user { id name email active } } }
                ... on ProcessJob { modified { user { name } } } } } }""", {"id": pid})
    assert {n.get("created", n.get("modified"))["user"]["name"] for n in data["process"]["nodes"]} == {
        "Development User"}
    # process, groups, jobs+tags, users (one batch for every user reference)
    assert sql.count == 4


# Two roots per process: one through a fragment two levels deep, one under an alias reaching generated
# certification groups (the whole tree). The list loads its page's trees ahead for both (Process.root).
LIST_ROOTS = """
query($first: Int!) {
  processes(first: $first, orderBy: {field: NAME}) {
    edges { node { id ...P process { whole: root { ...G children { ...G ... on ProcessGroup { children { ...G } } } } } } }
  }
}
fragment P on ProcessSummary { process { id root { id name children { ...S ... on ProcessGroup { children { ...S } } } } } }
fragment G on ProcessGroupChild {
  __typename
  ... on ProcessGroup { id name ordinal }
  ... on ProcessJob { id ordinal action generated { id name children { ... on ProcessJob { id action } } } }
}
fragment S on ProcessGroupChild { __typename ... on ProcessGroup { id name } ... on ProcessJob { id action } }
"""
ONE_ROOTS = """
query($id: ID!) {
  process(id: $id) {
    id root { id name children { ...S ... on ProcessGroup { children { ...S } } } }
    whole: root { ...G children { ...G ... on ProcessGroup { children { ...G } } } }
  }
}
fragment G on ProcessGroupChild {
  __typename
  ... on ProcessGroup { id name ordinal }
  ... on ProcessJob { id ordinal action generated { id name children { ... on ProcessJob { id action } } } }
}
fragment S on ProcessGroupChild { __typename ... on ProcessGroup { id name } ... on ProcessJob { id action } }
"""


async def test_a_page_loads_its_trees_ahead_at_the_depths_its_roots_ask_for(
    gql_uncached: GraphQLClient, sql: SqlCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    gql = gql_uncached  # the loaders' batches, without the shared cache's whole trees serving shallow reads
    waited: list[tuple[str, Any]] = []  # roots that had to wait for their tree (not loaded ahead)
    root_later = Process._root_later

    async def spy(self: Process, info: Any, key: Any, needs: Any) -> Any:
        waited.append(key)
        return await root_later(self, info, key, needs)

    monkeypatch.setattr(Process, "_root_later", spy)
    counts = []
    created = 0
    for total in (3, 9):
        while created < total:
            await _create(gql, 14)  # certification jobs among the root's children (tests/factories.py)
            created += 1
        sql.reset()
        waited.clear()
        data = await gql(LIST_ROOTS, {"first": total})
        counts.append(sql.count)
        # the page loaded the whole trees ahead (for `whole`, which reaches generated nodes); `root`, two
        # levels without generated nodes, has a tree key of its own and waited for it
        assert [k[1].depth for k in waited] == [2] * total, waited
        edges = data["processes"]["edges"]
        assert len(edges) == total
        for edge in edges:
            one = await gql(ONE_ROOTS, {"id": edge["node"]["id"]})
            # each root answers exactly as it does for the process alone, generated nodes included
            assert edge["node"]["process"] == one["process"]
            assert any(c.get("generated") for c in one["process"]["whole"]["children"])
    # the page; then the trees for both roots: whole trees for `whole`, two levels for `root` (groups and
    # jobs each), whatever the page size
    assert counts[0] == counts[1] == 5, counts


async def test_a_shallow_read_has_the_stamps_and_tags_it_asks_for(gql: GraphQLClient, sql: SqlCounter) -> None:
    pid, _ = await _create(gql, 14)
    part = """... on ProcessGroup { id created { dateTime user { id } } modified { dateTime } }
              ... on ProcessJob { id tags { category value } modified { dateTime user { id } } }"""
    for selection in ("__typename", part):
        sql.reset()
        shallow = await gql(f"query($id: ID!) {{ process(id: $id) {{ root {{ children {{ {selection} }} }} }} }}",
                            {"id": pid})
        # the process row; the groups down to level 1 and their jobs, with or without stamps and tags
        assert sql.count == 3, sql.statements
    whole = await gql(f"query($id: ID!) {{ process(id: $id) {{ nodes {{ {part} }} }} }}", {"id": pid})
    by_id = {n["id"]: n for n in whole["process"]["nodes"]}
    children = shallow["process"]["root"]["children"]
    assert any(c.get("tags") for c in children) and any("created" in c for c in children)
    assert children == [by_id[c["id"]] for c in children]
