"""The MLLP listener: HL7 v2 messages in over TCP, one ACK out for each.

Framing is python-hl7's (``hl7.mllp``: <VT> message <FS><CR>). Each message is stored by
``interfaces.services.message_receive`` (in the connection's own thread: the ORM is
synchronous)
and only then answered, so an ACK always means the message is on disk. When it cannot be
stored (the database is down) the answer is AR with error 207, and the sender sends it
again later. One connection's messages are answered in order; connections are served
side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from interfaces import hl7v2

logger = logging.getLogger(__name__)


def _receive(block: bytes) -> bytes:
    from interfaces.services import message_receive

    close_old_connections()
    try:
        return message_receive(block).ack
    except Exception:
        logger.exception("an HL7 message could not be stored; answered AR (the sender retries)")
        text = block.decode("latin-1")
        return hl7v2.ack(
            raw=text,
            code="AR",
            error="207",
            text="CareHub cannot store messages right now; send it again later.",
        )


def _close_connection() -> None:
    from django.db import connections

    connections.close_all()


async def _serve_connection(reader, writer) -> None:
    """One sender's connection: its messages stored by a thread of its own (its own
    database connection, closed with it), answered in order."""
    peer = writer.get_extra_info("peername")
    logger.info("MLLP connection from %s", peer)
    loop = asyncio.get_running_loop()
    database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mllp")
    try:
        while True:
            try:
                block = await reader.readblock()
            except asyncio.IncompleteReadError:
                break  # the sender closed the connection
            except InvalidBlockError:
                writer.writeblock(
                    hl7v2.ack(
                        raw=None, code="AR", error="100", text="A block must begin with <VT>."
                    )
                )
                await writer.drain()
                break
            except ValueError:
                writer.writeblock(
                    hl7v2.ack(raw=None, code="AR", error="100", text="The message is too long.")
                )
                await writer.drain()
                break
            answer = await loop.run_in_executor(database, _receive, block)
            writer.writeblock(answer)
            await writer.drain()
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        writer.close()
        await loop.run_in_executor(database, _close_connection)
        database.shutdown(wait=False)
        logger.info("MLLP connection from %s closed", peer)


async def serve(host: str, port: int, *, ready=None, stop: asyncio.Event | None = None) -> None:
    """Listen until ``stop`` is set (or SIGTERM/SIGINT when run as the command)."""
    server = await start_hl7_server(
        _serve_connection, host, port, limit=settings.ADT_MLLP_MAX_MESSAGE_BYTES
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Not in the main thread (tests): ``stop`` is set by the caller.
        with contextlib.suppress(RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    bound = server.sockets[0].getsockname()
    logger.info("MLLP listener on %s:%s", bound[0], bound[1])
    if ready is not None:
        ready(bound[1])
    async with server:
        await stop.wait()
