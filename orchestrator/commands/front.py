"""Commands on the job spec and script: ``schema``, ``validate``, ``storyboard``."""

from __future__ import annotations

import json

from orchestrator.cli import app, console, user_errors
from orchestrator.jobspec import job_schema


@app.command()
@user_errors
def schema() -> None:
    """Print the JSON Schema of the job spec (for editors' autocompletion)."""
    console.print_json(json.dumps(job_schema(), ensure_ascii=False))
