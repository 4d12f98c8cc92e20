"""The 差分通知 endpoint PAYGENT POSTs to, one URL per shop (N1)."""
import logging

from flask import Response, g, request
from sqlalchemy import select

from cart.extensions import csrf, db
from cart.models import Shop
from cart.notices import bp
from cart.notices.services import receive
from payments.paygent.codec import decode_form
from payments.paygent.notices import ACCEPTED_REPLY

log = logging.getLogger("cart.notices")


@bp.post("/paygent/<shop_code>")
@csrf.exempt  # PAYGENT cannot send our token: the hc hash authenticates the notice instead
def paygent(shop_code):
    """Receive a 差分通知; reply exactly result=0 once it is safely recorded."""
    shop = db.session.scalar(select(Shop).where(Shop.code == shop_code)) \
        if "\x00" not in shop_code else None
    if shop is None:
        return _reply("result=1", 404)
    g.shop = shop  # the shop's configuration is read as the storefront reads it
    # PAYGENT sends no NUL characters (and PostgreSQL could not store them): left out, a
    # hashed field no longer matches its hash
    fields = {k.replace("\x00", ""): v.replace("\x00", "")
              for k, v in decode_form(request.get_data()).items()}
    try:
        outcome = receive(shop, fields)
    except Exception:  # kept as failed: anything but result=0 makes PAYGENT send it again
        log.exception("notice for shop %s could not be applied", shop.code)
        return _reply("result=1", 500)
    if outcome == "forged":
        log.warning("notice with a bad hash refused for shop %s from %s", shop.code,
                    request.remote_addr)
        return _reply("result=1", 403)
    return _reply(ACCEPTED_REPLY)


def _reply(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")
