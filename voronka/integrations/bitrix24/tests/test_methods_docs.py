"""``docs/bitrix24-api.md`` lists every registered method as implemented or partial, and no
method it calls implemented is missing from the method table."""

import re
from pathlib import Path

from django.conf import settings

from voronka.integrations.bitrix24 import views  # noqa: F401  (fills the method table)
from voronka.integrations.bitrix24.registry import REGISTRY

DOC = Path(settings.BASE_DIR) / "docs" / "bitrix24-api.md"
ROW = re.compile(
    r"^\| `([A-Za-z0-9_.]+)` \| (T1|T2|T3|—) \| (implemented|partial|not implemented) \|"
)


def documented() -> dict[str, str]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            name = match.group(1).lower()
            assert name not in rows, f"{match.group(1)} is listed twice"
            rows[name] = match.group(3)
    return rows


def test_every_method_the_doc_calls_available_is_registered():
    available = {name for name, status in documented().items() if status != "not implemented"}

    assert sorted(available - set(REGISTRY)) == []


def test_every_registered_method_is_in_the_doc_as_available():
    rows = documented()

    assert sorted(name for name in REGISTRY if name not in rows) == []
    assert sorted(n for n in REGISTRY if rows.get(n) == "not implemented") == []


def test_the_doc_says_why_a_spec_method_is_not_implemented():
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if ROW.match(line)]
    without_reason = [
        line
        for line in lines
        if "| not implemented |" in line and not line.strip("|").split("|")[-1].strip()
    ]

    assert len(lines) > 150 and "crm.lead.add" in documented()
    assert without_reason == []
