"""Does the audit correct a biased classifier? A simulation where the truth is known.

Usage: python bench/audit_sim.py [--draws 1000] [--audit 60] [--seed 0]

Two corpora with known labels (themes and factors independent, one stage or none
per passage) and a deliberately biased classifier, each audited many times by a
simple random sample drawn as ``textmine audit`` draws it (``audit.passages_to_add``)
and corrected as a run corrects it (``aggregate.ppi_mean``):

- ``biased``: 2,000 passages; the classifier finds 85% of each label's passages
  with 2% false positives, except that it misses 60% of working_together's and of
  engagement's, and adds false positives to capacity_and_resources (10% of
  passages) and monitoring (6%);
- ``report``: 200 passages, one report the size of the real one in issue 12:
  factors on 1-13% of passages of which the classifier finds a third, themes
  found at 60-95%.

For each it prints, over the draws, the mean absolute error of the raw shares and
of the corrected shares against the true shares, and how often the 95% interval
(corrected, plain PPI without the pseudo-errors, and raw Wilson) covers the true
share: over all labels and draws, and per label. Targets: corrected error at most
half the raw error, and coverage of at least 0.90 for at least 90% of labels. The
correction's error is about sd(model error) / sqrt(audit size) whatever the bias,
so it beats the raw share only on labels where the bias is larger than that: on
labels the model gets nearly right an audit of 60 adds noise.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from textmine import taxonomy
from textmine.aggregate import PSEUDO_ERRORS, ppi_mean, wilson
from textmine.audit import passages_to_add

LABELS = [*taxonomy.THEMES, *taxonomy.FACTORS, *taxonomy.STAGES]


def corpus(n: int, shares: dict[str, float], stage_shares: dict[str, float], rng) -> np.ndarray:
    """True labels: one boolean column per label of ``LABELS``."""
    truth = np.zeros((n, len(LABELS)), dtype=bool)
    for j, label in enumerate(LABELS[: -len(taxonomy.STAGES)]):
        truth[:, j] = rng.random(n) < shares[label]
    stage = rng.choice(len(taxonomy.STAGES) + 1, size=n, p=[*stage_shares.values(), 1 - sum(stage_shares.values())])
    for k in range(len(taxonomy.STAGES)):
        truth[:, len(LABELS) - len(taxonomy.STAGES) + k] = stage == k
    return truth


def classifier(truth: np.ndarray, recall: dict[str, float], false_positive: dict[str, float], rng) -> np.ndarray:
    """The classifier's labels: each true label found with its recall, each absent one added at its false-positive rate."""
    found = rng.random(truth.shape) < np.array([recall[label] for label in LABELS])
    added = rng.random(truth.shape) < np.array([false_positive[label] for label in LABELS])
    return (truth & found) | (~truth & added)


def simulate(truth: np.ndarray, model: np.ndarray, audit_size: int, draws: int, seed: int) -> dict:
    """Raw and corrected errors and interval coverage over ``draws`` audits of ``audit_size`` passages."""
    n = len(truth)
    ids = [f"p{i}" for i in range(n)]
    index = {pid: i for i, pid in enumerate(ids)}
    true_share = truth.mean(axis=0)
    raw = model.mean(axis=0)
    raw_ci = np.array([wilson(int(k), n) for k in model.sum(axis=0)])
    raw_covered = (raw_ci[:, 0] <= true_share) & (true_share <= raw_ci[:, 1])
    errors, covered, widths, plain_covered = [], [], [], []
    for draw in range(draws):
        audited = [index[pid] for pid in passages_to_add([], ids, audit_size, seed=seed * 100_000 + draw)]
        estimate, low, high = (np.clip(v, 0, 1) for v in ppi_mean(model, truth[audited], model[audited],
                                                                  pseudo=PSEUDO_ERRORS))
        errors.append(np.abs(estimate - true_share))
        covered.append((low <= true_share) & (true_share <= high))
        widths.append(high - low)
        _, plain_low, plain_high = ppi_mean(model, truth[audited], model[audited])  # as ppi-python, lam=1
        plain_covered.append((plain_low <= true_share) & (true_share <= plain_high))
    return {
        "true": true_share, "raw": raw, "raw_error": np.abs(raw - true_share), "raw_covered": raw_covered,
        "error": np.mean(errors, axis=0), "coverage": np.mean(covered, axis=0), "width": np.mean(widths, axis=0),
        "plain_coverage": np.mean(plain_covered, axis=0),
    }


def report(name: str, result: dict, audit_size: int, draws: int, seconds: float, focus: tuple[str, ...] = ()) -> None:
    raw_mae, mae = result["raw_error"].mean(), result["error"].mean()
    print(f"\n== {name}: {len(result['true'])} labels, audit of {audit_size}, {draws} draws ({seconds:.1f} s)")
    print(f"mean absolute error of the shares: raw {raw_mae:.4f}, corrected {mae:.4f} "
          f"(corrected / raw = {mae / raw_mae:.2f}; target at most 0.50 for the biased corpus)")
    print(f"95% interval coverage over all labels and draws: corrected {result['coverage'].mean():.3f} "
          f"(target at least 0.90); raw Wilson {result['raw_covered'].mean():.3f}")
    print(f"labels whose corrected interval covers the truth in at least 90% of draws: "
          f"{int((result['coverage'] >= 0.9).sum())} of {len(result['coverage'])} "
          f"(plain PPI, without the pseudo-errors: {int((result['plain_coverage'] >= 0.9).sum())}, "
          f"coverage {result['plain_coverage'].mean():.3f})")
    if focus:
        columns = [LABELS.index(label) for label in focus]
        print(f"mean absolute error over the deliberately biased labels ({', '.join(focus)}): "
              f"raw {result['raw_error'][columns].mean():.4f}, corrected {result['error'][columns].mean():.4f}")
    print(f"{'label':32} {'true':>6} {'raw':>6} {'|raw-true|':>10} {'|corr-true|':>11} {'coverage':>8} {'width':>6}")
    for j, label in enumerate(LABELS):
        print(f"{label:32} {result['true'][j]:6.3f} {result['raw'][j]:6.3f} {result['raw_error'][j]:10.3f} "
              f"{result['error'][j]:11.3f} {result['coverage'][j]:8.3f} {result['width'][j]:6.3f}")


THEME_SHARES = dict(zip(taxonomy.THEMES, (0.30, 0.12, 0.25, 0.18, 0.10, 0.08)))
FACTOR_SHARES = dict(zip(taxonomy.FACTORS, (0.04, 0.10, 0.03, 0.06, 0.12, 0.05, 0.08, 0.11)))
STAGE_SHARES = {"insight": 0.10, "action": 0.25, "outcome": 0.12}


# The labels the ``biased`` classifier gets badly wrong: it misses 60% of the first two, over-labels the others.
BIASED = ("working_together", "engagement", "capacity_and_resources", "monitoring")


def biased(rng) -> tuple[np.ndarray, np.ndarray]:
    truth = corpus(2000, {**THEME_SHARES, **FACTOR_SHARES}, STAGE_SHARES, rng)
    recall = {label: 0.85 for label in LABELS} | {label: 0.40 for label in BIASED[:2]}
    false_positive = {label: 0.02 for label in LABELS} | {BIASED[2]: 0.10, BIASED[3]: 0.06}
    return truth, classifier(truth, recall, false_positive, rng)


def one_report(rng) -> tuple[np.ndarray, np.ndarray]:
    factor_shares = dict(zip(taxonomy.FACTORS, (0.02, 0.06, 0.01, 0.04, 0.12, 0.05, 0.08, 0.11)))
    truth = corpus(200, {**THEME_SHARES, **factor_shares}, STAGE_SHARES, rng)
    theme_recall = dict(zip(taxonomy.THEMES, (0.90, 0.70, 0.95, 0.62, 0.80, 0.75)))
    recall = {**theme_recall, **{f: 0.33 for f in taxonomy.FACTORS}, "insight": 0.2, "action": 0.3, "outcome": 0.2}
    false_positive = {label: 0.01 for label in LABELS}
    return truth, classifier(truth, recall, false_positive, rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--audit", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scenarios = (("biased classifier, 2,000 passages", biased, BIASED), ("one report, 200 passages", one_report, ()))
    for name, make, focus in scenarios:
        truth, model = make(np.random.default_rng(args.seed))
        start = time.perf_counter()
        result = simulate(truth, model, args.audit, args.draws, args.seed)
        report(name, result, args.audit, args.draws, time.perf_counter() - start, focus)

if __name__ == "__main__":
    main()
