"""The classifier: scikit-learn contract, context features, clause pooling, calibration, saving and loading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from textmine.classify import (
    PassageClassifier,
    head_names,
    label_matrix,
    load_examples,
    load_model_folder,
    nb_scale,
    probs_to_labels,
    validate_example,
)
from textmine.classify.features import LAYOUT_FEATURES, clauses, layout_row, passages_frame
from textmine.errors import BadInput, IncompatibleModel, ModelNotFound
from textmine.evaluate import binary_scores, evaluate

from make_hostile import TAMPERED  # the model-folder tamperings, shared with tests/test_hostile.py

TEXTS = [
    "Caseloads are far too high and agency staff leave within months.",
    "The LGA should fund a return visit after six months.",
    "Young people told us nobody asks what they think.",
    "Thank you for your hospitality during the week.",
]
PASSAGES = [{"text": t} for t in TEXTS]


def fit(examples, **params) -> PassageClassifier:
    return PassageClassifier(folds=3, **params).fit(examples, label_matrix(examples))


def test_save_and_reload_give_identical_predictions(tiny_model_dir):
    model = load_model_folder(tiny_model_dir)
    again = load_model_folder(tiny_model_dir)
    with_context = [{**p, "section": "Workforce", "kind": "bullet", "lead_in": "A year on, these had changed:"} for p in PASSAGES]
    for passages in (PASSAGES, with_context):
        p1, p2 = model.predict_proba(passages), again.predict_proba(passages)
        assert p1.shape == (4, len(head_names()))
        assert np.array_equal(p1, p2)
    assert np.array_equal(model.predict(PASSAGES), again.predict(PASSAGES))


def test_a_reloaded_model_predicts_what_the_fitted_one_did(tiny_examples, tmp_path):
    from textmine.classify import save_model

    model = fit(tiny_examples)
    again = load_model_folder(save_model(model, tmp_path / "m"))
    assert np.allclose(model.predict_proba(PASSAGES), again.predict_proba(PASSAGES), atol=1e-6)
    assert again.get_params() == model.get_params()


def test_training_is_deterministic(tiny_examples):
    a, b = fit(tiny_examples), fit(tiny_examples)
    assert np.array_equal(a.heads_.coef_, b.heads_.coef_) and np.array_equal(a.calibration_, b.calibration_)


def test_the_model_follows_the_scikit_learn_contract(tiny_examples):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    model = PassageClassifier(C=2.0, clause_pooling=False)
    assert model.get_params()["C"] == 2.0 and not hasattr(model, "heads_")
    with pytest.raises(NotFittedError):
        model.predict(PASSAGES)
    fitted = model.fit(tiny_examples, label_matrix(tiny_examples))
    assert fitted is model
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "heads_")
    predicted = fitted.predict(PASSAGES)
    assert predicted.dtype == np.int8 and predicted.shape == (4, len(head_names()))
    assert set(np.unique(predicted)) <= {0, 1}


def test_it_learns_the_training_signal(tiny_model_dir):
    model = load_model_folder(tiny_model_dir)
    out = probs_to_labels(model.predict_proba([{"text": "Caseloads average 28 and a third of social workers are agency staff."}]),
                          model.thresholds_)[0]
    assert "capacity_and_resources" in out["themes"]
    scores = model.predict_proba([{"text": "The LGA should offer a follow-up visit six months after every review."}])[0]
    assert scores[head_names().index("recommendation")] > scores[head_names().index("voice_of_the_child")]


def test_predictions_keep_calibrated_scores_for_every_label(tiny_model_dir):
    model = load_model_folder(tiny_model_dir)
    for row in probs_to_labels(model.predict_proba(PASSAGES), model.thresholds_):
        assert set(row["scores"]) == set(head_names())
        assert all(0.0 <= v <= 1.0 for v in row["scores"].values())
        assert row["stage"] in (None, "insight", "action", "outcome")
        assert (row["audience"] is None) == (not row["recommendation"])


def test_calibration_maps_decisions_monotonically_and_thresholds_are_probabilities(tiny_model_dir):
    model = load_model_folder(tiny_model_dir)
    assert np.all(model.calibration_[:, 0] > 0), "a higher decision value must never mean a lower probability"
    assert np.all((model.thresholds_ > 0) & (model.thresholds_ < 1))


def test_calibrate_head_fits_a_sigmoid_and_the_f1_best_cut():
    from textmine.classify.model import calibrate_head

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 600)
    decisions = rng.normal(2.0 * truth - 1.0, 1.0)
    slope, intercept, threshold = calibrate_head(decisions, truth)
    assert 1.5 < slope < 2.5 and abs(intercept) < 0.4  # the true log-odds are 2 * d
    assert 0.2 < threshold < 0.6
    assert calibrate_head(decisions, np.zeros(600, int)) == (1.0, 0.0, 0.5)  # nothing to calibrate on


def lead_in_examples() -> list[dict]:
    """The same list items under a lead-in about early steps (action) and one about a year on (outcome)."""
    items = ["stronger audit procedures;", "a new threshold document;", "clearer supervision records;",
             "better recording of visits;", "a revised early help offer;", "quicker allocation of cases."]
    early = "In the first months after the review councils had taken steps. These included:"
    later = "A year on, councils described tangible change. These included:"
    raw = [{"text": t, "kind": "bullet", "lead_in": early, "stage": "action"} for t in items]
    raw += [{"text": t, "kind": "bullet", "lead_in": later, "stage": "outcome"} for t in items]
    raw += [{"text": "The council thanked the team.", "kind": "paragraph"}, {"text": "Contact the review manager.", "kind": "paragraph"}]
    return [validate_example(r) for r in raw]


def test_a_bullet_takes_its_stage_from_the_lead_in_of_its_list():
    model = fit(lead_in_examples(), clause_pooling=False)
    item = "shorter waits for an assessment;"
    early = {"text": item, "kind": "bullet", "lead_in": "In the early months councils had taken steps. These included:"}
    later = {"text": item, "kind": "bullet", "lead_in": "Twelve months on there was tangible change. These included:"}
    probs = model.predict_proba([early, later])
    action, outcome = head_names().index("action"), head_names().index("outcome")
    assert probs[1, outcome] > probs[0, outcome] and probs[0, action] > probs[1, action]


def test_a_passage_classifies_with_and_without_context():
    model = fit(lead_in_examples(), clause_pooling=False)
    bare = model.predict_proba([{"text": "better recording of visits;"}])
    dressed = model.predict_proba([{"text": "better recording of visits;", "section": "Impacts", "kind": "bullet",
                                    "lead_in": "A year on, councils described tangible change. These included:",
                                    "row_header": None, "col_header": None}])
    assert bare.shape == dressed.shape == (1, len(head_names()))
    assert np.all((bare >= 0) & (bare <= 1))
    assert not np.allclose(bare, dressed), "the context fields must reach the features"


def test_clause_pooling_keeps_each_theme_and_factor_at_its_best_clause(tiny_examples):
    pooled = fit(tiny_examples, clause_pooling=True)
    passage = {"text": "Key points were: caseloads average 28 per worker; the peer team included a director from a "
                       "similar council; health and police rarely attend strategy meetings."}
    parts = [{"text": c} for c in clauses(passage["text"])]
    assert len(parts) == 4
    pooled_scores = pooled.decision_function([passage])[0]
    whole = pooled.set_params(clause_pooling=False).decision_function([passage])[0]
    best_clause = pooled.decision_function(parts).max(axis=0)  # pooling off still, clause by clause
    pool = pooled.pooled_heads()
    assert np.allclose(pooled_scores[pool], np.maximum(whole, best_clause)[pool])
    others = np.setdiff1d(np.arange(len(head_names())), pool)
    assert np.allclose(pooled_scores[others], whole[others])  # stage and recommendation read the whole passage


def test_layout_features_read_imperative_mood_lists_and_the_column():
    row = dict(zip(LAYOUT_FEATURES, layout_row("Invite partners to the feedback session.", "table_cell", "",
                                               "How can the LGA help?")))
    assert row["imperative"] == 1.0 and row["column_lga"] == 1.0 and row["kind_table_cell"] == 1.0
    row = dict(zip(LAYOUT_FEATURES, layout_row("improved quality assurance procedures;", "bullet",
                                               "One year on, these changes were cited:", "")))
    assert row["imperative"] == 0.0 and row["ends_semicolon"] == 1.0 and row["starts_lower"] == 1.0
    assert row["first_word_change"] == 1.0 and row["lead_in_later"] > 0 and row["lead_in_early"] == 0


def test_passages_frame_fills_missing_context_with_empty_strings():
    frame = passages_frame([{"text": "a", "section": None}, {"text": "b", "kind": "bullet", "extra": 1}])
    assert list(frame.columns) == ["text", "section", "kind", "lead_in", "row_header", "col_header"]
    assert frame.loc[0, "section"] == "" and frame.loc[1, "kind"] == "bullet"


def test_naive_bayes_scaling_stretches_the_features_that_separate_the_classes():
    from scipy import sparse

    # column 0 only in positives, column 1 everywhere, column 2 only in negatives
    X = sparse.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 1, 1]], dtype=float))
    y = np.array([1, 1, 0, 0])
    full = nb_scale(X, y, weight=1.0)
    assert full[0] > full[1] and full[2] > full[1]
    assert full.mean() == pytest.approx(1.0)
    assert np.allclose(nb_scale(X, y, weight=0.5), 0.5 * full + 0.5)
    assert np.array_equal(nb_scale(X, y, weight=0.0), np.ones(3))


def test_the_plain_head_is_averaged_in_over_the_text_columns_only(tiny_examples):
    from textmine.classify.features import plain_columns

    only_plain = fit(tiny_examples, plain_mix=1.0, clause_pooling=False)
    text_columns = plain_columns(only_plain.featuriser_)
    assert np.count_nonzero(only_plain.heads_.coef_[:, text_columns:]) == 0
    assert np.count_nonzero(only_plain.heads_.coef_[:, :text_columns]) > 0
    mixed, none = fit(tiny_examples, plain_mix=0.5), fit(tiny_examples, plain_mix=0.0)
    assert np.allclose(mixed.heads_.coef_, 0.5 * none.heads_.coef_ + 0.5 * only_plain.heads_.coef_)


def test_the_audience_head_learns_from_recommendations_only(tiny_examples):
    from textmine.classify.model import LinearHeads

    Y = label_matrix(tiny_examples)
    names = head_names()
    audience, rec = names.index("audience_lga"), names.index("recommendation")
    flipped = Y.copy()
    flipped[Y[:, rec] == 0, audience] = 1  # noise where the audience does not apply
    X = PassageClassifier().fit(tiny_examples, Y).featuriser_.transform(passages_frame(tiny_examples))
    kwargs = dict(heads=names, conditional={"audience_lga": "recommendation"}, plain_columns=None)
    a = LinearHeads(**kwargs).fit(X, Y)
    b = LinearHeads(**kwargs).fit(X, flipped)
    assert np.allclose(a.coef_[audience], b.coef_[audience])


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


def test_a_missing_model_folder_fails_clearly(tmp_path):
    with pytest.raises(ModelNotFound, match="not a textmine model folder"):
        load_model_folder(tmp_path)


@pytest.mark.parametrize("tamper, message", TAMPERED, ids=[m for _, m in TAMPERED])
def test_a_tampered_or_broken_model_folder_is_refused_with_one_clear_line(tmp_path, tiny_model_dir, tamper, message):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    tamper(folder)
    with pytest.raises(IncompatibleModel, match=message) as caught:
        load_model_folder(folder)
    assert str(folder) in str(caught.value) and "\n" not in str(caught.value)


def test_the_model_folder_holds_no_pickles(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert names == {"model.json", "weights.npz", "features.json", "metrics.json", "MODEL_CARD.md"}
    config = json.loads((tiny_model_dir / "model.json").read_text())
    assert len(config["data_hash"]) == 64 and config["thresholds"].keys() == set(head_names())
    with np.load(tiny_model_dir / "weights.npz", allow_pickle=False) as data:
        assert all(data[k].dtype.kind == "f" for k in data.files)
    card = (tiny_model_dir / "MODEL_CARD.md").read_text()
    assert "cross validated" in card and "Known weaknesses" in card


@pytest.mark.parametrize(
    "record, message",
    [
        ({"text": "x", "themes": ["voice"]}, "unknown theme 'voice'"),
        ({"text": "x", "factors": ["timing"]}, "unknown factor 'timing'"),
        ({"text": "x", "stage": "impact"}, "unknown stage 'impact'"),
        ({"text": "x", "recommendation": True, "audience": "dfe"}, "unknown audience 'dfe'"),
        ({"text": "x", "kind": "footnote"}, "unknown kind 'footnote'"),
        ({"text": "x", "weight": -1}, "weight must be a positive number"),
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
    path.write_text('{"text": "fine", "section": 3}\n')
    with pytest.raises(BadInput, match=r"line 1: section must be a string"):
        load_examples([path])


def test_examples_of_one_document_share_a_cross_validation_group(tmp_path):
    from textmine.classify import document_groups

    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps({"text": t, "doc": d}) for t, d in (("a", "r1"), ("b", "r1"), ("c", "r2"))))
    loose = tmp_path / "loose.jsonl"
    loose.write_text('{"text": "d"}\n{"text": "e"}\n')
    groups = document_groups(load_examples([path, loose]))
    assert groups[0] == groups[1] != groups[2] and len(set(groups)) == 4


def test_binary_scores_and_kappa_by_hand():
    truth = np.array([1, 1, 0, 0, 1, 0])
    pred = np.array([1, 0, 0, 1, 1, 0])
    s = binary_scores(truth, pred)
    assert s["precision"] == pytest.approx(2 / 3) and s["recall"] == pytest.approx(2 / 3)
    # observed agreement 4/6, expected 0.5*0.5 + 0.5*0.5 = 0.5 -> kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert s["kappa"] == pytest.approx(1 / 3)


def test_evaluate_macro_averages_only_labels_present(tiny_examples):
    result = evaluate(tiny_examples, [{**e} for e in tiny_examples])
    assert result["macro"]["theme"]["f1"] == pytest.approx(1.0)
    assert result["labels"]["flexibility"]["support"] == 0
    assert result["macro"]["recommendation"]["f1"] == pytest.approx(1.0)


def test_corrections_join_override_and_outweigh_the_training_data(tmp_path, tiny_examples):
    from textmine.corrections import save_correction
    from textmine.training import CORRECTION_WEIGHT, gather_examples

    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(e) for e in tiny_examples))
    passage = {"id": "x1", "file": "a.pdf", "text": tiny_examples[0]["text"], "section": "", "themes": ["capacity_and_resources"],
               "factors": [], "stage": None, "recommendation": False, "audience": None}
    save_correction(tmp_path, passage, {"themes": ["working_together"]}, author="ana")
    save_correction(tmp_path, {**passage, "id": "x2", "text": "A brand new corrected passage.", "kind": "bullet",
                               "lead_in": "One year on:"}, {"stage": "outcome"})
    examples = gather_examples([data], [tmp_path / "corrections.sqlite"])
    by_text = {e["text"]: e for e in examples}
    assert len(examples) == len(tiny_examples) + 1
    assert by_text[tiny_examples[0]["text"]]["themes"] == ["working_together"]
    fresh = by_text["A brand new corrected passage."]
    assert fresh["stage"] == "outcome" and fresh["weight"] == CORRECTION_WEIGHT
    assert (fresh["kind"], fresh["lead_in"]) == ("bullet", "One year on:"), "corrections keep the passage's context"


def test_corrections_change_the_next_model(tmp_path, tiny_examples):
    from textmine.training import fit_model

    target = {"text": "Partners said the feedback sessions felt open and honest.", "kind": "paragraph"}
    before = fit_model(tiny_examples, folds=3)
    corrected = [*tiny_examples, validate_example({**target, "factors": ["engagement"], "weight": 5.0, "doc": "corrections/a.pdf"})]
    after = fit_model(corrected, folds=3)
    j = head_names().index("engagement")
    assert after.predict_proba([target])[0, j] > before.predict_proba([target])[0, j] + 0.2


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
    again = load_model_folder(tmp_path / "models" / "default")
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
    assert "weight 0.5" in card and "averaged in (weight 0)" in card and "factor 2" in card


def test_a_model_version_changes_with_the_data_and_with_the_settings(tiny_examples):
    from textmine.training import model_version_name

    params = PassageClassifier().get_params()
    assert model_version_name(tiny_examples, params) == model_version_name(list(tiny_examples), dict(params))
    assert model_version_name(tiny_examples[1:], params) != model_version_name(tiny_examples, params)
    assert model_version_name(tiny_examples, {**params, "plain_mix": 0.0}) != model_version_name(tiny_examples, params)


def test_context_tfidf_gives_exactly_the_matrix_of_tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from textmine.classify.features import CHARS, HEADER_WORDS, ContextTfidf

    docs = ["Caseloads are  far too high.", "A b", "Caseloads are  far too high.", "re-referrals fell to 19%\tlast year",
            "", "Impacts on working together", "x", "Multi-agency audits; MASH referrals."] * 3
    for params in ({**CHARS, "min_df": 1}, HEADER_WORDS):
        ours, theirs = ContextTfidf(**params).fit(docs), TfidfVectorizer(**params).fit(docs)
        assert ours.vocabulary_ == theirs.vocabulary_
        assert abs(ours.transform(docs[::-1]) - theirs.transform(docs[::-1])).max() < 1e-12


def test_cue_phrases_match_whole_words_longest_first_symbols_anywhere_and_curly_apostrophes():
    from textmine.classify.features import CueCounts

    cues = {"a": ["rate", "re-referral rate", "director of children's services"], "b": ["£", "%", "referral"]}
    counts = np.expm1(CueCounts(cues).fit([]).transform([
        "The re-referral rate fell by 12% (£2m saved).",  # the longer phrase wins over "rate" and "referral"
        "A separate moderate rate.",                       # "rate" only as a word
        "The director of children\u2019s services chaired.",  # curly apostrophe
        "re-referrals and multi-referral work",            # no whole word "referral"
    ]).toarray()).round()
    assert counts.tolist() == [[1, 2], [1, 0], [1, 0], [0, 0]]


def test_the_shipped_model_predicts_its_snapshot():
    """Guards the classifier's code: the shipped model's labels and scores on fixed passages stay the same."""
    from make_model_snapshot import SNAPSHOT, predictions

    from textmine.classify import load_model, model_version

    snapshot = json.loads(SNAPSHOT.read_text())
    model = load_model()
    assert model_version(model) == snapshot["version"], (
        "the shipped model changed: if on purpose, run python tests/fixtures/make_model_snapshot.py")
    got = predictions(model)
    for passage, want, have in zip(range(len(got)), snapshot["predictions"], got):
        assert {k: have[k] for k in have if k != "scores"} == {k: want[k] for k in want if k != "scores"}, passage
        assert all(abs(have["scores"][k] - want["scores"][k]) <= 0.002 for k in want["scores"]), passage
