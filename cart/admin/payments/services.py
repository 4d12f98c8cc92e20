"""支払方法設定: the shop's list of payment methods and the Paidy via PAYGENT settings."""
import base64
import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from cart.extensions import db
from cart.gateway import account_for, client_for
from cart.models import PaygentAccount, PaymentMethod, SettingsDraft
from cart.models.base import utcnow
from payments.paygent import codes

TABS = {"basic": ("bank_transfer", "cod"), "partner": ("paidy",)}
DRAFT_LIFETIME = timedelta(hours=1)


# -- the list (使用決済) ------------------------------------------------------------------
def listed(shop_id: int) -> list[PaymentMethod]:
    return db.session.scalars(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True)
    ).order_by(PaymentMethod.position, PaymentMethod.id)).all()


def addable(shop_id: int, tab: str) -> list[str]:
    """Kinds of this tab not yet in the list."""
    used = {m.kind for m in listed(shop_id)}
    return [kind for kind in TABS.get(tab, ()) if kind not in used]


def add(shop_id: int, kind: str) -> PaymentMethod:
    """「リストに追加」: the method joins the end of the list, 未設定 until configured."""
    if not any(kind in kinds for kinds in TABS.values()):
        raise ValueError(kind)
    method = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.kind == kind))
    last = db.session.scalar(select(func.max(PaymentMethod.position)).where(
        PaymentMethod.shop_id == shop_id, PaymentMethod.in_use.is_(True))) or 0
    if method is None:
        method = PaymentMethod(shop_id=shop_id, kind=kind, configured=False)
        if kind == "paidy":
            from cart.demo import PAIDY_NOTE
            method.note, method.note_on_payment_page, method.hide_from = PAIDY_NOTE, True, 300_000
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


def load_draft(shop_id: int, staff_id: int, token: str | None) -> dict | None:
    if not token:
        return None
    draft = db.session.scalar(select(SettingsDraft).where(
        SettingsDraft.shop_id == shop_id, SettingsDraft.staff_id == staff_id,
        SettingsDraft.token == token, SettingsDraft.created_at >= utcnow() - DRAFT_LIFETIME))
    return json.loads(draft.payload) if draft else None


def drop_draft(shop_id: int, token: str) -> None:
    db.session.execute(delete(SettingsDraft).where(SettingsDraft.shop_id == shop_id,
                                                   SettingsDraft.token == token))
    db.session.commit()


# -- Paidy via PAYGENT ------------------------------------------------------------------
def candidate(shop_id: int, payload: dict) -> PaygentAccount:
    """The account these settings would make (not saved): blank secrets keep the stored ones."""
    stored = account_for(shop_id)
    keep = (lambda name: getattr(stored, name) if stored else None)
    with db.session.no_autoflush:
        account = PaygentAccount(
            shop_id=shop_id, environment=payload["environment"],
            merchant_id=payload["merchant_id"], connect_id=payload["connect_id"],
            connect_password=payload.get("connect_password") or keep("connect_password") or "",
            notice_hash_key=payload.get("notice_hash_key") or keep("notice_hash_key") or "",
            paidy_public_key=payload["public_key"], capture_mode=payload["capture_mode"])
        account.client_cert_pem = None if payload.get("client_cert_delete") else (
            payload.get("client_cert") or keep("client_cert_pem"))
        account.ca_pem = None if payload.get("ca_delete") else (
            payload.get("ca") or keep("ca_pem"))
        if payload.get("logo_delete"):
            account.logo_png = None
        elif payload.get("logo"):
            account.logo_png = base64.b64decode(payload["logo"])
        else:
            account.logo_png = keep("logo_png")
    return account


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


def apply_paidy(shop, payload: dict) -> PaygentAccount:
    """Save the settings: account, Paidy method (設定済み) and its conditions; one transaction."""
    fresh = candidate(shop.id, payload)
    account = account_for(shop.id) or PaygentAccount(shop_id=shop.id)
    for name in ("environment", "merchant_id", "connect_id", "connect_password",
                 "notice_hash_key", "paidy_public_key", "capture_mode", "client_cert_pem",
                 "ca_pem", "logo_png"):
        setattr(account, name, getattr(fresh, name))
    if account.id is None:
        db.session.add(account)
    method = db.session.scalar(select(PaymentMethod).where(
        PaymentMethod.shop_id == shop.id, PaymentMethod.kind == "paidy"))
    if method is None or not method.in_use:
        method = add(shop.id, "paidy")
    apply_conditions(method, payload)
    method.banner = payload["banner"]
    method.configured = True
    db.session.commit()
    enroll_at_sandbox(shop, account)
    return account


def apply_conditions(method: PaymentMethod, payload: dict) -> None:
    method.hide_under = payload.get("hide_under") if payload.get("hide_under_on") else None
    method.hide_from = payload.get("hide_from") if payload.get("hide_from_on") else None
    method.note = payload.get("note") or ""
    method.note_on_payment_page = bool(payload.get("note_on_payment_page"))
    method.note_in_thanks_mail = bool(payload.get("note_in_thanks_mail"))


def enroll_at_sandbox(shop, account: PaygentAccount) -> None:
    """On the embedded sandbox a new merchant is enrolled with the credentials first used, as
    PAYGENT issues test credentials; a known merchant keeps its password (so a wrong one still
    fails the connection test) and only learns the shop's hash key, URL and public key."""
    sandbox = current_app.extensions.get("paygent_sandbox")
    if sandbox is None or account.environment != "sandbox":
        return
    from cart.gateway import notice_url
    store = sandbox.extensions["sandbox"].store
    known = store.merchant(account.merchant_id)
    if known is not None and (known["connect_id"] != account.connect_id
                              or known["connect_password"] != account.connect_password):
        return
    store.upsert_merchant(account.merchant_id, account.connect_id, account.connect_password,
                          account.notice_hash_key, notice_url(shop), account.paidy_public_key,
                          shop.name)
