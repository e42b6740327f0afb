/* LD_PRELOAD shim for bench/study.sh (which builds it at run time): the
 * drops of a process's AF_PACKET sockets, which only the socket's owner can
 * read (PACKET_STATISTICS) and which DPDK 22.11's net_af_packet does not
 * report.
 *
 * Records every AF_PACKET socket the process opens; reads its statistics
 * just before it is closed (and, for sockets still open, at exit); at exit
 * writes "tp_drops tp_packets sockets\n" (summed; tp_packets includes the
 * drops) to the file named by $LCS_AFP_DROPS. PACKET_STATISTICS resets the
 * counters on each read: nothing else in the process reads them.
 *
 *   cc -O2 -shared -fPIC -o afp_drops.so afp_drops.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/if_packet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 256

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int fds[MAX_FDS];
static int nfds;
static unsigned long long drops, packets, sockets;

/* add the statistics of fd since the last read (caller holds mu) */
static void harvest(int fd)
{
    struct tpacket_stats_v3 st = { 0 };
    socklen_t len = sizeof(st);
    if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        drops += st.tp_drops;
        packets += st.tp_packets;
    }
}

int socket(int domain, int type, int protocol)
{
    static int (*real)(int, int, int);
    if (real == NULL)
        real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    int fd = real(domain, type, protocol);
    if (fd >= 0 && domain == AF_PACKET) {
        pthread_mutex_lock(&mu);
        if (nfds < MAX_FDS)
            fds[nfds++] = fd;
        sockets++;
        pthread_mutex_unlock(&mu);
    }
    return fd;
}

int close(int fd)
{
    static int (*real)(int);
    if (real == NULL)
        real = (int (*)(int))dlsym(RTLD_NEXT, "close");
    pthread_mutex_lock(&mu);
    for (int i = 0; i < nfds; i++) {
        if (fds[i] == fd) {
            harvest(fd);
            fds[i] = fds[--nfds];
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    return real(fd);
}

__attribute__((destructor)) static void afp_drops_report(void)
{
    const char *path = getenv("LCS_AFP_DROPS");
    pthread_mutex_lock(&mu);
    for (int i = 0; i < nfds; i++)
        harvest(fds[i]);
    nfds = 0;
    if (path != NULL && sockets > 0) {
        FILE *f = fopen(path, "w");
        if (f != NULL) {
            fprintf(f, "%llu %llu %llu\n", drops, packets, sockets);
            fclose(f);
        }
    }
    pthread_mutex_unlock(&mu);
}
