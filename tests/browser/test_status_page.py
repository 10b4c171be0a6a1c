#!/usr/bin/env python3
"""tests/browser/test_status_page.py - edged's status page (GET /) in a real headless Chromium.

Owns: the end-to-end check of daemon/status_page.html: edged started on a temporary Unix
socket and a TCP port with a repository of the shared zoo's SSD detector, bird classifier and
the shared hello_world and person_detect models, plus a broken file; chromedriver started on a
free port and spoken to with the W3C WebDriver protocol (standard library only, no selenium).
It checks that the page loads without a script error, names every model with its state, that
its throughput and latency plots get new points once requests run (window.edgedStatus, and the
canvas pixels), that a model asked once per polling interval still gets a drawn latency point
and its exact mean compute time beside the percentiles, that the header says how many models
serve ("4 of 5 models serving" with the broken one) and the D-Bus API's state, that the page's
percentile of a known latency distribution over edged's real bucket edges is within 10% of
the truth, that the picture box draws the classifier's classes and the detector's boxes, and
keeps a screenshot (argv[1], default ./status_page.png).
Does not own the page's headers and method handling (tests/integration/test_http_conformance.c).

Exit status: 0 pass, 1 fail, 77 skip (no chromium or chromedriver, unless
EDGED_REQUIRE_BROWSER=1; no $EDGED_BIN or shared zoo). Environment: EDGED_BIN,
EDGE_SHARED_DIR (tests/meson.build)."""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
INTERVAL_MS = 300  # the page's polling period here (?interval=)
MODELS = ("birds", "broken", "hello", "person_detect", "ssd")


class Failed(Exception):
    pass


def skip_or_fail(why):
    if os.environ.get("EDGED_REQUIRE_BROWSER") == "1":
        print("FAIL: %s (EDGED_REQUIRE_BROWSER=1: the browser test must run; "
              "apt-get install chromium chromium-driver)" % why)
        sys.exit(1)
    print("# SKIP: %s" % why)
    sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=60):
    """(status, bytes) of METHOD URL; HTTP errors are answers too."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if isinstance(body, (dict, list)):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_for(what, check, timeout, step=0.1):
    """CHECK()'s first true value within TIMEOUT seconds, else Failed naming WHAT."""
    end = time.monotonic() + timeout
    while True:
        v = check()
        if v:
            return v
        if time.monotonic() > end:
            raise Failed("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(step)


def stop_process(proc, log, timeout):
    """SIGTERM to PROC (SIGKILL after TIMEOUT seconds), then close its LOG: its exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()
    return proc.returncode


class Edged:
    """edged on a temporary socket and TCP port with a small repository."""

    def __init__(self, binary, shared, tmp):
        shared = os.path.realpath(shared)  # chromedriver takes canonical paths only
        zoo = os.path.join(shared, "zoo")
        self.photo = os.path.join(zoo, "images", "kite_and_cold.jpg")
        self.bird = os.path.join(zoo, "images", "parrot.jpg")
        models = os.path.join(tmp, "models")
        os.mkdir(models)
        for name, src, conf in (("ssd", "ssd_mobilenet_v1_coco_quant", "[input]\nresize = stretch\n"),
                                ("birds", "mobilenet_v2_inat_bird_u8", "[input]\nresize = stretch\n")):
            os.makedirs(os.path.join(models, name, "1"))
            os.symlink(os.path.join(zoo, src, "model.tflite"),
                       os.path.join(models, name, "1", "model.tflite"))
            os.symlink(os.path.join(zoo, src, "labels.txt"), os.path.join(models, name, "labels.txt"))
            with open(os.path.join(models, name, "model.conf"), "w") as f:
                f.write(conf)
        os.symlink(os.path.join(shared, "models", "hello_world_int8", "model.tflite"),
                   os.path.join(models, "hello.tflite"))
        os.symlink(os.path.join(shared, "models", "person_detect", "model.tflite"),
                   os.path.join(models, "person_detect.tflite"))
        with open(os.path.join(models, "broken.tflite"), "wb") as f:
            f.write(b"this is not a TensorFlow Lite model" * 4)
        self.sock = os.path.join(tmp, "edged.sock")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        conf = os.path.join(tmp, "edged.conf")
        with open(conf, "w") as f:
            f.write("[dbus]\nbus = none\n[server]\nsocket = %s\ntcp = 127.0.0.1:%d\n"
                    "[models]\nrepository = %s\nintra_op_threads = 2\n" % (self.sock, self.port, models))
        self.log = open(os.path.join(tmp, "edged.log"), "w")
        self.proc = subprocess.Popen([binary, "--config", conf], stdout=self.log,
                                     stderr=subprocess.STDOUT)

        def live():
            if self.proc.poll() is not None:
                raise Failed("edged exited with status %d" % self.proc.returncode)
            try:
                return http("GET", self.base + "/v2/health/live", timeout=2)[0] == 200
            except OSError:
                return False
        wait_for("edged to listen", live, 60)
        # every model settled: the good ones serve, the broken one is UNAVAILABLE
        wait_for("the models to load", lambda: b'"UNAVAILABLE"' in
                 http("GET", self.base + "/v2/health/ready")[1], 60)

    def infer_hello(self, n):
        body = {"inputs": [{"name": self.hello_input, "datatype": "INT8", "shape": [1, 1],
                            "data": [3]}]}
        for _ in range(n):
            st, out = http("POST", self.base + "/v2/models/hello/infer", body)
            if st != 200:
                raise Failed("hello infer: %d %s" % (st, out[:300]))

    def infer_person(self):
        """One request to person_detect (a 96x96x1 int8 picture of zeros)."""
        meta = json.loads(http("GET", self.base + "/v2/models/person_detect")[1])["inputs"][0]
        n = 1
        for d in meta["shape"]:
            n *= d
        body = {"inputs": [{"name": meta["name"], "datatype": meta["datatype"],
                            "shape": meta["shape"], "data": [0] * n}]}
        st, out = http("POST", self.base + "/v2/models/person_detect/infer", body)
        if st != 200:
            raise Failed("person_detect infer: %d %s" % (st, out[:300]))

    def stop(self):
        return stop_process(self.proc, self.log, 30)


class Browser:
    """chromedriver and one headless Chromium session, over W3C WebDriver."""
    ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

    def __init__(self, chromium, chromedriver, tmp):
        self.port = free_port()
        self.log = open(os.path.join(tmp, "chromedriver.log"), "w")
        self.proc = subprocess.Popen([chromedriver, "--port=%d" % self.port],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.base = "http://127.0.0.1:%d" % self.port
        self.sid = None

        def up():
            try:
                return http("GET", self.base + "/status", timeout=2)[0] == 200
            except OSError:
                return False
        wait_for("chromedriver", up, 30)
        caps = {"browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1280,1600",
                             "--user-data-dir=" + os.path.join(tmp, "chromium")]}}
        self.sid = self.cmd("POST", "/session",
                            {"capabilities": {"alwaysMatch": caps}}, prefix=False)["sessionId"]

    def cmd(self, method, path, body=None, prefix=True):
        url = self.base + ("/session/%s" % self.sid if prefix else "") + path
        st, out = http(method, url, body if body is not None else ({} if method == "POST" else None),
                       timeout=120)
        reply = json.loads(out or b"{}")
        if st != 200:
            raise Failed("WebDriver %s %s: %d %s" % (method, path, st, json.dumps(reply)[:500]))
        return reply.get("value")

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def element(self, css):
        return self.cmd("POST", "/element", {"using": "css selector", "value": css})[self.ELEMENT]

    def console(self):
        """The console's messages since the last call (chromedriver's log endpoint)."""
        try:
            return self.cmd("POST", "/se/log", {"type": "browser"}) or []
        except Failed:
            return []

    def quit(self):
        try:
            if self.sid:
                self.cmd("DELETE", "")
        except (Failed, OSError):
            pass
        stop_process(self.proc, self.log, 10)


# Errors the page's own script throws, collected before it runs.
CATCH_ERRORS = """window.__errors = [];
window.addEventListener('error', e => window.__errors.push(String(e.message || e)));
window.addEventListener('unhandledrejection', e => window.__errors.push('unhandled: ' + String(e.reason)));"""

# How many pixels of a canvas are not the plot's white background.
INKED = """const c = arguments[0] ? document.querySelector(arguments[0]) : null;
if (!c || !c.width) return -1;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let n = 0;
for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
return n;"""


# How many pixels of a plot, below its legend (the top 16 CSS pixels), have one of the colours
# arguments[1] ([[r, g, b], ...], within 40 each).
COLOURED = """const c = document.querySelector(arguments[0]);
if (!c || !c.width) return -1;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const top = Math.ceil(16 * (window.devicePixelRatio || 1)) * c.width * 4;
let n = 0;
for (let i = top; i < d.length; i += 4)
  if (arguments[1].some((w) => Math.abs(d[i] - w[0]) < 40 && Math.abs(d[i + 1] - w[1]) < 40 &&
      Math.abs(d[i + 2] - w[2]) < 40)) n++;
return n;"""
# COLORS.p50, p95, p99 and mean in the page
LATENCY_RGB = [[0x16, 0xa3, 0x4a], [0xea, 0x8a, 0x00], [0xdc, 0x26, 0x26], [0x7c, 0x3a, 0xed]]


def check_header(br):
    """The header: how many models serve (not a bare "not ready" for one broken model), and
    the D-Bus API's state (off: this edged runs with [dbus] bus = none)."""
    text = wait_for("the header's count", lambda: (lambda t: t if "of" in t else None)(
        br.js("return document.getElementById('ready').textContent")), 20)
    dbus = br.js("return document.getElementById('dbus').textContent")
    print("# header: %r, %r" % (text, dbus))
    if text != "4 of 5 models serving":
        raise Failed("the header says %r, expected '4 of 5 models serving' (broken fails)" % text)
    if dbus != "D-Bus API: off":
        raise Failed("the header's D-Bus state is %r, expected 'D-Bus API: off'" % dbus)


def check_sparse_model(ed, br):
    """person_detect asked once every three polling intervals: each request's interval is a
    lone point between empty ones, drawn (a dot), with its exact mean beside the percentiles."""
    # the page's real polling period (a loaded machine stretches it): requests 3 periods apart
    polls = lambda: br.js("return window.edgedStatus.polls")
    p0, t0 = polls(), time.monotonic()
    time.sleep(2.0)
    period = max(INTERVAL_MS / 1000.0, (time.monotonic() - t0) / max(1, polls() - p0))
    for _ in range(4):
        ed.infer_person()
        time.sleep(3 * period)
    m = wait_for("person_detect's lone latency points", lambda: (lambda m: m if m and sum(
        1 for p in m["history"] if p["p50"] is not None) >= 3 else None)(br.js(
            "return window.edgedStatus.models.person_detect")), 20)
    pts = [p for p in m["history"] if p["p50"] is not None]
    hist = m["history"]
    alone = sum(1 for i, p in enumerate(hist) if p["p50"] is not None and
                (i == 0 or hist[i - 1]["p50"] is None) and
                (i + 1 == len(hist) or hist[i + 1]["p50"] is None))
    ink = br.js(COLOURED, '#plots .card[data-model="person_detect"] canvas.latency', LATENCY_RGB)
    print("# person_detect: %d points with latency (%d alone), %d drawn, %d pixels of them, "
          "last p50 %.3f ms, mean %s ms" % (len(pts), alone, m["drawn"]["latency"], ink,
                                           pts[-1]["p50"], pts[-1]["mean"]))
    if alone < 1:
        raise Failed("no interval with person_detect's request stood alone: %r" % hist[-12:])
    if m["drawn"]["latency"] < 3 * len(pts):  # p50, p95, p99 at least, each point
        raise Failed("person_detect: %d latency points drawn for %d measured" %
                     (m["drawn"]["latency"], len(pts)))
    if ink < 12:  # at least a lone point's dot (4x4 CSS pixels); lines between none
        raise Failed("person_detect's latency plot shows no point (%d pixels)" % ink)
    if any(p["mean"] is None or p["mean"] <= 0 for p in pts):
        raise Failed("an interval with a request has no mean compute time: %r" % pts)
    cell = br.js("return document.querySelector('#models tr[data-model=\"person_detect\"] "
                 "td.mean').textContent")
    if abs(float(cell) - pts[-1]["mean"]) > 0.006 * pts[-1]["mean"]:  # 3 significant digits
        raise Failed("the mean cell says %r, the last interval's mean is %.6f ms" %
                     (cell, pts[-1]["mean"]))
    # its intra-op team (intra_op_threads = 2): the share of loops run solo, as /metrics says
    def team():
        text = http("GET", ed.base + "/metrics")[1].decode()
        got = {}
        for key, name in (('edged_intra_op_loops_total{model="person_detect",mode="parallel"} ',
                           "parallel"),
                          ('edged_intra_op_loops_total{model="person_detect",mode="solo"} ', "solo"),
                          ('edged_intra_op_solo_spells_total{model="person_detect"} ', "spells"),
                          ('edged_intra_op_solo{model="person_detect"} ', "now")):
            for line in text.splitlines():
                if line.startswith(key):
                    got[name] = int(line[len(key):])
        if len(got) != 4 or got["parallel"] + got["solo"] == 0:
            raise Failed("person_detect's intra-op counters on /metrics: %r" % got)
        loops = got["parallel"] + got["solo"]
        want = "%.1f%% (%d spell%s, %d now)" % (100.0 * got["solo"] / loops, got["spells"],
                                                "" if got["spells"] == 1 else "s", got["now"])
        cell = br.js("return document.querySelector('#models tr[data-model=\"person_detect\"] "
                     "td.team').textContent")
        return (want, cell) if cell == want else None
    want, cell = wait_for("person_detect's solo-loops cell as /metrics says", team, 10)
    print("# person_detect's solo loops: %s" % cell)

    # and the helpers' share of the work: their seconds in the tasks over the workers' own
    def helpers():
        text = http("GET", ed.base + "/metrics")[1].decode()
        got = {}
        for thread in ("caller", "helpers"):
            key = 'edged_intra_op_work_seconds_total{model="person_detect",thread="%s"} ' % thread
            for line in text.splitlines():
                if line.startswith(key):
                    got[thread] = float(line[len(key):])
        if len(got) != 2 or got["caller"] <= 0:
            raise Failed("person_detect's intra-op work on /metrics: %r" % got)
        want = "%.0f%%" % (100.0 * got["helpers"] / got["caller"])
        cell = br.js("return document.querySelector('#models tr[data-model=\"person_detect\"] "
                     "td.helpers').textContent")
        return (want, cell) if cell == want else None
    want, cell = wait_for("person_detect's helpers cell as /metrics says", helpers, 10)
    print("# person_detect's helpers did %s of its workers' own threads' work" % cell)


def check_quantile(ed, br):
    """The page's p50 over edged's real bucket edges (hello's compute histogram on /metrics)
    for a known distribution (465 ms, YOLOv8n's, 3% spread; 25 us; 3.1 ms): within 10%."""
    text = http("GET", ed.base + "/metrics")[1].decode()
    key = 'edged_request_compute_seconds_bucket{model="hello",le="'
    edges = []
    for line in text.splitlines():
        if line.startswith(key):
            le = line[len(key):].split('"')[0]
            edges.append(float("inf") if le == "+Inf" else float(le))
    if len(edges) < 60:
        raise Failed("hello's compute histogram has %d buckets" % len(edges))
    import random
    rnd = random.Random(7)
    for mean in (0.465, 25e-6, 0.0031):
        xs = sorted(rnd.gauss(mean, 0.03 * mean) for _ in range(2001))
        truth = xs[1000]
        cum = [[le if le != float("inf") else "Infinity", sum(1 for x in xs if x <= le)]
               for le in edges]
        got = br.js("const b = arguments[0].map(([le, c]) => [le === 'Infinity' ? Infinity : le, c]);"
                    "return window.edgedStatus.quantile(0.5, b, null);", cum)
        print("# page p50 of %g s +-3%%: %.6g s (true %.6g s, %.1f%% off)" %
              (mean, got, truth, 100 * abs(got - truth) / truth))
        if abs(got - truth) > 0.10 * truth:
            raise Failed("the page's p50 %.6g s is not within 10%% of %.6g s" % (got, truth))


TORN = """
const h = (n) => [[0.001, n], [Infinity, n]];          // a compute histogram of N requests
const m = { history: [], prev: null, held: null };
const S = window.edgedStatus;
S.sample(m, 1000, 0, h(0), h(0), { count: 0, ns: 0 });
S.sample(m, 2000, 0, h(1), h(1), { count: 0, ns: 0 });  // /metrics saw it, the stats not yet
S.sample(m, 3000, 1, h(1), h(1), { count: 1, ns: 500000 });
S.sample(m, 4000, 1, h(1), h(1), { count: 1, ns: 500000 });
S.sample(m, 5000, 1, h(2), h(2), { count: 1, ns: 500000 });  // a failed request: no mean
S.sample(m, 6000, 1, h(2), h(2), { count: 1, ns: 500000 });
return m.history.map((p) => [p.p50, p.mean]);
"""


def check_torn_poll(br):
    """A request that ends between the page's two reads (/metrics, /v2/models/stats) is in
    the histogram and not yet in compute_infer: no interval may show percentiles without the
    mean (the race seen once under load); the next interval shows both. A failed request (in
    the histogram only) still gets its percentiles, one poll late."""
    got = br.js(TORN)
    print("# torn polls (p50, mean) per interval: %r" % got)
    if any(p50 is not None and mean is None for p50, mean in got[:3]):
        raise Failed("an interval shows percentiles without the mean: %r" % got)
    if got[0] != [None, None] or got[1][0] is None or abs(got[1][1] - 0.5) > 1e-9:
        raise Failed("the torn request is not one interval with p50 and mean 0.5 ms: %r" % got)
    if got[2] != [None, None] or got[3] != [None, None] or got[4][0] is None or \
            got[4][1] is not None:
        raise Failed("a failed request's interval (percentiles, no mean) is wrong: %r" % got)


def check_page(ed, br, shot):
    t0 = time.monotonic()
    br.cmd("POST", "/goog/cdp/execute",
           {"cmd": "Page.addScriptToEvaluateOnNewDocument", "params": {"source": CATCH_ERRORS}})
    br.cmd("POST", "/url", {"url": "%s/?interval=%d" % (ed.base, INTERVAL_MS)})
    state = lambda: br.js("return window.edgedStatus ? {polls: window.edgedStatus.polls, "
                          "errors: window.__errors, lastError: window.edgedStatus.lastError} : null")
    wait_for("the page's first poll", lambda: (state() or {}).get("polls", 0) >= 2, 30)
    print("# page up after %.1f s" % (time.monotonic() - t0))
    # every model, with its state
    rows = wait_for("every model in the table", lambda: (lambda r: r if sorted(r) == sorted(MODELS)
                    else None)(br.js("const r = {}; for (const tr of document.querySelectorAll("
                                     "'#models tr')) r[tr.dataset.model] = tr.children[2]"
                                     ".firstChild.textContent; return r;")), 30)
    print("# models on the page:", json.dumps(rows, sort_keys=True))
    for m in ("birds", "hello", "person_detect", "ssd"):
        if rows[m] != "ready":
            raise Failed("model %s shows state %r, expected ready" % (m, rows[m]))
    if rows["broken"] != "unavailable":
        raise Failed("model broken shows state %r, expected unavailable" % rows["broken"])
    errs = br.js("return [...document.querySelectorAll('#load-errors li')].map(l => l.textContent)")
    if not any(e.startswith("broken") and "TFL3" in e for e in errs):
        raise Failed("the broken model's load error is not listed: %r" % errs)
    body = br.js("return document.body.innerText")
    for m in MODELS:
        if m not in body:
            raise Failed("model %s is not on the page" % m)
    # throughput: requests run, the plot gets non-zero points
    before = br.js("return window.edgedStatus.models.hello.history.length")
    ed.hello_input = json.loads(http("GET", ed.base + "/v2/models/hello")[1])["inputs"][0]["name"]
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        ed.infer_hello(20)
    hist = wait_for("a non-zero throughput point of hello", lambda: (lambda h: h if any(
        p["ips"] and p["ips"] > 0 for p in h) else None)(br.js(
            "return window.edgedStatus.models.hello.history.slice(" + str(before) + ")")), 20)
    best = max(p["ips"] for p in hist if p["ips"])
    lat = [p["p50"] for p in hist if p["p50"] is not None]
    if not lat:
        raise Failed("no latency percentile in hello's new points: %r" % hist[-5:])
    print("# hello: %d new points, up to %.0f inferences/s, p50 %.3f ms" % (len(hist), best, lat[-1]))
    sel = '#plots .card[data-model="hello"] canvas.'
    for kind in ("ips", "latency"):
        ink = br.js(INKED, sel + kind)
        if ink < 200:
            raise Failed("hello's %s plot is blank (%d inked pixels)" % (kind, ink))
    check_header(br)
    check_sparse_model(ed, br)
    check_quantile(ed, br)
    check_torn_poll(br)
    # the picture box: the classifier's classes, then the detector's boxes
    for model, photo, kind in (("birds", ed.bird, "classification"),
                               ("ssd", ed.photo, "detection")):
        br.js("window.edgedStatus.upload = null; document.getElementById('try-model').value = "
              "arguments[0]; document.getElementById('try-score').value = '0.5'", model)
        if br.js("return document.getElementById('try-model').value") != model:
            raise Failed("model %s is not offered in the picture box" % model)
        br.cmd("POST", "/element/%s/value" % br.element("#try-file"), {"text": photo})
        br.cmd("POST", "/element/%s/click" % br.element("#try-run"))
        up = wait_for("the %s result" % model, lambda: br.js("return window.edgedStatus.upload"), 60)
        if up.get("error") or not up.get("drawn") or up.get("kind") != kind or up["count"] < 1:
            raise Failed("picture box with %s: %r" % (model, up))
        labels = [p["label"] for p in up["predictions"]]
        print("# %s on %s: %d (%s)" % (model, os.path.basename(photo), up["count"],
                                       ", ".join(labels[:5])))
        if kind == "detection" and not {"person", "kite"} <= set(labels):
            raise Failed("the SSD found %r in kite_and_cold.jpg, expected person and kite" % labels)
        if br.js(INKED, "#try-canvas") < 10000:
            raise Failed("the picture was not drawn")
    # no script error, nothing severe in the console
    st = state()
    if st["errors"]:
        raise Failed("script errors on the page: %r" % st["errors"])
    # (the readiness probe's 503, a broken model in the repository, is what the page reads)
    severe = [m for m in br.console() if m.get("level") == "SEVERE" and not (
        m.get("source") == "network" and "/v2/health/ready" in m.get("message", "")
        and " 503 " in m.get("message", ""))]
    if severe:
        raise Failed("console errors: %r" % severe)
    # the screenshot: the whole page
    height = br.js("return document.documentElement.scrollHeight")
    br.cmd("POST", "/window/rect", {"width": 1280, "height": min(int(height) + 140, 4000)})
    time.sleep(2 * INTERVAL_MS / 1000.0)  # a redraw at the new size
    png = base64.b64decode(br.cmd("GET", "/screenshot"))
    os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
    with open(shot, "wb") as f:
        f.write(png)
    print("# screenshot: %s (%d bytes)" % (os.path.abspath(shot), len(png)))
    print("# browser part took %.1f s" % (time.monotonic() - t0))


def main():
    shot = sys.argv[1] if len(sys.argv) > 1 else "status_page.png"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        skip_or_fail("no %s on PATH" % ("chromium" if not chromium else "chromedriver"))
    binary, shared = os.environ.get("EDGED_BIN"), os.environ.get("EDGE_SHARED_DIR")
    if not binary or not shared or not os.path.isdir(os.path.join(shared or "", "zoo")):
        print("# SKIP: needs $EDGED_BIN and $EDGE_SHARED_DIR/zoo")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="edged-browser-")
    ed = br = None
    rc = 1
    try:
        ed = Edged(binary, shared, tmp)
        br = Browser(chromium, chromedriver, tmp)
        check_page(ed, br, shot)
        rc = 0
    except Failed as e:
        print("FAIL: %s" % e)
    finally:
        if br:
            br.quit()
        if ed:
            st = ed.stop()
            if st != 0:
                print("FAIL: edged exited with status %s after SIGTERM" % st)
                rc = 1
        if rc:
            for log in ("edged.log", "chromedriver.log"):
                path = os.path.join(tmp, log)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        print("# --- %s (end)\n%s" % (log, f.read()[-3000:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS" if rc == 0 else "FAIL")
    return rc


if __name__ == "__main__":
    sys.exit(main())
