"""The policy engine: each region's rules as dated data and small functions (no Django here)."""
