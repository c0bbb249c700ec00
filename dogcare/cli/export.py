"""``dogcare export``: one entity type to JSON Lines, CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dogcare.cli.errors import CliError


def export(
    entity: Annotated[Literal["owners", "dogs", "bookings", "payments"], typer.Option(help="What to export.")],
    out: Annotated[Path, typer.Option(help="File to write (replaced only when the export completes).")],
    format: Annotated[Literal["jsonl", "csv", "parquet"], typer.Option(help="Output format.")] = "jsonl",
    segments: Annotated[int, typer.Option(min=1, max=32, help="Parallel scan segments.")] = 4,
    resume: Annotated[
        str | None, typer.Option(help="Continue an interrupted export from the token its error printed.")
    ] = None,
) -> None:
    """Export every item of one entity type with typed columns (a parallel segmented scan)."""
    from dogcare.analytics.export import export as run_export
    from dogcare.cli.context import dogcare_for_cli

    app = dogcare_for_cli()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} items"),
        TextColumn("{task.fields[rate]:.0f} items/s"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"exporting {entity}", total=None, rate=0.0)

        def advance(n: int) -> None:
            progress.advance(task, n)
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, rate=progress.tasks[0].completed / elapsed)

        try:
            result = run_export(app, entity, format, out, segments, advance, resume=resume)
        except (RuntimeError, ValueError) as exc:  # ExportInterrupted says where to resume
            raise CliError(str(exc)) from exc
    typer.echo(f"{result.items} {entity} -> {result.path} in {result.seconds:.1f}s")
