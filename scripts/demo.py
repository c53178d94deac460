"""`make demo`: start a local S3 server, clean the bundled example articles into it, show what came out."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"
BUCKET = "presswash-demo"


def show_document(record: dict[str, object]) -> None:
    print(f"\n=== a cleaned document: {record['id']} ===")
    print(f"title: {record.get('title')}")
    print(textwrap.indent(str(record["text"]), "  │ "))
    removed = record.get("removed") or []
    if removed:
        print("removed:")
        for r in removed:  # type: ignore[attr-defined]
            print(f"  ✂ [{r['rule_id']}] {r['line']}")
    fixes = record.get("encoding_fixes") or []
    if fixes:
        print(f"encoding fixes: {', '.join(fixes)}")  # type: ignore[arg-type]


def main() -> int:
    from flows import cli
    from flows.local_s3 import LocalS3Server
    from flows.reader import read_documents
    from flows.storage import open_storage

    n_files = len(list(EXAMPLES.iterdir()))
    print(f"presswash demo: cleaning {n_files} example files from {EXAMPLES.relative_to(ROOT)}")
    print("starting a local S3 server (SeaweedFS) on a free loopback port ...")
    with LocalS3Server() as s3:
        os.environ.update(s3.env())  # the standard AWS variables: boto3 and presswash pick them up
        dest = f"s3://{BUCKET}/cleaned"
        print(f"S3 endpoint {s3.endpoint_url}; running: presswash run {EXAMPLES.relative_to(ROOT)} {dest}\n")
        code = cli.main(["run", str(EXAMPLES), dest, "--run-id", "demo", "--quiet"])
        if code:
            return code
        storage = open_storage(dest)
        print("\nobjects written:")
        for key in storage.list():
            print(f"  {storage.url_of(key)}")
        docs = list(read_documents(dest, run="demo"))
        removed = list(read_documents(dest, run="demo", table="removals"))
        for doc in docs:
            doc["removed"] = [r for r in removed if r["doc_id"] == doc["id"]]
        if docs:
            show_document(max(docs, key=lambda d: len(d.get("removed") or [])))
        print(textwrap.dedent("""
            The output is Parquet shards plus a manifest per run (docs/output.md); with your own S3 endpoint:
              presswash run examples/articles s3://BUCKET/PREFIX --endpoint-url URL
              presswash runs s3://BUCKET/PREFIX; presswash read s3://BUCKET/PREFIX --limit 3
            """))
        print("stopping the S3 server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
