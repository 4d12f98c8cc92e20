"""The cart side of each payment method: one module each (settings form, checkout step,
templates), looked up by the method's code through ``registry.get``. Shared code dispatches
through the registry and never tests a method's code."""
from cart.methods import registry


def init_app(app) -> None:
    """Register every method, give each its pages, and let templates reach a method's module."""
    from cart.methods.basic import BANK_TRANSFER_CART, COD_CART
    from cart.methods.atm import ATM_CART
    from cart.methods.bank import BANK_CART
    from cart.methods.card import CARD_CART
    from cart.methods.carrier import CARRIER_CART
    from cart.methods.conveni import CONVENI_CART
    from cart.methods.paidy import PAIDY_CART
    for method in (PAIDY_CART, CARD_CART, CARRIER_CART, CONVENI_CART, ATM_CART, BANK_CART,
                   BANK_TRANSFER_CART, COD_CART):
        registry.add(method)
        method.register(app)
    app.add_template_global(registry.get, "cart_method")
