"""The one error the policy engine raises: a question the rules cannot answer, naming the field."""

import re

_LATIN = re.compile(r"[A-Za-z]")


class PolicyError(ValueError):
    """The rules cannot answer: a missing or bad field, a date no version covers, a mode not offered.

    `field` is the dotted name of the input at fault (e.g. `care.cost`), empty when none is.
    `reason` says the same in Chinese for the platform's pages and API refusals, where the question
    came from a person rather than a scenario file; empty when the message is only for developers.
    """

    def __init__(self, message: str, field: str = "", reason: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def words(self, fallback: str = "按现行政策无法办理此事项，请核对所填日期与内容") -> str:
        """The error as the platform's users read it: the Chinese reason; else the message when it
        has no Latin letters (the rules' own Chinese sentences); else `fallback`, never English."""
        if self.reason:
            return self.reason
        return self.message if self.message and not _LATIN.search(self.message) else fallback
