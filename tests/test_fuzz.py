"""Property-based fuzzing of the whole gateway (issue 4, point 6).

Hypothesis draws GraphQL operations from the schema (`schema.graphql`: every root query field and every
mutation, definitions and runs) and this test sends them, one after another, through the ASGI app
(lifespan running) with valid tokens. Arguments are random and hostile: huge strings (up to 1 MB), unicode
(RTL overrides, emoji, NUL, combining marks), deep nesting (trees past 16 levels, deep JSON values, deep
selections), wrong types (a variable replaced by a value of another type), ids of the caller's own
processes, groups, jobs, generated nodes, runs, group runs and job runs (so most operations succeed and
the data grows; runs are started from processes built to pass the health check, and acted on), ids of the
wrong kind, ids of another workspace, trashed and purged ids, malformed ids, real, mutated and forged
cursors. Some requests are hostile documents (syntax errors, depth, alias, token and cost bombs, fragment
cycles, subscriptions over HTTP) or hostile HTTP (bodies that are not GraphQL requests, GET, oversized).
The rate limiter is off (it has its own tests); a second user of the workspace is deactivated while
operations DEACTIVATE_BETWEEN are sent, so job runs assigned to them go to error.

Reproducible: `derandomize=True`, `deadline=None`, no example database. Hypothesis draws, per operation,
a seed and a few unicode texts (OP_RECIPE: a shape that never depends on the server's answers, as
hypothesis requires); the operation is built from them and from what the fuzzer learnt from earlier
responses (ids, revisions, cursors), so it can target real groups, jobs and job runs. `uuid.uuid4` is
seeded for the test, so the server hands out the same ids on every run and the whole run repeats
exactly. Nothing inside an example raises: every response is judged and problems are collected, then
asserted at the end (no shrinking against a stateful server).

For every response: status < 500; a JSON body; every error either carries an app code (`extensions.code`,
or `code` of a payload Error) or is a GraphQL syntax/validation/variable error without a `path`; no code
is INTERNAL (a masked exception is a bug); no message leaks a traceback or a Python exception name; no
response to one workspace's token names an id of the other workspace that the request did not send; a
process or run never shows an older revision than an earlier answer did. Afterwards every process (and
every run) passes `tests.integrity.check_integrity`.

"Reached a resolver" (the count asserted): the response has a `data` object with at least one root field
that is not null, or one of its errors has a `path` (it was raised inside execution). A root field that
resolved to null (`process(id:)` of an unknown id) is left out although its resolver ran; the looser count
(any `data` object) is printed too. At least half of all operations must reach a resolver.

Known bugs (found by this fuzzer, reported with the issue). Each class is still generated, but unless
PROCESSGRAPH_FUZZ_KNOWN_BUGS=1 the generator replaces it by the nearest harmless input and counts the skip
(printed at the end), so the suite stays green while the bug is open; run with the variable set to see
them fail. See KNOWN_BUGS; delete an entry (and its replacement) once its bug is fixed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import service as auth
from app.db import create_engine, is_sqlite
from app.errors import ERROR_CODES, INTERNAL, METHOD_NOT_ALLOWED
from app.http import RATE_LIMITED, UNAUTHENTICATED
from app.main import create_app
from app.process.health import HEALTH_CODES
from app.process.patch import PATHS
from app.settings import DEFAULT_WORKSPACE_ID, DEV_USER_ID, Settings
from tests.factories import NODE_FIELDS, process_input
from tests.integrity import check_integrity

T = TypeVar("T")

EXAMPLES = 120  # hypothesis examples; each sends OPS_PER_EXAMPLE operations against the same database
OPS_PER_EXAMPLE = 25
MIN_OPERATIONS = 2000
DEACTIVATE_BETWEEN = (1200, 2200)  # the second user of A is inactive while these many operations are sent
KNOWN_BUGS_ENV = "PROCESSGRAPH_FUZZ_KNOWN_BUGS"

KNOWN_BUGS = {
    "lone-surrogate": "a string holding a lone UTF-16 surrogate (JSON escape \\ud800) passes the JSON decoder "
                      "and GraphQL, then fails where the database driver encodes it: INTERNAL (UnicodeEncodeError)",
    "int-cursor": "a `history(after:)` or `events(after:)` cursor of kind 'history'/'events' whose key is not a "
                  "64-bit integer: INTERNAL (ValueError/TypeError/OverflowError at app/process/types.py "
                  "Process.history, app/run/types.py ProcessRun.events)",
    "deep-json-body": "a request body nested deeper than the interpreter's recursion limit: HTTP 500 "
                      "(RecursionError in Strawberry's json.loads)",
    "non-utf8-body": "a request body that is not UTF-8: HTTP 500 (UnicodeDecodeError in Strawberry's json.loads)",
    "scalar-json-body": "a request body that is a JSON scalar (null, a string, a number): HTTP 500 "
                        "(AttributeError in Strawberry's parse_http_body)",
    "like-pattern": "a `filter.nameContains` whose LIKE pattern is longer than SQLite's 50,000 bytes: INTERNAL "
                    "(OperationalError 'LIKE or GLOB pattern too complex' from app/process/listing.py page/count)",
    "subscription-over-http": "a subscription operation (runEvents, runSummary) sent as an HTTP POST: INTERNAL "
                              "('Cannot return null for non-nullable field Subscription.runEvents', a TypeError)",
    "nul-postgresql": "on PostgreSQL only (PROCESSGRAPH_FUZZ_BACKEND=postgresql): a string with U+0000 written to a "
                      "text column: INTERNAL (asyncpg CharacterNotInRepertoireError: invalid byte sequence 0x00)",
}
LIKE_PATTERN_LIMIT = 50_000  # SQLITE_MAX_LIKE_PATTERN_LENGTH, in bytes

APP_CODES = set(ERROR_CODES) | {UNAUTHENTICATED, RATE_LIMITED, METHOD_NOT_ALLOWED}
PAYLOAD_CODES = APP_CODES | set(HEALTH_CODES)
LEAK = re.compile(r"Traceback|File \"|sqlalchemy|aiosqlite|asyncpg|\b(?:Key|Value|Type|Attribute|Index|Lookup|"
                  r"Runtime|Recursion|Overflow|Unicode(?:En|De)code|Assertion|Integrity|Operational|Programming|"
                  r"Name|ZeroDivision|NotImplemented|JSONDecode)Error\b|\bException\b")
HEX_ID = re.compile(r"[0-9a-f]{32}")

SAMPLES: list[str] = [
    "", " ", "\t\n ", "a", "Q4 close", "Main", "x" * 40, "\u540d\u524d", "\u05e2\u05d1\u05e8\u05d9\u05ea RTL",
    "\u202eevil\u202c", "\U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467", "\x00", "a\x00b", "\x1b[31m",
    "\ufeffbom", "\u200b", "e\u0301", "\u0130", "\u00df", "\ufb03", "\U0010ffff", "\ud7ff\ue000",
    "'; DROP TABLE process; --", '" OR 1=1 --', "%", "_", "\\", "%_\\", "100%", "<script>alert(1)</script>",
    "${jndi:ldap://x}", "{{7*7}}", "../../etc/passwd", "null", "true", "0", "-1", "1e309", "NaN", "[]", "{}",
    '"',
]
WORDS = ["Task", "Review", "Sign-off", "Ledger", "Close", "Audit", "Main", "Group"]
LONE_SURROGATES = ["\ud800", "a\udfffb", "\udc80\udc80", "x\ud83d"]
HUGE_BASES = ["x", "ab", "\u00e9", "\U0001f600", "\u202e", "\x00", "% _"]
HUGE_LENGTHS = [1001, 20_001, 65_537, 1_000_000]
BAD_IDS = ["", "0" * 32, "f" * 32, "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdeg",
           "0123456789abcdef", "a" * 33, " " + "0" * 31, "%", "' OR '1'='1", "null", "-1", "0" * 31 + "\n"]
TRIGGERS = ["WHEN_ELIGIBLE", "MANUAL"]
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
STEP_MODES = ["EVERYONE", "SOMEONE"]
REMINDER_MODES = ["DEFAULT", "PROCESS_DEFAULT", "CUSTOM", "NONE"]
ORDER_FIELDS = ["NAME", "DUE_DATE", "RUN_CREATED"]
DIRECTIONS = ["ASC", "DESC"]
BATCH_TYPES = ["JOB_NAME", "GROUP_NAME"]
CURSOR_KINDS = [f"process:{f}:{d}" for f in ORDER_FIELDS for d in ("asc", "desc")] + [
    "trash:NAME:asc", "users", "history", "events", "runs:*:*", "runs:*:running", "bogus"]
BAD_DATES = ["2025-02-30", "2025-1-1", "", "9999-99-99", "2025-01-15T00:00:00", "0000-01-01", "yesterday"]
BAD_PATHS = ["/nodes", "/name/0", "", "/", "/root", "/revision", "/id", "/trashed", "~1", "/calendars",
             "/root/name", "/businessDaysOfWeek/-"]
PATCH_OPS = ["replace", "remove", "add", "move", "copy", "test", "", "REPLACE"]

ERRORS = "errors { code message target meta details { code message target meta } documentationUrl }"
PROCESS_IDS = ("process { id revision nodes { __typename ... on ProcessGroup { id parentId } "
               "... on ProcessJob { id parentId action } } }")
EDIT_FULL = (f"clientMutationId {ERRORS} {PROCESS_IDS} node {{ __typename ... on ProcessGroup {{ id ordinal revision }} "
             "... on ProcessJob { id ordinal revision } } group { id name readOnly } job { id name tags { category value } }")
EDIT_HEAVY = (f"{ERRORS} {PROCESS_IDS} process {{ name root {{ id children {{ __typename ... on ProcessGroup {{ id "
              "children { __typename } } ... on ProcessJob { id name generated { id children { __typename } } } } } "
              "history(first: 2) { edges { cursor node { revision mutation operations } } } }")
EDIT_MIN = "errors { code }"
CREATE_FULL = f"clientMutationId {ERRORS} {PROCESS_IDS}"
SUMMARY = ("totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name "
           "revision dueDate autoClose trashed { dateTime user { id } } created { dateTime user { id name } } "
           "run { id } process(excludeGeneratedJobs: true) { id revision } } }")
SUMMARY_TREES = "totalCount edges { cursor node { id process { id revision nodes { __typename } } } }"
PROCESS_FULL = f"""id name revision autoClose certAutoApprove relativeDates ipmBetaEnabled iwmOptOut dueDate
  businessStartDate businessEndDate businessDaysOfWeek businessDateExclusions businessDateInclusions calendars
  defaultCertApproverReminders {{ mode reminders {{ daysFromDue subject body }} }}
  defaultCertSignerReminders {{ mode }} processTemplate sourceProcessRun
  created {{ dateTime user {{ id name email active }} }} modified {{ dateTime user {{ id }} }}
  nodes {{ {NODE_FIELDS} }}"""
PROCESS_TREE = ("id revision root { id name children { __typename ... on ProcessGroup { id name children { "
                "__typename ... on ProcessJob { id name generated { id children { __typename } } } } } "
                "... on ProcessJob { id name action generated { id name children { __typename "
                "... on ProcessJob { id name arguments { __typename } } } } } } }")
PROCESS_HISTORY = ("id revision history(first: $first, after: $after) { edges { cursor node { revision mutation at "
                   "user { id name } operations inverse } } pageInfo { hasNextPage hasPreviousPage startCursor "
                   "endCursor } }")
NODE_SEL = ("__typename ... on Node { id } ... on Process { name revision } ... on ProcessGroup { name ordinal "
            "parentId readOnly } ... on ProcessJob { name action parentId } ... on User { name email active } "
            "... on ProcessRun { status revision } ... on GroupRun { status ordinal } ... on JobRun { status "
            "actionStatus revision }")
RUN_STATUSES = ["WAITING", "RUNNING", "CANCELLING", "COMPLETE", "CANCELLED", "ERROR", "ERROR_HOLD"]
ACTION_STATUSES = ["WAITING", "SENT", "APPROVAL", "RETURNED", "COMPLETE", "SKIPPED", "CANCELLED"]
RUN_IDS = ("run { __typename id revision status nodes { __typename ... on GroupRun { id parentId revision status } "
           "... on JobRun { id parentId revision status actionStatus action } } }")
RUN_PAYLOAD = (f"clientMutationId {ERRORS} {RUN_IDS} node {{ __typename ... on GroupRun {{ id status revision }} "
               "... on JobRun { id status actionStatus revision } } addedJobRuns { id status actionStatus }")
RUN_FULL = f"""{RUN_IDS.removeprefix("run { ").removesuffix(" }")} name process managerUser manager {{ id name }}
  dueDate completedDate created {{ dateTime user {{ id }} }} modified {{ dateTime user {{ id }} }}
  statusCounts {{ status count }} definition {{ id name revision }}
  more: nodes {{ __typename ... on GroupRun {{ id name parallel triggerType eligibleToStart
      childrenEligibleToStartCount statusCounts {{ status count }} dueDate ordinal sourceGroupId }}
    ... on JobRun {{ id name eligibleToStart triggerType ordinal sourceJobId exception comment
      arguments {{ __typename ... on SendTaskArgs {{ title assignee approver dueDate }}
        ... on ContentRequestArgs {{ title assignee document }} ... on CertificationArgs {{ title signerSteps {{
        mode users }} }} ... on GeneratedCertificationArgs {{ certificationStep user certificationJob }} }} }} }}"""
RUN_TREE = ("id revision root { id name status children { __typename ... on GroupRun { id status children { "
            "__typename } } ... on JobRun { id status generated { id status children { __typename } } } } }")
RUN_EVENTS = ("id revision events(first: $first, after: $after) { edges { cursor node { sequence nodeId nodeKind "
              "field fromValue toValue user { id name } at comment } } pageInfo { hasNextPage hasPreviousPage "
              "startCursor endCursor } }")
RUN_SUMMARIES = ("pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name "
                 "process managerUser status dueDate completedDate statusCounts { status count } created { dateTime } "
                 "run { id revision status } } }")
CANNED = [
    "{ viewer { user { id name } workspace { id name } scopes } }",
    "query Q($id: ID!) { process(id: $id) { id name revision root { id } } }",
    "mutation M($input: ProcessIdInput!) { processTrash(input: $input) { errors { code } } }",
    "{ processes(first: 3, orderBy: {field: NAME, direction: DESC}) { totalCount edges { cursor node { id } } } }",
    "query { users(first: 2) { edges { cursor node { id name } } pageInfo { endCursor } } }",
]


class E(str):
    """An enum value: a bare name in a GraphQL literal, a string in JSON variables."""

    __slots__ = ()


@dataclass(frozen=True)
class RawJSON:
    """JSON text sent as it is (deep nesting, 1e999, duplicate keys): json.dumps cannot make it."""

    text: str


MISSING: Any = object()  # an argument or input field left out


@dataclass
class Proc:
    """What the fuzzer knows of one live process of workspace A, from the last response that showed it."""

    id: str
    revision: int
    root: str
    groups: list[str]  # client groups, the root included
    jobs: list[str]  # client jobs
    generated: list[str]  # generated groups and jobs

    @property
    def size(self) -> int:
        return len(self.groups) + len(self.jobs) + len(self.generated)


@dataclass
class Run:
    """What the fuzzer knows of one run of workspace A."""

    id: str
    revision: int
    groups: list[str]  # every group run, generated ones included
    jobs: list[str]  # every job run, generated ones included
    signers: list[str]  # certification signer job runs
    approvers: list[str]  # job runs an approver acts on (client jobs, certification approvers)
    revisions: dict[str, int]  # node id -> revision


@dataclass
class State:
    live: dict[str, Proc] = field(default_factory=dict)  # insertion-ordered: reproducible picks
    trashed: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # workspace B: processes, groups, jobs, user, workspace
    foreign_processes: list[str] = field(default_factory=list)
    runs: dict[str, Run] = field(default_factory=dict)
    runnable: list[str] = field(default_factory=list)  # processes created to pass the health check
    foreign_runs: list[str] = field(default_factory=list)  # workspace B: runs, group runs, job runs
    ids: dict[str, set[str]] = field(default_factory=lambda: {"a": set(), "b": set()})  # every id seen per tenant
    revisions: dict[str, int] = field(default_factory=dict)  # the highest revision seen of each process and run


@dataclass(frozen=True)
class Op:
    family: str  # "graphql" (a GraphQL request), "document" (a hostile document), "transport" (hostile HTTP)
    kind: str
    token: str  # "a" (read and write), "ro" (A, read only), "b" (workspace B)
    body: bytes = b""
    content_type: str = "application/json"
    method: str = "POST"
    params: dict[str, str] | None = None

    def describe(self) -> str:
        shown = self.body[:400].decode("utf-8", "replace") if self.method == "POST" else json.dumps(self.params)[:400]
        return f"[{self.kind}, token {self.token}, {self.method}, {len(self.body)} bytes] {shown}"


def encode(payload: dict[str, Any]) -> bytes:
    """The JSON body; RawJSON values go in as they are; lone surrogates are sent as \\u escapes."""
    return dumps(payload).encode("utf-8", "surrogatepass")


def dumps(payload: Any) -> str:
    """JSON text of a value that may hold RawJSON parts."""
    raws: list[str] = []

    def swap(v: Any) -> Any:
        if isinstance(v, RawJSON):
            raws.append(v.text)
            return f"@@fuzz-raw-{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    swapped = swap(payload)
    try:
        text = json.dumps(swapped, ensure_ascii=False)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(swapped)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@fuzz-raw-{i}@@"', raw, 1)
    return text


def literal(v: Any) -> str:
    """A value as a GraphQL literal."""
    if isinstance(v, E):
        return str.__str__(v)
    if isinstance(v, RawJSON):
        return v.text
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {literal(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def depth(v: Any) -> int:
    """How deeply a value nests (iteratively: values may be deeper than the recursion limit)."""
    deepest, stack = 0, [(v, 1)]
    while stack:
        current, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(current, dict):
            stack.extend((x, d + 1) for x in current.values())
        elif isinstance(current, list):
            stack.extend((x, d + 1) for x in current)
        elif isinstance(current, RawJSON):
            deepest = max(deepest, d + current.text.count("["))
    return deepest


def cursor_of(kind: str, values: Any) -> str:
    return base64.urlsafe_b64encode(dumps([kind, values]).encode("utf-8", "surrogatepass")).decode().rstrip("=")


def int_key_ok(values: Any) -> bool:
    """Whether a history or events cursor key can be read as a revision or sequence (KNOWN_BUGS['int-cursor'])."""
    if not isinstance(values, list) or len(values) != 1:
        return True  # refused cleanly by decode_cursor
    try:
        key = int(values[0])
    except (TypeError, ValueError, OverflowError):
        return False
    return -(2**63) <= key < 2**63


class Gen:
    """Draws the parts of one operation. `strict`: every value can be coerced to its GraphQL type, so the
    operation reaches a resolver; otherwise scalars may be of the wrong kind (a bad date, enum or Int)."""

    def __init__(self, seed: int, texts: list[str], fuzz: Fuzz) -> None:
        # Hypothesis favours small and repeated integers; mixing in the operation's number keeps repeated
        # seeds from repeating operations (a str seed is hashed with SHA-512: the same on every run).
        self.rng = random.Random(f"{seed}:{fuzz.sent}")
        self.texts = texts
        self.fuzz = fuzz
        self.state = fuzz.state
        self.strict = True
        self.strict = self.pct(80)

    # ---- basics: every choice comes from this operation's seed ----

    def n(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def pct(self, p: int) -> bool:
        return self.n(0, 99) < p

    def pick(self, seq: Sequence[T]) -> T:
        return seq[self.n(0, len(seq) - 1)]

    def put(self, obj: dict[str, Any], key: str, p: int, make: Any) -> None:
        """Set obj[key] = make() with probability p%."""
        if self.pct(p):
            value = make()
            if value is not MISSING:
                obj[key] = value

    # ---- scalars ----

    def text(self) -> str:
        k = self.n(0, 99)
        if k < 35:
            out = self.pick(SAMPLES)
        elif k < 62:
            out = self.pick(self.texts) if self.texts else ""
        elif k < 93:
            return f"{self.pick(WORDS)} {self.n(0, 999)}"
        elif k < 98:
            base, length = self.pick(HUGE_BASES), self.pick(HUGE_LENGTHS)
            out = (base * (length // len(base) + 1))[:length]
        else:
            bad = self.pick(LONE_SURROGATES)
            if self.fuzz.known("lone-surrogate"):
                return bad
            return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in bad)
        if "\x00" in out and self.fuzz.postgresql and not self.fuzz.known("nul-postgresql"):
            out = out.replace("\x00", "\ufffd")
        return out

    def name_filter(self, huge: bool = False) -> str:
        needle = "x" * 1_000_000 if huge else self.text()
        escaped = needle.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if len(f"%{escaped}%".encode("utf-8", "surrogatepass")) > LIKE_PATTERN_LIMIT and not self.fuzz.known(
                "like-pattern"):
            return needle[:1001]
        return needle

    def name(self) -> str:
        return self.text() if self.pct(70) else f"{self.pick(WORDS)} {self.n(0, 99)}"

    def enum(self, values: list[str]) -> Any:
        if not self.strict and self.pct(8):
            return self.pick(["BOGUS", values[0].lower(), "", 1, None])
        return E(self.pick(values))

    def date(self) -> Any:
        if not self.strict and self.pct(15):
            return self.pick([*BAD_DATES, 20250115])
        if self.pct(60):
            return (date(2025, 1, 1) + timedelta(days=self.n(-400, 400))).isoformat()
        return (date(1, 1, 1) + timedelta(days=self.n(0, 3_652_058))).isoformat()

    def boolean(self) -> Any:
        if not self.strict and self.pct(8):
            return self.pick(["true", 1, None])
        return self.pct(50)

    def gql_int(self, lo: int = -3, hi: int = 12) -> Any:
        if not self.strict and self.pct(10):
            return self.pick([2**31, -(2**31) - 1, 2**53, 1.5, "3", True])
        if self.pct(15):
            return self.pick([0, -1, 2**31 - 1, -(2**31), 1000, 1001])
        return self.n(lo, hi)

    def json_value(self, budget: int = 3) -> Any:
        k = self.n(0, 19)
        if k < 2:
            return None
        if k < 4:
            return self.pct(50)
        if k < 7:
            return self.pick([0, -1, 7, 3661, -3661, 2**31, 2**64, 10**40, -(2**63)])
        if k < 8:
            return self.pick([1.5, -0.0, 1e308, 1e-300, float("inf"), float("nan")])
        if k < 12:
            return self.text()
        if k < 14 and budget > 0:
            return [self.json_value(budget - 1) for _ in range(self.n(0, 3))]
        if k < 16 and budget > 0:
            return {self.pick(["mode", "reminders", "daysFromDue", "subject", "body", "x", ""]): self.json_value(
                budget - 1) for _ in range(self.n(0, 3))}
        if k < 17:
            return RawJSON(self.pick(["1e999", "-1e999", '{"a": 1, "a": 2}', "123456789012345678901234567890",
                                      "-0", "[]", "{}"]))
        d = self.pick([10, 200, 480])
        if self.pct(25):
            d = self.pick([2000, 100_000]) if self.fuzz.known("deep-json-body") else 480
        return RawJSON("[" * d + "]" * d)

    # ---- ids ----

    def proc(self) -> Proc | None:
        live = list(self.state.live.values())
        if not live:
            return None
        small = [p for p in live if p.size <= 300]
        return self.pick(small if small and self.pct(95) else live)

    def bad_id(self) -> Any:
        if not self.strict and self.pct(20):
            return self.pick([7, -1, 2**31])  # an Int is a valid ID literal
        if self.pct(30):
            return self.text()
        base = self.pick(BAD_IDS)
        if self.state.live and self.pct(30):
            real = self.pick(list(self.state.live))
            base = self.pick([real.upper(), real[:-1], real + "0", f" {real}", real.replace("a", "A", 1)])
        return base

    def node_id(self, proc: Proc | None, want: str) -> Any:
        """An id for an argument that wants a `process`, `group`, `job` or any `node`; mostly the right one."""
        k = self.n(0, 99)
        if proc is not None and k < 72:
            pools = {"process": [proc.id], "group": proc.groups, "job": proc.jobs, "node": proc.groups + proc.jobs}
            pool = pools[want]
            if k < 6 and proc.generated:
                pool = proc.generated
            elif k < 10:
                pool = [proc.root]
            elif k < 14:
                pool = pools[self.pick(["process", "group", "job"])]
            if pool:
                return self.pick(pool)
        if k < 80:
            other = self.proc()
            if other is not None:
                return self.node_id_of(other, want)
        if k < 87 and self.state.foreign:
            return self.pick(self.state.foreign_processes if want == "process" and self.pct(60)
                             else self.state.foreign)
        if k < 91 and (self.state.trashed or self.state.purged):
            return self.pick(self.state.trashed + self.state.purged)
        if k < 93:
            return self.pick(self.state.users + self.state.foreign[:2])
        return self.bad_id()

    def node_id_of(self, proc: Proc, want: str) -> str:
        pool = {"process": [proc.id], "group": proc.groups, "job": proc.jobs or proc.groups,
                "node": proc.groups + proc.jobs}[want]
        return self.pick(pool)

    def cursor(self) -> Any:
        k = self.n(0, 9)
        if k < 4 and self.state.cursors:
            return self.pick(self.state.cursors)
        if k < 5 and self.state.cursors:
            real = self.pick(self.state.cursors)
            at = self.n(0, len(real))
            return self.pick([real[:at], real + "=", real[:at] + "A" + real[at + 1:], real + real, real.upper()])
        if k < 7:
            kind = self.pick(CURSOR_KINDS)
            values = self.json_value(2) if self.pct(30) else [self.json_value(0) for _ in range(self.n(0, 3))]
            if isinstance(values, RawJSON):
                values = []
            if kind in ("history", "events") and not int_key_ok(values) and not self.fuzz.known("int-cursor"):
                values = [self.n(-2, 40)]
            return cursor_of(kind, values)
        if k < 8:
            return base64.urlsafe_b64encode(self.text().encode("utf-8", "replace")).decode()
        if k < 9 or self.strict:
            return self.text()
        return self.pick([5, [], {"a": 1}])

    def int_cursor(self, kind: str) -> Any:
        """Mostly a forged cursor of a history or events list: a key that may or may not be an integer."""
        if self.pct(25):
            return self.cursor()
        values = [self.json_value(0)] if self.pct(80) else [self.json_value(0) for _ in range(self.n(0, 3))]
        if not int_key_ok(values) and not self.fuzz.known("int-cursor"):
            values = [self.n(-2, 40)]
        return cursor_of(kind, values)

    def run(self) -> Run | None:
        runs = list(self.state.runs.values())
        return self.pick(runs) if runs else None

    def run_node_id(self, run: Run | None, want: str) -> Any:
        """An id for a run action that wants a `job` run, `group` run, the `run`, a `signer` or an `approver`."""
        k = self.n(0, 99)
        if run is not None and k < 76:
            pools = {"job": run.jobs, "group": run.groups, "run": [run.id], "signer": run.signers or run.jobs,
                     "approver": run.approvers or run.jobs}
            pool = pools[want] if k >= 8 else pools[self.pick(["job", "group", "run"])]
            if pool:
                return self.pick(pool)
        if k < 82:
            other = self.run()
            if other is not None:
                return self.pick([other.id, *other.jobs, *other.groups])
        if k < 88 and self.state.foreign_runs:
            return self.pick(self.state.foreign_runs)
        if k < 94:
            return self.node_id(self.proc(), "node")  # a definition's id where a run's is wanted
        return self.bad_id()

    def runnable_job(self) -> dict[str, Any]:
        """A job a run can start: a title and active people (mostly the acting user, so it can act)."""
        people = self.state.users
        me = people[0]

        def person() -> str:  # the acting user mostly; an inactive one now and then
            k = self.n(0, 99)
            return me if k < 80 else (people[1] if k < 96 else people[-1])
        action = self.pick(["sendTask", "sendTask", "contentRequest", "certification"])
        args: dict[str, Any] = {"title": self.name() if self.pct(30) else f"{self.pick(WORDS)} {self.n(0, 99)}"}
        if action == "certification":
            def steps() -> list[dict[str, Any]]:
                return [{"mode": E(self.pick(STEP_MODES)), "users": list(dict.fromkeys(
                    person() for _ in range(self.n(1, 2))))} for _ in range(self.n(1, 2))]
            args["signerSteps"] = steps()
            if self.pct(60):
                args["approverSteps"] = steps()
        else:
            args["assignee"] = person()
            if self.pct(40):
                args["approver"] = person()
            if action == "contentRequest":
                args["document"] = "doc-1"
        job: dict[str, Any] = {"arguments": {action: args}}
        if self.pct(20):
            job["triggerType"] = E("MANUAL")
        return job

    def runnable_input(self) -> dict[str, Any]:
        children: list[dict[str, Any]] = []
        for _ in range(self.n(1, 4)):
            if self.pct(25):
                group: dict[str, Any] = {"name": self.pick(WORDS), "parallel": self.pct(50),
                                         "children": [{"job": self.runnable_job()} for _ in range(self.n(1, 3))]}
                if self.pct(20):
                    group["triggerType"] = E("MANUAL")
                children.append({"group": group})
            else:
                children.append({"job": self.runnable_job()})
        value: dict[str, Any] = {"name": f"Runnable {self.n(0, 999)}", "root": {
            "name": "Main", "parallel": self.pct(40), "children": children}}
        for flag in ("autoClose", "certAutoApprove"):
            self.put(value, flag, 40, lambda: self.pct(50))
        return value

    # ---- inputs ----

    def job_input(self) -> dict[str, Any]:
        action = self.pick(["sendTask", "contentRequest", "certification"])
        args: dict[str, Any] = {}
        users = self.state.users

        def user() -> Any:
            return self.pick(users) if users and self.pct(50) else self.text()

        self.put(args, "title", 75, self.name)
        if action in ("sendTask", "contentRequest"):
            self.put(args, "instructions", 30, self.text)
            self.put(args, "assignee", 50, user)
            self.put(args, "approver", 25, user)
            self.put(args, "document", 30, self.text)
            self.put(args, "dueDate", 30, self.date)
            if action == "sendTask":
                self.put(args, "approverDueDate", 15, self.date)
            else:
                self.put(args, "section", 30, self.text)
        else:
            self.put(args, "document", 30, self.text)
            self.put(args, "dueDate", 30, self.date)

            def steps() -> list[dict[str, Any]]:
                return [{"mode": self.enum(STEP_MODES), "users": [user() for _ in range(self.n(0, 3))]}
                        for _ in range(self.n(0, 3))]
            self.put(args, "signerSteps", 70, steps)
            self.put(args, "approverSteps", 50, steps)
        arguments: dict[str, Any] = {action: args}
        if not self.strict and self.pct(10):
            arguments = self.pick([{}, {"sendTask": {}, "certification": {}}, {"sendTask": None}])
        job: dict[str, Any] = {"arguments": arguments}
        self.put(job, "triggerType", 40, lambda: self.enum(TRIGGERS))
        if self.pct(35):
            tags = [{"category": self.pick(["area", "owner", ""]) if self.pct(50) else self.text(),
                     "value": self.text() if self.pct(40) else f"v{self.n(0, 5)}"} for _ in range(self.n(0, 4))]
            if tags and self.pct(15):
                tags.append(dict(tags[0]))  # a duplicate tag
            job["tags"] = tags
        return job

    def group_input(self, budget: list[int], level: int, max_level: int) -> dict[str, Any]:
        group: dict[str, Any] = {"name": self.name()}
        self.put(group, "parallel", 30, self.boolean)
        self.put(group, "triggerType", 20, lambda: self.enum(TRIGGERS))
        self.put(group, "readOnly", 8, lambda: True)
        self.put(group, "dueDate", 15, self.date)
        children: list[dict[str, Any]] = []
        for _ in range(self.n(0, 4)):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            if level < max_level and self.pct(30):
                children.append({"group": self.group_input(budget, level + 1, max_level)})
            else:
                children.append({"job": self.job_input()})
        if not self.strict and self.pct(5):
            children.append(self.pick([{}, {"group": {"name": "g"}, "job": {"arguments": {"sendTask": {}}}}]))
        if children or self.pct(50):
            group["children"] = children
        return group

    def tree(self) -> dict[str, Any]:
        k = self.n(0, 99)
        if k < 92:
            return self.group_input([self.n(0, 25)], 0, self.n(0, 4))
        if k < 97:  # a chain past the depth limit (16 levels below the root) or right at it
            levels = self.pick([16, 17, 18, 30, 64, 120])
            group: dict[str, Any] = {"name": f"L{levels}", "children": [{"job": {"arguments": {"sendTask": {}}}}]}
            for i in range(levels - 1, -1, -1):
                group = {"name": f"L{i}", "children": [{"group": group}]}
            return group
        return big_tree(self.pick([5000, 5001]))

    def position(self, proc: Proc | None) -> Any:
        k = self.n(0, 9)
        if k < 4:
            return MISSING
        if k < 6:
            return {"index": self.gql_int(-2, 8)}
        if k < 8:
            return {self.pick(["before", "after"]): self.node_id(proc, "node")}
        if not self.strict:
            return self.pick([{}, {"index": 0, "before": self.node_id(proc, "node")}, {"index": None}, None])
        return None if self.pct(50) else {"index": 0}

    def expected_revision(self, proc: Proc | None) -> Any:
        k = self.n(0, 9)
        if k < 5 or proc is None:
            return MISSING
        if k < 8:
            return proc.revision
        if k < 9:
            return proc.revision + self.pick([-1, 1])
        return self.gql_int()

    def client_mutation_id(self) -> Any:
        return self.text() if self.pct(25) else MISSING

    def create_input(self) -> dict[str, Any]:
        value: dict[str, Any] = {"name": self.name(), "root": self.tree()}
        for flag in ("autoClose", "certAutoApprove", "relativeDates", "ipmBetaEnabled", "iwmOptOut"):
            self.put(value, flag, 20, self.boolean)
        self.put(value, "dueDate", 25, self.date)
        if self.pct(20):
            self.put(value, "businessStartDate", 85, self.date)
            self.put(value, "businessEndDate", 85, self.date)
        self.put(value, "businessDaysOfWeek", 12, lambda: [self.enum(WEEKDAYS) for _ in range(self.n(0, 8))])
        for key in ("businessDateExclusions", "businessDateInclusions"):
            self.put(value, key, 10, lambda: many_dates(1001) if self.pct(5) else [
                self.date() for _ in range(self.n(0, 4))])
        self.put(value, "calendars", 12, lambda: [self.text() for _ in range(self.n(0, 4))])
        for key in ("defaultCertApproverReminders", "defaultCertSignerReminders"):
            self.put(value, key, 12, self.reminders)
        self.put(value, "clientMutationId", 25, self.text)
        return value

    def reminders(self) -> dict[str, Any]:
        data: dict[str, Any] = {"mode": self.enum(REMINDER_MODES)}
        self.put(data, "reminders", 60, lambda: [
            {"daysFromDue": self.gql_int(-4000, 4000), "subject": self.text(), "body": self.text()}
            for _ in range(self.n(0, 4))])
        return data

    def patch_value(self, path: str) -> Any:
        if self.pct(30):
            return self.json_value()
        def seed_dates() -> list[Any]:
            return [self.date() for _ in range(self.n(0, 4))]
        makers: dict[str, Any] = {
            "/dueDate": self.date, "/businessStartDate": self.date, "/businessEndDate": self.date,
            "/businessDaysOfWeek": lambda: [self.pick(["monday", "friday", "sunday", "MONDAY", "funday"])
                                            for _ in range(self.n(0, 8))],
            "/businessDateExclusions": seed_dates, "/businessDateInclusions": seed_dates,
            "/calendarIds": lambda: [self.text() for _ in range(self.n(0, 4))],
            "/name": self.name, "/root/triggerType": lambda: self.pick(["whenEligible", "manual", "WHEN_ELIGIBLE"]),
            "/defaultCertSignerReminders": self.seed_reminders,
            "/defaultCertApproverReminders": self.seed_reminders,
        }
        return makers.get(path, lambda: self.pct(50))()

    def seed_reminders(self) -> Any:
        data: dict[str, Any] = {"mode": self.pick(["default", "processDefault", "custom", "none", "CUSTOM", 3])}
        self.put(data, "reminders", 60, lambda: [
            {"daysFromDue": self.pick([0, -3, 3660, 3661, 2**70, 1.5, True, "1"]), "subject": self.text(),
             "body": self.text()} for _ in range(self.n(0, 4))])
        self.put(data, "extra", 5, self.text)
        return data

    def patch_operation(self) -> dict[str, Any]:
        path = self.pick(list(PATHS)) if self.pct(85) else (self.pick(BAD_PATHS) if self.pct(70) else self.text())
        op = self.pick(["replace", "remove"]) if self.pct(85) else (self.pick(PATCH_OPS) if self.pct(70)
                                                                      else self.text())
        operation: dict[str, Any] = {"op": op, "path": path}
        if (op == "replace") == self.pct(90):
            operation["value"] = self.patch_value(path)
        elif self.pct(30):
            operation["value"] = None
        return operation

    def batch_item(self, proc: Proc | None) -> dict[str, Any]:
        kind = self.enum(BATCH_TYPES)
        item: dict[str, Any] = {"type": kind}
        own = "jobNameUpdate" if kind == "JOB_NAME" else "groupNameUpdate"
        other = "groupNameUpdate" if own == "jobNameUpdate" else "jobNameUpdate"

        def update(want: str) -> dict[str, Any]:
            return {"id": self.node_id(proc, want), "newName": self.name()}
        k = self.n(0, 9)
        want = "job" if kind == "JOB_NAME" else "group"
        if k < 7:
            item[own] = update(want)
        elif k < 8:
            item[own], item[other] = update(want), update("node")
        elif k == 9:
            item[other] = update("node")
        return item


def big_tree(nodes: int) -> dict[str, Any]:
    """A root with exactly `nodes` groups and jobs below it (sendTask jobs under groups of 49)."""
    root: dict[str, Any] = {"name": "Big", "children": []}
    made = 0
    while made < nodes:
        group: dict[str, Any] = {"name": f"G{made}", "children": []}
        root["children"].append({"group": group})
        made += 1
        for _ in range(min(49, nodes - made)):
            group["children"].append({"job": {"arguments": {"sendTask": {"title": f"T{made}"}}}})
            made += 1
    return root


def many_dates(count: int) -> list[str]:
    return [(date(2020, 1, 1) + timedelta(days=i)).isoformat() for i in range(count)]


# ---- operations ----

KINDS: list[tuple[int, str]] = [
    (12, "processCreate"), (8, "processPatch"), (6, "processBatchUpdate"), (8, "groupAdd"), (9, "jobAdd"),
    (7, "groupUpdate"), (7, "jobUpdate"), (8, "nodeMove"), (4, "nodeRemove"), (3, "processCopy"),
    (2, "processTrash"), (2, "processRestore"), (1, "processPurge"), (8, "process"), (5, "processes"),
    (2, "trashedProcesses"), (3, "processValidation"), (3, "node"), (2, "nodes"), (1, "viewer"), (1, "users"),
    (2, "multi"), (3, "multiMutation"), (5, "document"), (4, "transport"),
    (4, "processCreateRunnable"), (4, "runStart"), (3, "jobRunSubmit"), (2, "jobRunApprove"), (1, "jobRunReturn"),
    (1, "jobRunSkip"), (1, "jobRunRestart"), (1, "jobRunStart"), (1, "groupRunStart"), (1, "jobRunCancel"),
    (1, "groupRunCancel"), (1, "runCancel"), (1, "runClose"), (1, "runReopen"), (2, "jobRunSign"),
    (1, "jobRunEdit"), (2, "runJobRunsAdd"), (1, "processCreateFromRun"), (4, "processRun"), (2, "processRuns"),
]
WEIGHTED = [kind for weight, kind in KINDS for _ in range(weight)]


def draw_op(g: Gen) -> Op:
    kind = g.pick(WEIGHTED)
    if kind == "document":
        return document_op(g)
    if kind == "transport":
        return transport_op(g)
    if kind == "multiMutation":
        return multi_mutation(g)
    proc = g.proc()
    maker = MUTATIONS.get(kind)
    if maker is not None:
        input_type, value, selection = maker(g, proc)
        return graphql_op(g, kind, "mutation", FIELD_OF.get(kind, kind), {"input": (input_type, value)}, selection)
    return QUERIES[kind](g, proc)


def multi_mutation(g: Gen) -> Op:
    """Two to four mutations in one document (run one after another, sharing the request's loaders)."""
    kinds = [k for k in MUTATIONS if k not in ("processCreate", "processCreateRunnable", "processPurge")]
    definitions, fields, variables = [], [], {}
    for i in range(g.n(2, 4)):
        kind = g.pick(kinds)
        input_type, value, selection = MUTATIONS[kind](g, g.proc())
        definitions.append(f"$i{i}: {input_type}")
        fields.append(f"m{i}: {kind}(input: $i{i}) {{ {selection} }}")
        variables[f"i{i}"] = value
    query = f"mutation Multi({', '.join(definitions)}) {{ {' '.join(fields)} }}"
    return make_op(g, "multiMutation", "mutation", {"query": query, "variables": variables})


def edit_selection(g: Gen) -> str:
    k = g.n(0, 19)
    return EDIT_FULL if k < 17 else (EDIT_MIN if k < 19 else EDIT_HEAVY)


def with_meta(g: Gen, value: dict[str, Any], proc: Proc | None, revision: bool = True) -> dict[str, Any]:
    if revision:
        g.put(value, "expectedRevision", 100, lambda: g.expected_revision(proc))
    g.put(value, "clientMutationId", 100, g.client_mutation_id)
    return value


def m_create(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    return "ProcessCreateInput!", g.create_input(), CREATE_FULL if g.pct(95) else EDIT_MIN


def m_patch(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    count = g.pick([0, 1, 1, 2, 3, 5]) if g.pct(98) else 1001
    operations = [g.patch_operation() for _ in range(min(count, 6))]
    if count > 6:
        operations = [{"op": "replace", "path": "/autoClose", "value": i % 2 == 0} for i in range(count)]
    value = {"id": g.node_id(proc, "process"), "operations": operations}
    return "ProcessPatchInput!", with_meta(g, value, proc), edit_selection(g)


def m_batch(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    items = [g.batch_item(proc) for _ in range(g.pick([0, 1, 2, 3, 5]))]
    if items and g.pct(10):
        items.append(json.loads(json.dumps(items[0])))  # the same id twice
    if g.pct(2):
        items = [{"type": E("GROUP_NAME"), "groupNameUpdate": {"id": g.node_id(proc, "group"), "newName": "n"}}] * 3001
    value = {"id": g.node_id(proc, "process"), "data": items}
    return "ProcessBatchUpdateInput!", with_meta(g, value, proc), edit_selection(g)


def m_group_add(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"parentId": g.node_id(proc, "group"),
                             "group": g.tree() if g.pct(15) else g.group_input([g.n(0, 8)], 0, 2)}
    g.put(value, "position", 100, lambda: g.position(proc))
    return "GroupAddInput!", with_meta(g, value, proc), edit_selection(g)


def m_job_add(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"parentId": g.node_id(proc, "group"), "job": g.job_input()}
    g.put(value, "position", 100, lambda: g.position(proc))
    return "JobAddInput!", with_meta(g, value, proc), edit_selection(g)


def m_group_update(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"id": g.node_id(proc, "group")}
    if g.pct(15):
        value["readOnly"] = False  # alone: lifts a lock
    else:
        g.put(value, "name", 50, g.name)
        g.put(value, "parallel", 30, g.boolean)
        g.put(value, "triggerType", 25, lambda: g.enum(TRIGGERS))
        g.put(value, "dueDate", 25, lambda: None if g.pct(30) else g.date())
        g.put(value, "readOnly", 20, g.boolean)
    return "GroupUpdateInput!", with_meta(g, value, proc), edit_selection(g)


def m_job_update(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"id": g.node_id(proc, "job")}
    job = g.job_input()
    g.put(value, "triggerType", 30, lambda: g.enum(TRIGGERS))
    g.put(value, "arguments", 60, lambda: job["arguments"])
    g.put(value, "tags", 30, lambda: job.get("tags", []))
    return "JobUpdateInput!", with_meta(g, value, proc), edit_selection(g)


def m_node_move(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"id": g.node_id(proc, "node"), "parentId": g.node_id(proc, "group")}
    g.put(value, "position", 100, lambda: g.position(proc))
    return "NodeMoveInput!", with_meta(g, value, proc), edit_selection(g)


def m_node_remove(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value = {"id": g.node_id(proc, "node")}
    return "NodeRemoveInput!", with_meta(g, value, proc), edit_selection(g)


def m_copy(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"id": g.node_id(proc, "process")}
    g.put(value, "name", 40, g.name)
    return "ProcessCopyInput!", with_meta(g, value, proc, revision=False), edit_selection(g)


def m_lifecycle(which: str) -> Any:
    def make(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
        state = g.state
        if which == "processTrash" or not (state.trashed and g.pct(75)):
            target = g.node_id(proc, "process")
            revision_of = proc
        else:
            target, revision_of = g.pick(state.trashed), None
        value = {"id": target}
        selection = {"processTrash": "trashedProcess { id revision trashed { dateTime user { id } } }",
                     "processRestore": PROCESS_IDS, "processPurge": "purgedProcessId"}[which]
        return "ProcessIdInput!", with_meta(g, value, revision_of), f"clientMutationId {ERRORS} {selection}"
    return make


def m_create_runnable(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    return "ProcessCreateInput!", g.runnable_input(), CREATE_FULL


def m_run_start(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    runnable = [p for p in g.state.runnable if p in g.state.live]
    value = {"processId": g.pick(runnable) if runnable and g.pct(75) else g.node_id(proc, "process")}
    g.put(value, "clientMutationId", 100, g.client_mutation_id)
    return "RunStartInput!", value, RUN_PAYLOAD


def run_revision(g: Gen, run: Run | None, node_id: Any) -> Any:
    k = g.n(0, 9)
    if k < 6 or run is None:
        return MISSING
    current = run.revisions.get(node_id, 1) if isinstance(node_id, str) else 1
    return current if k < 8 else (current + g.pick([-1, 1]) if k < 9 else g.gql_int())


def m_run_action(want: str, comment: int = 40) -> Any:
    def make(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
        run = g.run()
        value: dict[str, Any] = {"id": g.run_node_id(run, want)}
        g.put(value, "comment", comment, lambda: g.text() if g.pct(80) else None)
        g.put(value, "expectedRevision", 100, lambda: run_revision(g, run, value["id"]))
        g.put(value, "clientMutationId", 100, g.client_mutation_id)
        return "RunActionInput!", value, RUN_PAYLOAD
    return make


def m_run_sign(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    run = g.run()
    value: dict[str, Any] = {"id": g.run_node_id(run, "signer")}
    g.put(value, "exception", 30, g.boolean)
    g.put(value, "comment", 50, lambda: g.text() if g.pct(80) else None)
    g.put(value, "expectedRevision", 100, lambda: run_revision(g, run, value["id"]))
    return "JobRunSignInput!", value, RUN_PAYLOAD


def m_run_edit(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    run = g.run()
    value: dict[str, Any] = {"id": g.run_node_id(run, "job")}
    users = g.state.users
    for key in ("title", "instructions", "assignee", "approver", "document", "section"):
        g.put(value, key, 25, lambda key=key: None if g.pct(20) else (
            g.pick(users) if key in ("assignee", "approver") and g.pct(60) else g.text()))
    for key in ("dueDate", "approverDueDate"):
        g.put(value, key, 15, lambda: None if g.pct(20) else g.date())
    g.put(value, "expectedRevision", 100, lambda: run_revision(g, run, value["id"]))
    return "JobRunEditInput!", value, RUN_PAYLOAD


def m_run_add(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    run = g.run()
    count = g.pick([0, 1, 1, 2, 3]) if g.pct(97) else 101
    jobs = [g.runnable_job() if g.pct(70) else g.job_input() for _ in range(min(count, 4))]
    jobs = (jobs * (count // max(1, len(jobs)) + 1))[:count]
    value: dict[str, Any] = {"runId": g.run_node_id(run, "run"), "jobs": jobs}
    g.put(value, "parentGroupRunId", 50, lambda: g.run_node_id(run, "group"))
    g.put(value, "relativeSiblingId", 30, lambda: g.run_node_id(run, "job" if g.pct(70) else "group"))
    g.put(value, "before", 30, g.boolean)
    g.put(value, "clientMutationId", 100, g.client_mutation_id)
    return "RunJobRunsAddInput!", value, RUN_PAYLOAD


def m_from_run(g: Gen, proc: Proc | None) -> tuple[str, Any, str]:
    value: dict[str, Any] = {"runId": g.run_node_id(g.run(), "run")}
    g.put(value, "name", 40, g.name)
    g.put(value, "clientMutationId", 100, g.client_mutation_id)
    return "ProcessCreateFromRunInput!", value, CREATE_FULL


MUTATIONS: dict[str, Any] = {
    "processCreate": m_create, "processPatch": m_patch, "processBatchUpdate": m_batch, "groupAdd": m_group_add,
    "jobAdd": m_job_add, "groupUpdate": m_group_update, "jobUpdate": m_job_update, "nodeMove": m_node_move,
    "nodeRemove": m_node_remove, "processCopy": m_copy, "processTrash": m_lifecycle("processTrash"),
    "processRestore": m_lifecycle("processRestore"), "processPurge": m_lifecycle("processPurge"),
    "processCreateRunnable": m_create_runnable, "runStart": m_run_start,
    **{name: m_run_action(want) for name, want in (
        ("jobRunSubmit", "job"), ("jobRunApprove", "approver"), ("jobRunSkip", "job"), ("jobRunRestart", "job"),
        ("jobRunStart", "job"), ("groupRunStart", "group"), ("jobRunCancel", "job"), ("groupRunCancel", "group"),
        ("runCancel", "run"), ("runClose", "run"), ("runReopen", "run"))},
    "jobRunReturn": m_run_action("approver", comment=85), "jobRunSign": m_run_sign,
    "jobRunEdit": m_run_edit,
    "runJobRunsAdd": m_run_add, "processCreateFromRun": m_from_run,
}
FIELD_OF = {"processCreateRunnable": "processCreate"}  # kinds that are another field with other inputs


def q_process(g: Gen, proc: Proc | None) -> Op:
    args: dict[str, tuple[str, Any]] = {"id": ("ID!", g.node_id(proc, "process"))}
    if g.pct(40):
        args["excludeGeneratedJobs"] = ("Boolean!", g.boolean())
    k = g.n(0, 9)
    extra: dict[str, tuple[str, Any]] = {}
    if k < 4:
        selection = PROCESS_FULL
    elif k < 6:
        selection = PROCESS_TREE
    else:
        selection = PROCESS_HISTORY
        extra = {"first": ("Int", g.gql_int(-1, 5) if g.pct(50) else None),
                 "after": ("String", g.int_cursor("history") if g.pct(70) else None)}
    return graphql_op(g, "process", "query", "process", args, selection, extra)


def q_connection(field_name: str) -> Any:
    def make(g: Gen, proc: Proc | None) -> Op:
        args: dict[str, tuple[str, Any]] = {}
        if g.pct(50):
            args["first"] = ("Int", g.gql_int(-1, 6))
        if g.pct(50):
            args["after"] = ("String", g.cursor())
        if g.pct(35):
            flt: dict[str, Any] = {}
            g.put(flt, "nameContains", 85, lambda: None if g.pct(10) else g.name_filter(huge=g.pct(3)))
            args["filter"] = ("ProcessFilter", flt)
        if g.pct(50):
            order: dict[str, Any] = {"field": g.enum(ORDER_FIELDS)}
            g.put(order, "direction", 70, lambda: g.enum(DIRECTIONS))
            args["orderBy"] = ("ProcessOrder", order)
        selection = SUMMARY if g.pct(85) else SUMMARY_TREES
        return graphql_op(g, field_name, "query", field_name, args, selection)
    return make


def q_validation(g: Gen, proc: Proc | None) -> Op:
    return graphql_op(g, "processValidation", "query", "processValidation",
                      {"id": ("ID!", g.node_id(proc, "process"))}, "errors { code message target meta }")


def q_node(g: Gen, proc: Proc | None) -> Op:
    want = g.pick(["process", "group", "job", "node", "run"])
    node = g.run_node_id(g.run(), g.pick(["run", "group", "job"])) if want == "run" else g.node_id(proc, want)
    return graphql_op(g, "node", "query", "node", {"id": ("ID!", node)}, NODE_SEL)


def q_nodes(g: Gen, proc: Proc | None) -> Op:
    count = g.pick([0, 1, 3, 10, 100, 101, 500]) if g.pct(95) else 1
    ids = [g.node_id(proc, g.pick(["process", "group", "job", "node"])) for _ in range(min(count, 12))]
    ids = (ids * (count // max(1, len(ids)) + 1))[:count]
    return graphql_op(g, "nodes", "query", "nodes", {"ids": ("[ID!]!", ids)}, NODE_SEL)


def q_viewer(g: Gen, proc: Proc | None) -> Op:
    if g.pct(50):
        return graphql_op(g, "viewer", "query", "viewer", {}, "user { id name email active } workspace { id name } "
                          "scopes jobRuns(status: $status) { id name action status actionStatus revision }",
                          {"status": ("ActionStatus", g.enum(ACTION_STATUSES) if g.pct(60) else None)})
    return graphql_op(g, "viewer", "query", "viewer", {}, "user { id name email active } workspace { id name } scopes")


def q_process_run(g: Gen, proc: Proc | None) -> Op:
    args: dict[str, tuple[str, Any]] = {"id": ("ID!", g.run_node_id(g.run(), "run"))}
    if g.pct(40):
        args["excludeGeneratedJobs"] = ("Boolean!", g.boolean())
    k = g.n(0, 9)
    extra: dict[str, tuple[str, Any]] = {}
    if k < 5:
        selection = RUN_FULL
    elif k < 7:
        selection = RUN_TREE
    else:
        selection = RUN_EVENTS
        extra = {"first": ("Int", g.gql_int(-1, 5) if g.pct(50) else None),
                 "after": ("String", g.int_cursor("events") if g.pct(70) else None)}
    return graphql_op(g, "processRun", "query", "processRun", args, selection, extra)


def q_process_runs(g: Gen, proc: Proc | None) -> Op:
    args: dict[str, tuple[str, Any]] = {}
    if g.pct(50):
        args["first"] = ("Int", g.gql_int(-1, 6))
    if g.pct(50):
        args["after"] = ("String", g.cursor())
    if g.pct(40):
        flt: dict[str, Any] = {}
        g.put(flt, "status", 85, lambda: None if g.pct(10) else g.enum(RUN_STATUSES))
        args["filter"] = ("ProcessRunFilter", flt)
    return graphql_op(g, "processRuns", "query", "processRuns", args, RUN_SUMMARIES)


def q_users(g: Gen, proc: Proc | None) -> Op:
    args: dict[str, tuple[str, Any]] = {}
    if g.pct(50):
        args["first"] = ("Int", g.gql_int(-1, 3))
    if g.pct(50):
        args["after"] = ("String", g.cursor())
    return graphql_op(g, "users", "query", "users", args,
                      "totalCount edges { cursor node { id name email active } } pageInfo { hasNextPage endCursor }")


def q_multi(g: Gen, proc: Proc | None) -> Op:
    """Several root fields in one query, arguments as literals."""
    parts = []
    for i in range(g.n(2, 4)):
        k = g.n(0, 3)
        if k == 0:
            parts.append(f"p{i}: process(id: {literal(g.node_id(proc, 'process'))}) {{ id revision root {{ id }} }}")
        elif k == 1:
            parts.append(f"n{i}: node(id: {literal(g.node_id(proc, 'node'))}) {{ {NODE_SEL} }}")
        elif k == 2:
            parts.append(f"l{i}: processes(first: 2) {{ totalCount edges {{ cursor }} }}")
        else:
            parts.append(f"v{i}: viewer {{ user {{ id }} }}")
    return make_op(g, "multi", "query", {"query": "query Multi { " + " ".join(parts) + " }"})


QUERIES: dict[str, Any] = {
    "process": q_process, "processes": q_connection("processes"),
    "trashedProcesses": q_connection("trashedProcesses"), "processValidation": q_validation, "node": q_node,
    "nodes": q_nodes, "viewer": q_viewer, "users": q_users, "multi": q_multi, "processRun": q_process_run,
    "processRuns": q_process_runs,
}


def graphql_op(g: Gen, kind: str, op_type: str, field_name: str, args: dict[str, tuple[str, Any]],
               selection: str, extra: dict[str, tuple[str, Any]] | None = None) -> Op:
    """One root field with its arguments as variables (mostly) or as literals; `extra` are variables used
    in the selection (`$first`, `$after`)."""
    extra = extra or {}
    all_vars = {**args, **extra}
    if all_vars and g.pct(15) and all(depth(v) <= 60 for _, v in all_vars.values()):
        call = ", ".join(f"{name}: {literal(value)}" for name, (_, value) in args.items())
        for name, (_, value) in extra.items():
            selection = selection.replace(f"${name}", literal(value))
        head = f"{field_name}({call})" if call else field_name
        return make_op(g, kind, op_type, {"query": f"{op_type} {{ {head} {{ {selection} }} }}"})
    definitions = ", ".join(f"${name}: {type_}" for name, (type_, _) in all_vars.items())
    call = ", ".join(f"{name}: ${name}" for name in args)
    head = f"{field_name}({call})" if call else field_name
    name = f"Fuzz({definitions})" if definitions else "Fuzz"
    variables = {name_: value for name_, (_, value) in all_vars.items()}
    if variables and g.pct(10):
        corrupt(g, variables)
    payload: dict[str, Any] = {"query": f"{op_type} {name} {{ {head} {{ {selection} }} }}"}
    if variables or g.pct(50):
        payload["variables"] = variables
    return make_op(g, kind, op_type, payload)


def corrupt(g: Gen, variables: dict[str, Any]) -> None:
    """Replace one value somewhere in the variables by a value of another type (or drop it)."""
    slots: list[tuple[Any, Any]] = []
    stack: list[Any] = [variables]
    while stack and len(slots) < 300:
        container = stack.pop()
        items = list(container.items()) if isinstance(container, dict) else list(enumerate(container))
        for key, value in items:
            slots.append((container, key))
            if isinstance(value, dict | list):
                stack.append(value)
    if not slots:
        return
    container, key = slots[g.n(0, len(slots) - 1)]
    wrong = g.pick([0, -1, 1.5, True, "text", "", [], [1, "a"], {}, {"unexpected": 1}, None, 2**40, MISSING])
    if wrong is MISSING and isinstance(container, dict):
        del container[key]
    else:
        container[key] = None if wrong is MISSING else wrong


def make_op(g: Gen, kind: str, op_type: str, payload: dict[str, Any]) -> Op:
    token = "a"
    if op_type == "mutation" and g.pct(3):
        token = "ro"
    elif g.pct(4):
        token = "b"
    return Op("graphql", kind, token, encode(payload))


def document_op(g: Gen) -> Op:
    """A hostile document: each is answered without a crash, most without executing."""
    k = g.n(0, 12)
    variables: dict[str, Any] = {"id": g.node_id(g.proc(), "process"), "input": {"id": "x"}}
    if k == 0:
        base = g.pick(CANNED)
        query = base[:g.n(1, len(base) - 1)]  # an empty query is the HTTP layer's (raw:not-json)
    elif k == 1:
        base = g.pick(CANNED)
        at = g.n(0, len(base))
        query = base[:at] + g.pick(list("{}()[]:$@!.\"\\#|&=")) + base[at:]
    elif k == 2:
        query = g.pick(["{ processs { id } }", "{ process(id: \"x\") { nope } }", "{ viewer(x: 1) { scopes } }",
                        "{ viewer }", "mutation { viewer { scopes } }", "subscription { viewer { scopes } }",
                        "{ node(id: 5) }", "query($x: NotAType) { viewer { scopes } }"])
    elif k == 3:
        inner = "__typename"
        for _ in range(g.pick([20, 45])):
            inner = f"__typename ... on ProcessGroup {{ children {{ {inner} }} }}"
        query = f"query($id: ID!) {{ process(id: $id) {{ root {{ {inner} }} }} }}"
    elif k == 4:
        query = "{ " + " ".join(f"a{i}: viewer {{ scopes }}" for i in range(g.pick([50, 101, 400]))) + " }"
    elif k == 5:
        query = "{ viewer { " + "__typename " * g.pick([14_000, 15_001, 40_000]) + "} }"
    elif k == 6:
        query = ("{ processes(first: 1000) { edges { node { process { nodes { __typename } root { "
                 "children { __typename } } } } } } }")
    elif k == 7:
        query = "query { viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }"
    elif k == 8:
        query = "query A { viewer { scopes } } query B($id: ID!) { process(id: $id) { id } }"
        payload: dict[str, Any] = {"query": query, "variables": variables}
        if g.pct(70):
            payload["operationName"] = g.pick(["A", "B"])
        return Op("document", "doc:operations", "a", encode(payload))
    elif k == 9:
        query = g.pick(["{ __schema { queryType { name } types { name fields { name } } } }",
                        "{ __type(name: \"Process\") { fields { name args { name } } } }", "{ __typename }"])
    elif k == 10:
        query = g.pick(["query($s: Boolean!) { viewer @skip(if: $s) { scopes } }",
                        "{ viewer @skip(if: \"yes\") { scopes } }", "{ viewer @nope { scopes } }",
                        "query($id: ID!) { process(id: $undefined) { id } }"])
        variables["s"] = g.pick([True, "yes", None])
    elif k == 12:  # subscriptions are served over WebSocket only
        run = g.run_node_id(g.run(), "run")
        query = g.pick(["subscription($id: ID!) { runEvents(runId: $id) { sequence nodeId toValue } }",
                        "subscription($id: ID!) { runSummary(runId: $id) { __typename } }"])
        if not g.fuzz.known("subscription-over-http"):
            query = "subscription($id: ID!) { runEventz(runId: $id) { sequence } }"
        variables["id"] = run
    else:
        needle = g.name_filter(huge=g.pct(40))
        query = f"{{ processes(filter: {{nameContains: {json.dumps(needle)}}}) {{ totalCount }} }}"
    return Op("document", f"doc:{k}", "a", encode({"query": query, "variables": variables}))


def transport_op(g: Gen) -> Op:
    """Hostile HTTP: bodies that are not a GraphQL request, GET requests, oversized bodies."""
    viewer = "{ viewer { user { id } } }"
    k = g.n(0, 9)
    if k == 0:
        return Op("transport", "raw:not-json", "a", g.pick([b"{query: viewer", b"", b"{}", b"[]", b"{\"query\":",
                                                            b'{"query": ""}', b'{"query": null}']))
    if k == 1:
        return Op("transport", "raw:batch", "a", json.dumps([{"query": viewer}, {"query": viewer}]).encode())
    if k == 2:
        return Op("transport", "raw:content-type", "a", encode({"query": viewer}),
                  content_type=g.pick(["text/plain", "application/xml", "application/graphql", ""]))
    if k == 3:
        params = {"query": g.pick(["{ viewer { scopes } }", "query($id: ID!) { process(id: $id) { id name } }"]),
                  "variables": json.dumps({"id": g.node_id(g.proc(), "process")})}
        return Op("transport", "raw:get-query", "a", method="GET", params=params)
    if k == 4:
        return Op("transport", "raw:get-mutation", "a", method="GET",
                  params={"query": "mutation { processTrash(input: {id: \"x\"}) { errors { code } } }"})
    if k == 5:
        return Op("transport", "raw:operation-name", "a",
                  encode({"query": viewer, "operationName": g.pick(["Nope", "", 5])}))
    if k == 6:
        d = g.pick([2000, 100_000]) if g.fuzz.known("deep-json-body") else 480
        body = f'{{"query": "{viewer}", "variables": {{"x": {"[" * d}{"]" * d}}}}}'.encode()
        return Op("transport", "raw:deep-json", "a", body)
    if k == 7:
        bad = b"\xff\xfe" if g.fuzz.known("non-utf8-body") else "\u00ff\u00fe".encode()
        return Op("transport", "raw:non-utf8", "a", b'{"query": "' + viewer.encode() + b'", "variables": {"x": "'
                  + bad + b'"}}')
    if k == 8:
        body = g.pick([b"null", b'"x"', b"5", b"true"]) if g.fuzz.known("scalar-json-body") else b"{}"
        return Op("transport", "raw:scalar", "a", body)
    huge = "x" * (10 * 1024 * 1024 + 1)
    return Op("transport", "raw:oversized", "a", encode({"query": viewer, "variables": {"x": huge}}))


# What hypothesis draws for one operation: a seed for every structural choice, and unicode texts. The
# shape of what is drawn never depends on the server's answers (hypothesis requires that); the seed is
# interpreted against what the fuzzer has learnt so far (ids, revisions, cursors).
OP_RECIPE = st.tuples(st.integers(0, 2**64 - 1), st.lists(st.text(max_size=16), min_size=4, max_size=4))


# ---- running and judging ----

class Fuzz:
    def __init__(self, settings: Settings) -> None:
        # The rate limiter would answer most of 2,000 quick requests with 429; it has tests of its own.
        self.settings = dataclasses.replace(settings, rate_limit_per_second=0.0)
        # Every known bug is fixed: the generator sends those inputs too (set the variable to 0 to hold them back).
        self.enable_known = os.environ.get(KNOWN_BUGS_ENV, "1") == "1"
        self.written_by: dict[str, set[str]] = {}
        self.postgresql = not is_sqlite(settings.database_url)
        self.state = State()
        self.skipped: Counter[str] = Counter()
        self.known_issues: Counter[str] = Counter()
        self.sent = 0
        self.reached = 0
        self.executed = 0  # the looser count: a data object (root fields may all be null) or an error path
        self.by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.findings: dict[str, list[Any]] = {}  # fault -> [count, first example]
        self.tokens: dict[str, str] = {}
        self.stack = contextlib.AsyncExitStack()
        self.engine: AsyncEngine | None = None
        self.client: httpx.AsyncClient | None = None

    def known(self, bug: str) -> bool:
        """Whether to generate an input of this known-bad class now; when not, the skip is counted."""
        assert bug in KNOWN_BUGS
        if self.enable_known:
            return True
        self.skipped[bug] += 1
        return False

    async def start(self) -> None:
        self.engine = engine = create_engine(self.settings)
        _, self.tokens["a"] = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read", "write"])
        _, self.tokens["ro"] = await auth.create_token(engine, user_id=DEV_USER_ID, scopes=["read"])
        other_a = await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="\u00c5sa", email="a@x.y")
        inactive_a = await auth.create_user(engine, workspace_id=DEFAULT_WORKSPACE_ID, name="Ina", email="i@x.y")
        await auth.set_user_active(engine, user_id=inactive_a, active=False)
        workspace_b = await auth.create_workspace(engine, name="Workspace B")
        user_b = await auth.create_user(engine, workspace_id=workspace_b, name="Bea", email="bea@example.com")
        _, self.tokens["b"] = await auth.create_token(engine, user_id=user_b, scopes=["read", "write"])
        self.state.users = [DEV_USER_ID, other_a, inactive_a]
        self.state.ids["a"] |= {DEV_USER_ID, other_a, inactive_a, DEFAULT_WORKSPACE_ID}
        self.state.foreign = [workspace_b, user_b]
        self.state.ids["b"] |= {workspace_b, user_b}
        app = create_app(self.settings)
        await self.stack.enter_async_context(app.router.lifespan_context(app))
        self.client = await self.stack.enter_async_context(httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://fuzz", timeout=None))
        locked = {"name": "Locked", "root": {"name": "R", "children": [
            {"group": {"name": "RO", "readOnly": True, "children": [{"job": {"arguments": {"sendTask": {}}}}]}},
            {"job": {"arguments": {"certification": {"title": "C", "signerSteps": [
                {"mode": "EVERYONE", "users": [DEV_USER_ID]}]}}}}]}}
        seeds = [("a", process_input("Seed one", nodes=12)), ("a", process_input("Seed two", nodes=30)),
                 ("a", locked), ("a", runnable_seed(DEV_USER_ID, other_a)),
                 ("b", process_input("Foreign one", nodes=12)), ("b", process_input("Foreign two", nodes=5)),
                 ("b", runnable_seed(user_b, user_b))]
        for token, value in seeds:
            body = encode({"query": f"mutation($input: ProcessCreateInput!) {{ processCreate(input: $input) "
                                    f"{{ {CREATE_FULL} }} }}", "variables": {"input": value}})
            response = await self.client.post("/graphql", content=body, headers=self.headers(token))
            payload = response.json()["data"]["processCreate"]
            assert payload["errors"] == [] and payload["process"], payload
            self.learn(None, token, response.json())
            if value["name"] == "Runnable seed":  # start a run of it
                start = encode({"query": f"mutation($input: RunStartInput!) {{ runStart(input: $input) "
                                         f"{{ {RUN_PAYLOAD} }} }}",
                                "variables": {"input": {"processId": payload["process"]["id"]}}})
                response = await self.client.post("/graphql", content=start, headers=self.headers(token))
                assert response.json()["data"]["runStart"]["errors"] == [], response.text
                self.learn(None, token, response.json())
                if token == "a":
                    self.state.runnable.append(payload["process"]["id"])
        trash = "mutation($id: ID!) { processTrash(input: {id: $id}) { errors { code } trashedProcess { id } } }"
        response = await self.client.post("/graphql", content=encode({"query": trash, "variables": {
            "id": self.state.foreign_processes[-1]}}), headers=self.headers("b"))
        assert response.json()["data"]["processTrash"]["errors"] == [], response.text

    async def stop(self) -> None:
        await self.stack.aclose()
        if self.engine is not None:
            await self.engine.dispose()

    def headers(self, token: str, content_type: str = "application/json") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[token]}", "Content-Type": content_type,
                "Accept": "application/json"}

    async def send(self, op: Op) -> None:
        assert self.client is not None and self.engine is not None
        if self.sent in DEACTIVATE_BETWEEN:  # job runs of this user now go to error (and back after restart)
            await auth.set_user_active(self.engine, user_id=self.state.users[1],
                                       active=self.sent == DEACTIVATE_BETWEEN[1])
        self.sent += 1
        self.by_kind[op.kind][0] += 1
        try:
            if op.method == "GET":
                response = await self.client.get("/graphql", params=op.params, headers=self.headers(op.token))
            else:
                response = await self.client.post("/graphql", content=op.body,
                                                  headers=self.headers(op.token, op.content_type))
        except Exception as exc:
            self.finding(op, f"the request raised {type(exc).__name__}: {exc}")
            return
        body = self.judge(op, response)
        if body is not None:
            self.learn(op, op.token, body)
            self.check_tenancy(op, response.text)

    def finding(self, op: Op, what: str) -> None:
        """Record a faulty response; the same fault (ids and numbers aside) is shown once, with a count."""
        key = re.sub(r"[0-9a-f]{32}|\d+", "#", what)[:160]
        if key not in self.findings:
            self.findings[key] = [0, f"{what[:600]}\n    op: {op.describe()}"]
        self.findings[key][0] += 1

    def judge(self, op: Op, response: httpx.Response) -> Any:
        """Check one response; count it when it reached a resolver; the JSON body when there is one."""
        status, ctype = response.status_code, response.headers.get("content-type", "")
        if status >= 500:
            self.finding(op, f"HTTP {status}: {response.text[:300]}")
            return None
        try:
            body = response.json()
        except ValueError:
            self.finding(op, f"HTTP {status} with a body that is not JSON ({ctype}): {response.text[:300]}")
            return None
        if not isinstance(body, dict):
            self.finding(op, f"HTTP {status} with a JSON body that is not an object: {response.text[:300]}")
            return None
        errors = body.get("errors") or []
        if status in (400, 401, 405, 413, 429):  # refused before GraphQL, in the seed's Error shape
            if body.get("code") not in APP_CODES:
                self.finding(op, f"HTTP {status} without an app code: {response.text[:300]}")
            return None
        if status != 200:
            self.finding(op, f"HTTP {status}: {response.text[:300]}")
            return None
        if not isinstance(errors, list) or ("data" in body and body["data"] is not None
                                            and not isinstance(body["data"], dict)):
            self.finding(op, f"not a GraphQL response: {response.text[:300]}")
            return None
        for error in errors:
            self.judge_error(op, error, top_level=True)
        data = body.get("data")
        for error in payload_errors(data):
            self.judge_error(op, error, top_level=False)
        with_path = any(isinstance(e, dict) and e.get("path") for e in errors)
        if (isinstance(data, dict) and any(v is not None for v in data.values())) or with_path:
            self.reached += 1
            self.by_kind[op.kind][1] += 1
        if isinstance(data, dict) or with_path:
            self.executed += 1
        return body

    def judge_error(self, op: Op, error: Any, *, top_level: bool) -> None:
        # A payload Error has only the fields the operation selected; a top-level error always has a message.
        if not isinstance(error, dict) or not isinstance(error.get("message", ""), str) or (
                top_level and "message" not in error):
            self.finding(op, f"malformed error {str(error)[:300]}")
            return
        message = error.get("message", "")
        code = (error.get("extensions") or {}).get("code") if top_level else error.get("code")
        if code == INTERNAL:
            self.finding(op, f"INTERNAL (a masked exception) at {error.get('path')}: {message}")
        elif code is not None:
            if code not in (APP_CODES if top_level else PAYLOAD_CODES):
                self.finding(op, f"unknown error code {code!r}: {message[:300]}")
        elif error.get("path"):
            self.finding(op, f"an error raised during execution without an app code at {error['path']}: "
                             f"{message[:300]}")
        if LEAK.search(message):
            self.finding(op, f"an error message leaks internals: {message[:300]}")

    def learn(self, op: Op | None, token: str, body: dict[str, Any]) -> None:
        """Take ids and cursors from a response (the next operations use them)."""
        state = self.state
        tenant = "b" if token == "b" else "a"
        # Breadth first, in document order: the fields of a multi-mutation document ran in this order.
        queue: deque[tuple[str | None, Any]] = deque([(None, body.get("data"))])
        while queue:
            key, value = queue.popleft()
            if isinstance(value, dict):
                if isinstance(value.get("nodes"), list) and "revision" in value and "id" in value:
                    if value.get("__typename") == "ProcessRun":
                        self.learn_run(op, tenant, value)
                    else:
                        self.learn_process(op, tenant, value)
                queue.extend(value.items())
                if key == "trashedProcess" and tenant == "a" and isinstance(value.get("id"), str):
                    pid = value["id"]
                    if state.live.pop(pid, None) is not None:
                        state.trashed.append(pid)
            elif isinstance(value, list):
                queue.extend((key, v) for v in value)
            elif key in ("cursor", "startCursor", "endCursor") and isinstance(value, str):
                if value not in state.cursors:
                    state.cursors.append(value)
                    del state.cursors[:-300]
            elif key == "purgedProcessId" and tenant == "a" and isinstance(value, str):
                if value in state.trashed:
                    state.trashed.remove(value)
                state.purged.append(value)

    def check_revision(self, op: Op | None, what: str, oid: Any, revision: Any) -> None:
        """Operations run one at a time: a later answer never shows an older revision."""
        if isinstance(revision, int) and isinstance(oid, str):
            seen = self.state.revisions.get(oid, 0)
            if revision < seen and op is not None:
                self.finding(op, f"{what} {oid} went back from revision {seen} to {revision}")
            self.state.revisions[oid] = max(seen, revision)

    def learn_run(self, op: Op | None, tenant: str, snapshot: dict[str, Any]) -> None:
        state = self.state
        nodes = [n for n in snapshot["nodes"] if isinstance(n, dict)]
        ids = [i for i in (snapshot["id"], *(n.get("id") for n in nodes)) if isinstance(i, str)]
        state.ids[tenant].update(ids)
        if tenant == "b":
            state.foreign_runs.extend(i for i in ids if i not in state.foreign_runs)
            return
        self.check_revision(op, "run", snapshot["id"], snapshot["revision"])
        if any("parentId" not in n or "id" not in n for n in nodes):
            return  # a selection without the tree: nothing more to learn
        run = Run(snapshot["id"], int(snapshot["revision"]), [], [], [], [],
                  {n["id"]: int(n.get("revision") or 1) for n in nodes})
        run.revisions[run.id] = run.revision
        for n in nodes:
            if n.get("__typename") == "GroupRun":
                run.groups.append(n["id"])
                continue
            run.jobs.append(n["id"])
            if n.get("action") == "CERTIFICATION_SIGNER_GENERATED":
                run.signers.append(n["id"])
            elif n.get("action") in ("SEND_TASK", "CONTENT_REQUEST", "CERTIFICATION_APPROVER_GENERATED",
                                     "CERTIFICATION_CONDITIONAL_APPROVER_GENERATED"):
                run.approvers.append(n["id"])
        state.runs[run.id] = run

    def learn_process(self, op: Op | None, tenant: str, snapshot: dict[str, Any]) -> None:
        state = self.state
        pid = snapshot["id"]
        self.check_revision(op, "process", pid, snapshot["revision"])
        ids = [snapshot["id"], *(n.get("id") for n in snapshot["nodes"] if isinstance(n, dict))]
        state.ids[tenant].update(i for i in ids if isinstance(i, str))
        if tenant == "b":
            if snapshot["id"] not in state.foreign_processes:
                state.foreign_processes.append(snapshot["id"])
            state.foreign.extend(i for i in ids if isinstance(i, str) and i not in state.foreign)
            return
        groups: list[str] = []
        jobs: list[str] = []
        generated: list[str] = []
        root = None
        job_ids: set[str] = set()
        gen_ids: set[str] = set()
        for n in snapshot["nodes"]:
            if not isinstance(n, dict) or "parentId" not in n or "id" not in n:
                return  # a selection without the tree: nothing to learn
            parent = n["parentId"]
            if n.get("__typename") == "ProcessGroup":
                if parent is None:
                    root = n["id"]
                    groups.append(n["id"])
                elif parent in job_ids or parent in gen_ids:
                    gen_ids.add(n["id"])
                    generated.append(n["id"])
                else:
                    groups.append(n["id"])
            else:
                job_ids.add(n["id"])
                if parent in gen_ids or str(n.get("action", "")).endswith("_GENERATED"):
                    gen_ids.add(n["id"])
                    generated.append(n["id"])
                else:
                    jobs.append(n["id"])
        if root is None:
            return
        if pid in state.trashed:
            state.trashed.remove(pid)
        if op is not None and op.kind in ("processCreateRunnable", "processCreateFromRun") and pid not in state.live:
            state.runnable.append(pid)
        state.live[pid] = Proc(pid, int(snapshot["revision"]), root, groups, jobs, generated)

    def check_tenancy(self, op: Op, text: str) -> None:
        """A response never names an id of the other workspace that this token did not send itself (in this
        request, or earlier into free-text fields of its own objects, such as an assignee)."""
        theirs = "a" if op.token == "b" else "b"
        sent_now = set(HEX_ID.findall(op.describe() + op.body.decode("utf-8", "replace")))
        written = self.written_by.setdefault(op.token, set())
        written |= sent_now
        seen = set(HEX_ID.findall(text)) & self.state.ids[theirs]
        if seen:
            leaked = seen - written
            if leaked:
                self.finding(op, f"the response names ids of the other workspace: {sorted(leaked)[:3]}")


def runnable_seed(user: str, other: str) -> dict[str, Any]:
    """A process that passes the health check: a task with an approver and a certification."""
    return {"name": "Runnable seed", "root": {"name": "Main", "children": [
        {"job": {"arguments": {"sendTask": {"title": "Do", "assignee": user, "approver": user}}}},
        {"job": {"arguments": {"certification": {"title": "Cert", "signerSteps": [
            {"mode": "EVERYONE", "users": [user]}], "approverSteps": [{"mode": "SOMEONE", "users": list(dict.fromkeys([user, other]))}]}}}},
        {"group": {"name": "Later", "triggerType": "MANUAL", "children": [
            {"job": {"arguments": {"contentRequest": {"title": "Text", "assignee": user, "document": "d"}}}}]}}]}}


def payload_errors(data: Any) -> list[Any]:
    """The Error objects inside `data` (payload `errors` lists)."""
    found: list[Any] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, v in value.items():
                if key == "errors" and isinstance(v, list):
                    found.extend(v)
                else:
                    stack.append(v)
        elif isinstance(value, list):
            stack.extend(value)
    return found


class SeededUuid4:
    """uuid.uuid4 from a fixed seed: the server's ids (and so every list order that ties break by id, and
    every choice made from them) are the same on every run."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def __call__(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


# SQLite in CI (`once`); PROCESSGRAPH_FUZZ_BACKEND=postgresql runs it on PostgreSQL instead, when configured.
@pytest.mark.once(backend=os.environ.get("PROCESSGRAPH_FUZZ_BACKEND", "sqlite"))
@pytest.mark.timeout(600)
def test_fuzz_operations_reach_resolvers_without_faults_and_keep_integrity(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uuid, "uuid4", SeededUuid4(20250115))
    started = time.monotonic()
    fuzz = Fuzz(settings)
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        runner.run(fuzz.start())
        try:
            @hypothesis_settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                                 print_blob=False)
            @given(st.lists(OP_RECIPE, min_size=OPS_PER_EXAMPLE, max_size=OPS_PER_EXAMPLE))
            def run(recipes: list[tuple[int, list[str]]]) -> None:
                for seed, texts in recipes:
                    runner.run(fuzz.send(draw_op(Gen(seed, texts, fuzz))))

            run()
            assert fuzz.engine is not None
            checked: dict[str, int] = {}
            problems = runner.run(check_integrity(fuzz.engine, checked))
        finally:
            runner.run(fuzz.stop())
    elapsed = time.monotonic() - started

    share, executed = fuzz.reached / max(1, fuzz.sent), fuzz.executed / max(1, fuzz.sent)
    print(f"\nfuzz: {fuzz.sent} operations in {elapsed:.1f} s; {fuzz.reached} reached a resolver ({share:.1%}); "
          f"{fuzz.executed} executed, counting root fields that resolved to null ({executed:.1%})")
    print("fuzz: by kind (sent/reached): " + ", ".join(
        f"{kind} {sent}/{reached}" for kind, (sent, reached) in sorted(fuzz.by_kind.items())))
    print(f"fuzz: {len(fuzz.state.live)} live, {len(fuzz.state.trashed)} trashed, {len(fuzz.state.purged)} "
          f"purged processes of the caller at the end; integrity checked over {checked}: "
          f"{len(problems)} violations")
    if fuzz.skipped:
        print("fuzz: known-bad inputs replaced (set PROCESSGRAPH_FUZZ_KNOWN_BUGS=1 to send them): " + "; ".join(
            f"{bug} x{count}: {KNOWN_BUGS[bug]}" for bug, count in sorted(fuzz.skipped.items())))
    if fuzz.known_issues:
        print(f"fuzz: documented answers: {dict(fuzz.known_issues)}")
    for line in problems[:40]:
        print(f"fuzz: integrity: {line}")
    faults = sum(count for count, _ in fuzz.findings.values())
    shown = "\n".join(f"({count}x) {example}" for count, example in list(fuzz.findings.values())[:25])
    assert not fuzz.findings, f"{faults} faulty responses, {len(fuzz.findings)} distinct:\n{shown}"
    assert fuzz.sent >= MIN_OPERATIONS, f"only {fuzz.sent} operations were sent"
    assert share >= 0.5, f"only {share:.1%} of the operations reached a resolver"
    assert not problems, "integrity violations:\n" + "\n".join(problems[:40])
