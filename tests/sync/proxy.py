"""A small fault proxy for sync tests: forwards TCP to a server, and on the next response to a
request whose head contains a marker, cuts it after N body bytes, stalls it there (the
connection stays open, silent, until the client goes away) or corrupts one body byte.

It runs its own asyncio loop in a thread. HTTP/1.1 clients send one request at a time on a
connection, so the response that follows a matching request is the one a fault hits.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    marker: bytes  # e.g. b"/blobs/" or b"/progress/push"
    cut_after: int | None = None  # body bytes let through before the connection is closed
    stall_after: int | None = None  # body bytes let through before the answer stops, connection open
    corrupt_at: int | None = None  # body byte flipped
    fired: bool = False


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.faults: list[Fault] = []
        self.body_bytes: dict[bytes, int] = {}  # per marker: response body bytes sent to the client
        self.wire_bytes = 0  # every byte passed either way, heads included (bench/sync counts with it)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def count(self, marker: bytes) -> None:
        """Start counting response body bytes for requests carrying `marker`."""
        self.body_bytes[marker] = 0

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            client_w.close()
            return
        state: dict[str, object] = {"fault": None, "markers": [], "head": b"", "body": 0, "in_body": False}

        client_gone = asyncio.Event()

        async def upstream() -> None:
            while chunk := await client_r.read(65536):
                self._arm(chunk, state)
                self.wire_bytes += len(chunk)
                up_w.write(chunk)
                await up_w.drain()
            client_gone.set()
            up_w.close()

        async def downstream() -> None:
            while chunk := await up_r.read(65536):
                chunk, stop = self._filter(chunk, state)
                self.wire_bytes += len(chunk)
                client_w.write(chunk)
                await client_w.drain()
                if stop:
                    fault: Fault = state["fault"]  # type: ignore[assignment]
                    if fault.stall_after is not None:
                        await client_gone.wait()
                    break
            client_w.close()
            up_w.close()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)

    def _arm(self, request: bytes, state: dict[str, object]) -> None:
        if request[:16].split(b" ")[0] not in (b"GET", b"POST", b"HEAD"):
            return  # the rest of a request body, not a new request
        head = request.split(b"\r\n", 1)[0]
        state.update(head=b"", body=0, in_body=False, fault=None,
                     markers=[m for m in self.body_bytes if m in head])  # fmt: skip
        for fault in self.faults:
            if not fault.fired and fault.marker in head:
                fault.fired = True
                state["fault"] = fault
                break

    def _filter(self, chunk: bytes, state: dict[str, object]) -> tuple[bytes, bool]:
        body = chunk
        if not state["in_body"]:
            head = bytes(state["head"]) + chunk  # type: ignore[arg-type]
            end = head.find(b"\r\n\r\n")
            if end < 0:
                state["head"] = head
                return chunk, False
            state["in_body"] = True
            body = head[end + 4 :]
            chunk_head = chunk[: len(chunk) - len(body)]
        else:
            chunk_head = b""
        start = int(state["body"])  # type: ignore[call-overload]
        fault: Fault | None = state["fault"]  # type: ignore[assignment]
        stop = False
        if fault and fault.corrupt_at is not None and start <= fault.corrupt_at < start + len(body):
            index = fault.corrupt_at - start
            body = body[:index] + bytes([body[index] ^ 0xFF]) + body[index + 1 :]
        limit = None if fault is None else fault.stall_after if fault.cut_after is None else fault.cut_after
        if limit is not None and start + len(body) >= limit:
            body, stop = body[: max(0, limit - start)], True
        state["body"] = start + len(body)
        for marker in state["markers"]:  # type: ignore[attr-defined]
            self.body_bytes[marker] += len(body)
        return chunk_head + body, stop
