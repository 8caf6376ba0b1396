"""SQLite's LIKE folds case for ASCII letters only, so "металлист" would not find
"Металлист". On SQLite connections we replace LIKE with a Unicode-aware version; PostgreSQL's
UPPER()/ILIKE already handle Cyrillic."""

import functools
import re
from collections.abc import Callable

_ANY, _ONE = object(), object()  # the % and _ wildcards, told apart from escaped literals


def _tokens(pattern: str, escape: str | None) -> list[object]:
    tokens: list[object] = []
    characters = iter(pattern)
    for character in characters:
        if escape is not None and character == escape:
            tokens.append(next(characters, ""))
        elif character == "%":
            tokens.append(_ANY)
        elif character == "_":
            tokens.append(_ONE)
        else:
            tokens.append(character)
    return tokens


@functools.lru_cache(maxsize=256)
def _like_matcher(pattern: str, escape: str | None) -> Callable[[str], bool]:
    """A matcher for one pattern. The shapes Django emits for contains / startswith / endswith
    use string methods, since the matcher runs once per scanned row."""
    tokens = _tokens(pattern, escape)
    starts_any = bool(tokens) and tokens[0] is _ANY
    ends_any = len(tokens) > 1 and tokens[-1] is _ANY
    middle = tokens[int(starts_any) : len(tokens) - int(ends_any)]
    if all(isinstance(token, str) for token in middle):
        needle = "".join(middle).lower()  # type: ignore[arg-type]
        if starts_any and ends_any:
            return lambda value: needle in value.lower()
        if ends_any:
            return lambda value: value.lower().startswith(needle)
        if starts_any:
            return lambda value: value.lower().endswith(needle)
        return lambda value: value.lower() == needle
    regex = re.compile(
        "".join(
            ".*" if token is _ANY else "." if token is _ONE else re.escape(token)  # type: ignore[arg-type]
            for token in tokens
        ),
        re.DOTALL | re.IGNORECASE,
    )
    return lambda value: regex.fullmatch(value) is not None


def unicode_like(pattern: str | None, value: str | None, escape: str | None = None) -> bool | None:
    """SQL ``value LIKE pattern [ESCAPE escape]`` with case folded for every alphabet."""
    if pattern is None or value is None:
        return None
    return _like_matcher(pattern, escape)(str(value))


def install_unicode_like(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: teach each new SQLite connection Unicode LIKE."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, lambda pattern, value: unicode_like(pattern, value))
    raw.create_function("like", 3, unicode_like)
