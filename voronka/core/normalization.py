"""Normalised forms of identifiers people type in many ways, for storage and duplicate search."""

import re

import phonenumbers
from django.conf import settings

_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str, region: str | None = None) -> str | None:
    """Return the E.164 form of ``raw`` (``+79123456789``) or None when it is not a phone number.

    Accepts what people really type: ``8 (912) 345-67-89``, ``+7 912 3456789``, ``9123456789``.
    """
    text = (raw or "").strip()
    if not text:
        return None
    region = region or settings.PHONE_DEFAULT_REGION
    digits = _NON_DIGITS.sub("", text)
    # Russian habits: a leading 8 is the trunk prefix, ten bare digits are a number without it.
    if text.startswith("00"):  # the international prefix most of the world dials instead of +
        text = "+" + digits[2:]
    elif region == "RU" and not text.startswith("+"):
        if len(digits) == 11 and digits[0] in "78":
            text = "+7" + digits[1:]
        elif len(digits) == 10:
            text = "+7" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # "Valid" (a real numbering range), not merely "possible" (a plausible length): random digit
    # strings must not become someone's phone and match them as a duplicate.
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """Human form for display: ``+7 912 345-67-89``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(raw: str) -> str | None:
    """Lower-cased, trimmed e-mail, or None when ``raw`` is not an e-mail address."""
    text = (raw or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[len("mailto:") :]
    return text if _EMAIL.match(text) else None


def normalize_url(raw: str) -> str | None:
    """Host and path without scheme, ``www.`` and trailing slash: ``example.ru/shop``."""
    text = (raw or "").strip().lower()
    if not text:
        return None
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.removeprefix("www.").rstrip("/")
    return text or None


def normalize_messenger(raw: str) -> str | None:
    """Messenger handles compare without ``@``, case and surrounding spaces."""
    text = (raw or "").strip().lower().lstrip("@")
    return text or None


def digits_only(raw: str) -> str:
    return _NON_DIGITS.sub("", raw or "")


# Cyrillic → Latin, so «Ромашка» and "Romashka" meet on one key. Ambiguous Latin spellings
# (kh/h, ya/ia, ts/c) are folded afterwards by ``_LATIN_FOLDS``.
_CYRILLIC_TO_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya",
    }
)  # fmt: skip
_LATIN_FOLDS = (
    ("kh", "h"), ("shch", "sch"), ("ya", "ia"), ("yu", "iu"), ("ts", "c"), ("x", "ks"),
    ("w", "v"), ("q", "k"), ("y", "i"), ("j", "i"),
)  # fmt: skip
# Legal forms written before or after the name, in full or abbreviated, in either alphabet:
# «ООО», «Общество с ограниченной ответственностью», "LLC", «ИП»…
_LEGAL_FORM_WORDS = (
    "общество с ограниченной ответственностью", "открытое акционерное общество",
    "закрытое акционерное общество", "публичное акционерное общество", "акционерное общество",
    "индивидуальный предприниматель", "некоммерческая организация",
    "ооо", "оао", "зао", "пао", "ао", "ип", "нко", "ано", "фгуп", "муп", "гуп",
    "llc", "ltd", "inc", "gmbh", "jsc", "cjsc", "pjsc", "co",
)  # fmt: skip
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def transliterate(text: str) -> str:
    """Lower-case Latin spelling of ``text`` with the usual ambiguities folded."""
    latin = (text or "").lower().translate(_CYRILLIC_TO_LATIN)
    for spelling, folded in _LATIN_FOLDS:
        latin = latin.replace(spelling, folded)
    return latin


def _legal_forms() -> re.Pattern:
    spelled = sorted({transliterate(form) for form in _LEGAL_FORM_WORDS}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(form) for form in spelled) + r")\b")


_LEGAL_FORMS = _legal_forms()


def company_name_key(title: str) -> str:
    """What a company's name is compared by: «ООО "Ромашка"», "Ромашка ООО" and "Romashka LLC"
    all give ``romashka``. Legal forms, quotes, punctuation and case do not count."""
    words = _NOT_WORD.sub(" ", transliterate(title))
    return " ".join(_LEGAL_FORMS.sub(" ", words).split())


def person_name_key(*parts: str) -> str:
    """A person's name parts as one comparable key, order kept, alphabet and case folded."""
    return " ".join(" ".join(_NOT_WORD.sub(" ", transliterate(p)).split()) for p in parts if p)
