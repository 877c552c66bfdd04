"""Imports every table module so that `metadata` knows all tables (Alembic, tests)."""


def import_all_models() -> None:
    from app.auth import models as _auth  # noqa: F401
    from app.notify import models as _notify  # noqa: F401
    from app.process import models as _process  # noqa: F401
    from app.run import models as _run  # noqa: F401
