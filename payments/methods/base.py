"""What a payment method module declares, and the pure rules that read it.

A method is data: its PAYGENT ``payment_type`` and telegram path, a status table (each PAYGENT
status with its names, how far along the payment's life it is, and whether it proves the buyer
paid) and a transition table (which action runs from which status, where it leaves the payment,
within which time window). The functions here answer every question from those tables, for the
order page (which buttons) and the services (what to refuse) alike, so they can never disagree.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CAPTURE = "capture"
CANCEL = "cancel"
REFUND = "refund"
ACTIONS = (CAPTURE, CANCEL, REFUND)
ACTION_NAMES = {CAPTURE: "売上確定", CANCEL: "キャンセル", REFUND: "返金"}
#: 金額変更: the payment's amount becomes a new one (the card's オーソリ変更 / 売上変更). Only a
#: method that declares it in its transitions offers it; ``ACTIONS`` stays what every method's
#: page and tables know.
CHANGE = "change"
EXTRA_ACTIONS = (CHANGE,)
EXTRA_ACTION_NAMES = {CHANGE: "金額変更"}
ALL_ACTIONS = ACTIONS + EXTRA_ACTIONS


def action_name(action: str) -> str:
    """What staff call an action (the code itself for one no method declares)."""
    return ACTION_NAMES.get(action) or EXTRA_ACTION_NAMES.get(action, action)

IN_FLIGHT_NAME = "処理結果を確認中"
UNKNOWN_NAME = "確認中"


class RuleViolation(Exception):
    """The operation is not allowed now; the message says why, in Japanese."""


@dataclass(frozen=True)
class PaymentState:
    """What the rules need to know of a payment, as the cart mirrors it."""
    status: str                     # PAYGENT status code of the payment the order uses now
    amount: int                     # what PAYGENT holds now (the refundable amount when 40)
    authorized_at: datetime | None
    captured_at: datetime | None
    in_flight: bool = False         # an operation was sent and its outcome is not settled
    refunded: int = 0               # refunded so far through partial refunds
    # which of the method's variants the payment is (a carrier payment's 携帯キャリア); "" for
    # a method without variants, or when it is not known (then no variant's rule applies)
    variant: str = ""


@dataclass(frozen=True)
class Status:
    """One PAYGENT status of a method (seed 003 §2.3, §2.2.1)."""
    code: str
    name: str                 # 決済ステータス, PAYGENT's own name
    rank: int                 # how far along its life: what PAYGENT says only moves it forward
    paid: bool = False        # proves the buyer paid or authorised: a 決済処理中 order is accepted
    shown: str = ""           # 決済状況 on the order page (default: ``name``)
    order_label: str = ""     # 差分通知後の対応状況 in the seed's cart ("" for -)
    paygent_label: str = ""   # ペイジェント状況 in the seed's payment list ("" for -)
    stamps: str = ""          # the payment's time this status records when first reached
    # reaching it cancels the order (注文取消し) and gives its stock back (seed 003 §2.3 ※1)
    closes_order: bool = False
    # ペイジェント状況 of this status once the amount was changed ("": the method's
    # ``changed_labels`` decide)
    changed_label: str = ""
    # PAYGENT moves it no further: no operation runs from it and nothing the buyer, PAYGENT or
    # an operator on PAYGENT's admin site does changes it (照合 asks PAYGENT about the others)
    final: bool = False


SINCE_NAMES = {"authorized_at": "オーソリ", "captured_at": "売上確定"}


def length_text(length: timedelta) -> str:
    """A window's length as staff read it (60日)."""
    if length % timedelta(days=1) == timedelta(0):
        return f"{length.days}日"
    return str(length)


@dataclass(frozen=True)
class Window:
    """An action may run only so long after one of the payment's times."""
    since: str                # "authorized_at" or "captured_at"
    length: timedelta
    lapsed_status: str        # PAYGENT's status once the window has closed
    message: str              # why the action is refused, with {action} for its name
    lapsed_name: str = ""     # 決済状況 once it has closed ("": the status's own name)

    @property
    def span(self) -> str:
        """Since when and how long: オーソリから60日."""
        return f"{SINCE_NAMES[self.since]}から{length_text(self.length)}"

    def closed(self, state: PaymentState, source: str, now: datetime) -> bool:
        if state.status == self.lapsed_status:
            return True
        since = getattr(state, self.since)
        return state.status == source and since is not None and now - since > self.length


@dataclass(frozen=True)
class Transition:
    """``action`` from ``source`` leaves the payment at ``target`` (``partial_target`` for a
    part of the amount); ``settles_as`` are the statuses a 094 answer proves it done with,
    ``waiting`` the one PAYGENT parks it at while it settles."""
    action: str
    source: str
    target: str
    telegram: str
    settles_as: frozenset
    waiting: str | None = None
    window: Window | None = None
    partial_target: str | None = None   # set: the action may take an amount (1 yen up)
    hint: str = ""                      # added when refused from another status
    name: str = ""                      # what staff call it from here ("": the action's name)
    # set: the action takes the payment's new amount (1 yen up, other than the current one)
    new_amount: bool = False
    # set: PAYGENT makes a new payment at ``target`` (its reply names the new payment_id) and
    # leaves the old one at this status; the order uses the new payment from then on
    replaced_status: str | None = None
    # set: the new amount must be lower than the current one (a carrier's 補正売上)
    lower_only: bool = False
    # the method's variants it applies to (empty: every payment of the method, whatever its
    # variant); a payment whose variant is not listed cannot take it
    variants: frozenset = frozenset()

    def applies_to(self, variant: str | None) -> bool:
        """Whether the transition is one a payment of ``variant`` has (None: any variant)."""
        return variant is None or not self.variants or variant in self.variants


@dataclass(frozen=True)
class Method:
    code: str                 # stored on payment methods, orders and payments
    name: str                 # what shoppers and staff see
    system_name: str          # the 決済種別 in the settings list
    group: str                # "basic" (基本決済) or "partner" (他社連携)
    payment_type: str | None = None        # PAYGENT's payment_type; None: not through PAYGENT
    telegram_path: str | None = None       # PAYGENT path of the method's own telegrams
    statuses: tuple[Status, ...] = ()
    transitions: tuple[Transition, ...] = ()
    other_telegrams: tuple[str, ...] = ()  # sent besides the operations (e.g. a verification)
    reference_field: str = ""  # the notice field carrying the method's own id of a payment
    # ペイジェント状況 once the amount was changed, by the status's own label (card: 未処理 →
    # オーソリ変更, 売上 → 売上変更)
    changed_labels: dict = field(default_factory=dict, compare=False, repr=False)
    # telegram kinds that go to another path than ``telegram_path`` (bank net: 060 ASP)
    kind_paths: dict = field(default_factory=dict, compare=False, repr=False)
    # 対応状況 of an order placed with the method ("": the cart's usual 新規受付; the deferred
    # methods' orders start as 入金待ち, seed 001)
    order_created_as: str = ""
    # the method's variants (code → name: a carrier payment's 携帯キャリア) where transitions
    # differ by variant (``Transition.variants``); ``variant_label`` names what they are
    variants: dict = field(default_factory=dict, compare=False, repr=False)
    variant_label: str = ""
    _by_code: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._by_code.update({s.code: s for s in self.statuses})

    # -- the status table ------------------------------------------------------------
    @property
    def through_paygent(self) -> bool:
        return self.payment_type is not None

    def status(self, code: str) -> Status | None:
        return self._by_code.get(code)

    def status_name(self, code: str) -> str:
        """PAYGENT's name of a status (the code itself when the method does not know it)."""
        status = self.status(code)
        return status.name if status else code

    def rank(self, code: str) -> int:
        status = self.status(code)
        return status.rank if status else -1

    def moves_forward(self, new: str, current: str) -> bool:
        """Whether ``new`` is at least as far along as ``current`` (unknown codes rank -1)."""
        return self.rank(new) >= self.rank(current)

    def is_ahead(self, new: str, current: str) -> bool:
        """Whether ``new`` is strictly further along than ``current``."""
        return self.rank(new) > self.rank(current)

    def paygent_status(self, code: str, amount_changed: bool = False) -> str:
        """ペイジェント状況 (seed 003 §2.2.1) of a payment at ``code``."""
        status = self.status(code)
        label = status.paygent_label if status is not None else ""
        if amount_changed and status is not None and status.changed_label:
            return status.changed_label
        return self.changed_labels.get(label, label) if amount_changed else label

    def paid_statuses(self) -> frozenset:
        return frozenset(s.code for s in self.statuses if s.paid)

    def final_statuses(self) -> frozenset:
        """Statuses PAYGENT moves no further: a payment at one of them needs no 照合."""
        return frozenset(s.code for s in self.statuses if s.final)

    def operated_statuses(self) -> frozenset:
        """Statuses some operation runs from: where the payment's amount is what it charges."""
        return frozenset(t.source for t in self.transitions)

    def telegram_kinds(self) -> frozenset:
        return frozenset(t.telegram for t in self.transitions) | frozenset(self.other_telegrams)

    def path_for(self, kind: str) -> str | None:
        """The PAYGENT path a telegram kind of the method goes to."""
        return self.kind_paths.get(kind, self.telegram_path)

    # -- the transition table --------------------------------------------------------
    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(a for a in ALL_ACTIONS if any(t.action == a for t in self.transitions))

    def variant_name(self, variant: str) -> str:
        return self.variants.get(variant, variant)

    def transition(self, status: str, action: str,
                   variant: str | None = None) -> Transition | None:
        """The transition ``action`` takes from ``status`` (for a payment of ``variant``; None:
        whichever variant has it)."""
        return next((t for t in self.transitions if t.source == status
                     and t.action == action and t.applies_to(variant)), None)

    def _candidates(self, action: str, variant: str | None = None) -> list[Transition]:
        return [t for t in self.transitions if t.action == action and t.applies_to(variant)]

    def lapsed(self, state: PaymentState, now: datetime) -> Window | None:
        """The window that has closed on the payment's current status, if any."""
        for t in self.transitions:
            if (t.window is not None and t.applies_to(state.variant)
                    and t.window.closed(state, t.source, now)):
                return t.window
        return None

    def allowed_actions(self, state: PaymentState, now: datetime) -> frozenset[str]:
        """The operations staff may start now: the buttons the order page shows."""
        if state.in_flight:
            return frozenset()
        return frozenset(
            t.action for t in self.transitions
            if t.source == state.status and t.applies_to(state.variant)
            and not (t.window and t.window.closed(state, t.source, now))
            and (t.partial_target is None or state.amount > 0))

    def check(self, state: PaymentState, action: str, now: datetime,
              amount: int | None = None) -> None:
        """Raise RuleViolation unless ``action`` (with an ``amount``) may run now."""
        candidates = self._candidates(action)
        if not candidates:
            raise RuleViolation("この操作は行えません。")
        if state.in_flight:
            raise RuleViolation("この受注には処理結果を確認中の操作があります。"
                                "「最新の状態を取得」で結果を確認してから操作してください。")
        name = action_name(action)
        if self.variants and state.variant not in self.variants:
            raise RuleViolation(f"{self.variant_label or '決済の種類'}が確認できないため、"
                                f"{name}はできません。")
        candidates = self._candidates(action, state.variant)
        if not candidates:
            raise RuleViolation(f"{self.variant_name(state.variant)}では{name}はできません。")
        for t in candidates:
            if t.window and t.window.closed(state, t.source, now):
                raise RuleViolation(t.window.message.format(action=name))
        transition = self.transition(state.status, action, state.variant)
        if transition is None:
            hint = next((t.hint for t in candidates if t.hint), "")
            raise RuleViolation(f"決済状況が「{self.display_status(state, now)}」のため、"
                                f"{name}はできません。{hint}")
        if transition.partial_target is not None and state.amount <= 0:
            raise RuleViolation(f"{name}可能額がないため、{name}はできません。")
        if transition.new_amount:
            _check_new_amount(state, amount, transition.lower_only)
        if amount is not None and transition.partial_target is not None:
            if isinstance(amount, bool) or not isinstance(amount, int):
                raise RuleViolation(f"{name}額は半角数字（整数）で入力してください。")
            if amount < 1:
                raise RuleViolation(f"{name}額は1円以上で入力してください。")
            if amount > state.amount:
                raise RuleViolation(f"{name}額が{name}可能額（{state.amount:,}円）を超えています。")

    def operation_name(self, status: str, action: str, variant: str | None = None) -> str:
        """What staff call ``action`` from ``status`` (a card's キャンセル after capture is its
        売上取消, its 金額変更 an オーソリ変更 or a 売上変更)."""
        transition = self.transition(status, action, variant)
        return (transition.name if transition is not None and transition.name
                else action_name(action))

    def replaced(self, status: str, action: str, variant: str | None = None) -> str | None:
        """Where the old payment is left when the action replaces it by a new one (None: the
        action moves the payment itself)."""
        transition = self.transition(status, action, variant)
        return transition.replaced_status if transition is not None else None

    def after(self, status: str, action: str, partial: bool = False,
              variant: str | None = None) -> str:
        """The status the payment the order uses is in after a successful operation."""
        transition = self.transition(status, action, variant)
        if transition is None:
            raise RuleViolation("この操作は行えません。")
        if partial and transition.partial_target is not None:
            return transition.partial_target
        return transition.target

    def settled(self, action: str, variant: str | None = None) -> tuple[frozenset, frozenset]:
        """What a 094 answer means for an operation of this kind: (done, still waiting)."""
        done, waiting = set(), set()
        for t in self._candidates(action, variant):
            done |= t.settles_as
            if t.waiting:
                waiting.add(t.waiting)
        return frozenset(done), frozenset(waiting)

    def display_status(self, state: PaymentState, now: datetime) -> str:
        """決済状況 as the order page shows it."""
        if state.in_flight:
            return IN_FLIGHT_NAME
        window = self.lapsed(state, now)
        if window is not None and window.lapsed_name:
            return window.lapsed_name
        status = self.status(state.status)
        if status is None:
            return state.status or UNKNOWN_NAME
        name = status.shown or status.name
        if state.refunded and any(t.partial_target == status.code for t in self.transitions):
            name += "（一部返金済）"
        return name


def _check_new_amount(state: PaymentState, amount, lower_only: bool = False) -> None:
    """A new amount for the payment: an int of yen, 1 up, other than what it holds now (and
    below it when ``lower_only``)."""
    if amount is None:
        raise RuleViolation("変更後の金額を入力してください。")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise RuleViolation("変更後の金額は半角数字（整数）で入力してください。")
    if amount < 1:
        raise RuleViolation("変更後の金額は1円以上で入力してください。")
    if amount == state.amount:
        raise RuleViolation(f"変更後の金額が現在の金額（{state.amount:,}円）と同じです。")
    if lower_only and amount > state.amount:
        raise RuleViolation(f"変更後の金額は現在の金額（{state.amount:,}円）より低い金額で"
                            "入力してください。")
