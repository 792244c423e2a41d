"""YAML profiles: an impossible date is one bad field, not an unreadable file."""

from __future__ import annotations

from pathlib import Path

from matcher import api


def test_impossible_yaml_date_is_a_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: 甲\nfounded: 2022-02-30\nregion: 北京市\n", encoding="utf-8")
    portfolio = api.load_portfolio(path)
    assert portfolio.matched == 1
    assert portfolio.frame.get_column("founded").to_list() == [None]
    errors = portfolio.errors.filter(portfolio.errors["field"] == "founded")
    assert errors.get_column("value").to_list() == ["2022-02-30"]


def test_valid_yaml_date_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: 甲\nfounded: 2022-02-03\n", encoding="utf-8")
    founded = api.load_portfolio(path).frame.get_column("founded").to_list()
    assert [str(d) for d in founded] == ["2022-02-03"]
