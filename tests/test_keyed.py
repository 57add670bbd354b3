"""The keyed generator: writing the state's words gives numpy's own numbers, whatever the key."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsim.model.keyed import MASK64, KeyedGenerator, mix64


@pytest.mark.skipif(
    sys.byteorder != "little" or sys.platform == "win32",  # numpy's 128-bit type is emulated there
    reason="the words are written only where numpy stores the state as a little-endian uint128",
)
def test_direct_writes_are_in_use_here():
    # the probe found numpy's layout on this machine (a fallback would be correct but slower)
    assert KeyedGenerator(1, 0).direct
    assert not KeyedGenerator(1, 0, direct=False).direct


@settings(max_examples=200, deadline=None)
@given(
    key=st.integers(0, 2**63 - 1),
    salt=st.integers(0, 200),
    seed=st.integers(0, 2**32),
    replication=st.integers(0, 1000),
)
def test_direct_and_dictionary_states_give_the_same_numbers(key, salt, seed, replication):
    direct, by_dict = KeyedGenerator(seed, replication), KeyedGenerator(seed, replication, direct=False)
    a = direct.at(key, salt)
    b = by_dict.at(key, salt)
    assert a.bit_generator.state == b.bit_generator.state
    assert a.random(3).tolist() == b.random(3).tolist()
    assert a.lognormal(0.5, 1.0) == b.lognormal(0.5, 1.0)
    assert a.integers(0, 10, dtype=np.uint32) == b.integers(0, 10, dtype=np.uint32)  # a 32-bit half kept


def test_a_kept_32_bit_half_does_not_leak_into_the_next_contact():
    direct, by_dict = KeyedGenerator(7, 1), KeyedGenerator(7, 1, direct=False)
    for gen in (direct, by_dict):
        gen.at(1, 1).integers(0, 10, dtype=np.uint32)  # leaves half of a 64-bit draw
    a, b = direct.at(2, 1), by_dict.at(2, 1)
    assert a.bit_generator.state == b.bit_generator.state  # the kept half cleared in both
    assert a.integers(0, 10, 5, dtype=np.uint32).tolist() == b.integers(0, 10, 5, dtype=np.uint32).tolist()


def test_the_state_is_the_hash_of_key_and_salt():
    gen = KeyedGenerator(3, 4, direct=False)
    state = gen.at(12345, 2).bit_generator.state["state"]
    a = mix64(12345 ^ ((2 * 0xD1B54A32D192ED03) & MASK64))
    assert state["state"] == (a << 64 | mix64(a ^ 12345))
    assert state["inc"] == (mix64(3) << 64 | mix64(4)) | 1
