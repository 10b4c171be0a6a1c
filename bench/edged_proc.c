/* bench/edged_proc.c - an edged process for the daemon benchmarks (edged_proc.h); edged runs
 * at the benchmark's --kernels level (bench_kernels_arg) when it was given one. */
#include "edged_proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "edge/client.h"

pid_t bench_edged_start(const char *edged_bin, const char *conf, const char *sock, const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the benchmark */
        const int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
            close(fd);
        }
        const char *level = bench_kernels_level();
        if (level[0])
            execl(edged_bin, "edged", "--config", conf, "--kernels", level, (char *)NULL);
        else
            execl(edged_bin, "edged", "--config", conf, (char *)NULL);
        _exit(127);
    }
    edge_client *c = NULL;
    edge_client_new(sock, NULL, &c);
    for (int i = 0; i < 600; i++) {
        bool live = false, ready = false;
        if (edge_client_health(c, &live, &ready) == 0 && ready) {
            edge_client_free(c);
            return pid;
        }
        edge_client_close(c);
        if (waitpid(pid, NULL, WNOHANG) == pid) { /* it exited: the log says why */
            edge_client_free(c);
            return -1;
        }
        usleep(100000);
    }
    edge_client_free(c);
    bench_edged_stop(&pid);
    return -1;
}

void bench_edged_stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
    }
    *pid = -1;
}

int bench_edged_log_problems(const char *log, const char *label)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "<3>", 3) && strncmp(line, "<4>", 3))
            continue;
        if (n++ < 5)
            printf("   %s: %s", label, line);
    }
    fclose(f);
    printf("   %s: %d warning/error line(s) in edged's log\n", label, n);
    return n;
}

int bench_free_port(void)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static bool port_answers(int port)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    const bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

void bench_broker_stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
    }
    *pid = -1;
}

pid_t bench_broker_start(const char *dir, int *port, char *version, size_t vlen)
{
    char conf[256], log[256];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        *port = bench_free_port();
        FILE *f = fopen(conf, "w");
        if (*port < 0 || !f) {
            fprintf(stderr, "bench: %s: %s\n", f ? "no free port" : conf, strerror(errno));
            if (f)
                fclose(f);
            return -1;
        }
        fprintf(f,
                "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "set_tcp_nodelay true\n",
                *port);
        if (geteuid() == 0)
            fprintf(f, "user root\n"); /* otherwise it drops to the user mosquitto */
        if (fclose(f) != 0) {
            fprintf(stderr, "bench: write %s: %s\n", conf, strerror(errno));
            return -1;
        }
        fflush(NULL);
        const pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "bench: fork: %s\n", strerror(errno));
            return -1;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the benchmark */
            if (getppid() != parent)
                _exit(1);
            const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
            execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf, (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 500; i++) {
            if (port_answers(*port)) {
                FILE *l = fopen(log, "r");
                char line[256];
                while (l && fgets(line, sizeof line, l)) {
                    const char *v = strstr(line, "mosquitto version ");
                    if (v && vlen)
                        snprintf(version, vlen, "%.31s", v + 18);
                }
                if (version && vlen)
                    version[strcspn(version, " \n")] = 0;
                if (l)
                    fclose(l);
                return pid;
            }
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                    fprintf(stderr, "bench: cannot run mosquitto (apt-get install mosquitto)\n");
                    return -1;
                }
                break; /* the port was taken meanwhile: another one */
            }
            usleep(10000);
        }
        bench_broker_stop(&pid);
    }
    fprintf(stderr, "bench: mosquitto did not start; see %s\n", log);
    return -1;
}
