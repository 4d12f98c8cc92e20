"""Wire format of PAYGENT telegrams.

Requests are application/x-www-form-urlencoded in Shift_JIS (Windows-31J). Replies are
``key=value`` lines separated by CRLF whose values are raw Shift_JIS text, read the way
PAYGENT's own connection module reads them: split on CRLF, split each line at its first ``=``,
never URL-decode; an item whose key ends in ``_html`` runs to the end of the body.
"""
from urllib.parse import quote_plus, unquote_plus

CHARSET = "cp932"  # Windows-31J: Shift_JIS plus the vendor characters shops actually type
MAX_TELEGRAM_BYTES = 100 * 1024
LINE_END = "\r\n"
HTML_SUFFIX = "_html"


def encode_form(fields: dict) -> bytes:
    """Encode request fields as a Shift_JIS form body; None values are left out."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        parts.append(f"{quote_plus(str(key), encoding=CHARSET)}="
                     f"{quote_plus(str(value), encoding=CHARSET, errors='strict')}")
    body = "&".join(parts).encode("ascii")
    if len(body) > MAX_TELEGRAM_BYTES:
        raise ValueError("telegram exceeds 100 KB")
    return body


def decode_form(body: bytes) -> dict:
    """Decode a Shift_JIS form body (what PAYGENT POSTs to a shop, or what a shop sends)."""
    fields = {}
    text = body.decode("ascii", errors="replace")
    for pair in text.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        fields[unquote_plus(key, encoding=CHARSET)] = unquote_plus(
            value, encoding=CHARSET, errors="replace")
    return fields


def encode_reply(fields: dict) -> bytes:
    """Encode a reply as PAYGENT does: CRLF-separated ``key=value``, values raw Shift_JIS.

    An ``_html`` item goes last, its value starting on the line after ``key=`` and running to
    the end of the body (PAYGENT's module takes every line after the key's own line, so a
    trailing CRLF would become part of the value). A line break anywhere else would end the
    item early, or forge another one, so it is refused: the caller flattens free text first.
    """
    lines, html = [], None
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if not key or "=" in key or "\r" in key or "\n" in key:
            raise ValueError(f"not a reply item name: {key!r}")
        if key.endswith(HTML_SUFFIX):
            if html is not None:  # the module would read both as one item
                raise ValueError("a reply carries at most one _html item")
            html = (key, text)
        elif "\r" in text or "\n" in text:
            raise ValueError(f"reply item {key} holds a line break")
        else:
            lines.append(f"{key}={text}{LINE_END}")
    if html is not None:
        lines.append(f"{html[0]}={LINE_END}{html[1]}")
    return "".join(lines).encode(CHARSET)


class MalformedReply(ValueError):
    """The body is not a PAYGENT reply (not Shift_JIS, or no ``result``)."""


def parse_reply(body: bytes) -> dict:
    """Parse a reply body into a dict of strings, as PAYGENT's connection module does.

    Lines are split on CRLF and each at its first ``=``; the value is taken as it stands
    (``+`` and ``%`` are characters, not escapes); a line without ``=`` is skipped. From a
    key ending in ``_html`` on, the rest of the body is that item's value. PAYGENT starts
    it on the next line; text on the key's own line (which the module would drop) is kept.
    Decoding first is safe: CR, LF and ``=`` never occur inside a Shift_JIS character.
    """
    try:
        text = body.decode(CHARSET)
    except UnicodeDecodeError as exc:
        raise MalformedReply(f"not Shift_JIS: {exc}") from exc
    fields: dict[str, str] = {}
    lines = text.split(LINE_END)
    for index, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key.endswith(HTML_SUFFIX):
            rest = LINE_END.join(lines[index + 1:])
            fields[key] = value + LINE_END + rest if value else rest
            break
        fields[key] = value
    if not fields.get("result"):
        raise MalformedReply("no result")
    return fields
