"""GraphQL input types for process definitions, and their conversion to service specs."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from app.process import limits
from app.process.enums import ReminderMode, StepMode, TriggerType, Weekday
from app.process.inputs import (
    GroupSpec,
    JobSpec,
    ProcessSpec,
    ReminderDataSpec,
    ReminderSpec,
    TagSpec,
)


@strawberry.input(description="A tag to put on a job.")
class TagLinkInput:
    category: str = strawberry.field(description="The tag's category (non-empty).")
    value: str = strawberry.field(description="The tag's value (non-empty); a job's tags are unique.")


@strawberry.input(description="One custom reminder e-mail.")
class ReminderInput:
    days_from_due: int = strawberry.field(description="Days relative to the due date, -3660 to 3660.")
    subject: str = strawberry.field(description="The e-mail's subject (non-empty).")
    body: str = strawberry.field(description="The e-mail's body (non-empty).")


@strawberry.input(description="A reminder schedule; `reminders` only with mode CUSTOM, at most 3.")
class ReminderDataInput:
    mode: ReminderMode = strawberry.field(description="The schedule's mode.")
    reminders: list[ReminderInput] = strawberry.field(default_factory=list, description="Custom reminders (at most 3).")

    def to_spec(self) -> ReminderDataSpec:
        return ReminderDataSpec(mode=str(self.mode.value), reminders=[
            ReminderSpec(days_from_due=r.days_from_due, subject=r.subject, body=r.body) for r in self.reminders])


@strawberry.input(description="One signer or approver step of a certification.")
class CertificationStepInput:
    mode: StepMode = strawberry.field(description="Whether everyone or someone of the step must act.")
    users: list[str] = strawberry.field(description=f"User ids of the step (at most {limits.MAX_LIST_ITEMS}).")


_ARG = "May be left out while the process is being built; the health check reports what a run needs."


@strawberry.input(description="Arguments of a sendTask job. " + _ARG)
class SendTaskArgsInput:
    title: str | None = strawberry.field(default=None, description="The task's title; it is the job's name.")
    instructions: str | None = strawberry.field(default=None, description="What the assignee is asked to do.")
    assignee: str | None = strawberry.field(default=None, description="The user id of the assignee.")
    approver: str | None = strawberry.field(default=None, description="The user id of the approver, if any.")
    due_date: date | None = strawberry.field(default=None, description="When the assignee's work is due.")
    approver_due_date: date | None = strawberry.field(default=None, description="When the approval is due.")
    document: str | None = strawberry.field(default=None, description="The id of an attached document.")


@strawberry.input(description="Arguments of a contentRequest job. " + _ARG)
class ContentRequestArgsInput:
    title: str | None = strawberry.field(default=None, description="The request's title; it is the job's name.")
    instructions: str | None = strawberry.field(default=None, description="What content is requested.")
    assignee: str | None = strawberry.field(default=None, description="The user id of the assignee.")
    approver: str | None = strawberry.field(default=None, description="The user id of the approver, if any.")
    document: str | None = strawberry.field(default=None, description="The id of the document.")
    section: str | None = strawberry.field(default=None, description="The id of the document's section.")
    due_date: date | None = strawberry.field(default=None, description="When the content is due.")


@strawberry.input(description="Arguments of a certification job; its steps generate the job's read-only group. " + _ARG)
class CertificationArgsInput:
    title: str | None = strawberry.field(default=None, description="The certification's title; it is the job's name.")
    document: str | None = strawberry.field(default=None, description="The id of the certification letter.")
    due_date: date | None = strawberry.field(default=None, description="When the certification is due.")
    signer_steps: list[CertificationStepInput] | None = strawberry.field(default=None, description="Signer steps, in order.")
    approver_steps: list[CertificationStepInput] | None = strawberry.field(
        default=None, description="Approver steps, in order, after the signers.")


@strawberry.input(one_of=True, description="A job's action and arguments: exactly one field, named after the action.")
class JobArgumentsInput:
    send_task: SendTaskArgsInput | None = strawberry.field(default=strawberry.UNSET, description="A sendTask job.")
    content_request: ContentRequestArgsInput | None = strawberry.field(
        default=strawberry.UNSET, description="A contentRequest job.")
    certification: CertificationArgsInput | None = strawberry.field(
        default=strawberry.UNSET, description="A certification job.")

    def to_action(self) -> tuple[str, dict[str, Any]]:
        for action, value in (("sendTask", self.send_task), ("contentRequest", self.content_request),
                              ("certification", self.certification)):
            if value:
                return action, arguments_json(value)
        raise ValueError("JobArgumentsInput without a value")  # @oneOf makes this unreachable


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def arguments_json(args: Any) -> dict[str, Any]:
    """The seed's JSON of an arguments input: given fields only, dates as ISO strings."""
    out: dict[str, Any] = {}
    for name, value in vars(args).items():
        if value is None or value is strawberry.UNSET:
            continue
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, list):
            value = [{"mode": s.mode.value, "users": list(s.users)} for s in value]
        out[_camel(name)] = value
    return out


@strawberry.input(description="A job to create.")
class ProcessJobInput:
    arguments: JobArgumentsInput = strawberry.field(description="The job's action and its arguments.")
    trigger_type: TriggerType = strawberry.field(default=TriggerType.WHEN_ELIGIBLE, description="What starts the job.")
    tags: list[TagLinkInput] = strawberry.field(default_factory=list, description=f"Tags (at most {limits.MAX_LIST_ITEMS}, unique).")

    def to_spec(self) -> JobSpec:
        action, arguments = self.arguments.to_action()
        return JobSpec(action=action, arguments=arguments, trigger_type=str(self.trigger_type.value),
                       tags=[TagSpec(category=t.category, value=t.value) for t in self.tags])


@strawberry.input(description="A group to create, with its children.")
class ProcessGroupInput:
    name: str = strawberry.field(description=f"Display name (non-empty, at most {limits.MAX_NAME_LENGTH} characters).")
    parallel: bool = strawberry.field(default=False, description="True: children run together; false: in order.")
    trigger_type: TriggerType = strawberry.field(default=TriggerType.WHEN_ELIGIBLE, description="What starts the group.")
    read_only: bool = strawberry.field(default=False, description="Whether the group refuses changes once created.")
    due_date: date | None = strawberry.field(default=None, description="The group's due date.")
    children: list[ProcessGroupChildInput] = strawberry.field(
        default_factory=list,
        description=f"Children in order. Groups nest at most {limits.MAX_GROUP_DEPTH} levels below the root; "
        f"a process holds at most {limits.MAX_TREE_NODES} groups and jobs below its root.")

    def to_spec(self, level: int = 0) -> GroupSpec:
        spec = GroupSpec(name=self.name, parallel=self.parallel, trigger_type=str(self.trigger_type.value),
                         read_only=self.read_only, due_date=self.due_date)
        if level > limits.MAX_GROUP_DEPTH:
            return spec  # too deep: validation reports it at this path; do not walk a hostile input further
        for child in self.children:
            spec.children.append(child.group.to_spec(level + 1) if child.group else child.job.to_spec())  # type: ignore[union-attr]
        return spec


@strawberry.input(one_of=True, description="A child of a group: exactly one of `group` or `job`.")
class ProcessGroupChildInput:
    group: ProcessGroupInput | None = strawberry.field(default=strawberry.UNSET, description="A child group.")
    job: ProcessJobInput | None = strawberry.field(default=strawberry.UNSET, description="A child job.")


@strawberry.input(description="A process to create with its whole tree (the seed's POST /processes).")
class ProcessCreateInput:
    name: str = strawberry.field(description=f"The process's name (non-empty, at most {limits.MAX_NAME_LENGTH} characters).")
    root: ProcessGroupInput = strawberry.field(description="The root group and the tree below it.")
    auto_close: bool = strawberry.field(default=False, description="Whether runs close by themselves.")
    cert_auto_approve: bool = strawberry.field(default=False, description="Whether certification approvers are conditional.")
    relative_dates: bool = strawberry.field(default=False, description="Whether dates move with a run's start.")
    ipm_beta_enabled: bool = strawberry.field(default=False, description="The seed's `ipmBetaEnabled` flag.")
    iwm_opt_out: bool = strawberry.field(default=False, description="The seed's `iwmOptOut` flag.")
    due_date: date | None = strawberry.field(default=None, description="The process-level deadline.")
    business_start_date: date | None = strawberry.field(default=None, description="Start of the business window; with businessEndDate.")
    business_end_date: date | None = strawberry.field(default=None, description="End of the business window; with businessStartDate.")
    business_days_of_week: list[Weekday] | None = strawberry.field(default=None, description="Working days (unique).")
    business_date_exclusions: list[date] = strawberry.field(
        default_factory=list, description=f"Dates that are not business days (unique, at most {limits.MAX_LIST_ITEMS}).")
    business_date_inclusions: list[date] = strawberry.field(
        default_factory=list, description=f"Dates that are business days anyway (unique, at most {limits.MAX_LIST_ITEMS}).")
    calendars: list[str] = strawberry.field(default_factory=list, description=f"Calendar ids (unique, at most {limits.MAX_LIST_ITEMS}).")
    default_cert_approver_reminders: ReminderDataInput | None = strawberry.field(
        default=None, description="Default reminders for certification approvers.")
    default_cert_signer_reminders: ReminderDataInput | None = strawberry.field(
        default=None, description="Default reminders for certification signers.")
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back in the payload.")

    def to_spec(self) -> ProcessSpec:
        return ProcessSpec(
            name=self.name, root=self.root.to_spec(), auto_close=self.auto_close,
            cert_auto_approve=self.cert_auto_approve, relative_dates=self.relative_dates,
            ipm_beta_enabled=self.ipm_beta_enabled, iwm_opt_out=self.iwm_opt_out, due_date=self.due_date,
            business_start_date=self.business_start_date, business_end_date=self.business_end_date,
            business_days_of_week=None if self.business_days_of_week is None
            else [str(d.value) for d in self.business_days_of_week],
            business_date_exclusions=list(self.business_date_exclusions),
            business_date_inclusions=list(self.business_date_inclusions), calendars=list(self.calendars),
            default_cert_approver_reminders=self.default_cert_approver_reminders.to_spec()
            if self.default_cert_approver_reminders else None,
            default_cert_signer_reminders=self.default_cert_signer_reminders.to_spec()
            if self.default_cert_signer_reminders else None,
        )


@strawberry.input(description="Which process to trash, restore or purge.")
class ProcessIdInput:
    id: strawberry.ID = strawberry.field(description="The process's id.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse with CONFLICT unless the process is at this revision.")
    client_mutation_id: str | None = strawberry.field(default=None, description="Echoed back in the payload.")
