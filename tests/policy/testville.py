"""A test-only sixth region, "testville", with two policy versions: proof that a region is data."""

REGION = """
code = "testville"
name = "测试市"
province = "测试省"
pooling_level = "city"
centre = { latitude = 30.0, longitude = 110.0 }
id_prefixes = ["999901"]
districts = [{ code = "999901", name = "测试区" }]

[[versions]]
code = "testville-2025"
title = "测试市长期护理保险办法"
document = "测政发〔2024〕1号"
valid_from = 2025-01-01
valid_to = 2025-12-31

[[versions]]
code = "testville-2026"
title = "测试市长期护理保险办法（修订）"
document = "测政发〔2025〕9号"
valid_from = 2026-01-01
"""
