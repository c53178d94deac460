"""The cleaning pass sends a batch to the workers in chunks (``parallel.stage``): the staged rows, quarantine
records, counts and boilerplate samples are those of the whole batch staged in one piece, and the statistics
pass's repairs are used by every chunk (each reads and removes its own file), and the statistics are
written once for the pool's workers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_fast_path import _mojibake, dev_documents

from cleaners import Config, Document, SiteLineStats
from cleaners.dedup import DedupConfig
from flows import chunk_files, parallel, records
from flows.rows import removals, staged_document
from flows.sitestats import RunSiteStats

WHEN = datetime(2026, 11, 23, tzinfo=UTC)


def test_chunked_stage_equals_whole_batch(tmp_path: Path) -> None:
    docs = dev_documents()[:230]
    docs.append(Document(id="empty", text="   ", url="https://example.com/empty"))  # a quarantine record
    docs.append(Document(id="moji", text=_mojibake(docs[0].text or ""), url=docs[0].url))
    config, dedup = Config(), DedupConfig()
    run_stats = RunSiteStats(tmp_path)
    with parallel.worker_pool(2):
        run_stats.add(parallel.gather(docs, config, tmp_path / "repairs.json", chunk=37).stats, "0")
    stats = run_stats.for_cleaning(config)
    repairs = parallel.load_repairs(tmp_path / "repairs.json", keep_file=True)
    assert repairs and stats.boilerplate(config), "the sample should exercise repairs and learned lines"
    # the files hold a text only when it was repaired; null for "needs no repair": the same repairs otherwise
    texts = {parallel.text_digest(d.text): d.text for d in docs if d.text is not None}
    assert {k: (texts[k], []) if v is None else v for k, v in repairs.items()} == parallel.gather_here(
        docs, config).repairs
    assert None in repairs.values() and any(v is not None and v[1] for v in repairs.values())
    whole = parallel.stage_here(docs, config, stats, dedup, repairs, "r", WHEN)
    files = sorted(tmp_path.glob("repairs.json.*"))
    assert len(files) > 1, "repairs in several chunks' files"
    keys_files = [chunk_files.keys_file(f) for f in files]
    assert all(f.exists() for f in keys_files), "line keys for every chunk"
    with parallel.worker_pool(2):
        chunked = parallel.stage(docs, config, stats, dedup, tmp_path / "repairs.json", "r", WHEN, chunk=37)
        shared = parallel._shared
        assert shared is not None and shared[0] is stats and shared[2].path.exists()
    assert not any(f.exists() for f in files + keys_files), "every chunk read its own files"
    assert chunked.documents == whole.documents and whole.cleaned > 100
    assert chunked.quarantine == whole.quarantine and whole.quarantine
    assert chunked.removals == whole.removals
    assert chunked.removal_rows()[-1][0] > 37  # positions past the first chunk
    # the columns are the rows' definitions (flows.rows), document by document
    cleaned = parallel.clean_here(docs, config, stats, dedup, repairs)
    accepted = [(r, k) for r, k in zip(cleaned.results, cleaned.keys, strict=True) if r.rejected is None]
    assert whole.document_rows() == [staged_document(r, k, "r", WHEN) for r, k in accepted if k is not None]
    assert whole.removal_rows() == [(i, removal) for i, (r, _) in enumerate(accepted) for removal in removals(r)]
    assert chunked.samples.smallest() == whole.samples.smallest() and len(whole.samples)
    assert {(site, key): line for site, key, line in records.sample_triples(chunked.samples)} == (
        whole.samples.smallest())
    assert len(chunked.samples) > len(whole.samples)  # a key in several chunks: merged by sample_triples
    assert (chunked.removed_by_rule, chunked.rejected_by_code, chunked.rejected, chunked.quarantined) == (
        whole.removed_by_rule, whole.rejected_by_code, whole.rejected, whole.quarantined)


def test_samples_from_the_statistics_pass_line_keys_are_those_keyed_again(tmp_path: Path) -> None:
    """The cleaning pass takes the samples (and the site rule's known keys) from the line keys the statistics
    pass left in files, where they were made for the same text and config: the same samples and results as
    keying every line again (``add_samples``); keys made under another config are not used."""
    docs = dev_documents()[:230]
    docs.append(Document(id="raw", raw=(docs[0].text or "").encode(), url=docs[0].url))  # no text: no digest
    docs.append(Document(id="nosite", text=docs[1].text))
    config, dedup = Config(), DedupConfig()
    run_stats = RunSiteStats(tmp_path)
    run_stats.add(parallel.gather(docs, config).stats, "0")
    stats = run_stats.for_cleaning(config)
    reference = parallel.clean_here(docs, config, stats, dedup, None)  # every line keyed again
    real, repairs_to = parallel.keyed_samples, tmp_path / "repairs.json"
    assert reference.samples.samples
    for made_under, used in ((config, True), (Config(sitewide_max_words=3), False)):
        parallel.gather_here(docs, made_under, repairs_to, chunk=len(docs))
        file = chunk_files.keys_file(parallel.chunk_file(repairs_to, 0))
        keyed = chunk_files.load_keys([file], made_under)
        assert len(keyed) == len(docs) - 2 and not file.exists()
        parallel.gather_here(docs, made_under, repairs_to, chunk=len(docs))
        calls: list[object] = []
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parallel, "keyed_samples", lambda *a, calls=calls: calls.append(a) or real(*a))
            cleaned = parallel.clean_here(docs, config, stats, dedup, (parallel.chunk_file(repairs_to, 0),))
        assert bool(calls) == used and not file.exists()
        assert cleaned.samples.samples == reference.samples.samples
        assert cleaned.results == reference.results and cleaned.keys == reference.keys


def test_shared_statistics_give_their_boilerplate(tmp_path: Path) -> None:
    """Workers read the shared statistics' boilerplate lines from a file, written once per statistics and
    config."""
    docs = dev_documents()[:230]
    config, other = Config(), Config(sitewide_min_docs=10**6)
    run_stats = RunSiteStats(tmp_path)
    run_stats.add(parallel.gather_here(docs, config).stats, "0")
    stats = run_stats.for_cleaning(config)
    with parallel.worker_pool(2):
        shared = parallel._share(stats, config)
        assert isinstance(shared, parallel.SharedBoilerplate) and parallel._share(stats, config) is shared
        assert parallel._boilerplate_of(shared, config) == stats.boilerplate(config) != {}
        assert parallel._boilerplate_of(parallel._share(stats, other), other) == stats.boilerplate(other) == {}
        assert parallel._boilerplate_of(shared, config) == stats.boilerplate(config)  # loaded again
    assert parallel._share(stats, config) is stats  # no pool: the statistics themselves


_PRESTART = """
import sys, threading
from multiprocessing import resource_tracker
import pytest
from test_fast_path import dev_documents
from cleaners import Config
from flows import chunk_files, parallel

if sys.argv[1] == "thread":  # another thread runs: forking is not safe, the workers are spawned
    stop = threading.Event()
    threading.Thread(target=stop.wait).start()
parallel.prestart(2)
pool = parallel._prestarted[1]
docs = dev_documents()[:60]
with parallel.worker_pool(2):
    assert parallel._active is pool, "the prestarted workers are used"
    there = parallel.gather(docs, Config(), chunk=len(docs))  # one chunk: the records of gather_here
here = parallel.gather_here(docs, Config())
assert there.repairs == here.repairs and there.stats.docs == here.stats.docs
assert there.stats.records.tobytes() == here.stats.records.tobytes()
print(pool._mp_context.get_start_method(), resource_tracker._resource_tracker._pid is not None)
if sys.argv[1] == "thread":
    stop.set()
"""


def test_prestarted_workers_are_forked_only_when_safe(tmp_path: Path) -> None:
    """``presswash run`` prestarts the workers before it imports Prefect: then they are forked (no resource
    tracker process); with another thread running they are spawned. Both give the in-process results."""
    tests = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)])}
    out = {}
    for mode in ("alone", "thread"):
        done = subprocess.run([sys.executable, "-c", _PRESTART, mode], env=env, capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        out[mode] = done.stdout.split()
    assert out == {"alone": ["fork", "False"], "thread": ["spawn", "True"]}


def test_chunked_gather_equals_whole_batch(tmp_path: Path) -> None:
    """The statistics pass sends a batch to the workers in chunks too: the same document counts, the same
    verdicts and counts of the run's statistics, and the same repairs files as the batch gathered at once."""
    docs = dev_documents()[:230]
    docs += [Document(id=f"moji{i}", text=_mojibake(docs[i].text or ""), url=docs[i].url) for i in (0, 90, 200)]
    config = Config(sitewide_min_docs=2)
    (tmp_path / "whole").mkdir()
    (tmp_path / "chunked").mkdir()
    whole = parallel.gather_here(docs, config, tmp_path / "whole" / "repairs.json", chunk=37)
    with parallel.worker_pool(2):
        chunked = parallel.gather(docs, config, tmp_path / "chunked" / "repairs.json", chunk=37)
    assert chunked.stats.docs == whole.stats.docs
    keys = chunked.stats.records["key"]
    assert (keys[1:] >= keys[:-1]).all(), "sorted by line key"
    assert len(chunked.stats.records) > len(whole.stats.records), "lines counted in several chunks"
    counts = {}
    for name, part in (("whole", whole), ("chunked", chunked)):
        run_stats = RunSiteStats(tmp_path / name)
        run_stats.add(part.stats, "0")
        counts[name] = run_stats.boilerplate_counts(config)
    assert counts["chunked"] == counts["whole"] != {}
    files = {name: {f.name: f.read_text() for f in (tmp_path / name).glob("repairs.json.*")}
             for name in ("whole", "chunked")}
    assert files["chunked"] == files["whole"] and len(files["whole"]) > 1
    merged = parallel.merge_gathered([parallel.gather_here(docs[:100], config),
                                      parallel.gather_here(docs[100:], config)])
    assert merged.repairs == parallel.gather_here(docs, config).repairs != {}


def test_a_dead_worker_leaves_the_rest_of_the_pass_to_the_flow_process(tmp_path: Path) -> None:
    """If a worker dies, the pool is given up: the pass's calls run in this process, with the same results."""
    import contextlib
    import signal

    docs = dev_documents()[:40]
    config = Config()
    here = parallel.gather_here(docs, config, chunk=len(docs))
    with parallel.worker_pool(2):
        pool = parallel._active
        assert pool is not None
        for process in list(pool._processes.values()):  # type: ignore[attr-defined]
            # once the first is dead, the pool may have stopped the other already: gone either way
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.join()
        there = parallel.gather(docs, config, chunk=len(docs))
        assert parallel._active is None, "the broken pool is not used again"
        cleaned = parallel.clean(docs, config, SiteLineStats(), DedupConfig())
    assert there.repairs == here.repairs and there.stats.records.tobytes() == here.stats.records.tobytes()
    assert [r.text for r in cleaned.results] == [r.text for r in parallel.clean_here(
        docs, config, SiteLineStats(), DedupConfig(), None).results]


def test_workers_collect_garbage_less_often() -> None:
    """The pool's workers run with ``WORKER_GC`` thresholds; the calling process keeps its own."""
    import gc

    before = gc.get_threshold()
    with parallel.worker_pool(2):
        pool = parallel._active
        assert pool is not None
        assert pool.submit(gc.get_threshold).result() == parallel.WORKER_GC
    assert gc.get_threshold() == before != parallel.WORKER_GC
