/* inspect helper: interfaces, routes and a tiny HTTP client/server (see inspect.c).
 * Only loopback and pod-network addresses are ever used by the tests. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inspect.h"

void print_ipv4(const char *iface) {
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0) { fprintf(stderr, "Cannot get interfaces: %s\n", goerr(errno)); exit(254); }
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strcmp(i->ifa_name, iface) != 0) continue;
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof buf);
        printf("%s IPv4: %s\n", iface, buf);
        freeifaddrs(ifs);
        return;
    }
    freeifaddrs(ifs);
    fprintf(stderr, "Cannot find IPv4 address of %s\n", iface);
    exit(254);
}

/* Gateway from /proc/net/route for the default route (iface NULL) or any route on iface. */
static int find_gw4(const char *iface, char *out) {
    int err = 0;
    char *s = read_all("/proc/net/route", NULL, &err);
    if (!s) return 0;
    int found = 0;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save)) {
        char name[64];
        unsigned dst, gw;
        if (sscanf(line, "%63s %x %x", name, &dst, &gw) != 3) continue;
        if (gw == 0) continue;
        if (iface ? strcmp(name, iface) != 0 : dst != 0) continue;
        struct in_addr a = {.s_addr = gw};
        inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
        found = 1;
    }
    free(s);
    return found;
}

void print_default_gw4(void) {
    char gw[INET_ADDRSTRLEN];
    if (!find_gw4(NULL, gw)) { fprintf(stderr, "Cannot find default gateway\n"); exit(254); }
    printf("DefaultGWv4: %s\n", gw);
}

void print_gw4(const char *iface) {
    char gw[INET_ADDRSTRLEN];
    if (!find_gw4(iface, gw)) { fprintf(stderr, "Cannot find gateway of %s\n", iface); exit(254); }
    printf("%s GWv4: %s\n", iface, gw);
}

void print_default_gw6(void) {
    int err = 0;
    char *s = read_all("/proc/net/ipv6_route", NULL, &err);
    if (s) {
        char *save = NULL;
        for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char dst[33], gw[33];
            unsigned plen;
            if (sscanf(line, "%32s %x %*s %*s %32s", dst, &plen, gw) != 3) continue;
            if (plen != 0 || strspn(gw, "0") == 32) continue;
            struct in6_addr a;
            for (int k = 0; k < 16; k++) { unsigned b; sscanf(gw + 2 * k, "%2x", &b); a.s6_addr[k] = (unsigned char)b; }
            char buf[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, &a, buf, sizeof buf);
            printf("DefaultGWv6: %s\n", buf);
            free(s);
            return;
        }
        free(s);
    }
    fprintf(stderr, "Cannot find default IPv6 gateway\n");
    exit(254);
}

/* "host:port" → IPv4 sockaddr; an empty host or "0.0.0.0" means any, "localhost" loopback. */
static int parse_hostport(const char *hp, struct sockaddr_in *sa) {
    const char *colon = strrchr(hp, ':');
    if (!colon) return 0;
    char host[256];
    size_t n = (size_t)(colon - hp);
    if (n >= sizeof host) return 0;
    memcpy(host, hp, n);
    host[n] = 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short)atoi(colon + 1));
    if (n == 0) sa->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0) sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) return 0;
    return 1;
}

void serve_http(const char *addr, int timeout) {
    struct sockaddr_in sa;
    if (!parse_hostport(addr, &sa)) { fprintf(stderr, "Invalid address %s\n", addr); exit(254); }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 4) != 0) {
        fprintf(stderr, "listen tcp %s: %s\n", addr, goerr(errno));
        exit(254);
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    fprintf(stderr, "%s: serving on %s\n", host, addr);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {.tv_sec = timeout > 0 ? timeout : 30};
    if (select(s + 1, &rd, NULL, NULL, &tv) <= 0) { close(s); return; }
    int c = accept(s, NULL, NULL);
    if (c >= 0) {
        char req[4096];
        (void)read(c, req, sizeof req);
        char resp[512];
        int n = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(host), host);
        (void)write(c, resp, (size_t)n);
        close(c);
    }
    close(s);
}

/* GET http://host:port/path over IPv4; returns the body or NULL (error printed). */
char *http_get(const char *url) {
    if (strncmp(url, "http://", 7) != 0) { fprintf(stderr, "Unsupported URL %s\n", url); return NULL; }
    const char *hp = url + 7, *slash = strchr(hp, '/');
    char hostport[300];
    size_t n = slash ? (size_t)(slash - hp) : strlen(hp);
    if (n >= sizeof hostport - 4) return NULL;
    memcpy(hostport, hp, n);
    hostport[n] = 0;
    if (!strchr(hostport, ':')) strcat(hostport, ":80");
    struct sockaddr_in sa;
    if (!parse_hostport(hostport, &sa)) { fprintf(stderr, "Invalid URL %s\n", url); return NULL; }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "Get %s: dial tcp %s: %s\n", url, hostport, goerr(errno));
        return NULL;
    }
    char req[4096];
    int rn = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", slash ? slash : "/", hostport);
    (void)write(s, req, (size_t)rn);
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (len == cap) { cap *= 2; buf = realloc(buf, cap + 1); }
        ssize_t r = read(s, buf + len, cap - len);
        if (r <= 0) break;
        len += (size_t)r;
    }
    close(s);
    buf[len] = 0;
    char *body = strstr(buf, "\r\n\r\n");
    char *out = strdup(body ? body + 4 : "");
    free(buf);
    return out;
}
