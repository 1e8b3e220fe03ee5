"""The one exception type the CLI turns into a clean message (no traceback)."""


class LakehouseError(Exception):
    """An expected failure the user can act on: what failed, why, and what to do next."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  -> {self.hint}"
