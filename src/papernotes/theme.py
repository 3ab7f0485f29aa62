"""The default theme (templates and assets) and a site's own overrides, file by file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .usercache import TemplateCache

_PACKAGE_THEME = Path(__file__).parent / "theme"
_CHECKOUT = Path(__file__).resolve().parents[2]  # src/papernotes -> repository root


def default_theme_dir(kind: str) -> Path:
    """``templates``, ``assets``, ``example-notes`` or ``example-data`` (the example notes'
    data/references.json) of the default theme.

    An installed wheel carries them inside the package; an editable install of a checkout
    uses the top-level folders of the repository.
    """
    packaged = _PACKAGE_THEME / kind
    if packaged.is_dir():
        return packaged
    checkout = _CHECKOUT / {"example-notes": "notes", "example-data": "data"}.get(kind, kind)
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the default theme has no '{kind}' folder (looked in {packaged} and {checkout})")


@dataclass
class Theme:
    template_dirs: list[Path]  # the site's own first
    asset_dirs: list[Path]  # the default first; later ones override file by file

    @classmethod
    def for_site(cls, root: Path) -> "Theme":
        templates = [default_theme_dir("templates")]
        assets = [default_theme_dir("assets")]
        if (root / "templates").is_dir() and (root / "templates").resolve() != templates[0].resolve():
            templates.insert(0, root / "templates")
        if (root / "assets").is_dir() and (root / "assets").resolve() != assets[0].resolve():
            assets.append(root / "assets")
        return cls(templates, assets)

    def environment(self) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs]),
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.ChainableUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # A template change makes a new environment (a full rebuild): no stat of the template
            # file each time a page includes it (thousands per build).
            auto_reload=False,
            bytecode_cache=TemplateCache(),
        )
        return env

    def asset_files(self) -> dict[str, Path]:
        """Output path below ``assets/`` -> source file, later theme folders winning."""
        files: dict[str, Path] = {}
        for folder in self.asset_dirs:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    files[path.relative_to(folder).as_posix()] = path
        return files
