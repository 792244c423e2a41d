"""The per-enterprise report as Markdown, for pasting into 公文 drafts or WeChat."""

from __future__ import annotations

from typing import Any

from matcher.report.html import environment


def render_markdown(context: dict[str, Any]) -> str:
    """The same context as the HTML report; table cells have pipes and line breaks escaped."""
    return environment("md").get_template("report.md.j2").render(context)
