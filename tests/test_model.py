"""The learned answer step's stages on toy inputs whose right answer is obvious, the model file,
the fits that make it, and a training run on a tiny slice."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from assistant.candidates import candidates, need_for
from assistant.choice import choose
from assistant.features import FEATURES, sentence_features
from assistant.model import REFUSAL, AnswerModel, ModelError, load_model
from assistant.question import analyse
from assistant.sentences import SentenceTable
from corpus.types import Chunk
from index.types import Hit

TEXT = ("The forum was held in Dali in November 2025. It was organised by the friendship association.\n"
        "Delegates visited the Erhai ecological corridor after the forum. The weather was mild.\n"
        "澜湄论坛在大理举行。\nThe Lancang-Mekong forum was held in Dali.\n")


def toy(question: str):
    table = SentenceTable({"t.txt": TEXT})
    hits = [Hit(Chunk("t.txt#0", "t.txt", TEXT, 0, len(TEXT), "zh+en"), 1.0, 1)]
    q = analyse(question)
    return table, q, candidates(table, hits, q)


def test_candidates_keep_their_spans_and_a_chinese_sentence_brings_its_translation():
    table, q, cands = toy("Where was the forum held?")
    assert all(TEXT[c.sentence.start:c.sentence.end] == c.sentence.text for c in cands)
    assert not any(c.sentence.lang == "zh" for c in cands)        # it has an English translation
    _, zq, zcands = toy("论坛在哪里举行?")
    chinese = next(c for c in zcands if c.sentence.lang == "zh")
    assert "Dali" in chinese.text and "dali" in chinese.tokens
    only_chinese = SentenceTable({"z.txt": "论坛在大理举行。\n代表们参观了洱海。\n"})
    hit = Hit(Chunk("z.txt#0", "z.txt", "论坛在大理举行。\n代表们参观了洱海。\n", 0, 19, "zh"), 1.0, 1)
    assert candidates(only_chinese, [hit], analyse("Where was the forum held?")), \
        "an English question over a Chinese-only document still has candidates"


def test_features_favour_the_sentence_that_says_what_is_asked():
    table, q, cands = toy("Which corridor did the delegates visit after the forum?")
    X = sentence_features(q, cands, need_for(q, q.text, table), 0.6)
    assert X.shape == (len(cands), len(FEATURES))
    f = {name: i for i, name in enumerate(FEATURES)}
    best = int(np.argmax(X[:, f["lex"]]))
    assert "Erhai" in cands[best].sentence.text
    assert X[best, f["lex_gap"]] == 0 and (X[:, f["lex_gap"]] <= 0).all()
    assert X[best, f["bigram"]] > 0


def test_choice_takes_sentences_until_the_probability_it_gathers_reaches_the_coverage():
    table, q, cands = toy("Where was the forum held?")
    n = len(cands)
    probs = np.array([0.6, 0.3] + [0.1 / (n - 2)] * (n - 2))
    picks = lambda cov: [c.candidate for c in choose(cands, probs, [], q, table, coverage=cov,  # noqa: E731
                                                     max_sentences=3, max_chars=400)]
    assert picks(0.5) == [cands[0]]
    assert picks(0.8) == [cands[0], cands[1]]
    assert len(picks(0.99)) == 3
    tight = choose(cands, probs, [], q, table, coverage=0.99, max_sentences=3, max_chars=60)
    assert len(tight) == 1, "a second sentence that does not fit the budget is left out"
    parts = choose(cands, probs, [np.eye(n)[2], np.eye(n)[3]], q, table, coverage=0.5, max_sentences=3,
                   max_chars=400)
    assert [c.candidate for c in parts][:2] == [cands[2], cands[3]], "each part's best sentence comes first"


def _model(**over) -> AnswerModel:
    base = dict(version="test", features=FEATURES, choice=np.arange(len(FEATURES), dtype=float),
                refusal_mean=np.zeros(len(REFUSAL)), refusal_scale=np.ones(len(REFUSAL)),
                refusal_weights=np.zeros(len(REFUSAL)), refusal_bias=2.0, threshold=0.5, coverage=0.8)
    return AnswerModel(**(base | over))


def test_the_model_file_round_trips_and_refuses_another_feature_list(tmp_path):
    path = tmp_path / "answer_model.json"
    path.write_text(_model().to_json())
    read = AnswerModel.read(path)
    assert read.version == "test" and np.allclose(read.choice, np.arange(len(FEATURES)))
    assert read.answerable(np.zeros(len(REFUSAL))) == pytest.approx(1 / (1 + np.exp(-2.0)))
    data = json.loads(path.read_text())
    data["features"] = data["features"][:-1]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="other features"):
        AnswerModel.read(path)
    with pytest.raises(ModelError, match="missing"):
        AnswerModel.read(tmp_path / "none.json")
    path.write_text("{not json")
    with pytest.raises(ModelError, match="damaged"):
        AnswerModel.read(path)


def test_the_shipped_model_and_fusion_load_with_their_versions():
    from index.fusion import FEATURES as FUSION_FEATURES, learned
    model = load_model()
    assert model.version.startswith("answers-") and 0 < model.threshold < 1 and 0 < model.coverage <= 1
    assert len(model.choice) == len(FEATURES)
    fusion = learned()
    assert fusion.version.startswith("fusion-") and set(fusion.weights) == {"en", "zh"}
    assert all(len(w) == len(FUSION_FEATURES) for w in fusion.weights.values())


# ---------- the fits ----------
def test_the_listwise_fit_finds_the_feature_that_marks_the_answer():
    from evals.fit import fit_listwise
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(300):
        X = rng.normal(size=(6, 3))
        y = np.zeros(6)
        right = int(rng.integers(6))
        X[right, 1] += 1.5                           # feature 1 marks the answer; 0 and 2 are noise
        y[right] = 1
        groups.append((X, y, 1.0))
    w = fit_listwise(groups, l2=1e-3)
    assert w[1] > 1 and w[1] > 5 * max(abs(w[0]), abs(w[2]))
    assert np.array_equal(w, fit_listwise(groups, l2=1e-3)), "the same data gives the same weights"
    with pytest.raises(ValueError):
        fit_listwise([(np.zeros((3, 2)), np.zeros(3), 1.0)])


def test_the_binary_fit_separates_and_weights_samples():
    from evals.fit import fit_binary, sigmoid
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    w, b = fit_binary(X, y, l2=1e-4)
    p = sigmoid(X @ w + b)
    assert p[0] < 0.5 < p[3] and w[0] > 0
    w2, b2 = fit_binary(X, y, l2=1e-4, sample_weight=[1, 1, 1, 10])
    assert sigmoid(1.5 * w2 + b2) > sigmoid(1.5 * w + b), "a heavier positive pulls the boundary toward it"


def test_the_refusal_threshold_keeps_false_refusals_within_the_limit_on_every_set():
    from evals.train_answers import Item, pick_threshold
    items, p = [], {}
    for s, probs in (("a", np.linspace(0.3, 1.0, 40)), ("b", np.linspace(0.6, 1.0, 40))):
        for i, x in enumerate(probs):
            key = f"{s}:{i}"
            items.append(Item(key, s, 0, {"evidence": [1]}, None, None, np.zeros(0)))
            p[key] = float(x)
    t = pick_threshold(items, p)
    for s in ("a", "b"):
        assert np.mean([p[it.key] < t for it in items if it.set == s]) <= 0.05
    assert t > 0.3


@pytest.mark.model
def test_training_on_a_tiny_slice_runs_and_its_output_loads(real_settings, tmp_path, monkeypatch):
    """python -m evals.train all on ten LMC dev questions: the files it writes load in the product."""
    import evals.train as train
    from evals.run import read_questions
    from evals.gold import QUESTIONS
    few = {q["id"] for q in read_questions(QUESTIONS, "dev")[:40]}
    original = train.load_sets

    def tiny(settings, external, names=None, log=print):
        sets = original(real_settings, external, ["lmc-dev"], log)
        for ts in sets:
            ts.questions = [q for q in ts.questions if q["id"] in few]
            for k, q in enumerate(ts.questions):
                q["fold"] = k % train.FOLDS
        return sets

    monkeypatch.setattr(train, "load_sets", tiny)
    train.main(["all", "--out", str(tmp_path), "--folds-dir", str(tmp_path / "folds")])
    model = AnswerModel.read(tmp_path / "answer_model.json")
    assert model.version.startswith("answers-") and len(model.choice) == len(FEATURES)
    from index.fusion import Fusion
    assert Fusion.read(tmp_path / "fusion.json").version.startswith("fusion-")
    for k in range(train.FOLDS):
        AnswerModel.read(tmp_path / "folds" / f"fold{k}" / "answer_model.json")
    from assistant.answer import Assistant
    answer = Assistant(_index(real_settings), dataclasses.replace(real_settings, models_dir=tmp_path)).ask(
        "Where was the 2025 Lancang-Mekong Local Government Cooperation Forum held?")
    assert answer.refused or answer.citations


def _index(settings):
    from index.store import open_index
    return open_index(settings, build_if_needed=False)
