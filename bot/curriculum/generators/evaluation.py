"""Model evaluation generators: precision and recall, confusion matrices, K-fold sizes, baselines
and the Wilson interval of a test accuracy.

These are the numbers a member reads off every scikit-learn evaluation, so each question makes
them compute one by hand from a small drawn case. As in the other modules, a public `draw_*`
function draws the case first and the answer is then computed by scikit-learn (or SciPy), never
typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
)
from sklearn.model_selection import KFold

from bot.curriculum.generators import Draft, register
from bot.domain.quiz import Kind

# --- helpers ----------------------------------------------------------------------------------

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth")  # fmt: skip


def _labels(values: Sequence[int | str]) -> str:
    """A label list as Python code: [1, 0, 1] or ['cat', 'dog']."""
    return "[" + ", ".join(repr(v) for v in values) + "]"


def _choose(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(0, len(options)))])


def _pick(rng: np.random.Generator, requested: str, options: Sequence[str], name: str) -> str:
    """The requested option, or a drawn one for 'any'; refuses names it does not know."""
    if requested not in (*options, "any"):
        raise ValueError(f"{name} must be one of {', '.join(options)} or 'any'")
    return _choose(rng, options) if requested == "any" else requested


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _signed(value: float) -> str:
    """Three decimals with a real minus sign, as in the worked sums."""
    return f"{value:.3f}".replace("-", "−")


def _size_range(params: Mapping[str, Any], low: int) -> int:
    size = int(params["size"])
    if size < low:
        raise ValueError(f"size must be at least {low}")
    return size


# --- precision, recall and F1 -----------------------------------------------------------------

METRICS = ("precision", "recall", "f1")


@dataclass(frozen=True)
class LabelsCase:
    y_true: tuple[int, ...]
    y_pred: tuple[int, ...]
    metric: str


def _counts(y_true: Sequence[int], y_pred: Sequence[int]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) for class 1."""
    tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == 1 and p == 1)
    fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == 0 and p == 1)
    fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == 1 and p == 0)
    return tp, fp, fn


def draw_labels(rng: np.random.Generator, params: Mapping[str, Any]) -> LabelsCase:
    size = _size_range(params, 6)
    metric = _pick(rng, str(params["metric"]), METRICS, "metric")
    while True:
        y_true = rng.integers(0, 2, size=size)
        # Predictions agree with the truth most of the time, like a usable model's.
        flips = rng.random(size) < 0.3
        y_pred = np.where(flips, 1 - y_true, y_true)
        tp, fp, fn = _counts(y_true.tolist(), y_pred.tolist())
        wrong = {"precision": fp, "recall": fn, "f1": fp + fn}[metric]
        # At least one hit and one miss of the kind asked about: the answer is strictly
        # between 0 and 1, and the explanation has something to count on both sides.
        if tp >= 1 and wrong >= 1:
            break
    return LabelsCase(
        y_true=tuple(int(v) for v in y_true), y_pred=tuple(int(v) for v in y_pred), metric=metric
    )


@register(
    "precision_recall",
    "Precision, recall or F1 of class 1 from short true and predicted label lists",
    size=10,
    metric="any",
)
def precision_recall(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Counting TP, FP and FN once by hand is what makes the three formulas stick."""
    case = draw_labels(rng, params)
    score = {"precision": precision_score, "recall": recall_score, "f1": f1_score}[case.metric]
    value = float(score(list(case.y_true), list(case.y_pred)))
    tp, fp, fn = _counts(case.y_true, case.y_pred)
    name = {"precision": "precision", "recall": "recall", "f1": "F1 score"}[case.metric]
    prompt = (
        f"A classifier labels {len(case.y_true)} test rows (1 is the positive class).\n"
        f"```python\ny_true = {_labels(case.y_true)}\ny_pred = {_labels(case.y_pred)}\n```\n"
        f"What is its **{name}** for class 1? Give three decimals."
    )
    counted = (
        f"Line the lists up: {_plural(tp, 'true positive')} (1 predicted, 1 true), "
        f"{_plural(fp, 'false positive')} (1 predicted, 0 true) and "
        f"{_plural(fn, 'false negative')} (0 predicted, 1 true). "
    )
    if case.metric == "precision":
        worked = f"Precision = TP / (TP + FP) = {tp} / {tp + fp} = **{value:.3f}**."
    elif case.metric == "recall":
        worked = f"Recall = TP / (TP + FN) = {tp} / {tp + fn} = **{value:.3f}**."
    else:
        worked = (
            f"F1 = 2·TP / (2·TP + FP + FN) = {2 * tp} / {2 * tp + fp + fn} = **{value:.3f}**, "
            "the harmonic mean of precision and recall."
        )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=counted + worked,
        tolerance=0.001,
    )


# --- K-fold sizes -----------------------------------------------------------------------------

PARTS = ("test", "train")


@dataclass(frozen=True)
class FoldCase:
    rows: int
    splits: int
    fold: int  # 0-based
    part: str


def draw_folds(rng: np.random.Generator, params: Mapping[str, Any]) -> FoldCase:
    low, high = int(params["min_rows"]), int(params["max_rows"])
    max_splits = int(params["max_splits"])
    if not 3 <= max_splits <= len(ORDINALS):
        raise ValueError(f"max_splits must be between 3 and {len(ORDINALS)}")
    if low < 2 * max_splits or low >= high:
        raise ValueError("need 2 * max_splits <= min_rows < max_rows")
    part = _pick(rng, str(params["part"]), PARTS, "part")
    while True:
        rows = int(rng.integers(low, high, endpoint=True))
        splits = int(rng.integers(3, max_splits, endpoint=True))
        fold = int(rng.integers(0, splits))
        test = rows // splits + (1 if fold < rows % splits else 0)
        answer = test if part == "test" else rows - test
        # The prompt shows rows and splits; an answer equal to either would read like a hint.
        if rows % splits and answer not in (rows, splits):
            break
    return FoldCase(rows=rows, splits=splits, fold=fold, part=part)


@register(
    "kfold_sizes",
    "Rows in the test or training part of one KFold fold when n is not a multiple of k",
    min_rows=20,
    max_rows=99,
    max_splits=10,
    part="any",
)
def kfold_sizes(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """KFold hands the leftover rows to the first folds; people expect equal or last-heavy folds."""
    case = draw_folds(rng, params)
    folds = list(KFold(n_splits=case.splits).split(np.zeros((case.rows, 1))))
    train, test = folds[case.fold]
    value = len(test) if case.part == "test" else len(train)
    base, extra = divmod(case.rows, case.splits)
    ordinal = ORDINALS[case.fold]
    where = "test part" if case.part == "test" else "training part"
    prompt = (
        f"`KFold(n_splits={case.splits})` splits a dataset of {case.rows} rows. "
        f"In the **{ordinal}** fold, how many rows are in the **{where}**?"
    )
    fold_size = base + (1 if case.fold < extra else 0)
    leading = "the first fold" if extra == 1 else f"each of the first {extra} folds"
    explanation = (
        f"{case.rows} = {case.splits} × {base} + {extra}, so KFold gives {leading} "
        f"{base + 1} test rows and every later fold {base}. The {ordinal} fold's test part has "
        f"{fold_size} rows"
    )
    if case.part == "test":
        explanation += f": **{value}**."
    else:
        explanation += (
            f", and the model trains on the other {case.rows} − {fold_size} = **{value}**."
        )
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(value), explanation=explanation)


# --- confusion matrix counts ------------------------------------------------------------------

BINARY = ("spam", "ham")  # the positive class first
THREE = ("cat", "dog", "fox")
CELLS = ("true positives", "false positives", "false negatives", "true negatives")


@dataclass(frozen=True)
class ConfusionCase:
    y_true: tuple[str, ...]
    y_pred: tuple[str, ...]
    true_label: str  # the cell asked about: this true label ...
    predicted_label: str  # ... predicted as this one


def draw_confusion(rng: np.random.Generator, params: Mapping[str, Any]) -> ConfusionCase:
    size = _size_range(params, 6)
    classes = int(params["classes"])
    if classes not in (2, 3):
        raise ValueError("classes must be 2 or 3")
    labels = BINARY if classes == 2 else THREE
    while True:
        truth = rng.integers(0, classes, size=size)
        wrong = rng.random(size) < 0.35
        shift = rng.integers(1, classes, size=size)  # to a different class
        guess = np.where(wrong, (truth + shift) % classes, truth)
        true_index = int(rng.integers(0, classes))
        predicted_index = int(rng.integers(0, classes))
        count = int(np.sum((truth == true_index) & (guess == predicted_index)))
        # Every class occurs, and the cell asked about is neither empty nor the whole table.
        if len(set(truth.tolist())) == classes and 1 <= count < size:
            break
    return ConfusionCase(
        y_true=tuple(labels[int(i)] for i in truth),
        y_pred=tuple(labels[int(i)] for i in guess),
        true_label=labels[true_index],
        predicted_label=labels[predicted_index],
    )


def binary_cell(case: ConfusionCase) -> str:
    """The name of a two-class cell with 'spam' as the positive class."""
    positive = BINARY[0]
    if case.true_label == positive:
        return CELLS[0] if case.predicted_label == positive else CELLS[2]
    return CELLS[1] if case.predicted_label == positive else CELLS[3]


@register(
    "confusion_count",
    "One cell of a confusion matrix, counted from short true and predicted label lists",
    size=12,
    classes=3,
)
def confusion_count(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """Rows are the truth, columns the prediction: the cell question checks both at once."""
    case = draw_confusion(rng, params)
    labels = BINARY if len(set(case.y_true)) == 2 else THREE
    matrix = confusion_matrix(list(case.y_true), list(case.y_pred), labels=list(labels))
    row, col = labels.index(case.true_label), labels.index(case.predicted_label)
    value = int(matrix[row, col])
    code = f"```python\ny_true = {_labels(case.y_true)}\ny_pred = {_labels(case.y_pred)}\n```\n"
    if labels is BINARY:
        cell = binary_cell(case)
        prompt = (
            f"A spam filter labelled these emails; `'spam'` is the positive class.\n{code}"
            f"How many **{cell}** are there?"
        )
        meaning = (
            f"{cell.capitalize()} are emails that are really '{case.true_label}' "
            f"and were predicted '{case.predicted_label}'"
        )
    else:
        prompt = (
            f"An image classifier produced these labels.\n{code}"
            f"What number does `confusion_matrix(y_true, y_pred)` show in the cell for true "
            f"**'{case.true_label}'** predicted as **'{case.predicted_label}'**?"
        )
        meaning = (
            f"The matrix has one row per true label and one column per predicted label; the "
            f"cell counts positions where y_true is '{case.true_label}' and y_pred is "
            f"'{case.predicted_label}'"
        )
    positions = [
        str(i + 1)
        for i, (t, p) in enumerate(zip(case.y_true, case.y_pred, strict=True))
        if t == case.true_label and p == case.predicted_label
    ]
    where = "position " if len(positions) == 1 else "positions "
    explanation = (
        f"{meaning}. Going pair by pair, that happens at {where}{', '.join(positions)} "
        f"(counting from 1): **{value}**."
    )
    if case.true_label == case.predicted_label:
        explanation += " It is on the diagonal, so these are correct predictions."
    return Draft(kind=Kind.NUMERIC, prompt=prompt, answer=float(value), explanation=explanation)


# --- accuracy against the majority-class baseline ---------------------------------------------

BASELINE_ASKS = ("baseline", "margin")


@dataclass(frozen=True)
class BaselineCase:
    train_negatives: int
    train_positives: int
    test_negatives: int
    test_positives: int
    correct: int  # the model's correct test predictions
    ask: str


def draw_baseline(rng: np.random.Generator, params: Mapping[str, Any]) -> BaselineCase:
    ask = _pick(rng, str(params["ask"]), BASELINE_ASKS, "ask")
    test_rows = int(params["test_rows"])
    if test_rows < 20 or test_rows % 10:
        raise ValueError("test_rows must be a multiple of 10, at least 20")
    share = float(rng.choice((0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)))
    train_rows = 4 * test_rows
    train_negatives = round(train_rows * share) + int(rng.integers(-3, 4))
    test_negatives = round(test_rows * share) + int(rng.integers(-2, 3))
    test_negatives = min(test_negatives, test_rows - 1)
    baseline = test_negatives
    correct = int(rng.integers(max(baseline - test_rows // 10, 1), test_rows))
    return BaselineCase(
        train_negatives=train_negatives,
        train_positives=train_rows - train_negatives,
        test_negatives=test_negatives,
        test_positives=test_rows - test_negatives,
        correct=correct,
        ask=ask,
    )


def _column(negatives: int, positives: int) -> np.ndarray:
    return np.array([0] * negatives + [1] * positives)


@register(
    "accuracy_vs_baseline",
    "Test accuracy of the most-frequent baseline, or a model's margin over it",
    test_rows=200,
    ask="any",
)
def accuracy_vs_baseline(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """On imbalanced data the baseline is high, and a model's accuracy means little without it."""
    case = draw_baseline(rng, params)
    y_train = _column(case.train_negatives, case.train_positives)
    y_test = _column(case.test_negatives, case.test_positives)
    dummy = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y_train), 1)), y_train)
    baseline = float(dummy.score(np.zeros((len(y_test), 1)), y_test))
    test_rows = len(y_test)
    # The model's predictions only matter through how many are right.
    model_right = np.arange(test_rows) < case.correct
    model = float(accuracy_score(np.ones(test_rows, dtype=bool), model_right))
    situation = (
        f"A fraud dataset has {case.train_negatives} genuine and {case.train_positives} "
        f"fraudulent payments in its training set, and {case.test_negatives} genuine and "
        f"{case.test_positives} fraudulent in its test set. "
    )
    majority = (
        f'`DummyClassifier(strategy="most_frequent")` learns the commonest training label, '
        f"'genuine', and predicts it for every test row, so it is right on the "
        f"{case.test_negatives} genuine ones: {case.test_negatives} / {test_rows} = "
        f"{baseline:.3f}"
    )
    if case.ask == "baseline":
        prompt = situation + (
            'What test accuracy does `DummyClassifier(strategy="most_frequent")` reach? '
            "Give three decimals."
        )
        value = baseline
        explanation = majority + f". Answer: **{value:.3f}**."
    else:
        prompt = situation + (
            f"A model gets {case.correct} of the {test_rows} test rows right. By how much does "
            "its accuracy beat the most-frequent baseline? Give a decimal with three places "
            "(negative if it is worse)."
        )
        value = model - baseline
        explanation = (
            majority + f". The model scores {case.correct} / {test_rows} = {model:.3f}, so the "
            f"margin is {model:.3f} − {baseline:.3f} = **{_signed(value)}**."
        )
        if value <= 0:
            explanation += " The model is no better than always answering 'genuine'."
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.001,
    )


# --- Wilson interval of a test accuracy -------------------------------------------------------

BOUNDS = ("lower", "upper")


@dataclass(frozen=True)
class WilsonCase:
    rows: int
    correct: int
    bound: str


def draw_wilson(rng: np.random.Generator, params: Mapping[str, Any]) -> WilsonCase:
    bound = _pick(rng, str(params["bound"]), BOUNDS, "bound")
    sizes = (50, 80, 100, 120, 150, 200, 250, 300, 400, 500)
    rows = int(rng.choice(sizes))
    accuracy = float(rng.uniform(0.7, 0.97))
    correct = min(round(rows * accuracy), rows - 1)
    return WilsonCase(rows=rows, correct=correct, bound=bound)


@register(
    "wilson_interval",
    "Lower or upper end of the 95% Wilson interval for a test accuracy of k out of n",
    bound="any",
)
def wilson_interval(rng: np.random.Generator, params: Mapping[str, Any]) -> Draft:
    """A test score is a binomial proportion; the interval shows how much it could move."""
    case = draw_wilson(rng, params)
    interval = binomtest(case.correct, case.rows).proportion_ci(0.95, method="wilson")
    value = float(interval.low if case.bound == "lower" else interval.high)
    accuracy = case.correct / case.rows
    prompt = (
        f"A classifier is right on {case.correct} of {case.rows} test rows. What is the "
        f"**{case.bound}** end of the 95% Wilson interval for its accuracy? "
        'Give three decimals (`scipy.stats.binomtest(k, n).proportion_ci(method="wilson")` '
        "computes it)."
    )
    z = 1.96
    centre = (accuracy + z * z / (2 * case.rows)) / (1 + z * z / case.rows)
    explanation = (
        f"The observed accuracy is {case.correct} / {case.rows} = {accuracy:.3f}. The Wilson "
        f"interval is centred at (p̂ + z²/2n) / (1 + z²/n) ≈ {centre:.3f}, pulled slightly "
        f"towards 0.5, and runs from {interval.low:.3f} to {interval.high:.3f} with z = 1.96. "
        f"The {case.bound} end is **{value:.3f}**. Any true accuracy in that range would "
        "often produce a test score like this one."
    )
    return Draft(
        kind=Kind.NUMERIC,
        prompt=prompt,
        answer=round(value, 4),
        explanation=explanation,
        tolerance=0.001,
    )
