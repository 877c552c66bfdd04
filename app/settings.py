"""Settings, read once from the environment (and an optional `.env` file) by pydantic-settings and passed in.
The fields are defined, described and bounded by group in app/settings_groups.py; `Settings` composes them."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import SkipValidation, ValidationError, create_model
from pydantic.dataclasses import dataclass
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from app.clock import SYSTEM_CLOCK, Clock
from app.settings_groups import (
    CONFIG,
    GROUPS,
    AuthSettings,
    CacheSettings,
    DatabaseSettings,
    HttpSettings,
    LimitSettings,
    NotifySettings,
    OpsSettings,
)
from app.settings_groups import DEFAULT_SQLITE_URL as DEFAULT_SQLITE_URL
from app.settings_groups import ROOT as ROOT
from app.settings_groups import parse_origins as parse_origins
from app.smtp import check_ca_file, parse_smtp_url

# Fixed ids of the workspace and user the first migration creates: the demo
# workspace and user that scripts/serve gives a token on an empty database.
DEFAULT_WORKSPACE_ID = "00000000000000000000000000000001"
DEV_USER_ID = "00000000000000000000000000000002"


@dataclass(frozen=True, kw_only=True, config=CONFIG)
class Settings(OpsSettings, LimitSettings, CacheSettings, NotifySettings, AuthSettings, HttpSettings,
               DatabaseSettings):
    """Everything the gateway is configured with, built once and never read from the environment later: the
    fields of every group, by the names of their variables (`settings.database_url` is DATABASE_URL). Built
    directly (tests), its values are checked as they are from the environment. (The groups are listed last
    to first: a dataclass orders the fields of its bases from the last one.)"""

    # Where the service layer reads the time (tests pass a SettableClock); never read from the environment.
    clock: Annotated[Clock, SkipValidation] = field(default=SYSTEM_CLOCK, compare=False)


class SettingsError(ValueError):
    """A setting with a value the gateway refuses at start-up; the message names the variable."""


# Every field of every group is a variable of the same name in capitals.
VARIABLES = tuple(f.name for group in GROUPS for f in fields(group))


class _Variables(BaseSettings):
    """The variables as text, from the process environment over `.env`; Settings checks and converts them."""

    model_config = SettingsConfigDict(case_sensitive=False, env_ignore_empty=True, extra="ignore")


class _GivenVariables(_Variables):
    """The same with a mapping given in place of the process environment (`load_settings(env=...)`)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, dotenv_settings


@cache
def _reader(base: type[_Variables]) -> type[_Variables]:
    """`base` with a text field per variable: made from the groups so that no field is listed twice, and text
    so that Settings alone converts and checks, the same for the environment as for values given in code."""
    text: dict[str, Any] = dict.fromkeys(VARIABLES, (str | None, None))
    return create_model(base.__name__, __base__=base, **text)


def load_settings(env: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build Settings from `.env` (default: the repository's, if present) overlaid by the process environment
    (or by `env` in its place). A value the gateway refuses raises SettingsError naming its variable."""
    path = env_file if env_file is not None else ROOT / ".env"
    sources: dict[str, Any] = {"_env_file": path}  # a dict: mypy's view of BaseSettings has only the fields
    if env is None:
        read = _reader(_Variables)(**sources)
    else:
        given = {name.lower(): value for name, value in env.items() if name.lower() in VARIABLES}
        read = _reader(_GivenVariables)(**sources, **given)
    # A blank (or all-space) variable is an unset one: its default.
    values: dict[str, Any] = {name: value.strip() for name, value in read.model_dump().items()
                              if isinstance(value, str) and value.strip()}
    try:
        settings = Settings(**values)
    except ValidationError as refused:
        raise SettingsError(_explained(refused)) from None
    if settings.smtp_url is not None:
        # Here rather than in NotifySettings: tests build Settings with a relay that takes no sender.
        try:
            parse_smtp_url(settings.smtp_url)
        except ValueError as exc:
            raise SettingsError(f"settings refused:\n  SMTP_URL={_shown(settings.smtp_url)}: {exc}") from None
    if settings.smtp_ca_file is not None:
        try:
            check_ca_file(settings.smtp_ca_file)
        except ValueError as exc:
            raise SettingsError(f"settings refused:\n  SMTP_CA_FILE={settings.smtp_ca_file}: {exc}") from None
    return settings


def _explained(refused: ValidationError) -> str:
    """One line per refused value: the variable, the value (without a URL's credentials), what was expected."""
    lines = []
    for error in refused.errors():
        said = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            name = str(error["loc"][0]).upper()
            lines.append(f"{name}={_shown(error['input'])}: {said}")
        else:  # a check of several variables together names them itself
            lines.append(said)
    return "settings refused:\n  " + "\n  ".join(lines)


def _shown(value: object) -> str:
    return repr(re.sub(r"//[^/@]*@", "//***@", value) if isinstance(value, str) else value)


def settings_or_exit() -> Settings:
    """`load_settings()` for a command's entry point (serve, worker, admin, demo data, migrate): a refused
    value is printed, naming its variable and what was expected, and the command exits with status 2 instead
    of a traceback."""
    try:
        return load_settings()
    except SettingsError as refused:
        print(f"Processgraph: {refused}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
