"""``papernotes init``: a new site with a config file and example notes."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import yaml

from .console import os_reason
from .load.config import CONFIG_NAME
from .load.notes import is_ignored
from .theme import default_theme_dir


class ScaffoldError(Exception):
    pass


CONFIG_TEMPLATE = """\
# papernotes site settings; every key is optional.
{title}
description: Reading notes on papers 论文阅读笔记
author: ""
language: zh-CN
# base_url: /papers/        # when the site is served under a sub-path (GitHub project pages)
# output: site
# category_order: [Prompting, Parameter-Efficient Fine-Tuning]
# status_labels: {{read: 已读, unread: 未读, skimmed: 略读, triage: 待分类}}
# static/: files copied into the site as they are, folders kept (CNAME, .nojekyll, google….html);
#          a file put straight into the output folder is removed by the next build.
"""

STARTER_NOTE = """\
---
title: My First Paper
status: unread
category: Getting Started
tags: [example]
venue: arXiv 2024
summary: Replace this note with your own.
---

Write your notes here in Markdown. Math such as $E = mc^2$ is rendered at build time.

<details>
<summary>Collapsible section</summary>

Markdown **inside** works too.
</details>
"""

GITIGNORE = "site/\n.papernotes-cache/\n.papernotes-tmp-*/\n"


def init_site(directory: Path, examples: bool = True) -> Path:
    shown = directory.absolute()  # as the user named it (/proc/self/…), in messages
    directory = Path(os.path.realpath(directory))  # (Path.resolve raises RuntimeError on a link loop)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{shown} is a file; name a new or empty folder (nothing was changed)")
    if directory.exists() and any(directory.iterdir()):
        raise ScaffoldError(f"{directory} exists and is not empty; nothing was changed")
    existed = directory.exists()
    try:
        _write_site(directory, examples)
    except OSError as exc:  # /proc/x, a file in the way, a full disk: one line, what was begun removed
        _remove_begun(directory, existed)
        reason = exc.strerror if exc.strerror and exc.filename in (None, str(directory)) else os_reason(exc)
        raise ScaffoldError(f"cannot create {shown}: {reason}") from None
    return directory


def _remove_begun(directory: Path, existed: bool) -> None:
    """After a failed ``init``: the folder it created, or (it was empty) everything now in it."""
    if not existed:
        shutil.rmtree(directory, ignore_errors=True)
        return
    with contextlib.suppress(OSError):
        for entry in directory.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()


def _write_site(directory: Path, examples: bool) -> None:
    notes = directory / "notes"
    notes.mkdir(parents=True)
    # the folder's name as a YAML string whatever it holds ("a: b", "yes", "#x", "{{ 7*7 }}", "@x")
    title = yaml.safe_dump({"title": directory.name or "Paper Notes"}, allow_unicode=True, width=10_000).rstrip("\n")
    (directory / CONFIG_NAME).write_text(CONFIG_TEMPLATE.format(title=title), encoding="utf-8")
    (directory / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (directory / "static").mkdir()  # explained in papernotes.yaml: a README here would be published
    if examples:
        shutil.copytree(default_theme_dir("example-notes"), notes, dirs_exist_ok=True,
                        ignore=lambda folder, names: [n for n in names if is_ignored(n)])
        # what `papernotes refs` fetched for them: the example site shows which notes cite which
        shutil.copytree(default_theme_dir("example-data"), directory / "data")
    else:
        (notes / "my-first-paper.md").write_text(STARTER_NOTE, encoding="utf-8")
