"""Grouping voice embeddings by speaker: how many speakers, and who is who.

Two kinds of "different voice" need two tests, because no single distance threshold serves both:

1. Distinct voices (a lecturer and a student on clean microphones, cosine similarity of their
   mean voices around 0.6): average-linkage clustering stopped at `DISTINCT` similarity. It keeps a
   speaker heard for a few seconds among an hour of someone else, where methods that balance
   cluster sizes (k-means, spectral) would rather split the main voice in two.
2. Close voices (people in one meeting room or on one telephone line, 0.8-0.9): each group from
   step 1 is split in two by spherical k-means while the two halves' mean voices are further apart
   than `SAME_VOICE` and both hold a fair share; the halves are split again in turn. One voice's
   best split leaves two halves that still sound alike (0.95 and above), so it stays one.

With the count given, the same proposals are made and the most distinct groups kept or split
until there are exactly that many. Deterministic: every k-means is seeded.
"""

from __future__ import annotations

import numpy as np

MAX_CLUSTERED = 2000
"""At most this many embeddings take part in clustering (evenly spaced ones); the others join the
closest speaker, which keeps the cost bounded on hours of speech."""

DISTINCT = 0.6
SAME_VOICE = 0.93
MIN_SHARE = 0.1
MIN_SPLIT_S = 12.0
"""A group is split only when it holds this many seconds of speech: fewer embeddings of one voice
split by chance into halves that look like two."""
MIN_GROUP = 3


def unit(embeddings: np.ndarray) -> np.ndarray:
    return embeddings / np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)


def centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unit mean embedding of each label 0..max(labels)."""
    return unit(np.stack([embeddings[labels == k].mean(axis=0) for k in range(labels.max() + 1)]))


def assign_to_centroids(embeddings: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.argmax(unit(embeddings) @ centres.T, axis=1)


def cluster_speakers(
    embeddings: np.ndarray,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int = 8,
    seconds_each: float = 0.75,
) -> np.ndarray:
    """A speaker index (0..k-1) per embedding; k = `num_speakers` when given, else estimated
    within [min_speakers, max_speakers] (as far as there are embeddings). `seconds_each` is the
    speech each embedding adds (the windows' hop): splits are judged by seconds, not counts."""
    n = len(embeddings)
    x = unit(embeddings.astype(np.float64))
    if n > MAX_CLUSTERED:
        chosen = np.linspace(0, n - 1, MAX_CLUSTERED).round().astype(int)
        labels = cluster_speakers(
            x[chosen], num_speakers, min_speakers, max_speakers, seconds_each * n / MAX_CLUSTERED
        )
        return assign_to_centroids(x, centroids(x[chosen], labels))
    low, high = (num_speakers, num_speakers) if num_speakers else (min_speakers, max_speakers)
    high = min(high, n)
    low = min(low, high)
    if high <= 1:
        return np.zeros(n, int)
    labels = _distinct_voices(x, high)
    # how alike the voices are that each group was told apart from (see _best_split)
    apart = [SAME_VOICE]
    if labels.max() > 0:
        likeness = centroids(x, labels) @ centroids(x, labels).T
        np.fill_diagonal(likeness, -1)
        apart = likeness.max(axis=1).tolist()
    min_members = max(2, int(np.ceil(MIN_SPLIT_S / seconds_each)))
    while labels.max() + 1 < high:
        forced = labels.max() + 1 < low
        split = _best_split(x, labels, apart, 2 if forced else min_members, forced)
        if split is None:
            break
        labels, group, similarity = split
        apart[group] = similarity
        apart.append(similarity)
    return refine(x, labels)


def _distinct_voices(x: np.ndarray, high: int) -> np.ndarray:
    """Average-linkage groups of at least `MIN_GROUP` embeddings whose mean voices are less alike
    than `DISTINCT`, at most `high`; smaller groups (a cough, a laugh) join the closest."""
    from sklearn.cluster import AgglomerativeClustering

    if len(x) < 2:
        return np.zeros(len(x), int)
    labels = AgglomerativeClustering(
        n_clusters=None, distance_threshold=1 - DISTINCT, metric="cosine", linkage="average"
    ).fit_predict(x)
    sizes = np.bincount(labels)
    kept = np.flatnonzero(sizes >= MIN_GROUP)
    if len(kept) == 0:
        return np.zeros(len(x), int)
    labels = assign_to_centroids(x, unit(np.stack([x[labels == k].mean(axis=0) for k in kept])))
    if labels.max() + 1 > high:
        labels = AgglomerativeClustering(
            n_clusters=high, metric="cosine", linkage="average"
        ).fit_predict(x)
    return labels


def _best_split(
    x: np.ndarray, labels: np.ndarray, apart: list[float], min_members: int, forced: bool
) -> tuple[np.ndarray, int, float] | None:
    """`labels` with one group split in two by spherical k-means, the group and how alike the
    halves sound: the split whose halves sound least alike among those that sound different
    enough (any split when `forced`); None when there is none.

    Different enough: each half holds `MIN_SHARE` of the group, and the halves are less alike
    than `SAME_VOICE` and than the voices of the split that made the group (a voice found inside
    a voice must differ more than the voices already told apart: one voice split again and again
    gives halves that sound more and more alike)."""
    best: tuple[np.ndarray, int, float] | None = None
    for group in range(labels.max() + 1):
        members = np.flatnonzero(labels == group)
        if len(members) < max(2, min_members):
            continue
        halves = spherical_kmeans(x[members], 2)
        shares = np.bincount(halves, minlength=2) / len(members)
        if shares.min() == 0 or (not forced and shares.min() < MIN_SHARE):
            continue
        a, b = centroids(x[members], halves)
        similarity = float(a @ b)
        if (forced or similarity < min(SAME_VOICE, apart[group])) and (
            best is None or similarity < best[2]
        ):
            split = labels.copy()
            split[members[halves == 1]] = labels.max() + 1
            best = (split, group, similarity)
    return best


def spherical_kmeans(x: np.ndarray, count: int) -> np.ndarray:
    """k-means (k-means++ starts, seeded) on unit vectors, then refined by cosine similarity."""
    from sklearn.cluster import KMeans

    return refine(x, KMeans(n_clusters=count, n_init=10, random_state=0).fit_predict(x))


def refine(x: np.ndarray, labels: np.ndarray, rounds: int = 20) -> np.ndarray:
    """Move each embedding to the speaker whose mean voice is closest, until nothing moves; a
    move that would empty a speaker is not made."""
    for _ in range(rounds):
        moved = assign_to_centroids(x, centroids(x, labels))
        if (moved == labels).all() or len(set(moved.tolist())) < labels.max() + 1:
            break
        labels = moved
    return labels
