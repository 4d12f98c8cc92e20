"""The card payment step: the 決済処理中 order and its authorisation attempt, 3-D Secure 2.0
(450, then the issuer's page, then the result at the term URL) and 020.

Each stage is claimed in a short transaction (the attempt row moves from one stage to the next
by a conditional update), PAYGENT is called with no transaction open, and the answer is booked
after re-reading the attempt. A token is taken once: its digest is unique, so a re-posted form
or a double click sends no second telegram. The buyer's card number never reaches this code,
only PAYGENT's token.
"""
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from cart import history, jobs
from cart.history import OrderRef
from cart.acceptance import accept_payment
from cart.checkout.orders import Draft, write_order
from cart.extensions import begin_write, db, transaction
from cart.gateway import TelegramLog, account_for, client_for
from cart.methods.card.config import card_settings_for
from cart.models import CardAuthorization, Member, Order, Shop, StoredCard
from cart.models.base import utcnow
from cart.review import flag
from payments.methods import card as lib
from payments.paygent import card as wire

log = logging.getLogger("cart.checkout.card")

DECLINED_MESSAGE = ("カード会社の承認が得られなかったため、お支払いできませんでした。"
                    "カード情報をご確認のうえ再度お試しいただくか、他のお支払い方法をお選びください。")
TOKEN_MESSAGE = ("カード情報の確認の有効期限が切れました。お手数ですが、"
                 "もう一度カード情報を入力してください。")
TDS_FAILED_MESSAGE = ("本人認証（3Dセキュア）に失敗したため、お支払いできませんでした。"
                      "もう一度お試しいただくか、他のお支払い方法をお選びください。")
TDS_ABANDONED_MESSAGE = ("本人認証（3Dセキュア）が中断されました。もう一度お試しいただくか、"
                         "他のお支払い方法をお選びください。")
TDS_REFUSED_MESSAGE = ("本人認証（3Dセキュア）の結果、このカードではお支払いいただけません。"
                       "他のカードまたは他のお支払い方法をお選びください。")
UNVERIFIED_MESSAGE = ("お支払い情報を確認できなかったため、ご注文を確定できませんでした。"
                      "お手数ですが、ショップまでお問い合わせください。")
UNAVAILABLE_MESSAGE = ("ただいまカード決済を受け付けられません。時間をおいて再度お試しいただくか、"
                       "他のお支払い方法をお選びください。")
REPOSTED_MESSAGE = ("このカード情報でのお手続きは受付済みです。ご注文の状況をご確認ください。")
RESTARTED_MESSAGE = ("本人認証（3Dセキュア）の途中で、新しいお手続きが始まりました。"
                     "最新のお手続きの結果をご確認ください。")
LEFT_MESSAGE = ("本人認証（3Dセキュア）が完了しなかったため、お手続きを終了しました。"
                "もう一度お試しください。")

#: a buyer still at the issuer's page after this has left (the token is long expired)
SECURE_ABANDONED_AFTER = timedelta(minutes=30)
#: PAYGENT's own errors (P… settings, E… system and connection, 9… its database): nothing the
#: buyer's card did
SYSTEM_CODE_PREFIXES = ("P", "E", "9")


class CardInputError(Exception):
    """What the buyer posted cannot start a payment (Japanese message)."""


@dataclass
class Step:
    """What the browser is shown next, and of which attempt (plain values: nothing to load)."""
    kind: str                   # challenge | done | pending | failed
    key: str = ""               # the attempt's key ("" when there is none)
    order_id: int | None = None
    number: str = ""            # the order's number, where the step knows it
    html: str = ""              # the issuer's page (challenge)
    message: str = ""

    @classmethod
    def of(cls, kind: str, auth: CardAuthorization | None, number: str = "", **more) -> "Step":
        if auth is None:
            return cls(kind, **more)
        return cls(kind, auth.key, auth.order_id, number, **more)


@dataclass(frozen=True)
class Claim:
    """A claimed attempt, as 020 needs it."""
    auth_id: int
    key: str
    order: OrderRef
    amount: int
    token: str
    payment_class: str
    split_count: int | None
    tds_auth_id: str
    capture: bool
    customer: tuple[str, str] | None = None  # a stored card: (customer_id, customer_card_id)


# -- what the buyer posted ----------------------------------------------------------------
def payment_choice(settings, value: str) -> tuple[str, int | None]:
    """支払回数 as posted ("lump", "split-3", "revo", "bonus"), checked against the shop's
    offer."""
    value = (value or "").strip()
    kind, _, count = value.partition("-")
    if kind not in settings.classes:
        raise CardInputError("お支払い回数を選択してください。")
    if kind == "split":
        if not count.isdigit() or int(count) not in wire.SPLIT_COUNTS:
            raise CardInputError("分割回数を選択してください。")
        return kind, int(count)
    if count:
        raise CardInputError("お支払い回数を選択してください。")
    return kind, None


def payment_options(settings) -> list[tuple[str, str]]:
    """The 支払回数 select: (value, label) for each offered class (分割: each count)."""
    options = []
    for kind in settings.classes:
        if kind == "split":
            options += [(f"split-{n}", f"分割払い（{n}回）") for n in wire.SPLIT_COUNTS]
        else:
            options.append((kind, wire.PAYMENT_CLASS_NAMES[kind]))
    return options


def _clean_token(token: str) -> str:
    token = (token or "").strip()
    if not token or len(token) > 128 or not token.isascii() or not token.isprintable():
        raise CardInputError("カード情報を確認できませんでした。もう一度入力してください。")
    return token


def _reusable(shop_id: int, order_id) -> tuple[int | None, int]:
    """In the writer's transaction: whether the shopper's pending order may be rebuilt for a
    new attempt, and how many of its attempts that were still at the issuer's page it closed.
    Those can no longer send 020 (their result would find them closed); an attempt whose 020
    may be out keeps its order, and the new one gets an order of its own."""
    if not order_id:
        return None, 0
    closed = db.session.execute(update(CardAuthorization).where(
        CardAuthorization.shop_id == shop_id, CardAuthorization.order_id == order_id,
        CardAuthorization.stage == "secure").values(
        stage="declined", code="RESTART", message=RESTARTED_MESSAGE, token="",
        finished_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    sending = db.session.scalar(select(CardAuthorization.id).where(
        CardAuthorization.shop_id == shop_id, CardAuthorization.order_id == order_id,
        CardAuthorization.stage.in_(("authorizing", "unknown"))).limit(1))
    return (None if sending is not None else order_id), closed


# -- the steps --------------------------------------------------------------------------------
def start_card(shop: Shop, draft: Draft, pending_id, token: str, choice: str, masked: str,
               term_url_for, browser: dict, stored_card_id: int | None = None,
               stored: StoredCard | None = None) -> Step:
    """「注文する」 with a token (or a member's ``stored`` card): write the 決済処理中 order and
    its attempt, then 450 (with 3-D Secure) or 020 (without). ``stored_card_id``: the card
    registered for this order (025) before, which the order keeps for its 定期購入."""
    settings = card_settings_for(shop.id)
    payment_class, split_count = payment_choice(settings, choice)
    customer = None
    if stored is not None:
        customer = (stored_customer_id(stored), stored.customer_card_id)
        token, masked, stored_card_id = "", stored.masked, stored.id
        digest = hashlib.sha256(f"stored:{secrets.token_urlsafe(24)}".encode()).hexdigest()
    else:
        token = _clean_token(token)
        digest = hashlib.sha256(token.encode()).hexdigest()
    secure = settings.three_d_secure
    try:
        with transaction():
            pending_id, restarted = _reusable(shop.id, pending_id)
            order = write_order(shop, draft, pending_id)
            order.stored_card_id = stored_card_id  # the card registered for it (025), if any
            if restarted and order.id == pending_id:
                history.record(order, f"注文番号 : {order.number} クレジット 3Dセキュア認証の途中で"
                                      "お手続きがやり直されました")
            auth = CardAuthorization(
                shop_id=shop.id, order_id=order.id, key=secrets.token_urlsafe(32),
                token_digest=digest, token=token, payment_class=payment_class,
                split_count=split_count, amount=order.total, masked_card=(masked or "")[:24],
                stage="secure" if secure else "authorizing",
                stored_card_id=stored.id if stored is not None else None)
            db.session.add(auth)
            db.session.flush()
            ref = OrderRef(shop.id, order.id, order.number)
            claim = Claim(auth.id, auth.key, ref, order.total, token, payment_class, split_count,
                          "", order.capture_mode == "auth_capture", customer)
            auth_id, key, order_id = auth.id, auth.key, order.id
            number, total, email = order.number, order.total, order.email
            card_text = _card_text(auth)
    except IntegrityError:
        raise CardInputError(REPOSTED_MESSAGE) from None
    account = account_for(shop.id)
    telegrams = TelegramLog(shop.id, order_id)
    client = client_for(account, order_id, telegrams)
    if not secure:
        return _authorize(shop, claim, client, telegrams)
    card = ({"customer_id": customer[0], "customer_card_id": customer[1]} if customer
            else {"token": token})
    result = wire.send_tds2(
        client, trading_id=number, amount=total, **card, member=customer is not None,
        term_url=term_url_for(key), merchant_name=settings.merchant_name,
        email=email, http_accept=browser.get("accept", ""),
        http_user_agent=browser.get("user_agent", ""))
    challenge = wire.read_tds2(result)
    with telegrams.booking():
        if challenge is None:
            auth = db.session.get(CardAuthorization, auth_id)
            message = _message(result.code) if not result.unknown else UNAVAILABLE_MESSAGE
            _decline(auth, ref, result.code or "ERROR", message,
                     "3Dセキュア認証を開始できませんでした")
            return Step("failed", key, order_id, number, message=message)
        db.session.execute(update(CardAuthorization).where(
            CardAuthorization.id == auth_id).values(tds_auth_id=challenge.auth_id[:64])
            .execution_options(synchronize_session=False))
        history.record(ref, f"注文番号 : {number} クレジット 3Dセキュア認証へ（{card_text}）")
    return Step("challenge", key, order_id, number, html=challenge.html)


def secure_return(shop: Shop, key: str, fields) -> Step:
    """The issuer's page sent the buyer back with the 3-D Secure result: believed only when
    its hash matches the shop's 3Dセキュア結果受付ハッシュ鍵, then 020. A re-sent result finds
    the attempt past its stage and sends nothing."""
    found = db.session.execute(
        select(CardAuthorization, Order.number, Order.capture_mode).join(
            Order, Order.id == CardAuthorization.order_id).where(
            CardAuthorization.shop_id == shop.id, CardAuthorization.key == key)).first()
    if found is None:
        return Step("failed", message=UNVERIFIED_MESSAGE)
    auth, number, capture_mode = found
    if auth.stage != "secure":
        return Step.of(_kind(auth), auth, number, message=auth.message)
    auth_id, order_id, expected = auth.id, auth.order_id, auth.tds_auth_id
    ref = OrderRef(shop.id, order_id, number)
    claim = Claim(auth_id, key, ref, auth.amount, auth.token, auth.payment_class,
                  auth.split_count, expected, capture_mode == "auth_capture",
                  _customer_of(auth))
    settings = card_settings_for(shop.id)
    result = wire.verify_tds_result(fields, settings.tds_hash_key)
    if result is None or result.auth_id != expected:
        with transaction():
            auth = _locked(auth_id, "secure")
            if auth is None:
                return _again(key, shop)
            order = db.session.get(Order, auth.order_id)
            _decline(auth, order, "HASH", UNVERIFIED_MESSAGE, "3Dセキュア認証の結果を確認できません")
            flag(order, f"注文番号 : {order.number} 3Dセキュア認証の結果のハッシュ値が一致しない"
                        "応答を受け取ったため、オーソリを行いませんでした。")
        return Step("failed", key, order_id, number, message=UNVERIFIED_MESSAGE)
    if not result.allowed(settings.attempt_auth):
        if result.abandoned:
            code, message, what = result.code, TDS_ABANDONED_MESSAGE, "3Dセキュア認証が中断されました"
        elif result.ok:
            code, message, what = (f"ATT{result.attempt_kbn}", TDS_REFUSED_MESSAGE,
                                   "3Dセキュア認証がAttempt（Attemptオーソリ制御区分により"
                                   "オーソリを行いません）")
        else:
            code, message, what = result.code or "TDS", TDS_FAILED_MESSAGE, "3Dセキュア認証に失敗しました"
        with transaction():
            auth = _locked(auth_id, "secure")
            if auth is None:
                return _again(key, shop)
            _decline(auth, ref, code, message, what)
        return Step("failed", key, order_id, number, message=message)
    with transaction():  # the claim: one 020 however often the result is posted
        claimed = db.session.execute(update(CardAuthorization).where(
            CardAuthorization.id == auth_id, CardAuthorization.stage == "secure").values(
            stage="authorizing").execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return _again(key, shop)
    telegrams = TelegramLog(shop.id, order_id)
    client = client_for(account_for(shop.id), order_id, telegrams)
    return _authorize(shop, claim, client, telegrams)


def _authorize(shop: Shop, claim: Claim, client, telegrams: TelegramLog) -> Step:
    """020 for a claimed attempt (stage authorizing), then its outcome booked."""
    settings = card_settings_for(shop.id)
    card = (dict(customer_id=claim.customer[0], customer_card_id=claim.customer[1])
            if claim.customer else dict(token=claim.token))
    fields = dict(trading_id=claim.order.number, amount=claim.amount, **card,
                  payment_class=claim.payment_class, split_count=claim.split_count,
                  capture=claim.capture, security_code=settings.security_code_required,
                  tds_auth_id=claim.tds_auth_id or None)
    db.session.commit()  # nothing stays open while PAYGENT answers
    result = wire.send_authorize(client, **fields)
    answer = wire.read_authorization(result)
    number = claim.order.number
    step = Step("failed", claim.key, claim.order.id, number)
    with telegrams.booking():
        auth = _locked(claim.auth_id, "authorizing")
        if auth is None:  # booked meanwhile (cannot happen: only the claimant books)
            return _again_by_id(claim.auth_id)
        auth.token = ""  # used: no reason to keep it
        if result.unknown:
            auth.stage, auth.code = "unknown", result.code
            history.record(claim.order, f"注文番号 : {number} クレジット オーソリの結果を確認中"
                                        f"（エラーコード:{result.code}、{_card_text(auth)}）")
            step.kind = "pending"
        elif answer.approved:
            order = db.session.get(Order, claim.order.id)
            status = lib.CAPTURED if claim.capture else lib.AUTHORIZED
            auth.stage, auth.finished_at = "authorized", utcnow()
            auth.masked_card = (answer.masked_card_number or auth.masked_card)[:24]
            accepted = accept_payment(order, lib.CARD, None, answer.payment_id, status,
                                      auth.amount, "決済画面")
            if not accepted and order.status != "new":
                auth.message = step.message = UNVERIFIED_MESSAGE
            else:
                step.kind = "done"
        else:
            step.message = _message(answer.code)
            _decline(auth, claim.order, answer.code, step.message, "オーソリNG")
    return step


# -- helpers -------------------------------------------------------------------------------------
def stored_customer_id(card: StoredCard) -> str:
    """PAYGENT's customer_id of the stored card's member."""
    return db.session.get(Member, card.member_id).paygent_customer_id


def _customer_of(auth: CardAuthorization) -> tuple[str, str] | None:
    if auth.stored_card_id is None:
        return None
    card = db.session.get(StoredCard, auth.stored_card_id)
    return stored_customer_id(card), card.customer_card_id



def _locked(auth_id: int, stage: str) -> CardAuthorization | None:
    """The attempt re-read in the writer's transaction, if still at ``stage``."""
    begin_write()
    auth = db.session.scalar(select(CardAuthorization).where(
        CardAuthorization.id == auth_id).with_for_update().execution_options(
        populate_existing=True))
    return auth if auth is not None and auth.stage == stage else None


def _decline(auth: CardAuthorization, order, code: str, message: str, what: str) -> None:
    """(``order``: the order, or an OrderRef of it.)"""
    auth.stage, auth.code, auth.message = "declined", (code or "")[:10], message[:300]
    auth.token, auth.finished_at = "", utcnow()
    history.record(order, f"注文番号 : {order.number} クレジット {what}"
                          f"（エラーコード:{code}、{_card_text(auth)}）")


def _card_text(auth: CardAuthorization) -> str:
    name = wire.PAYMENT_CLASS_NAMES.get(auth.payment_class, auth.payment_class)
    if auth.split_count:
        name += f" {auth.split_count}回"
    card = f"カード番号 : {auth.masked_card}、" if auth.masked_card else ""
    return f"{card}支払回数 : {name}、金額 : {auth.amount:,}円"


def _message(code: str) -> str:
    if code in wire.RETRY_WITH_NEW_TOKEN:
        return TOKEN_MESSAGE
    if code == wire.TDS_ABANDONED:
        return TDS_ABANDONED_MESSAGE
    if code in (wire.TDS_FAILED, wire.TDS_RESULT_INVALID):
        return TDS_FAILED_MESSAGE
    if code == wire.DECLINED:
        return DECLINED_MESSAGE
    if code and code[:1] in SYSTEM_CODE_PREFIXES:
        return UNAVAILABLE_MESSAGE
    return DECLINED_MESSAGE


def _kind(auth: CardAuthorization) -> str:
    return {"authorized": "done", "unknown": "pending", "declined": "failed"}.get(
        auth.stage, "pending")


def _again(key: str, shop: Shop) -> Step:
    db.session.rollback()
    auth = db.session.scalar(select(CardAuthorization).where(
        CardAuthorization.shop_id == shop.id, CardAuthorization.key == key))
    if auth is None:
        return Step("failed", message=UNVERIFIED_MESSAGE)
    return Step.of(_kind(auth), auth, message=auth.message)


def _again_by_id(auth_id: int) -> Step:
    auth = db.session.get(CardAuthorization, auth_id)
    return Step.of(_kind(auth), auth, message=auth.message)


def returned(shop_id: int, key: str) -> Step | None:
    """Where the buyer coming back from an attempt goes, by what became of it (None: no such
    attempt of this shop)."""
    found = db.session.execute(select(CardAuthorization, Order.number).join(
        Order, Order.id == CardAuthorization.order_id).where(
        CardAuthorization.shop_id == shop_id, CardAuthorization.key == key)).first()
    if found is None:
        return None
    auth, number = found
    return Step.of(_kind(auth), auth, number, message=auth.message)


# -- settling what the checkout could not (the periodic round) ------------------------------------
NOT_FOUND = "24001"     # 094: PAYGENT has no payment under that 取引ID


def settle_open_authorizations(limit: int = 200) -> dict:
    """Ask PAYGENT (094, by the order's 取引ID) about card attempts whose 020 answer never came
    (a timeout: "unknown"), or whose process stopped between claim and booking (still
    "authorizing" past the claim timeout), and book what it holds: paid → the order is accepted;
    no payment → declined. Anything else stays open for the next round or the notice. Attempts
    whose buyer never came back from the issuer's page are closed, their token dropped."""
    from cart.operations import claim_timeout
    now = utcnow()
    ids = db.session.scalars(select(CardAuthorization.id).where(
        (CardAuthorization.stage == "unknown")
        | ((CardAuthorization.stage == "authorizing")
           & (CardAuthorization.created_at < now - claim_timeout()))
        | ((CardAuthorization.stage == "secure")
           & (CardAuthorization.created_at < now - SECURE_ABANDONED_AFTER)))
        .order_by(CardAuthorization.id).limit(limit)).all()
    db.session.commit()
    return jobs.each_counted(ids, settle_authorization, "card attempt")


def settle_authorization(auth_id: int) -> str:
    """One open attempt settled by 094: "authorized", "declined" or "unknown"."""
    auth = db.session.get(CardAuthorization, auth_id)
    if auth is not None and auth.stage == "secure":
        return _close_left(auth_id)
    if auth is None or auth.stage not in ("unknown", "authorizing"):
        return auth.stage if auth else "missing"
    stage, order_id, shop_id = auth.stage, auth.order_id, auth.shop_id
    number = db.session.get(Order, order_id).number
    account = account_for(shop_id)
    telegrams = TelegramLog(shop_id, order_id)
    db.session.commit()  # nothing stays open while PAYGENT answers
    result = client_for(account, order_id, telegrams).inquire(trading_id=number)
    status = result.get("payment_status") if result.ok else ""
    if not result.ok and result.code != NOT_FOUND:
        telegrams.write_alone()
        return "unknown"  # not answered, or not by 取引ID alone (24002): the notice will tell
    with telegrams.booking():
        auth = _locked(auth_id, stage)
        if auth is None:
            return _again_by_id(auth_id).kind
        order = db.session.get(Order, order_id)
        auth.token = ""
        if status in lib.CARD.paid_statuses():
            auth.stage, auth.finished_at = "authorized", utcnow()
            accept_payment(order, lib.CARD, None, result.get("payment_id"), status,
                           auth.amount, "決済情報照会")
            outcome = "authorized"
        elif not result.ok or status in (lib.AUTH_NG, lib.TDS_ABORTED, lib.APPLIED):
            _decline(auth, order, result.code or f"ST{status}", DECLINED_MESSAGE,
                     "オーソリは行われていませんでした（決済情報照会）")
            outcome = "declined"
        else:
            outcome = "unknown"
    return outcome


def _close_left(auth_id: int) -> str:
    """An attempt whose buyer never came back from the issuer's page: no 020 was sent, so
    nothing is asked of PAYGENT; it is closed (a late result finds it so) and its token
    dropped."""
    with transaction():
        auth = _locked(auth_id, "secure")
        if auth is None:
            return "unknown"  # its result arrived meanwhile
        order = db.session.get(Order, auth.order_id)
        _decline(auth, order, "LEFT", LEFT_MESSAGE, "3Dセキュア認証から戻りませんでした")
    return "abandoned"
