"""Bad input to processCreate: every problem reported with its path, nothing stored (issue 2 point 5)."""

from __future__ import annotations

from typing import Any

from tests.factories import CREATE
from tests.helpers import GraphQLClient

COUNT = "{ processes { totalCount } }"


async def _errors(gql: GraphQLClient, input_: dict[str, Any]) -> list[dict[str, Any]]:
    data = await gql(CREATE, {"input": input_})
    payload = data["processCreate"]
    assert payload["process"] is None
    assert (await gql(COUNT))["processes"]["totalCount"] == 0, "a refused create stores nothing"
    return payload["errors"]


def _nested(levels: int) -> dict[str, Any]:
    """A root with a chain of `levels` groups below it."""
    root: dict[str, Any] = {"name": "level 0", "children": []}
    node = root
    for level in range(1, levels + 1):
        child: dict[str, Any] = {"name": f"level {level}", "children": []}
        node["children"] = [{"group": child}]
        node = child
    return root


async def test_every_problem_is_reported_with_the_path_of_its_field(gql: GraphQLClient) -> None:
    root = {"name": "R", "children": [
        {"job": {"arguments": {"sendTask": {"title": "ok"}}}},
        {"group": {"name": "G", "children": [
            {"group": {"name": "  ", "children": []}},
            {"job": {"arguments": {"contentRequest": {"title": "t"}},
                     "tags": [{"category": "c", "value": "v"}, {"category": "c", "value": "v"}]}},
        ]}},
    ]}
    errors = await _errors(gql, {"name": "", "root": root, "businessStartDate": "2025-01-01",
                                 "businessDaysOfWeek": ["MONDAY", "MONDAY"]})
    got = {(e["code"], e["target"]) for e in errors}
    assert got == {
        ("REQUIRED", "name"),
        ("REQUIRED", "businessEndDate"),
        ("VALIDATION_ERROR", "businessDaysOfWeek[1]"),
        ("REQUIRED", "root.children[1].group.children[0].group.name"),
        ("VALIDATION_ERROR", "root.children[1].group.children[1].job.tags[1]"),
    }
    assert all(e["message"] for e in errors)


async def test_business_window_both_or_neither_and_in_order(gql: GraphQLClient) -> None:
    errors = await _errors(gql, {"name": "P", "root": {"name": "R"}, "businessEndDate": "2025-01-01"})
    assert [(e["code"], e["target"]) for e in errors] == [("REQUIRED", "businessStartDate")]
    errors = await _errors(gql, {"name": "P", "root": {"name": "R"}, "businessStartDate": "2025-02-01",
                                 "businessEndDate": "2025-01-01"})
    assert [(e["code"], e["target"]) for e in errors] == [("VALIDATION_ERROR", "businessEndDate")]


async def test_custom_reminders_are_at_most_three(gql: GraphQLClient) -> None:
    reminder = {"daysFromDue": -1, "subject": "s", "body": "b"}
    errors = await _errors(gql, {"name": "P", "root": {"name": "R"},
                                 "defaultCertSignerReminders": {"mode": "CUSTOM", "reminders": [reminder] * 4},
                                 "defaultCertApproverReminders": {"mode": "NONE", "reminders": [reminder]}})
    by_target = {e["target"]: e for e in errors}
    assert by_target["defaultCertSignerReminders.reminders"]["code"] == "LIMIT_EXCEEDED"
    assert by_target["defaultCertSignerReminders.reminders"]["meta"] == {"limit": 3, "actual": 4}
    assert by_target["defaultCertApproverReminders.reminders"]["code"] == "VALIDATION_ERROR"


async def test_groups_nest_sixteen_levels_below_the_root(gql: GraphQLClient) -> None:
    ok = await gql(CREATE, {"input": {"name": "deep", "root": _nested(16)}})
    assert ok["processCreate"]["errors"] == []
    data = await gql(CREATE, {"input": {"name": "too deep", "root": _nested(17)}})
    (error,) = data["processCreate"]["errors"]
    assert error["code"] == "LIMIT_EXCEEDED" and error["meta"] == {"limit": 16, "actual": 17}
    assert error["target"] == "root" + ".children[0].group" * 17
    assert "16" in error["message"] and "17" in error["message"]


async def test_a_process_holds_at_most_5000_nodes(gql: GraphQLClient) -> None:
    def flat(n: int) -> dict[str, Any]:
        return {"name": "R", "children": [{"job": {"arguments": {"sendTask": {"title": f"t{i}"}}}}
                                          for i in range(n)]}
    data = await gql(CREATE, {"input": {"name": "too big", "root": flat(5001)}})
    (error,) = data["processCreate"]["errors"]
    assert error["code"] == "LIMIT_EXCEEDED" and error["meta"] == {"limit": 5000, "actual": 5001}
    assert (await gql(COUNT))["processes"]["totalCount"] == 0
    ok = await gql(CREATE, {"input": {"name": "biggest", "root": flat(5000)}})
    assert ok["processCreate"]["errors"] == []
    read = await gql("query($id: ID!) { process(id: $id) { nodes { __typename } } }",
                     {"id": ok["processCreate"]["process"]["id"]})
    assert len(read["process"]["nodes"]) == 5001


async def test_generated_nodes_do_not_count_toward_the_limit(gql: GraphQLClient) -> None:
    cert = {"job": {"arguments": {"certification": {
        "title": "c", "signerSteps": [{"mode": "EVERYONE", "users": [f"u{i}" for i in range(3)]}]}}}}
    data = await gql(CREATE, {"input": {"name": "p", "root": {"name": "R", "children": [cert] * 5000}}})
    assert data["processCreate"]["errors"] == []


async def test_type_errors_are_readable_graphql_errors(gql: GraphQLClient) -> None:
    bad_date = await gql.raw(CREATE, {"input": {"name": "P", "root": {"name": "R"}, "dueDate": "2025-13-40"}})
    assert bad_date.errors and "dueDate" in bad_date.errors[0].message
    bad_enum = await gql.raw(CREATE, {"input": {"name": "P", "root": {"name": "R", "triggerType": "SOMETIMES"}}})
    assert bad_enum.errors and "SOMETIMES" in bad_enum.errors[0].message
    both = await gql.raw(CREATE, {"input": {"name": "P", "root": {"name": "R", "children": [
        {"group": {"name": "g"}, "job": {"arguments": {"sendTask": {}}}}]}}})
    assert both.errors and "exactly one" in both.errors[0].message
    assert (await gql(COUNT))["processes"]["totalCount"] == 0


async def test_incomplete_jobs_are_stored(gql: GraphQLClient) -> None:
    # what a run needs (assignee, title, signer steps) is the health check's business, not the write's
    root = {"name": "R", "children": [{"job": {"arguments": {"sendTask": {}}}},
                                      {"job": {"arguments": {"certification": {}}}}]}
    data = await gql(CREATE, {"input": {"name": "draft", "root": root}})
    assert data["processCreate"]["errors"] == []
