"""The pages the storefront's footer links to: 特定商取引法に基づく表記 and プライバシーポリシー.

Each reads the shop's ``ShopPages`` row once; no other storefront page reads it (the footer
only links here). A page the owner has not written yet is not a 404: it says so politely."""
from flask import g, render_template

from cart.models.shop_pages import TOKUSHOHO_FIELDS, pages_for
from cart.storefront import bp


@bp.get("/tokushoho")
def tokushoho():
    """特定商取引法に基づく表記: the items the owner wrote, in the law's order."""
    pages = pages_for(g.shop.id)
    rows = [(name, label, getattr(pages, name)) for name, label, _ in TOKUSHOHO_FIELDS
            if (getattr(pages, name) or "").strip()] \
        if pages is not None and pages.tokushoho_filled else None
    return render_template("storefront/tokushoho.html", shop=g.shop, rows=rows)


@bp.get("/privacy")
def privacy():
    """プライバシーポリシー: the owner's text, as written."""
    pages = pages_for(g.shop.id)
    text = pages.privacy_policy if pages is not None and pages.privacy_filled else None
    return render_template("storefront/privacy.html", shop=g.shop, text=text)
