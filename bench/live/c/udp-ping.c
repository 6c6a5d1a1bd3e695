// UDP request/response latency probe for the live benchmark: COUNT sequential round trips of a 1-byte
// request to DST:PORT (the lab real servers answer UDP 5300 with their name), each timed with
// CLOCK_MONOTONIC; a reply missing after 200 ms counts as lost. One source port: one flow.
// Prints "p50_us X p99_us Y lost N ok M".
// usage: udp-ping DST PORT [COUNT]
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: udp-ping DST PORT [COUNT]\n"); return 2; }
  int count = argc > 3 ? atoi(argv[3]) : 2000;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
  to.sin_addr.s_addr = inet_addr(argv[1]);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) { perror("connect"); return 1; }
  struct timeval tv = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  double *rtt = calloc((size_t)count, sizeof *rtt);
  int ok = 0, lost = 0;
  char buf[256];
  for (int i = 0; i < count; i++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (send(fd, "q", 1, 0) < 0) { lost++; continue; }
    if (recv(fd, buf, sizeof buf, 0) < 0) { lost++; continue; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    rtt[ok++] = (b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3;
  }
  qsort(rtt, (size_t)ok, sizeof *rtt, cmp);
  double p50 = ok ? rtt[(ok - 1) / 2] : -1, p99 = ok ? rtt[(int)((ok - 1) * 0.99)] : -1;
  printf("p50_us %.1f p99_us %.1f lost %d ok %d\n", p50, p99, lost, ok);
  return 0;
}
