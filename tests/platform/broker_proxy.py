"""A TCP proxy in front of a real Redis that can make the broker healthy, hung or stopped on demand, without
touching the Redis behind it (used by tests/platform/test_outbox_broker.py and bench/broker_fault.py).

- "up": connections are forwarded both ways;
- "hung": connections are accepted (and kept) but nothing is forwarded — a broker that accepts and never answers;
- "down": the port refuses connections and open ones are closed — a stopped broker.
"""
from __future__ import annotations

import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path


class BrokerProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.mode = "up"
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listen()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _listen(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        sock.settimeout(0.1)
        self._listener = sock

    def set(self, mode: str) -> None:
        assert mode in ("up", "hung", "down")
        with self._lock:
            previous, self.mode = self.mode, mode
            if mode == "down":
                if self._listener is not None:
                    self._listener.close()
                    self._listener = None
                self._close_all()
            elif previous == "down":
                self._listen()
            if mode == "up" and previous == "hung":
                self._close_all()  # held connections are dead to their clients anyway

    def _close_all(self) -> None:
        for conn in self._conns:
            try:
                conn.close()
            except OSError:
                pass
        self._conns.clear()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._conns.append(client)
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            self._conns.append(upstream)
        socks = [client, upstream]
        try:
            while not self._stop.is_set():
                if self.mode == "hung":
                    time.sleep(0.05)  # read nothing, answer nothing
                    continue
                readable, _, _ = select.select(socks, [], [], 0.1)
                for sock in readable:
                    if self.mode != "up":
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        except (OSError, ValueError):  # a socket closed by set("down") or close()
            return
        finally:
            for sock in socks:
                try:
                    sock.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            if self._listener is not None:
                self._listener.close()
            self._close_all()


class ThrowawayRedis:
    """A redis-server of our own on a free loopback port (never the shared one), stopped by close()."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.dir = Path(tempfile.mkdtemp(prefix="medplatform-redis-"))
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
