"""Each method's status × action table in Markdown: ``python -m payments.methods.table``.

Everything is read from the method modules through the same rules the cart uses, so the
tables say what the code does. docs/methods.md carries the output; a unit test fails when
the two differ.
"""
import sys
from datetime import datetime, timezone

from . import ALL
from .base import ACTIONS, Method, PaymentState, Transition, Window, action_name

_NOW = datetime(2000, 1, 1, tzinfo=timezone.utc)  # no time is given, so no window has run


def _cell(text: str) -> str:
    return (text or "-").replace("|", "\\|")


def window_text(window: Window) -> str:
    return f"{window.span}以内"


def _status(method: Method, code: str) -> str:
    return f"{code} {method.status_name(code)}"


def transition_text(method: Method, transition: Transition | None) -> str:
    if transition is None:
        return "—"
    text = f"→ {_status(method, transition.target)}"
    if transition.partial_target is not None:
        text += f"（一部: → {_status(method, transition.partial_target)}）"
    if transition.window is not None:
        text += f" ({window_text(transition.window)})"
    return text


def shown(method: Method, code: str) -> str:
    """決済状況 for a payment at ``code``, idle and inside every window."""
    return method.display_status(PaymentState(code, 1, None, None), _NOW)


def _actions(method: Method) -> tuple[str, ...]:
    """The columns: every common action, and the method's own ones (金額変更) when it has them."""
    return ACTIONS + tuple(a for a in method.actions if a not in ACTIONS)


def status_table(method: Method) -> list[str]:
    header = (["コード", "決済ステータス", "決済状況", "対応状況", "ペイジェント状況", "paid"]
              + [f"{action_name(a)} ({a})" for a in _actions(method)])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for status in method.statuses:
        row = [status.code, status.name, shown(method, status.code), status.order_label,
               status.paygent_label, "yes" if status.paid else "no"]
        row += [transition_text(method, method.transition(status.code, a))
                for a in _actions(method)]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def operation_table(method: Method) -> list[str]:
    lines = ["| 操作 | 電文 | 元 | 成功後 | 応答なしの間 | 094 で完了とみなす | 期限 | 期限後 |",
             "|---|---|---|---|---|---|---|---|"]
    for t in method.transitions:
        after = _status(method, t.target)
        if t.partial_target is not None:
            after += f"（一部: {_status(method, t.partial_target)}）"
        window = t.window
        row = [f"{action_name(t.action)} ({t.action})", t.telegram, _status(method, t.source),
               after, _status(method, t.waiting) if t.waiting else "",
               ", ".join(sorted(t.settles_as)),
               window_text(window) if window else "",
               _status(method, window.lapsed_status) if window else ""]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def method_section(method: Method) -> list[str]:
    lines = [f"### {method.name} (`{method.code}`)", ""]
    if not method.through_paygent:
        lines.append("Not through PAYGENT: no statuses, and no operation is ever allowed.")
        return lines
    kinds = ", ".join(sorted(method.telegram_kinds()))
    lines += [f"PAYGENT payment_type {method.payment_type}; telegrams {kinds} to "
              f"`{method.telegram_path}`.", ""]
    lines += status_table(method)
    if method.transitions:
        lines += [""] + operation_table(method)
    return lines


def render() -> str:
    lines: list[str] = []
    for method in ALL:
        if lines:
            lines.append("")
        lines += method_section(method)
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
