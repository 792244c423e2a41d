"""rules draft: YAML drafts whose every fact carries a verified quote; lint accepts them,
matching ignores them unless --include-drafts."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from matcher.authoring.draft import read_period
from matcher.authoring.lint import lint_paths
from matcher.cli import app
from matcher.loader import load_rules

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_09f8efcab19704e2.txt"
ARTICLE = """北京市出台措施支持中小企业吸纳高校毕业生

北京市人力资源和社会保障局近日发布通知。
对招用毕业年度高校毕业生的中小企业，给予每人2000元的一次性吸纳就业补贴，最高不超过10万元。
对专精特新中小企业在2022年12月31日前新设的见习岗位，给予见习补贴。
各区要加强宣传。
"""
PUBLISHED = dt.date(2022, 6, 28)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def drafts(tmp_path: Path) -> Path:
    article = tmp_path / "src" / "notice.txt"
    article.parent.mkdir()
    article.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "drafts"
    code, text = run("rules", "draft", str(article), "--published", "2022-06-28", "--out", str(out))
    assert code == 0, text
    return out


def test_drafts_read_amounts_periods_regions_and_targets(drafts: Path) -> None:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(drafts.glob("*.yaml"))]
    assert all(d["status"] == "draft" and d["todo"] for d in docs)
    subsidy = next(d for d in docs if "2000元" in d["source"]["quotes"][0])
    assert subsidy["benefit"]["type"] == "per_head"
    assert (subsidy["benefit"]["amount_yuan"], subsidy["benefit"]["cap_yuan"]) == (2000, 100000)
    fields = {c["field"]: c for c in subsidy["criteria"]["all"]}
    assert fields["region"]["value"] == ["110000"]
    assert fields["size"]["value"] == ["medium", "small", "micro"]
    assert "grad_hires" in fields
    trainee = next(d for d in docs if "见习" in d["source"]["quotes"][0])
    assert trainee["validity"]["until"] == "2022-12-31"
    certs = next(c for c in trainee["criteria"]["all"] if c["field"] == "certifications")
    assert certs["value"] == ["专精特新中小企业"]


def test_lint_accepts_drafts_and_verifies_their_quotes(drafts: Path) -> None:
    issues, n = lint_paths([drafts], drafts.parent / "src", require_sources=True)
    assert n >= 2
    assert [i for i in issues if i.severity == "error"] == []
    assert {i.code for i in issues} == {"R012"}


def test_matching_ignores_drafts_unless_asked(drafts: Path) -> None:
    assert load_rules([drafts], replace=True).rules == []
    assert load_rules([drafts], replace=True, include_drafts=True).rules
    demo = str(ROOT / "profiles" / "demo.csv")
    code, text = run("batch", demo, "--rules", str(drafts), "--only-rules", "--summary")
    assert code == 1 and "--include-drafts" in text
    code, text = run(
        "batch", demo, "--rules", str(drafts), "--only-rules", "--summary", "--include-drafts"
    )
    assert code in (0, 3), text


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("今明两年，继续稳定招聘规模", "2022-01-01", "2023-12-31"),
        ("部署于7月至12月开展服务攻坚", "2022-07-01", "2022-12-31"),
        ("促进大中小企业融通创新(2022-2025年)的通知", "2022-01-01", "2025-12-31"),
        ("在2022年12月31日前可实施", None, "2022-12-31"),
        ("年底前完成", None, "2022-12-31"),
    ],
)
def test_periods_read_against_the_publication_date(text: str, start: str | None, end: str) -> None:
    period = read_period(text, PUBLISHED)
    assert period is not None and period["quote"] in text
    assert (period.get("from"), period["until"]) == (
        dt.date.fromisoformat(start) if start else None,
        dt.date.fromisoformat(end),
    )


@pytest.mark.skipif(not SEED.is_file(), reason="seed text not beside the repository")
def test_seed_recall_of_amounts_and_dates() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_drafts import evaluate

    result = evaluate(SEED)
    t = result["tally"]
    assert result["unverified"] == []
    found = (t["amount"][0] + t["period"][0]) / (t["amount"][1] + t["period"][1])
    assert found >= 0.8
    assert t["found"][0] / t["found"][1] >= 0.8
