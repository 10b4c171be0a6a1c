/* daemon/config.c - edged's configuration: one table of options.
 *
 * Owns: the option table (section, key, command-line name, type, bounds,
 * default, whether SIGHUP applies it, help text) and what is read from it: the
 * defaults, reading an INI file through inih with "FILE:LINE: [section] key:
 * what is wrong" messages, command-line overrides and applying a re-read file
 * on SIGHUP.
 * Does not own: the syntax of each type of value (config_values.c), rendering
 * the table as an INI file or a man page (config_render.c), what the options
 * mean to the modules that use them.
 *
 * The file is parsed into a copy and committed only when every line is good:
 * the first unknown key, unknown section or bad value stops the load. */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config_impl.h"
#include "log.h"

/* Longest path bind(2) accepts in sockaddr_un.sun_path (108 bytes with the NUL). */
#define SOCKET_PATH_MAX 107

#define FIELD(f) offsetof(dm_config, f), sizeof(((dm_config *)0)->f)

const opt dm_config_options[] = {
    {"server", "socket", "socket", OPT_PATH, FIELD(socket_path), 1, SOCKET_PATH_MAX,
     "/run/edged/edged.sock", false,
     "Unix socket serving HTTP/1.1 and the Open Inference Protocol v2. Its folder must exist. "
     "Not used when systemd passes a listening socket (socket activation).",
     NULL},
    {"server", "socket_mode", NULL, OPT_MODE, FIELD(socket_mode), 0, 0777, "0660", false,
     "Permissions of the socket file, in octal. A client needs write permission to connect.", NULL},
    {"server", "tcp", "tcp", OPT_ADDR, FIELD(tcp_listen), 0, 63, "", false,
     "Also serve HTTP on this TCP address (a numeric HOST:PORT, such as 127.0.0.1:8080 or "
     "[::1]:8080). Empty: no TCP listener. Over TCP the peer's credentials are unknown, so the "
     "admin endpoints answer 403 there. Not used when systemd passes a TCP socket.",
     NULL},
    {"server", "admin_group", NULL, OPT_STRING, FIELD(admin_group), 0, 63, "edged", true,
     "Group whose members may use the admin endpoints (/v2/repository: index, load, unload). "
     "Root always may. Empty: root only. The package creates the group edged, whose members "
     "may also call the D-Bus methods that change things.",
     NULL},
    {"server", "max_connections", NULL, OPT_UINT, FIELD(max_connections), 1, 65536, "256", true,
     "Connections served at once on each listener (the Unix socket, [server] tcp and [vision] "
     "listen each have this many, so that a LAN-facing port cannot starve the local socket). "
     "When a new one arrives at the limit, a connection of that listener is closed to make "
     "room: one lingering after its last reply, else the oldest idle keep-alive one (between "
     "requests), else the oldest that has not completed a request (sending nothing, or still "
     "sending its headers or body, answered 503); only when every connection is busy with a "
     "request is the newcomer answered 503.",
     NULL},
    {"server", "max_connections_per_uid", NULL, OPT_UINT, FIELD(max_connections_per_uid), 0, 65536,
     "0", true,
     "Connections one local user (the peer's uid on the Unix socket, SO_PEERCRED) may hold at "
     "once, so that one user cannot starve another; at the limit one of that user's "
     "connections makes room, chosen as for max_connections. 0: no limit below "
     "max_connections.",
     NULL},
    {"server", "reserved_connections", NULL, OPT_UINT, FIELD(reserved_connections), 0, 1024, "8",
     true,
     "Connections accepted beyond max_connections for administrators (root or admin_group, known "
     "on the Unix socket), so that health checks, metrics and the admin endpoints keep working "
     "under a flood.",
     NULL},
    {"server", "idle_timeout_ms", NULL, OPT_UINT, FIELD(idle_timeout_ms), 10, 86400000, "30000",
     true,
     "A connection that sends nothing for this long (milliseconds) between requests, or does not "
     "read its replies for this long, is closed.",
     NULL},
    {"server", "header_timeout_ms", NULL, OPT_UINT, FIELD(header_timeout_ms), 10, 3600000, "10000",
     true,
     "The request line and headers must arrive within this long (milliseconds) of the request's "
     "first byte; otherwise 408 and the connection closes. It is also the window over which "
     "min_body_rate is measured.",
     NULL},
    {"server", "min_body_rate", NULL, OPT_BYTES, FIELD(min_body_rate), 0, 1 * GIB, "1K", true,
     "Slowest a request body may arrive, in bytes per second, measured over each "
     "header_timeout_ms window after the headers; a slower body is answered 408 and the "
     "connection closes. 0: no minimum.",
     NULL},
    {"server", "max_buffered_bytes", NULL, OPT_BYTES, FIELD(max_buffered_bytes), 1 * MIB, 64 * GIB,
     "128M", true,
     "Memory for HTTP traffic across all connections: request headers and bodies being read "
     "(announced bodies are counted in full when their headers arrive), decoded bodies, and "
     "replies waiting for a slow reader. A body that does not fit is refused at its headers with "
     "503 and Retry-After; a connection whose replies do not fit stops reading until they are "
     "written.",
     NULL},
    {"server", "max_header_bytes", NULL, OPT_BYTES, FIELD(max_header_bytes), 1 * KIB, 1 * MIB,
     "16K", true, "Largest request line plus headers; a larger request is refused.", NULL},
    {"server", "max_body_bytes", NULL, OPT_BYTES, FIELD(max_body_bytes), 1 * KIB, 4 * GIB, "64M",
     true,
     "Largest request body (JSON, or JSON plus binary tensor data); a larger request is "
     "refused with 413.",
     NULL},
    {"server", "max_image_pixels", NULL, OPT_UINT, FIELD(max_image_pixels), 1, 1000000000,
     "40000000", true,
     "Largest picture an image request may carry, in pixels (width x height), judged from the "
     "file's header before any pixel is decoded (decoding bombs); a larger one is refused with "
     "413. Each image being decoded takes at most 3 bytes a pixel of this limit, a progressive "
     "JPEG's coefficients counted (a larger decode is refused with 413), two at most at once.",
     NULL},
    {"server", "drain_timeout_ms", NULL, OPT_UINT, FIELD(drain_timeout_ms), 0, 3600000, "10000",
     true,
     "On SIGTERM or SIGINT edged stops accepting, answers every admitted request and exits 0. "
     "If requests are still running after this long (milliseconds), it exits 1.",
     NULL},
    {"models", "repository", "models", OPT_PATH, FIELD(models_dir), 1, 255, "/var/lib/edged/models",
     false,
     "The model repository: NAME.tflite (served as version 1) or NAME/VERSION/model.tflite "
     "(numeric versions; the newest is the default). Names: 1 to 64 characters of A-Z a-z 0-9 "
     "_ . -",
     NULL},
    {"models", "cache_dir", NULL, OPT_STRING, FIELD(cache_dir), 0, 255, "auto", false,
     "Where the weights each model's kernels use are kept once packed: one file per model, "
     "kernel level and thread count, written at the first load and then mapped, so that a "
     "restart or a reload of an unchanged model packs nothing and the packed weights are page "
     "cache rather than edged's own memory. Every file is checked when opened (a stale, "
     "truncated or corrupt one is rebuilt). auto: systemd's cache directory ($CACHE_DIRECTORY: "
     "/var/cache/edged for the unit), else none; empty: none.",
     NULL},
    {"models", "cache_max_bytes", NULL, OPT_BYTES, FIELD(cache_max_bytes), 0, 1 * TIB, "1G", false,
     "Most bytes of packed-weight cache files kept in cache_dir; past it the least recently "
     "used files go (a model using one keeps its mapping; its next load packs again).",
     NULL},
    {"models", "memory_budget", NULL, OPT_BYTES, FIELD(memory_budget), 0, 1 * TIB, "0", false,
     "Most bytes of edged's own memory the models may take together: each resident version's "
     "private data (prepared weights not in the packed-weight cache, a private copy of its "
     "file) plus its activation arena once per worker. Mapped model and cache files are page "
     "cache, counted apart. With a budget, models load on their first request (those whose "
     "model.conf says pin = yes at start, and are never evicted), and when a load needs room the "
     "least recently used models are unloaded; a request for a model not resident waits for its "
     "load within its deadline ([scheduler] default_timeout_ms) or is answered 503 with "
     "Retry-After. 0: no budget, every model loads at start and stays.",
     NULL},
    {"models", "verify", NULL, OPT_CHOICE, FIELD(model_verify), 4, 9, "none", false,
     "Check each model file before it serves: none; digest (MODEL.sha256 next to it, as "
     "sha256sum writes it, names its SHA-256); signature (MODEL.sig, a detached Ed25519 "
     "signature over the file, by a key of trusted_keys: edgectl keygen, edgectl sign). A file "
     "that fails is refused like a corrupt one (the version serving before stays; last_error "
     "says why).",
     "none|digest|signature"},
    {"models", "trusted_keys", NULL, OPT_PATH, FIELD(trusted_keys), 1, 255,
     "/etc/edged/trusted-keys.d", false,
     "The folder of the public keys verify = signature trusts: NAME.pub files (edgectl "
     "keygen), each owned by root or edged's user and writable by nobody else, in a folder "
     "others cannot write; a key that is not is ignored (and named in the error).",
     NULL},
    {"models", "max_arena_bytes", NULL, OPT_BYTES, FIELD(max_arena_bytes), 4 * KIB, 1 * TIB, "512M",
     false,
     "Largest activation arena of one interpreter (each worker has one per model version); a "
     "model that needs more fails to load.",
     NULL},
    /* control flow and resource variables family */
    {"models", "max_while_iterations", NULL, OPT_UINT, FIELD(max_while_iterations), 1, 1000000000,
     "1000000", false,
     "Most WHILE-loop iterations one inference may run (all of a model's WHILE operators "
     "together); past it the request fails with an error naming the operator, and the model "
     "keeps serving. Bounds how long a model whose loop never ends can hold a worker.",
     NULL},
    {"models", "kernels", "kernels", OPT_ISA, FIELD(kernel_isa), 0, 0, "auto", false,
     "Instruction-set level of the int8 kernels: auto (the best this CPU runs), or a lower one "
     "to rule out a kernel problem: scalar (the reference kernels), avx2, avx512vnni on x86-64; "
     "neon, neondot on ARM. The environment variable EDGE_ISA caps it too. The log names the "
     "kernels each model uses.",
     NULL},
    {"models", "intra_op_threads", NULL, OPT_UINT, FIELD(intra_op_threads), 1, 64, "1", false,
     "Threads one inference runs on (convolutions split their rows or channels). Workers "
     "times this should not exceed the CPUs: raise it for few large requests (one big model, "
     "low latency), keep 1 for many small ones.",
     NULL},
    {"models", "watch", NULL, OPT_UINT, FIELD(watch), 0, 1, "1", false,
     "1: watch the repository (inotify) and reload a model when its file is closed after "
     "writing or renamed into place, when a version folder or model.conf changes, and unload it "
     "when its files are removed. 0: only at start, SIGHUP and edgectl reload.",
     NULL},
    {"models", "reload_delay_ms", NULL, OPT_UINT, FIELD(reload_delay_ms), 0, 60000, "5", false,
     "A change is applied once the repository has been quiet this long (milliseconds; bursts "
     "of events, such as a copy of several files, become one reload), and at most ten times "
     "this after the first event.",
     NULL},
    {"scheduler", "workers", "workers", OPT_UINT, FIELD(workers), 0, 1024, "0", false,
     "Worker threads running inferences. 0: one per online CPU.", NULL},
    {"scheduler", "queue_depth", NULL, OPT_UINT, FIELD(queue_depth), 1, 65536, "64", false,
     "Requests waiting per model. When a model's queue is full, a new request is answered at "
     "once with 429 (busy).",
     NULL},
    {"scheduler", "default_timeout_ms", NULL, OPT_UINT, FIELD(default_timeout_ms), 0, 3600000, "0",
     true,
     "Deadline of a request without a timeout parameter (milliseconds). A request that has "
     "not started by its deadline is answered with 504. 0: no deadline.",
     NULL},
    {"scheduler", "inline_max_us", NULL, OPT_UINT, FIELD(inline_max_us), 0, 1000, "20", true,
     "A request whose model computes in at most this many microseconds (smoothed over its "
     "recent requests) runs on the loop thread when nothing of that model is queued: it saves "
     "the two thread handoffs, which cost more than such a model. The loop serves no other "
     "socket meanwhile, so keep it small. 0: every request goes to a worker.",
     NULL},
    /* sequences of stateful models (seq.c) */
    {"scheduler", "max_sequences", NULL, OPT_UINT, FIELD(max_sequences), 1, 65536, "64", true,
     "Live sequences per stateful model (requests with a sequence_id: each sequence keeps its "
     "own copy of the model's state). A sequence_start past the limit is answered with 429 "
     "until one ends (sequence_end) or expires.",
     NULL},
    {"scheduler", "sequence_idle_ms", NULL, OPT_UINT, FIELD(sequence_idle_ms), 10, 86400000,
     "60000", true,
     "A sequence without a request for this long (milliseconds) expires and its state is "
     "freed; its next request without sequence_start is answered with 400, saying so.",
     NULL},
    {"mqtt", "host", "mqtt-host", OPT_STRING, FIELD(mqtt_host), 0, 255, "", false,
     "MQTT broker to take inference requests from (a host name or address). Empty: MQTT is off. "
     "See docs/protocol.md (MQTT) for the topics and payloads.",
     NULL},
    {"mqtt", "port", "mqtt-port", OPT_UINT, FIELD(mqtt_port), 1, 65535, "1883", false,
     "The broker's port (8883 is the usual one for TLS).", NULL},
    {"mqtt", "protocol", NULL, OPT_CHOICE, FIELD(mqtt_protocol), 1, 7, "auto", false,
     "MQTT version edged speaks to the broker: auto (v5, and 3.1.1 when the broker refuses v5), "
     "5 or 3.1.1. Requesters may use either.",
     "auto|5|3.1.1"},
    {"mqtt", "client_id", NULL, OPT_STRING, FIELD(mqtt_client_id), 0, 127, "", false,
     "Client identifier; it names edged's persistent session at the broker, so it must be "
     "stable and unique per daemon. Empty: edged-HOSTNAME.",
     NULL},
    {"mqtt", "username", NULL, OPT_STRING, FIELD(mqtt_username), 0, 127, "", false,
     "User name for the broker. Empty: connect without one.", NULL},
    {"mqtt", "password_file", NULL, OPT_PATH, FIELD(mqtt_password_file), 0, 255, "", false,
     "File holding the broker password (its first line). Keep it readable by edged only.", NULL},
    {"mqtt", "tls", NULL, OPT_UINT, FIELD(mqtt_tls), 0, 1, "0", false,
     "1: connect with TLS. The broker's certificate is checked against tls_ca_file or "
     "tls_ca_path, or the system's certificate authorities when both are empty.",
     NULL},
    {"mqtt", "tls_ca_file", NULL, OPT_PATH, FIELD(mqtt_tls_ca_file), 0, 255, "", false,
     "PEM file of the certificate authorities that sign the broker's certificate.", NULL},
    {"mqtt", "tls_ca_path", NULL, OPT_PATH, FIELD(mqtt_tls_ca_path), 0, 255, "", false,
     "Folder of certificate authority files (hashed, as c_rehash makes it).", NULL},
    {"mqtt", "tls_cert_file", NULL, OPT_PATH, FIELD(mqtt_tls_cert_file), 0, 255, "", false,
     "PEM client certificate, for brokers that require one (with tls_key_file).", NULL},
    {"mqtt", "tls_key_file", NULL, OPT_PATH, FIELD(mqtt_tls_key_file), 0, 255, "", false,
     "PEM private key of the client certificate (unencrypted).", NULL},
    {"mqtt", "tls_verify", NULL, OPT_UINT, FIELD(mqtt_tls_verify), 0, 1, "1", false,
     "1: refuse a broker whose certificate does not chain to the authorities above or does "
     "not name the host. 0: encrypt without checking who answers (logged as a warning; for "
     "testing only).",
     NULL},
    {"mqtt", "topic_prefix", NULL, OPT_TOPIC, FIELD(mqtt_topic_prefix), 0, 127, "", false,
     "Topics of this daemon: requests on PREFIX/infer/MODEL, replies without a response topic "
     "on PREFIX/result/MODEL, PREFIX/status and PREFIX/models. Empty: edged/HOSTNAME.",
     NULL},
    {"mqtt", "fleet_prefix", NULL, OPT_TOPIC, FIELD(mqtt_fleet_prefix), 1, 127, "edged/fleet",
     false,
     "Topics shared by a fleet of daemons: requests on FLEET/infer/MODEL, replies on "
     "FLEET/result/MODEL. Used with shared_group.",
     NULL},
    {"mqtt", "shared_group", NULL, OPT_STRING, FIELD(mqtt_shared_group), 0, 63, "", false,
     "Join the shared subscription $share/GROUP/FLEET/infer/+: the broker hands each fleet "
     "request to one daemon of the group. Empty: no fleet requests.",
     NULL},
    {"mqtt", "qos", NULL, OPT_UINT, FIELD(mqtt_qos), 0, 2, "1", false,
     "QoS of the request subscriptions and of the replies. 1 (at least once) keeps requests "
     "that arrive while edged is away; 0 does not.",
     NULL},
    {"mqtt", "stats_interval_s", NULL, OPT_UINT, FIELD(mqtt_stats_interval_s), 0, 86400, "60",
     false,
     "Every this many seconds (and on each connection) edged publishes its models' statistics, "
     "retained, on PREFIX/stats: the JSON of GET /v2/models/stats (Triton's statistics "
     "extension). 0: never.",
     NULL},
    {"mqtt", "max_inflight", NULL, OPT_UINT, FIELD(mqtt_max_inflight), 1, 65535, "64", false,
     "Requests edged holds at once (received, not yet answered and acknowledged). At the limit "
     "it stops reading from the broker, which keeps the rest.",
     NULL},
    {"mqtt", "max_payload_bytes", NULL, OPT_BYTES, FIELD(mqtt_max_payload_bytes), 1 * KIB,
     256 * MIB - 1, "16M", false,
     "Largest request payload; a larger one gets an error reply (413). MQTT v5 brokers are "
     "told not to send packets over twice this plus 64 KiB; they drop larger ones without a "
     "reply (docs/protocol.md, MQTT size limits).",
     NULL},
    {"mqtt", "keepalive_s", NULL, OPT_UINT, FIELD(mqtt_keepalive_s), 5, 65535, "30", false,
     "Keep-alive interval (seconds): a broker silent for 1.5 times this is taken as gone.", NULL},
    {"mqtt", "session_expiry_s", NULL, OPT_UINT, FIELD(mqtt_session_expiry_s), 0, 4294967295u,
     "86400", false,
     "How long (seconds) the broker keeps edged's session, and the requests for it, while edged "
     "is away (MQTT v5; 3.1.1 brokers keep it until they are told otherwise).",
     NULL},
    {"mqtt", "reconnect_min_ms", NULL, OPT_UINT, FIELD(mqtt_reconnect_min_ms), 10, 3600000, "500",
     false,
     "First delay before reconnecting to the broker; it doubles on every failure, with random "
     "jitter, up to reconnect_max_ms.",
     NULL},
    {"mqtt", "reconnect_max_ms", NULL, OPT_UINT, FIELD(mqtt_reconnect_max_ms), 10, 3600000, "30000",
     false, "Longest delay between two connection attempts.", NULL},
    {"dbus", "bus", NULL, OPT_BUS, FIELD(dbus_bus), 1, 255, "system", false,
     "D-Bus bus to offer the management API (org.edged.Edged1) on: system, user (the session "
     "bus of $DBUS_SESSION_BUS_ADDRESS), none, or a D-Bus address such as "
     "unix:path=/run/test/bus. When the bus cannot be reached edged logs a warning and serves "
     "without D-Bus.",
     NULL},
    {"backends", "dir", "backend-dir", OPT_PATH, FIELD(backend_dir), 0, 255, "", false,
     "Folder of back-end plugins (accelerators: edge-vulkan.so, edge-edgetpu.so, ...). edged "
     "loads every edge-NAME.so in it at start, checks its ABI version and starts it with the "
     "options of its [backend.NAME] section; a plugin that fails is logged and skipped. Empty: "
     "the folder the plugins are installed in (LIBDIR/edged/backends, "
     "/usr/lib/<arch>/edged/backends for the package).",
     NULL},
    {"backends", "default", NULL, OPT_BACKENDS, FIELD(backend_default), 1, 255, "auto", false,
     "Back ends a model runs on when its model.conf does not say (backend = ...): auto (every "
     "available back end whose device is an accelerator, highest priority first, the CPU for "
     "the rest), cpu (the CPU only), or names in priority order (vulkan, edgetpu).",
     NULL},
    {"backends", "fail_limit", NULL, OPT_UINT, FIELD(backend_fail_limit), 1, 1000, "3", true,
     "Device errors in a row after which a back end is marked unhealthy: every model then runs "
     "its partitions on the CPU (where the CPU can run them), without a restart. A reload "
     "(SIGHUP) marks the back ends healthy again.",
     NULL},
    {"vision", "listen", NULL, OPT_ADDR, FIELD(vision_listen), 0, 63, "", false,
     "Serve the DeepStack / CodeProject.AI vision API (POST /v1/vision/detection, "
     "/v1/vision/custom/MODEL, /v1/vision/custom/list, /v1/vision/scene) on this TCP address, "
     "such as 127.0.0.1:32168 (CodeProject.AI's port) or 127.0.0.1:5000 (DeepStack's), for Home "
     "Assistant, Blue Iris, Frigate's deepstack detector. Only those endpoints are served there. "
     "Empty: none (the endpoints are still served on the Unix socket and [server] tcp).",
     NULL},
    {"vision", "api_key", NULL, OPT_STRING, FIELD(vision_api_key), 0, 255, "", true,
     "When set, a vision API request must carry this api_key form field (as DeepStack's "
     "clients send it); otherwise it is refused with 401. Empty: no key. CodeProject.AI's "
     "clients (Blue Iris, its demo, Agent DVR) send no key: leave it empty for them, or list "
     "the endpoints they use in api_key_exempt.",
     NULL},
    {"vision", "api_key_exempt", NULL, OPT_STRING, FIELD(vision_api_key_exempt), 0, 255, "", true,
     "Endpoints served without api_key even when it is set, separated by spaces or commas: "
     "detection, scene, custom/list, custom/MODEL or custom/* (the part after /v1/vision/; the "
     "whole path is accepted too), for clients that send no key (CodeProject.AI's) next to ones "
     "that do (DeepStack's, Home Assistant's deepstack_object). Empty: every endpoint needs the "
     "key.",
     NULL},
    {"vision", "detection_model", NULL, OPT_STRING, FIELD(vision_detection_model), 0, 255, "", true,
     "The model that answers POST /v1/vision/detection. Empty: the only detection model of the "
     "repository when there is exactly one (a model whose outputs are an SSD's or a YOLO head).",
     NULL},
    {"vision", "scene_model", NULL, OPT_STRING, FIELD(vision_scene_model), 0, 255, "", true,
     "The classifier that answers POST /v1/vision/scene (its top class). Empty: the endpoint "
     "answers 404.",
     NULL},
    {"vision", "max_predictions", NULL, OPT_UINT, FIELD(vision_max_predictions), 0, 100000, "0",
     true,
     "At most this many predictions in a detection answer, the most confident first (they are "
     "always sorted by confidence). Frigate's deepstack detector needs 20: it writes the "
     "predictions into 20 rows and fails (IndexError) on a 21st with confidence 0.4 or more. "
     "0: every prediction the model's [detection] settings keep.",
     NULL},
    {"frigate", "endpoint", NULL, OPT_STRING, FIELD(frigate_endpoint), 0, 255, "", false,
     "Serve Frigate's ZMQ detector (detectors: {type: zmq, endpoint: ...}) on this ZMQ "
     "endpoint: ipc:///run/edged/frigate.sock (the folder must exist and Frigate must be able "
     "to open the socket) or tcp://127.0.0.1:5555. Empty: off.",
     NULL},
    {"frigate", "socket_mode", NULL, OPT_MODE, FIELD(frigate_socket_mode), 0, 0777, "0660", false,
     "Permissions of an ipc:// endpoint's socket file, in octal (set at start whatever the "
     "umask: the unit's UMask=0077 would give 0700). Frigate's user needs write permission to "
     "connect.",
     NULL},
    {"frigate", "socket_group", NULL, OPT_STRING, FIELD(frigate_socket_group), 0, 63, "", false,
     "Group of an ipc:// endpoint's socket file (a name): with socket_mode 0660, the members of "
     "this group (Frigate's user) may connect. Empty: edged's own group.",
     NULL},
    {"frigate", "model", NULL, OPT_STRING, FIELD(frigate_model), 0, 255, "", true,
     "The detection model that answers frames of a Frigate that named no model served here in "
     "its handshake (frames after a handshake go to the model it named: Frigate's model.path "
     "file name without its extension). Its outputs and model.conf [detection] say how they "
     "are read (Frigate's model_type yolox only tells a YOLOX head from a YOLOv5 one, which look "
     "alike). Empty: frames need a handshake.",
     NULL},
    {"frigate", "request_timeout_ms", NULL, OPT_UINT, FIELD(frigate_request_timeout_ms), 1, 600000,
     "200", true,
     "Frigate's request_timeout_ms (its default: 200). A frame whose inference has not started "
     "this long after it arrived is dropped without being computed (Frigate has given up on "
     "it); an inference that started is finished, and Frigate takes its answer only if it "
     "comes within its own timeout. Set both to the same value.",
     NULL},
    {"frigate", "allow_model_upload", NULL, OPT_CHOICE, FIELD(frigate_allow_upload), 2, 3, "no",
     true,
     "yes: a model Frigate sends (model_data) becomes a new version of [frigate] model in the "
     "repository (temp file + rename, then loaded and verified like any new file). Anyone who "
     "can reach the endpoint can then replace that model.",
     "no|yes"},
    {"frigate", "max_versions", NULL, OPT_UINT, FIELD(frigate_max_versions), 1, 100000, "5", true,
     "After an upload loaded, the oldest version folders of [frigate] model beyond this many are "
     "removed (never the newest, nor the one that answers requests without a version).",
     NULL},
    {"frigate", "max_versions_bytes", NULL, OPT_BYTES, FIELD(frigate_max_versions_bytes), 0,
     1 * TIB, "256M", true,
     "After an upload loaded, the oldest version folders of [frigate] model are removed until "
     "their files take at most this many bytes (never the newest, nor the one that answers "
     "requests without a version). 0: no bound in bytes.",
     NULL},
    {"systemd", "stuck_worker_ms", NULL, OPT_UINT, FIELD(stuck_worker_ms), 0, 86400000, "60000",
     true,
     "Under a systemd watchdog (WatchdogSec=), edged pings it only while its loop turns and no "
     "worker has been busy on one inference longer than this (milliseconds), so that systemd "
     "restarts a daemon whose workers hang. Set it above the longest inference of your models. "
     "0: workers are not checked.",
     NULL},
    {"power", "profile", NULL, OPT_CHOICE, FIELD(power_profile), 3, 11, "balanced", false,
     "What edged trades for latency. performance: a worker woken ahead of a large request "
     "spins for it (on 4 CPUs or more), intra-op threads spin between operators, an Edge TPU "
     "runs at its highest clock. balanced: the same, but the Edge TPU's clock is libedgetpu's "
     "default. low: nothing spins (every wait sleeps; a request may pay a wakeup or two, tens "
     "of microseconds each), an Edge TPU runs at its lowest clock and the Vulkan device is "
     "closed while no model uses it ([backend.vulkan] idle_release = yes). Options set in a "
     "[backend.NAME] section win. In every profile an idle edged sleeps: no timer runs "
     "without work, but the watchdog's and MQTT's keep-alive. See docs/operations.md, Run on "
     "battery.",
     "performance|balanced|low"},
    {"power", "exit_idle_s", NULL, OPT_UINT, FIELD(exit_idle_s), 0, 86400, "0", false,
     "With socket activation (edged.socket), exit after this many seconds without a "
     "connection, a request, a load or a live sequence (at most 1.25 times it after the last "
     "one; 1 s more below 4 s); systemd starts edged again at the next connection. Ignored "
     "(with a warning) when edged bound its own sockets or serves MQTT, Frigate or [vision] "
     "listen, which nothing would start again. 0: never exit.",
     NULL},
    {"log", "level", "log-level", OPT_LEVEL, FIELD(log_level), 0, 0, "info", true,
     "error, warn, info or debug. At info edged logs start, stop, reloads, model loads and "
     "every problem; nothing per request.",
     NULL},
};

const size_t dm_config_n_options = sizeof dm_config_options / sizeof dm_config_options[0];

const char *const dm_config_sections[] = {"server", "models",   "scheduler", "mqtt",
                                          "dbus",   "backends", "systemd",   "power",
                                          "log",    "vision",   "frigate"};
const size_t dm_config_n_sections = sizeof dm_config_sections / sizeof dm_config_sections[0];

/* ------------------------------------------------------------ the table */

static const opt *find_option(const char *section, const char *key)
{
    for (size_t i = 0; i < dm_config_n_options; i++)
        if (strcmp(dm_config_options[i].section, section) == 0 &&
            strcmp(dm_config_options[i].key, key) == 0)
            return &dm_config_options[i];
    return NULL;
}

/* "backend.NAME": a plugin's options section. */
static bool backend_section(const char *name)
{
    if (strncmp(name, "backend.", 8) != 0 || !name[8])
        return false;
    for (const char *p = name + 8; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return strlen(name + 8) < sizeof(((dm_backend_opt *)0)->backend);
}

static bool known_section(const char *name)
{
    if (backend_section(name))
        return true;
    for (size_t i = 0; i < dm_config_n_sections; i++)
        if (strcmp(dm_config_sections[i], name) == 0)
            return true;
    return false;
}

/* "socket, socket_mode, ..." for messages. */
static void list_keys(const char *section, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dm_config_n_options && used < len; i++)
        if (strcmp(dm_config_options[i].section, section) == 0) {
            const int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                                   dm_config_options[i].key);
            used += n > 0 ? (size_t)n : 0;
        }
}

void dm_config_defaults(dm_config *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < dm_config_n_options; i++) {
        char msg[256];
        const int rc =
            dm_opt_parse(&dm_config_options[i], dm_config_options[i].def, c, msg, sizeof msg);
        assert(rc == 0 && "every default in the table parses");
        (void)rc;
    }
}

bool dm_config_option(size_t i, const char **section, const char **key, bool *live)
{
    if (i >= dm_config_n_options)
        return false;
    if (section)
        *section = dm_config_options[i].section;
    if (key)
        *key = dm_config_options[i].key;
    if (live)
        *live = dm_config_options[i].live;
    return true;
}

const char *dm_config_cli(size_t i)
{
    return i < dm_config_n_options ? dm_config_options[i].cli : NULL;
}

/* ------------------------------------------------------------ the INI file */

typedef struct load_ctx {
    dm_config *c;
    const char *path;
    FILE *f;
    int line;
    bool failed;
    char *err;
    size_t len;
} load_ctx;

static void load_fail(load_ctx *x, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: WHAT: message" */
static void load_fail(load_ctx *x, const char *what, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(x->err, x->len, "%s:%d: %s: %s", x->path, x->line, what, msg);
    x->failed = true;
}

/* A "[name]" line: known section, or fail. */
static void check_section_line(load_ctx *x, const char *s)
{
    const char *close = strchr(s, ']');
    if (!close) {
        char what[80];
        snprintf(what, sizeof what, "%.*s", (int)strcspn(s, "\r\n"), s);
        load_fail(x, what, "a section header needs a closing ']'");
        return;
    }
    const char *b = s + 1;
    while (*b == ' ' || *b == '\t')
        b++;
    size_t n = (size_t)(close - b);
    while (n && (b[n - 1] == ' ' || b[n - 1] == '\t'))
        n--;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), b);
    if (!known_section(name)) {
        char what[80], list[256] = "";
        snprintf(what, sizeof what, "[%s]", name);
        for (size_t i = 0, used = 0; i < dm_config_n_sections && used < sizeof list; i++)
            used += (size_t)snprintf(
                list + used, sizeof list - used, "%s, %s", dm_config_sections[i],
                !strcmp(dm_config_sections[i], "backends") ? "backend.NAME, " : "");
        load_fail(x, what, "unknown section (sections: %.*s)", (int)strlen(list) - 2, list);
    }
}

/* Line classification inih would otherwise report only as a line number. */
static void check_line(load_ctx *x, const char *s)
{
    if (!*s || *s == '\n' || *s == '\r' || *s == '#' || *s == ';')
        return;
    if (*s == '[') {
        check_section_line(x, s);
        return;
    }
    if (!strpbrk(s, "=:")) {
        char what[64];
        snprintf(what, sizeof what, "'%.*s'", (int)strcspn(s, "\r\n"), s);
        load_fail(x, what, "syntax error: expected 'key = value', '[section]' or a comment");
    }
}

/* inih's line reader: counts lines (for messages), refuses lines longer than
 * inih's buffer, and strips indentation (so an indented line is never taken as
 * the continuation of the previous value). */
static char *read_line(char *buf, int num, void *stream)
{
    load_ctx *x = stream;
    if (x->failed || !fgets(buf, num, x->f))
        return NULL;
    x->line++;
    size_t n = strlen(buf);
    if (n + 1 == (size_t)num && buf[n - 1] != '\n' && !feof(x->f)) {
        load_fail(x, "line", "too long (at most %d characters)", num - 2);
        return NULL;
    }
    const size_t lead = strspn(buf, " \t");
    memmove(buf, buf + lead, n - lead + 1);
    check_line(x, buf);
    return x->failed ? NULL : buf;
}

/* A key of [backend.NAME]: kept as text for the plugin, which validates it. */
static int backend_value(load_ctx *x, const char *name, const char *key, const char *value,
                         const char *what)
{
    dm_config *c = x->c;
    for (size_t i = 0; i < c->n_backend_opts; i++)
        if (!strcmp(c->backend_opts[i].backend, name) && !strcmp(c->backend_opts[i].key, key)) {
            load_fail(x, what, "set twice");
            return 0;
        }
    if (c->n_backend_opts >= DM_MAX_BACKEND_OPTS) {
        load_fail(x, what, "more than %d back-end options in all", DM_MAX_BACKEND_OPTS);
        return 0;
    }
    dm_backend_opt *o = &c->backend_opts[c->n_backend_opts];
    if (strlen(key) >= sizeof o->key || strlen(value) >= sizeof o->value) {
        load_fail(x, what, "key or value too long (at most %zu and %zu characters)",
                  sizeof o->key - 1, sizeof o->value - 1);
        return 0;
    }
    snprintf(o->backend, sizeof o->backend, "%s", name);
    snprintf(o->key, sizeof o->key, "%s", key);
    snprintf(o->value, sizeof o->value, "%s", value);
    c->n_backend_opts++;
    return 1;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    load_ctx *x = user;
    if (x->failed)
        return 1;
    char what[160], msg[400];
    snprintf(what, sizeof what, "[%s] %s", section, key);
    if (backend_section(section))
        return backend_value(x, section + 8, key, value, what);
    const opt *o = find_option(section, key);
    if (!o && !*section) {
        for (size_t i = 0; i < dm_config_n_options; i++)
            if (strcmp(dm_config_options[i].key, key) == 0) {
                load_fail(x, key, "option outside a section; it belongs under [%s]",
                          dm_config_options[i].section);
                return 0;
            }
        load_fail(x, key, "unknown key outside a section");
        return 0;
    }
    if (!o) {
        char keys[400];
        list_keys(section, keys, sizeof keys);
        load_fail(x, what, "unknown key (keys in [%s]: %s)", section, keys);
        return 0;
    }
    if (dm_opt_parse(o, value, x->c, msg, sizeof msg)) {
        load_fail(x, what, "%s", msg);
        return 0;
    }
    return 1;
}

int dm_config_load(dm_config *c, const char *path, bool required, char *err, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !required)
            return 0;
        snprintf(err, len, "%s: cannot read the configuration: %s", path, strerror(errno));
        return -1;
    }
    dm_config next = *c;
    load_ctx x = {.c = &next, .path = path, .f = f, .err = err, .len = len};
    const int rc = ini_parse_stream(read_line, &x, on_value, &x);
    const bool read_error = ferror(f) != 0;
    fclose(f);
    if (x.failed)
        return -1;
    if (read_error) {
        snprintf(err, len, "%s:%d: read error", path, x.line);
        return -1;
    }
    if (rc == -2) {
        snprintf(err, len, "%s: out of memory while parsing", path);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, len, "%s:%d: syntax error", path, rc);
        return -1;
    }
    *c = next;
    return 0;
}

/* ------------------------------------------------------------ overrides */

static const opt *find_override(const char *key)
{
    char norm[96];
    snprintf(norm, sizeof norm, "%s", key);
    for (size_t i = 0; i < dm_config_n_options; i++)
        if (dm_config_options[i].cli && strcmp(dm_config_options[i].cli, key) == 0)
            return &dm_config_options[i];
    for (char *p = norm; *p; p++)
        if (*p == '-')
            *p = '_';
    /* "section.key" or a bare key */
    const char *dot = strchr(norm, '.');
    for (size_t i = 0; i < dm_config_n_options; i++) {
        const opt *o = &dm_config_options[i];
        if (dot ? (strlen(o->section) == (size_t)(dot - norm) &&
                   strncmp(o->section, norm, (size_t)(dot - norm)) == 0 &&
                   strcmp(o->key, dot + 1) == 0)
                : strcmp(o->key, norm) == 0)
            return o;
    }
    return NULL;
}

int dm_config_set(dm_config *c, const char *key, const char *value, char *err, size_t len)
{
    const opt *o = find_override(key);
    if (!o) {
        snprintf(err, len, "--%s: unknown option", key);
        return -1;
    }
    char msg[400];
    dm_config next = *c;
    if (dm_opt_parse(o, value, &next, msg, sizeof msg)) {
        snprintf(err, len, "--%s: %s", key, msg);
        return -1;
    }
    *c = next;
    return 0;
}

int dm_config_reload(dm_config *cur, const dm_config *next)
{
    int changed = 0;
    for (size_t i = 0; i < dm_config_n_options; i++) {
        const opt *o = &dm_config_options[i];
        char was[300], now[300];
        dm_opt_format(o, cur, was, sizeof was);
        dm_opt_format(o, next, now, sizeof now);
        if (strcmp(was, now) == 0)
            continue;
        changed++;
        if (o->live) {
            memcpy((char *)cur + o->off, (const char *)next + o->off, o->size);
            dm_log(DM_LOG_INFO, "config: [%s] %s changed from '%s' to '%s'", o->section, o->key,
                   was, now);
        } else {
            dm_log(DM_LOG_WARN,
                   "config: [%s] %s changed to '%s' but takes a restart; keeping '%s' until then",
                   o->section, o->key, now, was);
        }
    }
    return changed;
}
