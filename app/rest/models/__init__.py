"""The seed's JSON objects as pydantic models: they validate every REST request and make the OpenAPI
document (app/rest/openapi.py). `process`: definitions, summaries, errors; `edits`: batch renames and
JSON Patch; `runs`: runs and added job runs."""

from app.rest.models.edits import *  # noqa: F403
from app.rest.models.history import *  # noqa: F403
from app.rest.models.process import *  # noqa: F403
from app.rest.models.runs import *  # noqa: F403
