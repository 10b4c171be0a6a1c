/* daemon/zeroconf.h - advertising a TCP service over zeroconf (mDNS/DNS-SD) through
 * avahi-daemon's D-Bus API (issue 47: the Wyoming server as _wyoming._tcp).
 *
 * Owns: the contract of zeroconf.c: when and where a listener is advertised, start and free.
 * Does not own: the listener (its server), the config (the front end's section).
 * Loop thread only. */
#ifndef EDGED_ZEROCONF_H
#define EDGED_ZEROCONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

typedef enum { DM_ZC_NO, DM_ZC_AUTO, DM_ZC_YES } dm_zc_mode;

typedef struct dm_zc_options {
    dm_zc_mode mode;    /* auto: advertise when avahi is on the bus, else one info line; yes: the
                         * same, but warnings; no: never (dm_zeroconf_start is not called) */
    const char *type;   /* "_wyoming._tcp" */
    const char *name;   /* the instance name; "" = "edged on HOST" */
    const char *what;   /* for messages: "wyoming" */
    const char *key;    /* for messages: "[wyoming] zeroconf" */
    int ifindex, proto; /* avahi's interface and protocol (-1: every one), dm_zc_scope */
    uint16_t port;      /* the listener's bound port */
} dm_zc_options;

/* Where a listener bound to SA is advertised: a wildcard address on every interface (*IFINDEX
 * and *PROTO -1), another address on the interface that holds it and its family only. 0, or
 * 1 when SA is a loopback address (advertised only with mode yes: only this machine reaches
 * it), or -1 when no interface holds it (MSG says why). */
int dm_zc_scope(const struct sockaddr *sa, int *ifindex, int *proto, char *msg, size_t len);

typedef struct dm_zeroconf dm_zeroconf;
/* Connect to the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured) and advertise O's service
 * while avahi-daemon is there: renamed on a collision as avahi does, registered again when
 * avahi-daemon comes back. Never fails the caller: problems are logged; NULL only without
 * memory. */
dm_zeroconf *dm_zeroconf_start(uv_loop_t *loop, const dm_zc_options *o);
/* Withdraw the service (EntryGroup.Free, then the connection closes) and go. NULL is fine. */
void dm_zeroconf_free(dm_zeroconf *z);

#endif
