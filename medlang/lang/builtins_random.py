"""Seeded random numbers: ``rand_seeded(seed) -> Rng``, ``next_float``,
``next_int`` and ``shuffle``, identical on every platform and Python version.

The generator is xoshiro256** (Blackman and Vigna, 2018), its 256-bit state
filled from the seed by SplitMix64, as the authors recommend; all in exact
integer arithmetic, so a seed gives the same numbers everywhere.

- ``next_float(rng)``: the top 53 bits of the next output, times 2^-53: a
  Float in ``[0.0, 1.0)``, every value a multiple of 2^-53.
- ``next_int(rng, lo, hi)``: an Int in ``[lo, hi)`` (like ``range``), uniform
  without bias: outputs in the incomplete last block of ``hi - lo`` are
  rejected and drawn again.
- ``shuffle(rng, v)``: a new vector, Fisher-Yates from the last position down:
  position ``i`` swaps with ``next_int(rng, 0, i + 1)``.

An Rng is the one MedLang value with identity: MedLang values are immutable,
but a generator must advance, so each draw moves *this* generator on. ``let h =
g;`` names the same generator (draws from either advance both), exactly like a
``&mut`` borrow in Rust; two independent streams need two ``rand_seeded`` calls.
Only ``rand_seeded`` makes one, so a program's randomness is always its seed's.
"""

from __future__ import annotations

from medlang.lang.builtin_rules import BuiltinFailure, BuiltinTypeError, _arity, _entry, _fixed
from medlang.lang.types import FLOAT, INT, RNG, AnyType, Type, VectorType

MASK = (1 << 64) - 1


class Rng:
    __slots__ = ("state", "draws")

    def __init__(self, seed: int) -> None:
        self.state = _splitmix_state(seed & MASK)
        self.draws = 0

    def next_u64(self) -> int:
        s0, s1, s2, s3 = self.state
        result = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.state = (s0, s1, s2, s3)
        self.draws += 1
        return result

    def next_float(self) -> float:
        return (self.next_u64() >> 11) * 2.0**-53

    def below(self, span: int) -> int:
        """Uniform in ``[0, span)`` for ``1 <= span <= 2**64``, by rejection."""
        limit = (1 << 64) - (1 << 64) % span  # the complete blocks of `span`
        while True:
            value = self.next_u64()
            if value < limit:
                return value % span

    def __str__(self) -> str:
        return f"<Rng after {self.draws} draws>"


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (64 - k))) & MASK


def _splitmix_state(seed: int) -> tuple[int, int, int, int]:
    out = []
    for _ in range(4):
        seed = (seed + 0x9E3779B97F4A7C15) & MASK
        z = seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out.append(z ^ (z >> 31))
    return out[0], out[1], out[2], out[3]


def _next_int(ctx, rng: Rng, lo: int, hi: int) -> int:
    if lo >= hi:
        raise BuiltinFailure(f"empty range [{lo}, {hi})")
    return lo + rng.below(hi - lo)


def _shuffle(ctx, rng: Rng, items: tuple) -> tuple:
    shuffled = list(items)
    for i in range(len(shuffled) - 1, 0, -1):
        j = rng.below(i + 1)
        shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
    return tuple(shuffled)


def _shuffle_rule(args: list[Type]) -> Type:
    _arity(args, 2)
    if args[0] != RNG and not isinstance(args[0], AnyType):
        raise BuiltinTypeError(f"expects Rng, got {args[0]}", 0)
    if not isinstance(args[1], VectorType | AnyType):
        raise BuiltinTypeError(f"expects a Vector, got {args[1]}", 1)
    return args[1]


ENTRIES = dict(
    [
        _entry("rand_seeded", _fixed((INT,), RNG), lambda ctx, seed: Rng(seed)),
        _entry("next_float", _fixed((RNG,), FLOAT), lambda ctx, rng: rng.next_float()),
        _entry("next_int", _fixed((RNG, INT, INT), INT), _next_int),
        _entry("shuffle", _shuffle_rule, _shuffle),
    ]
)
