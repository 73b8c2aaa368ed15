"""The fund's chart of accounts (会计科目): codes and names, one table for every region.

Income by payer, so that a contribution payment posts to the income of whoever paid it;
expenditure by kind; payables to each institution and each insured person, kept apart by a
posting's `party` (``institution:<id>``, ``person:<id>``); and the fund's bank account.
"""

BANK = "1002"  # 银行存款（基金专户）
PAYABLE_INSTITUTION = "2201"  # 应付待遇—定点机构 (party institution:<id>)
PAYABLE_INSURED = "2202"  # 应付待遇—参保人 (party person:<id>)
INCOME_BY_PAYER = {
    "individual": "4101",
    "employer": "4102",
    "medical_fund": "4103",
    "fiscal": "4104",
    "donation": "4105",
}
BENEFIT_INSTITUTION = "5101"  # 待遇支出—机构服务
BENEFIT_CASH = "5102"  # 待遇支出—现金待遇
ASSESSMENT_FEES = "5201"  # 评估费用支出
AGENCY_FEES = "5202"  # 经办服务费支出

NAMES = {
    BANK: "银行存款（长护险基金专户）",
    PAYABLE_INSTITUTION: "应付待遇—定点机构",
    PAYABLE_INSURED: "应付待遇—参保人",
    "4101": "缴费收入—个人缴费",
    "4102": "缴费收入—单位缴费",
    "4103": "缴费收入—医保统筹基金划转",
    "4104": "缴费收入—财政补助",
    "4105": "其他收入—社会捐助",
    BENEFIT_INSTITUTION: "待遇支出—机构护理服务",
    BENEFIT_CASH: "待遇支出—现金待遇",
    ASSESSMENT_FEES: "评估费用支出",
    AGENCY_FEES: "经办服务费支出",
}

DEBIT_NORMAL = {BANK, BENEFIT_INSTITUTION, BENEFIT_CASH, ASSESSMENT_FEES, AGENCY_FEES}  # assets and expenses grow by debits
