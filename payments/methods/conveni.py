"""コンビニ決済（番号方式） through PAYGENT: payment_type 03, telegram 030 at /n/conveni/request.

Status table: seed 003 §2.3 コンビニ(番号方式): 10 申込済 (入金待ち), 43 速報検知済 and 40 消込済 →
入金済み, 12 支払期限切 and 61 速報取消済 → 注文取消し with the stock given back. No staff operation
(``payments.methods.deferred``). 支払期限日: N days from the purchase, default 15.

Which stores the buyer may choose and what each needs at the till depend on the shop's
コンビニ接続タイプ (seed 003 §1.6.2: A/B/D or F, told by PAYGENT by mail): ``stores`` and ``guide``
say it. docs/deferred-payments.md has the wire contract and what of it is unconfirmed.
"""
from dataclasses import dataclass

from . import deferred
from .base import Method

CODE = "conveni"
PAYMENT_TYPE = "03"
TELEGRAM_PATH = "/n/conveni/request"
APPLY = "030"            # コンビニ決済（番号方式）申込
DEADLINE = deferred.DeadlineRule(default_days=15, min_days=1, max_days=60)
MAX_AMOUNT = 299_999     # コンビニ収納の上限 (30万円未満; unconfirmed for every store)

APPLIED, EXPIRED = deferred.APPLIED, deferred.EXPIRED
CLEARED, DETECTED = deferred.CLEARED, deferred.DETECTED
DETECTION_CANCELLED = deferred.DETECTION_CANCELLED

STATUSES = (deferred.applied(), deferred.detected(), deferred.cleared(), deferred.expired(),
            deferred.detection_cancelled())

CONVENI = Method(code=CODE, name="コンビニ決済", system_name="ペイジェント(コンビニ決済)",
                 group="partner", payment_type=PAYMENT_TYPE, telegram_path=TELEGRAM_PATH,
                 statuses=STATUSES, other_telegrams=(APPLY,),
                 order_created_as=deferred.AWAITING_PAYMENT)

# -- stores and what each needs ---------------------------------------------------------------
#: コンビニ接続タイプ (the shop's setting)
TYPE_ABD, TYPE_F = "ABD", "F"
CONNECTION_TYPES = {TYPE_ABD: "A/B/D", TYPE_F: "F"}

#: cvs_company_id (コンビニ企業コード) of each store
SEVEN_ELEVEN = "00C001"
LAWSON = "00C002"
MINISTOP = "00C004"
FAMILYMART = "00C005"
DAILY_YAMAZAKI = "00C014"
SEICOMART = "00C016"
STORE_NAMES = {SEVEN_ELEVEN: "セブン-イレブン", LAWSON: "ローソン", MINISTOP: "ミニストップ",
               FAMILYMART: "ファミリーマート", DAILY_YAMAZAKI: "デイリーヤマザキ",
               SEICOMART: "セイコーマート"}
#: 確認番号 the stores paid through the ローソン・ミニストップ・ファミリーマート terminals ask for with
#: the お客様番号 (one fixed number; unconfirmed: check PAYGENT's store guide before going live)
CONFIRM_NUMBER = "400008"


@dataclass(frozen=True)
class Guide:
    """What the buyer needs at one store: the number's name, and whether the 確認番号, the
    払込票 URL (to print or show the slip) or their own phone number is needed too."""
    number_label: str
    confirm_number: bool = False
    slip_url: bool = False
    phone: bool = False


_GUIDES = {
    TYPE_ABD: {
        SEVEN_ELEVEN: Guide("払込票番号", slip_url=True),
        LAWSON: Guide("お客様番号", confirm_number=True),
        MINISTOP: Guide("お客様番号", confirm_number=True),
        FAMILYMART: Guide("お客様番号", confirm_number=True),
        DAILY_YAMAZAKI: Guide("オンライン決済番号"),
        SEICOMART: Guide("受付番号", phone=True),
    },
    TYPE_F: {
        SEVEN_ELEVEN: Guide("払込票番号", slip_url=True),
        LAWSON: Guide("支払番号", phone=True),      # ローソン・ミニストップ: one choice
        FAMILYMART: Guide("収納番号"),
        DAILY_YAMAZAKI: Guide("オンライン決済番号"),
        SEICOMART: Guide("オンライン決済番号"),
    },
}
#: under タイプF ローソン and ミニストップ are one choice
F_NAMES = {LAWSON: "ローソン・ミニストップ"}


def stores(connection_type: str) -> dict[str, str]:
    """The stores a shop of this connection type may offer: cvs_company_id → name, in the order
    the checkout lists them."""
    if connection_type not in _GUIDES:
        raise ValueError(f"unknown connection type: {connection_type!r}")
    names = F_NAMES if connection_type == TYPE_F else {}
    return {code: names.get(code, STORE_NAMES[code]) for code in _GUIDES[connection_type]}


def guide(connection_type: str, store: str) -> Guide:
    """What the buyer needs at ``store`` (KeyError when the type does not offer it)."""
    return _GUIDES[connection_type][store]


def store_name(store: str, connection_type: str = TYPE_ABD) -> str:
    if connection_type == TYPE_F and store in F_NAMES:
        return F_NAMES[store]
    return STORE_NAMES.get(store, store)
