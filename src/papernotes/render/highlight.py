"""Fenced code highlighted by Pygments at build time, with CSS classes (the theme ships palettes)."""

from __future__ import annotations

import html

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

class CodeHighlighter:
    """markdown-it's ``highlight`` option; keeps the lexers it has looked up."""

    def __init__(self) -> None:
        self._formatter = HtmlFormatter(nowrap=True)
        self._lexers: dict[str, object | None] = {}

    def _lexer(self, language: str):
        if language not in self._lexers:
            try:
                self._lexers[language] = get_lexer_by_name(language, stripnl=False, ensurenl=False)
            except ClassNotFound:
                self._lexers[language] = None
        return self._lexers[language]

    def __call__(self, code: str, language: str, attrs: str) -> str:
        language = (language or "").strip().lower()
        lexer = self._lexer(language) if language else None
        css_language = html.escape(language, quote=True)
        if lexer is None:
            klass = f' class="language-{css_language}"' if language else ""
            return f'<pre class="highlight"><code{klass}>{html.escape(code)}</code></pre>'
        body = pygments_highlight(code, lexer, self._formatter)
        return f'<pre class="highlight"><code class="language-{css_language}">{body}</code></pre>'


def pygments_css(light: str = "default", dark: str = "monokai") -> str:
    """Stylesheet for both palettes: the dark one applies when the reader chose the dark theme
    (``data-theme="dark"`` on ``<html>``) and, unless they chose the light one, under
    ``prefers-color-scheme: dark``."""
    light_css = HtmlFormatter(style=light).get_style_defs(".highlight")
    chosen = HtmlFormatter(style=dark).get_style_defs(':root[data-theme="dark"] .highlight')
    system = HtmlFormatter(style=dark).get_style_defs(':root:not([data-theme="light"]) .highlight')
    return f"{light_css}\n{chosen}\n@media (prefers-color-scheme: dark) {{\n{system}\n}}\n"
