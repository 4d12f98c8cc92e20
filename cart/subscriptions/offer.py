"""Whether and how a shop sells 定期購入: to members only, paid only by a method that keeps
their cards at PAYGENT (カード情報お預かり機能), in the cycles each product offers."""
from cart.methods import registry
from cart.shop_settings import listed_methods
from cart.subscriptions import cycles

MEMBERS_ONLY = "定期購入のお申し込みには会員登録（ログイン）が必要です。"
NOT_SOLD = "この商品は現在、定期購入でお申し込みいただけません。"
CARD_ONLY = "定期購入の商品は、カード情報を登録できるお支払い方法でのみご購入いただけます。"


def paying_methods(shop_id: int) -> list:
    """The shop's listed methods that can pay 定期購入 (they keep the member's card)."""
    return [m for m in listed_methods(shop_id) if registry.get(m.kind).keeps_cards(shop_id)]


def sells_subscriptions(shop_id: int) -> bool:
    return bool(paying_methods(shop_id))


def product_cycles(shop_id: int, product) -> list[str]:
    """The cycles a product may be bought in now (none when the shop cannot take them)."""
    offered = cycles.offered(product.subscription_cycles)
    return offered if offered and sells_subscriptions(shop_id) else []
