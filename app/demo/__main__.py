"""`python -m app.demo`: scripts/demo-data."""

import sys

from app.demo.cli import main

sys.exit(main())
