"""Markdown body -> HTML fragment, with the parser configured once per build."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..diagnostics import Diagnostics
from ..mathml import MathConverter
from ..model import Note, RenderedNote
from ..urls import slugify
from .context import RenderContext
from .details import details_plugin
from .highlight import CodeHighlighter
from .links import LinkTargets
from .math import PIPE_STAND_IN, math_plugin, protect_table_pipes
from .postprocess import postprocess_plugin
from .sanitize import sanitize

_TAGS = re.compile(r"<[^>]+>")


def heading_id(text: str) -> str:
    return slugify(text, "section")


def build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True  # markdown-it-py >= 4.1: GFM task lists
    md.options["highlight"] = CodeHighlighter()
    md.use(gfm_autolink_plugin)
    md.use(footnote_plugin, inline=False)
    md.use(math_plugin)
    md.use(details_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_id, permalink=True,
           permalinkSymbol="#", permalinkBefore=False)
    md.use(postprocess_plugin)
    return md


class NoteRenderer:
    """Renders note bodies; one per build (or per worker process)."""

    def __init__(self, math: MathConverter | None = None, safe: bool = False) -> None:
        self.md = build_markdown()
        self.math = math or MathConverter()
        self.safe = safe  # --safe: bodies and excerpts through the sanitiser (notes one did not write)

    def render(self, note: Note, targets: LinkTargets, diagnostics: Diagnostics) -> RenderedNote:
        context = RenderContext(note=note, targets=targets, math=self.math, diagnostics=diagnostics)
        env = {"papernotes": context}
        source = protect_table_pipes(note.body)
        tokens = self.md.parse(source, env)
        body_html = self.md.renderer.render(tokens, self.md.options, env)
        if PIPE_STAND_IN in body_html:
            body_html = body_html.replace(PIPE_STAND_IN, "|")
        if note.summary:
            excerpt = f"<p>{html.escape(note.summary)}</p>"
        else:
            excerpt = self._first_paragraph(tokens, env)
        if self.safe:
            body_html, excerpt = sanitize(body_html), sanitize(excerpt)
        return RenderedNote(
            html=body_html,
            excerpt_html=excerpt,
            headings=_headings(tokens),
            assets=list(dict.fromkeys(context.assets)),
            looked_at=frozenset(context.looked_at),
        )

    def _first_paragraph(self, tokens: list[Token], env: dict) -> str:
        for i, token in enumerate(tokens):
            if token.type == "paragraph_open" and token.level == 0:
                for j in range(i + 1, len(tokens)):
                    if tokens[j].type == "paragraph_close" and tokens[j].level == 0:
                        return self.md.renderer.render(tokens[i : j + 1], self.md.options, env)
        return ""


def _headings(tokens: list[Token]) -> list[tuple[int, str, str]]:
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            ident = token.attrGet("id")
            inline = tokens[i + 1]
            text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
            if ident:
                found.append((int(token.tag[1]), str(ident), text.strip()))
    return found
