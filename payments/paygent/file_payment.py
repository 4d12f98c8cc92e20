"""ファイル決済: the authorisation file of stored cards (取引ファイル), its result file, and the
telegrams that carry them, 200 ファイル決済要求 and 201 ファイル決済結果照会 at
/n/o/requestdata (in production on PAYGENT's own file host, see ``client.FILE_HOSTS``).

The file is what seed 002 shows: Windows-31J, comma-separated and never quoted, CR+LF after
every record; a header record (1), one data record (3) per order, a trailer record (4) with
the number of data records. The result file is each record of the sent file with PAYGENT's
result columns appended. docs/file-payment.md lays them out column by column and says which
of these facts are unconfirmed.

Pure functions; ``send_file`` and ``fetch_result`` only hand fields to a ``PaygentClient``.
Money is an int of yen.
"""
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import codes
from .codec import CHARSET, LINE_END, encode_csv
from .customers import customer_id_problem
from .results import Outcome, TelegramResult

SEND, RESULT = "200", "201"
AUTHORIZE_KIND = "020"          # 取引種別 オーソリ (seed 002: 021 is 売上, not built here)
KINDS = (AUTHORIZE_KIND,)

HEADER, DATA, TRAILER = "1", "3", "4"
#: The header as we write it: レコードID, 取引種別, マーチャントID and three empty columns (PAYGENT's
#: connection module reads the result file's header result from the 7th column).
HEADER_COLUMNS = 6
#: A data record: columns A..O of seed 002; the others stay empty.
DATA_COLUMNS = 15
COL_TRADING_ID, COL_AMOUNT, COL_PAYMENT_CLASS, COL_PREVIOUS, COL_CUSTOMER = 2, 4, 7, 11, 13
TRAILER_COLUMNS = 2
#: Column letters as the seed's spreadsheet shows them, for the error messages.
LETTERS = "ABCDEFGHIJKLMNO"

#: 支払区分 a file may carry (分割 needs a count the layout has no column for)
PAYMENT_CLASSES = {"10": "一括", "23": "ボーナス一括", "80": "リボ"}
MAX_AMOUNT = 9_999_999
#: PAYGENT's screen lists the first 51 errors of a file; we keep as many.
MAX_ERRORS = 51

_MERCHANT_ID = re.compile(r"[0-9]{1,9}\Z")
_TRADING_ID = re.compile(r"[A-Za-z0-9_]{1,25}\Z")

# response codes (the sandbox's choice except 9103, see docs/file-payment.md)
FILE_NOT_FOUND = "9101"     # 201: no file under this receipt number
DUPLICATE_FILE = "9102"     # 200 with duplicate_check: this file was taken before
PROCESSING = "9103"         # 201: still being processed
FORMAT_ERROR = "9105"       # 200: the file breaks the format (the detail names the first error)
RESULT_OK, RESULT_NG = "0", "1"


# -- the authorisation file ---------------------------------------------------------------
@dataclass(frozen=True)
class AuthRecord:
    trading_id: str                 # 注文番号
    amount: int                     # 請求金額, yen, > 0
    customer_id: str                # 顧客番号
    previous_trading_id: str = ""   # 直前回の注文番号
    payment_class: str = "10"       # 支払区分 10 = 一括


@dataclass(frozen=True)
class FileError:
    line: int           # 1-based record number in the file (0: the file as a whole)
    field: str          # the item, in PAYGENT's words
    message: str        # Japanese

    def __str__(self) -> str:
        where = f"{self.line}行目 " if self.line else ""
        return f"{where}{self.field}：{self.message}"


@dataclass
class AuthFile:
    kind: str
    merchant_id: str
    records: list[AuthRecord] = field(default_factory=list)
    record_lines: list[int] = field(default_factory=list)   # the line of each record
    count: int | None = None                                # the trailer's 合計件数
    errors: list[FileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return sum(r.amount for r in self.records)


def _trading_id_problem(value: str, required: bool = True) -> str:
    if not value:
        return "指定されていません。" if required else ""
    if not _TRADING_ID.match(value):
        return "半角英数字と「_」の25文字以内で指定してください。"
    return ""


def _record_problems(record: AuthRecord) -> list[tuple[str, str]]:
    """(field, message) for what is wrong with a record; empty when it may be sent."""
    problems = []
    problem = _trading_id_problem(record.trading_id)
    if problem:
        problems.append(("注文番号", problem))
    amount = record.amount
    if isinstance(amount, bool) or not isinstance(amount, int):
        problems.append(("請求金額", "円の整数で指定してください。"))
    elif amount < 1:
        problems.append(("請求金額", "1円以上で指定してください。"))
    elif amount > MAX_AMOUNT:
        problems.append(("請求金額", f"上限（{MAX_AMOUNT:,}円）を超えています。"))
    if record.payment_class not in PAYMENT_CLASSES:
        problems.append(("支払区分", "10（一括）・23（ボーナス一括）・80（リボ）のいずれかを指定して"
                                     "ください。"))
    problem = _trading_id_problem(record.previous_trading_id, required=False)
    if problem:
        problems.append(("直前回の注文番号", problem))
    if customer_id_problem(record.customer_id):
        problems.append(("顧客番号", "半角英数字と「-」「_」の20文字以内で指定してください。"
                         if record.customer_id else "指定されていません。"))
    return problems


def build_auth_file(merchant_id: str, records: Sequence[AuthRecord],
                    kind: str = AUTHORIZE_KIND) -> bytes:
    """The file to upload: header, one data record per order, trailer; Windows-31J, CR+LF after
    every record. Raises ValueError naming the first bad value (and its record)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if not isinstance(merchant_id, str) or not _MERCHANT_ID.match(merchant_id):
        raise ValueError("merchant_id is PAYGENT's digits (up to 9)")
    if not records:
        raise ValueError("a file needs at least one record")
    seen = set()
    lines = [[HEADER, kind, merchant_id] + [""] * (HEADER_COLUMNS - 3)]
    for number, record in enumerate(records, start=1):
        problems = _record_problems(record)
        if problems:
            raise ValueError(f"record {number} ({record.trading_id!r}): "
                             f"{problems[0][0]} {problems[0][1]}")
        if record.trading_id in seen:
            raise ValueError(f"record {number}: trading_id {record.trading_id!r} twice")
        seen.add(record.trading_id)
        columns = [""] * DATA_COLUMNS
        columns[0] = DATA
        columns[COL_TRADING_ID] = record.trading_id
        columns[COL_AMOUNT] = str(record.amount)
        columns[COL_PAYMENT_CLASS] = record.payment_class
        columns[COL_PREVIOUS] = record.previous_trading_id
        columns[COL_CUSTOMER] = record.customer_id
        lines.append(columns)
    lines.append([TRAILER, str(len(records))])
    return encode_csv(lines)


class _Errors(list):
    """At most MAX_ERRORS errors, as PAYGENT's screen lists them; ``more`` counts the rest."""

    def __init__(self):
        super().__init__()
        self.more = 0

    def add(self, line: int, field_name: str, message: str) -> None:
        if len(self) < MAX_ERRORS:
            self.append(FileError(line, field_name, message))
        else:
            self.more += 1


def _split_records(data: bytes, errors: _Errors) -> list[tuple[int, list[str]]]:
    """(line number, columns) of each record; a line that is not Windows-31J or not ended by
    CR+LF is an error of that line (and is still read as far as it can be)."""
    if not isinstance(data, (bytes, bytearray)):
        errors.add(0, "ファイル", "ファイルの内容がありません。")
        return []
    if not data:
        errors.add(0, "ファイル", "ファイルが空です。")
        return []
    raw_lines = bytes(data).split(b"\n")
    last = raw_lines.pop()   # what follows the final LF: empty when the file ends with CR+LF
    if last:
        raw_lines.append(last)
    records = []
    for number, raw in enumerate(raw_lines, start=1):
        ended = not (last and number == len(raw_lines))
        if not ended:
            errors.add(number, "改行コード", "最後のレコードの後にCR+LFがありません。")
        elif raw.endswith(b"\r"):
            raw = raw[:-1]
        else:
            errors.add(number, "改行コード", "改行コードはCR+LFにしてください。")
        if b"\r" in raw:
            errors.add(number, "改行コード", "レコードの途中にCRがあります。")
            raw = raw.replace(b"\r", b"")
        try:
            text = raw.decode(CHARSET)
        except UnicodeDecodeError:
            errors.add(number, "文字コード", "Windows-31J（Shift_JIS）として読めない文字があります。")
            text = raw.decode(CHARSET, errors="replace")
        records.append((number, text.split(",")))
    return records


def _columns_problem(columns: list[str], expected: int, minimum: int | None = None) -> str:
    minimum = expected if minimum is None else minimum
    if minimum <= len(columns) <= expected:
        return ""
    want = f"{expected}項目" if minimum == expected else f"{minimum}〜{expected}項目"
    return f"項目数が正しくありません（{len(columns)}項目、正しくは{want}）。"


def read_auth_file(data: bytes) -> AuthFile:
    """The authorisation file read back, every problem an error with its line (the first 51).
    Never raises; ``AuthFile.ok`` says whether it may be sent."""
    errors = _Errors()
    lines = _split_records(data, errors)
    result = AuthFile("", "", errors=errors)
    if not lines:
        return _finish(result, errors)
    trailer_at = None
    seen: dict[str, int] = {}
    for number, columns in lines:
        record_id = columns[0]
        if number == 1:
            if record_id != HEADER:
                errors.add(1, "レコードID", "1行目はヘッダレコード（レコードID 1）にしてください。")
                continue
            _read_header(columns, result, errors)
            continue
        if trailer_at is not None:
            errors.add(number, "レコードID", "トレーラレコード（レコードID 4）の後にレコードがあります。")
            continue
        if record_id == DATA:
            _read_data(number, columns, result, errors, seen)
        elif record_id == TRAILER:
            trailer_at = number
            _read_trailer(number, columns, result, errors)
        elif record_id == HEADER:
            errors.add(number, "レコードID", "ヘッダレコード（レコードID 1）は1行目に1つだけです。")
        else:
            errors.add(number, "レコードID", "レコードIDは1・3・4のいずれかです。")
    data_lines = sum(1 for number, columns in lines if number > 1 and columns[0] == DATA
                     and (trailer_at is None or number < trailer_at))
    if trailer_at is None:
        errors.add(len(lines) + 1, "トレーラレコード", "トレーラレコード（レコードID 4）がありません。")
    elif result.count is not None and result.count != data_lines:
        errors.add(trailer_at, "合計件数", f"合計件数（{result.count}件）がデータレコードの件数"
                                         f"（{data_lines}件）と一致しません。")
    if not data_lines:
        errors.add(2, "データレコード", "データレコード（レコードID 3）がありません。")
    return _finish(result, errors)


def _finish(result: AuthFile, errors: _Errors) -> AuthFile:
    if errors.more:  # the screen stops listing; say that more were found
        errors[-1] = FileError(errors[-1].line, errors[-1].field,
                               f"{errors[-1].message}（ほか{errors.more}件のエラーは省略）")
    result.errors = list(errors)
    return result


def _read_header(columns, result: AuthFile, errors: _Errors) -> None:
    problem = _columns_problem(columns, HEADER_COLUMNS, 3)
    if problem:
        errors.add(1, "ヘッダレコード", problem)
    if any(columns[3:HEADER_COLUMNS]):
        errors.add(1, "ヘッダレコード", "4項目め以降は空欄にしてください。")
    kind = columns[1] if len(columns) > 1 else ""
    merchant_id = columns[2] if len(columns) > 2 else ""
    if kind not in KINDS:
        errors.add(1, "取引種別", "取引種別はオーソリ（020）を指定してください。")
    if not _MERCHANT_ID.match(merchant_id):
        errors.add(1, "マーチャントID", "ペイジェントから付与された半角数字のマーチャントIDを指定して"
                                      "ください。")
    result.kind, result.merchant_id = kind, merchant_id


def _read_data(number, columns, result: AuthFile, errors: _Errors, seen: dict) -> None:
    problem = _columns_problem(columns, DATA_COLUMNS)
    if problem:
        errors.add(number, "データレコード", problem)
        return
    used = {0, COL_TRADING_ID, COL_AMOUNT, COL_PAYMENT_CLASS, COL_PREVIOUS, COL_CUSTOMER}
    for index, value in enumerate(columns):
        if index not in used and value:
            errors.add(number, f"{LETTERS[index]}列", "この項目は空欄にしてください。")
    amount_text = columns[COL_AMOUNT]
    amount = None
    if not amount_text:
        errors.add(number, "請求金額", "指定されていません。")
    elif not (amount_text.isascii() and amount_text.isdigit()):
        errors.add(number, "請求金額", "半角数字で指定してください。")
    else:
        amount = int(amount_text)
    record = AuthRecord(columns[COL_TRADING_ID], amount if amount is not None else 0,
                        columns[COL_CUSTOMER], columns[COL_PREVIOUS],
                        columns[COL_PAYMENT_CLASS])
    problems = [p for p in _record_problems(record)
                if not (p[0] == "請求金額" and amount is None)]
    for field_name, message in problems:
        errors.add(number, field_name, message)
    if record.trading_id in seen:
        errors.add(number, "注文番号", f"{seen[record.trading_id]}行目と重複しています。")
    elif record.trading_id:
        seen[record.trading_id] = number
    if not problems and amount is not None:
        result.records.append(record)
        result.record_lines.append(number)


def _read_trailer(number, columns, result: AuthFile, errors: _Errors) -> None:
    problem = _columns_problem(columns, TRAILER_COLUMNS)
    if problem:
        errors.add(number, "トレーラレコード", problem)
    count = columns[1] if len(columns) > 1 else ""
    if not (count.isascii() and count.isdigit()):
        errors.add(number, "合計件数", "半角数字で指定してください。")
        return
    result.count = int(count)


# -- the result file ----------------------------------------------------------------------
@dataclass(frozen=True)
class ResultRecord:
    line: int
    trading_id: str
    amount: int
    ok: bool
    payment_id: str
    response_code: str
    response_detail: str


@dataclass
class ResultFile:
    kind: str
    merchant_id: str
    records: list[ResultRecord] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)   # at most 51, as PAYGENT's screen

    @property
    def ng(self) -> list[ResultRecord]:
        return [r for r in self.records if not r.ok]


#: Where the result columns start in each record of the result file
RESULT_AT = {HEADER: HEADER_COLUMNS, DATA: DATA_COLUMNS, TRAILER: TRAILER_COLUMNS}


def result_columns(record_id: str, columns: list[str]) -> tuple[str, str, str, str]:
    """(result, response code, response detail, payment_id) appended to a record."""
    at = RESULT_AT.get(record_id, len(columns))
    values = columns[at:at + 4] + [""] * 4
    return values[0], values[1], values[2], values[3] if record_id == DATA else ""


def build_result_file(sent: bytes, results: dict[int, tuple[str, str, str, str]]) -> bytes:
    """The result file of ``sent``: each of its records with ``results[line]`` (result, code,
    detail, and payment_id for a data record) appended. What PAYGENT makes; the sandbox
    uses it, and tests of the reader."""
    lines = []
    for number, raw in enumerate(sent.split(b"\r\n")[:-1], start=1):
        columns = raw.decode(CHARSET).split(",")
        record_id = columns[0]
        width = RESULT_AT.get(record_id, len(columns))
        columns = (columns + [""] * width)[:width]
        result, code, detail, payment_id = results.get(number, (RESULT_OK, "", "", ""))
        columns += [result, code, detail.replace(",", "、")]
        if record_id == DATA:
            columns.append(payment_id)
        lines.append(columns)
    return encode_csv(lines)


def read_result_file(data: bytes) -> ResultFile:
    """PAYGENT's result file: every data record with its outcome and payment_id. Never raises:
    what cannot be read is an error naming its line and item (the first 51)."""
    errors = _Errors()
    lines = _split_records(data, errors)
    result = ResultFile("", "")
    trailer = None
    for number, columns in lines:
        record_id = columns[0]
        outcome, code, detail, payment_id = result_columns(record_id, columns)
        if record_id == HEADER and number == 1:
            result.kind = columns[1] if len(columns) > 1 else ""
            result.merchant_id = columns[2] if len(columns) > 2 else ""
            if len(columns) < HEADER_COLUMNS + 1:
                errors.add(number, "処理結果", "ヘッダレコードに処理結果がありません。")
            elif outcome != RESULT_OK:
                errors.add(number, "ヘッダレコード", _said(code, detail))
        elif record_id == DATA:
            _read_result_data(number, columns, result, errors)
        elif record_id == TRAILER:
            trailer = (number, columns)
            if len(columns) > TRAILER_COLUMNS and outcome not in (RESULT_OK, ""):
                errors.add(number, "トレーラレコード", _said(code, detail))
        else:
            errors.add(number, "レコードID", "レコードIDは1・3・4のいずれかです。")
    if lines and lines[0][1][0] != HEADER:
        errors.add(1, "レコードID", "1行目がヘッダレコード（レコードID 1）ではありません。")
    if lines and trailer is None:
        errors.add(len(lines) + 1, "トレーラレコード", "トレーラレコード（レコードID 4）がありません。")
    elif trailer is not None:
        count = trailer[1][1] if len(trailer[1]) > 1 else ""
        if not (count.isascii() and count.isdigit()) or int(count) != len(result.records):
            errors.add(trailer[0], "合計件数", f"合計件数（{count}）がデータレコードの件数"
                                             f"（{len(result.records)}件）と一致しません。")
    _finish_result(result, errors)
    return result


def _said(code: str, detail: str) -> str:
    text = detail or codes.explain(code)
    return f"{text}（{code}）" if code else text or "処理結果がエラーです。"


def _read_result_data(number, columns, result: ResultFile, errors: _Errors) -> None:
    if len(columns) < DATA_COLUMNS + 2:
        errors.add(number, "処理結果", "データレコードに処理結果がありません。")
        return
    outcome, code, detail, payment_id = result_columns(DATA, columns)
    amount_text = columns[COL_AMOUNT]
    amount = int(amount_text) if amount_text.isascii() and amount_text.isdigit() else 0
    if not amount:
        errors.add(number, "請求金額", f"請求金額（{amount_text}）を読めません。")
    if outcome not in (RESULT_OK, RESULT_NG):
        errors.add(number, "処理結果", f"処理結果（{outcome}）を読めません。")
    ok = outcome == RESULT_OK
    if ok and not payment_id.isdigit():
        errors.add(number, "決済ID", "オーソリOKのレコードに決済IDがありません。")
    result.records.append(ResultRecord(number, columns[COL_TRADING_ID], amount, ok,
                                       payment_id, code, detail))


def _finish_result(result: ResultFile, errors: _Errors) -> None:
    if errors.more:
        errors[-1] = FileError(errors[-1].line, errors[-1].field,
                               f"{errors[-1].message}（ほか{errors.more}件のエラーは省略）")
    result.errors = list(errors)


# -- 200 / 201 ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Sent:      # 200
    outcome: Outcome
    receipt: str        # 受付番号 (with DUPLICATE_FILE: the earlier file's, when PAYGENT says)
    code: str
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def duplicate(self) -> bool:
        return self.code == DUPLICATE_FILE


@dataclass(frozen=True)
class Fetched:   # 201
    state: str   # "done" | "pending" (9103: still being processed) | "error" | "unknown"
    file: ResultFile | None
    data: bytes
    code: str
    message: str


def _message(result: TelegramResult) -> str:
    return "" if result.ok else (result.detail or codes.explain(result.code))


def send_fields(data: bytes, file_name: str, duplicate_check: bool = True) -> dict:
    """200's own fields: the file as it stands in ``data``, its name, the duplicate check."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ValueError("data is the file's bytes")
    name = file_name.strip() if isinstance(file_name, str) else ""
    if not name or not name.isascii() or any(c in name for c in "/\\\r\n"):
        raise ValueError("file_name is an ASCII file name")
    return {"data": bytes(data), "file_name": name,
            "duplicate_check": "1" if duplicate_check else "0"}


def read_sent(result: TelegramResult) -> Sent:
    receipt = result.get("receipt_number")
    if result.ok and not receipt:  # taken, yet no number to ask with: not settled
        return Sent(Outcome.UNKNOWN, "", result.code, codes.explain(codes.MALFORMED_REPLY))
    return Sent(result.outcome, receipt, result.code, _message(result))


def read_fetched(result: TelegramResult) -> Fetched:
    if result.ok:
        return Fetched("done", read_result_file(result.body), result.body, "", "")
    if result.code == PROCESSING:
        return Fetched("pending", None, b"", result.code, _message(result))
    state = "unknown" if result.unknown else "error"
    return Fetched(state, None, b"", result.code, _message(result))


def send_file(client, data: bytes, file_name: str, duplicate_check: bool = True) -> Sent:
    """200: upload the file. With ``duplicate_check`` PAYGENT refuses a file it took before
    (``DUPLICATE_FILE``, naming that file's receipt number when it does)."""
    return read_sent(client.send(SEND, **send_fields(data, file_name, duplicate_check)))


def fetch_result(client, receipt: str) -> Fetched:
    """201: the result file of the upload ``receipt`` names, once PAYGENT has processed it."""
    text = receipt.strip() if isinstance(receipt, str) else ""
    if not text.isascii() or not text.isdigit():
        raise ValueError("receipt is PAYGENT's receipt number (digits)")
    return read_fetched(client.send(RESULT, receipt_number=text))


__all__ = ["AuthFile", "AuthRecord", "DUPLICATE_FILE", "FILE_NOT_FOUND", "FORMAT_ERROR",
           "FileError", "Fetched", "LINE_END", "MAX_ERRORS", "PROCESSING", "ResultFile",
           "ResultRecord", "Sent", "build_auth_file", "build_result_file", "fetch_result",
           "read_auth_file", "read_result_file", "send_file"]
