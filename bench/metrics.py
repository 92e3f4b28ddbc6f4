"""Log-parsing metrics: grouping accuracy (GA) and F1 group accuracy (FGA).

Both compare a predicted grouping of lines (pattern ids) with the true grouping (template
texts). Only the partition matters, never the labels themselves.

* GA (Zhu et al., ICSE-SEIP 2019): a line is correct when the set of lines sharing its
  predicted group equals exactly the set of lines sharing its true template.
* FGA (Jiang et al., "A Large-scale Evaluation for Log Parsing Techniques", ISSTA 2024):
  a predicted group is correct when its line set equals exactly one true group's line set;
  precision = correct groups / predicted groups, recall = correct groups / true groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

__all__ = ["f1_group_accuracy", "grouping_accuracy"]


def _exact_lines(pred: Sequence[str], truth: Sequence[str]) -> pl.DataFrame:
    """One row per line: its predicted group and whether that group matches its true group.

    A line's groups match iff |pred group| == |truth group| == |pred ∩ truth group|.
    """
    if len(pred) != len(truth):
        raise ValueError(f"pred has {len(pred)} labels, truth has {len(truth)}")
    if not truth:
        raise ValueError("no lines to score")
    frame = pl.DataFrame(
        {"pred": list(pred), "truth": list(truth)},
        schema={"pred": pl.String, "truth": pl.String},
    )
    both = pl.len().over("pred", "truth")
    return frame.select(
        "pred",
        exact=(pl.len().over("pred") == both) & (pl.len().over("truth") == both),
    )


def grouping_accuracy(pred: Sequence[str], truth: Sequence[str]) -> float:
    """Share of lines whose predicted group is exactly their true group."""
    exact = _exact_lines(pred, truth)["exact"]
    return int(exact.sum()) / exact.len()


def f1_group_accuracy(pred: Sequence[str], truth: Sequence[str]) -> float:
    """F1 of group precision and recall, a group counting when it is exactly a true group."""
    lines = _exact_lines(pred, truth)
    correct = lines.filter("exact")["pred"].n_unique()
    if correct == 0:
        return 0.0
    precision = correct / lines["pred"].n_unique()
    recall = correct / len(set(truth))
    return 2 * precision * recall / (precision + recall)
