"""One generator, repositioned for each contact: the random numbers a contact's key leads to.

A contact created during the run (a retrial, a repeat, a callback, ...) draws its numbers from
a PCG64 generator whose 128-bit state is a SplitMix64 hash of its parent's key and a salt (the
origin of what it creates, or a decision's own salt), and whose increment is fixed per run (a
hash of the seed and the replication). Seeding a new generator per contact costs about ten
microseconds; repositioning one costs one.

Repositioning goes through numpy's documented ``bit_generator.state`` dictionary, or, where it
gives the very same numbers, by writing the two 64-bit halves of the state straight into the
generator's state struct (``bit_generator.ctypes.state_address``): a seventh of the cost. At
construction a probe compares the two ways on a few states; if they differ (another numpy
layout, a big-endian machine) the dictionary is used. ``tests/test_keyed.py`` holds both ways
to the same numbers.
"""

from __future__ import annotations

import ctypes

import numpy as np

MASK64 = (1 << 64) - 1
_SALT = 0xD1B54A32D192ED03  # spreads the salts over 64 bits
_PROBES = (0, 1, 0x0123456789ABCDEF, MASK64, (1 << 63) + 12345)


def mix64(x: int) -> int:
    """SplitMix64's finaliser: a well-mixed 64-bit integer from any integer."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class _Pcg64State(ctypes.Structure):
    """numpy's ``pcg64_state``: a pointer to the generator's state and increment (each a
    128-bit integer), and the 32-bit half of a 64-bit draw kept for the next 32-bit draw."""

    _fields_ = (("rng", ctypes.c_void_p), ("has_uint32", ctypes.c_int), ("uinteger", ctypes.c_uint32))


class KeyedGenerator:
    """A PCG64 generator repositioned by ``at(key, salt)``; ``direct``: whether by writing the
    state's words (see the module) or through numpy's state dictionary."""

    def __init__(self, seed: int, replication: int, direct: bool = True) -> None:
        self.bits = np.random.PCG64(0)
        self.gen = np.random.Generator(self.bits)
        inc = (mix64(seed) << 64 | mix64(replication)) | 1  # odd, per run
        self._pcg = {"state": 0, "inc": inc}
        self._state = {"bit_generator": "PCG64", "state": self._pcg, "has_uint32": 0, "uinteger": 0}
        self._set_state(0)  # the increment, once
        self._direct = self._bind_words(inc) if direct else None

    @property
    def direct(self) -> bool:
        """True if states are written into the generator's memory (see the module)."""
        return self._direct is not None

    def at(self, key: int, salt: int) -> np.random.Generator:
        """The generator, positioned for the contact of ``key`` and ``salt`` (valid until the
        next call)."""
        a = mix64(key ^ ((salt * _SALT) & MASK64))
        b = mix64(a ^ key)
        direct = self._direct
        if direct is None:
            self._set_state((a << 64) | b)
        else:  # a 128-bit little-endian integer: low word first; no half of a draw kept
            struct, words = direct
            words[0] = b
            words[1] = a
            struct.has_uint32 = 0
            struct.uinteger = 0
        return self.gen

    def _set_state(self, state: int) -> None:
        self._pcg["state"] = state
        self.bits.state = self._state  # type: ignore[assignment]  # numpy types it as a TypedDict

    def _bind_words(self, inc: int) -> tuple[_Pcg64State, ctypes.Array[ctypes.c_uint64]] | None:
        """The state struct and its words, if writing them gives the dictionary's numbers: first
        read only (the words must hold the state and the increment just set through the
        dictionary), then on a few probe states; None otherwise."""
        struct = _Pcg64State.from_address(self.bits.ctypes.state_address)
        if not struct.rng:
            return None
        words = (ctypes.c_uint64 * 4).from_address(struct.rng)
        if list(words) != [0, 0, inc & MASK64, inc >> 64]:  # state 0, then the increment
            return None
        for probe in _PROBES:
            state = probe << 64 | mix64(probe)
            self._set_state(state)
            expected = self.bits.random_raw(3).tolist()
            words[0], words[1] = state & MASK64, state >> 64
            struct.has_uint32 = 0
            if self.bits.random_raw(3).tolist() != expected:
                return None
        return struct, words
