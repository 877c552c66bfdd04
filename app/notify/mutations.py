"""Root mutation fields of notifications: mark them read."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.graphql.context import Info
from app.graphql.errors import Error
from app.graphql.payloads import CMID_DOC, ERRORS_DOC, attempt
from app.notify import service
from app.notify.types import Notification


@strawberry.input(description="Which of your notifications to mark read: `ids`, or `all: true` (exactly one).")
class NotificationsMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Your notifications to mark read (at most {service.MAX_MARK_IDS}); an id that "
        "is not one of yours is refused with NOT_FOUND and nothing is marked.")
    all: bool = strawberry.field(default=False, description="Mark every unread notification of yours read.")
    client_mutation_id: str | None = strawberry.field(default=None, description=CMID_DOC)


@strawberry.type(description="The result of notificationsMarkRead.")
class NotificationsMarkReadPayload:
    notifications: list[Notification] = strawberry.field(
        description="The notifications named by `ids`, after the change (empty with `all`).")
    unread_count: int | None = strawberry.field(description="How many of your notifications are still unread; null "
                                                "when errors are given.")
    errors: list[Error] = strawberry.field(description=ERRORS_DOC)
    client_mutation_id: str | None = strawberry.field(description=CMID_DOC)


@strawberry.type
class NotifyMutation:
    @strawberry.mutation(description="Mark your notifications read: some by id, or all of them. Marking one already "
                         "read keeps its first `readAt`.")
    async def notifications_mark_read(self, info: Info, input: Annotated[NotificationsMarkReadInput, strawberry.argument(
            description="Which notifications.")]) -> NotificationsMarkReadPayload:
        ctx = info.context
        ids = None if input.ids is None else [str(i) for i in input.ids]
        done, errors = await attempt(lambda: service.mark_read_by(ctx.engine, actor=ctx.actor, ids=ids,
                                                                  all=bool(input.all), now=ctx.settings.clock.now()))
        rows, unread = done if done is not None else ([], None)
        return NotificationsMarkReadPayload(notifications=[Notification.from_row(r) for r in rows],
                                            unread_count=unread, errors=errors,
                                            client_mutation_id=input.client_mutation_id)
