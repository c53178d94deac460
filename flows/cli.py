"""The ``presswash`` command. It parses arguments into settings and calls the flow or the cleaners."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cleaners import Config, Document, clean_document, load_rules

if TYPE_CHECKING:
    from .api_server import TemporaryServer


def _add_cleaning_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cleaning")
    g.add_argument("--uncurl-quotes", action="store_true", help="turn typographic quotes into ASCII ones")
    g.add_argument("--no-fix-encoding", action="store_true", help="do not repair mojibake")
    g.add_argument("--keep-boilerplate", action="store_true", help="only repair encoding and judge documents")
    g.add_argument("--min-words", type=int, default=Config.min_words, metavar="N",
                   help="reject documents with fewer words left (default: %(default)s)")
    g.add_argument("--disable-rule", action="append", default=[], metavar="ID",
                   help="a rule id (or prefix ending in '.') never to apply; repeatable")
    g.add_argument("--no-guard", action="store_true", help="disable the over-removal guard")


def cleaning_config(args: argparse.Namespace) -> Config:
    return Config(
        uncurl_quotes=args.uncurl_quotes,
        fix_encoding=not args.no_fix_encoding,
        remove_boilerplate=not args.keep_boilerplate,
        min_words=args.min_words,
        disabled_rules=frozenset(args.disable_rule),
        guard_enabled=not args.no_guard,
    )


def _add_source_options(p: argparse.ArgumentParser) -> None:
    from .sources import FORMATS, FetchOptions

    d = FetchOptions()
    g = p.add_argument_group("source")
    g.add_argument("--input-format", dest="source_format", choices=FORMATS, default="auto",
                   help="how to read SOURCE (default: decided from the URI/extension)")
    g.add_argument("--allow-private-addresses", action="store_true",
                   help="let fetching reach private, loopback and link-local addresses")
    g.add_argument("--fetch-concurrency", type=int, default=d.concurrency, metavar="N",
                   help="requests in flight (default: %(default)s)")
    g.add_argument("--fetch-delay", type=float, default=d.per_host_delay_s, metavar="S",
                   help="seconds between requests to one host (default: %(default)s)")
    g.add_argument("--fetch-timeout", type=float, default=d.timeout_s, metavar="S",
                   help="timeout per request (default: %(default)s)")
    g.add_argument("--fetch-retries", type=int, default=d.retries, metavar="N",
                   help="retries on 429/5xx/connection errors (default: %(default)s)")
    g.add_argument("--max-fetch-bytes", type=int, default=d.max_bytes, metavar="N",
                   help="largest response body (default: %(default)s)")


def fetch_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "concurrency": args.fetch_concurrency,
        "per_host_delay_s": args.fetch_delay,
        "timeout_s": args.fetch_timeout,
        "retries": args.fetch_retries,
        "max_bytes": args.max_fetch_bytes,
        "allow_private_addresses": args.allow_private_addresses,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="presswash", description="Clean scraped news articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="clean every article of SOURCE into DEST (a Prefect flow run)")
    run.add_argument("source", help="a directory or file (.txt/.html/.json/.jsonl[.gz/.zst]/.warc[.gz]), "
                     "s3://bucket/prefix, a URL list, or a feed/sitemap URL")
    run.add_argument("dest", help="a directory or s3://bucket/prefix")
    run.add_argument("--batch-size", type=int, default=500, help="documents per task (default: %(default)s)")
    run.add_argument("--endpoint-url", help="S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS)")
    run.add_argument("--run-id", help="name the run (default: UTC time plus a random suffix)")
    run.add_argument("--text-field", default="text", help="JSON field with plain text (default: %(default)s)")
    run.add_argument("--html-field", default="html", help="JSON field with HTML (default: %(default)s)")
    run.add_argument("--id-field", default="id", help="JSON field with the document id (default: %(default)s)")
    run.add_argument("--url-field", default="url", help="JSON field with the URL (default: %(default)s)")
    _add_source_options(run)
    run.add_argument("--runner", choices=("threads", "processes", "dask"), default=None,
                     help="threads or processes on this machine, or dask (default: flows/runners.py)")
    run.add_argument("--dask-address", metavar="tcp://HOST:PORT",
                     help="Dask scheduler to run batches on (implies --runner dask; without it dask is local)")
    run.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    run.add_argument("--json", action="store_true", help="print the manifest as JSON")
    _add_output_options(run)
    _add_cleaning_options(run)

    clean = sub.add_parser("clean", help="print the cleaned text of one file")
    clean.add_argument("file", help="a .txt or .html file ('-' reads plain text from stdin)")
    clean.add_argument("--html", action="store_true", help="treat the input as HTML whatever its name")
    clean.add_argument("--url", help="the article's URL (helps extraction)")
    clean.add_argument("--explain", action="store_true", help="also list each removed line with its rule id")
    _add_cleaning_options(clean)

    sub.add_parser("rules", help="list the rule catalogue")

    read = sub.add_parser("read", help="print the documents (or another table) of completed runs in DEST")
    read.add_argument("dest", help="a directory or s3://bucket/prefix written by `presswash run`")
    read.add_argument("--run", default="latest", help="a run id, 'latest' (default) or 'all'")
    read.add_argument("--table", default="documents",
                      help="documents (default), removals, quarantine, duplicates or signatures")
    read.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    read.add_argument("--format", choices=("jsonl", "text"), default="jsonl",
                      help="jsonl: one JSON object per row (default); text: id, title and text")
    read.add_argument("--endpoint-url", help="S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS)")

    runs = sub.add_parser("runs", help="list the completed runs in DEST with their totals")
    runs.add_argument("dest", help="a directory or s3://bucket/prefix written by `presswash run`")
    runs.add_argument("--json", action="store_true", help="print the index entries as JSON lines")
    runs.add_argument("--endpoint-url", help="S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS)")
    return parser


def _add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--format", choices=("parquet", "jsonl"), default="parquet",
                   help="table format: parquet (default) or gzipped JSON lines")
    g.add_argument("--shard-mb", type=float, default=64.0, metavar="MB",
                   help="target shard size in MB (default: %(default)s)")
    g.add_argument("--resume", action="store_true",
                   help="resume the latest unfinished run in DEST (same as passing its --run-id)")
    g.add_argument("--no-dedup", action="store_true", help="write duplicates too (no dedup step)")
    g.add_argument("--exact-dedup-only", action="store_true", help="no near-duplicate detection")
    g.add_argument("--near-threshold", type=float, default=0.8, metavar="J",
                   help="similarity at or above which documents are near-duplicates (default: %(default)s)")


def dedup_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"enabled": not args.no_dedup, "near": not args.exact_dedup_only, "threshold": args.near_threshold}


def cmd_clean(args: argparse.Namespace) -> int:
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    is_html = args.html or args.file.lower().endswith((".html", ".htm"))
    doc = Document(id=args.file, html=data if is_html else None, raw=None if is_html else data, url=args.url)
    result = clean_document(doc, cleaning_config(args))
    out = sys.stdout
    if result.rejected is not None:
        print(f"rejected: {result.rejected.code}: {result.rejected.message}", file=sys.stderr)
    out.write(result.text + "\n")
    if args.explain:
        print("\n--- removed ---", file=out)
        for r in result.removed:
            print(f"[{r.rule_id}] line {r.line_no + 1}: {r.line}", file=out)
        for fix in result.encoding_fixes:
            print(f"[encoding] {fix}", file=out)
        for flag in result.flags:
            print(f"[flag] {flag}", file=out)
    return 1 if result.rejected is not None and result.rejected.code == "exception" else 0


def cmd_rules(_: argparse.Namespace) -> int:
    for rule in load_rules():
        zone = f" (zone: {rule.zone})" if rule.zone != "any" else ""
        print(f"{rule.id:28} {rule.description}{zone}")
    return 0


def print_summary(manifest: dict[str, Any], out: Any = sys.stdout) -> None:
    c = manifest["counts"]
    print(f"run {manifest['run_id']} finished in {manifest.get('seconds', 0):.1f}s", file=out)
    print(f"  documents in:  {c['docs_in']}", file=out)
    print(f"  written:       {c['written']}", file=out)
    print(f"  rejected:      {c['rejected']}", file=out)
    print(f"  quarantined:   {c['quarantined']}", file=out)
    if "duplicates" in c:
        print(f"  duplicates:    {c['duplicates']}", file=out)
    if manifest["rejected_by_code"]:
        print("  reasons:       " + ", ".join(f"{k} {v}" for k, v in manifest["rejected_by_code"].items()), file=out)
    if manifest["removed_by_rule"]:
        print("  lines removed per rule:", file=out)
        for rule_id, n in sorted(manifest["removed_by_rule"].items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"    {n:6}  {rule_id}", file=out)
    print(f"  manifest:      {manifest.get('manifest', '')}", file=out)


class _Progress:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, docs: int, batches: int) -> None:
        end = "\r" if self.tty else "\n"
        # write(), not print(): the flow's log_prints would turn a print into a (filtered) log record
        try:  # best effort: a closed or broken stderr must never fail a run
            sys.stderr.write(f"  cleaned {docs} documents in {batches} batches{end}")
            sys.stderr.flush()
        except (ValueError, OSError):
            pass


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage collection while Prefect is imported: it builds ~300k objects, and the collections on
    the way cost ~15% of the import."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _start_run_workers() -> None:
    """``presswash run``'s cleaning workers, started before anything else is imported (see
    ``flows.parallel.prestart``): they are forked while this process holds little more than ``cleaners``.
    ``main`` calls it before building the parser (which imports the sources); ``cmd_run`` again (a no-op
    then)."""
    from . import memory, parallel

    memory.tune()  # before any child process starts: they inherit the settings
    parallel.prestart(parallel.WORKERS)


def cmd_run(args: argparse.Namespace) -> int:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from . import api_server, parallel

    # the flow's cleaning workers and Prefect's API server start now, while this process imports Prefect
    _start_run_workers()
    try:
        with _gc_paused():
            server = api_server.start_if_needed()
        return _run(args, server)
    finally:
        parallel.discard_prestarted()


def _run(args: argparse.Namespace, server: TemporaryServer | None = None) -> int:
    with _gc_paused():
        from .pipeline import add_progress_hook, clean_articles, remove_progress_hook
        from .runners import make_task_runner

    if args.resume and not args.run_id:
        from .output import unfinished_runs
        from .storage import S3Options, open_storage

        unfinished = unfinished_runs(open_storage(args.dest, S3Options(endpoint_url=args.endpoint_url)))
        if not unfinished:
            raise ValueError(f"no unfinished run to resume in {args.dest}")
        args.run_id = unfinished[-1]["run_id"]
    progress = _Progress()
    if not args.quiet:
        add_progress_hook(progress)
    if server is not None:
        server.wait_ready()
    try:
        task_runner = make_task_runner(args.runner, dask_address=args.dask_address)
        manifest = clean_articles.with_options(task_runner=task_runner)(
            source=args.source,
            dest=args.dest,
            batch_size=args.batch_size,
            config=cleaning_config(args).to_dict(),
            endpoint_url=args.endpoint_url,
            run_id=args.run_id,
            text_field=args.text_field,
            html_field=args.html_field,
            id_field=args.id_field,
            url_field=args.url_field,
            format=args.format,
            shard_mb=args.shard_mb,
            dedup=dedup_options(args),
            source_format=args.source_format,
            fetch=fetch_options(args),
        )
    finally:
        if not args.quiet:
            remove_progress_hook(progress)
            if progress.tty:
                print(file=sys.stderr)
    if args.json:
        print(json.dumps(manifest, indent=2))
    else:
        print_summary(manifest)
    return 0


def cmd_read(args: argparse.Namespace) -> int:
    from .output import json_default
    from .reader import read_documents
    from .storage import S3Options

    rows = read_documents(args.dest, run=args.run, table=args.table, limit=args.limit,
                          options=S3Options(endpoint_url=args.endpoint_url))
    for row in rows:
        if args.format == "text":
            print(f"### {row.get('id')}  {row.get('title') or ''}\n{row.get('text') or ''}\n")
        else:
            print(json.dumps(row, ensure_ascii=False, sort_keys=True, default=json_default))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    from .reader import list_runs
    from .storage import S3Options

    runs = list_runs(args.dest, S3Options(endpoint_url=args.endpoint_url))
    if args.json:
        for entry in runs:
            print(json.dumps(entry, sort_keys=True))
        return 0
    print(f"{'run':28} {'finished (UTC)':20} {'format':8} {'in':>7} {'written':>7} {'dups':>6} {'rejected':>8} "
          f"{'quarant.':>8}")
    for e in runs:
        c = e["counts"]
        print(f"{e['run_id']:28} {e['finished_at'][:19]:20} {e['format']:8} {c['docs_in']:7} {c['written']:7} "
              f"{c['duplicates']:6} {c['rejected']:8} {c['quarantined']:8}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"] and not {"-h", "--help"} & set(argv):
        _start_run_workers()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # bad arguments: no run
        from . import parallel

        parallel.discard_prestarted()
        raise
    try:
        commands = {"run": cmd_run, "clean": cmd_clean, "rules": cmd_rules, "read": cmd_read, "runs": cmd_runs}
        return commands[args.command](args)
    except (FileNotFoundError, ValueError) as exc:
        if os.environ.get("PRESSWASH_DEBUG"):
            raise
        print(f"presswash: error: {exc} (PRESSWASH_DEBUG=1 shows where)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
