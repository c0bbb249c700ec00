"""Readable errors and exit codes for every command: no tracebacks for expected failures."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from dogcare.errors import DogcareError

EXIT_USAGE = 2
EXIT_FAILED = 1

err = Console(stderr=True)


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def run(app: Any) -> int:
    try:
        app(standalone_mode=False)
    except CliError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return exc.code
    except DogcareError as exc:
        err.print(f"[red]error:[/red] {exc.title}: {exc.detail}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a click usage error, or a real failure: say it in one line
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    return 0
