"""docs/methods.md carries the current output of ``python -m payments.methods.table``."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from payments.methods import ALL, Method, Status, Transition, Window, table

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "methods.md"
HEADING = "## State × action tables"


def _generated_block(text: str) -> str:
    """The doc's tables: from the section's first method heading to the section's end."""
    section = text.split(HEADING, 1)[1]
    section = section.split("\n## ", 1)[0]
    return section[section.index("\n### ") + 1:].rstrip("\n") + "\n"


def test_the_command_prints_the_tables():
    printed = subprocess.run([sys.executable, "-m", "payments.methods.table"], cwd=ROOT,
                             capture_output=True, check=True,
                             env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert printed.stdout.decode("utf-8") == table.render()


def test_docs_methods_md_has_the_current_tables():
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text
    assert "python -m payments.methods.table" in text.split(HEADING, 1)[1]
    assert _generated_block(text) == table.render(), (
        "docs/methods.md is out of date: replace the tables under "
        f"'{HEADING}' with the output of `python -m payments.methods.table`")


def test_every_method_has_its_section():
    rendered = table.render()
    for method in ALL:
        assert f"### {method.name} (`{method.code}`)\n" in rendered
    assert rendered.endswith("|\n") or rendered.endswith("allowed.\n")
    assert not rendered.endswith("\n\n")


def test_a_table_of_a_made_up_method():
    """What Paidy's tables never show: an operation with no window and no waiting status, a
    window of hours, an empty label, a bar in a name."""
    made_up = Method(
        code="made_up", name="テスト", system_name="テスト", group="partner",
        payment_type="99", telegram_path="/n/test",
        statuses=(Status("A", "甲|乙", rank=0, paid=True, order_label="新規受付"),
                  Status("B", "丙", rank=1)),
        transitions=(
            Transition("capture", "A", "B", "901", settles_as=frozenset({"B"})),
            Transition("cancel", "A", "B", "902", settles_as=frozenset({"B"}),
                       window=Window("authorized_at", timedelta(hours=2), "B", "")),
            Transition("refund", "B", "A", "903", settles_as=frozenset({"A"}),
                       window=Window("captured_at", timedelta(days=3), "B", "")),
        ))
    assert table.method_section(made_up) == [
        "### テスト (`made_up`)",
        "",
        "PAYGENT payment_type 99; telegrams 901, 902, 903 to `/n/test`.",
        "",
        "| コード | 決済ステータス | 決済状況 | 対応状況 | ペイジェント状況 | paid | 売上確定 (capture) |"
        " キャンセル (cancel) | 返金 (refund) |",
        "|---|---|---|---|---|---|---|---|---|",
        "| A | 甲\\|乙 | 甲\\|乙 | 新規受付 | - | yes | → B 丙 | → B 丙 (オーソリから2:00:00以内) | — |",
        "| B | 丙 | 丙 | - | - | no | — | — | → A 甲\\|乙 (売上確定から3日以内) |",
        "",
        "| 操作 | 電文 | 元 | 成功後 | 応答なしの間 | 094 で完了とみなす | 期限 | 期限後 |",
        "|---|---|---|---|---|---|---|---|",
        "| 売上確定 (capture) | 901 | A 甲\\|乙 | B 丙 | - | B | - | - |",
        "| キャンセル (cancel) | 902 | A 甲\\|乙 | B 丙 | - | B | オーソリから2:00:00以内 | B 丙 |",
        "| 返金 (refund) | 903 | B 丙 | A 甲\\|乙 | - | A | 売上確定から3日以内 | B 丙 |",
    ]
