"""What the compiled replay buys `micrograd-lite train`: the same full-batch steps, compiled and eager.

    python benchmarks/bench_classifier.py            # the default run's model and data, 40 steps each, 3 rounds
    python benchmarks/bench_classifier.py --quick    # seconds: the tests run this so the script cannot rot

Both runs start from the same weights and must agree on every step's loss (to
1e-12: they differ only in the constant subtracted inside log-sum-exp). The
ratio measured in one run is the result; absolute times on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import time

from micrograd_lite.training import TrainConfig, train


def timed(config: TrainConfig) -> tuple[float, list[float]]:
    started = time.perf_counter()
    run = train(config)
    return time.perf_counter() - started, run.train_loss


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run, to check that the script works")
    args = parser.parse_args(argv)
    config = TrainConfig(steps=3, record=1, n_train=30) if args.quick else TrainConfig(steps=40, record=1)
    rounds = 1 if args.quick else 3
    compiled_times, eager_times = [], []
    for _ in range(rounds):  # interleaved, so a change in the machine's load hits both
        seconds, compiled = timed(config)
        compiled_times.append(seconds)
        seconds, eager = timed(TrainConfig(**{**config.__dict__, "compiled": False}))
        eager_times.append(seconds)
        worst = max(abs(a - b) / abs(b) for a, b in zip(compiled, eager))
        if worst > 1e-12:
            raise SystemExit(f"the compiled and eager runs disagree: relative difference {worst:.3g}")
    best_compiled, best_eager = min(compiled_times), min(eager_times)
    per_step = 1000 / config.steps
    print(f"{config.data}, MLP 2-{'-'.join(map(str, config.hidden))}-3, {config.n_train} points, {config.steps} steps")
    print(f"compiled replay: {best_compiled * per_step:8.1f} ms per step (trace and compile included)")
    print(f"eager engine:    {best_eager * per_step:8.1f} ms per step")
    print(f"compiled is {best_eager / best_compiled:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
