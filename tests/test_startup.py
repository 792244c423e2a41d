"""Fast start (issue 16): --help and usage errors import none of the heavy libraries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("polars", "numpy", "pydantic", "rapidfuzz")

PROBE = """
import sys
from importlib.util import _LazyModule  # a lazy placeholder is not an import
import matcher.cli
try:
    matcher.cli.main({argv!r})
except SystemExit:
    pass
loaded = sorted(
    {{
        name.split(".")[0]
        for name, mod in list(sys.modules.items())
        if name.split(".")[0] in {heavy!r} and not isinstance(mod, _LazyModule)
    }}
)
print("LOADED", " ".join(loaded), file=sys.stderr)
"""


def probe(argv: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The heavy libraries loaded by running ``argv``, and what it printed."""
    code = PROBE.format(argv=argv, heavy=HEAVY)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED"))
    return set(line.split()[1:]), proc.stdout


def loaded_after(argv: list[str]) -> set[str]:
    return probe(argv)[0]


def test_help_imports_no_heavy_library() -> None:
    assert loaded_after(["--help"]) == set()
    # Below the top level typer (0.29) coerces the group's options with pydantic.
    assert not loaded_after(["rules", "--help"]) & {"polars", "numpy", "rapidfuzz"}


def test_usage_error_imports_no_polars_or_numpy() -> None:
    # typer (0.29) itself validates a subcommand's options with pydantic, and the
    # did-you-mean uses rapidfuzz; polars and numpy stay out.
    assert not loaded_after(["batch", "--no-such-option"]) & {"polars", "numpy"}
    # With nothing before the command the group's own options (--catalogue, --help) are not
    # parsed, so not coerced either (matcher/cli.py _app_for): an unknown option of the
    # command fails before any of its options is, and pydantic is never imported.
    assert not loaded_after(["batch", "--no-such-option"]) & {"pydantic", "polars", "numpy"}
    assert not loaded_after(["report", "--bogus"]) & {"pydantic", "polars", "numpy"}
    assert not loaded_after(["no-such-command"]) & {"polars", "numpy"}


def test_probe_sees_a_real_import() -> None:
    # The probe must be able to fail: a command that matches a portfolio does load polars
    # (`rules list` no longer does: rules load without it).
    demo = Path(__file__).resolve().parents[1] / "profiles" / "demo.csv"
    assert "polars" in loaded_after(["report", str(demo), "--id", "BJ001", "--as-of", "2022-07-01"])


EXAMPLES = Path(__file__).resolve().parents[1] / "profiles" / "examples"


def test_one_profile_report_imports_no_polars_or_numpy(tmp_path: Path) -> None:
    # Issue 16: a YAML/JSON profile is read and normalised row by row (matcher/single.py).
    # Its own cache folder, first run cold: the answer must not hang on what earlier runs
    # (or an edit of matcher/reference, which changes the memo key) left in the user's cache.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for name in ("incomplete.yaml", "large_state_owned.json"):
        path = str(EXAMPLES / name)
        for argv in (
            ["report", path, "--as-of", "2022-07-01"],
            ["report", path, "--as-of", "2022-07-01", "--format", "md"],
            ["explain", path, "bj-grad-expansion-subsidy", "--as-of", "2022-07-01"],
        ):
            assert not probe(argv, env)[0] & {"polars", "numpy"}, argv


def test_one_profile_report_needing_the_industry_model_imports_no_polars() -> None:
    # Its scope's phrases are weighed by the industry text model, which is numpy.
    argv = ["report", str(EXAMPLES / "beijing_software.yaml"), "--as-of", "2022-07-01"]
    assert "polars" not in loaded_after(argv)


def test_second_report_of_a_profile_reads_its_resolutions_back(tmp_path: Path) -> None:
    # The first run needs numpy and rapidfuzz (industry text model, catalogue cdist) and keeps
    # what it resolved in the cache folder; the second reads it back, imports none of them
    # (rapidfuzz costs 15 ms to import), prints the same.
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    argv = ["report", str(EXAMPLES / "beijing_software.yaml"), "--as-of", "2022-07-01"]
    first, printed = probe(argv, env)
    assert {"numpy", "rapidfuzz"} <= first and "polars" not in first
    second, again = probe(argv, env)
    assert not second & {"polars", "numpy", "rapidfuzz"}
    assert again == printed and "bj-grad-expansion-subsidy" in printed
    # The resolutions and scope readings are kept in small files by a hash of the text
    # (matcher/reference/disk_memo.py).
    memos = [p.name.rsplit("-", 1)[0] for p in (tmp_path / "policy-match").iterdir() if p.is_dir()]
    assert sorted(memos) == ["industry-resolutions", "scope-readings"]
    # A damaged file is ignored: resolved afresh, the same report.
    for kept in (tmp_path / "policy-match").rglob("*.json"):
        kept.write_text("[{", encoding="utf-8")
    third, damaged = probe(argv, env)
    assert "numpy" in third and damaged == printed


READER_PROBE = """
import sys
import matcher.cli
try:
    matcher.cli.main({argv!r})
except SystemExit:
    pass
from matcher.reference import industry, scope
print("READER", scope.scope_reader.cache_info().currsize, len(industry._memo._order), file=sys.stderr)
"""


def test_second_report_builds_no_scope_reader(tmp_path: Path) -> None:
    # Issue 16: a scope read before comes from the disk memo, without the catalogue reader,
    # and only the memo files of the texts looked up are read (matcher/reference/disk_memo.py).
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    argv = ["report", str(EXAMPLES / "beijing_software.yaml"), "--as-of", "2022-07-01"]
    code = READER_PROBE.format(argv=argv)
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
        )
        for _ in range(2)
    ]
    first, second = (
        next(x for x in r.stderr.splitlines() if x.startswith("READER")).split()[1:] for r in runs
    )
    assert first[0] == "1"  # the first run builds the reader …
    assert second[0] == "0" and int(second[1]) <= 3  # … the second reads a file per text
    assert runs[0].stdout == runs[1].stdout


GC_PROBE = """
import atexit, gc, sys
sys.argv = ["policy-match", *{argv!r}]
# at exit: a one-enterprise run ends without the teardown, after the exit functions
atexit.register(lambda: print("GC", gc.isenabled(), file=sys.stderr))
import matcher.cli
try:
    matcher.cli.main()
except SystemExit as exc:
    print("RETURNED", exc.code, file=sys.stderr)
"""


def gc_after(argv: list[str]) -> bool:
    """Whether garbage collection is on after the program ran ``argv``."""
    proc = subprocess.run(
        [sys.executable, "-c", GC_PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("GC "))
    return line.split()[1] == "True"


def test_garbage_collection_paused_only_for_one_enterprise() -> None:
    # matcher/startup.py: a one-profile report or explain makes nothing worth collecting;
    # a list of enterprises (any length) and every other command collect as usual.
    yaml = str(EXAMPLES / "beijing_software.yaml")
    demo = str(Path(__file__).resolve().parents[1] / "profiles" / "demo.csv")
    assert not gc_after(["report", yaml, "--as-of", "2022-07-01"])
    assert not gc_after(["explain", yaml, "bj-grad-expansion-subsidy", "--as-of", "2022-07-01"])
    assert gc_after(["report", demo, "--id", "BJ001", "--as-of", "2022-07-01"])
    assert gc_after(["explain", demo, "bj-grad-expansion-subsidy", "--id", "BJ001"])
    assert gc_after(["rules", "list"])


def test_one_enterprise_ends_without_the_teardown() -> None:
    # matcher/startup.py exit_now: the exit functions run and the output is complete, but
    # main() never returns; every other run (and any call with an argv) exits as usual.
    yaml = str(EXAMPLES / "beijing_software.yaml")
    demo = str(Path(__file__).resolve().parents[1] / "profiles" / "demo.csv")
    for argv, fast in [
        (["report", yaml, "--as-of", "2022-07-01"], True),
        (["explain", yaml, "bj-grad-expansion-subsidy", "--as-of", "2022-07-01"], True),
        (["report", demo, "--id", "BJ001", "--as-of", "2022-07-01"], False),
        (["rules", "list"], False),
    ]:
        proc = subprocess.run(
            [sys.executable, "-c", GC_PROBE.format(argv=argv)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        returned = [x for x in proc.stderr.splitlines() if x.startswith("RETURNED")]
        assert any(x.startswith("GC ") for x in proc.stderr.splitlines()), argv
        if fast:
            assert returned == [], argv
        else:
            assert returned == [f"RETURNED {proc.returncode}"], argv
        direct = subprocess.run(
            [sys.executable, "-m", "matcher", *argv], capture_output=True, text=True, timeout=300
        )
        assert (proc.stdout, proc.returncode) == (direct.stdout, direct.returncode), argv


def test_command_is_found_after_the_options_before_it() -> None:
    from matcher.startup import command

    assert command(["report", "x.yaml"]) == "report"
    assert command(["--catalogue", "report", "batch", "x.csv"]) == "batch"
    assert command(["--catalogue=dir", "explain"]) == "explain"
    assert command(["--help"]) is None
    assert command([]) is None
