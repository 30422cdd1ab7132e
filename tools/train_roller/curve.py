"""Operating curve of a shipped detector on held-out render shards: recall and false-positive rate per confidence.

Used to choose thresholds from renders that training never saw, never from the validation clips or the real clips:

    nice -n 19 blender -b --factory-startup --python tools/render/gen_train.py -- \
        --out /work/cache/heldout --seeds 1011-1011 --per-shard 1000
    python3 tools/train_roller/curve.py --model models/roller_detector.onnx --data /work/cache/heldout \
        --out tools/train_roller/roller_detector.curve.json

Per image the top candidate's confidence (0 when there is none) is what `decode.evaluate` scores: a positive is
found when it reaches the threshold, a negative is a false positive when it does.
"""
import argparse
import json

import numpy as np
import onnxruntime as ort

import data as D
import decode as DEC

THRESHOLDS = [round(x, 2) for x in np.arange(0.10, 0.71, 0.05)]


def records(sess, samples, size):
    rng = np.random.default_rng(0)
    out = []
    for k in range(len(samples)):
        x, *_, tg = D.batch(rng, samples, [k], size, augment=False)
        maps, pres = sess.run(["maps", "presence"], {"input": np.ascontiguousarray(x.transpose(0, 3, 1, 2))})
        cands, pr = DEC.decode(maps[0], pres[0, 0])
        out.append((tg[0], cands, pr))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="folder with shard_*/ rendered by gen_train.py")
    ap.add_argument("--size", type=int, default=160)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    samples = [s for d in D.shard_dirs(a.data, partial=True) for s in D.load_shard(d)]
    recs = records(sess, samples, a.size)
    rows = []
    for th in THRESHOLDS:
        m = DEC.evaluate(recs, threshold=th)
        row = {k: m[k] for k in ("threshold", "recall", "false_positive_rate", "median_centre_error_radii",
                                  "kind_accuracy")}
        for kind, name in ((0, "roller"), (1, "ball")):  # recall of each tool kind alone (data.py: 0 roller, 1 ball)
            row[f"recall_{name}"] = DEC.evaluate([r for r in recs if r[0]["kind"] in (-1, kind)], threshold=th)["recall"]
        rows.append(row)
        print(f"{th:.2f} recall {m['recall']:.3f} (rollers {row['recall_roller']:.3f}, balls {row['recall_ball']:.3f}) "
              f"fpr {m['false_positive_rate']:.3f} centre {m['median_centre_error_radii']:.2f} kind {m['kind_accuracy']:.3f}")
    res = {"model": a.model, "data": a.data, "images": len(recs), "positives": sum(1 for r in recs if r[0]["kind"] >= 0),
           "rows": rows}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
