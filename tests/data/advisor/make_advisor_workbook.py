"""Write the messy advisor workbook of issue 12 and its twins (run from the repo root).

- advisor_messy.xlsx: a title row, the centre's own headers with a two-row 招聘计划
  block (应届生 / 其中北京高校), 万/亿 units, yes/no certification columns, bare
  district names, full-width digits, 2019年3月 dates, one firm entered twice,
  a 合计 row and a 填表人 footnote.
- advisor_messy_gb18030.csv: the same sheet as WPS saves it (GB18030, merged
  cells as a value followed by empty cells).
- advisor_clean.csv: the same firms once each, canonical headers, plain values.

    python tests/data/advisor/make_advisor_workbook.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import xlsxwriter

from matcher.intake.credit_code import check_char

HERE = Path(__file__).parent

# name, credit code, district (as written), canonical region, industry, employees (as written),
# revenue (as written), revenue in 万元, 专精特新, 高新, founded (as written), grads, local grads,
# 企业类型, contact
FIRMS = [
    (
        "北京智码软件科技有限公司",
        "9111010838710517WF",
        "海淀",
        "北京市海淀区",
        "软件开发",
        "８５",
        "6000万",
        "6000",
        "市级专精特新",
        "是",
        "2015.6",
        "6",
        "4",
        "有限责任公司",
        "张工",
    ),
    (
        "北京云栖数据服务有限公司",
        "9111010548459215BG",
        "朝阳区",
        "北京市朝阳区",
        "互联网数据服务",
        "40",
        "1800",
        "1800",
        "否",
        "否",
        "2018年9月",
        "5",
        "3",
        "有限责任公司",
        "李经理",
    ),
    (
        "北京精芯微电子股份有限公司",
        "9111011546937619TM",
        "亦庄",
        "北京市",
        "集成电路设计",
        "２３０",
        "1.2亿",
        "12000",
        "国家级专精特新小巨人",
        "是",
        "2009",
        "12",
        "8",
        "股份有限公司",
        "王总",
    ),
    (
        "北京绿源环保工程有限公司",
        "91110112MA01A2B3C4",
        "通州区",
        "北京市通州区",
        "环境保护专用设备制造",
        "60",
        "3500万元",
        "3500",
        "否",
        "是",
        "2019年3月",
        "3",
        "2",
        "有限责任公司",
        "赵工",
    ),
    (
        "北京同创教育咨询有限公司",
        "91110105MA00B1C2D3",
        "朝阳区",
        "北京市朝阳区",
        "教育咨询服务",
        "18",
        "420",
        "420",
        "否",
        "否",
        "2020年1月",
        "2",
        "2",
        "有限责任公司",
        "钱老师",
    ),
    (
        "北京华信物流有限公司",
        "91110115MA00C2D3E4",
        "大兴区",
        "北京市大兴区",
        "道路货物运输",
        "95",
        "0.8亿",
        "8000",
        "否",
        "否",
        "2012.10",
        "4",
        "1",
        "有限责任公司",
        "孙经理",
    ),
    (
        "北京星河文化传媒有限公司",
        "91110105MA00D3E4F5",
        "朝阳区",
        "北京市朝阳区",
        "广告业",
        "25",
        "900万",
        "900",
        "否",
        "否",
        "2017年5月",
        "3",
        "3",
        "有限责任公司",
        "周女士",
    ),
    (
        "北京康泰医疗器械有限公司",
        "91110114MA00E4F5G6",
        "昌平区",
        "北京市昌平区",
        "医疗仪器设备及器械制造",
        "150",
        "2.5亿",
        "25000",
        "北京市专精特新中小企业",
        "是",
        "2011年7月",
        "10",
        "6",
        "有限责任公司",
        "吴工",
    ),
    (
        "北京智慧农业科技有限公司",
        "91110114MA00F5G6H7",
        "昌平区",
        "北京市昌平区",
        "农业科学研究和试验发展",
        "35",
        "1500",
        "1500",
        "否",
        "√",
        "2016",
        "2",
        "1",
        "有限责任公司",
        "郑工",
    ),
    (
        "北京恒远建筑设计有限公司",
        "91110102MA00G6H7I8",
        "西城区",
        "北京市西城区",
        "工程设计活动",
        "70",
        "4000万",
        "4000",
        "否",
        "是",
        "2010年4月",
        "5",
        "4",
        "有限责任公司",
        "冯工",
    ),
    (
        "北京优品餐饮管理有限公司",
        "91110101MA00H7I8J9",
        "东城区",
        "北京市东城区",
        "正餐服务",
        "120",
        "3000万",
        "3000",
        "否",
        "否",
        "2014.3",
        "8",
        "5",
        "有限责任公司",
        "陈经理",
    ),
    (
        "北京蓝海跨境电商有限公司",
        "91110113MA00I8J9K0",
        "顺义区",
        "北京市顺义区",
        "互联网零售",
        "45",
        "6500万",
        "6500",
        "否",
        "否",
        "2021年6月",
        "6",
        "2",
        "有限责任公司",
        "褚经理",
    ),
    (
        "北京启明新能源科技有限公司",
        "91110111MA00J9K0L1",
        "房山区",
        "北京市房山区",
        "太阳能发电",
        "80",
        "1.5亿",
        "15000",
        "是",
        "是",
        "2013年8月",
        "7",
        "4",
        "有限责任公司",
        "卫工",
    ),
    (
        "北京安信网络安全技术有限公司",
        "91110108MA00K0L1M2",
        "海淀区",
        "北京市海淀区",
        "信息安全服务",
        "55",
        "5000万",
        "5000",
        "市级专精特新",
        "是",
        "2018.11",
        "9",
        "7",
        "有限责任公司",
        "蒋工",
    ),
    (
        "北京瑞丰食品有限公司",
        "91110117MA00L1M2N3",
        "平谷区",
        "北京市平谷区",
        "肉制品及副产品加工",
        "200",
        "0.9亿",
        "9000",
        "否",
        "否",
        "2008",
        "4",
        "3",
        "有限责任公司",
        "沈经理",
    ),
]


def _valid(code: str) -> str:
    """The made-up code with allowed letters and its true check character."""
    body = code[:17].translate(str.maketrans("IOSVZ", "JPTWY"))
    return body + check_char(body)


FIRMS = [(f[0], _valid(f[1]), *f[2:]) for f in FIRMS]
DUPLICATE = 4  # the 5th firm is entered again by a colleague, with another contact

TITLE = "朝阳区中小企业服务中心 2022年服务企业名单"
TOP = [
    "序号",
    "企业名称",
    "统一社会信用代码",
    "所在区",
    "所属行业",
    "职工人数",
    "年营业额",
    "是否专精特新",
    "是否小巨人",
    "高新技术企业",
    "成立时间",
    "招聘计划",
    "",
    "企业类型",
    "联系人",
]
GROUP = TOP.index("招聘计划")  # merged over two columns; their names in the row below
SUB = [""] * len(TOP)
SUB[GROUP], SUB[GROUP + 1] = "今年计划招应届生", "其中北京高校"
CLEAN_HEADER = [
    "企业名称",
    "统一社会信用代码",
    "所在地区",
    "所属行业",
    "从业人员",
    "营业收入（万元）",
    "资质认定",
    "成立日期",
    "招用毕业年度高校毕业生人数",
    "其中本地高校毕业生人数",
]


def _clean_certs(zjtx: str, gaoxin: str) -> str:
    certs = []
    if zjtx == "国家级专精特新小巨人":
        certs += ["专精特新\u201c小巨人\u201d企业", "专精特新中小企业"]
    elif zjtx not in ("", "否"):
        certs.append("专精特新中小企业")
    if gaoxin in ("是", "√"):
        certs.append("高新技术企业")
    known = zjtx not in ("",) and gaoxin != ""
    return "；".join(certs) if certs else ("无" if known else "")


def messy_rows() -> list[list[str]]:
    rows = [[TITLE] + [""] * (len(TOP) - 1), TOP, SUB]
    firms = list(FIRMS)
    firms.insert(9, FIRMS[DUPLICATE])
    for i, f in enumerate(firms, start=1):
        contact = f[14] if i != 10 else "钱老师（同事录入）"
        rows.append(
            [
                str(i),
                f[0],
                f[1],
                f[2],
                f[4],
                f[5],
                f[6],
                f[8],
                "是" if f[8] == "国家级专精特新小巨人" else "否",
                f[9],
                f[10],
                f[11],
                f[12],
                f[13],
                contact,
            ]
        )
    total = sum(int(f[7]) for f in FIRMS)
    totals = ["合计", "", "", "", "", "", f"{total}万"]
    rows.append(totals + [""] * (len(TOP) - len(totals)))
    rows.append(["填表人：张三    填表日期：2022年6月30日"] + [""] * (len(TOP) - 1))
    return rows


def clean_rows() -> list[list[str]]:
    rows = [CLEAN_HEADER]
    for f in FIRMS:
        rows.append(
            [
                f[0],
                f[1],
                f[3],
                f[4],
                f[5].translate(_FULL),
                f[7],
                _clean_certs(f[8], f[9]),
                _clean_date(f[10]),
                f[11],
                f[12],
            ]
        )
    return rows


_FULL = str.maketrans("０１２３４５６７８９", "0123456789")


def _clean_date(text: str) -> str:
    for sep in ("年", "."):
        if sep in text:
            y, m = text.replace("月", "").split(sep)
            return f"{y}-{int(m):02d}"
    return text


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("服务企业")
    bold = book.add_format({"bold": True, "align": "center"})
    sheet.merge_range(0, 0, 0, len(TOP) - 1, TITLE, bold)
    for j, text in enumerate(TOP):
        if j == GROUP:
            sheet.merge_range(1, j, 1, j + 1, text, bold)
        elif j != GROUP + 1:
            sheet.merge_range(1, j, 2, j, text, bold)
    sheet.write(2, GROUP, SUB[GROUP], bold)
    sheet.write(2, GROUP + 1, SUB[GROUP + 1], bold)
    for i, row in enumerate(rows[3:], start=3):
        if row[0].startswith("填表人"):
            sheet.write(i, 0, row[0])
            continue
        for j, cell in enumerate(row):
            if cell == "":
                continue
            if j in (0, GROUP, GROUP + 1) and cell.isdigit():
                sheet.write_number(i, j, int(cell))
            else:
                sheet.write_string(i, j, cell)
    book.close()


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, lineterminator="\r\n").writerows(rows)


def main() -> None:
    rows = messy_rows()
    write_xlsx(HERE / "advisor_messy.xlsx", rows)
    write_csv(HERE / "advisor_messy_gb18030.csv", rows, "gb18030")
    write_csv(HERE / "advisor_clean.csv", clean_rows(), "utf-8-sig")


if __name__ == "__main__":
    main()
