"""``dogcare reconcile``: report (and with --fix, repair) drift of counters, schedules, guards and
the roster from the bookings and owners (``dogcare.maintenance.reconcile``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dogcare.cli.errors import EXIT_FAILED, CliError

out = Console(width=200)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def reconcile(
    fix: Annotated[bool, typer.Option("--fix", help="Repair each drift with a conditional write.")] = False,
) -> None:
    """Re-derive counters, schedules, email guards and roster items; report every drift.

    Exit code 1 when drift is found (without --fix) or is left unrepaired (with --fix). Safe
    while the API serves: a repair only applies if the item still holds the value read.
    """
    from dogcare.cli.context import dogcare_for_cli
    from dogcare.maintenance.reconcile import reconcile as run_reconcile

    app = dogcare_for_cli()
    with Console(stderr=True).status("reading every table (a consistent scan)"):
        report = run_reconcile(app, fix=fix)
    checked = ", ".join(f"{kind} {n}" for kind, n in sorted(report.checked.items()))
    if not report.drift:
        out.print(f"no drift ({checked})")
        return
    outcome = {d.signature: "fixed" for d in report.fixed}
    outcome.update({d.signature: f"skipped: {why}" for d, why in report.skipped})
    table = Table("kind", "key", "expected", "actual", *(("repair",) if fix else ()), title="drift")
    for d in report.drift:
        row = [d.kind, d.key, _show(d.expected), _show(d.actual)]
        table.add_row(*row, *((outcome.get(d.signature, ""),) if fix else ()))
    out.print(table)
    out.print(f"{len(report.drift)} drift found ({checked}); fixed {len(report.fixed)}, skipped {len(report.skipped)}")
    if not fix:
        raise CliError("drift found: run again with --fix to repair it", EXIT_FAILED)
    if report.skipped:
        raise CliError(f"{len(report.skipped)} drift left unrepaired (see the table)", EXIT_FAILED)
