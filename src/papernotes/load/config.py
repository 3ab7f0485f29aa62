"""The optional ``papernotes.yaml`` at the site root."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..diagnostics import Diagnostics, NoteError
from .frontmatter import normalize_text, parse_yaml
from .notes import display_path
from ..model import STATUS_LABELS, Status
from ..urls import github_repository

CONFIG_NAME = "papernotes.yaml"


@dataclass
class SiteConfig:
    root: Path
    title: str = "Paper Notes"
    author: str = ""
    description: str = "Reading notes on papers"
    base_url: str = "/"
    url: str = ""  # absolute address of the site (https://me.github.io/papers/), for feeds and the sitemap
    language: str = "zh-CN"
    output: str = "site"
    notes_dir: str = "notes"
    category_order: list[str] = field(default_factory=list)
    status_labels: dict[Status, str] = field(default_factory=lambda: dict(STATUS_LABELS))
    extra: dict[str, Any] = field(default_factory=dict)
    follow_symlinks: bool = False  # follow symbolic links in notes/ that lead outside it
    repo_url: str = ""  # the site's own repository (links to its files on GitHub become links to pages)
    #: (owner, name) of the site's GitHub repository: ``repo_url``, else the ``origin`` remote of
    #: the site's git checkout (set by ``load_config``)
    repository: tuple[str, str] | None = None

    @property
    def notes_path(self) -> Path:
        return self.root / self.notes_dir

    @property
    def output_path(self) -> Path:
        return (self.root / self.output).resolve()

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def site_url(self) -> str:
        """The absolute address of the site's root; a placeholder on localhost when not configured."""
        if self.url:
            return self.url
        return "http://localhost" + self.base_url

    def absolute_url(self, path: str) -> str:
        from ..urls import href

        return self.site_url + href(path)


def git_origin(root: Path) -> str | None:
    """The URL of the ``origin`` remote in ``root/.git/config``, if there is one."""
    try:
        text = (root / ".git" / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == '[remote "origin"]' and stripped.startswith("url") and "=" in stripped:
            return stripped.split("=", 1)[1].strip()
    return None


_STRING_KEYS = ("title", "author", "description", "base_url", "url", "language", "output", "notes_dir", "repo_url")
KNOWN_KEYS = set(_STRING_KEYS) | {"category_order", "status_labels", "params", "follow_symlinks"}


def load_config(root: Path, diagnostics: Diagnostics) -> SiteConfig:
    """Read ``papernotes.yaml``; unknown keys and bad values are warnings, never fatal."""
    config = _read_config(root, diagnostics)
    notes = config.notes_path
    if (notes.exists() or notes.is_symlink()) and not notes.is_dir():
        # else every command reads "0 notes" and says nothing
        diagnostics.error(display_path(notes, config.root), None,
                          "is not a folder: the notes folder must be one (set 'notes_dir' in papernotes.yaml "
                          "to the folder that holds your notes)")
    return config


def _read_config(root: Path, diagnostics: Diagnostics) -> SiteConfig:
    root = root.resolve()
    config = SiteConfig(root=root)
    path = root / CONFIG_NAME
    config.repository = github_repository(git_origin(root) or "")
    if not path.exists():
        return config
    shown = CONFIG_NAME
    try:
        text = normalize_text(path.read_text(encoding="utf-8"))
        front = parse_yaml(text, first_line=1, where=CONFIG_NAME)
    except UnicodeDecodeError:
        diagnostics.error(shown, None, "is not UTF-8 text; using the default settings")
        return config
    except NoteError as exc:
        diagnostics.error(shown, exc.line, exc.message + "; using the default settings")
        return config
    data, lines = front.data, front.key_lines
    for key, value in data.items():
        line = lines.get(key)
        if key in _STRING_KEYS:
            if value is None or isinstance(value, (dict, list)):
                diagnostics.warn(shown, line, f"'{key}' should be text; ignored")
                continue
            setattr(config, key, str(value).strip())
        elif key == "category_order":
            if isinstance(value, list):
                config.category_order = [str(v).strip() for v in value]
            else:
                diagnostics.warn(shown, line, "'category_order' should be a list of category names; ignored")
        elif key == "status_labels":
            if not isinstance(value, dict):
                diagnostics.warn(shown, line, "'status_labels' should map read/unread/skimmed/triage to labels")
                continue
            for name, label in value.items():
                try:
                    config.status_labels[Status(str(name))] = str(label)
                except ValueError:
                    diagnostics.warn(shown, line, f"status_labels: '{name}' is not one of read, unread, skimmed, triage")
        elif key == "follow_symlinks":
            if isinstance(value, bool):
                config.follow_symlinks = value
            else:
                diagnostics.warn(shown, line, "'follow_symlinks' should be true or false; ignored")
        elif key == "params":
            config.extra.update(value if isinstance(value, dict) else {})
        else:
            diagnostics.warn(shown, line, f"unknown setting '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})")
    if config.repo_url:
        config.repository = github_repository(config.repo_url)
    if config.repo_url and config.repository is None:
        diagnostics.warn(shown, lines.get("repo_url"), f"'repo_url' should be a GitHub repository such as "
                                                       f"https://github.com/me/notes (got '{config.repo_url}')")
    if not config.base_url.endswith("/"):
        config.base_url += "/"
    if config.url:
        if not config.url.startswith(("http://", "https://")):
            diagnostics.warn(shown, lines.get("url"), f"'url' should start with https:// (got '{config.url}'); ignored")
            config.url = ""
        elif not config.url.endswith("/"):
            config.url += "/"
    return config
