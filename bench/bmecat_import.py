"""BMEcat import speed and memory, as ratios to a bare lxml.etree.iterparse pass in the same run.

    .venv/bin/python bench/bmecat_import.py [--items 100000] [--sizes 10000,50000,100000]
                                           [--database-url URL] [--keep]

1. Generates BMEcat 2005 T_NEW_CATALOG files (lxml's incremental writer) of `--items` products
   and of each of `--sizes` into a temp dir: realistic products (two descriptions, ECLASS,
   manufacturer, two price tiers, an image, a catalog group).
2. Speed, on the `--items` file: a bare `lxml.etree.iterparse` pass (the same safe parser options,
   each PRODUCT cleared as it ends, nothing else) beside the project's importer
   (`catalog.file_import.import_file`) into an empty draft of a fresh migrated database, then the
   same file again into the same draft (the idempotent pass: nothing is written). Items/s and the
   ratios to the bare pass.
3. Memory: for each size, one subprocess per measurement (so each peak is its own): the bare pass
   and the import, reporting the process's peak RSS (VmHWM in /proc/self/status), beside the peak
   of a process that only loads the modules and migrates a database. Flat means: the peak does
   not grow with the file.
Default database: a SQLite file in the temp dir (the project's embedded default).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from catalog.exchange import file_import  # noqa: E402  (loaded before anything is timed)
from catalog.exchange.bmecat_safety import SAFE_OPTIONS  # noqa: E402
from catalog.versions import store  # noqa: E402
from core.database import make_engine, session_scope  # noqa: E402
from migrations import upgrade  # noqa: E402
from partners.tables import DeliveryUnit  # noqa: E402

NS = "http://www.bmecat.org/bmecat/2005"
CATEGORIES = ["network", "cables", "power", "storage", "peripherals", "services", "racks", "wireless"]


def _sub(parent, name: str, text=None, **attrs):
    el = etree.SubElement(parent, f"{{{NS}}}{name}", attrs)
    if text is not None:
        el.text = str(text)
    return el


def generate(path: Path, items: int) -> None:
    """A T_NEW_CATALOG of `items` products, written incrementally with lxml."""
    with open(path, "wb") as out, etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}BMECAT", {"version": "2005"}, nsmap={None: NS}):
            header = etree.Element(f"{{{NS}}}HEADER", nsmap={None: NS})
            catalog = _sub(header, "CATALOG")
            _sub(catalog, "LANGUAGE", "eng")
            _sub(catalog, "CATALOG_ID", "BENCH")
            _sub(catalog, "CATALOG_VERSION", "1.0")
            _sub(catalog, "CURRENCY", "EUR")
            _sub(_sub(header, "SUPPLIER"), "SUPPLIER_NAME", "Bench Supplies")
            xf.write(header)
            with xf.element(f"{{{NS}}}T_NEW_CATALOG"):
                for i in range(items):
                    p = etree.Element(f"{{{NS}}}PRODUCT", {"mode": "new"}, nsmap={None: NS})
                    _sub(p, "SUPPLIER_PID", f"B-{i:07d}")
                    d = _sub(p, "PRODUCT_DETAILS")
                    _sub(d, "DESCRIPTION_SHORT", f"Bench item {i} network component")
                    _sub(
                        d,
                        "DESCRIPTION_LONG",
                        f"Bench item {i}: a longer description of the product with "
                        f"enough words to look like a real catalog text, model {i % 977}.",
                    )
                    _sub(d, "INTERNATIONAL_PID", f"{4000000000000 + i}", type="gtin")
                    _sub(d, "MANUFACTURER_PID", f"MPN-{i:07d}")
                    _sub(d, "MANUFACTURER_NAME", f"Maker {i % 50}")
                    _sub(d, "DELIVERY_TIME", 1 + i % 10)
                    f = _sub(p, "PRODUCT_FEATURES")
                    _sub(f, "REFERENCE_FEATURE_SYSTEM_NAME", "ECLASS-11.0")
                    _sub(f, "REFERENCE_FEATURE_GROUP_ID", f"{19000000 + i % 100000}")
                    o = _sub(p, "PRODUCT_ORDER_DETAILS")
                    _sub(o, "ORDER_UNIT", "C62")
                    _sub(o, "CONTENT_UNIT", "C62")
                    pd = _sub(p, "PRODUCT_PRICE_DETAILS")
                    for bound, factor in ((1, Decimal("1.00")), (10, Decimal("0.95"))):
                        price = _sub(pd, "PRODUCT_PRICE", price_type="net_list")
                        _sub(price, "PRICE_AMOUNT", f"{(Decimal(5 + i % 1000) * factor):.2f}")
                        _sub(price, "PRICE_CURRENCY", "EUR")
                        _sub(price, "TAX", "0.19")
                        _sub(price, "LOWER_BOUND", bound)
                    mime = _sub(_sub(p, "MIME_INFO"), "MIME")
                    _sub(mime, "MIME_TYPE", "image/jpeg")
                    _sub(mime, "MIME_SOURCE", f"https://img.example/{i}.jpg")
                    _sub(mime, "MIME_PURPOSE", "normal")
                    xf.write(p)
                for i in range(items):
                    m = etree.Element(f"{{{NS}}}PRODUCT_TO_CATALOGGROUP_MAP", nsmap={None: NS})
                    _sub(m, "PROD_ID", f"B-{i:07d}")
                    _sub(m, "CATALOG_GROUP_ID", CATEGORIES[i % len(CATEGORIES)])
                    xf.write(m)


def bare_pass(path: Path) -> int:
    """The floor: the same safe iterparse over the file, clearing each product and category map
    entry as it ends, doing nothing else."""
    count = 0
    for _, el in etree.iterparse(str(path), tag=("{*}PRODUCT", "{*}PRODUCT_TO_CATALOGGROUP_MAP"), **SAFE_OPTIONS):
        count += el.tag.endswith("}PRODUCT")
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return count


def fresh_database(url: str | None, directory: Path):
    """A migrated database with the one delivery unit new items go to (no demo users: hashing
    their passwords would dominate the memory figures)."""
    url = url or f"sqlite:///{directory / f'app-{os.getpid()}-{time.monotonic_ns()}.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.merge(DeliveryUnit(id="central-warehouse", name="Central warehouse", kind="own", webhook_secret="-"))
    return engine


def empty_draft(engine) -> int:
    with session_scope(engine, write_lock=True) as session:
        return store.create_draft(session, created_by="bench", empty=True).id


def import_once(engine, version: int, path: Path):
    return file_import.import_file(
        engine, version, path, default_delivery_unit="central-warehouse", default_category="misc"
    )


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM belongs to the process image (ru_maxrss would carry the
    parent's peak over a fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(kind: str, path: str, directory: str, url: str | None) -> None:
    """One memory measurement in its own process; prints JSON."""
    result: dict = {"kind": kind}
    if kind == "baseline":
        engine = fresh_database(url, Path(directory))
        empty_draft(engine)
    elif kind == "bare":
        result["items"] = bare_pass(Path(path))
    else:
        engine = fresh_database(url, Path(directory))
        version = empty_draft(engine)
        start = time.perf_counter()
        report = import_once(engine, version, Path(path))
        result["seconds"] = time.perf_counter() - start
        result["items"] = report.added
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_child(kind: str, path: Path, directory: Path, url: str | None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), str(directory), url or ""],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,50000,100000", help="file sizes for the memory figures")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in the temp dir")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, directory, url = args.child
        child(kind, path, directory, url or None)
        return

    directory = Path(tempfile.mkdtemp(prefix="o2c-bmecat-bench-"))
    sizes = sorted({int(s) for s in args.sizes.split(",") if s} | {args.items})
    try:
        files = {}
        for n in sizes:
            files[n] = directory / f"catalog-{n}.xml"
            start = time.perf_counter()
            generate(files[n], n)
            print(
                f"generated {n:,} items: {files[n].stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s",
                flush=True,
            )

        path = files[args.items]
        start = time.perf_counter()
        count = bare_pass(path)
        bare_s = time.perf_counter() - start
        assert count == args.items
        engine = fresh_database(args.database_url, directory)
        version = empty_draft(engine)
        start = time.perf_counter()
        report = import_once(engine, version, path)
        import_s = time.perf_counter() - start
        assert report.added == args.items and report.failed == 0, report
        start = time.perf_counter()
        again = import_once(engine, version, path)
        again_s = time.perf_counter() - start
        assert again.unchanged == args.items and again.changed == again.added == 0
        engine.dispose()

        bare_rate, import_rate, again_rate = count / bare_s, args.items / import_s, args.items / again_s
        print(
            f"\nspeed, {args.items:,} items ({path.stat().st_size / 1e6:.1f} MB), "
            f"database {args.database_url or 'SQLite file'}:"
        )
        print(f"  bare lxml iterparse pass   {bare_s:8.2f} s  {bare_rate:10,.0f} items/s")
        print(
            f"  import into an empty draft {import_s:8.2f} s  {import_rate:10,.0f} items/s   "
            f"ratio to bare {import_rate / bare_rate:.3f} (bare is {bare_rate / import_rate:.1f}x faster)"
        )
        print(
            f"  same file again (no-op)    {again_s:8.2f} s  {again_rate:10,.0f} items/s   "
            f"ratio to bare {again_rate / bare_rate:.3f} (bare is {bare_rate / again_rate:.1f}x faster)"
        )

        print("\npeak memory (RSS of a process doing only that), MB:")
        base = run_child("baseline", files[sizes[0]], directory, args.database_url)["peak_rss_mb"]
        print(f"  modules + database loaded, no import: {base:.1f}")
        print(
            f"  {'items':>8} {'file MB':>8} {'bare pass':>10} {'import':>8} {'import - baseline':>18} {'import s':>9}"
        )
        for n in sizes:
            bare = run_child("bare", files[n], directory, args.database_url)
            imp = run_child("import", files[n], directory, args.database_url)
            print(
                f"  {n:>8,} {files[n].stat().st_size / 1e6:>8.1f} {bare['peak_rss_mb']:>10.1f} "
                f"{imp['peak_rss_mb']:>8.1f} {imp['peak_rss_mb'] - base:>18.1f} {imp['seconds']:>9.1f}"
            )
        print(
            f"\npython {sys.version.split()[0]}, lxml {'.'.join(map(str, etree.LXML_VERSION))}, "
            f"libxml2 {'.'.join(map(str, etree.LIBXML_VERSION))}, {os.cpu_count()} CPUs"
        )
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
