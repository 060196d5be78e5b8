#!/usr/bin/python3
"""bench/sklearn_kmeans.py: the scikit-learn reference of bench/train.

Reads (user, movie, rating) rows as PostgreSQL COPY BINARY from stdin (three columns: bigint,
bigint, real, no NULLs), builds the user x movie CSR matrix, and fits

    KMeans(n_clusters=K, n_init=1, algorithm="lloyd", max_iter=I, tol=0, random_state=SEED)

(k-means++ initialisation, then at most I Lloyd iterations) on the vectors named by --vectors:
  raw       the ratings as they are (the reference the issue quotes),
  liked     1 per movie rated at least the user's mean rating, scaled to unit length: the vectors
            movie_recs clusters by default, so the inertia is comparable with
            train_movie_clusters()'s,
  presence  1 per rated movie, scaled to unit length (movie_recs' vectors before 0.2.0).
Prints one line per fit: "sklearn <vectors> fit_seconds=... iterations=... inertia=...", and a
line with the time spent reading and building the matrix (not part of the fit time).
Uses Debian's python3-sklearn (run with /usr/bin/python3).
"""
import argparse
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans


def read_copy_binary(stream):
    data = stream.read()
    signature = b"PGCOPY\n\xff\r\n\x00"
    if not data.startswith(signature):
        sys.exit("sklearn_kmeans.py: input is not COPY BINARY")
    ext = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + ext:]
    row = np.dtype([("n", ">i2"), ("l1", ">i4"), ("user", ">i8"), ("l2", ">i4"),
                    ("movie", ">i8"), ("l3", ">i4"), ("rating", ">f4")])
    rows = (len(body) - 2) // row.itemsize
    if rows * row.itemsize + 2 != len(body):
        sys.exit("sklearn_kmeans.py: unexpected COPY layout (NULLs or other column types?)")
    table = np.frombuffer(body[:rows * row.itemsize], dtype=row)
    if rows and not (np.all(table["n"] == 3) and np.all(table["l1"] == 8)
                     and np.all(table["l2"] == 8) and np.all(table["l3"] == 4)):
        sys.exit("sklearn_kmeans.py: rows must be (bigint, bigint, real) without NULLs")
    return (table["user"].astype(np.int64), table["movie"].astype(np.int64),
            table["rating"].astype(np.float32))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--max-iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--vectors", default="liked,raw")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()

    start = time.perf_counter()
    users, movies, ratings = read_copy_binary(sys.stdin.buffer)
    user_ids, rows = np.unique(users, return_inverse=True)
    movie_ids, cols = np.unique(movies, return_inverse=True)
    shape = (len(user_ids), len(movie_ids))
    raw = sp.csr_matrix((ratings.astype(args.dtype), (rows, cols)), shape=shape)
    duplicates = len(ratings) - raw.nnz
    raw.sum_duplicates()
    build = time.perf_counter() - start
    print(f"sklearn matrix: {shape[0]} users x {shape[1]} movies, {raw.nnz} ratings "
          f"({duplicates} duplicates summed), {args.dtype}; read+build {build:.3f} s",
          flush=True)

    for kind in args.vectors.split(","):
        if kind == "raw":
            x = raw
        elif kind == "presence":
            x = raw.copy()
            counts = np.diff(x.indptr)
            x.data = np.repeat((1.0 / np.sqrt(np.maximum(counts, 1))).astype(args.dtype), counts)
        elif kind == "liked":
            x = raw.copy()
            counts = np.diff(x.indptr)
            sums = np.add.reduceat(x.data.astype(np.float64), x.indptr[:-1]) if x.nnz else counts
            means = np.repeat(sums / np.maximum(counts, 1), counts)
            liked = (x.data.astype(np.float64) >= means).astype(np.float64)
            norms = np.sqrt(np.add.reduceat(liked, x.indptr[:-1])) if x.nnz else counts
            x.data = (liked / np.repeat(np.maximum(norms, 1e-300), counts)).astype(args.dtype)
            x.eliminate_zeros()
        else:
            sys.exit(f"sklearn_kmeans.py: unknown vectors {kind}")
        model = KMeans(n_clusters=args.k, n_init=1, algorithm="lloyd",
                       max_iter=args.max_iterations, tol=0, random_state=args.seed)
        start = time.perf_counter()
        model.fit(x)
        fit = time.perf_counter() - start
        print(f"sklearn {kind} fit_seconds={fit:.3f} iterations={model.n_iter_} "
              f"inertia={model.inertia_:.6f}", flush=True)


if __name__ == "__main__":
    main()
