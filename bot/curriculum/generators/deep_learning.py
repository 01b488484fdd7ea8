"""Deep-learning generators: conv output sizes, parameter counts, softmax and cross-entropy.

Most of the bugs people meet in their first networks are shape bugs and loss bugs, so these
questions drill the arithmetic behind both: how a convolution changes the height of a feature
map, how many weights a stack of dense layers holds, and what softmax and cross-entropy give for
a handful of logits. Each builder draws its case with a public `draw_*` function and computes the
answer with numpy.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------


def _logit_text(tenths: int) -> str:
    """A logit stored as an integer number of tenths, shown with one decimal: 21 -> 2.1."""
    return f"{tenths / 10:.1f}"


def _logits_text(tenths: Sequence[int]) -> str:
    return "[" + ", ".join(_logit_text(t) for t in tenths) + "]"


def _tokens(text: str) -> set[str]:
    """The whole numbers that appear in a text, as strings (so 18 is found, 180 is not)."""
    return set(re.findall(r"(?<![\d.])\d+(?![\d.])", text))


def _class_word(index: int) -> str:
    return f"class {index}"


def _classes(count: int) -> str:
    return "classes 0 and 1" if count == 2 else f"classes 0 to {count - 1}"


def _signed(value: float) -> str:
    """One decimal, negatives in brackets so a subtraction stays readable: (−0.7)."""
    return f"({value:.1f})" if value < 0 else f"{value:.1f}"


# --- output size of a convolution -------------------------------------------------------------

BATCH_SIZES = (4, 8, 16, 32, 64)
CHANNELS_IN = (1, 3)
CHANNELS_OUT = (6, 8, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class ConvCase:
    batch: int
    in_channels: int
    out_channels: int
    height: int
    width: int
    kernel: int
    stride: int
    padding: int
    ask: str  # "height" or "width"


def conv_out(n: int, kernel: int, stride: int, padding: int) -> int:
    """floor((n + 2p - k) / s) + 1, with numpy's floor division."""
    return int(np.floor_divide(n + 2 * padding - kernel, stride)) + 1


def conv_call(case: ConvCase) -> str:
    return (
        f"nn.Conv2d({case.in_channels}, {case.out_channels}, kernel_size={case.kernel}, "
        f"stride={case.stride}, padding={case.padding})"
    )


def conv_shape(case: ConvCase) -> str:
    return f"({case.batch}, {case.in_channels}, {case.height}, {case.width})"


def draw_conv(rng: np.random.Generator, params: Mapping[str, Any]) -> ConvCase:
    lo, hi = int(params["size_low"]), int(params["size_high"])
    max_kernel, max_stride = int(params["max_kernel"]), int(params["max_stride"])
    max_padding = int(params["max_padding"])
    if not 2 <= max_kernel <= lo:
        raise ValueError("max_kernel must be at least 2 and at most size_low")
    if lo >= hi:
        raise ValueError(f"size_low ({lo}) must be below size_high ({hi})")
    if max_stride < 1 or max_padding < 0:
        raise ValueError("max_stride must be at least 1 and max_padding at least 0")
    for _ in range(1000):
        height, width = (int(v) for v in rng.integers(lo, hi, endpoint=True, size=2))
        kernel = int(rng.integers(2, max_kernel, endpoint=True))
        stride = int(rng.integers(1, max_stride, endpoint=True))
        padding = int(rng.integers(0, min(max_padding, kernel // 2), endpoint=True))
        ask = "height" if rng.random() < 0.5 else "width"
        batch = int(rng.choice(BATCH_SIZES))
        in_channels = int(rng.choice(CHANNELS_IN))
        out_channels = int(rng.choice(CHANNELS_OUT))
        case = ConvCase(
            batch, in_channels, out_channels, height, width, kernel, stride, padding, ask
        )
        size = height if ask == "height" else width
        answer = conv_out(size, kernel, stride, padding)
        # Valid (the window fits) and not readable off the prompt: the answer is none of the
        # numbers already shown, so "it stays the same size" never gives itself away.
        shown = _tokens(conv_call(case) + conv_shape(case))
        if size + 2 * padding >= kernel and str(answer) not in shown:
            return case
    raise ValueError("these parameters leave no convolution whose answer is hidden")


@register(
    "conv_output_size",
    "Output height or width of a Conv2d layer: floor((n + 2p - k) / s) + 1",
    size_low=8,
    size_high=64,
    max_kernel=7,
    max_stride=2,
    max_padding=2,
)
def conv_output_size(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Shape errors are the first wall in a CNN; the size formula gets people over it."""
    case = draw_conv(rng, params)
    n = case.height if case.ask == "height" else case.width
    other = case.width if case.ask == "height" else case.height
    answer = conv_out(n, case.kernel, case.stride, case.padding)
    other_out = conv_out(other, case.kernel, case.stride, case.padding)
    h_out = answer if case.ask == "height" else other_out
    w_out = other_out if case.ask == "height" else answer
    k, s, p = case.kernel, case.stride, case.padding
    inside = n + 2 * p - k
    prompt = (
        f"In PyTorch, `conv = {conv_call(case)}` receives a batch `x` of shape "
        f"`{conv_shape(case)}` (N, C, H, W).\n"
        f"What is the **{case.ask}** of `conv(x)`?"
    )
    padded = f"{n} + 2×{p} − {k}" if p else f"{n} − {k}"
    if s == 1:
        division = ""
    elif inside % s == 0:
        division = f"{inside} / {s} = {inside // s}"
    else:
        division = f"{inside} / {s} = {inside / s:g}, rounded down to {inside // s}"
    explanation = (
        f"A kernel of size k slides over n + 2p positions in steps of s, which fits "
        f"floor((n + 2p − k) / s) + 1 times. For the {case.ask}: {padded} = {inside}"
        + (f"; {division}" if division else "")
        + f"; plus 1 gives **{answer}**. The output shape is "
        f"`({case.batch}, {case.out_channels}, {h_out}, {w_out})`: the batch size stays, "
        "the channel count becomes the number of filters."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- parameters of dense layers ---------------------------------------------------------------

WIDTHS = (2, 3, 4, 8, 10, 13, 16, 20, 30, 32, 50, 64, 100, 128, 256, 300, 512, 784)
FRAMEWORKS = ("pytorch", "keras")
MODES = ("layer", "mlp")


@dataclass(frozen=True)
class DenseCase:
    sizes: tuple[int, ...]  # input features, then the width of each layer
    bias: bool
    framework: str


def dense_code(case: DenseCase) -> str:
    """The model as the member sees it, in PyTorch or Keras 3 spelling."""
    sizes = case.sizes
    if case.framework == "pytorch":
        extra = "" if case.bias else ", bias=False"
        layers = [f"nn.Linear({a}, {b}{extra})" for a, b in itertools.pairwise(sizes)]
        if len(layers) == 1:
            return layers[0]
        return "nn.Sequential(" + ", nn.ReLU(), ".join(layers) + ")"
    extra = "" if case.bias else ", use_bias=False"
    last = len(sizes) - 2
    relu = ', activation="relu"'
    dense = [f"layers.Dense({b}{relu if i < last else ''}{extra})" for i, b in enumerate(sizes[1:])]
    return f"keras.Sequential([keras.Input(shape=({sizes[0]},)), " + ", ".join(dense) + "])"


def draw_dense(rng: np.random.Generator, params: Mapping[str, Any]) -> DenseCase:
    mode, max_layers = str(params["mode"]), int(params["max_layers"])
    if mode not in (*MODES, "any"):
        raise ValueError(f"mode must be one of {', '.join(MODES)} or 'any'")
    if max_layers < 2:
        raise ValueError("max_layers must be at least 2 (an MLP has a hidden layer)")
    if mode == "any":
        mode = str(MODES[int(rng.integers(0, len(MODES)))])
    framework = str(FRAMEWORKS[int(rng.integers(0, len(FRAMEWORKS)))])
    for _ in range(1000):
        count = 1 if mode == "layer" else int(rng.integers(2, max_layers, endpoint=True))
        sizes = tuple(int(v) for v in rng.choice(WIDTHS, size=count + 1))
        # A single layer sometimes drops its bias; an MLP keeps them, as nearly all do.
        bias = mode == "mlp" or bool(rng.random() < 0.75)
        case = DenseCase(sizes=sizes, bias=bias, framework=framework)
        answer = dense_params(case)
        if str(answer) not in _tokens(dense_code(case)):
            return case
    raise ValueError("these parameters leave no model whose answer is hidden")


def dense_params(case: DenseCase) -> int:
    sizes = np.array(case.sizes, dtype=np.int64)
    weights = int(sizes[:-1] @ sizes[1:])
    biases = int(sizes[1:].sum()) if case.bias else 0
    return weights + biases


@register(
    "linear_param_count",
    "Trainable parameters of a Linear/Dense layer or a small MLP (weights plus biases)",
    mode="any",
    max_layers=3,
)
def linear_param_count(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Counting parameters shows where a model's size lives: almost all of it in the weights."""
    case = draw_dense(rng, params)
    answer = dense_params(case)
    pairs = list(itertools.pairwise(case.sizes))
    name = "PyTorch" if case.framework == "pytorch" else "Keras"
    if len(pairs) == 1:
        what = "this layer" if case.framework == "pytorch" else "this model"
        prompt = f"How many trainable parameters does {what} have?\n`{dense_code(case)}`"
    else:
        prompt = (
            f"How many trainable parameters does this {name} model have in total "
            f"(weights and biases)?\n`{dense_code(case)}`"
        )
    terms = [f"{a}×{b}" + (f" + {b}" if case.bias else "") for a, b in pairs]
    per_layer = [a * b + (b if case.bias else 0) for a, b in pairs]
    shape_note = (
        "PyTorch stores each weight matrix as (out, in)"
        if case.framework == "pytorch"
        else "Keras stores each kernel as (in, units)"
    )
    bias_note = "one bias per output unit" if case.bias else "no bias, because it was switched off"
    if len(pairs) == 1:
        sums = f"{terms[0]} = **{answer:,}**"
    else:
        sums = (
            " + ".join(f"({t})" for t in terms)
            + " = "
            + " + ".join(f"{v:,}" for v in per_layer)
            + f" = **{answer:,}**"
        )
    explanation = (
        f"A dense layer from a inputs to b outputs has a×b weights ({shape_note}) and "
        f"{bias_note}. Activations such as ReLU have no parameters. So: {sums}."
    )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(answer), explanation=explanation)


# --- softmax ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SoftmaxCase:
    tenths: tuple[int, ...]  # the logits, in tenths, shift included
    index: int
    shift: int  # what was added to every logit (0, or a large offset)


def draw_softmax(rng: np.random.Generator, params: Mapping[str, Any]) -> SoftmaxCase:
    max_size, shift_flag = int(params["max_size"]), int(params["shift"])
    if max_size < 2:
        raise ValueError("max_size must be at least 2")
    if shift_flag not in (0, 1):
        raise ValueError("shift must be 0 (plain logits) or 1 (large logits)")
    size = int(rng.integers(2 if max_size == 2 else 3, max_size, endpoint=True))
    tenths = rng.choice(np.arange(-30, 31), size=size, replace=False)
    shift = int(rng.choice([800, 1000, 1500])) * 10 if shift_flag else 0
    index = int(rng.integers(0, size))
    return SoftmaxCase(tenths=tuple(int(t) + shift for t in tenths), index=index, shift=shift)


def stable_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@register(
    "softmax_value",
    "One probability of softmax over a short logit vector, to three decimals",
    max_size=4,
    shift=0,
)
def softmax_value(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Softmax turns scores into probabilities; working one by hand shows why the max is removed."""
    case = draw_softmax(rng, params)
    z = np.array(case.tenths, dtype=float) / 10
    p = stable_softmax(z)
    answer = float(p[case.index])
    shifted = z - z.max()
    exps = np.exp(shifted)
    prompt = (
        f"A classifier outputs the logits `z = {_logits_text(case.tenths)}` for "
        f"{_classes(len(z))}.\nWhat probability does `softmax(z)` give "
        f"**{_class_word(case.index)}**? Answer to three decimals."
    )
    steps = ", ".join(f"{v:.3f}" for v in exps)
    explanation = (
        f"Subtract the largest logit first ({z.max():.1f}); softmax does not change when every "
        f"logit moves by the same amount. That leaves {_logits_text(np.rint(shifted * 10))}, "
        f"whose exponentials are {steps}, summing to {exps.sum():.3f}. "
        f"So P({_class_word(case.index)}) = {exps[case.index]:.3f} / {exps.sum():.3f} = "
        f"**{answer:.3f}**."
    )
    if case.shift:
        explanation += (
            f" Exponentiating {z.max():.1f} directly would overflow float64 to `inf` and give "
            "`nan`, which is why every real implementation subtracts the maximum."
        )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(answer, 6),
        explanation=explanation,
        tolerance=0.001,
    )


# --- cross-entropy ----------------------------------------------------------------------------

CE_MODES = ("probs", "logits")


@dataclass(frozen=True)
class CrossEntropyCase:
    mode: str
    values: tuple[int, ...]  # probabilities in twentieths, or logits in tenths
    label: int


def draw_cross_entropy(rng: np.random.Generator, params: Mapping[str, Any]) -> CrossEntropyCase:
    mode, max_classes = str(params["mode"]), int(params["max_classes"])
    if mode not in (*CE_MODES, "any"):
        raise ValueError(f"mode must be one of {', '.join(CE_MODES)} or 'any'")
    if max_classes < 2:
        raise ValueError("max_classes must be at least 2")
    if mode == "any":
        mode = str(CE_MODES[int(rng.integers(0, len(CE_MODES)))])
    classes = int(rng.integers(2, max_classes, endpoint=True))
    if mode == "probs":
        # Each probability a multiple of 0.05, none zero: cut 1..19 into `classes` parts.
        cuts = np.sort(rng.choice(np.arange(1, 20), size=classes - 1, replace=False))
        values = np.diff(np.concatenate(([0], cuts, [20])))
    else:
        values = rng.choice(np.arange(-20, 31), size=classes, replace=False)
    label = int(rng.integers(0, classes))
    return CrossEntropyCase(mode=mode, values=tuple(int(v) for v in values), label=label)


def _prob_text(twentieths: int) -> str:
    return f"{twentieths / 20:g}"


@register(
    "cross_entropy",
    "Cross-entropy loss of one prediction: from probabilities or from logits",
    mode="any",
    max_classes=4,
)
def cross_entropy(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """The loss only looks at the probability of the true class; this makes that concrete."""
    case = draw_cross_entropy(rng, params)
    y = case.label
    if case.mode == "probs":
        p = np.array(case.values, dtype=float) / 20
        answer = float(-np.log(p[y]))
        shown = "[" + ", ".join(_prob_text(v) for v in case.values) + "]"
        prompt = (
            f"For one example the model predicts the class probabilities `{shown}` "
            f"({_classes(len(p))}), and the true class is {y}.\n"
            "What is the cross-entropy loss, using the natural log? Answer to three decimals."
        )
        explanation = (
            "Cross-entropy with a one-hot label keeps only the probability given to the true "
            f"class: loss = −ln p[{y}] = −ln {p[y]:g} = **{answer:.3f}**. The other "
            "probabilities matter only through it: they share what is left of the 1."
        )
    else:
        z = np.array(case.values, dtype=float) / 10
        m = float(z.max())
        log_sum = m + float(np.log(np.exp(z - m).sum()))
        answer = log_sum - float(z[y])
        prompt = (
            f"A model outputs the logits `{_logits_text(case.values)}` ({_classes(len(z))}) "
            f"for one example whose true class is {y}.\n"
            "What is the cross-entropy loss (softmax, then −ln of the true class's "
            "probability, as `nn.CrossEntropyLoss` computes it)? Answer to three decimals."
        )
        explanation = (
            f"From logits, loss = ln(Σ exp(z)) − z[{y}]. With the maximum {m:.1f} taken out "
            f"for stability, ln Σ exp(z) = {_signed(m)} + ln {np.exp(z - m).sum():.4f} = "
            f"{log_sum:.4f}, so the loss is {log_sum:.4f} − {_signed(float(z[y]))} = "
            f"**{answer:.3f}**. "
            f"That is −ln of softmax(z)[{y}] = {np.exp(-answer):.3f}."
        )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(answer, 6),
        explanation=explanation,
        tolerance=0.001,
    )
