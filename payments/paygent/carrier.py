"""携帯キャリア決済 telegrams at /n/c/request: 100 申込 (the hand-over to the carrier's
authorisation page), 101 売上, 102 取消 and 103 補正売上; their fields built from plain values,
their replies read. Pure functions; ``send_*`` only hand the fields to a ``PaygentClient``.
docs/carrier-payments.md has the wire contract and what of it is unconfirmed.

The buyer authorises on the carrier's page and comes back to ``return_url`` (authorised),
``cancel_url`` (left the page: 申込中断) or ``other_url`` (anything else, such as the carrier
declining). Nothing the browser brings back is believed: ``returned_trading_id`` finds the
order, and its status comes from the 差分通知 or a 094.
"""
from dataclasses import dataclass
from urllib.parse import urlsplit

from payments.methods import carrier as lib

from . import deferred
from .results import TelegramResult

APPLY, CAPTURE, CANCEL, CORRECT = (lib.APPLY, lib.CAPTURE_KIND, lib.CANCEL_KIND,
                                   lib.CORRECT_KIND)
PATH = lib.TELEGRAM_PATH
#: the telegram kinds and their path, for the client (``payments.paygent.client.PATHS``)
PATHS = {kind: PATH for kind in (APPLY, CAPTURE, CANCEL, CORRECT)}
#: PAYGENT's career_type of each carrier (lib.DOCOMO …)
CAREER_TYPES = {lib.AU: "4", lib.DOCOMO: "5", lib.SOFTBANK: "6"}
CARRIER_OF = {code: carrier for carrier, code in CAREER_TYPES.items()}
#: pc_mobile_type: the buyer's device (feature phones of each carrier are 1–3)
DEVICES = {"pc": "0", "docomo_phone": "1", "au_phone": "2", "softbank_phone": "3",
           "smartphone": "4"}
MAX_AMOUNT = 100_000      # a carrier bills at most 10万円 a month (unconfirmed per carrier)
APPLY_ITEMS = ("payment_id", "trading_id", "redirect_url", "redirect_html")


def _url(value, name: str) -> str:
    url = deferred.required(value, name)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL")
    return url


def _payment(payment_id) -> dict:
    text = str(payment_id or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ValueError("payment_id is PAYGENT's digits")
    return {"payment_id": text}


def career_type(carrier: str) -> str:
    """PAYGENT's career_type of a carrier (lib.DOCOMO, lib.AU, lib.SOFTBANK)."""
    try:
        return CAREER_TYPES[carrier]
    except KeyError:
        raise ValueError(f"unknown carrier: {carrier!r}") from None


# -- 100 申込 -------------------------------------------------------------------------------
def apply_fields(*, trading_id: str, amount: int, carrier: str, return_url: str,
                 cancel_url: str, other_url: str | None = None, device: str = "pc",
                 open_id: str = "") -> dict:
    """100 申込 for the buyer's carrier: the carrier's page comes back to ``return_url`` once
    authorised, to ``cancel_url`` when the buyer leaves it, to ``other_url`` (default:
    ``cancel_url``) otherwise. ``open_id`` is the carrier's id of a buyer already
    authenticated (d払い / au, 104), sent when known."""
    if device not in DEVICES:
        raise ValueError(f"unknown device: {device!r}")
    fields = {"trading_id": deferred.trading_id(trading_id),
              "amount": deferred.yen(amount, MAX_AMOUNT),
              "career_type": career_type(carrier),
              "return_url": _url(return_url, "return_url"),
              "cancel_url": _url(cancel_url, "cancel_url"),
              "other_url": _url(other_url or cancel_url, "other_url"),
              "pc_mobile_type": DEVICES[device]}
    if open_id and open_id.strip():
        fields["open_id"] = open_id.strip()
    return fields


@dataclass(frozen=True)
class Handover:
    """Where the buyer goes next: ``url`` (au: redirect there) or ``html`` (d払い, SoftBank: a
    page that posts the buyer on to the carrier, shown as it stands)."""
    payment_id: str
    url: str = ""
    html: str = ""


def read_apply(result: TelegramResult) -> Handover | None:
    """The hand-over of an accepted 100 (None when refused: see ``result.code``)."""
    if not result.ok:
        return None
    url, html = result.get("redirect_url"), result.get("redirect_html")
    if not url and not html:
        return None
    return Handover(result.payment_id, url, html)


def returned_trading_id(args) -> str:
    """The trading_id the carrier's page brings back to the shop's URL, to find the order by
    (and then ask PAYGENT: the buyer's browser proves nothing)."""
    value = (args.get("trading_id") or "").strip()
    return value if value and len(value) <= 25 else ""


# -- 101 / 102 / 103 ------------------------------------------------------------------------
def capture_fields(payment_id: str) -> dict:
    """101 売上 (from オーソリOK / オーソリ完了 as the carrier allows), the authorised amount."""
    return _payment(payment_id)


def cancel_fields(payment_id: str) -> dict:
    """102 取消 (before capture; after it where the carrier allows)."""
    return _payment(payment_id)


def correct_fields(payment_id: str, amount: int, current_amount: int | None = None) -> dict:
    """103 補正売上 (売上変更): the payment's new, lower ``amount``. The same amount is a plain
    101 (``payments.methods.carrier.capture_action``); a higher one PAYGENT does not take."""
    new = int(deferred.yen(amount, MAX_AMOUNT))
    if current_amount is not None:
        now = int(deferred.yen(current_amount, MAX_AMOUNT))
        if new >= now:
            raise ValueError("103 takes a lower amount than the current one (the same amount "
                             "is a 101)")
    return {**_payment(payment_id), "amount": str(new)}


def operation_fields(telegram_kind: str, payment_id: str, amount: int | None = None,
                     current_amount: int | None = None) -> dict:
    """What ``payments.paygent.operations`` sends for a carrier operation's kind."""
    if telegram_kind == CORRECT:
        return correct_fields(payment_id, amount, current_amount)
    if telegram_kind == CAPTURE:
        return capture_fields(payment_id)
    if telegram_kind == CANCEL:
        return cancel_fields(payment_id)
    raise ValueError(f"not a carrier operation: {telegram_kind}")


def send_apply(client, **kwargs) -> TelegramResult:
    return client.send(APPLY, **apply_fields(**kwargs))


def send_capture(client, payment_id: str) -> TelegramResult:
    return client.send(CAPTURE, **capture_fields(payment_id))


def send_cancel(client, payment_id: str) -> TelegramResult:
    return client.send(CANCEL, **cancel_fields(payment_id))


def send_correct(client, payment_id: str, amount: int,
                 current_amount: int | None = None) -> TelegramResult:
    return client.send(CORRECT, **correct_fields(payment_id, amount, current_amount))
