"""False-positive rate of the exported detector on real clips with people and no roller (samples/real/*.mp4).

    python3 tools/train_roller/eval_real.py --model models/roller_detector.onnx --clips samples/real \
        --threshold 0.5 [--every 5] [--bp /work/shared/tools/blazepose_reference.py]

The crop is made as the app makes it (src/roller/learned.rs `crop_around_pose`): the box of the visible BlazePose
landmarks (Python reference of the pose pipeline, when --bp is given), enlarged 1.3x, square, upright; frames
without a person use a centred square of 0.9x the short side. Parts outside the frame are black.
"""
import argparse
import glob
import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

import decode as DEC  # noqa: E402

CROP_ENLARGE = 1.3
MIN_VIS = 0.3


def person_crop(bp, frame):
    h, w = frame.shape[:2]
    if bp is not None:
        r = bp(frame)
        if r is not None:
            pts, vis = r[4], r[5]
            p = pts[vis >= MIN_VIS]
            if len(p) >= 2:
                (x0, y0), (x1, y1) = p.min(0), p.max(0)
                side = max(x1 - x0, y1 - y0) * CROP_ENLARGE
                return (x0 + x1) / 2, (y0 + y1) / 2, side, True
    return w / 2, h / 2, 0.9 * min(w, h), False


def crop_input(frame, cx, cy, side, size):
    k = size / side
    a = np.array([[k, 0, size / 2 - k * cx], [0, k, size / 2 - k * cy]], np.float64)
    x = cv2.warpAffine(frame, a, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    x = cv2.cvtColor(x, cv2.COLOR_BGR2RGB).astype(np.float32) / 127.5 - 1.0
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clips", required=True)
    ap.add_argument("--threshold", type=float, required=True, help="chosen on held-out renders (train.py metrics)")
    ap.add_argument("--every", type=int, default=5, help="use every Nth frame")
    ap.add_argument("--bp", default=None, help="blazepose_reference.py for the person box")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    args = ap.parse_args()
    bp = None
    if args.bp:
        spec = importlib.util.spec_from_file_location("bpref", args.bp)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        bp = mod.BlazePose("full", threads=1)
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    size = sess.get_inputs()[0].shape[2]
    res = {}
    for clip in sorted(glob.glob(os.path.join(args.clips, "*.mp4"))):
        cap = cv2.VideoCapture(clip)
        n = fp = person = 0
        scores = []
        idx = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            idx += 1
            if (idx - 1) % args.every:
                continue
            cx, cy, side, had = person_crop(bp, frame)
            maps, pres = sess.run(["maps", "presence"], {"input": crop_input(frame, cx, cy, side, size)})
            cands, _ = DEC.decode(maps[0], pres[0, 0])
            s = cands[0]["confidence"] if cands else 0.0
            scores.append(s)
            n += 1
            person += int(had)
            fp += int(s >= args.threshold)
        res[os.path.basename(clip)] = {"frames": n, "person_crops": person, "false_positives": fp,
                                       "fp_rate": fp / max(1, n), "max_score": float(max(scores or [0])),
                                       "p99_score": float(np.percentile(scores, 99)) if scores else 0.0}
        print(os.path.basename(clip), res[os.path.basename(clip)], flush=True)
    tot_n = sum(r["frames"] for r in res.values())
    tot_fp = sum(r["false_positives"] for r in res.values())
    summary = {"threshold": args.threshold, "frames": tot_n, "false_positives": tot_fp,
               "fp_rate": tot_fp / max(1, tot_n), "clips": res}
    print(json.dumps({k: v for k, v in summary.items() if k != "clips"}))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
