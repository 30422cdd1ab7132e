"""Decoding of the detector's maps into candidates (the Python twin of src/roller/learned.rs) and held-out metrics."""
import numpy as np

from data import (STRIDE, CH_HEAT_ROLLER, CH_HEAT_BALL, CH_OFF_X, CH_OFF_Y, CH_LOG_R, CH_HALF_LEN, CH_COS2,
                  CH_SIN2, CH_CONTACT_X, CH_CONTACT_Y, CH_CONTACT_LOGIT, CH_NEAR_PLUS)

PEAK_MIN = 0.05  # candidates below this heat are never reported (the app's threshold is higher)
MAX_CANDIDATES = 3
CONTACT_MIN = 0.5  # contact probability above which the contact point is reported


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def decode(maps, presence_logit):
    """maps: MxMxC (one image), presence_logit: scalar. Candidates in input px, best first.

    confidence = sqrt(peak heat * presence probability)."""
    m = maps.shape[0]
    pres = float(sigmoid(presence_logit))
    heat = sigmoid(maps[..., [CH_HEAT_ROLLER, CH_HEAT_BALL]])
    out = []
    for j in range(m):
        for i in range(m):
            for k in range(2):
                v = heat[j, i, k]
                if v < PEAK_MIN:
                    continue
                nb = heat[max(0, j - 1):j + 2, max(0, i - 1):i + 2, k]
                if v < nb.max():
                    continue
                out.append((v, k, i, j))
    out.sort(reverse=True)
    cands = []
    for v, k, i, j in out[:MAX_CANDIDATES]:
        r = maps[j, i]
        c = np.array([(i + r[CH_OFF_X]) * STRIDE, (j + r[CH_OFF_Y]) * STRIDE])
        rad = float(np.exp(r[CH_LOG_R]) * STRIDE)
        half = max(float(r[CH_HALF_LEN]), 0.0) * rad
        th = np.arctan2(r[CH_SIN2], r[CH_COS2]) / 2
        d = half * np.array([np.cos(th), np.sin(th)])
        if r[CH_NEAR_PLUS] > 0:
            d = -d  # ends[0] = c - d is the end nearer the camera
        contact = None
        if sigmoid(r[CH_CONTACT_LOGIT]) > CONTACT_MIN:
            contact = c + rad * np.array([r[CH_CONTACT_X], r[CH_CONTACT_Y]])
        cands.append({"kind": k, "peak": float(v), "confidence": float(np.sqrt(v * pres)), "centre": c,
                      "radius": rad, "ends": np.stack([c - d, c + d]), "contact": contact})
    return cands, pres


def end_error(ends, gt_ends):
    """Mean distance of the two ends, best of the two orderings (which end is nearer is scored apart)."""
    a = np.linalg.norm(ends - gt_ends, axis=1).mean()
    b = np.linalg.norm(ends[::-1] - gt_ends, axis=1).mean()
    return float(min(a, b))


def threshold_for_fpr(neg_scores, max_fpr):
    """Smallest threshold whose false-positive rate on the negatives is <= max_fpr."""
    s = np.sort(np.asarray(neg_scores))
    if len(s) == 0:
        return 0.5
    k = int(np.floor(max_fpr * len(s)))
    return float(s[len(s) - 1 - k] + 1e-6) if k < len(s) else 0.0


def evaluate(records, threshold=None, max_fpr=0.01):
    """records: list of (target dict from data.make_example, candidates, presence) at input scale.
    Returns a dict of metrics; the threshold is chosen on these records when not given."""
    pos = [r for r in records if r[0]["kind"] >= 0]
    neg = [r for r in records if r[0]["kind"] < 0]
    score = lambda c: c[0]["confidence"] if c else 0.0
    if threshold is None:
        threshold = threshold_for_fpr([score(r[1]) for r in neg], max_fpr)
    found = kind_ok = 0
    end_err, centre_err, contact_err, radius_rel, near_ok = [], [], [], [], []
    for t, cands, _ in pos:
        if not cands or cands[0]["confidence"] < threshold:
            continue
        c = cands[0]
        found += 1
        kind_ok += int(c["kind"] == t["kind"])
        rad = t["radius"]
        end_err.append(end_error(c["ends"], t["ends"]) / rad)
        centre_err.append(float(np.linalg.norm(c["centre"] - t["centre"])) / rad)
        radius_rel.append(abs(c["radius"] - rad) / rad)
        if np.linalg.norm(t["ends"][0] - t["ends"][1]) > 2 * rad:  # the near end is only defined off end-on
            near_ok.append(float(np.linalg.norm(c["ends"][0] - t["ends"][0]) < np.linalg.norm(c["ends"][1] - t["ends"][0])))
        if t["contact"] is not None and c["contact"] is not None:
            contact_err.append(float(np.linalg.norm(c["contact"] - t["contact"])))
    fp = sum(1 for r in neg if score(r[1]) >= threshold)
    med = lambda v: float(np.median(v)) if v else float("nan")
    return {
        "threshold": threshold,
        "positives": len(pos),
        "negatives": len(neg),
        "recall": found / max(1, len(pos)),
        "false_positive_rate": fp / max(1, len(neg)),
        "kind_accuracy": kind_ok / max(1, found),
        "median_end_error_radii": med(end_err),
        "median_centre_error_radii": med(centre_err),
        "median_radius_rel_error": med(radius_rel),
        "near_end_accuracy": float(np.mean(near_ok)) if near_ok else float("nan"),
        "median_contact_error_input_px": med(contact_err),
        "contact_pairs": len(contact_err),
    }
