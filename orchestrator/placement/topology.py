"""The cluster's zones, their GPU/CPU pools and local model weights, and the links between zones.

A profile's ``topology:`` section (``configs/datong.yaml``). Every number is the operator's to
override; links not listed fall back to ``default_link`` so a small test profile stays short.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Zone(_M):
    name: str = Field(min_length=1)
    gpus: dict[str, int] = Field(default_factory=dict, description="GPU kind -> count, e.g. {H100: 64}.")
    cpus: int = Field(0, ge=0)
    weights: list[str] = Field(default_factory=list, description="Model ids already on this zone's disks.")
    read_bandwidth: float = Field(2.0e9, gt=0, description="Bytes/s from local disk into one GPU (weights).")

    def has_weights(self, model: str | None) -> bool:
        return model is None or model in self.weights


class Link(_M):
    between: tuple[str, str]
    latency: float = Field(ge=0, description="Seconds, one way.")
    bandwidth: float = Field(gt=0, description="Bytes per second, shared by transfers on the link.")


class Client(_M):
    """Where studios sit (Beijing): latency to each zone."""

    name: str
    latency: dict[str, float] = Field(default_factory=dict)


class Topology(_M):
    zones: list[Zone] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)
    default_link: Link | None = Field(None, description="Used between zones with no link listed.")
    intra_zone_bandwidth: float = Field(1.25e10, gt=0, description="Bytes per second inside one zone.")
    clients: list[Client] = Field(default_factory=list)
    gpu_speed: dict[str, float] = Field(default_factory=dict, description="Kind -> speed, H100 = 1.")
    seconds: dict[str, float] = Field(
        default_factory=dict,
        description="Overrides of the cost model's base seconds, by stage or model id (per shot-second, "
        "image, line or episode as the model's unit).",
    )

    @model_validator(mode="after")
    def _known_zones(self) -> Topology:
        names = [z.name for z in self.zones]
        if len(set(names)) != len(names):
            raise ValueError("zone names must be unique")
        for link in self.links:
            for zone in link.between:
                if zone not in names:
                    raise ValueError(f"link names unknown zone {zone!r}")
        for client in self.clients:
            for zone in client.latency:
                if zone not in names:
                    raise ValueError(f"client {client.name!r} names unknown zone {zone!r}")
        return self

    def zone_names(self) -> list[str]:
        return [z.name for z in self.zones]

    def zone(self, name: str) -> Zone:
        for z in self.zones:
            if z.name == name:
                return z
        raise KeyError(name)

    def link(self, a: str, b: str) -> Link | None:
        for link in self.links:
            if set(link.between) == {a, b}:
                return link
        return None

    def latency_bandwidth(self, a: str, b: str) -> tuple[float, float]:
        """(one-way latency, bandwidth) between two zones; inside a zone, the zone's fabric."""
        if a == b:
            return 0.0, self.intra_zone_bandwidth
        link = self.link(a, b) or self.default_link
        if link is None:
            return 0.002, 1.25e9  # 10 Gb/s metro fibre, 2 ms: a cautious default
        return link.latency, link.bandwidth

    def weights_source(self, model: str, to_zone: str) -> str | None:
        """The nearest other zone holding a model's weights (highest bandwidth), or None."""
        holders = [z.name for z in self.zones if model in z.weights and z.name != to_zone]
        if not holders:
            return None
        return max(holders, key=lambda z: self.latency_bandwidth(z, to_zone)[1])
