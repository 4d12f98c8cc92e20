from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField

from cart.subscriptions import cycles


class CycleForm(FlaskForm):
    cycle = SelectField("お届け間隔", choices=[])

    def offer(self, offered: list[str], current: str) -> None:
        keys = list(dict.fromkeys(offered + [current]))
        self.cycle.choices = [(c, cycles.label(c)) for c in keys if cycles.valid(c)]
        if not self.is_submitted():
            self.cycle.data = current


class NextDateForm(FlaskForm):
    next_date = DateField("次回お届け予定日", format="%Y-%m-%d",
                          render_kw={"type": "date"})


class ResultUploadForm(FlaskForm):
    result_file = FileField("結果ファイル（ペイジェントオンラインからダウンロードしたCSV）")
