/* daemon/mqtt.h - the MQTT front end's lifecycle and figures (mqtt_impl.h: its insides).
 *
 * Owns: the contract of mqtt*.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_MQTT_H
#define EDGED_MQTT_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"

/* The MQTT front end (mqtt.c: the connection, libmosquitto driven by the
 * loop; mqtt_req.c: requests and replies). */
typedef struct dm_mqtt dm_mqtt;
typedef struct dm_mqtt_stats {
    bool connected; /* the request connection is up */
    uint64_t connects, connect_failures, losses;
    uint64_t received, replies, error_replies;
    uint64_t in_progress;     /* received, reply not yet published */
    uint64_t in_progress_max; /* its high-water mark */
    uint64_t unacked;         /* replies published, not yet acknowledged */
} dm_mqtt_stats;

/* Start the MQTT front end when [mqtt] host is set: *OUT is NULL when MQTT is
 * off. Connecting happens in the background (and again after every loss, with
 * backoff). -1 (logged) when the configuration cannot work (an unreadable
 * password file, TLS files, ...). */
int dm_mqtt_start(dm_daemon *d, dm_mqtt **out);
/* Stop taking requests, answer those taken, publish offline, leave the broker
 * (requests not taken stay in edged's session there). CB runs on the loop
 * thread when done (possibly before this returns); the loop can then end. */
void dm_mqtt_drain(dm_mqtt *m, void (*cb)(void *arg), void *arg);
/* After the drain (or without a connection): frees M. NULL is fine. */
void dm_mqtt_free(dm_mqtt *m);
/* The front end's figures now. */
dm_mqtt_stats dm_mqtt_stats_get(const dm_mqtt *m);

#endif
