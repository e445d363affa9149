"""The classifier: train, save, reload, thresholds, calibration, model folder checks, evaluation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from textmine.classify import (
    PassageClassifier,
    _best_threshold,
    head_names,
    nb_scale,
    load_examples,
    probs_to_labels,
    validate_example,
)
from textmine.errors import BadInput, IncompatibleModel, ModelNotFound
from textmine.evaluate import binary_scores, evaluate

TEXTS = [
    "Caseloads are far too high and agency staff leave within months.",
    "The LGA should fund a return visit after six months.",
    "Young people told us nobody asks what they think.",
    "Thank you for your hospitality during the week.",
]


def test_save_and_reload_give_identical_predictions(tiny_model_dir):
    model = PassageClassifier.load(tiny_model_dir)
    again = PassageClassifier.load(tiny_model_dir)
    p1 = model.predict_proba(TEXTS, ["Workforce", "", "", ""])
    p2 = again.predict_proba(TEXTS, ["Workforce", "", "", ""])
    assert p1.shape == (4, len(head_names()))
    assert np.array_equal(p1, p2)
    assert model.predict(TEXTS) == again.predict(TEXTS)


def test_training_is_deterministic(tiny_examples):
    a = PassageClassifier(folds=3).fit(tiny_examples)
    b = PassageClassifier(folds=3).fit(tiny_examples)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.thresholds_, b.thresholds_)


def test_it_learns_the_training_signal(tiny_model_dir):
    model = PassageClassifier.load(tiny_model_dir)
    out = model.predict(["Caseloads average 28 and a third of social workers are agency staff."])[0]
    assert "capacity_and_resources" in out["themes"]
    scores = model.predict_proba(["The LGA should offer a follow-up visit six months after every review."])[0]
    assert scores[head_names().index("recommendation")] > scores[head_names().index("voice_of_the_child")]


def test_predictions_keep_calibrated_scores_for_every_label(tiny_model_dir):
    out = PassageClassifier.load(tiny_model_dir).predict(TEXTS)
    for row in out:
        assert set(row["scores"]) == set(head_names())
        assert all(0.0 <= v <= 1.0 for v in row["scores"].values())
        assert row["stage"] in (None, "insight", "action", "outcome")
        assert (row["audience"] is None) == (not row["recommendation"])


def test_calibration_maps_decisions_monotonically(tiny_model_dir):
    model = PassageClassifier.load(tiny_model_dir)
    a = model.platt_[:, 0]
    assert np.all(a >= 0), "a higher decision value must never mean a lower probability"
    assert np.all((model.thresholds_ >= 0.1) & (model.thresholds_ <= 0.9))


def test_best_threshold_maximises_f1():
    probs = np.array([0.9, 0.8, 0.35, 0.3, 0.1])
    truth = np.array([1, 1, 1, 0, 0])
    t = _best_threshold(probs, truth)
    assert 0.3 < t <= 0.35  # keeps the 0.35 positive, drops the 0.3 negative


def test_cue_phrases_match_whole_words_symbols_anywhere_and_curly_apostrophes():
    from textmine import taxonomy
    from textmine.classify import Featuriser

    feat = Featuriser(cue_labels_=list(taxonomy.CUES))
    counts = np.expm1(feat.cue_counts([
        "Savings of £2m were found.",                       # "£" inside a token, "savings"
        "The director of children\u2019s services chaired it.",  # curly apostrophe
        "A separate moderate corporate plan.",              # "rate" must not match inside words
    ]).toarray()).round()
    col = {label: j for j, label in enumerate(taxonomy.CUES)}
    assert counts[0, col["capacity_and_resources"]] == 2
    assert counts[1, col["vision_strategy_leadership"]] == 1
    assert counts[2, col["outcome"]] == 0 and counts[2, col["vision_strategy_leadership"]] == 1


def test_naive_bayes_scaling_stretches_the_features_that_separate_the_classes():
    from scipy import sparse

    # column 0 only in positives, column 1 everywhere, column 2 only in negatives
    X = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1]], dtype=float))
    y = np.array([1, 1, 0, 0])
    full = nb_scale(X, y, weight=1.0)
    assert full[0] > full[1] and full[2] > full[1]
    assert full.mean() == pytest.approx(1.0)
    half = nb_scale(X, y, weight=0.5)
    assert np.allclose(half, 0.5 * full + 0.5)
    assert np.array_equal(nb_scale(X, y, weight=0.0), np.ones(3))


def test_the_scaling_weight_is_saved_with_the_model(tiny_examples, tmp_path):
    plain = PassageClassifier(nb_weight=0.0).fit(tiny_examples)
    scaled = PassageClassifier(nb_weight=1.0).fit(tiny_examples)
    assert not np.allclose(plain.coef_, scaled.coef_)
    again = PassageClassifier.load(scaled.save(tmp_path / "m"))
    assert again.nb_weight == 1.0
    assert np.allclose(again.predict_proba(TEXTS), scaled.predict_proba(TEXTS), atol=1e-6)


def test_probs_to_labels_applies_thresholds_and_picks_one_stage():
    names = head_names()
    probs = np.zeros((1, len(names)))
    thresholds = np.full(len(names), 0.5)
    for label, p in {"working_together": 0.7, "action": 0.6, "outcome": 0.9, "recommendation": 0.8, "audience_lga": 0.2, "monitoring": 0.4}.items():
        probs[0, names.index(label)] = p
    out = probs_to_labels(probs, thresholds)[0]
    assert out["themes"] == ["working_together"]
    assert out["factors"] == []
    assert out["stage"] == "outcome"
    assert out["recommendation"] is True and out["audience"] == "council"


def test_an_unfitted_model_says_so():
    with pytest.raises(RuntimeError, match="not fitted"):
        PassageClassifier().predict(["text"])


def test_a_missing_model_folder_fails_clearly(tmp_path):
    with pytest.raises(ModelNotFound, match="not a textmine model folder"):
        PassageClassifier.load(tmp_path)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format_version": 0}, "model format 0"),
        ({"format": "spacy-textcat"}, "'spacy-textcat' model"),
        ({"heads": ["a", "b"]}, "another label set"),
    ],
)
def test_an_older_or_foreign_model_folder_fails_with_a_clear_message(tmp_path, tiny_model_dir, change, message):
    folder = tmp_path / "old"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "model.json").read_text())
    config.update(change)
    (folder / "model.json").write_text(json.dumps(config))
    with pytest.raises(IncompatibleModel, match=message):
        PassageClassifier.load(folder)


def test_the_model_folder_holds_no_pickles(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert names == {"model.json", "weights.npz", "features.json", "metrics.json", "MODEL_CARD.md"}
    config = json.loads((tiny_model_dir / "model.json").read_text())
    assert len(config["data_hash"]) == 64 and config["thresholds"].keys() == set(head_names())
    card = (tiny_model_dir / "MODEL_CARD.md").read_text()
    assert "cross validated" in card and "Known weaknesses" in card


@pytest.mark.parametrize(
    "record, message",
    [
        ({"text": "x", "themes": ["voice"]}, "unknown theme 'voice'"),
        ({"text": "x", "factors": ["timing"]}, "unknown factor 'timing'"),
        ({"text": "x", "stage": "impact"}, "unknown stage 'impact'"),
        ({"text": "x", "recommendation": True, "audience": "dfe"}, "unknown audience 'dfe'"),
    ],
)
def test_training_data_with_unknown_labels_is_refused(record, message):
    with pytest.raises(BadInput, match=message):
        validate_example(record)


def test_malformed_training_lines_name_the_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n{not json}\n')
    with pytest.raises(BadInput, match=r"bad.jsonl: line 2 is not valid JSON"):
        load_examples([path])


def test_binary_scores_and_kappa_by_hand():
    truth = np.array([1, 1, 0, 0, 1, 0])
    pred = np.array([1, 0, 0, 1, 1, 0])
    s = binary_scores(truth, pred)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    # observed agreement 4/6, expected 0.5*0.5 + 0.5*0.5 = 0.5 -> kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert s["kappa"] == pytest.approx(1 / 3)


def test_evaluate_macro_averages_only_labels_present(tiny_examples):
    perfect = [{**e} for e in tiny_examples]
    result = evaluate(tiny_examples, perfect)
    assert result["macro"]["theme"]["f1"] == pytest.approx(1.0)
    assert result["labels"]["flexibility"]["support"] == 0
    assert result["macro"]["recommendation"]["f1"] == pytest.approx(1.0)


def test_corrections_join_and_override_the_training_data(tmp_path, tiny_examples):
    from textmine.corrections import save_correction
    from textmine.training import gather_examples

    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(e) for e in tiny_examples))
    passage = {"id": "x1", "text": tiny_examples[0]["text"], "section": "", "themes": ["capacity_and_resources"],
               "factors": [], "stage": None, "recommendation": False, "audience": None}
    save_correction(tmp_path, passage, {"themes": ["working_together"]}, author="ana")
    save_correction(tmp_path, {**passage, "id": "x2", "text": "A brand new corrected passage."}, {"stage": "outcome"})
    examples = gather_examples([data], [tmp_path / "corrections.sqlite"])
    by_text = {e["text"]: e for e in examples}
    assert len(examples) == len(tiny_examples) + 1
    assert by_text[tiny_examples[0]["text"]]["themes"] == ["working_together"]
    assert by_text["A brand new corrected passage."]["stage"] == "outcome"


def test_the_train_flow_writes_a_versioned_model_folder(prefect_api, tmp_path, tiny_examples):
    from textmine.flows.train import train_flow

    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(e) for e in tiny_examples))
    other = tmp_path / "other.jsonl"
    other.write_text("\n".join(json.dumps(e) for e in tiny_examples[:6]))
    folder = Path(train_flow([str(data)], [], str(tmp_path / "models"), [str(data), str(other)], set_default=True))
    assert folder.name.startswith("tm-") and (folder / "MODEL_CARD.md").exists()
    metrics = json.loads((folder / "metrics.json").read_text())
    assert set(metrics) >= {"cross_validated", "held_out_train", "held_out_other"}
    assert metrics["held_out_other"]["n"] == 6
    again = PassageClassifier.load(tmp_path / "models" / "default")
    assert again.info_["version"] == folder.name


def test_the_comparison_scores_each_approach_out_of_fold_and_on_held_out_sets(tiny_examples):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_compare", Path(__file__).parent.parent / "bench" / "compare.py")
    bench_compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_compare)
    compare, tfidf_logistic = bench_compare.compare, bench_compare.tfidf_logistic

    seen: list[tuple[set, set]] = []

    def recording(train, test):
        seen.append(({e["text"] for e in train}, {e["text"] for e in test}))
        return tfidf_logistic(train, test)

    held_out = tiny_examples[:5]
    results = compare(tiny_examples[5:], {"extra": held_out}, folds=3, approaches={"recorded": recording})
    folds, final = seen[:3], seen[3]
    assert all(not (train & test) for train, test in folds), "a fold was scored by a model trained on it"
    assert set().union(*(test for _, test in folds)) == {e["text"] for e in tiny_examples[5:]}
    assert final[1] == {e["text"] for e in held_out} and not (final[0] & final[1])
    assert set(results["recorded"]) == {"cross_validated", "held_out_extra"}
    assert 0.0 <= results["recorded"]["held_out_extra"]["theme"]["f1"] <= 1.0


def test_the_model_card_tabulates_the_comparison_per_evaluation_set(tiny_examples):
    from textmine.training import model_card

    macro = {axis: {"f1": f1} for axis, f1 in
             (("theme", 0.81), ("factor", 0.7), ("stage_action_outcome", 0.75), ("recommendation", 0.9))}
    card = model_card("tm-x", tiny_examples, {}, {"plain": {"cross_validated": macro, "held_out_extra": macro}},
                      {"nb_weight": 0.5})
    assert "### cross validated" in card and "### held out extra" in card
    assert card.count("| plain | 0.810 | 0.700 | 0.750 | 0.900 |") == 2
    assert "weight 0.5" in card and "averaged in (weight 0)" in card


def test_the_plain_head_is_averaged_in_over_the_word_and_character_columns_only(tiny_examples):
    only_plain = PassageClassifier(plain_mix=1.0).fit(tiny_examples)
    text_columns = only_plain.featuriser_.text_columns()
    assert np.count_nonzero(only_plain.coef_[:, text_columns:]) == 0
    assert np.count_nonzero(only_plain.coef_[:, :text_columns]) > 0
    mixed = PassageClassifier(plain_mix=0.5).fit(tiny_examples)
    none = PassageClassifier(plain_mix=0.0).fit(tiny_examples)
    assert np.allclose(mixed.coef_, 0.5 * none.coef_ + 0.5 * only_plain.coef_)


def test_a_model_version_changes_with_the_data_and_with_the_settings(tiny_examples):
    from textmine.training import model_version_name

    params = PassageClassifier().params()
    assert model_version_name(tiny_examples, params) == model_version_name(list(tiny_examples), dict(params))
    assert model_version_name(tiny_examples[1:], params) != model_version_name(tiny_examples, params)
    assert model_version_name(tiny_examples, {**params, "plain_mix": 0.0}) != model_version_name(tiny_examples, params)
