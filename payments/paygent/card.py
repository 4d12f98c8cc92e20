"""クレジットカード決済 telegrams (020–023, 028, 029, 450 at /n/card/request): their fields built
from plain values, their replies read, and the check of the 3-D Secure 2.0 result that the
issuer's page brings back to the shop. Pure functions; ``send_*`` only hand the fields to a
``PaygentClient``. docs/card.md has the wire contract and what of it is unconfirmed.

Money is an int of yen. Card numbers never pass through here: the browser turns them into a
token with PAYGENT's token script, and only the token travels.
"""
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from payments.methods.card import (AUTH_CANCEL, AUTH_CHANGE, AUTHORIZE, CAPTURE_KIND,
                                   SALES_CANCEL, SALES_CHANGE, TDS2, TELEGRAM_PATH)

from .customers import check_card_id, check_customer_id
from .results import TelegramResult

PATH = TELEGRAM_PATH

#: 支払い回数 (the cart's keys) → PAYGENT's payment_class
PAYMENT_CLASSES = {"lump": "10", "bonus": "23", "split": "61", "revo": "80"}
PAYMENT_CLASS_NAMES = {"lump": "一括払い", "split": "分割払い", "revo": "リボ払い",
                       "bonus": "ボーナス一括払い"}
#: 分割回数 a shop may offer
SPLIT_COUNTS = (2, 3, 4, 5, 6, 10, 12, 15, 18, 20, 24)

CARD_SET_CUSTOMER = "customer"  # 450 card_set_method of a stored card (unconfirmed)
STOCK_CARD_MODE = "1"         # 020 stock_card_mode: the card stored at PAYGENT (カード情報お預かり)
TDS_USE_TYPE_2 = "2"           # 3dsecure_use_type: the 3-D Secure 2.0 result rides on 020
AUTHENTICATION_TYPE = "01"     # 450 authentication_type: a payment
LOGIN_GUEST, LOGIN_MEMBER = "01", "02"

#: What the issuer's page brings back to the term URL (and its hash covers, in this order).
TDS_RESULT_FIELDS = ("result", "3ds_auth_id", "attempt_kbn")
ATTEMPT_NORMAL, ATTEMPT_CAUTION = "0", "1"   # attempt_kbn; "" when fully authenticated

# response_code values the cart reacts to (see docs/card.md; 2021 is in the seed, the others
# are the sandbox's choice)
TDS_ABANDONED = "2001"
TDS_FAILED = "2002"
DECLINED = "2003"
CAPTURE_REFUSED = "2004"
TIMEOUT = "2005"
TDS_RESULT_INVALID = "2010"
TOKEN_NOT_FOUND = "2021"
TOKEN_EXPIRED = "2022"
TOKEN_USED = "2023"
CHANGE_HALF_DONE = "2040"   # 028/029: the new payment exists, the old one is not cancelled
#: Codes after which the buyer may simply try again with a fresh token (the card form).
RETRY_WITH_NEW_TOKEN = frozenset({TOKEN_NOT_FOUND, TOKEN_EXPIRED, TOKEN_USED})


# -- building ------------------------------------------------------------------------------
def _yen(amount) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError("amount must be an int of yen")
    if amount < 1:
        raise ValueError("amount must be 1 yen or more")
    return str(amount)


def _text(value, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} is required")
    return value.strip()


def payment_class_fields(payment_class: str = "lump", split_count: int | None = None) -> dict:
    """``payment_class`` (and ``split_count`` for 分割払い, which needs one of SPLIT_COUNTS)."""
    if payment_class not in PAYMENT_CLASSES:
        raise ValueError(f"unknown payment class: {payment_class!r}")
    fields = {"payment_class": PAYMENT_CLASSES[payment_class]}
    if payment_class == "split":
        if isinstance(split_count, bool) or split_count not in SPLIT_COUNTS:
            raise ValueError(f"split_count must be one of {SPLIT_COUNTS}")
        fields["split_count"] = str(split_count)
    elif split_count is not None:
        raise ValueError("split_count goes with 分割払い only")
    return fields


def authorize_fields(*, trading_id: str, amount: int, token: str | None = None,
                     payment_class: str = "lump", split_count: int | None = None,
                     capture: bool = False, security_code: bool = True,
                     tds_auth_id: str | None = None, customer_id: str | None = None,
                     customer_card_id: str | None = None) -> dict:
    """020 オーソリ. ``capture`` sends ``sales_mode=1`` (同時売上: オーソリ+売上確定);
    ``tds_auth_id`` carries the 3-D Secure 2.0 result (``3dsecure_use_type=2``), without it
    3-D Secure is skipped (``3dsecure_ryaku=1``).

    With ``customer_id`` and ``customer_card_id`` it authorises a card stored at PAYGENT
    (``stock_card_mode=1``) instead of a token's. A token may then come along only as the
    security code's (``security_code_token=1``); without one no security code is asked for."""
    stored = customer_id is not None or customer_card_id is not None
    fields = {"trading_id": _text(trading_id, "trading_id"), "payment_amount": _yen(amount)}
    if stored:
        fields.update(stock_card_mode=STOCK_CARD_MODE,
                      customer_id=check_customer_id(customer_id),
                      customer_card_id=check_card_id(customer_card_id))
        if token is not None:
            fields.update(card_token=_text(token, "token"), security_code_token="1")
        else:
            security_code = False
    else:
        fields["card_token"] = _text(token, "token")
    fields.update(payment_class_fields(payment_class, split_count))
    fields["sales_mode"] = "1" if capture else "0"
    if security_code:
        fields["security_code_use"] = "1"
    if tds_auth_id:
        fields["3dsecure_use_type"] = TDS_USE_TYPE_2
        fields["3ds_auth_id"] = _text(tds_auth_id, "tds_auth_id")
    else:
        fields["3dsecure_ryaku"] = "1"
    return fields


def tds2_fields(*, trading_id: str, amount: int, token: str | None = None, term_url: str,
                merchant_name: str, cardholder_name: str = "", email: str = "",
                member: bool = False, http_accept: str = "", http_user_agent: str = "",
                customer_id: str | None = None, customer_card_id: str | None = None) -> dict:
    """450 3Dセキュア2.0認証: asks for the issuer's authentication of the token's card (or,
    with ``customer_id`` and ``customer_card_id``, of a card stored at PAYGENT:
    ``card_set_method=customer``, unconfirmed) for this amount; the issuer's page sends the
    buyer back to ``term_url`` with the result."""
    parts = urlsplit(_text(term_url, "term_url"))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("term_url must be an absolute http(s) URL")
    name = _text(merchant_name, "merchant_name")
    if not name.isascii():
        raise ValueError("merchant_name is 半角英数字記号")
    if customer_id is not None or customer_card_id is not None:
        card = {"card_set_method": CARD_SET_CUSTOMER,
                "customer_id": check_customer_id(customer_id),
                "customer_card_id": check_card_id(customer_card_id)}
    else:
        card = {"card_token": _text(token, "token"), "card_set_method": "token"}
    fields = {"trading_id": _text(trading_id, "trading_id"), "payment_amount": _yen(amount),
              **card, "term_url": term_url.strip(), "merchant_name": name,
              "authentication_type": AUTHENTICATION_TYPE,
              "login_type": LOGIN_MEMBER if member else LOGIN_GUEST}
    optional = {"cardholder_name": cardholder_name, "email_address": email,
                "http_accept": http_accept, "http_user_agent": http_user_agent}
    fields.update({k: v.strip() for k, v in optional.items() if v and v.strip()})
    return fields


def _payment(payment_id) -> dict:
    text = str(payment_id or "").strip()
    if not text.isdigit():
        raise ValueError("payment_id is PAYGENT's digits")
    return {"payment_id": text}


def cancel_authorization_fields(payment_id: str) -> dict:
    """021 オーソリ取消 (from オーソリOK)."""
    return _payment(payment_id)


def capture_fields(payment_id: str) -> dict:
    """022 売上 (from オーソリOK, the authorised amount)."""
    return _payment(payment_id)


def cancel_sales_fields(payment_id: str) -> dict:
    """023 売上取消 (from 消込済)."""
    return _payment(payment_id)


def change_fields(payment_id: str, amount: int, current_amount: int) -> dict:
    """028 オーソリ変更 / 029 売上変更: the payment's new amount. ``reduction_flag`` says whether
    it is lower than now (1) or higher (0)."""
    new, now = int(_yen(amount)), int(_yen(current_amount))
    if new == now:
        raise ValueError("the new amount is the current one")
    return {**_payment(payment_id), "payment_amount": str(new),
            "reduction_flag": "1" if new < now else "0"}


def change_kind(captured: bool) -> str:
    """The amount change's telegram: 029 売上変更 once captured, 028 オーソリ変更 before."""
    return SALES_CHANGE if captured else AUTH_CHANGE


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Authorization:
    """What a 020 reply says."""
    approved: bool
    payment_id: str          # also for a declined one: PAYGENT keeps the オーソリNG payment
    code: str = ""
    masked_card_number: str = ""
    card_brand: str = ""

    @property
    def retry_with_new_token(self) -> bool:
        return self.code in RETRY_WITH_NEW_TOKEN


def read_authorization(result: TelegramResult) -> Authorization:
    return Authorization(result.ok, result.get("payment_id"), "" if result.ok else result.code,
                         result.get("masked_card_number"), result.get("card_brand"))


@dataclass(frozen=True)
class Challenge:
    """What a 450 reply says: the authentication's id and the HTML the shop shows the buyer
    as it stands (it takes the buyer to the issuer; a frictionless one comes straight back)."""
    auth_id: str
    html: str


def read_tds2(result: TelegramResult) -> Challenge | None:
    """The challenge of an accepted 450 (None when PAYGENT refused it: see ``result.code``)."""
    if not result.ok:
        return None
    auth_id, html = result.get("3ds_auth_id"), result.get("out_acs_html")
    if not auth_id or not html:
        return None
    return Challenge(auth_id, html)


def read_new_payment_id(result: TelegramResult) -> str:
    """The payment_id a 028/029 reply names: the new payment the order uses from now on (also
    when the old one could not be cancelled, ``CHANGE_HALF_DONE``); "" when none was made."""
    if result.ok or result.code == CHANGE_HALF_DONE:
        return result.get("payment_id")
    return ""


# -- the 3-D Secure 2.0 result at the term URL -----------------------------------------------
@dataclass(frozen=True)
class TdsResult:
    ok: bool                 # result=0: authenticated, send 020 with ``auth_id``
    auth_id: str
    attempt_kbn: str = ""    # "" authenticated; 0 正常 / 1 注意 for an attempt
    code: str = ""           # response_code when not ok (2001 abandoned, 2002 failed)
    detail: str = ""

    @property
    def abandoned(self) -> bool:
        return not self.ok and self.code == TDS_ABANDONED

    def allowed(self, attempt_control: str) -> bool:
        """Whether 020 may follow under the shop's Attemptオーソリ制御区分 (none: only a full
        authentication; normal: also an attempt marked 正常; all: also 注意)."""
        if not self.ok:
            return False
        if self.attempt_kbn == "":
            return True
        allowed = {"none": set(), "normal": {ATTEMPT_NORMAL},
                   "all": {ATTEMPT_NORMAL, ATTEMPT_CAUTION}}.get(attempt_control, set())
        return self.attempt_kbn in allowed


def tds_result_hash(result: str, auth_id: str, attempt_kbn: str, hash_key: str) -> str:
    """``hc`` of the result: lower-case hex SHA-256 of result + 3ds_auth_id + attempt_kbn +
    the shop's 3Dセキュア結果受付ハッシュ鍵."""
    plain = (result or "") + (auth_id or "") + (attempt_kbn or "") + hash_key
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def verify_tds_result(fields, hash_key: str) -> TdsResult | None:
    """The result the term URL received, or None when its ``hc`` does not match (or there is
    no key): then nothing in it may be believed. Compared in constant time."""
    get = fields.get
    given = (get("hc") or "").strip().lower()
    if not given or not hash_key:
        return None
    expected = tds_result_hash(get("result") or "", get("3ds_auth_id") or "",
                               get("attempt_kbn") or "", hash_key)
    if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode()):
        return None
    ok = get("result") == "0"
    return TdsResult(ok, get("3ds_auth_id") or "", get("attempt_kbn") or "",
                     "" if ok else (get("response_code") or ""), get("response_detail") or "")


# -- sending (the cart's way to the telegrams) ----------------------------------------------
def send_tds2(client, **kwargs) -> TelegramResult:
    return client.send(TDS2, **tds2_fields(**kwargs))


def send_authorize(client, **kwargs) -> TelegramResult:
    return client.send(AUTHORIZE, **authorize_fields(**kwargs))


def send_capture(client, payment_id: str) -> TelegramResult:
    return client.send(CAPTURE_KIND, **capture_fields(payment_id))


def send_cancel(client, payment_id: str, captured: bool) -> TelegramResult:
    """021 before capture, 023 after."""
    if captured:
        return client.send(SALES_CANCEL, **cancel_sales_fields(payment_id))
    return client.send(AUTH_CANCEL, **cancel_authorization_fields(payment_id))


def send_change(client, payment_id: str, amount: int, current_amount: int,
                captured: bool) -> TelegramResult:
    """028 before capture, 029 after; ``read_new_payment_id`` reads the new payment."""
    return client.send(change_kind(captured), **change_fields(payment_id, amount,
                                                              current_amount))
