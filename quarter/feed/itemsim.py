"""The item-item model: which shops the same residents use (numpy/scipy).

Trained in batch (`manage.py feed_train`, nightly, and after the demo loads)
from the per-resident counters; the page only reads the stored neighbours.
Similarity is cosine over log-scaled visit counts with a shrinkage term
(sim = co / (‖a‖‖b‖ + SHRINK)), so pairs seen by few residents count little;
a pair needs MIN_CO distinct residents who used both, or it is dropped, so a
"常去X的居民也常来" reason always stands for several people. README.md says
why this and not a matrix factorisation library.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

TOP_K = 20
SHRINK = 2.0
MIN_CO = 3


def train(
    rows: list[tuple[int, int, float]], *, top_k: int = TOP_K, min_co: int = MIN_CO
) -> dict[int, list[tuple[int, float]]]:
    """Neighbours per item from (user, item, visits) rows: {item: [(other, sim)]}."""
    if not rows:
        return {}
    users = {u: i for i, u in enumerate(sorted({r[0] for r in rows}))}
    items = sorted({r[1] for r in rows})
    index = {m: i for i, m in enumerate(items)}
    u = np.fromiter((users[r[0]] for r in rows), dtype=np.int64, count=len(rows))
    v = np.fromiter((index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
    w = np.log1p(np.fromiter((max(r[2], 0) for r in rows), float, count=len(rows)))
    shape = (len(users), len(items))
    x = sparse.csr_matrix((w, (u, v)), shape=shape)
    seen = sparse.csr_matrix((np.ones_like(w), (u, v)), shape=shape)
    co = (x.T @ x).tocsr()
    together = (seen.T @ seen).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0)).ravel())
    out: dict[int, list[tuple[int, float]]] = {}
    for i in range(len(items)):
        start, end = co.indptr[i], co.indptr[i + 1]
        cols, vals = co.indices[start:end], co.data[start:end]
        counts = np.asarray(together[i, cols].todense()).ravel()
        keep = (cols != i) & (counts >= min_co)
        cols, vals = cols[keep], vals[keep]
        if not len(cols):
            continue
        sims = vals / (norms[i] * norms[cols] + SHRINK)
        order = np.argsort(-sims)[:top_k]
        out[items[i]] = [(items[cols[j]], float(sims[j])) for j in order]
    return out
