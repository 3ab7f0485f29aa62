"""``export readme`` → ``import`` → ``export readme`` from the command line, on a realistic
collection: the second README is byte for byte the first, and the imported notes carry every
field of the originals (summary, tags, authors, year, date, arXiv id, DOI, links and further
front-matter keys included)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from papernotes.diagnostics import Diagnostics
from papernotes.exporters.readme import export_readme
from papernotes.importers.readme import parse_readme
from papernotes.load.config import SiteConfig
from papernotes.load.notes import load_notes

NOTES = {
    "peft/lora.md": """\
---
title: "LoRA: Low-Rank Adaptation of Large Language Models"
status: read
category: PEFT/Low-Rank
tags: [peft, 微调, C++]
venue: ICLR 2022
authors: [Edward J. Hu, Yelong Shen, Phillip Wallis]
arxiv: 2106.09685
links:
  Code: https://github.com/microsoft/LoRA
summary: 冻结预训练权重 $W_0$，只训练低秩矩阵 $BA$；参数量 <1%，效果 & 速度都不差 -->
rating: 4
---
冻结 $W_0$，只训练低秩矩阵 $BA$：

$$ h = W_0 x + BAx $$

<details>
<summary>Key idea 关键</summary>
**Markdown** inside works, $r \\ll d$.
</details>
""",
    "peft/prefix.md": """\
---
title: "Prefix-Tuning: Optimizing Continuous Prompts for Generation"
status: ⬜
category: PEFT
venue: ACL 2021
arxiv: "2101.00190"
date: 2024-03-05
---
**Bold first line** that is not a venue.
""",
    "prompting/cot.md": """\
---
title: 思维链提示：Chain-of-Thought Prompting
status: ❌
category: Prompting
tags: [reasoning, 推理]
year: 2022
authors: [Jason Wei, Xuezhi Wang]
links:
  PDF: https://example.org/cot.pdf
summary: "Few-shot 示例里写出推理步骤。"
---
Body with $a^2+b^2=c^2$ and a list:

- one
- two
""",
    "prompting/react.md": """\
---
title: "ReAct: Synergizing Reasoning and Acting"
status: 🟧
category: Prompting
venue: arXiv 2022
arxiv: 2210.03629
---
""",
    "prompting/_index.md": """\
---
category: Prompting
---
How to ask a model, 如何提问。
""",
    "distill/kd.md": """\
---
title: 知识蒸馏 Distilling the Knowledge in a Neural Network
status: 🟧
category: 知识蒸馏
tags: [distillation, 蒸馏]
venue: NIPS 2014 workshop
authors: [Geoffrey Hinton, Oriol Vinyals, Jeff Dean]
summary: Soft targets with temperature $T$，软标签。
links:
  PDF: https://arxiv.org/pdf/1503.02531
---
$$p_i = \\frac{\\exp(z_i/T)}{\\sum_j \\exp(z_j/T)}$$
""",
    "architecture/attention.md": """\
---
title: Attention Is All You Need
status: ✅
category: Architecture
venue: NeurIPS
year: 2017
doi: 10.5555/3295222.3295349
links:
  arXiv: https://arxiv.org/abs/1706.03762
summary: 'Only attention: no recurrence, no convolution.'
---
<details>
<summary>Scaled dot-product</summary>

$$\\mathrm{Attention}(Q,K,V) = \\mathrm{softmax}\\left(\\frac{QK^T}{\\sqrt{d_k}}\\right)V$$

</details>
""",
}

FIELDS = ("title", "status", "category", "tags", "venue", "year", "authors", "date", "summary", "arxiv", "doi",
          "extra")


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "papernotes.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write_collection(root: Path, notes: dict[str, str]) -> None:
    for rel, text in notes.items():
        (root / "notes" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "notes" / rel).write_text(text, encoding="utf-8")


def papers(root: Path) -> dict[str, object]:
    diagnostics = Diagnostics()
    notes = load_notes(root, root / "notes", diagnostics).notes
    assert not diagnostics.errors, diagnostics.errors
    return {n.title: n for n in notes if not n.describes_category}


def test_export_import_export_is_a_fixpoint(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    write_collection(first, NOTES)
    exported = run("export", "readme", cwd=first)
    assert exported.returncode == 0 and exported.stderr == "", exported.stderr
    readme = (first / "README.md").read_text(encoding="utf-8")
    second.mkdir()
    imported = run("import", first / "README.md", cwd=second)
    assert imported.returncode == 0, imported.stderr
    assert "0 lines not understood" in imported.stdout, imported.stdout
    again = run("export", "readme", cwd=second)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert (second / "README.md").read_text(encoding="utf-8") == readme

    original, back = papers(first), papers(second)
    assert set(back) == set(original)
    for title, note in original.items():
        copy = back[title]
        for name in FIELDS:
            assert getattr(copy, name) == getattr(note, name), (title, name)
        assert [(l.label, l.url) for l in copy.links] == [(l.label, l.url) for l in note.links], title
        assert copy.body.strip() == note.body.strip(), title
    # the summary is shown on GitHub too, as text, under the venue
    assert "<p><em>冻结预训练权重 $W_0$，只训练低秩矩阵 $BA$；参数量 &lt;1%，效果 &amp; 速度都不差 --&gt;</em></p>" in readme
    # and a third round changes nothing either
    third = tmp_path / "third"
    third.mkdir()
    assert run("import", second / "README.md", cwd=third).returncode == 0
    assert run("export", "readme", cwd=third).returncode == 0
    assert (third / "README.md").read_text(encoding="utf-8") == readme


def test_fields_that_look_like_the_readme_structure_come_back_as_written(tmp_path):
    """Values holding what the README is made of: comment ends, details tags, quotes, the
    summary's own HTML, a body that starts with what the summary line looks like."""
    tricky = """\
---
title: "Tricky <details> & \\"quotes\\""
status: read
tags: ["-->", "<details>", "a, b"]
authors: ["O'Brien, Flann", "</blockquote>"]
summary: "<p><em>not HTML</em></p> --> <!-- &lt;details"
---
<p><em>&lt;p&gt;&lt;em&gt;not HTML&lt;/em&gt;&lt;/p&gt; --&gt; &lt;!-- &amp;lt;details</em></p>

</details>
"""
    write_collection(tmp_path, {"tricky.md": tricky, "plain.md": "---\ntitle: Plain\n---\n<!-- papernotes {} -->\n"})
    notes = list(papers(tmp_path).values())
    readme = tmp_path / "README.md"
    readme.write_text(export_readme(notes, SiteConfig(root=tmp_path, title="T")), encoding="utf-8")
    parsed = parse_readme(readme)
    assert parsed.problems == []
    back = {n.title: n for n in parsed.notes}
    for note in notes:
        copy = back[note.title]
        assert (copy.tags, copy.authors, copy.summary) == (note.tags, note.authors, note.summary), note.title
        assert copy.body.strip() == note.body.strip(), note.title


def test_a_damaged_fields_comment_is_reported_and_the_paper_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- generated by papernotes export readme -->\n# T\n\n## A\n\n<details>\n"
                      '<summary> :x: <a href="https://arxiv.org/abs/2106.09685">LoRA</a> </summary>\n<br>\n'
                      '<blockquote>\n<!-- papernotes {"tags": [} -->\n\nBody.\n\n</blockquote>\n</details>\n',
                      encoding="utf-8")
    parsed = parse_readme(readme)
    assert [str(p) for p in parsed.problems] == [
        "README.md:7: the papernotes comment of this paper is not a JSON object; the fields in it "
        "(tags, authors, summary, …) were left out"]
    (note,) = parsed.notes
    assert (note.title, note.tags, note.body, note.arxiv) == ("LoRA", (), "Body.\n", None)
