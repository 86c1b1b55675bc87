"""pass@k with the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models
Trained on Code": of ``n`` samples of which ``c`` are correct, the chance that at least one of
``k`` drawn without replacement is correct, ``1 - C(n - c, k) / C(n, k)``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with ``n`` samples, ``c`` of them correct (needs ``k <= n``)."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    # The product form of 1 - C(n-c, k) / C(n, k): no huge binomials.
    miss = 1.0
    for i in range(n - c + 1, n + 1):
        miss *= 1.0 - k / i
    return 1.0 - miss


def mean_pass_at_k(outcomes: Iterable[Sequence[bool]], k: int) -> float:
    """pass@k averaged over problems; every problem needs at least ``k`` samples."""
    values = [pass_at_k(len(o), sum(map(bool, o)), k) for o in outcomes]
    return sum(values) / len(values) if values else 0.0


def pass_at_ks(per_sample: Mapping[str, Sequence[bool]], ks: Iterable[int] = (1, 5, 10, 100)) -> dict[int, float]:
    """pass@k for each ``k`` that every problem has enough samples for."""
    fewest = min((len(o) for o in per_sample.values()), default=0)
    return {k: mean_pass_at_k(per_sample.values(), k) for k in sorted(set(ks)) if 1 <= k <= fewest}
