"""GraphQL enums of the process domain: UPPER_SNAKE names whose values are the seed's spellings."""

from enum import Enum

import strawberry


def _seed(value: str, what: str) -> object:
    return strawberry.enum_value(value, description=f"{what} (seed `{value}`).")


@strawberry.enum(description="What starts a group or job once it is eligible.")
class TriggerType(Enum):
    WHEN_ELIGIBLE = _seed("whenEligible", "Starts by itself as soon as it is eligible")
    MANUAL = _seed("manual", "Waits, eligible, until the run's manager starts it")


@strawberry.enum(description="The action a job performs; it decides the job's arguments.")
class JobAction(Enum):
    SEND_TASK = _seed("sendTask", "A task sent to an assignee, optionally approved")
    CONTENT_REQUEST = _seed("contentRequest", "A request for content in a document section")
    CERTIFICATION = _seed("certification", "A certification with signer and approver steps")
    CERTIFICATION_SIGNER_GENERATED = _seed("certificationSignerGenerated", "Generated: one signer of a step")
    CERTIFICATION_APPROVER_GENERATED = _seed("certificationApproverGenerated", "Generated: one approver of a step")
    CERTIFICATION_CONDITIONAL_APPROVER_GENERATED = _seed(
        "certificationConditionalApproverGenerated",
        "Generated: an approver who approves by itself when no signer reported an exception",
    )
    CERTIFICATION_PHASE_FINALIZER_GENERATED = _seed(
        "certificationPhaseFinalizerGenerated", "Generated: completes the certification after its approver steps"
    )


@strawberry.enum(description="A day of the week, for business-day calendars.")
class Weekday(Enum):
    MONDAY = _seed("monday", "Monday")
    TUESDAY = _seed("tuesday", "Tuesday")
    WEDNESDAY = _seed("wednesday", "Wednesday")
    THURSDAY = _seed("thursday", "Thursday")
    FRIDAY = _seed("friday", "Friday")
    SATURDAY = _seed("saturday", "Saturday")
    SUNDAY = _seed("sunday", "Sunday")


@strawberry.enum(description="How reminder e-mails are scheduled.")
class ReminderMode(Enum):
    DEFAULT = _seed("default", "The platform's default schedule")
    PROCESS_DEFAULT = _seed("processDefault", "The process's default schedule")
    CUSTOM = _seed("custom", "The reminders listed (at most 3)")
    NONE = _seed("none", "No reminders")


@strawberry.enum(description="When a certification step is done.")
class StepMode(Enum):
    EVERYONE = _seed("everyone", "When every user of the step has acted")
    SOMEONE = _seed("someone", "When any one user of the step has acted (the others are cancelled)")


@strawberry.enum(description="What a list of processes is ordered by.")
class ProcessOrderField(Enum):
    NAME = strawberry.enum_value("NAME", description="The name, compared casefolded (Python's str.casefold), then id.")
    DUE_DATE = strawberry.enum_value(
        "DUE_DATE", description="The process due date (no due date last), then name ascending, then id."
    )
    RUN_CREATED = strawberry.enum_value(
        "RUN_CREATED", description="When the latest run was created (never run last), then name ascending, then id."
    )


@strawberry.enum(description="A sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first (rows without a value still come last).")
    DESC = strawberry.enum_value("DESC", description="Largest first (rows without a value still come last).")
