"""The datatrove half of bench_datatrove.py. Runs inside datatrove's own virtualenv; imports no presswash.

    python datatrove_side.py INPUT_DIR OUTPUT_DIR LOGGING_DIR

Pipeline (one task, one worker): JsonlReader -> FTFYFormatter -> C4QualityFilter (line rules only: the
document-dropping rules are off) -> JsonlWriter. Prints one JSON line: wall and CPU seconds of the whole run,
and the seconds datatrove's own stats give for the FTFY and C4 steps.
"""

from __future__ import annotations

import json
import sys
import time


def main(input_dir: str, output_dir: str, logging_dir: str) -> None:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.filters import C4QualityFilter
    from datatrove.pipeline.formatters import FTFYFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    pipeline = [
        JsonlReader(input_dir, glob_pattern="*.jsonl", text_key="text", id_key="id"),
        FTFYFormatter(),
        C4QualityFilter(
            min_num_sentences=-1,  # document drops off: only line rules
            filter_lorem_ipsum=False,
            filter_curly_bracket=False,
        ),
        JsonlWriter(output_dir),
    ]
    executor = LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=logging_dir,
                                     skip_completed=False)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    stats = executor.run()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    steps: dict[str, float] = {}
    docs = 0
    for step in stats.stats:
        total = float(getattr(step.time_stats, "total", 0.0) or 0.0)
        steps[step.name] = total
        if "Jsonl" in step.name and "READ" in getattr(step, "type", "READ").upper():
            docs = max(docs, int(step.stats.get("documents", {}).total if "documents" in step.stats else 0))
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "steps_s": steps, "docs": docs}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
