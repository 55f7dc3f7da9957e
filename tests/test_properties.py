"""Property-based: any array, of any shape and dtype, gives a preprocessed image (or a Prediction), None,
or a ValueError; never another exception."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from recognizer.decoding import Prediction, decode_ctc
from recognizer.inference import Recognizer
from recognizer.preprocess import preprocess

DTYPES = st.sampled_from([np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.int64, np.float16,
                          np.float32, np.float64, np.complex64, np.bool_])
ANY_ARRAY = arrays(DTYPES, array_shapes(min_dims=1, max_dims=5, min_side=1, max_side=40))


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.load("cnn")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_ARRAY)
def test_preprocess_never_raises_anything_but_value_error(array):
    try:
        result = preprocess(array)
    except ValueError as exc:
        assert str(exc)
        return
    if result.image is not None:
        assert result.image.dtype == np.float32 and result.image.shape[0] == 32
        assert np.all(np.isfinite(result.image)) and result.image.min() >= 0 and result.image.max() <= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(ANY_ARRAY)
def test_predict_gives_a_prediction_or_a_value_error(recognizer, array):
    try:
        prediction = recognizer.predict(array)
    except ValueError as exc:
        assert str(exc)
        return
    assert isinstance(prediction, Prediction) and 0.0 <= prediction.confidence <= 1.0
    assert prediction.probabilities.shape == (len(prediction.digits), 10)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, st.one_of(st.tuples(st.integers(1, 40), st.just(11)),  # one view, or several
                                    st.tuples(st.integers(1, 3), st.integers(1, 40), st.just(11))),
              elements=st.floats(-30, 30, width=32, allow_nan=False)))
def test_ctc_decoding_of_any_logits(logits):
    digits, confidence, rows = decode_ctc(logits)
    assert set(digits) <= set("0123456789")
    assert 0.0 <= confidence <= 1.0 + 1e-9
    assert rows.shape == (len(digits), 10)
    if digits:
        np.testing.assert_allclose(rows.sum(axis=1), 1.0, rtol=1e-6)
