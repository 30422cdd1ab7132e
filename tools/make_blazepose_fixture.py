"""Makes tests/fixtures/blazepose_reference.json: the Python reference decode (shared/tools/blazepose_reference.py)
run on frames of samples/bridging.mp4 saved as PNG (so Rust and Python read identical pixels).

Besides landmarks it records the world landmarks (`Identity_4`, rotated by the ROI angle into image axes as
MediaPipe's WorldLandmarkProjectionCalculator does) and, for MASK_FRAMES, the person mask (`Identity_2`, sigmoid,
warped back to image axes at 1/MASK_SCALE of the frame with OpenCV) as a hex string of bytes 0..255.

  python3 tools/make_blazepose_fixture.py [path/to/blazepose_reference.py]

Needs: pip install onnxruntime==1.31.1 opencv-python-headless numpy
"""
import importlib.util, json, os, sys
import cv2, numpy as np

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(here)
ref_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "..", "shared", "tools", "blazepose_reference.py")
os.environ["MODELS_DIR"] = os.path.join(repo, "models")
spec = importlib.util.spec_from_file_location("bpref", ref_path)
bp = importlib.util.module_from_spec(spec); spec.loader.exec_module(bp)

FRAMES = [0, 1, 2, 45, 46, 89]   # consecutive frames exercise tracking from the previous ROI
MASK_FRAMES = [0, 45]
MASK_LONG_SIDE = 160.0           # as src/pose/outputs.rs


def secondary(img, roi, crop, with_mask):
    """World landmarks in image axes and (optionally) the image-space mask for one landmark run."""
    x = crop[:, :, ::-1].astype(np.float32) / 255.0
    _, _, seg, _, world = model.lm.run(None, {'input_1': x[None]})
    ang = roi[3]; c, s_ = np.cos(ang), np.sin(ang)
    w = world.reshape(39, 3)[:33]
    world_img = np.stack([c * w[:, 0] - s_ * w[:, 1], s_ * w[:, 0] + c * w[:, 1], w[:, 2]], 1)
    out = {"world": world_img.tolist()}
    if with_mask:
        h, wd = img.shape[:2]; sc = max(max(wd, h) / MASK_LONG_SIDE, 1.0)
        mw, mh = int(np.ceil(wd / sc)), int(np.ceil(h / sc))
        cx, cy, size, _ = roi
        P = lambda u, v: (cx + (u * c - v * s_) * size, cy + (u * s_ + v * c) * size)
        A = cv2.getAffineTransform(np.float32([P(-0.5, -0.5), P(0.5, -0.5), P(-0.5, 0.5)]),
                                   np.float32([[0, 0], [256, 0], [0, 256]]))
        # mask pixel (u, v) -> image point at the centre of its block -> crop
        img_from_mask = np.array([[sc, 0, 0.5 * sc - 0.5], [0, sc, 0.5 * sc - 0.5], [0, 0, 1]])
        M = A.astype(np.float64) @ img_from_mask
        prob = (1 / (1 + np.exp(-np.clip(seg[0, :, :, 0], -100, 100)))).astype(np.float32)
        m = cv2.warpAffine(prob, M, (mw, mh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out["mask"] = {"width": mw, "height": mh, "scale": sc,
                       "hex": np.round(m * 255).clip(0, 255).astype(np.uint8).tobytes().hex()}
    return out

out_dir = os.path.join(repo, "tests", "fixtures")
cap = cv2.VideoCapture(os.path.join(repo, "samples", "bridging.mp4"))
imgs = {}
i = 0
while True:
    ok, f = cap.read()
    if not ok: break
    if i in FRAMES: imgs[i] = f
    i += 1
model = bp.BlazePose("full", threads=1)
frames = []
prev_roi = None; prev_i = None
for fi in FRAMES:
    img = imgs[fi]
    name = f"bridging_{fi:03d}.png"
    if not os.path.exists(os.path.join(out_dir, name)):
        cv2.imwrite(os.path.join(out_dir, name), img)
    img = cv2.imread(os.path.join(out_dir, name))
    dets = model.detect(img)
    entry = {"image": name, "detections": [
        {"score": s, "box": [float(v) for v in b], "keypoints": [[float(x), float(y)] for x, y in k]} for s, b, k in dets]}
    if dets:
        roi = model.roi_from_points(dets[0][2][0], dets[0][2][1])
        pts, vis, pres, flag, roi_next, crop = model.landmarks(img, roi)
        entry["from_detection"] = {"roi": list(map(float, roi)), "landmarks": pts.tolist(),
                                   "visibility": vis.tolist(), "pose_flag": flag, "roi_next": list(map(float, roi_next)),
                                   **secondary(img, roi, crop, fi in MASK_FRAMES)}
    if prev_roi is not None and prev_i == fi - 1:
        pts, vis, pres, flag, roi_next, crop = model.landmarks(img, prev_roi)
        entry["from_tracking"] = {"roi": list(map(float, prev_roi)), "landmarks": pts.tolist(),
                                  "visibility": vis.tolist(), "pose_flag": flag, "roi_next": list(map(float, roi_next)),
                                  **secondary(img, prev_roi, crop, False)}
    # the tracking chain: a tracked frame hands its own roi_next on, as the Rust estimator does
    prev_roi = (entry.get("from_tracking") or entry.get("from_detection") or {}).get("roi_next"); prev_i = fi
    frames.append(entry)
json.dump({"source": "shared/tools/blazepose_reference.py, landmark model full, samples/bridging.mp4",
           "frames": frames}, open(os.path.join(out_dir, "blazepose_reference.json"), "w"), indent=1)
print("wrote", len(frames), "frames")
