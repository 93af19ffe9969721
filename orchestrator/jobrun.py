"""A whole job, end to end: storyboard (through the store), plan, execute, publish, manifest.

``kaipai run`` and the benchmarks call :func:`run_job`; it raises ``InputError`` for bad input and
returns a :class:`JobResult` whose ``ok`` says whether every task finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import frontend
from orchestrator.config import Profile
from orchestrator.dag import PIPELINE_STAGES, Dag, plan_dag, plan_storyboard
from orchestrator.execution.connection import ray_connection
from orchestrator.execution.executor import Executor
from orchestrator.execution.report import RunReport
from orchestrator.faults import check_writable
from orchestrator.manifest import (
    build_manifest,
    publish_episodes,
    summary_lines,
    write_atomic,
    write_manifest,
)
from orchestrator.probes import probe_inputs
from orchestrator.progress import RunObserver
from orchestrator.rerolls import run_with_rerolls
from orchestrator.runreport import write_report
from orchestrator.yamlfile import line_of, load_yaml_file
from stages.errors import InputError, Problem
from stages.models import Storyboard


@dataclass
class JobResult:
    out: Path
    manifest: dict[str, Any]
    manifest_path: Path
    dag: Dag | None
    report: RunReport
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return self.manifest["status"] == "ok"

    def summary(self) -> list[str]:
        return summary_lines(self.manifest, self.out)


def default_out(job_path: str | Path) -> Path:
    """``out/<job folder name>`` under the current directory."""
    return Path("out") / Path(job_path).resolve().parent.name


def store_root_for(profile: Profile, out: Path, store: str | Path | None = None) -> Path:
    return Path(store or profile.store or out / ".store").resolve()


def run_job(
    job_path: str | Path,
    profile: Profile,
    out: str | Path | None = None,
    *,
    address: str | None = None,
    policy: str = "kaipai",
    observer: RunObserver | None = None,
    store: str | Path | None = None,
    config_path: str | Path | None = None,
    executor_options: dict[str, Any] | None = None,
    review: bool = False,
) -> JobResult:
    """``config_path``: the profile's file, so that a missing model is reported at its line.
    ``executor_options``: seams for the executor (the cluster service's admission and pools).
    ``review``: make the review cut (internal shot ids and camera notes on the picture) into
    ``OUT/review``, from the release's store, so the release in ``OUT`` stays as it is."""
    job, script, warnings = frontend.load(job_path)
    characters, notes = frontend.characters_for(job, script)
    warnings += notes + frontend.language_warnings(job, script, profile)
    stages = {"storyboard", *PIPELINE_STAGES} - (set() if characters else {"character"})
    probe_inputs(job, characters, profile, script.language)
    check_models(profile, stages, config_path)
    out = Path(out) if out else default_out(job_path)
    store_root = store_root_for(profile, out, store)
    out = out / "review" if review else out
    check_writable(out, "the output folder")
    check_writable(store_root, "the artifact store")
    context = frontend.job_context(job, script)
    board_dag = plan_storyboard(frontend.storyboard_params(job, script, characters), profile, unit=job.folder.name)

    def finish(report: Any, episodes: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return build_manifest(
            job_path=Path(job_path),
            title=job.spec.title,
            profile=profile.name,
            store=str(store_root),
            report=report,
            episodes=episodes,
            **extra,
        )

    with ray_connection(profile, address):
        executor = Executor(
            profile, store_root, policy=policy, observer=observer, job_name=job.spec.title, **(executor_options or {})
        )
        board_report = executor.run(board_dag)
        board_id = next(iter(board_dag.nodes))
        if board_id not in board_report.artifacts:  # the storyboard failed: nothing else can run
            manifest = finish(board_report, {})
            return JobResult(out, manifest, write_manifest(out, manifest), None, board_report, warnings)
        artifact = board_report.artifacts[board_id]
        storyboard = Storyboard.model_validate_json(artifact.file("storyboard.json").read_text(encoding="utf-8"))
        write_atomic(out / "storyboard.json", storyboard.to_json())

        def run_shots(seeds: dict[str, int]) -> tuple[Dag, RunReport]:
            """Plan and run the episodes, with the seeds of the shots re-rolled so far."""
            dag = plan_dag(job, storyboard, profile, context=context, review=review, seeds=seeds)
            if not dag.nodes:
                raise InputError("the storyboard has no shots; nothing to make", file=job.spec_path)
            return dag, executor.run(dag)

        outcome = run_with_rerolls(run_shots, profile, executor.observer)
        dag, report = outcome.dag, outcome.report
    manifest = finish(
        report,
        publish_episodes(out, dag, report),
        extra_reports=(board_report, *outcome.earlier),
        rerolls=[r.to_json() for r in outcome.rerolls],
    )
    manifest_path = write_manifest(out, manifest)
    write_report(out, manifest, dag, report, profile)
    return JobResult(out, manifest, manifest_path, dag, report, warnings)


def check_models(profile: Profile, stages: set[str], config_path: str | Path | None = None) -> None:
    """Before Ray starts: every model the run needs must be on this machine when it is offline.

    Otherwise each pool actor would die in its constructor; one message per model, naming the config
    field and how to fetch the model, is clearer than a failed pool.
    """
    from workers.preflight import missing_models

    missing = [(stage, error) for stage, error in missing_models(profile) if stage in stages]
    if not missing:
        return
    file, lines = _config_lines(config_path)
    problems = []
    for stage, error in missing:
        adapter = getattr(profile.stage(stage).options, "ip_adapter", None)
        where = ("ip_adapter", "repo") if adapter is not None and adapter.repo == error.model_id else ("model",)
        loc = ("stages", stage, "options", *where)
        problems.append(Problem(str(error), file, line_of(lines, loc) if lines else None, ".".join(loc)))
    raise InputError(problems=problems)


def _config_lines(config_path: str | Path | None) -> tuple[Path | None, dict[Any, int]]:
    """The profile's file as ``load_profile`` finds it, and the line of each of its fields."""
    from orchestrator.config import DEFAULT_PROFILE, REPO_ROOT

    path = Path(config_path) if config_path else DEFAULT_PROFILE
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    try:
        return path, load_yaml_file(path, "config")[1]
    except (InputError, OSError):
        return (path if path.exists() else None), {}


def planning_storyboard(
    job_path: str | Path, profile: Profile, store: str | Path | None = None
) -> tuple[Any, Any, Storyboard, str]:
    """The storyboard for ``kaipai plan``, without Ray: cached in the store if there, else the rules one.

    Returns (job, script, storyboard, where it came from).
    """
    from stages.store import lookup

    job, script, _ = frontend.load(job_path)
    characters, _ = frontend.characters_for(job, script)
    board_dag = plan_storyboard(frontend.storyboard_params(job, script, characters), profile, unit=job.folder.name)
    node = next(iter(board_dag.nodes.values()))
    root = store_root_for(profile, default_out(job_path), store)
    cached = lookup(root, "storyboard", node.key)
    if cached is not None:
        board = Storyboard.model_validate_json(cached.file("storyboard.json").read_text(encoding="utf-8"))
        return job, script, board, "cached"
    return job, script, frontend.storyboard_rules(job, script, profile), "rules"
