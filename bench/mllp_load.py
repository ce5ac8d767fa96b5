"""MLLP listener load and fault benchmark: real clients, the real listener, the embedded AWS.

``python bench/mllp_load.py [--messages 10000] [--connections 8] [--variants all]``

Each variant sends ``--messages`` ORU^R01 messages (3.3 KB, distinct MSH-10s) over ``--connections``
concurrent connections with python-hl7's MLLP client, each connection waiting for its ACK before the
next message (as interface engines do), to ``radimpress mllp`` running as its own process with a spool,
whose queue calls go through a fault-injecting TCP proxy to moto's server. An AE or a broken connection is
resent (an engine's retry); a listener that went away is reconnected to.

Variants: ``echo`` (the baseline: a socket server that answers a canned ACK at once, so the figures of
the others read as ratios of what this client and machine can do at all), ``steady``, ``outage`` (the
proxy refuses connections for a while mid-run: the spool takes over, drains after), ``hang`` (the proxy
swallows requests and never answers for a while: no answer at all), ``kill`` (the listener is killed with
SIGKILL mid-run and started again on the same spool).

A consumer takes messages off the ingest queue as the ingest function would (receive, delete), so the
queue stays short. Reconciliation, per variant: every message answered AA reached the queue or is still in
the spool (none lost); copies on the queue are counted by ``dedup-id`` (a copy is a message the listener
stored twice: its sender resent it after a kill, or a send timed out but did arrive; ingest collapses
copies, see
``radimpress.transports.intake``). Targets: >= 500 msg/s, ACK p99 <= 50 ms (steady), every ACK within
the send deadline while the queue hangs, reconciliation exact.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from hl7.client import MLLPClient

from radimpress.adapters.s3 import S3ObjectStore
from radimpress.adapters.sqs import SqsQueue
from radimpress.local.moto_server import client_environment, free_port, moto_server
from radimpress.transports.intake import Intake

ROOT = Path(__file__).resolve().parents[1]
ORU = (ROOT / "events" / "feed" / "01-loinc_tx.hl7").read_bytes()
CONTROL_ID = b"SYN000000001"
BUCKET = "bench-data"
DEADLINE = 2.0
TARGET_RATE, TARGET_P99_MS = 500.0, 50.0


def message(variant: str, number: int) -> bytes:
    return ORU.replace(CONTROL_ID, f"{variant[:2].upper()}{number:010d}".encode(), 1)


def dedup(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:32]


# ------------------------------------------------------------------------------------------ the proxy


class FaultProxy:
    """A TCP proxy to moto: ``pass`` forwards, ``refuse`` closes every connection, ``hang`` holds every
    byte and never answers (connections held are dropped when the hang ends)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = "pass"
        self.server = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.port = int(self.server.getsockname()[1])
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self.server.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        sockets = [client, upstream]
        held = False
        try:
            while not self._closed:
                if self.mode == "refuse" or (held and self.mode == "pass"):
                    return  # a refused or a released connection is dropped
                if self.mode == "hang":
                    held = True
                    time.sleep(0.05)
                    continue
                ready, _, _ = select.select(sockets, [], [], 0.05)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is client else client).sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


# ------------------------------------------------------------------------------------ the listeners


class Listener:
    """``radimpress mllp`` as its own process, on ``port``, queueing through the proxy."""

    def __init__(self, port: int, proxy_url: str, queue_url: str, spool: Path) -> None:
        self.port = port
        self.command = [
            sys.executable, "-m", "radimpress.cli", "mllp", "--queue-url", queue_url, "--bucket", BUCKET,
            "--port", str(port), "--spool", str(spool), "--send-deadline", str(DEADLINE),
            "--facility", "BENCH", "--senders", os.environ.get("BENCH_SENDERS", "1"),
        ]  # fmt: skip
        self.environment = os.environ | client_environment(proxy_url) | {"POWERTOOLS_LOG_LEVEL": "ERROR"}
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command, env=self.environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("the listener did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM: the listener drains and prints its counts."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        self.output = out.strip().splitlines()[-1] if out.strip() else ""


def echo_server(port: int, stop: threading.Event) -> None:
    """The baseline: reads frames, answers each with one canned ACK at once."""
    ack = b"\x0bMSH|^~\\&|ECHO||||20240101||ACK|1|P|2.5\rMSA|AA|X\r\x1c\r"
    server = socket.create_server(("127.0.0.1", port), backlog=64)
    server.settimeout(0.2)

    def serve(connection: socket.socket) -> None:
        with connection:
            while data := connection.recv(65536):
                connection.sendall(ack * data.count(b"\x1c\r"))

    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            connection, _ = server.accept()
            threading.Thread(target=serve, args=(connection,), daemon=True).start()
    server.close()


# --------------------------------------------------------------------------------------- the clients


@dataclass
class Tally:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds)
    accepted: set[str] = field(default_factory=set)
    codes: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    wrong_msa2: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_worker(port: int, payloads: list[bytes], tally: Tally, check_msa2: bool) -> None:
    client: MLLPClient | None = None
    for payload in payloads:
        control = payload.split(b"|", 10)[9].decode()
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            try:
                if client is None:
                    client = MLLPClient("127.0.0.1", port)
                started = time.monotonic()
                answer = client.send_message(payload)
                elapsed = time.monotonic() - started
                if not answer:
                    raise ConnectionResetError("closed")
            except OSError:
                if client is not None:
                    client.close()
                client = None
                with tally.lock:
                    tally.resent += 1
                time.sleep(0.1)
                continue
            msa = answer.split(b"\rMSA|", 1)[1].split(b"\r", 1)[0].split(b"|")
            code = msa[0].decode()
            with tally.lock:
                tally.latencies.append((started, elapsed))
                tally.codes[code] = tally.codes.get(code, 0) + 1
                if check_msa2 and (len(msa) < 2 or msa[1].decode() != control):
                    tally.wrong_msa2 += 1
            if code == "AA":
                with tally.lock:
                    tally.accepted.add(dedup(payload))
                break
            with tally.lock:
                tally.resent += 1
            time.sleep(0.05)  # AE: the engine resends
    if client is not None:
        client.close()


def run_clients(port: int, payloads: list[bytes], connections: int, check_msa2: bool) -> tuple[Tally, float]:
    tally = Tally()
    slices = [payloads[index::connections] for index in range(connections)]
    threads = [
        threading.Thread(target=client_worker, args=(port, part, tally, check_msa2)) for part in slices
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.monotonic() - started


# ---------------------------------------------------------------------------------------- a variant


class Consumer:
    """Takes messages off the queue as the ingest function would (receive, then delete), keeping their
    dedup ids: the queue stays short, as it does in production (moto's sends slow down with its length)."""

    def __init__(self, sqs: Any, url: str) -> None:
        self.sqs, self.url = sqs, url
        self.ids: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _take(self) -> int:
        batch = self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if batch:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
            self.ids += [m["MessageAttributes"]["dedup-id"]["StringValue"] for m in batch]
        return len(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._take()

    def finish(self) -> list[str]:
        """Stop, then take whatever is left (two empty receives in a row)."""
        self._stop.set()
        self._thread.join(30)
        empty = 0
        while empty < 2:
            empty = 0 if self._take() else empty + 1
        return self.ids


def spooled(spool: Path) -> list[str]:
    return [path.name.split("-", 1)[1].removesuffix(".json") for path in spool.glob("*.json")]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def run_variant(name: str, args: argparse.Namespace, moto_url: str, work: Path) -> dict[str, Any]:
    payloads = [message(name, number) for number in range(args.messages)]
    if name == "echo":
        port, stop = free_port(), threading.Event()
        server = threading.Thread(target=echo_server, args=(port, stop), daemon=True)
        server.start()
        time.sleep(0.2)
        tally, seconds = run_clients(port, payloads, args.connections, check_msa2=False)
        stop.set()
        server.join(5)
        return summary(name, tally, seconds, None)

    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName=f"ingest-{name}")["QueueUrl"]
    consumer = Consumer(sqs, queue_url)
    if name == "queue":
        result = queue_ceiling(payloads, queue_url, args.connections)
        consumer.finish()
        return result
    proxy = FaultProxy(int(moto_url.rsplit(":", 1)[1]))
    spool = work / f"spool-{name}"
    via = moto_url if os.environ.get("BENCH_NO_PROXY") else f"http://127.0.0.1:{proxy.port}"
    listener = Listener(free_port(), via, queue_url, spool)
    listener.start()
    fault_window: list[float] = []

    def inject() -> None:
        time.sleep(args.fault_after)
        fault_window.append(time.monotonic())
        if name == "kill":
            listener.kill()
            time.sleep(1.0)
            listener.start()
        else:
            proxy.mode = {"outage": "refuse", "hang": "hang"}[name]
            time.sleep(args.fault_seconds)
            proxy.mode = "pass"
        fault_window.append(time.monotonic())

    faults = threading.Thread(target=inject, daemon=True) if name != "steady" else None
    if faults is not None:
        faults.start()
    tally, seconds = run_clients(listener.port, payloads, args.connections, check_msa2=True)
    if faults is not None:
        faults.join()
    drain_deadline = time.monotonic() + 120
    while spooled(spool) and time.monotonic() < drain_deadline:
        time.sleep(0.2)
    listener.stop()
    on_queue = consumer.finish()
    left = spooled(spool)
    proxy.close()
    result = summary(name, tally, seconds, (on_queue, left))
    result["listener"] = listener.output
    if fault_window:
        during = [s for at, s in tally.latencies if fault_window[0] <= at <= fault_window[-1]]
        result["fault_seconds"] = fault_window[-1] - fault_window[0]
        result["max_ack_during_fault_ms"] = max(during, default=0.0) * 1000
        result["acks_during_fault"] = len(during)
    return result


def queue_ceiling(payloads: list[bytes], queue_url: str, connections: int) -> dict[str, Any]:
    """The second baseline: the same messages sent straight to the embedded queue, batches of
    ``connections`` (the most a listener with that many senders waiting can batch), from one thread per
    batch in flight as the listener has: what any listener in front of this queue can reach here."""
    queue = SqsQueue(queue_url, timeout=DEADLINE)
    intake = Intake(queue, S3ObjectStore(BUCKET))
    messages = [intake.message_for(payload) for payload in payloads]
    started = time.monotonic()
    latencies = []
    for start in range(0, len(messages), connections):
        sent = time.monotonic()
        queue.send(messages[start : start + connections])
        latencies.append((sent, time.monotonic() - sent))
    seconds = time.monotonic() - started
    tally = Tally(latencies=latencies, accepted={dedup(p) for p in payloads}, codes={"sent": len(payloads)})
    return summary("queue", tally, seconds, None)


def summary(
    name: str, tally: Tally, seconds: float, stored: tuple[list[str], list[str]] | None
) -> dict[str, Any]:
    latencies = [s for _, s in tally.latencies]
    result: dict[str, Any] = {
        "variant": name,
        "rate": len(tally.accepted) / seconds if seconds else 0.0,
        "seconds": seconds,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "codes": dict(sorted(tally.codes.items())),
        "resent": tally.resent,
        "wrong_msa2": tally.wrong_msa2,
        "accepted": len(tally.accepted),
    }
    if stored is not None:
        on_queue, left = stored
        present = set(on_queue) | set(left)
        result.update(
            queue=len(on_queue),
            queue_distinct=len(set(on_queue)),
            spool_left=len(left),
            lost=len(tally.accepted - present),
            copies=len(on_queue) + len(left) - len(present),
            unexpected=len(present - tally.accepted),
        )
        result["exact"] = result["lost"] == 0 and result["unexpected"] == 0
    return result


def report(results: list[dict[str, Any]]) -> None:
    echo = next((r for r in results if r["variant"] == "echo"), None)
    ceiling = next((r for r in results if r["variant"] == "queue"), None)

    def ratio(r: dict[str, Any], base: dict[str, Any] | None, key: str, digits: int) -> str:
        return f"{r[key] / base[key]:.{digits}f}" if base and base[key] else "-"

    print(
        f"{'variant':<8} {'msg/s':>7} {'x echo':>7} {'x queue':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'x echo':>7}  answers (batch sends for 'queue')"
    )
    for r in results:
        print(
            f"{r['variant']:<8} {r['rate']:>7.0f} {ratio(r, echo, 'rate', 3):>7} "
            f"{ratio(r, ceiling, 'rate', 2):>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
            f"{ratio(r, echo, 'p99_ms', 1):>7}  {r['codes']} resent {r['resent']}, MSA-2 wrong "
            f"{r['wrong_msa2']}"
        )
    print()
    for r in results:
        if "queue" not in r:
            continue
        verdict = "EXACT" if r["exact"] else "MISMATCH"
        print(
            f"{r['variant']:<8} AA {r['accepted']:,} = on the queue {r['queue_distinct']:,} distinct "
            f"({r['queue']:,} with copies) + spool {r['spool_left']}; lost {r['lost']}, "
            f"copies {r['copies']}, not sent {r['unexpected']}  {verdict}"
        )
        if "fault_seconds" in r:
            print(
                f"{'':<8} fault {r['fault_seconds']:.1f}s: {r['acks_during_fault']:,} ACKs sent in it, the "
                f"slowest {r['max_ack_during_fault_ms']:.0f} ms (send deadline {DEADLINE * 1000:.0f} ms)"
            )
        if r.get("listener"):
            print(f"{'':<8} listener {r['listener']}")
    steady = next((r for r in results if r["variant"] == "steady"), None)
    if steady:
        print()
        print(
            f"targets: {steady['rate']:.0f} msg/s (>= {TARGET_RATE:.0f}: "
            f"{'met' if steady['rate'] >= TARGET_RATE else 'NOT met'}), p99 {steady['p99_ms']:.1f} ms "
            f"(<= {TARGET_P99_MS:.0f}: {'met' if steady['p99_ms'] <= TARGET_P99_MS else 'NOT met'})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--variants", default="echo,queue,steady,outage,hang,kill")
    parser.add_argument("--fault-after", type=float, default=4.0, help="seconds into the run")
    parser.add_argument("--fault-seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="mllp-bench-") as temporary, moto_server() as moto:
        os.environ.update(client_environment(moto.endpoint_url))
        boto3.client("s3", endpoint_url=moto.endpoint_url, region_name="us-east-1").create_bucket(
            Bucket=BUCKET
        )
        for name in args.variants.split(","):
            results.append(run_variant(name, args, moto.endpoint_url, Path(temporary)))
            print(f"... {name} done", file=sys.stderr)
    report(results)
    return 0 if all(r.get("exact", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
