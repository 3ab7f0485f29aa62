"""Deterministic generator of N-note sites for benchmarks.

    python benchmarks/generate_notes.py 1000 /tmp/bench-1000

Writes DIR/notes/… with realistic notes: front matter (status, nested category, tags, venue,
authors, date), Chinese and English paragraphs, a list, a code block, inline and display math in
about a third of them, and a <details> block in some. The same N always gives the same files.

    python benchmarks/generate_notes.py 1000 /tmp/bench-heavy-1000 --mix heavy

The ``heavy`` mix (issue 14's second generator) writes longer notes, about 6–8 KB: the same front
matter, two to four highlighted code blocks in as many languages (python, bash, cpp, json, yaml,
rust, sql), three to five display formulas (aligned, cases, matrices, gathered, array …) and a
dozen or more inline formulas, an ordered list with a nested one, a table with math in its cells,
a quote, and a <details> block in one note in twenty. Its own seed: the default mix's notes are
unchanged.
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


def front_matter(i: int, rng: random.Random, title: str, authors: list[str], summary) -> list[str]:
    """The front matter of note ``i``; ``summary(zh_topic)`` is called last (the order of the
    random draws is part of what the notes are)."""
    category, zh_topic, tags = TOPICS[i % len(TOPICS)]
    return [
        "---",
        f'title: "{title}"',
        f"status: {rng.choice(STATUSES)}",
        f"category: {category}",
        f"tags: [{', '.join(rng.sample(tags, k=min(2, len(tags))))}]",
        f"venue: {rng.choice(VENUES)}",
        f"authors: [{', '.join(authors)}]",
        f"date: 20{20 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        f"summary: {summary(zh_topic)}",
        "---",
    ]


def note_text(i: int, rng: random.Random) -> str:
    title = f"{sentence(rng, 5)[:-1]} {i}"
    lines = front_matter(i, rng, title, [f"Author {i % 97}", f"Coauthor {i % 13}"],
                         lambda zh_topic: f"{zh_topic}方向的一篇论文，{zh_sentence(rng, 4)}")
    lines += [
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


# --- the "heavy" mix: longer notes, more code and math, rare <details> -------------------------
# Written for these benchmarks (issue 14): every formula is LaTeX that both papernotes and KaTeX
# (Hugo's transform.ToMath) convert without a warning.

DISPLAY = [
    r"""\begin{aligned}
\nabla_\theta J(\theta) &= \mathbb{E}_{\tau \sim \pi_\theta}\Bigl[\sum_{t=0}^{T} \nabla_\theta \log \pi_\theta(a_t \mid s_t)\, \hat{A}_t\Bigr] \\
\hat{A}_t &= \sum_{l=0}^{\infty} (\gamma \lambda)^l \, \delta_{t+l}, \qquad \delta_t = r_t + \gamma V(s_{t+1}) - V(s_t)
\end{aligned}""",
    r"""\operatorname{clip}(\rho, \epsilon) = \begin{cases}
1 - \epsilon & \text{if } \rho < 1 - \epsilon, \\
1 + \epsilon & \text{if } \rho > 1 + \epsilon, \\
\rho & \text{otherwise.}
\end{cases}""",
    r"R(\varphi) = \begin{pmatrix} \cos\varphi & -\sin\varphi \\ \sin\varphi & \cos\varphi \end{pmatrix}, \qquad \det R(\varphi) = 1",
    r"""K = \begin{bmatrix}
k(x_1, x_1) & \cdots & k(x_1, x_n) \\
\vdots & \ddots & \vdots \\
k(x_n, x_1) & \cdots & k(x_n, x_n)
\end{bmatrix}, \qquad k(x, x') = \exp\left(-\frac{\lVert x - x' \rVert^2}{2\ell^2}\right)""",
    r"\log p_\theta(x) \geq \mathbb{E}_{q_\phi(z \mid x)}\bigl[\log p_\theta(x \mid z)\bigr] - D_{\mathrm{KL}}\bigl(q_\phi(z \mid x) \,\Vert\, p(z)\bigr)",
    r"q(x_t \mid x_0) = \mathcal{N}\left(x_t;\ \sqrt{\bar\alpha_t}\, x_0,\ (1 - \bar\alpha_t)\mathbf{I}\right), \qquad \bar\alpha_t = \prod_{s=1}^{t} (1 - \beta_s)",
    r"\mathcal{L}_{\text{total}} = \underbrace{\mathcal{L}_{\text{task}}}_{\text{监督}} + \lambda \underbrace{\lVert \theta - \theta_0 \rVert_2^2}_{\text{正则}}",
    r"\theta^\star = \operatorname*{arg\,min}_{\theta \in \Theta} \frac{1}{N} \sum_{i=1}^{N} \ell\bigl(f_\theta(x_i), y_i\bigr) + \frac{\lambda}{2} \lVert \theta \rVert_2^2",
    r"P(K = k) = \binom{n}{k} p^k (1 - p)^{n - k}, \qquad \sum_{k=0}^{n} P(K = k) = 1",
    r"\mathbf{h}_v^{(l+1)} = \sigma\Bigl(W^{(l)} \sum_{u \in \mathcal{N}(v) \cup \{v\}} \frac{\mathbf{h}_u^{(l)}}{\sqrt{\lvert \mathcal{N}(u) \rvert \, \lvert \mathcal{N}(v) \rvert}}\Bigr)",
    r"""\begin{aligned}
m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
\theta_t &= \theta_{t-1} - \eta \, \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}
\end{aligned}""",
    r"\det \begin{vmatrix} a & b \\ c & d \end{vmatrix} = ad - bc, \qquad A^{-1} = \frac{1}{ad - bc} \begin{pmatrix} d & -b \\ -c & a \end{pmatrix}",
    r"""\begin{gathered}
\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\left(\frac{Q K^\top}{\sqrt{d_k}} + M\right) V \\
M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}
\end{gathered}""",
    r"\int_{-\infty}^{\infty} e^{-x^2/2} \, \mathrm{d}x = \sqrt{2\pi}, \qquad \frac{\partial}{\partial \mu} \log \mathcal{N}(x; \mu, \sigma^2) = \frac{x - \mu}{\sigma^2}",
    r"\mathcal{L}_{\mathrm{InfoNCE}} = -\frac{1}{N} \sum_{i=1}^{N} \log \frac{\exp(\mathrm{sim}(z_i, z_i^{+}) / \tau)}{\sum_{j=1}^{N} \exp(\mathrm{sim}(z_i, z_j) / \tau)}",
    r"f(x) = \left\{ \begin{array}{ll} x^2 \sin(1/x) & x \neq 0 \\ 0 & x = 0 \end{array} \right. \qquad \lim_{x \to 0} \frac{f(x)}{x} = 0",
]
INLINE = [
    r"\theta", r"x_{i} \in \mathbb{R}^{d}", r"\mathcal{O}(n^2)", r"\lambda = 0.1", r"W \in \mathbb{R}^{d \times k}",
    r"r \ll \min(d, k)", r"\alpha_t", r"p(y \mid x)", r"\nabla_\theta \mathcal{L}", r"\hat{y} = \arg\max_k p_k",
    r"\sigma(z) = 1 / (1 + e^{-z})", r"\beta_1 = 0.9", r"\epsilon = 10^{-8}", r"T = 2", r"\sqrt{d_k}",
    r"\mathbb{E}[X]", r"\lVert w \rVert_2", r"\tau", r"K^\top", r"\mathbf{1}_{[y = k]}", r"\frac{1}{2}",
    r"h_t = \tanh(W h_{t-1} + U x_t)", r"\gamma \in (0, 1)", r"\pi_\theta(a \mid s)", r"\Delta W = BA",
    r"\mathrm{KL}(p \Vert q)", r"n \to \infty", r"\sum_i w_i = 1", r"z \sim \mathcal{N}(0, I)", r"x^{(k)}",
]
CODE = {
    "python": [
        '''import torch
from torch import nn


class LowRankAdapter(nn.Module):
    """A frozen linear layer plus a trainable update of rank {r}."""

    def __init__(self, base: nn.Linear, rank: int = {r}, alpha: float = {a}.0):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.down = nn.Linear(base.in_features, rank, bias=False)
        self.up = nn.Linear(rank, base.out_features, bias=False)
        nn.init.zeros_(self.up.weight)
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * self.up(self.down(x))''',
        '''def distill_loss(student_logits, teacher_logits, labels, t={t}.0, weight=0.{w}):
    soft = F.kl_div(
        F.log_softmax(student_logits / t, dim=-1),
        F.softmax(teacher_logits / t, dim=-1),
        reduction="batchmean",
    ) * t * t
    hard = F.cross_entropy(student_logits, labels)
    return weight * soft + (1 - weight) * hard  # step {i}''',
        '''def evaluate(model, loader, k={r}):
    hits, total = 0, 0
    for batch in loader:
        scores = model(batch["query"], batch["candidates"])
        top = scores.topk(k, dim=-1).indices
        hits += (top == batch["target"].unsqueeze(-1)).any(-1).sum().item()
        total += len(batch["query"])
    return {{"recall@{r}": hits / max(total, 1), "n": total}}''',
    ],
    "bash": [
        '''#!/usr/bin/env bash
set -euo pipefail
for seed in 1 2 {r}; do
  python train.py --seed "$seed" --lr 3e-4 --warmup {a}00 \\
    --run "exp-{i}-$seed" 2>&1 | tee "logs/exp-{i}-$seed.txt"
done
grep -h "final" logs/exp-{i}-*.txt | sort -k3 -n | head -n 3''',
        '''export CUDA_VISIBLE_DEVICES=0,1
torchrun --nproc_per_node 2 finetune.py \\
  --model base-{r}b --data data/train.jsonl \\
  --epochs {t} --batch-size {a}2 --output runs/note-{i}
du -sh runs/note-{i} && ls runs/note-{i} | wc -l''',
    ],
    "cpp": [
        '''#include <algorithm>
#include <cmath>
#include <vector>

// Numerically stable softmax with temperature, in place (note {i}).
void softmax(std::vector<float>& z, float t = {t}.0f) {{
    const float m = *std::max_element(z.begin(), z.end());
    float sum = 0.0f;
    for (float& v : z) {{
        v = std::exp((v - m) / t);
        sum += v;
    }}
    for (float& v : z) v /= sum;
}}''',
        '''template <typename T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {{
    T acc{{}};
    for (std::size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i];
    return acc;  // blocks of {r} in the real kernel
}}''',
    ],
    "json": [
        '''{{
  "model": "encoder-{r}x{a}",
  "optimizer": {{"name": "adamw", "lr": 0.0003, "betas": [0.9, 0.999], "weight_decay": 0.0{w}}},
  "schedule": {{"warmup_steps": {a}00, "total_steps": {t}0000}},
  "data": ["wiki", "books", "code"],
  "seed": {i}
}}''',
    ],
    "yaml": [
        '''trainer:
  max_steps: {t}0000
  precision: bf16
  gradient_clip: 1.0
model:
  hidden: {a}{r}
  layers: {r}
  dropout: 0.{w}
data:
  train: data/train-{i}.jsonl
  valid: data/valid.jsonl''',
    ],
    "rust": [
        '''fn cosine(a: &[f32], b: &[f32]) -> f32 {{
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb + 1e-{r})
}}''',
    ],
    "sql": [
        '''SELECT venue, COUNT(*) AS papers, AVG(citations) AS mean_citations
FROM papers
WHERE year >= 20{a}{r} AND topic = 'note-{i}'
GROUP BY venue
ORDER BY papers DESC
LIMIT {t}0;''',
    ],
}
LANGUAGES = list(CODE)
HEAVY_WORDS = WORDS + ("ablation baseline encoder decoder retrieval inference context window curriculum "
                       "distribution variance estimator policy reward kernel graph node edge").split()
HEAVY_ZH = ZH + "消融 基线 编码器 解码器 检索 上下文 课程 分布 方差 估计 策略 奖励 核函数 节点 边".split()


def heavy_sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(HEAVY_WORDS) for _ in range(n)).capitalize() + "."


def heavy_zh(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HEAVY_ZH) for _ in range(n)) + "。"


def math_paragraph(rng: random.Random, english: bool) -> str:
    """A paragraph with three or four inline formulas between words."""
    parts = []
    for k in range(rng.randint(3, 4)):
        text = heavy_sentence(rng, rng.randint(6, 12))[:-1] if english else heavy_zh(rng, rng.randint(8, 14))[:-1]
        if k:
            text = text[0].lower() + text[1:]
        parts.append(f"{text} ${rng.choice(INLINE)}$")
    return (", " if english else "，").join(parts) + ("." if english else "。")


def code_block(rng: random.Random, i: int, language: str) -> list[str]:
    template = rng.choice(CODE[language])
    code = template.format(i=i, r=rng.randint(2, 9), a=rng.randint(1, 9), t=rng.randint(1, 5), w=rng.randint(1, 9))
    return [f"```{language}", code, "```", ""]


def heavy_note_text(i: int, rng: random.Random) -> str:
    title = f"{heavy_sentence(rng, 6)[:-1]} {i}"
    authors = [f"Author {(i + k * 31) % 211}" for k in range(rng.randint(2, 5))]
    lines = front_matter(i, rng, title, authors, lambda zh_topic: f"{zh_topic}方向的长笔记，{heavy_zh(rng, 6)}")
    lines += [
        "",
        "## 动机 Motivation",
        "",
        f"{heavy_zh(rng, 45)} {heavy_sentence(rng, 30)}",
        "",
        math_paragraph(rng, english=True),
        "",
        "## 问题设定 Setup",
        "",
        math_paragraph(rng, english=False),
        "",
    ]
    formulas = rng.sample(DISPLAY, k=rng.randint(3, 5))
    languages = rng.sample(LANGUAGES, k=rng.randint(2, 4))
    lines += ["$$", formulas[0], "$$", "", math_paragraph(rng, english=True), "",
              "## 方法 Method", "",
              f"1. {heavy_sentence(rng, 10)} 其中 ${rng.choice(INLINE)}$ 固定不变。",
              f"   - {heavy_zh(rng, 12)}",
              f"   - {heavy_sentence(rng, 8)[:-1]} with ${rng.choice(INLINE)}$.",
              f"2. {heavy_zh(rng, 16)}",
              f"3. {heavy_sentence(rng, 14)}",
              ""]
    lines += code_block(rng, i, languages[0])
    lines += [math_paragraph(rng, english=False), "", "$$", formulas[1], "$$", "",
              f"{heavy_sentence(rng, 35)} {heavy_zh(rng, 30)}", ""]
    lines += code_block(rng, i, languages[1])
    lines += ["## 实验 Experiments", "",
              f"{heavy_zh(rng, 25)} {heavy_sentence(rng, 20)}", "",
              "| 方法 Method | 设置 Setting | 准确率 Acc | 备注 Notes |",
              "| --- | --- | ---: | --- |"]
    for row in range(rng.randint(4, 6)):
        lines.append(f"| {rng.choice(HEAVY_WORDS).capitalize()}-{row} | ${rng.choice(INLINE)}$ | "
                     f"{rng.randint(600, 990) / 10:.1f} | {heavy_zh(rng, 5)[:-1]} |")
    lines += ["", "$$", formulas[2], "$$", "", math_paragraph(rng, english=True), ""]
    for extra in languages[2:]:
        lines += [f"{heavy_sentence(rng, 12)}", ""] + code_block(rng, i, extra)
    for formula in formulas[3:]:
        lines += [f"{heavy_zh(rng, 14)}", "", "$$", formula, "$$", ""]
    if i % 20 == 7:  # <details> is rare in this mix
        lines += ["<details>", "<summary>推导细节 Derivation</summary>", "",
                  f"{heavy_sentence(rng, 25)} ${rng.choice(INLINE)}$.", "", "</details>", ""]
    lines += ["## 思考 Thoughts", "",
              f"> {heavy_zh(rng, 30)}", "",
              f"- {heavy_sentence(rng, 12)}",
              f"- {heavy_zh(rng, 18)}",
              f"- {math_paragraph(rng, english=True)}",
              "",
              f"{heavy_zh(rng, 50)} {heavy_sentence(rng, 30)}", ""]
    return "\n".join(lines)


MIXES = {"default": note_text, "heavy": heavy_note_text}


def generate(n: int, target: Path, mix: str = "default") -> Path:
    """Write N notes of the given mix to TARGET/notes (replacing what is there); returns TARGET."""
    text = MIXES[mix]
    rng = random.Random(n) if mix == "default" else random.Random(f"{mix}-{n}")
    notes = target / "notes"
    if notes.exists():
        shutil.rmtree(notes)
    for i in range(n):
        folder = notes / f"batch-{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"paper-{i:06d}.md").write_text(text(i, rng), encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("target", type=Path)
    parser.add_argument("--mix", choices=list(MIXES), default="default",
                        help="default: ~2 KB notes as described above; heavy: ~7 KB notes with more code and math")
    args = parser.parse_args()
    generate(args.count, args.target, args.mix)
    print(f"wrote {args.count} {args.mix} notes to {args.target / 'notes'}")


if __name__ == "__main__":
    main()
