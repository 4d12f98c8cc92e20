"""Wire format of PAYGENT telegrams.

Requests are application/x-www-form-urlencoded in Shift_JIS (Windows-31J); replies are
``key=value`` lines separated by CRLF whose values are URL-encoded in the same charset.
"""
import re
from urllib.parse import quote_plus, unquote_plus

CHARSET = "cp932"  # Windows-31J: Shift_JIS plus the vendor characters shops actually type
MAX_TELEGRAM_BYTES = 100 * 1024

_KEY_LINE = re.compile(r"^[A-Za-z0-9_]+=")


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
    """Encode a reply as PAYGENT does: CRLF-separated key=value, values URL-encoded."""
    lines = []
    for key, value in fields.items():
        text = "" if value is None else str(value)
        if key.endswith("_html"):
            # HTML blocks travel raw and may span lines; PAYGENT puts them last.
            lines.append(f"{key}={text}")
        else:
            lines.append(f"{key}={quote_plus(text, encoding=CHARSET)}")
    html_last = sorted(lines, key=lambda line: line.split("=", 1)[0].endswith("_html"))
    return "\r\n".join(html_last).encode(CHARSET) + b"\r\n"


class MalformedReply(ValueError):
    """The body is not a PAYGENT reply (no key=value lines, or no ``result``)."""


def parse_reply(body: bytes) -> dict:
    """Parse a reply body into a dict of decoded strings.

    Keys ending in ``_html`` carry raw HTML that may span several lines: the lines that
    follow, up to the next ``key=`` line, belong to that value.
    """
    try:
        text = body.decode(CHARSET)
    except UnicodeDecodeError as exc:
        raise MalformedReply(f"not Shift_JIS: {exc}") from exc
    fields: dict[str, str] = {}
    html_key = None
    for line in re.split(r"\r\n|\n", text):
        if html_key and not _KEY_LINE.match(line):
            fields[html_key] += "\r\n" + line
            continue
        html_key = None
        if not line:
            continue
        if "=" not in line:
            raise MalformedReply(f"line without '=': {line[:40]!r}")
        key, value = line.split("=", 1)
        if key.endswith("_html"):
            fields[key] = value
            html_key = key
        else:
            fields[key] = unquote_plus(value, encoding=CHARSET)
    for key in fields:
        if key.endswith("_html"):
            fields[key] = fields[key].rstrip("\r\n")
    if "result" not in fields:
        raise MalformedReply("no result key")
    return fields
