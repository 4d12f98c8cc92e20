import pytest

from payments.paygent.codes import explain
from payments.paygent.results import Outcome, TelegramResult


@pytest.mark.parametrize("code, words", [
    ("P002", "接続IDパスワード"),
    ("P015", "IPアドレス"),
    ("P016", "クライアント証明書"),
    ("24003", "ペイジェント管理画面"),
    ("24006", "90日"),
    ("24007", "返金可能額"),
    ("E02004", "証明書"),
    ("E02005", "接続できませんでした"),
])
def test_operator_facing_codes_are_explained_in_japanese(code, words):
    assert words in explain(code)


def test_unknown_code_still_names_the_code():
    assert "ZZ999" in explain("ZZ999")
    assert explain("") == ""


def test_reply_classification():
    assert TelegramResult.from_reply("341", {"result": "0", "payment_id": "1"}).ok
    refused = TelegramResult.from_reply("341", {"result": "1", "response_code": "24003"})
    assert refused.outcome is Outcome.ERROR and refused.code == "24003"
    timeout = TelegramResult.from_reply("341", {"result": "1", "response_code": "24005"})
    assert timeout.outcome is Outcome.UNKNOWN
