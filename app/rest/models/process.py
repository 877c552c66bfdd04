"""The seed's JSON objects of process definitions, summaries and errors as pydantic models: they validate every REST request and make the OpenAPI document.

Descriptions follow the seed (its model reference, `processes-api-models.txt`); restrictions are JSON Schema
keywords (required, lengths, item counts, enums, uniqueness), so the document promises exactly what the
validation does. Inputs (`...Input`) and outputs differ only where the server decides: outputs may hold
generated certification jobs, inputs never. Read-only fields are accepted in requests (so a response can
be sent back as a request) and ignored; unknown fields are refused.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, RootModel, Tag

from app.process import limits
from app.rest.base import NO_NUL, Absent, WholeNumber, Wire, optional_text, server_written, text

TriggerType = Literal["whenEligible", "manual"]
ClientAction = Literal["sendTask", "contentRequest", "certification"]
GeneratedAction = Literal["certificationSignerGenerated", "certificationApproverGenerated",
                          "certificationConditionalApproverGenerated", "certificationPhaseFinalizerGenerated"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ReminderMode = Literal["default", "processDefault", "custom", "none"]
StepMode = Literal["everyone", "someone"]
RunStatus = Literal["waiting", "running", "cancelling", "complete", "cancelled", "error", "errorHold"]
ActionStatus = Literal["waiting", "sent", "approval", "returned", "complete", "skipped", "cancelled"]

NAME = limits.MAX_NAME_LENGTH
SHORT = limits.MAX_SHORT_TEXT_LENGTH
LONG = limits.MAX_TEXT_LENGTH
ITEMS = limits.MAX_LIST_ITEMS
TRIGGER_DOC = "What triggers a group child to execute once it is eligible: `whenEligible` (by itself) or `manual`."
DATE_DOC = "A calendar date, `YYYY-MM-DD` (UTC)."

IdText = Annotated[str, Field(min_length=1, max_length=SHORT, pattern=NO_NUL, description="An id or reference text.")]
UserIdText = Annotated[str, text("A user id.", max_length=SHORT)]
CalendarId = Annotated[str, text("A calendar id.", max_length=SHORT)]
DateItem = Annotated[date, Field(description=DATE_DOC)]


# ---- references and small objects ----

class User(Wire):
    """Reference to a platform user."""

    id: str = Field(description="The unique identifier of the user.", max_length=36, pattern=NO_NUL)


class Action(Wire):
    """When the action was performed, and details about the user who did it."""

    date_time: datetime = Field(description="Date and time (in UTC) that the user performed the audited action.")
    user: User = Field(description="The user who performed the audited action.")


class Reminder(Wire):
    """One custom reminder e-mail."""

    days_from_due: WholeNumber = Field(description="Days relative to the due date (negative: before it).",
                               ge=-3660, le=3660)
    subject: str = text("The e-mail's subject.", max_length=SHORT)
    body: str = text("The e-mail's body.", max_length=LONG)


class ReminderData(Wire):
    """Configuration for reminder emails that will be sent to participants about incomplete tasks.
    Supports multiple reminder modes including system defaults, process defaults, custom schedules, or no
    reminders. `reminders` only with mode `custom` (at most 3)."""

    # The rule in JSON Schema too, not only in prose: with a mode other than `custom`, `reminders` is left out
    # or empty (the service refuses any other; app/process/validation.py check_reminders).
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"mode": {"const": "custom", "description": "A custom schedule."}}, "required": ["mode"]},
        "else": {"properties": {"reminders": {"maxItems": 0, "description": "Only with mode `custom`."}}}})

    mode: ReminderMode = Field(description="The reminder schedule: `default`, `processDefault`, `custom` or `none`.")
    reminders: list[Reminder] | Absent = Field(
        default=None, max_length=limits.MAX_CUSTOM_REMINDERS,
        description="The custom reminders; only with mode `custom`, at most 3.")


class TagLink(Wire):
    """A tag on a job: a category and a value. Read-only in this API, as the seed says (docs/rest-api.md)."""

    id: str | Absent = server_written("The tag link's id.", max_length=SHORT)
    category: str = text("The tag's category.", max_length=SHORT)
    value: str = text("The tag's value within its category.", max_length=SHORT)


class CertificationStep(Wire):
    """One signer or approver step of a certification."""

    mode: StepMode = Field(description="`everyone`: every user of the step acts; `someone`: the first one does.")
    users: list[UserIdText] = Field(description="The user ids of the step.", max_length=ITEMS)


class SendTaskArgs(Wire):
    """Arguments of a sendTask job: a task sent to an assignee, optionally approved. Any may be left out
    while the process is being built; the health check reports what a run needs."""

    title: str | Absent = optional_text("The task's title; it is the job's name.", max_length=NAME)
    instructions: str | Absent = optional_text("What the assignee is asked to do.", max_length=LONG)
    assignee: str | Absent = optional_text("The user id of the assignee.", max_length=SHORT)
    approver: str | Absent = optional_text("The user id of the approver, if any.", max_length=SHORT)
    due_date: date | Absent = Field(default=None, description="When the assignee's work is due. " + DATE_DOC)
    approver_due_date: date | Absent = Field(default=None, description="When the approval is due. " + DATE_DOC)
    document: str | Absent = optional_text("The id of an attached document.", max_length=SHORT)


class ContentRequestArgs(Wire):
    """Arguments of a contentRequest job: content requested in a document section."""

    title: str | Absent = optional_text("The request's title; it is the job's name.", max_length=NAME)
    instructions: str | Absent = optional_text("What content is requested.", max_length=LONG)
    assignee: str | Absent = optional_text("The user id of the assignee.", max_length=SHORT)
    approver: str | Absent = optional_text("The user id of the approver, if any.", max_length=SHORT)
    document: str | Absent = optional_text("The id of the document.", max_length=SHORT)
    section: str | Absent = optional_text("The id of the document's section.", max_length=SHORT)
    due_date: date | Absent = Field(default=None, description="When the content is due. " + DATE_DOC)


class CertificationArgs(Wire):
    """Arguments of a certification job; its steps generate the job's read-only `generated` group."""

    title: str | Absent = optional_text("The certification's title; it is the job's name.", max_length=NAME)
    document: str | Absent = optional_text("The id of the certification letter.", max_length=SHORT)
    due_date: date | Absent = Field(default=None, description="When the certification is due. " + DATE_DOC)
    signer_steps: list[CertificationStep] | Absent = Field(default=None, description="Signer steps, in order.",
                                                           max_length=ITEMS)
    approver_steps: list[CertificationStep] | Absent = Field(
        default=None, description="Approver steps, in order, after the signers.", max_length=ITEMS)


class GeneratedCertificationArgs(Wire):
    """Arguments of the four generated certification actions; the server writes them."""

    certification_step: int = Field(description="The step's index: signer steps, then approver steps, then the "
                                    "finalizer.")
    user: str | Absent = Field(default=None, description="The user id who acts; absent on the phase finalizer.")
    certification_job: str = Field(description="The id of the certification job.")


# ---- ActionArguments: `type` names the action, one `<action>Args` field holds its arguments ----

_ARGS = "Container for action-specific arguments for a Job. The type field indicates which specific arguments " \
        "field contains the data. Only one of the argument fields will be populated based on the action type."


class SendTaskArguments(Wire):
    """ActionArguments of a sendTask job."""

    type: Literal["sendTask"] = Field(description="The action: `sendTask`.")
    send_task_args: SendTaskArgs | Absent = Field(default=None, description="The sendTask arguments.")


class ContentRequestArguments(Wire):
    """ActionArguments of a contentRequest job."""

    type: Literal["contentRequest"] = Field(description="The action: `contentRequest`.")
    content_request_args: ContentRequestArgs | Absent = Field(default=None, description="The contentRequest "
                                                              "arguments.")


class CertificationArguments(Wire):
    """ActionArguments of a certification job."""

    type: Literal["certification"] = Field(description="The action: `certification`.")
    certification_args: CertificationArgs | Absent = Field(default=None, description="The certification arguments.")


class GeneratedCertificationArguments(Wire):
    """ActionArguments of a generated certification job (server-written; never in requests)."""

    type: GeneratedAction = Field(description="One of the four generated certification actions.")
    generated_certification_args: GeneratedCertificationArgs = Field(description="The generated job's arguments.")


class ActionArgumentsInput(RootModel[Annotated[SendTaskArguments | ContentRequestArguments | CertificationArguments,
                                               Field(discriminator="type")]]):
    """ActionArguments a client writes: `type` is `sendTask`, `contentRequest` or `certification`, with at
    most its own `<type>Args` field (left out: no arguments yet)."""

    model_config = {"json_schema_extra": {"description": _ARGS}}


def _arguments_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return str(kind) if kind in ("sendTask", "contentRequest", "certification") else "generated"


class ActionArguments(RootModel[Annotated[
        Annotated[SendTaskArguments, Tag("sendTask")] | Annotated[ContentRequestArguments, Tag("contentRequest")]
        | Annotated[CertificationArguments, Tag("certification")]
        | Annotated[GeneratedCertificationArguments, Tag("generated")], Discriminator(_arguments_tag)]]):
    """A job's ActionArguments as the server writes them, generated certification actions included."""


# ---- the tree: groups, jobs, children ----

class _JobFields(Wire):
    id: str | Absent = server_written("The Job's unique identifier.", max_length=SHORT)
    trigger_type: TriggerType | None = Field(default="whenEligible", description=TRIGGER_DOC +
                                             " Null or left out in a request: `whenEligible`.")
    ordinal: int | Absent = server_written("The zero-based index representing the location of this Job within its "
                                      "parent group.")
    parent: str | None = server_written("The id of this Job's parent; null when the parent is the root group of the "
                                   "Process.")
    read_only: bool | Absent = server_written("Whether this Job is read-only: true for generated jobs and jobs under a "
                                         "read-only group.")
    revision: int | Absent = server_written("The revision number of the current representation of the Job.")
    created: Action | Absent = server_written("When the Job was created, and by whom.")
    modified: Action | Absent = server_written("When the Job was last changed, and by whom.")
    tags: list[TagLink] | Absent = server_written("The tag link, category, and value information associated with "
                                                  "this Job (unique).", max_length=ITEMS, unique=True)


class ProcessJob(_JobFields):
    """A build-time representation of work to be done. The type of action the Job is dictates the type of
    arguments passed to it."""

    action: ClientAction | GeneratedAction | Absent = server_written(
        "The type of action the Job is performing; in requests it follows from `arguments.type`.")
    arguments: ActionArguments | Absent = Field(default=None, description=_ARGS)
    generated: ProcessGroup | Absent = server_written("On a certification job, the group the server generates from its "
                                                 "arguments.")


class ProcessJobInput(_JobFields):
    """A job in a request: its action is `arguments.type`; without `arguments`, an empty sendTask job
    (a Job can be built incrementally; the health check validates it)."""

    action: ClientAction | GeneratedAction | Absent = server_written(
        "The type of action the Job is performing; in requests it follows from `arguments.type`.")
    arguments: ActionArgumentsInput | Absent = Field(default=None, description="The job's action (`type`) and its "
                                                     "arguments; left out: an empty sendTask.")
    generated: ProcessGroup | Absent = server_written("On a certification job, the group the server generates from its "
                                                 "arguments.")


class _GroupFields(Wire):
    id: str | Absent = server_written("The Group's unique identifier.", max_length=SHORT)
    name: str = text("The display name of this Group. On the root Group, this serves as the label for the "
                     "top-level workflow container and is distinct from the Process-level name field.",
                     max_length=NAME)
    parallel: bool = Field(description="If true, execute jobs in this group in parallel. If false, serial.")
    read_only: bool = Field(description="Whether this Group is read-only: its fields, children and place refuse "
                            "changes.")
    trigger_type: TriggerType = Field(default="whenEligible", description=TRIGGER_DOC)
    due_date: date | Absent = Field(default=None, description="The due date of the group. " + DATE_DOC)
    ordinal: int | Absent = server_written("The zero-based index representing the location of this group within its "
                                      "parent group.")
    parent: str | None = server_written("The id of this child's parent; null when the parent is the root group of the "
                                   "Process (and on the root).")
    revision: int | Absent = server_written("The revision number of the current representation of the Group.")
    created: Action | Absent = server_written("When the Group was created, and by whom.")
    modified: Action | Absent = server_written("When the Group was last changed, and by whom.")


_CHILDREN = (f"The children of this group in order. Children can be a job or another group. Groups nest at most "
             f"{limits.MAX_GROUP_DEPTH} levels below the root; a process holds at most {limits.MAX_TREE_NODES} "
             "groups and jobs below its root.")


class ProcessGroup(_GroupFields):
    """Group of Jobs and other Groups in a Process."""

    children: list[ProcessGroupChild] = Field(default_factory=list, description=_CHILDREN,
                                              max_length=limits.MAX_TREE_NODES)


class ProcessGroupInput(_GroupFields):
    """A group in a request, with its children."""

    children: list[ProcessGroupChildInput] = Field(default_factory=list, description=_CHILDREN,
                                                   max_length=limits.MAX_TREE_NODES)


_CHILD_TYPE = "The type of group child: `group` or `job`; the corresponding field holds it."


class GroupChild(Wire):
    """A ProcessGroupChild that is a group."""

    type: Literal["group"] = Field(description=_CHILD_TYPE)
    group: ProcessGroup = Field(description="Group of Jobs and other Groups in a Process.")


class JobChild(Wire):
    """A ProcessGroupChild that is a job."""

    type: Literal["job"] = Field(description=_CHILD_TYPE)
    job: ProcessJob = Field(description="A build-time representation of work to be done.")


class GroupChildInput(Wire):
    """A group child of a request that is a group."""

    type: Literal["group"] = Field(description=_CHILD_TYPE)
    group: ProcessGroupInput = Field(description="The group.")


class JobChildInput(Wire):
    """A group child of a request that is a job."""

    type: Literal["job"] = Field(description=_CHILD_TYPE)
    job: ProcessJobInput = Field(description="The job.")


class ProcessGroupChild(RootModel[Annotated[GroupChild | JobChild, Field(discriminator="type")]]):
    """Represents a child element within a Group in a process definition (build-time): a Job or another
    nested Group. The type field determines which specific child type is present."""


class ProcessGroupChildInput(RootModel[Annotated[GroupChildInput | JobChildInput, Field(discriminator="type")]]):
    """A child of a group in a request: `type` and the field it names."""


# ---- the process ----

class _ProcessFields(Wire):
    id: str | Absent = server_written("The Process' unique identifier.", min_length=1, max_length=32)
    name: str = text("The name of the Process.", max_length=NAME)
    auto_close: bool = Field(description="If this process is configured to automatically close once all actions "
                             "are completed or canceled.")
    cert_auto_approve: bool = Field(description="If certification auto approval is turned on for certification "
                                    "actions on this process.")
    relative_dates: bool = Field(description="If relative dates are enabled for this process. Enables automatic "
                                 "shifting of dates based on the Process start date and business days configuration.")
    ipm_beta_enabled: bool = Field(default=False, description="The seed's patch-only flag `ipmBetaEnabled` "
                                   "(default false).")
    iwm_opt_out: bool = Field(default=False, description="The seed's patch-only flag `iwmOptOut` (default false).")
    due_date: date | Absent = Field(default=None, description="The overall deadline for the Process. " + DATE_DOC)
    business_start_date: date | Absent = Field(
        default=None, description="The start date of the business calendar window, the anchor for relative dates. "
        "If provided, businessEndDate must also be provided (and not be earlier).")
    business_end_date: date | Absent = Field(
        default=None, description="The end date of the business calendar window. If businessStartDate is "
        "provided, businessEndDate must also be provided.")
    business_days_of_week: list[Weekday] | Absent = Field(
        default=None, description="The days of the week that are deemed working days for this Process (unique).",
        max_length=7, json_schema_extra={"uniqueItems": True})
    business_date_exclusions: list[DateItem] = Field(
        default_factory=list, description="Individual dates that are excluded as business days (unique).",
        max_length=ITEMS, json_schema_extra={"uniqueItems": True})
    business_date_inclusions: list[DateItem] = Field(
        default_factory=list, description="Individual dates that are business days regardless of exclusion rules "
        "(unique).", max_length=ITEMS, json_schema_extra={"uniqueItems": True})
    calendars: list[CalendarId] = Field(
        default_factory=list, description="A set of calendar ids associated with this process (unique; patch path "
        "`/calendarIds`).", max_length=ITEMS, json_schema_extra={"uniqueItems": True})
    default_cert_approver_reminders: ReminderData | Absent = Field(
        default=None, description="Default reminders for certification approvers.")
    default_cert_signer_reminders: ReminderData | Absent = Field(
        default=None, description="Default reminders for certification signers.")
    process_template: str | Absent = server_written("The id of the ProcessTemplate that this Process was created from "
                                               "(process templates are out of scope: never set).", max_length=32)
    source_process_run: str | Absent = server_written("The id of ProcessRun that this Process was copied from.",
                                                 max_length=32)
    revision: int | Absent = server_written("The revision number of the current representation of the Process; also "
                                       "its ETag.")
    created: Action | Absent = server_written("When the Process was created, and by whom.")
    modified: Action | Absent = server_written("When the Process was last changed, and by whom.")


class Process(_ProcessFields):
    """Build-time representation of a Process whose work is described by a collection of Jobs contained in
    its root Group."""

    root: ProcessGroup = Field(description="The root group with the whole tree below it.")


class ProcessInput(_ProcessFields):
    """A Process to create with its whole tree (POST /v1/processes). Read-only fields are ignored."""

    root: ProcessGroupInput = Field(description="The root group with the whole tree below it.")


# ---- summaries and lists ----

_COUNTS_DOC = ("Convenience map of job runs below by general status: keys are the seven statuses in the seed's "
               "spelling (waiting, running, cancelling, complete, cancelled, error, errorHold), all present, zeros "
               "included, generated job runs counted. Populated on lists too.")
StatusCounts = Annotated[dict[str, Annotated[int, Field(ge=0)]], Field(description=_COUNTS_DOC)]


class ProcessRunSummary(Wire):
    """A lightweight summary of a ProcessRun. Does not include the job tree."""

    id: str = Field(description="The ProcessRun's unique identifier.")
    name: str = Field(description="The name of the ProcessRun: the process's name when it started.")
    process: str = Field(description="The Process id that was started that created this ProcessRun.")
    manager_user: str = Field(description="The userId of the user this ProcessRun runs as (who started it).")
    status: RunStatus = Field(description="The general execution status of the run.")
    due_date: date | None = Field(default=None, description="When the ProcessRun is due. " + DATE_DOC)
    completed_date: datetime | None = Field(default=None, description="When the ProcessRun was completed (UTC).")
    created: Action = Field(description="Who started the run, and when.")
    modified: Action = Field(description="Who last changed the run, and when.")
    status_counts: StatusCounts | None = Field(default=None, description=_COUNTS_DOC)


class ProcessSummary(Wire):
    """A lightweight summary of a Process with its associated (latest) run. Does not include the job tree."""

    id: str = Field(description="The Process' unique identifier.", min_length=1, max_length=32)
    name: str = Field(description="The name of the Process.")
    auto_close: bool = Field(description="If this process closes its runs by itself.")
    cert_auto_approve: bool = Field(description="If certification auto approval is turned on.")
    relative_dates: bool = Field(description="If relative dates are enabled for this process.")
    due_date: date | None = Field(default=None, description="When the Process is due. " + DATE_DOC)
    process_template: str | None = Field(default=None, description="The id of the ProcessTemplate (never set).")
    source_process_run: str | None = Field(default=None, description="The id of the ProcessRun this Process was "
                                           "copied from.")
    revision: int = Field(description="The revision number of the current representation of the Process.")
    created: Action = Field(description="When the Process was created, and by whom.")
    modified: Action = Field(description="When the Process was last changed, and by whom.")
    run: ProcessRunSummary | Absent = Field(default=None, description="The latest run; left out until the process "
                                            "has run.")


class ProcessesListResult(Wire):
    """A page of process summaries. If there are no additional results, @nextLink doesn't appear. If the
    request returns no results at all, data contains an empty array."""

    next_link: str | Absent = Field(default=None, alias="@nextLink", description="The URL of the next page "
                                    "(relative to this server, opaque `$next` inside); left out on the last page.")
    data: list[ProcessSummary] = Field(description="The list of process summaries.")


# ---- errors ----

META_DOC = ("Contains additional metadata about the failure (ids, index, limit, actual value). Every value is a "
            "string or null, as the seed types it: any other value is written as its JSON text (the number 3 as "
            "the string 3, a list of scopes as the string [\"read\"]).")

class ErrorDetail(Wire):
    """Detailed error information for a specific validation or processing failure."""

    code: str = Field(description="One of a server-defined set of error codes.")
    message: str | Absent = Field(default=None, description="A human-readable representation of the error.")
    meta: dict[str, str | None] | None = Field(default=None, description=META_DOC)
    target: str | None = Field(default=None, description="The target of the error.")


class Error(Wire):
    """Standard error response returned by the API when a request fails: a stable UPPER_SNAKE code, a message,
    what it is about, and details when there are several problems."""

    code: str = Field(description="One of a server-defined set of error codes (stable UPPER_SNAKE strings).")
    message: str | Absent = Field(default=None, description="A human-readable representation of the error.")
    target: str | None = Field(default=None, description="The target of the error: a parameter, a body path "
                               "(`root.children[0].group.name`), a patch path or a batch item (`data[3]`).")
    details: list[ErrorDetail] | None = Field(default=None, description="An array of details about the error: one "
                                              "per problem when there are several.")
    meta: dict[str, str | None] | None = Field(default=None, description=META_DOC)
    documentation_url: str | None = Field(default=None, description="Link to some documentation relevant to the "
                                          "issue or endpoint in use.")


class ProcessValidationResults(Wire):
    """Process validation result: every problem a run would meet; empty when the process can run."""

    errors: list[Error] = Field(description="Set of validation errors found in the process definition.",
                                json_schema_extra={"uniqueItems": True})


ProcessJob.model_rebuild()
ProcessJobInput.model_rebuild()
