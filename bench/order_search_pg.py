"""受注一覧 and its searches on PostgreSQL: 1,000,000 orders across 1,000 shops, p50 / p95 in ms.

One shop is made to hold 10,000 orders. Every case is measured twice for that shop: first while
the tables hold only its 10,000 orders, then with them spread through 1,000,000 orders of all
shops (same rows for the shop, interleaved in time with the others as real orders would be).
Each request goes through the Flask test client as the shop's signed-in owner, so the figures
include the count for 「N件HIT」, the page of 50 rows with their payments and the rendering. Deep
pages are measured as the pager's 「>>」 opens them (the key of the row before the page,
``after=``), as a numbered link does (a key and how many rows on, ``after=…&skip=150``) and as a
typed ``?page=N``. The plans PostgreSQL actually used for the app's statements (after the
warm-up, so possibly the driver's prepared generic plans) are printed with EXPLAIN ANALYZE
output.

Then the indexes proposed in PROPOSED_INDEXES (not in the migrations yet) are created and every
case is measured a third time (``--no-proposed`` skips this).

The last line printed is one JSON object with every figure (p50 / p95 / HIT per case and
layout).

The script starts a throwaway PostgreSQL server (scripts/pg-test-server.sh) on a free loopback
port, unless DATABASE_URL names a PostgreSQL server; either way it works in a database of its
own, created for the run (schema from the project's Alembic migrations) and dropped at the end.

    python bench/order_search_pg.py [--orders 1000000] [--shops 1000] [--shop-orders 10000]
                                    [--runs 60] [--warmup 8] [--collation C] [--keep]
                                    [--no-explain] [--no-proposed]
"""
import argparse
import json
import logging
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._proc import free_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JST = timezone(timedelta(hours=9))
SPAN_DAYS = 730           # orders are spread over about two years up to now

# Indexes proposed for the migrations, measured in a third pass when there are any (the last
# one, ix_orders_shop_status_total for 購入金額 ranges, is migration 0015 now).
PROPOSED_INDEXES: list[str] = []

# The 40 commonest surnames with their readings, the romanisation used for e-mail addresses
# and roughly how many people in a thousand carry them; the rest of the thousand slots go to
# less common two-kanji surnames built from PARTS, so a surname search finds what it would in a
# real customer base (佐藤 about 1.5 %, a rare name a handful of orders).
SURNAMES = [
    ("佐藤", "サトウ", "sato", 15), ("鈴木", "スズキ", "suzuki", 14),
    ("高橋", "タカハシ", "takahashi", 11), ("田中", "タナカ", "tanaka", 10),
    ("伊藤", "イトウ", "ito", 9), ("渡辺", "ワタナベ", "watanabe", 9),
    ("山本", "ヤマモト", "yamamoto", 9), ("中村", "ナカムラ", "nakamura", 8),
    ("小林", "コバヤシ", "kobayashi", 8), ("加藤", "カトウ", "kato", 7),
    ("吉田", "ヨシダ", "yoshida", 7), ("山田", "ヤマダ", "yamada", 7),
    ("佐々木", "ササキ", "sasaki", 6), ("山口", "ヤマグチ", "yamaguchi", 5),
    ("松本", "マツモト", "matsumoto", 5), ("井上", "イノウエ", "inoue", 5),
    ("木村", "キムラ", "kimura", 5), ("林", "ハヤシ", "hayashi", 4), ("斎藤", "サイトウ", "saito", 4),
    ("清水", "シミズ", "shimizu", 4), ("山崎", "ヤマザキ", "yamazaki", 4), ("森", "モリ", "mori", 4),
    ("池田", "イケダ", "ikeda", 4), ("橋本", "ハシモト", "hashimoto", 4), ("阿部", "アベ", "abe", 4),
    ("石川", "イシカワ", "ishikawa", 3), ("山下", "ヤマシタ", "yamashita", 3),
    ("中島", "ナカジマ", "nakajima", 3), ("石井", "イシイ", "ishii", 3), ("小川", "オガワ", "ogawa", 3),
    ("前田", "マエダ", "maeda", 3), ("岡田", "オカダ", "okada", 3),
    ("長谷川", "ハセガワ", "hasegawa", 3), ("藤田", "フジタ", "fujita", 3), ("後藤", "ゴトウ", "goto", 3),
    ("近藤", "コンドウ", "kondo", 3), ("村上", "ムラカミ", "murakami", 3), ("遠藤", "エンドウ", "endo", 3),
    ("青木", "アオキ", "aoki", 3), ("坂本", "サカモト", "sakamoto", 3),
]
PARTS = (
    [("石", "イシ", "ishi"), ("川", "カワ", "kawa"), ("大", "オオ", "oo"), ("小", "コ", "ko"),
     ("山", "ヤマ", "yama"), ("中", "ナカ", "naka"), ("上", "ウエ", "ue"), ("下", "シモ", "shimo"),
     ("松", "マツ", "matsu"), ("竹", "タケ", "take"), ("藤", "フジ", "fuji"), ("西", "ニシ", "nishi"),
     ("東", "ヒガシ", "higashi"), ("北", "キタ", "kita"), ("南", "ミナミ", "minami"),
     ("高", "タカ", "taka"), ("長", "ナガ", "naga"), ("宮", "ミヤ", "miya"), ("岡", "オカ", "oka"),
     ("原", "ハラ", "hara"), ("森", "モリ", "mori"), ("今", "イマ", "ima"), ("平", "ヒラ", "hira"),
     ("浜", "ハマ", "hama"), ("桜", "サクラ", "sakura"), ("菊", "キク", "kiku"), ("福", "フク", "fuku"),
     ("吉", "ヨシ", "yoshi"), ("野", "ノ", "no"), ("秋", "アキ", "aki")],
    [("田", "ダ", "da"), ("川", "カワ", "kawa"), ("村", "ムラ", "mura"), ("本", "モト", "moto"),
     ("野", "ノ", "no"), ("井", "イ", "i"), ("島", "ジマ", "jima"), ("崎", "ザキ", "zaki"),
     ("沢", "ザワ", "zawa"), ("原", "ハラ", "hara"), ("谷", "タニ", "tani"), ("口", "グチ", "guchi"),
     ("内", "ウチ", "uchi"), ("木", "キ", "ki"), ("岡", "オカ", "oka"), ("山", "ヤマ", "yama"),
     ("橋", "ハシ", "hashi"), ("尾", "オ", "o"), ("部", "ベ", "be"), ("池", "イケ", "ike")])
RARE_SURNAMES = [(a[0] + b[0], a[1] + b[1], a[2] + b[2]) for a in PARTS[0] for b in PARTS[1]
                 if a[0] != b[0]]
SURNAME_SLOTS = [(k, r, m) for k, r, m, per_mille in SURNAMES for _ in range(per_mille)]
SURNAME_SLOTS += [RARE_SURNAMES[i % len(RARE_SURNAMES)]
                  for i in range(1000 - len(SURNAME_SLOTS))]
GIVEN = [
    ("太郎", "タロウ", "taro"), ("花子", "ハナコ", "hanako"), ("一郎", "イチロウ", "ichiro"),
    ("美咲", "ミサキ", "misaki"), ("健太", "ケンタ", "kenta"), ("陽子", "ヨウコ", "yoko"),
    ("翔", "ショウ", "sho"), ("さくら", "サクラ", "sakura"), ("大輔", "ダイスケ", "daisuke"),
    ("由美", "ユミ", "yumi"), ("蓮", "レン", "ren"), ("陽菜", "ヒナ", "hina"),
    ("悠真", "ユウマ", "yuma"), ("結衣", "ユイ", "yui"), ("直樹", "ナオキ", "naoki"),
    ("恵子", "ケイコ", "keiko"), ("誠", "マコト", "makoto"), ("裕子", "ユウコ", "yuko"),
    ("拓也", "タクヤ", "takuya"), ("愛", "アイ", "ai"), ("和也", "カズヤ", "kazuya"),
    ("真由美", "マユミ", "mayumi"), ("翼", "ツバサ", "tsubasa"), ("彩", "アヤ", "aya"),
    ("浩", "ヒロシ", "hiroshi"), ("久美子", "クミコ", "kumiko"), ("亮", "リョウ", "ryo"),
    ("明美", "アケミ", "akemi"), ("学", "マナブ", "manabu"), ("智子", "トモコ", "tomoko"),
]
DOMAINS = ["gmail.com", "yahoo.co.jp", "docomo.ne.jp", "icloud.com", "ezweb.ne.jp",
           "softbank.ne.jp", "outlook.jp", "nifty.com"]
# (prefecture, city, zip prefix), repeated roughly by population.
PLACES = ([("東京都", "渋谷区神宮前", "150"), ("東京都", "世田谷区三軒茶屋", "154"),
           ("東京都", "練馬区豊玉北", "176")] * 3
          + [("神奈川県", "横浜市港北区日吉", "223"), ("神奈川県", "川崎市中原区小杉町", "211")] * 2
          + [("大阪府", "大阪市北区梅田", "530"), ("大阪府", "堺市堺区南瓦町", "590")] * 2
          + [("愛知県", "名古屋市中区栄", "460"), ("埼玉県", "さいたま市浦和区高砂", "330"),
             ("千葉県", "千葉市中央区富士見", "260"), ("兵庫県", "神戸市中央区三宮町", "650"),
             ("福岡県", "福岡市博多区博多駅前", "812"), ("北海道", "札幌市中央区北一条西", "060"),
             ("京都府", "京都市中京区烏丸通", "604"), ("静岡県", "静岡市葵区追手町", "420"),
             ("宮城県", "仙台市青葉区一番町", "980"), ("広島県", "広島市中区基町", "730"),
             ("沖縄県", "那覇市久茂地", "900"), ("長野県", "松本市中央", "390")])
PRODUCTS = [("静岡煎茶 深蒸し 100g", 1080, 8), ("宇治抹茶 30g缶", 2160, 8),
            ("有田焼 湯呑み", 3300, 10), ("お茶と湯呑みのギフトセット", 5500, 10),
            ("ほうじ茶 ティーバッグ 20袋", 756, 8), ("玄米茶 200g", 648, 8),
            ("和紅茶 べにふうき 50g", 1296, 8), ("常滑焼 急須", 6600, 10),
            ("茶筅 百本立", 3850, 10), ("抹茶ラテの素 200g", 1404, 8),
            ("本練羊羹 詰め合わせ", 3240, 8), ("水出し緑茶 ボトル", 2200, 10)]
LANDLINE_CODES = ["03", "06", "045", "052", "092", "011", "075", "022"]
MOBILE_CODES = ["090", "080", "070"]

# Deterministic pseudo-random numbers in [0, 1): the same (g, salt) always gives the same
# value, so the measured shop's rows are identical in both layouts.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION bench_r(g bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8(g * 1000003 + salt)::float8 + 2147483648.0::float8) / 4294967296.0::float8 $$;
CREATE OR REPLACE FUNCTION bench_pick(arr text[], r float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT arr[1 + floor(r * array_length(arr, 1))::int] $$;
"""

# One row per order; ``g`` (1..n) is both the order id and its position in time. The measured
# shop owns every ``step``-th order; the others go to the other shops (mildly skewed). The
# per-shop order number follows time, as the app's order00001 sequence does. Values are stored
# as the checkout form leaves them: NFKC (half-width spaces), katakana readings, digits-only
# postcodes and phone numbers.
ORDERS_SQL = """
INSERT INTO orders (id, shop_id, number, status, cart_type, capture_mode, buyer_name, buyer_kana,
    zip_code, prefecture, city, street, building, tel, mobile, email, delivery_method_id,
    delivery_name, payment_method_id, payment_kind, payment_name, items_total, shipping_fee,
    target10, target8, tax10, tax8, total, adjust_label, adjust10, adjust8, version,
    completed_at, cancelled_at, stock_reserved, needs_review, placed_at, created_at, updated_at)
SELECT g, shop_id, 'order' || lpad(k::text, 5, '0'), status, cart_type, 'auth',
    CASE WHEN style < 0.95 THEN sei || ' ' || mei ELSE sei_kana || ' ' || mei_kana END,
    sei_kana || ' ' || mei_kana,
    zip_prefix || lpad(mod(p, 10000)::text, 4, '0'), prefecture, city,
    (1 + mod(p, 5)) || '-' || (1 + mod(p, 23)) || '-' || (1 + mod(p, 17)),
    CASE WHEN bench_r(p, 9) < 0.35 THEN 'コーポ' || sei || ' ' || (101 + mod(p, 5) * 100
         + mod(p, 4)) || '号室' ELSE '' END,
    tel, mobile, email, NULL, delivery_name, NULL, payment_kind,
    CASE payment_kind WHEN 'paidy' THEN 'あと払い(ペイディ)' WHEN 'bank_transfer' THEN '銀行振込'
         ELSE '代金引換' END,
    items_total, shipping_fee, items_total - target8 + shipping_fee, target8,
    floor((items_total - target8 + shipping_fee) * 10 / 110.0)::int,
    floor(target8 * 8 / 108.0)::int,
    items_total + shipping_fee, '', 0, 0, 1,
    CASE WHEN status = 'completed' THEN created_at + interval '3 days' END,
    CASE WHEN status = 'cancelled' THEN created_at + interval '1 day' END,
    status <> 'cancelled', bench_r(g, 19) < 0.004,
    CASE WHEN status <> 'pending_payment' THEN created_at END,
    created_at,
    CASE status WHEN 'completed' THEN created_at + interval '3 days'
                WHEN 'cancelled' THEN created_at + interval '1 day' ELSE created_at END
FROM (
    SELECT b.*, row_number() OVER (PARTITION BY b.shop_id ORDER BY b.g) AS k,
        CASE WHEN b.created_at < %(anchor)s - interval '60 days' THEN
                 CASE WHEN b.r_status < 0.90 THEN 'completed' WHEN b.r_status < 0.96
                      THEN 'cancelled' ELSE 'new' END
             ELSE CASE WHEN b.r_status < 0.55 THEN 'new' WHEN b.r_status < 0.88 THEN 'completed'
                       WHEN b.r_status < 0.97 THEN 'cancelled' ELSE 'pending_payment' END
        END AS status,
        bench_pick(%(sei)s, bench_r(b.p, 4)) AS sei,
        bench_pick(%(sei_kana)s, bench_r(b.p, 4)) AS sei_kana,
        bench_pick(%(sei_roma)s, bench_r(b.p, 4)) AS sei_roma,
        bench_pick(%(mei)s, bench_r(b.p, 5)) AS mei,
        bench_pick(%(mei_kana)s, bench_r(b.p, 5)) AS mei_kana,
        bench_pick(%(mei_roma)s, bench_r(b.p, 5)) AS mei_roma,
        bench_r(b.p, 6) AS style,
        bench_pick(%(prefectures)s, bench_r(b.p, 7)) AS prefecture,
        bench_pick(%(cities)s, bench_r(b.p, 7)) AS city,
        bench_pick(%(zips)s, bench_r(b.p, 7)) AS zip_prefix,
        CASE WHEN bench_r(b.p, 8) < 0.6
             THEN bench_pick(%(mobile_codes)s, bench_r(b.p, 10))
                  || lpad(floor(bench_r(b.p, 11) * 1e8)::bigint::text, 8, '0')
             ELSE left(bench_pick(%(landline_codes)s, bench_r(b.p, 10))
                  || lpad(floor(bench_r(b.p, 11) * 1e8)::bigint::text, 8, '0'), 10) END AS tel,
        CASE WHEN bench_r(b.p, 12) < 0.3
             THEN bench_pick(%(mobile_codes)s, bench_r(b.p, 13))
                  || lpad(floor(bench_r(b.p, 14) * 1e8)::bigint::text, 8, '0')
             ELSE '' END AS mobile,
        CASE WHEN b.r_kind < 0.78 THEN 'paidy' WHEN b.r_kind < 0.92 THEN 'bank_transfer'
             ELSE 'cod' END AS payment_kind,
        CASE WHEN bench_r(b.g, 15) < 0.93 THEN '宅配便' ELSE '大型配送' END AS delivery_name,
        CASE WHEN bench_r(b.g, 16) < 0.7 THEN 'zero' ELSE 'three' END AS cart_type,
        (50 + floor(power(bench_r(b.g, 17), 2.5) * 3000)::int) * 10 AS items_total
    FROM (
        SELECT g,
            CASE WHEN mod(g, %(step)s) = 0 AND g / %(step)s <= %(shop_orders)s THEN %(measured)s
                 ELSE (%(others)s::int[])[1 + floor(power(bench_r(g, 1), 1.3)
                                                    * %(n_others)s)::int] END AS shop_id,
            %(anchor)s - interval '1 second' * (%(span)s * (1 - (g - bench_r(g, 2)) / %(n)s))
                AS created_at,
            bench_r(g, 3) AS r_status,
            bench_r(g, 18) AS r_kind
        FROM generate_series(1, %(n)s::bigint) AS g
        WHERE %(everything)s OR (mod(g, %(step)s) = 0 AND g / %(step)s <= %(shop_orders)s)
    ) a
    CROSS JOIN LATERAL (SELECT a.*, a.shop_id::bigint * 100000
                        + floor(power(bench_r(a.g, 20), 1.5) * 6000)::bigint AS p) b
) c
CROSS JOIN LATERAL (SELECT
    mei_roma || '.' || sei_roma || mod(p, 997)::text || '@'
        || bench_pick(%(domains)s, bench_r(p, 21)) AS email,
    CASE WHEN delivery_name = '大型配送' OR items_total >= 5000 THEN 0 ELSE 800 END
        AS shipping_fee,
    CASE WHEN bench_r(g, 22) < 0.6 THEN items_total ELSE 0 END AS target8) d
ORDER BY g
"""

# One Paidy payment (as PAYGENT holds it) per Paidy order the buyer completed: 取引ID from
# PAYGENT's numbering, pay_… from Paidy, status as far as the order got.
PAYMENTS_SQL = """
INSERT INTO payments (shop_id, order_id, method, reference, paygent_payment_id, status, amount,
    authorized_at, captured_at, cancelled_at, refunded_at, refunded, in_flight_attempt_id,
    created_at, updated_at)
SELECT shop_id, id, 'paidy', paidy_id, (200000000 + id)::text, pay_status, total, created_at,
    CASE WHEN pay_status IN ('40', '41', '60') THEN created_at + interval '2 days' END,
    CASE WHEN pay_status = '32' THEN created_at + interval '1 day' END,
    CASE WHEN pay_status = '60' THEN created_at + interval '5 days' END,
    CASE WHEN pay_status = '60' THEN total ELSE 0 END, NULL, created_at, updated_at
FROM (
    SELECT o.id, o.shop_id, o.total, o.created_at, o.updated_at,
        'pay_' || substr(md5('paidy' || o.id), 1, 16) AS paidy_id,
        CASE o.status
            WHEN 'new' THEN CASE WHEN bench_r(o.id, 40) < 0.9 THEN '20' ELSE '40' END
            WHEN 'completed' THEN CASE WHEN o.created_at < %(anchor)s - interval '92 days'
                                       THEN '41' ELSE '40' END
            ELSE CASE WHEN bench_r(o.id, 41) < 0.7 THEN '32' ELSE '60' END END AS pay_status
    FROM orders o
    WHERE o.payment_kind = 'paidy' AND o.status <> 'pending_payment'
) x
ORDER BY id
"""

ITEMS_SQL = """
INSERT INTO order_items (shop_id, order_id, product_id, code, name, unit_price, quantity,
    tax_rate, subtotal)
SELECT o.shop_id, o.id, NULL, 'item-' || lpad(pi::text, 3, '0'), (%(names)s::text[])[pi],
    (%(prices)s::int[])[pi], q, (%(rates)s::int[])[pi], (%(prices)s::int[])[pi] * q
FROM orders o
CROSS JOIN LATERAL generate_series(1, 1 + (bench_r(o.id, 30) > 0.6)::int
                                      + (bench_r(o.id, 31) > 0.85)::int) AS line
CROSS JOIN LATERAL (SELECT 1 + floor(bench_r(o.id * 4 + line, 32) * %(n_products)s)::int AS pi,
                           1 + (bench_r(o.id * 4 + line, 33) > 0.8)::int AS q) p
ORDER BY o.id, line
"""


# -- the server -------------------------------------------------------------------------
class Postgres:
    """A PostgreSQL server (``given``, or a throwaway one started here) and a database of our
    own on it, created now and dropped by ``stop()`` (with the throwaway server)."""

    def __init__(self, collation: str | None = None, given: str | None = None,
                 prefix: str = "cart_order_search"):
        from sqlalchemy.engine import make_url
        self.folder = None
        if given:
            self.server_url = make_url(given).set(drivername="postgresql+psycopg")
            self.origin = "given server"
        else:
            self.folder = tempfile.mkdtemp(prefix="cart-bench-pg-")
            os.chmod(self.folder, 0o755)
            port = free_port()
            script = os.path.join(ROOT, "scripts", "pg-test-server.sh")
            out = subprocess.run([script, "start", self.folder, str(port)],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                log = os.path.join(self.folder, "server.log")
                detail = out.stderr
                if os.path.exists(log):
                    with open(log) as fh:
                        detail = fh.read()[-2000:]
                self.stop()
                raise SystemExit(f"PostgreSQL did not start: {detail}")
            self.server_url = make_url(out.stdout.strip())
            self.origin = f"throwaway server on port {port}"
        self.dbname = None
        options = " TEMPLATE template0"
        if collation:
            options += f" LC_COLLATE '{collation}' LC_CTYPE '{collation}'"
        try:
            with self.admin() as conn:
                conn.execute(f'CREATE DATABASE "{prefix}_{os.getpid()}"{options}')
        except Exception:
            self.stop()
            raise
        self.dbname = f"{prefix}_{os.getpid()}"
        self.url = self.server_url.set(database=self.dbname).render_as_string(
            hide_password=False)
        self.libpq = self.server_url.set(drivername="postgresql", database=self.dbname
                                         ).render_as_string(hide_password=False)

    def admin(self):
        import psycopg
        return psycopg.connect(self.server_url.set(drivername="postgresql").render_as_string(
            hide_password=False), autocommit=True)

    def connect(self):
        import psycopg
        return psycopg.connect(self.libpq, autocommit=True)

    def stop(self) -> None:
        if getattr(self, "dbname", None) and self.folder is None:
            try:
                with self.admin() as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report and go on cleaning up
                print(f"could not drop {self.dbname}: {exc}")
        if self.folder:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-test-server.sh"), "stop",
                            self.folder], capture_output=True, check=False)
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


# -- data -------------------------------------------------------------------------------
def create_shops(app, shops: int, measured_no: int) -> tuple[int, list[int]]:
    """The measured shop made the app's way (create_shop); the others in bulk with copies of
    the rows create_shop wrote for it (shop, owner, settings)."""
    from sqlalchemy import select

    from cart.cli import create_shop
    from cart.extensions import db
    from cart.models import Shop, ShopSettings, Staff

    def copy(row, **changes) -> dict:
        values = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}
        values.update(changes)
        return values

    with app.app_context():
        shop = create_shop(f"shop{measured_no:04d}", f"ショップ{measured_no}",
                           f"owner@shop{measured_no:04d}.test", "password123")
        owner = db.session.scalar(select(Staff).where(Staff.shop_id == shop.id))
        settings = db.session.scalar(select(ShopSettings).where(ShopSettings.shop_id == shop.id))
        measured_id = shop.id
        others = [n for n in range(1, shops + 1) if n != measured_no]
        if not others:
            return measured_id, []
        db.session.execute(Shop.__table__.insert(), [
            copy(shop, code=f"shop{n:04d}", name=f"ショップ{n}") for n in others])
        ids = dict(db.session.execute(select(Shop.code, Shop.id)).all())
        db.session.execute(Staff.__table__.insert(), [
            copy(owner, shop_id=ids[f"shop{n:04d}"], email=f"owner@shop{n:04d}.test")
            for n in others])
        db.session.execute(ShopSettings.__table__.insert(), [
            copy(settings, shop_id=ids[f"shop{n:04d}"], shop_email=f"owner@shop{n:04d}.test")
            for n in others])
        db.session.commit()
        return measured_id, sorted(i for i in ids.values() if i != measured_id)


def load(pg: Postgres, *, n: int, measured: int, others: list[int], shop_orders: int,
         everything: bool, anchor: datetime) -> dict:
    """Empty the order tables, then fill them: everything, or only the measured shop's rows.
    Returns seconds per step and row counts."""
    step = max(1, n // shop_orders)
    params = dict(
        n=n, step=step, shop_orders=shop_orders, measured=measured,
        others=others or [measured], n_others=max(1, len(others)), everything=everything,
        anchor=anchor, span=SPAN_DAYS * 86400.0,
        sei=[s[0] for s in SURNAME_SLOTS], sei_kana=[s[1] for s in SURNAME_SLOTS],
        sei_roma=[s[2] for s in SURNAME_SLOTS], mei=[g[0] for g in GIVEN],
        mei_kana=[g[1] for g in GIVEN], mei_roma=[g[2] for g in GIVEN],
        prefectures=[p[0] for p in PLACES], cities=[p[1] for p in PLACES],
        zips=[p[2] for p in PLACES], mobile_codes=MOBILE_CODES,
        landline_codes=LANDLINE_CODES, domains=DOMAINS)
    if not others:
        params["everything"] = False
    timings = {}
    with pg.connect() as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET work_mem = '256MB'")
        try:  # the generated rows are consistent by construction: skip the per-row FK checks
            conn.execute("SET session_replication_role = replica")
        except Exception:  # noqa: BLE001 - not a superuser: the checks run, only slower
            pass
        conn.execute("TRUNCATE orders CASCADE")  # and every table that refers to orders
        conn.execute(FUNCTIONS)
        # Plain indexes (the migrations' ix_…) are dropped for the load and rebuilt from their
        # own definitions afterwards; primary keys and unique constraints stay and are checked.
        plain = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid IN ('orders'::regclass, 'payments'::regclass, "
            "'order_items'::regclass) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = i.indexrelid) ORDER BY 1").fetchall()
        steps = [
            ("orders", ORDERS_SQL, params),
            ("payments", PAYMENTS_SQL, {"anchor": anchor}),
            ("order_items", ITEMS_SQL, {"names": [p[0] for p in PRODUCTS],
                                        "prices": [p[1] for p in PRODUCTS],
                                        "rates": [p[2] for p in PRODUCTS],
                                        "n_products": len(PRODUCTS)}),
        ]
        try:
            for name, _ in plain:
                conn.execute(f"DROP INDEX {name}")
            for table, sql, args in steps:
                started = time.perf_counter()
                conn.execute(sql, args, prepare=False)
                timings[table] = time.perf_counter() - started
        finally:
            started = time.perf_counter()
            for _, definition in plain:
                conn.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
            timings["indexes"] = time.perf_counter() - started
        conn.execute("SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                     "(SELECT COALESCE(MAX(id), 1) FROM orders))")
        started = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) orders, payments, order_items")
        timings["vacuum analyze"] = time.perf_counter() - started
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("orders", "payments", "order_items")}
        counts["measured shop"] = conn.execute(
            "SELECT count(*) FROM orders WHERE shop_id = %s", (measured,)).fetchone()[0]
        counts["largest other shop"] = conn.execute(
            "SELECT COALESCE(max(c), 0) FROM (SELECT count(*) c FROM orders WHERE shop_id <> %s "
            "GROUP BY shop_id) x", (measured,)).fetchone()[0]
        counts["orders size"] = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('orders'))").fetchone()[0]
    return {"timings": timings, "counts": counts}


# -- the cases --------------------------------------------------------------------------
def jst_day(ts: datetime) -> str:
    return ts.astimezone(JST).strftime("%Y-%m-%d")


def build_cases(pg: Postgres, measured: int, anchor: datetime) -> list[tuple[str, list[dict]]]:
    """What a shop's staff do on 受注一覧, with values drawn from the shop's own orders."""
    rng = random.Random(11)
    with pg.connect() as conn:
        def rows(sql, *args):
            return conn.execute(sql, (measured, *args)).fetchall()
        tab_of = {"new": "active", "pending_payment": "active", "completed": "completed",
                  "cancelled": "cancelled"}
        pays = rows("SELECT p.paygent_payment_id, p.reference, o.status FROM payments p "
                    "JOIN orders o ON o.id = p.order_id WHERE p.shop_id = %s ORDER BY p.id")
        numbers = rows("SELECT number, status FROM orders WHERE shop_id = %s ORDER BY id")
        people = rows("SELECT email, tel, mobile, status FROM orders WHERE shop_id = %s "
                      "ORDER BY id")
        # the rows before pages 10, 100 and the last, as the pager's links name them
        active, completed = ("new", "pending_payment"), ("completed",)
        keys = {statuses: rows("SELECT created_at, id FROM orders WHERE shop_id = %s AND "
                               "status = ANY(%s) ORDER BY created_at DESC, id DESC",
                               list(statuses))
                for statuses in (active, completed)}

    def link(statuses, page: int, skip: int = 0) -> dict:
        """The pager's link to ``page`` (its 「>>」 from the page before), or with ``skip`` the
        numbered link to the page ``skip`` rows further on (as page 96 links page 100)."""
        from cart.admin.orders.search import Key
        page = max(2, min(page, (len(keys[statuses]) - skip + 49) // 50))  # a small run
        created_at, ident = keys[statuses][(page - 1) * 50 - 1]
        found = {"tab": "completed" if statuses == completed else "active",
                 "page": str(page + skip // 50), "after": Key.at(created_at, ident).token()}
        return {**found, "skip": str(skip)} if skip else found
    pick = [pays[rng.randrange(len(pays))] for _ in range(60)] if pays else []
    picked_numbers = [numbers[rng.randrange(len(numbers))] for _ in range(60)]
    picked_people = [people[rng.randrange(len(people))] for _ in range(60)]
    # what staff type: mostly common surnames, sometimes a rarer one
    typed = [s[:2] for s in SURNAMES[:8]] + [s[:2] for s in RARE_SURNAMES[7::150]]
    surnames = [k for k, _ in typed]
    kana = [r for _, r in typed]
    months = []
    for back in range(1, 24, 3):   # one-month ranges, spread over the two years
        start = anchor - timedelta(days=30 * back)
        months.append({"date_from": jst_day(start),
                       "date_to": jst_day(start + timedelta(days=30))})
    recent = {"date_from": jst_day(anchor - timedelta(days=30)), "date_to": jst_day(anchor)}
    completed_pages = (sum(1 for p in people if p[3] == "completed") + 49) // 50
    return [
        ("受注一覧 page 1", [{}]),
        ("受注一覧 page 10 (?page=10)", [{"page": "10"}]),
        ("受注一覧 page 10 (>> link)", [link(active, 10)]),
        ("受注完了一覧 page 1", [{"tab": "completed"}]),
        ("受注完了一覧 page 10 (?page=10)", [{"tab": "completed", "page": "10"}]),
        ("受注完了一覧 page 10 (>> link)", [link(completed, 10)]),
        ("受注完了一覧 page 100 (?page=100)", [{"tab": "completed", "page": "100"}]),
        ("受注完了一覧 page 100 (>> link)", [link(completed, 100)]),
        ("受注完了一覧 page 100 (link on 96)", [link(completed, 97, skip=150)]),
        (f"受注完了一覧 last page {completed_pages} (>> link)",
         [link(completed, completed_pages)]),
        ("取引ID", [{"tab": tab_of[s], "trade_id": t} for t, _, s in pick]),
        ("取引ID as ペイディ決済ID pay_…", [{"tab": tab_of[s], "trade_id": p}
                                        for _, p, s in pick]),
        ("注文番号", [{"tab": tab_of[s], "number": n} for n, s in picked_numbers]),
        ("購入者名 prefix, 受注一覧", [{"name": s} for s in surnames]),
        ("購入者名 prefix, 受注完了一覧", [{"tab": "completed", "name": s} for s in surnames]),
        ("フリガナ prefix, 受注完了一覧", [{"tab": "completed", "kana": k} for k in kana]),
        ("メールアドレス", [{"tab": tab_of[s], "email": e} for e, _, _, s in picked_people]),
        ("電話番号 (TEL or 携帯)", [{"tab": tab_of[s], "phone": m or t}
                               for _, t, m, s in picked_people]),
        ("受注日 1 month, 受注完了一覧", [{"tab": "completed", **m} for m in months]),
        ("受注日 last 30 days, 受注一覧", [recent]),
        ("受注日 1 month + 購入者名", [{"tab": "completed", "name": s, **m}
                                  for s, m in zip(surnames * 2, months * 3)]),
        ("購入金額 range", [{"tab": "completed", "amount_min": "10000",
                                      "amount_max": "20000"}]),
    ]


def sign_in(client, shop_no: int) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/admin/login", data={
        "csrf_token": token, "email": f"owner@shop{shop_no:04d}.test",
        "password": "password123"})
    if response.status_code != 302:
        raise SystemExit("could not sign in as the measured shop's owner")


HIT = re.compile(r"(\d+)-\d+番目表示 / (\d+)件HIT")


def measure(client, args_list: list[dict], runs: int, warmup: int) -> dict:
    times, hits, firsts = [], [], []
    for i in range(warmup + runs):
        args = args_list[i % len(args_list)]
        started = time.perf_counter()
        response = client.get("/admin/orders/", query_string=args)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{args}: HTTP {response.status_code}")
        if i >= warmup:
            times.append(elapsed)
            found = HIT.search(response.get_data(as_text=True))
            hits.append(int(found.group(2)) if found else -1)
            firsts.append(int(found.group(1)) if found else -1)
    times.sort()
    return {"p50": statistics.median(times),
            "p95": times[max(0, round(len(times) * 0.95) - 1)],
            "hits": statistics.median(hits), "first": statistics.median(firsts)}


def run_cases(app, shop_no: int, cases, runs: int, warmup: int) -> dict:
    client = app.test_client()
    sign_in(client, shop_no)
    return {label: measure(client, args, runs, warmup) for label, args in cases}


def capture_plans(app, shop_no: int, cases, repeat: int) -> dict:
    """The plans PostgreSQL used for the app's own statements, through auto_explain on fresh
    connections. Each case is requested ``repeat`` times so that the driver's prepared
    statements (psycopg prepares a statement on its 5th execution) and PostgreSQL's plan cache
    (a generic plan may replace custom ones after 5 executions) are in the state a long-running
    worker reaches; of the requests after that, the slowest plan of each kind of statement is
    kept."""
    from sqlalchemy import event

    from cart.extensions import db
    plans: dict[str, dict[str, str]] = {}
    current: list[str] = []

    def on_connect(dbapi_connection, _record):
        dbapi_connection.add_notice_handler(
            lambda diag: current.append(diag.message_primary or ""))
        cursor = dbapi_connection.cursor()
        cursor.execute("LOAD 'auto_explain'")
        for setting in ("auto_explain.log_min_duration = 0", "auto_explain.log_analyze = on",
                        "auto_explain.log_buffers = on", "auto_explain.log_timing = on",
                        "auto_explain.log_level = notice"):
            cursor.execute("SET " + setting)
        cursor.close()
        dbapi_connection.commit()

    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", on_connect)
        try:
            client = app.test_client()
            sign_in(client, shop_no)
            for label, args_list in cases:
                found: dict[str, tuple[float, str]] = {}
                for i in range(repeat):
                    current.clear()
                    client.get("/admin/orders/", query_string=args_list[i % len(args_list)])
                    if i < PREPARED_AFTER:
                        continue
                    for message in current:
                        kind = statement_kind(message)
                        took = DURATION.match(message)
                        took = float(took.group(1)) if took else 0.0
                        if kind and (kind not in found or took > found[kind][0]):
                            found[kind] = (took, message)
                plans[label] = {kind: message for kind, (_, message) in found.items()}
        finally:
            event.remove(db.engine, "connect", on_connect)
            db.engine.dispose()
    return plans


PREPARED_AFTER = 6   # requests per case before the plans are looked at
DURATION = re.compile(r"duration: ([\d.]+) ms")
KINDS = ["count (件HIT)", "page of 50", "numbered link: keys to step over",
         "typed page: time at position", "typed page: id at that time",
         "payments of the page (selectin)", "items of the page (selectin)"]


def statement_kind(message: str) -> str | None:
    """count / page / pager keys / ... for the list's statements, None for the rest."""
    query = message.partition("Query Text:")[2].strip()
    if query.startswith("SELECT count(*)") or query.startswith("SELECT sum("):
        return "count (件HIT)"
    if "JOIN payments" in query:
        return "page of 50"
    if "OFFSET" in query:
        return "typed page: time at position"
    if query.startswith("SELECT orders.id, (SELECT count(*)"):
        return "typed page: id at that time"
    if query.startswith(("SELECT orders.created_at, orders.id",
                         "SELECT anon_1.created_at, anon_1.id")):
        return "numbered link: keys to step over"
    if query.startswith("SELECT payments.") and "payments.order_id IN" in query:
        return "payments of the page (selectin)"
    if query.startswith("SELECT order_items."):
        return "items of the page (selectin)"
    return None


PLAN_TOP = re.compile(r"^\S.*  \(cost=")
COLUMN_LIST = re.compile(r"\b\w+\.\w+(?: AS \w+)?(?:, \w+\.\w+(?: AS \w+)?)+")
TABLE = re.compile(r"\b(\w+)\.\w+")


def _columns(found) -> str:
    """A list of columns, shortened to each table's name: ``orders.…, payments.…``."""
    tables = dict.fromkeys(TABLE.findall(found.group(0)))
    return ", ".join(f"{table}.…" for table in tables)


def plan_text(message: str) -> str:
    """The duration, the statement on one line (column lists shortened) and the plan of one
    auto_explain message."""
    head, _, rest = message.partition("Query Text:")
    lines = rest.splitlines()
    top = next((i for i, line in enumerate(lines) if PLAN_TOP.match(line)), len(lines))
    query = " ".join(" ".join(lines[:top]).split())
    query = COLUMN_LIST.sub(_columns, query)
    out = [f"   {head.strip()}", f"   SQL: {query}"]
    out += ["     " + line for line in lines[top:] if line.strip()]
    return "\n".join(out)


def text_width(text: str) -> int:
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - text_width(text))


# -- main -------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--shops", type=int, default=1_000)
    parser.add_argument("--shop-orders", type=int, default=10_000,
                        help="orders of the measured shop")
    parser.add_argument("--runs", type=int, default=60, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=8, help="unmeasured requests per case")
    parser.add_argument("--collation", default=None,
                        help="LC_COLLATE/LC_CTYPE of the bench database (default: the "
                             "server's, e.g. C.UTF-8); try C to compare")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--no-proposed", action="store_true",
                        help="skip the third pass with PROPOSED_INDEXES")
    parser.add_argument("--keep", action="store_true",
                        help="leave the server and database running (prints the URL)")
    args = parser.parse_args()
    shop_orders = min(args.shop_orders, args.orders)
    shops = max(1, args.shops)
    if shops > 1 and args.orders - shop_orders < shops - 1:
        raise SystemExit("--orders is too small to give every other shop an order")
    logging.disable(logging.WARNING)
    total_started = time.perf_counter()

    from flask_migrate import upgrade

    from cart import create_app
    from cart.config import Config

    # a terminated run cleans up like a finished one (the server stopped, its folder removed)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    given = os.environ.get("DATABASE_URL", "")
    pg = Postgres(args.collation, given if given.startswith("postgresql") else None)
    try:
        app = create_app(Config, SECRET_KEY="bench", SANDBOX_ENABLED=False, LOG_LEVEL="WARNING",
                         PASSWORD_HASH_METHOD="pbkdf2:sha256:1000", NOTICE_POLL_MINUTES=0,
                         REDIS_URL="", SQLALCHEMY_DATABASE_URI=pg.url)
        with pg.connect() as conn:
            info = conn.execute("SELECT version(), datcollate FROM pg_database "
                                "WHERE datname = current_database()").fetchone()
            settings = dict(conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', "
                "'jit')").fetchall())
        print(f"PostgreSQL: {info[0].split(' on ')[0]} ({pg.origin}), database collation "
              f"{info[1]}; " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))
        started = time.perf_counter()
        with app.app_context():
            upgrade()
        print(f"migrated (flask_migrate.upgrade) in {time.perf_counter() - started:.1f} s")
        measured_no = max(1, shops // 2)
        started = time.perf_counter()
        measured, others = create_shops(app, shops, measured_no)
        print(f"created {shops:,} shops in {time.perf_counter() - started:.1f} s; measured shop "
              f"shop{measured_no:04d} (id {measured})")
        anchor = datetime.now(timezone.utc).replace(microsecond=0)

        layouts = [("small", False, f"{shop_orders:,} / {shop_orders:,}")]  # shop / table
        if args.orders > shop_orders:
            layouts.append(("large", True, f"{shop_orders:,} / {args.orders:,}"))
        results, plans, cases = {}, {}, None
        for name, everything, label in layouts:
            loaded = load(pg, n=args.orders, measured=measured, others=others,
                          shop_orders=shop_orders, everything=everything, anchor=anchor)
            t, c = loaded["timings"], loaded["counts"]
            print(f"\n[{label}] loaded {c['orders']:,} orders, {c['payments']:,} payments, "
                  f"{c['order_items']:,} items in {sum(t.values()):.1f} s ("
                  + ", ".join(f"{k} {v:.1f} s" for k, v in t.items())
                  + f"); measured shop {c['measured shop']:,} orders, largest other shop "
                  f"{c['largest other shop']:,}; orders table + indexes {c['orders size']}")
            if cases is None:
                cases = build_cases(pg, measured, anchor)
            started = time.perf_counter()
            results[name] = run_cases(app, measured_no, cases, args.runs, args.warmup)
            print(f"[{label}] measured {len(cases)} cases × {args.runs} requests in "
                  f"{time.perf_counter() - started:.1f} s")
            if not args.no_explain and name == layouts[-1][0]:
                plans[name] = capture_plans(app, measured_no, cases, repeat=18)
        if not args.no_proposed and PROPOSED_INDEXES:
            last = layouts[-1][2]
            started = time.perf_counter()
            with pg.connect() as conn:
                for statement in PROPOSED_INDEXES:
                    conn.execute(statement)
                conn.execute("ANALYZE orders")
            print(f"\n[{last}] created the proposed indexes in "
                  f"{time.perf_counter() - started:.1f} s: " + "; ".join(PROPOSED_INDEXES))
            layouts.append(("proposed", None, "with the proposed index"))
            started = time.perf_counter()
            results["proposed"] = run_cases(app, measured_no, cases, args.runs, args.warmup)
            print(f"[{last} + proposed] measured {len(cases)} cases × {args.runs} requests in "
                  f"{time.perf_counter() - started:.1f} s")
            if not args.no_explain:
                plans["proposed"] = capture_plans(
                    app, measured_no, [c for c in cases if "購入金額" in c[0]], repeat=18)

        print_table(results, layouts, args.runs, args.warmup)
        measured_last = [layout for layout in layouts if layout[0] != "proposed"][-1]
        if measured_last[0] in plans:
            print_plans(plans[measured_last[0]], f"at {measured_last[2]}")
        if "proposed" in plans:
            print_plans(plans["proposed"], f"at {measured_last[2]} with the proposed index",
                        selectin=False)

        print(f"\ntotal run time {time.perf_counter() - total_started:.0f} s. The machine's "
              "other work shares its cores with the server and the app: figures are noisy, "
              "compare columns of one run rather than runs.")
        if args.keep:
            print(f"kept: {pg.url}")
            pg.folder = None
            pg.dbname = None
        summary = {
            "bench": "order_search_pg", "orders": args.orders, "shops": shops,
            "shop_orders": shop_orders, "runs": args.runs, "warmup": args.warmup,
            "layouts": {name: label for name, _, label in layouts},
            "cases": {case: {name: {k: round(v, 1) for k, v in results[name][case].items()}
                             for name, _, _ in layouts} for case in results[layouts[0][0]]},
            "max_p95": {name: round(max(r["p95"] for r in results[name].values()), 1)
                        for name, _, _ in layouts},
        }
    finally:
        if not args.keep:
            pg.stop()
    print(json.dumps(summary, ensure_ascii=False))


def _exit_on_signal(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")


def print_table(results: dict, layouts, runs: int, warmup: int,
                columns: str = "orders in the shop / orders in the table") -> None:
    print(f"\n受注一覧 through the app (test client, signed in as the shop's owner), ms; "
          f"{runs} requests per case after {warmup} warm-up;\ncolumns: {columns}; "
          "HIT = the case's median 「N件HIT」")
    first = 40
    top = pad("", first) + "".join(f" | {label:^28}" for _, _, label in layouts)
    head = pad("case", first) + "".join(f" | {'p50':>8} {'p95':>8} {'HIT':>10}"
                                       for _ in layouts)
    print(top)
    print(head)
    print("-" * text_width(head))
    for case in results[layouts[0][0]]:
        line = pad(case, first)
        for name, _, _ in layouts:
            r = results[name][case]
            line += f" | {r['p50']:8.1f} {r['p95']:8.1f} {r['hits']:10,.0f}"
        print(line)


def print_plans(plans: dict, where: str, selectin: bool = True) -> None:
    print(f"\nPlans PostgreSQL used for the app's statements {where} (auto_explain with ANALYZE "
          "and BUFFERS; the slowest of requests 7-18 of each case on a fresh connection; $n = a "
          "generic plan of a prepared statement):")
    shown_once = set()
    for case, found in plans.items():
        print(f"\n== {case}")
        for kind, message in sorted(found.items(), key=lambda item: KINDS.index(item[0])):
            if kind.endswith("(selectin)"):
                if kind in shown_once or not selectin:
                    continue
                shown_once.add(kind)
            print(f" -- {kind}")
            print(plan_text(message))


if __name__ == "__main__":
    main()
