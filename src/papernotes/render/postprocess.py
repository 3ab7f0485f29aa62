"""One pass over the parsed tokens of a note: math to MathML, emoji shortcodes, and relative links.

It runs as the last core rule of markdown-it, so every token (footnotes and ``<summary>`` text
included) is seen once, with the line it came from for warnings.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

import emoji
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .equations import anchor, labels_of, only_reference
from .mathjax import REFERENCE_MARK
from .mathml import MathError
from .context import RenderContext
from ..diagnostics import clip
from ..urls import is_machine_local
from .links import heading_id, relative_href, resolve
from .wikilinks import resolve_wikilink, shown_label
from .math import MATH_BLOCK_TYPES, MATH_INLINE_TYPES, PIPE_STAND_IN, unclosed_display_math

_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_HTML_URL_ATTR = re.compile(r"""(\s(?:src|href)\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)


def postprocess_rule(state: StateCore) -> None:
    context = state.env.get("papernotes") if isinstance(state.env, dict) else None
    if context is None:
        return
    line = 0
    for token in state.tokens:
        if token.map:
            line = token.map[0]
        if token.type in MATH_BLOCK_TYPES:
            _math_block(context, token, line)
        elif token.type == "html_block":
            token.content = _rewrite_html_urls(context, token.content, line)
        elif token.type == "inline" and token.children:
            _inline_children(context, token.children, line)
    if context.machine_local:
        paths = list(context.machine_local)
        shown = ", ".join(f"'{p}'" for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        folder = context.note.rel_path.rpartition("/")[0] or "notes"
        name = paths[0].replace("\\", "/").rpartition("/")[2] or "image.png"
        context.warn(context.machine_local[paths[0]],
                     f"{len(paths)} link{'s' if len(paths) > 1 else ''} to files on the author's own machine, which "
                     f"no one else has: {shown}; copy {'them' if len(paths) > 1 else 'it'} into {folder}/images/ "
                     f"and write images/{name}")
    for line in unclosed_display_math(state.env):
        context.warn(line, "'$$' starts a display formula that is never closed (no later line ends with "
                           "'$$' before the text goes on); shown as text — close it with a line '$$'")


def _inline_children(context: RenderContext, children: list[Token], line: int) -> None:
    in_autolink = 0
    for child in children:
        kind = child.type
        if kind in MATH_INLINE_TYPES:
            display = MATH_INLINE_TYPES[kind]
            child.type = "html_inline"
            child.meta = {"tex": child.content.replace(PIPE_STAND_IN, "|").strip()}  # backlinks' text shows it
            child.content = _math(context, child.content, display, line)
        elif kind == "text":
            if not in_autolink and ":" in child.content and _SHORTCODE.search(child.content):
                child.content = emoji.emojize(child.content, language="alias")
        elif kind == "link_open":
            if child.markup in ("linkify", "autolink"):
                in_autolink += 1
            _rewrite_attr(context, child, "href", line)
        elif kind == "wikilink":
            _wikilink(context, child, line)
        elif kind == "link_close":
            in_autolink = max(0, in_autolink - 1)
        elif kind == "image":
            _rewrite_attr(context, child, "src", line)
        elif kind == "html_inline":
            child.content = _rewrite_html_urls(context, child.content, line)
        if child.children:
            _inline_children(context, child.children, line)


def _wikilink(context: RenderContext, token: Token, line: int) -> None:
    target, label = token.meta["target"], token.meta["label"]
    name, _, heading = target.partition("#")
    token.meta["shown"] = shown_label(target, label)
    if not name.strip():  # [[#heading]]: a heading of this note
        token.meta["href"] = "#" + heading_id(heading.strip())
        return
    found = resolve_wikilink(context.targets.wiki_index, context.note, name)
    context.wiki_names.update(found.names)
    if found.note is None:
        token.meta["problem"] = found.problem
        context.warn(line, f"wikilink [[{token.content}]]: {found.problem}; shown as a broken link")
        return
    anchor_part = "#" + heading_id(heading.strip()) if heading.strip() else ""
    token.meta["href"] = relative_href(context.note.url, found.note.url) + anchor_part
    token.meta["note"] = found.note.key


def _math(context: RenderContext, tex: str, display: bool, line: int) -> str:
    tex = tex.replace(PIPE_STAND_IN, "|").strip()
    if context.links_only:
        return ""
    reference = None if display else only_reference(tex)
    if reference is not None:  # $\eqref{key}$: a link to the equation, its tag filled in later
        kind, key = reference
        return f'<a class="eqref" href="#{anchor(key)}">{REFERENCE_MARK.format(kind=kind, key=key)}</a>'
    try:
        result = context.math.convert(tex, display=display)
        context.equations.read(tex)
        for notice in result.notices:
            context.warn(line, f"formula {clip(tex)}: {notice}")
        return result.mathml
    except MathError as exc:
        context.warn(line, f"formula could not be converted ({exc}): {clip(tex)}")
        source = html.escape(tex)
        message = html.escape(str(exc), quote=True)
        if display:
            return f'<pre class="math-error" title="{message}">{source}</pre>'
        return f'<code class="math-error" title="{message}">{source}</code>'


def _math_block(context: RenderContext, token: Token, line: int) -> None:
    content = token.content
    if token.type == "amsmath":
        content = content.strip()
    labels = list(dict.fromkeys(labels_of(content)))
    ident = f' id="{anchor(labels[0])}"' if labels else ""
    more = "".join(f'<span id="{anchor(key)}"></span>' for key in labels[1:])  # rows of an align
    token.content = f'<div class="math-display"{ident}>{more}{_math(context, content, True, line)}</div>\n'
    token.type = "html_block"


def _rewrite_attr(context: RenderContext, token: Token, name: str, line: int) -> None:
    value = token.attrGet(name)
    if not isinstance(value, str):
        return
    new = _resolve(context, value, line, token)
    if new is not None:
        token.attrSet(name, new)


def _resolve(context: RenderContext, url: str, line: int, token: Token | None = None) -> str | None:
    """The URL to write for ``url``; a link token to another note is marked with its key."""
    if is_machine_local(url):  # said once per note, at the end (postprocess_rule)
        context.machine_local.setdefault(unquote(url), line)
        return None
    result = resolve(context.targets, context.note, url)
    if token is not None and result.note is not None and token.type == "link_open":
        token.meta["note"] = result.note.key
    context.looked_at.update(result.looked_at)
    if result.problem:
        context.warn(line, result.problem)
    if result.asset is not None:
        context.assets.append(result.asset)
    if result.url is None:
        return None
    return relative_href(context.note.url, result.url)


def _rewrite_html_urls(context: RenderContext, content: str, line: int) -> str:
    if "src" not in content and "href" not in content:
        return content

    def replace(match: re.Match[str]) -> str:
        new = _resolve(context, html.unescape(match.group(3)), line)
        if new is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}{html.escape(new, quote=True)}{match.group(2)}"

    return _HTML_URL_ATTR.sub(replace, content)


def postprocess_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("papernotes_postprocess", postprocess_rule)
