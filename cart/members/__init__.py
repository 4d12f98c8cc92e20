"""会員 on each shop's storefront: 会員登録, ログイン, ログアウト, パスワード再設定 and マイページ,
under /s/<shop_code>/member/ (docs/members.md)."""
from flask import Blueprint

from cart.storefront import shop_scoped

bp = shop_scoped(Blueprint("members", __name__, url_prefix="/s/<shop_code>/member"))


@bp.app_context_processor
def _member_helpers():
    from cart.members.session import MYPAGE_SECTIONS, current_member
    return {"current_member": current_member, "mypage_sections": MYPAGE_SECTIONS}


from cart.members import routes  # noqa: E402,F401
