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
