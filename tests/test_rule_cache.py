"""The rule cache (issue 16): a warm load reads the validated rules back from JSON, the same
rules and the same reports; a changed file or a damaged cache is never believed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher import loader
from matcher.cli import app
from matcher.errors import PolicyMatchError
from matcher.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "examples" / "beijing_software.yaml"
RULE = "bj-grad-job-search-subsidy"


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv(loader.NO_CACHE_ENV, raising=False)
    return home / "policy-match"


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("ruleset-*.json"))


def no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any read of the rule files fail: the load must come from the cache."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rule files read although the cache was warm")

    monkeypatch.setattr(loader, "load_rules", refuse)


def test_warm_load_gives_the_same_rules(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = loader.load_ruleset()
    assert len(cache_files(cache_home)) == 1
    with monkeypatch.context() as m:
        no_yaml(m)
        warm = loader.load_ruleset()
    assert warm.rules == cold.rules
    assert [r.model_fields_set for r in warm.rules] == [r.model_fields_set for r in cold.rules]
    assert [r.model_dump_json() for r in warm.rules] == [r.model_dump_json() for r in cold.rules]
    assert warm.files == cold.files
    assert warm.errors == []


def test_warm_load_knows_the_rules_hash(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache keeps the rule-set hash every report prints, so a warm run need not dump
    # the rules to compute it; a subset of them is hashed afresh.
    from matcher.report import meta

    cold = loader.load_ruleset()
    (path,) = cache_files(cache_home)
    computed = meta._sha256(cold.rules)
    assert json.loads(path.read_text(encoding="utf-8"))["sha256"] == computed
    with monkeypatch.context() as m:
        no_yaml(m)
        warm = loader.load_ruleset()
        m.setattr(meta, "_sha256", lambda rules: "not used")
        assert meta.rules_sha256(list(reversed(warm.rules))) == computed
        assert meta.rules_sha256(warm.rules[1:]) == "not used"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--lang", "en"],
        ["--format", "json"],
        ["--format", "md"],
        ["--format", "html"],
        ["--format", "json", "--lang", "en"],
        ["--format", "csv", "--all"],
    ],
)
def test_warm_report_equals_cold(
    args: list[str], cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    argv = ["report", str(PROFILE), "--as-of", "2022-07-01", *args]
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    cold = runner.invoke(app, argv, env={**env, loader.NO_CACHE_ENV: "1"})
    assert cold.exit_code == 0, cold.output
    assert cache_files(cache_home) == []  # the opt-out neither reads nor writes
    first = runner.invoke(app, argv, env=env)  # writes the cache
    assert cache_files(cache_home)
    no_yaml(monkeypatch)
    warm = runner.invoke(app, argv, env=env)
    assert warm.exit_code == 0, warm.output
    assert first.stdout == cold.stdout
    assert warm.stdout == cold.stdout
    assert warm.stderr == cold.stderr


def copy_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(loader.bundled_rules_dir() / f"{RULE}.yaml", folder)
    return folder


def test_changed_rule_file_invalidates_the_cache(tmp_path: Path, cache_home: Path) -> None:
    folder = copy_rules(tmp_path)
    path = folder / f"{RULE}.yaml"
    before = loader.load_ruleset([folder], replace=True)
    assert loader.load_ruleset([folder], replace=True).rules == before.rules  # warm
    text = path.read_text(encoding="utf-8")
    old_name = before.rules[0].title
    path.write_text(text.replace(old_name, old_name + "（改）", 1), encoding="utf-8")
    after = loader.load_ruleset([folder], replace=True)
    assert after.rules[0].title == old_name + "（改）"
    # a file made invalid is reported, never answered from the cache of the valid one
    path.write_text(text.replace("\nid:", "\nid_typo:", 1), encoding="utf-8")
    with pytest.raises(PolicyMatchError):
        loader.load_ruleset([folder], replace=True)


def test_added_rule_file_invalidates_the_cache(tmp_path: Path, cache_home: Path) -> None:
    folder = copy_rules(tmp_path)
    assert len(loader.load_ruleset([folder], replace=True).rules) == 1
    other = "bj-grad-rental-housing"
    shutil.copy(loader.bundled_rules_dir() / f"{other}.yaml", folder)
    assert [r.id for r in loader.load_ruleset([folder], replace=True).rules] == [RULE, other]


@pytest.mark.parametrize(
    "damage",
    [b"", b"{not json", b'{"rules": [{"id": 1}], "files": {}}', b'{"rules": [], "files": {}}'],
)
def test_damaged_cache_file_is_ignored_and_rebuilt(
    damage: bytes, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = loader.load_ruleset()
    (path,) = cache_files(cache_home)
    path.write_bytes(damage)
    path.with_suffix(".pickle").unlink()  # else read instead (tested below)
    assert loader.load_ruleset().rules == cold.rules
    assert path.read_bytes() != damage  # rebuilt
    no_yaml(monkeypatch)
    assert loader.load_ruleset().rules == cold.rules


# --------------------------------------------------------------------------- the pickled rules


def pickle_file(folder: Path) -> Path:
    (path,) = sorted(folder.glob("ruleset-*.pickle"))
    return path


def no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher.rule import Rule

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rules validated although the pickle was there")

    monkeypatch.setattr(Rule, "model_validate", refuse)


def same_rules(a: list[Rule], b: list[Rule]) -> None:
    assert a == b
    for x, y in zip(a, b, strict=True):
        assert type(x) is type(y)
        assert x.model_fields_set == y.model_fields_set
        assert x.model_dump() == y.model_dump()
        assert x.model_dump_json(by_alias=True, exclude_unset=True) == y.model_dump_json(
            by_alias=True, exclude_unset=True
        )


def test_pickled_rules_restore_equal_to_validated(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every bundled rule, drafts too: restored without validation, equal to the validated
    cold = loader.load_ruleset(include_drafts=True)
    validated = loader.load_rules(include_drafts=True).rules
    pickle_file(cache_home)
    with monkeypatch.context() as m:
        no_yaml(m)
        no_validation(m)
        warm = loader.load_ruleset(include_drafts=True)
    same_rules(warm.rules, validated)
    same_rules(warm.rules, cold.rules)
    assert warm.files == cold.files
    # validation still works after a restore (the models build their validators on first use)
    from matcher.rule import Rule

    again = [
        Rule.model_validate(r.model_dump(by_alias=True, exclude_unset=True)) for r in warm.rules
    ]
    same_rules(again, validated)


def test_pickle_is_written_private(cache_home: Path) -> None:
    import stat

    loader.load_ruleset()
    mode = pickle_file(cache_home).stat().st_mode
    assert not mode & (stat.S_IRWXG | stat.S_IRWXO)


def _foreign_pickle(path: Path) -> None:
    import pickle

    fmt, name, rules, files, sha = pickle.loads(path.read_bytes())
    path.write_bytes(pickle.dumps((fmt, name, [*rules, Path("x")], files, sha)))


@pytest.mark.parametrize(
    "odd",
    [
        "damaged",
        "truncated",
        "empty",
        "group-writable",
        "world-writable",
        "another-owner",
        "symlink",
        "foreign-class",
        "renamed",
        "bad-shape",
    ],
)
def test_odd_pickle_is_ignored(
    odd: str, tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import pickle

    cold = loader.load_ruleset()
    path = pickle_file(cache_home)
    blob = path.read_bytes()
    if odd == "damaged":
        path.write_bytes(blob[:20] + b"\xff" * 50 + blob[70:])
    elif odd == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif odd == "empty":
        path.write_bytes(b"")
    elif odd == "group-writable":
        path.chmod(0o620)
    elif odd == "world-writable":
        path.chmod(0o602)
    elif odd == "another-owner":
        real = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: real + 1)
    elif odd == "symlink":
        target = tmp_path / "elsewhere.pickle"
        path.rename(target)
        path.symlink_to(target)
    elif odd == "foreign-class":
        _foreign_pickle(path)
    elif odd == "renamed":  # the pickle of another key under this name
        path.write_bytes(pickle.dumps(("rules-1", "ruleset-0123", *pickle.loads(blob)[2:])))
    elif odd == "bad-shape":
        path.write_bytes(pickle.dumps({"rules": []}))
    with monkeypatch.context() as m:
        no_yaml(m)  # the JSON beside it is read and validated instead
        calls: list[int] = []
        from matcher.rule import Rule

        real_validate = Rule.model_validate

        def counting(*args: object, **kwargs: object) -> Rule:
            calls.append(1)
            return real_validate(*args, **kwargs)  # type: ignore[arg-type]

        m.setattr(Rule, "model_validate", counting)
        warm = loader.load_ruleset()
    assert calls  # the validated path
    same_rules(warm.rules, cold.rules)


def test_pickle_names_no_other_class(cache_home: Path) -> None:
    import io
    import pickle

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("never",))

    unpickler = loader._unpickler()
    with pytest.raises(pickle.UnpicklingError):
        unpickler(io.BytesIO(pickle.dumps(Evil()))).load()


def test_unwritable_cache_folder_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv(loader.NO_CACHE_ENV, raising=False)
    assert len(loader.load_ruleset().rules) == len(loader.load_rules().rules)


def test_lint_reads_the_files_not_the_cache(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = copy_rules(tmp_path)
    loader.load_ruleset([folder], replace=True)  # a warm cache for this folder
    (folder / f"{RULE}.yaml").write_text("id: [\n", encoding="utf-8")
    ruleset = loader.load_rules([folder], replace=True)
    assert ruleset.errors and ruleset.errors[0].location.line == 2  # where the list ends


# --------------------------------------------------------------------------- the region index


def test_region_index_read_back_equals_the_built_one(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.reference import regions

    monkeypatch.delenv(regions.INDEX_CACHE_OFF_ENV, raising=False)
    built = regions._build_index()
    regions._write_index(built)
    (path,) = cache_home.glob("region-name-index-*.txt")
    read = regions._read_index()
    assert read == built
    assert list(read.names) == list(built.names)  # the same order, for the same first hit
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])  # truncated: not believed
    assert regions._read_index() is None
    tag = regions._INDEX_TAG.encode()
    path.write_bytes(good.replace(tag, tag[:-1] + b"9"))  # another format: not believed
    assert regions._read_index() is None
    parts = good.split(b"\0")
    entries = parts[2].split(b"\n")
    for bad in (b"110000", b"110000:full:x", b"110000:full,", b"110000:full\t"):
        broken = [*parts[:2], b"\n".join([bad, *entries[1:]]), *parts[3:]]
        path.write_bytes(b"\0".join(broken))  # an entry that is no code:kind
        assert regions._read_index() is None, bad
    path.write_bytes(b"\0".join([*parts[:2], b"\n".join(entries[1:]), *parts[3:]]))
    assert regions._read_index() is None  # a name without its entries

    monkeypatch.setattr(regions, "_build_index", lambda: built)
    regions._index.cache_clear()
    try:
        assert regions._index() == built  # rebuilt and rewritten
        assert regions._read_index() == built
    finally:
        regions._index.cache_clear()


def test_region_index_file_keeps_the_division_table(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 16: a report read back from the file needs no adcode table; the divisions it
    # makes on demand are those the table gives, in the same order.
    from matcher.reference import data, regions

    monkeypatch.delenv(regions.INDEX_CACHE_OFF_ENV, raising=False)
    regions._write_index(regions._build_index())
    kept = regions._read_index_file()
    assert kept is not None
    lazy = regions._Divisions(kept[1])
    from_csv = {
        r["adcode"]: regions.Division(
            r["adcode"], r["name"], r["level"], r["province_code"], r["city_code"], r["full_name"]
        )
        for r in data.adcode_rows()
    }
    assert "110108" in lazy and lazy["110108"] == from_csv["110108"]
    assert list(lazy) == list(from_csv) and dict(lazy.items()) == from_csv
    provinces = {c: d.name for c, d in from_csv.items() if d.level == "province"}
    real = regions._table
    for table in (lazy, from_csv):  # the catalogue's province names, from either table
        monkeypatch.setattr(regions, "_table", lambda table=table: table)
        assert regions.province_names() == provinces and len(provinces) == 34
    monkeypatch.setattr(regions, "_table", real)
    (path,) = cache_home.glob("region-name-index-*.txt")
    good = path.read_text(encoding="utf-8")
    line = "\t".join(["海淀区", "county", "110000", "", "北京市海淀区"])
    assert line in good
    path.write_text(good.replace(line, "海淀区"), encoding="utf-8")  # damaged: not believed
    assert regions._read_index_file() is None
    path.write_text(good.replace(line, line + "\tx"), encoding="utf-8")
    assert regions._read_index_file() is None
    path.write_text(good.replace(line, line + "\n110109"), encoding="utf-8")
    assert regions._read_index_file() is None  # a code without its fields


def test_region_index_key_follows_the_alias_table(
    tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.reference import data, regions

    monkeypatch.delenv(regions.INDEX_CACHE_OFF_ENV, raising=False)
    before = regions._index_path()
    aliases = tmp_path / "region_aliases.yaml"
    aliases.write_text(
        data.reference_path("region_aliases.yaml").read_text(encoding="utf-8") + "\n"
    )
    real = data.reference_path
    monkeypatch.setattr(
        data, "reference_path", lambda name: aliases if name == aliases.name else real(name)
    )
    assert regions._index_path() != before
    monkeypatch.setenv(regions.INDEX_CACHE_OFF_ENV, "1")
    assert regions._index_path() is None
