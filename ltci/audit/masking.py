"""Masking of ID numbers wherever they leave the record: lists, logs, exports, the trail itself."""

import logging
import re

# 18-character resident ID (last may be X) and 15-digit first-generation numbers, not inside longer digit runs.
_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def mask_id(number: str | None) -> str:
    """'320311195001011234' -> '3203**********1234': region prefix and last four stay readable."""
    if not number:
        return ""
    number = str(number)
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_ids_in(text: str) -> str:
    """Masks every ID-number-shaped run of digits in free text (log lines, notes)."""
    return _ID_PATTERN.sub(lambda m: mask_id(m.group(0)), text)


class MaskIdNumbersFilter(logging.Filter):
    """A logging filter: no ID number reaches a log file or the console in clear."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ids_in(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_name(name: str | None) -> str:
    """A name as published (公示): the family name and the last character, 王秀英 → 王*英, 张伟 → 张*."""
    name = (name or "").strip()
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) > 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]
