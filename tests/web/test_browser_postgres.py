"""`mlc ui` on a PostgreSQL registry (a real server), in a real headless Chromium: the
run list, a run page drawing its pictures from the outputs stored on the server,
compare and the metric plot, with the server's URL (no secret) as the registry name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from medlang.registry import Registry
from tests.science.conftest import logged_id, make_project
from tests.web.conftest import PageWatch, rendered_marks, start_ui


@pytest.fixture(scope="module")
def server_ui(pg_server, tmp_path_factory) -> Iterator[tuple[str, str, list[str]]]:
    """Two evidence runs logged on the server by the real producer, and `mlc ui` on it:
    (the app's base URL, the registry URL, the run ids)."""
    from medlang.registry.postgres_store import PostgresStore

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGPASSWORD", pg_server.password)
        url = pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
        PostgresStore(url).migrate()
        base = tmp_path_factory.mktemp("ui-pg")
        project = make_project(base / "project", url)  # type: ignore[arg-type]
        ids = [
            logged_id(
                project.produce(
                    "run-evidence",
                    "--config",
                    project.path("v1.json"),
                    "--seed",
                    str(seed),
                    "--out",
                    project.path(f"out/result-{seed}.json"),
                    "--log",
                )
            )
            for seed in (1, 2)
        ]
        server, app = start_ui(url)  # type: ignore[arg-type]
        try:
            yield app, url, ids
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def page(browser, server_ui) -> Iterator[PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield PageWatch(context.new_page(), server_ui[0])
    context.close()


def test_the_run_list_names_the_server_and_lists_its_runs(page, server_ui):
    app, url, ids = server_ui
    page.page.goto(f"{app}/runs")
    assert page.page.locator("header .registry").inner_text() == url
    assert page.page.locator("h1 .total").inner_text() == "2"
    for run_id in ids:
        assert page.page.locator(f"tr[data-run='{run_id}']").is_visible()
    page.assert_clean()


def test_a_run_page_draws_the_result_stored_on_the_server(page, server_ui):
    app, url, ids = server_ui
    page.page.goto(f"{app}/runs/{ids[0][:8]}")
    assert ids[0] in page.page.locator("h1").inner_text()
    replay = page.page.locator("code.replay").inner_text()
    assert replay == f"mlc --registry {url} runs replay {ids[0]}"
    # the charts come from the result's bytes in the server's object store
    assert rendered_marks(page.page, "arm_rates") >= 6  # 3 arms x (ORR, DLT)
    assert rendered_marks(page.page, "waterfall") >= 24  # a bar per patient
    page.assert_clean()


def test_compare_the_runs_picked_on_the_list(page, server_ui):
    app, _, ids = server_ui
    page.page.goto(f"{app}/runs")
    for run_id in ids:
        page.page.locator(f"tr[data-run='{run_id}'] input[type=checkbox]").check()
    page.page.click("th.pick button")
    page.page.wait_for_url("**/compare?**")
    heads = page.page.locator("table.summary thead th a").all_inner_texts()
    assert sorted(heads) == sorted(run_id[:8] for run_id in ids)
    assert page.page.locator("table.metrics tr[data-key='metrics.ORR'] td").count() >= 2
    assert rendered_marks(page.page, "parallel") >= 2  # a line per run
    page.assert_clean()


def test_the_metric_plot_over_time(page, server_ui):
    app, url, _ = server_ui
    page.page.goto(f"{app}/plots?metric=ORR&kind=EvidenceMechanistic")
    assert rendered_marks(page.page, "history") >= 1
    assert "2 runs" in page.page.locator("main").inner_text()
    assert Registry.open(url).count_runs() == 2  # the app only read
    page.assert_clean()
