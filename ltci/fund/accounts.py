"""The fund's chart of accounts (会计科目): codes and names, one table for every region.

Income accounts by payer, so that a contribution payment posts to the income of whoever paid it.
Settlement (issue 7) adds expenditure and payables to this same table.
"""

BANK = "1002"  # 银行存款（基金专户）
INCOME_BY_PAYER = {
    "individual": "4101",
    "employer": "4102",
    "medical_fund": "4103",
    "fiscal": "4104",
    "donation": "4105",
}

NAMES = {
    BANK: "银行存款（长护险基金专户）",
    "4101": "缴费收入—个人缴费",
    "4102": "缴费收入—单位缴费",
    "4103": "缴费收入—医保统筹基金划转",
    "4104": "缴费收入—财政补助",
    "4105": "其他收入—社会捐助",
}

DEBIT_NORMAL = {BANK}  # asset accounts grow by debits; income accounts by credits
