"""The cluster config's ``cluster:`` section: studios' weights, priority limits, slots, the shared store.

A leaf (pydantic only): ``orchestrator.config`` reads it into the profile, ``orchestrator.service``
runs it.

It lives in the same profile as the stages and the topology (``configs/local-cluster.yaml``,
``configs/datong.yaml``), so one file describes the cluster an operator runs ``kaipai cluster up`` on.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FairShareSettings(_M):
    """How contended device time is divided (see ``orchestrator.service.fairshare``)."""

    studios: dict[str, float] = Field(default_factory=dict, description="Studio name -> weight.")
    default_weight: float = Field(1.0, gt=0, le=1000)
    jump_per_priority: float = Field(2.0, ge=0, le=3600, description="Virtual seconds of lead per priority level.")
    base_priority: int = Field(5, ge=0, le=9)
    max_jump: float = Field(30.0, ge=0, le=86400, description="The most a priority may put a studio ahead.")
    aging_seconds: float = Field(60.0, gt=0, le=86400, description="Seconds waited per priority level gained.")
    horizon_seconds: float = Field(
        30.0, gt=0, le=86400, description="A running grant is charged this far ahead of the seconds it has run."
    )
    cpu_seconds_weight: float = Field(
        0.05, ge=0, le=1, description="What a CPU-second counts for against a GPU-second in the accounts."
    )
    preempt: bool = Field(
        False,
        description="Take GPUs back from a studio over its weighted share for one below it (fairshare rule 5):"
        " the call is stopped between two denoising steps and runs again later. On in datong and local-cluster.",
    )
    preempt_after_seconds: float = Field(5.0, ge=0, le=86400, description="Wait before a request takes a GPU back.")
    preempt_within_seconds: float = Field(
        60.0, ge=0, le=86400, description="A grant that has run longer than this is never taken back."
    )


class PoolLimits(_M):
    """How shared pools grow and shrink (each bounded by its stage's ``pool.size`` for the zone)."""

    grow_when_queued: int = Field(4, ge=1, le=10_000, description="Queued nodes per actor before adding one.")
    idle_seconds: float = Field(300.0, ge=0, le=86400, description="An actor idle this long is stopped.")


class ClusterSettings(_M):
    """One kaipai service for the whole cluster."""

    store: str = Field(description="Artifact store every node mounts; the service refuses one that is not shared.")
    slots: dict[str, dict[str, int]] = Field(
        description="Zone -> {gpu: n, cpu: n}: how many nodes of each kind may run there at once."
    )
    fair_share: FairShareSettings = Field(default_factory=FairShareSettings)
    pools: PoolLimits = Field(default_factory=PoolLimits)
    max_jobs: int = Field(1000, ge=1, le=100_000, description="Jobs the service holds (queued and running).")
    max_priority: int = Field(9, ge=0, le=9, description="Priorities above this are refused at submit.")
    max_running_jobs: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Jobs granted slots at once; the rest wait in one queue, admitted by fair share and"
        " priority (unset: every job runs at once and only the slots are shared).",
    )
    spill_kinds: list[str] = Field(
        default_factory=lambda: ["cpu", "gpu"],
        max_length=4,
        description="Kinds of work that run in another zone with a free slot when their planned zone has none"
        " (the plan is an estimate; a slot free now beats one later). GPU work goes only where a live pool of"
        " its settings holds its model (no load), so the fair share divides every warm GPU, not one zone's.",
    )
    placement_policy: str = Field(
        "kaipai",
        pattern=r"^[a-z][a-z0-9_-]{0,31}$",
        description="The placement policy the service places every job with (see `kaipai simulate --policy`).",
    )
