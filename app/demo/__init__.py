"""Demo data: realistic processes and runs in several states, so a new user sees something real in GraphiQL.

Everything goes through the service layer (process create, run start, run actions), so the demo obeys the
same rules as the API. `python -m app.demo` (scripts/demo-data) loads it into the database named by
DATABASE_URL; `scripts/serve --demo` calls `maybe_load_on_start`, which loads it only on an empty database.

What is loaded (names are fixed; `--count N` adds N generated processes from a seeded generator):

- people of a finance team in the workspace (`@example.com` addresses), one of them a former contractor
  whose account is deactivated;
- "Q4 2025 Financial Close", "SOX 302 Quarterly Certification", "Month-End Accruals" and
  "FY2026 Budget Planning": parallel and serial groups, manual triggers, sendTask jobs with approvers,
  contentRequest jobs with document and section, certifications with signer and approver steps, tags, due
  dates, and relative dates over a business window with excluded and included days;
- runs managed by the acting user: one just started, one part-way (submitted, approved, returned and
  awaiting the acting user's approval), one complete and closed, one complete by itself (a signed
  certification, one signer reporting an exception), one cancelled, and one held by an error (a job run
  reassigned to the deactivated contractor).
"""

from app.demo.cli import ProgressBar, main, maybe_load_on_start
from app.demo.load import (
           DEFAULT_SEED,
           DemoSummary,
           Progress,
           database_is_empty,
           demo_summary,
           load_demo,
)
from app.demo.people import INACTIVE, PEOPLE, DemoError, Person
from app.demo.processes import (
           ACCRUALS,
           BUDGET,
           CLOSE,
           PROCESS_NAMES,
           SOX,
           demo_processes,
           generated_process,
)

__all__ = ["ACCRUALS", "BUDGET", "CLOSE", "DEFAULT_SEED", "INACTIVE", "PEOPLE", "PROCESS_NAMES", "SOX", "DemoError",
           "DemoSummary", "Person", "Progress", "ProgressBar", "database_is_empty", "demo_processes", "demo_summary",
           "generated_process", "load_demo", "main", "maybe_load_on_start"]
