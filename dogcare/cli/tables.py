"""``dogcare tables``: create and describe the tables of the configured layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from dogcare.storage.store import Store

app = typer.Typer(help="Create and describe the DynamoDB tables.", no_args_is_help=True)
out = Console()


def _store() -> Store:
    from dogcare.settings import get_settings
    from dogcare.storage.store import Store

    return Store(get_settings())


@app.command()
def create() -> None:
    """Create every table of the layout (DOGCARE_TABLE_LAYOUT) that does not exist yet."""
    from dogcare.storage.tables import create_tables

    created = create_tables(_store())
    out.print(f"created: {', '.join(created)}" if created else "all tables already exist")


@app.command()
def describe() -> None:
    """Show each table of the layout: status, item count, indexes."""
    from dogcare.storage.tables import describe_tables

    table = Table("table", "status", "items", "indexes")
    for row in describe_tables(_store()):
        table.add_row(row["name"], row["status"], str(row["items"]), ", ".join(row["indexes"]))
    out.print(table)
