"""Static security checks of the code and the template, run with the rest of the suite.

* bandit over ``dogcare/`` and ``handlers/`` (configured in ``pyproject.toml``): no finding of
  medium or high severity.
* checkov over ``template.yaml``, from its own virtualenv (it pins boto3 and botocore versions
  the project does not use; ``make test`` builds it, see the Makefile's ``check-template``):
  every check passes, except those skipped in ``.checkov.yaml``, each with its reason there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".tools" / "checkov-venv" / "bin" / "checkov"


BANDIT = ["-m", "bandit", "-c", "pyproject.toml", "-r", "dogcare", "handlers", "-f", "json", "-q"]


def test_bandit_finds_nothing_of_medium_or_high_severity() -> None:
    result = subprocess.run(
        [sys.executable, *BANDIT, "--severity-level", "medium"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == [], "\n".join(findings)
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did read the code
    assert not report["errors"], report["errors"]


def test_every_skipped_template_check_is_justified_in_one_place() -> None:
    config = yaml.safe_load((ROOT / ".checkov.yaml").read_text())
    skipped = config["skip-check"]
    lines = (ROOT / ".checkov.yaml").read_text().splitlines()
    for check in skipped:
        line = next(i for i, text in enumerate(lines) if text.strip() == f"- {check}")
        reason = lines[line - 1].strip()
        assert reason.startswith("#") and len(reason) > 20, f"{check}: no reason on the line above it"
    assert all(re.fullmatch(r"CKV2?_AWS_\d+", check) for check in skipped), skipped
    assert "template.yaml" in str(config["file"])


def test_checkov_passes_the_template() -> None:
    assert CHECKOV.exists(), "checkov's virtualenv is missing: run `make check-template` (make test does)"
    result = subprocess.run(
        [str(CHECKOV), "--config-file", ".checkov.yaml", "--output", "json", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for r in reports
        for c in r.get("results", {}).get("failed_checks", [])
    ]
    passed = sum(r.get("summary", {}).get("passed", 0) for r in reports)
    assert failed == [], "\n".join(failed)
    assert passed > 20, report  # it did check the template
