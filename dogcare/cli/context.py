"""How CLI commands find the data: ``DOGCARE_DYNAMODB_ENDPOINT`` if set; otherwise the
`dogcare serve` running from this directory (its ``serve.json``); otherwise AWS itself."""

from __future__ import annotations

import os

from dogcare.facade import Dogcare
from dogcare.settings import Settings, get_settings


def settings_for_cli() -> Settings:
    settings = get_settings()
    if settings.dynamodb_endpoint:
        return settings
    from dogcare.local.stack import read_state

    state = read_state(settings.home)
    if state is None:
        return settings  # AWS, with the usual credential chain
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    return settings.with_changes(
        dynamodb_endpoint=state["dynamodb_endpoint"],
        table_layout=state.get("table_layout", settings.table_layout),
        table_prefix=state.get("table_prefix", settings.table_prefix),
    )


def dogcare_for_cli() -> Dogcare:
    return Dogcare(settings_for_cli())
