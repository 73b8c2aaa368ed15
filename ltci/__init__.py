"""ltci: the long-term care insurance platform (长期护理保险信息平台)."""
