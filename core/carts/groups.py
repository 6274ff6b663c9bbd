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

Everything runs on numpy arrays (100 000 pictures in about a tenth of a second):
candidate pairs come from sorting each band and pairing the members of every run
of equal keys; the three tests are vectorised over those pairs; the components
come from label propagation with pointer jumping (each label the smallest index
of its component, so the smallest image id represents the group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    image_ids: list[int]  # sorted; the first represents the group

    @property
    def representative(self) -> int:
        return self.image_ids[0]


def near(a: Picture, b: Picture, grid_a: bytes, grid_b: bytes) -> bool:
    """The rule for one pair (``group`` applies it vectorised)."""
    if ((a.phash ^ b.phash) & _M64).bit_count() > PHASH_MAX:
        return False
    wa, ha, wb, hb = a.width, a.height, b.width, b.height
    if abs(wa * hb - wb * ha) > ASPECT_TOLERANCE * max(wa * hb, wb * ha):
        return False
    return max(abs(x - y) for x, y in zip(grid_a, grid_b)) <= COLOUR_MAX


def group(pictures: list[Picture]) -> Groups:
    """The groups of ``pictures``, ordered by their representative image id."""
    return components([p.image_id for p in pictures], [p.exact_root for p in pictures],
                         [p.phash for p in pictures], [p.colour_grid for p in pictures],
                         [p.width for p in pictures], [p.height for p in pictures]).groups()


def exact_roots(image_ids: list[int], sha256s: list[str | None]) -> list[int]:
    """Per image, the smallest image id with the same SHA-256 (itself without one)."""
    first: dict[str, int] = {}
    roots = list(image_ids)
    for n in sorted(range(len(image_ids)), key=image_ids.__getitem__):
        sha = sha256s[n]
        if sha is not None:
            roots[n] = first.setdefault(sha, image_ids[n])
    return roots


def _grids(grids: list[str | None], valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Colour grids as an (n, bytes) uint8 matrix and each one's length in bytes."""
    n = len(grids)
    lengths = np.fromiter((len(g) // 2 if g else 0 for g in grids), dtype=np.int64, count=n)
    width = int(lengths.max()) if n else 0
    if n and (lengths == width).all():  # the usual case: every grid has 16 cells × 3 channels
        return np.frombuffer(bytes.fromhex("".join(grids)), dtype=np.uint8).reshape(n, width), lengths
    matrix = np.zeros((n, width), dtype=np.uint8)
    for k in np.flatnonzero(valid):
        row = bytes.fromhex(grids[k])
        matrix[k, :len(row)] = np.frombuffer(row, dtype=np.uint8)
    return matrix, lengths


def _band_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j) of positions whose keys are equal."""
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    left, right = [], []
    active = np.flatnonzero(k[1:] == k[:-1])  # positions p with p + d in the same run, d = 1, 2, …
    d = 1
    while active.size:
        left.append(order[active])
        right.append(order[active + d])
        d += 1
        nxt = active + d
        active = active[(nxt < k.size)]
        active = active[k[active + d] == k[active]]
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def _components(size: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per node 0..size-1, the smallest node of its connected component."""
    label = np.arange(size, dtype=np.int64)
    if not u.size:
        return label
    while True:
        lu, lv = label[u], label[v]
        differ = lu != lv
        if not differ.any():
            return label
        u, v, lu, lv = u[differ], v[differ], lu[differ], lv[differ]
        low = np.minimum(lu, lv)
        np.minimum.at(label, lu, low)  # hook each root onto the smaller one
        np.minimum.at(label, lv, low)
        while True:  # pointer jumping: every node straight to its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped


@dataclass(slots=True)
class Components:
    """Groups as arrays: ``image_ids`` group after group (each sorted, groups by their
    smallest id), group ``k`` being ``image_ids[starts[k]:starts[k + 1]]``."""

    image_ids: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return int(self.starts.size)

    def sizes(self) -> np.ndarray:
        return np.diff(np.append(self.starts, self.image_ids.size))

    def groups(self) -> Groups:
        return Groups(self)


class Groups(Sequence):
    """The groups of ``Components`` as a read-only list, made on first use: counting
    them (a cart's imageCount, its billable count) builds no Group objects."""

    __slots__ = ("_components", "_list")

    def __init__(self, components: Components) -> None:
        self._components = components
        self._list: list[Group] | None = None

    def _groups(self) -> list[Group]:
        if self._list is None:
            c = self._components
            ids, bounds = c.image_ids.tolist(), c.starts.tolist()
            self._list = [Group(ids[s:e]) for s, e in zip(bounds, bounds[1:] + [len(ids)])]
        return self._list

    def __len__(self) -> int:
        return len(self._components)

    def __getitem__(self, index):
        return self._groups()[index]

    def __iter__(self):
        return iter(self._groups())

    def __eq__(self, other) -> bool:
        return self._groups() == list(other) if isinstance(other, (list, Groups)) else NotImplemented

    def __repr__(self) -> str:
        return f"Groups({self._groups()!r})"


def components(image_ids, exact_roots, phashes, colour_grids, widths, heights) -> Components:
    """The groups of pictures given as columns (one entry per picture, lists or arrays)."""
    n = len(image_ids)
    ids = np.asarray(image_ids, dtype=np.int64)
    if n == 0:
        return Components(ids, np.empty(0, np.int64))
    roots = np.asarray(exact_roots, dtype=np.int64)
    # Nodes: every image id and every exact root (a root is normally one of the images).
    nodes = np.sort(ids)
    root_at = np.searchsorted(nodes, roots).clip(max=n - 1)
    if not (nodes[root_at] == roots).all():
        nodes = np.unique(np.concatenate([ids, roots]))
        root_at = np.searchsorted(nodes, roots)
    at = np.searchsorted(nodes, ids)
    is_root = roots == ids
    eu, ev = [at[~is_root]], [root_at[~is_root]]

    has_phash = np.fromiter((h is not None for h in phashes), dtype=bool, count=n)
    grids = list(colour_grids)
    has_grid = np.fromiter((bool(g) for g in grids), dtype=bool, count=n)
    w = np.asarray(widths, dtype=np.int64)
    h = np.asarray(heights, dtype=np.int64)
    reps = np.flatnonzero(is_root & has_phash & has_grid & (w > 0) & (h > 0))
    if reps.size > 1:
        ph = np.fromiter(((x if x is not None else 0) & _M64 for x in phashes), dtype=np.uint64, count=n)[reps]
        grid, glen = _grids([grids[k] for k in reps], np.ones(reps.size, dtype=bool))
        rw, rh = w[reps], h[reps]
        a_list, b_list = [], []
        for band in range(BANDS):
            a, b = _band_pairs((ph >> np.uint64(16 * band)) & np.uint64(0xFFFF))
            a_list.append(a)
            b_list.append(b)
        a, b = np.concatenate(a_list), np.concatenate(b_list)
        keep = np.bitwise_count(ph[a] ^ ph[b]) <= PHASH_MAX
        a, b = a[keep], b[keep]
        if a.size:
            x, y = rw[a] * rh[b], rw[b] * rh[a]
            keep = np.abs(x - y) <= ASPECT_TOLERANCE * np.maximum(x, y)
            a, b = a[keep], b[keep]
        if a.size:
            diff = np.abs(grid[a].astype(np.int16) - grid[b].astype(np.int16))
            common = np.minimum(glen[a], glen[b])  # zip(): the shorter grid's cells
            diff[np.arange(grid.shape[1])[None, :] >= common[:, None]] = 0
            keep = diff.max(axis=1, initial=0) <= COLOUR_MAX
            a, b = a[keep], b[keep]
        eu.append(at[reps[a]])
        ev.append(at[reps[b]])

    label = _components(nodes.size, np.concatenate(eu), np.concatenate(ev))[at]
    if nodes.size != n:  # a component's smallest node may be a root outside the pictures
        first = np.full(nodes.size, np.iinfo(np.int64).max)
        np.minimum.at(first, label, ids)
        label = first[label]  # the smallest picture id of the component
    order = np.lexsort((ids, label))  # by component (smallest member first), then by id
    sorted_labels = label[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    return Components(ids[order], starts)
