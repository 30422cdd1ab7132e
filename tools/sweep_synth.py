#!/usr/bin/env python3
"""Random sweep of synthetic pose tracks through `rollcoach synth` and `rollcoach analyze --poses`, checked against
the truth.

Each case draws a configuration (exercise, speed, duration, landmark noise, slow wander, roller and pose dropouts,
far-side visibility, frame rate, frame size, image scale, tool diameters, and a scenario: clean, faults, a hold or
a switch of exercise with faults and holds), writes the track with `rollcoach synth`, analyses it with
`rollcoach analyze --poses TRACK --out DIR --no-video -q` and compares the report with the truth file, using the
acceptance criteria of docs/engine.md ("Synthetic pose tracks"): every injected fault reported with the same rule
id within 0.5 s of its true onset, no reported fault without a true one, the true exercise(s) found as areas,
mean pass speed within 15 % of --speed, every hold found once with its onset within 1 s, no false holds.

The exercise table (tool, max speed, keep-out zones, posture rules, spine check, wall support, recognition) is read
from the exercise files, so only faults an exercise's file checks are drawn. Every run of the binary is under
`nice -n 10`, one at a time. Nothing is written outside --work.

Modes:
  realistic  the whole realistic range (noise 0.5-4 px, wander, dropouts, 15-60 fps, 1.2-6 px/cm, ...)
  ordinary   realistic draws without an edge-of-realism flag (large noise or wander in cm, many dropouts,
             speed above 0.7 x the exercise's max speed)
  defaults   synth's defaults for noise, scale, frame rate and size, no wander or dropouts, speeds capped at
             0.7 x the exercise's max speed

Outputs in --work (a log of the same name is overwritten): MODE-seedS.jsonl (one JSON line per case: cfg, edge
flags, fails, info, cmd), MODE-seedS/cN/ (truth and report of failing cases; passing cases are removed), and for
--rerun rerun-LOGNAME.jsonl (same format, plus the old failure kinds) and rerun-LOGNAME/. At the end: cases,
failing, failure kinds and failure rates per parameter bucket (ordinary and edge cases apart in realistic mode).

The draw and the criteria are those of the sweep of 2026-11-29 (docs/engine.md, "Known limits"; its seeds are the
defaults), but a seed does not redraw that sweep's cases: the table is now in file-name order, only posture faults
an exercise's file checks are drawn, and on-spine episodes are not combined with a switch (synth refuses both).

Usage (from the checkout, after `cargo build --release`; --bin for another binary):
    python3 tools/sweep_synth.py --work /tmp/sweep --mode realistic --cases 300
    python3 tools/sweep_synth.py --work /tmp/sweep --mode ordinary --cases 60 --seed 777
    python3 tools/sweep_synth.py --work /tmp/sweep --mode defaults --cases 150
    # the same configurations with another build: failure kinds before -> after, cases fixed / newly failing
    python3 tools/sweep_synth.py --work /tmp/sweep --bin /path/to/rollcoach --rerun /tmp/sweep/defaults-seed4242.jsonl
    # one configuration (a log line or its "cfg"; missing keys take synth's defaults), all outputs kept
    python3 tools/sweep_synth.py --work /tmp/sweep --one '{"exercise": "calves", "faults": [["too_fast", 12, 4]]}'
"""

import argparse
import collections
import copy
import json
import math
import os
import random
import shlex
import shutil
import subprocess
import sys
import tomllib
from typing import NamedTuple

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
PROG = "sweep_synth"

# Evaluation criteria (docs/engine.md, "Synthetic pose tracks"; tests/engine_synth.rs, tests/balls.rs).
ONSET_TOL_S = 0.5  # a fault counts as found when reported with its rule within 0.5 s of its true onset
HOLD_ONSET_TOL_S = 1.0  # hold onsets within 1 s, as HOLD_ONSET_TOLERANCE_S in tests/balls.rs and engine_synth.rs
SPEED_TOL = 0.15  # mean pass speed within 15 % of --speed
EXTRA_AREA_S = 2.0  # recognition may pass through another exercise briefly (switch, start); beyond 2 s it is wrong
NO_SPEED_AREA_S = 12.0  # an area shorter than this may hold no whole pass, so "no speed" there is not a failure
FAST_MARGIN_S = 1.0  # passes within 1 s of a too_fast burst run at --fast-speed: left out of the speed mean

# Draw distribution (as the 2026-11-29 sweep).
FAMILY_WEIGHTS = {"roller": 0.5, "ball": 0.35, "peanut": 0.15}  # share of cases per tool
RESOLUTIONS = [(320, 240), (640, 480), (640, 480), (1280, 720), (1280, 720), (1920, 1080)]  # common camera sizes
FRAME_RATES = [15, 24, 25, 30, 30, 60]  # common camera rates, 30 fps most often
DURATIONS_S = [20, 30, 40, 45, 60, 75, 90]  # time on one area: a short set up to most of the recommended 30-120 s
MIN_PPCM, MAX_PPCM = 1.2, 6.0  # image scale from a far wide shot to a close one
SCENARIOS = ["clean", "faults", "hold", "switch"]
SCENARIO_WEIGHTS = [0.3, 0.3, 0.2, 0.2]  # clean tracks test false faults, the others what they inject
SCENARIO_WEIGHTS_NO_SWITCH = [0.35, 0.35, 0.3, 0.0]  # an exercise used only with --exercise cannot be switched to
EDGE_SPEED_SHARE = 0.7  # above 0.7 x max speed, noise can push passes over the too_fast threshold: an edge case

# synth's defaults (rollcoach synth --help), used by --mode defaults and to complete --one configurations.
SYNTH_DEFAULTS = {"speed": 5.0, "duration": 40, "seed": 1, "noise": 1.0, "wander": 0.0, "wander_hz": 0.5,
                  "dropout": 0.0, "pose_dropout": 0.0, "far_vis": 0.75, "fps": 30, "width": 640, "height": 480,
                  "ppcm": 2.6, "roller_d": 15.0, "ball_d": 6.3}
DEFAULTS_MODE_KEYS = ["noise", "wander", "dropout", "pose_dropout", "far_vis", "fps", "width", "height", "ppcm",
                      "roller_d", "ball_d"]  # what --mode defaults sets; exercise, speed, duration, scenario vary
EMPTY_SCENARIO = {"fast": None, "faults": [], "holds": [], "spine": [], "then": None, "kind": "one", "case": 0}
FIRST_CASE = {"realistic": 0, "ordinary": 10000, "defaults": 20000}  # case numbers distinguish the modes' logs
DEFAULT_SEED = {"realistic": 20240601, "ordinary": 777, "defaults": 4242}  # the seeds of the 2026-11-29 sweep
TIMEOUT_S = 300  # one synth or analyze of a 90 s track takes seconds; a hang is reported, not waited for


class Exercise(NamedTuple):
    tool: str  # roller | ball | peanut
    max_speed: float  # [thresholds] max_speed_cm_s
    keep_out: bool  # has a [[keep_out]] zone (synth's keep_out fault drifts into the first)
    posture: list  # [[posture]] rules: the posture faults synth may inject
    spine: bool  # has a [spine] check (single balls): --on-spine
    standing: bool  # support = "wall": a standing body, scale limited by the frame height
    recognized: bool  # has [recognize]; without it analyze needs --exercise and no switch goes to it


class UsageError(Exception):
    """A problem with the arguments or the environment, printed without a traceback."""


def load_exercises(folder):
    """The exercise table from FOLDER/*.toml, in file-name order."""
    if not os.path.isdir(folder):
        raise UsageError(f"no exercises folder {folder}")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".toml"))
    if not files:
        raise UsageError(f"no exercise files (*.toml) in {folder}")
    table = {}
    for name in files:
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as f:
                d = tomllib.load(f)
            table[d["id"]] = Exercise(
                tool=d.get("tool", "roller"), max_speed=float(d["thresholds"]["max_speed_cm_s"]),
                keep_out=bool(d.get("keep_out")), posture=[p["rule"] for p in d.get("posture", [])],
                spine="spine" in d, standing=d.get("support") == "wall", recognized="recognize" in d)
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
            raise UsageError(f"{path}: cannot read the exercise ({type(e).__name__}: {e})")
    return table


# ---------------------------------------------------------------------------------------------------- drawing


def ppcm_cap(w, h, standing):
    """Largest scale at which the body fits: 165 cm in 85 % of the height standing, 200 cm in 90 % of the width."""
    return min(MAX_PPCM, 0.85 * h / 165.0) if standing else min(MAX_PPCM, 0.9 * w / 200.0)


def draw_conditions(rng, idx, ex, e):
    """Speed, duration, noise models, camera and tool size for exercise EX (its table row E)."""
    w, h = rng.choice(RESOLUTIONS)
    cap = max(MIN_PPCM, ppcm_cap(w, h, e.standing))
    return {
        "case": idx, "exercise": ex, "seed": rng.randrange(1, 100000),
        "speed": round(rng.uniform(1.5, min(12.0, 0.85 * e.max_speed)), 2),
        "duration": rng.choice(DURATIONS_S),
        "noise": round(rng.uniform(0.5, 4.0), 2),
        "wander": 0.0 if rng.random() < 0.4 else round(rng.uniform(0.5, 6.0), 2),
        "wander_hz": round(rng.uniform(0.1, 1.0), 2),
        "dropout": 0.0 if rng.random() < 0.5 else round(rng.uniform(0.0, 0.3), 3),
        "pose_dropout": 0.0 if rng.random() < 0.6 else round(rng.uniform(0.0, 0.2), 3),
        "far_vis": 0.75 if rng.random() < 0.6 else round(rng.uniform(0.3, 0.9), 2),
        "fps": rng.choice(FRAME_RATES), "width": w, "height": h,
        "ppcm": round(rng.uniform(MIN_PPCM, cap), 2),
        "roller_d": round(rng.uniform(10, 20), 1) if e.tool == "roller" else 15.0,
        "ball_d": 6.3 if e.tool == "roller" or rng.random() < 0.6 else round(rng.uniform(6.0, 12.0), 1),
        "fast": None, "faults": [], "holds": [], "spine": [], "then": None,
    }


def draw_scenario(rng, c, ex_table):
    """Pick the scenario; a hold needs 40 s or more, a switch 50 s or more and a target of the same tool."""
    e = ex_table[c["exercise"]]
    weights = SCENARIO_WEIGHTS if e.recognized else SCENARIO_WEIGHTS_NO_SWITCH
    kind = rng.choices(SCENARIOS, weights)[0]
    if kind == "hold" and c["duration"] < 40:
        c["duration"] = rng.choice([45, 60, 75, 90])
    if kind == "switch":
        others = [x for x, v in ex_table.items() if v.tool == e.tool and x != c["exercise"] and v.recognized]
        if not others:
            kind = "faults"
        else:
            c["duration"] = max(c["duration"], rng.choice([50, 60, 75, 90]))
            t = round(rng.uniform(0.4, 0.6) * c["duration"], 1)
            c["then"] = [rng.choice(others), t]
    c["kind"] = kind


def place_items(rng, c, ex_table, seg, segs):
    """Faults, holds and spine episodes in one exercise's stretch SEG = (exercise, from, to), 5-10 s apart."""
    ex, t0, t1 = seg
    e = ex_table[ex]
    kind = c["kind"]
    t = t0 + rng.uniform(0, 3)
    want_hold = kind == "hold" or (e.tool != "roller" and rng.random() < 0.5)
    opts = ["too_fast"] + (["keep_out"] if e.keep_out else []) + e.posture + (["spine"] if e.spine else [])
    items = ["hold"] if want_hold else []
    if kind != "hold" or rng.random() < 0.5:
        items += rng.sample(opts, k=min(len(opts), rng.choice([1, 1, 2, 3])))
    rng.shuffle(items)
    for it in items:
        # every kind's duration is drawn each time (as the original sweep), so the stream does not depend on it
        durs = {"hold": rng.uniform(12, 30) if e.tool != "roller" else rng.uniform(8, 30),
                "too_fast": rng.uniform(2, 6), "keep_out": rng.uniform(1, 4), "spine": rng.uniform(2, 5)}
        d = round(durs.get(it, rng.uniform(2, 6)), 1)  # posture faults: 2-6 s
        if t + d > t1:
            break
        if it == "hold":
            c["holds"].append([round(t, 1), d])
        elif it == "spine":
            c["spine"].append([round(t, 1), d])
        else:
            c["faults"].append([it, round(t, 1), d])
            if it == "too_fast" and c["fast"] is None:
                c["fast"] = round(rng.uniform(1.6, 3.0) * max(ex_table[x].max_speed for x, *_ in segs), 1)
        t += d + rng.uniform(5, 10)


def draw(rng, idx, ex_table):
    """One random configuration (case number IDX)."""
    fam = rng.choices(list(FAMILY_WEIGHTS), list(FAMILY_WEIGHTS.values()))[0]
    ex = rng.choice([x for x, v in ex_table.items() if v.tool == fam])
    c = draw_conditions(rng, idx, ex, ex_table[ex])
    draw_scenario(rng, c, ex_table)
    # items of the first exercise from 6 s to 4 s before the switch (or the end), of the second from 7 s after
    # the switch to 4 s before the end
    segs = [(ex, 6.0, c["then"][1] - 4.0 if c["then"] else c["duration"] - 4.0)]
    if c["then"]:
        segs.append((c["then"][0], c["then"][1] + 7.0, c["duration"] - 4.0))
    if c["kind"] != "clean":
        for seg in segs:
            place_items(rng, c, ex_table, seg, segs)
    return c


def edge(c, ex_table):
    """Edge-of-realism flags: noise/wander large in cm, many dropouts, speed close to the limit."""
    f = []
    if c["noise"] / c["ppcm"] > 1.5:
        f.append("noise_cm>1.5")
    if c["wander"] / c["ppcm"] > 2.5:
        f.append("wander_cm>2.5")
    if 2 * math.pi * c["wander_hz"] * c["wander"] / c["ppcm"] > 5.0:
        f.append("wander_speed>5cm/s")
    if c["dropout"] > 0.2:
        f.append("dropout>0.2")
    if c["pose_dropout"] > 0.12:
        f.append("posedrop>0.12")
    e = ex_table.get(c["exercise"])
    if e and c["speed"] > round(EDGE_SPEED_SHARE * e.max_speed, 2):  # rounded as the defaults cap
        f.append("speed>0.7max")
    return f


def synth_supports(c):
    """synth refuses on-spine episodes together with a switch of exercise."""
    return not (c["spine"] and c["then"])


def at_defaults(c, ex_table):
    """C at synth's defaults for noise, scale, frame rate and size, no wander or dropouts, speed capped."""
    c.update({k: SYNTH_DEFAULTS[k] for k in DEFAULTS_MODE_KEYS})
    c["speed"] = min(c["speed"], round(EDGE_SPEED_SHARE * ex_table[c["exercise"]].max_speed, 2))
    return c


def draw_case(rng, idx, mode, ex_table):
    """A configuration synth accepts, drawn for MODE."""
    while True:
        c = draw(rng, idx, ex_table)
        if synth_supports(c) and not (mode == "ordinary" and edge(c, ex_table)):
            return at_defaults(c, ex_table) if mode == "defaults" else c


# ---------------------------------------------------------------------------------------------------- running


class Runner:
    """Runs the binary (under nice, one at a time) on configurations and evaluates the reports."""

    def __init__(self, binary, exercises_dir, ex_table):
        self.binary, self.exercises_dir, self.ex_table = binary, exercises_dir, ex_table

    def synth_args(self, c, path):
        a = ["synth", "--exercises-dir", self.exercises_dir, "--exercise", c["exercise"], "--out", path,
             "--speed", str(c["speed"]), "--duration", str(c["duration"]), "--seed", str(c["seed"]),
             "--noise-px", str(c["noise"]), "--fps", str(c["fps"]), "--width", str(c["width"]),
             "--height", str(c["height"]), "--px-per-cm", str(c["ppcm"])]
        if c["wander"]:
            a += ["--wander-px", str(c["wander"]), "--wander-hz", str(c["wander_hz"])]
        for key, opt, default in (("dropout", "--dropout", 0.0), ("pose_dropout", "--pose-dropout", 0.0),
                                  ("far_vis", "--far-visibility", 0.75), ("fast", "--fast-speed", None)):
            if c[key] is not None and c[key] != default:
                a += [opt, str(c[key])]
        a += self.diameter_args(c)
        a += [x for r, t, d in c["faults"] for x in ("--fault", f"{r}@{t}+{d}")]
        a += [x for t, d in c["holds"] for x in ("--hold", f"{t}+{d}")]
        a += [x for t, d in c["spine"] for x in ("--on-spine", f"{t}+{d}")]
        if c["then"]:
            a += ["--then", f"{c['then'][0]}@{c['then'][1]}"]
        return a

    def analyze_args(self, c, path, out):
        a = ["analyze", "--exercises-dir", self.exercises_dir, "--poses", path, "--out", out, "--no-video", "-q"]
        e = self.ex_table.get(c["exercise"])
        if e and not e.recognized:
            a += ["--exercise", c["exercise"]]
        return a + self.diameter_args(c)

    @staticmethod
    def diameter_args(c):
        a = []
        if c["roller_d"] != SYNTH_DEFAULTS["roller_d"]:
            a += ["--roller-diameter-cm", str(c["roller_d"])]
        if c["ball_d"] != SYNTH_DEFAULTS["ball_d"]:
            a += ["--ball-diameter-cm", str(c["ball_d"])]
        return a

    def cmdline(self, c, d, name):
        path = os.path.join(d, name + ".jsonl")
        return (shlex.join([self.binary] + self.synth_args(c, path)) + " && "
                + shlex.join([self.binary] + self.analyze_args(c, path, os.path.join(d, "out"))))

    def run_bin(self, args, cwd):
        """(ok, stderr tail) of one run of the binary under nice."""
        try:
            r = subprocess.run(["nice", "-n", "10", self.binary] + args, capture_output=True, text=True,
                               timeout=TIMEOUT_S, cwd=cwd)
        except subprocess.TimeoutExpired:
            return False, f"timed out after {TIMEOUT_S} s"
        except OSError as e:
            return False, f"cannot run {self.binary}: {e}"
        return r.returncode == 0, r.stderr.strip()[-300:]

    def run_case(self, c, d, keep=False):
        """(fails, info) of configuration C in folder D; unless KEEP, the track goes, and a passing case's folder."""
        name = os.path.basename(d)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name + ".jsonl")
        ok, err = self.run_bin(self.synth_args(c, path), d)
        if not ok:
            return [("synth_error", err)], {}
        truth = read_json(os.path.join(d, name + ".truth.json"))
        if truth is None:
            return [("synth_error", "no readable truth file")], {}
        ok, err = self.run_bin(self.analyze_args(c, path, os.path.join(d, "out")), d)
        if not ok:
            return [("analyze_error", err)], {}
        rep = read_json(os.path.join(d, "out", name + ".report.json"))
        if rep is None:
            return [("analyze_error", "no readable report")], {}
        fails, info = evaluate(truth, rep)
        if keep:
            return fails, info
        if not fails:
            shutil.rmtree(d, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)  # keep truth, report and metrics; the track is regenerated by the record's cmd
        return fails, info


# ---------------------------------------------------------------------------------------------------- evaluation


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def overlap(a0, a1, b0, b1, m=0.0):
    return a0 <= b1 + m and a1 >= b0 - m


def check_faults(tf, rf):
    """Every true fault reported with its rule within ONSET_TOL_S of its onset; no reported fault without one."""
    fails = []
    for f in tf:
        same = [g for g in rf if g["rule"] == f["rule"]]
        if any(abs(g["start"] - f["onset"]) <= ONSET_TOL_S for g in same):
            continue
        dt = nearest_onset_error(f, rf)
        zone = f.get("zone", "")
        tag = f["rule"] + (":" + zone if f["rule"] == "keep_out" and zone == "spine" else "")
        if dt is not None:
            fails.append(("fault_onset_off:" + tag,
                          f"{f['rule']} onset {f['onset']:.2f} reported {f['onset'] + dt:.2f} ({dt:+.2f}s)"))
        else:
            fails.append(("missed_fault:" + tag, f"{f['rule']} {f['onset']:.2f}-{f['end']:.2f} {zone} not reported"))
    for g in rf:
        if not any(f["rule"] == g["rule"] and overlap(g["start"], g["end"], f["onset"], f["end"], ONSET_TOL_S)
                   for f in tf):
            det = g.get("detail", "")
            fails.append(("false_fault:" + g["rule"] + (":" + det if det else ""),
                          f"{g['rule']} {g['start']:.2f}-{g['end']:.2f} {det} ({g.get('exercise')})"))
    return fails


def check_areas(want, areas):
    """The true exercise (and the switch target) are areas; no other area of more than EXTRA_AREA_S."""
    fails = []
    got = {a["exercise"] for a in areas}
    for w in want:
        if w not in got:
            fails.append(("missing_area:" + w,
                          f"no {w} area; areas {[(a['exercise'], round(a['time_on_area_s'], 1)) for a in areas]}"))
    for a in areas:
        if a["exercise"] not in want and a["time_on_area_s"] > EXTRA_AREA_S:
            fails.append(("extra_area", f"{a['exercise']} {a['first_t']:.1f}-{a['last_t']:.1f} on-area "
                                        f"{a['time_on_area_s']:.1f}s (truth {want})"))
    return fails


def mean_speed(area, fast_win, holds_t):
    """The area's mean pass speed; with too_fast bursts, the duration-weighted mean of passes away from them."""
    if not fast_win:
        return area.get("mean_speed_cm_s")
    num = den = 0.0
    for p in area.get("pass_list", []):
        if any(overlap(p["start"], p["end"], s, e) for s, e in fast_win):
            continue
        dur = p["end"] - p["start"] - sum(max(0.0, min(p["end"], e) - max(p["start"], s)) for s, e in holds_t)
        if dur > 0 and p["speed_cm_s"] is not None:
            num += p["speed_cm_s"] * dur
            den += dur
    return num / den if den > 0 else None


def check_speeds(truth, want, areas, holds_t):
    """Mean pass speed of each wanted area within SPEED_TOL of --speed."""
    fails, speeds = [], {}
    v = truth["speed_cm_s"]
    fast_win = [(f["onset"] - FAST_MARGIN_S, f["end"] + FAST_MARGIN_S)
                for f in truth.get("faults", []) if f["rule"] == "too_fast"]
    got = {a["exercise"]: a for a in areas}
    for w in want:
        a = got.get(w)
        if not a:
            continue
        m = speeds[w] = mean_speed(a, fast_win, holds_t)
        if m is None:
            if a["time_on_area_s"] >= NO_SPEED_AREA_S:
                fails.append(("no_speed", f"{w}: no passes in {a['time_on_area_s']:.1f}s on area"))
            continue
        err = (m - v) / v
        if abs(err) > SPEED_TOL:
            fails.append(("speed_" + ("high" if err > 0 else "low"),
                          f"{w}: mean {m:.2f} vs {v:.2f} ({err * 100:+.0f}%)"))
    return fails, {k: (round(x, 3) if x is not None else None) for k, x in speeds.items()}


def spans(holds):
    return [(round(h["start"], 1), round(h["end"], 1)) for h in holds]


def check_holds(areas, holds_t):
    """Each true hold found once with its onset within HOLD_ONSET_TOL_S; no reported hold without a true one."""
    fails = []
    rh = [(a["exercise"], h) for a in areas for h in a.get("holds", [])]
    for s, e in holds_t:
        ov = [h for _, h in rh if overlap(h["start"], h["end"], s, e)]
        if not ov:
            fails.append(("missed_hold", f"hold {s:.1f}-{e:.1f} not found; holds {spans(h for _, h in rh)}"))
            continue
        best = min(ov, key=lambda h: abs(h["start"] - s))
        if abs(best["start"] - s) > HOLD_ONSET_TOL_S:
            fails.append(("hold_onset_off", f"hold {s:.1f} reported {best['start']:.1f} ({best['start'] - s:+.1f}s)"))
        if len(ov) > 1:
            fails.append(("split_hold", f"hold {s:.1f}-{e:.1f} reported as {len(ov)}: {spans(ov)}"))
    for ex, h in rh:
        if not any(overlap(h["start"], h["end"], s, e, HOLD_ONSET_TOL_S) for s, e in holds_t):
            fails.append(("false_hold",
                          f"{ex} hold {h['start']:.1f}-{h['end']:.1f} ({h['duration_s']:.1f}s) none in truth"))
    return fails


def evaluate(truth, rep):
    """([(failure kind, detail)], info) of a report against its truth."""
    areas = rep.get("areas", [])
    want = [truth["exercise"]] + ([truth["then"][0]] if truth.get("then") else [])
    holds_t = [(e["onset"], e["end"]) for e in truth.get("events", []) if e["rule"] == "hold"]
    fails = check_faults(truth.get("faults", []), rep.get("faults", []))
    fails += check_areas(want, areas)
    speed_fails, speeds = check_speeds(truth, want, areas, holds_t)
    fails += speed_fails + check_holds(areas, holds_t)
    return fails, {"speeds": speeds, "onsets": onset_errors(truth.get("faults", []), rep.get("faults", []))}


def nearest_onset_error(f, rf):
    """Reported onset - true onset of true fault f, from the nearest report of its rule overlapping it (within
    ONSET_TOL_S); None when none overlaps."""
    ov = [g for g in rf if g["rule"] == f["rule"] and overlap(g["start"], g["end"], f["onset"], f["end"], ONSET_TOL_S)]
    return min((g["start"] - f["onset"] for g in ov), key=abs) if ov else None


def onset_errors(tf, rf):
    """[(rule, reported onset - true onset)] of every true fault with an overlapping report of its rule, whether or
    not it is within ONSET_TOL_S: the spread and bias of the onsets, not only failures."""
    errs = ((f["rule"], nearest_onset_error(f, rf)) for f in tf)
    return [(rule, round(dt, 3)) for rule, dt in errs if dt is not None]


# ---------------------------------------------------------------------------------------------------- summary


def kinds(rec):
    """Failure kinds of a record, grouped: fault kinds keep their rule, the others only their name."""
    ks = set()
    for k, _ in rec["fails"]:
        parts = k.split(":")
        ks.add(":".join(parts[:2]) if parts[0] in ("missed_fault", "false_fault", "fault_onset_off") else parts[0])
    return ks


def band(x, edges, labels, zero=None):
    """(rank, label) of the first edge X is below (the last label beyond all); ZERO: label of x == 0, ranked first."""
    if zero is not None and not x:
        return (-1, zero)
    return next(((i, lab) for i, (e, lab) in enumerate(zip(edges, labels)) if x < e), (len(edges), labels[-1]))


def buckets(ex_table):
    """(title, bucket of a cfg as (rank, label), modes it varies in)."""
    all_modes, real = ("realistic", "ordinary", "defaults"), ("realistic", "ordinary")

    def speed_share(c):
        e = ex_table.get(c["exercise"])
        return c["speed"] / e.max_speed if e else float("nan")

    def tool(c):
        e = ex_table.get(c["exercise"])
        return (0, e.tool if e else "?")
    return [
        ("noise px", lambda c: band(c["noise"], [1, 2, 3], ["<1", "1-2", "2-3", "3-4"]), real),
        ("noise cm", lambda c: band(c["noise"] / c["ppcm"], [0.5, 1, 1.5], ["<0.5", "0.5-1", "1-1.5", ">1.5"]), real),
        ("wander px", lambda c: band(c["wander"], [2, 4], ["<2", "2-4", "4-6"], zero="0"), real),
        ("fps", lambda c: (c["fps"], c["fps"]), real),
        ("px/cm", lambda c: band(c["ppcm"], [2, 3, 4.5], ["1.2-2", "2-3", "3-4.5", "4.5-6"]), real),
        ("tool", tool, all_modes),
        ("exercise", lambda c: (0, c["exercise"]), all_modes),
        ("scenario", lambda c: (SCENARIOS.index(c["kind"]) if c["kind"] in SCENARIOS else 9, c["kind"]), all_modes),
        ("speed/max", lambda c: band(speed_share(c), [0.3, 0.5, 0.7], ["<0.3", "0.3-0.5", "0.5-0.7", ">=0.7"]),
         all_modes),
        ("dropout", lambda c: band(c["dropout"], [0.15], ["<0.15", ">=0.15"], zero="0"), real),
        ("pose dropout", lambda c: band(c["pose_dropout"], [0.1], ["<0.1", ">=0.1"], zero="0"), real),
    ]


def print_kinds(name, group):
    c = collections.Counter(k for r in group for k in kinds(r))
    print(f"\n{name}failure kinds (cases with the kind; most frequent exercises)")
    if not c:
        print("  (none)")
    for k, v in c.most_common():
        exs = collections.Counter(r["cfg"]["exercise"] for r in group if k in kinds(r))
        print(f"  {v:4d} {k:34s} {dict(exs.most_common(6))}")


def print_buckets(title, key, recs, split):
    """Failure rate per bucket; with SPLIT, ordinary and edge cases apart."""
    b = collections.defaultdict(lambda: [0, 0, 0, 0])
    for r in recs:
        i = 2 if split and r.get("edge") else 0
        b[key(r["cfg"])][i] += 1
        b[key(r["cfg"])][i + 1] += bool(r["fails"])
    print(f"\n{title}: " + ("ordinary fail/n | edge fail/n | all %" if split else "fail/n | %"))
    for k in sorted(b):
        o, of, e, ef = b[k]
        edge_col = f" | {ef:3d}/{e:<3d}" if split else ""
        print(f"  {str(k[1]):24s} {of:3d}/{o:<3d}{edge_col} | {100 * (of + ef) / max(1, o + e):5.1f}%")


def summarize(recs, mode, ex_table):
    """Cases, failing, failure kinds, failure rate per bucket that varies in MODE."""
    refused = [r for r in recs if any(k == "synth_error" for k, _ in r["fails"])]
    recs = [r for r in recs if not any(k == "synth_error" for k, _ in r["fails"])]
    failing = sum(bool(r["fails"]) for r in recs)
    print(f"\n=== {mode}: cases {len(recs)}, failing {failing}"
          + (f" (+{len(refused)} with a synth error, e.g. refused settings; not counted)" if refused else ""))
    split = mode == "realistic"
    if split:
        ordinary = [r for r in recs if not r["edge"]]
        edge_ = [r for r in recs if r["edge"]]
        print(f"ordinary {len(ordinary)} (failing {sum(bool(r['fails']) for r in ordinary)}), "
              f"edge {len(edge_)} (failing {sum(bool(r['fails']) for r in edge_)})")
        print_kinds("ORDINARY: ", ordinary)
        print_kinds("EDGE: ", edge_)
    else:
        print_kinds("", recs)
    for title, key, modes in buckets(ex_table):
        if mode in modes:
            print_buckets(title, key, recs, split)


# ---------------------------------------------------------------------------------------------------- commands


def case_line(c, ex_table, fails):
    return (f"#{c['case']:5d} {c['exercise']:20s} {c['kind']:6s} v={c['speed']:5.2f} n={c['noise']:.1f}px "
            f"w={c['wander']:.1f}@{c['wander_hz']} drop={c['dropout']:.2f}/{c['pose_dropout']:.2f} fps={c['fps']} "
            f"{c['width']}x{c['height']} ppcm={c['ppcm']} edge={','.join(edge(c, ex_table)) or '-'} -> "
            + ("OK" if not fails else " | ".join(f"{k}: {d}" for k, d in fails)))


def run_and_record(runner, c, d, log, extra=None, show=True):
    """Run C in folder D, append its record (with EXTRA) to LOG, print its line if SHOW; the record."""
    fails, info = runner.run_case(c, d)
    rec = {"cfg": c, "edge": edge(c, runner.ex_table), "fails": fails, "info": info,
           "cmd": runner.cmdline(c, d, os.path.basename(d)), **(extra or {})}
    log.write(json.dumps(rec) + "\n")
    log.flush()
    if show:
        print(case_line(c, runner.ex_table, fails), flush=True)
    return rec


def remove_if_empty(folder):
    try:
        os.rmdir(folder)  # all cases passed: nothing kept
    except OSError:
        pass


def cmd_sweep(runner, work, mode, cases, seed):
    rng = random.Random(seed)
    stem = f"{mode}-seed{seed}"
    log_path = os.path.join(work, stem + ".jsonl")
    recs = []
    with open(log_path, "w") as log:
        for i in range(FIRST_CASE[mode], FIRST_CASE[mode] + cases):
            c = draw_case(rng, i, mode, runner.ex_table)
            recs.append(run_and_record(runner, c, os.path.join(work, stem, f"c{i}"), log))
    remove_if_empty(os.path.join(work, stem))
    summarize(recs, mode, runner.ex_table)
    print(f"\nlog: {log_path}")


def read_log(path):
    try:
        with open(path) as f:
            recs = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as e:
        raise UsageError(f"cannot read the log {path}: {e}")
    if not recs or not all(isinstance(r, dict) and "cfg" in r and "fails" in r for r in recs):
        raise UsageError(f"{path}: not a sweep log (one JSON object with cfg and fails per line)")
    return recs


def cmd_rerun(runner, work, log_in, mode):
    """Re-run a log's configurations (with --mode ordinary only those without edge flags); kinds before -> after."""
    stem = "rerun-" + os.path.splitext(os.path.basename(log_in))[0]
    log_path = os.path.join(work, stem + ".jsonl")
    pairs = []  # (failure kinds before, after) per case
    with open(log_path, "w") as log:
        for old in read_log(log_in):
            c = complete_cfg(old["cfg"])
            if mode == "ordinary" and edge(c, runner.ex_table):
                continue
            o = {k for k, _ in old["fails"]}
            rec = run_and_record(runner, c, os.path.join(work, stem, f"q{c['case']}"), log,
                                 extra={"old_fails": sorted(o)}, show=False)
            k = {x for x, _ in rec["fails"]}
            if o != k:
                print(f"#{c['case']:5d} {c['exercise']:20s} {sorted(o)} -> {sorted(k)}", flush=True)
            pairs.append((o, k))
    remove_if_empty(os.path.join(work, stem))
    print_rerun(log_in, pairs)
    print(f"\nlog: {log_path}")


def print_rerun(log_in, pairs):
    """Cases failing before -> after, fixed, newly failing (a failure kind it did not have), and per kind."""
    old_k = collections.Counter(k for o, _ in pairs for k in o)
    new_k = collections.Counter(k for _, n in pairs for k in n)
    fixed = sum(bool(o and not n) for o, n in pairs)
    broke = sum(bool(n - o) for o, n in pairs)
    print(f"\nre-ran {len(pairs)} cases of {log_in}: failing {sum(bool(o) for o, _ in pairs)} -> "
          f"{sum(bool(n) for _, n in pairs)}, fixed {fixed}, newly failing {broke}")
    print("failure kind (cases): before -> after" if old_k or new_k else "no failures before or after")
    for k in sorted(set(old_k) | set(new_k)):
        print(f"  {k:44s} {old_k[k]:4d} -> {new_k[k]:4d}")


def complete_cfg(c):
    """A configuration with synth's defaults for what it leaves out."""
    if "exercise" not in c:
        raise UsageError("a configuration needs at least \"exercise\"")
    return copy.deepcopy({**SYNTH_DEFAULTS, **EMPTY_SCENARIO, **c})


def cmd_one(runner, work, text):
    try:
        c = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--one: not JSON: {e}")
    if not isinstance(c, dict):
        raise UsageError("--one: expected a JSON object (a configuration or a log line)")
    given = c.get("cfg", c)
    c = complete_cfg(given)
    if c["exercise"] not in runner.ex_table:
        raise UsageError(f"--one: unknown exercise {c['exercise']!r} (known: {', '.join(runner.ex_table)})")
    d = os.path.join(work, "one", str(c.get("name") or (f"c{c['case']}" if "case" in given else "one")))
    fails, info = runner.run_case(c, d, keep=True)
    print(json.dumps({"cfg": c, "edge": edge(c, runner.ex_table), "fails": fails, "info": info}, indent=1))
    print(f"\n{'OK' if not fails else f'{len(fails)} failure(s)'}; outputs in {d}")
    print(f"cmd: {runner.cmdline(c, d, os.path.basename(d))}")


# ---------------------------------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(prog="sweep_synth.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", default=os.path.join(REPO, "target", "release", "rollcoach"),
                   help="rollcoach binary (default: target/release/rollcoach of this checkout)")
    p.add_argument("--exercises-dir", default=os.path.join(REPO, "exercises"),
                   help="exercise files, read here and passed to the binary (default: exercises/ of this checkout)")
    p.add_argument("--work", required=True, help="folder for tracks, outputs and logs (outside the repository)")
    p.add_argument("--cases", type=int, default=50, help="number of cases (default 50)")
    p.add_argument("--seed", type=int, help="random seed (default per mode: realistic 20240601, ordinary 777, "
                                            "defaults 4242, those of the 2026-11-29 sweep)")
    p.add_argument("--mode", choices=list(FIRST_CASE), default="realistic",
                   help="range of the draws (default realistic); with --rerun, ordinary re-runs only cases "
                        "without edge flags")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rerun", metavar="LOG.jsonl", help="re-run the configurations of an earlier log")
    g.add_argument("--one", metavar="JSON", help="run one configuration (a log line or its cfg) and keep its outputs")
    a = p.parse_args(argv)
    if a.cases < 1:
        p.error("--cases must be at least 1")
    return a


def check_environment(a):
    """Absolute, checked paths for the binary, the exercises and the work folder (created)."""
    binary = os.path.realpath(a.bin)
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        raise UsageError(f"no executable rollcoach at {a.bin} (build it with `cargo build --release`, or pass --bin)")
    if shutil.which("nice") is None:
        raise UsageError("`nice` not found on PATH")
    work = os.path.realpath(a.work)
    if work == REPO or work.startswith(REPO + os.sep):
        raise UsageError(f"--work {a.work} is inside the repository {REPO}; choose a folder outside it")
    if os.path.exists(work) and not os.path.isdir(work):
        raise UsageError(f"--work {a.work} exists and is not a folder")
    try:
        os.makedirs(work, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create --work {a.work}: {e.strerror}")
    if not os.access(work, os.W_OK | os.X_OK):
        raise UsageError(f"--work {a.work} is not writable")
    return binary, os.path.realpath(a.exercises_dir), work


def main(argv=None):
    a = parse_args(argv)
    try:
        binary, exercises_dir, work = check_environment(a)
        runner = Runner(binary, exercises_dir, load_exercises(exercises_dir))
        if a.one is not None:
            cmd_one(runner, work, a.one)
        elif a.rerun is not None:
            cmd_rerun(runner, work, a.rerun, a.mode)
        else:
            cmd_sweep(runner, work, a.mode, a.cases, a.seed if a.seed is not None else DEFAULT_SEED[a.mode])
    except UsageError as e:
        sys.exit(f"{PROG}: error: {e}")
    except KeyboardInterrupt:
        sys.exit(f"\n{PROG}: interrupted (the log holds the cases finished so far)")
    except BrokenPipeError:  # output piped into e.g. head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
