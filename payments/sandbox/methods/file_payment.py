"""ファイル決済 at the sandbox: 200 ファイル決済要求 and 201 ファイル決済結果照会 at
``/n/o/requestdata``.

200 takes the authorisation file from the form field ``data`` (its bytes as sent), checks its
format with the library's own reader (``read_auth_file``: line endings, Windows-31J, records
1/3/4, every column, the trailer's count) and that the header names the merchant that
connected; a file with errors is refused whole (9105, the first error and how many in the
detail). With ``duplicate_check=1`` a file the merchant sent before, byte for byte, is
refused (9102) naming the earlier ``receipt_number``. A taken file gets a receipt number.

Its result is ready ``file_result_seconds`` after it arrived, on the sandbox clock (which the
control API moves); until then 201 answers 9103. The first 201 after that processes it: each
record authorises the customer's most recently stored card exactly as 020 with a stored card
does (a payment at 20 with a notice, or at 11 when the card is declined), or is NG (2051) when
the customer has no stored card at this merchant. 201's reply is the result file itself.

A ``timeout`` fault changes nothing here (PAYGENT answers these alone); the transport faults
(drop, http500, garbage, each optionally after the work is done) hit them as every telegram.
"""
import hashlib

from flask import request

from payments.methods import card as card_lib
from payments.paygent import file_payment as wire
from payments.paygent import stored_card as stored_wire
from payments.paygent.client import PATHS
from payments.paygent.codec import CHARSET, decode_form_bytes, encode_csv

from ..base import Refusal, SandboxMethod, Telegram
from . import card, stored_card

PATH = PATHS[wire.SEND]
DETAILS = {**stored_card.DETAILS,
           wire.FILE_NOT_FOUND: "指定された受付番号のファイルは存在しません。",
           wire.DUPLICATE_FILE: "同一のファイルが既に受け付けられています。",
           wire.PROCESSING: "ファイルは処理中です。",
           wire.FORMAT_ERROR: "ファイルの書式に誤りがあります。"}


def _refused(code: str, detail: str = "", **items) -> dict:
    return {"result": "1", "response_code": code,
            "response_detail": detail or DETAILS.get(code, ""), **items}


def send(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """200: take the file, or refuse it whole."""
    data = decode_form_bytes(request.get_data()).get("data") or b""
    file_name = (fields.get("file_name") or "").strip()
    check = (fields.get("duplicate_check") or "").strip()
    if not data or not file_name:
        raise Refusal("P005")
    if check not in ("", "0", "1"):
        raise Refusal("P009")
    parsed = wire.read_auth_file(data)
    errors = list(parsed.errors)
    if parsed.merchant_id and parsed.merchant_id != merchant_id:
        errors.insert(0, wire.FileError(1, "マーチャントID",
                                        "接続したマーチャントのIDではありません。"))
    if errors:
        more = f"（ほか{len(errors) - 1}件）" if len(errors) > 1 else ""
        return _refused(wire.FORMAT_ERROR, f"{errors[0]}{more}",
                        error_count=str(len(errors)))
    digest = hashlib.sha256(data).hexdigest()
    now = store.now()
    with store.write() as db:
        if check == "1":
            earlier = db.execute("SELECT receipt_number FROM file_payments WHERE merchant_id=? "
                                 "AND digest=? ORDER BY receipt_number LIMIT 1",
                                 (merchant_id, digest)).fetchone()
            if earlier is not None:
                return _refused(wire.DUPLICATE_FILE,
                                receipt_number=str(earlier["receipt_number"]))
        cursor = db.execute(
            "INSERT INTO file_payments(merchant_id, kind, file_name, digest, data, received_at,"
            " ready_at) VALUES(?,?,?,?,?,?,?)",
            (merchant_id, parsed.kind, file_name, digest, data, now,
             now + float(store.setting("file_result_seconds"))))
    return {"result": "0", "receipt_number": str(cursor.lastrowid)}


def result(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """201: the result file, once the file is processed (9103 until it is ready)."""
    receipt = (fields.get("receipt_number") or "").strip()
    if not receipt:
        raise Refusal("P005")
    if not receipt.isdigit() or len(receipt) > 18:
        raise Refusal("P009")
    now = store.now()
    with store.write() as db:
        row = db.execute("SELECT * FROM file_payments WHERE receipt_number=? AND merchant_id=?",
                         (int(receipt), merchant_id)).fetchone()
        if row is None:
            raise Refusal(wire.FILE_NOT_FOUND)
        if now < row["ready_at"]:
            raise Refusal(wire.PROCESSING)
        done = row["result"]
        if done is None:
            done = _process(store, db, row, now)
            db.execute("UPDATE file_payments SET result=? WHERE receipt_number=?",
                       (done, row["receipt_number"]))
    return {"result": "0", "_file": bytes(done).decode(CHARSET)}


def _process(store, db, row, now) -> bytes:
    """Authorise every record as 020 with a stored card would; the result file."""
    data = bytes(row["data"])
    parsed = wire.read_auth_file(data)
    results = {}
    for record, line in zip(parsed.records, parsed.record_lines):
        stored = stored_card.latest_card(db, row["merchant_id"], record.customer_id)
        if stored is None:
            code = stored_wire.CUSTOMER_NOT_FOUND
            results[line] = (wire.RESULT_NG, code, DETAILS[code], "")
            continue
        payment, refused = card.authorize_card(store, db, row["merchant_id"],
                                               record.trading_id, record.amount, stored,
                                               record.payment_class, "", False, now)
        results[line] = ((wire.RESULT_NG, refused, DETAILS.get(refused, ""),
                          str(payment["payment_id"])) if refused else
                         (wire.RESULT_OK, "", "", str(payment["payment_id"])))
    return wire.build_result_file(data, results)


def encode_result(reply: dict) -> bytes:
    """201's reply: the result file; without one (an error) a header alone with the result in
    its 7th–9th columns, where PAYGENT's module reads it."""
    if reply.get("result") == "0" and reply.get("_file"):
        return reply["_file"].encode(CHARSET)
    detail = str(reply.get("response_detail") or "").replace(",", "、")
    return encode_csv([[wire.HEADER, "", "", "", "", "", str(reply.get("result") or "1"),
                        str(reply.get("response_code") or ""), detail]])


FILE_PAYMENT = SandboxMethod(
    lib=card_lib.CARD,
    telegrams=(
        Telegram(wire.SEND, PATH, ("receipt_number",), send, DETAILS),
        Telegram(wire.RESULT, PATH, (), result, DETAILS, encode=encode_result),
    ),
    actions={},
    settle=card.settle,
)

__all__ = ["DETAILS", "FILE_PAYMENT", "encode_result", "result", "send"]
