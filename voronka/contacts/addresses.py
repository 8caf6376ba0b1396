"""Addresses as a key: two spellings of the same flat read the same.

«г. Москва, ул. Ленина, д. 5, кв. 3» and «101000, Москва, улица Ленина, дом 5, квартира 3»
both become ``москва ленина 5 кв 3``: lower case, «ё» as «е», no postcode, no country, no
punctuation, the words that only name the kind of a part (city, street, house) dropped, and
the ones that tell numbers apart (flat, building, structure) in one short form.
"""

import re

# Words that only say what the next (or previous) word is: dropped.
NOISE = frozenset(
    {
        "г",
        "гор",
        "город",
        "ул",
        "улица",
        "пр",
        "пр-т",
        "прт",
        "пр-кт",
        "просп",
        "проспект",
        "пер",
        "переулок",
        "ш",
        "шоссе",
        "б-р",
        "бульвар",
        "пл",
        "площадь",
        "наб",
        "набережная",
        "проезд",
        "пр-д",
        "туп",
        "тупик",
        "мкр",
        "мкрн",
        "микрорайон",
        "д",
        "дом",
        "вл",
        "владение",
        "россия",
        "рф",
        "российская",
        "федерация",
        "п",
        "пос",
        "поселок",
        "с",
        "село",
        "дер",
        "деревня",
    }
)
# Words that tell numbers apart: one short form each.
MARKERS = {
    "кв": "кв",
    "квартира": "кв",
    "оф": "кв",
    "офис": "кв",
    "пом": "кв",
    "помещение": "кв",
    "к": "к",
    "корп": "к",
    "корпус": "к",
    "стр": "стр",
    "строение": "стр",
    "лит": "лит",
    "литера": "лит",
    "обл": "обл",
    "область": "обл",
    "р-н": "р-н",
    "район": "р-н",
    "респ": "респ",
    "республика": "респ",
    # Everyday names of the two capitals.
    "мск": "москва",
    "спб": "санкт-петербург",
    "питер": "санкт-петербург",
}
POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
# Letters, digits and the hyphen inside a word («пр-т», «р-н»); everything else separates.
TOKEN = re.compile(r"[0-9a-zа-я]+(?:-[0-9a-zа-я]+)*")
# «5а» and «5 а» are one house; «д5» is «д 5».
LETTER_AFTER_NUMBER = re.compile(r"(?<=\d) (?=[а-я](?:\s|$))")
WORD_BEFORE_NUMBER = re.compile(r"^([а-я]+)(\d.*)$")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for token in TOKEN.findall(text):
        glued = WORD_BEFORE_NUMBER.match(token)
        if glued and glued.group(1) in (NOISE | set(MARKERS)):
            tokens.extend(glued.groups())
        else:
            tokens.append(token)
    return tokens


def address_key(address: str | None) -> str:
    """The normalised form of a postal address ("" for an empty one)."""
    text = (address or "").lower().replace("ё", "е")
    text = POSTCODE.sub(" ", text)
    words = []
    for token in _tokens(text):
        if token in NOISE:
            continue
        words.append(MARKERS.get(token, token))
    key = LETTER_AFTER_NUMBER.sub("", " ".join(words))
    return key[:500]
