"""BMEcat import safety: what keeps hostile XML from reading server files or exhausting memory.

- the prolog is checked before parsing (`check_prolog`): a DOCTYPE with entity declarations (XXE,
  billion laughs, parameter entities) is refused; a plain DOCTYPE naming an external DTD is
  accepted and the DTD is never fetched;
- the parser never resolves entities, never loads a DTD, never touches the network, and keeps
  libxml2's limits on huge nodes (`SAFE_OPTIONS`: `resolve_entities=False, load_dtd=False,
  no_network=True, huge_tree=False`); the document's internal DTD is checked again once the root
  element starts (`check_internal_dtd`).
The streaming reader (catalog/exchange/bmecat_reader.py) uses all three; kept apart so that the whole
defence can be reviewed in one place.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from catalog.exchange.importing import ImportRefused

PROLOG_LIMIT = 64 * 1024
# The parser options that make iterparse safe on untrusted input (see the module doc).
SAFE_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _decode_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    return head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def check_prolog(head: bytes) -> str:
    """The root element's name, after checking everything before it; ImportRefused for a DOCTYPE
    that declares entities (external or internal: XXE, entity expansion bombs)."""
    text, i = _decode_head(head), 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            raise ImportRefused(f"no root element within the first {PROLOG_LIMIT // 1024} KiB")
        if text.startswith("<?", i):
            end = text.find("?>", i)
            if end < 0:
                raise ImportRefused("unterminated processing instruction before the root element")
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                raise ImportRefused("unterminated comment before the root element")
            i = end + 3
        elif text.startswith("<!DOCTYPE", i):
            j, depth, quote = i + 9, 0, None
            while j < n:
                c = text[j]
                if quote:
                    quote = None if c == quote else quote
                elif c in "\"'":
                    quote = c
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                elif c == ">" and depth <= 0:
                    break
                j += 1
            if j >= n:
                raise ImportRefused("the DOCTYPE declaration is too long")
            if "<!ENTITY" in text[i:j]:
                raise ImportRefused(
                    "the document declares entities (DOCTYPE with <!ENTITY>): refused, "
                    "entities are a way to read server files or exhaust memory"
                )
            i = j + 1
        elif text.startswith("<!", i):
            raise ImportRefused("unexpected declaration before the root element")
        elif text.startswith("<", i):
            match = _NAME.match(text, i)
            if not match:
                raise ImportRefused("not an XML document")
            return match.group(1).rsplit(":", 1)[-1]
        else:
            raise ImportRefused("not an XML document")


def check_internal_dtd(el: etree._Element) -> None:
    dtd = el.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ImportRefused("the document declares entities: refused")
