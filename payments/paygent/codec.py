"""Wire format of PAYGENT telegrams.

Requests are application/x-www-form-urlencoded in Shift_JIS (Windows-31J). Replies are
``key=value`` lines separated by CRLF whose values are raw Shift_JIS text, read the way
PAYGENT's own connection module reads them: split on CRLF, split each line at its first ``=``,
never URL-decode; an item whose key ends in ``_html`` runs to the end of the body.
"""
from urllib.parse import quote_plus, unquote_plus, unquote_to_bytes

CHARSET = "cp932"  # Windows-31J: Shift_JIS plus the vendor characters shops actually type
MAX_TELEGRAM_BYTES = 100 * 1024
#: A file payment telegram (200) carries the whole file: PAYGENT's module allows 10 MB.
MAX_FILE_TELEGRAM_BYTES = 10 * 1024 * 1024
LINE_END = "\r\n"
HTML_SUFFIX = "_html"


def encode_form(fields: dict, limit: int = MAX_TELEGRAM_BYTES) -> bytes:
    """Encode request fields as a Shift_JIS form body; None values are left out. A bytes
    value (a file payment's file, already Windows-31J) is escaped as it stands."""
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        text = (quote_plus(value) if isinstance(value, bytes)
                else quote_plus(str(value), encoding=CHARSET, errors='strict'))
        parts.append(f"{quote_plus(str(key), encoding=CHARSET)}={text}")
    body = "&".join(parts).encode("ascii")
    if len(body) > limit:
        raise ValueError(f"telegram exceeds {limit // 1024} KB")
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


def decode_form_bytes(body: bytes) -> dict:
    """A form body's values as the bytes they stand for (a file payment's file must reach its
    reader byte for byte, not through a text decoding)."""
    fields = {}
    for pair in body.split(b"&"):
        if not pair:
            continue
        key, _, value = pair.partition(b"=")
        fields[unquote_plus(key.decode("ascii", errors="replace"), encoding=CHARSET,
                            errors="replace")] = unquote_to_bytes(value.replace(b"+", b" "))
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


# -- CSV replies (027 照会 and 201 ファイル決済結果照会) -------------------------------------------
# PAYGENT's connection module reads these two kinds as comma-separated records split on CRLF,
# never quoted, the first column being the record's id (1 header, 2 data header, 3 data,
# 4 trailer). A reference reply (027) has the result in the header's columns 2–4 and names its
# data columns in record 2; a file payment result (201) has it in the header's columns 7–9.
REFERENCE_RESULT_AT = 1
FILE_RESULT_AT = 6


def _csv_lines(body: bytes) -> list[list[str]]:
    try:
        text = body.decode(CHARSET)
    except UnicodeDecodeError as exc:
        raise MalformedReply(f"not Shift_JIS: {exc}") from exc
    return [line.split(",") for line in text.split(LINE_END) if line]


def _result_from(columns: list[str], at: int) -> dict:
    values = [columns[i] if i < len(columns) else "" for i in range(at, at + 3)]
    return dict(zip(("result", "response_code", "response_detail"), values))


def parse_reference_reply(body: bytes) -> tuple[dict, list[dict]]:
    """A 027-style reply: its result fields, and one dict per data record keyed by the names
    record 2 gives. A body in ``key=value`` lines (an error PAYGENT answers before reading the
    telegram) is read as such, with no records."""
    if not body.startswith(b"1,"):
        return parse_reply(body), []
    fields, names, rows = None, [], []
    for columns in _csv_lines(body):
        record = columns[0]
        if record == "1" and fields is None:
            fields = _result_from(columns, REFERENCE_RESULT_AT)
        elif record == "2":
            names = columns[1:]
        elif record == "3":
            if len(columns) - 1 != len(names):
                raise MalformedReply("a data record does not match the data header")
            rows.append(dict(zip(names, columns[1:])))
    if not fields or not fields.get("result"):
        raise MalformedReply("no result")
    return fields, rows


def parse_file_reply(body: bytes) -> dict:
    """A 201 reply's result fields (the body itself is the result file). A body in
    ``key=value`` lines is read as such."""
    if not body.startswith(b"1,"):
        return parse_reply(body)
    first = body.split(LINE_END.encode("ascii"), 1)[0]
    fields = _result_from(_csv_lines(first)[0], FILE_RESULT_AT)
    if not fields.get("result"):
        raise MalformedReply("no result")
    return fields


def encode_csv(records) -> bytes:
    """Records (lists of text) as PAYGENT's CSV: comma-separated, never quoted, CRLF after
    each, Windows-31J. A comma, CR or LF inside a value would shift or end its record, so it
    is refused."""
    lines = []
    for columns in records:
        for value in columns:
            if any(c in value for c in ",\r\n"):
                raise ValueError(f"a CSV value holds a comma or a line break: {value!r}")
        lines.append(",".join(columns) + LINE_END)
    return "".join(lines).encode(CHARSET)
