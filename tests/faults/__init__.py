"""Fault-injection helpers for the tests: a throttling S3 proxy, a killable ``presswash run`` subprocess, and
readers that compare the documents of two runs. They drive real processes on 127.0.0.1; nothing is mocked."""
