"""Docstrings (Google, NumPy, Sphinx) parsed with griffe into plain parts."""

from __future__ import annotations

import inspect
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import griffe

#: griffe >= 1.6 detects the style itself; older versions get our heuristics.
HAS_AUTO = hasattr(griffe.Parser, "auto")
_OPTIONS: dict[str, dict[str, Any]] = {
    # "Returns: str: The text." means type + description, as in the Google guide.
    "google": {"returns_named_value": False, "warnings": False},
    "numpy": {"warnings": False},
    "sphinx": {"warnings": False},
}
_DEPRECATED = re.compile(
    r"^[ \t]*\.\. deprecated::[ \t]*(?P<version>[^\n]*)\n?"
    r"(?P<body>(?:[ \t]+[^\n]*\n?|[ \t]*\n(?=[ \t]+\S))*)",
    re.MULTILINE,
)
_SPHINX = re.compile(
    r"^\s*:(param|parameter|arg|argument|key|keyword|type|returns?|rtype|raises?)\b", re.M
)
_NUMPY = re.compile(r"^\s*[A-Z][A-Za-z ]+\n\s*-{3,}\s*$", re.M)


@dataclass
class DocItem:
    """One documented parameter, attribute, return value or exception."""

    text: str = ""
    #: The type written in the docstring: a griffe expression, a string or None.
    annotation: Any = None


@dataclass
class ParsedDoc:
    summary: str = ""
    description: str = ""
    examples: list[str] = field(default_factory=list)
    deprecated: str | None = None
    params: dict[str, DocItem] = field(default_factory=dict)
    returns: DocItem | None = None
    raises: list[DocItem] = field(default_factory=list)
    attributes: dict[str, DocItem] = field(default_factory=dict)

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "summary": self.summary,
            "description": self.description,
            "examples": self.examples,
        }
        if self.deprecated is not None:
            doc["deprecated"] = self.deprecated
        return doc

    def text(self) -> str:
        """Summary and description as one string."""
        return "\n\n".join(part for part in (self.summary, self.description) if part)


def guess_style(text: str) -> str:
    """Heuristic style detection, for griffe versions without the "auto" parser."""
    if _SPHINX.search(text):
        return "sphinx"
    if _NUMPY.search(text):
        return "numpy"
    return "google"


def _sections(docstring: griffe.Docstring) -> list[Any]:
    with griffe.logger.disable():
        if HAS_AUTO:
            try:
                return docstring.parse(
                    griffe.Parser.auto,
                    default=griffe.Parser.google,
                    per_style_options=_OPTIONS,
                )
            except TypeError:  # an "auto" without per-style options
                pass
        style = guess_style(docstring.value)
        return docstring.parse(griffe.Parser(style), **_OPTIONS[style])


def _clean(text: Any) -> str:
    return str(text or "").strip()


def _name(raw: str) -> str:
    return raw.lstrip("*").strip()


def parse_text(text: str | None, parent: griffe.Object | None = None) -> ParsedDoc:
    """Parse a docstring given as text (runtime ``__doc__``)."""
    if not text or not text.strip():
        return ParsedDoc()
    return parse(griffe.Docstring(inspect.cleandoc(text), parent=parent))


def parse(docstring: griffe.Docstring | None) -> ParsedDoc:
    """Parse a griffe docstring into summary, description, params, returns, raises."""
    out = ParsedDoc()
    if docstring is None or not docstring.value.strip():
        return out
    try:
        sections = _sections(docstring)
    except Exception:  # a parser bug must not lose the text
        sections = []
        texts = [docstring.value]
    else:
        texts = []
    yields: DocItem | None = None
    for section in sections:
        kind = section.kind.value
        value = section.value
        if kind == "text":
            texts.append(_clean(value))
        elif kind in ("parameters", "other parameters"):
            for item in value:
                out.params.setdefault(
                    _name(item.name), DocItem(_clean(item.description), item.annotation)
                )
        elif kind in ("returns", "yields"):
            item = DocItem(
                "\n".join(_clean(r.description) for r in value if _clean(r.description)),
                value[0].annotation if len(value) == 1 else None,
            )
            if kind == "returns":
                out.returns = item
            else:
                yields = item
        elif kind == "raises":
            out.raises.extend(DocItem(_clean(r.description), r.annotation) for r in value)
        elif kind == "attributes":
            for item in value:
                out.attributes[_name(item.name)] = DocItem(
                    _clean(item.description), item.annotation
                )
        elif kind == "examples":
            out.examples.extend(_clean(text) for sub, text in value if sub.value == "examples")
        elif kind == "deprecated":
            version = _clean(getattr(value, "annotation", "") or getattr(value, "version", ""))
            out.deprecated = _deprecation(version, _clean(value.description))
        elif kind == "admonition":
            title = _clean(getattr(section, "title", "") or value.annotation).capitalize()
            if title.lower().startswith("deprecated"):  # Google "Deprecated:" section
                out.deprecated = _deprecation("", " ".join(_clean(value.description).split()))
            else:
                texts.append(
                    f"{title}: {_clean(value.description)}" if title else value.description
                )
    if out.returns is None:
        out.returns = yields
    text = "\n\n".join(t for t in texts if t)
    match = _DEPRECATED.search(text)
    if match:
        body = " ".join(match.group("body").split())
        out.deprecated = _deprecation(match.group("version").strip(), body)
        text = (text[: match.start()] + text[match.end() :]).strip()
    if not out.examples:
        text, out.examples = _doctests(text)
    summary, _, rest = text.partition("\n\n")
    out.summary = " ".join(summary.split())
    out.description = rest.strip()
    return out


def _deprecation(version: str, body: str) -> str:
    if version and body:
        return f"since {version}: {body}"
    if version:
        return f"since {version}"
    return body or "deprecated"


def _doctests(text: str) -> tuple[str, list[str]]:
    """Move ``>>>`` blocks (up to the next blank line) out of the description."""
    if ">>>" not in text:
        return text, []
    kept: list[str] = []
    examples: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text):
        if block.lstrip().startswith(">>>"):
            examples.append(_dedent(block))
        else:
            kept.append(block)
    return "\n\n".join(kept).strip(), examples


def _dedent(block: str) -> str:
    return textwrap.dedent(block).strip()
