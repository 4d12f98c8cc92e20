"""商品画像: owners upload, order and delete a product's images on 商品の編集; the storefront's
list, product page and カゴ and the admin's 受注明細 show them; the images are served with an
ETag, a year of immutable caching and 304, only for the shop's own published products."""
import io
import re
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import event, select

from cart.extensions import db
from cart.images.processing import MAX_BYTES
from cart.models import OrderItem, Product, ProductImage, Shop

from ..conftest import PASSWORD, csrf_token
from .checkout_helpers import add_to_cart, product as demo_product, shop as shop_named

FIELDS = {"code": "tea-1", "name": "煎茶", "price": "1080", "tax_rate": "8", "stock": "20",
          "published": "y"}


def picture(colour=(200, 40, 40), size=(640, 480), fmt="JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def bomb_png(width=40_000, height=40_000) -> bytes:
    """A tiny PNG whose header claims width × height pixels."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture
def owner(client, make_shop, login_as):
    """Shop shop-a's owner signed in, with product tea-1 (no images yet)."""
    shop = make_shop()
    login_as("owner@shop-a.test")
    token = csrf_token(client.get("/admin/products/new").get_data(as_text=True))
    assert client.post("/admin/products/new",
                       data={"csrf_token": token, **FIELDS}).status_code == 302
    product = db.session.scalar(select(Product).where(Product.shop_id == shop.id))
    return product


def upload(client, product, *files, **fields):
    """「更新する」 on 商品の編集 with the files chosen in 商品画像を追加."""
    path = f"/admin/products/{product.id}/edit"
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = {"csrf_token": token, **FIELDS, **fields,
            "images": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(path, data=data, content_type="multipart/form-data")


def stored(product) -> list[ProductImage]:
    db.session.expire_all()
    return db.session.scalars(select(ProductImage).where(
        ProductImage.product_id == product.id).order_by(ProductImage.position)).all()


def image_srcs(html: str) -> list[str]:
    return re.findall(r'<img class="product-image[^"]*" src="([^"]+)"', html)


def test_owner_uploads_images_and_the_first_is_the_main_one(client, owner):
    response = upload(client, owner, ("赤.jpg", picture((200, 40, 40), (1600, 1200))),
                      ("青.png", picture((30, 60, 200), (300, 500), "PNG")))
    assert response.status_code == 302
    flash = client.get("/admin/products/").get_data(as_text=True)
    assert "商品「煎茶」を更新しました。画像を2枚追加しました。" in flash
    images = stored(owner)
    assert [i.position for i in images] == [0, 1]
    first, second = images
    assert (first.large_width, first.large_height) == (800, 600)
    assert (first.thumb_width, first.thumb_height) == (300, 225)
    assert (second.large_width, second.large_height) == (300, 500)  # never enlarged
    assert (second.thumb_width, second.thumb_height) == (180, 300)
    assert first.content_type == "image/jpeg" and len(first.digest) == 64
    assert Image.open(io.BytesIO(first.large_data)).size == (800, 600)
    edit = client.get(f"/admin/products/{owner.id}/edit").get_data(as_text=True)
    assert "メイン画像" in edit and "先頭にする" in edit
    assert image_srcs(edit) == [f"/admin/products/images/{first.id}/thumb?v={first.digest[:16]}",
                                f"/admin/products/images/{second.id}/thumb?v={second.digest[:16]}"]
    assert 'enctype="multipart/form-data"' in edit


def test_an_upload_without_the_csrf_token_is_refused(client, owner):
    response = client.post(f"/admin/products/{owner.id}/edit", content_type="multipart/form-data",
                           data={**FIELDS, "images": [(io.BytesIO(picture()), "a.jpg")]})
    assert response.status_code == 400
    assert stored(owner) == []


def test_a_new_product_may_come_with_its_images(client, owner):
    token = csrf_token(client.get("/admin/products/new").get_data(as_text=True))
    response = client.post("/admin/products/new", content_type="multipart/form-data", data={
        "csrf_token": token, **FIELDS, "code": "tea-2", "name": "玉露",
        "images": [(io.BytesIO(picture()), "玉露.jpg")]})
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.code == "tea-2"))
    assert len(stored(product)) == 1


BAD_FILES = [
    ("memo.txt", "商品の説明です".encode(), "「memo.txt」は画像として読み込めませんでした。"
     "JPEG・PNG・WebP・GIF形式の画像ファイルを選択してください。"),
    ("scan.bmp", picture(fmt="BMP"), "「scan.bmp」は画像として読み込めませんでした。"),
    ("broken.jpg", picture()[:400], "「broken.jpg」は画像として読み込めませんでした。"),
    ("empty.png", b"", "「empty.png」はファイルが空です。"),
    ("huge.jpg", picture()[:2] + b"\x00" * MAX_BYTES,
     "「huge.jpg」はファイルサイズが大きすぎます（1枚10MBまで）。"),
    ("bomb.png", bomb_png(), "「bomb.png」は画像が大きすぎます（縦・横それぞれ8,000ピクセルまで）。"),
    ("wide.png", bomb_png(9000, 10), "「wide.png」は画像が大きすぎます"),
]


def test_a_bad_file_is_explained_and_nothing_typed_is_lost(client, owner):
    for name, content, message in BAD_FILES:
        response = upload(client, owner, ("ok.jpg", picture()), (name, content),
                          name="新しい商品名", description="入力した説明文", price="2,160")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert message in html, name
        assert "画像は登録されていません。もう一度選択してください（ほかの入力内容はそのままです）。" in html
        assert 'value="新しい商品名"' in html and "入力した説明文" in html and 'value="2,160"' in html
        assert stored(owner) == []  # not even the good one
        db.session.expire_all()
        assert db.session.get(Product, owner.id).name == "煎茶"  # nothing half-saved


def test_the_product_form_takes_more_than_the_sites_16mb_of_files(client, owner):
    """Two 9MB files are past MAX_CONTENT_LENGTH together, not past what the form allows."""
    junk = b"\x00" * (9 * 1024 * 1024)
    response = upload(client, owner, ("a.jpg", junk), ("b.jpg", junk), name="長い名前")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "「a.jpg」は画像として読み込めませんでした。" in html
    assert "「b.jpg」は画像として読み込めませんでした。" in html
    assert 'value="長い名前"' in html


def test_images_chosen_with_a_refused_form_are_said_not_to_be_stored(client, owner):
    html = upload(client, owner, ("ok.jpg", picture()), price="abc").get_data(as_text=True)
    assert "半角数字（整数）で入力してください。" in html
    assert "画像は登録されていません。もう一度選択してください" in html
    assert stored(owner) == []


def test_at_most_ten_images_a_product(client, owner):
    assert upload(client, owner, *[(f"{n}.png", picture((n * 20, 90, 90), (40, 40), "PNG"))
                                   for n in range(8)]).status_code == 302
    html = upload(client, owner, ("a.png", picture(fmt="PNG")), ("b.png", picture(fmt="PNG")),
                  ("c.png", picture(fmt="PNG")), name="名前も変える").get_data(as_text=True)
    assert "画像は1商品につき10枚まで登録できます（登録済み8枚、選択した画像3枚）。" in html
    assert 'value="名前も変える"' in html
    assert len(stored(owner)) == 8
    assert upload(client, owner, ("a.png", picture(fmt="PNG")),
                  ("b.png", picture(fmt="PNG"))).status_code == 302
    assert len(stored(owner)) == 10


def _act(client, product, image, action, **data):
    token = csrf_token(client.get(f"/admin/products/{product.id}/edit").get_data(as_text=True))
    return client.post(f"/admin/products/{product.id}/images/{image.id}/{action}",
                       data={"csrf_token": token, **data})


def test_owner_reorders_and_deletes_images(client, owner):
    upload(client, owner, *[(f"{n}.png", picture((n * 60, 90, 90), (40, 40), "PNG"))
                            for n in range(3)])
    a, b, c = stored(owner)
    response = _act(client, owner, c, "move", move="first")
    assert response.status_code == 302 and response.location.endswith("#product-images")
    assert [i.id for i in stored(owner)] == [c.id, a.id, b.id]
    assert "メイン画像を変更しました。" in client.get(response.location).get_data(as_text=True)
    _act(client, owner, b, "move", move="up")
    assert [i.id for i in stored(owner)] == [c.id, b.id, a.id]
    _act(client, owner, c, "move", move="down")
    assert [i.id for i in stored(owner)] == [b.id, c.id, a.id]
    _act(client, owner, a, "move", move="down")  # the last stays last
    assert [(i.id, i.position) for i in stored(owner)] == [(b.id, 0), (c.id, 1), (a.id, 2)]
    assert _act(client, owner, a, "move", move="sideways").status_code == 400
    response = _act(client, owner, b, "delete")
    assert response.status_code == 302
    assert [(i.id, i.position) for i in stored(owner)] == [(c.id, 0), (a.id, 1)]
    assert "画像を削除しました。" in client.get(response.location).get_data(as_text=True)
    page = client.get(f"/s/shop-a/products/{owner.id}").get_data(as_text=True)
    assert f"/s/shop-a/images/{c.id}/large" in image_srcs(page)[0]  # the new main image
    assert _act(client, owner, b, "delete").status_code == 404  # gone already
    # a move or delete needs its CSRF token
    assert client.post(f"/admin/products/{owner.id}/images/{a.id}/delete").status_code == 400
    assert len(stored(owner)) == 2


def signed_in(app, email):
    """Another browser, signed in as ``email``."""
    browser = app.test_client()
    token = csrf_token(browser.get("/admin/login").get_data(as_text=True))
    assert browser.post("/admin/login", data={"csrf_token": token, "email": email,
                                              "password": PASSWORD}).status_code == 302
    return browser


def test_staff_cannot_change_images_but_see_them(app, client, owner):
    upload(client, owner, ("a.jpg", picture()))
    [image] = stored(owner)
    client = signed_in(app, "staff@shop-a.test")
    token = csrf_token(client.get("/admin/products/").get_data(as_text=True))
    assert client.post(f"/admin/products/{owner.id}/images/{image.id}/delete",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/admin/products/images/{image.id}/thumb").status_code == 200
    assert len(stored(owner)) == 1


def test_the_storefront_serves_an_image_with_its_etag_and_a_year_of_cache(client, owner):
    upload(client, owner, ("a.jpg", picture((10, 150, 60), (1000, 1000))))
    [image] = stored(owner)
    url = f"/s/shop-a/images/{image.id}/thumb?v={image.digest[:16]}"
    response = client.get(url)
    assert response.status_code == 200
    assert response.content_type == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = response.headers["ETag"]
    assert etag == f'"{image.digest}.thumb"'
    served = Image.open(io.BytesIO(response.data))
    assert served.format == "JPEG" and served.size == (300, 300)
    cached = client.get(url, headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""
    assert cached.headers["ETag"] == etag
    # another size is other bytes under another tag
    large = client.get(f"/s/shop-a/images/{image.id}/large", headers={"If-None-Match": etag})
    assert large.status_code == 200 and Image.open(io.BytesIO(large.data)).size == (800, 800)
    assert client.get(f"/s/shop-a/images/{image.id}/thumb",
                      headers={"If-None-Match": '"0000.thumb"'}).status_code == 200
    for bad in (f"/s/shop-a/images/{image.id}/original", f"/s/shop-a/images/{image.id}/",
                "/s/shop-a/images/99999999999999999999/thumb", "/s/shop-a/images/0/thumb",
                f"/s/nowhere/images/{image.id}/thumb"):
        assert client.get(bad).status_code == 404, bad
    # the admin's copy is private to the signed-in staff
    admin = client.get(f"/admin/products/images/{image.id}/large")
    assert admin.status_code == 200 and admin.headers["Cache-Control"].startswith("private")


def test_another_shops_image_is_404_everywhere(app, client, owner, make_shop):
    upload(client, owner, ("a.jpg", picture()), ("b.jpg", picture()))
    a, b = stored(owner)
    make_shop("shop-b", "別の店")
    assert client.get(f"/s/shop-b/images/{a.id}/thumb").status_code == 404
    client = signed_in(app, "owner@shop-b.test")
    assert client.get(f"/admin/products/images/{a.id}/thumb").status_code == 404
    token = csrf_token(client.get("/admin/products/").get_data(as_text=True))
    for path, data in ((f"/admin/products/{owner.id}/images/{a.id}/delete", {}),
                       (f"/admin/products/{owner.id}/images/{b.id}/move", {"move": "first"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404
    # shop-b's own product with shop-a's image id: 404 as well
    shop_b = db.session.scalar(select(Shop).where(Shop.code == "shop-b"))
    own = Product(shop_id=shop_b.id, code="b-1", name="B", price=100, tax_rate=10, stock=1)
    db.session.add(own)
    db.session.commit()
    assert client.post(f"/admin/products/{own.id}/images/{a.id}/delete",
                       data={"csrf_token": token}).status_code == 404
    assert [(i.id, i.position) for i in stored(owner)] == [(a.id, 0), (b.id, 1)]


def test_an_unpublished_products_image_is_404_on_the_storefront(client, owner):
    upload(client, owner, ("a.jpg", picture()))
    [image] = stored(owner)
    fields = {k: v for k, v in FIELDS.items() if k != "published"}
    token = csrf_token(client.get(f"/admin/products/{owner.id}/edit").get_data(as_text=True))
    client.post(f"/admin/products/{owner.id}/edit", data={"csrf_token": token, **fields})
    db.session.expire_all()
    assert db.session.get(Product, owner.id).published is False
    assert client.get(f"/s/shop-a/images/{image.id}/thumb").status_code == 404
    assert client.get(f"/s/shop-a/images/{image.id}/large").status_code == 404
    assert client.get(f"/admin/products/images/{image.id}/thumb").status_code == 200


def test_a_product_without_images_shows_a_neutral_box_not_a_broken_image(client, owner):
    listing = client.get("/s/shop-a/").get_data(as_text=True)
    assert "product-image-none" in listing and image_srcs(listing) == []
    page = client.get(f"/s/shop-a/products/{owner.id}").get_data(as_text=True)
    assert "<img" not in page and "product-gallery" not in page


def test_storefront_cart_and_order_lines_show_the_main_image(app, client, shops, login_as):
    """The demo shops' products come with images (seeded)."""
    tea = demo_product("tea-001")
    images = db.session.scalars(select(ProductImage).where(
        ProductImage.product_id == tea.id).order_by(ProductImage.position)).all()
    assert len(images) == 2
    main, other = images
    listing = client.get("/s/demo/").get_data(as_text=True)
    assert f"/s/demo/images/{main.id}/thumb?v={main.digest[:16]}" in listing
    assert f"/images/{other.id}/" not in listing  # the list shows main images only
    page = client.get(f"/s/demo/products/{tea.id}").get_data(as_text=True)
    srcs = image_srcs(page)
    assert srcs[0].startswith(f"/s/demo/images/{main.id}/large")
    assert any(src.startswith(f"/s/demo/images/{other.id}/thumb") for src in srcs[1:])
    assert 'width="800" height="800"' in page
    add_to_cart(client, "tea-001")
    cart = client.get("/s/demo/cart").get_data(as_text=True)
    assert f"/s/demo/images/{main.id}/thumb" in cart and "line-thumb" in cart
    # 受注明細: the line keeps product_id, so the staff see its main image
    from .test_order_list import make_order
    order = make_order(shop_named("demo").id, 501)
    db.session.add(OrderItem(shop_id=order.shop_id, order_id=order.id, product_id=tea.id,
                             code=tea.code, name=tea.name, unit_price=1080, quantity=1,
                             tax_rate=8, subtotal=1080))
    db.session.add(OrderItem(shop_id=order.shop_id, order_id=order.id, product_id=None,
                             code="gone", name="削除された商品", unit_price=100, quantity=1,
                             tax_rate=10, subtotal=100))
    db.session.commit()
    login_as("staff@example.com", "demo1234")
    show = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert f"/admin/products/images/{main.id}/thumb" in show and "削除された商品" in show


def _statements(app, fetch) -> int:
    """The statements of ``fetch()``'s request, once the shop's configuration is read (a
    process keeps it until it changes)."""
    assert fetch().status_code == 200
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = fetch()
        assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert not any("large_data" in s or "thumb_data" in s for s in seen)  # no bytes read
    return len(seen)


def _products_with_images(shop_id: int, first: int, count: int) -> list[int]:
    thumb = picture(size=(30, 30))
    ids = []
    for n in range(first, first + count):
        product = Product(shop_id=shop_id, code=f"p-{n}", name=f"商品{n}", price=100,
                          tax_rate=10, stock=5)
        db.session.add(product)
        db.session.flush()
        db.session.add(ProductImage(shop_id=shop_id, product_id=product.id, position=0,
                                    content_type="image/jpeg", digest=f"{n:064d}",
                                    large_width=30, large_height=30, thumb_width=30,
                                    thumb_height=30, large_data=thumb, thumb_data=thumb))
        ids.append(product.id)
    db.session.commit()
    return ids


def test_listing_pages_read_images_in_one_query_whatever_the_number_of_products(
        app, client, make_shop, login_as):
    shop = make_shop()
    ids = _products_with_images(shop.id, 1, 2)
    with client.session_transaction() as session:
        session[f"cart:{shop.id}"] = {str(pid): 1 for pid in ids}
    few = [_statements(app, lambda: client.get(path))
           for path in ("/s/shop-a/", "/s/shop-a/cart")]
    more = _products_with_images(shop.id, 3, 8)
    with client.session_transaction() as session:
        session[f"cart:{shop.id}"] = {str(pid): 1 for pid in ids + more}
    listing = client.get("/s/shop-a/").get_data(as_text=True)
    assert len(image_srcs(listing)) == 10
    many = [_statements(app, lambda: client.get(path))
            for path in ("/s/shop-a/", "/s/shop-a/cart")]
    assert many == few
    login_as("owner@shop-a.test")
    admin = client.get("/admin/products/").get_data(as_text=True)
    assert len(image_srcs(admin)) == 10 and "/admin/products/images/" in image_srcs(admin)[0]


def test_serving_an_image_is_one_query(app, client, owner):
    upload(client, owner, ("a.jpg", picture()))
    [image] = stored(owner)
    for headers in ({}, {"If-None-Match": f'"{image.digest}.thumb"'}):
        seen = []

        def count(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/s/shop-a/images/{image.id}/thumb", headers=headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == (304 if headers else 200)
        assert len(seen) == 1, seen


def test_seeding_the_demo_twice_keeps_one_set_of_images(app, shops):
    from cart.demo import seed_demo
    before = db.session.scalar(select(db.func.count(ProductImage.id)))
    seed_demo()
    assert db.session.scalar(select(db.func.count(ProductImage.id))) == before
    demo3 = shop_named("demo3")
    for product in db.session.scalars(select(Product).where(Product.shop_id == demo3.id)):
        assert db.session.scalar(select(ProductImage.id).where(
            ProductImage.product_id == product.id, ProductImage.position == 0)), product.code


def _statements_of(app, fetch) -> list[str]:
    seen = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert fetch().status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return seen


def test_storefront_pages_keep_a_products_images_until_the_shop_changes_them(app, client,
                                                                              owner):
    """Which images a product has is kept per process like the shop's configuration: the
    product page and the cart read no image row once kept, and a change shows at once."""
    upload(client, owner, ("a.png", picture((10, 90, 90), (40, 40), "PNG")),
           ("b.png", picture((90, 10, 90), (40, 40), "PNG")))
    a, b = stored(owner)
    with client.session_transaction() as session:
        session[f"cart:{owner.shop_id}"] = {str(owner.id): 1}
    for path in (f"/s/shop-a/products/{owner.id}", "/s/shop-a/cart"):
        client.get(path)  # kept
        assert not any("product_images" in s for s in _statements_of(app, lambda: client.get(path)))
    _act(client, owner, b, "move", move="first")
    page = client.get(f"/s/shop-a/products/{owner.id}").get_data(as_text=True)
    assert f"/s/shop-a/images/{b.id}/large" in image_srcs(page)[0]  # the new main image
    cart = client.get("/s/shop-a/cart").get_data(as_text=True)
    assert f"/s/shop-a/images/{b.id}/thumb" in cart and f"/s/shop-a/images/{a.id}/thumb" not in cart
