"""Time gatescope's full-trace forward pass against its floor and PyTorch's plain nn.LSTM / nn.GRU, on one thread.

Usage: python benchmarks/engine.py [--quick] [--repeats N]
       python benchmarks/engine.py --large [--repeats N]


Batch 1, float32, input_size = units. The engine records every gate, pre-activation, cell and hidden state;
PyTorch returns only the outputs. The floor is what no NumPy engine can avoid: the T recurrent matrix-vector products
alone, ``h @ W_hh.T`` with W_hh.T laid out C-contiguous and 64-byte aligned (the engine's own layout), one per step,
same dtype, same thread; the project's goal is engine / floor <= 1.2. Times are the median of several repeats after a
warm-up, in ms per run. Without PyTorch the script prints the engine's and the floor's numbers only.

``--large`` times issue 15's scale case instead (benchmarks/imported_model.py's stack: 2 layers of bidirectional
LSTM, 512 units per direction, 64 input features, 5,000 steps, float32): ``run_stack`` against the floor of its four
directions, alternating, each run after the floor as in benchmarks/gui_large.py; goal engine / floor <= 1.3.
"""

from __future__ import annotations

import os

# One thread for every BLAS, set before NumPy (or PyTorch) loads one.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

try:
    from gatescope.engine import layer_from_state_dict, run_stack
except ImportError:  # not installed in this environment: use the checkout this script belongs to
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from gatescope.engine import layer_from_state_dict, run_stack

try:
    import torch
except ImportError:  # the engine alone
    torch = None

GATES = {"lstm": 4, "gru": 3}
UNITS = (128, 512, 1024)
STEPS = (50, 500)
#: Variables this machine may set for old-OpenBLAS safety; they can change which kernels OpenBLAS picks.
OPENBLAS_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what the platform module knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def openblas_core() -> str | None:
    """The CPU kernel set OpenBLAS picked at run time (it follows OPENBLAS_CORETYPE when that is set), if findable."""
    import ctypes

    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for library in sorted(libs.glob("*openblas*")):
        for symbol in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            try:
                corename = getattr(ctypes.CDLL(str(library)), symbol)
            except (OSError, AttributeError):
                continue
            corename.restype = ctypes.c_char_p
            return corename().decode()
    return None


def numpy_blas() -> str:
    """Which BLAS NumPy calls: threadpoolctl's view when installed, else NumPy's build configuration."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
        if pools:
            return "; ".join(
                f"{pool.get('internal_api')} {pool.get('version')} (core {pool.get('architecture')}, "
                f"{pool.get('num_threads')} threads)"
                for pool in pools
            )
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # NumPy < 1.25 has no dict mode
        return "unknown (install threadpoolctl to see it)"
    core = openblas_core()
    return f"{blas.get('name')} {blas.get('version')} [numpy.show_config]" + (f", run-time core {core}" if core else "")


def random_weights(kind: str, units: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """PyTorch-layout float32 weights for one layer, drawn like PyTorch's default init U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / np.sqrt(units)
    rows = GATES[kind] * units
    shapes = {
        "weight_ih_l0": (rows, units),
        "weight_hh_l0": (rows, units),
        "bias_ih_l0": (rows,),
        "bias_hh_l0": (rows,),
    }
    return {name: rng.uniform(-bound, bound, shape).astype(np.float32) for name, shape in shapes.items()}


def torch_module(kind: str, units: int, weights: dict[str, np.ndarray]):
    """nn.LSTM / nn.GRU holding the same weights."""
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(units, units)
    with torch.no_grad():
        for name, array in weights.items():
            getattr(module, name).copy_(torch.from_numpy(array))
    return module.eval()


def median_ms(
    runs: dict[str, Callable[[], object]], warmup: int, repeats: int, budget_s: float = 0.0
) -> dict[str, float]:
    """Median wall time of each run in milliseconds, after ``warmup`` untimed calls.

    The runs take turns within each repeat, so a machine that speeds up or slows down affects them alike. Quick runs
    are repeated more often, up to ten times ``repeats``, while a round takes less than ``budget_s`` in all.
    """
    start = time.perf_counter()
    for run in runs.values():
        for _ in range(warmup):
            run()
    round_s = (time.perf_counter() - start) / max(warmup, 1)
    repeats = max(repeats, min(10 * repeats, int(budget_s / round_s)))
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: 1000.0 * statistics.median(values) for name, values in times.items()}


def aligned_copy(array: np.ndarray, alignment: int = 64) -> np.ndarray:
    """A C-contiguous copy starting on an ``alignment``-byte boundary (NumPy guarantees only 16)."""
    buffer = np.empty(array.nbytes + alignment, np.uint8)
    start = -buffer.ctypes.data % alignment
    copy = buffer[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    copy[...] = array
    return copy


def recurrent_floor(weight_hh: np.ndarray, steps: int) -> Callable[[], object]:
    """The floor: ``steps`` recurrent matrix-vector products h @ W_hh.T, one NumPy call each, nothing else.

    W_hh.T is laid out C-contiguous and 64-byte aligned (OpenBLAS's matrix-vector kernel is about a quarter slower
    on a matrix aligned to only 16 bytes, which NumPy's allocations are half the time): the best NumPy can do.
    """
    recurrent = aligned_copy(weight_hh.T)  # (H, G*H)
    hidden = np.full(recurrent.shape[0], 0.1, recurrent.dtype)
    product = aligned_copy(np.empty(recurrent.shape[1], recurrent.dtype))

    def run() -> np.ndarray:
        for _ in range(steps):
            np.dot(hidden, recurrent, out=product)
        return product

    return run


def benchmark(kind: str, units: int, steps: int, warmup: int, repeats: int) -> dict[str, float]:
    """Median ms of the engine ("gatescope"), the floor and, when installed, torch for one configuration."""
    rng = np.random.default_rng(units + steps)
    weights = random_weights(kind, units, rng)
    layer = layer_from_state_dict(weights, 0, kind, bidirectional=False, dtype=np.float32)
    x = rng.standard_normal((steps, units)).astype(np.float32)
    runs: dict[str, Callable[[], object]] = {
        "gatescope": lambda: run_stack([layer], x),
        "floor": recurrent_floor(weights["weight_hh_l0"], steps),
    }
    if torch is not None:
        module = torch_module(kind, units, weights)
        x_torch = torch.from_numpy(x)  # unbatched (T, in)

        def torch_run():
            with torch.no_grad():
                return module(x_torch)

        runs["torch"] = torch_run
    return median_ms(runs, warmup, repeats, budget_s=0.5 if repeats > 3 else 0.1)


def large_stack(repeats: int) -> None:
    """Issue 15's scale case: each repeat the floor of the stack's four directions, then the engine's run; prints
    both and the median of each."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from imported_model import EMBEDDING, LAYERS, UNITS, state_dict

    steps = 5000
    weights = state_dict()
    layers = [layer_from_state_dict(weights, k, "lstm", bidirectional=True) for k in range(LAYERS)]
    x = np.random.default_rng(1).normal(0, 1, (steps, EMBEDDING)).astype(np.float32)
    floor = recurrent_floor(weights["weight_hh_l0"], steps)  # every layer's W_hh has this shape
    print(f"{LAYERS} x bidirectional LSTM, {UNITS} units per direction, {EMBEDDING} inputs, T = {steps}, float32")
    engine_s, floor_s = [], []
    run_stack(layers, x)  # warm-up
    for repeat in range(repeats):
        started = time.perf_counter()
        for _ in range(2 * LAYERS):
            floor()
        floor_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        traces = run_stack(layers, x)
        engine_s.append(time.perf_counter() - started)
        del traces
        print(f"run {repeat + 1}: engine {engine_s[-1]:.3f} s, floor {floor_s[-1]:.3f} s", flush=True)
    engine, floor_median = statistics.median(engine_s), statistics.median(floor_s)
    print(f"median: engine {engine:.3f} s, floor {floor_median:.3f} s, engine / floor {engine / floor_median:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run: T = 50 only, fewer repeats")
    parser.add_argument("--large", action="store_true", help="issue 15's 2-layer bidirectional 512-unit LSTM instead")
    parser.add_argument("--repeats", type=int, help="timed repeats per configuration (default 7, quick 3, large 5)")
    args = parser.parse_args()
    if args.large:
        print(f"CPU:     {cpu_model()}; BLAS: {numpy_blas()}; NumPy {np.__version__}; one thread")
        large_stack(args.repeats or 5)
        return
    repeats = args.repeats or (3 if args.quick else 7)
    warmup = 1 if args.quick else 2
    steps_list = STEPS[:1] if args.quick else STEPS
    if torch is not None:
        torch.set_num_threads(1)

    print(f"CPU:     {cpu_model()} ({os.cpu_count()} logical CPUs; benchmark uses 1 thread)")
    if torch is None:
        torch_version = "not installed (engine only)"
    else:
        torch_version = f"{torch.__version__} (oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'})"
    print(f"Python:  {platform.python_version()}  NumPy {np.__version__}  PyTorch {torch_version}")
    print(f"BLAS:    {numpy_blas()}")
    print("Env:     " + "  ".join(f"{name}={os.environ.get(name, '<unset>')}" for name in OPENBLAS_VARIABLES))
    print(
        f"Timing:  median of >= {repeats} runs after {warmup} warm-up"
        + ", engine, floor"
        + (" and torch" if torch else "")
        + " alternating"
        + "; batch 1, float32, input_size = units"
    )
    print()
    header = f"{'cell':<5} {'units':>5} {'T':>4} {'gatescope ms':>13} {'floor ms':>9} {'/floor':>7}"
    if torch is not None:
        header += f" {'torch ms':>9} {'/torch':>7}"
    header += f" {'µs/step':>8}"  # gatescope's
    print(header)
    print("-" * len(header))
    for kind in GATES:
        for units in UNITS:
            for steps in steps_list:
                times = benchmark(kind, units, steps, warmup, repeats)
                engine_ms, floor_ms = times["gatescope"], times["floor"]
                row = (
                    f"{kind:<5} {units:>5} {steps:>4} {engine_ms:>13.2f} {floor_ms:>9.2f} {engine_ms / floor_ms:>7.2f}"
                )
                if "torch" in times:
                    row += f" {times['torch']:>9.2f} {engine_ms / times['torch']:>7.2f}"
                row += f" {1000.0 * engine_ms / steps:>8.1f}"
                print(row, flush=True)
    print(
        "\n/floor = gatescope / floor (goal <= 1.2), floor = the T recurrent products h @ W_hh.T alone;"
        + (" /torch = gatescope / torch;" if torch is not None else "")
        + "\nµs/step = gatescope ms / T. gatescope records every gate, pre-activation, c and h"
        + ("; torch returns the outputs only." if torch is not None else ".")
    )


if __name__ == "__main__":
    main()
