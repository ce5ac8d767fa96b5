"""The MLLP gateway on a real socket, queueing into SQS on moto, read back as the ingest function reads."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from radimpress.adapters.s3 import S3ObjectStore
from radimpress.adapters.sqs import SqsQueue
from radimpress.transports.inbound import resolve
from radimpress.transports.mllp import MllpDecoder, MllpGateway, frame
from tests.conftest import load_event
from tests.fakes import BUCKET


@pytest.fixture
def gateway(aws: dict[str, Any]) -> Iterator[tuple[MllpGateway, int, str]]:
    """A gateway listening on 127.0.0.1 (a free port) in its own event loop thread, and its queue URL."""
    queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="ingest")["QueueUrl"]
    gateway = MllpGateway(SqsQueue(queue_url), S3ObjectStore(BUCKET))
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(gateway.start("127.0.0.1", 0))
    port = int(server.sockets[0].getsockname()[1])
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield gateway, port, queue_url
    asyncio.run_coroutine_threadsafe(gateway.close(1), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def exchange(port: int, payloads: list[bytes]) -> list[bytes]:
    """Send each message framed, in one connection, and read one ACK per message (as an engine does)."""
    decoder, acks = MllpDecoder(), list[bytes]()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        for sent, payload in enumerate(payloads, start=1):
            connection.sendall(frame(payload))
            while len(acks) < sent:  # the engine waits for this message's ACK before the next
                data = connection.recv(65536)
                assert data, "the gateway closed the connection"
                acks += decoder.feed(data)
    return acks


def test_messages_are_acknowledged_after_they_are_in_the_queue(gateway: tuple[MllpGateway, int, str]) -> None:
    server, port, queue_url = gateway
    oru, latin1 = load_event("feed/01-loinc_tx.hl7"), load_event("feed/13-latin1.hl7")
    # When an engine sends two results over one connection
    acks = exchange(port, [oru, latin1])
    # Then each got an AA ACK
    assert [ack.split(b"\rMSA|")[1][:2] for ack in acks] == [b"AA", b"AA"]
    # and the queue holds both, and the ingest function's reading of each is the bytes that were sent
    sqs = boto3.client("sqs", region_name="us-east-1")
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])
    got = sorted(
        resolve(
            m["Body"],
            {name: value.get("StringValue") for name, value in m.get("MessageAttributes", {}).items()},
            S3ObjectStore(BUCKET),
        )
        for m in received["Messages"]
    )
    assert got == sorted([oru, latin1])
    assert server.stats.answered == {"AA": 2, "AE": 0, "AR": 0}
