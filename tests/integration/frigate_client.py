#!/usr/bin/python3
"""tests/integration/frigate_client.py - Frigate's ZMQ detector, as Frigate speaks it, against edged.

Owns: the client side of tests/integration/test_vision.c's Frigate test, with Debian's pyzmq
exactly as Frigate's zmq detector plugin uses it: a REQ socket with RCVTIMEO/SNDTIMEO (Frigate's
200 ms, longer under valgrind) and LINGER 0, re-created after a timeout or error; the handshake
{"model_request": true, "model_name": ...}; inference [header, tensor] with the uint8 NHWC frame
and the 480-byte float32 [20, 6] reply (class, score, ymin, xmin, ymax, xmax); a peer that sends
and disappears; garbage (not JSON, too many frames, a wrong shape or dtype); model upload. Exits
0 when every check holds, else prints what failed and exits 1.

Usage: frigate_client.py ENDPOINT TIMEOUT_MS TENSOR_FILE H W MODEL_FILE KITE_X0 KITE_Y0 KITE_X1 KITE_Y1
"""
import json
import struct
import sys

import zmq

(endpoint, timeout_ms, tensor_file, height, width, model_file) = sys.argv[1:7]
kite = [float(v) for v in sys.argv[7:11]]
timeout_ms, height, width = int(timeout_ms), int(height), int(width)
ctx = zmq.Context()


def socket():
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    s.setsockopt(zmq.SNDTIMEO, timeout_ms)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    return s


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def ask(s, frames):
    s.send_multipart(frames)
    return s.recv_multipart()


def rows(reply):
    check(len(reply) == 1 and len(reply[0]) == 480, "a reply of 480 bytes (got %s: %s)" %
          ([len(f) for f in reply], reply[0][:200] if len(reply[0]) != 480 else ""))
    vals = struct.unpack("<120f", reply[0])
    return [vals[6 * i:6 * i + 6] for i in range(20)]


s = socket()
# the handshake, for the model served and for one that is not there
r = json.loads(ask(s, [json.dumps({"model_request": True, "model_name": "yolo"}).encode()])[0])
check(r == {"model_available": True, "model_loaded": True}, "handshake: yolo available, loaded")
r = json.loads(ask(s, [json.dumps({"model_request": True, "model_name": "nope.tflite"}).encode()])[0])
check(r == {"model_available": False, "model_loaded": False}, "handshake: nope absent")

tensor = open(tensor_file, "rb").read()
header = json.dumps({"shape": [1, height, width, 3], "dtype": "uint8",
                     "model_type": "yologeneric"}).encode()
for attempt in range(3):  # the same frame three times: the same answer, within the timeout
    out = rows(ask(s, [header, tensor]))
    found = [r for r in out if r[1] > 0]
    check(len(found) >= 2, "detections in the frame (%d)" % len(found))
    check(all(found[i][1] >= found[i + 1][1] for i in range(len(found) - 1)), "sorted by score")
    check(all(r == (0.0,) * 6 for r in out[len(found):]), "zero rows after the last")
    top = out[0]
    check(int(top[0]) == 33 and top[1] > 0.8, "the best is the kite (class 33): %s" % (top,))
    box = [top[3], top[2], top[5], top[4]]  # x0, y0, x1, y1
    check(all(abs(a - b) < 0.01 for a, b in zip(box, kite)),
          "the kite's box %s within 0.01 of %s" % (box, kite))
    check(any(int(r[0]) == 0 for r in found), "a person (class 0)")

# a peer that sends and goes away before the reply (Frigate after its timeout): edged answers
# into the void and serves the next socket
gone = socket()
gone.send_multipart([header, tensor])
gone.close(linger=0)
s.close(linger=0)
s = socket()
check(rows(ask(s, [header, tensor]))[0][0] == 33, "served after a peer vanished")

# garbage: each gets a JSON error (Frigate logs it and takes no detections); then it serves on
for frames, what in [
    ([b"\xff\xfe not json"], "not a JSON object"),
    ([b"{}"], "a one-frame request must be"),
    ([header, tensor, b"x"], "frames"),
    ([json.dumps({"shape": [1, height, width], "dtype": "uint8"}).encode(), tensor], "shape"),
    ([json.dumps({"shape": [1, height, width, 3], "dtype": "float32"}).encode(), tensor], "dtype"),
    ([header, tensor[:-1]], "bytes"),
]:
    reply = ask(s, frames)
    err = json.loads(reply[0]).get("error", "")
    check(len(reply) == 1 and what in err, "garbage (%s): error '%s'" % (what, err))
check(rows(ask(s, [header, tensor]))[0][0] == 33, "served after garbage")

# uploads: a model that is not [frigate] model is refused; a file that is no model is saved and
# refused by the loader (the serving version stays); the real file becomes a new version
r = json.loads(ask(s, [json.dumps({"model_data": True, "model_name": "other"}).encode(), b"x"])[0])
check(r["model_saved"] is False and "only [frigate] model" in r["error"], "upload of another model")
s.setsockopt(zmq.RCVTIMEO, max(timeout_ms, 20000))
r = json.loads(ask(s, [json.dumps({"model_data": True, "model_name": "yolo.tflite"}).encode(),
                       b"TFL3 is not enough"])[0])
check(r == {"model_saved": True, "model_loaded": False}, "upload of a broken file: %s" % r)
r = json.loads(ask(s, [json.dumps({"model_data": True, "model_name": "yolo.tflite"}).encode(),
                       open(model_file, "rb").read()])[0])
check(r == {"model_saved": True, "model_loaded": True}, "upload of the model: %s" % r)
s.setsockopt(zmq.RCVTIMEO, timeout_ms)
check(rows(ask(s, [header, tensor]))[0][0] == 33, "served by the uploaded version")
s.close(linger=0)
ctx.term()
print("all Frigate checks passed")
