"""``dogcare token``: a bearer token from the local development issuer."""

from __future__ import annotations

from typing import Annotated

import typer

from dogcare.cli.errors import CliError


def token(
    sub: Annotated[str, typer.Option(help="The subject (user id) the token is for.")],
    admin: Annotated[bool, typer.Option("--admin", help="Put the caller in the admin (staff) group.")] = False,
    expires_in: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print a signed access token that a `dogcare serve` from this directory accepts."""
    from dogcare.auth.dev_issuer import DevIssuer
    from dogcare.settings import get_settings

    if expires_in <= 0 or expires_in > 7 * 24 * 3600:
        raise CliError("--expires-in must be between 1 second and 7 days", 2)
    if not sub.strip():
        raise CliError("--sub must not be empty", 2)
    print(DevIssuer(get_settings().home).mint(sub, admin=admin, expires_in=expires_in))
