"""Makes tests/fixtures/blazepose_reference.json: the Python reference decode (shared/tools/blazepose_reference.py)
run on frames of samples/bridging.mp4 saved as PNG (so Rust and Python read identical pixels).

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
    cv2.imwrite(os.path.join(out_dir, name), img)
    img = cv2.imread(os.path.join(out_dir, name))
    dets = model.detect(img)
    entry = {"image": name, "detections": [
        {"score": s, "box": [float(v) for v in b], "keypoints": [[float(x), float(y)] for x, y in k]} for s, b, k in dets]}
    if dets:
        roi = model.roi_from_points(dets[0][2][0], dets[0][2][1])
        pts, vis, pres, flag, roi_next, _ = model.landmarks(img, roi)
        entry["from_detection"] = {"roi": list(map(float, roi)), "landmarks": pts.tolist(),
                                   "visibility": vis.tolist(), "pose_flag": flag, "roi_next": list(map(float, roi_next))}
    if prev_roi is not None and prev_i == fi - 1:
        pts, vis, pres, flag, roi_next, _ = model.landmarks(img, prev_roi)
        entry["from_tracking"] = {"roi": list(map(float, prev_roi)), "landmarks": pts.tolist(),
                                  "visibility": vis.tolist(), "pose_flag": flag, "roi_next": list(map(float, roi_next))}
    # the tracking chain: a tracked frame hands its own roi_next on, as the Rust estimator does
    prev_roi = (entry.get("from_tracking") or entry.get("from_detection") or {}).get("roi_next"); prev_i = fi
    frames.append(entry)
json.dump({"source": "shared/tools/blazepose_reference.py, landmark model full, samples/bridging.mp4",
           "frames": frames}, open(os.path.join(out_dir, "blazepose_reference.json"), "w"), indent=1)
print("wrote", len(frames), "frames")
