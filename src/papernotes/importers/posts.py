"""Jekyll and Hexo blog posts as notes.

A source is a blog folder (one holding ``_posts/`` or, for Hexo, ``source/_posts/``), a ``_posts``
folder, a folder of dated posts (``2017-10-1-some-title.markdown``), or one such file. Every post
becomes one :class:`ImportedNote`; what could not be read becomes an :class:`ImportProblem`,
never an exception.

Front matter
    ``title`` (else the first ``# heading``, else the file name's slug); ``date`` (else the file
    name's, which need not be zero-padded: ``2017-10-1``); ``category`` / ``categories`` (a string,
    trailing spaces trimmed, or a list, which is a nested path as in Hexo); ``tags``; ``summary`` /
    ``excerpt`` / ``description``; and papernotes' own keys when a post has them (``status``,
    ``authors``, ``venue``, ``year``, ``links``, ``arxiv``, ``doi``). Everything else (``layout``,
    ``permalink``, ``comments``, ``author`` — the blog's writer, not the paper's …) is dropped.
    Jekyll reads a ``categories``/``tags`` *string* as space-separated words, Hexo as one name;
    both split on commas.

Body
    Kept byte for byte except for the small rewrites below, none of which looks inside fenced
    code, inline code, HTML comments or math (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``,
    ``\\begin{…}…\\end{…}``):

    * :func:`extract_raw_blocks` — ``{% raw %}…{% endraw %}``: tags removed, content kept as written
      (Liquid runs before Markdown, so this also applies inside code fences);
    * :func:`convert_code_tags` — ``{% highlight python %}`` / Hexo ``{% codeblock lang:python %}``
      blocks become fenced code blocks;
    * :func:`remove_toc` — kramdown's ``* toc`` + ``{:toc}`` pair, a lone ``{:toc}``, ``[TOC]``;
    * :func:`convert_liquid_tags` — ``{% post_url … %}`` / ``{% link _posts/… %}`` used as a link
      target become the link text followed by ``<!-- liquid: post_url … -->`` (the target note's
      page is not known here); ``{% link assets/x.png %}`` becomes ``/assets/x.png``; Octopress /
      Hexo ``{% img … %}`` and ``{% asset_img … %}`` become Markdown images; ``{% comment %}``
      blocks and every other tag (``include``, ``if``, ``for`` …) become HTML comments
      ``<!-- liquid: … -->``;
    * :func:`neutralise_liquid_output` — ``{{ site.baseurl }}`` / ``{{ site.url }}`` before a path
      and ``{{ "/x.png" | relative_url }}`` become the plain path; any other ``{{ … }}`` in prose
      becomes inline code, so it shows as written; inside a link target or an HTML tag it is kept
      as written and reported (it is never executed either way);
    * :func:`drop_kramdown_attributes` — attribute-list lines (``{: .class}``, ``{:.no_toc}``),
      span attributes after images (``![x](a.png){: width="50%"}``), heading ids ``{#id}``,
      ``{::options …/}`` and ``{::nomarkdown}`` tags.

Images
    ``/images/x.png`` (a site-root path, after ``{{ site.baseurl }}`` is removed) is looked up under
    the folder that holds ``_posts`` (``source/`` for Hexo); a relative path next to the post (or
    in Hexo's post asset folder ``_posts/<post name>/``). Each becomes an :class:`ImageRef` whose
    ``written`` is the path exactly as it appears in the returned body; the writer copies the file
    and rewrites the reference. Links (not images) to local files such as ``/files/x.pdf`` are
    reported the same way. A path that leads out of the blog folder is not followed (reported).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

from ..diagnostics import NoteError
from ..load.fields import (
    parse_arxiv,
    parse_authors,
    parse_date,
    parse_links,
    parse_list,
    parse_status,
    parse_year,
    title_from_body,
)
from ..load.frontmatter import FrontMatter, normalize_text, split
from .markdown import drop_lines
from .model import ImageRef, ImportedNote, ImportProblem, ParsedSource

POST_SUFFIXES = {".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".html", ".htm"}
#: ``2017-10-1-some-title.markdown``: Jekyll's post file name; the date need not be zero-padded.
POST_NAME = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:-(.*))?$")
_EDITOR_LEFTOVER = re.compile(r"(^[.#_~])|(~$)|(\.sw[a-p]$)|(\.(tmp|bak|orig)$)", re.IGNORECASE)


# -- detection -------------------------------------------------------------------------------------

def _is_post_file_name(name: str) -> bool:
    stem, suffix = os.path.splitext(name)
    return suffix.lower() in POST_SUFFIXES and POST_NAME.match(stem) is not None


def looks_like_posts(path: Path) -> bool:
    """A blog folder (``_posts/`` or ``source/_posts/`` inside), a ``_posts`` folder, a folder
    holding dated posts, or one dated post / one file inside a ``_posts`` folder."""
    path = Path(path)
    try:
        if path.is_file():
            if _is_post_file_name(path.name):
                return True
            return path.parent.name == "_posts" and path.suffix.lower() in POST_SUFFIXES
        if path.is_dir():
            if path.name == "_posts" or (path / "_posts").is_dir() or (path / "source" / "_posts").is_dir():
                return True
            return any(p.is_file() and _is_post_file_name(p.name) for p in path.iterdir())
    except OSError:
        return False
    return False


# -- finding posts ----------------------------------------------------------------------------------

@dataclass
class _Post:
    file: Path
    shown: str  # path for messages
    site_root: Path  # the folder holding _posts: site-root paths (/images/x.png) start here
    flavor: str  # "jekyll" or "hexo"


def _wanted(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in POST_SUFFIXES and not _EDITOR_LEFTOVER.search(p.name)


def _posts_under(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            p = Path(root) / name
            if _wanted(p):
                found.append(p)
    return found


def _flavor(posts_folder: Path) -> str:
    return "hexo" if posts_folder.parent.name == "source" else "jekyll"


def _find_posts(path: Path) -> list[_Post]:
    if path.is_file():
        posts_folder = next((a for a in path.parents if a.name == "_posts"), None)
        if posts_folder is not None:
            return [_Post(path, path.name, posts_folder.parent, _flavor(posts_folder))]
        return [_Post(path, path.name, path.parent, "jekyll")]
    folders = []
    if path.name == "_posts":
        folders.append(path)
    folders += [f for f in (path / "_posts", path / "source" / "_posts") if f.is_dir()]
    posts: list[_Post] = []
    if folders:
        for folder in folders:
            for file in _posts_under(folder):
                posts.append(_Post(file, file.relative_to(path).as_posix(), folder.parent, _flavor(folder)))
    else:
        for file in path.iterdir():
            if _wanted(file) and _is_post_file_name(file.name):
                posts.append(_Post(file, file.name, path, "jekyll"))
    posts.sort(key=lambda p: p.shown)
    return posts


# -- entry point ----------------------------------------------------------------------------------

def parse_posts(path: Path) -> ParsedSource:
    """Every post under ``path`` (a blog folder, a ``_posts`` folder or one post file), sorted by
    path, as notes; problems are collected, never raised."""
    path = Path(path).absolute()
    source = ParsedSource(kind="posts", root=path if path.is_dir() else path.parent)
    if not path.exists():
        source.problems.append(ImportProblem(str(path), None, "no such file or folder"))
        return source
    try:
        posts = _find_posts(path)
    except OSError as exc:
        source.problems.append(ImportProblem(str(path), None, f"cannot be read: {exc.strerror or exc}"))
        return source
    if posts and path.is_file():
        source.root = posts[0].site_root  # a post's site-root images (/images/x.png) live in its blog
    if not posts:
        source.problems.append(ImportProblem(str(path), None, "no posts found (looked in _posts/, source/_posts/ "
                                             "and for files named like 2017-10-1-title.md)"))
    for post in posts:
        note = _parse_post(post, source.problems)
        if note is not None:
            source.notes.append(note)
    return source


# -- one post -----------------------------------------------------------------------------------------

def _read_text(post: _Post, problems: list[ImportProblem]) -> str | None:
    try:
        data = post.file.read_bytes()
    except OSError as exc:
        problems.append(ImportProblem(post.shown, None, f"cannot be read: {exc.strerror or exc}"))
        return None
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark (Windows "Unicode")
            return normalize_text(data.decode("utf-16"))
        return normalize_text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            problems.append(ImportProblem(post.shown, None, "is not valid UTF-16 text; not imported"))
            return None
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(ImportProblem(post.shown, line, "is not UTF-8 text (byte "
                                      f"0x{data[exc.start]:02x}); save it as UTF-8 and import it again; not imported"))
        return None


def _split_front(text: str, flavor: str) -> tuple[FrontMatter, str]:
    """Front matter and body; Hexo also accepts front matter without the opening ``---``."""
    if flavor == "hexo" and not text.startswith("---") and re.match(r"[A-Za-z_][\w-]*[ \t]*:", text):
        lines = text.split("\n")
        if any(re.match(r"^---[ \t]*$", line) for line in lines[:60]):
            try:
                parts = split("---\n" + text)
            except NoteError:
                pass
            else:
                front = parts.front
                front.key_lines = {k: v - 1 for k, v in front.key_lines.items()}
                return front, parts.body
    parts = split(text)  # raises NoteError with the line
    return parts.front, parts.body


def _slug_title(slug: str) -> str:
    text = " ".join(re.split(r"[-_\s]+", unquote(slug))).strip()
    return text[:1].upper() + text[1:] if text else ""


def _parse_post(post: _Post, problems: list[ImportProblem]) -> ImportedNote | None:
    text = _read_text(post, problems)
    if text is None:
        return None
    try:
        front, body = _split_front(text, post.flavor)
    except NoteError as exc:
        problems.append(ImportProblem(post.shown, exc.line, f"{exc.message}; not imported"))
        return None
    data, lines = front.data, front.key_lines

    def problem(key: str | None, message: str) -> None:
        problems.append(ImportProblem(post.shown, lines.get(key) if key else None, message))

    def parsed(key: str, func: Callable, *args: Any) -> Any:
        try:
            return func(*args)
        except NoteError as exc:
            problem(key, f"{exc.message}; left out")
            return None

    stem = post.file.stem
    name_date: dt.date | None = None
    slug = stem
    match = POST_NAME.match(stem)
    if match:
        slug = match.group(4) or ""
        try:
            name_date = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            problem(None, f"the file name's date {match.group(1)}-{match.group(2)}-{match.group(3)} is not a date")

    body = body.lstrip("\n")
    title = None
    if "title" in data and data["title"] is not None and not isinstance(data["title"], (list, dict)):
        title = " ".join(front.raw_scalars.get("title", str(data["title"])).split()) or None
    elif "title" in data and isinstance(data["title"], (list, dict)):
        problem("title", "title must be text, not a list or mapping; left out")
    if title is None:
        heading, without = title_from_body(body)
        if heading:
            title, body = " ".join(heading.split()), without.lstrip("\n")
        else:
            title = _slug_title(slug) or None
    if not title:
        problem("title" if "title" in data else None,
                "has no title (no 'title:' in the front matter, no '# heading', and the file name "
                "has no words after the date); not imported")
        return None

    date = None
    if data.get("date") not in (None, ""):
        date = parsed("date", parse_date, data["date"])
    date = date or name_date

    category_key = "category" if data.get("category") not in (None, "", []) else "categories"
    category = _category(data.get(category_key), category_key, post.flavor)
    tags_key = "tags" if "tags" in data else "tag"
    tags = _word_list(data.get(tags_key), post.flavor)

    status = None
    if data.get("status") not in (None, ""):
        status = parsed("status", parse_status, data["status"])
    summary = None
    for key in ("summary", "excerpt", "description"):
        value = data.get(key)
        if isinstance(value, (str, int, float)) and str(value).strip():
            summary = " ".join(str(value).split())
            break

    venue_value = data.get("venue")
    venue = " ".join(str(venue_value).split()) if venue_value not in (None, "") else None
    year = parsed("year", parse_year, data.get("year"), venue)
    authors = parsed("authors", parse_authors, data.get("authors")) or ()
    links = parsed("links", parse_links, data.get("links")) or ()
    arxiv = parsed("arxiv", parse_arxiv, front.raw_scalars.get("arxiv", data.get("arxiv")))
    doi = str(data["doi"]).strip() if data.get("doi") not in (None, "") else None
    if data.get("published") is False:
        problem("published", "has 'published: false' (a draft); imported anyway")

    rewriter = _BodyRewriter(post, problems)
    body = rewriter.rewrite(body)
    return ImportedNote(
        title=title,
        origin=f"{post.shown}:1",
        status=status,
        category=category,
        tags=tags,
        venue=venue,
        year=year,
        authors=tuple(authors),
        date=date,
        summary=summary,
        links=list(links),
        arxiv=arxiv,
        doi=doi,
        body=body,
        images=rewriter.images,
    )


def _category(value: Any, key: str, flavor: str) -> tuple[str, ...]:
    """A nested category path; ``()`` when the post has none."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (list, tuple)):  # Hexo: [[A, B], [C]] -> the first path
            value = value[0]
        parts = [str(v) for v in value if v is not None]
    else:
        text = str(value)
        if "/" in text:
            parts = text.split("/")
        elif "," in text or "，" in text:
            parts = text.replace("，", ",").split(",")
        elif key == "categories" and flavor == "jekyll":
            parts = text.split()  # Jekyll: a space-separated string
        else:
            parts = [text]
    parts = [" ".join(p.split()) for p in parts]
    return tuple(p for p in parts if p)


def _word_list(value: Any, flavor: str) -> tuple[str, ...]:
    if value is None or isinstance(value, (list, tuple)):
        return parse_list(value)
    text = str(value)
    if "," in text or "，" in text:
        return parse_list(text)
    if flavor == "jekyll":
        return parse_list(text.split())
    return parse_list([text])


# -- body rewriting ----------------------------------------------------------------------------------

_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")


class _Mask:
    """Text taken out of a body while it is rewritten, put back exactly afterwards."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def hide(self, text: str) -> str:
        self.parts.append(text)
        return f"{_OPEN}{len(self.parts) - 1}{_CLOSE}"

    def unmask(self, text: str) -> str:
        while _OPEN in text:
            new = _PLACEHOLDER.sub(lambda m: self.parts[int(m.group(1))], text)
            if new == text:
                break
            text = new
        return text


def _tag(name: str) -> str:
    """A regex for the Liquid tag ``{% name … %}`` (whitespace control ``{%-``/``-%}`` too)."""
    return r"\{%-?\s*" + name + r"\b(?:(?!%\}).)*?-?%\}"


_RAW_OPEN = re.compile(_tag("raw"))
_RAW_CLOSE = re.compile(_tag("endraw"))


def _cut_tag_line(text: str, start: int, end: int) -> tuple[int, int]:
    """When ``text[start:end]`` is alone on its line, widen the cut to the whole line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if text[line_start:start].strip() or text[end:line_end].strip():
        return start, end
    if line_end < len(text):
        return line_start, line_end + 1
    return (line_start - 1 if line_start > 0 else line_start), line_end


def extract_raw_blocks(text: str, mask: _Mask) -> str:
    """``{% raw %}…{% endraw %}``: the tags go (with their line when alone on it), the content stays
    exactly as written and is hidden from the other rewrites."""
    out: list[str] = []
    pos = 0
    while True:
        opened = _RAW_OPEN.search(text, pos)
        if not opened:
            break
        closed = _RAW_CLOSE.search(text, opened.end())
        if not closed:
            break  # left as written: in code it is code; in prose it becomes a comment later
        cut_start, content_start = _cut_tag_line(text, opened.start(), opened.end())
        content_end, cut_end = _cut_tag_line(text, closed.start(), closed.end())
        if content_start > content_end:  # both tags on one line
            content_start, content_end = opened.end(), closed.start()
        out.append(text[pos:cut_start])
        out.append(mask.hide(text[content_start:content_end]))
        pos = cut_end
    out.append(text[pos:])
    return "".join(out)


_FENCE_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_CODE_TAG_OPEN = re.compile(r"^([ \t]*)\{%-?\s*(highlight|codeblock)\b((?:(?!%\}).)*?)-?%\}(.*)$")
_CODE_TAG_CLOSE = {"highlight": re.compile(_tag("endhighlight")), "codeblock": re.compile(_tag("endcodeblock"))}


def _fence_for(content: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    return "`" * max(3, longest + 1)


def _code_language(kind: str, args: str) -> str:
    words = args.split()
    if kind == "highlight":
        return words[0] if words else ""
    for word in words:  # Hexo: {% codeblock [title] [lang:language] [url] [link text] %}
        if word.startswith("lang:"):
            return word[5:]
    return ""


def convert_code_tags(text: str, mask: _Mask, report: Callable[[str], None] | None = None) -> str:
    """Hide fenced code blocks as they are, and turn ``{% highlight lang %}…{% endhighlight %}``
    (and Hexo's ``{% codeblock lang:x %}…{% endcodeblock %}``) into hidden fenced blocks."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE_OPEN.match(line)
        if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            char, size = fence.group(2)[0], len(fence.group(2))
            closing = re.compile(rf"^[ \t]*{re.escape(char)}{{{size},}}[ \t]*$")
            j = i + 1
            while j < len(lines) and not closing.match(lines[j]):
                j += 1
            block = lines[i : j + 1]
            out.append(mask.hide("\n".join(block)))
            i = j + 1
            continue
        tag = _CODE_TAG_OPEN.match(line)
        if tag:
            indent, kind, args, rest = tag.groups()
            close_re = _CODE_TAG_CLOSE[kind]
            content: list[str] = [rest] if rest.strip() else []
            j = i + 1
            if rest and close_re.search(rest):  # opened and closed on one line
                content = [rest[: close_re.search(rest).start()]]
                j = i
            else:
                while j < len(lines) and not close_re.search(lines[j]):
                    content.append(lines[j])
                    j += 1
                if j >= len(lines):
                    if report:
                        report(f"'{{% {kind} %}}' has no '{{% end{kind} %}}'; left as written")
                    out.append(line)
                    i += 1
                    continue
                before_close = lines[j][: close_re.search(lines[j]).start()]
                if before_close.strip():
                    content.append(before_close)
            code = "\n".join(content)
            fence_text = _fence_for(code)
            language = _code_language(kind, args)
            block = [indent + fence_text + language, *content, indent + fence_text]
            out.append(mask.hide("\n".join(block)))
            after = close_re.search(lines[j])
            tail = lines[j][after.end():] if after else ""
            if tail.strip():
                out.append(tail)
            i = j + 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


_BEGIN_ENV = re.compile(r"\\begin\{([A-Za-z*]+)\}")
_BACKTICKS = re.compile(r"`+")


def _escaped(text: str, index: int) -> bool:
    count = 0
    while index - 1 - count >= 0 and text[index - 1 - count] == "\\":
        count += 1
    return count % 2 == 1


def _find_unescaped(text: str, needle: str, start: int, stop: int | None = None) -> int:
    index = text.find(needle, start, stop if stop is not None else len(text))
    while index >= 0 and _escaped(text, index):
        index = text.find(needle, index + 1, stop if stop is not None else len(text))
    return index


def hide_spans(text: str, mask: _Mask) -> str:
    """Hide inline code, HTML comments and math so that no rewrite touches them."""
    out: list[str] = []
    i, n = 0, len(text)
    plain_start = 0

    def take(end: int) -> None:
        nonlocal i, plain_start
        out.append(text[plain_start:i])
        out.append(mask.hide(text[i:end]))
        i = plain_start = end

    while i < n:
        ch = text[i]
        if ch == "`":
            run = _BACKTICKS.match(text, i).end() - i
            closing = re.compile(r"(?<!`)" + "`" * run + r"(?!`)")
            found = closing.search(text, i + run)
            if found and "\n\n" not in text[i : found.start()]:
                take(found.end())
            else:
                i += run
            continue
        if text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            take(end + 3 if end >= 0 else n)
            continue
        if ch == "\\":
            if text.startswith(("\\(", "\\["), i):
                closer = "\\)" if text[i + 1] == "(" else "\\]"
                end = text.find(closer, i + 2)
                if end > i + 2:
                    take(end + 2)
                    continue
            env = _BEGIN_ENV.match(text, i)
            if env:
                end = text.find(f"\\end{{{env.group(1)}}}", env.end())
                if end >= 0:
                    take(end + len(env.group(1)) + 6)
                    continue
            i += 2
            continue
        if ch == "$":
            if text.startswith("$$", i):
                end = _find_unescaped(text, "$$", i + 2)
                if end >= 0 and text[i + 2 : end].strip():
                    take(end + 2)
                else:
                    i += 2
                continue
            paragraph_end = text.find("\n\n", i)
            close = _find_unescaped(text, "$", i + 1, paragraph_end if paragraph_end >= 0 else None)
            if close >= 0:
                content = text[i + 1 : close]
                after = text[close + 1 : close + 2]
                if content.strip() and after != "$" and not after.isdigit() \
                        and not (content[0].isdigit() and content[-1].isspace()):
                    take(close + 1)
                    continue
            i += 1
            continue
        i += 1
    out.append(text[plain_start:])
    return "".join(out)


# kramdown's table of contents: a one-item list followed by ``{:toc}``; also ``[TOC]``.
_TOC_IAL = re.compile(r"^[ \t]*\{:[ \t]*\.?toc\b[^}\n]*\}[ \t]*$", re.IGNORECASE)
_TOC_MARKER = re.compile(r"^[ \t]*(\[TOC\]|\[\[TOC\]\]|@\[TOC\]|\{\{TOC\}\})[ \t]*$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^[ \t]*(?:[*+-]|\d+[.)])[ \t]+\S")


def remove_toc(text: str) -> str:
    """Drop ``* toc`` / ``{:toc}`` (the list item before ``{:toc}`` whatever it says), a lone
    ``{:toc}`` line and ``[TOC]``, with one blank line after them."""
    lines = text.split("\n")
    drop: set[int] = set()
    for index, line in enumerate(lines):
        if _TOC_MARKER.match(line):
            drop.add(index)
        elif _TOC_IAL.match(line):
            drop.add(index)
            if index > 0 and _LIST_ITEM.match(lines[index - 1]) and \
                    (index < 2 or not lines[index - 2].strip() or not _LIST_ITEM.match(lines[index - 2])):
                drop.add(index - 1)
    return drop_lines(lines, drop)


def _comment(text: str) -> str:
    """``text`` as an HTML comment that cannot end early."""
    safe = " ".join(text.split())
    while "--" in safe:
        safe = safe.replace("--", "- -")
    return f"<!-- {safe.rstrip('-')} -->"


_ANY_TAG = re.compile(r"\{%-?\s*(\w+)((?:(?!%\}).)*?)\s*-?%\}", re.DOTALL)
_COMMENT_BLOCK = re.compile(_tag("comment") + r"(.*?)" + _tag("endcomment"), re.DOTALL)
_TAG_AS_LINK = re.compile(r"(!?)\[((?:[^\]\\\n]|\\.)*)\]\(\s*\{%-?\s*(post_url|link)\s+((?:(?!%\}).)*?)\s*-?%\}"
                          r"([^)\s]*)(?:\s+(\"[^\"]*\"|'[^']*'))?\s*\)")
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'|(\S+)")
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif", ".tif", ".tiff", ".ico"}


def _link_target(argument: str) -> str | None:
    """The site-root path of ``{% link path %}`` when it is a file, not a post."""
    path = argument.strip().strip("\"'")
    if not path or "_posts/" in path or path.startswith("_posts"):
        return None
    return "/" + path.lstrip("/")


def convert_liquid_tags(text: str, post_stem: str = "", report: Callable[[str], None] | None = None) -> str:
    """Liquid ``{% … %}`` tags outside code and math: see the module docstring. A tag that cannot
    be resolved inside a link target or an HTML tag becomes ``#`` (and is reported), since a
    comment there would break the link."""

    def as_link(match: re.Match) -> str:
        bang, label, name, argument, suffix, title = match.groups()
        if name == "link":
            target = _link_target(argument)
            if target is not None:
                return f"{bang}[{label}]({target}{suffix}{' ' + title if title else ''})"
        return f"{label}{_comment(f'liquid: {name} {argument}{suffix}')}"

    text = _TAG_AS_LINK.sub(as_link, text)
    text = _COMMENT_BLOCK.sub(lambda m: _comment("liquid comment: " + m.group(1)), text)
    text_now = text

    def other(match: re.Match) -> str:
        name, argument = match.group(1), match.group(2).strip()
        if name == "link":
            target = _link_target(argument)
            if target is not None:
                return target
        if name == "img":
            image = _img_tag(argument)
            if image:
                return image
        if name == "asset_img":
            words = [a or b or c for a, b, c in _QUOTED.findall(argument)]
            if words:
                alt = " ".join(words[1:]).replace("]", "")
                return f"![{alt}]({post_stem}/{words[0]})" if post_stem else f"![{alt}]({words[0]})"
        if _in_link_or_tag(text_now, match.start()):
            if report:
                report(f"Liquid '{{% {name} {argument} %}}' inside a link or HTML tag became '#'")
            return "#"
        return _comment(f"liquid: {name} {argument}".rstrip())

    return _ANY_TAG.sub(other, text)


def _img_tag(argument: str) -> str | None:
    """Octopress/Hexo ``{% img [class] /path [width] [height] ["title" ["alt"]] %}``."""
    words = [(a, b, c) for a, b, c in _QUOTED.findall(argument)]
    url = None
    quoted: list[str] = []
    for a, b, c in words:
        if c and url is None and (c.startswith(("/", "http://", "https://", "./", "../"))
                                  or os.path.splitext(c)[1].lower() in _IMAGE_SUFFIXES):
            url = c
        elif a or b:
            quoted.append(a or b)
    if url is None:
        return None
    title = quoted[0] if quoted else ""
    alt = quoted[1] if len(quoted) > 1 else title
    alt = alt.replace("]", "")
    return f'![{alt}]({url} "{title}")' if title and '"' not in title else f"![{alt}]({url})"


_SITE_PREFIX = re.compile(r"(?:\{\{-?\s*site\.(?:url|baseurl|github\.url)\s*-?\}\})+")
_URL_FILTER = re.compile(r"\{\{-?\s*(?:\"([^\"]*)\"|'([^']*)')\s*\|\s*(?:relative_url|absolute_url|"
                         r"prepend:\s*site\.(?:url|baseurl))\s*-?\}\}")
_OUTPUT = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)


def _in_link_or_tag(text: str, index: int) -> bool:
    """Whether ``index`` is inside a Markdown link target ``](…)`` or an HTML tag on its line."""
    line_start = text.rfind("\n", 0, index) + 1
    before = text[line_start:index]
    if re.match(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?$", before):  # a reference definition's target
        return True
    if before.rfind("<") > before.rfind(">") and re.search(r"<[A-Za-z][^<>]*$", before):
        return True
    opened = before.rfind("](")
    return opened >= 0 and ")" not in before[opened + 2 :]


def neutralise_liquid_output(text: str, mask: _Mask, report: Callable[[str], None] | None = None) -> str:
    """``{{ … }}`` outside code and math: see the module docstring."""

    def prefix(match: re.Match) -> str:
        following = text_now[match.end() : match.end() + 1]
        if following == "/":
            return ""
        if following in ("", ")", '"', "'", " ", "\n", ">") and _in_link_or_tag(text_now, match.start()):
            return "/"
        return match.group(0)

    text = _URL_FILTER.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text_now = text
    text = _SITE_PREFIX.sub(prefix, text)

    def output(match: re.Match) -> str:
        written = mask.unmask(match.group(0))
        if _in_link_or_tag(text_now, match.start()):
            if report:
                report(f"Liquid '{' '.join(written.split())}' inside a link or HTML tag is kept as written")
            return match.group(0)
        if "\n" in written:
            return _comment("liquid: " + written)
        fence = "`" * (max((len(m) for m in re.findall(r"`+", written)), default=0) + 1)
        pad = " " if written.startswith("`") or written.endswith("`") else ""
        return f"{fence}{pad}{match.group(0)}{pad}{fence}"

    text_now = text
    return _OUTPUT.sub(output, text)


_IAL_LINE = re.compile(r"^[ \t]*\{:(?!:)[^}\n]*\}[ \t]*$")
_EXTENSION_LINE = re.compile(r"^[ \t]*\{::[a-z]+\b[^}\n]*/?\}[ \t]*$|^[ \t]*\{:/[a-z]*\}[ \t]*$")
_SPAN_IAL = re.compile(r"(?<=[)\]*_`>])[ \t]*\{:(?!:)[^}\n]*\}")
_EXTENSION_TAG = re.compile(r"\{::(?:options|nomarkdown)\b[^}\n]*/?\}|\{:/(?:nomarkdown)?\}")
_KRAMDOWN_COMMENT = re.compile(r"\{::comment\}(.*?)\{:/(?:comment)?\}", re.DOTALL)
_HEADING_ID = re.compile(r"^(#{1,6}[ \t]+.*?)[ \t]+\{#[\w:.-]+\}[ \t]*$", re.MULTILINE)


def drop_kramdown_attributes(text: str) -> str:
    """kramdown attribute lists and extensions, which papernotes would show as text."""
    text = _KRAMDOWN_COMMENT.sub(lambda m: _comment(m.group(1)), text)
    lines = text.split("\n")
    text = drop_lines(lines, {i for i, line in enumerate(lines) if _IAL_LINE.match(line) or _EXTENSION_LINE.match(line)})
    text = _SPAN_IAL.sub("", text)
    text = _EXTENSION_TAG.sub("", text)
    return _HEADING_ID.sub(r"\1", text)


# -- images and local files ------------------------------------------------------------------------------

_MD_IMAGE = re.compile(r"(!?)\[(?:[^\]\\\n]|\\.)*\]\(\s*(<[^>\n]*>|[^\s()<>]+(?:\([^\s()]*\)[^\s()<>]*)*)"
                       r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_ATTR = re.compile(r"<(img|a|source|video)\b[^>]*?\s(src|href)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))",
                        re.IGNORECASE)
_FILE_SUFFIXES = _IMAGE_SUFFIXES | {".pdf", ".zip", ".ppt", ".pptx", ".key", ".doc", ".docx", ".xls", ".xlsx",
                                    ".csv", ".txt", ".mp4", ".webm", ".mp3", ".ipynb", ".tar", ".gz"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class _BodyRewriter:
    def __init__(self, post: _Post, problems: list[ImportProblem]) -> None:
        self.post = post
        self.problems = problems
        self.images: list[ImageRef] = []
        self._seen: set[str] = set()

    def report(self, message: str) -> None:
        self.problems.append(ImportProblem(self.post.shown, None, message))

    def rewrite(self, body: str) -> str:
        if not body:
            return body
        if _OPEN in body or _CLOSE in body:  # private-use characters this rewriter uses itself
            self.report("holds the private-use characters U+E000/U+E001; body imported unchanged")
            return body
        mask = _Mask()
        text = extract_raw_blocks(body, mask)
        text = convert_code_tags(text, mask, self.report)
        text = hide_spans(text, mask)
        text = remove_toc(text)
        text = convert_liquid_tags(text, self.post.file.stem if self.post.flavor == "hexo" else "", self.report)
        text = neutralise_liquid_output(text, mask, self.report)
        text = drop_kramdown_attributes(text)
        self._collect_files(text, mask)
        return mask.unmask(text)

    def _collect_files(self, text: str, mask: _Mask) -> None:
        for match in _MD_IMAGE.finditer(text):
            self._add(mask.unmask(match.group(2)), image=match.group(1) == "!")
        for match in _REF_DEFINITION.finditer(text):
            self._add(mask.unmask(match.group(1)), image=False)
        for match in _HTML_ATTR.finditer(text):
            value = next(v for v in match.groups()[2:] if v is not None)
            self._add(mask.unmask(value), image=match.group(1).lower() in ("img", "source", "video"))

    def _add(self, written: str, image: bool) -> None:
        if written.startswith("<") and written.endswith(">"):
            written = written[1:-1]
        if not written or written in self._seen:
            return
        if written.startswith(("#", "//", "{{", "{%")) or _SCHEME.match(written):
            return
        location = unquote(re.split(r"[?#]", written, maxsplit=1)[0])
        if not location:
            return
        if "\0" in location:  # no file can have this name (and the OS refuses to look one up)
            shown = written.replace("\0", "\\0")
            self.report(f"'{shown}' holds a NUL character; not copied")
            return
        suffix = os.path.splitext(location)[1].lower()
        if not image and suffix not in _FILE_SUFFIXES:
            return  # a link to another page of the blog, not a file
        self._seen.add(written)
        root = self.post.site_root
        if location.startswith("/"):
            path = root / location.lstrip("/")
        else:
            path = self.post.file.parent / location
            if not path.exists():  # Hexo's post asset folder: _posts/<post name>/x.png
                alternative = self.post.file.parent / self.post.file.stem / location
                if alternative.exists():
                    path = alternative
        path = Path(os.path.normpath(path))
        try:
            inside = path.resolve().is_relative_to(root.resolve())
        except OSError:
            inside = False
        if not inside:
            self.report(f"'{written}' is outside the blog folder {root.name or root}; not copied")
            return
        self.images.append(ImageRef(written=written, path=path))
