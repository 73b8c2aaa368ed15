"""The one error the policy engine raises: a question the rules cannot answer, naming the field."""


class PolicyError(ValueError):
    """The rules cannot answer: a missing or bad field, a date no version covers, a mode not offered.

    `field` is the dotted name of the input at fault (e.g. `care.cost`), empty when none is.
    """

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message
