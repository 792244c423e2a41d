"""The industry text model is trained once and then read from a cache keyed by its inputs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from matcher.reference import data, industry, model_cache
from matcher.reference.classifier import CharNaiveBayes

TEXTS = ["做软件的", "在商场开了家奶茶店哈", "钢材批发", "", "量子纠缠态"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder, and the in-process model forgotten before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    industry._model.cache_clear()
    yield tmp_path / "policy-match"
    industry._model.cache_clear()


def _count_training(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    calls: list[str | None] = []
    train = industry._train

    def counting(without: str | None) -> CharNaiveBayes:
        calls.append(without)
        return train(without)

    monkeypatch.setattr(industry, "_train", counting)
    return calls


def test_trained_once_then_read(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_training(monkeypatch)
    trained = industry._model()
    assert calls == [None] and len(list(cache.glob("industry-model-*.npz"))) == 1
    industry._model.cache_clear()
    read = industry._model()
    assert calls == [None]  # not trained again
    assert read.classes == trained.classes and read.vocabulary == trained.vocabulary
    assert np.array_equal(read.log_likelihoods(TEXTS), trained.log_likelihoods(TEXTS))


def test_held_out_models_are_not_cached(cache: Path) -> None:
    industry._model("eval_industry.csv")
    assert not cache.exists() or not list(cache.iterdir())


def test_a_changed_input_changes_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copies = tmp_path / "rules" / "reference"
    copies.mkdir(parents=True)
    for name in ("gbt4754_2017.csv", "industry_aliases.yaml", "industry_desc_keywords.csv"):
        shutil.copy(data.reference_path(name), copies / name)
    shutil.copy(data.reference_path("industry_examples.csv"), copies / "industry_examples.csv")
    monkeypatch.setattr(industry, "reference_path", lambda name: copies / name)
    before = industry._model_key()
    assert industry._model_key() == before
    with (copies / "industry_examples.csv").open("a", encoding="utf-8") as f:
        f.write("卖烤红薯的,F52,eval_industry.csv\n")
    assert industry._model_key() != before


def test_a_stale_cache_is_not_used(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    industry._model()
    assert len(list(cache.glob("industry-model-*.npz"))) == 1
    monkeypatch.setattr(industry, "_MODEL_FORMAT", "changed")  # as if an input had changed
    industry._model.cache_clear()
    calls = _count_training(monkeypatch)
    industry._model()
    assert calls == [None]
    assert len(list(cache.glob("industry-model-*.npz"))) == 2  # another version may want it


def test_only_the_newest_files_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for i in range(model_cache.KEEP + 2):
        assert model_cache.save("m", str(i) * 64, a=np.full(2, i))
        path = model_cache._path("m", str(i) * 64)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # written in this order
    kept = sorted(p.name for p in (tmp_path / "policy-match").glob("m-*.npz"))
    assert kept == sorted(model_cache._path("m", str(i) * 64).name for i in (2, 3, 4))
    loaded = model_cache.load("m", "4" * 64, ("a",))
    assert loaded is not None and loaded["a"].tolist() == [4, 4]
    assert model_cache.load("m", "0" * 64, ("a",)) is None


@pytest.mark.parametrize(
    "content",
    [
        b"not a zip file at all",
        b"PK\x03\x04" + b"\0" * 40,  # a truncated zip
    ],
)
def test_a_corrupt_cache_file_is_ignored(
    cache: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    expected = industry._model().log_likelihoods(TEXTS)
    (path,) = cache.glob("industry-model-*.npz")
    path.write_bytes(content)
    industry._model.cache_clear()
    calls = _count_training(monkeypatch)
    assert np.array_equal(industry._model().log_likelihoods(TEXTS), expected)
    assert calls == [None]
    key = industry._model_key()
    assert model_cache.load("industry-model", key, ("log_p",)) is not None  # rewritten


def test_foreign_or_pickled_arrays_are_ignored(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = industry._model_key()
    path = model_cache._path("industry-model", key)
    path.parent.mkdir(parents=True)
    # the right key but an object array: np.load without pickles refuses it
    np.savez(path, __key__=np.array(key), classes=np.array([object()]), vocabulary=np.array(["a"]))
    assert model_cache.load("industry-model", key, ("classes",)) is None
    # another key inside
    np.savez(path, __key__=np.array("0" * 64), classes=np.array(["A01"]))
    assert model_cache.load("industry-model", key, ("classes",)) is None
    # arrays whose shapes do not fit each other
    np.savez(
        path,
        __key__=np.array(key),
        classes=np.array(["A01", "A02"]),
        vocabulary=np.array(["a"]),
        log_p=np.zeros((3, 3), np.float32),
    )
    calls = _count_training(monkeypatch)
    assert industry._model().classes[:2] == ("A01", "A02") and calls == [None]


def test_an_unwritable_cache_falls_back_to_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    industry._model.cache_clear()
    try:
        assert industry.resolve_held_out(["做软件的"], None)["做软件的"].code == "I65"
        assert industry._model().classes
        assert not model_cache.save("x", "0" * 64, a=np.zeros(1))
    finally:
        industry._model.cache_clear()


def test_memo_entries_are_made_when_looked_up_and_all_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 16: the memo keeps up to 20,000 texts in 256 small files by a hash of the text;
    # a report reads only the files of the texts it asks for and makes only those, and
    # writing a file back keeps every text it held, in order, then the new ones.
    import dataclasses
    import json

    from matcher.reference.disk_memo import ShardedMemo, shard_of
    from matcher.reference.resolution import Resolution

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert industry._memo_path().is_relative_to(tmp_path)
    monkeypatch.setattr(industry, "_cache", industry.ResolutionCache())
    monkeypatch.setattr(industry, "_remember", industry._cache.remember)
    monkeypatch.setattr(industry, "_memo", ShardedMemo(industry._memo_path, industry._MEMO_KEEP))
    monkeypatch.setattr(industry, "_memo_on", False)
    texts = ["软件开发", "钢材批发", "奶茶店"]
    made = industry.resolve_industries(texts)
    old = [dataclasses.asdict(made[t]) for t in texts]
    old[1]["code"] = "F5165"  # a stored answer the model would not give: proves it is read
    old = json.loads(json.dumps(old, ensure_ascii=False))  # as the file holds it
    folder = industry._memo_path()
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[dict[str, object]]] = {}
    for e in old:
        files.setdefault(shard_of(e["input"]), []).append(e)
    for shard, entries in files.items():
        (folder / f"{shard}.json").write_text(json.dumps(entries, ensure_ascii=False))
    monkeypatch.setattr(industry, "_cache", industry.ResolutionCache())
    monkeypatch.setattr(industry, "_remember", industry._cache.remember)
    industry.load_memo()
    assert len(industry._cache) == 0 and not industry._memo.raw  # nothing read yet
    got = industry.resolve_industries(["钢材批发"])["钢材批发"]
    assert isinstance(got, Resolution) and got.code == "F5165"
    assert list(industry._cache) == ["钢材批发"]  # only the one asked for was made
    assert set(industry._memo.raw) <= {e["input"] for e in files[shard_of("钢材批发")]}
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    industry.save_memo()  # nothing new: no file is rewritten
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    industry.resolve_industries(["做软件的"])
    industry.save_memo()
    shard = shard_of("做软件的")
    kept = json.loads((folder / f"{shard}.json").read_text(encoding="utf-8"))
    assert [e["input"] for e in kept] == [
        *(e["input"] for e in files.get(shard, [])),
        "做软件的",
    ] and kept[:-1] == files.get(shard, [])
    for other, entries in files.items():  # the other files as they were
        if other != shard:
            assert json.loads((folder / f"{other}.json").read_text()) == entries


def test_a_memo_shard_keeps_its_newest_texts(tmp_path: Path) -> None:
    from matcher.reference.disk_memo import SHARDS, ShardedMemo, shard_of

    memo = ShardedMemo(lambda: tmp_path, keep=3 * SHARDS)
    texts = [f"t{i}" for i in range(2000)]
    shard = shard_of(texts[0])
    mine = [t for t in texts if shard_of(t) == shard][:5]
    for t in mine:
        memo.put(t, {"input": t, "n": 1})
        memo.save()
    again = ShardedMemo(lambda: tmp_path, keep=3 * SHARDS)
    assert [t for t in mine if again.get(t) is not None] == mine[-3:]
    (tmp_path / f"{shard}.json").write_text("[{", encoding="utf-8")  # damaged: no memo
    assert ShardedMemo(lambda: tmp_path, keep=3 * SHARDS).get(mine[-1]) is None


def test_a_new_memo_folder_prunes_the_old_ones(tmp_path: Path) -> None:
    # A new key (another version, an edited table) starts a new folder: the family's older
    # folders beyond the newest KEEP, and its single-file memos of before the shards, go;
    # other families stay.
    from matcher.reference.disk_memo import ShardedMemo

    for i in range(5):
        old = tmp_path / f"industry-resolutions-old{i}"
        old.mkdir()
        (old / "00.json").write_text("[]", encoding="utf-8")
        os.utime(old, (1_000 + i, 1_000 + i))
    (tmp_path / "industry-resolutions-flat.json").write_text("{}", encoding="utf-8")
    (tmp_path / "scope-readings-old0").mkdir()
    (tmp_path / "industry-model-abc.npz").write_bytes(b"x")
    memo = ShardedMemo(lambda: tmp_path / "industry-resolutions-new", keep=1_000)
    memo.put("软件开发", {"input": "软件开发", "code": "I65"})
    memo.save()
    left = sorted(p.name for p in tmp_path.iterdir())
    kept = [f"industry-resolutions-old{i}" for i in (3, 4)]
    assert left == sorted(
        [*kept, "industry-resolutions-new", "scope-readings-old0", "industry-model-abc.npz"]
    )
    assert ShardedMemo(lambda: tmp_path / "industry-resolutions-new", keep=1_000).get("软件开发")
