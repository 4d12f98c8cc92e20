"""``flask --app wsgi subscriptions run [--shop CODE] [--date YYYY-MM-DD]``: the due runs."""
from datetime import date

import click
from flask.cli import AppGroup

subscriptions_cli = AppGroup("subscriptions", help="定期購入: repeat orders and their file payment.")


@subscriptions_cli.command("run")
@click.option("--shop", "shop_code", default=None, help="Only this shop (its code).")
@click.option("--date", "day", default=None, help="The due date, YYYY-MM-DD (default: today, JST).")
def run_command(shop_code, day):
    """Create the day's repeat orders, send their authorisation file and book results so far."""
    from cart.models import Shop
    from cart.extensions import db
    from cart.subscriptions.runs import due_round
    from sqlalchemy import select
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("YYYY-MM-DD の形式で指定してください。", param_hint="--date")
    if shop_code and db.session.scalar(select(Shop.id).where(Shop.code == shop_code)) is None:
        raise click.ClickException(f"ショップ {shop_code} はありません。")
    counts = due_round(when, shop_code)
    click.echo(f"runs {counts['runs']}, orders {counts['orders']}, "
               f"waiting {counts['waiting']}, errors {counts['errors']}")
    if counts["errors"]:
        raise SystemExit(1)
