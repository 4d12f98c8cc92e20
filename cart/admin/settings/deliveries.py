"""宅配便・送料設定: a delivery's form goes 「確認画面へ」 → 確認画面 → 「設定する」 like the other
settings pages (the input kept server-side as a settings draft, 「戻る」 bringing it back).

A pairing the payment method refuses (あと払い(ペイディ) with a 送料別途連絡 delivery) is refused
here by the same rule checkout asks, the method module's ``delivery_problem``, so the owner
cannot set up a pair that checkout would then turn away."""
from cart.admin.payments import services as drafts
from cart.methods import registry
from cart.models import DeliveryMethod, PaymentMethod

DRAFT_KIND = "delivery"
DRAFTS = drafts.Drafts(DRAFT_KIND, "settings.deliveries")
FIELDS = ("name", "fee", "fee_undetermined", "active", "payment_methods")


def initial(delivery: DeliveryMethod) -> dict:
    """What the form shows first: the stored delivery (a new one is 使用する)."""
    return {"name": delivery.name, "fee": delivery.fee,
            "fee_undetermined": bool(delivery.fee_undetermined),
            "active": True if delivery.active is None else delivery.active,
            "payment_methods": [m.id for m in delivery.payment_methods]}


def read(form) -> dict:
    """The checked form as a draft payload (the fee of a 送料別途連絡 delivery is 0)."""
    undetermined = bool(form.fee_undetermined.data)
    return {"name": form.name.data, "fee": 0 if undetermined else form.fee.data,
            "fee_undetermined": undetermined, "active": bool(form.active.data),
            "payment_methods": sorted(set(form.payment_methods.data or []))}


def pairing_problems(payload: dict, methods: list[PaymentMethod]) -> list[str]:
    """Why the chosen payment methods cannot go with this delivery, one line per refusing
    method, each in the method module's own words (the rule checkout applies)."""
    candidate = DeliveryMethod(name=payload["name"], fee=payload["fee"],
                               fee_undetermined=payload["fee_undetermined"])
    chosen = set(payload["payment_methods"])
    problems = []
    for method in methods:
        if method.id in chosen:
            problem = registry.get(method.kind).delivery_problem(candidate)
            if problem:
                problems.append(f"「{method.system_name}」: {problem}"
                                "「送料は別途連絡」をやめるか、この支払方法のチェックを外してください。")
    return problems


def apply(delivery: DeliveryMethod, payload: dict, methods: list[PaymentMethod]) -> None:
    """Write the draft onto the delivery (the caller commits)."""
    delivery.name = payload["name"]
    delivery.fee = payload["fee"]
    delivery.fee_undetermined = payload["fee_undetermined"]
    delivery.active = payload["active"]
    chosen = set(payload["payment_methods"])
    delivery.payment_methods = [m for m in methods if m.id in chosen]
