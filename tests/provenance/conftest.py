"""Projects for the provenance tests: the science tests' small project, plus a
variant whose evidence program imports a user module."""

from __future__ import annotations

import pytest

from tests.science.conftest import Project, make_project

# The small program with its model parameter helper moved into a user module.
HELPERS = """module trialhelpers.params;

import med.evidence::*;

export fn param;

fn param(typical: Float, cv: Float) -> Param {
  { typical = typical; cv = cv }
}
"""


def with_imported_module(project: Project) -> Project:
    program = project.root / "small_evidence.medlang"
    text = program.read_text()
    head, _, rest = text.partition("fn param(typical: Float, cv: Float) -> Param {")
    _, _, rest = rest.partition("}\n}\n")
    program.write_text(
        head.replace(
            "import med.evidence::*;", "import med.evidence::*;\nimport trialhelpers.params::*;"
        )
        + rest
    )
    (project.root / "trialhelpers").mkdir()
    (project.root / "trialhelpers" / "params.medlang").write_text(HELPERS)
    return project


@pytest.fixture
def project(tmp_path) -> Project:
    return with_imported_module(make_project(tmp_path / "project", tmp_path / "registry"))
