"""Kubernetes label selectors (`matchLabels` + `matchExpressions`), as data, and matching.

The semantics are Kubernetes' (apimachinery `LabelSelectorAsSelector`): every `matchLabels`
pair and every expression must hold (AND); an empty selector matches everything.
`In` holds when the label is set to one of the values, `NotIn` when it is unset or set to
none of them, `Exists`/`DoesNotExist` on the key alone. Validation of the written form
(operators, values present or absent) is the config layer's, where the line is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Operator = Literal["In", "NotIn", "Exists", "DoesNotExist"]
OPERATORS: tuple[Operator, ...] = ("In", "NotIn", "Exists", "DoesNotExist")
# operators that take a non-empty `values` list; the others take none
WITH_VALUES: frozenset[str] = frozenset({"In", "NotIn"})


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def holds(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        present = self.key in labels and labels[self.key] in self.values
        return present if self.operator == "In" else not present

    def __str__(self) -> str:
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        word = "in" if self.operator == "In" else "notin"
        return f"{self.key} {word} ({','.join(self.values)})"


@dataclass(frozen=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()  # sorted by key
    expressions: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels) and all(
            r.holds(labels) for r in self.expressions
        )

    def __str__(self) -> str:
        """kubectl's string form: `region=eu,tier in (gold,silver)`; `(everything)` if empty."""
        parts = [f"{k}={v}" for k, v in self.match_labels] + [str(r) for r in self.expressions]
        return ",".join(parts) or "(everything)"


def format_labels(labels: Mapping[str, str]) -> str:
    """`{region: eu, tier: gold}` (sorted), `{}` without labels."""
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(labels.items())) + "}"
