"""Blender scene pieces shared by gen_train.py (training images) and render_validation.py (validation clips):
a skinned anny human, floor, mat, walls, roller/ball(s), distractors, lights, camera, randomised materials.

World: metres, Z up, floor at z = 0. Canonical body placement: long axis along X (head toward -X), roller axis
along Y.
"""

import math
import os

import bpy
import numpy as np

ROLLER_COLOURS = {  # linear RGB, roughly the sRGB of common foam rollers
    "black": (0.015, 0.015, 0.017), "blue": (0.02, 0.08, 0.45), "orange": (0.8, 0.2, 0.02),
    "grey": (0.18, 0.18, 0.19), "pink": (0.8, 0.15, 0.3), "white": (0.75, 0.75, 0.72),
}
SKIN_TONES = [(0.62, 0.43, 0.33), (0.55, 0.36, 0.25), (0.42, 0.26, 0.16), (0.26, 0.15, 0.09), (0.14, 0.08, 0.05),
              (0.70, 0.52, 0.42), (0.48, 0.33, 0.22)]
W_FULL, H_FULL = 640, 480  # the virtual full camera frame (4:3)
SENSOR_MM = 36.0


def srgb_to_lin(c):
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def clear_scene():
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o, do_unlink=True)
    for m in list(bpy.data.meshes):
        bpy.data.meshes.remove(m)


def principled_material(name, with_attr=False):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    nt = m.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    if with_attr:
        a = nt.nodes.new("ShaderNodeAttribute")
        a.attribute_name = "col"
        nt.links.new(a.outputs["Color"], bsdf.inputs["Base Color"])
    return m


def textured_material(name):
    """Principled BSDF whose colour is mixed with a pattern (checker = grid, noise = bumpy/mottled, wave = wood)
    and bump-mapped; all strengths are inputs set per image."""
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    nt = m.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    tc = nt.nodes.new("ShaderNodeTexCoord")
    mp = nt.nodes.new("ShaderNodeMapping")
    mp.name = "map"
    nt.links.new(tc.outputs["Object"], mp.inputs["Vector"])
    chk = nt.nodes.new("ShaderNodeTexChecker")
    noi = nt.nodes.new("ShaderNodeTexNoise")
    wav = nt.nodes.new("ShaderNodeTexWave")
    chk.name, noi.name, wav.name = "chk", "noi", "wav"
    for t in (chk, noi, wav):
        nt.links.new(mp.outputs["Vector"], t.inputs["Vector"])
    mix_pat = nt.nodes.new("ShaderNodeMixRGB")  # choose pattern: fac 0 checker, 1 -> noise
    mix_pat.name = "pat1"
    nt.links.new(chk.outputs["Fac"], mix_pat.inputs[1])
    nt.links.new(noi.outputs["Fac"], mix_pat.inputs[2])
    mix_pat2 = nt.nodes.new("ShaderNodeMixRGB")  # -> wave
    mix_pat2.name = "pat2"
    nt.links.new(mix_pat.outputs["Color"], mix_pat2.inputs[1])
    nt.links.new(wav.outputs["Fac"], mix_pat2.inputs[2])
    col = nt.nodes.new("ShaderNodeMixRGB")  # base colour A/B by the pattern
    col.name = "col"
    col.inputs[1].default_value = (0.5, 0.5, 0.5, 1)
    col.inputs[2].default_value = (0.3, 0.3, 0.3, 1)
    nt.links.new(mix_pat2.outputs["Color"], col.inputs["Fac"])
    nt.links.new(col.outputs["Color"], bsdf.inputs["Base Color"])
    bump = nt.nodes.new("ShaderNodeBump")
    bump.name = "bump"
    nt.links.new(mix_pat2.outputs["Color"], bump.inputs["Height"])
    nt.links.new(bump.outputs["Normal"], bsdf.inputs["Normal"])
    return m


def set_textured(m, rng, c1, c2, pattern, scale, bump, rough):
    nt = m.node_tree
    n = nt.nodes
    n["map"].inputs["Scale"].default_value = scale
    n["chk"].inputs["Scale"].default_value = 1.0
    n["noi"].inputs["Scale"].default_value = 1.0
    n["noi"].inputs["Detail"].default_value = float(rng.uniform(0, 6))
    n["wav"].inputs["Scale"].default_value = 1.0
    n["wav"].inputs["Distortion"].default_value = float(rng.uniform(0, 8))
    n["pat1"].inputs["Fac"].default_value = 0.0 if pattern == "checker" else 1.0
    n["pat2"].inputs["Fac"].default_value = 1.0 if pattern == "wave" else 0.0
    n["col"].inputs[1].default_value = (*c1, 1)
    n["col"].inputs[2].default_value = (*c2, 1)
    n["bump"].inputs["Strength"].default_value = bump
    n["Principled BSDF"].inputs["Roughness"].default_value = rough


def add_mesh_obj(name, verts, faces, mat=None, smooth=True):
    me = bpy.data.meshes.new(name)
    me.from_pydata([tuple(v) for v in verts], [], faces)
    if smooth:
        for p in me.polygons:
            p.use_smooth = True
    o = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(o)
    if mat:
        me.materials.append(mat)
    return o


def prim(kind, name, mat, **kw):
    if kind == "cyl":
        bpy.ops.mesh.primitive_cylinder_add(vertices=kw.get("vertices", 40), radius=1, depth=1)
    elif kind == "sphere":
        bpy.ops.mesh.primitive_uv_sphere_add(segments=kw.get("segments", 24), ring_count=kw.get("rings", 12), radius=1)
    elif kind == "cube":
        bpy.ops.mesh.primitive_cube_add(size=1)
    elif kind == "plane":
        bpy.ops.mesh.primitive_plane_add(size=1)
    o = bpy.context.active_object
    o.name = name
    if kind in ("sphere", "cyl"):
        for p in o.data.polygons:
            p.use_smooth = kind == "sphere" or abs(p.normal.z) < 0.5
    if mat:
        o.data.materials.append(mat)
    return o


def look_at(loc, target, roll_deg=0.0):
    """Rotation matrix (columns right, up, back) of a Blender camera at loc looking at target, rolled."""
    fw = np.asarray(target, float) - np.asarray(loc, float)
    fw /= np.linalg.norm(fw)
    right = np.cross(fw, [0, 0, 1.0])
    if np.linalg.norm(right) < 1e-6:
        right = np.array([1.0, 0, 0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fw)
    r = math.radians(roll_deg)
    right, up = right * math.cos(r) + up * math.sin(r), -right * math.sin(r) + up * math.cos(r)
    return np.stack([right, up, -fw], axis=1)


class Cam:
    """Pinhole camera of the virtual full frame (W_FULL x H_FULL, 36 mm sensor width) and its square crop."""

    def __init__(self, loc, R, focal_mm):
        self.loc, self.R, self.f = np.asarray(loc, float), R, focal_mm
        self.fx = focal_mm / SENSOR_MM * W_FULL
        self.crop = (W_FULL / 2, H_FULL / 2, W_FULL)  # cx, cy, side

    def project_full(self, P):
        pc = (np.atleast_2d(P) - self.loc) @ self.R
        z = -pc[:, 2]
        return np.stack([W_FULL / 2 + self.fx * pc[:, 0] / z, H_FULL / 2 - self.fx * pc[:, 1] / z], 1), z

    def project(self, P, size=256):
        uv, z = self.project_full(P)
        cx, cy, s = self.crop
        return (uv - np.array([cx - s / 2, cy - s / 2])) * size / s, z

    def apply(self, cam_obj, size):
        from mathutils import Matrix
        cx, cy, s = self.crop
        M = Matrix(((*self.R[0], self.loc[0]), (*self.R[1], self.loc[1]), (*self.R[2], self.loc[2]), (0, 0, 0, 1)))
        cam_obj.matrix_world = M
        d = cam_obj.data
        d.sensor_fit = "HORIZONTAL"
        d.sensor_width = SENSOR_MM
        d.lens = self.f * W_FULL / s
        d.shift_x = (cx - W_FULL / 2) / s
        d.shift_y = (H_FULL / 2 - cy) / s
        sc = bpy.context.scene
        sc.render.resolution_x = sc.render.resolution_y = size
        sc.render.resolution_percentage = 100
