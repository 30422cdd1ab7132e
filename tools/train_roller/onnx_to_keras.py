"""Keras weights from an exported detector (ONNX), so that a model whose Keras weights were not kept can be
fine-tuned (`train.py --init NAME.weights.h5 --freeze-bn`).

    python3 tools/train_roller/onnx_to_keras.py --onnx models/roller_detector.onnx --out /work/cache/shipped.weights.h5

tf2onnx folds every BatchNormalization into the convolution before it (scale into the kernel, shift into a bias).
The Keras model (model.build_plain) gets those folded kernels, and each BatchNormalization becomes the identity
plus the folded bias (gamma 1, mean 0, variance 1 - epsilon, beta = bias). Fine-tune with the BatchNormalization
layers frozen (their statistics are not the training batches' any more). The script checks that the Keras model
reproduces the ONNX outputs on random inputs and fails otherwise.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

import model as M  # noqa: E402

MAX_ABS_DIFF = 1e-3  # on outputs of order 1-10 (logits)


def onnx_tensors(path):
    g = onnx.load(path).graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    convs = {}  # keras conv index -> (kernel OIHW, bias)
    dense = {}
    for n in g.node:
        if n.op_type == "Conv" and "maps" not in n.name:
            w, b = inits[n.input[1]], inits[n.input[2]]
            name = n.input[1].split("/")[1]  # conv2d_1, conv2d_1_2, conv2d_K_1
            parts = name.split("_")
            k = 0 if name == "conv2d_1" else (1 if name == "conv2d_1_2" else int(parts[1]))
            convs[k] = (w, b)
        elif n.op_type == "Conv":
            dense["maps"] = (inits[n.input[1]], inits[n.input[2]])
        elif n.op_type == "Gemm":
            key = "presence" if "presence" in n.name else "dense"
            dense[key] = (inits[n.input[1]], inits[n.input[2]])
    return convs, dense


def to_keras(onnx_path, size):
    net = M.build_plain(size)
    convs, dense = onnx_tensors(onnx_path)
    # creation order (the default names count up: conv2d, conv2d_1, ...), which is the order of the exported names
    order = lambda base: (lambda l: 0 if l.name == base else int(l.name[len(base) + 1:]) + 1)
    conv_layers = sorted((l for l in net.layers if isinstance(l, layers.Conv2D) and l.name != "maps"),
                         key=order("conv2d"))
    bn_layers = sorted((l for l in net.layers if isinstance(l, layers.BatchNormalization)),
                       key=order("batch_normalization"))
    if len(conv_layers) != len(convs) or len(bn_layers) != len(convs):
        sys.exit(f"{onnx_path}: {len(convs)} folded convolutions, the Keras model has {len(conv_layers)}")
    for k, (conv, bn) in enumerate(zip(conv_layers, bn_layers)):
        w, b = convs[k]
        conv.set_weights([w.transpose(2, 3, 1, 0)])
        one = np.ones_like(b)
        bn.set_weights([one, b, np.zeros_like(b), one - bn.epsilon])
    mw, mb = dense["maps"]
    net.get_layer("maps").set_weights([mw.transpose(2, 3, 1, 0), mb])
    d = [l for l in net.layers if isinstance(l, layers.Dense)]
    d[0].set_weights(list(dense["dense"]))
    net.get_layer("presence").set_weights(list(dense["presence"]))
    return net


def check(net, onnx_path, size):
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3)).astype(np.float32)
    diff = 0.0
    for i in range(len(x)):
        o = sess.run(["maps", "presence"], {"input": x[i:i + 1].transpose(0, 3, 1, 2)})
        maps, pres = net(x[i:i + 1], training=False)
        diff = max(diff, float(np.abs(o[0] - maps.numpy()).max()), float(np.abs(o[1] - pres.numpy()).max()))
    return diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--out", required=True, help="NAME.weights.h5")
    ap.add_argument("--size", type=int, default=160)
    a = ap.parse_args()
    net = to_keras(a.onnx, a.size)
    diff = check(net, a.onnx, a.size)
    print(f"{a.onnx}: Keras vs ONNX Runtime max abs difference {diff:.2e}")
    if not diff < MAX_ABS_DIFF:
        sys.exit(f"{a.onnx}: the Keras model does not reproduce the ONNX one (max abs difference {diff:.3g})")
    net.save_weights(a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
