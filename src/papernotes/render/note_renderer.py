"""Markdown body -> HTML fragment, with the parser configured once per build."""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
from mdit_py_plugins.footnote import footnote_plugin

from ..diagnostics import Diagnostics
from .mathfont import math_characters
from .mathml import MathConverter
from ..model import Note, RenderedNote
from .context import RenderContext
from .details import details_plugin
from .highlight import CodeHighlighter
from .links import LinkTargets, heading_id
from .note_links import collect_note_links
from .wikilinks import wikilinks_plugin
from .math import PIPE_STAND_IN, math_plugin, protect_table_pipes
from .postprocess import postprocess_plugin
from .sanitize import sanitize

_TAGS = re.compile(r"<[^>]+>")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.+\-_]")


def build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.options["tasklists"] = True  # markdown-it-py >= 4.1: GFM task lists
    md.options["highlight"] = CodeHighlighter()
    md.use(gfm_autolink_plugin)
    _bound_autolink_rules(md)
    md.use(footnote_plugin, inline=False)
    md.use(wikilinks_plugin)
    md.use(math_plugin)
    md.use(details_plugin)
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_id, permalink=True,
           permalinkSymbol="#", permalinkBefore=False)
    md.core.ruler.before("anchor", "heading_ids", _heading_ids)
    md.core.ruler.after("anchor", "anchor_labels", _label_anchors)
    md.use(postprocess_plugin)
    return md


def _heading_ids(state: StateCore) -> None:
    """Give headings up to ``####`` their ids before the anchors plugin does. The ids are the
    plugin's (the first free one of ``slug``, ``slug-1``, ``slug-2`` …), but the plugin tries every
    number from 1 for every heading: quadratic in repeated titles (fuzzing: 16,000 ``# x`` lines
    took 50 s). Here the next number to try is remembered per slug."""
    taken = {str(t.attrGet("id")) for t in state.tokens if t.type == "heading_open" and t.attrGet("id")}
    next_number: dict[str, int] = {}
    for i, token in enumerate(state.tokens):
        if token.type != "heading_open" or token.attrGet("id") or int(token.tag[1]) > 4:
            continue
        children = state.tokens[i + 1].children or [] if i + 1 < len(state.tokens) else []
        slug = heading_id("".join(c.content for c in children if c.type in ("text", "code_inline")))
        unique = slug
        if unique in taken:
            n = next_number.get(slug, 1)
            while f"{slug}-{n}" in taken:
                n += 1
            next_number[slug] = n + 1
            unique = f"{slug}-{n}"
        taken.add(unique)
        token.attrSet("id", unique)


def _label_anchors(state: StateCore) -> None:
    """Name each heading's "#" link for those who hear it: "Link to this section 本节链接: Method"."""
    for i, token in enumerate(state.tokens):
        if token.type != "heading_open" or i + 1 >= len(state.tokens):
            continue
        children = state.tokens[i + 1].children or []
        text = "".join(c.content for c in children if c.type in ("text", "code_inline")).strip()
        for child in children:
            if child.type == "link_open" and child.attrGet("class") == "header-anchor":
                child.attrSet("aria-label", f"Link to this section 本节链接: {text}" if text else "Link to this section 本节链接")


_PROTOCOLS = ("http", "https", "mailto", "xmpp")
_AUTOLINK_WINDOW = 8192  # characters a bare URL or e-mail address may have


def _bound_autolink_rules(md: MarkdownIt) -> None:
    """The GFM autolink plugin's rules for ``:`` (``https:``, ``mailto:``) and ``@`` (bare e-mail)
    copy the rest of the paragraph at every ``:`` or ``@``, and the ``:`` rule searches all the
    text before it with a regular expression: quadratic in the paragraph (fuzzing: 64 KB of
    ``a:`` took 30 s, of ``:smile:`` 15 s). They are only run where a link can start, on the
    next 8,192 characters, and the ``:`` rule sees only the end of the text before it (enough for
    a scheme name). In silent mode (link labels) both always answer no, so they are not run."""
    def bounded(rule, can_start, trim):
        def run(state: StateInline, silent: bool) -> bool:
            if silent or not can_start(state):
                return False
            if trim and len(state.pending) > 64:  # emit the text before as it is; fragments_join rejoins it
                pending = state.pending
                state.pending = pending[:-16]
                state.pushPending()
                state.pending = pending[-16:]
            pos_max = state.posMax
            state.posMax = min(pos_max, state.pos + _AUTOLINK_WINDOW)
            try:
                return rule(state, silent)
            finally:
                state.posMax = pos_max
        return run

    guards = {"gfm_autolink_protocol": (lambda state: state.pending.endswith(_PROTOCOLS), True),
              "gfm_autolink_email": (lambda state: _EMAIL_LOCAL.match(state.pending[-1:]) is not None, False)}
    for name, (can_start, trim) in guards.items():
        index = md.inline.ruler.__find__(name)
        if index >= 0:  # (a later plugin version may have renamed or fixed it)
            rule = md.inline.ruler.__rules__[index]
            md.inline.ruler.at(name, bounded(rule.fn, can_start, trim), {"alt": list(rule.alt)})


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
        body_html, missing = context.equations.resolve(body_html)
        for key in missing:
            context.warn(0, f"\\eqref{{{key}}}: no formula of this note has \\label{{{key}}} with a \\tag; shown as (???)")
        if note.describes_category:
            # A category's description is shown whole on list pages: it is its own excerpt (and
            # so an edit of it changes what those pages show, which is what rebuilds them).
            excerpt = body_html
        elif note.summary:
            excerpt = f"<p>{html.escape(note.summary)}</p>"
        else:
            excerpt = self._first_paragraph(tokens, env).replace(PIPE_STAND_IN, "|")
        excerpt, _ = context.equations.resolve(excerpt)
        if self.safe:
            body_html, excerpt = sanitize(body_html), sanitize(excerpt)
        return RenderedNote(
            html=body_html,
            excerpt_html=excerpt,
            headings=_headings(tokens),
            assets=list(dict.fromkeys(context.assets)),
            looked_at=frozenset(context.looked_at),
            math_chars=math_characters(body_html),
            note_links=collect_note_links(tokens, note.key),
            wiki_names=frozenset(context.wiki_names),
        )

    def note_links(self, note: Note, targets: LinkTargets) -> RenderedNote:
        """Only what a note's links are (parsed, not rendered: no math, no HTML), for a parallel
        build that writes each note's page as soon as it renders it, so needs every note's links
        before (backlinks): the result's ``html`` is None and only its link fields are filled."""
        if not may_link_to_notes(note.body):
            return RenderedNote(html=None, excerpt_html="")
        context = RenderContext(note=note, targets=targets, math=self.math, diagnostics=Diagnostics(),
                                links_only=True)
        tokens = self.md.parse(protect_table_pipes(note.body), {"papernotes": context})
        return RenderedNote(html=None, excerpt_html="", looked_at=frozenset(context.looked_at),
                            note_links=collect_note_links(tokens, note.key),
                            wiki_names=frozenset(context.wiki_names))

    def _first_paragraph(self, tokens: list[Token], env: dict) -> str:
        for i, token in enumerate(tokens):
            if token.type == "paragraph_open" and token.level == 0:
                for j in range(i + 1, len(tokens)):
                    if tokens[j].type == "paragraph_close" and tokens[j].level == 0:
                        return self.md.renderer.render(tokens[i : j + 1], self.md.options, env)
        return ""


def may_link_to_notes(body: str) -> bool:
    """False when the body cannot link to a note: no wikilink, and no URL naming a Markdown file
    (a link to a note names its ``.md``; ``%2E`` in case the dot is percent-encoded)."""
    if "[[" in body:
        return True
    lowered = body.lower()
    return ".md" in lowered or ".markdown" in lowered or "%2e" in lowered


def _headings(tokens: list[Token]) -> list[tuple[int, str, str]]:
    found = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            ident = token.attrGet("id")
            inline = tokens[i + 1]
            text = "".join(c.content for c in (inline.children or []) if c.type in ("text", "code_inline"))
            if ident:
                found.append((int(token.tag[1]), str(ident).replace(PIPE_STAND_IN, "|"),
                              text.strip().replace(PIPE_STAND_IN, "|")))
    return found
