"""The kaipai service: one queue, fair share and shared warm pools for every studio on one Ray cluster.

Read in this order: ``fairshare`` (who gets the next slot; pure), ``slots`` (free slots per zone),
``registry`` (the durable job journal), ``service`` (the detached actor that holds them), ``pools``
(shared named pool actors), ``client`` (the driver's admission and pool seams), ``driver`` (a studio
job's entrypoint), ``up`` and ``remote`` (the operators' and studios' commands), ``replay`` (the
same fair-share policy on a simulator scenario).
"""
