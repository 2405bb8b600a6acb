"""``mlc report``: one self-contained HTML file about chosen runs.

The file inlines its styles, the vendored Vega scripts and every chart's data, so it
opens offline (from an e-mail attachment, years later) and draws exactly what the
app draws: both take their pictures from ``medlang.web.plots`` and their facts from
the pages' data layer. ``to_pdf`` prints it with a headless Chromium when one is
installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from medlang.registry.store import Registry
from medlang.web import pages

_HERE = Path(__file__).resolve().parent
_SCRIPTS = ("vendor/vega.min.js", "vendor/vega-lite.min.js", "vendor/vega-embed.min.js", "app.js")
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ReportError(Exception):
    """Something the user asked for that cannot be reported (one line)."""


def render_report(registry: Registry, run_ids: list[str], *, title: str | None = None) -> str:
    """The report's HTML for these runs (ids or unique prefixes), in the order given."""
    import jinja2

    if not run_ids:
        raise ReportError("no runs to report")
    sections = []
    for run_id in run_ids:
        try:
            sections.append(pages.run_page(registry, run_id))
        except pages.NotFound as error:
            raise ReportError(str(error)) from None
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
        autoescape=True,
    )
    static = _HERE / "static"
    return environment.get_template("report.html").render(
        title=title or _default_title(sections),
        sections=sections,
        registry_name=registry.location,
        style=(static / "app.css").read_text(encoding="utf-8"),
        scripts=[_inline_script(static / name) for name in _SCRIPTS],
    )


def _default_title(sections: list[dict[str, Any]]) -> str:
    if len(sections) == 1:
        run = sections[0]["run"]
        return f"{run['kind']} run {run['id'][:8]}"
    return f"{len(sections)} runs"


def _inline_script(path: Path) -> str:
    # A literal "</script" inside inlined code would end the element early.
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def find_browser() -> str | None:
    """A headless-capable Chromium on this machine ($MEDLANG_CHROMIUM first), or None."""
    configured = os.environ.get("MEDLANG_CHROMIUM")
    if configured:
        return configured
    for name in _BROWSERS:
        if found := shutil.which(name):
            return found
    return None


def to_pdf(html: str, out: Path, *, timeout_s: float = 60) -> None:
    """Print the report to PDF with the system's headless Chromium, charts drawn."""
    browser = find_browser()
    if browser is None:
        raise ReportError(
            "--format pdf needs a headless Chromium (e.g. apt-get install chromium, "
            "or set MEDLANG_CHROMIUM); --format html works without one"
        )
    with tempfile.TemporaryDirectory(prefix="mlc-report-") as scratch:
        page = Path(scratch) / "report.html"
        page.write_text(html, encoding="utf-8")
        printed = Path(scratch) / "report.pdf"
        command = [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(scratch) / 'profile'}",
            "--no-pdf-header-footer",
            "--virtual-time-budget=10000",  # let the charts render before printing
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(
                f"the browser did not print the report within {timeout_s:g} s"
            ) from None
        if done.returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise ReportError(f"the browser could not print the report: {detail[0]}")
        shutil.copyfile(printed, out)
