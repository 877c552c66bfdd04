"""Diff and revert on the wire: the answer of GET /processes/{id}/diff and the body of POST
/processes/{id}/revert (app/process/revisions.py). Names as in GraphQL's ProcessDiff, spellings the seed's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.rest.base import WholeNumber, Wire

Kind = Literal["group", "job"]
_KIND = "`group` or `job`."
_NAME = "The group's name or the job's name (its title)"


class ProcessDiffNode(Wire):
    """A group or job added or removed between the two revisions."""

    id: str = Field(description="The node's id (a removed node keeps it if it comes back).")
    kind: Kind = Field(description=_KIND)
    name: str | None = Field(description=f"{_NAME}, in the state where it exists.")
    parent_id: str | None = Field(description="Its parent group's id in the state where it exists; null for the root.")


class ProcessDiffRename(Wire):
    """A group or job whose name changed."""

    id: str = Field(description="The node's id.")
    kind: Kind = Field(description=_KIND)
    from_name: str | None = Field(description=f"{_NAME} at `from`.")
    to_name: str | None = Field(description=f"{_NAME} at `to`.")


class ProcessDiffMove(Wire):
    """A group or job under another parent, or out of order among the siblings it kept (the fewest such)."""

    id: str = Field(description="The node's id.")
    kind: Kind = Field(description=_KIND)
    name: str | None = Field(description=f"{_NAME} at `to`.")
    from_parent_id: str | None = Field(description="The parent group's id at `from`.")
    to_parent_id: str | None = Field(description="The parent group's id at `to`.")
    from_ordinal: int = Field(description="The 0-based position among its siblings at `from`.")
    to_ordinal: int = Field(description="The 0-based position among its siblings at `to`.")


class ProcessDiffNodeChange(Wire):
    """A group or job whose other fields changed."""

    id: str = Field(description="The node's id.")
    kind: Kind = Field(description=_KIND)
    name: str | None = Field(description=f"{_NAME} at `to`.")
    fields: list[str] = Field(description="The changed fields: `parallel`, `triggerType`, `readOnly`, `dueDate` "
                              "(groups); `action`, `arguments` (other than the title), `triggerType`, `tags` (jobs).")


class ProcessFieldChange(Wire):
    """A process field that changed, values in the seed's JSON spelling."""

    field: str = Field(description="The field's JSON name as in patches (`name`, `dueDate`, `calendarIds`, `trashed`).")
    from_value: Any = Field(description="The value at `from` (null when not set).")
    to_value: Any = Field(description="The value at `to` (null when not set).")


class ProcessDiff(Wire):
    """What changed from the state at `from` to the state at `to`: as a JSON Patch and in words. The states
    are composed from the stored history; `from` may be later than `to` (the patch then leads back)."""

    from_revision: int = Field(description="The revision the patch starts from.")
    to_revision: int = Field(description="The revision the patch leads to.")
    operations: list[dict[str, Any]] = Field(
        description="JSON Patch operations (RFC 6902 add, remove, replace) over the history's document: `/<field>` "
        "for process fields, `/nodes/<id>` for a whole group or job, `/nodes/<id>/<field>` for one of its fields. "
        "Applied to the state at `from` they give the state at `to`; empty when the states are equal.")
    nodes_added: list[ProcessDiffNode] = Field(description="Nodes at `to` only, by id.")
    nodes_removed: list[ProcessDiffNode] = Field(description="Nodes at `from` only, by id.")
    nodes_renamed: list[ProcessDiffRename] = Field(description="Nodes whose name changed, by id.")
    nodes_moved: list[ProcessDiffMove] = Field(description="Nodes that moved, by id.")
    nodes_changed: list[ProcessDiffNodeChange] = Field(description="Nodes whose other fields changed, by id.")
    process_fields_changed: list[ProcessFieldChange] = Field(description="Process fields that changed, by name.")


class ProcessRevert(Wire):
    """Return the process to the state it had at an earlier revision, as one new revision."""

    to_revision: WholeNumber = Field(ge=1, description="The revision whose state to return to (1 to the current "
                                     "revision).")
