"""A synthetic medical-insurance roster of a Jiaxing-sized population, as CSV, written in a stream."""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

from ltci.enrolment.idcard import check_digit
from ltci.policy.regions import load_regions

HEADER = ["证件号码", "姓名", "性别", "联系电话", "区县", "居住地址", "险种", "人员类别", "参保日期", "缴费基数", "上年度月养老金"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强淑珍凤英海燕春梅德明文华"


def roster(path: Path, rows: int, region_code: str = "jiaxing", seed: int = 1) -> Path:
    rng = random.Random(seed)
    region = load_regions()[region_code]
    districts = [(d.code, d.name) for d in region.districts]
    start = date(1930, 1, 1)
    span = (date(2005, 12, 31) - start).days
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            # Row i ↦ (district, birth day, order) one to one, so every ID number is unique.
            code, district = districts[i % len(districts)]
            j = i // len(districts)
            birth = start + timedelta(days=j % span)
            sex = rng.choice("MF")
            order = (j // span) * 2 + (sex == "M")
            first17 = f"{code}{birth:%Y%m%d}{order:03d}"
            number = first17 + check_digit(first17)
            employee = rng.random() < 0.45
            age = 2024 - birth.year
            category = ("退休人员" if age >= 60 else rng.choice(["在职职工"] * 8 + ["灵活就业人员", "领取失业保险金人员"])) \
                if employee else ""
            w.writerow([number, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "男" if sex == "M" else "女",
                        f"13{rng.randrange(10**9):09d}", district, f"{district}某街道{rng.randrange(1, 300)}号",
                        "职工医保" if employee else "城乡居民医保", category, "2022-01-01",
                        f"{rng.randrange(3000, 30000)}.00" if employee and category != "退休人员" else "",
                        f"{rng.randrange(2000, 9000)}.00" if category == "退休人员" else ""])
    return path


if __name__ == "__main__":
    roster(Path(sys.argv[1]), int(sys.argv[2]))
