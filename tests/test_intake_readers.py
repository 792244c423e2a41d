"""Readers: fixtures are written into tmp_path by each test (CSV in several encodings
and separators, xlsx via xlsxwriter, Parquet, JSON Lines, broken files)."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.intake import readers
from matcher.intake.errors import ERROR_MESSAGES, IntakeError
from matcher.intake.readers import RawProblem, RawTable, read_table, scan_table

HEADER = "企业名称,员工人数,营业收入(万元),所在地区\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rows(table: RawTable) -> list[tuple[object, ...]]:
    return table.frame.rows()


def codes(table: RawTable) -> list[tuple[int | None, str]]:
    return [(p.row, p.message_code) for p in table.problems]


def assert_all_string(frame: pl.DataFrame) -> None:
    assert frame.columns[0] == "__row"
    assert frame.schema["__row"] == pl.Int64
    assert all(t == pl.String for n, t in frame.schema.items() if n != "__row")


# ---------------------------------------------------------------------------------
# CSV: encodings and separators
# ---------------------------------------------------------------------------------


def test_utf8_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER + "甲公司,012,3000,110108\n乙公司,5,,北京市\n")
    table = read_table(path)
    assert_all_string(table.frame)
    assert table.headers == ["企业名称", "员工人数", "营业收入(万元)", "所在地区"]
    assert rows(table) == [
        (2, "甲公司", "012", "3000", "110108"),  # codes stay text: no "12", no 110108.0
        (3, "乙公司", "5", None, "北京市"),
    ]
    assert (table.encoding, table.separator, table.format) == ("utf-8", ",", "csv")
    assert table.problems == []


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeff" + HEADER + "甲,1,2,3\n")
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "企业名称"  # no BOM glued to the first header
    assert rows(table) == [(2, "甲", "1", "2", "3")]


def test_gb18030_with_chinese_headers(tmp_path: Path) -> None:
    text = HEADER + "深圳市鹏城科技有限公司,12,3000,广东省深圳市南山区\n𠀀记,1,2,3\n"
    path = write(tmp_path, "gbk.csv", text, "gb18030")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.headers[2] == "营业收入(万元)"
    assert rows(table)[0] == (2, "深圳市鹏城科技有限公司", "12", "3000", "广东省深圳市南山区")
    assert rows(table)[1][1] == "𠀀记"  # a four-byte GB18030 character


def test_gbk_plain(tmp_path: Path) -> None:
    path = write(tmp_path, "gbk.csv", HEADER + "甲,1,2,海淀区\n", "gbk")
    assert rows(read_table(path)) == [(2, "甲", "1", "2", "海淀区")]


def test_utf16_excel_unicode_text(tmp_path: Path) -> None:
    path = write(tmp_path, "u16.txt", "\ufeff企业名称\t员工人数\r\n甲\t3\r\n", "utf-16-le")
    table = read_table(path)
    assert table.separator == "\t"
    assert rows(table) == [(2, "甲", "3")]


@pytest.mark.parametrize("sep", ["\t", ";", "|"])
def test_separators(tmp_path: Path, sep: str) -> None:
    text = f"企业名称{sep}员工人数{sep}备注\n甲{sep}1{sep}a,b\n乙{sep}2{sep}\n"
    table = read_table(write(tmp_path, "s.csv", text))
    assert table.separator == sep
    assert rows(table) == [(2, "甲", "1", "a,b"), (3, "乙", "2", None)]


def test_separator_not_fooled_by_quoted_commas(tmp_path: Path) -> None:
    text = '企业名称\t"经营范围"\n甲\t"技术开发,技术咨询,技术服务"\n'
    table = read_table(write(tmp_path, "t.csv", text))
    assert table.separator == "\t"
    assert rows(table) == [(2, "甲", "技术开发,技术咨询,技术服务")]


def test_crlf_and_bare_cr(tmp_path: Path) -> None:
    crlf = read_table(write(tmp_path, "crlf.csv", "a,b\r\n1,2\r\n3,4\r\n"))
    cr = read_table(write(tmp_path, "cr.csv", "a,b\r1,2\r3,4\r"))
    assert rows(crlf) == rows(cr) == [(2, "1", "2"), (3, "3", "4")]


# ---------------------------------------------------------------------------------
# CSV: rows, row numbers, ragged rows, headers
# ---------------------------------------------------------------------------------


def test_row_numbers_count_blank_lines_and_multiline_cells(tmp_path: Path) -> None:
    text = HEADER + '甲,1,2,3\n\n"乙\n公司",4,5,6\n ,, ,\n丙,7,8,9\n\n\n'
    table = read_table(write(tmp_path, "r.csv", text))
    # row 3 is blank; row 4 spans two lines; row 5 is empty cells: dropped silently
    assert [r[0] for r in rows(table)] == [2, 4, 6]
    assert rows(table)[1][1] == "乙\n公司"
    assert table.problems == []


def test_ragged_rows_are_reported_and_excluded(tmp_path: Path) -> None:
    text = HEADER + "甲,1,2,3\n乙,4\n丙,5,6,7,8\n丁,9,10,11,,\n戊,1,2,3\n"
    table = read_table(write(tmp_path, "rag.csv", text))
    assert [r[0] for r in rows(table)] == [2, 5, 6]  # trailing empty fields are fine
    assert codes(table) == [(3, "ragged_row"), (4, "ragged_row")]
    assert table.problems[0].detail == "2 ≠ 4"
    assert "2 ≠ 4" in table.problems[0].message()
    assert "header" in table.problems[0].message("en")


def test_unbalanced_quote_is_reported_not_swallowed(tmp_path: Path) -> None:
    text = HEADER + '甲,1,2,3\n"乙,4,5,6\n丙,7,8,9\n丁,1,2,3\n'
    table = read_table(write(tmp_path, "q.csv", text))
    assert [r[0] for r in rows(table)] == [2]
    ((row, code),) = codes(table)
    assert (row, code) == (3, "ragged_row")
    assert "line 3-5" in table.problems[0].detail  # the lines it swallowed


def test_title_row_is_skipped(tmp_path: Path) -> None:
    text = "2024年重点企业名单\n" + HEADER + "甲,1,2,3\n"
    table = read_table(write(tmp_path, "title.csv", text))
    assert table.header_row == 2
    assert table.headers[0] == "企业名称"
    assert rows(table) == [(3, "甲", "1", "2", "3")]
    assert codes(table) == [(None, "rows_before_header")]


def test_title_row_with_trailing_commas(tmp_path: Path) -> None:
    text = "2024年重点企业名单,,,\n" + HEADER + "甲,1,2,3\n"
    table = read_table(write(tmp_path, "title.csv", text))
    assert table.header_row == 2
    assert rows(table) == [(3, "甲", "1", "2", "3")]


def test_duplicate_and_blank_headers(tmp_path: Path) -> None:
    text = "a,a,b,,, __row \n1,2,3,x,,r\n4,5,6,,,\n"
    table = read_table(write(tmp_path, "h.csv", text))
    # a column named like the row number is renamed (normalise reports it)
    assert table.headers == ["a", "a.2", "b", "列4", "原表·__row"]
    assert rows(table) == [(2, "1", "2", "3", "x", "r"), (3, "4", "5", "6", None, None)]
    assert sorted(codes(table)) == [(1, "blank_header"), (1, "duplicate_header")]


def test_header_only(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "h.csv", HEADER))
    assert table.frame.height == 0
    assert table.headers == ["企业名称", "员工人数", "营业收入(万元)", "所在地区"]
    assert_all_string(table.frame)


def test_whitespace_is_kept_in_cells(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "w.csv", " 企业名称 ,备注\n 甲 ,  \n"))
    assert rows(table) == [(2, " 甲 ", "  ")]
    assert table.headers == ["企业名称", "备注"]


def test_undecodable_bytes_later_in_file(tmp_path: Path) -> None:
    body = "".join(f"企业{i},{i}\n" for i in range(60_000))  # > 1 MiB
    data = ("企业名称,员工人数\n" + body).encode() + b"\xff\xfe,1\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == "utf-8"
    assert table.frame.height == 60_001
    assert codes(table) == [(60_002, "undecodable_bytes")]


def test_damaged_utf8_is_not_mistaken_for_gbk(tmp_path: Path) -> None:
    data = bytearray((HEADER + "深圳市鹏城科技有限公司,12,3000,南山区\n").encode())
    data[len(HEADER.encode()) + 4] ^= 0xFF  # corrupt one byte of the company name
    path = tmp_path / "damaged.csv"
    path.write_bytes(bytes(data))
    table = read_table(path)
    assert table.encoding == "utf-8"
    assert rows(table)[0][2:] == ("12", "3000", "南山区")
    assert codes(table) == [(2, "undecodable_bytes")]


def test_gb18030_cut_mid_character(tmp_path: Path) -> None:
    data = (HEADER + "甲,1,2,海淀区\n乙,3,4,朝阳区").encode("gb18030")[:-1]
    path = tmp_path / "cut.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert rows(table)[0] == (2, "甲", "1", "2", "海淀区")
    assert codes(table) == [(3, "undecodable_bytes")]


# ---------------------------------------------------------------------------------
# Unreadable files
# ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"  \n\r\n ", "empty_file"),
        (bytes(range(256)) * 8, "binary_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, "binary_file"),
        (b"PK\x03\x04 not really a zip", "bad_excel"),
        (b"PAR1 not really parquet", "bad_parquet"),
        (b"[1, 2, 3]", "bad_json"),
        (b",,,\n,,\n", "no_header"),
    ],
)
def test_unreadable(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(IntakeError) as info:
        read_table(path)
    assert info.value.code == code
    assert code in ERROR_MESSAGES
    assert str(path) in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IntakeError) as info:
        read_table(tmp_path / "nope.csv")
    assert info.value.code == "file_not_found"
    assert "找不到文件" in str(info.value)
    assert "not found" in info.value.message("en")
    with pytest.raises(IntakeError) as info:
        read_table(tmp_path)
    assert info.value.code == "not_a_file"


def test_random_junk_that_decodes_is_still_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ctl.csv"
    path.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16]) * 50)
    with pytest.raises(IntakeError) as info:
        read_table(path)
    assert info.value.code == "binary_file"


# ---------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------


def make_xlsx(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("企业名单")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write(0, 0, "2024年企业名单")
    ws.write_row(1, 0, ["企业名称", "区划代码", "员工人数", "营业收入(万元)", "占比", "成立日期"])
    ws.write_row(1, 6, ["是否外资", "备注"])
    ws.write_row(2, 0, ["甲公司", 110108, 12, 3000.0, 0.5])
    ws.write_datetime(2, 5, dt.datetime(2022, 6, 28), date_fmt)
    ws.write_boolean(2, 6, True)
    ws.write_string(2, 7, "0012")
    # row 4 (index 3) left empty
    ws.write_row(4, 0, ["乙公司", "110105", 7.5, 1234567.891, 1e-7])
    ws.write_datetime(4, 5, dt.datetime(2022, 6, 28, 10, 30), date_fmt)
    ws.write(5, 9, "stray")  # a cell without a header
    other = wb.add_worksheet("第二页")
    other.write_row(2, 2, ["企业名称", "员工人数"])
    other.write_row(3, 2, ["丙", 3])
    wb.close()


def test_xlsx_cells_as_text(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_xlsx(path)
    table = read_table(path)
    assert_all_string(table.frame)
    assert (table.format, table.sheet, table.header_row) == ("excel", "企业名单", 2)
    assert table.headers == [
        "企业名称",
        "区划代码",
        "员工人数",
        "营业收入(万元)",
        "占比",
        "成立日期",
        "是否外资",
        "备注",
        "列J",
    ]
    assert rows(table) == [
        (3, "甲公司", "110108", "12", "3000", "0.5", "2022-06-28", "true", "0012", None),
        (
            5,
            "乙公司",
            "110105",
            "7.5",
            "1234567.891",
            "0.0000001",
            "2022-06-28 10:30:00",
            *[None] * 3,
        ),
        (6, None, None, None, None, None, None, None, None, "stray"),
    ]
    assert sorted(codes(table), key=str) == [(2, "blank_header"), (None, "rows_before_header")]


def test_xlsx_sheet_by_name_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_xlsx(path)
    table = read_table(path, sheet="第二页")
    assert table.header_row == 3  # data starts at C3: row numbers are the sheet's
    assert rows(table) == [(4, "丙", "3")]


def test_xlsx_missing_sheet(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_xlsx(path)
    with pytest.raises(IntakeError) as info:
        read_table(path, sheet="第二頁")
    err = info.value
    assert err.code == "sheet_not_found"
    assert "第二頁" in str(err) and "企业名单" in str(err) and "第二页" in err.detail


def test_xlsx_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    make_xlsx(path)
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(path.read_bytes())
    assert read_table(renamed).format == "excel"


def test_empty_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("空")
    wb.close()
    with pytest.raises(IntakeError) as info:
        read_table(path)
    assert info.value.code in ("no_header", "bad_excel")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    path = tmp_path / "x.xlsx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(IntakeError) as info:
        read_table(path)
    assert info.value.code == "bad_excel"


# ---------------------------------------------------------------------------------
# Parquet and JSON Lines
# ---------------------------------------------------------------------------------


def test_parquet_typed_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pl.DataFrame(
        {
            "企业名称": ["甲", "乙", None],
            "区划": [110108, 110105, None],
            "收入": [3000.0, 0.5, None],
            "成立": [dt.date(2022, 6, 28), None, None],
            "时间": [dt.datetime(2022, 6, 28), dt.datetime(2022, 6, 28, 10, 30), None],
            "外资": [True, False, None],
            "资质": [["高新技术企业", "专精特新"], [], None],
        }
    ).write_parquet(path)
    table = read_table(path)
    assert_all_string(table.frame)
    assert table.format == "parquet"
    assert rows(table) == [
        (2, "甲", "110108", "3000", "2022-06-28", "2022-06-28", "true", "高新技术企业;专精特新"),
        (3, "乙", "110105", "0.5", None, "2022-06-28 10:30:00", "false", "无"),
    ]  # the all-null third row is dropped
    assert scan_table(path).collect().rows() == rows(table)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 100])
def test_parquet_read_in_slices_is_the_whole_file(tmp_path: Path, chunk_rows: int) -> None:
    """Slices keep memory to one chunk; together they are the file, rows numbered as a sheet."""
    from matcher.intake.readers import iter_parquet_chunks

    path = tmp_path / "p.parquet"
    names = ["甲", None, "丙", None, "戊", "己", None, "辛"]
    pl.DataFrame({"企业名称": names, "从业人员": [1, None, 3, None, 5, 6, 7, None]}).write_parquet(
        path, row_group_size=3
    )
    chunks = list(iter_parquet_chunks(path, chunk_rows))
    assert all(c.height <= chunk_rows for c in chunks)
    together = pl.concat(chunks).rows()
    assert together == scan_table(path).collect().rows() == rows(read_table(path))
    assert [r[0] for r in together] == [2, 4, 6, 7, 8, 9]  # blank rows 3 and 5 are skipped


def test_parquet_with_reserved_column_name_is_kept_renamed(tmp_path: Path) -> None:
    from matcher.intake.readers import iter_parquet_chunks

    path = tmp_path / "p.parquet"
    pl.DataFrame({"__row": [7], "企业名称": ["甲"]}).write_parquet(path)
    for frame in (*iter_parquet_chunks(path, 10), read_table(path).frame):
        assert frame.rows() == [(2, "7", "甲")]
        assert frame.columns == ["__row", "原表·__row", "企业名称"]


def test_jsonl(tmp_path: Path) -> None:
    text = (
        '{"企业名称": "甲", "员工人数": 12, "资质": ["a", "b"], "外资": false}\n'
        "\n"
        "not json\n"
        "[1, 2]\n"
        '{"企业名称": "乙", "营业收入": 1.5, "其他": {"k": 1}}\n'
    )
    table = read_table(write(tmp_path, "p.jsonl", text))
    assert table.format == "jsonl"
    assert table.headers == ["企业名称", "员工人数", "资质", "外资", "营业收入", "其他"]
    assert rows(table) == [
        (1, "甲", "12", "a;b", "false", None, None),
        (5, "乙", None, None, None, "1.5", '{"k": 1}'),
    ]
    assert codes(table) == [(3, "bad_json_line"), (4, "json_not_object")]


def test_jsonl_detected_by_content(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "p.txt", '{"a": 1}\n{"a": 2}\n'))
    assert table.format == "jsonl"
    assert rows(table) == [(1, "1"), (2, "2")]


# ---------------------------------------------------------------------------------
# scan_table
# ---------------------------------------------------------------------------------


def test_scan_regular_csv_is_lazy_and_equal(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER + '甲,1,2,3\n\n"乙,丙",4,,6\n')
    lf = scan_table(path)
    assert isinstance(lf, pl.LazyFrame)
    assert (
        lf.collect().rows()
        == rows(read_table(path))
        == [
            (2, "甲", "1", "2", "3"),
            (4, "乙,丙", "4", None, "6"),
        ]
    )
    assert lf.collect_schema()["__row"] == pl.Int64


def test_scan_gb18030_transcodes(tmp_path: Path) -> None:
    path = write(tmp_path, "g.csv", HEADER + "甲公司,1,2,海淀区\n", "gb18030")
    assert scan_table(path).collect().rows() == [(2, "甲公司", "1", "2", "海淀区")]


def test_scan_irregular_falls_back_and_reports(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", HEADER + "甲,1,2,3\n乙,4\n")
    problems: list[RawProblem] = []
    out = scan_table(path, problems).collect()
    assert out.rows() == [(2, "甲", "1", "2", "3")]
    assert [(p.row, p.message_code) for p in problems] == [(3, "ragged_row")]


def test_transcoding_is_chunked_and_exact(tmp_path: Path) -> None:
    # > 2 chunks of 2-byte characters with an odd prefix, so chunk ends split characters
    body = "".join(f"中文企业名称{i},{i}\n" for i in range(120_000))
    text = "企业名称,员工人数\nx" + "," + "1\n" + body
    path = write(tmp_path, "big.csv", text, "gb18030")
    copy, replaced = readers._utf8_copy(path, "gb18030")
    assert not replaced
    assert copy.read_text(encoding="utf-8") == text
    out = scan_table(path).collect()
    assert out.height == 120_001
    assert out.row(-1) == (120_002, "中文企业名称119999", "119999")


# ---------------------------------------------------------------------------------
# Fast path ≡ careful path, and fuzzing
# ---------------------------------------------------------------------------------

cell_text = st.lists(
    st.sampled_from([*"甲乙丙abc 12,;\t\"'\n-", "高新", "（万元）", "\r\n"]), max_size=6
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.lists(
        st.text(alphabet="abcdef甲乙", min_size=1, max_size=4), min_size=1, max_size=5, unique=True
    ),
    data=st.data(),
)
def test_fast_path_equals_careful_path(
    tmp_path: Path, headers: list[str], data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = data.draw(
        st.lists(st.lists(cell_text, min_size=len(headers), max_size=len(headers)), max_size=8)
    )
    frame = pl.DataFrame(
        [dict(zip(headers, r, strict=True)) for r in body] if body else None,
        schema={h: pl.String for h in headers},
    )
    path = tmp_path / "prop.csv"
    frame.write_csv(path)
    fast = read_table(path)
    with monkeypatch.context() as m:
        m.setattr(readers, "_scan_regular_csv", lambda *a: None)
        careful = read_table(path)
    assert fast.frame.rows() == careful.frame.rows()
    assert fast.headers == careful.headers
    assert fast.problems == careful.problems


def _fuzz_files(tmp_path: Path) -> dict[str, bytes]:
    xlsx = tmp_path / "fuzz.xlsx"
    make_xlsx(xlsx)
    pq = io.BytesIO()
    pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}).write_parquet(pq)
    return {
        "xlsx": xlsx.read_bytes(),
        "parquet": pq.getvalue(),
        "gb": (HEADER + "深圳市科技有限公司,1,2,3\n" * 20).encode("gb18030"),
        "jsonl": b'{"a": 1}\n{"a": "\xe4\xb8\xad"}\n',
    }


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blob=st.binary(max_size=3000),
    suffix=st.sampled_from([".csv", ".xlsx", ".jsonl", ".parquet", ""]),
)
def test_fuzz_random_bytes(tmp_path: Path, blob: bytes, suffix: str) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(blob)
    try:
        table = read_table(path)
    except IntakeError as err:
        assert err.code in ERROR_MESSAGES
        return
    assert_all_string(table.frame)
    for p in table.problems:
        assert p.message_code in ERROR_MESSAGES


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["xlsx", "parquet", "gb", "jsonl"]),
    cut=st.floats(0, 1),
    flip=st.integers(0, 10**6),
)
def test_fuzz_truncated_and_corrupted(tmp_path: Path, kind: str, cut: float, flip: int) -> None:
    files = _fuzz_files(tmp_path)
    blob = bytearray(files[kind][: max(1, int(len(files[kind]) * cut))])
    if flip % 3 == 0 and blob:
        blob[flip % len(blob)] ^= 0xFF
    path = tmp_path / f"trunc.{kind}"
    path.write_bytes(bytes(blob))
    with contextlib.suppress(IntakeError):
        read_table(path)
    with contextlib.suppress(IntakeError):
        scan_table(path)  # building the scan raises only IntakeError (collecting may not)


# ---------------------------------------------------------------------------------
# The regular-CSV check: blocked fast path ≡ the record-by-record reference
# ---------------------------------------------------------------------------------


class _LineCheck:
    """Lines of a text file, noting lines ended by a bare ``\\r``."""

    def __init__(self, fh: Any):
        self._fh = fh
        self.bare_cr = False

    def __iter__(self) -> Iterator[str]:
        for line in self._fh:
            if line.endswith("\r"):
                self.bare_cr = True
            yield line


def _scan_regular_csv_reference(path: Path, encoding: str, sep: str) -> pl.LazyFrame | None:
    """The check as it was: every record through the csv module. The fast check
    must never accept a file this rejects, and must give the same frame."""
    if encoding in ("utf-8", "utf-8-sig"):
        source = path
    else:
        source, replaced = readers._utf8_copy(path, encoding)
        if replaced:
            return None
    width = -1
    header: list[str] = []
    try:
        with source.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            lines = _LineCheck(fh)
            for row_number, line_a, line_b, rec in readers._records(lines, sep):
                if lines.bare_cr:
                    return None
                if row_number == 1:
                    header = [readers._clean_header(c) for c in rec]
                    width = len(rec)
                    if not all(header) or len(set(header)) != width or readers.ROW in header:
                        return None
                    if readers._nonempty(rec) == 0:
                        return None
                    continue
                if line_b != line_a:
                    return None
                if len(rec) != width and (len(rec) > width or any(c.strip() for c in rec)):
                    return None
                if any("\ufffd" in c for c in rec):
                    return None
    except csv.Error:
        return None
    if width < 1:
        return None
    return readers._scan_checked_csv(source, sep, header)


def _collected(lf: pl.LazyFrame) -> pl.DataFrame | str:
    try:
        return lf.collect()
    except pl.exceptions.PolarsError as exc:
        return type(exc).__name__


# pieces of cells: separators, quotes, line breaks, bare CR, U+FFFD, BOM, and
# whitespace that str.strip() knows but ASCII does not
_ODD_ATOMS = [
    *'a甲1 \t,;|"\n\r\ufffd\ufeff\x1c\x1f\u3000\xa0\x85\x00\x0b',
    '""',
    "\r\n",
    "__row",
    "高新",
]
_PLAIN_ATOMS = [*"ab甲乙12 .-", "高新", "（万元）", "2024-01-01"]
_SEP = st.sampled_from(readers.SEPARATORS)


def _quote(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _csv_text(header: list[str], rows: list[list[str]], sep: str, ends: list[str]) -> str:
    lines = [sep.join(header), *(sep.join(r) for r in rows)]
    return "".join(line + end for line, end in zip(lines, ends, strict=True))


def _check_against_reference(path: Path, encoding: str, sep: str) -> bool:
    """Fast accepts ⇒ reference accepts, with the same frame (which polars can
    read). True when fast accepted."""
    fast = readers._scan_regular_csv(path, encoding, sep)
    ref = _scan_regular_csv_reference(path, encoding, sep)
    if fast is None:
        return False
    assert ref is not None, path.read_bytes()
    got, want = _collected(fast), _collected(ref)
    assert isinstance(want, pl.DataFrame)  # the extra rules keep polars from failing
    assert isinstance(got, pl.DataFrame)
    assert got.equals(want), (got, want)
    # and the rows are those of the careful reader, where it reads the file the same way
    with pytest.MonkeyPatch.context() as m:
        m.setattr(readers, "_scan_regular_csv", lambda *a: None)
        try:
            careful = read_table(path)
        except IntakeError:
            return True
    # (a damaged byte in a tiny file can make detection choose another encoding)
    same_encoding = careful.encoding is not None and (
        codecs.lookup(careful.encoding).name == codecs.lookup(encoding).name
    )
    if careful.header_row == 1 and careful.separator == sep and same_encoding:
        assert got.rows() == careful.frame.rows()
    return True


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sep=_SEP,
    bom=st.booleans(),
    block=st.sampled_from([1, 7, 64, 1 << 22]),
    damage=st.one_of(
        st.none(), st.tuples(st.floats(0, 1), st.sampled_from([b"\xff", b"\xe4\xb8"]))
    ),
    data=st.data(),
)
def test_regular_check_never_accepts_what_the_reference_rejects(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sep: str,
    bom: bool,
    block: int,
    damage: tuple[float, bytes] | None,
    data: st.DataObject,
) -> None:
    monkeypatch.setattr(readers, "_BLOCK_BYTES", block)
    cell = st.lists(st.sampled_from(_ODD_ATOMS), max_size=4).map("".join)
    field = st.one_of(cell, cell.map(_quote), st.sampled_from(["a", "1", "", " "]))
    header = data.draw(st.lists(field, min_size=1, max_size=4))
    rows = data.draw(st.lists(st.lists(field, max_size=len(header) + 1), max_size=8))
    ends = data.draw(
        st.lists(
            st.sampled_from(["\n", "\n", "\r\n", "\r", ""]),
            min_size=len(rows) + 1,
            max_size=len(rows) + 1,
        )
    )
    raw = (("\ufeff" if bom else "") + _csv_text(header, rows, sep, ends)).encode()
    if damage is not None:
        at = int(len(raw) * damage[0])
        raw = raw[:at] + damage[1] + raw[at:]
    path = tmp_path / "odd.csv"
    path.write_bytes(raw)
    _check_against_reference(path, "utf-8-sig" if bom else "utf-8", sep)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sep=_SEP,
    bom=st.booleans(),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    block=st.sampled_from([1, 16, 1 << 22]),
    data=st.data(),
)
def test_regular_check_accepts_ordinary_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sep: str,
    bom: bool,
    crlf: bool,
    final_newline: bool,
    block: int,
    data: st.DataObject,
) -> None:
    monkeypatch.setattr(readers, "_BLOCK_BYTES", block)
    plain = st.lists(st.sampled_from(_PLAIN_ATOMS), max_size=3).map("".join)
    # quoted cells hide separators, doubled quotes (no line breaks: one line per record)
    inner = st.lists(st.sampled_from([*_PLAIN_ATOMS, sep, '"', ","]), max_size=3).map("".join)
    cell = st.one_of(plain, plain, inner.map(_quote))
    header = data.draw(
        st.lists(
            st.sampled_from(["企业名称", "a", "b c", "营业收入（万元）", "x1", "Z"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    width = len(header)
    full = st.lists(cell, min_size=width, max_size=width)
    blank = st.lists(st.sampled_from(["", " ", "  "]), max_size=width)  # blank, maybe short
    rows = data.draw(st.lists(st.one_of(full, full, full, blank), max_size=12))
    end = "\r\n" if crlf else "\n"
    ends = [end] * (len(rows) + 1)
    if not final_newline:
        ends[-1] = ""
    text = _csv_text(header, rows, sep, ends)
    path = tmp_path / "plain.csv"
    path.write_bytes((("\ufeff" if bom else "") + text).encode())
    assert _scan_regular_csv_reference(path, "utf-8-sig" if bom else "utf-8", sep) is not None
    assert _check_against_reference(path, "utf-8-sig" if bom else "utf-8", sep)


@pytest.mark.parametrize(
    ("text", "fast", "reference"),
    [
        ("a,b\n1,2\n", True, True),
        ("a,b\r\n1,2\r\n\r\n", True, True),
        ("\ufeffa,b\n1,2", True, True),  # BOM, no final line end
        ("a,b\n \n\n,\n\t, \n", True, True),  # blank and blank short rows
        ("a,b,c\n\xa0\u3000,\n", True, True),  # blank short rows: str.strip() whitespace
        ("a,b,c\n\u200b,\n", False, False),  # ... and what it does not
        ('a,b\n"1,2",3\n"x""y",\n', True, True),
        ('a,b\n专精特新"小巨人"企业,1\n', True, True),  # quotes inside a field: text
        ("\ufffd,b\n1,2\n", True, True),  # U+FFFD in the header is not checked
        ('"a\nb",c\n1,2\n', True, True),  # a header cell with a line break
        ("a,b\n1,2\r3,4\n", False, False),  # bare CR
        ("a,b\n1,2\r", False, False),
        ('a,b\n"1\n2",3\n', False, False),  # a record over two lines
        ("a,b\n1,2,3\n", False, False),
        ("a,b\n1,,\n", False, False),
        ("a,b\n1\n", False, False),
        ("a,a\n1,2\n", False, False),
        ("a,\n1,2\n", False, False),
        (" __row ,b\n1,2\n", False, False),
        ("\na,b\n1,2\n", False, False),
        ("a,b\n1,\ufffd\n", False, False),
        # more careful than the reference: polars may misread these lines
        ('a,b\n1,"x"y\n', False, True),  # text after a closing quote
        ('a,b\n甲"x,1\n', False, True),  # an odd number of quotes
        ('a,b\n1,"x', False, True),  # a quote left open at the end of the file
        ('a"b,c\n1,2\n', False, True),
        ("a,b,c\n\x1c,\n", False, True),  # blank to str.strip(), kept by polars
    ],
)
def test_regular_check_cases(tmp_path: Path, text: str, fast: bool, reference: bool) -> None:
    path = write(tmp_path, "c.csv", text)
    encoding = "utf-8-sig" if text.startswith("\ufeff") else "utf-8"
    assert (readers._scan_regular_csv(path, encoding, ",") is not None) == fast
    assert (_scan_regular_csv_reference(path, encoding, ",") is not None) == reference
    if fast:
        assert _check_against_reference(path, encoding, ",")


def test_regular_check_invalid_utf8_and_long_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,\xe4\xb8\n")
    assert readers._scan_regular_csv(bad, "utf-8", ",") is None
    header_only = tmp_path / "head.csv"
    header_only.write_bytes(b"\xff,b\n1,2\n")  # read as U+FFFD, like the reference
    assert _check_against_reference(header_only, "utf-8", ",")
    monkeypatch.setattr(readers, "_MAX_LINE_BYTES", 64)
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 16)
    long = write(tmp_path, "long.csv", "a,b\n" + "x" * 100 + ",1\n")
    assert readers._scan_regular_csv(long, "utf-8", ",") is None
    assert _scan_regular_csv_reference(long, "utf-8", ",") is not None


def test_regular_check_reads_ordinary_rows_without_the_csv_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "".join(
        f'E{i:06d},"公司{i}，有限",{i % 97},"专精特新""小巨人""企业",{"" if i % 3 else "x"}\r\n'
        + ("\r\n" if i % 500 == 0 else "")
        for i in range(5_000)
    )
    path = write(tmp_path, "big.csv", "\ufeff企业编号,企业名称,从业人员,资质,备注\r\n" + body)
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 1 << 16)  # several blocks
    calls = 0
    reader = csv.reader

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return reader(*args, **kwargs)

    monkeypatch.setattr(csv, "reader", counting)
    lf = readers._scan_regular_csv(path, "utf-8-sig", ",")
    assert lf is not None
    assert calls == 1  # the header only
    monkeypatch.setattr(csv, "reader", reader)
    frame = lf.collect()
    assert frame.height == 5_000
    assert frame.row(-1) == (5_011, "E004999", "公司4999，有限", "52", '专精特新"小巨人"企业', None)
    monkeypatch.setattr(readers, "_scan_regular_csv", lambda *a: None)
    assert frame.rows() == read_table(path).frame.rows()


def _minimal_ods(path: Path, rows: list[list[str | int]]) -> Path:
    """An OpenDocument spreadsheet as LibreOffice/WPS would save it (only the parts a
    reader needs): a zip with the mimetype first and the cells in content.xml."""

    def cell(v: str | int) -> str:
        if isinstance(v, int):
            return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
        return (
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        )

    body = "".join(
        "<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows
    )
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="名单">{body}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods_from_libreoffice_or_wps_is_read(tmp_path: Path) -> None:
    path = _minimal_ods(
        tmp_path / "名单.ods",
        [
            ["企业名称", "所在地区", "从业人员"],
            ["甲公司", "北京市海淀区", 12],
            ["乙公司", "成都", 3],
        ],
    )
    table = read_table(path)
    assert_all_string(table.frame)
    assert rows(table) == [(2, "甲公司", "北京市海淀区", "12"), (3, "乙公司", "成都", "3")]


def test_totals_and_footnotes_found_whichever_cell_comes_first() -> None:
    """A totals or footnote row is found by its first filled cell, also when the first
    column is blank (序号 left empty); rows come back in reading order."""
    cells = {
        "序号": ["1", None, "合计", " ", "填表人：张三", "2", None],
        "企业名称": ["甲公司", "合 计：", None, "注：以上数据为估算", None, "乙公司", "丙公司"],
        "职工人数": ["10", "30", "30", None, None, "20", "填表人"],
    }
    frame = pl.DataFrame(cells).with_row_index(readers.ROW, offset=2)
    frame = frame.with_columns(pl.col(readers.ROW).cast(pl.Int64))
    kept, skipped = readers.split_non_data(frame)
    assert skipped.totals == [3, 4]
    assert skipped.notes == [5, 6]
    assert kept.get_column("企业名称").to_list() == ["甲公司", "乙公司", "丙公司"]


def test_every_flipped_byte_of_a_parquet_file_is_read_or_refused(tmp_path: Path) -> None:
    # A damaged Parquet file made polars panic (pyo3's PanicException, a BaseException that
    # `except Exception` let through): the file, read whole or streamed as batch does, is
    # refused with the reader's message, never a crash.
    from matcher.api import iter_raw_chunks
    from matcher.errors import PolicyMatchError

    data = _fuzz_files(tmp_path)["parquet"]
    path = tmp_path / "flipped.parquet"
    refused = 0
    for i in range(len(data)):
        blob = bytearray(data)
        blob[i] ^= 0xFF
        path.write_bytes(bytes(blob))
        try:
            read_table(path)
        except IntakeError:
            refused += 1
        with contextlib.suppress(PolicyMatchError):
            for _ in iter_raw_chunks(path, chunk_rows=2):
                pass
    assert refused  # the flips do damage: some files are refused


@pytest.mark.parametrize("where", [0, 1, 2, 17, 38, 39])
def test_regular_check_over_blocks_in_two_threads_finds_any_irregular_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: int
) -> None:
    """The blocks are checked two at a time, a few ahead: an irregular line in the
    first, a middle or the last block still makes the file irregular."""
    monkeypatch.setattr(readers, "_BLOCK_BYTES", 64)  # one line per block, 40 blocks
    lines = [f"E{i:03d},{'x' * 50},{i}\n" for i in range(40)]
    path = write(tmp_path, "ok.csv", "id,name,n\n" + "".join(lines))
    assert readers._scan_regular_csv(path, "utf-8", ",") is not None
    lines[where] = f"E{where:03d},{'x' * 50},{where},extra\n"  # wider than the header
    path = write(tmp_path, "wide.csv", "id,name,n\n" + "".join(lines))
    assert readers._scan_regular_csv(path, "utf-8", ",") is None
