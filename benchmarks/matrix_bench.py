"""Family ``matrix``: travel-time matrices.

a. Bundled areas (hengshui, zhuozhou): depot x point matrix for the medium truck, best of 5.
b. A province-scale synthetic road graph (default 1,000,000 nodes, ~2.5 M edges): our
   :func:`solver.traveltime.travel_seconds` from 200 random origins to every node.
c. networkx ``single_source_dijkstra_path_length`` on the same graph and edge seconds for a
   few of the same origins (it is slow), extrapolated to all origins, and checked against
   ours node by node.
d. Each solver runs in its own spawned process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

COLUMNS = [
    "case",
    "impl",
    "origins",
    "shape",
    "setup_s",
    "seconds",
    "per_origin_ms",
    "speedup",
    "peak_rss_mb",
    "note",
]

AREAS = ("hengshui", "zhuozhou")
VEHICLE = "medium"
#: Road classes of the synthetic graph: dry truck speed (km/h) and share of edges.
SPEEDS_KMH = np.array([25.0, 35.0, 45.0, 55.0, 75.0])
SPEED_P = np.array([0.6, 0.2, 0.1, 0.07, 0.03])
SPACING_M = 1000.0
JITTER_M = 250.0
DROP_SHARE = 0.02
#: Diagonal shortcuts per node (0.5 M on a 1000 x 1000 grid).
DIAGONALS_PER_NODE = 0.5
TARGET_SPEEDUP = 15.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nodes",
        type=int,
        default=1_000_000,
        help="synthetic graph size (rounded up to a full grid)",
    )
    parser.add_argument("--origins", type=int, default=200, help="origins for our solver")
    parser.add_argument(
        "--nx-origins", type=int, default=5, help="origins for networkx (extrapolated)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="runs per bundled area (best of)")
    parser.add_argument(
        "--chunk", type=int, default=None, help="travel_seconds chunk (default: its own)"
    )
    parser.add_argument("--skip-areas", action="store_true", help="only the synthetic graph")
    parser.add_argument("--skip-synthetic", action="store_true", help="only the bundled areas")


def log(msg: str) -> None:
    print(f"  {msg}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM) in MB.

    VmHWM belongs to the process's own address space, so unlike ``ru_maxrss`` it does not
    inherit the parent's size through fork/exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource_maxrss_mb()


def resource_maxrss_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / (1024.0 * 1024.0)


def medium_class() -> Any:
    from solver.fleet import DEFAULT_VEHICLE_CLASSES

    return next(c for c in DEFAULT_VEHICLE_CLASSES if c.id == VEHICLE)


# --------------------------------------------------------------------------- bundled areas


def bench_areas(repeat: int) -> list[dict[str, Any]]:
    from geodata.area import load_area
    from geodata.matrix import travel_time_matrix

    rows = []
    for name in AREAS:
        t0 = time.perf_counter()
        area = load_area(name)
        _ = area.depot_snap, area.point_snap
        load_s = time.perf_counter() - t0
        times = []
        shape: tuple[int, ...] = ()
        for _i in range(max(1, repeat)):
            t0 = time.perf_counter()
            m = travel_time_matrix(area, vehicle=VEHICLE)
            times.append(time.perf_counter() - t0)
            shape = m.seconds.shape
        best = min(times)
        g = area.roads.graph
        log(f"{name}: {shape} in {best:.4f} s (best of {len(times)})")
        rows.append(
            {
                "case": f"area {name}",
                "impl": "ours",
                "origins": shape[0],
                "shape": list(shape),
                "setup_s": load_s,
                "seconds": best,
                "per_origin_ms": 1000.0 * best / max(1, shape[0]),
                "peak_rss_mb": None,
                "note": f"best of {len(times)}; target well under 1 s: "
                f"{'met' if best < 0.5 else 'NOT met'}",
                "detail": f"{g.n_nodes:,} nodes / {g.n_edges:,} edges; depots x points, "
                f"vehicle {VEHICLE}; setup_s = load_area + snapping",
                "all_runs_s": times,
                "n_nodes": g.n_nodes,
                "n_edges": g.n_edges,
            }
        )
    return rows


# --------------------------------------------------------------------------- synthetic graph


def grid_shape(nodes: int) -> tuple[int, int]:
    rows = max(2, math.isqrt(nodes))
    cols = max(2, -(-nodes // rows))
    return rows, cols


def synthetic_graph(nodes: int, seed: int) -> dict[str, np.ndarray]:
    """A road-like graph: jittered ~1 km grid, 2 % of grid edges dropped, diagonal shortcuts.

    Returns the :class:`solver.roadgraph.RoadGraph` fields as arrays.
    """
    rng = np.random.default_rng(seed)
    nr, nc = grid_shape(nodes)
    n = nr * nc
    r, c = np.divmod(np.arange(n, dtype=np.int64), nc)
    x = c * SPACING_M + rng.uniform(-JITTER_M, JITTER_M, n)
    y = r * SPACING_M + rng.uniform(-JITTER_M, JITTER_M, n)

    idx = np.arange(n, dtype=np.int64).reshape(nr, nc)
    horiz_u, horiz_v = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    vert_u, vert_v = idx[:-1, :].ravel(), idx[1:, :].ravel()
    grid_u = np.concatenate([horiz_u, vert_u])
    grid_v = np.concatenate([horiz_v, vert_v])
    keep = rng.random(len(grid_u)) >= DROP_SHARE
    grid_u, grid_v = grid_u[keep], grid_v[keep]

    # Diagonals: distinct (cell, direction) pairs; both directions in one cell is an overpass.
    cells = (nr - 1) * (nc - 1)
    n_diag = min(round(DIAGONALS_PER_NODE * n), 2 * cells)
    pick = rng.choice(2 * cells, size=n_diag, replace=False)
    cell, backslash = np.divmod(pick, 2)
    cr, cc = np.divmod(cell, nc - 1)
    diag_u = np.where(backslash == 1, idx[cr, cc], idx[cr, cc + 1])
    diag_v = np.where(backslash == 1, idx[cr + 1, cc + 1], idx[cr + 1, cc])

    u = np.concatenate([grid_u, diag_u])
    v = np.concatenate([grid_v, diag_v])
    euclid = np.hypot(x[u] - x[v], y[u] - y[v])
    length = euclid * rng.uniform(1.05, 1.3, len(u))
    speed = rng.choice(SPEEDS_KMH, size=len(u), p=SPEED_P)
    return {
        "node_lon": x / 100_000.0 + 115.0,
        "node_lat": y / 100_000.0 + 37.0,
        "edge_u": u.astype(np.int32),
        "edge_v": v.astype(np.int32),
        "length_m": length,
        "speed_kmh": speed,
        "oneway": np.zeros(len(u), dtype=bool),
        "n_grid_edges": np.array(len(grid_u)),
        "n_diag_edges": np.array(len(diag_u)),
    }


def largest_component_share(arrays: dict[str, np.ndarray]) -> float:
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    n = len(arrays["node_lon"])
    u, v = arrays["edge_u"], arrays["edge_v"]
    a = coo_array((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n)).tocsr()
    _, labels = connected_components(a, directed=False)
    return float(np.bincount(labels).max() / n)


def load_graph(path: Path) -> Any:
    from solver.roadgraph import RoadGraph

    with np.load(path) as z:
        fields = {k: z[k] for k in RoadGraph.__slots__}
    return RoadGraph(**fields)


# --------------------------------------------------------------------------- workers


def _ours_worker(
    graph_path: str, origins_path: str, out_path: str, n_check: int, chunk: int | None, conn: Any
) -> None:
    from solver.traveltime import adjacency, edge_seconds, travel_seconds

    try:
        rss0 = rss_mb()
        t0 = time.perf_counter()
        graph = load_graph(Path(graph_path))
        origins = np.load(origins_path)
        load_s = time.perf_counter() - t0
        rss_loaded = rss_mb()
        vehicle = medium_class()
        targets = np.arange(graph.n_nodes)
        kwargs = {} if chunk is None else {"chunk": chunk}
        t0 = time.perf_counter()
        out = travel_seconds(graph, origins, targets, vehicle=vehicle, **kwargs)
        solve_s = time.perf_counter() - t0
        peak = peak_rss_mb()
        ru_maxrss = resource_maxrss_mb()
        np.save(out_path, out[:n_check])
        shape = out.shape
        unreachable = int(np.count_nonzero(out == np.iinfo(np.int32).max))
        out_mb = out.nbytes / 2**20
        del out
        # How much of the solve is building the CSR matrix (done once per call)?
        t0 = time.perf_counter()
        adjacency(graph, edge_seconds(graph, vehicle))
        csr_s = time.perf_counter() - t0
        conn.send(
            {
                "ok": True,
                "load_s": load_s,
                "solve_s": solve_s,
                "csr_s": csr_s,
                "shape": list(shape),
                "unreachable": unreachable,
                "out_mb": out_mb,
                "rss_start_mb": rss0,
                "rss_loaded_mb": rss_loaded,
                "peak_rss_mb": peak,
                "ru_maxrss_mb": ru_maxrss,
            }
        )
    except BaseException as exc:  # report, do not hang the parent
        conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        conn.close()


def networkx_graph(graph: Any, seconds: np.ndarray) -> Any:
    """Undirected nx.Graph with edge seconds as ``weight``; parallel edges at their minimum."""
    import networkx as nx

    ok = np.isfinite(seconds) & (graph.edge_u != graph.edge_v)
    if graph.oneway[ok].any():
        raise ValueError("the networkx peer here handles two-way graphs only")
    u = graph.edge_u[ok].astype(np.int64)
    v = graph.edge_v[ok].astype(np.int64)
    w = seconds[ok]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    key = lo * graph.n_nodes + hi
    order = np.lexsort((w, key))
    key, lo, hi, w = key[order], lo[order], hi[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(lo[first].tolist(), hi[first].tolist(), w[first].tolist(), strict=True)
    )
    return g


def _networkx_worker(graph_path: str, origins_path: str, out_path: str, conn: Any) -> None:
    import networkx as nx

    from solver.traveltime import edge_seconds

    try:
        rss0 = rss_mb()
        t0 = time.perf_counter()
        graph = load_graph(Path(graph_path))
        origins = np.load(origins_path)
        load_s = time.perf_counter() - t0
        rss_loaded = rss_mb()
        t0 = time.perf_counter()
        g = networkx_graph(graph, edge_seconds(graph, medium_class()))
        build_s = time.perf_counter() - t0
        rss_built = rss_mb()
        n = graph.n_nodes
        dist = np.full((len(origins), n), np.inf)
        per = []
        for i, o in enumerate(origins.tolist()):
            t0 = time.perf_counter()
            d = nx.single_source_dijkstra_path_length(g, o, weight="weight")
            per.append(time.perf_counter() - t0)
            dist[i, np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(
                d.values(), np.float64, len(d)
            )
            del d
            log(f"networkx origin {i + 1}/{len(origins)}: {per[-1]:.2f} s")
        peak = peak_rss_mb()
        ru_maxrss = resource_maxrss_mb()
        np.save(out_path, dist)
        conn.send(
            {
                "ok": True,
                "load_s": load_s,
                "build_s": build_s,
                "solve_s": float(sum(per)),
                "per_origin_s": per,
                "rss_start_mb": rss0,
                "rss_loaded_mb": rss_loaded,
                "rss_built_mb": rss_built,
                "peak_rss_mb": peak,
                "ru_maxrss_mb": ru_maxrss,
                "nx_nodes": g.number_of_nodes(),
                "nx_edges": g.number_of_edges(),
            }
        )
    except BaseException as exc:
        conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        raise
    finally:
        conn.close()


def run_in_process(target: Any, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(*args, child))
    t0 = time.perf_counter()
    proc.start()
    child.close()
    try:
        result: dict[str, Any] = parent.recv()
    except EOFError:
        result = {"ok": False, "error": "worker died without a result"}
    proc.join()
    result["wall_s"] = time.perf_counter() - t0
    result["exitcode"] = proc.exitcode
    if not result.get("ok"):
        raise RuntimeError(f"{target.__name__} failed: {result.get('error')}")
    return result


# --------------------------------------------------------------------------- synthetic bench


def bench_synthetic(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    arrays = synthetic_graph(args.nodes, args.seed)
    gen_s = time.perf_counter() - t0
    n, m = len(arrays["node_lon"]), len(arrays["edge_u"])
    t0 = time.perf_counter()
    lcc = largest_component_share(arrays)
    lcc_s = time.perf_counter() - t0
    log(f"generated {n:,} nodes, {m:,} edges in {gen_s:.1f} s; largest component {lcc:.4%}")

    rng = np.random.default_rng([args.seed, 1])
    n_orig = min(args.origins, n)
    origins = rng.choice(n, size=n_orig, replace=False)
    n_nx = min(args.nx_origins, n_orig)
    graph_path = workdir / "graph.npz"
    origins_path = workdir / "origins.npy"
    np.savez(graph_path, **arrays)
    np.save(origins_path, origins)
    np.save(workdir / "nx_origins.npy", origins[:n_nx])
    n_grid, n_diag = int(arrays["n_grid_edges"]), int(arrays["n_diag_edges"])
    del arrays

    log(f"ours: travel_seconds from {n_orig} origins to all {n:,} nodes (own process)")
    ours = run_in_process(
        _ours_worker,
        str(graph_path),
        str(origins_path),
        str(workdir / "ours_check.npy"),
        n_nx,
        args.chunk,
    )
    log(
        f"ours: {ours['solve_s']:.1f} s ({1000 * ours['solve_s'] / n_orig:.0f} ms/origin), "
        f"peak RSS {ours['peak_rss_mb']:.0f} MB"
    )

    nx_res: dict[str, Any] | None = None
    if n_nx > 0:
        log(f"networkx: single_source_dijkstra_path_length from {n_nx} origins (own process)")
        nx_res = run_in_process(
            _networkx_worker,
            str(graph_path),
            str(workdir / "nx_origins.npy"),
            str(workdir / "nx_dist.npy"),
        )

    case = f"synthetic {n / 1e6:.3g}M"
    ours_per = ours["solve_s"] / n_orig
    rows: list[dict[str, Any]] = [
        {
            "case": case,
            "impl": "generate",
            "seconds": gen_s,
            "note": f"{n:,} nodes, {m:,} edges, largest component {lcc:.2%}",
            "detail": f"{n:,} nodes, {m:,} edges ({n_grid:,} grid after dropping "
            f"{DROP_SHARE:.0%}, {n_diag:,} diagonal); largest component {lcc:.2%} of nodes; "
            f"seed {args.seed}",
            "n_nodes": n,
            "n_edges": m,
            "n_grid_edges": n_grid,
            "n_diag_edges": n_diag,
            "largest_component_share": lcc,
            "components_s": lcc_s,
            "seed": args.seed,
        },
        {
            "case": case,
            "impl": "ours",
            "origins": n_orig,
            "shape": ours["shape"],
            "setup_s": ours["load_s"],
            "seconds": ours["solve_s"],
            "per_origin_ms": 1000.0 * ours_per,
            "peak_rss_mb": ours["peak_rss_mb"],
            "note": "measured",
            "detail": f"travel_seconds to all nodes, int32 output {ours['out_mb']:.0f} MB; "
            f"includes its CSR build (~{ours['csr_s']:.1f} s); chunk {args.chunk or 'default'}; "
            f"setup_s = loading the graph",
            **{f"ours_{k}": v for k, v in ours.items() if k not in {"ok", "shape"}},
        },
    ]
    if nx_res is not None:
        nx_per = nx_res["solve_s"] / n_nx
        speedup = nx_per / ours_per
        ours_check = np.load(workdir / "ours_check.npy")
        nx_dist = np.load(workdir / "nx_dist.npy")
        unreach = np.iinfo(np.int32).max
        ours_inf = ours_check == unreach
        nx_inf = ~np.isfinite(nx_dist)
        same_reach = bool(np.array_equal(ours_inf, nx_inf))
        both = ~ours_inf & ~nx_inf
        diff = np.abs(ours_check[both].astype(np.int64) - np.rint(nx_dist[both]).astype(np.int64))
        max_diff = int(diff.max()) if diff.size else 0
        n_off = int(np.count_nonzero(diff))
        max_float = float(np.abs(ours_check[both] - nx_dist[both]).max()) if diff.size else 0.0
        ok = same_reach and max_diff <= 1
        rows.append(
            {
                "case": case,
                "impl": "networkx",
                "origins": n_nx,
                "shape": [n_nx, n],
                "setup_s": nx_res["load_s"] + nx_res["build_s"],
                "seconds": nx_per * n_orig,
                "per_origin_ms": 1000.0 * nx_per,
                "peak_rss_mb": nx_res["peak_rss_mb"],
                "note": f"EXTRAPOLATED from {n_nx} origins",
                "detail": f"seconds EXTRAPOLATED to {n_orig} origins from {n_nx} measured "
                f"({nx_res['solve_s']:.1f} s); setup_s = loading the graph + nx.Graph build "
                f"({nx_res['build_s']:.1f} s)",
                "extrapolated": True,
                "measured_origins": n_nx,
                "measured_seconds": nx_res["solve_s"],
                **{f"nx_{k}": v for k, v in nx_res.items() if k != "ok"},
            }
        )
        rows.append(
            {
                "case": case,
                "impl": "check",
                "origins": n_nx,
                "shape": [n_nx, n],
                "speedup": speedup,
                "note": f"max |diff| {max_diff} s; >= {TARGET_SPEEDUP:g}x: "
                f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}",
                "detail": f"speed-up {speedup:.1f}x per origin (target >= {TARGET_SPEEDUP:g}x: "
                f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'}); "
                f"networkx == ours on {n_nx} x {n:,} pairs: max |diff| {max_diff} s "
                f"({n_off:,} pairs differ by rounding), same unreachable set: "
                f"{'yes' if same_reach else 'NO'} -> {'OK' if ok else 'MISMATCH'}",
                "speedup_target": TARGET_SPEEDUP,
                "max_abs_diff_s": max_diff,
                "max_abs_diff_float_s": max_float,
                "pairs_off_by_rounding": n_off,
                "same_unreachable": same_reach,
                "verified": ok,
            }
        )
    return rows


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if not args.skip_areas:
        rows += bench_areas(args.repeat)
    if not args.skip_synthetic:
        if args.dir is not None:
            args.dir.mkdir(parents=True, exist_ok=True)
            rows += bench_synthetic(args, args.dir)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="matrix_bench_"))
            try:
                rows += bench_synthetic(args, tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return rows
