"""Supervisor review: the web app (`grader review`), overrides with audit, sign-in and disputes.

`overrides` holds the rules shared by the web app and the command line (`grader override`);
`auth` the accounts; `app.create_app(db)` the FastAPI app; `cli.cli_register(sub)` the commands.
"""
from grader.review.overrides import (ReviewError, apply_override, change_scenario, final_items,
                                     final_total, mark_reviewed)

__all__ = ["ReviewError", "apply_override", "change_scenario", "final_items", "final_total", "mark_reviewed"]
