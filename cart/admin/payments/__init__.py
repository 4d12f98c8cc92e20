from flask import Blueprint

from cart.tenancy import owners_only

bp = owners_only(Blueprint("payment_settings", __name__, url_prefix="/admin/payment-methods"))

from cart.admin.payments import routes  # noqa: E402,F401
