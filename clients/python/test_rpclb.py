#!/usr/bin/env python3
"""The Python client against real agents and the real `rpclb` (RPCLB_AGENT_BIN, RPCLB_CLI_BIN).

Every agent runs on 127.0.0.1 with an ipc:// bus in a private folder; every process
this test starts is killed, and the folder removed, however it ends.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

# The rpclb.py beside this file when run from the source tree (Python puts the script's folder first),
# the installed package when run from elsewhere (clients/python/test_installed.sh).
import rpclb  # noqa: E402

AGENT = os.environ.get("RPCLB_AGENT_BIN", "build/rpclb-agent")
CLI = os.environ.get("RPCLB_CLI_BIN", "build/rpclb")


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rpclb-py-")
        self.bus = "ipc://" + os.path.join(self.dir, "bus")
        self.processes = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RPCLB_")}
        self.env["RPCLB_STATE_DIR"] = os.path.join(self.dir, "state")
        self.env["XDG_CONFIG_HOME"] = os.path.join(self.dir, "config")
        self.env["RPCLB_SYSTEM_CONFIG"] = os.path.join(self.dir, "config", "system.conf")

    def start(self, name, groups, *extra, hub=False, heartbeat_ms=100, listen="tcp://127.0.0.1:*"):
        argv = [AGENT, "--name", name, "--listen", listen, "--heartbeat-ms", str(heartbeat_ms)]
        for group in groups:
            argv += ["--group", group]
        argv += ["--serve-bus", self.bus] if hub else ["--bus", self.bus]
        argv += list(extra)
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=log, env=self.env)
        log.close()
        return self.processes[name]

    def rpclb(self, *args):
        done = subprocess.run([CLI, *args, "--bus", self.bus], capture_output=True, text=True, env=self.env,
                              timeout=30)
        return done

    def wait_for_members(self, group, names):
        client = rpclb.Client(group, bus=[self.bus])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if [m.name for m in client.members()] == sorted(names):
                    return True
            except rpclb.RpclbError:
                pass
            time.sleep(0.02)
        return False

    def close(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class PythonClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()
        try:
            cls.cluster.start("a", ["web"], hub=True)
            cls.cluster.start("b", ["web", "db"])
            cls.cluster.start("c", ["web"])
            if not cls.cluster.wait_for_members("web", ["a", "b", "c"]):
                raise RuntimeError("the agents did not join")
        except BaseException:
            cls.cluster.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def client(self, **options):
        return rpclb.Client("web", bus=[self.cluster.bus], **options)

    def test_a_member_on_ipv6_loopback_is_called(self):
        self.cluster.start("six", ["v6"], listen="tcp://[::1]:*")
        self.assertTrue(self.cluster.wait_for_members("v6", ["six"]))
        client = rpclb.Client("v6", bus=[self.cluster.bus])
        [member] = client.members()
        self.assertTrue(member.endpoint.startswith("tcp://[::1]:"), member.endpoint)
        self.assertEqual(client.call("sys.echo", "over", 6), ["over", 6])

    def test_members_are_listed_by_name_with_their_figures(self):
        members = self.client().members()
        self.assertEqual([m.name for m in members], ["a", "b", "c"])
        self.assertEqual(rpclb.Client("db", bus=[self.cluster.bus]).members()[0].name, "b")
        for member in members:
            self.assertTrue(member.endpoint.startswith("tcp://127.0.0.1:"))
            self.assertEqual(member.weight, 1)
            self.assertIsNotNone(member.cpu)
            self.assertTrue(0 <= member.cpu <= 1)
        cli = json.loads(self.cluster.rpclb("members", "web", "--json").stdout)
        self.assertEqual([(m["name"], m["endpoint"]) for m in cli], [(m.name, m.endpoint) for m in members])

    def test_match_takes_names_and_whole_name_patterns(self):
        self.assertEqual([m.name for m in self.client(match=["b"]).members()], ["b"])
        self.assertEqual([m.name for m in self.client(match=["/[ac]/"]).members()], ["a", "c"])
        with self.assertRaises(rpclb.RpclbError) as caught:
            self.client(match=["/x.*/"]).members()
        self.assertEqual(caught.exception.code, "service_unavailable")

    def test_arguments_arrive_exactly_and_come_back(self):
        args = [0, -1, 2**64 - 1, -(2**63), 1.5, "text", "ünï", "", True, None, [1, [2, {"k": "v"}]],
                {"nested": {"list": [1, 2]}}, b"\x00\xffbytes"]
        self.assertEqual(self.client().call("sys.echo", *args), args)

    def test_errors_carry_the_protocols_codes(self):
        client = self.client()
        for function, args, code in [("no.such", [], "not_found"), ("sys.sleep", ["x"], "bad_request")]:
            with self.assertRaises(rpclb.RpclbError) as caught:
                client.call(function, *args)
            self.assertEqual(caught.exception.code, code)
        with self.assertRaises(rpclb.RpclbError) as caught:
            client.call("not a function")
        self.assertEqual(caught.exception.code, "bad_request")
        started = time.monotonic()
        with self.assertRaises(rpclb.RpclbError) as caught:
            client.call("sys.sleep", 5000, timeout=0.3)
        self.assertEqual(caught.exception.code, "request_timeout")
        self.assertLess(time.monotonic() - started, 1.3)  # the timeout, and a second to spare

    def test_cast_returns_the_member_that_accepted(self):
        member = self.client(match=["c"]).cast("sys.sleep", 1)
        self.assertEqual(member.name, "c")

    def test_round_robin_goes_round_in_name_order(self):
        client = self.client(algorithm="round_robin")
        served = [client.call("sys.info")["name"] for _ in range(6)]
        self.assertEqual(served, ["a", "b", "c", "a", "b", "c"])

    def test_random_spreads_over_every_member(self):
        client = self.client()
        served = {client.select()[0].name for _ in range(60)}
        self.assertEqual(served, {"a", "b", "c"})

    def test_hash_ring_places_keys_as_rpclb_does(self):
        client = self.client(algorithm="hash_ring")
        for i in range(40):
            key = f"user-{i * 7919}"
            expected = self.cluster.rpclb("select", "web", "-n", "2", "--algorithm", "hash_ring", "--key", key)
            self.assertEqual(expected.returncode, 0, expected.stderr)
            self.assertEqual([m.name for m in client.select(2, key=key)], expected.stdout.split(), key)
        with self.assertRaises(rpclb.RpclbError) as caught:
            client.select()
        self.assertEqual(caught.exception.code, "bad_request")
        # The call goes where the key says.
        owner = client.select(key="k-1")[0].name
        self.assertEqual(client.call("sys.info", key="k-1")["name"], owner)

    def test_ring_hash_is_pinned(self):
        # The same values as the C++ suite's pin (tests/unit/algorithms/hash_ring_test.cpp).
        self.assertEqual(rpclb.ring_hash(b""), 0xEFD01F60BA992926)
        self.assertEqual(rpclb.ring_hash(b"user-42"), 0xA39532C7AB051E8D)


class PythonPackage(unittest.TestCase):
    def test_its_version_is_rpclbs(self):
        said = subprocess.run([CLI, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(said.stdout.split()[-1], rpclb.__version__)


class PythonClientFailover(unittest.TestCase):
    def test_a_dead_member_is_replaced_by_a_live_one(self):
        cluster = Cluster()
        try:
            cluster.start("alive", ["web"], hub=True)
            doomed = cluster.start("doomed", ["web"], heartbeat_ms=3000)  # still listed seconds after it dies
            self.assertTrue(cluster.wait_for_members("web", ["alive", "doomed"]))
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()
            client = rpclb.Client("web", bus=[cluster.bus], algorithm="round_robin")
            # The rotation reaches the dead member every other call: each one is replaced.
            served = [client.call("sys.info")["name"] for _ in range(4)]
            self.assertEqual(served, ["alive"] * 4)
            strict = rpclb.Client("web", bus=[cluster.bus], match=["doomed"], retries=0)
            with self.assertRaises(rpclb.RpclbError) as caught:
                strict.call("sys.echo")
            self.assertEqual(caught.exception.code, "service_unavailable")
            self.assertIn("nothing was sent", caught.exception.message)
        finally:
            cluster.close()

    def test_no_hub_is_service_unavailable(self):
        directory = tempfile.mkdtemp(prefix="rpclb-py-")
        try:
            client = rpclb.Client("web", bus=["ipc://" + os.path.join(directory, "nobody")], bus_timeout=0.2)
            with self.assertRaises(rpclb.RpclbError) as caught:
                client.members()
            self.assertEqual(caught.exception.code, "service_unavailable")
        finally:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
