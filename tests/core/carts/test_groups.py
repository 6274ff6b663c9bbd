"""Duplicate groups on the BigCommerce sandbox's own truth: a seeded catalog whose
generator knows which images are copies (same file) or re-encodings of which, and
analyze() of the very bytes its CDN serves. The thresholds of core.carts.groups must
find every copy and re-encoding and never merge pictures of different drawings
(different products, or other angles/colours of one product), although many of
those share a silhouette and a pHash within 2 bits."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from core.carts import groups as grouping
from core.catalog.analysis import analyze, hamming
from plugins.bigcommerce.sandbox import render
from plugins.bigcommerce.sandbox.catalog import Catalog, CatalogSpec

pytestmark = pytest.mark.embedded


def _honest(pics, i) -> bool:
    """Until the sandbox fix lands, a duplicate whose drawing differs from its original's
    (originals outside product 1) is not a duplicate of what it shows: left out."""
    p = pics[i]
    if p.duplicate_of is None:
        return True
    o = pics[p.duplicate_of]
    return (o.key, o.shape, o.colour, o.background, o.width, o.height) == (p.key, p.shape, p.colour, p.background,
                                                                           p.width, p.height)


@pytest.fixture(scope="module")
def seeded():
    cat = Catalog(CatalogSpec(seed=3, products=110, duplicate_share=0.2, max_image_size=300))
    pics = {i: cat.picture(i) for i in range(1, cat.total_images + 1)}
    pics = {i: p for i, p in pics.items() if _honest(pics, i)}
    facts = {i: analyze(render.encode(p)) for i, p in pics.items()}
    return pics, facts


def test_every_copy_and_reencoding_is_found_and_no_different_pictures_merge(seeded):
    pics, facts = seeded
    by_sha: dict[str, int] = {}
    pictures = []
    for i in sorted(pics):
        f = facts[i]
        root = by_sha.setdefault(f.sha256, i)
        pictures.append(grouping.Picture(i, root, f.phash, f.colour_grid, f.width, f.height))
    groups = grouping.group(pictures)
    truth = {i: p.duplicate_of or i for i, p in pics.items()}  # the drawing each image shows
    group_of = {i: n for n, g in enumerate(groups) for i in g.image_ids}
    kinds = Counter(p.duplicate_kind for p in pics.values() if p.duplicate_of)
    assert kinds["reencoded"] >= 10 and kinds["same_file"] >= 10, kinds
    for i, p in pics.items():  # found: every duplicate sits with its original
        if p.duplicate_of is not None:
            assert group_of[i] == group_of[p.duplicate_of], (i, p)
    for g in groups:  # no false merges: one drawing per group
        assert len({truth[i] for i in g.image_ids}) == 1, [pics[i] for i in g.image_ids]
    # The trap the colour grid closes: different drawings that pHash alone would merge.
    originals = [i for i, p in pics.items() if p.duplicate_of is None]
    lookalikes = sum(1 for n, a in enumerate(originals) for b in originals[n + 1:]
                     if hamming(facts[a].phash, facts[b].phash) <= grouping.PHASH_MAX)
    assert lookalikes >= 5, lookalikes
    print(f"{len(pics)} images, {dict(kinds)} duplicates, {len(groups)} groups, "
          f"{lookalikes} pairs of different drawings within {grouping.PHASH_MAX} pHash bits, none merged")


def test_grouping_100k_images_is_fast():
    import random

    rng = random.Random(1)
    pictures = []
    for i in range(1, 100_001):
        root = i - 1 if i % 10 == 0 else i  # every tenth image: the bytes of the one before
        phash = rng.getrandbits(64) - (1 << 63)
        pictures.append(grouping.Picture(i, root, phash, bytes(rng.randrange(256) for _ in range(48)).hex(), 800, 800))
    t = time.perf_counter()
    groups = grouping.group(pictures)
    elapsed = time.perf_counter() - t
    assert len(groups) == 90_000
    assert elapsed < 2.0, elapsed


def _reference(pictures):
    """The rules pair by pair (same bytes; or a shared pHash band and near()), joined transitively."""
    parent: dict[int, int] = {}

    def find(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    reps = []
    for p in pictures:
        if p.exact_root != p.image_id:
            union(p.exact_root, p.image_id)
        elif p.phash is not None and p.colour_grid and p.width > 0 and p.height > 0:
            reps.append(p)
    for n, a in enumerate(reps):
        for b in reps[n + 1:]:
            ha, hb = a.phash & grouping._M64, b.phash & grouping._M64
            if any((ha >> (16 * k)) & 0xFFFF == (hb >> (16 * k)) & 0xFFFF for k in range(grouping.BANDS)) and \
                    grouping.near(a, b, bytes.fromhex(a.colour_grid), bytes.fromhex(b.colour_grid)):
                union(a.image_id, b.image_id)
    by_root: dict[int, list[int]] = {}
    for p in pictures:
        by_root.setdefault(find(p.image_id), []).append(p.image_id)
    return sorted(sorted(ids) for ids in by_root.values())


def test_vectorised_grouping_applies_the_pairwise_rules():
    """group() (numpy) against the rules applied pair by pair, on small random carts full
    of near misses: pHash 0–3 bits apart, aspect and colour at the thresholds, missing facts."""
    import random

    rng = random.Random(5)
    for _ in range(300):
        ids = rng.sample(range(1, 400), rng.randrange(1, 50))
        bases = [rng.getrandbits(64) - (1 << 63) for _ in range(4)]
        pictures = []
        for i in ids:
            phash = bases[rng.randrange(4)]
            for _ in range(rng.randrange(4)):
                phash ^= 1 << rng.randrange(63)
            cells = rng.choice([48, 48, 48, 3])
            grid = bytes(rng.choice([10, 14, 17]) + rng.randrange(3) for _ in range(cells)).hex()
            root = rng.choice(ids) if rng.random() < 0.2 else i
            pictures.append(grouping.Picture(i, min(root, i), None if rng.random() < 0.05 else phash,
                                             None if rng.random() < 0.05 else grid,
                                             rng.choice([800, 800, 0, 815, 817]), rng.choice([800, 800, 799])))
        groups = grouping.group(pictures)
        assert [g.image_ids for g in groups] == _reference(pictures)
        assert [g.representative for g in groups] == sorted(g.representative for g in groups)
