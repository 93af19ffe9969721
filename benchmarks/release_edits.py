"""How much of a release one edited line makes again: per spoken line, the release muxes (shot
re-encodes) and translations whose keys change when only that line's text changes.

Nothing runs: keys come from the planned DAG (``plan_dag`` on the rules storyboard, with
``languages`` set), once per line edited, for each ``context_lines`` setting of the translate stage.
Run: .venv/bin/python benchmarks/release_edits.py [--job examples/datong-wall/job.yaml]
     [--profile configs/tiny.yaml] [--language en] [--context 0 2 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from orchestrator import frontend  # noqa: E402
from orchestrator.config import load_profile  # noqa: E402
from orchestrator.dag import plan_dag  # noqa: E402


def edited(storyboard, line_id: str):
    """The storyboard with one line's text changed (its shot's length kept, as a small edit keeps it)."""
    copy = storyboard.model_copy(deep=True)
    for episode in copy.episodes:
        for shot in episode.shots:
            for line in shot.lines:
                if line.id == line_id:
                    line.text = line.text + "啊"
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", default=str(REPO / "examples" / "datong-wall" / "job.yaml"))
    parser.add_argument("--profile", default=str(REPO / "configs" / "tiny.yaml"))
    parser.add_argument("--language", default="en")
    parser.add_argument("--context", type=int, nargs="+", default=[0, 2, 4])
    args = parser.parse_args()
    job, script, _ = frontend.load(Path(args.job))
    job = job.model_copy(update={"spec": job.spec.model_copy(update={"languages": [args.language]})})
    for context in args.context:
        profile = load_profile(args.profile)
        settings = profile.stage("translate")
        options = settings.options.model_copy(update={"context_lines": context})
        profile.stages["translate"] = settings.model_copy(update={"options": options})
        storyboard = frontend.storyboard_rules(job, script, profile)
        before = plan_dag(job, storyboard, profile)
        suffix = f"/{args.language}"
        releases = [n for n in before.nodes.values() if n.stage == "mux" and n.unit.endswith(suffix)]
        lines = [n.unit.removesuffix(suffix) for n in before.nodes.values() if n.stage == "translate"]
        muxes, translations = [], []
        for line in lines:
            after = plan_dag(job, edited(storyboard, line), profile)
            changed = {nid for nid, node in after.nodes.items() if before.nodes[nid].key != node.key}
            muxes.append(sum(1 for n in changed if n.startswith("mux:") and n.endswith(suffix)))
            translations.append(sum(1 for n in changed if n.startswith("translate:")))
        print(
            f"context_lines={context}: {len(lines)} lines, {len(releases)} release shots; per one-line edit "
            f"release muxes re-encoded mean {statistics.mean(muxes):.2f} max {max(muxes)}, "
            f"translations re-made mean {statistics.mean(translations):.2f} max {max(translations)}"
        )


if __name__ == "__main__":
    main()
