import hashlib

from payments.paygent.notices import Notice, notice_hash, verify_notice

EXAMPLE = {"payment_notice_id": "12345", "payment_id": "123456789",
           "trading_id": "TRADE12345", "payment_type": "02", "payment_amount": "1000"}
KEY = "abcdefg1234567"


def test_hash_of_the_documented_example():
    expected = hashlib.sha256(b"12345123456789TRADE12345021000abcdefg1234567").hexdigest()
    assert notice_hash(EXAMPLE, KEY) == expected


def test_verify_accepts_the_right_hash_in_either_case():
    good = dict(EXAMPLE, hc=notice_hash(EXAMPLE, KEY))
    assert verify_notice(good, KEY)
    assert verify_notice(dict(good, hc=good["hc"].upper()), KEY)


def test_verify_refuses_a_tampered_amount_a_wrong_key_or_no_hash():
    good = dict(EXAMPLE, hc=notice_hash(EXAMPLE, KEY))
    assert not verify_notice(dict(good, payment_amount="1"), KEY)
    assert not verify_notice(good, "other-key")
    assert not verify_notice(EXAMPLE, KEY)
    assert not verify_notice(dict(good), "")


def test_notice_from_fields_tolerates_missing_keys():
    notice = Notice.from_fields({"payment_notice_id": "7", "payment_status": "20"})
    assert notice.payment_notice_id == "7"
    assert notice.payment_status == "20"
    assert notice.payment_id == "" and notice.payment_amount is None


def test_notice_amount_is_an_int_of_yen():
    assert Notice.from_fields(dict(EXAMPLE)).payment_amount == 1000


def test_verify_refuses_a_hash_that_is_not_ascii_instead_of_failing():
    assert not verify_notice(dict(EXAMPLE, hc="ハッシュ"), KEY)


def test_an_amount_paygent_never_sends_is_no_amount():
    for odd in ("²", "１０００", "1" * 40, "-5", "12.5"):
        assert Notice.from_fields(dict(EXAMPLE, payment_amount=odd)).payment_amount is None
