"""The Russian translation is complete, compiled, and actually used by the interface."""

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]\w*\))?[#0 +-]*\d*(?:\.\d+)?[sdifr%]")


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """A small parser for the subset of the PO format that gettext tools write.

    Obsolete entries (``#~``) are skipped; they are not part of the catalogue.
    """
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if target is not None and target[0] == "msgstr":
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if target is not None and target[0] == "msgstr":
                finish()
        elif line.startswith('"'):
            assert target is not None, f"{path}:{number}: a string outside an entry"
            name, index = target
            if name == "msgstr":
                entry.msgstr[index or 0] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
        else:
            keyword, _, value = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if plural:
                target = ("msgstr", int(plural.group(1)))
                entry.msgstr[target[1]] = _unquote(value)
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                entry.msgstr[0] = _unquote(value)
            elif keyword in ("msgctxt", "msgid", "msgid_plural"):
                target = (keyword, None)
                setattr(entry, keyword, _unquote(value))
                if keyword == "msgid":
                    entry.line = number
            else:
                raise AssertionError(f"{path}:{number}: unexpected line {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def header(entries) -> dict[str, str]:
    [first] = [entry for entry in entries if entry.key == ""]
    pairs = (line.partition(":") for line in first.msgstr[0].splitlines() if line)
    return {name.strip(): value.strip() for name, _, value in pairs}


def _messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.key != ""]


def test_the_catalogue_is_russian_with_its_plural_forms(entries, header):
    assert header["Language"] == "ru"
    assert "charset=UTF-8" in header["Content-Type"]
    nplurals = int(re.search(r"nplurals=(\d+)", header["Plural-Forms"]).group(1))
    assert nplurals >= 3
    assert len(_messages(entries)) > 100
    for entry in _messages(entries):
        if entry.msgid_plural is not None:
            assert sorted(entry.msgstr) == list(range(nplurals)), entry.msgid


def test_every_entry_is_translated_and_none_is_fuzzy(entries):
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    untranslated = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in _messages(entries)
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values())
    ]
    assert fuzzy == []
    assert untranslated == []


def test_translations_keep_the_placeholders(entries):
    wrong = []
    for entry in _messages(entries):
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if entry.msgid_plural and index else entry.msgid
            expected = sorted(PLACEHOLDER.findall(source))
            if "python-format" in entry.flags and sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((entry.msgid, text))
    assert wrong == []


def _catalog(path: Path) -> dict:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_the_compiled_catalogue_matches_the_po_file(entries):
    assert MO_PATH.exists(), "run: manage.py compilemessages"
    catalog = _catalog(MO_PATH)
    stale = []
    for entry in _messages(entries):
        if entry.msgid_plural is None:
            if catalog.get(entry.key) != entry.msgstr[0]:
                stale.append(entry.msgid)
        else:
            for index, text in entry.msgstr.items():
                if catalog.get((entry.key, index)) != text:
                    stale.append(f"{entry.msgid} [{index}]")
    assert stale == [], "django.mo is older than django.po: run manage.py compilemessages"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_msgfmt_compiles_the_po_file_into_the_committed_mo(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(PO_PATH)],
        check=True,
        capture_output=True,
    )
    assert _catalog(compiled) == _catalog(MO_PATH), (
        "django.mo is older than django.po: run manage.py compilemessages"
    )


def test_key_strings_come_out_in_russian():
    with translation.override("ru"):
        assert translation.gettext("Lead") == "Лид"
        assert translation.gettext("Deal") == "Сделка"
        assert translation.gettext("Sign in") == "Войти"
        assert translation.ngettext("%(counter)s card", "%(counter)s cards", 1) == (
            "%(counter)s карточка"
        )
        assert translation.ngettext("%(counter)s card", "%(counter)s cards", 3) == (
            "%(counter)s карточки"
        )
        assert translation.ngettext("%(counter)s card", "%(counter)s cards", 11) == (
            "%(counter)s карточек"
        )


@pytest.mark.django_db
def test_the_login_page_is_in_russian(client):
    with translation.override("ru"):
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="ru")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ru">' in page
    assert "Войти" in page
    assert "Пароль" in page
    assert "Sign in" not in page
