"""The MLLP listener over a real socket: every message stored before its ACK, answered in
order, bad blocks refused; and, as deployed (``manage.py adt_listen`` on PostgreSQL),
killed mid-stream it has lost no message it acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import hl7
import pytest
from django.db import connection

from interfaces import mllp
from interfaces.models import InboundMessage, MessageStatus
from tests.interfaces.messages import adt
from tests.interfaces.messages import mllp as frame

ROOT = Path(__file__).resolve().parents[2]


def read_acks(sock: socket.socket, count: int) -> list[hl7.Message]:
    data = b""
    while data.count(b"\x1c\x0d") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    blocks = [b for b in data.split(b"\x1c\x0d") if b]
    return [hl7.parse(b.lstrip(b"\x0b").decode("utf-8")) for b in blocks]


@pytest.fixture
def listener():
    """The listener in a thread of this process (its own event loop), on a free port."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    bound: list[int] = []
    started = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(
            mllp.serve(
                "127.0.0.1", 0, ready=lambda port: (bound.append(port), started.set()), stop=stop
            )
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    yield bound[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_messages_on_one_connection_are_stored_and_answered_in_order(listener):
    messages = [adt("A01", control_id=f"K{n}") for n in range(3)] + [
        adt("A01", pid="", control_id="K3")
    ]
    with socket.create_connection(("127.0.0.1", listener), timeout=10) as sock:
        sock.sendall(b"".join(frame(m) for m in messages))  # pipelined in one write
        acks = read_acks(sock, 4)
    assert [str(a["MSA.F2"]) for a in acks] == ["K0", "K1", "K2", "K3"]
    assert [str(a["MSA.F1"]) for a in acks] == ["AA", "AA", "AA", "AE"]
    stored = dict(InboundMessage.objects.values_list("control_id", "status"))
    assert stored == {
        "K0": MessageStatus.RECEIVED,
        "K1": MessageStatus.RECEIVED,
        "K2": MessageStatus.RECEIVED,
        "K3": MessageStatus.ERROR,
    }


@pytest.mark.django_db(transaction=True)
def test_a_latin_1_message_and_a_broken_block(listener):
    with socket.create_connection(("127.0.0.1", listener), timeout=10) as sock:
        sock.sendall(
            frame(adt("A01", family="Muñoz", charset="8859/1", control_id="L1"), "iso8859-1")
        )
        (ack,) = read_acks(sock, 1)
        assert str(ack["MSA.F1"]) == "AA"
        sock.sendall(b"MSH|no start block\x1c\x0d")
        (refused,) = read_acks(sock, 1)
        assert str(refused["MSA.F1"]) == "AR"
        assert sock.recv(10) == b""  # the listener closed this connection
    assert "Muñoz" in InboundMessage.objects.get(control_id="L1").raw
    # The listener still serves the next connection.
    with socket.create_connection(("127.0.0.1", listener), timeout=10) as sock:
        sock.sendall(frame(adt("A01", control_id="L2")))
        assert str(read_acks(sock, 1)[0]["MSA.F1"]) == "AA"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killed_mid_stream_it_lost_no_message_it_acknowledged():
    db = connection.settings_dict
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(
        os.environ,
        DEBUG="true",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    )
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "adt_listen", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except OSError:
                time.sleep(0.1)
        acknowledged = []
        with sock:
            for n in range(400):
                sock.sendall(frame(adt("A01", control_id=f"S{n}")))
                if n == 200:
                    server.send_signal(signal.SIGKILL)  # mid-stream, without warning
                try:
                    acks = read_acks(sock, 1)
                except OSError:
                    break
                if not acks:
                    break
                acknowledged.append(str(acks[0]["MSA.F2"]))
    finally:
        server.kill()
        server.wait(timeout=30)
    assert 150 <= len(acknowledged) < 400
    stored = set(InboundMessage.objects.values_list("control_id", flat=True))
    assert set(acknowledged) <= stored
