"""A scripted OpenAI-compatible server on a loopback port, for what a real model does only by chance.

    with FakeLLM(lambda ask: f"The forum was held in Dali. [{ask.find('Dali')}]") as server:
        server.url                      # http://127.0.0.1:PORT/v1
        server.requests                 # the JSON bodies and headers received

The reply is a function of the request (an `Ask`: the numbered sentences and the question the prompt
holds), so a test states its right answer plainly: "cite the sentence that says Dali". Modes cover the
failures: an HTTP status, a delay before answering, a slow trickle, a stream cut after n pieces, a
malformed or an empty stream. `python -m tests.fake_llm --port N --piece-delay 0.3` serves one in its own
process (which a test can kill mid-answer); it prints "ready", then "streaming" once a reply's first piece
is sent.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Ask:
    """What the prompt asked: sentence number -> text, and the question."""
    sentences: dict[int, str]
    question: str
    messages: list

    def find(self, text: str) -> int:
        """The number of the first sentence containing `text` (a test's right citation)."""
        return next(n for n, s in self.sentences.items() if text in s)

    def other_than(self, text: str) -> int:
        """The number of a sentence that does not contain `text` (a wrong citation)."""
        return next(n for n, s in self.sentences.items() if text not in s)


def read_ask(messages: list) -> Ask:
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    block = user.split("<<<", 1)[-1].split(">>>", 1)[0]
    sentences = {int(m.group(1)): m.group(2) for m in re.finditer(r"^\[(\d+)\] (.*)$", block, re.M)}
    q = re.search(r"^Question: (.*)$", user, re.M)
    return Ask(sentences, q.group(1) if q else "", messages)


@dataclass
class Script:
    reply: object = "NOT IN THE DOCUMENTS"     # text, or a function Ask -> text
    status: int | None = None                  # answer with this HTTP status instead
    delay: float = 0.0                         # seconds before the response starts
    piece_delay: float = 0.0                   # seconds between streamed pieces
    cut_after: int | None = None               # close the connection after this many pieces
    malformed: bool = False                    # stream data that is not JSON
    empty: bool = False                        # a stream that ends with no text
    announce: bool = False                     # print "streaming" when a reply starts (process mode)
    requests: list = field(default_factory=list)


def _handler(script: Script):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):           # quiet
            pass

        def do_GET(self):
            if self.path.rstrip("/").endswith("/models"):
                return self._json(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})
            return self._json(404, {"error": {"message": "not found"}})

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            script.requests.append({"body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
            time.sleep(script.delay)
            if script.status:
                return self._json(script.status, {"error": {"message": f"scripted {script.status}", "type": "x"}})
            reply = script.reply(read_ask(body.get("messages", []))) if callable(script.reply) else script.reply
            if not body.get("stream"):
                return self._json(200, {"id": "c", "object": "chat.completion", "model": "fake-model", "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}]})
            self._stream("" if script.empty else reply)

        def _stream(self, reply: str):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if script.malformed:
                self._chunk(b"data: {this is not json\n\n")
                return self._end()
            for i, piece in enumerate(re.findall(r"\S+\s*", reply)):
                if script.cut_after is not None and i >= script.cut_after:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)      # no final chunk: the stream is cut
                    self.close_connection = True
                    return
                self._event({"index": 0, "delta": {"content": piece}, "finish_reason": None})
                if script.announce and i == 0:
                    print("streaming", flush=True)            # the first piece of the answer is out
                time.sleep(script.piece_delay)
            self._event({"index": 0, "delta": {}, "finish_reason": "stop"})
            self._end()

        def _event(self, choice: dict):
            data = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
                    "choices": [choice]}
            self._chunk(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())

        def _end(self):
            self._chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _chunk(self, data: bytes):
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _json(self, status: int, payload: dict):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return Handler


class FakeLLM:
    """The scripted server in a thread of this process; a context manager."""

    def __init__(self, reply=None, port: int = 0, **modes):
        self.script = Script(reply if reply is not None else Script.reply, **modes)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.script))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    @property
    def requests(self) -> list:
        return self.script.requests

    def __enter__(self) -> "FakeLLM":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--piece-delay", type=float, default=0.3)
    parser.add_argument("--reply", default="The answer is being written slowly, one word at a time, " * 20)
    args = parser.parse_args(argv)
    server = FakeLLM(args.reply, port=args.port, piece_delay=args.piece_delay, announce=True)
    print("ready", flush=True)
    server.server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
