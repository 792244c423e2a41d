"""`rules diff OLD NEW`: folders or git revisions, field by field in Chinese."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.loader import bundled_rules_dir

PATTERNS = Path(__file__).parent / "data" / "patterns"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def changed_copy(tmp_path: Path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(bundled_rules_dir(), new)
    target = new / "bj-grad-expansion-subsidy.yaml"
    text = target.read_text(encoding="utf-8").replace("amount_yuan: 1500", "amount_yuan: 2000")
    text = text.replace(
        "validity:\n  stated: false\n", "validity:\n  stated: false\n  in_force_months: 24\n"
    )
    text = text.replace("      value: 1\n", "      value: 2\n")
    target.write_text(text, encoding="utf-8")
    (new / "xs-yitiaolong-priority.yaml").unlink()
    shutil.copy(PATTERNS / "pat-expansion.yaml", new)
    return new


def test_folders_field_by_field(tmp_path: Path) -> None:
    code, text = run("rules", "diff", str(bundled_rules_dir()), str(changed_copy(tmp_path)))
    assert code == 0, text
    lines = text.splitlines()
    assert (
        lines[0]
        == "修改 bj-grad-expansion-subsidy（北京市一次性扩岗补助（招用毕业年度本市高校毕业生））"
    )
    assert "  金额 1500 → 2000 元" in lines
    assert "  有效期：未注明（按发布后 12 个月计） → 未注明（按发布后 24 个月计）" in lines
    assert (
        "  条件修改：招用毕业年度本市高校毕业生不少于1人：grad_hires_local 不少于 1 → "
        "grad_hires_local 不少于 2"
    ) in lines
    assert "新增 pat-expansion（一次性扩岗补助）" in lines
    assert lines[-1] == "新增 1 条；删除 1 条；修改 1 条"


def test_same_rules_no_differences() -> None:
    code, text = run("rules", "diff", str(bundled_rules_dir()), str(bundled_rules_dir()))
    assert (code, text.strip()) == (0, "两套规则没有差异")


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(bundled_rules_dir(), repo / "rules")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "v1")
    shutil.rmtree(repo / "rules")
    shutil.copytree(changed_copy(tmp_path), repo / "rules")
    git("add", "-A")
    git("commit", "-qm", "v2")
    monkeypatch.chdir(repo)
    code, text = run("rules", "diff", "HEAD~1", "HEAD:rules")
    assert code == 0, text
    assert "  金额 1500 → 2000 元" in text.splitlines()
    code, text = run("rules", "diff", "no-such-rev", "rules")
    assert code == 1 and "既不是规则目录，也不是可读的 git 版本" in text
