"""The docs site as a person sees it: built while a load holds the warehouse, rendered by a real
browser (headless Chromium), with its front page and a model page, and no console errors."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator

import pytest

from pipelines.transform.project import target_path
from tests.conftest import make, render
from tests.integration.test_warehouse_access import hold

TARGET = target_path()  # this test process's (DBT_TARGET_PATH, set in conftest)
MODEL_PAGE = "#!/model/model.regal_voice_warehouse.fct_tasks"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory) -> Iterator[str]:
    """``make docs-static`` while another process holds the warehouse for writing, served over
    HTTP on loopback as ``make docs`` serves it; the site's address."""
    scratch = tmp_path_factory.mktemp("docs")
    warehouse = scratch / "warehouse.duckdb"
    holder = hold(f"import duckdb\ncon = duckdb.connect({str(warehouse)!r})", scratch / "held")
    try:
        built = make("docs-static", WAREHOUSE=str(warehouse))
    finally:
        holder.kill()
        holder.wait()
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert "\x1b[" not in built.stdout + built.stderr  # no colour codes off a terminal
    handler = functools.partial(Quiet, directory=str(TARGET))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/static_index.html"
    finally:
        server.shutdown()


def test_the_front_page_says_what_the_warehouse_holds_and_where_to_start(
    chromium, docs_site, tmp_path
):
    dom, console = render(chromium, docs_site + "#!/overview")
    assert console == []
    for text in (
        "Regal Voice warehouse",
        "What it holds",
        "Where an analyst starts",
        "KPI definitions",
        "How fresh is it?",
        "make shell",
        # Every mart and every ops table is on the front page.
        "fct_scheduled_callbacks",
        "agg_experiment_results",
        "fct_contact_attempts",
        "forget_requests",
        "published_files",
    ):
        assert text in dom, text
    # The sidebar's sources are those the models read: no `segment` schema that may not exist.
    sidebar = dom[dom.index(">Sources<") : dom.index(">Projects<")]
    sources = re.findall(r"filename-normal[^>]*>\s*(\w+)\s*<", sidebar)
    assert {"brand", "ops", "regal_voice"} <= set(sources) and "segment" not in sources
    assert "Welcome!" not in dom  # dbt's generic page is gone
    screenshot = tmp_path / "overview.png"
    _, console = render(chromium, docs_site + "#!/overview", screenshot)
    assert console == []
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_the_fct_tasks_page_renders_its_description_and_columns(chromium, docs_site):
    dom, console = render(chromium, docs_site + MODEL_PAGE)
    assert console == []
    for text in ("fct_tasks", "final_status", "time_to_accept_s", "Speed of answer"):
        assert text in dom, text
    # Column types come from the contracts, though the site never opened the warehouse.
    assert "TIMESTAMP WITH TIME ZONE" in dom and "BIGINT" in dom
