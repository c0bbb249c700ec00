"""Handler tests: each function's ``lambda_handler`` called with real REST proxy events,
against moto, with the settings read from ``DOGCARE_*`` like in Lambda."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.api.support import Api, configure


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Powertools warns when an invocation published no business metric (most requests don't).
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"))


@pytest.fixture(scope="session")
def handler_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("handler-home")


@pytest.fixture
def layout_name() -> str:
    return "single"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, handler_home: Path, layout_name: str) -> Iterator[Api]:
    """Fresh tables in moto for every test, handlers configured from the environment."""
    from moto import mock_aws

    from dogcare.settings import get_settings
    from dogcare.storage.tables import create_tables
    from handlers.common import runtime

    configure(monkeypatch, handler_home, layout_name)
    with mock_aws():
        create_tables(runtime.dogcare().store)
        yield Api(monkeypatch, handler_home, layout_name)
    get_settings.cache_clear()  # other tests read their own environment
