"""The ``dogcare`` command line: local server, tokens, tables (and more, one module each)."""

from __future__ import annotations

import sys

import typer

from dogcare.cli import export, migrate, reconcile, seed, serve, stripe, tables, token

app = typer.Typer(
    name="dogcare",
    help="dogcare: run the API locally, mint development tokens, manage tables, migrate and reconcile data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("token")(token.token)
app.command("seed")(seed.seed)
app.command("export")(export.export)
app.command("migrate")(migrate.migrate)
app.command("reconcile")(reconcile.reconcile)
app.add_typer(tables.app, name="tables")
app.add_typer(stripe.app, name="stripe")


def main() -> None:
    from dogcare.cli.errors import run

    sys.exit(run(app))


if __name__ == "__main__":
    main()
