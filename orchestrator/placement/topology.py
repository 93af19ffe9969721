"""The cluster's zones, their GPU/CPU pools and local model weights, and the links between zones."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Zone(_M):
    name: str
    gpus: dict[str, int] = Field(default_factory=dict, description="GPU kind -> count, e.g. {H100: 64}.")
    cpus: int = 0
    weights: list[str] = Field(default_factory=list, description="Model ids already on this zone's disks.")


class Link(_M):
    between: tuple[str, str]
    latency: float = Field(ge=0, description="Seconds, one way.")
    bandwidth: float = Field(gt=0, description="Bytes per second, shared by transfers on the link.")


class Client(_M):
    """Where studios sit (Beijing): latency to each zone."""

    name: str
    latency: dict[str, float] = Field(default_factory=dict)


class Topology(_M):
    zones: list[Zone]
    links: list[Link] = Field(default_factory=list)
    intra_zone_bandwidth: float = Field(1.25e10, gt=0, description="Bytes per second inside one zone.")
    clients: list[Client] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_zones(self) -> Topology:
        names = {z.name for z in self.zones}
        for link in self.links:
            for zone in link.between:
                if zone not in names:
                    raise ValueError(f"link names unknown zone {zone!r}")
        return self

    def zone_names(self) -> list[str]:
        return [z.name for z in self.zones]

    def link(self, a: str, b: str) -> Link | None:
        for link in self.links:
            if set(link.between) == {a, b}:
                return link
        return None
