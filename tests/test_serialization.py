import numpy as np
import pytest

from mi_widgets.widgets._serialization import (
    decode_array,
    encode_array,
    encode_probabilities,
    split_header,
)
from tests.conftest import random_causal_attention


def test_probabilities_round_trip_within_half_a_step():
    values = random_causal_attention(2, 3, 17)
    encoded = encode_probabilities(values)
    assert encoded["dtype"] == "uint8" and encoded["layout"] == "dense"
    assert len(encoded["data"]) == values.size
    assert np.abs(decode_array(encoded) - values).max() <= 1 / 510 + 1e-7


def test_causal_sends_lower_triangle_only():
    values = random_causal_attention(1, 2, 10)
    encoded = encode_probabilities(values, causal=True)
    assert encoded["layout"] == "tril"
    assert len(encoded["data"]) == 2 * 10 * 11 // 2
    decoded = decode_array(encoded)
    assert decoded.shape == values.shape
    assert np.abs(decoded - values).max() <= 1 / 510 + 1e-7
    assert not np.triu(decoded, 1).any()


def test_tril_row_offsets_match_the_documented_layout():
    n = 5
    values = np.arange(2 * n * n, dtype=np.int32).reshape(2, n, n)
    stored = np.frombuffer(encode_array(values, layout="tril")["data"], dtype="<i4")
    for m in range(2):
        for q in range(n):
            start = m * n * (n + 1) // 2 + q * (q + 1) // 2
            assert stored[start : start + q + 1].tolist() == values[m, q, : q + 1].tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.uint8])
def test_dense_round_trip_is_exact_for_every_dtype(dtype):
    values = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    encoded = encode_array(values)
    np.testing.assert_array_equal(decode_array(encoded), values.astype(np.float64))


def test_float32_precision_is_exact():
    values = random_causal_attention(1, 1, 8)
    decoded = decode_array(encode_probabilities(values, precision="float32", causal=True))
    np.testing.assert_array_equal(decoded.astype(np.float32), values)


def test_split_header_keeps_bytes_apart():
    header, data = split_header(encode_array(np.ones(3, dtype=np.float32)))
    assert "data" not in header and header["shape"] == [3]
    assert data == np.ones(3, dtype="<f4").tobytes()


def test_bad_inputs_name_what_was_expected():
    with pytest.raises(ValueError, match=r"square .* got shape \[2, 3\]"):
        encode_array(np.zeros((2, 3), dtype=np.float32), layout="tril")
    with pytest.raises(ValueError, match="layout must be"):
        encode_array(np.zeros(3, dtype=np.float32), layout="upper")
    with pytest.raises(ValueError, match="cannot encode dtype complex"):
        encode_array(np.zeros(3, dtype=np.complex64))
    with pytest.raises(ValueError, match="precision must be"):
        encode_probabilities(np.zeros((2, 2)), precision="int4")
