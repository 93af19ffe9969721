"""The one stable hash gives exactly the numbers the old, separately written hashes gave."""

from __future__ import annotations

import colorsys
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from stages.hashing import digest_hex, file_digest, parts_digest, stable_int, stable_unit
from stages.media.drawing import unit_random
from stages.media.palette import character_colour
from stages.shapes import stable_seed
from stages.storyboard.characters import _hash as character_hash

parts = st.lists(st.one_of(st.text(max_size=12), st.integers(-(10**6), 10**6)), min_size=1, max_size=4)


def old_sha(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@given(parts)
def test_each_old_formula_is_reproduced(values):
    nul, unit = "\x00".join(map(str, values)), "\x1f".join(map(str, values))
    assert unit_random(*values) == stable_unit(*values) == int.from_bytes(old_sha(nul)[:8], "big") / 2**64
    assert character_hash(*values) == stable_int(*values) == int.from_bytes(old_sha(unit)[:8], "big")
    assert stable_seed(*values) == int.from_bytes(old_sha(unit)[:4], "big")
    assert digest_hex(unit) == hashlib.sha256(unit.encode()).hexdigest()


@given(st.text(max_size=8), st.integers(0, 10**6))
def test_a_character_keeps_its_colour(name, seed):
    digest = old_sha(f"{name}\x00{seed}")
    assert parts_digest(name, seed, sep="\x00") == digest
    hue = int.from_bytes(digest[:2], "big") / 65536.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.55 + digest[2] / 255.0 * 0.3, 0.70 + digest[3] / 255.0 * 0.2)
    assert character_colour(name, seed) == (round(r * 255), round(g * 255), round(b * 255))


def test_file_digest_reads_in_blocks(tmp_path):
    path = tmp_path / "music.bin"
    data = bytes(range(256)) * 9000  # larger than one block
    path.write_bytes(data)
    assert file_digest(path) == hashlib.sha256(data).hexdigest()
