"""帳票出力 of one order: 納品書 and 領収書 as printable pages (A4; the admin's menus are hidden
when printing).

Both print what the order stored: its lines with 単価 / 数量 / 小計 and tax rate, 送料, 金額調整,
the tax-included amount per rate (10%対象 / 8%対象) and the consumption tax in it, 合計. Nothing
is computed again (money is an int of yen, the taxes were fixed when the order was made or
edited).

A 領収書 is offered only once the money is in (``receipt_problem``): the payment's method says
so in its status table (a status whose 対応状況 is 入金済み: a card or Paidy payment at 売上 /
消込済, a carrier payment at 売上済, a コンビニ / ATM / 銀行ネット payment cleared), with no
operation in flight, and for the amount PAYGENT holds (an order whose total differs from the
payment after a partial refund is refused: its per-rate taxes would not add up). An order paid
outside PAYGENT (銀行振込, 代金引換) has nothing that proves the payment, so its 領収書 waits
until staff moved it to 受注完了. The operator may type another 宛名 and 但し書き (GET, escaped
like all text) before printing.
"""
from datetime import datetime, timezone

from flask import render_template, request
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import AnyOf, Length, Optional

from cart import operations
from cart.admin.orders import bp
from cart.fields import JapaneseForm, stripped
from cart.models import Order
from cart.models.base import JST, aware
from cart.models.order import status_named
from cart.tenancy import get_or_404
from payments import methods

CLOSED = ("cancelled", "payment_failed")
DEFAULT_NOTE = "お品代"
HONORIFICS = ("様", "御中")


class ReceiptForm(JapaneseForm):
    """What the operator may change on a 領収書 before printing."""
    class Meta:
        csrf = False  # a GET that changes nothing

    name = StringField("宛名", filters=[stripped], validators=[
        Optional(), Length(max=100, message="100文字以内で入力してください。")])
    honorific = SelectField("敬称", choices=[(h, h) for h in HONORIFICS], default="様",
                            validate_choice=False, validators=[
                                Optional(), AnyOf(HONORIFICS, "敬称は一覧から選択してください。")])
    note = StringField("但し書き", filters=[stripped], validators=[
        Optional(), Length(max=50, message="50文字以内で入力してください。")])


def receipt_problem(order: Order) -> str:
    """Why no 領収書 may be issued for the order yet ("" when it may)."""
    if order.status in CLOSED:
        return f"この受注は{order.status_name}のため、領収書を発行できません。"
    payment = order.payment
    method = methods.find(order.payment_kind)
    if payment is None:
        if method is not None and method.through_paygent:
            return "決済が完了していないため、領収書を発行できません。"
        if order.status != "completed":
            return (f"{order.payment_name}の受注は、入金をご確認のうえ受注完了一覧へ移動すると"
                    "領収書を発行できます。")
        return ""
    if payment.in_flight_attempt_id is not None:
        return ("ペイジェントへの処理の結果を確認中のため、領収書を発行できません。"
                "「最新の状態を取得」で結果を確認してください。")
    status = payment.lib.status(payment.status)
    if status is None or status_named(status.order_label, "") != "paid":
        shown = payment.lib.display_status(operations.state_of(payment), operations.now())
        return (f"決済状況が「{shown}」のため、領収書を発行できません。"
                "領収書は売上確定・入金の確認後に発行できます。")
    if payment.amount != order.total:
        return (f"受注額（{order.total:,}円）とペイジェントでの決済額（{payment.amount:,}円）が"
                "異なるため、領収書を発行できません。")
    return ""


@bp.app_template_global("receipt_problem")
def _receipt_problem(order: Order) -> str:
    return receipt_problem(order)


@bp.get("/<int:order_id>/delivery-note")
def delivery_note(order_id):
    """納品書."""
    order = get_or_404(Order, order_id)
    return render_template("admin/orders/documents/delivery_note.html", order=order,
                           **_common(order))


@bp.get("/<int:order_id>/receipt")
def receipt(order_id):
    """領収書, or why it cannot be issued yet (409)."""
    order = get_or_404(Order, order_id)
    problem = receipt_problem(order)
    form = ReceiptForm(request.args)
    if request.args:
        form.validate()
    name = order.buyer_name if form.name.errors or not form.name.data else form.name.data
    honorific = "様" if form.honorific.errors else (form.honorific.data or "様")
    note = DEFAULT_NOTE if form.note.errors or not form.note.data else form.note.data
    return render_template("admin/orders/documents/receipt.html", order=order, form=form,
                           problem=problem, default_note=DEFAULT_NOTE, addressee=name, honorific=honorific, note=note,
                           **_common(order)), 409 if problem else 200


def _common(order: Order) -> dict:
    """The issuer and the dates both documents print. The issuer is the shop's name: the shop
    settings hold no postal address or 登録番号, and their one address (受注通知メールの送信先,
    at first the owner's sign-in address) is the shop's own inbox, not one for buyers."""
    return {"shop": current_user.shop,
            "issued_on": datetime.now(timezone.utc).astimezone(JST).date(),
            "ordered_at": _jst(order.placed_at or order.created_at)}


def _jst(value):
    return aware(value).astimezone(JST)
