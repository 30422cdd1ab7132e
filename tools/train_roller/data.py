"""Training data for the roller/ball detector: shard loading, augmentation and CenterNet-style targets.

Format of a shard: see tools/render/README.md ("Training set for the learned roller/ball detector").
Coordinates: crop px of the 256x256 source image -> input px of the SxS network input (affine `aug`) ->
map cells (input px / STRIDE; cell i covers [i, i+1)).
"""
import json
import os
from dataclasses import dataclass

import cv2
import numpy as np

STRIDE = 4
# output channels (NHWC last axis), shared with src/roller/learned.rs
CH_HEAT_ROLLER, CH_HEAT_BALL = 0, 1
CH_OFF_X, CH_OFF_Y = 2, 3
CH_LOG_R = 4  # log(radius in map cells)
CH_HALF_LEN = 5  # half axis length / radius
CH_COS2, CH_SIN2 = 6, 7  # doubled axis angle (ends are unordered)
CH_CONTACT_X, CH_CONTACT_Y = 8, 9  # (contact - centre) / radius
CH_CONTACT_LOGIT = 10  # the tool is under the body (a contact exists)
CH_NEAR_PLUS = 11  # logit: the end nearer the camera is centre + half-axis (half-axis angle in (-90, 90] deg)
NUM_CH = 12
KINDS = {"roller": 0, "ball": 1}


@dataclass
class Sample:
    img: np.ndarray  # 256x256x3 uint8 RGB
    kind: int  # -1 none, 0 roller, 1 ball
    visible: bool
    axis: np.ndarray  # 2x2 float32 crop px (zeros when none)
    radius: float
    contact: np.ndarray | None  # 2 float32 crop px


def shard_dirs(root, partial=False):
    """Shards under root, sorted by name: complete ones (with DONE), or also those still being written."""
    if not os.path.isdir(root):
        raise SystemExit(f"{root}: no such folder (see tools/render/README.md for how to generate the training set)")
    out = []
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if name.startswith("shard_") and os.path.isfile(os.path.join(d, "labels.jsonl")):
            if partial or os.path.isfile(os.path.join(d, "DONE")):
                out.append(d)
    return out


def load_shard(d, limit=None):
    """Samples of one shard in file order; a shard still being written is read up to its first missing image."""
    samples = []
    with open(os.path.join(d, "labels.jsonl")) as f:
        for line in f:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break  # a line being written
            if not os.path.isfile(os.path.join(d, rec["image"])):
                break
            img = cv2.imread(os.path.join(d, rec["image"]), cv2.IMREAD_COLOR)
            if img is None:
                raise RuntimeError(f"{d}/{rec['image']}: cannot read image")
            img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            tool = rec.get("tool", "none")
            kind = KINDS.get(tool, -1)
            axis = np.zeros((2, 2), np.float32)
            radius = 0.0
            contact = None
            if kind >= 0 and rec.get("axis") is not None:
                axis = np.asarray(rec["axis"], np.float32)
                radius = float(rec["radius_px"] or 0.0)
                if rec.get("contact") is not None:
                    contact = np.asarray(rec["contact"], np.float32)
            visible = bool(rec.get("visible", False)) and kind >= 0 and radius > 0
            samples.append(Sample(img, kind, visible, axis, radius, contact))
            if limit and len(samples) >= limit:
                break
    return samples


def random_affine(rng, src, size, strength=1.0):
    """2x3 matrix input_from_crop: random scale/rotation/shift/flip around the crop centre."""
    s = size / src * np.exp(rng.uniform(-0.2, 0.2) * strength)
    ang = np.deg2rad(rng.uniform(-15, 15) * strength)
    flip = rng.random() < 0.5
    c, si = np.cos(ang) * s, np.sin(ang) * s
    m = np.array([[c, -si], [si, c]], np.float64)
    if flip:
        m = m @ np.array([[-1, 0], [0, 1]], np.float64)
    t = np.array([size / 2, size / 2]) + rng.uniform(-0.1, 0.1, 2) * size * strength
    off = t - m @ np.array([src / 2, src / 2])
    return np.hstack([m, off[:, None]])


def fixed_affine(src, size):
    s = size / src
    return np.array([[s, 0, 0], [0, s, 0]], np.float64)


def apply_pts(a, p):
    p = np.asarray(p, np.float64).reshape(-1, 2)
    return p @ a[:, :2].T + a[:, 2]


def photometric(rng, x):
    """Colour jitter, greyscale, blur, noise, JPEG, black border (crop beyond the frame), cutout. x: uint8 RGB."""
    x = x.astype(np.float32)
    if rng.random() < 0.8:
        x = x * rng.uniform(0.6, 1.4) + rng.uniform(-40, 40)
        x = x * rng.uniform(0.8, 1.2, 3)[None, None, :]
        mean = x.mean()
        x = (x - mean) * rng.uniform(0.6, 1.4) + mean
    if rng.random() < 0.1:
        x[:] = x.mean(axis=2, keepdims=True)
    x = np.clip(x, 0, 255).astype(np.uint8)
    if rng.random() < 0.25:
        k = int(rng.choice([3, 5]))
        x = cv2.GaussianBlur(x, (k, k), 0)
    if rng.random() < 0.3:
        n = rng.normal(0, rng.uniform(2, 10), x.shape)
        x = np.clip(x + n, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        q = int(rng.integers(25, 80))
        ok, buf = cv2.imencode(".jpg", x, [cv2.IMWRITE_JPEG_QUALITY, q])
        x = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    return x


def black_border(rng, x):
    """The app's crop can reach beyond the frame: that part is black."""
    s = x.shape[0]
    side = int(rng.integers(0, 4))
    w = int(rng.integers(s // 16, s // 4))
    if side == 0:
        x[:, :w] = 0
    elif side == 1:
        x[:, s - w:] = 0
    elif side == 2:
        x[:w] = 0
    else:
        x[s - w:] = 0
    return x


def cutout(rng, x, keep):
    """A grey/random rectangle somewhere that does not cover the point `keep` (input px) or None."""
    s = x.shape[0]
    for _ in range(5):
        w, h = rng.integers(s // 10, s // 3, 2)
        x0, y0 = rng.integers(0, s - w), rng.integers(0, s - h)
        if keep is not None and x0 - 4 <= keep[0] <= x0 + w + 4 and y0 - 4 <= keep[1] <= y0 + h + 4:
            continue
        x[y0:y0 + h, x0:x0 + w] = rng.integers(0, 255, 3).astype(np.uint8)
        break
    return x


def make_example(rng, smp, size, augment):
    """Returns (input uint8 SxSx3 RGB, target dict)."""
    src = smp.img.shape[0]
    a = random_affine(rng, src, size) if augment else fixed_affine(src, size)
    x = cv2.warpAffine(smp.img, a, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    scale = float(np.sqrt(abs(np.linalg.det(a[:, :2]))))
    tgt = {"kind": -1, "centre": None}
    if smp.visible:
        ends = apply_pts(a, smp.axis)
        centre = ends.mean(axis=0)
        if 0 <= centre[0] < size and 0 <= centre[1] < size:
            tgt = {
                "kind": smp.kind,
                "centre": centre,
                "ends": ends,
                "radius": smp.radius * scale,
                "contact": None if smp.contact is None else apply_pts(a, smp.contact)[0],
            }
    if augment:
        x = photometric(rng, x)
        if rng.random() < 0.15:
            x = black_border(rng, x)
        if rng.random() < 0.25:
            x = cutout(rng, x, tgt["centre"])
    return x, tgt


def encode_targets(tgt, size):
    """Dense targets on the (size/STRIDE)^2 map: heat (M,M,2), reg (M,M,NUM_CH), reg weight (M,M,NUM_CH), presence."""
    m = size // STRIDE
    heat = np.zeros((m, m, 2), np.float32)
    reg = np.zeros((m, m, NUM_CH), np.float32)
    w = np.zeros((m, m, NUM_CH), np.float32)
    if tgt["kind"] < 0:
        return heat, reg, w, 0.0
    u = tgt["centre"] / STRIDE
    r_map = max(tgt["radius"] / STRIDE, 0.25)
    sigma = float(np.clip(0.5 * r_map, 0.7, 3.0))
    ys, xs = np.mgrid[0:m, 0:m].astype(np.float32) + 0.5
    g = np.exp(-((xs - u[0]) ** 2 + (ys - u[1]) ** 2) / (2 * sigma**2))
    ci, cj = int(u[0]), int(u[1])
    g[cj, ci] = 1.0  # the cell holding the centre is the peak
    heat[..., tgt["kind"]] = g
    half = (tgt["ends"][1] - tgt["ends"][0]) / 2
    half_len = float(np.hypot(*half))
    ang2 = 2 * np.arctan2(half[1], half[0])
    rad = tgt["radius"]
    dir_w = min(1.0, half_len / max(rad, 1e-3))  # direction is meaningless for an end-on roller or a ball
    th = np.arctan2(np.sin(ang2), np.cos(ang2)) / 2
    near_plus = float(np.dot(tgt["ends"][0] - tgt["centre"], [np.cos(th), np.sin(th)]) > 0)
    for j in range(cj - 1, cj + 2):
        for i in range(ci - 1, ci + 2):
            if not (0 <= i < m and 0 <= j < m):
                continue
            near = 1.0 if (i, j) == (ci, cj) else 0.5
            reg[j, i, CH_OFF_X] = u[0] - i
            reg[j, i, CH_OFF_Y] = u[1] - j
            reg[j, i, CH_LOG_R] = np.log(r_map)
            reg[j, i, CH_HALF_LEN] = half_len / rad
            reg[j, i, CH_COS2] = np.cos(ang2)
            reg[j, i, CH_SIN2] = np.sin(ang2)
            w[j, i, [CH_OFF_X, CH_OFF_Y, CH_LOG_R, CH_HALF_LEN, CH_CONTACT_LOGIT]] = near
            reg[j, i, CH_NEAR_PLUS] = near_plus
            w[j, i, [CH_COS2, CH_SIN2, CH_NEAR_PLUS]] = near * dir_w
            if tgt["contact"] is not None:
                reg[j, i, CH_CONTACT_X:CH_CONTACT_Y + 1] = (tgt["contact"] - tgt["centre"]) / rad
                reg[j, i, CH_CONTACT_LOGIT] = 1.0
                w[j, i, [CH_CONTACT_X, CH_CONTACT_Y]] = near
    return heat, reg, w, 1.0


def to_input(x_uint8):
    """uint8 RGB -> float32 in [-1, 1] (the Rust side does the same)."""
    return x_uint8.astype(np.float32) / 127.5 - 1.0


def batch(rng, samples, idx, size, augment):
    xs, hs, rs, ws, ps, tg = [], [], [], [], [], []
    for k in idx:
        x, t = make_example(rng, samples[k], size, augment)
        h, r, w, p = encode_targets(t, size)
        xs.append(to_input(x))
        hs.append(h)
        rs.append(r)
        ws.append(w)
        ps.append(p)
        tg.append(t)
    return (np.stack(xs), np.stack(hs), np.stack(rs), np.stack(ws), np.asarray(ps, np.float32)[:, None], tg)
