"""Deterministic generator of N-note sites for benchmarks.

    python benchmarks/generate_notes.py 1000 /tmp/bench-1000

Writes DIR/notes/… with realistic notes: front matter (status, nested category, tags, venue,
authors, date), Chinese and English paragraphs, a list, a code block, inline and display math in
about a third of them, and a <details> block in some. The same N always gives the same files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

TOPICS = [
    ("Knowledge Distillation", "知识蒸馏", ["kd", "compression", "蒸馏"]),
    ("Prompting/Reasoning", "提示推理", ["cot", "prompting", "推理"]),
    ("Prompting/Agents", "智能体", ["agent", "tool-use", "工具"]),
    ("Parameter-Efficient Fine-Tuning/Low-Rank", "参数高效微调", ["peft", "lora", "微调"]),
    ("Parameter-Efficient Fine-Tuning/Soft Prompts", "软提示", ["peft", "prompt-tuning"]),
    ("Generative Models/Diffusion", "扩散模型", ["diffusion", "generative", "生成"]),
    ("Generative Models/VAE", "变分自编码器", ["vae", "elbo"]),
    ("Graph Learning", "图学习", ["gnn", "graph", "图"]),
    ("Multimodal", "多模态", ["clip", "vision-language"]),
    ("Alignment", "对齐", ["rlhf", "alignment", "对齐"]),
]
VENUES = ["ICLR 2023", "NeurIPS 2022", "ICML 2021", "ACL 2023", "EMNLP 2022", "2023 WWW", "KDD 2022", "CVPR 2023", "arXiv 2024"]
STATUSES = ["read", "unread", "skimmed", "triage", "✅", "已泛读"]
WORDS = ("model training data loss gradient attention layer token prompt teacher student representation "
         "objective benchmark scaling transfer robust sparse dense latent sample noise").split()
ZH = "模型 训练 数据 损失 梯度 注意力 表示 目标 基准 迁移 鲁棒 稀疏 潜变量 采样 噪声 教师 学生 提示 推理 微调".split()
FORMULAS = [
    r"\mathcal{L} = -\sum_{i} y_i \log p_i",
    r"p_i = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}",
    r"\operatorname{Attention}(Q,K,V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
    r"h = W_0 x + BAx, \quad B \in \mathbb{R}^{d \times r}",
    r"\mathbb{E}_{q_\phi(z \mid x)}\left[\log p_\theta(x \mid z)\right] - \mathrm{KL}(q_\phi \| p)",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def zh_sentence(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ZH) for _ in range(n)) + "。"


def note_text(i: int, rng: random.Random) -> str:
    category, zh_topic, tags = TOPICS[i % len(TOPICS)]
    title = f"{sentence(rng, 5)[:-1]} {i}"
    lines = [
        "---",
        f'title: "{title}"',
        f"status: {rng.choice(STATUSES)}",
        f"category: {category}",
        f"tags: [{', '.join(rng.sample(tags, k=min(2, len(tags))))}]",
        f"venue: {rng.choice(VENUES)}",
        f"authors: [Author {i % 97}, Coauthor {i % 13}]",
        f"date: 20{20 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        f"summary: {zh_topic}方向的一篇论文，{zh_sentence(rng, 4)}",
        "---",
        "",
        "## 动机 Motivation",
        "",
        f"{zh_sentence(rng, 30)} {sentence(rng, 25)}",
        "",
        f"- {sentence(rng, 8)}",
        f"- {zh_sentence(rng, 10)}",
        f"- {sentence(rng, 6)}",
        "",
        "## 方法 Method",
        "",
        f"{sentence(rng, 40)} {zh_sentence(rng, 25)}",
        "",
    ]
    if i % 3 == 0:
        formula = FORMULAS[i % len(FORMULAS)]
        lines += [f"The objective uses $x_{{{i % 7}}}$ and $\\alpha = {i % 10}$:", "", "$$", formula, "$$", ""]
    if i % 4 == 0:
        lines += ["<details>", "<summary>实验细节 Details</summary>", "", f"**{rng.choice(VENUES)}** {sentence(rng, 20)}", "", "</details>", ""]
    lines += ["```python", f"def step_{i}(x):", f"    return x * {i % 10} + 1", "```", "", "## 思考",
              "", f"{zh_sentence(rng, 40)}", ""]
    return "\n".join(lines)


def generate(n: int, target: Path) -> Path:
    rng = random.Random(n)
    notes = target / "notes"
    if notes.exists():
        shutil.rmtree(notes)
    for i in range(n):
        folder = notes / f"batch-{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"paper-{i:06d}.md").write_text(note_text(i, rng), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    generate(args.count, args.target)
    print(f"wrote {args.count} notes to {args.target / 'notes'}")


if __name__ == "__main__":
    main()
