"""The seed's edit requests as pydantic models: batch renames (BatchUpdate) and JSON Patch
(ProcessJSONPatchDocument), only the path/op pairs of the seed's table (app/process/patch.py, the one
table both doors read), each value of its path's type."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, RootModel, Tag

from app.process import patch
from app.rest.base import NO_NUL, Wire, text
from app.rest.models.process import (
    DATE_DOC,
    ITEMS,
    NAME,
    SHORT,
    TRIGGER_DOC,
    CalendarId,
    DateItem,
    ReminderData,
    TriggerType,
    Weekday,
)

# ---- edits ----

class JobNameUpdate(Wire):
    """A request to update a Job's name (the title of its arguments)."""

    id: str = Field(description="The id of the job whose name will be updated.", min_length=1, max_length=SHORT, pattern=NO_NUL)
    new_name: str = text("The new name for the targeted job.", max_length=NAME)


class ProcessGroupNameUpdate(Wire):
    """A request to update a Group's name."""

    id: str = Field(description="The id of the group whose name will be updated.", min_length=1, max_length=SHORT, pattern=NO_NUL)
    new_name: str = text("The new name for our group.", max_length=NAME)


class JobNameBatchUpdateItem(Wire):
    """A batch item renaming a job (the seed's BatchUpdateItem with `jobNameUpdate`)."""

    type: Literal["jobName"] = Field(description="The type of the update being requested.")
    job_name_update: JobNameUpdate = Field(description="The job to rename and its new name.")


class GroupNameBatchUpdateItem(Wire):
    """A batch item renaming a group (the seed's BatchUpdateItem with `groupNameUpdate`)."""

    type: Literal["groupName"] = Field(description="The type of the update being requested.")
    group_name_update: ProcessGroupNameUpdate = Field(description="The group to rename and its new name.")


class FlatBatchUpdateItem(Wire):
    """A batch item in the flat form of the seed's BatchUpdate example: `{id, newName, type}`."""

    id: str = Field(description="The id of the job or group to rename.", min_length=1, max_length=SHORT, pattern=NO_NUL)
    new_name: str = text("The new name.", max_length=NAME)
    type: Literal["jobName", "groupName"] = Field(description="`jobName` for a job, `groupName` for a group.")


class BatchUpdateItem(RootModel[JobNameBatchUpdateItem | GroupNameBatchUpdateItem | FlatBatchUpdateItem]):
    """Represents a single batch update request contained in a larger overall batch update: the seed's
    nested form (`type` with `jobNameUpdate` or `groupNameUpdate`) or the flat form of its BatchUpdate
    example (`id`, `newName`, `type`)."""


class BatchUpdate(Wire):
    """A collection of updates to be done as a batch against the Process: all apply or none."""

    data: list[BatchUpdateItem] = Field(description="List of updates to apply to the Process as a batch.",
                                        max_length=3000)


def _paths(kind: str | None = None, op: str | None = None) -> Any:
    """The path type of a variant: the paths of the one table (app/process/patch.py) of this kind or op."""
    return Literal[patch.paths_of(kind=kind, op=op)]


class PatchOperationBase(Wire):
    """What every operation shares. Members an operation does not define (`from`, a value on `remove`) are
    ignored, as RFC 6902 §4 says, not refused."""

    model_config = ConfigDict(extra="ignore")


class PatchRemove(PatchOperationBase):
    """Remove a field (only paths the seed allows `remove` on)."""

    op: Literal["remove"] = Field(description="The JSON Patch operation to perform.")
    path: _paths(op="remove") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]


class PatchReplaceDate(PatchOperationBase):
    """Replace a date."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("date") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: date = Field(description="The new date. " + DATE_DOC)


class PatchReplaceFlag(PatchOperationBase):
    """Replace a Boolean flag."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("flag") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: bool = Field(description="The new value.")


class PatchReplaceName(PatchOperationBase):
    """Replace the process's name."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("name") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: str = text("The new name.", max_length=NAME)


class PatchReplaceTrigger(PatchOperationBase):
    """Replace the root group's trigger type."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("trigger") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: TriggerType = Field(description=TRIGGER_DOC)


class PatchReplaceWeekdays(PatchOperationBase):
    """Replace the business days of the week."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("weekdays") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: list[Weekday] = Field(description="The working days (unique).", max_length=7,
                                 json_schema_extra={"uniqueItems": True})


class PatchReplaceDates(PatchOperationBase):
    """Replace a list of business dates."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("dates") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: list[DateItem] = Field(description="The dates (unique).", max_length=ITEMS,
                                  json_schema_extra={"uniqueItems": True})


class PatchReplaceCalendars(PatchOperationBase):
    """Replace the calendar ids."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("calendars") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: list[CalendarId] = Field(description="The calendar ids (unique).", max_length=ITEMS,
                                    json_schema_extra={"uniqueItems": True})


class PatchReplaceReminders(PatchOperationBase):
    """Replace a default reminder configuration."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: _paths("reminders") = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]
    value: ReminderData = Field(description="The new reminder configuration.")


_PATCH_VARIANTS: dict[str, type[Wire]] = {
    "remove": PatchRemove, "date": PatchReplaceDate, "flag": PatchReplaceFlag, "name": PatchReplaceName,
    "trigger": PatchReplaceTrigger, "weekdays": PatchReplaceWeekdays, "dates": PatchReplaceDates,
    "calendars": PatchReplaceCalendars, "reminders": PatchReplaceReminders,
}
# Every kind of value in the table has its variant (a new kind fails here, at import, until it has one).
_PATH_KIND = {path: row.kind for path, row in patch.PATHS.items() if _PATCH_VARIANTS[row.kind]}


def _patch_tag(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if value.get("op") == "remove":
        return "remove"
    return _PATH_KIND.get(str(value.get("path"))) if value.get("op") == "replace" else None


class PatchOperation(RootModel[Annotated[
        Annotated[PatchRemove, Tag("remove")] | Annotated[PatchReplaceDate, Tag("date")]
        | Annotated[PatchReplaceFlag, Tag("flag")] | Annotated[PatchReplaceName, Tag("name")]
        | Annotated[PatchReplaceTrigger, Tag("trigger")] | Annotated[PatchReplaceWeekdays, Tag("weekdays")]
        | Annotated[PatchReplaceDates, Tag("dates")] | Annotated[PatchReplaceCalendars, Tag("calendars")]
        | Annotated[PatchReplaceReminders, Tag("reminders")],
        Discriminator(_patch_tag, custom_error_type="patch_path",
                      custom_error_message="op and path are not one of the pairs the seed's table allows")]]):
    """One RFC 6902 operation; only the path/op pairs of the seed's table, with a value of the path's type."""


class ProcessJSONPatchDocument(RootModel[list[PatchOperation]]):
    """A JSON Patch document as defined by RFC 6902 (media type `application/json-patch+json`): an array of
    patch operations, at most 1000. All operations apply or none."""

    root: list[PatchOperation] = Field(max_length=patch.MAX_PATCH_OPERATIONS)


# The valid path and op combinations, in the document's description, from the one table.
ProcessJSONPatchDocument.__doc__ = (f"{ProcessJSONPatchDocument.__doc__} Valid path and op combinations: "
                                    f"{patch.table_text()}.")


