"""Fit the weights of name_belief.py on the dev split, and show how well calibrated they are.

    python benchmarks/fit_names.py [--set benchmarks/.labelled] [--cache FILE.sqlite]
                                   [--check SPLIT] [--save FILE.pkl] [--load FILE.pkl]

For every pose-pause-name clip of the dev split (its rosters typed plainly, without hints), the
engine scores the clip as the app does (in a sequence of reps by one voice, a rep it got wrong is
corrected in one tap and learnt from, score_clips.py), and the
evidence of each name choice (name_evidence.Evidence: the piece after the wait, and the opening before the
question) is kept with its truth from the labels: which pupil was named in that piece (the piece
must hold the labelled start of the naming), or none; and whether a name came before the question.
Then three models are fitted (numpy only; small L2 penalty):
- PUPIL_WEIGHTS: a conditional logit over the roster (the pupil's share of belief), on the pieces
  where a pupil was named;
- NAMED_WEIGHTS: a logistic model of "a name was said in the piece after the wait", on every piece;
- EARLY_WEIGHTS: a logistic model of "a name opened the speech before the question".
It prints the weights to paste into rehearse/scoring/name_belief.py, their 5-fold cross-validated figures
on dev (so the dev figures are not the fitted data's own), the choice of the REPORT bar (wrong pupils
against pupils named), and a reliability table: of the pupils reported as about 90% sure, how many
were right.

`--check test` fits nothing: it scores the test split with the engine's weights as they are and
prints the same tables, to report (never to tune on). `--cache` keeps the speech model's answers
(model_cache.py) so that a second run takes seconds.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearse.scoring import name_belief as belief  # noqa: E402
from benchmarks.score_clips import as_typed, clip_order, coach_taps  # noqa: E402
from rehearse.scoring.audio import load_audio  # noqa: E402
from rehearse.scoring.name_sounds import parse_roster, with_learnt  # noqa: E402
from rehearse.scoring.pipeline import Scorer  # noqa: E402
from rehearse.scoring.steps import get_step  # noqa: E402

NAME_SLACK_S = 0.5  # a labelled name start this close to a piece is in it


def collect(folder: Path, split: str, labels: dict, cache: str | None) -> list[dict]:
    """Score every pose-pause-name clip of `split`; each name choice's evidence with its truth."""
    scorer = Scorer()
    if cache:
        from benchmarks.model_cache import CachedTranscriber
        scorer.transcriber = CachedTranscriber(scorer.transcriber, cache)
    step = get_step("pose-pause-name")
    data = labels[split]
    rosters = {k: parse_roster(as_typed(v)) for k, v in data["rosters"].items()}
    found, learnt = [], {}
    for n, clip in enumerate(clip_order(data["clips"])):
        label = data["clips"][clip]
        if label["scenario"] != "pose-pause-name":
            continue
        scorer.evidence_log = []
        audio = load_audio(folder / clip)
        roster = rosters[label["roster"]]
        taught = learnt.setdefault(label["sequence"], {}) if label.get("sequence") else None
        result = scorer.score(audio, step, with_learnt(roster, taught) if taught else roster)
        if taught is not None:
            coach_taps(taught, audio, result, label.get("pupil"))
        for start, end, evidence in scorer.evidence_log:
            if evidence.at_start:
                truth = label.get("pupil_before_question") if label.get("name_before_question") else None
            else:
                at = label.get("name_start")
                inside = at is not None and start - NAME_SLACK_S <= at <= end + NAME_SLACK_S
                truth = label.get("pupil") if inside else None
            found.append({"clip": clip, "evidence": evidence, "truth": truth, "label": label,
                          "reported": result.metrics.get("named_pupil")})
        if (n + 1) % 50 == 0:
            print(f"{n + 1} of {len(data['clips'])} clips scored", flush=True)
    return found


# Fitting ------------------------------------------------------------------------------------

def climb(objective, size: int, iters: int = 3000) -> np.ndarray:
    """Maximise a concave objective (value, gradient) by gradient steps of adapted length."""
    w, step = np.zeros(size), 0.1
    value, grad = objective(w)
    for _ in range(iters):
        trial = w + step * grad / (np.linalg.norm(grad) + 1e-12)
        v, g = objective(trial)
        if v > value:
            w, value, grad, step = trial, v, g, step * 1.3
        else:
            step *= 0.5
            if step < 1e-7:
                break
    return w


def fit_conditional_logit(groups: list[tuple[np.ndarray, int]], l2: float = 0.1) -> np.ndarray:
    def objective(w):
        value, grad = -0.5 * l2 * w @ w, -l2 * w
        for X, y in groups:
            z = X @ w
            top = z.max()
            p = np.exp(z - top)
            total = p.sum()
            p /= total
            value += z[y] - top - np.log(total)
            grad = grad + X[y] - p @ X
        return value, grad
    return climb(objective, groups[0][0].shape[1])


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 0.1) -> np.ndarray:
    def objective(w):
        z = np.clip(X @ w, -50, 50)
        p = 1 / (1 + np.exp(-z))
        value = np.sum(y * z - np.log1p(np.exp(z))) - 0.5 * l2 * w[1:] @ w[1:]
        grad = X.T @ (y - p) - l2 * np.r_[0.0, w[1:]]
        return value, grad
    return climb(objective, X.shape[1])


def folds(n: int, k: int = 5) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(0).permutation(n), k)


# The three models --------------------------------------------------------------------------

def pupil_groups(items: list[dict], keys: list[str]):
    groups = []
    for item in items:
        features = belief.pupil_features(item["evidence"])
        names = list(features)
        if item["truth"] in names:
            groups.append((np.array([[features[p][k] for k in keys] for p in names]), names.index(item["truth"]), names))
    return groups


def table_xy(items: list[dict], features, target) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rows, ys, keys = [], [], None
    for item in items:
        e = item["evidence"]
        shares = belief.shares_of(e)
        best = e.of(max(shares, key=shares.get)) if shares else None
        f = features(e, best)
        keys = keys or list(f)
        rows.append([f[k] for k in keys])
        ys.append(target(item))
    return np.array(rows), np.array(ys, dtype=float), keys or []


def fit_all(items: list[dict]) -> None:
    after = [i for i in items if not i["evidence"].at_start and i["evidence"].pupils]
    opening = [i for i in items if i["evidence"].at_start and i["evidence"].pupils]
    keys = list(belief.PUPIL_WEIGHTS)
    groups = pupil_groups(after, keys)
    top1 = top3 = 0
    for fold in folds(len(groups)):
        held = set(fold.tolist())
        w = fit_conditional_logit([g[:2] for k, g in enumerate(groups) if k not in held])
        for k in fold:
            X, y, _ = groups[k]
            order = np.argsort(-(X @ w))
            top1 += order[0] == y
            top3 += y in order[:3]
    w = fit_conditional_logit([g[:2] for g in groups])
    print(f"\nwhich pupil ({len(groups)} pieces naming a pupil): 5-fold cross-validated on dev, the right pupil "
          f"first {top1} ({top1 / len(groups):.0%}), among the first three {top3} ({top3 / len(groups):.0%})")
    print("PUPIL_WEIGHTS =", {k: round(float(v), 2) for k, v in zip(keys, w)})
    belief.PUPIL_WEIGHTS = {k: round(float(v), 2) for k, v in zip(keys, w)}  # the others' features use it
    for name, pieces, features, target in (
            ("NAMED_WEIGHTS", after, belief.named_features, lambda i: i["truth"] is not None),
            ("EARLY_WEIGHTS", opening, belief.early_features, lambda i: i["truth"] is not None)):
        X, y, fkeys = table_xy(pieces, features, target)
        held_out = np.zeros(len(y))
        for fold in folds(len(y)):
            train = np.setdiff1d(np.arange(len(y)), fold)
            wf = fit_logistic(X[train], y[train])
            held_out[fold] = 1 / (1 + np.exp(-np.clip(X[fold] @ wf, -50, 50)))
        wf = fit_logistic(X, y)
        print(f"\n{name} ({int(y.sum())} of {len(y)} pieces positive): cross-validated at 0.5: "
              f"{int(((held_out >= 0.5) & (y == 1)).sum())} found, {int(((held_out >= 0.5) & (y == 0)).sum())} false")
        print(f"{name} =", {k: round(float(v), 2) for k, v in zip(fkeys, wf)})
        setattr(belief, name, {k: round(float(v), 2) for k, v in zip(fkeys, wf)})


# Reporting ----------------------------------------------------------------------------------

def report(items: list[dict], title: str) -> None:
    """What the coach would see, piece by piece, with the engine's weights as they are now."""
    after = [i for i in items if not i["evidence"].at_start]
    rows = []
    for item in after:
        b = belief.belief_of(item["evidence"])
        rows.append((b, item["truth"], b.best.pupil if b.best else None))
    print(f"\n{title}: the piece after the wait, {len(rows)} pieces ({sum(t is not None for _, t, _ in rows)} naming a pupil)")
    print(f"{'bar':>5} {'reported':>9} {'right':>6} {'wrong':>6} {'wrong %':>8} {'unclear':>8} {'offered right':>14}")
    for bar in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        reported = [(b, t, p) for b, t, p in rows if b.sure >= bar]
        wrong = sum(p != t for _, t, p in reported)
        unclear = [(b, t, p) for b, t, p in rows if b.sure < bar and b.named >= belief.SAID]
        offered = sum(t in b.likely() for b, t, _ in unclear if t)
        print(f"{bar:>5} {len(reported):>9} {len(reported) - wrong:>6} {wrong:>6} {wrong / len(rows):>8.1%} "
              f"{len(unclear):>8} {offered:>14}")
    print("reliability (reported pupils by belief): belief band, reported, right")
    for low, high in ((0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)):
        band = [(b, t, p) for b, t, p in rows if low <= b.sure < high]
        if band:
            right = sum(p == t for _, t, p in band)
            print(f"  {low:.2f}-{min(high, 1):.2f}: {len(band):>4}, right {right} ({right / len(band):.0%}); "
                  f"mean belief {np.mean([b.sure for b, _, _ in band]):.0%}")
    opening = [i for i in items if i["evidence"].at_start]
    found = sum(belief.belief_of(i["evidence"]).named >= belief.EARLY and i["truth"] is not None for i in opening)
    false = sum(belief.belief_of(i["evidence"]).named >= belief.EARLY and i["truth"] is None for i in opening)
    print(f"name before the question: {found} of {sum(i['truth'] is not None for i in opening)} found; "
          f"{false} of {sum(i['truth'] is None for i in opening)} openings without one taken for a name")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(ROOT / "benchmarks" / ".labelled"))
    parser.add_argument("--cache", metavar="FILE.sqlite", help="keep the model's answers here (model_cache.py)")
    parser.add_argument("--check", metavar="SPLIT", help="fit nothing: report on this split with the weights as they are")
    parser.add_argument("--save", metavar="FILE.pkl", help="keep the evidence collected, to fit again without scoring")
    parser.add_argument("--load", metavar="FILE.pkl", help="fit on evidence collected before (--save)")
    args = parser.parse_args()
    folder = Path(args.set)
    labels = json.loads((folder / "labels.json").read_text())["splits"]
    split = args.check or "dev"
    items = pickle.loads(Path(args.load).read_bytes()) if args.load else collect(folder, split, labels, args.cache)
    if args.save:
        Path(args.save).write_bytes(pickle.dumps(items))
    if not args.check:
        fit_all(items)
    report(items, f"split {split}" + (" (fitted on it: cross-validated figures above)" if not args.check else ""))


if __name__ == "__main__":
    main()
