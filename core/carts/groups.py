"""Duplicate groups: the billable, editable units of a cart.

Two images are one group when they are the same image, have the same bytes
(SHA-256), or are near-identical pictures. "Near-identical" needs all three of:

- pHash within ``PHASH_MAX`` bits (re-encodings and resizes measure 0–4);
- the same aspect ratio within ``ASPECT_TOLERANCE`` (a re-encoding keeps it);
- every cell of the 4×4 colour grid (``core.catalog.analysis.colour_grid``) within
  ``COLOUR_MAX`` levels per channel: pHash ignores colour and small shifts of
  scale, so products with one silhouette can share a pHash; re-encodings move a
  cell by ≤ 3 levels on the sandbox's duplicates, different products ≥ 11
  (tests/core/carts/test_groups.py measures both on a seeded catalog).

Groups are transitive (union-find). Exact groups come from the database (one
representative per SHA-256); near groups compare only candidates that share a
bucket (locality-sensitive hashing): the 64-bit pHash is cut into 4 bands of 16
bits, and two pictures are compared only if one band is equal. Hashes within 3
bits always share a band (pigeonhole); at 4 bits they do unless each band holds
one of the 4 differing bits (about 1 pair in 10 for random bit positions). The
sandbox's re-encodings measure 0–2 bits, so this costs nothing there, and a
finer split (5 bands of 13 bits, exact up to 4) made 100 000 pictures take
4.4 s instead of well under 2 s.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

PHASH_MAX = 4
COLOUR_MAX = 6
ASPECT_TOLERANCE = 0.02
BANDS = 4  # of 16 bits
_M64 = (1 << 64) - 1


@dataclass(slots=True)
class Picture:
    image_id: int
    exact_root: int  # smallest image id with the same bytes (or itself)
    phash: int | None = None
    colour_grid: str | None = None
    width: int = 0
    height: int = 0


@dataclass(slots=True)
class Group:
    image_ids: list[int] = field(default_factory=list)  # sorted; the first represents the group

    @property
    def representative(self) -> int:
        return self.image_ids[0]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra  # the smaller id stays the root
        return True


def near(a: Picture, b: Picture, grid_a: bytes, grid_b: bytes) -> bool:
    if ((a.phash ^ b.phash) & _M64).bit_count() > PHASH_MAX:
        return False
    wa, ha, wb, hb = a.width, a.height, b.width, b.height
    if abs(wa * hb - wb * ha) > ASPECT_TOLERANCE * max(wa * hb, wb * ha):
        return False
    return max(abs(x - y) for x, y in zip(grid_a, grid_b)) <= COLOUR_MAX


def group(pictures: list[Picture]) -> list[Group]:
    """The groups of ``pictures``, ordered by their representative image id."""
    uf = _UnionFind()
    reps: list[Picture] = []
    for p in pictures:
        if p.exact_root != p.image_id:
            uf.union(p.exact_root, p.image_id)
        elif p.phash is not None and p.colour_grid and p.width > 0 and p.height > 0:
            reps.append(p)
    buckets: dict[int, list[int]] = defaultdict(list)
    for n, p in enumerate(reps):
        h = p.phash & _M64
        buckets[h & 0xFFFF].append(n)
        buckets[(1 << 16) | ((h >> 16) & 0xFFFF)].append(n)
        buckets[(2 << 16) | ((h >> 32) & 0xFFFF)].append(n)
        buckets[(3 << 16) | (h >> 48)].append(n)
    for members in buckets.values():
        if len(members) < 2:
            continue
        for i, x in enumerate(members):
            px = reps[x]
            for y in members[i + 1:]:
                py = reps[y]
                if uf.find(px.image_id) != uf.find(py.image_id) and near(
                        px, py, bytes.fromhex(px.colour_grid), bytes.fromhex(py.colour_grid)):
                    uf.union(px.image_id, py.image_id)
    by_root: dict[int, list[int]] = defaultdict(list)
    parent = uf.parent
    for p in pictures:
        i = p.image_id
        by_root[uf.find(i) if i in parent else i].append(i)
    groups = [Group(sorted(ids)) for ids in by_root.values()]
    groups.sort(key=lambda g: g.representative)
    return groups
