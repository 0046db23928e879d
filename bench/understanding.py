"""Understanding benchmark: the offline intent classifier on BANKING77, and context extraction.

    .venv/bin/python -m bench.understanding           # both (BANKING77 10-shot x5 and full, ~2 min)
    .venv/bin/python -m bench.understanding --quick   # 10-shot x2, full on a 2,000-example sample

BANKING77 (../shared/datasets/banking77, CC BY 4.0): train on the train split, score the test split.
10-shot draws 10 examples per intent, averaged over 5 seeded draws, as in Casanueva et al. 2020, whose
USE+ConveRT reached 85.19% (10-shot) and 93.36% (full). "Top label" accuracy ignores our threshold (the
paper's setting); "answered" accuracy counts "unknown" as wrong. Latency is `classify(text)` per
message with the product's single-threaded encoder, embedding included.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from bench.understanding_cases import CASES
from understanding.extract import extract
from understanding.intents import DEFAULT_MIN_SIMILARITY, DEFAULT_THRESHOLD, UNKNOWN, IntentClassifier
from understanding.schema import SchemaSpec
from understanding.templates import FRONT_DESK_SCHEMA

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "banking77"
PAPER = {"10-shot": 85.19, "full": 93.36}
SEEDS = 5
SHOTS = 10
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def read_split(name: str) -> tuple[list[str], list[str]]:
    # The csv module, not line splitting: some texts hold newlines inside quotes.
    with (DATASET / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def _score(clf: IntentClassifier, vectors: np.ndarray, labels: list[str]) -> dict[str, float]:
    readings = clf.classify_vectors(vectors)
    top = [r.candidates[0][0] for r in readings]
    given = [r.intent for r in readings]
    answered = [(g, y) for g, y in zip(given, labels, strict=True) if g != UNKNOWN]
    return {
        "accuracy_top": float(np.mean([t == y for t, y in zip(top, labels, strict=True)])) * 100,
        "macro_f1_top": float(f1_score(labels, top, average="macro")) * 100,
        "accuracy_answered": float(np.mean([g == y for g, y in zip(given, labels, strict=True)])) * 100,
        "unknown_share": float(np.mean([g == UNKNOWN for g in given])) * 100,
        "precision_when_answered": float(np.mean([g == y for g, y in answered])) * 100 if answered else float("nan"),
    }


def banking77(*, quick: bool = False) -> dict[str, Any]:
    from kb.embeddings import Encoder, local_encoder

    train_x, train_y = read_split("train")
    test_x, test_y = read_split("test")
    bulk = Encoder(threads=os.cpu_count() or 1)  # embedding 13k texts: use every core, once
    started = time.perf_counter()
    train_v = bulk.encode(train_x, batch_size=64)
    test_v = bulk.encode(test_x, batch_size=64)
    embed_s = time.perf_counter() - started
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, y in enumerate(train_y):
        by_label[y].append(i)
    out: dict[str, Any] = {"train": len(train_x), "test": len(test_x), "intents": len(by_label), "embed_s": embed_s}
    draws = []
    for seed in range(2 if quick else SEEDS):
        rng = np.random.default_rng(seed)
        pick = [int(i) for idx in by_label.values() for i in rng.choice(idx, SHOTS, replace=False)]
        started = time.perf_counter()
        clf = IntentClassifier.fit(
            [], [train_y[i] for i in pick], encoder=local_encoder(), vectors=train_v[pick], seed=seed
        )
        fit_s = time.perf_counter() - started
        draws.append(_score(clf, test_v, test_y) | {"fit_s": fit_s})
    out["10-shot"] = {k: statistics.mean(d[k] for d in draws) for k in draws[0]} | {
        "accuracy_top_sd": statistics.pstdev(d["accuracy_top"] for d in draws),
        "draws": len(draws),
    }
    full = list(range(len(train_x)))
    if quick:
        full = [int(i) for i in np.random.default_rng(0).choice(full, 2000, replace=False)]
    started = time.perf_counter()
    clf = IntentClassifier.fit([], [train_y[i] for i in full], encoder=local_encoder(), vectors=train_v[full])
    out["full"] = _score(clf, test_v, test_y) | {"fit_s": time.perf_counter() - started, "examples": len(full)}
    clf.classify("warm up")
    times = []
    for text in test_x[:300]:
        t0 = time.perf_counter()
        clf.classify(text)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out["latency_ms"] = {"median": times[len(times) // 2], "p95": times[int(len(times) * 0.95)], "n": len(times)}
    out["threshold"], out["min_similarity"] = DEFAULT_THRESHOLD, DEFAULT_MIN_SIMILARITY
    return out


def extraction() -> dict[str, Any]:
    data = dict(FRONT_DESK_SCHEMA)
    data["fields"] = [dict(f, region="GB") if f["type"] == "phone" else f for f in data["fields"]]
    schema = SchemaSpec.model_validate(data)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    misses: list[dict[str, Any]] = []
    started = time.perf_counter()
    for text, expected in CASES:
        found = {f.field: f.value for f in extract(text, schema, now=NOW, timezone="Europe/London")}
        for name in set(found) | set(expected):
            got, want = found.get(name), expected.get(name)
            if got is not None and got == want:
                counts[name]["tp"] += 1
                continue
            if got is not None:
                counts[name]["fp"] += 1
            if want is not None:
                counts[name]["fn"] += 1
            misses.append({"text": text, "field": name, "expected": want, "found": got})
    ms = (time.perf_counter() - started) * 1000 / len(CASES)
    fields = {}
    for name, c in sorted(counts.items()):
        fields[name] = _pr(c) | c
    total = {k: sum(c[k] for c in counts.values()) for k in ("tp", "fp", "fn")}
    return {"messages": len(CASES), "fields": fields, "all": _pr(total) | total, "misses": misses, "ms_per_message": ms}


def _pr(c: dict[str, int]) -> dict[str, float]:
    p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
    r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
    return {"precision": p * 100, "recall": r * 100}


def run(*, quick: bool = False) -> dict[str, Any]:
    return {"banking77": banking77(quick=quick), "extraction": extraction()}


def report(r: dict[str, Any]) -> str:
    b, e = r["banking77"], r["extraction"]
    lines = [
        f"BANKING77 ({b['intents']} intents, {b['test']} test messages; threshold {b['threshold']}, "
        f"min similarity {b['min_similarity']})",
        "| setting | accuracy (top label) | macro-F1 | Casanueva et al. 2020 (USE+ConveRT) | unknown share "
        "| accuracy, unknown counted wrong | precision when answered |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("10-shot", "full"):
        s = b[name]
        label = f"{name} (mean of {s['draws']} draws, sd {s['accuracy_top_sd']:.2f})" if name == "10-shot" else name
        lines.append(
            f"| {label} | {s['accuracy_top']:.2f}% | {s['macro_f1_top']:.2f}% | {PAPER[name]:.2f}% "
            f"| {s['unknown_share']:.1f}% | {s['accuracy_answered']:.2f}% | {s['precision_when_answered']:.2f}% |"
        )
    lat = b["latency_ms"]
    lines.append(f"classify latency per message (embedding included, 1 thread): {lat['median']:.1f} ms median, "
                 f"{lat['p95']:.1f} ms p95")  # fmt: skip
    lines += [
        "",
        f"Context extraction ({e['messages']} messages, offline parsers, {e['ms_per_message']:.1f} ms per message)",
        "| field | precision | recall | right | wrong or extra | missed |",
        "|---|---|---|---|---|---|",
    ]
    for name, f in [*e["fields"].items(), ("all fields", e["all"])]:
        lines.append(f"| {name} | {f['precision']:.1f}% | {f['recall']:.1f}% | {f['tp']} | {f['fp']} | {f['fn']} |")
    return "\n".join(lines)


def target_line(r: dict[str, Any]) -> str:
    b = r["banking77"]
    return (
        f"understanding: BANKING77 10-shot {b['10-shot']['accuracy_top']:.1f}% (paper 85.19%), "
        f"full {b['full']['accuracy_top']:.1f}% (paper 93.36%); extraction P/R "
        f"{r['extraction']['all']['precision']:.0f}%/{r['extraction']['all']['recall']:.0f}%"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--misses", action="store_true", help="List the extraction cases it got wrong.")
    args = parser.parse_args()
    result = run(quick=args.quick)
    print(report(result))
    if args.misses:
        for m in result["extraction"]["misses"]:
            print(m)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
