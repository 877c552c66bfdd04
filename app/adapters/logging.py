"""The standard library's logging, where the gateway turns off work its log format never reads."""

from __future__ import annotations

import logging


def skip_caller_lookup() -> None:
    """Log records stop recording where the call was made (a walk up the stack for every line). logging
    offers switches for the thread and process fields (`logging.logThreads` ...) but none for this one: the
    module's `_srcfile` is the switch `Logger._log` reads."""
    logging._srcfile = None
