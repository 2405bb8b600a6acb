"""The pages of `mlc ui` as a person sees them, in a real headless Chromium."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from medlang.cli.main import cli
from medlang.registry import Registry, RunKind
from tests.registry.factories import run as make_run
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
    made = [r for r in Registry(demo_registry).runs_json() if not r["id"].startswith("00000000")]
    assert total == len(made) + 300  # the demo's and the RL runs + 300 generated
    assert page.locator("h1 .total").inner_text() == str(total)
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)
    watched_page.assert_clean()


def test_kind_filter_and_paging(watched_page, ui_server):
    page = watched_page.page
    page.goto(f"{ui_server}/runs")
    page.select_option("select[name=kind]", "SurrogateEval")
    page.click("form.query button[type=submit]")
    page.wait_for_url("**kind=SurrogateEval**")

    kinds = page.locator("table.runs tbody tr td:nth-child(3)").all_inner_texts()
    assert kinds and set(kinds) == {"SurrogateEval"}
    page.click("a[rel=next]")
    page.wait_for_url("**page=2**")
    assert "page 2" in page.locator("nav.pages").inner_text()
    watched_page.assert_clean()


def test_run_page_shows_metrics_arms_and_the_arm_chart(
    watched_page, ui_server, demo_registry, tmp_path
):
    hybrid = newest(demo_registry, RunKind.EvidenceHybrid)
    page = watched_page.page
    page.goto(f"{ui_server}/runs/{hybrid['id'][:8]}")

    assert hybrid["id"] in page.locator("h1").inner_text()
    replay = page.locator("code.replay").inner_text()
    assert replay == f"mlc --registry {demo_registry} runs replay {hybrid['id']}"
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


def test_the_query_box_filters_orders_and_shows_chosen_columns(watched_page, ui_server, tmp_path):
    page = watched_page.page
    page.goto(f"{ui_server}/runs")
    page.fill("input[name=where]", "kind = SurrogateEval and metrics.rmse < 0.03")
    page.fill("input[name=columns]", "metrics.rmse,config.seed")
    page.fill("input[name=order_by]", "metrics.rmse")
    page.click("form.query button[type=submit]")
    page.wait_for_url("**where=**")

    rmse = [float(t) for t in page.locator("td[data-field='metrics.rmse']").all_inner_texts()]
    assert rmse and all(value < 0.03 for value in rmse)
    assert rmse == sorted(rmse)
    kinds = set(page.locator("table.runs tbody tr td:nth-child(3)").all_inner_texts())
    assert kinds == {"SurrogateEval"}
    page.click("th a.sort[data-field='metrics.rmse']")  # sorted ascending: now descending
    page.wait_for_url("**desc=1**")
    rmse_desc = [float(t) for t in page.locator("td[data-field='metrics.rmse']").all_inner_texts()]
    assert rmse_desc == sorted(rmse_desc, reverse=True)
    page.screenshot(path=str(tmp_path / "query.png"), full_page=True)
    watched_page.assert_clean()


def test_a_bad_query_shows_the_diagnostic_inline(browser, ui_server):
    page = browser.new_page()
    page.goto(f"{ui_server}/runs")
    page.fill("input[name=where]", "metrics.rsme < 0.05")
    page.click("form.query button[type=submit]")
    page.wait_for_selector("pre.diagnostic")

    shown = page.locator("pre.diagnostic").inner_text()
    assert "query:1:1: error: no run has the field 'metrics.rsme'" in shown
    assert "^~~~~~~~~~~~" in shown and "did you mean 'metrics.rmse'?" in shown
    assert page.locator("table.runs").count() == 0
    page.close()


def test_tick_three_runs_and_compare_them(watched_page, ui_server, tmp_path):
    page = watched_page.page
    page.goto(f"{ui_server}/runs?kind=SurrogateEval&columns=metrics.rmse")
    ticked = page.locator("table.runs tbody input[type=checkbox]")
    ids = [ticked.nth(i).get_attribute("value") for i in range(3)]
    for i in range(3):
        ticked.nth(i).check()
    page.click("th.pick button")
    page.wait_for_url("**/compare?**")

    heads = page.locator("table.summary thead th a").all_inner_texts()
    assert heads == [run_id[:8] for run_id in ids]
    assert page.locator("table.metrics tr[data-key='metrics.rmse'] td").count() >= 3
    assert rendered_marks(page, "parallel") >= 3  # a line per run
    page.select_option("select[name=x]", "config.seed")
    page.select_option("select[name=y]", "metrics.rmse")
    page.click("form.filters button")
    assert rendered_marks(page, "scatter") >= 3
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    watched_page.assert_clean()


def test_every_run_page_draws_its_kind_s_pictures(watched_page, ui_server, demo_registry):
    """Each of the demo's runs (and the short RL training and evaluation): every chart
    the page holds renders, and each kind has the pictures it should."""
    expected = {
        "EvidenceHybrid": {"arm_rates", "waterfall", "anc_nadir"},
        "EvidenceMechanistic": {"arm_rates", "waterfall", "anc_nadir"},
        "SurrogateEval": {"parity", "residuals", "strata"},
        "RLTrain": {"learning"},
    }
    page = watched_page.page
    seen = set()
    for run in Registry(demo_registry).runs_json():
        if run["id"].startswith("00000000"):
            continue
        page.goto(f"{ui_server}/runs/{run['id']}")
        names = {f.get_attribute("data-chart") for f in page.locator("figure[data-chart]").all()}
        assert expected.get(run["kind"], set()) <= names, run["kind"]
        for name in names:
            assert rendered_marks(page, name) >= 1, (run["kind"], name)
        seen.add(run["kind"])
    assert set(expected) <= seen
    watched_page.assert_clean()


def test_a_run_logged_while_the_app_runs_shows_after_a_reload(
    watched_page, ui_server, demo_registry
):
    page = watched_page.page
    page.goto(f"{ui_server}/runs?kind=RLEval")
    before = page.locator("table.runs tbody tr[data-run]").count()
    registry = Registry(demo_registry)  # another terminal logging a run
    new = registry.log_run(make_run(999, RunKind.RLEval, metrics={"avg_reward": 0.5}))
    page.reload()
    assert page.locator(f"tr[data-run='{new}']").is_visible()
    assert page.locator("table.runs tbody tr[data-run]").count() == before + 1
    watched_page.assert_clean()


def test_the_run_page_says_whether_each_output_is_still_the_recorded_bytes(
    ui_server, demo_registry, tmp_path
):
    hybrid = newest(demo_registry, RunKind.EvidenceMechanistic)
    artifact = Registry(demo_registry).artifact_json(hybrid["artifacts"][0])
    url = f"{ui_server}/runs/{hybrid['id']}?format=json"
    with urllib.request.urlopen(url) as response:
        before = json.load(response)["verified"][artifact["id"]]
    assert before == {"on_disk": "ok", "stored": "intact"}
    result = Path(artifact["path"])
    kept = result.read_bytes()
    result.write_bytes(kept + b" ")  # someone edits the output after the run
    try:
        with urllib.request.urlopen(url) as response:
            data = json.load(response)
    finally:
        result.write_bytes(kept)
    assert data["verified"][artifact["id"]] == {"on_disk": "modified", "stored": "intact"}
    assert artifact["sha256"] in data["stored"]  # the recorded bytes stay downloadable


def test_status_and_program_filters(watched_page, ui_server, demo_registry):
    page = watched_page.page
    page.goto(f"{ui_server}/runs")
    page.fill("input[name=program]", "Onco*")
    page.fill("input[name=where]", "kind ~ 'Evidence*'")
    page.select_option("select[name=status]", "finished")
    page.click("form.query button[type=submit]")
    page.wait_for_url("**program=**")
    shown = set(
        page.locator("table.runs tbody tr[data-run]").evaluate_all(
            "rows => rows.map(r => r.dataset.run)"
        )
    )
    expected = {
        r["id"]
        for r in Registry(demo_registry).runs_json()
        if r["kind"].startswith("Evidence") and (r.get("evidence_program") or "").startswith("Onco")
    }
    assert expected and shown == expected
    page.select_option("select[name=status]", "failed")
    page.click("form.query button[type=submit]")
    page.wait_for_url("**status=failed**")
    assert page.locator("table.runs tbody tr[data-run]").count() == 0
    watched_page.assert_clean()
