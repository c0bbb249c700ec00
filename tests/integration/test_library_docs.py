"""docs/library.md's worked examples run as printed, in order, against DynamoDB (moto)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dogcare.settings import get_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "library.md"


def _examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_five_worked_examples_and_a_testing_one() -> None:
    assert len(_examples()) == 6


@pytest.mark.parametrize("layout", ["single", "four"])
def test_library_examples_run_as_printed(
    layout: str, moto: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOGCARE_TABLE_LAYOUT", layout)
    monkeypatch.setenv("DOGCARE_HOME", str(tmp_path))
    monkeypatch.delenv("DOGCARE_DYNAMODB_ENDPOINT", raising=False)
    get_settings.cache_clear()
    from dogcare import Dogcare, create_tables

    create_tables(Dogcare.from_settings().store)
    namespace: dict[str, object] = {}
    try:
        for code in _examples():
            exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documented examples
    finally:
        get_settings.cache_clear()
    printed = capsys.readouterr().out
    assert "Ana@Example.com" in printed
    assert "up-to-date" in printed
    assert "pending 45.00 USD" in printed
    assert printed.count("refused:") == 3
    assert "the admin role is required" in printed
    assert "Rex" in printed
    assert "kit: confirmed succeeded" in printed
