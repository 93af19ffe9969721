"""The embedded half of China's AI-content label (《人工智能生成合成内容标识办法》, in force since
1 September 2025, and GB 45438-2025): an ``AIGC`` metadata field in the file naming it AI-generated,
its producer and a content id. The visible half is the "AI生成" mark the mux burns into every shot.
"""

from __future__ import annotations

import hashlib
import json

PRODUCER = "kaipai"


def aigc_metadata(produce_id_parts: list[str]) -> str:
    """The ``AIGC`` field's JSON: Label 1 = the content is AI-generated (GB 45438-2025, Annex E)."""
    produce_id = hashlib.sha256("\x00".join(produce_id_parts).encode()).hexdigest()[:32]
    return json.dumps(
        {
            "Label": "1",
            "ContentProducer": PRODUCER,
            "ProduceID": produce_id,
            "ReservedCode1": "",
            "ContentPropagator": "",
            "PropagateID": "",
            "ReservedCode2": "",
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def read_aigc(tags: dict[str, str]) -> dict | None:
    """The parsed ``AIGC`` field from a file's format tags (ffprobe), or None when it is absent or broken."""
    raw = next((v for k, v in tags.items() if k.lower() == "aigc"), None)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
