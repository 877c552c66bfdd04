"""Notification fields on another domain's type: the viewer's notifications. The notify domain may use the
auth domain, never the reverse, so the field is declared here and added to `Viewer` with `extend_type` (the
composition root imports this module before it builds the schema)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.auth.queries import Viewer
from app.graphql.context import Info
from app.graphql.extend import extend_type
from app.notify.queries import feed
from app.notify.types import NotificationConnection


@strawberry.type(description="Notification fields of Viewer.")
class ViewerNotificationFields:
    @strawberry.field(description="The user's notifications, newest first (default 100, at most 1000 per page); "
                      "only ever the user's own.")
    @staticmethod
    async def notifications(
        info: Info,
        first: Annotated[int | None, strawberry.argument(
            description="How many notifications: default 100, at most 1000 (more is refused with "
            "LIMIT_EXCEEDED).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Notifications after (older than) this "
                                                         "cursor.")] = None,
        unread_only: Annotated[bool, strawberry.argument(description="Keep only unread notifications.")] = False,
    ) -> NotificationConnection:
        return await feed(info, first=first, after=after, unread_only=unread_only)


extend_type(Viewer, ViewerNotificationFields)
