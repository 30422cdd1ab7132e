"""Training images for the learned roller/ball detector (issue 16): domain-randomised 256x256 crops around a
rendered person, with labels (tool, visibility, axis end points, radius, contact, person mask, camera).

    nice -n 19 blender -b --factory-startup --python tools/render/gen_train.py -- \
        --out /work/cache/roller_train --seeds 1000-1019 --per-shard 1000 [--engine mix|cycles|workbench]

Format: tools/render/README.md ("Training set"). Every image is a new random scene drawn from
numpy.random.default_rng([seed, index]): deterministic per seed. Seeds 1000-9999 are for training; the
validation set uses seeds 100-199 (render_validation.py), never these.
"""

import json
import math
import os
import sys
import time

import bpy
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anny_human  # noqa: E402
import poses as PZ  # noqa: E402
import scene_lib as SL  # noqa: E402

CROP_SIZE = 256
MASK_SIZE = 64
ID_SIZE = 128
CROP_ENLARGE = 1.3      # the app's crop: person bbox enlarged 1.3x, made square (README)
CROP_JITTER = 0.10      # +-10 % of the side in position and scale
MIN_CAMERA_CLEARANCE_M = 1.0  # nearest body point to the camera (a webcam is not inside the exercise)
MIN_VISIBLE_PX = 12     # tool pixels (unoccluded, in the crop) at ID_SIZE for visible = true (about 48 px at 256)
TMP = "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp"

P_UNDER, P_BESIDE = 0.62, 0.13  # rest (0.25): no tool
# `--balls-only` shards (issue 14: the model found balls in too few frames; seeds 1040-1059): every tool under the body
# is a massage ball (30 % peanuts), in the body positions balls are used in (upper back, glutes seated, lats
# side-lying with the ball behind the back); the images beside and without a tool are as in other shards.
BALL_FAMILIES = ("upper_back", "glutes", "lats")
BALLS_ONLY = False
# Cycles (path traced, 8 samples, no denoising) costs 3-7 s per image here against 0.2-0.7 s for Workbench (studio
# light, FXAA, 0.24 s CPU): a 5 % share adds real soft shadows and noise for about 40 % more CPU per image.
CYCLES_SHARE = 0.05


def parse_args():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    a = {"out": "/work/cache/roller_train", "seeds": "1000-1000", "per_shard": 1000, "engine": "mix",
         "samples": 8, "preview": False, "balls_only": False}
    i = 0
    while i < len(argv):
        k = argv[i].lstrip("-").replace("-", "_")
        if k in ("preview", "balls_only"):
            a[k] = True
            i += 1
            continue
        a[k] = argv[i + 1]
        i += 2
    lo, _, hi = a["seeds"].partition("-")
    a["seeds"] = list(range(int(lo), int(hi or lo) + 1))
    a["per_shard"] = int(a["per_shard"])
    a["samples"] = int(a["samples"])
    return a


# --------------------------------------------------------------------------------------------------------------------
class World:
    """All objects created once; each image re-randomises them."""

    def __init__(self, human):
        SL.clear_scene()
        self.h = human
        sc = bpy.context.scene
        self.m_regions = [SL.principled_material("human_" + r) for r in REGIONS]
        faces = human.faces_local
        self.body = SL.add_mesh_obj("person", np.zeros((len(human.used), 3)), faces, self.m_regions[0])
        for m in self.m_regions[1:]:
            self.body.data.materials.append(m)
        self.face_arr = np.array([f if len(f) == 4 else f + [f[0]] for f in faces])
        self.m_floor, self.m_mat, self.m_wall, self.m_wall2 = (SL.textured_material(n) for n in
                                                               ("floor", "mat", "wall", "wall2"))
        self.m_tool = SL.textured_material("tool")
        self.m_core = SL.principled_material("core")
        self.floor = SL.prim("plane", "floor", self.m_floor)
        self.floor.scale = (40, 40, 1)
        self.mat = SL.prim("cube", "mat", self.m_mat)
        self.walls = [SL.prim("plane", "wall", self.m_wall), SL.prim("plane", "wall2", self.m_wall2)]
        self.roller = SL.prim("cyl", "roller", self.m_tool, vertices=48)
        self.balls = [SL.prim("sphere", f"ball{i}", self.m_tool) for i in range(2)]
        self.m_dist = [SL.textured_material(f"dist{i}") for i in range(6)]
        self.shoes = [SL.prim("sphere", f"shoe{i}", self.m_dist[0], segments=16, rings=8) for i in range(2)]
        self.boxes = [SL.prim("cube", f"box{i}", self.m_dist[1 + i]) for i in range(3)]
        self.bag = SL.prim("cube", "bag", self.m_dist[4])
        self.stool = [SL.prim("cube", "stool_seat", self.m_dist[5])] + [
            SL.prim("cyl", f"stool_leg{i}", self.m_dist[5], vertices=12) for i in range(4)]
        self.distractors = self.shoes + self.boxes + [self.bag] + self.stool
        bpy.ops.object.light_add(type="SUN")
        self.sun = bpy.context.active_object
        bpy.ops.object.light_add(type="AREA")
        self.area = bpy.context.active_object
        bpy.ops.object.camera_add()
        self.cam = bpy.context.active_object
        sc.camera = self.cam
        self.cam.data.clip_start = 0.05
        self.cam.data.clip_end = 100
        if sc.world is None:
            sc.world = bpy.data.worlds.new("world")
        sc.world.use_nodes = True
        self.bg = sc.world.node_tree.nodes["Background"]
        sc.cycles.device = "CPU"
        sc.cycles.use_denoising = False
        sc.cycles.max_bounces = 3
        sc.cycles.diffuse_bounces = 2
        sc.cycles.glossy_bounces = 1
        sc.cycles.transmission_bounces = 0
        sc.cycles.transparent_max_bounces = 0
        sc.cycles.caustics_reflective = sc.cycles.caustics_refractive = False
        sc.render.threads_mode = "FIXED"
        sc.render.threads = 2
        sc.cycles.use_adaptive_sampling = True
        sc.render.image_settings.file_format = "PNG"
        sc.render.image_settings.color_mode = "RGB"
        for o in (self.floor, self.mat, *self.walls, *self.distractors):
            o.color = (0, 0, 0, 1)
        self.body.color = (1, 0, 0, 1)
        for o in (self.roller, *self.balls):
            o.color = (0, 1, 0, 1)

    # ------------------------------------------------------------------------------------------------------------
    def set_body(self, V, reg, cols, rng):
        me = self.body.data
        me.vertices.foreach_set("co", V.astype(np.float32).ravel())
        onehot = np.eye(len(REGIONS), dtype=np.int32)[reg[self.face_arr]].sum(1)
        me.polygons.foreach_set("material_index", np.argmax(onehot, 1).astype(np.int32))
        me.update()
        for r, m in zip(REGIONS, self.m_regions):
            c = np.clip(cols[r], 0, 1)
            b = m.node_tree.nodes["Principled BSDF"]
            b.inputs["Base Color"].default_value = (*c, 1)
            b.inputs["Roughness"].default_value = rng.uniform(0.45, 0.95) if r != "eyes" else 0.2
            m.diffuse_color = (*c, 1)


REGIONS = ("skin", "shirt", "pants", "shoes", "hair", "eyes")


def body_regions(h, v_rest, H, rng):
    """Per-vertex region index (REGIONS) and region colours: skin, shirt (no/short/long sleeves), shorts/knee/long
    trousers, shoes/socks/bare feet, hair, eyes. Dark clothes in about a third of the images."""
    bi = h.bi
    dom = np.array(h.bones)[h.dominant]
    vr = v_rest[h.used]
    skin = np.clip(np.array(SL.SKIN_TONES[rng.integers(len(SL.SKIN_TONES))]) * rng.uniform(0.8, 1.15, 3), 0, 1)
    dark = rng.random() < 0.35

    def cloth():
        if dark:
            return rng.uniform(0.005, 0.04) * rng.uniform(0.8, 1.2, 3)
        if rng.random() < 0.7:
            return SL.srgb_to_lin(rng.uniform(0.05, 0.95, 3))
        return rng.uniform(0.01, 0.6) * np.ones(3)

    cols = {"skin": skin, "shirt": cloth(), "pants": cloth(), "eyes": np.array([0.02, 0.015, 0.01])}
    reg = np.zeros(len(vr), int)
    waist_z = H[bi["spine_01"]][2] + rng.uniform(-0.03, 0.06)
    torso = np.isin(dom, ["spine_01", "spine_02", "spine_03", "clavicle_l", "clavicle_r", "pelvis"])
    neck_z = H[bi["neck_01"]][2] - rng.uniform(0.0, 0.08)
    shirt_m = torso & (vr[:, 2] > waist_z) & (vr[:, 2] < neck_z)
    sleeve = str(rng.choice(["none", "short", "long"], p=[0.2, 0.45, 0.35]))
    if sleeve != "none":
        shirt_m |= np.isin(dom, ["upperarm_l", "upperarm_r"] + (["lowerarm_l", "lowerarm_r"] if sleeve == "long"
                                                                 else []))
    else:
        shirt_m &= np.abs(vr[:, 0]) < H[bi["upperarm_l"]][0] * 0.8
    reg[shirt_m] = 1
    knee_z, hip_z = H[bi["calf_l"]][2], H[bi["thigh_l"]][2]
    length = str(rng.choice(["short", "knee", "long"], p=[0.4, 0.2, 0.4]))
    hem = {"short": hip_z - rng.uniform(0.08, 0.25), "knee": knee_z + rng.uniform(-0.05, 0.05),
           "long": H[bi["foot_l"]][2] + 0.02}[length]
    legs = np.isin(dom, ["thigh_l", "thigh_r", "calf_l", "calf_r", "pelvis"]) | (torso & (vr[:, 2] <= waist_z))
    reg[legs & (vr[:, 2] > hem) & (vr[:, 2] <= waist_z + 0.01)] = 2
    feet = np.isin(dom, ["foot_l", "foot_r", "ball_l", "ball_r"]) | (vr[:, 2] < H[bi["foot_l"]][2] - 0.01)
    shoe = str(rng.choice(["shoe", "sock", "bare"], p=[0.5, 0.25, 0.25]))
    if shoe != "bare":
        reg[feet] = 3
        cols["shoes"] = SL.srgb_to_lin(rng.uniform(0.02, 0.95, 3)) if rng.random() < 0.6 else \
            rng.uniform(0.01, 0.8) * np.ones(3)
    head_c = H[bi["head"]]
    if rng.random() < 0.85:
        cols["hair"] = SL.srgb_to_lin(np.clip(np.array([0.1, 0.07, 0.05]) * rng.uniform(0.3, 4.0), 0, 1)) \
            if rng.random() < 0.85 else SL.srgb_to_lin(rng.uniform(0.5, 0.9, 3))
        top = head_c[2] + rng.uniform(0.06, 0.1)
        hm = (dom == "head") & ((vr[:, 2] > top) | ((vr[:, 1] > head_c[1] + 0.02) & (vr[:, 2] > head_c[2] - 0.04)))
        reg[hm] = 4
    reg[h.eye_verts] = 5
    for k in REGIONS:
        cols.setdefault(k, skin)
    info = {"skin": skin.round(3).tolist(), "shirt": cols["shirt"].round(3).tolist(), "dark_clothes": dark,
            "pants": cols["pants"].round(3).tolist(), "sleeves": sleeve, "legs": length, "feet": shoe}
    return reg, cols, info


def random_body(h, rng):
    eth = rng.dirichlet([0.7, 0.7, 0.7])
    params = dict(gender=float(rng.uniform(0, 1)), muscle=float(rng.uniform(0.2, 0.9)),
                  weight=float(rng.uniform(0.1, 0.95)), ethnic=tuple(eth), height_m=float(rng.uniform(1.5, 1.95)))
    v, H, T = h.shape(**params)
    return v, H, T, params


def pose_body(h, v, H, T, family, rng):
    p = PZ.Pose(h, H, T)
    spec = PZ.FAMILIES[family](p, rng)
    R, Hp, Tp = h.fk(H, T, p.rot)
    V = h.skin(v, H, R, Hp)
    return V, Hp, spec


def seg_points(h, Hp, spec):
    fr, to = spec["segment"]
    if spec.get("both_legs"):
        fr = fr + tuple(n[:-1] + "r" for n in fr)
        to = to + tuple(n[:-1] + "r" for n in to)
    return np.mean([Hp[h.bi[n]] for n in fr], 0), np.mean([Hp[h.bi[n]] for n in to], 0)


# --------------------------------------------------------------------------------------------------------------------
def make_tool(rng, kind):
    if kind == "roller":
        return {"tool": "roller", "radius": float(rng.uniform(0.05, 0.075)), "length": float(rng.uniform(0.3, 0.9))}
    r = float(rng.uniform(0.03, 0.06))
    return {"tool": "ball", "radius": r, "peanut": bool(rng.random() < 0.3)}


def tool_geometry(tool, centre, axis):
    """End points (roller: centres of the end faces; ball: centre twice; peanut: the two centres)."""
    if tool["tool"] == "roller":
        half = axis * tool["length"] / 2
        return centre - half, centre + half
    if tool.get("peanut"):
        return centre - axis * tool["radius"], centre + axis * tool["radius"]
    return centre, centre


def place_tool_objects(W, tool, centre, axis):
    for o in (W.roller, *W.balls):
        o.hide_render = True
    if tool is None:
        return
    if tool["tool"] == "roller":
        W.roller.hide_render = False
        W.roller.location = tuple(centre)
        from mathutils import Vector
        W.roller.rotation_mode = "QUATERNION"
        W.roller.rotation_quaternion = Vector((0, 0, 1)).rotation_difference(Vector(tuple(axis)))
        W.roller.scale = (tool["radius"], tool["radius"], tool["length"])
    else:
        a, b = tool_geometry(tool, centre, axis)
        for o, c in zip(W.balls, (a, b) if tool.get("peanut") else (a,)):
            o.hide_render = False
            o.location = tuple(c)
            o.scale = (tool["radius"],) * 3


def scene_tool_under(h, rng, W, V, Hp, spec, floor_z):
    kind = "roller" if rng.random() < 0.8 and not BALLS_ONLY else "ball"
    tool = make_tool(rng, kind)
    r = tool["radius"]
    side = None
    if kind == "ball" and not tool["peanut"]:
        ymid = V[:, 1].mean()
        side = (ymid, 1 if rng.random() < 0.5 else -1)
    res = PZ.place_on_tool(h, V, spec, seg_points(h, Hp, spec), floor_z, floor_z + 2 * r, side=side)
    if res is None:
        return None
    V, contact, _ = res
    centre = np.array([contact[0], contact[1], floor_z + r])
    if kind == "roller":
        centre[1] += rng.uniform(-0.25, 0.25) * max(0.0, tool["length"] - 0.3)
    contact = np.array([contact[0], contact[1], floor_z + 2 * r])
    return V, tool, centre, np.array([0.0, 1.0, 0.0]), contact


def scene_tool_beside(rng, V, floor_z):
    tool = make_tool(rng, "roller" if rng.random() < 0.75 else "ball")
    r = tool["radius"]
    yaw = math.radians(rng.uniform(-35, 35)) if rng.random() < 0.7 else math.radians(rng.uniform(55, 90))
    axis = np.array([math.sin(yaw), math.cos(yaw), 0.0])
    side = 1 if rng.random() < 0.5 else -1
    y = (V[:, 1].max() if side > 0 else V[:, 1].min()) + side * (rng.uniform(0.1, 0.6) + tool.get("length", 0.1) *
                                                                  abs(axis[1]) / 2 + r)
    lo, hi = V[:, 0].min(), V[:, 0].max()
    x = (lo + hi) / 2 + rng.uniform(-0.5, 0.5) * max(0.0, hi - lo - 0.4)
    return tool, np.array([x, y, floor_z + r]), axis


# --------------------------------------------------------------------------------------------------------------------
def randomise_materials(W, rng, tool):
    pats = ["checker", "noise", "wave"]
    floor_c = SL.srgb_to_lin(rng.uniform(0.1, 0.9, 3) * rng.uniform(0.3, 1.0))
    SL.set_textured(W.m_floor, rng, floor_c, floor_c * rng.uniform(0.5, 1.0), pats[rng.integers(3)],
                    (rng.uniform(0.3, 4),) * 3, rng.uniform(0, 0.3), rng.uniform(0.2, 0.9))
    mat_c = SL.srgb_to_lin(rng.uniform(0.02, 0.95, 3))
    SL.set_textured(W.m_mat, rng, mat_c, mat_c * rng.uniform(0.6, 1.0), pats[rng.integers(3)],
                    (rng.uniform(2, 30),) * 3, rng.uniform(0, 0.4), rng.uniform(0.4, 1.0))
    for m in (W.m_wall, W.m_wall2):
        wc = SL.srgb_to_lin(rng.uniform(0.3, 0.95, 3) * rng.uniform(0.5, 1.0))
        SL.set_textured(m, rng, wc, wc * rng.uniform(0.7, 1.0), pats[rng.integers(3)], (rng.uniform(0.2, 3),) * 3,
                        0.0, rng.uniform(0.5, 1.0))
    info = {}
    if tool is not None:
        name = list(SL.ROLLER_COLOURS)[rng.integers(len(SL.ROLLER_COLOURS))] if rng.random() < 0.85 else "random"
        c = np.array(SL.ROLLER_COLOURS[name]) if name != "random" else SL.srgb_to_lin(rng.uniform(0, 1, 3))
        c = np.clip(c * rng.uniform(0.75, 1.25, 3), 0, 1)
        tex = ["smooth", "grid", "bumpy"][rng.integers(3)]
        pat, bump, c2 = {"smooth": ("noise", 0.02, c * rng.uniform(0.85, 1.0)),
                         "grid": ("checker", rng.uniform(0.2, 0.8), c * rng.uniform(0.2, 0.8)),
                         "bumpy": ("noise", rng.uniform(0.5, 1.0), c * rng.uniform(0.4, 0.9))}[tex]
        sc = rng.uniform(4, 10) if tex == "grid" else rng.uniform(15, 40)
        SL.set_textured(W.m_tool, rng, c, c2, pat, (sc, sc, sc * (tool.get("length", 0.2) / 0.15)), bump,
                        rng.uniform(0.3, 0.9))
        info = {"colour": name, "texture": tex}
    for m in W.m_dist:
        dc = SL.srgb_to_lin(rng.uniform(0, 1, 3)) * (rng.uniform(0.02, 0.3) if rng.random() < 0.4 else 1.0)
        SL.set_textured(m, rng, dc, dc * rng.uniform(0.5, 1), pats[rng.integers(3)], (rng.uniform(1, 20),) * 3,
                        rng.uniform(0, 0.3), rng.uniform(0.3, 1.0))
    return info


def randomise_lights(W, rng):
    el, az = math.radians(rng.uniform(15, 85)), rng.uniform(0, 2 * math.pi)
    W.sun.rotation_mode = "XYZ"
    W.sun.rotation_euler = (math.pi / 2 - el, 0, az)
    W.sun.data.energy = rng.uniform(0.5, 5.0) if rng.random() < 0.8 else 0.0
    W.sun.data.angle = math.radians(rng.uniform(0.5, 30))
    W.sun.data.color = tuple(1 - rng.uniform(0, 0.25, 3))
    W.area.hide_render = rng.random() < 0.5
    W.area.location = (rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(2.0, 3.0))
    W.area.rotation_euler = (0, 0, 0)
    W.area.data.size = rng.uniform(0.5, 2.5)
    W.area.data.energy = rng.uniform(100, 800)
    W.area.data.color = tuple(1 - rng.uniform(0, 0.25, 3))
    bgc = 1 - rng.uniform(0, 0.35, 3)
    W.bg.inputs["Color"].default_value = (*bgc, 1)
    W.bg.inputs["Strength"].default_value = rng.uniform(0.15, 1.2)


def place_room(W, rng, V, floor_z, view_h, tool_pts, behind_only=False):
    """Mat under the body, walls behind it (seen from the camera), distractors on the floor around it."""
    lo, hi = V.min(0), V.max(0)
    if floor_z > 0:
        W.mat.hide_render = False
        w = rng.uniform(0.55, 0.9)
        L = max(hi[0] - lo[0] + rng.uniform(0.0, 0.4), 1.7)
        W.mat.location = ((lo[0] + hi[0]) / 2 + rng.uniform(-0.2, 0.2), (lo[1] + hi[1]) / 2 + rng.uniform(-0.15, 0.15),
                          floor_z / 2)
        W.mat.scale = (L, w, floor_z)
        W.mat.rotation_euler = (0, 0, math.radians(rng.uniform(-10, 10)))
    else:
        W.mat.hide_render = True
    c = (lo + hi) / 2
    far = rng.uniform(0.6, 3.5)
    vh = view_h / np.linalg.norm(view_h)
    wall_c = c + vh * (far + 0.5 * abs(np.dot(hi - lo, vh)))
    W.walls[0].location = (wall_c[0], wall_c[1], 1.5)
    W.walls[0].rotation_mode = "XYZ"
    W.walls[0].rotation_euler = (math.pi / 2, 0, math.atan2(vh[1], vh[0]) + math.pi / 2)
    W.walls[0].scale = (12, 3, 1)
    W.walls[0].hide_render = rng.random() < 0.1
    side = np.array([-vh[1], vh[0], 0]) * (1 if rng.random() < 0.5 else -1)
    w2 = c + side * rng.uniform(1.5, 4) + vh * rng.uniform(-1, 1)
    W.walls[1].location = (w2[0], w2[1], 1.5)
    W.walls[1].rotation_mode = "XYZ"
    W.walls[1].rotation_euler = (math.pi / 2, 0, math.atan2(side[1], side[0]) + math.pi / 2)
    W.walls[1].scale = (12, 3, 1)
    W.walls[1].hide_render = rng.random() < 0.5
    place_distractors(W, rng, lo, hi, floor_z, tool_pts, vh if behind_only else None)


def free_spot(rng, lo, hi, tool_pts, margin, behind=None):
    """A floor spot outside the body's box and away from the tool; with behind (the camera's horizontal viewing
    direction), only beyond the body's far side, so nothing stands between the camera and the person."""
    for _ in range(30):
        x = rng.uniform(lo[0] - 0.8, hi[0] + 0.8)
        y = rng.uniform(lo[1] - 1.2, hi[1] + 1.2)
        inside = lo[0] - margin < x < hi[0] + margin and lo[1] - margin < y < hi[1] + margin
        near_tool = any(np.hypot(x - p[0], y - p[1]) < margin + 0.3 for p in tool_pts)
        if behind is not None:
            c = (lo + hi) / 2
            far = 0.5 * abs(np.dot(hi - lo, behind))
            if np.dot(np.array([x, y, 0]) - c * np.array([1, 1, 0]), behind) < far + margin:
                continue
        if not inside and not near_tool:
            return x, y
    return None


def place_distractors(W, rng, lo, hi, floor_z, tool_pts, behind=None):
    for o in W.distractors:
        o.hide_render = True
    if rng.random() < 0.6:  # a pair of shoes
        s = free_spot(rng, lo, hi, tool_pts, 0.1, behind)
        if s:
            yaw = rng.uniform(0, math.pi)
            for k, o in enumerate(W.shoes):
                o.hide_render = False
                o.location = (s[0] + k * 0.12 * math.cos(yaw + math.pi / 2), s[1] + k * 0.12 * math.sin(yaw + math.pi / 2),
                              0.045)
                o.rotation_euler = (0, 0, yaw)
                o.scale = (0.14, 0.05, 0.045)
    for o in W.boxes:
        if rng.random() < 0.5:
            sz = (rng.uniform(0.2, 1.5), rng.uniform(0.2, 0.8), rng.uniform(0.1, 1.0))
            s = free_spot(rng, lo, hi, tool_pts, 0.1 + 0.5 * math.hypot(sz[0], sz[1]), behind)
            if s:
                o.hide_render = False
                o.scale = sz
                o.location = (s[0], s[1], sz[2] / 2)
                o.rotation_euler = (0, 0, rng.uniform(0, math.pi))
    if rng.random() < 0.35:
        s = free_spot(rng, lo, hi, tool_pts, 0.3, behind)
        if s:
            W.bag.hide_render = False
            W.bag.scale = (rng.uniform(0.15, 0.3), rng.uniform(0.08, 0.15), rng.uniform(0.1, 0.2))
            W.bag.location = (s[0], s[1], W.bag.scale[2] / 2)
            W.bag.rotation_euler = (0, 0, rng.uniform(0, math.pi))
    if rng.random() < 0.3:
        s = free_spot(rng, lo, hi, tool_pts, 0.35, behind)
        if s:
            h = rng.uniform(0.4, 0.7)
            seat, legs = W.stool[0], W.stool[1:]
            seat.hide_render = False
            seat.scale = (0.35, 0.35, 0.03)
            seat.location = (s[0], s[1], h)
            for k, o in enumerate(legs):
                o.hide_render = False
                dx, dy = (0.14 if k % 2 else -0.14), (0.14 if k // 2 else -0.14)
                o.scale = (0.015, 0.015, h)
                o.location = (s[0] + dx, s[1] + dy, h / 2)


# --------------------------------------------------------------------------------------------------------------------
def choose_camera(rng, ref, axis, V=None):
    """Camera relative to the reference axis (roller axis, or the body's lateral axis): azimuth 0..60 deg off the
    axis (either sign, from either end), elevation 0..45 deg, focal 24..50 mm, roll +-10 deg."""
    az = rng.uniform(0, 60)
    el = rng.uniform(0, 45)
    focal = rng.uniform(24, 50)
    dist = rng.uniform(1.6, 2.4) * focal / 30 * rng.uniform(0.9, 1.3)
    roll = rng.uniform(-10, 10)
    sgn = 1 if rng.random() < 0.5 else -1
    end = 1 if rng.random() < 0.5 else -1
    a = math.radians(az * sgn)
    look_h = end * np.array([axis[0] * math.cos(a) - axis[1] * math.sin(a), axis[0] * math.sin(a) + axis[1] * math.cos(a), 0])
    e = math.radians(el)
    for _ in range(20):  # keep the camera MIN_CAMERA_CLEARANCE_M from the body (no extreme close-ups)
        loc = ref - look_h * dist * math.cos(e) + np.array([0, 0, dist * math.sin(e)])
        loc[2] = max(loc[2], 0.04)
        if V is None or np.linalg.norm(V[::25] - loc, axis=1).min() >= MIN_CAMERA_CLEARANCE_M:
            break
        dist *= 1.15
    R = SL.look_at(loc, ref, roll)
    cam = SL.Cam(loc, R, focal)
    meta = {"azimuth_deg": round(az, 2), "elevation_deg": round(el, 2), "distance_m": round(dist, 3),
            "focal_mm": round(focal, 2), "roll_deg": round(roll, 2)}
    return cam, look_h, meta


def set_crop(cam, rng, V):
    uv, z = cam.project_full(V[::7])
    lo, hi = uv.min(0), uv.max(0)
    c = (lo + hi) / 2
    side = max(hi - lo) * SL_ENLARGE()
    side *= 1 + rng.uniform(-CROP_JITTER, CROP_JITTER)
    c = c + rng.uniform(-CROP_JITTER, CROP_JITTER, 2) * side
    cam.crop = (float(c[0]), float(c[1]), float(side))


def SL_ENLARGE():
    return CROP_ENLARGE


# --------------------------------------------------------------------------------------------------------------------
def render_png(path):
    sc = bpy.context.scene
    sc.render.filepath = path
    bpy.ops.render.render(write_still=True)


def render_ids(W):
    """Flat object colours in Workbench: red = person, green = tool; returns (person, tool) boolean ID_SIZE^2."""
    from PIL import Image
    sc = bpy.context.scene
    eng = sc.render.engine
    vt = sc.view_settings.view_transform
    sc.render.engine = "BLENDER_WORKBENCH"
    sc.display.shading.light = "FLAT"
    sc.display.shading.color_type = "OBJECT"
    sc.display.shading.show_shadows = False
    sc.display.shading.show_cavity = False
    sc.display.render_aa = "OFF"
    sc.view_settings.view_transform = "Standard"
    wc = sc.world.color[:]
    sc.world.color = (0, 0, 0)
    sc.render.resolution_x = sc.render.resolution_y = ID_SIZE
    p = os.path.join(TMP, f"rc_ids_{os.getpid()}.png")
    render_png(p)
    a = np.asarray(Image.open(p).convert("RGB")).astype(int)
    sc.render.engine, sc.view_settings.view_transform = eng, vt
    sc.world.color = wc
    return (a[..., 0] > 128) & (a[..., 1] < 80), (a[..., 1] > 128) & (a[..., 0] < 80)


def render_rgb(W, rng, engine, samples):
    from PIL import Image
    sc = bpy.context.scene
    size = CROP_SIZE if rng.random() < 0.6 else int(rng.uniform(128, 256))
    if engine == "cycles":
        size = int(rng.uniform(128, 200))
    sc.render.resolution_x = sc.render.resolution_y = size
    if engine == "cycles":
        sc.render.engine = "CYCLES"
        sc.render.use_persistent_data = True
        sc.cycles.samples = samples
        sc.cycles.adaptive_threshold = 0.05
    else:
        sc.render.engine = "BLENDER_WORKBENCH"
        sh = sc.display.shading
        sh.light = "STUDIO"
        sh.studio_light = ["studio.sl", "rim.sl", "outdoor.sl", "basic.sl", "paint.sl"][rng.integers(5)]
        sh.studiolight_rotate_z = rng.uniform(-math.pi, math.pi)
        sh.color_type = "MATERIAL"
        sh.show_shadows = rng.random() < 0.8
        sh.shadow_intensity = rng.uniform(0.2, 0.8)
        sh.show_cavity = rng.random() < 0.5
        sh.show_specular_highlight = rng.random() < 0.7
        sc.display.render_aa = os.environ.get("RC_AA", "FXAA")
        sc.display.light_direction = (rng.uniform(-0.8, 0.8), rng.uniform(-0.8, 0.8), rng.uniform(0.3, 1.0))
    sc.view_settings.view_transform = "Filmic" if rng.random() < 0.6 else "Standard"
    sc.view_settings.exposure = rng.uniform(-0.7, 0.7)
    p = os.path.join(TMP, f"rc_rgb_{os.getpid()}.png")
    render_png(p)
    im = Image.open(p).convert("RGB")
    if size != CROP_SIZE:
        im = im.resize((CROP_SIZE, CROP_SIZE), Image.BILINEAR)
    return im, size


def workbench_material_colours(W, tool_info):
    """Workbench shows a material's viewport colour: mirror the base colours into diffuse_color."""
    for m in (W.m_floor, W.m_mat, W.m_wall, W.m_wall2, W.m_tool, *W.m_dist):
        c = m.node_tree.nodes["col"].inputs[1].default_value
        m.diffuse_color = (c[0], c[1], c[2], 1)


def postprocess(im, rng):
    from PIL import Image, ImageFilter
    a = np.asarray(im).astype(np.float32)
    blur = None
    if rng.random() < 0.15:  # motion blur: average of shifted copies along a random direction
        n = int(rng.integers(3, 9))
        ang = rng.uniform(0, math.pi)
        acc = np.zeros_like(a)
        for k in range(n):
            t = k - (n - 1) / 2
            dx, dy = int(round(t * math.cos(ang))), int(round(t * math.sin(ang)))
            acc += np.roll(np.roll(a, dy, 0), dx, 1)
        a = acc / n
        blur = {"px": n, "angle_deg": round(math.degrees(ang), 1)}
    if rng.random() < 0.3:
        a = a + rng.normal(0, rng.uniform(2, 8), a.shape)
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.15:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    return im, blur


# --------------------------------------------------------------------------------------------------------------------
def draw_mode(rng):
    """Scene type and pose family, drawn once per image (kept when a pose does not fit and is redrawn)."""
    r = rng.random()
    mode = "under" if r < P_UNDER else ("beside" if r < P_UNDER + P_BESIDE else "none")
    if mode == "under" and BALLS_ONLY:
        fam = BALL_FAMILIES[rng.integers(len(BALL_FAMILIES))]
    elif mode == "under" or (mode == "beside" and rng.random() < 0.4):
        fam = PZ.TOOL_FAMILIES[rng.integers(len(PZ.TOOL_FAMILIES))]
    else:
        fam = ["lying", "sit_stand"][int(rng.random() < 0.4)]
    return mode, fam


def one_image(h, W, rng, engine, samples, mode, fam):
    """Build one random scene and render it. Returns (PIL image, person mask 64^2, label dict) or None to retry."""
    t0 = time.time()
    v, H, T, body = random_body(h, rng)
    floor_z = rng.uniform(0.004, 0.015) if rng.random() < 0.7 else 0.0
    tool, centre, axis, contact = None, None, np.array([0.0, 1.0, 0.0]), None
    if mode == "under":
        V, Hp, spec = pose_body(h, v, H, T, fam, rng)
        res = scene_tool_under(h, rng, W, V, Hp, spec, floor_z)
        if res is None:
            return None
        V, tool, centre, axis, contact = res
    else:
        V, Hp, spec = pose_body(h, v, H, T, fam, rng)
        V = PZ.place_on_floor(V, floor_z)
        if mode == "beside":
            tool, centre, axis = scene_tool_beside(rng, V, floor_z)
    # random heading of the whole scene about Z (the body need not lie along X)
    yaw = rng.uniform(-math.pi, math.pi)
    Rz = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    V = V @ Rz.T
    axis = Rz @ axis
    if tool is not None:
        centre = Rz @ centre
        contact = Rz @ contact if contact is not None else None
    reg, cols, cloth_info = body_regions(h, v, H, rng)
    W.set_body(V, reg, cols, rng)
    ref = centre if tool is not None else V.mean(0) * np.array([1, 1, 0]) + np.array([0, 0, 0.15])
    cam, look_h, cam_meta = choose_camera(rng, ref, axis, V)
    set_crop(cam, rng, V)
    cam.apply(W.cam, CROP_SIZE)
    place_tool_objects(W, tool, centre, axis)
    tool_pts = [] if tool is None else [centre]
    place_room(W, rng, V, floor_z, look_h, tool_pts)
    mat_info = randomise_materials(W, rng, tool)
    randomise_lights(W, rng)
    if engine == "workbench":
        workbench_material_colours(W, mat_info)
    t1 = time.time()
    person, toolpx = render_ids(W)
    t2 = time.time()
    im, size = render_rgb(W, rng, engine, samples)
    t3 = time.time()
    im, blur = postprocess(im, rng)
    if os.environ.get("RC_TIMING"):
        print(f"TIMING build {t1 - t0:.2f} ids {t2 - t1:.2f} rgb[{engine}] {t3 - t2:.2f} post {time.time() - t3:.2f}",
              flush=True)
    label = make_label(cam, tool, centre, axis, contact, toolpx, cam_meta)
    label["scene"] = {"pose": spec["exercise"], "mode": mode, "engine": engine, "render_px": size, "blur": blur,
                      "clothes": cloth_info, "body": {k: (round(x, 3) if isinstance(x, float) else [round(y, 3) for y in x])
                               for k, x in body.items()}, "tool": mat_info,
                      "tool_size_m": None if tool is None else {k: (round(x, 3) if isinstance(x, float) else x)
                                                                for k, x in tool.items() if k != "tool"}}
    m64 = person.reshape(MASK_SIZE, ID_SIZE // MASK_SIZE, MASK_SIZE, ID_SIZE // MASK_SIZE).mean((1, 3)) >= 0.5
    return im, m64, label


def make_label(cam, tool, centre, axis, contact, toolpx, cam_meta):
    if tool is None:
        return {"tool": "none", "visible": False, "axis": None, "radius_px": None, "contact": None,
                "camera": cam_meta}
    a, b = tool_geometry(tool, centre, axis)
    (pa, pb), (za, zb) = cam.project(np.array([a, b]))
    if tool["tool"] == "roller" and zb < za:  # axis[0] = the end face nearer the camera
        pa, pb = pb, pa
    mid = (a + b) / 2
    view = mid - cam.loc
    n = np.cross(axis, view)
    n /= np.linalg.norm(n)
    (pm, pr), _ = cam.project(np.array([mid, mid + n * tool["radius"]]))
    rad = float(np.linalg.norm(pr - pm))
    c = None
    if contact is not None:
        c = [round(float(x), 2) for x in cam.project(contact)[0][0]]
    return {"tool": tool["tool"], "visible": bool(toolpx.sum() >= MIN_VISIBLE_PX),
            "axis": [[round(float(x), 2) for x in pa], [round(float(x), 2) for x in pb]],
            "radius_px": round(rad, 2), "contact": c, "camera": cam_meta}


# --------------------------------------------------------------------------------------------------------------------
def run_shard(h, W, seed, n, out, engine_mode, samples):
    from PIL import Image
    d = os.path.join(out, f"shard_{seed}")
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "DONE")):
        print(f"shard {seed}: done already", flush=True)
        return
    lab_path = os.path.join(d, "labels.jsonl")
    done = 0
    if os.path.exists(lab_path):  # resume after an interruption
        with open(lab_path) as f:
            done = sum(1 for _ in f)
    t0 = time.time()
    with open(lab_path, "a") as lf:
        k = done
        while k < n:
            idx = k + 1
            attempt = 0
            mode, fam = draw_mode(np.random.default_rng([seed, idx, 1_000_000]))
            while True:
                rng = np.random.default_rng([seed, idx, attempt])
                engine = engine_mode if engine_mode != "mix" else ("cycles" if rng.random() < CYCLES_SHARE else
                                                                     "workbench")
                try:
                    res = one_image(h, W, rng, engine, samples, mode, fam)
                except Exception as e:  # a long unattended run: log, redraw (attempt + 1)
                    print(f"shard {seed} image {idx} attempt {attempt}: {type(e).__name__}: {e}", flush=True)
                    res = None
                if res is not None:
                    break
                attempt += 1
            im, m64, label = res
            name = f"img_{idx:06d}.jpg"
            im.save(os.path.join(d, name), quality=int(rng.integers(40, 96)))
            mname = f"mask_{idx:06d}.png"
            Image.fromarray((m64 * 255).astype(np.uint8)).save(os.path.join(d, mname))
            out_label = {"image": name, **label, "person_mask": mname}
            lf.write(json.dumps(out_label) + "\n")
            lf.flush()
            k += 1
            if k % 25 == 0:
                el = time.time() - t0
                print(f"shard {seed}: {k}/{n} images, {60 * (k - done) / el:.1f} images/min", flush=True)
    open(os.path.join(d, "DONE"), "w").write(f"{n}\n")


def main():
    global BALLS_ONLY
    a = parse_args()
    BALLS_ONLY = a["balls_only"]
    h = anny_human.Human()
    W = World(h)
    for seed in a["seeds"]:
        run_shard(h, W, seed, a["per_shard"], a["out"], a["engine"], a["samples"])


if __name__ == "__main__":
    main()
