"""The committed OpenAPI document matches the code, and documents exactly the routed operations."""

from __future__ import annotations

import json

import pytest

from handlers import openapi
from handlers.registry import PUBLIC, routes

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def committed() -> dict:
    return dict(json.loads(openapi.OUTPUT.read_text()))


def test_the_committed_document_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert openapi.main(["--check"]) == 0, capsys.readouterr().err


def test_every_route_is_documented_with_its_method(committed: dict) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in committed["paths"].items()
        for method in operations
        if method in METHODS
    }
    routed = {(r.method, r.path) for r in routes()}
    assert routed - documented == set(), "routed but not documented"
    assert documented - routed == set(), "documented but not routed"


def test_every_operation_documents_its_problems_and_security(committed: dict) -> None:
    for path, operations in committed["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            codes = set(operation["responses"])
            success = [c for c in codes if c.startswith("2")]
            assert len(success) == 1, where
            assert "429" in codes, where
            assert ("401" in codes) is ((method.upper(), path) not in PUBLIC), where
            for code in codes - set(success):
                content = operation["responses"][code]["content"]
                assert list(content) == ["application/problem+json"], where
            if (method.upper(), path) in PUBLIC:
                assert operation.get("security") == [], where
            else:
                assert operation.get("security", committed["security"]) == [{"bearer": []}], where


def test_path_parameters_match_the_route_templates(committed: dict) -> None:
    by_key = {(r.method, r.path): r for r in routes()}
    for path, operations in committed["paths"].items():
        for method, operation in operations.items():
            route = by_key[(method.upper(), path)]
            documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert documented == set(route.pattern.groupindex), f"{method.upper()} {path}"
