"""The layout is the architecture: each package imports only its own layer or lower ones, the
archive source never reaches an engine or the runner, and only the engines' own modules name
an engine's implementation."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = PROJECT / "pipelines"

# Lowest first. A module belongs to the longest prefix that names it.
LAYERS = [
    ["pipelines.settings", "pipelines.errors", "pipelines.redact", "pipelines.config"],
    [
        "pipelines.privacy.identifiers",
        "pipelines.privacy.suppression",
        "pipelines.transform.project",
    ],
    ["pipelines.segment_archive"],
    ["pipelines.ops"],
    ["pipelines.engines", "pipelines.transform"],
    [
        "pipelines.ingest",
        "pipelines.privacy",
        "pipelines.report",
        "pipelines.docs",
        "pipelines.sample",
    ],
    ["pipelines.runner"],
    ["pipelines.cli", "pipelines.__main__"],
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int | None:
    if module == "pipelines":
        return 0  # the package's docstring
    best, layer = "", None
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, layer = prefix, number
    return layer


def runtime_imports(path: Path) -> set[str]:
    """What a module imports when it runs (imports under ``if TYPE_CHECKING:`` aside)."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("pipelines.")}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    assert [module_name(p) for p in modules() if layer_of(module_name(p)) is None] == []


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in modules():
        own = layer_of(module_name(path))
        for imported in runtime_imports(path):
            theirs = layer_of(imported)
            if theirs is not None and theirs > own:
                upward.append(f"{module_name(path)} → {imported}")
    assert upward == []


def test_only_the_engines_name_an_engine():
    named = [
        f"{module_name(path)} → {imported}"
        for path in modules()
        if not module_name(path).startswith("pipelines.engines")
        for imported in runtime_imports(path)
        if imported.startswith(("pipelines.engines.duckdb", "pipelines.engines.postgres"))
    ]
    assert named == []


def test_importing_the_package_writes_no_environment():
    for path in modules():
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: a function may set what it runs with
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            text = ast.unparse(node)
            assert "os.environ[" not in text or "=" not in text.split("os.environ[")[0], path
            assert "os.environ.update" not in text and "os.environ.setdefault" not in text, path


def test_every_module_logs_under_its_own_name():
    for path in modules():
        text = path.read_text()
        assert 'getLogger("pipelines' not in text, f"{path}: logging.getLogger(__name__)"


def test_a_module_over_300_lines_says_why():
    unexplained = [
        module_name(path)
        for path in modules()
        if len(path.read_text().splitlines()) > 300
        and "Over 300 lines because" not in (ast.get_docstring(ast.parse(path.read_text())) or "")
    ]
    assert unexplained == []


def test_only_the_cross_database_macros_name_an_engine_in_dbt():
    dbt = PROJECT / "dbt_project"
    files = [*(dbt / "models").rglob("*.sql"), *(dbt / "models").rglob("*.yml")]
    files += [path for path in (dbt / "macros").rglob("*.sql") if path.name != "cross_db.sql"]
    naming = [str(path.relative_to(dbt)) for path in files if "target.type" in path.read_text()]
    assert naming == []
