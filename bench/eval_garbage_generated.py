"""Generated garbage: how much text that names no industry the resolver still reads as one.

    python bench/eval_garbage_generated.py [--seeds 1 2 3] [--show 10]

The garbage sets in tests/data were written by hand; this builds cells of the same classes
from parts, with a seed, so that a refusal tuned on those sets is checked on cells nobody
chose: numbers in many formats (valid GB/T 4754 codes left out), dates, phone numbers,
e-mail and web addresses, credit codes and amounts, with and without a field label; people
(surname, a given name, a title, a role); every division of the region table with street,
park and zone suffixes; foreign cities; other facts about a firm (legal form, size, status,
certification, department) in combinations; strings of 2–8 random common hanzi, which
can contain real words by chance; and notes to a colleague (who said what, dated statuses,
pending steps, remarks under a label, questions), added last so that the other classes keep
their cells. Prints resolved / total per class, and examples.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.reference import industry  # noqa: E402
from matcher.reference.data import adcode_rows  # noqa: E402
from matcher.reference.industry import normalize_industry_code  # noqa: E402

FULL_WIDTH = str.maketrans("0123456789.%-", "０１２３４５６７８９．％－")
NUMBER_FORMS = ["{}", "{:04d}", "{}.{}", "-{}", "{}%", "{}元", "{}万", "约{}", "{}人", "{}年",
                "No.{}", "#{}", "第{}名", "{}个", "{}㎡", "{}吨", "{}/{}", "{}-{}", "{}.{}万元"]  # fmt: skip
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉鹏宇浩然子涵梓萱一诺欣怡晨阳博志海燕红梅"
TITLES = ["", "", "先生", "女士", "总", "经理", "工", "老师", "律师", "会计", "主任", "董", "总监",
          "师傅", "老板", "同学", "医生", "教授"]  # fmt: skip
ROLES = ["负责人", "法人", "股东"]
CITIES = ["纽约", "洛杉矶", "旧金山", "伦敦", "巴黎", "东京", "大阪", "首尔", "新加坡", "吉隆坡", "曼谷",
          "河内", "雅加达", "悉尼", "墨尔本", "温哥华", "多伦多", "柏林", "慕尼黑", "罗马", "米兰", "马德里",
          "阿姆斯特丹", "苏黎世", "维也纳", "莫斯科", "伊斯坦布尔", "迪拜", "开罗", "圣保罗"]  # fmt: skip
PLACE_TAILS = [
    "",
    "",
    "人民路",
    "中山路1号",
    "开发区",
    "工业园",
    "科技园",
    "高新区",
    "附近",
    "地区",
]
OTHER = ["企业", "公司", "小微企业", "专精特新", "高新技术企业", "存续", "注销", "吊销", "是", "否",
         "财务部", "人事部", "一般纳税人", "有限公司", "个体户", "国企", "民营", "外资", "上市", "规上",
         "中型", "小型", "微型", "A级", "合格", "正常", "在业", "已认定", "未认定", "无", "有"]  # fmt: skip
OTHER_TAILS = ["", "", "（已认定）", "企业", "类"]
HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
    "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
    "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
    "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
)


def generate(seed: int) -> dict[str, str]:
    """Text → class, distinct, valid industry codes left out."""
    rng = random.Random(seed)
    pick = rng.choice
    out: dict[str, str] = {}

    def add(kind: str, text: str) -> None:
        if text.strip() and normalize_industry_code(text) is None:
            out.setdefault(text, kind)

    for _ in range(300):
        form = pick(NUMBER_FORMS)
        text = form.format(*(rng.randint(0, 9999) for _ in range(form.count("{"))))
        add("number", text.translate(FULL_WIDTH) if rng.random() < 0.2 else text)
    for _ in range(150):
        y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
        add("record", pick([f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{y}年{m}月{d}日", f"{y}.{m}.{d}",
                            f"{y}{m:02d}{d:02d}", f"{m}/{d}/{y}", f"{y}年{m}月", f"{y}年", f"{m}月{d}日",
                            f"{y}年度", f"{y}Q{rng.randint(1, 4)}"]))  # fmt: skip
        phone = "1" + pick("3456789") + "".join(pick(string.digits) for _ in range(9))
        add("record", pick([phone, f"电话：{phone}", f"Tel {phone}", f"手机{phone}",
                            f"0{rng.randint(10, 999)}-{rng.randint(1000000, 99999999)}",
                            f"{phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]}****{phone[7:]}"]))  # fmt: skip
        user = "".join(pick(string.ascii_lowercase) for _ in range(rng.randint(3, 8)))
        domain = pick(["qq.com", "163.com", "126.com", "gmail.com", "sina.com", "foxmail.com"])
        add("record", pick([f"{user}@{domain}", f"www.{user}.{pick(['com', 'cn', 'com.cn', 'net'])}",
                            f"https://{user}.cn/{user}", f"邮箱：{user}@{user}.cn", f"官网{user}.com"]))  # fmt: skip
        code = "91" + "".join(pick(string.digits) for _ in range(6))
        code += "".join(pick("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10))
        add("record", pick([code, f"信用代码{code}", code.lower()]))
        add("record", pick([f"注册资本{rng.randint(1, 9999)}万元", f"实缴{rng.randint(1, 999)}万",
                            f"营收{rng.randint(1, 99)}亿", f"员工{rng.randint(1, 999)}人", f"成立于{y}年",
                            f"{rng.randint(1, 50)}年经验", f"年产值{rng.randint(1, 999)}万元"]))  # fmt: skip
    for _ in range(250):
        name = pick(SURNAMES) + "".join(pick(GIVEN) for _ in range(rng.randint(0, 2)))
        titled = name + pick(TITLES)
        add("person", pick([titled, f"联系人：{titled}", f"法人{titled}", f"{titled}（{pick(ROLES)}）",
                            f"{titled}/1{rng.randint(3000000000, 9999999999)}", "小" + pick(SURNAMES),
                            "老" + pick(SURNAMES), pick(SURNAMES) + "某"]))  # fmt: skip
    divisions = [r["name"] for r in adcode_rows()]
    for _ in range(300):
        add("place", pick(["", "中国"]) + pick(divisions) + pick(PLACE_TAILS))
    for _ in range(100):
        add("place", pick(CITIES) + pick(["", "市", "州"]))
    for _ in range(200):
        words = "".join(pick(OTHER) for _ in range(rng.randint(1, 3)))
        add("other", words + pick(OTHER_TAILS))
    for _ in range(1000):
        add("random_hanzi", "".join(pick(HANZI) for _ in range(rng.randint(2, 8))))
    # after every other class, so that adding it changed none of their cells
    for _ in range(400):
        add("note", _note(rng))
    return out


NOTE_SUBJECTS = ["客户", "老板", "对方", "财务", "他", "她", "老板娘", "张总", "联系人", "法人", "会计",
                 "前台", "业务员", "我"]  # fmt: skip
NOTE_SPEECH = ["说", "讲", "表示", "回复", "答应", "反馈", "提到", "说过", "讲过", "回话说", "在电话里说",
               "微信上说"]  # fmt: skip
NOTE_CONTENT = ["下周给资料", "还在考虑", "不方便透露", "回头发过来", "等年后再说", "要问问股东",
                "资料在路上", "月底前补齐", "暂时不需要", "会尽快确认", "没时间", "以后再联系",
                "让我们等通知", "不清楚具体做什么", "晚点发营业执照", "还没决定"]  # fmt: skip
NOTE_WHEN = ["去年", "上个月", "昨天", "今年", "上周", "{y}年{m}月", "{y}年度", "{m}月{d}日"]
NOTE_STATE = ["已", "未", "还没", "尚未", ""]
NOTE_ACTS = ["报税", "年检", "提交年报", "变更地址", "注销", "续费", "签约", "回款", "开票", "盖章",
             "审核通过", "完成备案", "迁到新址", "更换法人"]  # fmt: skip
NOTE_PENDING = ["资料审核", "名称变更", "地址迁移", "股权变更", "年报填报", "合同审批", "账户开立",
                "税务登记", "许可证办理", "注销清算"]  # fmt: skip
NOTE_LABELS = ["备注", "说明", "注", "附注", "批注", "跟进记录", "沟通记录", "拜访记录"]
NOTE_QUESTIONS = ["这个要填吗？", "{s}做什么的？", "属于哪一类？", "行业怎么选", "要不要写全称",
                  "是填主营还是范围？", "能空着吗", "{c}？"]  # fmt: skip


def _note(rng: random.Random) -> str:
    """A note to a colleague: who said what, a dated status, a pending step, a remark under a
    label, or a question (parts chosen to be broader than the refusal's own word lists)."""
    pick = rng.choice
    y, m, d = rng.randint(2018, 2026), rng.randint(1, 12), rng.randint(1, 28)
    said = f"{pick(NOTE_SUBJECTS)}{pick(NOTE_SPEECH)}{pick(NOTE_CONTENT)}"
    dated = f"{pick(NOTE_WHEN).format(y=y, m=m, d=d)}{pick(NOTE_STATE)}{pick(NOTE_ACTS)}"
    pending = f"{pick(NOTE_PENDING)}{pick(['中', '进行中', '处理中', '待完成', '未完成'])}"
    labelled = f"{pick(NOTE_LABELS)}：{pick([said, dated, pick(NOTE_CONTENT)])}"
    question = pick(NOTE_QUESTIONS).format(s=pick(NOTE_SUBJECTS), c=pick(NOTE_CONTENT))
    return pick([said, dated, pending, labelled, question])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--show", type=int, default=5, help="examples of resolved cells per class")
    args = parser.parse_args()
    total: Counter[str] = Counter()
    hits: dict[str, list[str]] = {}
    for seed in args.seeds:
        cells = generate(seed)
        out = industry.resolve_held_out(list(cells), None)
        for text, kind in cells.items():
            total[kind] += 1
            if out[text].code is not None:
                hits.setdefault(kind, []).append(f"{text}→{out[text].code}")
    print(f"seeds {args.seeds}: resolved / generated, per class")
    for kind in sorted(total):
        got = hits.get(kind, [])
        shown = "  ".join(got[: args.show])
        print(f"  {kind:13} {len(got):>4}/{total[kind]:<5} {len(got) / total[kind]:6.1%}  {shown}")
    n, bad = sum(total.values()), sum(len(v) for v in hits.values())
    print(f"  {'all':13} {bad:>4}/{n:<5} {bad / n:6.1%}")


if __name__ == "__main__":
    main()
