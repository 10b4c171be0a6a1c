/* tests/integration/mqtt_fixture.h - a mosquitto broker per test, and a small MQTT test client.
 *
 * Owns: mqb, one mosquitto process per test on 127.0.0.1 (a free port, a temporary folder with
 * its config, log, persistence, password file and test certificates), started with fork/exec and
 * always stopped by mqb_cleanup; and mqc, a thread-safe libmosquitto client with its own network
 * thread (mosquitto_loop_start) that stores every message it receives, in arrival order, for the
 * test to wait for and take.
 *
 * Environment: $MOSQUITTO_BIN (default: mosquitto from $PATH, /usr/sbin), openssl and
 * mosquitto_passwd from $PATH; $MQC_DEBUG set: every libmosquitto log line on stderr. Start brokers
 * from a thread that outlives them (the main thread): a broker gets SIGTERM when the thread that
 * started it exits, so a crashed test leaves none. Functions return 0 (or a pointer) on success,
 * negative (or NULL) on error, with the reason on stderr. */
#ifndef EDGED_MQTT_FIXTURE_H
#define EDGED_MQTT_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- broker ------------------------------------------------------------------------------ */

typedef struct mqb_opts {
    bool persistence; /* persistence in DIR/ (mosquitto.db), saved when the broker stops */
    bool tls;         /* also a TLS listener on tls_port, certificates made by the fixture */
    bool require_client_cert; /* the TLS listener requires a client certificate signed by ca */
    const char *user;         /* non-NULL: allow_anonymous false and a password file with this */
    const char *password;     /* user (mosquitto_passwd -b -c) */
    const char *acl; /* non-NULL: the text of an ACL file (DIR/acl, acl_file); must outlive B */
} mqb_opts;

typedef struct mqb {
    char dir[64];     /* temporary folder: mosquitto.conf, broker.log, mosquitto.db, certs */
    int port;         /* plain listener, 127.0.0.1 */
    int tls_port;     /* TLS listener, 127.0.0.1 (0 when none) */
    pid_t pid;        /* broker process (-1 when stopped) */
    char conf[160];   /* DIR/mosquitto.conf */
    char log[160];    /* DIR/broker.log: the broker's stderr, log_type all, appended by restarts */
    char passwd[160]; /* DIR/passwd when opts.user */
    char ca[160];     /* PEM: the test CA that signed the server and client certificates */
    char client_cert[160]; /* PEM: a client certificate (CN edged-test-client) signed by ca */
    char client_key[160];  /* PEM: its key */
    char other_ca[160];    /* PEM: an unrelated CA, for "wrong CA" tests */
    mqb_opts o;            /* the options; o.user/o.password point at user/password below */
    char user[64], password[64];
} mqb;

/* Make the folder and certificates (when o->tls), write the config and start the broker; returns
 * when it answers an MQTT CONNECT (a probe client "mqb-probe" that connects cleanly, no noise in
 * the log). Retries with other ports when the port it picked was taken meanwhile. o may be NULL
 * (anonymous, no persistence, no TLS). On error the folder is left for mqb_cleanup. */
int mqb_start(mqb *b, const mqb_opts *o);
/* SIGTERM and wait (up to 10 s, then SIGKILL and -1): a broker with persistence saves its
 * database on the way out. 0 when it exited with status 0. */
int mqb_stop(mqb *b);
/* mqb_stop (when running), then start again with the same ports, config and persistence. */
int mqb_restart(mqb *b);
/* Rewrite the password file for USER alone (and, on an anonymous broker, the config: from now on
 * allow_anonymous false) and SIGHUP the broker, which reloads it; returns once the new
 * credentials are accepted. mosquitto 2.0 checks the connected clients again on a reload: one
 * whose user or password is no longer valid is disconnected (and its reconnects refused). */
int mqb_set_password(mqb *b, const char *user, const char *password);
/* Stop the broker when running (SIGKILL) and remove the folder. Safe on a zeroed or failed mqb. */
void mqb_cleanup(mqb *b);
/* How many times NEEDLE occurs in the broker log (0: never); negative when unreadable. */
int mqb_log_contains(const mqb *b, const char *needle);

/* ---- client ------------------------------------------------------------------------------ */

typedef struct mqc mqc;

typedef struct mqc_opts {
    int protocol;           /* 5 (MQTT v5) or 4 (3.1.1); 0: 5 */
    bool clean;             /* false: persistent session (v5: session expiry interval 3600) */
    bool tls;               /* connect to b->tls_port with TLS */
    const char *ca;         /* TLS: CA file (NULL: b->ca) */
    const char *cert, *key; /* TLS: client certificate and key (NULL: none) */
    const char *user, *password;
    int port;      /* 0: b->port, or b->tls_port when tls */
    int keepalive; /* seconds, 0: 30 */
    bool quiet;    /* no message on stderr when the connection is refused */
} mqc_opts;

typedef struct mqc_props { /* v5 PUBLISH properties (ignored for 3.1.1); zero = none */
    const char *response_topic;
    const void *corr;
    size_t corr_len;
    const char *content_type;
    uint32_t message_expiry;               /* seconds, 0: none */
    const char *user_key[4], *user_val[4]; /* user properties, up to the first NULL key */
} mqc_props;

typedef struct mqc_msg {
    char *topic;
    uint8_t *payload; /* len bytes plus a NUL (not counted), never NULL */
    size_t len;
    int qos;
    bool retain;
    uint8_t *corr; /* correlation data (NULL when none) */
    size_t corr_len;
    char *content_type;          /* NULL when none */
    char *response_topic;        /* NULL when none */
    char **user_key, **user_val; /* every user property, in order */
    size_t n_user;
    const char *status;        /* the user property "status" (points into user_val), or NULL */
    const char *model_version; /* the user property "model_version", or NULL */
} mqc_msg;

/* Connect to 127.0.0.1:b->port as CLIENT_ID with PROTOCOL 5 or 4 and wait for CONNACK (10 s).
 * NULL (reason on stderr) when refused, unreachable or timed out. After a broker restart the
 * client reconnects by itself (about 1 s later) and subscribes again when the session is gone. */
mqc *mqc_new(const mqb *b, const char *client_id, int protocol, bool clean);
/* The same with options (TLS, user and password, port). *CONNACK (may be NULL) receives the
 * CONNACK reason code (v5) or return code (3.1.1): 0 when accepted, -1 when no CONNACK came
 * (TCP or TLS failure, timeout). */
mqc *mqc_new_ex(const mqb *b, const char *client_id, const mqc_opts *o, int *connack);
/* Subscribe and wait for SUBACK (10 s); fails when refused (granted QoS >= 128). The client
 * remembers up to 32 subscriptions, to subscribe again after a reconnect without a session. */
int mqc_subscribe(mqc *c, const char *topic, int qos);
int mqc_unsubscribe(mqc *c, const char *topic);
/* Queue a PUBLISH (does not wait; libmosquitto keeps at most the broker's receive maximum in
 * flight and sends the rest as acknowledgements come, so thousands in a row are fine). While
 * disconnected, QoS 1 and 2 are kept and sent after the reconnect; QoS 0 fails. */
int mqc_publish(mqc *c, const char *topic, const void *payload, size_t len, int qos, bool retain,
                const mqc_props *p);
/* Wait until every PUBLISH so far has been sent (QoS 0) or acknowledged (QoS 1, 2). 0 when all
 * were, within the time, and none was refused (v5 reason code >= 128). */
int mqc_flush(mqc *c, int timeout_ms);

size_t mqc_count(mqc *c);                             /* messages received so far (taken or not) */
int mqc_wait_count(mqc *c, size_t n, int timeout_ms); /* 0 when >= n received within the time */
/* The first message not yet taken on TOPIC (NULL: any topic), waiting up to TIMEOUT_MS; the
 * caller owns it (mqc_msg_free). NULL on timeout. */
mqc_msg *mqc_wait_topic(mqc *c, const char *topic, int timeout_ms);
/* The first message not yet taken with this correlation data. */
mqc_msg *mqc_wait_corr(mqc *c, const void *corr, size_t corr_len, int timeout_ms);
/* Every message received and not taken, in arrival order: an array of *N messages (NULL when
 * none); free with mqc_msgs_free (or mqc_msg_free on each, then free the array). */
mqc_msg **mqc_take_all(mqc *c, size_t *n);
void mqc_msg_free(mqc_msg *m);
void mqc_msgs_free(mqc_msg **v, size_t n);
void mqc_clear(mqc *c); /* drop every message not taken */

bool mqc_connected(mqc *c);
int mqc_connects(mqc *c); /* CONNACKs accepted so far (1 after mqc_new) */
/* Wait until connected after at least MIN_CONNECTS accepted CONNACKs, and subscribed again when
 * the broker had lost the session: after a broker restart, n = mqc_connects(c) before it, then
 * mqc_wait_connected(c, n + 1, 10000). */
int mqc_wait_connected(mqc *c, int min_connects, int timeout_ms);
void mqc_free(mqc *c); /* DISCONNECT (a v5 persistent session stays), stop thread, free */

#endif
