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
    except Exception as exc:
        # Usage errors (bad option values, missing options) know how to show themselves and
        # their exit code; anything else is a real failure, said in one line.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            return int(exc.exit_code)
        if type(exc).__name__ == "Exit" and hasattr(exc, "exit_code"):
            return int(exc.exit_code)
        if type(exc).__name__ == "Abort":
            return 130
        err.print(f"[red]error:[/red] {type(exc).__name__}: {exc}")
        return EXIT_FAILED
    return 0
