"""The one error the policy engine raises: a question the rules cannot answer, naming the field."""


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
