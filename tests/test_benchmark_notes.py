"""The notes benchmarks/generate_notes.py writes are deterministic and build without a warning:
every formula of its heavy mix converts, every code block is highlighted."""

from __future__ import annotations

import sys
from pathlib import Path

from papernotes.build import BuildOptions, build

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import generate_notes  # noqa: E402


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "notes").rglob("*.md"))}


def test_the_same_count_gives_the_same_notes_and_the_mixes_differ(tmp_path):
    heavy = files(generate_notes.generate(12, tmp_path / "a", "heavy"))
    assert heavy == files(generate_notes.generate(12, tmp_path / "b", "heavy"))
    default = files(generate_notes.generate(12, tmp_path / "c"))
    assert heavy.keys() == default.keys() and all(heavy[k] != default[k] for k in heavy)
    sizes = sorted(len(text) for text in heavy.values())
    assert 5000 < sizes[len(sizes) // 2] < 9000  # about 6-8 KB, against the default mix's ~2 KB


def test_every_formula_and_code_block_of_the_heavy_mix_renders(tmp_path):
    root = tmp_path / "site"
    (root / "notes").mkdir(parents=True)
    body = ["---", 'title: "Every formula"', "---", ""]
    for formula in generate_notes.DISPLAY:
        body += ["$$", formula, "$$", ""]
    body += [" and ".join(f"${formula}$" for formula in generate_notes.INLINE), ""]
    for language, templates in generate_notes.CODE.items():
        for template in templates:
            body += [f"```{language}", template.format(i=1, r=2, a=3, t=4, w=5), "```", ""]
    (root / "notes" / "all.md").write_text("\n".join(body), encoding="utf-8")
    result = build(BuildOptions(root=root, search=False, jobs=1, cache=False))
    assert not result.diagnostics.items, [str(d) for d in result.diagnostics.items]
    page = (root / "site" / "notes" / "all.html").read_text(encoding="utf-8")
    assert "math-error" not in page
    assert page.count('display="block"') == len(generate_notes.DISPLAY)
    assert page.count("<math") == len(generate_notes.DISPLAY) + len(generate_notes.INLINE)
    assert page.count('class="highlight"') == sum(len(t) for t in generate_notes.CODE.values())
