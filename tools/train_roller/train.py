"""Trains the roller/ball detector on rendered shards, evaluates it on held-out shards and exports ONNX.

    nice -n 10 python3 tools/train_roller/train.py --data /work/cache/roller_train --out models/roller_detector.onnx

See README.md beside this file.
"""
import argparse
import json
import os
import random
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import data as D  # noqa: E402
import decode as DEC  # noqa: E402
import model as M  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with shard_*/ (only shards with a DONE file are read)")
    ap.add_argument("--out", required=True, help="ONNX file to write")
    ap.add_argument("--val-shards", type=int, default=2, help="the last N shards (by name) are held out")
    ap.add_argument("--val-tail", type=int, default=0,
                    help="instead: hold out the last N images of every shard (each image is an independent scene)")
    ap.add_argument("--extra-val", default=None, help="another folder of shards (other seeds) evaluated apart")
    ap.add_argument("--shards", type=int, default=0, help="use only the first N shards (0 = all)")
    ap.add_argument("--partial", action="store_true",
                    help="also read shards still being written (up to their first missing image)")
    ap.add_argument("--per-shard", type=int, default=0, help="read at most N images per shard (0 = all)")
    ap.add_argument("--size", type=int, default=160, help="network input side S")
    ap.add_argument("--width", type=float, default=1.0, help="channel width multiplier")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--max-fpr", type=float, default=0.01,
                    help="presence threshold = lowest one with at most this false-positive rate on held-out negatives")
    ap.add_argument("--metrics", default=None, help="JSON file for the held-out metrics (default: OUT.metrics.json)")
    ap.add_argument("--save-keras", default=None, help="also save the Keras weights here (NAME.weights.h5)")
    ap.add_argument("--init", default=None, help="start from these Keras weights")
    ap.add_argument("--freeze-bn", action="store_true",
                    help="keep the BatchNormalization layers fixed (fine-tuning from onnx_to_keras.py weights)")
    args = ap.parse_args()
    # Keras 3 refuses any other name, and only after training: check before the hour of training, not after.
    if args.save_keras and not args.save_keras.endswith(".weights.h5"):
        ap.error(f"--save-keras {args.save_keras}: the file name must end in .weights.h5")
    return args


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
    tf.config.experimental.enable_op_determinism()


def focal_heat_loss(pred_logits, gt):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), normalised by the number of peaks."""
    p = tf.clip_by_value(tf.sigmoid(pred_logits), 1e-4, 1 - 1e-4)
    pos = tf.cast(gt >= 1.0, tf.float32)
    pos_l = -tf.math.log(p) * (1 - p) ** 2 * pos
    neg_l = -tf.math.log(1 - p) * p**2 * (1 - gt) ** 4 * (1 - pos)
    n = tf.maximum(tf.reduce_sum(pos), 1.0)
    return (tf.reduce_sum(pos_l) + tf.reduce_sum(neg_l)) / n


REG_CH = [D.CH_OFF_X, D.CH_OFF_Y, D.CH_LOG_R, D.CH_HALF_LEN, D.CH_COS2, D.CH_SIN2, D.CH_CONTACT_X, D.CH_CONTACT_Y]


def losses(maps, pres, heat, reg, w, p):
    lh = focal_heat_loss(tf.gather(maps, [D.CH_HEAT_ROLLER, D.CH_HEAT_BALL], axis=-1), heat)
    n = tf.maximum(tf.reduce_sum(w[..., D.CH_OFF_X]), 1.0)
    pr, rr, wr = (tf.gather(t, REG_CH, axis=-1) for t in (maps, reg, w))
    lr = tf.reduce_sum(tf.abs(pr - rr) * wr) / n
    bce = tf.nn.sigmoid_cross_entropy_with_logits
    lc = tf.reduce_sum(bce(reg[..., D.CH_CONTACT_LOGIT], maps[..., D.CH_CONTACT_LOGIT]) * w[..., D.CH_CONTACT_LOGIT]) / n
    lc += tf.reduce_sum(bce(reg[..., D.CH_NEAR_PLUS], maps[..., D.CH_NEAR_PLUS]) * w[..., D.CH_NEAR_PLUS]) / n
    lp = tf.reduce_mean(bce(p, pres))
    return lh, lr, lc, lp


def split(shards, n_val):
    if len(shards) < 2:
        raise SystemExit(f"need at least 2 complete shards (one to hold out), found {len(shards)}")
    n_val = max(1, min(n_val, len(shards) - 1))
    return shards[:-n_val], shards[-n_val:]


def load(dirs, limit):
    out, counts = [], {}
    for d in dirs:
        s = D.load_shard(d, limit or None)
        counts[os.path.basename(d)] = len(s)
        out.extend(s)
    return out, counts


def predict(net, samples, size, bs=64):
    """Un-augmented predictions: list of (target, candidates, presence) at input scale."""
    rng = np.random.default_rng(0)
    recs = []
    for b in range(0, len(samples), bs):
        x, _, _, _, _, tg = D.batch(rng, samples, range(b, min(b + bs, len(samples))), size, augment=False)
        maps, pres = net(x, training=False)
        maps, pres = maps.numpy(), pres.numpy()
        for k, t in enumerate(tg):
            cands, pr = DEC.decode(maps[k], pres[k, 0])
            recs.append((t, cands, pr))
    return recs


def batch_stream(args, tr):
    """Augmented batches made one ahead in a worker thread (same sequence as without it: one rng, one producer)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(args.seed)
    state = {"order": rng.permutation(len(tr)), "pos": 0}

    def make():
        if state["pos"] + args.batch > len(state["order"]):
            state["order"], state["pos"] = rng.permutation(len(tr)), 0
        idx = state["order"][state["pos"]:state["pos"] + args.batch]
        state["pos"] += args.batch
        return D.batch(rng, tr, idx, args.size, augment=True)

    with ThreadPoolExecutor(1) as ex:
        fut = ex.submit(make)
        while True:
            b = fut.result()
            fut = ex.submit(make)
            yield b


def train(args, net, tr):
    sched = tf.keras.optimizers.schedules.CosineDecay(args.lr, args.steps, alpha=0.02,
                                                      warmup_target=None, warmup_steps=0)
    opt = tf.keras.optimizers.Adam(sched)

    @tf.function
    def step(x, heat, reg, w, p):
        with tf.GradientTape() as tape:
            maps, pres = net(x, training=True)
            lh, lr, lc, lp = losses(maps, pres, heat, reg, w, p)
            total = lh + lr + 0.5 * lc + 0.5 * lp
        g = tape.gradient(total, net.trainable_variables)
        opt.apply_gradients(zip(g, net.trainable_variables))
        return lh, lr, lc, lp

    batches = batch_stream(args, tr)
    t0 = time.time()
    acc = np.zeros(4)
    for it in range(1, args.steps + 1):
        x, h, r, w, p, _ = next(batches)
        acc += np.array([float(v) for v in step(x, h, r, w, p)])
        if it % 100 == 0:
            a = acc / 100
            acc[:] = 0
            el = time.time() - t0
            print(f"step {it}/{args.steps} heat {a[0]:.3f} reg {a[1]:.3f} contact {a[2]:.3f} presence {a[3]:.3f} "
                  f"({el / 60:.1f} min, {it * args.batch / el:.0f} img/s)", flush=True)
    return time.time() - t0


def export_onnx(net, size, path):
    import onnx
    import tf2onnx

    spec = (tf.TensorSpec((1, size, size, 3), tf.float32, name="input"),)

    @tf.function(input_signature=spec)
    def infer(x):
        maps, pres = net(x, training=False)
        return {"maps": tf.identity(maps, name="maps"), "presence": tf.identity(pres, name="presence")}

    model_proto, _ = tf2onnx.convert.from_function(infer, input_signature=spec, opset=17, inputs_as_nchw=["input"])
    model_proto.doc_string = "rollcoach roller/ball detector (tools/train_roller); input 1x3xSxS RGB in [-1,1]"
    onnx.save(model_proto, path)
    return model_proto


def check_onnx(path, net, samples, size):
    """Max abs difference between ONNX Runtime and TensorFlow on a few held-out images, and ORT ms per crop."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    rng = np.random.default_rng(0)
    diff = 0.0
    x, *_ = D.batch(rng, samples, range(min(8, len(samples))), size, augment=False)
    for k in range(len(x)):
        xi = x[k:k + 1]
        o = dict(zip(names, sess.run(None, {"input": xi.transpose(0, 3, 1, 2)})))
        maps, pres = net(xi, training=False)
        diff = max(diff, float(np.abs(o["maps"] - maps.numpy()).max()), float(np.abs(o["presence"] - pres.numpy()).max()))
    xi = np.ascontiguousarray(x[:1].transpose(0, 3, 1, 2))
    for _ in range(10):
        sess.run(None, {"input": xi})
    ts = []
    for _ in range(100):
        t = time.perf_counter()
        sess.run(None, {"input": xi})
        ts.append((time.perf_counter() - t) * 1000)
    return diff, float(np.median(ts)), names


def main():
    args = parse_args()
    seed_all(args.seed)
    shards = D.shard_dirs(args.data, args.partial)
    if args.shards:
        shards = shards[:args.shards]
    t_load = time.time()
    if args.val_tail:
        tr, va, tr_counts, va_counts = [], [], {}, {}
        for d in shards:
            s = D.load_shard(d, args.per_shard or None)
            k = max(0, len(s) - args.val_tail)
            tr += s[:k]
            va += s[k:]
            tr_counts[os.path.basename(d)], va_counts[os.path.basename(d)] = k, len(s) - k
        tr_dirs, va_dirs = shards, [d + "[tail]" for d in shards]
    else:
        tr_dirs, va_dirs = split(shards, args.val_shards)
        (tr, tr_counts), (va, va_counts) = load(tr_dirs, args.per_shard), load(va_dirs, args.per_shard)
    print(f"train {len(tr)} images from {len(tr_dirs)} shards, held out {len(va)} from {[os.path.basename(d) for d in va_dirs]} "
          f"(loaded in {time.time() - t_load:.0f} s)", flush=True)
    net = M.build_plain(args.size, args.width)
    if args.init:
        net.load_weights(args.init)
    if args.freeze_bn:
        for layer in net.layers:
            if isinstance(layer, tf.keras.layers.BatchNormalization):
                layer.trainable = False
    print(f"parameters: {net.count_params()}", flush=True)
    train_s = train(args, net, tr)
    if args.save_keras:
        net.save_weights(args.save_keras)
    metrics = DEC.evaluate(predict(net, va, args.size), max_fpr=args.max_fpr)
    extra = None
    if args.extra_val:
        ex_dirs = D.shard_dirs(args.extra_val, partial=True)
        ex, ex_counts = load(ex_dirs, 0)
        extra = {"shards": ex_counts, "images": len(ex),
                 "metrics": DEC.evaluate(predict(net, ex, args.size), threshold=metrics["threshold"])}
    model_proto = export_onnx(net, args.size, args.out)
    diff, ms, names = check_onnx(args.out, net, va, args.size)
    report = {
        "command": " ".join(sys.argv),
        "train_images": len(tr), "train_shards": tr_counts,
        "val_images": len(va), "val_shards": va_counts,
        "size": args.size, "stride": D.STRIDE, "parameters": int(net.count_params()),
        "steps": args.steps, "batch": args.batch, "train_minutes": round(train_s / 60, 1),
        "onnx_bytes": os.path.getsize(args.out), "onnx_outputs": names, "onnx_vs_tf_max_abs_diff": diff,
        "onnxruntime_ms_per_crop_2_threads": round(ms, 2),
        "heldout": metrics,
        "extra_heldout": extra,
        "note": "input-px errors are at S; multiply by 256/S for the 256-px crop",
    }
    print(json.dumps(report, indent=1))
    with open(args.metrics or args.out + ".metrics.json", "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
