/* daemon/zeroconf.c - advertising a TCP service over zeroconf through avahi-daemon's D-Bus
 * API (zeroconf.h), with sd-bus on the system bus.
 *
 * Owns: the connection to the system bus (its own: [dbus] bus may be another bus, or none),
 * the service's entry group in avahi-daemon (org.freedesktop.Avahi.Server.EntryGroupNew,
 * org.freedesktop.Avahi.EntryGroup.AddService and Commit), renaming on a collision
 * (Server.GetAlternativeServiceName, as avahi's clients do), registering again when
 * avahi-daemon comes back (NameOwnerChanged), withdrawing it (EntryGroup.Free) at the end,
 * reconnecting when the bus goes.
 * Does not own: the listener, the glue to libuv (busloop.c). Never stops its caller: every
 * problem is a log line saying what and where. Loop thread only. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "busloop.h"
#include "log.h"
#include "zeroconf.h"

#define AVAHI "org.freedesktop.Avahi"
#define AVAHI_SERVER "org.freedesktop.Avahi.Server"
#define AVAHI_GROUP "org.freedesktop.Avahi.EntryGroup"
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define MAX_RENAMES 32

/* avahi's entry group states (avahi-common/defs.h: AvahiEntryGroupState) */
enum { GROUP_UNCOMMITED, GROUP_REGISTERING, GROUP_ESTABLISHED, GROUP_COLLISION, GROUP_FAILURE };

/* Where the registration is. */
typedef enum {
    ZC_NONE,   /* nothing in avahi-daemon (absent, or it failed) */
    ZC_NEW,    /* EntryGroupNew sent */
    ZC_ADD,    /* AddService sent */
    ZC_COMMIT, /* Commit sent */
    ZC_RENAME, /* GetAlternativeServiceName sent */
    ZC_UP      /* committed: the group's StateChanged says the rest */
} zc_state;

struct dm_zeroconf {
    uv_loop_t *loop;
    dm_zc_options o;
    char type[64], what[32], key[64];
    char base[64];   /* the name asked for */
    char name[64];   /* the name now (renamed on collisions) */
    char group[256]; /* the entry group's object path, "" = none */
    sd_bus *bus;
    dm_busloop *bl;
    sd_bus_slot *call, *owner_match, *state_match;
    zc_state state;
    unsigned renames;
    bool absent_logged, connect_logged, freed;
    uv_timer_t retry;
    uint32_t retry_ms;
};

static int level(const dm_zeroconf *z)
{
    return z->o.mode == DM_ZC_YES ? DM_LOG_WARN : DM_LOG_INFO;
}

/* ------------------------------------------------------------ where */

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return false;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

int dm_zc_scope(const struct sockaddr *sa, int *ifindex, int *proto, char *msg, size_t len)
{
    *ifindex = -1;
    *proto = sa->sa_family == AF_INET ? 0 : 1; /* AVAHI_PROTO_INET, AVAHI_PROTO_INET6 */
    bool any, loop;
    if (sa->sa_family == AF_INET) {
        const uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        any = a == INADDR_ANY;
        loop = (a >> 24) == 127;
    } else {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        any = IN6_IS_ADDR_UNSPECIFIED(a);
        loop = IN6_IS_ADDR_LOOPBACK(a);
        if (any)
            *proto = -1; /* [::] takes IPv4 too (Linux's default) */
    }
    if (any)
        return 0;
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) {
        snprintf(msg, len, "cannot list the interfaces: %s", strerror(errno));
        return -1;
    }
    for (const struct ifaddrs *i = list; i && *ifindex < 0; i = i->ifa_next)
        if (i->ifa_addr && same_addr(i->ifa_addr, sa))
            *ifindex = (int)if_nametoindex(i->ifa_name);
    freeifaddrs(list);
    if (*ifindex <= 0) {
        snprintf(msg, len, "no interface holds the address");
        return -1;
    }
    return loop ? 1 : 0;
}

/* ------------------------------------------------------------ registering */

static void connect_later(dm_zeroconf *z);
static void group_new(dm_zeroconf *z);

/* Forget the registration (avahi-daemon or the bus went, or a new one starts). */
static void forget(dm_zeroconf *z)
{
    z->call = sd_bus_slot_unref(z->call);
    z->group[0] = 0;
    z->state = ZC_NONE;
}

/* A failed call: say what, and wait for avahi-daemon to come back. */
static void call_failed(dm_zeroconf *z, const char *step, const sd_bus_error *e, int rc)
{
    dm_log(DM_LOG_WARN,
           "zeroconf: %s: avahi-daemon refused %s for \"%s\" (%s): %s; not advertised until "
           "avahi-daemon restarts (%s keeps serving)",
           z->what, step, z->name, z->type,
           e && e->message ? e->message
           : e && e->name  ? e->name
                           : strerror(-rc),
           z->what);
    forget(z);
}

static int on_commit(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    z->call = sd_bus_slot_unref(z->call);
    const sd_bus_error *e = sd_bus_message_get_error(m);
    if (e)
        call_failed(z, "Commit", e, 0);
    else
        z->state = ZC_UP;
    return 0;
}

static void rename_service(dm_zeroconf *z);

static int on_added(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    z->call = sd_bus_slot_unref(z->call);
    const sd_bus_error *e = sd_bus_message_get_error(m);
    if (e && sd_bus_error_has_name(e, "org.freedesktop.Avahi.CollisionError")) {
        rename_service(z); /* a local collision: another service of this host has the name */
        return 0;
    }
    if (e) {
        call_failed(z, "AddService", e, 0);
        return 0;
    }
    z->state = ZC_COMMIT;
    const int rc = sd_bus_call_method_async(z->bus, &z->call, AVAHI, z->group, AVAHI_GROUP,
                                            "Commit", on_commit, z, "");
    if (rc < 0)
        call_failed(z, "Commit", NULL, rc);
    return 0;
}

/* AddService(iiussssqaay): interface, protocol, flags, name, type, domain, host, port, TXT. */
static void add_service(dm_zeroconf *z)
{
    sd_bus_message *m = NULL;
    int rc = sd_bus_message_new_method_call(z->bus, &m, AVAHI, z->group, AVAHI_GROUP, "AddService");
    if (rc >= 0)
        rc = sd_bus_message_append(m, "iiussssq", (int32_t)z->o.ifindex, (int32_t)z->o.proto,
                                   (uint32_t)0, z->name, z->type, "", "", z->o.port);
    if (rc >= 0) /* no TXT records: Home Assistant asks the server itself (describe) */
        rc = sd_bus_message_append(m, "aay", 0);
    if (rc >= 0)
        rc = sd_bus_call_async(z->bus, &z->call, m, on_added, z, 0);
    sd_bus_message_unref(m);
    if (rc < 0)
        call_failed(z, "AddService", NULL, rc);
    else
        z->state = ZC_ADD;
}

static int on_alternative(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    z->call = sd_bus_slot_unref(z->call);
    const char *name = NULL;
    const sd_bus_error *e = sd_bus_message_get_error(m);
    if (e || sd_bus_message_read(m, "s", &name) < 0 || !name || !name[0]) {
        call_failed(z, "GetAlternativeServiceName", e, -EBADMSG);
        return 0;
    }
    dm_log(DM_LOG_WARN,
           "zeroconf: %s: the name \"%s\" (%s) is taken on the network; advertising as \"%s\" "
           "(avahi's next name)",
           z->what, z->name, z->type, name);
    snprintf(z->name, sizeof z->name, "%s", name);
    /* the group again, empty: Reset needs no answer, the next call is ordered after it */
    int rc = sd_bus_call_method_async(z->bus, NULL, AVAHI, z->group, AVAHI_GROUP, "Reset", NULL,
                                      NULL, "");
    if (rc < 0)
        call_failed(z, "Reset", NULL, rc);
    else
        add_service(z);
    return 0;
}

/* The name collides (on the network or on this host): take avahi's alternative. */
static void rename_service(dm_zeroconf *z)
{
    if (++z->renames > MAX_RENAMES) {
        dm_log(DM_LOG_WARN,
               "zeroconf: %s: \"%s\" (%s) still collides after %u renames; not advertised "
               "(set %s_name to a name of your own)",
               z->what, z->name, z->type, MAX_RENAMES, z->key);
        forget(z);
        return;
    }
    z->state = ZC_RENAME;
    const int rc =
        sd_bus_call_method_async(z->bus, &z->call, AVAHI, "/", AVAHI_SERVER,
                                 "GetAlternativeServiceName", on_alternative, z, "s", z->name);
    if (rc < 0)
        call_failed(z, "GetAlternativeServiceName", NULL, rc);
}

static int on_group(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    z->call = sd_bus_slot_unref(z->call);
    const char *path = NULL;
    const sd_bus_error *e = sd_bus_message_get_error(m);
    if (e || sd_bus_message_read(m, "o", &path) < 0 || !path) {
        call_failed(z, "EntryGroupNew", e, -EBADMSG);
        return 0;
    }
    snprintf(z->group, sizeof z->group, "%s", path);
    add_service(z);
    return 0;
}

static void group_new(dm_zeroconf *z)
{
    if (z->state != ZC_NONE)
        return;     /* under way already */
    z->renames = 0; /* a new registration: the name asked for, the collision may have gone */
    snprintf(z->name, sizeof z->name, "%s", z->base);
    z->state = ZC_NEW;
    const int rc = sd_bus_call_method_async(z->bus, &z->call, AVAHI, "/", AVAHI_SERVER,
                                            "EntryGroupNew", on_group, z, "");
    if (rc < 0)
        call_failed(z, "EntryGroupNew", NULL, rc);
}

/* StateChanged(is) of an entry group: ours says established, collision or failure. */
static int on_state(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    const char *path = sd_bus_message_get_path(m), *why = NULL;
    int32_t st = -1;
    if (!z->group[0] || !path || strcmp(path, z->group) != 0 ||
        sd_bus_message_read(m, "is", &st, &why) < 0)
        return 0;
    if (st == GROUP_ESTABLISHED)
        dm_log(DM_LOG_INFO, "zeroconf: %s: advertising \"%s\" (%s) on port %u through avahi-daemon",
               z->what, z->name, z->type, (unsigned)z->o.port);
    else if (st == GROUP_COLLISION && z->state == ZC_UP)
        rename_service(z);
    else if (st == GROUP_FAILURE)
        dm_log(DM_LOG_WARN, "zeroconf: %s: avahi-daemon failed to advertise \"%s\" (%s): %s",
               z->what, z->name, z->type, why && why[0] ? why : "no reason given");
    return 0;
}

static void avahi_absent(dm_zeroconf *z)
{
    if (z->absent_logged)
        return;
    z->absent_logged = true;
    dm_log(level(z),
           "zeroconf: %s: avahi-daemon is not on the system bus: %s is not advertised over "
           "zeroconf (%s); it will be when avahi-daemon starts",
           z->what, z->type, z->key);
}

/* NameOwnerChanged(sss) of org.freedesktop.Avahi: avahi-daemon came or went. */
static int on_owner(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    const char *name = NULL, *old = NULL, *now = NULL;
    if (sd_bus_message_read(m, "sss", &name, &old, &now) < 0 || strcmp(name, AVAHI) != 0)
        return 0;
    forget(z); /* its groups went with its old connection */
    if (now && now[0]) {
        dm_log(DM_LOG_INFO, "zeroconf: %s: avahi-daemon is on the system bus; registering \"%s\"",
               z->what, z->base);
        group_new(z);
    } else {
        dm_log(level(z),
               "zeroconf: %s: avahi-daemon left the system bus: \"%s\" is no longer advertised; "
               "registered again when it comes back",
               z->what, z->name);
        z->absent_logged = true;
    }
    return 0;
}

static int on_has_owner(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_zeroconf *z = ud;
    z->call = sd_bus_slot_unref(z->call);
    int has = 0;
    if (sd_bus_message_get_error(m) || sd_bus_message_read(m, "b", &has) < 0 || !has)
        avahi_absent(z);
    else
        group_new(z);
    return 0;
}

/* ------------------------------------------------------------ the connection */

static void drop_bus(dm_zeroconf *z)
{
    forget(z);
    z->owner_match = sd_bus_slot_unref(z->owner_match);
    z->state_match = sd_bus_slot_unref(z->state_match);
    dm_busloop_free(z->bl);
    z->bl = NULL;
    if (z->bus)
        sd_bus_flush_close_unref(z->bus);
    z->bus = NULL;
}

static void on_lost(void *arg, int rc)
{
    dm_zeroconf *z = arg;
    dm_log(level(z),
           "zeroconf: %s: the system bus connection failed (%s): \"%s\" is not advertised; "
           "reconnecting",
           z->what, strerror(-rc), z->name);
    drop_bus(z);
    z->retry_ms = RETRY_MIN_MS;
    connect_later(z);
}

static int bus_connect(dm_zeroconf *z)
{
    int rc = sd_bus_open_system_with_description(&z->bus, "edged-zeroconf");
    if (rc >= 0)
        z->bl = dm_busloop_new(z->loop, z->bus, on_lost, NULL, z, &rc);
    if (rc >= 0) /* avahi-daemon coming and going */
        rc = sd_bus_add_match_async(z->bus, &z->owner_match,
                                    "type='signal',sender='org.freedesktop.DBus',"
                                    "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                                    "arg0='" AVAHI "'",
                                    on_owner, NULL, z);
    if (rc >= 0) /* the groups' states: ours is picked by its path */
        rc = sd_bus_add_match_async(
            z->bus, &z->state_match,
            "type='signal',interface='" AVAHI_GROUP "',member='StateChanged'", on_state, NULL, z);
    if (rc >= 0) /* sent after the matches: avahi-daemon arriving meanwhile is not missed */
        rc = sd_bus_call_method_async(z->bus, &z->call, "org.freedesktop.DBus",
                                      "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                      "NameHasOwner", on_has_owner, z, "s", AVAHI);
    if (rc < 0)
        drop_bus(z);
    return rc;
}

static void on_retry(uv_timer_t *t)
{
    dm_zeroconf *z = t->data;
    const int rc = bus_connect(z);
    if (rc >= 0) {
        dm_log(DM_LOG_INFO, "zeroconf: %s: connected to the system bus", z->what);
        z->absent_logged = false;
        return;
    }
    if (!z->connect_logged)
        dm_log(level(z),
               "zeroconf: %s: cannot connect to the system bus (%s; $DBUS_SYSTEM_BUS_ADDRESS or "
               "/run/dbus/system_bus_socket): %s is not advertised (%s); trying again up to "
               "every %u s",
               z->what, strerror(-rc), z->type, z->key, RETRY_MAX_MS / 1000);
    z->connect_logged = true;
    connect_later(z);
}

static void connect_later(dm_zeroconf *z)
{
    uv_timer_start(&z->retry, on_retry, z->retry_ms, 0);
    z->retry_ms = z->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : z->retry_ms * 2;
}

static void default_name(char *out, size_t len)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "localhost");
    char *dot = strchr(host, '.');
    if (dot)
        *dot = 0;
    snprintf(out, len, "edged on %.50s", host); /* a DNS label: at most 63 bytes */
}

dm_zeroconf *dm_zeroconf_start(uv_loop_t *loop, const dm_zc_options *o)
{
    dm_zeroconf *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->loop = loop;
    z->o = *o;
    snprintf(z->type, sizeof z->type, "%s", o->type);
    snprintf(z->what, sizeof z->what, "%s", o->what);
    snprintf(z->key, sizeof z->key, "%s", o->key);
    if (o->name && o->name[0])
        snprintf(z->base, sizeof z->base, "%s", o->name);
    else
        default_name(z->base, sizeof z->base);
    snprintf(z->name, sizeof z->name, "%s", z->base);
    uv_timer_init(loop, &z->retry);
    z->retry.data = z;
    uv_unref((uv_handle_t *)&z->retry);
    z->retry_ms = RETRY_MIN_MS;
    on_retry(&z->retry); /* the first attempt now */
    return z;
}

static void on_retry_closed(uv_handle_t *h)
{
    free(h->data);
}

void dm_zeroconf_free(dm_zeroconf *z)
{
    if (!z)
        return;
    if (z->bus && z->group[0]) { /* withdraw now; avahi-daemon would also when we hang up */
        sd_bus_call_method_async(z->bus, NULL, AVAHI, z->group, AVAHI_GROUP, "Free", NULL, NULL,
                                 "");
        dm_log(DM_LOG_INFO, "zeroconf: %s: \"%s\" (%s) withdrawn", z->what, z->name, z->type);
    }
    drop_bus(z); /* flushes what is queued */
    uv_close((uv_handle_t *)&z->retry, on_retry_closed);
}
