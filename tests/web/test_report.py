"""`mlc report`: one self-contained file that opens offline and says what `runs show` says."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import RunKind
from tests.web.conftest import rendered_marks
from tests.web.test_browser import newest


def mlc(registry, *args: str):
    return CliRunner().invoke(cli, ["--registry", str(registry), *args])


@pytest.fixture(scope="module")
def hybrid_report(demo_registry, tmp_path_factory):
    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = mlc(demo_registry, "report", hybrid["id"][:8], "--out", str(out))
    assert done.exit_code == 0, done.output
    assert done.stderr == f"Wrote {out}\n"
    return hybrid, out


def test_the_report_needs_nothing_from_outside(hybrid_report):
    _, out = hybrid_report
    html = out.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<script src" not in html and '<link rel="stylesheet"' not in html


def test_the_report_opens_offline_with_its_plots_and_the_runs_show_numbers(
    browser, demo_registry, hybrid_report, tmp_path
):
    hybrid, out = hybrid_report
    context = browser.new_context(offline=True)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())

    assert rendered_marks(page, "arm_rates") >= 6
    shown = json.loads(mlc(demo_registry, "runs", "show", hybrid["id"], "--json").stdout)
    embedded = json.loads(page.locator("section.run script.run-json").text_content())
    assert embedded == shown
    for name, value in shown["metrics"].items():
        if isinstance(value, float):
            cell = page.locator(f"td[data-metric='{name}'] [data-value]")
            assert json.loads(cell.get_attribute("data-value")) == value
    facts = page.locator("dl.provenance").inner_text()
    assert str(shown["config"]["seed"]) in facts
    inputs = page.locator("table.inputs").inner_text()
    for used in shown["config"]["inputs"].values():
        assert used["sha256"] in inputs
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    context.close()
    assert errors == []
    assert requests == [out.as_uri()]


def test_pdf_is_printed_by_the_headless_browser(browser, demo_registry, tmp_path):
    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    out = tmp_path / "report.pdf"
    done = mlc(demo_registry, "report", hybrid["id"], "--format", "pdf", "--out", str(out))
    assert done.exit_code == 0, done.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000


def test_bad_requests_are_one_line(demo_registry, tmp_path):
    missing = mlc(demo_registry, "report", "ffffffff", "--out", str(tmp_path / "r.html"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no run with id 'ffffffff'")
    inside = mlc(demo_registry, "report", "ffffffff", "--out", str(demo_registry / "r.html"))
    assert inside.exit_code == 1
    assert "--out is inside the registry" in inside.stderr
    pdf_to_stdout = mlc(demo_registry, "report", "ffffffff", "--format", "pdf", "--out", "-")
    assert pdf_to_stdout.exit_code == 1
    assert "--format pdf needs a file for --out" in pdf_to_stdout.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_report_of_the_runs_a_query_selects(demo_registry, tmp_path):
    out = tmp_path / "evals.html"
    done = mlc(
        demo_registry,
        "report",
        "--where",
        "kind = SurrogateEval",
        "-n",
        "3",
        "--order-by",
        "metrics.rmse",
        "--out",
        str(out),
    )
    assert done.exit_code == 0, done.output
    html = out.read_text()
    assert html.count('<section class="run"') == 3
    bad = mlc(demo_registry, "report", "--where", "metrics.rsme < 1", "--out", str(out))
    assert bad.exit_code == 2
    assert bad.stderr.startswith("--where:1:1: error:") and "did you mean" in bad.stderr
    neither = mlc(demo_registry, "report", "--out", str(out))
    assert neither.exit_code == 2 and "give run ids or --where" in neither.stderr
