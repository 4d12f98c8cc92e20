"""Operator commands: ``flask --app wsgi shops create …`` and ``flask --app wsgi demo seed``."""
import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from cart.extensions import db
from cart.models import Shop, Staff
from cart.shops import add_staff, create_shop  # noqa: F401  (also imported from here)

shops_cli = AppGroup("shops", help="Manage shops (tenants).")
demo_cli = AppGroup("demo", help="Demo data.")


@shops_cli.command("create")
@click.argument("code")
@click.option("--name", required=True, help="Shop name shown to shoppers")
@click.option("--owner-email", required=True)
@click.option("--owner-password", required=True)
def shops_create(code, name, owner_email, owner_password):
    """Create a shop and its owner account."""
    try:
        shop = create_shop(code, name, owner_email, owner_password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created shop {shop.code} ({shop.name}); owner {owner_email.lower()}")


@demo_cli.command("seed")
def demo_seed():
    """Create the demo shop with products, staff and sandbox PAYGENT credentials."""
    from cart.demo import seed_demo, summary
    for line in seed_demo():
        click.echo(line)
    click.echo(summary())


@demo_cli.command("orders")
@click.option("--shop", "shop_code", required=True, help="Shop code")
@click.option("--count", type=click.IntRange(1, 10000), default=10)
def demo_orders(shop_code, count):
    """Create COUNT orders paid with Paidy through the sandbox (オーソリのみ, オーソリOK)."""
    from cart.demo import make_paid_orders
    try:
        numbers = make_paid_orders(shop_code, count)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {len(numbers)} paid orders in shop {shop_code}: "
               f"{numbers[0]} … {numbers[-1]}")


orders_cli = AppGroup("orders", help="Order housekeeping.")
notices_cli = AppGroup("notices", help="PAYGENT notices.")


def _shops(code: str | None) -> list[Shop]:
    query = select(Shop).order_by(Shop.id)
    if code:
        query = query.where(Shop.code == code)
    shops = db.session.scalars(query).all()
    if code and not shops:
        raise click.ClickException(f"no shop {code!r}")
    return shops


@orders_cli.command("rollback")
@click.option("--shop", "shop_code", help="Only this shop (default: every shop)")
def orders_rollback(shop_code):
    """Cancel 決済処理中 orders older than each shop's period and give their stock back."""
    from cart.maintenance import rollback_stale_orders
    for shop in _shops(shop_code):
        numbers = rollback_stale_orders(shop)
        click.echo(f"{shop.code}: {len(numbers)} cancelled {' '.join(numbers)}".rstrip())


@orders_cli.command("release-stock")
def orders_release_stock():
    """Give back the stock of 決済処理中 orders no payment reached within PENDING_STOCK_MINUTES."""
    from cart.maintenance import release_unpaid_stock
    numbers = release_unpaid_stock()
    click.echo(f"{len(numbers)} released {' '.join(numbers)}".rstrip())


@orders_cli.command("settle")
def orders_settle():
    """Ask PAYGENT (094) about payment operations left open: unknown outcomes, and claims
    whose process stopped before booking them."""
    from cart.operations import settle_overdue
    counts = settle_overdue()
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing open")


@notices_cli.command("fetch")
@click.option("--shop", "shop_code", help="Only this shop (default: every shop)")
def notices_fetch(shop_code):
    """Fetch missed 差分通知 with 091 and apply them (nothing is applied twice)."""
    from cart.notices.services import fetch_missed
    for shop in _shops(shop_code):
        counts = fetch_missed(shop)
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing new"
        click.echo(f"{shop.code}: {summary}")


staff_cli = AppGroup("staff", help="Staff accounts.")


def _staff(email: str) -> Staff:
    staff = db.session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None:
        raise click.ClickException(f"no staff member {email!r}")
    return staff


@staff_cli.command("disable")
@click.argument("email")
def staff_disable(email):
    """Disable a staff account: it can no longer sign in and its sessions end."""
    staff = _staff(email)
    staff.active = False
    staff.end_sessions()
    db.session.commit()
    click.echo(f"disabled {staff.email} (shop {staff.shop.code}); its sessions have ended")


@staff_cli.command("enable")
@click.argument("email")
def staff_enable(email):
    """Let a disabled staff account sign in again."""
    staff = _staff(email)
    staff.active = True
    db.session.commit()
    click.echo(f"enabled {staff.email} (shop {staff.shop.code})")


@staff_cli.command("password")
@click.argument("email")
@click.option("--password", prompt="New password", hide_input=True, confirmation_prompt=True,
              help="The new password (asked for when not given)")
def staff_password(email, password):
    """Set a staff member's password; every session of the account ends."""
    staff = _staff(email)
    if len(password) < 8:
        raise click.ClickException("password must be at least 8 characters")
    staff.set_password(password)
    staff.end_sessions()
    db.session.commit()
    click.echo(f"password of {staff.email} changed; its sessions have ended")


def register_cli(app: Flask) -> None:
    app.cli.add_command(shops_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(staff_cli)
    from cart.subscriptions.cli import subscriptions_cli
    app.cli.add_command(subscriptions_cli)
