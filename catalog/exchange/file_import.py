"""Importing a file into a draft: `import_file` opens it, tells BMEcat from CSV by its first
bytes, counts how far the reading got (for progress bars) and hands it to the format's reader
(catalog/exchange/bmecat_reader.py, catalog/exchange/csv_format.py), which feeds a `DraftImporter`
(catalog/exchange/importing.py). The entry point of the API, the CLI, the supplier sync and the benchmark.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import Engine

from catalog.exchange import bmecat_reader, csv_format
from catalog.exchange.bmecat_safety import PROLOG_LIMIT
from catalog.exchange.importing import DraftImporter
from models.catalog_versions import ImportFormat, ImportMode, ImportReport

Progress = Callable[[int, int], None]  # (bytes read, items read)


class CountingReader(io.RawIOBase):
    """A binary file wrapper that reports how far the reading got (for progress bars). Closing it
    leaves the wrapped file open."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None] | None = None):
        super().__init__()
        self.raw, self.on_read, self.position = raw, on_read, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        if self.on_read is not None:
            self.on_read(self.position)
        return len(data)


def sniff_format(head: bytes) -> ImportFormat:
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    return "bmecat" if stripped.startswith(b"<") else "csv"


def import_file(
    engine: Engine,
    version_id: int,
    source: str | Path | IO[bytes],
    *,
    format: ImportFormat | None = None,
    mode: ImportMode | None = None,
    default_delivery_unit: str,
    default_category: str,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 1000,
) -> ImportReport:
    """Imports a BMEcat or CSV file into the draft `version_id`. `source`: a path or a seekable
    binary file. `progress(bytes_read, items_read)` is called as the file is read.
    Raises ImportRefused when nothing can be imported (the draft is left untouched)."""
    own = isinstance(source, (str, Path))
    raw: IO[bytes] = open(source, "rb") if isinstance(source, (str, Path)) else source  # noqa: SIM115 - closed below
    try:
        head = raw.read(PROLOG_LIMIT)
        raw.seek(0)
        fmt = format or sniff_format(head)
        importer = DraftImporter(
            engine,
            version_id,
            format=fmt,
            mode=mode or "full",
            transaction="CSV" if fmt == "csv" else "BMECAT",
            default_delivery_unit=default_delivery_unit,
            default_category=default_category,
            batch_size=batch_size,
        )
        reader = CountingReader(raw, (lambda pos: progress(pos, importer.report.items_read)) if progress else None)
        try:
            if fmt == "bmecat":
                return bmecat_reader.read_into(importer, reader, head, mode)
            return csv_format.read_into(importer, reader, mode or "full")
        except BaseException:
            importer.release()
            raise
    finally:
        if own:
            raw.close()
