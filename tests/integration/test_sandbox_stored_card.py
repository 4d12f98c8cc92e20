"""The sandbox's card store over real HTTP: 025 from a token of the token service, 027, 026,
020 with a stored card authorising like a token's (the declining test card declines), one
store per merchant, and faults. The shop side is the library (payments.paygent.stored_card)."""
import pytest

from payments.paygent import Outcome
from payments.paygent import card as wire
from payments.paygent import stored_card as sc
from payments.sandbox.methods.card import APPROVED_CARD, CAPTURE_FAILS_CARD, DECLINED_CARD

from .paygent_helpers import CONNECT_ID, HASH_KEY, PASSWORD, client
from .test_sandbox_card import TOKEN_KEY, TDS_KEY, new_token, register, status

OTHER = "900000456"


@pytest.fixture
def paygent(sandbox):
    register(sandbox)
    return client(sandbox)


def stored(sandbox, paygent, customer="M1", number=APPROVED_CARD, **kwargs) -> str:
    made = sc.register_card(paygent, customer, new_token(sandbox, number), **kwargs)
    assert made.ok, made
    return made.customer_card_id


def test_register_list_delete(sandbox, paygent):
    first = stored(sandbox, paygent)
    second = stored(sandbox, paygent, number="5555555555554444")
    cards = sc.list_cards(paygent, "M1")
    assert cards.ok and [c.customer_card_id for c in cards.cards] == [first, second]
    assert cards.cards[0].masked_card_number == "411111******1111"
    assert cards.cards[0].valid_term == "1239" and cards.cards[0].card_brand == "VISA"
    assert sc.delete_card(paygent, "M1", first).ok
    assert [c.customer_card_id for c in sc.list_cards(paygent, "M1").cards] == [second]
    again = sc.delete_card(paygent, "M1", first)
    assert again.outcome is Outcome.ERROR and again.code == sc.CARD_NOT_FOUND
    assert sc.list_cards(paygent, "M2").cards == ()


def test_the_token_is_used_up_and_must_be_the_merchants(sandbox, paygent):
    token = new_token(sandbox)
    assert sc.register_card(paygent, "M1", token).ok
    assert sc.register_card(paygent, "M1", token).code == wire.TOKEN_USED
    assert sc.register_card(paygent, "M1", "tok_unknown").code == wire.TOKEN_NOT_FOUND


def test_valid_check_refuses_a_declining_card(sandbox, paygent):
    checked = sc.register_card(paygent, "M1", new_token(sandbox, DECLINED_CARD),
                               valid_check=True)
    assert checked.outcome is Outcome.ERROR and checked.code == wire.DECLINED
    assert sc.list_cards(paygent, "M1").cards == ()
    # without the check it is stored (and declines at 020)
    assert sc.register_card(paygent, "M1", new_token(sandbox, DECLINED_CARD)).ok


def test_020_with_a_stored_card(sandbox, paygent):
    card_id = stored(sandbox, paygent)
    auth = sc.authorize_stored(paygent, trading_id="sub0001", amount=3980, customer_id="M1",
                               customer_card_id=card_id)
    assert auth.ok and auth.masked_card_number == "411111******1111"
    assert status(sandbox, auth.payment_id) == "20"
    sent = sandbox.telegrams("020")[-1]["request"]
    assert sent["stock_card_mode"] == "1" and "card_token" not in sent
    assert wire.send_capture(paygent, auth.payment_id).ok
    assert status(sandbox, auth.payment_id) == "40"


def test_020_stored_declines_like_the_token(sandbox, paygent):
    card_id = stored(sandbox, paygent, number=DECLINED_CARD)
    auth = sc.authorize_stored(paygent, trading_id="sub0002", amount=3980, customer_id="M1",
                               customer_card_id=card_id)
    assert auth.outcome is Outcome.ERROR and auth.code == wire.DECLINED
    assert status(sandbox, auth.payment_id) == "11"
    fails = stored(sandbox, paygent, number=CAPTURE_FAILS_CARD)
    auth = sc.authorize_stored(paygent, trading_id="sub0003", amount=100, customer_id="M1",
                               customer_card_id=fails)
    assert auth.ok and wire.send_capture(paygent, auth.payment_id).code == wire.CAPTURE_REFUSED


def test_020_stored_needs_the_customers_live_card(sandbox, paygent):
    card_id = stored(sandbox, paygent)
    other_customer = sc.authorize_stored(paygent, trading_id="s1", amount=100,
                                         customer_id="M2", customer_card_id=card_id)
    assert other_customer.code == sc.CARD_NOT_FOUND and other_customer.payment_id == ""
    sc.delete_card(paygent, "M1", card_id)
    deleted = sc.authorize_stored(paygent, trading_id="s1", amount=100, customer_id="M1",
                                  customer_card_id=card_id)
    assert deleted.code == sc.CARD_NOT_FOUND


def test_one_store_per_merchant(sandbox, paygent):
    sandbox.store.upsert_merchant(OTHER, CONNECT_ID + "2", PASSWORD, HASH_KEY, "", "",
                                  "別の店", token_key=TOKEN_KEY, tds_hash_key=TDS_KEY)
    from payments.paygent import Credentials, Endpoint, PaygentClient
    other = PaygentClient(Credentials(OTHER, CONNECT_ID + "2", PASSWORD),
                          Endpoint(sandbox.paygent_url))
    card_id = stored(sandbox, paygent, "M1")
    assert sc.list_cards(other, "M1").cards == ()
    assert sc.delete_card(other, "M1", card_id).code == sc.CARD_NOT_FOUND
    assert sc.authorize_stored(other, trading_id="x1", amount=100, customer_id="M1",
                               customer_card_id=card_id).code == sc.CARD_NOT_FOUND
    assert len(sc.list_cards(paygent, "M1").cards) == 1


def test_wrong_password_and_faults(sandbox, paygent):
    assert sc.list_cards(client(sandbox, password="wrong"), "M1").code == "P002"
    sandbox.control("faults", mode="http500", telegram_kind="025", apply=True)
    token = new_token(sandbox)
    lost = sc.register_card(paygent, "M1", token)
    assert lost.outcome is Outcome.UNKNOWN
    # it happened: 027 shows the card, so the shop books it from there
    assert len(sc.list_cards(paygent, "M1").cards) == 1
    sandbox.control("faults", mode="garbage", telegram_kind="027")
    assert sc.list_cards(paygent, "M1").outcome is Outcome.UNKNOWN
    sandbox.control("faults", mode="drop", telegram_kind="026")
    assert sc.delete_card(paygent, "M1", "1").outcome is Outcome.UNKNOWN
    sandbox.control("settings", latency_ms=400)
    slow = client(sandbox, read_timeout=0.2)
    assert sc.list_cards(slow, "M1").outcome is Outcome.UNKNOWN


def test_the_log_masks_the_token(sandbox, paygent):
    records = []
    stored(sandbox, client(sandbox, records=records))
    assert records[-1].request["card_token"] == "********"
    assert records[-1].request["connect_password"] == "********"
    assert sandbox.telegrams("025")[-1]["request"]["card_token"] == "********"
