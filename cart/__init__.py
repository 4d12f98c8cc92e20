"""The cart application: tenants, storefront, checkout, admin, notifications."""
import logging
import os

from collections.abc import Mapping

from flask import Flask, Request, render_template
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from cart.config import ROOT, Config, _dev_secret_key
from cart.extensions import csrf, db, login_manager, migrate, tune_sqlite


class _Parameters(ImmutableMultiDict):
    """Query arguments and form fields with NUL characters left out: no one types them, and
    PostgreSQL can neither store nor compare text that holds one."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, Mapping):
            mapping = [(_without_nul(key), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class CartRequest(Request):
    parameter_storage_class = _Parameters


def create_app(config_object=None, **overrides) -> Flask:
    """Build the app from a config class (default: environment variables) plus overrides."""
    app = Flask(__name__, template_folder=os.path.join(ROOT, "templates"),
                static_folder=os.path.join(ROOT, "static"),
                instance_path=os.path.join(ROOT, "instance"))
    app.request_class = CartRequest
    app.config.from_object(config_object or Config)
    app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _dev_secret_key()
    logging.basicConfig(level=app.config["LOG_LEVEL"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # a file on this machine: there is no connection to lose, so no ping before each use
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "pool_pre_ping": False}
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    from cart.auth.proxies import trust_proxies
    trust_proxies(app)  # X-Forwarded-For only from the proxies in FORWARDED_ALLOW_IPS

    from cart import models  # noqa: F401  (registers the tables)
    with app.app_context():
        tune_sqlite(db.engine)
    from cart.admin import bp as admin_bp
    from cart.admin.bulk import bp as bulk_bp
    from cart.admin.mails import bp as mails_bp
    from cart.admin.members import bp as admin_members_bp
    from cart.admin.notices import bp as notice_log_bp
    from cart.admin.orders import bp as orders_bp
    from cart.admin.pages import bp as pages_bp
    from cart.admin.payments import bp as payment_settings_bp
    from cart.admin.payments.paygent import bp as paygent_settings_bp
    from cart.admin.products import bp as products_bp
    from cart.admin.reconcile import bp as reconcile_bp
    from cart.admin.settings import bp as settings_bp
    from cart.admin.staff import bp as staff_bp
    from cart.admin.subscriptions import bp as subscriptions_bp
    from cart.auth import bp as auth_bp
    from cart.checkout import bp as checkout_bp
    from cart.members import bp as members_bp
    from cart.notices import bp as notices_bp
    from cart.storefront import bp as storefront_bp
    from cart.storefront.images import bp as product_images_bp
    from cart.subscriptions.mypage import bp as member_subscriptions_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(products_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(bulk_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(payment_settings_bp)
    app.register_blueprint(paygent_settings_bp)
    app.register_blueprint(mails_bp)
    app.register_blueprint(notice_log_bp)
    app.register_blueprint(reconcile_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(admin_members_bp)
    app.register_blueprint(storefront_bp)
    app.register_blueprint(product_images_bp)
    app.register_blueprint(checkout_bp)
    app.register_blueprint(members_bp)
    app.register_blueprint(member_subscriptions_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(notices_bp)

    from cart import methods
    methods.init_app(app)  # each payment method's pages (its payment step, its settings)

    from cart import jobs
    jobs.init_app(app)
    _register_periodic_round(jobs)

    from cart.cli import register_cli
    register_cli(app)
    _register_error_pages(app)
    _register_security_headers(app)
    _register_template_helpers(app)

    @app.get("/")
    def home():
        """Point visitors at the admin login."""
        return render_template("home.html")

    if app.config["SANDBOX_ENABLED"]:
        from cart.config import sandbox_token
        from payments.sandbox import create_sandbox
        # A throwaway store (no SANDBOX_DB) gets a token of its own, kept in no file.
        keeps_token = app.config["SANDBOX_DB"] or app.config.get("SANDBOX_TOKEN")
        sandbox = create_sandbox(app.config["SANDBOX_DB"],
                                 control_token=sandbox_token(app.config) if keeps_token else None)
        app.config["SANDBOX_TOKEN"] = sandbox.extensions["sandbox"].control_token
        app.extensions["paygent_sandbox"] = sandbox
        app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/_sandbox": sandbox})
    return app


def _register_periodic_round(jobs) -> None:
    """The periodic round, in order: missed notices (N2) and notices whose processing failed
    (they may settle open attempts on their own), attempts still open past the claim timeout,
    bulk runs whose process stopped (their attempts are settled by then), the methods' own
    steps (checkout payments whose answer never came), and the stock of 決済処理中 orders no
    payment reached."""
    from cart.admin.bulk.services import resume_interrupted
    from cart.maintenance import release_unpaid_stock
    from cart.notices.services import poll_missed_notices, retry_failed
    from cart.operations import settle_overdue
    jobs.every_round("notices", poll_missed_notices)
    jobs.every_round("failed_notices", retry_failed)
    jobs.every_round("attempts", settle_overdue)
    jobs.every_round("bulk_runs", resume_interrupted)
    from cart.methods import registry
    for method in registry.all_methods():  # card attempts whose answer never came, …
        for name, step in method.round_steps():
            jobs.every_round(name, step)
    jobs.every_round("released_stock", release_unpaid_stock)
    from cart.subscriptions.runs import due_round
    jobs.every_round("subscriptions", due_round)  # today's runs, and runs PAYGENT still has
    from cart.expiry_watch import send_expiry_mails
    jobs.every_round("expiry_mails", send_expiry_mails)  # オーソリ期限切れ間近, once a day a shop
    from cart.reconciliation import reconcile_round
    jobs.every_round("reconciliation", reconcile_round)  # 照合: open payments asked with 094


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    messages = {
        400: "リクエストが正しくありません。",
        403: "このページを表示する権限がありません。",
        404: "お探しのページは見つかりませんでした。",
        405: "この操作はできません。",
        429: "リクエストが多すぎます。しばらくしてから再度お試しください。",
        413: "送信されたファイルが大きすぎます（合計16MBまで）。画面に戻ってファイルを選び直してください。",
        500: "システムエラーが発生しました。時間をおいて再度お試しください。",
    }

    def render(code, message=None):
        return render_template("error.html", code=code,
                               message=message or messages[code]), code

    for code in messages:
        app.register_error_handler(code, lambda e, code=code: render(code))
    app.register_error_handler(
        CSRFError, lambda e: render(400, "画面の有効期限が切れました。もう一度操作してください。"))


def _register_security_headers(app: Flask) -> None:
    admin_policy = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                    "script-src 'self'; frame-ancestors 'none'; form-action 'self'")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        from flask import request
        if request.path.startswith("/admin"):
            # The storefront prints the shop's own tags and Paidy's script; the admin needs
            # neither, so it gets a strict policy.
            response.headers.setdefault("Content-Security-Policy", admin_policy)
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _register_template_helpers(app: Flask) -> None:
    from datetime import timedelta, timezone
    jst_zone = timezone(timedelta(hours=9))

    @app.template_filter("yen")
    def yen(value) -> str:
        """Format an int of yen as 1,234円."""
        return f"{int(value):,}円"

    @app.template_filter("jst")
    def jst(value) -> str:
        """Format a stored (UTC) time in Japan time."""
        if value is None:
            return ""
        if value.tzinfo is None:  # SQLite hands back naive UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(jst_zone).strftime("%Y-%m-%d %H:%M")
