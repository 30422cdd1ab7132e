"""Render synthetic foam-rolling clips with known truth (roller, contact, speed, faults).

Run headless (Debian packages `blender` 3.4 and `assimp-testmodels`):

    blender -b --factory-startup --python tools/render/render_rolling.py -- --out samples/synthetic [--only NAME]
        [--preview] [--keep-frames DIR]

The figure is the mannequin /usr/share/assimp/models/BLEND/HUMAN.blend (c) 2010 Tobias Rittig, "redistribution and
reuse allowed for any purpose"). The script gives it a skeleton (14 bones per side/chain), its own linear-blend skin
weights (nearest bone segment within a body region), shoes, hands, hair, eyes and clothing colours, then poses it
per frame with forward kinematics in the side-view plane. See tools/render/README.md for the truth file format.

World axes: X along the floor (image right), Y away from the camera (depth), Z up; metres. The camera looks along +Y,
the roller's axis is along Y, so the roller is seen end-on as a circle.
"""

import bpy
import bmesh
import json
import math
import os
import subprocess
import sys
import shutil
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

HUMAN_BLEND = "/usr/share/assimp/models/BLEND/HUMAN.blend"
# HUMAN.blend is 10.785 units tall (z -5.228 .. 5.557); scale it to a 1.75 m person.
# The mannequin's legs are short for its torso (hip-ankle / shoulder-hip = 1.34; about 1.6 in adults), and BlazePose
# then put knees and ankles well short of the real joints: the legs below the hip joint are stretched by LEG_STRETCH
# and given a knee/calf/ankle silhouette (LEG_PROFILE) to make the figure more human.
HIP_Z_U, ANKLE_Z_U = -0.1, -4.85
LEG_STRETCH = 1.2
# (position along the leg 0 = hip .. 1 = ankle, radial scale of the leg's cross-section)
LEG_PROFILE = [(0.0, 1.0), (0.35, 0.95), (0.5, 0.8), (0.57, 0.8), (0.7, 1.06), (0.85, 0.85), (0.97, 0.72), (1.2, 0.72)]
UNIT_M = 1.75 / (10.785 + (HIP_Z_U + 5.228) * (LEG_STRETCH - 1))
REST_ORIGIN_U = (0.0, 0.2, -0.1)  # hip-joint centre in model units -> world origin of the rest pose

ROLLER_DIAMETER_M = 0.15
ROLLER_LENGTH_M = 0.36
WEIGHT_SMOOTH_ITERATIONS = 12
ROLLER_SINK_M = 0.01  # how far the body surface presses into the foam / soft tissue at the contact
FLOOR_CLEARANCE_M = 0.0

WIDTH, HEIGHT = 640, 480
# Long lens from farther away: the roller's near end face (what the camera sees as the circle) is 18 cm in front of the
# body's mid-plane; at 3 m that shifts it by 6% of its distance from the image centre, at 2 m by 9%.
CAMERA_LENS_MM = 42.0

# Thresholds copied from exercises/*.toml (the engine's data); truth fault intervals are derived from them.
EXERCISE_DATA = {
    "upper_back": {"segment": ("shoulder", "hip"), "max_speed_cm_s": 12.0,
                   "keep_out": [("lumbar spine", 0.62, 1.1), ("neck", -0.5, -0.06)], "hips_min_cm": 18.0},
    "quads": {"segment": ("hip", "knee"), "max_speed_cm_s": 15.0, "keep_out": [("kneecap", 0.9, 1.35)]},
    "calves": {"segment": ("knee", "ankle"), "max_speed_cm_s": 14.0,
               "keep_out": [("back of the knee", -0.35, 0.06), ("Achilles tendon", 0.88, 1.35)], "hips_min_cm": 16.0},
    "it_band": {"segment": ("hip", "knee"), "max_speed_cm_s": 15.0, "keep_out": [("side of the knee", 0.9, 1.35)]},
}


def U(x, y, z):
    """Model units -> rest-pose metres."""
    if z < HIP_Z_U:
        z = HIP_Z_U + (z - HIP_Z_U) * LEG_STRETCH
    return np.array([(x - REST_ORIGIN_U[0]) * UNIT_M, (y - REST_ORIGIN_U[1]) * UNIT_M, (z - REST_ORIGIN_U[2]) * UNIT_M])


def shape_legs(P, co_u):
    """Knee, calf and ankle silhouette: scales each leg vertex's distance from the hip-ankle axis (rest pose, m)."""
    prof_s = np.array([a for a, _ in LEG_PROFILE])
    prof_f = np.array([b for _, b in LEG_PROFILE])
    for k, (x, y, z) in enumerate(co_u):
        if z >= -0.4:
            continue
        sx = 1.0 if x >= 0 else -1.0
        hip, ank = U(0.55 * sx, 0.2, HIP_Z_U), U(0.8 * sx, 0.35, ANKLE_Z_U)
        s = (HIP_Z_U - z) / (HIP_Z_U - ANKLE_Z_U)
        axis = hip + (ank - hip) * s
        f = float(np.interp(s, prof_s, prof_f))
        P[k, :2] = axis[:2] + (P[k, :2] - axis[:2]) * f
    return P


# ----------------------------------------------------------------------------------------------------------------
# Skeleton (rest pose = the model standing, facing -Y, its left at +X). Joint positions read off orthographic renders
# of HUMAN.blend (tools/render/README.md).
def _bones():
    b = [
        ("pelvis", None, U(0, 0.2, -0.1), U(0, 0.15, 1.5)),
        ("chest", "pelvis", U(0, 0.15, 1.5), U(0, 0.1, 3.6)),
        ("head", "chest", U(0, 0.1, 3.6), U(0, 0.0, 5.55)),
    ]
    for s, sx in (("L", 1.0), ("R", -1.0)):
        b += [
            (f"uparm.{s}", "chest", U(1.1 * sx, 0.15, 3.3), U(1.6 * sx, 0.3, 1.9)),
            (f"forearm.{s}", f"uparm.{s}", U(1.6 * sx, 0.3, 1.9), U(1.95 * sx, 0.3, 0.75)),
            (f"hand.{s}", f"forearm.{s}", U(1.95 * sx, 0.3, 0.75), U(2.2 * sx, 0.3, 0.15)),
            (f"thigh.{s}", "pelvis", U(0.55 * sx, 0.2, -0.1), U(0.65 * sx, 0.25, -2.6)),
            (f"shin.{s}", f"thigh.{s}", U(0.65 * sx, 0.25, -2.6), U(0.8 * sx, 0.35, -4.85)),
            (f"foot.{s}", f"shin.{s}", U(0.8 * sx, 0.35, -4.85), U(0.8 * sx, -1.05, -5.15)),
        ]
    return b


BONES = _bones()
BONE_INDEX = {name: i for i, (name, _, _, _) in enumerate(BONES)}
BONE_LEN = {name: float(np.linalg.norm(t - h)) for name, _, h, t in BONES}


def norm(v):
    n = np.linalg.norm(v)
    return v / n if n > 1e-12 else v


def frame_of(d, ref):
    d = norm(d)
    r = norm(ref - np.dot(ref, d) * d)
    return np.stack([r, d, np.cross(r, d)], axis=1)


class Pose:
    """Forward kinematics: per-bone world direction (or inherit the parent's rotation), root = hip-joint centre."""

    def __init__(self, ref_kind, ref_world):
        self.ref_kind = ref_kind  # "left" (sagittal poses) or "front" (side-lying, frontal-plane poses)
        self.ref_world = np.array(ref_world, float)
        self.root = np.zeros(3)
        self.dirs = {}

    def set_angle(self, bone, deg):
        a = math.radians(deg)
        self.dirs[bone] = np.array([math.cos(a), 0.0, math.sin(a)])

    def solve(self):
        """Returns {bone: (R 3x3, head_rest, head_pose)} so that p_pose = R (p_rest - head_rest) + head_pose."""
        ref0 = np.array([1.0, 0, 0]) if self.ref_kind == "left" else np.array([0, -1.0, 0])
        out = {}
        for name, parent, h, t in BONES:
            if parent is None:
                head = self.root.copy()
            else:
                R_p, h_p, hp_p = out[parent]
                head = R_p @ (h - h_p) + hp_p
            if name in self.dirs:
                R = frame_of(self.dirs[name], self.ref_world) @ frame_of(t - h, ref0).T
            else:
                R = out[parent][0] if parent else np.eye(3)
            out[name] = (R, h, head)
        self.solved = out
        return out

    def joint(self, name):
        """World position of a named joint (after solve())."""
        s = self.solved

        def at(bone, p_rest):
            R, h, hp = s[bone]
            return R @ (p_rest - h) + hp

        B = {n: (h, t) for n, _, h, t in BONES}
        side = name[-1]
        base = name[:-2] if name[-2] == "." else name
        table = {
            "hip": lambda: s[f"thigh.{side}"][2],
            "knee": lambda: at(f"thigh.{side}", B[f"thigh.{side}"][1]),
            "ankle": lambda: at(f"shin.{side}", B[f"shin.{side}"][1]),
            "toe": lambda: at(f"foot.{side}", B[f"foot.{side}"][1]),
            "heel": lambda: at(f"foot.{side}", B[f"foot.{side}"][0] + np.array([0, 0.09, -0.04])),
            "shoulder": lambda: s[f"uparm.{side}"][2],
            "elbow": lambda: at(f"uparm.{side}", B[f"uparm.{side}"][1]),
            "wrist": lambda: at(f"forearm.{side}", B[f"forearm.{side}"][1]),
            "handtip": lambda: at(f"hand.{side}", B[f"hand.{side}"][1]),
            "ear": lambda: at("head", U(0.42 * (1 if side == "L" else -1), 0.15, 4.75)),
            "nose": lambda: at("head", U(0, -0.55, 4.6)),
            "neck": lambda: s["head"][2],
        }
        return table[base]()


# ----------------------------------------------------------------------------------------------------------------
# Mesh: HUMAN.blend (mirror + subsurf applied) plus shoes, hands, hair and eyes; skin weights; materials.
def seg_dist(P, a, b):
    ab = b - a
    t = np.clip(((P - a) @ ab) / (ab @ ab), 0, 1)
    return np.linalg.norm(P - (a + t[:, None] * ab), axis=1)


def load_human():
    with bpy.data.libraries.load(HUMAN_BLEND) as (src, dst):
        dst.objects = [n for n in src.objects if n == "Cube"]
    ob = dst.objects[0]
    bpy.context.scene.collection.objects.link(ob)
    for m in ob.modifiers:
        if m.type == "SUBSURF":
            m.levels = 3
            m.render_levels = 3
    dg = bpy.context.evaluated_depsgraph_get()
    me = bpy.data.meshes.new_from_object(ob.evaluated_get(dg))
    me.transform(ob.matrix_world)
    bpy.data.objects.remove(ob)
    n = len(me.vertices)
    co = np.empty(n * 3)
    me.vertices.foreach_get("co", co)
    co = co.reshape(n, 3)
    faces = [tuple(p.vertices) for p in me.polygons]
    bpy.data.meshes.remove(me)
    return co, faces  # model units


def body_weights(co_u, faces):
    """Linear-blend weights for HUMAN.blend vertices (model units)."""
    P = shape_legs(np.array([U(*v) for v in co_u]), co_u)
    nb = len(BONES)
    D = np.stack([seg_dist(P, h, t) for _, _, h, t in BONES], axis=1)
    cand = np.zeros((len(P), nb), bool)
    bi = BONE_INDEX
    for k, v in enumerate(co_u):
        x, y, z = v
        s = "L" if x >= 0 else "R"
        arm = [bi[f"uparm.{s}"], bi[f"forearm.{s}"], bi[f"hand.{s}"]]
        leg = [bi[f"thigh.{s}"], bi[f"shin.{s}"], bi[f"foot.{s}"]]
        d_arm = D[k, arm].min()
        if z < -0.4 or (z < 0.2 and abs(x) > 0.5 and d_arm > 0.5):
            c = leg + ([bi["pelvis"]] if z > -1.0 else [])
        elif (z < 2.7 and abs(x) > 1.3) or (2.7 <= z < 3.6 and abs(x) > 1.05):
            c = arm + ([bi["chest"]] if z > 2.7 else [])
        else:
            c = [bi["pelvis"], bi["chest"], bi["head"]]
            if z < 0.6:
                c.append(bi[f"thigh.{s}"])
            if z > 2.7 and abs(x) > 0.55:
                c.append(bi[f"uparm.{s}"])
        cand[k, c] = True
    Du = D / UNIT_M  # model units
    W = np.where(cand, 1.0 / (Du + 0.08) ** 4, 0.0)
    W /= W.sum(axis=1, keepdims=True)
    # Smooth the weights over the mesh (neighbour averaging) so neighbouring vertices never jump between bones.
    edges = set()
    for f in faces:
        for a, b in zip(f, f[1:] + f[:1]):
            edges.add((min(a, b), max(a, b)))
    E = np.array(sorted(edges))
    deg = np.bincount(E.ravel(), minlength=len(P)).astype(float)
    for _ in range(WEIGHT_SMOOTH_ITERATIONS):
        acc = np.zeros_like(W)
        np.add.at(acc, E[:, 0], W[E[:, 1]])
        np.add.at(acc, E[:, 1], W[E[:, 0]])
        W = 0.5 * W + 0.5 * acc / np.maximum(deg, 1)[:, None]
    W[W < 0.03] = 0
    W /= W.sum(axis=1, keepdims=True)
    return P, W


def prim(kind, size, center, rot=None, segs=12):
    bm = bmesh.new()
    if kind == "sphere":
        bmesh.ops.create_uvsphere(bm, u_segments=segs, v_segments=max(6, segs // 2), radius=1.0)
    else:
        bmesh.ops.create_cube(bm, size=2.0)
    V = np.array([v.co[:] for v in bm.verts]) * np.array(size)
    F = [tuple(v.index for v in f.verts) for f in bm.faces]
    bm.free()
    if rot is not None:
        V = V @ rot.T
    return V + center, F


def extras(low_shoes=False):
    """(verts m, faces, bone, material) for shoes, hands, hair and eyes in the rest pose.

    low_shoes: low-cut shoes whose top stays below the ankle joint, with a heel behind it (calves). The default shoe
    (one ellipsoid whose top reaches the ankle joint and with no heel behind it) hid the ankle when the foot points up;
    BlazePose then put the ankle at the shin's end, 10-25 px up the shin from the joint."""
    out = []
    for s, sx in (("L", 1.0), ("R", -1.0)):
        ank = U(0.8 * sx, 0.35, -4.85)
        if low_shoes:
            V, F = prim("sphere", (0.048, 0.13, 0.032), ank + np.array([0, -0.065, -0.06]))
            out.append((V, F, f"foot.{s}", "shoe"))
            V, F = prim("sphere", (0.04, 0.045, 0.035), ank + np.array([0, 0.02, -0.055]))  # heel
            out.append((V, F, f"foot.{s}", "shoe"))
        else:
            # shoe: ellipsoid from behind the ankle to the toes
            V, F = prim("sphere", (0.048, 0.13, 0.04), ank + np.array([0, -0.07, -0.045]))
            out.append((V, F, f"foot.{s}", "shoe"))
        # hand: flattened ellipsoid along the hand bone
        w, tip = U(1.95 * sx, 0.3, 0.75), U(2.2 * sx, 0.3, 0.15)
        d = norm(tip - w)
        R = frame_of(d, np.array([0, -1.0, 0]))  # columns: front-ish, along, side
        V, F = prim("sphere", (0.045, 0.09, 0.022), (w + tip) / 2 + d * 0.01, rot=R)
        out.append((V, F, f"hand.{s}", "skin"))
        # eye
        V, F = prim("sphere", (0.014, 0.008, 0.01), U(0.17 * sx, -0.42, 4.88), segs=8)
        out.append((V, F, "head", "eye"))
    # hair: a cap over the top and back of the head
    V, F = prim("sphere", (0.5 * UNIT_M * 1.06, 0.58 * UNIT_M * 1.04, 0.55 * UNIT_M), U(0, 0.1, 4.95), segs=16)
    out.append((V, F, "head", "hair"))
    return out


PALETTES = [
    # skin, shirt, shorts/pants, shoe, hair
    {"skin": (0.80, 0.56, 0.42), "shirt": (0.75, 0.10, 0.10), "shorts": (0.08, 0.10, 0.25), "shoe": (0.9, 0.9, 0.9),
     "hair": (0.10, 0.06, 0.03), "eye": (0.02, 0.02, 0.02), "long_pants": False},
    {"skin": (0.45, 0.30, 0.20), "shirt": (0.10, 0.45, 0.70), "shorts": (0.15, 0.15, 0.15), "shoe": (0.1, 0.1, 0.1),
     "hair": (0.03, 0.03, 0.03), "eye": (0.02, 0.02, 0.02), "long_pants": True},
    {"skin": (0.90, 0.70, 0.58), "shirt": (0.15, 0.55, 0.25), "shorts": (0.35, 0.25, 0.15), "shoe": (0.6, 0.1, 0.1),
     "hair": (0.45, 0.30, 0.12), "eye": (0.02, 0.02, 0.02), "long_pants": False},
    {"skin": (0.65, 0.45, 0.32), "shirt": (0.85, 0.75, 0.20), "shorts": (0.05, 0.05, 0.05), "shoe": (0.2, 0.3, 0.8),
     "hair": (0.05, 0.03, 0.02), "eye": (0.02, 0.02, 0.02), "long_pants": False},
]


def make_material(name, rgb, roughness=0.6):
    m = bpy.data.materials.new(name)
    m.diffuse_color = (*rgb, 1.0)
    m.roughness = roughness
    m.use_nodes = True
    bsdf = m.node_tree.nodes.get("Principled BSDF")
    if bsdf:
        bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
        bsdf.inputs["Roughness"].default_value = roughness
    return m


class Figure:
    def __init__(self, palette, low_shoes=False):
        co_u, faces = load_human()
        P, W = body_weights(co_u, faces)
        mats = ["skin", "shirt", "shorts", "shoe", "hair", "eye"]
        # body face materials from the dominant bone of each face
        dom = W.argmax(axis=1)
        names = [b[0] for b in BONES]
        face_mat = []
        for f in faces:
            zs = [co_u[i][2] for i in f]
            bones = [names[dom[i]] for i in f]
            bone = max(set(bones), key=bones.count)
            z = sum(zs) / len(zs)
            if bone.startswith("chest") or bone.startswith("uparm"):
                m = "shirt" if not (bone == "chest" and z > 3.75) else "skin"
                if bone.startswith("uparm") and z < 2.2:
                    m = "skin"
            elif bone == "pelvis":
                m = "shorts" if z < 0.6 else "shirt"
            elif bone.startswith("thigh"):
                m = "shorts" if (z > -1.7 or palette["long_pants"]) else "skin"
            elif bone.startswith("shin"):
                m = "shorts" if palette["long_pants"] else "skin"
            elif bone.startswith("foot"):
                m = "shoe"
            else:
                m = "skin"
            face_mat.append(mats.index(m))
        verts = [P]
        weights = [W]
        all_faces = list(faces)
        off = len(P)
        for V, F, bone, mat in extras(low_shoes):
            verts.append(V)
            w = np.zeros((len(V), len(BONES)))
            w[:, BONE_INDEX[bone]] = 1
            weights.append(w)
            all_faces += [tuple(i + off for i in f) for f in F]
            face_mat += [mats.index(mat)] * len(F)
            off += len(V)
        self.rest = np.concatenate(verts)
        self.W = np.concatenate(weights)
        self.body_n = len(P)
        me = bpy.data.meshes.new("figure")
        me.from_pydata(self.rest.tolist(), [], all_faces)
        for m in mats:
            me.materials.append(make_material(m, palette[m]))
        me.polygons.foreach_set("material_index", face_mat)
        me.polygons.foreach_set("use_smooth", [True] * len(all_faces))
        me.update()
        self.mesh = me
        self.obj = bpy.data.objects.new("figure", me)
        bpy.context.scene.collection.objects.link(self.obj)
        self.dominant = self.W.argmax(axis=1)

    def skin(self, solved):
        out = np.zeros_like(self.rest)
        for name, (R, h, hp) in solved.items():
            w = self.W[:, BONE_INDEX[name]]
            nz = w > 0
            if not nz.any():
                continue
            out[nz] += w[nz, None] * ((self.rest[nz] - h) @ R.T + hp)
        return out

    def apply(self, posed):
        self.mesh.vertices.foreach_set("co", posed.ravel())
        self.mesh.update()
        self.mesh.calc_normals()

    def lowest_near(self, posed, x, bones, half_width=0.04):
        """Lowest z of the vertices of `bones` within half_width of x and over the roller's length."""
        ids = [BONE_INDEX[b] for b in bones]
        sel = np.isin(self.dominant, ids) & (np.abs(posed[:, 0] - x) < half_width) & \
            (np.abs(posed[:, 1]) < ROLLER_LENGTH_M / 2)
        if not sel.any():
            raise RuntimeError(f"no vertices of {bones} over the roller at x={x:.3f}")
        return float(posed[sel, 2].min())


# ----------------------------------------------------------------------------------------------------------------
# Exercise poses. All lie with the head toward -X. Angles: degrees in the image plane, 0 = +X, 90 = up.
def bisect(f, lo, hi, target, it=30):
    """Finds a in [lo,hi] with f(a) ~= target for monotone f."""
    flo = f(lo) - target
    for _ in range(it):
        mid = 0.5 * (lo + hi)
        fm = f(mid) - target
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def shin_to_floor(pose, side, ankle_z):
    """Angle for shin.{side} that puts the ankle at height ankle_z (knee above), toes forward."""
    pose.solve()
    k = pose.joint(f"knee.{side}")
    dz = (ankle_z - k[2]) / BONE_LEN[f"shin.{side}"]
    dz = max(-1.0, min(1.0, dz))
    return math.degrees(math.asin(dz))  # pointing +X and down


class Exercise:
    ref_kind = "left"
    ref_world = (0, 1, 0)
    contact_bones = ()
    low_shoes = False
    segment_sides = ("L", "R")  # landmarks averaged over these sides for the contact truth

    def __init__(self, fig):
        self.fig = fig

    def place(self, pelvis_x, roller_x, state):
        """Returns (Pose solved, posed vertices)."""
        pose = Pose(self.ref_kind, self.ref_world)
        pose.root = np.array([pelvis_x, 0.0, 0.5])
        self.angles(pose, state)
        posed = self.fig.skin(pose.solve())
        low = self.fig.lowest_near(posed, roller_x, self.contact_bones)
        pose.root[2] += (ROLLER_DIAMETER_M - ROLLER_SINK_M) - low
        self.constrain(pose, state)
        posed = self.fig.skin(pose.solve())
        return pose, posed

    def constrain(self, pose, state):
        pass


class UpperBack(Exercise):
    """Supine, hands behind the head, hips lifted (bridge), feet flat; roller under the shoulder blades."""
    name = "upper_back"
    ref_world = (0, 1, 0)  # supine, head -X, front +Z -> left = +Y
    contact_bones = ("chest", "pelvis")

    def angles(self, p, st):
        drop = st.get("hips_drop", 0.0)  # 0 = lifted, 1 = dropped to the floor
        p.set_angle("pelvis", 180 - 32 * drop)
        p.set_angle("chest", 180 - 6 * drop)
        p.set_angle("head", 172 - 4 * drop)
        for s in "LR":
            p.set_angle(f"uparm.{s}", 118)
            p.set_angle(f"forearm.{s}", 236)
            p.set_angle(f"hand.{s}", 250)
            p.set_angle(f"thigh.{s}", 28 + 12 * drop)
            p.set_angle(f"shin.{s}", -60)
            p.set_angle(f"foot.{s}", -8)

    def constrain(self, p, st):
        for s in "LR":
            p.set_angle(f"shin.{s}", shin_to_floor(p, s, 0.085))


class Quads(Exercise):
    """Prone forearm plank, roller under the front of the thighs."""
    name = "quads"
    ref_world = (0, -1, 0)  # prone, head -X, front -Z -> left = -Y
    contact_bones = ("thigh.L", "thigh.R")

    def angles(self, p, st):
        self.torso = st.get("torso", 172.0)
        p.set_angle("pelvis", self.torso)
        p.set_angle("chest", self.torso)
        p.set_angle("head", self.torso - 8)
        for s in "LR":
            p.set_angle(f"thigh.{s}", -2)
            # knees bent, feet up: with straight legs BlazePose put the knee at the shorts' hem and the ankle mid-shin
            p.set_angle(f"shin.{s}", 25)
            p.set_angle(f"foot.{s}", -20)
            p.set_angle(f"uparm.{s}", -88)
            p.set_angle(f"forearm.{s}", 180)
            p.set_angle(f"hand.{s}", 180)

    def constrain(self, p, st):
        def elbow_z(a):
            p.set_angle("pelvis", a)
            p.set_angle("chest", a)
            p.set_angle("head", a - 8)
            p.solve()
            return p.joint("elbow.R")[2]
        a = bisect(elbow_z, 150, 200, 0.05)
        p.set_angle("pelvis", a)
        p.set_angle("chest", a)
        p.set_angle("head", a - 8)


class Calves(Exercise):
    """Seated, hands on the floor behind, hips lifted, roller under the calves."""
    name = "calves"
    ref_world = (0, 1, 0)
    contact_bones = ("shin.L", "shin.R")
    low_shoes = True  # see extras(): the ankle must be visible between the shin and the shoe

    def angles(self, p, st):
        drop = st.get("hips_drop", 0.0)
        p.set_angle("pelvis", 140)
        p.set_angle("chest", 140)
        p.set_angle("head", 150)
        for s in "LR":
            # knees bent 28 deg (apex up): with straight legs BlazePose put knees and ankles 20-40 px short, with a
            # 16 deg bend still 10-25 px short (toward the head). More bend (thigh up) would put the hip more than
            # 7 cm below the knee, which is the hips_dropped posture.
            p.set_angle(f"thigh.{s}", 4 + 20 * drop)
            p.set_angle(f"shin.{s}", -24)
            p.set_angle(f"foot.{s}", 60)
            p.set_angle(f"uparm.{s}", 255)
            p.set_angle(f"forearm.{s}", 255)
            p.set_angle(f"hand.{s}", 200)

    def constrain(self, p, st):
        def wrist_z(a):
            p.set_angle("pelvis", a)
            p.set_angle("chest", a)
            p.set_angle("head", a + 10)
            p.solve()
            return p.joint("wrist.R")[2]
        a = bisect(wrist_z, 100, 178, 0.035)
        p.set_angle("pelvis", a)
        p.set_angle("chest", a)
        p.set_angle("head", a + 10)


class ItBand(Exercise):
    """Side-lying on the right side, propped on the right forearm, legs stacked; roller under the right outer thigh.
    The camera sees the front of the body (image plane = the body's frontal plane)."""
    name = "it_band"
    ref_kind = "front"
    ref_world = (0, -1, 0)
    contact_bones = ("thigh.R",)
    segment_sides = ("R",)

    def angles(self, p, st):
        p.set_angle("pelvis", 168)
        p.set_angle("chest", 168)
        p.set_angle("head", 172)
        # legs stacked: the top (left) leg is adducted onto the bottom one (parallel legs leave a gap that BlazePose
        # took for the body's midline)
        p.set_angle("thigh.R", 0)
        p.set_angle("shin.R", -1)
        p.set_angle("thigh.L", -13)
        p.set_angle("shin.L", 2)
        p.set_angle("uparm.R", -90)
        p.set_angle("forearm.R", 180)
        p.set_angle("hand.R", 180)
        p.set_angle("uparm.L", -5)
        p.set_angle("forearm.L", -20)
        p.set_angle("hand.L", -30)

    def constrain(self, p, st):
        def elbow_z(a):
            p.set_angle("pelvis", a)
            p.set_angle("chest", a)
            p.set_angle("head", a + 4)
            p.solve()
            return p.joint("elbow.R")[2]
        a = bisect(elbow_z, 140, 200, 0.05)
        p.set_angle("pelvis", a)
        p.set_angle("chest", a)
        p.set_angle("head", a + 4)


EXERCISES = {c.name: c for c in (UpperBack, Quads, Calves, ItBand)}


# ----------------------------------------------------------------------------------------------------------------
# Samples: contact path as (time s, contact along the segment) waypoints, piecewise linear; optional state changes.
SAMPLES = [
    dict(name="upper_back_clean", exercise="upper_back", seconds=8.0, fps=15, palette=0, scene=0,
         path=[(0, 0.15), (4.0, 0.42), (8.0, 0.18)]),
    dict(name="upper_back_lower_back", exercise="upper_back", seconds=8.0, fps=15, palette=1, scene=1,
         path=[(0, 0.2), (2.5, 0.4), (5.0, 0.78), (6.5, 0.78), (8.0, 0.6)]),
    dict(name="upper_back_hips_dropped", exercise="upper_back", seconds=8.0, fps=15, palette=2, scene=2,
         path=[(0, 0.12), (4.0, 0.4), (8.0, 0.15)], hips_drop=[(3.5, 4.0), (6.5, 7.0)]),
    dict(name="quads_clean", exercise="quads", seconds=8.0, fps=15, palette=3, scene=3,
         path=[(0, 0.2), (4.5, 0.62), (8.0, 0.3)]),
    dict(name="quads_knee", exercise="quads", seconds=8.0, fps=15, palette=0, scene=1,
         path=[(0, 0.3), (2.5, 0.6), (4.0, 1.05), (5.5, 1.05), (7.0, 0.6), (8.0, 0.5)]),
    dict(name="quads_too_fast", exercise="quads", seconds=8.0, fps=15, palette=2, scene=2,
         path=[(0, 0.3), (3.0, 0.45), (3.6, 0.8), (4.3, 0.2), (5.0, 0.8), (5.7, 0.3), (8.0, 0.4)]),
    # calves: scene 1 (orange roller); with the blue roller of scene 0 next to blue shoes the roller detector fitted
    # the circle to the cylinder's far end in the last 3 s (contact off by 0.2).
    dict(name="calves_clean", exercise="calves", seconds=8.0, fps=15, palette=3, scene=1,
         path=[(0, 0.2), (4.0, 0.6), (8.0, 0.3)]),
    dict(name="calves_hips_dropped", exercise="calves", seconds=8.0, fps=15, palette=3, scene=1,
         path=[(0, 0.2), (4.0, 0.62), (8.0, 0.25)], hips_drop=[(3.0, 3.5), (6.5, 7.0)]),
    dict(name="it_band_clean", exercise="it_band", seconds=8.0, fps=15, palette=0, scene=2,
         path=[(0, 0.2), (4.0, 0.6), (8.0, 0.25)]),
    dict(name="it_band_too_fast", exercise="it_band", seconds=8.0, fps=15, palette=2, scene=1,
         path=[(0, 0.25), (2.5, 0.4), (3.1, 0.75), (3.8, 0.2), (4.5, 0.75), (5.2, 0.35), (8.0, 0.45)]),
]

SCENES = [
    # wall, floor, mat, roller colours; studio light; light direction for shadows
    dict(wall=(0.85, 0.82, 0.75), floor=(0.45, 0.32, 0.2), mat=(0.2, 0.35, 0.3), roller=(0.1, 0.25, 0.85),
         light="studio.sl", rot=0.0, shadow=(0.4, -0.6, 0.7)),
    dict(wall=(0.55, 0.65, 0.75), floor=(0.5, 0.5, 0.5), mat=(0.5, 0.2, 0.4), roller=(0.95, 0.45, 0.05),
         light="basic.sl", rot=1.2, shadow=(-0.5, -0.5, 0.7)),
    dict(wall=(0.3, 0.3, 0.32), floor=(0.6, 0.5, 0.35), mat=(0.1, 0.1, 0.12), roller=(0.1, 0.7, 0.3),
         light="outdoor.sl", rot=-0.8, shadow=(0.2, -0.8, 0.6)),
    dict(wall=(0.9, 0.9, 0.88), floor=(0.25, 0.2, 0.15), mat=(0.35, 0.5, 0.75), roller=(0.6, 0.1, 0.6),
         light="rim.sl", rot=2.5, shadow=(-0.3, -0.4, 0.85)),
]


def interp_path(path, t):
    for (t0, c0), (t1, c1) in zip(path, path[1:]):
        if t <= t1:
            u = (t - t0) / (t1 - t0)
            return c0 + u * (c1 - c0), (c1 - c0) / (t1 - t0)
    return path[-1][1], 0.0


def hips_state(sample, t):
    """0..1 ramp: hips drop linearly over [start, full] and stay dropped."""
    hd = sample.get("hips_drop")
    if not hd:
        return 0.0
    (a, b), (c, d) = hd
    if t < a:
        return 0.0
    if t < b:
        return (t - a) / (b - a)
    if t < c:
        return 1.0
    if t < d:
        return 1.0 - (t - c) / (d - c)
    return 0.0


# ----------------------------------------------------------------------------------------------------------------
def setup_world(sc_def):
    sc = bpy.context.scene
    sc.render.engine = "BLENDER_WORKBENCH"
    sc.render.resolution_x, sc.render.resolution_y = WIDTH, HEIGHT
    sc.render.resolution_percentage = 100
    sc.render.image_settings.file_format = "PNG"
    sh = sc.display.shading
    sh.light = "STUDIO"
    try:
        sh.studio_light = sc_def["light"]
    except TypeError:
        pass
    sh.studiolight_rotate_z = sc_def["rot"]
    sh.color_type = "MATERIAL"
    sh.show_shadows = True
    sh.shadow_intensity = 0.5
    sh.show_cavity = True
    sc.display.light_direction = sc_def["shadow"]
    sc.display.render_aa = "FXAA"
    if sc.world is None:
        sc.world = bpy.data.worlds.new("w")
    sc.world.color = sc_def["wall"]

    def box(name, size, loc, rgb):
        bpy.ops.mesh.primitive_cube_add(size=1, location=loc)
        o = bpy.context.active_object
        o.name = name
        o.scale = size
        o.data.materials.append(make_material(name, rgb))
        return o

    box("floor", (20, 20, 0.02), (0, 0, -0.01), sc_def["floor"])
    box("wall", (20, 0.05, 6), (0, 1.6, 3), sc_def["wall"])
    box("mat", (2.2, 0.7, 0.008), (0, 0, 0.004), sc_def["mat"])
    bpy.ops.mesh.primitive_cylinder_add(vertices=48, radius=ROLLER_DIAMETER_M / 2, depth=ROLLER_LENGTH_M,
                                        rotation=(math.pi / 2, 0, 0), location=(0, 0, ROLLER_DIAMETER_M / 2))
    roller = bpy.context.active_object
    roller.name = "roller"
    roller.data.materials.append(make_material("roller", sc_def["roller"], 0.9))
    return roller


def setup_camera(center_x, span_x):
    cam_data = bpy.data.cameras.new("cam")
    cam_data.lens = CAMERA_LENS_MM
    cam_data.sensor_width = 36.0
    cam_data.sensor_fit = "HORIZONTAL"
    cam = bpy.data.objects.new("cam", cam_data)
    bpy.context.scene.collection.objects.link(cam)
    half_fov = math.atan(18.0 / CAMERA_LENS_MM)
    dist = (span_x / 2) / math.tan(half_fov) * 1.02
    cam_z = 0.42
    look_z = 0.28
    cam.location = (center_x, -dist, cam_z)
    pitch = math.atan2(cam_z - look_z, dist)
    cam.rotation_euler = (math.pi / 2 - pitch, 0, 0)
    bpy.context.scene.camera = cam
    # truth `camera`: side view (azimuth 0: looking along the roller's axis); distance to the roller's axis at the
    # image centre (roller centre height ROLLER_DIAMETER_M / 2)
    cam["truth_camera"] = {"azimuth_deg": 0.0, "elevation_deg": round(math.degrees(pitch), 2),
                           "distance_m": round(math.hypot(dist, cam_z - ROLLER_DIAMETER_M / 2), 3),
                           "focal_mm": CAMERA_LENS_MM, "roll_deg": 0.0}
    return cam


def project(cam, p):
    v = world_to_camera_view(bpy.context.scene, cam, Vector(tuple(p)))
    return [float(v.x * WIDTH), float((1 - v.y) * HEIGHT)]


def roller_circle(cam, x):
    """Circle fitted to the projected rim of the roller's near end face: (cx, cy, r) px."""
    y = -ROLLER_LENGTH_M / 2
    pts = []
    for k in range(32):
        a = 2 * math.pi * k / 32
        pts.append(project(cam, (x + ROLLER_DIAMETER_M / 2 * math.cos(a), y,
                                 ROLLER_DIAMETER_M / 2 + ROLLER_DIAMETER_M / 2 * math.sin(a))))
    pts = np.array(pts)
    c = pts.mean(axis=0)
    r = float(np.linalg.norm(pts - c, axis=1).mean())
    return [float(c[0]), float(c[1]), r]


LANDMARKS = {  # BlazePose name -> (joint, side)
    "nose": ("nose", "L"), "left_ear": ("ear", "L"), "right_ear": ("ear", "R"),
    "left_shoulder": ("shoulder", "L"), "right_shoulder": ("shoulder", "R"),
    "left_elbow": ("elbow", "L"), "right_elbow": ("elbow", "R"),
    "left_wrist": ("wrist", "L"), "right_wrist": ("wrist", "R"),
    "left_hip": ("hip", "L"), "right_hip": ("hip", "R"),
    "left_knee": ("knee", "L"), "right_knee": ("knee", "R"),
    "left_ankle": ("ankle", "L"), "right_ankle": ("ankle", "R"),
    "left_heel": ("heel", "L"), "right_heel": ("heel", "R"),
    "left_foot_index": ("toe", "L"), "right_foot_index": ("toe", "R"),
}


def joint_named(pose, joint, side):
    if joint in ("nose", "neck"):
        return pose.joint(joint + ".L")
    return pose.joint(f"{joint}.{side}")


def intervals(ts, flags):
    out, start = [], None
    for t, f in zip(ts, flags):
        if f and start is None:
            start = t
        if not f and start is not None:
            out.append([start, t])
            start = None
    if start is not None:
        out.append([start, ts[-1]])
    return out


def render_sample(sample, out_dir, preview=False, keep_frames=None, truth_only=False):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    ex_cls = EXERCISES[sample["exercise"]]
    data = EXERCISE_DATA[sample["exercise"]]
    sc_def = SCENES[sample["scene"]]
    roller = setup_world(sc_def)
    fig = Figure(PALETTES[sample["palette"]], ex_cls.low_shoes)
    ex = ex_cls(fig)
    fps, n = sample["fps"], int(round(sample["seconds"] * sample["fps"]))

    # Reference pose at contact 0 with pelvis at x=0 and the roller below the segment: find the segment geometry.
    seg_a, seg_b = data["segment"]
    pose0 = Pose(ex.ref_kind, ex.ref_world)
    ex.angles(pose0, {})
    pose0.solve()
    ex.constrain(pose0, {})
    pose0.solve()

    def seg_x(pose):
        A = np.mean([pose.joint(f"{seg_a}.{s}") for s in ex.segment_sides], axis=0)
        B = np.mean([pose.joint(f"{seg_b}.{s}") for s in ex.segment_sides], axis=0)
        return A, B

    A0, B0 = seg_x(pose0)
    seg_len_m = float(np.linalg.norm((B0 - A0)[[0, 2]]))
    # Roller stays put at x=0 at t=0; the body moves by -2*delta(contact offset) and the roller by -delta (rolling
    # without slipping under a body translating along X: the roller centre moves at half the body's speed).
    c_first = sample["path"][0][1]
    ax0 = (A0[0] + c_first * (B0[0] - A0[0]))  # roller x relative to the pelvis for the first contact

    frames = []
    ts, dirs = [], []
    xs_body = []
    plan = []
    for k in range(n):
        t = k / fps
        c, dc = interp_path(sample["path"], t)
        s_rel = A0[0] + c * (B0[0] - A0[0])  # roller x - pelvis x
        d = s_rel - ax0
        pelvis_x = -ax0 - 2 * d
        roller_x = -d
        plan.append((t, c, dc, pelvis_x, roller_x))
        xs_body.append(pelvis_x)
    lo = min(xs_body) - 1.0
    hi = max(xs_body) + 1.0
    cam = setup_camera((lo + hi) / 2, hi - lo)
    bpy.context.view_layer.update()  # the camera's world matrix is used by the truth projections below
    # px per cm on the body's mid-plane (y = 0) at roller-centre height
    mid = ((lo + hi) / 2, 0, ROLLER_DIAMETER_M / 2)
    pa, pb = project(cam, mid), project(cam, (mid[0] + 0.5, 0, mid[2]))
    px_per_cm = float(np.hypot(pb[0] - pa[0], pb[1] - pa[1]) / 50.0)

    frame_dir = keep_frames or os.path.join(out_dir, f".frames_{sample['name']}")
    os.makedirs(frame_dir, exist_ok=True)
    sc = bpy.context.scene
    for k, (t, c_plan, dc, pelvis_x, roller_x) in enumerate(plan):
        state = {"hips_drop": hips_state(sample, t)}
        pose, posed = ex.place(pelvis_x, roller_x, state)
        fig.apply(posed)
        roller.location = (roller_x, 0, ROLLER_DIAMETER_M / 2)
        roller.rotation_euler = (math.pi / 2, -roller_x / (ROLLER_DIAMETER_M / 2), 0)
        A, B = seg_x(pose)
        P = np.array([roller_x, 0, ROLLER_DIAMETER_M / 2])
        ab = (B - A)[[0, 2]]
        contact_world = float(np.dot((P - A)[[0, 2]], ab) / np.dot(ab, ab))
        lms = {nm: project(cam, joint_named(pose, j, s)) for nm, (j, s) in LANDMARKS.items()}
        circle = roller_circle(cam, roller_x)
        # What an ideal monocular system measures: the visible roller circle's centre projected on the image segment.
        side_names = [("left_" if s == "L" else "right_") for s in ex.segment_sides]
        Ai = np.mean([lms[sn + seg_a] for sn in side_names], axis=0)
        Bi = np.mean([lms[sn + seg_b] for sn in side_names], axis=0)
        abi = Bi - Ai
        contact = float(np.dot(np.array(circle[:2]) - Ai, abi) / np.dot(abi, abi))
        hip_h = float(np.mean([pose.joint(f"hip.{s}")[2] for s in "LR"]) * 100)
        if ex.name == "it_band":
            hip_h = float(pose.joint("hip.R")[2] * 100)
        frames.append({
            "t": round(t, 4),
            "roller": [round(v, 2) for v in circle],
            "contact": round(contact, 4),
            "contact_world": round(contact_world, 4),
            "speed_cm_s": round(abs(dc) * seg_len_m * 100, 3),
            "hip_height_cm": round(hip_h, 2),
            "landmarks": {nm: [round(v, 1) for v in xy] for nm, xy in lms.items()},
        })
        ts.append(t)
        if truth_only or (preview and k not in (0, n // 2, n - 1)):
            continue
        sc.render.filepath = os.path.join(frame_dir, f"f{k:04d}.png")
        bpy.ops.render.render(write_still=True)

    # Truth faults from the per-frame truth and the exercise thresholds.
    faults = []
    ts_a = [f["t"] for f in frames]
    fast = [f["speed_cm_s"] > data["max_speed_cm_s"] for f in frames]
    for a, b in intervals(ts_a, fast):
        faults.append({"rule": "too_fast", "start": a, "end": b})
    for zone, z0, z1 in data["keep_out"]:
        inside = [z0 <= f["contact"] <= z1 for f in frames]
        for a, b in intervals(ts_a, inside):
            faults.append({"rule": "keep_out", "zone": zone, "start": a, "end": b})
    if "hips_min_cm" in data:
        low = [f["hip_height_cm"] < data["hips_min_cm"] for f in frames]
        for a, b in intervals(ts_a, low):
            faults.append({"rule": "hips_dropped", "start": a, "end": b})
    faults.sort(key=lambda f: f["start"])

    truth = {
        "format": "rollcoach-sample-truth/1",
        "name": sample["name"],
        "clip": f"{sample['name']}.mp4",
        "exercise": sample["exercise"],
        "segment": {"from": seg_a, "to": seg_b, "sides": list(ex.segment_sides), "length_cm": round(seg_len_m * 100, 2)},
        "roller_diameter_cm": ROLLER_DIAMETER_M * 100,
        "roller_motion": "rolls without slipping: roller centre moves at half the body's speed along X",
        "fps": fps, "width": WIDTH, "height": HEIGHT,
        "px_per_cm": round(px_per_cm, 4),
        "camera": {k: float(v) for k, v in cam["truth_camera"].items()},
        "frames": frames,
        "faults": faults,
        "clean": len(faults) == 0,
        "generator": "tools/render/render_rolling.py",
    }
    with open(os.path.join(out_dir, f"{sample['name']}.json"), "w") as fh:
        json.dump(truth, fh, indent=1)
    if truth_only:
        if keep_frames is None:
            shutil.rmtree(frame_dir, ignore_errors=True)
    elif not preview:
        mp4 = os.path.join(out_dir, f"{sample['name']}.mp4")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-framerate", str(fps), "-i",
                        os.path.join(frame_dir, "f%04d.png"), "-c:v", "libx264", "-preset", "slow", "-crf", "23",
                        "-pix_fmt", "yuv420p", "-movflags", "+faststart", mp4], check=True)
        if keep_frames is None:
            shutil.rmtree(frame_dir)
    print(f"[render] {sample['name']}: {n} frames, faults={faults}")


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    out, only, preview, keep, truth_only = "samples/synthetic", None, False, None, False
    i = 0
    while i < len(argv):
        if argv[i] == "--out":
            out = argv[i + 1]; i += 1
        elif argv[i] == "--only":
            only = argv[i + 1].split(","); i += 1
        elif argv[i] == "--preview":
            preview = True
        elif argv[i] == "--truth-only":
            truth_only = True
        elif argv[i] == "--keep-frames":
            keep = argv[i + 1]; i += 1
        else:
            raise SystemExit(f"unknown argument {argv[i]}")
        i += 1
    os.makedirs(out, exist_ok=True)
    for s in SAMPLES:
        if only and s["name"] not in only:
            continue
        render_sample(s, os.path.abspath(out), preview, keep and os.path.join(keep, s["name"]), truth_only)


if __name__ == "__main__":
    main()
