"""What each model reads and how its output is decoded: all that reading needs to know of an architecture,
without importing Keras (`recognizer.models` builds the models).

`cnn` and `gru` read the image's columns left to right and are trained with CTC (class 10 is the blank),
so the length of the number is not capped. `seed-cnn` and `seed-gru` are the seed article's baselines:
fixed 4-digit strings on 64x208 inputs, one 10-way softmax per position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from recognizer.preprocess import InputSpec

if TYPE_CHECKING:
    import keras

NUM_CLASSES = 10
BLANK = 10  # CTC blank index: the last of 11 output classes


@dataclass(frozen=True)
class Architecture:
    name: str
    spec: InputSpec
    decoder: str  # "ctc" or "positions"
    seed_length: int | None = None  # fixed string length of the position models

    def build(self, widen: float = 1.0) -> keras.Model:
        """A new, untrained model of this architecture (imports Keras, and so TensorFlow). `widen` multiplies the
        channels and units of `cnn` and `gru`; the seed models are built only as published."""
        from recognizer.models import BUILDERS

        if self.decoder != "ctc":
            if widen != 1.0:
                raise ValueError(f"{self.name} is built only as the seed article publishes it (widen 1)")
            return BUILDERS[self.name]()
        return BUILDERS[self.name](widen)


ARCHITECTURES: dict[str, Architecture] = {
    "cnn": Architecture("cnn", InputSpec(32, 256), "ctc"),
    "gru": Architecture("gru", InputSpec(32, 256), "ctc"),
    "seed-cnn": Architecture("seed-cnn", InputSpec(64, 208, fixed_width=True, pad=4), "positions", 4),
    "seed-gru": Architecture("seed-gru", InputSpec(64, 208, fixed_width=True, pad=4), "positions", 4),
}
