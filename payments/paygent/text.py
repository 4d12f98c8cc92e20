"""Buyers' and shops' text as PAYGENT's fields accept it: 全角 (double-byte) or 半角カナ
(half-width katakana) and at most so many Shift_JIS bytes.

A 半角カナ field takes katakana, digits, upper-case letters and a few marks: hiragana and
full-width katakana are converted (ガ → ｶﾞ, two bytes), what has no half-width form is dropped.
A 全角 field takes double-byte characters: ASCII and half-width katakana are widened, what
Shift_JIS (Windows-31J) cannot carry becomes ？. Truncation never splits a character.
"""
import unicodedata

from .codec import CHARSET

_VOICED, _SEMI = "\u3099", "\u309a"
_HALF_MARKS = {"ﾞ": _VOICED, "ﾟ": _SEMI}


def _half_table() -> dict[str, str]:
    table = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        if half in _HALF_MARKS or full == half:
            continue
        table[full] = half
        for mark, sign in ((_VOICED, "ﾞ"), (_SEMI, "ﾟ")):
            composed = unicodedata.normalize("NFC", full + mark)
            if len(composed) == 1:
                table[composed] = half + sign
    table.update({"ヴ": "ｳﾞ", "ー": "ｰ", "－": "-", "　": " ", "゛": "ﾞ", "゜": "ﾟ"})
    return table


_HALF = _half_table()
_HALF_ALLOWED = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ()-./") | set(_HALF.values()) | {
    "ﾞ", "ﾟ"}


def halfwidth_kana(text: str) -> str:
    """Text as 半角カナ: hiragana and katakana to half-width, letters upper-cased, the rest
    dropped."""
    out = []
    for char in unicodedata.normalize("NFC", text or ""):
        if "\u3041" <= char <= "\u3096":          # hiragana → katakana
            char = chr(ord(char) + 0x60)
        if char in _HALF:
            out.append(_HALF[char])
            continue
        if char in _HALF_ALLOWED:               # already half-width
            out.append(char)
            continue
        narrow = unicodedata.normalize("NFKC", char).upper()
        if len(narrow) == 1 and narrow in _HALF_ALLOWED:
            out.append(narrow)
        elif all(c in _HALF_ALLOWED for c in narrow):
            out.append(narrow)
    return " ".join("".join(out).split())


def fullwidth(text: str) -> str:
    """Text as 全角: ASCII and half-width katakana widened, what Shift_JIS lacks as ？."""
    text = unicodedata.normalize("NFKC", text or "")   # half-width katakana → full-width
    text = " ".join(text.split())
    out = []
    for char in text:
        if char == " ":
            out.append("　")
        elif "!" <= char <= "~":
            out.append(chr(ord(char) + 0xFEE0))
        else:
            try:
                encoded = char.encode(CHARSET)
            except UnicodeEncodeError:
                out.append("？")
                continue
            out.append(char if len(encoded) == 2 else "？")
    return "".join(out)


def sjis_length(text: str) -> int:
    return len(text.encode(CHARSET, errors="replace"))


def truncate(text: str, max_bytes: int) -> str:
    """The longest head of ``text`` that fits ``max_bytes`` Shift_JIS bytes (a voiced mark is
    never left without its kana: ｶﾞ goes whole or not at all)."""
    out, used = [], 0
    for char in text:
        size = len(char.encode(CHARSET, errors="replace"))
        if used + size > max_bytes:
            break
        out.append(char)
        used += size
    if out and out[-1] not in "ﾞﾟ" and len(out) < len(text) and text[len(out)] in "ﾞﾟ":
        out.pop()
    return "".join(out).rstrip(" 　")


def kana_field(text: str, max_bytes: int) -> str:
    return truncate(halfwidth_kana(text), max_bytes)


def wide_field(text: str, max_bytes: int) -> str:
    return truncate(fullwidth(text), max_bytes)


def ascii_field(text: str, max_bytes: int) -> str:
    """半角英数記号: what is not printable ASCII is dropped."""
    narrow = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in narrow if " " <= c <= "~")[:max_bytes].strip()


def digits(text: str) -> str:
    """Half-width digits only (a phone number typed with hyphens or full-width digits)."""
    narrow = unicodedata.normalize("NFKC", text or "")
    return "".join(c for c in narrow if c.isascii() and c.isdigit())
