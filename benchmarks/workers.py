"""Throughput of the keyframe and motion workers through a warm pool (Ray actors) against a bare loop.

Both sides run the same stage code over the same pipeline on the same machine in one run: the bare
side builds the stage once in this process and loops ``store.produce`` over N shots; the pool side
starts one warm actor (the executor's ``workers.pool`` class, wrapped by ``ray.remote``), waits for
its model to load, then submits all N tasks at once (object refs pipelined, so the actor is never
idle) and waits for them. Model loading is excluded on both sides: the figure is steady-state
throughput, which is what a long-lived pool is for.

Fairness: one actor with ``threads`` torch threads against a bare loop with the same ``threads``,
so both use the same cores (two actors on two cores against a one-thread loop would not be apples to
apples), and Ray workers at the bare loop's niceness (Ray's default, 15, would let every other
process on a shared machine outrun the actor). The ratio is pool throughput / bare throughput per
stage; the last line is the lower one.

    .venv/bin/python benchmarks/workers.py                     # tiny models on CPU (default)
    .venv/bin/python benchmarks/workers.py --tasks 32 --threads 2
    .venv/bin/python benchmarks/workers.py --model stabilityai/sd-turbo --video-model Lightricks/LTX-Video \\
        --device cuda --dtype float16 --width 576 --height 1024           # a real model on a GPU
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
# Ray starts its workers at niceness 15 (so the raylet stays responsive); the bare loop runs at 0. On a
# busy shared machine that alone makes the actor lose CPU to everyone else, so level the field.
os.environ.setdefault("RAY_worker_niceness", "0")


def shot(n: int, duration: float) -> dict[str, Any]:
    return {
        "id": f"ep01-s01-sh{n:03d}",
        "scene": "ep01-s01",
        "size": "medium",
        "camera": "push-in",
        "duration": duration,
        "characters": [],
        "prompt": f"a lantern-lit city wall at dusk, take {n}",
        "action": "",
        "lines": [],
        "reason": "",
    }


def tasks_for(stage: str, count: int, job: dict, keyframe: Any, duration: float) -> list[tuple[str, dict, dict]]:
    out = []
    for n in range(count):
        s = shot(n + 1, duration)
        if stage == "keyframe":
            out.append(
                (f"bench-kf-{n}", {"job": job, "episode": {"id": "ep01"}, "scene": {}, "shot": s, "characters": []}, {})
            )
        else:
            out.append((f"bench-mo-{n}", {"job": job, "shot": s}, {"keyframe": keyframe}))
    return out


def bare(stage: str, options: dict, tasks: list, store: Path) -> float:
    """Seconds for a plain in-process loop over the tasks (model loaded before the clock starts)."""
    from stages.registry import stage_class
    from stages.store import produce

    instance = stage_class(stage, "diffusers")(options)
    instance.setup()
    produce(instance, *tasks[0][:2], tasks[0][2], store / "warm")  # first-call costs, as for the actor
    started = time.perf_counter()
    for key, params, inputs in tasks:
        produce(instance, key, params, inputs, store)
    return time.perf_counter() - started


def pooled(
    ray: Any, stage: str, options: dict, tasks: list, store: Path, gpus: float, batch: int = 1
) -> tuple[float, dict]:
    """Seconds for the same tasks through one warm pool actor, all submitted at once.

    With ``batch`` > 1 the tasks go in groups through ``execute_batch`` (one pipeline call per group).
    """
    from workers.pool import worker_class_for

    actor = ray.remote(num_cpus=1, num_gpus=gpus)(worker_class_for(stage, "diffusers")).remote(
        stage, "diffusers", options
    )
    ray.get(actor.ready.remote())
    ray.get(actor.execute.remote(*tasks[0][:2], tasks[0][2], str(store / "warm")))  # first-call costs
    before = ray.get(actor.stats.remote())
    started = time.perf_counter()
    if batch > 1:
        refs = [actor.execute_batch.remote(tasks[i : i + batch], str(store)) for i in range(0, len(tasks), batch)]
    else:
        refs = [actor.execute.remote(key, params, inputs, str(store)) for key, params, inputs in tasks]
    ray.get(refs)
    seconds = time.perf_counter() - started
    stats = ray.get(actor.stats.remote())
    stats["served"] -= before["served"]
    stats["busy_seconds"] -= before["busy_seconds"]
    ray.kill(actor)
    return seconds, stats


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Step 1: the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=48, help="shots per stage and side")
    parser.add_argument("--threads", type=int, default=1, help="torch threads, bare loop and actor alike")
    parser.add_argument("--model", default="tiny:sd", help="text-to-image model id or path")
    parser.add_argument("--video-model", default="tiny:ltx", help="image-to-video model id or path")
    parser.add_argument("--pipeline", default=None, help="wan-i2v, ltx-i2v or cogvideox-i2v (default: guessed)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--height", type=int, default=160)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument(
        "--max-side",
        type=int,
        default=128,
        help="generation size for tiny models (real models generate at --width/--height)",
    )
    parser.add_argument("--video-steps", type=int, default=2)
    parser.add_argument("--frames", type=int, default=9)
    parser.add_argument("--duration", type=float, default=1.0, help="shot length, seconds")
    parser.add_argument(
        "--batch", type=int, default=0, help="also time the pool with execute_batch groups of this size (extra lines)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="alternate bare and pool this many times; keep each side's best (shared machines)",
    )
    return parser.parse_args(argv)


def stage_options(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Step 2: the keyframe (text-to-image) and motion (image-to-video) stages' options."""
    tiny = args.model.startswith("tiny:")
    common = {"device": args.device, "dtype": args.dtype, "threads": args.threads}
    image_options = {
        **common,
        "model": args.model,
        "steps": args.steps,
        "guidance": 0.0,
        "max_side": args.max_side if tiny else max(args.width, args.height),
        "multiple": 8,
    }
    video_options = {
        **common,
        "model": args.video_model,
        "steps": args.video_steps,
        "frames": args.frames,
        "max_side": (args.max_side if args.video_model.startswith("tiny:") else max(args.width, args.height)),
        "guidance": 1.0,
        "preset": "ultrafast",
    }
    if args.pipeline:
        video_options["pipeline"] = args.pipeline
    return image_options, video_options


def bench_job(args: argparse.Namespace) -> dict[str, Any]:
    """Step 3: the job context every task carries."""
    return {
        "title": "bench",
        "width": args.width,
        "height": args.height,
        "fps": 12,
        "aspect": "9:16",
        "style": "",
        "language": "en",
        "seed": 0,
    }


def start_ray(ray: Any, torch: Any, args: argparse.Namespace, gpus: float) -> None:
    """Step 4: a local Ray with room for one actor beside the driver; print the machine and the run."""
    ray.init(
        num_cpus=max(2, args.threads + 1),
        num_gpus=int(gpus),
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    print(
        f"machine: {os.cpu_count()} cores, torch {torch.__version__}, "
        f"cuda: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}"
    )
    print(f"tasks per side: {args.tasks}, torch threads: {args.threads}, size {args.width}x{args.height}")


def seed_keyframe(image_options: dict[str, Any], job: dict[str, Any], root: Path) -> Any:
    """Step 5: one keyframe made up front, the input of every motion task."""
    from stages.registry import stage_class
    from stages.store import produce

    seed_stage = stage_class("keyframe", "diffusers")(image_options)
    seed_stage.setup()
    return produce(seed_stage, "bench-keyframe", tasks_for("keyframe", 1, job, None, 1)[0][1], {}, root / "seed")


def compare(
    ray: Any, args: argparse.Namespace, stage: str, options: dict, tasks: list, root: Path, gpus: float
) -> float:
    """Step 6: bare loop and pool alternately, ``repeats`` times, best of each; print and return the ratio."""
    bare_runs, pool_runs = [], []
    for r in range(max(1, args.repeats)):
        bare_runs.append(bare(stage, options, tasks, root / f"bare-{stage}-{r}"))
        pool_runs.append(pooled(ray, stage, options, tasks, root / f"pool-{stage}-{r}", gpus))
    bare_s = min(bare_runs)
    pool_s, stats = min(pool_runs, key=lambda run: run[0])
    bare_tp, pool_tp = args.tasks / bare_s, args.tasks / pool_s
    ratio = pool_tp / bare_tp
    print(
        f"{stage:9s} bare loop: {bare_tp:7.2f} shots/s ({bare_s:6.2f} s) | "
        f"pool actor: {pool_tp:7.2f} shots/s ({pool_s:6.2f} s, loads={stats['loads']}, "
        f"served={stats['served']}, busy {stats['busy_seconds']:.2f} s) | ratio {ratio:.2f}"
    )
    if args.batch > 1:
        batch_s, _ = pooled(ray, stage, options, tasks, root / f"batch-{stage}", gpus, args.batch)
        print(
            f"{stage:9s} pool actor, batches of {args.batch}: {args.tasks / batch_s:7.2f} shots/s "
            f"({batch_s:6.2f} s) | vs bare {bare_s / batch_s:.2f}x (not in the ratio)"
        )
    return ratio


def main() -> None:
    args = parse_args()

    import ray
    import torch

    torch.set_num_threads(args.threads)
    gpus = 1.0 if args.device.startswith("cuda") else 0.0
    image_options, video_options = stage_options(args)
    job = bench_job(args)
    start_ray(ray, torch, args, gpus)
    ratios = {}
    with tempfile.TemporaryDirectory(prefix="kaipai-bench-") as work:
        root = Path(work)
        keyframe = seed_keyframe(image_options, job, root)
        for stage, options in (("keyframe", image_options), ("motion", video_options)):
            tasks = tasks_for(stage, args.tasks, job, keyframe, args.duration)
            ratios[stage] = compare(ray, args, stage, options, tasks, root, gpus)
    ray.shutdown()
    worst = min(ratios, key=ratios.get)
    print(f"lowest: {worst}")
    print(f"ratio pool/bare: {ratios[worst]:.2f}")


if __name__ == "__main__":
    main()
