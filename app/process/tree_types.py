"""GraphQL types of a process tree (groups, jobs, arguments), built from rows once per request."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from app.auth.types import ACTIONS, Action, User, user_or_none, users_or_none
from app.graphql.context import Info
from app.graphql.executor import FragmentMemo
from app.graphql.node import Node
from app.graphql.rows import BELOW_FIELD, OWN_FIELD, Col, Computed, Nested, RowBacked, RowPlan
from app.process.enums import JobAction, ReminderMode, StepMode, TriggerType
from app.process.tree import JOB_ARGUMENTS, Tree, TreeRead, job_name, reads_arguments


@strawberry.type(description="One custom reminder e-mail.")
class Reminder:
    days_from_due: int = strawberry.field(description="Days relative to the due date (negative: before it).")
    subject: str = strawberry.field(description="The e-mail's subject.")
    body: str = strawberry.field(description="The e-mail's body.")


@strawberry.type(description="How reminder e-mails are sent to participants about incomplete tasks (the seed's ReminderData).")
class ReminderData:
    mode: ReminderMode = strawberry.field(description="The reminder schedule's mode.")
    reminders: list[Reminder] = strawberry.field(description="The custom reminders (mode CUSTOM only; at most 3).")

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ReminderData | None:
        if data is None:
            return None
        return cls(mode=data["mode"], reminders=[
            Reminder(days_from_due=r["daysFromDue"], subject=r["subject"], body=r["body"])
            for r in data.get("reminders", [])
        ])


@strawberry.type(description="A tag on a job: a category and a value (the seed's TagLink).")
class TagLink:
    id: strawberry.ID = strawberry.field(description="The tag link's id.")
    category: str = strawberry.field(description="The tag's category.")
    value: str = strawberry.field(description="The tag's value within its category.")


@strawberry.type(description="Arguments of a sendTask job: a task sent to an assignee, optionally approved.")
class SendTaskArgs:
    title: str | None = strawberry.field(description="The task's title; it is the job's name.")
    instructions: str | None = strawberry.field(description="What the assignee is asked to do.")
    assignee: str | None = strawberry.field(description="The user id of the assignee.")
    approver: str | None = strawberry.field(description="The user id of the approver, if the task is approved.")
    due_date: date | None = strawberry.field(description="When the assignee's work is due.")
    approver_due_date: date | None = strawberry.field(description="When the approval is due.")
    document: str | None = strawberry.field(description="The id of an attached document, if any.")

    @strawberry.field(description="The assignee as a User; null when unset or when the id names no user of this workspace.")
    async def assignee_user(self, info: Info) -> User | None:
        return await user_or_none(info, self.assignee)

    @strawberry.field(description="The approver as a User; null when unset or when the id names no user of this workspace.")
    async def approver_user(self, info: Info) -> User | None:
        return await user_or_none(info, self.approver)


@strawberry.type(description="Arguments of a contentRequest job: content requested in a document section.")
class ContentRequestArgs:
    title: str | None = strawberry.field(description="The request's title; it is the job's name.")
    instructions: str | None = strawberry.field(description="What content is requested.")
    assignee: str | None = strawberry.field(description="The user id of the assignee.")
    approver: str | None = strawberry.field(description="The user id of the approver, if any.")
    document: str | None = strawberry.field(description="The id of the document the content goes into.")
    section: str | None = strawberry.field(description="The id of the section of that document.")
    due_date: date | None = strawberry.field(description="When the content is due.")

    @strawberry.field(description="The assignee as a User; null when unset or when the id names no user of this workspace.")
    async def assignee_user(self, info: Info) -> User | None:
        return await user_or_none(info, self.assignee)

    @strawberry.field(description="The approver as a User; null when unset or when the id names no user of this workspace.")
    async def approver_user(self, info: Info) -> User | None:
        return await user_or_none(info, self.approver)


@strawberry.type(description="One signer or approver step of a certification.")
class CertificationStep:
    mode: StepMode = strawberry.field(description="Whether everyone or someone of the step must act.")
    users: list[str] = strawberry.field(description="The user ids of the step.")

    @strawberry.field(description="The step's users as Users, in the order and at the positions of `users`; an "
                      "entry is null where its id names no user of this workspace.")
    async def members(self, info: Info) -> list[User | None]:
        return await users_or_none(info, self.users)


@strawberry.type(description="Arguments of a certification job; its steps generate the job's `generated` group.")
class CertificationArgs:
    title: str | None = strawberry.field(description="The certification's title; it is the job's name.")
    document: str | None = strawberry.field(description="The id of the certification letter document.")
    due_date: date | None = strawberry.field(description="When the certification is due.")
    signer_steps: list[CertificationStep] = strawberry.field(description="Signer steps, in order.")
    approver_steps: list[CertificationStep] = strawberry.field(description="Approver steps, in order, after the signers.")


@strawberry.type(description="Arguments of the four generated certification actions; clients never write them.")
class GeneratedCertificationArgs:
    certification_step: int = strawberry.field(
        description="The step's index: signer steps first, then approver steps, then the finalizer."
    )
    user: str | None = strawberry.field(description="The user id who acts; null on the phase finalizer.")
    certification_job: strawberry.ID = strawberry.field(description="The id of the certification job.")

    @strawberry.field(description="The user who acts (signs or approves) as a User; null on the phase finalizer "
                      "or when the id names no user of this workspace.")
    async def person(self, info: Info) -> User | None:
        return await user_or_none(info, self.user)


JobArguments = Annotated[
    SendTaskArgs | ContentRequestArgs | CertificationArgs | GeneratedCertificationArgs,
    strawberry.union("JobArguments", description="A job's arguments: one variant per action (the seed's ActionArguments)."),
]


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def arguments_from_json(action: str, a: dict[str, Any]) -> Any:
    if action == "sendTask":
        return SendTaskArgs(title=a.get("title"), instructions=a.get("instructions"), assignee=a.get("assignee"),
                            approver=a.get("approver"), due_date=_date(a.get("dueDate")),
                            approver_due_date=_date(a.get("approverDueDate")), document=a.get("document"))
    if action == "contentRequest":
        return ContentRequestArgs(title=a.get("title"), instructions=a.get("instructions"),
                                  assignee=a.get("assignee"), approver=a.get("approver"),
                                  document=a.get("document"), section=a.get("section"),
                                  due_date=_date(a.get("dueDate")))
    if action == "certification":
        def steps(key: str) -> list[CertificationStep]:
            return [CertificationStep(mode=s["mode"], users=list(s["users"])) for s in a.get(key) or []]
        return CertificationArgs(title=a.get("title"), document=a.get("document"), due_date=_date(a.get("dueDate")),
                                 signer_steps=steps("signerSteps"), approver_steps=steps("approverSteps"))
    return GeneratedCertificationArgs(certification_step=a["certificationStep"], user=a.get("user"),
                                      certification_job=a["certificationJob"])


@strawberry.type(description="A group of jobs and groups in a process (the seed's ProcessGroup).")
class ProcessGroup(Node, RowBacked):
    id: strawberry.ID = strawberry.field(description="The group's id.")
    name: str = strawberry.field(description="Display name; on the root it labels the top-level container.")
    parallel: bool = strawberry.field(description="True: children run at the same time; false: one after another by ordinal.")
    trigger_type: TriggerType = strawberry.field(description="What starts the group once it is eligible.")
    read_only: bool = strawberry.field(
        description="While true, the group's fields, children and place refuse changes (READ_ONLY)."
    )
    due_date: date | None = strawberry.field(description="The group's due date.")
    ordinal: int = strawberry.field(description="Zero-based position within its parent; dense 0..n-1.")
    parent: str | None = strawberry.field(
        description="The parent's id; null for the root and for children of the root (as the seed says)."
    )
    parent_id: strawberry.ID | None = strawberry.field(
        description="The parent's id, null only on the root; a generated group's parent is its certification job."
    )
    revision: int = strawberry.field(description="Incremented whenever the group's own fields change.")
    created: Action = strawberry.field(description="Who created the group, and when.")
    modified: Action = strawberry.field(description="Who last changed the group, and when.")
    children: list[Annotated[ProcessGroup | ProcessJob, strawberry.union(
        "ProcessGroupChild", description="A child of a group: a group or a job (the seed's ProcessGroupChild).")]] = (
        strawberry.field(description="The group's children in ordinal order.")
    )
    # On the root of a tree in the shared cache: its answers to compiled selections (app/fast/cache.py).
    fragment_memo: strawberry.Private[FragmentMemo | None] = None


@strawberry.type(description="A build-time unit of work; its action decides its arguments (the seed's ProcessJob).")
class ProcessJob(Node, RowBacked):
    id: strawberry.ID = strawberry.field(description="The job's id.")
    name: str = strawberry.field(
        description="The job's name: the `title` of its arguments; for generated jobs a label the server derives "
        "(e.g. `Signer: <user id>`); empty while a client job has no title yet."
    )
    action: JobAction = strawberry.field(description="The action the job performs.")
    arguments: JobArguments = strawberry.field(description="The action's arguments.")
    trigger_type: TriggerType = strawberry.field(description="What starts the job once it is eligible.")
    ordinal: int = strawberry.field(description="Zero-based position within its parent group; dense 0..n-1.")
    parent: str | None = strawberry.field(description="The parent group's id; null when it is the root (as the seed says).")
    parent_id: strawberry.ID | None = strawberry.field(
        description="The parent group's id; never null on a job (nullable only so that unions with ProcessGroup "
        "can select `parentId` together)."
    )
    read_only: bool = strawberry.field(description="Set by the server: true for generated jobs and jobs under a read-only group.")
    tags: list[TagLink] = strawberry.field(description="The job's tags, in the order given.")
    revision: int = strawberry.field(description="Incremented whenever the job's own fields change.")
    created: Action = strawberry.field(description="Who created the job, and when.")
    modified: Action = strawberry.field(description="Who last changed the job, and when.")
    generated: ProcessGroup | None = strawberry.field(
        description="On a certification job, the read-only group the server derives from its arguments; "
        "null otherwise or when the read asked for `excludeGeneratedJobs`."
    )


GROUP_ROWS = RowPlan(ProcessGroup, {
    **{name: Col(name) for name in ("id", "name", "parallel", "trigger_type", "read_only", "due_date", "ordinal",
                                    "revision")},
    "created": Nested(ACTIONS["created"]), "modified": Nested(ACTIONS["modified"]),
    **dict.fromkeys(("parent", "parent_id"), OWN_FIELD), "children": BELOW_FIELD,
}, at_once=("id",))
"""A group's fields from its row; its place in the tree from the builder (which also gives `created` and
`modified` as None when the read left their columns out)."""

JOB_ROWS = RowPlan(ProcessJob, {
    **{name: Col(name) for name in ("id", "action", "trigger_type", "ordinal", "revision")},
    "name": Computed(lambda row: job_name(row.action, row.arguments)),
    "arguments": Computed(lambda row: arguments_from_json(row.action, row.arguments)),
    "created": Nested(ACTIONS["created"]), "modified": Nested(ACTIONS["modified"]),
    **dict.fromkeys(("parent", "parent_id", "read_only", "tags"), OWN_FIELD), "generated": BELOW_FIELD,
}, at_once=("id",))
"""A job's fields from its row (the arguments decoded only when something reads them); its place in the tree,
its tags and its generated group from the builder (which gives `arguments`, `created` and `modified` as None
when the selection or the read leaves them out)."""


ProcessTreeNode = Annotated[ProcessGroup | ProcessJob, strawberry.union(
    "ProcessTreeNode", description="A node of a process tree, in the flat `Process.nodes` list.")]


TREE_NESTING = frozenset({"children", "generated"})
"""Fields that go one level down a process tree (for look-ahead: app/graphql/lookahead.py)."""


def build_tree(tree: Tree, *, exclude_generated: bool, depth: int | None = None,
               fields: frozenset[str] | None = None, placed: bool = False
               ) -> tuple[ProcessGroup, list[ProcessGroup | ProcessJob]]:
    """The API objects of a tree and its flat node list, built once per request, flag and need.

    With `depth`, only the root and that many levels below it are built (deeper `children` stay empty);
    with `fields`, the optional parts no selected field reads (`created`, `modified`, `arguments`, `tags`,
    `generated`) are left out. The flat node list is complete only for a whole build (no depth or fields).
    With `placed`, only the root is made, with its place (app/graphql/rows.py `Placer`): a compiled selection
    answers the tree from its rows, and the nodes below are made when something reads them by attribute; the
    node list is empty then.
    """
    assert tree.root_id is not None, f"process {tree.process_id} has no root group"
    root_row = tree.groups[tree.root_id]
    if placed:  # not kept in `tree.built`: the root holds its builder, which holds the tree (a reference cycle)
        return _TreeBuilder(tree, exclude_generated, depth, fields).made(ProcessGroup, root_row, _ROOT), []
    key = (exclude_generated, depth, fields)
    cached = tree.built.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    builder = _TreeBuilder(tree, exclude_generated, depth, fields)
    root = builder.whole(ProcessGroup, root_row, _ROOT)
    tree.built[key] = (root, builder.nodes)
    return root, builder.nodes


_ROOT = (None, None, 0, False)
"""The root's place: (parent, parent id, level, read-only from above)."""


def read_fields(read: TreeRead) -> frozenset[str] | None:
    """Every optional part of the nodes that `read` holds (see build_tree's `fields`): what a build kept for
    every selection builds."""
    if read.depth is None:
        return None
    return frozenset({*(("arguments", JOB_ARGUMENTS) if read.arguments else ()),
                      *(("created", "modified") if read.stamps else ()), *(("tags",) if read.tags else ())})


class _TreeBuilder:
    """Builds the API objects of one tree, whole (`whole`) or from the root down as they are read, answering
    the fields of a node's place (`Placer`: a place is (parent, parent id, level, read-only from above)). A
    class rather than nested recursive functions: those form a reference cycle (function -> cell -> function)
    that keeps every row and object of the request alive until the cyclic garbage collector runs."""

    __slots__ = ("args_read", "limit", "nodes", "root_id", "stamps", "tree", "with_args", "with_generated",
                 "with_tags")

    def __init__(self, tree: Tree, exclude_generated: bool, depth: int | None, fields: frozenset[str] | None) -> None:
        self.tree = tree
        self.root_id = tree.root_id
        self.nodes: list[ProcessGroup | ProcessJob] = []
        self.limit = -1 if depth is None else depth
        self.stamps = fields is None or "created" in fields or "modified" in fields
        self.with_args = fields is None or "arguments" in fields
        self.args_read = fields is None or reads_arguments(fields)  # the rows hold the arguments column
        self.with_tags = fields is None or "tags" in fields
        self.with_generated = not exclude_generated and (fields is None or "generated" in fields)

    # A node's place-given fields, the same in a whole build and when answered from rows (`Placer`).
    def answer(self, name: str, row: Any, place: Any) -> Any:
        if name == "parent":
            return place[0]
        if name == "parent_id":
            return place[1]
        if name == "read_only":  # a job's (a group's is its column)
            return row.generated or place[3]
        assert name == "tags", name
        tags = self.tree.tags.get(row.id) if self.with_tags else None
        return [TagLink(id=strawberry.ID(t.id), category=t.category, value=t.value) for t in tags] if tags else []

    def below(self, name: str, row: Any, place: Any) -> Any:
        level = place[2]
        if name == "generated":
            gen = self.tree.generated.get(row.id) if self.with_generated and level != self.limit else None
            return None if gen is None else (ProcessGroup, gen, (row.id, row.id, level + 1, False))
        assert name == "children", name
        if level == self.limit:
            return []
        child_parent = None if row.id == self.root_id else row.id
        ro = row.read_only or place[3]
        return [(ProcessGroup if is_group else ProcessJob, child, (child_parent, row.id, level + 1, ro))
                for is_group, child in self.tree.children[row.id]]

    def own_fields(self, cls: type, row: Any, place: Any) -> dict[str, Any]:
        return self._own(cls, row, place, self.made)

    def _own(self, cls: type, row: Any, place: Any, make: Any) -> dict[str, Any]:
        """The place-given fields of a node, the nodes below it made by `make`."""
        own = {"parent": place[0], "parent_id": place[1]}
        if cls is ProcessGroup:
            own["children"] = [make(c, r, p) for c, r, p in self.below("children", row, place)]
            return own
        gen = self.below("generated", row, place)
        own.update(read_only=self.answer("read_only", row, place), tags=self.answer("tags", row, place),
                   generated=None if gen is None else make(*gen))
        return own

    def made(self, cls: type, row: Any, place: Any) -> Any:
        """A node that holds its row and place: its other fields are set when first read."""
        return (GROUP_ROWS if cls is ProcessGroup else JOB_ROWS).lazy(row, (self, place), **self._left_out(cls))

    def whole(self, cls: type, row: Any, place: Any) -> Any:
        """A node with the nodes below it, all made now and listed in `nodes` (in tree order); each holds its
        row (a compiled selection answers from it: app/graphql/rows.py)."""
        obj = (GROUP_ROWS if cls is ProcessGroup else JOB_ROWS).lazy(row, **self._left_out(cls))
        self.nodes.append(obj)
        obj.__dict__.update(self._own(cls, row, place, self.whole))
        return obj

    def _left_out(self, cls: type) -> dict[str, Any]:
        """The parts this build's read or selection leaves out, as None."""
        own: dict[str, Any] = {} if self.stamps else {"created": None, "modified": None}
        if cls is ProcessJob and not self.with_args:
            own["arguments"] = None
            if not self.args_read:
                own["name"] = None  # follows from the arguments; not selected, since they were not read
        return own
