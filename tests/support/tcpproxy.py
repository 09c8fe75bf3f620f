"""A loopback TCP proxy whose connections a test can cut at will: the way
to close one client's broker connection forcibly without touching any
other connection to the same broker."""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        self._frozen: set[int] = set()
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True, name="tcpproxy-accept").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if id(src) in self._frozen or id(dst) in self._frozen:
                    continue  # a silent peer: bytes vanish, nothing is closed
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> int:
        """Close every proxied connection abruptly (RST); returns how many."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            for s in (client, upstream):
                try:
                    # wake the forwarding threads blocked reading this socket
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    pass
        return len(pairs)

    def freeze(self) -> int:
        """Let every current connection go silent without closing it, as a
        dropped route does; new connections pass. Returns how many."""
        with self._lock:
            for client, upstream in self._pairs:
                self._frozen.update({id(client), id(upstream)})
            return len(self._pairs)

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()
