"""``dogcare migrate``: bring every item to the current schema version (``dogcare.maintenance``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dogcare.cli.errors import EXIT_FAILED, EXIT_USAGE, CliError

out = Console()
CHECKPOINT_EVERY = 10  # pages: a killed run resumes from the last checkpoint printed


def migrate(
    zone: Annotated[
        str | None,
        typer.Option(
            help="The facility time zone the old bookings were made under (items that name none); "
            "defaults to the configured DOGCARE_TIMEZONE.",
        ),
    ] = None,
    resume: Annotated[str | None, typer.Option(help="Start at a checkpoint printed by an interrupted run.")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Items read per Scan page.")] = 100,
) -> None:
    """Migrate every item to the current schema version; safe while the API serves.

    Idempotent: items already at the version are skipped, so a plain re-run finishes an
    interrupted one; --resume starts at the printed checkpoint instead of re-reading.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from dogcare.cli.context import dogcare_for_cli
    from dogcare.maintenance.migrate import Progress as Step
    from dogcare.maintenance.migrate import migrate as run_migrate

    app = dogcare_for_cli()
    chosen = zone or app.settings.timezone
    try:
        ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CliError(f"unknown time zone {chosen!r} (use an IANA name such as Europe/Lisbon)", EXIT_USAGE) from exc
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[scanned]} read, {task.fields[migrated]} migrated"),
        TimeElapsedColumn(),
    )
    last: list[str] = []
    pages = 0
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"migrating (zone {chosen})", total=None, scanned=0, migrated=0)

        def on_page(step: Step) -> None:
            nonlocal pages
            pages += 1
            progress.update(task, description=step.step, scanned=step.scanned, migrated=step.migrated)
            if step.checkpoint.key is not None:
                last[:] = [step.checkpoint.encode()]
                if pages % CHECKPOINT_EVERY == 0:
                    progress.console.print(f"checkpoint: {last[0]}")

        try:
            result = run_migrate(app, zone=chosen, resume=resume, page_size=page_size, on_page=on_page)
        except ValueError as exc:
            raise CliError(str(exc), EXIT_USAGE) from exc
        except KeyboardInterrupt:
            if last:
                progress.console.print(f"interrupted; resume with: dogcare migrate --resume {last[0]}")
            raise
    out.print(
        f"steps: {', '.join(result.steps) or 'none'}; read {result.scanned}, migrated {result.migrated}, "
        f"already current {result.already}, refused {len(result.refused)}",
        soft_wrap=True,  # one line, whatever the terminal's width: scripts read it
    )
    for key, why in result.refused:
        out.print(f"[yellow]refused[/yellow] {key}: {why}")
    if result.refused:
        raise CliError(f"{len(result.refused)} items left at their old version (see above)", EXIT_FAILED)
