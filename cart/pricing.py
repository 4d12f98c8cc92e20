"""Order money: pure functions over ints of yen (prices tax-included)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    product_id: int
    code: str
    name: str
    unit_price: int
    quantity: int
    tax_rate: int
    cycle: str = ""  # 定期購入's cycle ("" for a one-time purchase)
    stock: int | None = None  # what the shelf held when the cart read its product (None: not read)

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Totals:
    items_total: int
    shipping_fee: int
    target10: int   # tax-included amount subject to 10% (shipping counts here)
    target8: int    # tax-included amount subject to the reduced 8%
    tax10: int      # consumption tax included in target10
    tax8: int
    total: int


def included_tax(amount: int, rate: int) -> int:
    """Tax contained in a tax-included amount, rounded down (the usual shop practice)."""
    return amount * rate // (100 + rate)


def totals(lines: list[Line], shipping_fee: int) -> Totals:
    items_total = sum(line.subtotal for line in lines)
    target8 = sum(line.subtotal for line in lines if line.tax_rate == 8)
    target10 = items_total - target8 + shipping_fee
    return Totals(items_total=items_total, shipping_fee=shipping_fee, target10=target10,
                  target8=target8, tax10=included_tax(target10, 10),
                  tax8=included_tax(target8, 8), total=items_total + shipping_fee)
