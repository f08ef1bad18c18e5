/* rss.c — runs a command and reports its wall time and peak resident set
 * (`make bench`; bench/scale.sh, bench/sweep.sh).  Usage:
 *     rss OUTFILE COMMAND [ARG]...
 * writes "WALL_SECONDS MAXRSS_KIB CPU_SECONDS" on one line to OUTFILE
 * (wait4's ru_maxrss: the child's peak, or the largest of its waited-for
 * descendants'; CPU = its ru_utime + ru_stime) and exits with the command's status (128 + signal if it
 * was killed; 127 if it could not be run; 99 on a usage or system error). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

static double rss_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    struct rusage ru;
    double t0, wall, cpu;
    pid_t pid, got;
    int status;
    FILE *f;

    if (argc < 3) {
        fprintf(stderr, "usage: rss OUTFILE COMMAND [ARG]...\n");
        return 99;
    }
    t0 = rss_now();
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rss: fork: %s\n", strerror(errno));
        return 99;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rss: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    do
        got = wait4(pid, &status, 0, &ru);
    while (got < 0 && errno == EINTR);
    wall = rss_now() - t0;
    if (got < 0) {
        fprintf(stderr, "rss: wait4: %s\n", strerror(errno));
        return 99;
    }
    cpu = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
          (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%.3f %ld %.3f\n", wall, ru.ru_maxrss, cpu) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "rss: %s: %s\n", argv[1], strerror(errno));
        return 99;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
