"""Modules: resolution, imports and exports, loading once, cycles, and externs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from medlang.lang import api
from medlang.lang.externs import ExternFailure, extern
from medlang.lang.modules import load_program_graph

from .conftest import Lang

STATS = """
module lib.stats;
export { mean, Summary, Level };
enum Level { Low; High; }
type Summary = { n: Int; mean: Float; };
fn mean(v: Vector<Float>) -> Float { sum(v) / to_float(len(v)) }
fn hidden() -> Int { 1 }
"""


def test_nested_module_resolves_from_entry_directory(lang: Lang) -> None:
    lang.write("lib/stats.medlang", STATS)
    out = lang.run(
        """
        import lib.stats::{mean, Summary, Level};
        fn main() {
          let s: Summary = { n = 2; mean = mean([1.0, 2.0]) };
          println("{} {}", s, Level::High);
        }
        """
    )
    assert out == "{ n = 2; mean = 1.5 } High\n"


def test_suffix_match_and_parent_directories(lang: Lang) -> None:
    lang.write(
        "oncology/evidence.medlang", "module med.oncology.evidence;\nfn answer() -> Int { 42 }"
    )
    entry = lang.write(
        "examples/run.medlang",
        'import med.oncology.evidence::answer;\nfn main() { println("{}", answer()); }',
    )
    out = io.StringIO()
    api.run_file(entry, stdout=out)
    assert out.getvalue() == "42\n"


def test_medlang_path_and_search_path(lang: Lang, tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path.parent / (tmp_path.name + "-libs")
    (elsewhere / "shared").mkdir(parents=True)
    (elsewhere / "shared" / "util.medlang").write_text("fn two() -> Int { 2 }")
    entry = lang.write(
        "main.medlang", 'import shared.util::two;\nfn main() { println("{}", two()); }'
    )
    assert api.check_file(entry)[0].message == "unknown module 'shared.util'"
    assert api.check_file(entry, search_path=[elsewhere]) == []
    monkeypatch.setenv("MEDLANG_PATH", str(elsewhere))
    assert api.check_file(entry) == []


def test_unknown_import_lists_exports(lang: Lang) -> None:
    lang.write("lib/stats.medlang", STATS)
    messages = [
        (d.message, d.hint) for d in lang.check("import lib.stats::{meen, hidden};\nfn main() {}")
    ]
    exports = "module 'lib.stats' exports: mean, Summary, Level"
    assert messages == [
        ("module 'lib.stats' has no exported name 'meen'; did you mean 'mean'?", exports),
        ("'hidden' is not exported by module 'lib.stats'", exports),
    ]


def test_star_import_brings_in_only_exports(lang: Lang) -> None:
    lang.write("lib/stats.medlang", STATS)
    diagnostics = lang.check(
        "import lib.stats::*;\nfn main() { let a = mean([1.0]); let b = hidden(); }"
    )
    assert [d.message for d in diagnostics] == ["unknown function 'hidden'"]


def test_failed_import_is_reported_once(lang: Lang) -> None:
    diagnostics = lang.check(
        "import nowhere.mod::{f, K};\nfn main() { let x = f(1); let k = K::A; }"
    )
    assert [d.message for d in diagnostics] == ["unknown module 'nowhere.mod'"]
    assert "nowhere/mod.medlang" in diagnostics[0].hint


def test_import_cycle_names_the_cycle(lang: Lang) -> None:
    lang.write("a.medlang", "module a;\nimport b::g;\nfn f() -> Int { 1 }")
    lang.write("b.medlang", "module b;\nimport c::h;\nfn g() -> Int { 2 }")
    lang.write("c.medlang", "module c;\nimport a::f;\nfn h() -> Int { 3 }")
    entry = lang.write("main.medlang", "import a::f;\nfn main() {}")
    (diag,) = api.check_file(entry)
    assert diag.message == "import cycle: a -> b -> c -> a"
    assert (diag.path, diag.line, diag.col) == ("c.medlang", 2, 8)


def test_modules_are_loaded_once(lang: Lang) -> None:
    lang.write("base.medlang", "fn one() -> Int { 1 }")
    lang.write("left.medlang", "import base::one;\nfn l() -> Int { one() }")
    lang.write("right.medlang", "import base::one;\nfn r() -> Int { one() }")
    entry = lang.write("main.medlang", "import left::l;\nimport right::r;\nfn main() {}")
    graph = load_program_graph(entry)
    assert [m.name for m in graph.modules] == ["base", "left", "right", "main"]


def test_export_of_unknown_name_is_an_error(lang: Lang) -> None:
    assert [d.message for d in lang.check("export { nope };\nfn main() {}")] == [
        "cannot export 'nope': it is not defined in this module"
    ]


# ---- externs ---------------------------------------------------------------------
@extern("test.core_ext", "scaled")
def _scaled(ctx, x: float, k: int) -> float:
    return x * k


@extern("test.core_ext", "registry_dir")
def _registry_dir(ctx) -> str:
    return ctx.registry_root.name


@extern("test.core_ext", "refuse")
def _refuse(ctx, what: str) -> int:
    raise ExternFailure(f"unknown run id '{what}'")


EXT = """
module test.core_ext;
extern fn scaled(x: Float, k: Int) -> Float;
extern fn registry_dir() -> String;
extern fn refuse(what: String) -> Int;
"""


def test_externs_are_called_with_context_and_typed_by_declaration(lang: Lang) -> None:
    lang.write("test/core_ext.medlang", EXT)
    entry = lang.write(
        "main.medlang",
        """
        import test.core_ext::{scaled, registry_dir};
        fn main() { println("{} {}", scaled(1.5, 2), registry_dir()); }
        """,
    )
    out = io.StringIO()
    api.run_file(entry, registry_root=Path("/x/my-registry"), stdout=out)
    assert out.getvalue() == "3.0 my-registry\n"
    bad = lang.write(
        "bad.medlang", "import test.core_ext::scaled;\nfn main() { let y = scaled(1, 2); }"
    )
    (diag,) = api.check_file(bad)
    assert diag.message == "argument 'x' of 'scaled' must be Float, found Int"


def test_extern_failure_is_a_runtime_error_at_the_call_site(lang: Lang) -> None:
    lang.write("test/core_ext.medlang", EXT)
    entry = lang.write(
        "main.medlang",
        'import test.core_ext::refuse;\nfn main() {\n  let n = refuse("r-42");\n}',
    )
    with pytest.raises(api.MedLangRuntimeError) as caught:
        api.run_file(entry, stdout=io.StringIO())
    error = caught.value
    assert (error.message, error.line, error.col) == ("unknown run id 'r-42'", 3, 11)


def test_extern_without_implementation_is_a_check_error(lang: Lang) -> None:
    diagnostics = lang.check("module test.unbacked;\nextern fn ghost() -> Int;\nfn main() {}")
    assert [(d.line, d.col, d.message) for d in diagnostics] == [
        (2, 11, "extern fn 'ghost' has no Python implementation for module 'test.unbacked'")
    ]


def test_misspelt_stdlib_module_suggests_the_right_one(lang: Lang) -> None:
    (diag,) = lang.check("import med.registri::list_runs;\nfn main() {}")
    assert (diag.message, diag.hint) == (
        "unknown module 'med.registri'",
        "did you mean 'med.registry'?",
    )
