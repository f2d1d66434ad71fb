"""rpclb for Python: members, select, call and cast over rpclb's wire protocol.

A second implementation of the client side of docs/protocol.md, written from
that page, on Debian's python3-zmq and python3-msgpack:

    import rpclb
    client = rpclb.Client("web", bus=["tcp://10.0.0.5:7400"], algorithm="hash_ring", key="user-42")
    client.members()                   # [Member(name=..., endpoint=..., ...), ...]
    client.select(2)                   # the key's owner, then its replica
    client.call("sys.echo", 1, "two")  # [1, "two"]
    client.cast("jobs.run", "nightly") # the Member that accepted it

Algorithms: "random", "round_robin" (a rotation in this Client), and
"hash_ring", which places keys exactly as `rpclb --algorithm hash_ring` does,
so a key goes to the same member from C++ and Python. A member that cannot
take a call (unreachable, draining, at capacity: it never ran there) is
replaced by another, up to `retries` times. Errors are RpclbError, with the
protocol's code ("service_unavailable", "request_timeout", "bad_request",
"not_found", "internal"). No CURVE: use it on a trusted network, or use
`rpclb` itself.
"""

import bisect
import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

import msgpack
import zmq

# rpclb's own version (meson.build); the test holds it to `rpclb --version`.
__version__ = "0.5.0"
PROTOCOL_VERSION = 1
UNKNOWN_FIGURE = 0xFFFFFFFF
MAX_FRAME_BYTES = 8 * 1024 * 1024
DEFAULT_BUS = "tcp://127.0.0.1:7400"
DEFAULT_VNODES = 160
ALGORITHMS = ("random", "round_robin", "hash_ring")
ERROR_CODES = ("service_unavailable", "request_timeout", "bad_request", "not_found", "internal")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:@-]{0,254}\Z")
_FUNCTION = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\Z")
_MASK = (1 << 64) - 1


class RpclbError(Exception):
    """An rpclb failure: `code` is one of ERROR_CODES, `message` says why."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Member:
    name: str
    instance: str
    endpoint: str
    groups: List[str]
    weight: int
    load: int
    heartbeat_ms: int
    version: str
    cpu: Optional[float] = None  # the host's CPU busy, 0 to 1 (None: not announced)
    load_average: Optional[float] = None


def ring_hash(data: bytes) -> int:
    """64-bit FNV-1a, then MurmurHash3's finalizer (docs/protocol.md, section 4)."""
    h = 14695981039346656037
    for byte in data:
        h = ((h ^ byte) * 1099511628211) & _MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    h ^= h >> 33
    return h


def _is_ipv6(endpoint: str) -> int:
    """ZMQ_IPV6 for an endpoint: on for tcp://[IPv6]:P, off otherwise (an IPv4 address stays IPv4; see
    docs/protocol.md)."""
    return 1 if endpoint.startswith("tcp://[") else 0


def _version_at_least(version: str, major: int, minor: int) -> bool:
    match = re.match(r"(\d+)\.(\d+)", version)
    return bool(match) and (int(match.group(1)), int(match.group(2))) >= (major, minor)


def _frame(kind: str, *fields: Any) -> bytes:
    return msgpack.packb([PROTOCOL_VERSION, kind, *fields], use_bin_type=True)


def _decode(frame: bytes) -> list:
    """The message's [kind, fields...]; RpclbError(bad_request) if it is not one."""
    try:
        message = msgpack.unpackb(frame, raw=False, strict_map_key=False, use_list=True)
    except Exception as error:  # msgpack raises several types for damaged input
        raise RpclbError("bad_request", f"undecodable frame: {error}") from None
    if not isinstance(message, list) or len(message) < 2 or message[0] != PROTOCOL_VERSION:
        raise RpclbError("bad_request", "not an rpclb version 1 message")
    if not isinstance(message[1], str):
        raise RpclbError("bad_request", "kind is not a string")
    return message[1:]


def _member(record: Any) -> Optional[Member]:
    """A member record (8 or more fields; later ones ignored), or None if it breaks the rules."""
    if not isinstance(record, list) or len(record) < 8:
        return None
    name, instance, endpoint, groups, weight, load, heartbeat_ms, version = record[:8]
    strings = (name, instance, endpoint, version)
    numbers = (weight, load, heartbeat_ms)
    if not all(isinstance(x, str) for x in strings) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                                for x in numbers):
        return None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and _NAME.match(g) for g in groups):
        return None
    if not _NAME.match(name) or not endpoint.startswith(("tcp://", "ipc://")) or len(endpoint) > 512:
        return None
    if not 1 <= weight <= 1_000_000 or not 10 <= heartbeat_ms <= 600_000 or load < 0:
        return None

    def figure(index: int) -> Optional[float]:
        value = record[index] if len(record) > index else UNKNOWN_FIGURE
        return None if not isinstance(value, int) or value == UNKNOWN_FIGURE else value / 1000.0

    return Member(name, instance, endpoint, list(groups), weight, load, heartbeat_ms, version, figure(8), figure(9))


class Client:
    """One load balancer: a group, an algorithm, a filter. Not thread-safe."""

    def __init__(self, group: str, bus: Optional[Sequence[str]] = None, algorithm: str = "random",
                 key: Optional[str] = None, match: Optional[Sequence[str]] = None, timeout: float = 10.0,
                 bus_timeout: float = 1.0, connect_timeout: float = 0.25, retries: int = 2,
                 vnodes: int = DEFAULT_VNODES, context: Optional[zmq.Context] = None):
        if algorithm not in ALGORITHMS:
            raise RpclbError("bad_request", f"unknown algorithm '{algorithm}' (valid: {', '.join(ALGORITHMS)})")
        if bus is None:
            bus = [b.strip() for b in os.environ.get("RPCLB_BUS", DEFAULT_BUS).split(",")]
        self.group = group
        self.bus = list(bus)
        self.algorithm = algorithm
        self.key = key
        self.timeout = timeout
        self.bus_timeout = bus_timeout
        self.connect_timeout = connect_timeout
        self.retries = retries
        self.vnodes = vnodes
        self._patterns = [self._pattern(p) for p in (match or [])]
        self._context = context or zmq.Context.instance()
        self._next = 0  # round_robin's position
        self._ring: Optional[tuple] = None  # (names, sorted points) for hash_ring

    @staticmethod
    def _pattern(text: str):
        """An exact name, or /REGEX/ (/REGEX/i) that must match the whole name."""
        found = re.fullmatch(r"/(.*)/(i?)", text)
        if not found:
            return lambda name: name == text
        compiled = re.compile(found.group(1), re.IGNORECASE if found.group(2) else 0)
        return lambda name: compiled.fullmatch(name) is not None

    # -- the bus -------------------------------------------------------------

    def _hub_sockets(self):
        sockets = []
        for endpoint in self.bus:
            socket = self._context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
            socket.setsockopt(zmq.IPV6, _is_ipv6(endpoint))
            socket.connect(endpoint)  # tcp://HOST:P: the snapshot socket is P itself
            sockets.append(socket)
        return sockets

    def members(self) -> List[Member]:
        """Members of the group that pass `match`, by name. service_unavailable if no hub answers or none match."""
        request = _frame("snapshot?", self.group)
        sockets = self._hub_sockets()
        try:
            poller = zmq.Poller()
            for socket in sockets:
                socket.send_multipart([b"", request])
                poller.register(socket, zmq.POLLIN)
            merged = {}
            answers = 0
            deadline = time.monotonic() + self.bus_timeout
            while answers < len(sockets):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for socket, _ in poller.poll(left * 1000):
                    parts = socket.recv_multipart()
                    poller.unregister(socket)
                    if len(parts) != 2 or parts[0] != b"":
                        continue
                    try:
                        kind, *fields = _decode(parts[1])
                    except RpclbError:
                        continue  # a confused hub counts as a silent one
                    if kind != "snapshot" or len(fields) != 1 or not isinstance(fields[0], list):
                        continue
                    answers += 1
                    for record in fields[0]:
                        member = _member(record)
                        if member and member.name not in merged:
                            merged[member.name] = member
                    # The first answer and a short grace for the others (docs/protocol.md, 3.3).
                    deadline = min(deadline, time.monotonic() + 0.03)
        finally:
            for socket in sockets:
                socket.close()
        if answers == 0:
            raise RpclbError("service_unavailable", "no bus hub answered at " + ", ".join(self.bus))
        found = [m for name, m in sorted(merged.items()) if self.group in m.groups and self._matches(name)]
        if not found:
            raise RpclbError("service_unavailable", f"no member of group {self.group} matches")
        return found

    def _matches(self, name: str) -> bool:
        return not self._patterns or any(p(name) for p in self._patterns)

    # -- choosing ------------------------------------------------------------

    def select(self, count: int = 1, key: Optional[str] = None) -> List[Member]:
        """Up to `count` distinct members chosen by the algorithm (count 1: exactly one)."""
        return self._choose(self.members(), count, key if key is not None else self.key)

    def _choose(self, members: List[Member], count: int, key: Optional[str]) -> List[Member]:
        if count < 1:
            raise RpclbError("bad_request", "count must be at least 1")
        count = min(count, len(members))
        if self.algorithm == "random":
            return random.sample(members, count)
        if self.algorithm == "round_robin":
            start = self._next % len(members)
            self._next += count
            return [members[(start + i) % len(members)] for i in range(count)]
        return self._hash_ring(members, count, key)

    def _hash_ring(self, members: List[Member], count: int, key: Optional[str]) -> List[Member]:
        if key is None:
            raise RpclbError("bad_request", "hash_ring routes by key: pass key=")
        names = tuple(m.name for m in members)  # sorted by name already
        if self._ring is None or self._ring[0] != names:
            points = sorted((ring_hash(f"{name}#{v}".encode()), index)
                            for index, name in enumerate(names) for v in range(self.vnodes))
            self._ring = (names, points, [p[0] for p in points])
        _, points, hashes = self._ring
        position = bisect.bisect_left(hashes, ring_hash(key.encode()))
        chosen: List[int] = []
        for step in range(len(points)):
            index = points[(position + step) % len(points)][1]
            if index not in chosen:
                chosen.append(index)
                if len(chosen) == count:
                    break
        return [members[index] for index in chosen]

    # -- calling -------------------------------------------------------------

    def call(self, function: str, *args: Any, timeout: Optional[float] = None, key: Optional[str] = None) -> Any:
        """Runs FUNCTION(*args) on a chosen member and returns its result."""
        return self._run("call", function, list(args), timeout, key)[1]

    def cast(self, function: str, *args: Any, key: Optional[str] = None) -> Member:
        """Hands FUNCTION(*args) to a chosen member; returns it once it accepted."""
        return self._run("cast", function, list(args), None, key)[0]

    def _run(self, mode: str, function: str, args: list, timeout: Optional[float], key: Optional[str]):
        if not _FUNCTION.match(function):
            raise RpclbError("bad_request", f"function must be MODULE.FUNCTION, got '{function}'")
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        members = self.members()
        tried = []
        while True:
            candidates = [m for m in members if m.name not in {t[0] for t in tried}]
            if not candidates:
                raise RpclbError("service_unavailable",
                                 "no member could take it (tried: " + "; ".join(f"{n}: {w}" for n, w in tried) + ")")
            member = self._choose(candidates, 1, key if key is not None else self.key)[0]
            try:
                return member, self._exchange(member, mode, function, args, deadline)
            except RpclbError as error:
                # Only service_unavailable means it never ran there: safe to try another.
                if error.code != "service_unavailable" or len(tried) >= self.retries or time.monotonic() >= deadline:
                    if tried:
                        raise RpclbError(error.code, error.message + " (after " +
                                         "; ".join(f"{n}: {w}" for n, w in tried) + ")") from None
                    raise
                tried.append((member.name, error.message))

    def _exchange(self, member: Member, mode: str, function: str, args: list, deadline: float) -> Any:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise RpclbError("request_timeout", "the deadline passed before the call was sent")
        request_id = random.getrandbits(64)
        fields = [request_id, function, args, left_ms]
        if _version_at_least(member.version, 0, 2):
            fields += [member.name, member.instance]  # addressed: a stranger at the endpoint runs nothing
        body = _frame(mode, *fields)
        if len(body) > MAX_FRAME_BYTES:
            raise RpclbError("bad_request", f"the request is {len(body)} bytes, over the {MAX_FRAME_BYTES} limit")
        socket = self._context.socket(zmq.DEALER)
        try:
            socket.setsockopt(zmq.LINGER, 0)
            socket.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_BYTES)
            socket.setsockopt(zmq.IPV6, _is_ipv6(member.endpoint))
            # Queue nothing for a peer not yet connected: a dead member shows as
            # "not writable" within connect_timeout, with nothing sent.
            socket.setsockopt(zmq.IMMEDIATE, 1)
            socket.connect(member.endpoint)
            connect_by = min(deadline, time.monotonic() + self.connect_timeout)
            if not socket.poll(max(0, int((connect_by - time.monotonic()) * 1000)), zmq.POLLOUT):
                raise RpclbError("service_unavailable",
                                 f"{member.name} at {member.endpoint}: no connection within "
                                 f"{int(self.connect_timeout * 1000)} ms (nothing was sent)")
            socket.send_multipart([b"", body])
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not socket.poll(max(1, int(left * 1000)), zmq.POLLIN):
                    raise RpclbError("request_timeout", f"{member.name} did not answer in time")
                parts = socket.recv_multipart()
                if len(parts) != 2 or parts[0] != b"":
                    continue
                kind, *fields = _decode(parts[1])
                if not fields or fields[0] not in (request_id, 0):
                    continue  # not ours
                if kind == "result" and len(fields) == 2:
                    return fields[1]
                if kind == "accepted" and len(fields) == 1:
                    return None
                if kind == "error" and len(fields) == 3 and fields[1] in ERROR_CODES:
                    raise RpclbError(fields[1], fields[2])
                raise RpclbError("internal", f"{member.name} sent a reply of unexpected shape ({kind})")
        finally:
            socket.close()
