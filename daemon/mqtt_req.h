/* daemon/mqtt_req.h - one MQTT request and its replies, between mqtt_req.c (turning a PUBLISH
 * into an inference) and mqtt_reply.c (answering it).
 *
 * Owns: the request's state (mq_req) and the reply functions both halves use.
 * Internal to the MQTT front end; the connection and the in-flight count: mqtt_impl.h.
 * Loop thread only. */
#ifndef EDGED_MQTT_REQ_H
#define EDGED_MQTT_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"
#include "common/cleanup.h"
#include "mqtt.h"
#include "mqtt_impl.h"
#include "request.h"
#include "seq.h"

/* One request from its arrival to its reply. */
typedef struct mq_req {
    dm_mqtt *m;
    dm_infer *inf;  /* once admitted */
    char *topic;    /* where the reply goes */
    char *fallback; /* the default result topic when TOPIC is the requester's, or NULL */
    uint8_t *corr;
    uint16_t corr_len;
    bool raw_reply; /* raw tensor bytes back (a raw request with a response topic) */
    bool has_seq;   /* user properties gave the sequence: they win over the JSON's */
    dm_seq_params seq;
    bool has_priority, has_timeout; /* user properties priority, timeout: they win too */
    int priority;                   /* DM_PRIO_* */
    int64_t timeout_us;
    char model[72];
} mq_req;

/* Frees Q (its topic, fallback and correlation data). */
void mq_req_free(mq_req *q);
EDGE_DEFINE_CLEANUP(mq_req, mq_req_free)

/* An error reply {"error": MSG, "status": STATUS, "model_name", "id": ID} for Q. */
void mq_reply_error(dm_mqtt *m, const mq_req *q, int status, const char *msg, const char *id);
/* No reply can be sent (no memory, nowhere to send it): the request ends. */
void mq_reply_lost(dm_mqtt *m, const mq_req *q, const char *what);
/* A reply for Q (ERROR: an error reply), with Q's topic and correlation data; NULL without
 * memory. */
mq_out *mq_out_new(const mq_req *q, bool error);
/* The admission path's answer to an inference of Q (dm_infer_submit's REPLY). */
extern const dm_reply mq_infer_reply;

#endif
