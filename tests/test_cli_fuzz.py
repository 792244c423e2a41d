"""Every CLI command under generated hostile cells, headers, file names and option values.

The invariant, for each command: no traceback, an exit status in the documented set
{0, 1, 3}, and every input file byte-identical afterwards (outputs are sometimes
aimed at an input on purpose). Runs through main(), the entry point a user runs.
Raise CLI_FUZZ_EXAMPLES for a longer search (default 10 examples per command).
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from matcher.cli import main
from matcher.reference.catalogue import CATALOGUE_ENV

ROOT = Path(__file__).resolve().parents[1]
RULE = ROOT / "rules" / "bj-grad-expansion-subsidy.yaml"
EXAMPLES = int(os.environ.get("CLI_FUZZ_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FAST = settings(FUZZ, max_examples=2 * EXAMPLES)  # commands that answer in a fraction of a second

SEEDS = [
    "[/x]",
    "[bold red]甲[/]",
    "[link=http://evil.example]点我[/link]",
    "\x1b[2K\r",
    "\x1b]8;;http://evil.example\x07x\x1b]8;;\x07",
    "\x9b31m",
    "\u202e",
    "=1+1",
    "＝SUM(A1)",
    " @x",
    "\u3000－1",
    "\t=cmd|' /C calc'!A0",
    "-5",
    "1e309",
    "NaN",
    "inf",
    "9" * 300,
    "{value}",
    "%s%n",
    "'\"",
    "\\",
    "../..",
    "企业名称",
    "从业人员",
    "所在地区",
    "所属行业",
    # Columns named like report columns or our row key: intake renames them (issue 11/12).
    "匹配结果",
    "排名",
    "status",
    "__row",
    "rank",
    "enterprise_id",
    "null",
    "~",
    "",
    " ",
    "北京市海淀区",
    "6510",
    "2022-07-01",
    "2022-02-30",
    "110000",
]
HEADERS = [
    "企业名称",
    "从业人员",
    "所在地区",
    "所属行业",
    "营业收入（万元）",
    "成立日期",
    "企业编号",
]

text_chars = st.characters(codec="utf-8", exclude_categories=["Cs"])
# Text a terminal would act on: rich markup (closing tags crashed the CLI) and escapes.
MARKUP = [
    "[/x]",
    "[/]",
    "甲[/bold]乙",
    "[bold red]甲[/]",
    "[link=http://evil.example]点我[/link]",
    "\x1b[2K\r",
    "\x1b]8;;http://evil.example\x07x\x1b]8;;\x07",
]
hostile = st.one_of(
    st.sampled_from(MARKUP),
    st.sampled_from(SEEDS),
    st.text(text_chars, max_size=24),
    st.lists(st.sampled_from(SEEDS), min_size=2, max_size=3).map("".join),
)
# Option values cannot hold NUL (the OS would refuse them as argv).
option_value = hostile.map(lambda s: s.replace("\x00", ""))


def file_name(text: str, suffix: str) -> str:
    name = re.sub(r"[/\x00]", "_", text).strip()[:40]
    if name in ("", ".", ".."):
        name = "x"
    return name + suffix


def cli(*args: str | Path) -> tuple[int, str, str]:
    runner = CliRunner()
    with runner.isolation(env={"COLUMNS": "120", "NO_COLOR": "1", CATALOGUE_ENV: None}) as s:
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return (
            code,
            s[0].getvalue().decode(errors="replace"),
            s[1].getvalue().decode(errors="replace"),
        )


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def snapshot(paths: list[Path]) -> dict[Path, bytes]:
    found: dict[Path, bytes] = {}
    for p in paths:
        if p.is_file():
            found[p] = p.read_bytes()
        elif p.is_dir():
            found.update({f: f.read_bytes() for f in p.rglob("*") if f.is_file()})
    return found


# A control character that reached the terminal (stderr is always shown there).
LIVE_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check(
    inputs: dict[Path, bytes], *args: str | Path, allowed: tuple[int, ...] = (0, 1, 3)
) -> None:
    code, out, err = cli(*args)
    assert code in allowed, (args, code, err[-2000:])
    assert "Traceback" not in out + err, (args, err[-2000:])
    assert "内部错误" not in err, (args, err[-2000:])
    assert not LIVE_CONTROL.search(err), (args, err[-2000:])
    for path, data in inputs.items():
        assert path.read_bytes() == data, f"{path} changed by {args}"


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """Known headers (so hostile cells reach every field) plus, sometimes, hostile ones."""
    known = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=4, unique=True))
    header = known + draw(st.lists(hostile, max_size=2))
    width = len(header)
    rows = draw(st.lists(st.lists(hostile, min_size=width, max_size=width), min_size=0, max_size=3))
    return header, rows


def write_csv(path: Path, table: tuple[list[str], list[list[str]]]) -> Path:
    header, rows = table
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


# The cases that crashed the CLI before issue 11, always tried first.
KNOWN_BAD = (
    ["企业名称", "从业人员", "所在地区"],
    [
        ["[bold red]甲[/]", "[/x]", "[link=http://evil.example]北京[/link]"],
        ["[/x]\x1b[2K\r乙", "＝1", "北京"],
    ],
)


def out_target(folder: Path, choice: str, name: str, input_path: Path) -> Path:
    """Where an output goes: a fresh hostile name, the input itself, or a folder."""
    if choice == "input":
        return input_path
    if choice == "folder":
        return folder
    return folder / file_name(name, ".csv")


OUT_CHOICE = st.sampled_from(["fresh", "fresh", "input", "folder"])


@FUZZ
@given(
    table=portfolios(),
    name=hostile,
    out_choice=st.sampled_from(["none", "fresh", "input", "folder"]),
    out_name=hostile,
    suffix=st.sampled_from([".csv", ".xlsx", ".json"]),
    errors_choice=OUT_CHOICE,
    only=st.one_of(st.none(), option_value, st.just("符合,待补充信息")),
    mapping=st.one_of(st.none(), option_value, st.just("所在地区=region")),
)
@example(
    table=KNOWN_BAD,
    name="[/x]",
    out_choice="none",
    out_name="r",
    suffix=".csv",
    errors_choice="fresh",
    only=None,
    mapping=None,
)
def test_batch(
    table: Any,
    name: str,
    out_choice: str,
    out_name: str,
    suffix: str,
    errors_choice: str,
    only: Any,
    mapping: Any,
) -> None:
    with workspace() as folder:
        src = write_csv(folder / file_name(name, ".csv"), table)
        inputs = snapshot([src])
        args: list[str | Path] = ["batch", src, "--as-of", "2022-07-01"]
        if out_choice == "fresh":
            args += ["--out", folder / file_name(out_name, suffix)]
        elif out_choice != "none":
            args += ["--out", out_target(folder, out_choice, out_name, src)]
        args += ["--errors", out_target(folder, errors_choice, out_name + "e", src)]
        if only is not None:
            args += ["--only", only]
        if mapping is not None:
            args += ["--map", mapping]
        check(inputs, *args)


@FAST
@given(
    table=portfolios(),
    rule_id=st.one_of(st.just("bj-grad-expansion-subsidy"), option_value),
    status=st.one_of(st.none(), option_value),
    top=st.one_of(st.none(), st.sampled_from(["0", "-1", "3", "x", "99999999999999999999"])),
    out_choice=st.sampled_from(["none", "fresh", "input", "folder"]),
    out_name=hostile,
)
@example(table=KNOWN_BAD, rule_id="[/x]", status=None, top=None, out_choice="input", out_name="r")
@example(
    table=KNOWN_BAD,
    rule_id="bj-grad-expansion-subsidy",
    status="待补充信息,不符合",
    top=None,
    out_choice="none",
    out_name="r",
)
def test_find(
    table: Any, rule_id: str, status: Any, top: Any, out_choice: str, out_name: str
) -> None:
    with workspace() as folder:
        src = write_csv(folder / "名单.csv", table)
        inputs = snapshot([src])
        args: list[str | Path] = ["find", rule_id, src, "--as-of", "2022-07-01"]
        if status is not None:
            args += ["--status", status]
        if top is not None:
            args += ["--top", top]
        if out_choice != "none":
            args += ["--out", out_target(folder, out_choice, out_name, src)]
        check(inputs, *args)


@FAST
@given(
    table=portfolios(),
    fmt=st.sampled_from(["table", "csv", "json", "xml"]),
    lang=st.sampled_from(["zh", "en"]),
    errors_choice=st.sampled_from(["none", "fresh", "input", "folder"]),
    name=hostile,
    sheet=st.one_of(st.none(), option_value),
)
@example(table=KNOWN_BAD, fmt="table", lang="zh", errors_choice="input", name="[/x]", sheet=None)
def test_profile_check(
    table: Any, fmt: str, lang: str, errors_choice: str, name: str, sheet: Any
) -> None:
    with workspace() as folder:
        src = write_csv(folder / file_name(name, ".csv"), table)
        inputs = snapshot([src])
        args: list[str | Path] = ["profile", "check", src, "--format", fmt, "--lang", lang]
        if errors_choice != "none":
            args += ["--errors", out_target(folder, errors_choice, name + "e", src)]
        if sheet is not None:
            args += ["--sheet", sheet]
        check(inputs, *args)


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    keys = st.one_of(
        st.sampled_from(["name", "region", "industry", "employees", "id", "__row", "匹配结果"]),
        hostile,
    )
    values = st.one_of(
        hostile, st.integers(-(10**20), 10**20), st.floats(), st.none(), st.booleans()
    )
    return draw(st.dictionaries(keys, values, max_size=5))


@FAST
@given(
    profile=profiles(),
    as_json=st.booleans(),
    rule_id=st.one_of(st.just("bj-grad-expansion-subsidy"), option_value),
    enterprise_id=st.one_of(st.none(), option_value),
    as_of=st.one_of(st.just("2022-07-01"), option_value),
    fmt=st.sampled_from(["table", "csv", "json"]),
)
def test_report_and_explain(
    profile: dict[str, Any], as_json: bool, rule_id: str, enterprise_id: Any, as_of: str, fmt: str
) -> None:
    with workspace() as folder:
        src = folder / ("p.json" if as_json else "p.yaml")
        text = (
            json.dumps(profile, ensure_ascii=False, allow_nan=True, default=str)
            if as_json
            else yaml.safe_dump(profile, allow_unicode=True)
        )
        src.write_text(text, encoding="utf-8")
        inputs = snapshot([src])
        extra: list[str] = ["--id", enterprise_id] if enterprise_id is not None else []
        check(inputs, "report", src, "--as-of", as_of, "--format", fmt, "--all", *extra)
        check(inputs, "explain", src, rule_id, "--as-of", as_of, *extra)


def hostile_rule(title: str, label: str) -> str:
    doc = yaml.safe_load(RULE.read_text(encoding="utf-8"))
    doc["title"] = title
    doc["criteria"]["all"][0]["label"] = label
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@settings(FUZZ, max_examples=max(4, EXAMPLES // 2))
@given(
    title=hostile,
    label=hostile,
    garbage=st.one_of(st.none(), hostile),
    rule_id=st.one_of(st.just("bj-grad-expansion-subsidy"), option_value),
    lang=st.sampled_from(["zh", "en"]),
)
def test_rules_commands(title: str, label: str, garbage: Any, rule_id: str, lang: str) -> None:
    with workspace() as folder:
        rules = folder / "rules"
        rules.mkdir()
        (rules / RULE.name).write_text(hostile_rule(title, label), encoding="utf-8")
        if garbage is not None:
            (rules / file_name(garbage, ".yaml")).write_text(garbage, encoding="utf-8")
        sources = folder / "sources"
        sources.mkdir()
        (sources / "a.txt").write_text(title + label, encoding="utf-8")
        inputs = snapshot([rules, sources])
        check(inputs, "rules", "list", "--rules", rules, "--lang", lang)
        check(inputs, "rules", "show", rule_id, "--rules", rules, "--lang", lang)
        check(inputs, "rules", "lint", "--rules", rules, "--sources", sources)
        check(inputs, "rules", "coverage", "--rules", rules, "--sources", sources, "--lang", lang)


@settings(max_examples=max(2, EXAMPLES // 4), deadline=None)
@given(garbage=hostile.filter(lambda s: s.strip() != ""))
def test_rules_test_with_a_broken_rule_file(garbage: str) -> None:
    # A whole `rules test` run takes seconds: only rule files that do not load are fuzzed.
    with workspace() as folder:
        rules = folder / "rules"
        rules.mkdir()
        (rules / file_name(garbage, ".yaml")).write_text("id: [" + garbage, encoding="utf-8")
        check(snapshot([rules]), "rules", "test", "--rules", rules)


@FUZZ
@given(
    scope=option_value,
    region=st.one_of(st.none(), option_value, st.just("510107")),
    as_of=st.one_of(st.none(), option_value, st.just("2024-06-01")),
    top=st.sampled_from(["1", "3", "0", "x"]),
    body=hostile,
    edition=st.one_of(st.just("2022"), option_value),
    from_date=st.one_of(st.none(), option_value, st.just("2023-01-01")),
    out_choice=st.sampled_from(["fresh", "input"]),
)
def test_catalogue_commands(
    scope: str,
    region: Any,
    as_of: Any,
    top: str,
    body: str,
    edition: str,
    from_date: Any,
    out_choice: str,
) -> None:
    with workspace() as folder:
        key = re.sub(r"[^0-9A-Za-z_-]", "", edition)[:40] or "x"
        text = folder / f"fdi_encouraged_{key}.yaml"
        text.write_text("一、农、林、牧、渔业\n1．" + body + "\n", encoding="utf-8")
        cat = folder / "cat"
        cat.mkdir()
        (cat / "fdi_encouraged_9999.yaml").write_text(body, encoding="utf-8")
        inputs = snapshot([text, cat])
        args: list[str | Path] = ["catalogue", "match", scope, "--top", top]
        args += ["--region", region] if region is not None else []
        args += ["--as-of", as_of] if as_of is not None else []
        check(inputs, *args)
        check(inputs, "catalogue", "list", "--catalogue", cat)
        check(inputs, "--catalogue", cat, "catalogue", "match", scope)
        out_dir = folder if out_choice == "input" else folder / "out"
        imp: list[str | Path] = [
            "catalogue",
            "import",
            text,
            "--edition",
            edition,
            "--out",
            out_dir,
        ]
        imp += ["--from", from_date] if from_date is not None else []
        check(inputs, *imp)


@FUZZ
@given(
    fmt=st.sampled_from(["xlsx", "csv", "yaml", "pdf"]),
    name=hostile,
    as_of=option_value,
    lang=st.one_of(st.sampled_from(["zh", "en"]), option_value),
    demo_fmt=st.sampled_from(["table", "csv", "json"]),
)
def test_template_schema_and_demo(
    fmt: str, name: str, as_of: str, lang: str, demo_fmt: str
) -> None:
    with workspace() as folder:
        check(
            {}, "profile", "template", "--format", fmt, "--out", folder / file_name(name, "." + fmt)
        )
        check({}, "profile", "template", "--format", fmt, "--out", folder)
        check({}, "profile", "schema")
        # A valid date runs the whole demo (seconds): only hostile ones are fuzzed here.
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of.strip()):
            check({}, "demo", "--as-of", as_of, "--lang", lang, "--format", demo_fmt)
