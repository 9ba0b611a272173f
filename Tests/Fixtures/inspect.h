/* Pieces of the inspect helper split out of inspect.c by concern. */
#ifndef INSPECT_H
#define INSPECT_H
#include <stddef.h>

const char *goerr(int e);
char *read_all(const char *path, size_t *len, int *err);

/* inspect-sys.c: processes, credentials, cgroups, namespaces */
void check_mknod(const char *spec);
void check_path(void);
void print_caps(int pid, const char *suffix);
void print_memory_limit(void);
void print_cpu_quota(void);
void print_cpu_shares(void);
void check_cgroups(void);
void print_ns(const char *ns, const char *label);
void print_status_field(const char *field, const char *label);
void sha1_hex(const unsigned char *data, size_t len, char out[41]);

/* inspect-probe.c: directory listings, memory, syscalls */
void list_dir(const char *path);
void alloc_mb(long mb);
void call_syscall(const char *name);

/* inspect-net.c: interfaces, routes, a tiny HTTP client and server */
void print_ipv4(const char *iface);
void print_default_gw4(void);
void print_default_gw6(void);
void print_gw4(const char *iface);
void serve_http(const char *addr, int timeout);
char *http_get(const char *url);
#endif
