"""The benchmark's grouping metrics (GA, FGA) on tiny hand-made groupings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

try:
    from bench.metrics import f1_group_accuracy, grouping_accuracy
except ModuleNotFoundError:  # plain `pytest` (not `python -m pytest`) leaves the root off sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.metrics import f1_group_accuracy, grouping_accuracy

TRUTH = ["A", "A", "B", "B", "B", "C"]


def test_perfect_grouping_ignores_label_names() -> None:
    pred = ["x", "x", "y", "y", "y", "z"]
    assert grouping_accuracy(pred, TRUTH) == 1.0
    assert f1_group_accuracy(pred, TRUTH) == 1.0


def test_all_merged() -> None:
    pred = ["p"] * 6
    assert grouping_accuracy(pred, TRUTH) == 0.0
    assert f1_group_accuracy(pred, TRUTH) == 0.0


def test_all_split() -> None:
    pred = [str(i) for i in range(6)]
    # Only the singleton C is exact: 1 of 6 lines; 1 of 6 predicted groups, 1 of 3 true groups.
    assert grouping_accuracy(pred, TRUTH) == pytest.approx(1 / 6)
    precision, recall = 1 / 6, 1 / 3
    assert f1_group_accuracy(pred, TRUTH) == pytest.approx(
        2 * precision * recall / (precision + recall)
    )


def test_mixed() -> None:
    # A exact; B split into {2,3} and {4}, and {4} merged with C: only A counts.
    pred = ["a", "a", "b", "b", "c", "c"]
    assert grouping_accuracy(pred, TRUTH) == pytest.approx(2 / 6)
    precision, recall = 1 / 3, 1 / 3
    assert f1_group_accuracy(pred, TRUTH) == pytest.approx(1 / 3)
    assert f1_group_accuracy(pred, TRUTH) == pytest.approx(
        2 * precision * recall / (precision + recall)
    )


def test_one_group_split_others_exact() -> None:
    pred = ["a", "a", "b", "b", "d", "c"]
    # A (2 lines) and C (1 line) exact; B split: 3 of 6 lines, 2 of 4 groups, 2 of 3 groups.
    assert grouping_accuracy(pred, TRUTH) == pytest.approx(3 / 6)
    precision, recall = 2 / 4, 2 / 3
    assert f1_group_accuracy(pred, TRUTH) == pytest.approx(
        2 * precision * recall / (precision + recall)
    )


def test_length_mismatch_and_empty_are_errors() -> None:
    with pytest.raises(ValueError, match="labels"):
        grouping_accuracy(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no lines"):
        f1_group_accuracy([], [])
