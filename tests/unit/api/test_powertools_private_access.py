"""No module of handlers/ or dogcare/ but ``handlers/common/powertools_adapter.py`` reads or calls
a private attribute of a Powertools object (``app._cors``, ``router._routes``, ...).

Private here means a ``_name`` (not a dunder) that Powertools' own source uses as an attribute
(``self._name``) or defines as a private function or method. The scan reads every module's
syntax tree: ``thing._name`` with such a name is reported unless ``thing`` is ``self``, ``cls``
or ``super()`` in a class of our own (not a subclass of a Powertools class), where the name is
that class's own attribute.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import aws_lambda_powertools

ROOT = Path(__file__).resolve().parents[3]
ADAPTER = ROOT / "handlers" / "common" / "powertools_adapter.py"
SCANNED = ("handlers", "dogcare")


@cache
def powertools_private_names() -> frozenset[str]:
    names: set[str] = set()
    for path in Path(aws_lambda_powertools.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return frozenset(n for n in names if n.startswith("_") and not n.startswith("__"))


def _powertools_names(tree: ast.Module) -> set[str]:
    """The names a module binds to something imported from Powertools."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aws_lambda_powertools"):
            bound.update(alias.asname or alias.name for alias in node.names)
    return bound


def _own_receiver(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


class _Scan(ast.NodeVisitor):
    def __init__(self, private: frozenset[str], powertools: set[str]) -> None:
        self.private, self.powertools = private, powertools
        self.in_powertools_subclass: list[bool] = []
        self.found: list[tuple[int, str]] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
        self.in_powertools_subclass.append(bool(bases & self.powertools))
        self.generic_visit(node)
        self.in_powertools_subclass.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in self.private:
            ours = _own_receiver(node.value) and not (self.in_powertools_subclass and self.in_powertools_subclass[-1])
            if not ours:
                self.found.append((node.lineno, ast.unparse(node)))
        self.generic_visit(node)


def private_accesses(path: Path) -> list[str]:
    """Each private access of ``path`` as ``line: expression``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scan = _Scan(powertools_private_names(), _powertools_names(tree))
    scan.visit(tree)
    return [f"{line}: {text}" for line, text in scan.found]


def test_only_the_adapter_reaches_into_powertools() -> None:
    modules = [p for package in SCANNED for p in sorted((ROOT / package).rglob("*.py")) if p != ADAPTER]
    assert len(modules) > 50
    found = [f"{path.relative_to(ROOT)}:{hit}" for path in modules for hit in private_accesses(path)]
    assert found == []


def test_the_scan_sees_what_the_adapter_does() -> None:
    """The control: the adapter's own workaround is what the scan reports elsewhere."""
    assert any("._routes" in hit for hit in private_accesses(ADAPTER))


def test_the_scan_reports_private_access_on_any_receiver_and_in_powertools_subclasses(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver\n"
        "def f(app):\n"
        "    return app._cors\n"
        "class Mine(APIGatewayRestResolver):\n"
        "    def g(self):\n"
        "        return self._to_proxy_event({})\n"
        "class Ours:\n"
        "    def h(self):\n"
        "        return self._cors\n",
        encoding="utf-8",
    )
    assert private_accesses(sample) == ["3: app._cors", "6: self._to_proxy_event"]
