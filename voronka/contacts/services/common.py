"""History helpers shared by the contact and company services."""

from voronka.core.changes import FieldChange


def list_change(field: str, label: str, old: list[str], new: list[str]) -> list[FieldChange]:
    """A history row for a replaced list (addresses, bank accounts) when it really changed."""
    if old == new:
        return []
    return [
        FieldChange(
            field=field, label=label, old="; ".join(old) or None, new="; ".join(new) or None
        )
    ]
