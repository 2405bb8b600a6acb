"""The pages of `mlc ui` as a person sees them, in a real headless Chromium."""

from __future__ import annotations

import json
import urllib.request

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind
from tests.web.conftest import rendered_marks


def newest(registry_root, kind: RunKind) -> dict:
    """The demo's last run of this kind (the generated runs have ids 00000000-...)."""
    runs = Registry(registry_root).runs_json(kind=kind)
    return [run for run in runs if not run["id"].startswith("00000000")][-1]


def test_runs_page_lists_the_newest_runs(watched_page, ui_server, demo_registry, tmp_path):
    page = watched_page.page
    page.goto(f"{ui_server}/runs")

    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    assert page.locator(f"tr[data-run='{hybrid['id']}']").is_visible()
    assert page.locator("table.runs tbody tr").count() == 50
    total = Registry(demo_registry).count_runs()
    assert total == 305  # the demo's 5 runs + 300 generated
    assert page.locator("h1").inner_text() == f"Runs {total}"
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)
    watched_page.assert_clean()


def test_kind_filter_and_paging(watched_page, ui_server):
    page = watched_page.page
    page.goto(f"{ui_server}/runs")
    page.select_option("select[name=kind]", "SurrogateEval")
    page.click("form.filters button")
    page.wait_for_url("**kind=SurrogateEval**")

    kinds = page.locator("table.runs tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds and set(kinds) == {"SurrogateEval"}
    page.click("a[rel=next]")
    assert "page 2" in page.locator("nav.pages").inner_text()
    watched_page.assert_clean()


def test_run_page_shows_metrics_arms_and_the_arm_chart(
    watched_page, ui_server, demo_registry, tmp_path
):
    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    page = watched_page.page
    page.goto(f"{ui_server}/runs/{hybrid['id'][:8]}")

    assert hybrid["id"] in page.locator("h1").inner_text()
    metrics = page.locator("table.metrics").inner_text()
    assert f"{hybrid['metrics']['ORR']:.6g}" in metrics
    for arm in hybrid["metrics"]["ORR_by_arm"]:
        assert arm in metrics
    assert rendered_marks(page, "arm_rates") >= 6  # 3 arms x (ORR, DLT) bars at least
    n_patients = hybrid["metrics"]["n_patients"]
    assert rendered_marks(page, "waterfall") >= n_patients  # a bar a patient, + RECIST rules
    assert rendered_marks(page, "anc_nadir") >= 2  # the grade 3 and 4 rules at least
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    watched_page.assert_clean()


def test_metric_over_time_plot(watched_page, ui_server, tmp_path):
    page = watched_page.page
    page.goto(f"{ui_server}/plots?metric=rmse&kind=SurrogateEval")

    assert rendered_marks(page, "history") >= 1
    assert "151 runs" in page.locator("main").inner_text()  # 150 generated + the demo's
    page.screenshot(path=str(tmp_path / "plots.png"), full_page=True)
    watched_page.assert_clean()


def test_the_run_page_is_also_json_the_shape_of_runs_show(ui_server, demo_registry):
    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    with urllib.request.urlopen(f"{ui_server}/runs/{hybrid['id']}?format=json") as response:
        data = json.load(response)
    shown = CliRunner().invoke(
        cli, ["--registry", str(demo_registry), "runs", "show", hybrid["id"], "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert data["run"] == json.loads(shown.stdout)
    surrogate = next(i for i in data["lineage"]["inputs"] if i["role"] == "surrogate")
    assert [run["kind"] for run in surrogate["produced_by"]] == ["SurrogateTrain"]
    assert [run["kind"] for run in surrogate["qualified_by"]] == ["SurrogateEval"]
