"""``dogcare token``: an access token (or, with ``--id``, an ID token) from the local development issuer."""

from __future__ import annotations

from typing import Annotated

import typer

from dogcare.cli.errors import CliError


def token(
    sub: Annotated[str, typer.Option(help="The subject (user id) the token is for.")],
    admin: Annotated[bool, typer.Option("--admin", help="Put the caller in the admin (staff) group.")] = False,
    expires_in: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
    id_token: Annotated[
        bool, typer.Option("--id", help="Print an ID token (for the X-Id-Token header) instead of an access token.")
    ] = False,
    email: Annotated[
        str | None, typer.Option(help="The verified email of an ID token (default: {sub}@example.com).")
    ] = None,
) -> None:
    """Print a signed token that a `dogcare serve` from this directory accepts."""
    from dogcare.auth.dev_issuer import DevIssuer
    from dogcare.settings import get_settings

    if expires_in <= 0 or expires_in > 7 * 24 * 3600:
        raise CliError("--expires-in must be between 1 second and 7 days", 2)
    if not sub.strip():
        raise CliError("--sub must not be empty", 2)
    if email is not None and not id_token:
        raise CliError("--email goes with --id (access tokens carry no email)", 2)
    issuer = DevIssuer(get_settings().home)
    if id_token:
        address = email if email is not None else f"{sub}@example.com"
        if not address.strip():
            raise CliError("--email must not be empty", 2)
        print(issuer.mint_id_token(sub, address, admin=admin, expires_in=expires_in))
    else:
        print(issuer.mint(sub, admin=admin, expires_in=expires_in))
