"""Property tests of image normalisation: whatever comes in, a valid model input or a ValueError.

Never another exception, never NaN in what the model sees.
"""

import io

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from shapesim.images import frame, load_image

SIZE = 32
DTYPES = [np.uint8, np.uint16, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def model_input_or_value_error(source) -> torch.Tensor | None:
    """Normalise ``source``; None when it was refused with a ValueError."""
    try:
        x, framing = frame(load_image(source), SIZE)
    except ValueError as err:
        assert str(err), "a refusal must say why"
        return None
    assert x.shape == (3, SIZE, SIZE) and x.dtype == torch.float32
    assert torch.isfinite(x).all() and x.min() >= 0 and x.max() <= 1
    return x


@PROPERTY
@given(
    hnp.arrays(
        dtype=st.sampled_from(DTYPES),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=40),
        elements=None,  # anything the dtype holds: negatives, NaN, infinities, huge values
    )
)
def test_any_array(arr):
    model_input_or_value_error(arr)


@PROPERTY
@given(
    st.integers(1, 60),
    st.integers(1, 60),
    st.sampled_from([1, 2, 3, 4]),
    st.sampled_from([np.uint8, np.float32]),
    st.data(),
)
def test_pictures_of_any_size_and_channels_with_a_shape_are_accepted(h, w, channels, dtype, data):
    """Paper with a dark blob on it, any size over the minimum, any channel count: a valid input."""
    top = 255 if dtype == np.uint8 else 1.0
    arr = np.full((h, w, channels) if channels != 1 else (h, w), top, dtype=dtype)
    y, x = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    arr[y : y + max(1, h // 3), x : x + max(1, w // 3)] = 0
    if channels in (2, 4):
        arr[..., -1] = top  # opaque
    result = model_input_or_value_error(arr)
    if min(h, w) >= 8 and channels != 2:
        assert result is not None and result.sum() > 0


@PROPERTY
@given(st.binary(max_size=2048))
def test_any_bytes(raw):
    model_input_or_value_error(raw)


@PROPERTY
@given(st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]), st.integers(0, 600), st.integers(0, 2**32 - 1))
def test_real_files_cut_short_or_with_a_flipped_byte(fmt, cut, seed):
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8))
    buf = io.BytesIO()
    img.save(buf, fmt)
    raw = bytearray(buf.getvalue())
    if cut < len(raw):
        raw = raw[: len(raw) - cut]
    if raw:
        raw[int(rng.integers(len(raw)))] ^= 0xFF
    model_input_or_value_error(bytes(raw))


@pytest.mark.parametrize("value", [None, 3, "", "no/such/file.png", [[1, 2], [3]], {"a": 1}, object()])
def test_things_that_are_not_pictures(value):
    assert model_input_or_value_error(value) is None
