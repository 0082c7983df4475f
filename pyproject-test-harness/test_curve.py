"""CurveZMQ transport encryption (jupyter_client 8.9+ docs/security.rst; ipykernel 7.3+): the
kernelspec says `supported_encryption: ["curve"]`; jupyter_client then writes Curve keys into the
connection file and the kernel binds every socket as a Curve server. A client without the server
key is not heard at all; malformed keys stop the kernel with the reason, never plaintext."""

from __future__ import annotations

import json
import time

import pytest
import zmq
from jupyter_client.session import Session

from conftest import KERNEL_NAME
from kernel_helpers import evaluate, running_kernel, wait_exit
from test_sockets_and_lifecycle import client_of, connection_file, launched, shut_down

pytestmark = [pytest.mark.timeout(120), pytest.mark.skipif(not zmq.has("curve"), reason="this pyzmq has no CurveZMQ")]


def test_jupyter_client_requiring_encryption_runs_cells_over_curve() -> None:
    with running_kernel(KERNEL_NAME, transport_encryption="required") as (km, kc):
        with open(km.connection_file, encoding="utf-8") as f:
            info = json.load(f)
        assert len(info["curve_publickey"]) == 40 and len(info["curve_secretkey"]) == 40
        assert evaluate(kc, "6 * 7") == "42"
        # stdin and iopub go over Curve too
        msg_id = kc.execute("console.log('over curve'); await input('name?')", allow_stdin=True)
        assert kc.get_stdin_msg(timeout=20)["content"]["prompt"] == "name?"
        kc.input("ada")
        assert kc.get_shell_msg(timeout=20)["parent_header"]["msg_id"] == msg_id
        # every socket, heartbeat included, is a Curve server: a ping with the keys is echoed
        hb = zmq.Context.instance().socket(zmq.REQ)
        hb.linger = 0
        hb.curve_serverkey = info["curve_publickey"].encode()
        hb.curve_publickey, hb.curve_secretkey = info["curve_publickey"].encode(), info["curve_secretkey"].encode()
        hb.connect(f"tcp://{info['ip']}:{info['hb_port']}")
        try:
            hb.send(b"ping")
            assert hb.poll(20_000) and hb.recv() == b"ping"
        finally:
            hb.close()
        # interrupt (on control) and restart (a new kernel, new keys written by jupyter_client)
        assert evaluate(kc, "var kept = 7; kept") == "7"
        spinning = kc.execute("while (true) {}")
        time.sleep(0.3)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == spinning and reply["content"]["ename"] == "KernelInterrupt", reply["content"]
        assert evaluate(kc, "kept") == "7"
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=60)
        assert evaluate(kc, "typeof kept") == "'undefined'"
        assert evaluate(kc, "6 * 7") == "42"


def test_a_client_without_the_server_key_is_not_heard() -> None:
    with running_kernel(KERNEL_NAME, transport_encryption="required") as (km, kc):
        with open(km.connection_file, encoding="utf-8") as f:
            info = json.load(f)
        ctx = zmq.Context.instance()
        plain = ctx.socket(zmq.DEALER)
        plain.linger = 0
        plain.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
        session.send(plain, "kernel_info_request", {})
        stranger = ctx.socket(zmq.DEALER)
        stranger.linger = 0
        public, secret = zmq.curve_keypair()
        stranger.curve_publickey, stranger.curve_secretkey = public, secret
        stranger.curve_serverkey = zmq.curve_keypair()[0]  # not the kernel's
        stranger.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        session.send(stranger, "kernel_info_request", {})
        try:
            assert plain.poll(2000) == 0, "a plaintext client was answered by a Curve kernel"
            assert stranger.poll(500) == 0, "a client with the wrong server key was answered"
        finally:
            plain.close()
            stranger.close()
        # the kernel's own client is still served
        assert evaluate(kc, "'still here'") == "'still here'"


@pytest.mark.parametrize("change, said", [
    ({"curve_secretkey": None}, "curve_publickey is given without curve_secretkey: both or neither"),
    ({"curve_publickey": "short"}, "curve_publickey must be 40 Z85 characters (32 bytes), got 5 characters"),
    ({"curve_secretkey": "~" * 40}, 'curve_secretkey has "~", which is not a Z85 character'),
    ({"curve_publickey": "other"}, "curve_publickey is not the public key of curve_secretkey: they must be one key pair"),
])
def test_malformed_curve_keys_stop_the_kernel_with_the_reason(change: dict, said: str) -> None:
    public, secret = zmq.curve_keypair()
    path, _ = connection_file("curve", curve_publickey=public, curve_secretkey=secret)
    info = json.loads(path.read_text())
    for field, value in change.items():
        if value is None:
            del info[field]
        else:
            info[field] = zmq.curve_keypair()[0].decode() if value == "other" else value
    path.write_text(json.dumps(info))
    with launched(path) as k:
        assert wait_exit(k.proc, 15) == 1, f"the kernel started with bad Curve keys: {k.stderr}"
        assert said in k.stderr, k.stderr


def test_a_connection_file_with_curve_keys_from_another_tool_works() -> None:
    public, secret = zmq.curve_keypair()
    path, _ = connection_file("curve-ok", curve_publickey=public, curve_secretkey=secret)
    with launched(path) as k, client_of(k) as kc:
        assert evaluate(kc, "1 + 1") == "2"
        assert shut_down(kc, k) == 0
