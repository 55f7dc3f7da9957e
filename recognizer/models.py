"""The models, built with Keras by the functions the training code calls (`Architecture.build`); what each
reads and how its output is decoded is in `recognizer.architectures`."""

from __future__ import annotations

import keras
from keras import layers

from recognizer.architectures import NUM_CLASSES


def _conv(x, filters: int, separable: bool = False):
    if separable:  # 5x5: each column sees a whole digit and its neighbours' edges, for little cost
        conv = layers.SeparableConv2D(filters, 5, padding="same", use_bias=False)
    else:
        conv = layers.Conv2D(filters, 3, padding="same", use_bias=False)
    x = conv(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def _column_features(inputs, widen: float):
    """Convolutional features of each group of 4 columns, keeping the vertical layout:
    (batch, width / 4, 160 x widen)."""
    x = _conv(inputs, _widened(16, widen))  # 32 x W
    x = layers.MaxPooling2D(2)(x)  # 16 x W/2
    x = _conv(x, _widened(32, widen))
    x = layers.MaxPooling2D(2)(x)  # 8 x W/4
    x = _conv(x, _widened(96, widen), separable=True)
    x = _conv(x, _widened(128, widen), separable=True)
    x = layers.MaxPooling2D((2, 1))(x)  # 4 x W/4
    x = layers.Permute((2, 1, 3))(x)  # W/4 x 4 x 128: one step per group of 4 columns
    x = layers.Reshape((-1, 4 * _widened(128, widen)))(x)
    return layers.Dense(_widened(160, widen), activation="relu")(x)


def _widened(units: int, widen: float) -> int:
    """A layer's channels or units in a model `widen` times as wide as the shipped one."""
    return max(1, round(units * widen))


def build_cnn(widen: float = 1.0) -> keras.Model:
    """Fully convolutional column reader: per-column class scores (logits) for CTC. `widen` multiplies every
    layer's channels (about `widen` squared the compute)."""
    inputs = keras.Input((32, None, 1), name="image")
    x = layers.Dropout(0.1)(_column_features(inputs, widen))
    x = layers.Conv1D(_widened(128, widen), 3, padding="same", activation="relu")(x)
    outputs = layers.Dense(NUM_CLASSES + 1, name="logits")(x)
    return keras.Model(inputs, outputs, name="cnn")


def build_gru(widen: float = 1.0) -> keras.Model:
    """Convolutional column features read by a bidirectional GRU: per-column logits for CTC. `widen` multiplies
    every layer's channels and the GRU's units."""
    inputs = keras.Input((32, None, 1), name="image")
    x = layers.Dropout(0.1)(_column_features(inputs, widen))
    x = layers.Bidirectional(layers.GRU(_widened(80, widen), return_sequences=True))(x)
    outputs = layers.Dense(NUM_CLASSES + 1, name="logits")(x)
    return keras.Model(inputs, outputs, name="gru")


def build_seed_cnn() -> keras.Model:
    """The seed article's CNN: two conv blocks, Dense(128), four softmax heads of 10."""
    inputs = keras.Input((64, 208, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    heads = [layers.Dense(NUM_CLASSES, activation="softmax", name=f"digit_{i}")(x) for i in range(4)]
    outputs = layers.Reshape((4, NUM_CLASSES), name="positions")(layers.Concatenate()(heads))
    return keras.Model(inputs, outputs, name="seed_cnn")


def build_seed_gru() -> keras.Model:
    """The seed article's GRU: 40 units reading the 64 rows of a 64x208 image, 29,990 parameters."""
    inputs = keras.Input((64, 208, 1), name="image")
    x = layers.Reshape((64, 208))(inputs)
    x = layers.GRU(40, reset_after=False)(x)
    x = layers.Reshape((4, 10))(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="positions")(x)
    return keras.Model(inputs, outputs, name="seed_gru")


BUILDERS = {"cnn": build_cnn, "gru": build_gru, "seed-cnn": build_seed_cnn, "seed-gru": build_seed_gru}
