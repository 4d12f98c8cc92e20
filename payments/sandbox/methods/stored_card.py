"""カード情報お預かり at the sandbox: PAYGENT's card store, one per merchant (the same customer_id
at two merchants is two customers), and its telegrams at ``/n/card/request``:

- 025 顧客カード情報登録: a token from the sandbox's token service (``card._token``: the same
  2021/2022/2023 as 020) becomes a stored card, its ``customer_card_id`` answered; the token is
  used up. With ``valid_check_flg=1`` the card company is asked first: the declining test card
  is then refused (2003) and not stored.
- 026 顧客カード情報削除: the card is gone (2050 when the customer has no such card).
- 027 顧客カード情報照会: the customer's cards, oldest first, as a CSV reply (record 1 the
  result, 2 the column names, 3 one card each, 4 the count), as PAYGENT's module reads it.

A stored card keeps what its token kept (the test card's behaviour, masked number, brand and
expiry), so 020 with ``stock_card_mode=1`` (``card.authorize``) and a file payment's record
authorise it as they would the token. The rules are the sandbox's own, standing for PAYGENT's.
"""
from payments.methods import card as lib
from payments.paygent import card as card_wire
from payments.paygent import stored_card as wire
from payments.paygent.codec import encode_csv
from payments.paygent.customers import customer_id_problem

from ..base import Refusal, SandboxMethod, Telegram, error_reply
from . import card

PATH = lib.TELEGRAM_PATH
DETAILS = {**card.DETAILS,
           wire.CUSTOMER_NOT_FOUND: "顧客カード情報が登録されていません。"}
#: 027's columns, in order (record 2 names them)
CARD_ITEMS = ("customer_card_id", "card_number", "card_valid_term", "cardholder_name",
              "card_brand")


def _customer(fields: dict) -> str:
    customer_id = (fields.get("customer_id") or "").strip()
    if not customer_id:
        raise Refusal("P005")
    if customer_id_problem(customer_id):
        raise Refusal("P009")
    return customer_id


def register(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """025: store the token's card for the customer."""
    now = store.now()
    customer_id = _customer(fields)
    check = (fields.get("valid_check_flg") or "").strip()
    if check not in ("", "0", wire.VALID_CHECK):
        raise Refusal("P009")
    with store.write() as db:
        token = card._token(db, merchant_id, (fields.get("card_token") or "").strip(), now)
        db.execute("UPDATE card_tokens SET used_at=? WHERE token=?", (now, token["token"]))
        if timeout:
            return error_reply(card_wire.TIMEOUT, DETAILS)
        if check == wire.VALID_CHECK and token["outcome"] == card.DECLINE:
            return error_reply(card_wire.DECLINED, DETAILS)
        cursor = db.execute(
            "INSERT INTO stored_cards(merchant_id, customer_id, outcome, masked_card_number,"
            " card_brand, card_valid_term, created_at) VALUES(?,?,?,?,?,?,?)",
            (merchant_id, customer_id, token["outcome"], token["masked_card_number"],
             token["card_brand"], token["card_valid_term"], now))
        return {"result": "0", "customer_card_id": str(cursor.lastrowid)}


def delete(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """026: remove one of the customer's cards."""
    now = store.now()
    customer_id = _customer(fields)
    with store.write() as db:
        row = card.stored_card(db, merchant_id, customer_id,
                               (fields.get("customer_card_id") or "").strip())
        db.execute("UPDATE stored_cards SET deleted_at=? WHERE customer_card_id=?",
                   (now, row["customer_card_id"]))
    return {"result": "0"}


def inquire(store, merchant_id: str, fields: dict, timeout: bool = False) -> dict:
    """027: the customer's cards (none is an empty list, not an error)."""
    customer_id = _customer(fields)
    rows = store.db.execute("SELECT * FROM stored_cards WHERE merchant_id=? AND customer_id=? "
                            "AND deleted_at IS NULL ORDER BY customer_card_id",
                            (merchant_id, customer_id)).fetchall()
    return {"result": "0", "_rows": [
        {"customer_card_id": str(r["customer_card_id"]), "card_number": r["masked_card_number"],
         "card_valid_term": r["card_valid_term"], "cardholder_name": "",
         "card_brand": r["card_brand"]} for r in rows]}


def latest_card(db, merchant_id: str, customer_id: str):
    """The customer's most recently stored card (what a file payment's record charges), or
    None."""
    return db.execute("SELECT * FROM stored_cards WHERE merchant_id=? AND customer_id=? AND "
                      "deleted_at IS NULL ORDER BY customer_card_id DESC LIMIT 1",
                      (merchant_id, customer_id)).fetchone()


def _csv_text(value) -> str:
    return ("" if value is None else str(value)).replace(",", "、")


def encode_reference(reply: dict) -> bytes:
    """027's reply as PAYGENT's module reads a reference: 1 result, 2 names, 3 rows, 4 count."""
    rows = reply.get("_rows") or []
    lines = [["1", _csv_text(reply.get("result")), _csv_text(reply.get("response_code")),
              _csv_text(reply.get("response_detail"))]]
    if reply.get("result") == "0":
        lines.append(["2", *CARD_ITEMS])
        lines += [["3", *(_csv_text(row.get(item)) for item in CARD_ITEMS)] for row in rows]
    lines.append(["4", str(len(rows))])
    return encode_csv(lines)


STORED_CARD = SandboxMethod(
    lib=lib.CARD,
    telegrams=(
        Telegram(wire.REGISTER, PATH, ("customer_card_id",), register, DETAILS),
        Telegram(wire.DELETE, PATH, (), delete, DETAILS),
        Telegram(wire.INQUIRE, PATH, (), inquire, DETAILS, encode=encode_reference),
    ),
    actions={},
    settle=card.settle,
)


def seed_card(store, merchant_id: str, customer_id: str, number: str = card.APPROVED_CARD,
              valid_term: str = "1230") -> str:
    """A test card already in the merchant's card store, as 025 would have left it (for demo
    data, which is seeded before anything serves the sandbox); returns its customer_card_id.
    The same customer and masked number again is the card already there."""
    masked = number[:6] + "*" * (len(number) - 10) + number[-4:]  # as a token shows it
    with store.write() as db:
        row = db.execute("SELECT customer_card_id FROM stored_cards WHERE merchant_id=? AND "
                         "customer_id=? AND masked_card_number=? AND deleted_at IS NULL",
                         (merchant_id, customer_id, masked)).fetchone()
        if row is not None:
            return str(row[0])
        cursor = db.execute(
            "INSERT INTO stored_cards(merchant_id, customer_id, outcome, masked_card_number,"
            " card_brand, card_valid_term, created_at) VALUES(?,?,?,?,?,?,?)",
            (merchant_id, customer_id, card.OUTCOMES.get(number, card.APPROVE), masked,
             card._brand(number), valid_term, store.now()))
        return str(cursor.lastrowid)
