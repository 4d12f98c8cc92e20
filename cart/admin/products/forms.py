from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                Regexp)

from cart.fields import CheckboxListField, JapaneseForm, WholeNumberField, stripped
from cart.images.processing import MAX_PER_PRODUCT
from cart.models.catalog import TAX_RATE_NAMES


class ProductForm(JapaneseForm):
    code = StringField("商品コード", filters=[stripped], validators=[
        DataRequired("商品コードを入力してください。"),
        Length(max=40, message="40文字以内で入力してください。"),
        Regexp(r"^[A-Za-z0-9_-]+\Z",
               message="半角英数字・ハイフン・アンダーバーで入力してください。")])
    name = StringField("商品名", validators=[
        DataRequired("商品名を入力してください。"),
        Length(max=200, message="200文字以内で入力してください。")])
    price = WholeNumberField("販売価格（税込）", validators=[
        InputRequired("販売価格を入力してください。"), NumberRange(min=0, max=9_999_999, message="0〜9,999,999円で入力してください。")])
    tax_rate = RadioField("税率区分", choices=[(10, TAX_RATE_NAMES[10]), (8, TAX_RATE_NAMES[8])],
                          coerce=int, default=10,
                          validators=[DataRequired("税率区分を選択してください。")])
    stock = WholeNumberField("在庫数", validators=[
        InputRequired("在庫数を入力してください。"), NumberRange(min=0, max=9_999_999, message="0〜9,999,999で入力してください。")])
    published = BooleanField("公開する", default=True)
    description = TextAreaField("商品説明", validators=[
        Length(max=2000, message="2000文字以内で入力してください。")])
    cycle_months = CheckboxListField("定期購入（月ごと）", choices=[
        ("1m", "1ヶ月ごと"), ("2m", "2ヶ月ごと"), ("3m", "3ヶ月ごと")])
    cycle_weeks = WholeNumberField("定期購入（週ごと）", validators=[
        Optional(), NumberRange(min=1, max=12, message="1〜12週で入力してください。")])
    images = MultipleFileField("商品画像を追加", render_kw={
        "accept": "image/jpeg,image/png,image/webp,image/gif", "multiple": True})

    IMAGE_HINT = (f"JPEG・PNG・WebP・GIF形式、1枚10MB・縦横8,000ピクセルまで、1商品{MAX_PER_PRODUCT}枚まで"
                  "（複数選択できます）。先頭の画像がメイン画像として商品一覧に表示されます。")

    def chosen_images(self) -> list:
        """The files chosen in 商品画像を追加 (an empty file input sends one nameless part)."""
        return [f for f in (self.images.data or []) if getattr(f, "filename", "")]

    def populate_obj(self, obj) -> None:
        """The product's own fields; the images are stored apart."""
        for name, field in self._fields.items():
            if name != "images":
                field.populate_obj(obj, name)
