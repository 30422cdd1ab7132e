#!/usr/bin/env python3
"""rollcoach next to MediaPipe Pose, interleaved, on the same clips at several frame sizes.

Both sides do the same work per frame: decode the clip, BlazePose (same detector and landmark models, tracking on),
draw the skeleton on the frame scaled to the same output size, and encode H.264 (libx264 `veryfast` through an
ffmpeg pipe on the MediaPipe side, which is what `rollcoach analyze` uses). rollcoach also runs its coaching engine
and writes its pose track; `--no-roller` leaves its roller step out.

Set-up of the peer (kept out of the repository):
    python3 -m venv /work/cache/mpvenv && /work/cache/mpvenv/bin/pip install mediapipe==0.10.14
    # the wheel has the full landmark model, not lite; lite is in npm @mediapipe/pose (see models/NOTICE):
    npm pack @mediapipe/pose@0.5.1675469404 && tar xzf mediapipe-pose-*.tgz package/pose_landmark_lite.tflite

Run (from the checkout, after `cargo build --release`):
    python3 tools/compare_mediapipe.py --mediapipe-python /work/cache/mpvenv/bin/python --work /work/cache/cmp

Frames per second are measured inside each process from the first frame read to the video file closed (model
loading left out on both sides). CPU ms per frame is the whole process's user + system time (os.wait4, the ffmpeg
encoder child included, start-up included) over its frames: on a machine shared with other work it says more
than wall time. Peak memory is the largest resident size of one process (the process or its encoder child). Each
size runs `--pairs` A/B pairs, the order alternating; ratios are taken pair by pair and their median printed
(fps ratio rollcoach/MediaPipe, > 1 = rollcoach faster; CPU ratio MediaPipe/rollcoach, > 1 = rollcoach cheaper).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SIZES = ["320x240", "640x480", "1280x720", "1920x1080"]
# Output video: fit within 1280x720 (rollcoach's default `--video-size 720p`).
OUT_LONG, OUT_SHORT = 1280, 720
X264_PRESET = "veryfast"
X264_CRF = "23"


def out_size(w, h):
    s = min(1.0, OUT_LONG / max(w, h), OUT_SHORT / min(w, h))
    return max(2, int(round(w * s)) // 2 * 2), max(2, int(round(h * s)) // 2 * 2)


def make_clip(source, size, work):
    """The source clip scaled to `size` (WxH), H.264, made once into `work`."""
    w, h = size.split("x")
    path = work / f"{Path(source).stem}_{size}.mp4"
    if not path.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), "-vf", f"scale={w}:{h}",
                        "-c:v", "libx264", "-preset", "fast", "-crf", "20", "-pix_fmt", "yuv420p", str(path)],
                       check=True)
    return path


def run_measured(cmd):
    """Runs `cmd`; returns (stdout+stderr text, peak RSS in MiB, CPU seconds, exit status)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return out, ru.ru_maxrss / 1024.0, ru.ru_utime + ru.ru_stime, p.returncode


def rollcoach_once(args, clip, work):
    cmd = [args.rollcoach, "analyze", str(clip), "--out", str(work / "out_rc"), "--model", args.model]
    if args.no_roller:
        cmd.append("--no-roller")
    out, mem, cpu, rc = run_measured(cmd)
    m = re.search(r"(\d+) frames \(.*?\) in ([\d.]+) s \(([\d.]+) fps\)", out)
    if rc != 0 or not m:
        sys.exit(f"rollcoach failed on {clip} (exit {rc}):\n{out[-2000:]}")
    return float(m.group(3)), mem, 1000.0 * cpu / int(m.group(1))


def mediapipe_once(args, clip, work):
    cmd = [args.mediapipe_python, __file__, "--worker", str(clip), "--worker-out", str(work / "out_mp.mp4"),
           "--model", args.model]
    if args.lite_tflite:
        cmd += ["--lite-tflite", args.lite_tflite]
    out, mem, cpu, rc = run_measured(cmd)
    m = re.search(r"FRAMES (\d+) FPS ([\d.]+)", out)
    if rc != 0 or not m:
        sys.exit(f"MediaPipe worker failed on {clip} (exit {rc}):\n{out[-2000:]}")
    return float(m.group(2)), mem, 1000.0 * cpu / int(m.group(1))


def compare(args):
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"rollcoach vs MediaPipe Pose 0.10.14, landmark model {args.model}, {args.pairs} interleaved pair(s) per "
          f"size, output video fit in {OUT_LONG}x{OUT_SHORT}, libx264 {X264_PRESET}; roller step "
          f"{'off' if args.no_roller else 'on'}; {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"{'size':>10} {'rc fps':>7} {'mp fps':>7} {'ratio':>6} {'rc cpu ms/f':>11} {'mp cpu ms/f':>11} "
          f"{'ratio':>6} {'rc peak MiB':>11} {'mp peak MiB':>11}")
    for size in args.sizes:
        clip = make_clip(args.source, size, work)
        rc, mp, ratios, cpu_ratios = [], [], [], []
        for i in range(args.pairs):
            order = [rollcoach_once, mediapipe_once] if i % 2 == 0 else [mediapipe_once, rollcoach_once]
            res = {f: f(args, clip, work) for f in order}
            rc.append(res[rollcoach_once])
            mp.append(res[mediapipe_once])
            ratios.append(rc[-1][0] / mp[-1][0])
            cpu_ratios.append(mp[-1][2] / rc[-1][2])
        med = statistics.median
        print(f"{size:>10} {med([r[0] for r in rc]):7.1f} {med([m[0] for m in mp]):7.1f} {med(ratios):6.2f} "
              f"{med([r[2] for r in rc]):11.1f} {med([m[2] for m in mp]):11.1f} {med(cpu_ratios):6.2f} "
              f"{max(r[1] for r in rc):11.0f} {max(m[1] for m in mp):11.0f}", flush=True)


def worker(args):
    """The MediaPipe side, run in the MediaPipe interpreter: prints `FRAMES n FPS f`."""
    import cv2
    import mediapipe as mp

    complexity = 0 if args.model == "lite" else 1
    if complexity == 0:
        # the wheel lacks the lite model and would download it; take the npm copy instead
        dst = Path(mp.__file__).parent / "modules" / "pose_landmark" / "pose_landmark_lite.tflite"
        if not dst.exists():
            if not args.lite_tflite:
                sys.exit("--lite-tflite PATH (pose_landmark_lite.tflite from npm @mediapipe/pose) is needed")
            shutil.copy(args.lite_tflite, dst)
    cap = cv2.VideoCapture(args.worker)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    ow, oh = out_size(w, h)
    pose = mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity, smooth_landmarks=True,
                                  enable_segmentation=False)
    enc = subprocess.Popen(["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo",
                            "-pix_fmt", "bgr24", "-s", f"{ow}x{oh}", "-r", str(fps), "-i", "-", "-an",
                            "-c:v", "libx264", "-preset", X264_PRESET, "-crf", X264_CRF, "-pix_fmt", "yuv420p",
                            args.worker_out], stdin=subprocess.PIPE)
    draw, conns = mp.solutions.drawing_utils, mp.solutions.pose.POSE_CONNECTIONS
    n, t0 = 0, time.perf_counter()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        res = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        small = frame if (ow, oh) == (w, h) else cv2.resize(frame, (ow, oh), interpolation=cv2.INTER_AREA)
        if res.pose_landmarks:
            draw.draw_landmarks(small, res.pose_landmarks, conns)
        enc.stdin.write(small.tobytes())
        n += 1
    enc.stdin.close()
    enc.wait()
    dt = time.perf_counter() - t0
    print(f"FRAMES {n} FPS {n / dt:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rollcoach", default="target/release/rollcoach")
    ap.add_argument("--mediapipe-python", default=sys.executable,
                    help="a Python interpreter with mediapipe==0.10.14 installed")
    ap.add_argument("--lite-tflite", help="pose_landmark_lite.tflite from npm @mediapipe/pose (for --model lite)")
    ap.add_argument("--model", choices=["full", "lite"], default="full")
    ap.add_argument("--source", default="samples/bridging.mp4", help="clip scaled to each size")
    ap.add_argument("--sizes", nargs="+", default=SIZES)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--work", default="/tmp/rollcoach-compare", help="folder for the scaled clips and outputs")
    ap.add_argument("--no-roller", action="store_true", help="leave rollcoach's roller step out")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
