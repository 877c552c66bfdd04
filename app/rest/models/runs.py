"""A run with its run-time tree, and jobs added to a running run, as pydantic models."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, RootModel

from app.rest.base import NO_NUL, Absent, Wire
from app.rest.models.process import (
    _CHILD_TYPE,
    _COUNTS_DOC,
    DATE_DOC,
    SHORT,
    TRIGGER_DOC,
    ActionArguments,
    ActionStatus,
    ClientAction,
    GeneratedAction,
    ProcessJobInput,
    ProcessRunSummary,
    RunStatus,
    StatusCounts,
    TriggerType,
)
from app.run.service import MAX_ADDED_JOBS

# ---- runs ----

class GroupRun(Wire):
    """The run-time state of a group."""

    id: str = Field(description="The group run's id.")
    name: str = Field(description="The group's name when the run started.")
    status: RunStatus = Field(description="The group run's general status.")
    parallel: bool = Field(description="Whether children run together.")
    trigger_type: TriggerType = Field(description=TRIGGER_DOC)
    eligible_to_start: bool = Field(description="True while a manual group waits for the manager to start it.")
    children_eligible_to_start_count: int = Field(description="How many children wait, eligible, for the manager.")
    status_counts: StatusCounts = Field(description=_COUNTS_DOC)
    due_date: date | Absent = Field(default=None, description="The due date, moved with the run when dates are "
                                    "relative. " + DATE_DOC)
    ordinal: int = Field(description="Position within its parent group run.")
    source_group_id: str = Field(description="The id of the definition group it was copied from.")
    revision: int = Field(description="Incremented with every change of this group run.")
    children: list[GroupRunChild] = Field(description="Children in ordinal order.")


class JobRun(Wire):
    """The run-time state of a job, with its own copy of the arguments."""

    id: str = Field(description="The job run's id.")
    name: str = Field(description="The job's name (its title).")
    action: ClientAction | GeneratedAction = Field(description="The job's action.")
    status: RunStatus = Field(description="The general status.")
    action_status: ActionStatus = Field(description="The action status.")
    eligible_to_start: bool = Field(description="True while a manual job waits for the manager to start it.")
    arguments: ActionArguments = Field(description="The run's copy of the arguments.")
    trigger_type: TriggerType = Field(description=TRIGGER_DOC)
    ordinal: int = Field(description="Position within its parent group run.")
    source_job_id: str | None = Field(default=None, description="The definition job it was copied from; null for "
                                      "job runs added to a running run.")
    exception: bool = Field(description="On a certification signer: whether an exception was reported.")
    comment: str | None = Field(default=None, description="The last comment given on this job run, if any.")
    revision: int = Field(description="Incremented with every change of this job run.")
    generated: GroupRun | Absent = Field(default=None, description="On a certification job run: its generated "
                                         "group run.")


class GroupRunChildGroup(Wire):
    """A child of a group run that is a group run."""

    type: Literal["group"] = Field(description=_CHILD_TYPE)
    group: GroupRun = Field(description="The group run.")


class GroupRunChildJob(Wire):
    """A child of a group run that is a job run."""

    type: Literal["job"] = Field(description=_CHILD_TYPE)
    job: JobRun = Field(description="The job run.")


class GroupRunChild(RootModel[Annotated[GroupRunChildGroup | GroupRunChildJob, Field(discriminator="type")]]):
    """A child of a group run: `type` and the field it names."""


class ProcessRun(ProcessRunSummary):
    """A run of a process with its run-time tree (GET /v1/processRuns/{id})."""

    revision: int = Field(description="Incremented with every change of the run itself; also its ETag.")
    root: GroupRun = Field(description="The root group run with the whole run tree.")


class JobRunsAdd(Wire):
    """Jobs to add to a running run (POST /v1/processRuns/{id}/jobRuns; rule 10)."""

    jobs: list[ProcessJobInput] = Field(description=f"The jobs, in order (1 to {MAX_ADDED_JOBS}).", min_length=1,
                                        max_length=MAX_ADDED_JOBS)
    parent_group_id: str | Absent = Field(default=None, description="The parent group run; default the root group "
                                          "run.", min_length=1, max_length=SHORT, pattern=NO_NUL)
    relative_sibling_id: str | Absent = Field(default=None, description="A child of the parent to place the jobs "
                                              "next to; default: appended.", min_length=1, max_length=SHORT, pattern=NO_NUL)
    before: bool | Absent = Field(default=None, description="Before the sibling (default true) or after it.")


class JobRunsAdded(Wire):
    """The job runs added to a run, in order."""

    data: list[JobRun] = Field(description="The added job runs.")



GroupRun.model_rebuild()
