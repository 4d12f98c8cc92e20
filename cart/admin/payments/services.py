"""支払方法設定: the shop's list of payment methods, drafts between 「確認画面へ」 and 「設定する」,
the connection test and enrolment at the embedded sandbox (shared by the PAYGENT methods)."""
import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from cart.extensions import db
from cart.gateway import client_for
from cart.models import CardSettings, PaygentAccount, PaymentMethod, SettingsDraft
from cart.models.base import utcnow
from cart.methods import registry
from payments import methods
from payments.paygent import codes

#: What each tab of 「リストに追加」 offers: the methods of that group, in their order.
TABS = {group: tuple(m.code for m in methods.ALL if m.group == group)
        for group in ("basic", "partner")}
ADDABLE = frozenset(m.code for m in methods.ALL)
DRAFT_LIFETIME = timedelta(hours=1)


# -- the list (使用決済) ------------------------------------------------------------------
def listed(shop_id: int) -> list[PaymentMethod]:
    return db.session.scalars(select(PaymentMethod).options(
        selectinload(PaymentMethod.delivery_methods)).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True)
    ).order_by(PaymentMethod.position, PaymentMethod.id)).all()


def addable(shop_id: int, tab: str) -> list[str]:
    """Kinds of this tab not yet in the list."""
    used = {m.kind for m in listed(shop_id)}
    return [kind for kind in TABS.get(tab, ()) if kind not in used]


def add(shop_id: int, kind: str) -> PaymentMethod:
    """「リストに追加」: the method joins the end of the list, 未設定 until configured."""
    if kind not in ADDABLE:
        raise ValueError(kind)
    method = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == kind))
    last = db.session.scalar(select(func.max(PaymentMethod.position)).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True))) or 0
    if method is None:
        method = PaymentMethod(shop_id=shop_id, kind=kind, configured=False,
                               **registry.get(kind).new_method_defaults())
        db.session.add(method)
    if not method.in_use:
        method.in_use, method.position = True, last + 1
    db.session.commit()
    return method


def remove(method: PaymentMethod) -> None:
    """「リストから削除」: no longer offered; its settings are kept for a later 「リストに追加」."""
    method.in_use = False
    db.session.commit()


def move(shop_id: int, method: PaymentMethod, direction: str) -> None:
    """↑↓: swap places with the neighbour in the list."""
    rows = listed(shop_id)
    index = rows.index(method)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows, start=1):
            row.position = position
        db.session.commit()


# -- drafts between 「確認画面へ」 and 「設定する」 -------------------------------------------
def save_draft(shop_id: int, staff_id: int, payload: dict, token: str | None = None) -> str:
    db.session.execute(delete(SettingsDraft).where(
        SettingsDraft.shop_id == shop_id, SettingsDraft.created_at < utcnow() - DRAFT_LIFETIME))
    draft = None
    if token:
        draft = db.session.scalar(select(SettingsDraft).where(
            SettingsDraft.shop_id == shop_id, SettingsDraft.staff_id == staff_id,
            SettingsDraft.token == token))
    if draft is None:
        draft = SettingsDraft(shop_id=shop_id, staff_id=staff_id,
                              token=secrets.token_urlsafe(32))
        db.session.add(draft)
    draft.payload = json.dumps(payload, ensure_ascii=False)
    draft.created_at = utcnow()
    db.session.commit()
    return draft.token


def load_draft(shop_id: int, staff_id: int, token: str | None,
               kind: str | None = None) -> dict | None:
    """The draft's payload, if it is this page's: a page other than Paidy's marks its drafts
    with ``"kind"`` and asks for that kind (Paidy's drafts have none)."""
    if not token:
        return None
    draft = db.session.scalar(select(SettingsDraft).where(
        SettingsDraft.shop_id == shop_id, SettingsDraft.staff_id == staff_id,
        SettingsDraft.token == token, SettingsDraft.created_at >= utcnow() - DRAFT_LIFETIME))
    payload = json.loads(draft.payload) if draft else None
    if payload is None or payload.get("kind") != kind:
        return None
    return payload


class Drafts:
    """One settings page's drafts (its ``kind``), for the signed-in staff member: what the
    form kept, what 確認画面 may show (only checked input), and the way back when a draft
    has expired."""

    def __init__(self, kind: str, form_endpoint: str):
        self.kind, self.form_endpoint = kind, form_endpoint

    def load(self, shop_id: int, token: str | None) -> dict | None:
        from flask_login import current_user
        return load_draft(shop_id, current_user.id, token, kind=self.kind)

    def checked(self, shop_id: int, token: str) -> dict | None:
        payload = self.load(shop_id, token)
        return payload if payload is not None and payload.get("checked") else None

    def expired(self):
        from flask import flash, redirect, url_for
        flash("確認画面の有効期限が切れました。もう一度入力してください。", "warning")
        return redirect(url_for(self.form_endpoint))


def saved_message(passed: bool) -> None:
    """What 「設定する」 says once a method's settings are saved, by the connection test."""
    from flask import flash
    if passed:
        flash("接続試験に成功し、設定しました。", "success")
    else:
        flash("接続試験に失敗しましたが、設定を保存しました。接続情報をご確認ください。",
              "warning")


def drop_draft(shop_id: int, token: str) -> None:
    db.session.execute(delete(SettingsDraft).where(SettingsDraft.shop_id == shop_id,
                                                   SettingsDraft.token == token))
    db.session.commit()


# -- Paidy via PAYGENT ------------------------------------------------------------------
def connection_test(shop, account: PaygentAccount) -> tuple[bool, str]:
    """Ask PAYGENT something harmless (094 for a trading id that does not exist)."""
    enroll_at_sandbox(shop, account)
    result = client_for(account).inquire(trading_id="connection_test")
    if result.ok or result.code in ("24001", "24002"):
        return True, ""
    reasons = {
        "P001": "認証に失敗しました。マーチャントID・接続ID・接続IDパスワードをご確認ください。",
        "P002": "認証に失敗しました。マーチャントID・接続ID・接続IDパスワードをご確認ください。",
        "P015": "接続元のIPアドレスがペイジェントに登録されていません。",
        "P016": "クライアント証明書が無効です。ペイジェントから発行された証明書をアップロードしてください。",
        codes.CERTIFICATE_ERROR: "証明書の確認に失敗しました。クライアント証明書とCAファイルをご確認ください。",
        codes.CONNECT_ERROR: "ペイジェントに接続できませんでした。接続先・ネットワークの設定をご確認ください。",
    }
    if result.unknown and result.code != codes.CONNECT_ERROR:
        return False, "ペイジェントから応答がありませんでした。時間をおいて再度お試しください。"
    return False, reasons.get(result.code, codes.explain(result.code))


def apply_conditions(method: PaymentMethod, payload: dict) -> None:
    method.hide_under = payload.get("hide_under") if payload.get("hide_under_on") else None
    method.hide_from = payload.get("hide_from") if payload.get("hide_from_on") else None
    method.note = payload.get("note") or ""
    method.note_on_payment_page = bool(payload.get("note_on_payment_page"))
    method.note_in_thanks_mail = bool(payload.get("note_in_thanks_mail"))


def enroll_at_sandbox(shop, account: PaygentAccount) -> None:
    """On the embedded sandbox a new merchant is enrolled with the credentials first used, as
    PAYGENT issues test credentials; a known merchant keeps its password (so a wrong one still
    fails the connection test) and only learns the shop's hash key, URL and public key, and
    the card method's トークン生成鍵 and 3Dセキュア結果受付ハッシュ鍵 as they are stored."""
    sandbox = current_app.extensions.get("paygent_sandbox")
    if sandbox is None or account.environment != "sandbox":
        return
    from cart.gateway import notice_url
    store = sandbox.extensions["sandbox"].store
    known = store.merchant(account.merchant_id)
    if known is not None and (known["connect_id"] != account.connect_id
                              or known["connect_password"] != account.connect_password):
        return
    card = db.session.scalar(select(CardSettings).where(CardSettings.shop_id == shop.id))
    store.upsert_merchant(account.merchant_id, account.connect_id, account.connect_password,
                          account.notice_hash_key, notice_url(shop), account.paidy_public_key,
                          shop.name, token_key=card.token_key if card else "",
                          tds_hash_key=card.tds_hash_key if card else "")
