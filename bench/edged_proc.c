/* bench/edged_proc.c - an edged process for the daemon benchmarks (edged_proc.h). */
#include "edged_proc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
