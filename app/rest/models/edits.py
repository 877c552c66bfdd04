"""The seed's edit requests as pydantic models: batch renames (BatchUpdate) and JSON Patch
(ProcessJSONPatchDocument), only the path/op pairs of the seed's table, each value of its path's type."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, RootModel, Tag

from app.process.patch import MAX_PATCH_OPERATIONS
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


_REMOVABLE_PATHS = ("/dueDate", "/businessStartDate", "/businessEndDate", "/businessDaysOfWeek", "/businessDateExclusions",
       "/businessDateInclusions", "/calendarIds", "/defaultCertSignerReminders", "/defaultCertApproverReminders")


class PatchRemove(Wire):
    """Remove a field (only paths the seed allows `remove` on)."""

    op: Literal["remove"] = Field(description="The JSON Patch operation to perform.")
    path: Literal[_REMOVABLE_PATHS] = Field(description="JSON Pointer to the target location.")  # type: ignore[valid-type]


class PatchReplaceDate(Wire):
    """Replace a date."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/dueDate", "/businessStartDate", "/businessEndDate"] = Field(description="JSON Pointer to the "
                                                                                "target location.")
    value: date = Field(description="The new date. " + DATE_DOC)


class PatchReplaceFlag(Wire):
    """Replace a Boolean flag."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/autoClose", "/ipmBetaEnabled", "/iwmOptOut", "/relativeDates", "/root/parallel",
                  "/certAutoApprove"] = Field(description="JSON Pointer to the target location.")
    value: bool = Field(description="The new value.")


class PatchReplaceName(Wire):
    """Replace the process's name."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/name"] = Field(description="JSON Pointer to the target location.")
    value: str = text("The new name.", max_length=NAME)


class PatchReplaceTrigger(Wire):
    """Replace the root group's trigger type."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/root/triggerType"] = Field(description="JSON Pointer to the target location.")
    value: TriggerType = Field(description=TRIGGER_DOC)


class PatchReplaceWeekdays(Wire):
    """Replace the business days of the week."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/businessDaysOfWeek"] = Field(description="JSON Pointer to the target location.")
    value: list[Weekday] = Field(description="The working days (unique).", max_length=7,
                                 json_schema_extra={"uniqueItems": True})


class PatchReplaceDates(Wire):
    """Replace a list of business dates."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/businessDateExclusions", "/businessDateInclusions"] = Field(description="JSON Pointer to the "
                                                                                "target location.")
    value: list[DateItem] = Field(description="The dates (unique).", max_length=ITEMS,
                                  json_schema_extra={"uniqueItems": True})


class PatchReplaceCalendars(Wire):
    """Replace the calendar ids."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/calendarIds"] = Field(description="JSON Pointer to the target location.")
    value: list[CalendarId] = Field(description="The calendar ids (unique).", max_length=ITEMS,
                                    json_schema_extra={"uniqueItems": True})


class PatchReplaceReminders(Wire):
    """Replace a default reminder configuration."""

    op: Literal["replace"] = Field(description="The JSON Patch operation to perform.")
    path: Literal["/defaultCertSignerReminders", "/defaultCertApproverReminders"] = Field(
        description="JSON Pointer to the target location.")
    value: ReminderData = Field(description="The new reminder configuration.")


_PATCH_VARIANTS: dict[str, type[Wire]] = {
    "remove": PatchRemove, "date": PatchReplaceDate, "flag": PatchReplaceFlag, "name": PatchReplaceName,
    "trigger": PatchReplaceTrigger, "weekdays": PatchReplaceWeekdays, "dates": PatchReplaceDates,
    "calendars": PatchReplaceCalendars, "reminders": PatchReplaceReminders,
}
_PATH_KIND = {p: k for k, v in _PATCH_VARIANTS.items() if k != "remove"
              for p in v.model_fields["path"].annotation.__args__}  # type: ignore[union-attr]


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
    patch operations, at most 1000. Valid path and op combinations: /dueDate, /businessStartDate,
    /businessEndDate, /businessDaysOfWeek, /businessDateExclusions, /businessDateInclusions, /calendarIds,
    /defaultCertSignerReminders, /defaultCertApproverReminders: remove and replace; /name, /autoClose,
    /ipmBetaEnabled, /iwmOptOut, /relativeDates, /root/parallel, /root/triggerType, /certAutoApprove: replace.
    All operations apply or none."""

    root: list[PatchOperation] = Field(max_length=MAX_PATCH_OPERATIONS)


