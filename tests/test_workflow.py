"""The GitHub Pages workflow is valid (actionlint), publishes what `make book` builds and
attaches the PDF edition that `make pdf-check` builds and checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


@pytest.fixture(scope="module")
def actionlint() -> str:
    # The test extra installs actionlint's binary next to the venv's python.
    beside_python = Path(sys.executable).with_name("actionlint")
    found = str(beside_python) if beside_python.is_file() else shutil.which("actionlint")
    assert found, "actionlint is not installed: it is in the test extra of pyproject.toml"
    return found


def _lint(actionlint: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [actionlint, "-no-color", "-shellcheck=", "-pyflakes=", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_actionlint_accepts_the_book_workflow(actionlint):
    result = _lint(actionlint, WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_copy(actionlint, tmp_path):
    # The same workflow with a misspelt input and an undefined step output:
    # proves the linter really checks, so the test above can fail.
    broken = WORKFLOW.read_text(encoding="utf-8")
    broken = broken.replace("path: _build/html", "pth: _build/html")
    broken = broken.replace("steps.deployment.outputs", "steps.deploy.outputs")
    copy = tmp_path / ".github" / "workflows" / "book.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text(broken, encoding="utf-8")
    result = _lint(actionlint, copy)
    assert result.returncode != 0
    assert '"pth"' in result.stdout and "deploy" in result.stdout, result.stdout


def test_workflow_builds_with_make_book_and_deploys_the_html():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    runs = [step.get("run", "") for step in build["steps"]]
    assert "make book" in runs, runs
    pdf = next(i for i, run in enumerate(runs) if run.startswith("make pdf-check"))
    assert pdf > runs.index("make book"), runs
    attached = [
        s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert [s["with"]["path"] for s in attached] == ["_build/pdf/alliance-compendium.pdf"]
    uploads = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages")]
    assert [s["with"]["path"] for s in uploads] == ["_build/html"]
    assert deploy["needs"] == "build"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
