"""The generated group of a certification job, derived from its arguments (docs/data-model.md, The model's rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def generate(
    *,
    job_id: str,
    arguments: dict[str, Any],
    cert_auto_approve: bool,
    make_group: Callable[..., Row],
    make_job: Callable[..., Row],
) -> tuple[list[Row], list[Row]]:
    """Rows of the generated tree under certification job `job_id`: (groups parents-first, jobs).

    A serial group holding one parallel group per signer step (a signer job per
    user), one per approver step (approver jobs, or conditional approver jobs when
    the process auto-approves), and a final phase-finalizer job.
    """
    top = make_group(parent_group_id=None, parent_job_id=job_id, ordinal=0,
                     name="Certification steps", parallel=False)
    groups: list[Row] = [top]
    jobs: list[Row] = []
    approver_action = (
        "certificationConditionalApproverGenerated" if cert_auto_approve else "certificationApproverGenerated"
    )
    step_index = 0
    ordinal = 0
    for kind, action in (("signerSteps", "certificationSignerGenerated"), ("approverSteps", approver_action)):
        label = "Signer" if kind == "signerSteps" else "Approver"
        for i, step in enumerate(arguments.get(kind) or []):
            group = make_group(parent_group_id=top["id"], parent_job_id=None, ordinal=ordinal,
                               name=f"{label} step {i + 1} ({step.get('mode', 'everyone')})", parallel=True)
            groups.append(group)
            ordinal += 1
            for j, user in enumerate(step.get("users") or []):
                jobs.append(make_job(parent_group_id=group["id"], ordinal=j, action=action, arguments={
                    "certificationStep": step_index, "user": user, "certificationJob": job_id,
                }))
            step_index += 1
    jobs.append(make_job(parent_group_id=top["id"], ordinal=ordinal, action="certificationPhaseFinalizerGenerated",
                         arguments={"certificationStep": step_index, "user": None, "certificationJob": job_id}))
    return groups, jobs
