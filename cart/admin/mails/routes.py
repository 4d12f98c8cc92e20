from flask import render_template, request

from cart.admin.mails import bp
from cart.extensions import db
from cart.models import OutboxMail
from cart.tenancy import get_or_404, scoped

PAGE = 50


@bp.get("/")
def index():
    """List the mail the shop sent, newest first."""
    # past the last page a page is empty; a huge number would overflow the OFFSET
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 100_000)
    mails = db.session.scalars(scoped(OutboxMail).order_by(OutboxMail.id.desc())
                               .limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    return render_template("admin/mails/index.html", mails=mails[:PAGE], page=page,
                           more=len(mails) > PAGE)


@bp.get("/<int:mail_id>")
def show(mail_id):
    """Show one mail as it was sent."""
    return render_template("admin/mails/show.html", mail=get_or_404(OutboxMail, mail_id))
