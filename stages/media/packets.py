"""What identifies an encoded audio stream's decoded samples: its packets' bytes and its timing.

Decoding is a function of the packets (their bytes and timestamps), the codec's setup (extradata)
and where the stream starts (the encoder's priming, which the container's edit list skips). Two
files whose first audio streams agree on all of these decode to the same samples, so a measurement
of one is a measurement of the other: the gates use it to read the sound stage's measurement of the
very bytes the episode carries. One ``ffprobe`` reads it all, without decoding: each packet's md5,
pts and duration, and the stream's fields (``STREAM_FIELDS``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from stages.media.ffmpeg_run import run_tool

STREAM_FIELDS = ("codec_name", "sample_rate", "channels", "time_base", "start_pts", "duration_ts", "extradata_hash")
PACKET_FIELDS = ("pts", "duration", "size", "data_hash")


def audio_fingerprint(path: Path, what: str) -> dict[str, Any]:
    """The first audio stream's ``STREAM_FIELDS`` and ``packets``: how many, and the sha256 over
    every packet's ``PACKET_FIELDS`` in order (its bytes' md5 among them)."""
    args = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_data_hash", "md5", "-of", "json"]
    args += ["-show_entries", f"packet={','.join(PACKET_FIELDS)}:stream={','.join(STREAM_FIELDS)}", str(path)]
    data = json.loads(run_tool(args, f"{what} (audio packets)").stdout or b"{}")
    packets = data.get("packets") or []
    digest = hashlib.sha256()
    for packet in packets:
        digest.update(("|".join(str(packet.get(k)) for k in PACKET_FIELDS) + "\n").encode())
    stream = (data.get("streams") or [{}])[0]
    return {
        **{k: stream.get(k) for k in STREAM_FIELDS},
        "packets": len(packets),
        "packets_sha256": digest.hexdigest() if packets else None,
    }
