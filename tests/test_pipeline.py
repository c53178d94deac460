"""End to end through Prefect and SeaweedFS: idempotent re-runs, cross-run duplicates, manifests that add
up, the reader, and the DuckDB/pandas example of docs/output.md. Few flow runs (each costs seconds)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import s3_options

from flows import output, reader, records
from flows.local_s3 import LocalS3Server
from flows.pipeline import clean_articles
from flows.storage import open_storage

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"
SAMPLES = [EXAMPLES / "000_ad5899ca170648f4.txt", EXAMPLES / "003_ccce60bc22adf0cc.txt"]  # share a paragraph


def _vocabulary(seed: int = 7, size: int = 3000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice("abcdefghiklmnoprstuvwy") for _ in range(rng.randint(2, 9))) for _ in range(size)]


WORDS = _vocabulary()


def article(seed: int, paragraphs: int = 6) -> str:
    """A distinct synthetic article: its word shingles share nothing with another seed's."""
    rng = random.Random(seed)
    paras = []
    for _ in range(paragraphs):
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."
                     for _ in range(3)]
        paras.append(" ".join(sentences))
    return "\n\n".join(paras)


def edit(text: str, seed: int) -> str:
    """A syndicated copy: one word changed and a credit line added (estimated similarity ~0.9-0.97)."""
    words = text.split(" ")
    words[(seed * 7919) % (len(words) - 1)] = "edited"
    return " ".join(words) + "\n\nReporting by the wire service."


_LETTERS = str.maketrans("0123456789", "abcdefghij")


def record(doc_id: str, text: str, site: int, title: str | None = None) -> dict[str, Any]:
    # spelled in letters: lines differing only in digits count as one line for site boilerplate
    title = f"Story {(title or doc_id).translate(_LETTERS)}"
    return {"id": doc_id, "url": f"https://site{site}.example/{doc_id}", "title": title,
            "text": f"{title}\n\n{text}\n\nFollow Jane Doe on Twitter: @janedoe"}


def write_jsonl(path: Path, rows: list[dict[str, Any]], bad_lines: int = 0) -> Path:
    lines = [json.dumps(r) for r in rows] + ["{not json"] * bad_lines
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def first_corpus() -> list[dict[str, Any]]:
    rows = [record(f"a{i:03d}", article(i), i % 3) for i in range(30)]
    rows += [{"id": p.stem, "url": f"https://news{n}.example/{p.stem}", "text": p.read_text(encoding="utf-8")}
             for n, p in enumerate(SAMPLES)]
    rows.append(record("short", "Too short to keep.", 0))
    rows.append(record("a000-copy", article(0), 1, title="a000"))          # exact, other site
    rows.append(record("a001-edit", edit(article(1), 3), 2))               # near, within the run
    return rows


def second_corpus() -> list[dict[str, Any]]:
    rows = [record(f"b{i:03d}", article(1000 + i), i % 3) for i in range(6)]
    rows.append(record("b-copy-of-a005", article(5), 2, title="a005"))     # exact dup of run 1
    rows.append(record("b-edit-of-a007", edit(article(7), 5), 1))          # near dup of run 1
    return rows


def without(rows: list[dict[str, Any]], *fields: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in fields} for r in rows]


@pytest.fixture(scope="module")
def three_runs(prefect_harness: None, s3_server: LocalS3Server, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, Any]:
    """Run A over the first corpus, B over the same input again, C (JSONL, through the CLI) over new input."""
    from flows.cli import main
    from flows.storage import S3Storage

    tmp = tmp_path_factory.mktemp("pipeline")
    first = write_jsonl(tmp / "first.jsonl", first_corpus(), bad_lines=1)
    second = write_jsonl(tmp / "second.jsonl", second_corpus())
    options = s3_options(s3_server)
    S3Storage("s3://pipeline", options, create_bucket=True)
    dest = "s3://pipeline/news"
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env().items():
            mp.setenv(k, v)
        a = clean_articles(str(first), dest, batch_size=8, shard_mb=0.01, run_id="run-a")
        b = clean_articles(str(first), dest, batch_size=16, run_id="run-b")
        assert main(["run", str(second), dest, "--run-id", "run-c", "--format", "jsonl", "--quiet"]) == 0
    c = reader.manifest(dest, "run-c", options)
    return {"a": a, "b": b, "c": c, "dest": dest, "options": options, "storage": open_storage(dest, options)}


def test_second_run_over_the_same_input_writes_no_documents(three_runs: dict[str, Any]) -> None:
    a, b = three_runs["a"], three_runs["b"]
    assert a["counts"]["written"] == 32 and a["counts"]["duplicates"] == 2
    assert b["counts"]["written"] == 0
    assert b["counts"]["duplicates"] == a["counts"]["written"] + a["counts"]["duplicates"]
    assert b["tables"]["documents"]["shards"] == [] and b["tables"]["removals"]["shards"] == []
    assert not [k for k in three_runs["storage"].list(b["prefix"]) if "/documents/" in k]
    dups = list(reader.read_documents(three_runs["dest"], "run-b", table="duplicates", options=three_runs["options"]))
    assert {d["kept_run_id"] for d in dups} == {"run-a"} and {d["kind"] for d in dups} >= {"exact"}


def test_manifests_add_up_and_list_every_shard_with_its_checksum(three_runs: dict[str, Any]) -> None:
    storage = three_runs["storage"]
    for name in "abc":
        m = three_runs[name]
        c = m["counts"]
        assert c["docs_in"] == c["written"] + c["quarantined"] + c["rejected"] + c["duplicates"]
        assert m["tables"]["documents"]["rows"] == c["written"]
        assert m["tables"]["duplicates"]["rows"] == c["duplicates"]
        assert m["tables"]["quarantine"]["rows"] == c["quarantined"] + c["rejected"]
        stored = output.read_json(storage, f"{m['prefix']}/manifest.json")
        assert stored["counts"] == c and stored["tables"] == m["tables"]
        listed = {s["key"] for t in m["tables"].values() for s in t["shards"]}
        present = {k for k in storage.list(m["prefix"]) if "/part-" in k}
        assert listed == present
        for table, t in m["tables"].items():
            for shard in t["shards"]:
                data = storage.get(shard["key"])
                assert output.hashlib.sha256(data).hexdigest() == shard["sha256"]
                fmt = "parquet" if table == "signatures" else m["format"]
                assert output.decode_table(data, records.TABLES[table], fmt).num_rows == shard["rows"]
    assert len(three_runs["a"]["tables"]["documents"]["shards"]) > 1  # sized shards: 10 KB target
    assert not list(storage.list(output.STAGING_PREFIX))


def test_duplicates_within_and_across_runs_are_marked(three_runs: dict[str, Any]) -> None:
    dest, options = three_runs["dest"], three_runs["options"]
    in_a = {d["id"]: d for d in reader.read_documents(dest, "run-a", table="duplicates", options=options)}
    assert in_a["a000-copy"]["kind"] == "exact" and in_a["a000-copy"]["kept_id"] == "a000"
    near = next(d for d in in_a.values() if d["kind"] == "near")
    assert {near["id"], near["kept_id"]} == {"a001", "a001-edit"} and near["similarity"] >= 0.8
    in_c = {d["id"]: d for d in reader.read_documents(dest, "run-c", table="duplicates", options=options)}
    assert in_c["b-copy-of-a005"]["kind"] == "exact"
    assert (in_c["b-copy-of-a005"]["kept_id"], in_c["b-copy-of-a005"]["kept_run_id"]) == ("a005", "run-a")
    assert in_c["b-edit-of-a007"]["kind"] == "near" and in_c["b-edit-of-a007"]["kept_run_id"] == "run-a"
    written = [d["id"] for d in reader.read_documents(dest, "all", options=options)]
    assert len(written) == len(set(written)) == 32 + 6
    ids = set(written)
    assert {"000_ad5899ca170648f4", "003_ccce60bc22adf0cc"} <= ids  # share a paragraph, both kept
    assert "short" not in ids


def test_reader_lists_runs_and_reads_what_the_manifests_list(
    three_runs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    dest, options = three_runs["dest"], three_runs["options"]
    runs = reader.list_runs(dest, options)
    assert [r["run_id"] for r in runs] == ["run-a", "run-b", "run-c"]
    assert [r["format"] for r in runs] == ["parquet", "parquet", "jsonl"]
    latest = list(reader.read_documents(dest, options=options))
    assert sorted(d["id"] for d in latest) == [f"b{i:03d}" for i in range(6)]
    doc = next(reader.read_documents(dest, "run-a", options=options))
    assert doc["text_sha256"] == output.hashlib.sha256(doc["text"].encode()).hexdigest()
    assert doc["removed_by_rule"] == {"social.follow-prompt": 1} and doc["removed_lines"] == 1
    assert doc["site"].endswith(".example") and doc["pipeline_version"] and doc["cleaned_at"].tzinfo
    removals = list(reader.read_documents(dest, "run-a", table="removals", options=options))
    assert len(removals) == sum(d["removed_lines"] for d in reader.read_documents(dest, "run-a", options=options))
    assert len(list(reader.read_documents(dest, "all", limit=3, options=options))) == 3
    with pytest.raises(ValueError, match="no completed run"):
        next(reader.read_documents(dest, "nope", options=options))

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", options.endpoint_url or "")
        mp.setenv("AWS_ACCESS_KEY_ID", options.access_key_id or "")
        mp.setenv("AWS_SECRET_ACCESS_KEY", options.secret_access_key or "")
        assert main(["runs", dest]) == 0
        table = capsys.readouterr().out.splitlines()
        assert table[0].split()[0] == "run" and [line.split()[0] for line in table[1:]] == ["run-a", "run-b", "run-c"]
        assert main(["read", dest, "--run", "run-a", "--limit", "2"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert len(rows) == 2 and all(r["run_id"] == "run-a" for r in rows)


def test_a_completed_run_id_is_not_run_again(three_runs: dict[str, Any], s3_server: LocalS3Server) -> None:
    storage = three_runs["storage"]
    before = {k: storage.get(k) for k in storage.list(three_runs["a"]["prefix"])}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env().items():
            mp.setenv(k, v)
        again = clean_articles(str(EXAMPLES), three_runs["dest"], run_id="run-a")
    assert again["counts"] == three_runs["a"]["counts"]
    assert {k: storage.get(k) for k in storage.list(three_runs["a"]["prefix"])} == before


def readme_example() -> str:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reading the output", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_readme_duckdb_and_pandas_example_works(three_runs: dict[str, Any], s3_server: LocalS3Server) -> None:
    code = readme_example()
    assert "duckdb.sql" in code and "to_pandas()" in code
    namespace: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in s3_server.env().items():
            mp.setenv(k, v)
        exec(compile(code.replace("s3://news/clean", three_runs["dest"]), "README.md", "exec"), namespace)
    frame, per_site = namespace["frame"], namespace["per_site"]
    assert len(frame) == 32 + 6 and frame["id"].is_unique
    assert dict(per_site) == frame.groupby("site").size().to_dict()
    assert sum(n for _, n in per_site) == len(frame)
    assert namespace["latest"]["run_id"] == "run-c" and namespace["first"]["run_id"] == "run-c"
