"""The segment language's tokens: words, quoted texts, operators, colons and parentheses."""

from __future__ import annotations

from dataclasses import dataclass

from evergreen.audience.errors import AudienceInputError

__all__ = ["MAX_LENGTH", "Token", "refuse", "tokenize"]

MAX_LENGTH = 2000
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_WORD_EXTRA = frozenset("_-.+@/")


@dataclass(frozen=True)
class Token:
    """One token: kind (word, text, op, colon, open, close, end), its value and where it starts."""

    kind: str
    value: str
    at: int  # 0-based offset; messages say it 1-based, as "character N"
    end: int = 0  # offset just past it, to tell adjacent tokens (`field."First name"`)


def refuse(at: int, message: str) -> AudienceInputError:
    """The one error of the language: the character it happened at and what was wrong."""
    return AudienceInputError("query", f"at character {at + 1}: {message}")


def is_word_char(char: str) -> bool:
    """Letters and digits of any script, and _ - . + @ /."""
    return char.isalnum() or char in _WORD_EXTRA


def _text(query: str, start: int) -> tuple[str, int]:
    """A quoted text from its opening quote: its value and the offset after its closing quote."""
    out: list[str] = []
    i = start + 1
    while i < len(query):
        char = query[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\":
            if i + 1 >= len(query):
                break
            code = query[i + 1]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
                continue
            if code == "u":
                digits = query[i + 2 : i + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    raise refuse(i, "\\u needs four hexadecimal digits, e.g. \\u00e9")
                point = int(digits, 16)
                if point == 0 or 0xD800 <= point <= 0xDFFF:
                    raise refuse(i, f"\\u{digits} is not a character a text may hold")
                out.append(chr(point))
                i += 6
                continue
            raise refuse(i, f'unknown escape \\{code}; use \\" \\\\ \\n \\t \\r or \\uXXXX')
        if char == "\x00":
            raise refuse(i, "a text may not hold the NUL character")
        out.append(char)
        i += 1
    raise refuse(start, 'this text has no closing quote (")')


def tokenize(query: str) -> list[Token]:
    """The tokens of a query, ending with an `end` token; refuses what no token can start with."""
    if len(query) > MAX_LENGTH:
        raise AudienceInputError(
            "query", f"is {len(query):,} characters long; at most {MAX_LENGTH:,} are allowed"
        )
    tokens: list[Token] = []
    i = 0
    while i < len(query):
        char = query[i]
        if char.isspace():
            i += 1
        elif char == "(":
            tokens.append(Token("open", char, i, i + 1))
            i += 1
        elif char == ")":
            tokens.append(Token("close", char, i, i + 1))
            i += 1
        elif char == ":":
            tokens.append(Token("colon", char, i, i + 1))
            i += 1
        elif char == '"':
            value, after = _text(query, i)
            tokens.append(Token("text", value, i, after))
            i = after
        elif op := next((o for o in _OPERATORS if query.startswith(o, i)), None):
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
        elif is_word_char(char):
            start = i
            while i < len(query) and is_word_char(query[i]):
                i += 1
            tokens.append(Token("word", query[start:i], start, i))
        else:
            raise refuse(i, f"{char!r} has no meaning here; quote texts that contain it")
    tokens.append(Token("end", "", len(query), len(query)))
    return tokens
