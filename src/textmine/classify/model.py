"""The passage classifier: linear heads over the features, calibrated and cut per label.

Both estimators follow scikit-learn's contract (``__init__`` stores the settings,
``fit`` returns ``self``, learned state ends in ``_``, ``predict`` checks it was
fitted), so ``clone``, ``cross_val_predict`` and ``get_params`` work on them:

- ``LinearHeads``: one logistic head per label over a sparse feature matrix, each
  NB-scaled (Wang and Manning's NBSVM) and averaged with a plain logistic head
  over the text's own n-grams; the result is one weight matrix.
- ``PassageClassifier``: the featuriser (``features.make_featuriser``) and the
  heads. Scores are calibrated and cut per label with scikit-learn's
  ``CalibratedClassifierCV`` (sigmoid) and ``TunedThresholdClassifierCV`` on
  out-of-fold scores from folds that hold out whole groups of training data (by
  default a batch: one writer's voice), so the cuts are set on text in a voice the
  model has not read, as a real report is. Each cut maximises F-beta, with recall
  weighted per axis (``RECALL_WEIGHTS``): on real reports the model's precision
  holds while its recall drops, most for factors. With ``clause_pooling`` a
  passage that enumerates (``features.clauses``) is also scored item by item and
  each theme and factor keeps its best score.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.model_selection import GroupKFold, KFold, TunedThresholdClassifierCV, cross_val_predict
from sklearn.utils.validation import check_is_fitted

from .. import taxonomy
from .examples import AUDIENCE_LGA, HEAD_AXES, RECOMMENDATION, head_names
from .features import clauses, make_featuriser, passages_frame, plain_columns

THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)  # the cuts TunedThresholdClassifierCV tries
MIN_POSITIVES = 3  # fewer positives than this in the calibration data: keep the head's own scores
# How much recall counts against precision when a head's cut is chosen (F-beta's beta), by axis.
# On real reports precision holds and recall falls, most of all for factors (see the model card).
RECALL_WEIGHTS = {"theme": 1.0, "factor": 2.0, "stage": 1.5, "recommendation": 1.0, "audience": 1.0}


def nb_scale(X, y: np.ndarray, weight: float, sample_weight: np.ndarray | None = None, alpha: float = 1.0) -> np.ndarray:
    """Per-feature scale from naive Bayes log-count ratios (Wang and Manning's NBSVM).

    Features whose mass differs most between positive and negative passages are
    stretched before the logistic fit; ``weight`` interpolates between no scaling
    (0) and the full ratio (1), normalised to mean 1.
    """
    if weight <= 0:
        return np.ones(X.shape[1])
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    pos = alpha + np.asarray(X.T @ (w * (y == 1))).ravel()
    neg = alpha + np.asarray(X.T @ (w * (y == 0))).ravel()
    ratio = np.abs(np.log((pos / pos.sum()) / (neg / neg.sum())))
    return weight * ratio / ratio.mean() + (1 - weight)


class LinearHeads(BaseEstimator):
    """One logistic-regression head per label over a sparse feature matrix.

    Parameters
    ----------
    heads:
        The label names, one per column of ``Y``.
    conditional:
        Heads learnt only on the passages where another head's target is 1 (the
        audience of a recommendation): ``{head: condition head}``.
    C:
        Inverse regularisation strength of every head.
    nb_weight:
        How far features are scaled by naive Bayes log-count ratios before the fit
        (0 = plain logistic regression, 1 = NBSVM); folded into the weights.
    plain_mix, plain_C, plain_columns:
        Weight and regularisation of a plain logistic head over the first
        ``plain_columns`` features (the text's n-grams), averaged into each head.
    """

    def __init__(self, heads: Sequence[str] = (), conditional: dict[str, str] | None = None, C: float = 8.0,
                 nb_weight: float = 0.5, plain_mix: float = 0.5, plain_C: float = 4.0, plain_columns: int | None = None):
        self.heads = heads
        self.conditional = conditional
        self.C = C
        self.nb_weight = nb_weight
        self.plain_mix = plain_mix
        self.plain_C = plain_C
        self.plain_columns = plain_columns

    def fit(self, X, Y, sample_weight=None) -> "LinearHeads":
        X = sparse.csr_matrix(X)
        Y = np.asarray(Y)
        heads = list(self.heads)
        if Y.ndim != 2 or Y.shape[1] != len(heads):
            raise ValueError(f"Y must have one column per head ({len(heads)}), not shape {Y.shape}")
        weights = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        coefs, intercepts = [], []
        for j, head in enumerate(heads):
            rows = np.ones(X.shape[0], bool)
            if head in (self.conditional or {}):
                rows = Y[:, heads.index(self.conditional[head])] == 1
            y, w = Y[rows, j], weights[rows]
            if len(y) == 0 or y.min() == y.max():  # nothing to learn: a constant head
                coefs.append(np.zeros(X.shape[1]))
                intercepts.append(5.0 if len(y) and y.max() == 1 else -5.0)
                continue
            Xj = X[rows]
            scale = nb_scale(Xj, y, self.nb_weight, w)
            lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000, solver="liblinear")
            lr.fit(Xj @ sparse.diags(scale), y, sample_weight=w)
            coef, intercept = lr.coef_[0] * scale, float(lr.intercept_[0])
            if self.plain_mix > 0 and self.plain_columns:
                plain = LogisticRegression(C=self.plain_C, class_weight="balanced", max_iter=2000, solver="liblinear")
                plain.fit(Xj[:, : self.plain_columns], y, sample_weight=w)
                coef = (1 - self.plain_mix) * coef
                coef[: self.plain_columns] += self.plain_mix * plain.coef_[0]
                intercept = (1 - self.plain_mix) * intercept + self.plain_mix * float(plain.intercept_[0])
            coefs.append(coef)
            intercepts.append(intercept)
        self.coef_ = np.vstack(coefs)
        self.intercept_ = np.asarray(intercepts, dtype=float)
        return self

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(X @ self.coef_.T) + self.intercept_


class _ScoreColumn(ClassifierMixin, BaseEstimator):
    """A fitted binary 'classifier' whose decision value is its one input column.

    It lets scikit-learn's calibration and threshold tuning work on out-of-fold
    scores that were computed already.
    """

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X) -> np.ndarray:
        return np.asarray(X, dtype=float)[:, 0]

    def predict(self, X) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)


def calibrate_head(decisions: np.ndarray, truth: np.ndarray, sample_weight: np.ndarray | None = None,
                   recall_weight: float = 1.0) -> tuple[float, float, float]:
    """Sigmoid calibration and the best cut of one head: (slope, intercept, threshold).

    ``p = sigmoid(slope * decision + intercept)``; the threshold is on ``p`` and
    maximises F-beta with ``beta = recall_weight`` (1: F1; 2: recall counts twice).
    With too few positives the head keeps its own scores (slope 1, intercept 0) and a
    cut of 0.5.
    """
    if truth.sum() < MIN_POSITIVES or truth.min() == truth.max():
        return 1.0, 0.0, 0.5
    column = decisions.reshape(-1, 1)
    scores = FrozenEstimator(_ScoreColumn().fit(column, truth))
    with warnings.catch_warnings():  # the frozen scores need no weights; the sigmoid fit uses them
        warnings.filterwarnings("ignore", message="Since FrozenEstimator does not appear to accept sample_weight")
        # The scores are frozen, so the folds only shuffle which rows are scored when: any split will do.
        calibrated = CalibratedClassifierCV(scores, method="sigmoid", cv=KFold(2)).fit(
            column, truth, sample_weight=sample_weight)
    sigmoid = calibrated.calibrated_classifiers_[0].calibrators[0]
    slope, intercept = -float(sigmoid.a_), -float(sigmoid.b_)
    if slope <= 0:  # out-of-fold scores carry no ranking signal: do not invert the head
        return 1.0, 0.0, 0.5
    scoring = make_scorer(fbeta_score, beta=recall_weight)
    tuned = TunedThresholdClassifierCV(FrozenEstimator(calibrated), scoring=scoring, cv="prefit", refit=False,
                                       thresholds=THRESHOLDS).fit(column, truth)
    return slope, intercept, round(float(tuned.best_threshold_), 3)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class PassageClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier of review passages and their context (scikit-learn style).

    ``X`` is a data frame or a list of passage dicts (``features.passages_frame``);
    ``Y`` is a binary matrix with one column per head (``examples.head_names``).

    Parameters
    ----------
    C, nb_weight, plain_mix, plain_C:
        Settings of the linear heads (see ``LinearHeads``).
    feature_weights:
        Weights of the feature blocks, over ``features.DEFAULT_WEIGHTS``.
    clause_pooling:
        Also score the items of passages that enumerate; themes and factors keep
        their best score (off by default: it did not help on real text).
    recall_weights:
        F-beta's beta for each axis when a cut is chosen, over ``RECALL_WEIGHTS``.
    folds:
        Cross-validation folds (grouped, see ``fit``) for the out-of-fold scores that
        calibration and thresholds are set on.
    calibrate:
        Calibrate and tune thresholds in ``fit`` (off inside the cross-validation).
    seed:
        Seed of the fold split; training is deterministic.
    """

    def __init__(self, C: float = 8.0, nb_weight: float = 0.5, plain_mix: float = 0.5, plain_C: float = 4.0,
                 feature_weights: dict[str, float] | None = None, clause_pooling: bool = False,
                 recall_weights: dict[str, float] | None = None, folds: int = 5, calibrate: bool = True, seed: int = 13):
        self.C = C
        self.nb_weight = nb_weight
        self.plain_mix = plain_mix
        self.plain_C = plain_C
        self.feature_weights = feature_weights
        self.clause_pooling = clause_pooling
        self.recall_weights = recall_weights
        self.folds = folds
        self.calibrate = calibrate
        self.seed = seed

    # -- fitting
    def fit(self, X, Y, sample_weight=None, groups=None) -> "PassageClassifier":
        """Fit the featuriser and heads; then calibrate on out-of-fold scores.

        ``groups`` (a group id per passage: its batch, or document) keeps each group
        in one fold, so a passage's out-of-fold score comes from a model that read
        nothing of its group.
        """
        frame = passages_frame(X)
        Y = np.asarray(Y, dtype=np.int8)
        if len(frame) != len(Y):
            raise ValueError(f"X has {len(frame)} passages but Y has {len(Y)} rows")
        if len(frame) < 4:
            raise ValueError(f"need at least 4 training passages, got {len(frame)}")
        unknown = set(self.recall_weights or {}) - set(RECALL_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown axis in recall_weights: {', '.join(sorted(unknown))}; use {', '.join(RECALL_WEIGHTS)}")
        weights = np.ones(len(frame)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.heads_names_ = head_names()
        self.classes_ = np.asarray(self.heads_names_)
        self.featuriser_ = make_featuriser(self.feature_weights).fit(frame)
        self.heads_ = LinearHeads(
            self.heads_names_, {AUDIENCE_LGA: RECOMMENDATION}, self.C, self.nb_weight, self.plain_mix,
            self.plain_C, plain_columns(self.featuriser_),
        ).fit(self.featuriser_.transform(frame), Y, weights)
        self.calibration_ = np.tile([1.0, 0.0, 0.5], (len(self.heads_names_), 1))
        self.oof_decisions_ = None
        if self.calibrate:
            self.oof_decisions_ = self.out_of_fold(frame, Y, weights, groups)
            self.calibration_ = self._calibration(self.oof_decisions_, Y, weights)
        return self

    def out_of_fold(self, frame, Y, weights, groups=None) -> np.ndarray:
        """Decision values of every passage from a model that did not see its group.

        With fewer than two groups (one file of examples) every passage is a group of its own.
        """
        groups = np.arange(len(frame)) if groups is None or len(np.unique(groups)) < 2 else np.asarray(groups)
        splitter = GroupKFold(n_splits=min(self.folds, len(np.unique(groups))), shuffle=True, random_state=self.seed)
        inner = clone(self).set_params(calibrate=False)
        return cross_val_predict(inner, frame, Y, groups=groups, cv=splitter, method="decision_function",
                                 params={"sample_weight": weights})

    def _calibration(self, decisions, Y, weights) -> np.ndarray:
        """(slope, intercept, threshold) per head; the audience on the recommendations only."""
        betas = {**RECALL_WEIGHTS, **(self.recall_weights or {})}
        is_rec = Y[:, self.heads_names_.index(RECOMMENDATION)] == 1
        rows = []
        for j, head in enumerate(self.heads_names_):
            rows_of = is_rec if head == AUDIENCE_LGA else slice(None)
            rows.append(calibrate_head(decisions[rows_of, j], Y[rows_of, j], weights[rows_of], betas[HEAD_AXES[head]]))
        return np.asarray(rows)

    # -- predicting
    @property
    def thresholds_(self) -> np.ndarray:
        return self.calibration_[:, 2]

    def pooled_heads(self) -> np.ndarray:
        """Indices of the heads that keep the best score over a passage's clauses (themes and factors)."""
        return np.array([j for j, h in enumerate(self.heads_names_) if h in taxonomy.THEMES or h in taxonomy.FACTORS])

    def decision_function(self, X) -> np.ndarray:
        """Raw decision values, one column per head, pooled over clauses for themes and factors."""
        check_is_fitted(self, "heads_")
        frame = passages_frame(X)
        if not len(frame):
            return np.zeros((0, len(self.heads_names_)))
        decisions = self.heads_.decision_function(self.featuriser_.transform(frame))
        if self.clause_pooling:
            owners, pieces = [], []
            for i, text in enumerate(frame["text"]):
                for clause in clauses(text):
                    owners.append(i)
                    pieces.append(clause)
            if pieces:
                parts = frame.iloc[owners].assign(text=pieces)
                scores = self.heads_.decision_function(self.featuriser_.transform(parts))
                pool = self.pooled_heads()
                best = decisions[:, pool]
                np.maximum.at(best, np.asarray(owners), scores[:, pool])
                decisions[:, pool] = best
        return decisions

    def calibrated(self, decisions: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from decision values (of ``decision_function`` or ``oof_decisions_``)."""
        check_is_fitted(self, "calibration_")
        return _sigmoid(decisions * self.calibration_[:, 0] + self.calibration_[:, 1])

    def predict_proba(self, X) -> np.ndarray:
        """Calibrated probabilities, one column per head (see ``head_names``)."""
        return self.calibrated(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """A 0/1 matrix, one column per head: the probability at or above the head's threshold."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)


def probs_to_labels(probs: np.ndarray, thresholds: np.ndarray, with_scores: bool = True) -> list[dict]:
    """Decide labels from calibrated probabilities and per-head thresholds.

    A passage gets every theme and factor above its threshold, the stage furthest
    above its threshold (or none), and an audience when it is a recommendation.
    With ``with_scores`` each result carries its scores as a dict by head name;
    without, the caller keeps the probability rows (less memory for big runs).
    """
    names = head_names()
    idx = {n: i for i, n in enumerate(names)}
    theme_cols = [(t, idx[t]) for t in taxonomy.THEMES]
    factor_cols = [(f, idx[f]) for f in taxonomy.FACTORS]
    stage_cols = [(s, idx[s]) for s in taxonomy.STAGES]
    out = []
    for row in probs:
        above = row >= thresholds
        stage_scores = [(row[j] / thresholds[j], s) for s, j in stage_cols if above[j]]
        is_rec = bool(above[idx[RECOMMENDATION]])
        labels = {
            "themes": [t for t, j in theme_cols if above[j]],
            "factors": [f for f, j in factor_cols if above[j]],
            "stage": max(stage_scores)[1] if stage_scores else None,
            "recommendation": is_rec,
            "audience": ("lga" if above[idx[AUDIENCE_LGA]] else "council") if is_rec else None,
        }
        if with_scores:
            labels["scores"] = scores_dict(row)
        out.append(labels)
    return out


def scores_dict(row) -> dict[str, float]:
    """Scores by head name from a probability row (or a dict, returned as it is)."""
    if isinstance(row, dict):
        return row
    return {n: round(float(p), 4) for n, p in zip(head_names(), row)}
