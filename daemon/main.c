/* daemon/main.c - edged: start, signals, the loop, stop.
 *
 * Owns: the command line, putting the modules together in order (config,
 * registry scan, scheduler, metrics, the front ends: frontends.c), the signals (SIGTERM/SIGINT:
 * stop the front ends, drain them and the scheduler, exit 0, or 1 when the drain outlives
 * drain_timeout_ms; a second one exits at once; SIGHUP: re-read the config,
 * keep what needs a restart, rescan the repository; Reload over D-Bus does
 * the same), the order of the service notifications (service.c), and the
 * exit codes: 0 clean stop, 1 failure at run time, 2 bad command line or
 * configuration.
 * Does not own: any module's work; this file only wires them. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "backends.h"
#include "clock.h"
#include "daemon.h"
#include "frontend.h"
#include "http.h"
#include "lease.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "power.h"
#include "registry.h"
#include "repo_files.h"
#include "request.h"
#include "scheduler.h"
#include "seq.h"
#include "service.h"
#include "watch.h"

#ifndef EDGED_VERSION
#define EDGED_VERSION "unknown"
#endif

#ifdef EDGED_CONFIG_FILE /* meson: where `meson install` puts the configuration */
#define DEFAULT_CONFIG EDGED_CONFIG_FILE
#else
#define DEFAULT_CONFIG "/etc/edged/edged.conf"
#endif
#define MAX_OVERRIDES 32

typedef struct override {
    const char *key, *value;
} override;

typedef struct app {
    dm_daemon d;
    bool config_required;
    override ov[MAX_OVERRIDES];
    size_t n_ov;
    uv_signal_t sig_term, sig_int, sig_hup;
    uv_timer_t drain_timer;
    bool stopping, drained;
    int drains; /* parts still draining: the scheduler, front ends (MQTT) */
    char reload_err[1100];
} app;

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: edged [--config FILE] [--socket PATH] [--models DIR] [--workers N]\n"
        "             [--kernels LEVEL] [--tcp HOST:PORT] [--mqtt-host HOST] [--mqtt-port PORT]\n"
        "             [--log-level LEVEL] [--print-config] [--version] [--help]\n"
        "\n"
        "edged serves TensorFlow Lite models over a Unix socket (HTTP/1.1, Open Inference\n"
        "Protocol v2) and, when [mqtt] host is set, to requests published to an MQTT broker.\n"
        "\n"
        "  -c, --config FILE      configuration file (read when present; default\n"
        "                         " DEFAULT_CONFIG ")\n"
        "  -s, --socket PATH      Unix socket to listen on ([server] socket)\n"
        "  -m, --models DIR       model repository ([models] repository)\n"
        "  -w, --workers N        worker threads, 0 = one per online CPU ([scheduler] workers)\n"
        "  -k, --kernels LEVEL    int8 kernel level: auto, scalar, avx2, avxvnni, avx512vnni,\n"
        "                         neon, neondot ([models] kernels)\n"
        "      --tcp HOST:PORT    also serve HTTP on TCP, e.g. 127.0.0.1:8080 ([server] tcp)\n"
        "      --mqtt-host HOST   take requests from this MQTT broker ([mqtt] host)\n"
        "      --mqtt-port PORT   the broker's port ([mqtt] port)\n"
        "  -l, --log-level LEVEL  error, warn, info or debug ([log] level)\n"
        "      --print-config     print the effective configuration as a commented file\n"
        "  -V, --version          print the version\n"
        "  -h, --help             print this help\n"
        "\n"
        "Signals: SIGTERM or SIGINT drains (answers every admitted request) and exits;\n"
        "SIGHUP re-reads the configuration and rescans the model repository.\n"
        "Under systemd: Type=notify with a watchdog, socket activation (a Unix and a TCP\n"
        "socket), and the D-Bus API org.edged.Edged1 ([dbus] bus). See edged(8).\n"
        "Exit status: 0 after a clean stop, 1 on a failure while running, 2 on a bad\n"
        "command line or configuration.\n");
}

#ifndef EDGED_BACKENDS_BUILT /* meson: the back-end plugins built beside edged */
#define EDGED_BACKENDS_BUILT ""
#endif

/* The version, then what this build has (meson's -Dmqtt, -Ddbus, ... features). */
static void print_version(void)
{
    printf("edged %s\nfront ends: %s\nback ends: cpu%s%s\n", EDGED_VERSION, dm_frontends_built(),
           EDGED_BACKENDS_BUILT[0] ? " " : "", EDGED_BACKENDS_BUILT);
}

/* Defaults, then the file, then the command line. */
static int load_config(const app *a, dm_config *c, char *err, size_t len)
{
    dm_config_defaults(c);
    if (dm_config_load(c, a->d.config_path, a->config_required, err, len))
        return -1;
    for (size_t i = 0; i < a->n_ov; i++)
        if (dm_config_set(c, a->ov[i].key, a->ov[i].value, err, len))
            return -1;
    return 0;
}

/* Returns -1 to go on, or the exit status. Every option of the table that has a
 * command-line name is --NAME VALUE (dm_config_cli); a few also have a letter. */
static int parse_args(app *a, int argc, char **argv, bool *print_config)
{
    enum { OPT_PRINT_CONFIG = 256, OPT_TABLE = 512 };
    static const struct option fixed[] = {
        {"config", required_argument, NULL, 'c'},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
    };
    static const struct {
        char letter;
        const char *name;
    } letters[] = {
        {'s', "socket"}, {'m', "models"}, {'w', "workers"}, {'k', "kernels"}, {'l', "log-level"}};
    struct option longs[64];
    size_t n = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        longs[n++] = fixed[i];
    for (size_t i = 0;
         n + 1 < sizeof longs / sizeof longs[0] && dm_config_option(i, NULL, NULL, NULL); i++)
        if (dm_config_cli(i))
            longs[n++] =
                (struct option){dm_config_cli(i), required_argument, NULL, OPT_TABLE + (int)i};
    longs[n] = (struct option){NULL, 0, NULL, 0};
    a->d.config_path = DEFAULT_CONFIG;
    int c;
    while ((c = getopt_long(argc, argv, "c:s:m:w:l:k:Vh", longs, NULL)) != -1) {
        const char *key = NULL;
        for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++)
            if (c == letters[i].letter)
                key = letters[i].name;
        if (c >= OPT_TABLE)
            key = dm_config_cli((size_t)(c - OPT_TABLE));
        if (!key) {
            switch (c) {
            case 'c':
                a->d.config_path = optarg;
                a->config_required = true;
                continue;
            case OPT_PRINT_CONFIG: *print_config = true; continue;
            case 'V': print_version(); return 0;
            case 'h': usage(stdout); return 0;
            default: fprintf(stderr, "see edged --help\n"); return 2;
            }
        }
        if (a->n_ov == MAX_OVERRIDES) {
            fprintf(stderr, "edged: too many options on the command line\n");
            return 2;
        }
        a->ov[a->n_ov++] = (override){key, optarg};
    }
    if (optind < argc) {
        fprintf(stderr, "edged: unexpected argument '%s' (see edged --help)\n", argv[optind]);
        return 2;
    }
    return -1;
}

/* ------------------------------------------------------------ signals */

static void close_handle(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_drained(void *arg)
{
    app *a = arg;
    a->drained = true;
    dm_log(DM_LOG_INFO, "stopped: every admitted request was answered");
    close_handle((uv_handle_t *)&a->sig_term);
    close_handle((uv_handle_t *)&a->sig_int);
    close_handle((uv_handle_t *)&a->sig_hup);
    /* The loop ends once the last connection has sent its reply and closed;
     * the timer, unreferenced, still bounds the wait. */
    uv_unref((uv_handle_t *)&a->drain_timer);
}

/* One part (the scheduler, a front end) has drained. */
static void on_part_drained(void *arg)
{
    app *a = arg;
    if (--a->drains == 0)
        on_drained(a);
}

static void on_drain_timeout(uv_timer_t *t)
{
    app *a = t->data;
    if (!a->drained) {
        char mq[320] = "";
        dm_frontends_drain_left(&a->d, mq, sizeof mq);
        dm_log(DM_LOG_ERROR,
               "drain timed out after %u ms with %zu requests still in flight%s; exiting",
               a->d.cfg.drain_timeout_ms, dm_sched_pending(a->d.sched), mq);
        _exit(1); /* workers may be inside an inference: no cleanup */
    }
    dm_log(DM_LOG_INFO, "closing the connections still open %u ms after the stop",
           a->d.cfg.drain_timeout_ms);
    dm_server_free(a->d.server);
    a->d.server = NULL;
    close_handle((uv_handle_t *)t);
}

static const char *signal_name(int signum)
{
    return signum == SIGTERM ? "SIGTERM" : signum == SIGINT ? "SIGINT" : "signal";
}

/* The drain, for a signal or (power.c) an idle daemon: WHY names it. */
static void begin_stop(void *arg, const char *why)
{
    app *a = arg;
    a->stopping = true;
    dm_service_stopping(a->d.service);
    dm_log(DM_LOG_INFO, "%s: stopping; answering %zu admitted requests first (at most %u ms)", why,
           dm_sched_pending(a->d.sched), a->d.cfg.drain_timeout_ms);
    dm_frontends_stop(&a->d); /* no new work; what they took is still answered */
    uv_timer_start(&a->drain_timer, on_drain_timeout, a->d.cfg.drain_timeout_ms, 0);
    a->drains = 1 + dm_frontends_draining(&a->d); /* a drain may end before the next starts */
    dm_frontends_drain(&a->d, on_part_drained, a);
    dm_sched_drain(a->d.sched, on_part_drained, a);
}

static void on_stop(uv_signal_t *h, int signum)
{
    app *a = h->data;
    if (a->stopping) {
        dm_log(DM_LOG_WARN, "second %s: exiting now with %zu requests in flight",
               signal_name(signum), dm_sched_pending(a->d.sched));
        _exit(1);
    }
    begin_stop(a, signal_name(signum));
}

/* SIGHUP, and Reload() over D-Bus: re-read the configuration (keeping what
 * needs a restart) and rescan the repository. NULL, or what was wrong with
 * the configuration (the rescan happens anyway). */
static const char *do_reload(dm_daemon *d)
{
    app *a = (app *)((char *)d - offsetof(app, d));
    if (a->stopping)
        return "edged is stopping";
    dm_service_reloading(d->service);
    dm_log(DM_LOG_INFO, "reload: re-reading %s and rescanning %s", d->config_path,
           d->cfg.models_dir);
    dm_config next;
    char err[1024];
    const char *why = NULL;
    if (load_config(a, &next, err, sizeof err) != 0) {
        dm_log(DM_LOG_ERROR, "%s; keeping the current configuration", err);
        snprintf(a->reload_err, sizeof a->reload_err,
                 "%s; kept the current configuration (the repository was rescanned)", err);
        why = a->reload_err;
    } else {
        dm_config_reload(&d->cfg, &next);
        dm_log_set_level((dm_log_level)d->cfg.log_level);
        dm_sched_set_inline(d->sched, d->cfg.inline_max_us);
    }
    dm_backends_reset(d->backends, d->cfg.backend_fail_limit);
    const int rc = dm_registry_scan(d->reg);
    const dm_census c = dm_registry_census(d->reg);
    dm_log(DM_LOG_INFO,
           "rescan started: serving %zu models (%zu versions); changed ones load in the "
           "background and log when they are in%s",
           c.models, c.versions, rc < 0 ? " (the repository could not be read)" : "");
    dm_service_reload_started(d->service);
    return why;
}

static void on_hup(uv_signal_t *h, int signum)
{
    (void)signum;
    app *a = h->data;
    if (!a->stopping)
        dm_log(DM_LOG_INFO, "SIGHUP");
    do_reload(&a->d);
}

static int start_signals(app *a)
{
    uv_loop_t *loop = a->d.loop;
    uv_signal_init(loop, &a->sig_term);
    uv_signal_init(loop, &a->sig_int);
    uv_signal_init(loop, &a->sig_hup);
    uv_timer_init(loop, &a->drain_timer);
    a->sig_term.data = a->sig_int.data = a->sig_hup.data = a->drain_timer.data = a;
    if (uv_signal_start(&a->sig_term, on_stop, SIGTERM) ||
        uv_signal_start(&a->sig_int, on_stop, SIGINT) ||
        uv_signal_start(&a->sig_hup, on_hup, SIGHUP))
        return -1;
    return 0;
}

/* ------------------------------------------------------------ start and stop */

static void walk_close(uv_handle_t *h, void *arg)
{
    (void)arg;
    close_handle(h);
}

static void shut_down(app *a)
{
    dm_daemon *d = &a->d;
    dm_registry_close(d->reg); /* loads still running are dropped when they end */
    dm_watch_free(d->watch);
    d->watch = NULL;
    dm_frontends_free(d, false); /* their handles close in the loop run below */
    dm_request_detach(d);
    dm_sched_free(d->sched); /* every D-Bus inference has been answered */
    d->sched = NULL;
    dm_seqs_free(d->seqs); /* when dm_request_detach left them to the requests still out */
    d->seqs = NULL;
    dm_metrics_set_frontends(d->metrics, NULL);
    dm_frontends_free(d, true); /* D-Bus: after the scheduler */
    dm_service_free(d->service);
    d->service = NULL;
    dm_power_free(d->power);
    d->power = NULL;
    dm_leases_detach(); /* leases still held go with their versions below */
    uv_walk(d->loop, walk_close, NULL);
    uv_run(d->loop, UV_RUN_DEFAULT);
    dm_registry_free(d->reg);
    dm_backends_free(d->backends); /* after the models that use them */
    dm_metrics_free(d->metrics);
    uv_loop_close(d->loop);
}

static void on_change(const char *name, void *arg)
{
    dm_daemon *d = arg;
    dm_registry_sync(d->reg, name);
}

static void on_rescan(void *arg)
{
    dm_daemon *d = arg;
    dm_registry_scan(d->reg);
}

static int start(app *a)
{
    dm_daemon *d = &a->d;
    d->started_ns = dm_now_ns();
    d->reload = do_reload;
    d->service = dm_service_new(d);
    if (!d->service) {
        dm_log(DM_LOG_ERROR, "out of memory");
        return 1;
    }
    if (d->cfg.memory_budget)
        dm_memory_budgeted();
    /* Model files are mapped under read leases; without the lease service, private copies. */
    if (dm_leases_init() == 0)
        dm_registry_use_leases(d->reg, true);
    else
        dm_log(DM_LOG_WARN,
               "cannot set up file leases (%s): every model is read into a "
               "private copy",
               strerror(errno));
    dm_repo_sweep_staging(d->cfg.models_dir); /* what a push or upload killed midway left */
    const int scanned = dm_registry_scan(d->reg);
    if (scanned < 0) {
        dm_log(DM_LOG_ERROR, "set [models] repository in %s or pass --models DIR", d->config_path);
        return 1;
    }
    d->sched = dm_sched_new(d->loop, d->cfg.workers, d->cfg.queue_depth);
    if (d->sched) {
        dm_sched_set_inline(d->sched, d->cfg.inline_max_us);
        dm_power_apply(d);
    }
    d->metrics = dm_metrics_new();
    if (d->metrics) {
        dm_metrics_set_backends(d->metrics, d->backends);
        dm_metrics_set_frontends(d->metrics, d);
    }
    if (!d->sched || !d->metrics) {
        dm_log(DM_LOG_ERROR, "cannot start the scheduler (out of memory or threads)");
        return 1;
    }
    dm_request_attach(d);
    /* From now on loads run off the loop thread (the first scan ran inline:
     * READY means the models are in). */
    dm_registry_set_loop(d->reg, d->loop);
    if (dm_leases_attach(d->loop) != 0)
        dm_registry_use_leases(d->reg, false);
    if (d->cfg.watch)
        d->watch = dm_watch_new(d->loop, d->cfg.models_dir, d->cfg.reload_delay_ms, on_change,
                                on_rescan, d);
    if (start_signals(a) != 0) {
        dm_log(DM_LOG_ERROR, "cannot install the signal handlers");
        return 1;
    }
    dm_listen_fds fds;
    if (dm_service_listen_fds(&fds.unix_fd, &fds.tcp_fd) != 0)
        return 1; /* logged */
    dm_frontends_check_config(&d->cfg);
    if (dm_frontends_start(d, &fds) != 0)
        return 1; /* logged */
    d->power = dm_power_start(d, fds.unix_fd >= 0, fds.tcp_fd >= 0, begin_stop, a);
    const dm_census c = dm_registry_census(d->reg);
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (edge_isa_env_warning())
        dm_log(DM_LOG_WARN, "%s", edge_isa_env_warning());
    char threads[16] = "auto (per model)";
    if (d->cfg.intra_op_threads)
        snprintf(threads, sizeof threads, "%u", d->cfg.intra_op_threads);
    dm_log(DM_LOG_INFO,
           "int8 kernels: level %s (asked %s; this CPU's best %s); %s intra-op thread(s) per "
           "inference",
           edge_isa_name(edge_isa_effective((edge_isa)d->cfg.kernel_isa)),
           edge_isa_name((edge_isa)d->cfg.kernel_isa), edge_isa_name(edge_isa_best()), threads);
    dm_log(DM_LOG_INFO, "float32 convolutions and FULLY_CONNECTED: %s", edge_blas_core());
    char demand[96] = "";
    if (d->cfg.memory_budget)
        snprintf(demand, sizeof demand,
                 " and %zu more on demand ([models] memory_budget %llu bytes)", c.on_demand,
                 (unsigned long long)d->cfg.memory_budget);
    dm_log(DM_LOG_INFO,
           "edged %s ready on %s: %zu models (%zu versions)%s from %s, %u workers, queue depth %u",
           EDGED_VERSION, d->cfg.socket_path, c.models, c.versions, demand, d->cfg.models_dir,
           d->cfg.workers ? d->cfg.workers : (unsigned)(cpus > 0 ? cpus : 1), d->cfg.queue_depth);
    dm_service_ready(d->service);
    uv_run(d->loop, UV_RUN_DEFAULT);
    return a->drained ? 0 : 1;
}

/* Every connection is a file descriptor: the soft limit (often 1024) goes up
 * to the hard one (systemd's default is 524288), as nginx's
 * worker_rlimit_nofile would. */
static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    const rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        dm_log(DM_LOG_WARN, "cannot raise the open-file limit from %llu to %llu: %s",
               (unsigned long long)was, (unsigned long long)rl.rlim_max, strerror(errno));
}

int main(int argc, char **argv)
{
    dm_memory_init();
    dm_frontends_config(); /* their sections, before the command line and the file */
    static app a;
    bool print_config = false;
    const int rc = parse_args(&a, argc, argv, &print_config);
    if (rc >= 0)
        return rc;
    char err[1024];
    if (load_config(&a, &a.d.cfg, err, sizeof err) != 0) {
        dm_log(DM_LOG_ERROR, "%s", err);
        return 2;
    }
    dm_log_set_level((dm_log_level)a.d.cfg.log_level);
    if (print_config) {
        size_t len = 0;
        char *text = dm_config_render(&a.d.cfg, &len);
        const bool ok = text && fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
        free(text);
        return ok ? 0 : 1;
    }
    signal(SIGPIPE, SIG_IGN); /* a peer that went away is an EPIPE, not a death */
    raise_nofile();
    static uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        dm_log(DM_LOG_ERROR, "cannot create the event loop");
        return 1;
    }
    a.d.loop = &loop;
    if (access(a.d.config_path, F_OK) != 0)
        dm_log(DM_LOG_INFO, "no %s: using the defaults and the command line", a.d.config_path);
    a.d.reg = dm_registry_new(&a.d.cfg);
    if (!a.d.reg) { /* shut_down needs one */
        dm_log(DM_LOG_ERROR, "out of memory for the model registry");
        uv_loop_close(&loop);
        return 1;
    }
    a.d.backends = dm_backends_load(&a.d.cfg);
    if (a.d.reg)
        dm_registry_set_backends(a.d.reg, a.d.backends);
    const int status = a.d.reg ? start(&a) : 1;
    shut_down(&a);
    return status;
}
