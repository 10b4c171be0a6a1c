#!/usr/bin/python3
"""tests/integration/frigate_client.py - Frigate's two detectors against edged, as their code does.

Owns: the client side of tests/integration/test_frigate.c, with Debian's pyzmq and the standard
library only (no numpy: rows are lists of six floats):
  - FrigateZmq: Frigate's `zmq` detector (frigate/detectors/plugins/zmq_ipc.py) step by step:
    model_name = os.path.basename(model.path) (a TypeError when model.path is unset, as
    Frigate's); a REQ socket with RCVTIMEO/SNDTIMEO = request_timeout_ms and LINGER linger_ms;
    at start the handshake with a 30 s receive timeout, then the upload of model.path when the
    model is not available; _model_ready only ever set to True; detect_raw sends [header,
    tensor], and on zmq.Again or any ZMQError re-creates the socket and handshakes again (30 s),
    returning 20 zero rows; a reply of one frame must be 480 bytes.
  - deepstack(): Frigate's `deepstack` detector's detect_raw: a multipart POST of the JPEG with
    the form field api_key, timeout = api_timeout (connect and each read), then its loop over
    the predictions into 20 rows, which raises IndexError at a 21st with confidence >= 0.4.
Scenarios (the first argument) print "ok: ..." lines and exit 0, or print "FAIL: ..." and exit 1.

Usage: frigate_client.py SCENARIO key=value ...
"""
import http.client
import json
import os
import struct
import sys
import time
import uuid

import zmq

LOG = []  # what Frigate's plugin would log, (level, message)


def log(level, msg):
    LOG.append((level, msg))
    print("frigate-log %s: %s" % (level, msg))


def zeros():
    return [[0.0] * 6 for _ in range(20)]


class FrigateZmq:
    """Frigate's ZmqIpcDetector, its calls in its order."""

    def __init__(self, endpoint, model_path, model_type="ssd", request_timeout_ms=200,
                 linger_ms=0, handshake_timeout_ms=30000):
        self._context = zmq.Context()
        self._endpoint = endpoint
        self._request_timeout_ms = request_timeout_ms
        self._linger_ms = linger_ms
        self._handshake_timeout_ms = handshake_timeout_ms  # Frigate's is 30000, fixed
        self.model_path = model_path
        self.model_type = model_type
        self._socket = None
        self.last_handshake = None
        self._create_socket()
        self._model_ready = False
        self._model_name = os.path.basename(model_path)  # TypeError on None, as Frigate's
        self._initialize_model()

    def _create_socket(self):
        if self._socket is not None:
            try:
                self._socket.close(linger=self._linger_ms)
            except Exception:
                pass
        self._socket = self._context.socket(zmq.REQ)
        self._socket.setsockopt(zmq.RCVTIMEO, self._request_timeout_ms)
        self._socket.setsockopt(zmq.SNDTIMEO, self._request_timeout_ms)
        self._socket.setsockopt(zmq.LINGER, self._linger_ms)
        self._socket.connect(self._endpoint)

    def _initialize_model(self):
        try:
            if self._check_and_transfer_model():
                self._model_ready = True
            else:
                log("error", "Failed to initialize model %s" % self._model_name)
        except Exception as e:
            log("error", "Failed to initialize model: %s" % e)

    def _ask_long(self, frames):
        self._socket.send_multipart(frames)
        original = self._socket.getsockopt(zmq.RCVTIMEO)
        self._socket.setsockopt(zmq.RCVTIMEO, self._handshake_timeout_ms)
        try:
            return self._socket.recv_multipart()
        finally:
            self._socket.setsockopt(zmq.RCVTIMEO, original)

    def _check_and_transfer_model(self):
        try:
            reply = self._ask_long([json.dumps({"model_request": True,
                                                "model_name": self._model_name}).encode()])
            if len(reply) != 1:
                return False
            r = json.loads(reply[0].decode())
            self.last_handshake = r
            if r.get("model_available", False) and r.get("model_loaded", False):
                return True
            if r.get("model_available", False):
                log("error", "Model exists but failed to load")
                return False
            return self._send_model_data()
        except Exception as e:
            log("error", "Failed to check and transfer model: %s" % e)
            return False

    def _send_model_data(self):
        try:
            if not os.path.exists(self.model_path):
                log("error", "Model file not found: %s" % self.model_path)
                return False
            data = open(self.model_path, "rb").read()
            reply = self._ask_long([json.dumps({"model_data": True,
                                                "model_name": self._model_name}).encode(), data])
            if len(reply) != 1:
                return False
            r = json.loads(reply[0].decode())
            ok = r.get("model_saved", False) and r.get("model_loaded", False)
            if not ok:
                log("error", "Model transfer failed: saved=%s, loaded=%s" %
                    (r.get("model_saved", False), r.get("model_loaded", False)))
            return ok
        except Exception as e:
            log("error", "Failed to send model data: %s" % e)
            return False

    def detect_raw(self, height, width, tensor):
        """Frigate's detect_raw: 20 rows; zero rows on a timeout, an error or a bad reply."""
        if not self._model_ready:
            log("warning", "Model not ready, returning zero detections")
            return zeros()
        try:
            header = json.dumps({"shape": [1, height, width, 3], "dtype": "uint8",
                                 "model_type": self.model_type}).encode()
            self._socket.send_multipart([header, tensor])
            frames = self._socket.recv_multipart()
            if len(frames) == 1 and len(frames[0]) == 480:
                v = struct.unpack("<120f", frames[0])
                return [list(v[6 * i:6 * i + 6]) for i in range(20)]
            log("warning", "ZMQ detector received unexpected payload size: %d (%s)" %
                (len(frames[0]), frames[0][:300]))
            return zeros()
        except zmq.Again:
            log("debug", "ZMQ detector request timed out; resetting socket")
            self._create_socket()
            self._initialize_model()
            return zeros()
        except zmq.ZMQError as exc:
            log("error", "ZMQ detector ZMQError: %s; resetting socket" % exc)
            self._create_socket()
            self._initialize_model()
            return zeros()


def deepstack(url_host, url_port, path, jpeg, api_key="", api_timeout=0.1):
    """Frigate's DeepStack.detect_raw on an already encoded JPEG: 20 rows (IndexError past 20)."""
    boundary = uuid.uuid4().hex
    body = (("--%s\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n%s\r\n"
             "--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image\"\r\n\r\n")
            % (boundary, api_key, boundary)).encode() + jpeg + ("\r\n--%s--\r\n" % boundary).encode()
    c = http.client.HTTPConnection(url_host, url_port, timeout=api_timeout)
    c.request("POST", path, body, {"Content-Type": "multipart/form-data; boundary=" + boundary})
    j = json.loads(c.getresponse().read())
    c.close()
    rows = zeros()
    if j.get("predictions") is None:
        return rows, j
    for i, d in enumerate(j["predictions"]):
        if d["confidence"] < 0.4:
            break
        # Frigate maps the label through its labelmap (an unknown one stops the loop); the class
        # does not matter here
        rows[i] = [0, float(d["confidence"]), 0, 0, 0, 0]  # IndexError at i == 20, as Frigate's
    return rows, j


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def found(rows):
    return [r for r in rows if r[1] > 0]


def main():
    scenario = sys.argv[1]
    a = dict(kv.split("=", 1) for kv in sys.argv[2:])
    timeout = int(a.get("timeout_ms", "200"))
    h, w = int(a.get("height", "0")), int(a.get("width", "0"))
    tensor = open(a["tensor"], "rb").read() if "tensor" in a else b""

    if "pid_file" in a:
        with open(a["pid_file"], "w") as pf:
            pf.write("%d\n" % os.getpid())

    if scenario == "documented":
        # Frigate's config as docs/operations.md prints it: model.path names the edged model
        det = FrigateZmq(a["endpoint"], a["model_path"], a.get("model_type", "ssd"), timeout)
        check(det._model_ready, "handshake for %s: ready (%s)" % (a["model_path"],
                                                                 det.last_handshake))
        want = int(a["want_class"])
        for attempt in range(3):
            rows = found(det.detect_raw(h, w, tensor))
            check(len(rows) >= 1 and int(rows[0][0]) == want,
                  "model_type %s: the best row is class %d: %s" % (det.model_type, want,
                                                                  rows[:1]))
            check(all(rows[i][1] >= rows[i + 1][1] for i in range(len(rows) - 1)),
                  "sorted by score")
        if "box" in a:
            box = [float(v) for v in a["box"].split(",")]
            top = rows[0]
            got = [top[3], top[2], top[5], top[4]]
            check(all(abs(x - y) < 0.01 for x, y in zip(got, box)),
                  "the box %s within 0.01 of %s" % (got, box))
        check(not [m for lv, m in LOG if lv != "debug"], "Frigate logged no problem")

    elif scenario == "no_path":
        try:
            FrigateZmq(a["endpoint"], None)
            check(False, "Frigate's plugin without model.path")
        except TypeError:
            check(True, "without model.path Frigate's plugin raises TypeError (the docs set it)")

    elif scenario == "refused":
        det = FrigateZmq(a["endpoint"], a["model_path"], "yologeneric", timeout)
        check(not det._model_ready, "a model edged does not serve: not ready")
        err = (det.last_handshake or {}).get("error", "")
        check(det.last_handshake.get("model_available") is False and a["says"] in err,
              "the handshake refuses it by name: %s" % det.last_handshake)
        check(any("Failed to initialize model" in m for lv, m in LOG if lv == "error"),
              "Frigate logs the failure (no silent zero detections)")

    elif scenario == "two_models":
        # two Frigate detectors naming two models: each socket's frames go to its model
        d1 = FrigateZmq(a["endpoint"], a["model1"], "ssd", timeout)
        d2 = FrigateZmq(a["endpoint"], a["model2"], "ssd", timeout)
        check(d1._model_ready and d2._model_ready, "both handshakes ready")
        t1, t2 = open(a["tensor1"], "rb").read(), open(a["tensor2"], "rb").read()
        r1 = found(d1.detect_raw(int(a["h1"]), int(a["w1"]), t1))
        r2 = found(d2.detect_raw(int(a["h2"]), int(a["w2"]), t2))
        check(any(int(r[0]) == int(a["class1"]) for r in r1),
              "model 1's frame: its kite (class %s) in %s" % (a["class1"], r1))
        check(r2 and int(r2[0][0]) == int(a["class2"]), "model 2's frame: %s" % r2[:1])
        check(not [m for lv, m in LOG if lv != "debug"], "Frigate logged no problem")

    elif scenario == "outage":
        # detect, then keep detecting (as Frigate's detector process does) while edged is
        # stopped for longer than the handshake's 30 s, until edged is back and answers again
        det = FrigateZmq(a["endpoint"], a["model_path"], "ssd", timeout)
        start = time.monotonic()  # a busy machine may miss Frigate's timeout now and then
        while not found(det.detect_raw(h, w, tensor)) and time.monotonic() - start < 120:
            pass
        check(det._model_ready and time.monotonic() - start < 120, "detections before")
        open(a["ready_file"], "w").close()
        while not os.path.exists(a["back_file"]):
            det.detect_raw(h, w, tensor)
        back = time.monotonic()
        limit = float(a.get("recover_s", "120"))
        while time.monotonic() - back < limit:
            if found(det.detect_raw(h, w, tensor)):
                check(True, "detections again %.1f s after edged came back" %
                      (time.monotonic() - back))
                break
        else:
            check(False, "no detections within %.0f s after edged came back" % limit)

    elif scenario == "wire":
        # the raw messages: garbage gets a JSON error and the endpoint serves on; uploads
        ctx = zmq.Context()
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.RCVTIMEO, timeout)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(a["endpoint"])

        def ask(frames):
            s.send_multipart(frames)
            return s.recv_multipart()
        header = json.dumps({"shape": [1, h, w, 3], "dtype": "uint8",
                             "model_type": "yologeneric"}).encode()
        for frames, what in [
            ([b"\xff\xfe not json"], "not a JSON object"),
            ([b"{}"], "a one-frame request must be"),
            ([header, tensor, b"x"], "frames"),
            ([json.dumps({"shape": [1, h, w], "dtype": "uint8"}).encode(), tensor], "shape"),
            ([json.dumps({"shape": [1, h, w, 3], "dtype": "float32"}).encode(), tensor], "dtype"),
            ([header, tensor[:-1]], "bytes"),
        ]:
            reply = ask(frames)
            err = json.loads(reply[0]).get("error", "")
            check(len(reply) == 1 and what in err, "garbage (%s): error '%s'" % (what, err))
        r = json.loads(ask([json.dumps({"model_data": True, "model_name": "other"}).encode(),
                            b"x"])[0])
        check(r["model_saved"] is False and "only [frigate] model" in r.get("error", ""),
              "upload of another model: %s" % r)
        r = json.loads(ask([json.dumps({"model_data": True, "model_name": "yolo.tflite"}).encode(),
                            b"TFL3 is not enough"])[0])
        check(r == {"model_saved": True, "model_loaded": False}, "upload of a broken file: %s" % r)
        r = json.loads(ask([json.dumps({"model_data": True, "model_name": "yolo.tflite"}).encode(),
                            open(a["model_file"], "rb").read()])[0])
        check(r == {"model_saved": True, "model_loaded": True}, "upload of the model: %s" % r)
        out = ask([header, tensor])
        check(len(out[0]) == 480 and struct.unpack("<f", out[0][:4])[0] == 33.0,
              "served by the uploaded version")
        s.close(linger=0)

    elif scenario == "burst":
        # FRAMES sockets send a frame at once (Frigate's detector processes): every one gets
        # an answer, rows or the error of a frame dropped at its deadline
        ctx = zmq.Context()
        socks = []
        header = json.dumps({"shape": [1, h, w, 3], "dtype": "uint8",
                             "model_type": "yologeneric"}).encode()
        for _ in range(int(a["frames"])):
            s = ctx.socket(zmq.REQ)
            s.setsockopt(zmq.RCVTIMEO, timeout)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(a["endpoint"])
            socks.append(s)
        for s in socks:
            s.send_multipart([header, tensor])
        dropped = 0
        for s in socks:
            r = s.recv_multipart()
            if len(r[0]) != 480:
                err = json.loads(r[0]).get("error", "")
                check("deadline passed" in err, "a dropped frame says why: %s" % err)
                dropped += 1
        check(True, "%d of %d frames dropped at the deadline" % (dropped, len(socks)))
        check(dropped >= 1, "a frame that waited past the deadline was dropped")

    elif scenario == "gone":
        # Frigate gives up on frames (its timeout): edged drops those not started, serves on
        det = FrigateZmq(a["endpoint"], a["model_path"], "yologeneric", timeout)
        check(det._model_ready, "ready")
        for _ in range(int(a.get("frames", "6"))):
            det.detect_raw(h, w, tensor)
        check(True, "sent frames with a %d ms timeout" % timeout)

    elif scenario == "deepstack":
        # Frigate's detector posts frame after frame: with the documented api_timeout the
        # frames are answered (one slow frame on a busy machine is what Frigate also loses)
        jpeg = open(a["jpeg"], "rb").read()
        j, rows, lost = {}, zeros(), 0
        for attempt in range(int(a.get("attempts", "10"))):
            try:
                rows, j = deepstack("127.0.0.1", int(a["port"]),
                                    a.get("path", "/v1/vision/detection"), jpeg,
                                    a.get("api_key", ""), float(a["api_timeout"]))
                break
            except (TimeoutError, OSError) as e:  # requests' ReadTimeout / ConnectTimeout
                lost += 1
                print("lost a frame at api_timeout %s: %s" % (a["api_timeout"], e))
        print("%d frames lost before one was answered" % lost)
        n = sum(1 for p in j.get("predictions", []) if p["confidence"] >= 0.4)
        check(j.get("success") is True and len(found(rows)) >= int(a.get("want", "1")),
              "Frigate's deepstack detector with api_timeout %s: %d rows (%d predictions "
              ">= 0.4)" % (a["api_timeout"], len(found(rows)), n))
        if "max" in a:
            check(len(j["predictions"]) <= int(a["max"]), "at most %s predictions" % a["max"])
    else:
        check(False, "unknown scenario " + scenario)
    print("all Frigate checks passed")


if __name__ == "__main__":
    main()
