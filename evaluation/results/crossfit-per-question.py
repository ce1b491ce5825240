"""The crossfit command's four fold splits (``evaluation.train.cross_fit_splits``), keeping each
tuning question's out-of-fold result, once per way of fitting the refusal model:

  base            the served way (reproduces ``python -m evaluation crossfit --splits 4``)
  foreign=W       also the 1,200 training questions of other documents asked against the default
                  corpus, which cannot answer them, as unanswerable examples of weight W
  unans=W         unanswerable tuning questions weighted W
  balanced        answered and refused classes weighted to equal totals
  C=V             regularisation V instead of 1
  cross=F[+F...]  also each feature times the 0/1 feature F (english, scoped, follow_up): the model
                  may weigh the evidence otherwise for those questions

usage: PYTHONPATH=. PYTHONHASHSEED=7 [GOLD=FILE] python evaluation/results/crossfit-per-question.py OUT.pkl base[,VARIANT...]
"""
import dataclasses
import os
import pickle
import sys
from pathlib import Path

import numpy as np
from rich.console import Console

import evaluation.__main__ as commands
import evaluation.train as train
from evaluation.gold import load_gold
from ingest.settings import get_settings
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine
from service.rescoring import LinearModel

# The policy questions of the training set are asked for one of the default centres in turn.
CENTRES = ["Kauno rajono socialinių paslaugų centras", "Klaipėdos miesto šeimos ir vaiko gerovės centras",
           "Vilniaus miesto socialinės paramos centras", "Pagėgių savivaldybės šeimos gerovės centras"]

settings = get_settings()
engine = Engine.load(settings)
answerer = Answerer(engine, Coverage(engine), model=train.neutral_model())
questions = load_gold(Path(os.environ["GOLD"]), split="tune") if os.environ.get("GOLD") else load_gold(split="tune")
extra = commands.training_questions(settings)
variants = sys.argv[2].split(",")
console = Console()

# The training questions against the default corpus, collected once after the fitting rounds,
# each with the query adapter that did not see it.
foreign: list[train.Example] = []
fit_adapters, fit_rounds = train.fit_adapters, train.fit_rounds
held_adapters = {}


def keep_adapters(sources, console):
    adapter, adapter_of = fit_adapters(sources, console)
    held_adapters.update(adapter_of)
    return adapter, adapter_of


def rounds_then_foreign(answerer, questions, extra, console):
    fitted = fit_rounds(answerer, questions, extra, console)
    if any(v.startswith("foreign=") for v in variants) and not foreign:
        answerer.model = fitted.model
        asked = [dataclasses.replace(q, organization=CENTRES[i % 4] if q.organization else None)
                 for i, q in enumerate(extra[1])]
        foreign.extend(train.collect_cross_fitted(answerer, asked, held_adapters))
    return fitted


train.fit_adapters, train.fit_rounds = keep_adapters, rounds_then_foreign


def refusal_fit(variant: str) -> train.RefusalFit:
    name, _, value = variant.partition("=")
    rescored_for = [None]
    if name == "cross":
        by = tuple(train.REFUSAL_FEATURES.index(f) for f in value.split("+"))
        return lambda examples, own, ratio: crossed_fit(examples, own, ratio, by)

    def fit(examples, own, ratio):
        rows, labels, answerable = train.refusal_examples(examples, own, ratio)
        weights = np.ones(len(labels))
        if name == "foreign":
            if rescored_for[0] is not answerer.model:  # once per fold's model
                train.rescore(foreign, answerer.model, answerer)
                rescored_for[0] = answerer.model
            more, more_labels, _ = train.refusal_examples(foreign, own, ratio)
            rows, labels = np.vstack([rows, more]), np.concatenate([labels, more_labels])
            weights = np.concatenate([weights, np.full(len(more_labels), float(value))])
        elif name == "unans":
            weights = np.where(answerable, 1.0, float(value))
        elif name == "balanced":
            weights = np.where(labels, 0.5 / labels.mean(), 0.5 / (1 - labels.mean()))
        regularisation = float(value) if name == "C" else train.REGULARISATION
        return train.fit(rows, labels, train.REFUSAL_FEATURES, weights, regularisation)

    return fit


@dataclasses.dataclass
class Crossed(LinearModel):
    """A refusal model over the features and their products with some 0/1 features."""
    by: tuple[int, ...] = ()

    def probabilities(self, rows):
        return LinearModel.probabilities(self, crossed(rows, self.by))


def crossed(rows, by):
    rows = np.atleast_2d(rows)
    return np.hstack([rows] + [rows * rows[:, [i]] for i in by])


def crossed_fit(examples, own, ratio, by):
    rows, labels, _ = train.refusal_examples(examples, own, ratio)
    names = train.REFUSAL_FEATURES + tuple(f"{train.REFUSAL_FEATURES[i]}*{f}" for i in by for f in train.REFUSAL_FEATURES)
    plain = train.fit(crossed(rows, by), labels, names)
    return Crossed(plain.features, plain.mean, plain.scale, plain.weights, plain.bias, tuple(by))


results = {}
for variant in variants:
    splits = train.cross_fit_splits(answerer, questions, extra, console, 4, refusal_fit=refusal_fit(variant))
    console.print(f"variant {variant}")
    train.print_splits(splits, console)
    results[variant] = [dict(outcomes=[(o.hit1, o.hit3, o.abstained) for o in s.outcomes], prob=s.held_out.probability,
                             hit1=s.held_out.hit1, hit3=s.held_out.hit3, summary=s.summary, at_limits=s.at_limits())
                        for s in splits]
    pickle.dump(dict(ids=[q.id for q in questions], kinds=[q.kind for q in questions],
                     answerable=np.array([q.answerable for q in questions]), results=results), open(sys.argv[1], "wb"))
