"""Issue 12: the --region-context hint weighs every chunk of a streamed batch, not the first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from matcher import api

AS_OF = dt.date(2022, 7, 1)


def _run(tmp_path: Path, regions: list[str]) -> api.BatchRun:
    src = tmp_path / "c.csv"
    rows = [f"企业{i},{r},{3 + i}" for i, r in enumerate(regions)]
    src.write_text("企业名称,所在地区,从业人员\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return api.run_batch(src, api.load_ruleset().rules, AS_OF, keep_frames=True)


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "READ_CHUNK_ROWS", 2)  # each chunk alone is below the minimum


def test_hint_counts_rows_of_later_chunks(tmp_path: Path) -> None:
    # first chunk: one resolved row (Shanghai) and an ambiguous name; then Beijing
    regions = ["上海市浦东新区", "通州区", "北京市海淀区", "北京市东城区", "北京市西城区"]
    regions += ["北京市昌平区", "北京市朝阳区", "北京市丰台区"]
    run = _run(tmp_path, regions)
    assert run.read == 8 and len(run.frames) == 4
    hint = run.region_hint
    assert hint is not None and hint.name == "北京市"
    assert (hint.rows, hint.settles) == (7, ("通州区",))
    assert hint.share == pytest.approx(6 / 7)


def test_no_hint_when_later_chunks_break_the_majority(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "READ_CHUNK_ROWS", 4)
    # the first chunk alone would give a hint (three rows, all Beijing); the rest is not
    regions = ["北京市海淀区", "通州区", "北京市东城区", "北京市西城区", "北京市昌平区"]
    regions += ["上海市浦东新区", "广东省深圳市南山区", "江苏省南京市鼓楼区", "浙江省杭州市西湖区"]
    run = _run(tmp_path, regions)
    assert len(run.frames) == 3 and run.region_hint is None


def test_no_hint_without_an_open_name(tmp_path: Path) -> None:
    run = _run(tmp_path, ["北京市海淀区", "北京市东城区", "北京市西城区", "北京市昌平区"])
    assert run.region_hint is None
