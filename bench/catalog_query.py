"""Catalog listing latency through the HTTP API, beside a hand-written single SQL query.

    .venv/bin/python bench/catalog_query.py [--items 100000] [--customers 50] [--requests 200]

Builds a fresh SQLite app database in a temp dir (migrated, demo data), bulk-inserts a seller
catalog (N items in 20 categories, delivery unit central-warehouse) and C customers, each with a
framework contract over 20,000-60,000 of the items at individual prices, a small special
assortment, 2,000 customer part numbers, role rules (a role that may not see one category except
one SKU, a role that may see but not order another category, for every 5th customer a role that
may see but not order anything) and, for every 2nd customer, a price list (prices from 1 piece,
minimum order quantities, items assigned at list price, volume breaks on contracted items); one
buyer user per customer. Starts a Temporal dev server (the API's startup connects to it) and the
API (uvicorn subprocess), then runs R requests one at a time, rotating over customers, search
terms and pages:

- API: GET /api/v1/catalog/items?q=<term>&limit=50&offset=<k> with the customer's bearer token;
- SQL: one hand-written SQLite statement (sqlite3 module, same file) for the same user, term and
  offset: the same page (items, prices, price sources, part numbers, orderable) and total.

Each request runs both, alternating which goes first. Prints median and p95 of each and the
ratios API/SQL. Every request's API page is compared with the SQL page (SKUs, prices, sources,
part numbers, orderable, total); exits 1 on any mismatch. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import httpx  # noqa: E402
from orders_e2e import System, free_port, quantile, start_temporal, tail, temporal_ready, wait_for_api  # noqa: E402

from core.calendar import utc_today  # noqa: E402

CATEGORIES = [
    "cables",
    "network",
    "power",
    "tools",
    "fasteners",
    "safety",
    "lighting",
    "plumbing",
    "hvac",
    "electrical",
    "office",
    "cleaning",
    "storage",
    "packaging",
    "adhesives",
    "abrasives",
    "hydraulics",
    "pneumatics",
    "sensors",
    "services",
]
NOUNS = {
    c: [f"{c[:-1] if c.endswith('s') else c} {n}" for n in ("unit", "kit", "module", "set", "part")] for c in CATEGORIES
}
NOUNS.update(
    {
        "cables": ["patch cable", "power cable", "fibre cable", "cable tie", "cable drum"],
        "fasteners": ["hex bolt", "wood screw", "wall plug", "washer", "threaded rod"],
        "tools": ["torque wrench", "screwdriver set", "drill bit", "angle grinder", "hammer"],
    }
)
ADJECTIVES = ["heavy duty", "compact", "pro", "industrial", "standard", "light", "premium", "eco", "mini", "xl"]
MATERIALS = ["steel", "stainless steel", "aluminium", "brass", "plastic", "copper", "rubber", "nylon"]
SIZES = ["m4", "m5", "m6", "m8", "m10", "m12", "m16", "m20"]
BRANDS = ["Kestrel", "Nordwerk", "Alpina", "Ferrox", "Volta", "Brightline", "Tecta", "Hansen"]
USES = ["workshops", "data centres", "construction sites", "offices", "production lines", "facility management"]
TERMS = ["steel", "heavy duty", "m12", "kx1"]  # kx1: customer part numbers only
OFFSETS = [0, 50, 250]
LIMIT = 50
CONTRACT_FROM, CONTRACT_TO = "2025-01-01", "2030-12-31"


def cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


# --- data ----------------------------------------------------------------------------------------


def build_catalog(db: Path, n_items: int, n_customers: int, seed: int = 7) -> dict:
    """Bulk-inserts the catalog and customers into the migrated, seeded database. Returns figures
    and the bench users [(email, customer_id, roles)]."""
    rnd = random.Random(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA synchronous=OFF")
    figures: dict[str, int] = {}
    users = []
    with con:
        demo_hash = con.execute('SELECT password_hash FROM "user" WHERE email = ?', ("buyer@acme.example",)).fetchone()[
            0
        ]
        items = []
        list_prices = {}
        item_category = {}
        for i in range(n_items):
            category = CATEGORIES[i % len(CATEGORIES)]
            noun = rnd.choice(NOUNS[category])
            adjective, material, size = rnd.choice(ADJECTIVES), rnd.choice(MATERIALS), rnd.choice(SIZES)
            brand, use = rnd.choice(BRANDS), rnd.choice(USES)
            sku = f"BN-{i:06d}"
            name = f"{brand} {noun.capitalize()} {adjective} {size.upper()}"
            description = (
                f"{adjective.capitalize()} {noun} of {material}, size {size.upper()}, for {use}. "
                f"Made by {brand}; delivered from the central warehouse within 2 working days."
            )
            price = rnd.randint(150, 250_000)
            list_prices[sku], item_category[sku] = price, category
            items.append(
                (
                    sku,
                    name,
                    description,
                    category,
                    "C62",
                    cents(price),
                    "EUR",
                    "0.1900",
                    "central-warehouse",
                    0,
                    "{}",
                    "[]",
                    1,
                )
            )
        con.executemany(
            "INSERT INTO item (sku, name, description, category, unit, list_price, currency, vat_rate, "
            "delivery_unit_id, expert_review, options, constraints, active) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            items,
        )
        figures["items"] = len(items)
        skus = list(list_prices)
        contract_rows = special_rows = pl_rows = pn_rows = rule_rows = 0
        for c in range(1, n_customers + 1):
            cid, contract_id = f"bench-c{c:02d}", f"BENCH-K{c:02d}"
            con.execute(
                "INSERT INTO customer (id, name, parent_id, country) VALUES (?,?,NULL,'DE')",
                (cid, f"Bench customer {c:02d} GmbH"),
            )
            con.execute(
                "INSERT INTO contract (id, customer_id, name, valid_from, valid_to, currency, payment_terms_days, "
                "value_cap, tolerance_percent, on_exceed) VALUES (?,?,?,?,?,'EUR',30,NULL,'0.00','reject')",
                (contract_id, cid, f"Framework contract {c:02d}", CONTRACT_FROM, CONTRACT_TO),
            )
            contracted = sorted(rnd.sample(range(n_items), rnd.randint(n_items // 5, n_items * 3 // 5)))
            in_contract = set(contracted)
            con.executemany(
                "INSERT INTO contractitem (contract_id, sku, price, agreed_quantity, value_cap) "
                "VALUES (?,?,?,NULL,NULL)",
                ((contract_id, skus[k], cents(list_prices[skus[k]] * rnd.randint(70, 95) // 100)) for k in contracted),
            )
            contract_rows += len(contracted)
            outside = [k for k in rnd.sample(range(n_items), 3000) if k not in in_contract]
            special = sorted(set(rnd.sample(contracted, 50) + outside[:50]))
            con.executemany(
                "INSERT INTO specialitem (customer_id, sku, price) VALUES (?,?,?)",
                ((cid, skus[k], cents(list_prices[skus[k]] * 60 // 100)) for k in special),
            )
            special_rows += len(special)
            numbered = rnd.sample(range(n_items), 2000)
            con.executemany(
                "INSERT INTO customerpartnumber (customer_id, sku, part_number) VALUES (?,?,?)",
                ((cid, skus[k], f"KX{rnd.randint(0, 99999):05d}-{c:02d}") for k in numbered),
            )
            pn_rows += len(numbered)
            if c % 2 == 0:
                pl_id = f"BENCH-PL{c:02d}"
                con.execute(
                    "INSERT INTO pricelist (id, customer_id, name, currency, valid_from, valid_to) "
                    "VALUES (?,?,?,'EUR',?,NULL)",
                    (pl_id, cid, f"Price list {c:02d}", "2025-01-01"),
                )
                entries = []
                rest = outside[50:]
                for k in rest[:400]:  # a price from 1 piece and a break from 10
                    p = list_prices[skus[k]]
                    entries += [(pl_id, skus[k], 1, cents(p * 90 // 100)), (pl_id, skus[k], 10, cents(p * 85 // 100))]
                for k in rest[400:700]:  # minimum order quantity 5
                    entries.append((pl_id, skus[k], 5, cents(list_prices[skus[k]] * 88 // 100)))
                for k in rest[700:1000]:  # assigned at list price
                    entries.append((pl_id, skus[k], 1, None))
                for k in contracted[:300]:  # volume discount on contracted items from 50 pieces
                    entries.append((pl_id, skus[k], 50, cents(list_prices[skus[k]] * 50 // 100)))
                con.executemany(
                    "INSERT INTO pricelistentry (price_list_id, sku, min_quantity, price) VALUES (?,?,?,?)", entries
                )
                pl_rows += len(entries)
            hidden, see_only = CATEGORIES[c % 20], CATEGORIES[(c + 7) % 20]
            exception = next(s for s in (skus[k] for k in contracted) if item_category[s] == hidden)
            rules = [
                (cid, "field", "category", hidden, 0, 0),
                (cid, "field", "sku", exception, 1, 1),
                (cid, "technician", "category", see_only, 1, 0),
            ]
            roles = ["buyer", "field", "technician"]
            if c % 5 == 0:
                rules.append((cid, "trainee", "all", "", 1, 0))
                roles.append("trainee")
            con.executemany(
                "INSERT INTO assortmentrule (customer_id, role, scope, target, may_see, may_order) "
                "VALUES (?,?,?,?,?,?)",
                rules,
            )
            rule_rows += len(rules)
            email = f"buyer{c:02d}@bench.example"
            con.execute(
                'INSERT INTO "user" (email, name, password_hash, customer_id, delivery_unit_id, roles, '
                "order_limit, monthly_limit, active) VALUES (?,?,?,?,NULL,?,NULL,NULL,1)",
                (email, f"Buyer {c:02d}", demo_hash, cid, json.dumps(roles)),
            )
            users.append((email, cid, roles))
        figures.update(
            customers=n_customers,
            contract_items=contract_rows,
            special_items=special_rows,
            part_numbers=pn_rows,
            price_lists=n_customers // 2,
            price_list_entries=pl_rows,
            role_rules=rule_rows,
            users=len(users),
        )
    con.close()
    return {"figures": figures, "users": users}


# --- the hand-written query ----------------------------------------------------------------------

# One statement per (user, term, page). The customers here have no parent, so the customer's own
# contract, special items, price list, part numbers and role rules apply (no tree walk).
# Visibility and orderability per catalog/rights.py: per role the most specific rule (SKU, then
# category, then "all"); no rule for any role: see and order; else the most permissive of the
# roles' rules; ordering needs seeing and the role "buyer". Prices per catalog/pricing.py at the
# item's minimum quantity: agreed (special, else contract) price; else the price-list entry with
# the smallest usable minimum quantity (its price, or the list price when it has none).
HAND_SQL = r"""
WITH
k AS (SELECT id, currency FROM contract WHERE customer_id = :c AND valid_from <= :today AND :today <= valid_to
      ORDER BY valid_from DESC LIMIT 1),
pl AS (SELECT id FROM pricelist WHERE customer_id = :c AND currency = (SELECT currency FROM k)
       AND valid_from <= :today AND (valid_to IS NULL OR :today <= valid_to)
       ORDER BY valid_from DESC, id DESC LIMIT 1),
roles AS (SELECT j.value AS role FROM "user" u, json_each(u.roles) j WHERE u.email = :email),
members AS (
    SELECT sku FROM specialitem WHERE customer_id = :c
    UNION SELECT sku FROM contractitem WHERE contract_id = (SELECT id FROM k)
    UNION SELECT e.sku FROM pricelistentry e JOIN item i ON i.sku = e.sku
          WHERE e.price_list_id = (SELECT id FROM pl)
            AND (e.price IS NOT NULL OR i.currency = (SELECT currency FROM k))),
hits AS (
    SELECT i.sku FROM members m JOIN item i ON i.sku = m.sku
    WHERE i.active = 1
      AND (lower(i.name) LIKE :p ESCAPE '\' OR lower(i.sku) LIKE :p ESCAPE '\'
           OR lower(i.description) LIKE :p ESCAPE '\'
           OR i.sku IN (SELECT sku FROM customerpartnumber WHERE customer_id = :c
                        AND lower(part_number) LIKE :p ESCAPE '\'))
      AND COALESCE((SELECT MAX(COALESCE(
              (SELECT r.may_see FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'sku' AND r.target = i.sku),
              (SELECT r.may_see FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'category' AND r.target = i.category),
              (SELECT r.may_see FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'all' AND r.target = ''))) FROM roles ro), 1) = 1),
page AS (SELECT sku, COUNT(*) OVER () AS total FROM hits ORDER BY sku LIMIT :limit OFFSET :offset)
SELECT i.sku,
       CASE WHEN s.price IS NOT NULL THEN s.price WHEN ci.price IS NOT NULL THEN ci.price
            WHEN e.price IS NOT NULL THEN e.price ELSE i.list_price END AS price,
       CASE WHEN s.price IS NOT NULL THEN 'special' WHEN ci.price IS NOT NULL THEN 'contract'
            WHEN e.price IS NOT NULL THEN 'price_list' ELSE 'list' END AS source,
       pn.part_number,
       EXISTS (SELECT 1 FROM roles WHERE role = 'buyer')
       AND COALESCE((SELECT MAX(COALESCE(
              (SELECT r.may_see AND r.may_order FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'sku' AND r.target = i.sku),
              (SELECT r.may_see AND r.may_order FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'category' AND r.target = i.category),
              (SELECT r.may_see AND r.may_order FROM assortmentrule r WHERE r.customer_id = :c AND r.role = ro.role
                  AND r.scope = 'all' AND r.target = ''))) FROM roles ro), 1) = 1 AS orderable,
       page.total
FROM page JOIN item i ON i.sku = page.sku
LEFT JOIN specialitem s ON s.customer_id = :c AND s.sku = i.sku
LEFT JOIN contractitem ci ON ci.contract_id = (SELECT id FROM k) AND ci.sku = i.sku
LEFT JOIN pricelistentry e ON e.price_list_id = (SELECT id FROM pl) AND e.sku = i.sku
     AND e.min_quantity = (SELECT MIN(e2.min_quantity) FROM pricelistentry e2
                           WHERE e2.price_list_id = e.price_list_id AND e2.sku = i.sku
                             AND (e2.price IS NOT NULL OR i.currency = (SELECT currency FROM k)))
LEFT JOIN customerpartnumber pn ON pn.customer_id = :c AND pn.sku = i.sku
ORDER BY i.sku
"""


def like_pattern(q: str) -> str:  # the same literal matching as catalog/assortment.py
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def hand_query(con: sqlite3.Connection, email: str, customer_id: str, term: str, offset: int):
    rows = con.execute(
        HAND_SQL,
        {
            "c": customer_id,
            "email": email,
            "today": utc_today().isoformat(),
            "p": like_pattern(term),
            "limit": LIMIT,
            "offset": offset,
        },
    ).fetchall()
    return rows


def page_of_sql(rows) -> tuple[list[tuple], int | None]:
    return (
        [(sku, Decimal(price), source, number, bool(orderable)) for sku, price, source, number, orderable, _ in rows],
        rows[0][5] if rows else None,
    )


def page_of_api(body: dict) -> tuple[list[tuple], int]:
    return (
        [
            (i["sku"], Decimal(i["price"]), i["price_source"], i["customer_part_number"], i["orderable"])
            for i in body["items"]
        ],
        body["total"],
    )


# --- main ----------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(a) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="catalog-query-"))
    db = tmp / "app.db"
    sys_ = System(
        tmp=tmp,
        temporal_port=free_port(),
        api_port=free_port(),
        task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        database_url=f"sqlite:///{db}",
        jwt_secret="bench-" + uuid.uuid4().hex,
    )
    print("order2cash catalog query benchmark", flush=True)
    print(
        f"settings: items={a.items} customers={a.customers} requests={a.requests} limit={LIMIT} "
        f"terms={TERMS} offsets={OFFSETS} cores={os.cpu_count()}; temp dir {tmp}",
        flush=True,
    )
    failed = True
    try:
        t0 = time.perf_counter()
        start_temporal(sys_)
        from core.database import make_engine
        from demo.seed import load_demo_data
        from migrations import upgrade

        upgrade(sys_.database_url)
        engine = make_engine(sys_.database_url)
        load_demo_data(engine)
        engine.dispose()
        t1 = time.perf_counter()
        built = build_catalog(db, a.items, a.customers)
        t2 = time.perf_counter()
        print(
            f"setup: migrate + demo data {t1 - t0:.1f} s; bulk insert {t2 - t1:.1f} s; "
            f"database {db.stat().st_size / 1e6:.0f} MB",
            flush=True,
        )
        print("setup rows: " + ", ".join(f"{k}={v:,}" for k, v in built["figures"].items()), flush=True)
        await temporal_ready(sys_)
        sys_.spawn(
            "api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(sys_.api_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
        )
        await wait_for_api(sys_)

        users = built["users"]
        http = httpx.Client(base_url=f"http://127.0.0.1:{sys_.api_port}", timeout=60)
        headers = {}
        for email, _, _ in users:
            r = http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})
            r.raise_for_status()
            headers[email] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        con = sqlite3.connect(db)

        plan = [
            (users[n % len(users)], TERMS[(n // len(users) + n) % len(TERMS)], OFFSETS[n % len(OFFSETS)])
            for n in range(a.requests + a.warmup)
        ]
        api_times, sql_times, mismatches, totals = [], [], 0, []
        seen = Counter()  # what the compared pages held
        for n, ((email, cid, _), term, offset) in enumerate(plan):
            params = {"q": term, "limit": LIMIT, "offset": offset}

            def call_api(params=params, email=email):
                s = time.perf_counter()
                r = http.get("/api/v1/catalog/items", params=params, headers=headers[email])
                return time.perf_counter() - s, r

            def call_sql(email=email, cid=cid, term=term, offset=offset):
                s = time.perf_counter()
                rows = hand_query(con, email, cid, term, offset)
                return time.perf_counter() - s, rows

            if n % 2:
                (ta, resp), (ts, rows) = call_api(), call_sql()
            else:
                (ts, rows), (ta, resp) = call_sql(), call_api()
            if resp.status_code != 200:
                print(f"API {resp.status_code} for {email} q={term!r} offset={offset}: {resp.text[:300]}")
                mismatches += 1
                continue
            api_page, api_total = page_of_api(resp.json())
            sql_page, sql_total = page_of_sql(rows)
            for _, _, source, number, orderable in api_page:
                seen[source] += 1
                seen["with part number"] += number is not None
                seen["not orderable"] += not orderable
            if (
                api_page != sql_page
                or (sql_total is not None and sql_total != api_total)
                or (sql_total is None and api_page)
            ):
                mismatches += 1
                if mismatches <= 5:
                    diff = [(x, y) for x, y in zip(api_page, sql_page, strict=False) if x != y][:3]
                    print(
                        f"MISMATCH {email} q={term!r} offset={offset}: API {len(api_page)} items total "
                        f"{api_total}, SQL {len(sql_page)} items total {sql_total}; first differences {diff}"
                    )
            if n >= a.warmup:
                api_times.append(ta)
                sql_times.append(ts)
                totals.append(api_total)
        http.close()
        con.close()

        am, ap = statistics.median(api_times), quantile(api_times, 0.95)
        sm, sp = statistics.median(sql_times), quantile(sql_times, 0.95)
        print(
            f"requests: {len(api_times)} measured (after {a.warmup} warm-up), one at a time; "
            f"matching items per request: median {statistics.median(totals):,.0f}, "
            f"min {min(totals):,}, max {max(totals):,}"
        )
        print(f"API  GET /api/v1/catalog/items: median {ms(am)}, p95 {ms(ap)}")
        print(f"SQL  hand-written single query:  median {ms(sm)}, p95 {ms(sp)}")
        print(f"ratio API/SQL: median {am / sm:.2f}x, p95 {ap / sp:.2f}x  (goal: within 2x)")
        print(
            f"pages compared: {len(plan)} ("
            + ", ".join(f"{k} {v:,}" for k, v in seen.items())
            + f" items); mismatches: {mismatches}"
        )
        failed = mismatches > 0
        return 1 if failed else 0
    except Exception:
        if "api" in sys_.logs:
            print(tail(sys_.logs["api"]), file=sys.stderr)
        raise
    finally:
        sys_.stop()
        if failed or a.keep:
            print(f"kept {tmp}", flush=True)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--customers", type=int, default=50)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--warmup", type=int, default=10, help="requests run first and not measured (still compared)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    return asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
