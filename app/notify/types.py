"""GraphQL types of notifications: one message to one person, its e-mail delivery, pages of them."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from app.auth.types import User
from app.graphql.pagination import PageInfo, encode_cursor
from app.graphql.scalars import utc


@strawberry.enum(description="What a notification is about (docs/notifications.md says who gets which).")
class NotificationKind(Enum):
    JOB_SENT = strawberry.enum_value("jobSent", description="A job run is waiting for you: as assignee, approver "
                                     "or signer (stored `jobSent`).")
    JOB_RETURNED = strawberry.enum_value("jobReturned", description="Work came back to you: returned by the "
                                         "approver, or a certification sent back to its signers (stored "
                                         "`jobReturned`).")
    ERROR_HOLD = strawberry.enum_value("errorHold", description="A job run of your run cannot start and holds the "
                                       "run (stored `errorHold`).")
    RUN_COMPLETED = strawberry.enum_value("runCompleted", description="Your run is complete (stored "
                                          "`runCompleted`).")
    RUN_CANCELLED = strawberry.enum_value("runCancelled", description="Your run was cancelled (stored "
                                          "`runCancelled`).")
    REMINDER = strawberry.enum_value("reminder", description="A reminder about a job run still waiting for you "
                                     "(stored `reminder`).")
    OVERDUE = strawberry.enum_value("overdue", description="A job run is past its due date and not settled "
                                    "(stored `overdue`).")


@strawberry.enum(description="Where a notification's e-mail stands.")
class DeliveryState(Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting to be sent, or to be retried (stored "
                                    "`pending`).")
    SENT = strawberry.enum_value("sent", description="Accepted by the SMTP relay (stored `sent`).")
    FAILED = strawberry.enum_value("failed", description="Given up: a permanent failure (stored `failed`).")


@strawberry.type(description="The e-mail delivery of a notification.")
class NotificationDelivery:
    state: DeliveryState = strawberry.field(description="Pending, sent or failed.")
    attempts: int = strawberry.field(description="How many times sending was tried.")
    last_error: str | None = strawberry.field(description="The last failure's message, if any.")
    delivered_at: datetime | None = strawberry.field(description="When the relay accepted it, in UTC.")
    next_attempt_at: datetime | None = strawberry.field(description="While pending: when it is (re)tried, in UTC.")


def _when(value: datetime | None) -> datetime | None:
    return None if value is None else utc(value)


@strawberry.type(description="One message to one person about a run or a job run (docs/notifications.md).")
class Notification:
    id: strawberry.ID = strawberry.field(description="The notification's id.")
    sequence: int = strawberry.field(description="Per recipient 1, 2, 3, ... in the order they were written: "
                                     "`notificationAdded(afterSequence)` resumes after one.")
    kind: NotificationKind = strawberry.field(description="What it is about.")
    recipient: User = strawberry.field(description="Who it is for.")
    subject: str = strawberry.field(description="One line, as the e-mail's subject.")
    message: str = strawberry.field(description="Plain text, as the e-mail's body (never a template or HTML).")
    created_at: datetime = strawberry.field(description="When it was written, in UTC.")
    read_at: datetime | None = strawberry.field(description="When the recipient marked it read; null while unread.")
    delivery: NotificationDelivery | None = strawberry.field(
        description="Its e-mail: null when there was no e-mail channel when it was written (no SMTP relay "
        "configured, or no address).")
    _run_id: strawberry.Private[str | None] = None
    _job_run_id: strawberry.Private[str | None] = None

    @classmethod
    def from_row(cls, r: Any) -> Notification:
        delivery = None if r.delivery_state is None else NotificationDelivery(
            state=r.delivery_state, attempts=r.delivery_attempts, last_error=r.delivery_last_error,
            delivered_at=_when(r.delivered_at),
            next_attempt_at=_when(r.delivery_next_at) if r.delivery_state == "pending" else None)
        return cls(id=r.id, sequence=r.seq, kind=r.kind, recipient=User(id=r.user_id), subject=r.subject,
                   message=r.body, created_at=utc(r.created_at), read_at=_when(r.read_at), delivery=delivery,
                   _run_id=r.run_id, _job_run_id=r.job_run_id)


@strawberry.type(description="An edge of a notification list.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this notification; pass it as `after`.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits.")

    @classmethod
    def of(cls, rows: list[Any], *, size: int, after: str | None, kind: str, key: Any) -> NotificationConnection:
        edges = [NotificationEdge(cursor=encode_cursor(kind, key(r)), node=Notification.from_row(r))
                 for r in rows[:size]]
        return cls(edges=edges, page_info=PageInfo.of(edges, has_next=len(rows) > size, after=after))
