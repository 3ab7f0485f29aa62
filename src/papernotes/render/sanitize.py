"""``--safe``: note bodies' HTML through nh3 (the Ammonia sanitiser), for notes one did not write.

By default the raw HTML in a note's body is kept as written: it is the author's own. With
``papernotes build --safe`` (and ``serve --safe``) every rendered body and excerpt is cleaned
with an allow-list that keeps everything papernotes' renderer itself produces — MathML, collapsible
``<details>``, highlighted code, footnotes, task lists, heading anchors, tables, images — and
drops the rest: ``<script>``, ``<style>``, ``<iframe>``, ``<object>``, forms, event handlers
(``onerror=``…), ``javascript:``/``data:`` URLs, unknown attributes.
"""

from __future__ import annotations

import nh3

#: MathML Core presentation elements (what the LaTeX converter writes) and their attributes.
#: Not ``annotation-xml`` (it can hold HTML) and no ``href`` on MathML elements.
_MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msub",
    "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mmultiscripts",
    "mprescripts", "mtable", "mtr", "mtd", "mstyle", "mpadded", "menclose", "mphantom", "merror",
    "mlabeledtr", "none",
}
_MATHML_COMMON = {"class", "style", "mathvariant", "mathcolor", "mathbackground", "mathsize", "displaystyle",
                  "scriptlevel", "dir"}
_MATHML_ATTRIBUTES: dict[str, set[str]] = {
    "math": {"xmlns", "display", "alttext"},
    "annotation": {"encoding"},
    "mo": {"fence", "separator", "stretchy", "symmetric", "largeop", "movablelimits", "accent", "form",
           "lspace", "rspace", "minsize", "maxsize"},
    "mspace": {"width", "height", "depth", "linebreak"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mfrac": {"linethickness", "numalign", "denomalign", "bevelled"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame",
               "framespacing", "width", "align", "equalrows", "equalcolumns"},
    "mtr": {"columnalign", "rowalign"},
    "mlabeledtr": {"columnalign", "rowalign"},
    "mtd": {"columnalign", "rowalign", "columnspan", "rowspan"},
    "menclose": {"notation"},
    "ms": {"lquote", "rquote"},
}

#: HTML the renderer writes (and ordinary prose markup), on top of nh3's default allow-list.
_HTML_TAGS = (set(nh3.ALLOWED_TAGS) | {"details", "summary", "section", "input", "figure", "figcaption",
                                       "picture", "source", "kbd", "mark", "s", "del", "ins"}) - {"area", "map"}
_HTML_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang", "aria-label"},  # aria-label: the heading anchors' names
    "img": {"src", "alt", "width", "height", "loading"},
    "source": {"srcset", "type", "media"},
    "details": {"open"},
    "input": {"checked", "disabled"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style", "align"},
    "th": {"colspan", "rowspan", "style", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "abbr": {"title"},
}

#: CSS properties kept in ``style`` (MathML layout and table alignment; nothing that positions
#: content over the page, such as ``position`` or ``z-index``).
_STYLE_PROPERTIES = {
    "padding", "padding-left", "padding-right", "padding-top", "padding-bottom", "margin", "margin-left",
    "margin-right", "border", "border-top", "border-bottom", "border-left", "border-right", "border-style",
    "border-width", "border-color", "width", "min-width", "height", "text-align", "vertical-align",
    "font-family", "font-style", "font-weight", "font-size", "color", "background", "background-color",
    "text-decoration", "white-space", "letter-spacing", "line-height", "display",
}


def _attributes() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for source in (nh3.ALLOWED_ATTRIBUTES, _HTML_ATTRIBUTES):
        for tag, names in source.items():
            merged.setdefault(tag, set()).update(names)
    for tag in _MATHML_TAGS:
        merged.setdefault(tag, set()).update(_MATHML_COMMON | _MATHML_ATTRIBUTES.get(tag, set()))
    merged.pop("area", None)
    merged.pop("map", None)
    return merged


_CLEANER = nh3.Cleaner(
    tags=_HTML_TAGS | _MATHML_TAGS,
    attributes=_attributes(),
    # task-list boxes only: no text fields, buttons or hidden inputs
    tag_attribute_values={"input": {"type": {"checkbox"}}},
    clean_content_tags={"script", "style", "template", "noscript", "iframe", "object", "embed", "textarea",
                        "select", "noembed", "noframes", "xmp", "plaintext"},
    url_schemes={"http", "https", "mailto"},  # and relative URLs
    filter_style_properties=_STYLE_PROPERTIES,
    link_rel=None,
    strip_comments=True,
) if hasattr(nh3, "Cleaner") else None


def sanitize(html: str) -> str:
    """``html`` with everything outside the allow-list removed."""
    if not html:
        return html
    if _CLEANER is not None:
        return _CLEANER.clean(html)
    return nh3.clean(html, tags=_HTML_TAGS | _MATHML_TAGS, attributes=_attributes(),  # pragma: no cover
                     tag_attribute_values={"input": {"type": {"checkbox"}}}, url_schemes={"http", "https", "mailto"},
                     filter_style_properties=_STYLE_PROPERTIES, link_rel=None, strip_comments=True)
