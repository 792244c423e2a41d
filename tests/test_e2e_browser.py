"""End to end in a real headless Chromium (Debian's package, driven by Playwright).

An enterprise fills the form; an advisor uploads the demo portfolio and downloads the
report; the printed report fits A4 and carries real CJK glyphs.
CI installs the browser with: apt-get install -y chromium fonts-noto-cjk
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is absent: apt-get install -y chromium fonts-noto-cjk",
)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install -e '.[test]' (playwright)"
)
pypdf = pytest.importorskip("pypdf", reason="pip install -e '.[test]' (pypdf)")

from test_web_durability import free_port, start_server  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "profiles" / "demo.csv"
TOKEN = "e2e-token-0123456789"
# A4 less the report's @page margins (12 mm each side), in CSS pixels (96 per inch).
A4_CONTENT_PX = (210 - 2 * 12) / 25.4 * 96


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    proc = start_server(None, port, "--token", TOKEN)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def fill_beijing_firm(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    page.fill("#f-name", "北京智码软件科技有限公司")
    page.fill("#f-region", "北京市海淀区中关村大街27号")
    page.fill("#f-industry", "6513")
    page.fill("#f-employees", "85")
    page.fill("#f-grad_hires", "6")
    page.fill("#f-grad_hires_local", "4")
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def test_enterprise_sees_the_expansion_subsidy(browser: Any, base_url: str, tmp_path: Path) -> None:
    page = browser.new_page()
    fill_beijing_firm(page, base_url)
    row = page.locator("tr", has_text="一次性扩岗补助").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[2] == "符合" and cells[3] == "6,000", cells
    assert "确定可得（符合）预计金额\n6,000 元" in page.inner_text(".money")
    page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
    page.close()


def test_form_error_is_shown_next_to_the_field(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    page.goto(base_url + "/")
    page.fill("#f-name", "北京甲公司")
    page.fill("#f-founded", "2019-02-30")
    page.fill("#f-grad_hires_local", "4")
    page.click("button[type=submit]")
    # A bad date is unknown, not fatal: the report says so next to the result.
    assert "成立日期：「2019-02-30」不是有效日期" in page.inner_text(".banner")
    page.goto(base_url + "/")
    page.fill("#f-region", "北京市")
    page.evaluate("document.querySelector('#f-name').removeAttribute('required')")
    page.click("button[type=submit]")
    error = page.locator(".field.bad", has=page.locator("#f-name")).locator(".error")
    assert "缺少企业名称" in error.inner_text()
    page.close()


def test_advisor_download_equals_batch(browser: Any, base_url: str, tmp_path: Path) -> None:
    from matcher.cli import app

    expected = tmp_path / "batch.csv"
    res = CliRunner().invoke(
        app, ["batch", str(DEMO), "--as-of", "2022-07-01", "--out", str(expected)]
    )
    assert res.exit_code == 0
    page = browser.new_page(accept_downloads=True)
    page.goto(base_url + "/advisor")
    assert page.url.endswith("/advisor/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.set_input_files("#portfolio", str(DEMO))
    page.click("button[type=submit]")
    assert "读取 26 行，匹配 26 家企业，拒绝 0 行" in page.inner_text("#accounting")
    with page.expect_download() as info:
        page.click("#dl-csv")
    got = tmp_path / "download.csv"
    info.value.save_as(got)
    assert got.read_bytes() == expected.read_bytes()
    page.close()


def test_printed_report_fits_a4_and_has_cjk_glyphs(
    browser: Any, base_url: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": round(A4_CONTENT_PX), "height": 1000})
    fill_beijing_firm(page, base_url)
    page.emulate_media(media="print")
    widest = page.evaluate(
        """() => {
            let worst = {right: 0, tag: ''};
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > worst.right) worst = {right: r.right, tag: el.tagName + ' ' + el.className};
            }
            return {scroll: document.documentElement.scrollWidth, ...worst};
        }"""
    )
    assert widest["scroll"] <= A4_CONTENT_PX + 1, widest
    assert widest["right"] <= A4_CONTENT_PX + 1, widest
    pdf = page.pdf(format="A4")
    (tmp_path / "report.pdf").write_bytes(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    first = reader.pages[0]
    # A4 is 595 × 842 pt; Chromium rounds it to whole CSS pixels.
    assert abs(float(first.mediabox.width) - 595) < 2
    assert abs(float(first.mediabox.height) - 842) < 2
    # NFKC: Noto CJK maps some glyphs back to Kangxi radicals (⼤ for 大) in its ToUnicode.
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in reader.pages))
    text = text.replace("\n", "")
    assert "北京市一次性扩岗补助" in text and "政策匹配报告" in text
    # The glyphs come from a CJK font embedded in the PDF (Chromium writes Type 3 fonts
    # whose descriptor names the family), not from boxes of a fallback font.
    fonts = set()
    for pdf_page in reader.pages:
        for ref in pdf_page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            family = descriptor.get_object().get("/FontFamily", "") if descriptor else ""
            fonts.add(str(font.get("/BaseFont", "")) + str(family))
    assert any("CJK" in f for f in fonts), fonts
    page.close()
