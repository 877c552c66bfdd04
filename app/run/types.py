"""GraphQL types of process runs. Runs are not implemented yet (issue 5): these types exist so
that `ProcessSummary.run` has its final shape, and the field is null until runs exist."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from app.auth.types import Action


@strawberry.enum(description="The general execution status of a run, group run or job run.")
class RunStatus(Enum):
    WAITING = strawberry.enum_value("waiting", description="Not started (seed `waiting`).")
    RUNNING = strawberry.enum_value("running", description="Started and not settled (seed `running`).")
    CANCELLING = strawberry.enum_value("cancelling", description="Being cancelled (seed `cancelling`).")
    COMPLETE = strawberry.enum_value("complete", description="Done (seed `complete`).")
    CANCELLED = strawberry.enum_value("cancelled", description="Cancelled (seed `cancelled`).")
    ERROR = strawberry.enum_value("error", description="Cannot proceed (seed `error`).")
    ERROR_HOLD = strawberry.enum_value("errorHold", description="Held by an error below (seed `errorHold`).")


@strawberry.type(description="How many job runs have one status.")
class StatusCount:
    status: RunStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many job runs below have it.")


@strawberry.type(description="A lightweight view of a process run (the seed's ProcessRunSummary).")
class ProcessRunSummary:
    id: strawberry.ID = strawberry.field(description="The run's id.")
    name: str = strawberry.field(description="The run's name: the process's name when it started.")
    process: str = strawberry.field(description="The id of the process that was started.")
    manager_user: str = strawberry.field(description="The user id of the run's manager (who started it).")
    status: RunStatus = strawberry.field(description="The run's status.")
    status_counts: list[StatusCount] = strawberry.field(
        description="Job runs below by status: all seven statuses in enum order, zeros included."
    )
    due_date: date | None = strawberry.field(description="When the run is due.")
    completed_date: datetime | None = strawberry.field(description="When the run completed.")
    created: Action = strawberry.field(description="Who started the run, and when.")
    modified: Action = strawberry.field(description="Who last changed the run, and when.")
