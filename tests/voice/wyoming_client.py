#!/usr/bin/env python3
"""tests/voice/wyoming_client.py - a Wyoming client written from the protocol's documents
(rhasspy/wyoming: a JSON header line, data_length bytes of JSON data, payload_length bytes of
payload) that talks to edged as Home Assistant's Wyoming integration does: describe, then per
recording detect(names), audio-start, chunks of 1024 samples, audio-stop.

Usage: wyoming_client.py HOST PORT VOICE_DIR
Checks (exit 1 with what failed, 0 when all hold):
  - describe -> info lists the wake words with name, phrase and languages;
  - each positive recording of VOICE_DIR/wav is detected by its model, once, with the name asked;
  - snowboy.wav gives not-detected from every model;
  - 10 satellites streaming alexa.wav at once, paced in real time: each detected once.
Python's standard library only."""

import json
import socket
import sys
import threading
import time
import wave

CHUNK = 1024  # samples, as Home Assistant's satellites send

# recording -> the model that must detect it (openWakeWord's, then microWakeWord's)
POSITIVES = [("alexa", "alexa_v0.1"), ("hey_jarvis", "hey_jarvis_v0.1"),
             ("hey_rhasspy", "hey_rhasspy_v0.1"), ("computer", "computer_v2"),
             ("okay_nabu", "okay_nabu")]


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buf = b""

    def send(self, type_, data=None, payload=b""):
        head = {"type": type_, "version": "1.7.0"}
        body = b""
        if data is not None:
            body = json.dumps(data).encode()
            head["data_length"] = len(body)
        if payload:
            head["payload_length"] = len(payload)
        self.sock.sendall(json.dumps(head).encode() + b"\n" + body + payload)

    def _take(self, n):
        while len(self.buf) < n:
            more = self.sock.recv(65536)
            if not more:
                raise EOFError("edged closed the connection")
            self.buf += more
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def event(self):
        while b"\n" not in self.buf:
            more = self.sock.recv(65536)
            if not more:
                raise EOFError("edged closed the connection")
            self.buf += more
        line, self.buf = self.buf.split(b"\n", 1)
        head = json.loads(line)
        data = head.get("data") or {}
        if head.get("data_length"):
            data.update(json.loads(self._take(head["data_length"])))
        if head.get("payload_length"):
            self._take(head["payload_length"])
        return head["type"], data

    def close(self):
        self.sock.close()


def read_wav(path):
    with wave.open(path) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (16000, 2, 1), path
        return w.readframes(w.getnframes())


def stream(client, pcm, names, paced=False):
    """One session as Home Assistant runs it; the events it got, up to not-detected or the
    info of a describe sent after audio-stop (the end marker: edged answers in order)."""
    if names is not None:
        client.send("detect", {"names": names})
    fmt = {"rate": 16000, "width": 2, "channels": 1}
    client.send("audio-start", dict(fmt, timestamp=0))
    start = time.monotonic()
    for i in range(0, len(pcm), CHUNK * 2):
        ms = i // 32
        if paced:
            wait = start + ms / 1000 - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        client.send("audio-chunk", dict(fmt, timestamp=ms), pcm[i:i + CHUNK * 2])
    client.send("audio-stop", {"timestamp": len(pcm) // 32})
    client.send("describe")
    got = []
    while True:
        t, d = client.event()
        if t == "info":
            return got
        got.append((t, d))


def main():
    host, port, voice = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    failures = []
    c = Client(host, port)
    c.send("describe")
    t, info = c.event()
    assert t == "info", t
    models = {}
    for prog in info.get("wake", []):
        for m in prog["models"]:
            models[m["name"]] = m
            if not m.get("phrase") or not isinstance(m.get("languages"), list):
                failures.append("info: model %s lacks phrase or languages: %s" % (m["name"], m))
    print("info: %s" % ", ".join("%s (%s, %s)" % (n, m["phrase"], "/".join(m["languages"]))
                                  for n, m in sorted(models.items())))
    if "vad" in models:
        failures.append("info lists microWakeWord's VAD model as a wake word")

    for wav, model in POSITIVES:
        if model not in models:
            print("SKIP %s: edged offers no model %s" % (wav, model))
            continue
        got = stream(c, read_wav("%s/wav/%s.wav" % (voice, wav)), [model])
        dets = [d for t, d in got if t == "detection"]
        print("%s.wav with %s: %s" % (wav, model, got))
        if len(dets) != 1 or dets[0].get("name") != model:
            failures.append("%s.wav: want one detection of %s, got %s" % (wav, model, got))
        if any(t == "not-detected" for t, _ in got):
            failures.append("%s.wav: not-detected after a detection" % wav)

    got = stream(c, read_wav("%s/wav/snowboy.wav" % voice), None)
    print("snowboy.wav with every model: %s" % got)
    if got != [("not-detected", {})]:
        failures.append("snowboy.wav: want only not-detected, got %s" % got)
    c.close()

    # 10 satellites at once, each streaming alexa.wav in real time on its own connection
    pcm = read_wav("%s/wav/alexa.wav" % voice)
    results = [None] * 10

    def satellite(i):
        try:
            s = Client(host, port)
            results[i] = stream(s, pcm, ["alexa_v0.1"], paced=True)
            s.close()
        except Exception as e:  # reported below
            results[i] = "failed: %r" % e

    threads = [threading.Thread(target=satellite, args=(i,)) for i in range(10)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for i, r in enumerate(results):
        dets = [d for t, d in r if t == "detection"] if isinstance(r, list) else []
        if len(dets) != 1 or dets[0].get("name") != "alexa_v0.1":
            failures.append("satellite %d: want one detection of alexa_v0.1, got %s" % (i, r))
    print("10 satellites at once: %d detected once" %
          sum(isinstance(r, list) and len([1 for t, _ in r if t == "detection"]) == 1
              for r in results))

    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
