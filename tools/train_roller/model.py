"""A small CenterNet-style roller/ball detector: plain 3x3 convolutions down to stride 16, a 2-level top-down merge
to stride 4, one 1x1 head with NUM_CH maps, and a global presence logit."""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

from data import NUM_CH, CH_HEAT_ROLLER, CH_HEAT_BALL

HEAT_PRIOR = 0.05  # initial heat-map probability (CenterNet initialises the heat bias to a small prior)


def conv_bn(x, ch, k=3, s=1, act=True, name=None):
    x = layers.Conv2D(ch, k, strides=s, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU(6.0)(x) if act else x


def build_plain(size, width=1.0):
    """Plain 3x3 convolutions (oneDNN trains them much faster on CPU than depthwise ones)."""
    c = lambda n: max(8, int(n * width + 0.5) // 8 * 8)
    inp = keras.Input((size, size, 3), name="input")
    x = conv_bn(inp, c(16), s=2)  # /2
    x = conv_bn(x, c(24), s=2)  # /4
    s4 = conv_bn(x, c(24))
    x = conv_bn(s4, c(40), s=2)  # /8
    s8 = conv_bn(x, c(40))
    x = conv_bn(s8, c(64), s=2)  # /16
    x = conv_bn(x, c(64))
    x = layers.Conv2D(c(64), 3, padding="same", dilation_rate=2, use_bias=False)(x)
    x = layers.ReLU(6.0)(layers.BatchNormalization()(x))
    s16 = layers.Add()([x, conv_bn(x, c(64))])
    p = layers.Concatenate()([layers.GlobalAveragePooling2D()(s16), layers.GlobalMaxPooling2D()(s16)])
    p = layers.Dense(32, activation="relu")(p)
    presence = layers.Dense(1, name="presence")(p)
    f = conv_bn(s16, c(40), k=1)
    f = layers.UpSampling2D(2, interpolation="bilinear")(f)
    f = layers.Add()([f, conv_bn(s8, c(40), k=1)])
    f = conv_bn(f, c(40))
    f = conv_bn(f, c(32), k=1)
    f = layers.UpSampling2D(2, interpolation="bilinear")(f)
    f = layers.Add()([f, conv_bn(s4, c(32), k=1)])
    f = conv_bn(f, c(32))
    f = conv_bn(f, c(32))
    bias = np.zeros(NUM_CH, np.float32)
    bias[[CH_HEAT_ROLLER, CH_HEAT_BALL]] = np.log(HEAT_PRIOR / (1 - HEAT_PRIOR))
    maps = layers.Conv2D(NUM_CH, 1, name="maps", bias_initializer=keras.initializers.Constant(bias))(f)
    return keras.Model(inp, [maps, presence])
