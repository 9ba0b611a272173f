/* inspect helper: processes, credentials, cgroups and namespaces (see inspect.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "inspect.h"

/* gocapability's names, in kernel numeric order. */
static const char *cap_names[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
    "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
    "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
    "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
    "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};
#define NCAPS (int)(sizeof cap_names / sizeof cap_names[0])

void check_mknod(const char *spec) {
    char type = 0, path[4096];
    unsigned maj = 0, min = 0;
    if (sscanf(spec, "%c:%u:%u:%4095s", &type, &maj, &min, path) != 4 || (type != 'c' && type != 'b')) {
        fprintf(stderr, "Invalid mknod spec %s\n", spec);
        exit(254);
    }
    mode_t m = 0777 | (type == 'c' ? S_IFCHR : S_IFBLK);
    if (mknod(path, m, makedev(maj, min)) != 0) {
        fprintf(stderr, "mknod %s: fail: %s\n", path, goerr(errno));
        exit(254);
    }
    printf("mknod %s: succeed\n", path);
    exit(0);
}

void check_path(void) {
    size_t len = 0;
    int err = 0;
    char *env = read_all("/proc/self/environ", &len, &err);
    if (!env) { fprintf(stderr, "Cannot read /proc/self/environ: %s\n", goerr(err)); exit(254); }
    for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
        if (strncmp(env + i, "PATH=", 5) == 0) {
            if (strchr(env + i, '\n')) { printf("Malformed PATH: found new line\n"); exit(254); }
            printf("PATH is good\n");
            exit(0);
        }
    }
    printf("PATH not found\n");
    exit(254);
}

/* The value of `field:` in /proc/<pid>/status, or NULL. */
static char *status_field(int pid, const char *field) {
    char path[64];
    if (pid == 0) snprintf(path, sizeof path, "/proc/self/status");
    else snprintf(path, sizeof path, "/proc/%d/status", pid);
    int err = 0;
    char *s = read_all(path, NULL, &err);
    if (!s) return NULL;
    size_t fl = strlen(field);
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            char *v = line + fl + 1;
            while (*v == ' ' || *v == '\t') v++;
            char *out = strdup(v);
            free(s);
            return out;
        }
    }
    free(s);
    return NULL;
}

void print_status_field(const char *field, const char *label) {
    char *v = status_field(0, field);
    if (!v) { fprintf(stderr, "cannot read %s from /proc/self/status\n", field); exit(254); }
    printf("%s: %s\n", label, v);
    free(v);
}

static int last_cap(void) {
    int err = 0;
    char *s = read_all("/proc/sys/kernel/cap_last_cap", NULL, &err);
    int n = s ? atoi(s) : NCAPS - 1;
    free(s);
    return n < NCAPS ? n : NCAPS - 1;
}

void print_caps(int pid, const char *suffix) {
    const char *sets[][2] = {{"CapEff", "effective"}, {"CapPrm", "permitted"}, {"CapInh", "inheritable"}, {"CapBnd", "bounding"}};
    int last = last_cap();
    uint64_t bnd = 0;
    for (int k = 0; k < 4; k++) {
        char *v = status_field(pid, sets[k][0]);
        if (!v) { fprintf(stderr, "Cannot load capabilities of pid %d: %s\n", pid, goerr(errno)); exit(254); }
        uint64_t mask = strtoull(v, NULL, 16);
        free(v);
        if (k == 3) bnd = mask;
        printf("Capability set: %s: ", sets[k][1]);
        int first = 1;
        for (int c = 0; c <= last; c++) {
            if (!(mask & (1ULL << c))) continue;
            printf("%s%s", first ? "" : ", ", cap_names[c]);
            first = 0;
        }
        printf(" (%s)\n", suffix);
    }
    const char *capenv = getenv("CAPABILITY");
    if (capenv) {
        int c = atoi(capenv);
        const char *name = c >= 0 && c < NCAPS ? cap_names[c] : "unknown";
        printf("%s=%s (%s)\n", name, (bnd & (1ULL << c)) ? "enabled" : "disabled", suffix);
    }
}

/* True when the comma-separated v1 controller list `ctrls` names `controller` exactly (not
 * "cpuset" for "cpu"). */
static int has_controller(const char *ctrls, const char *controller) {
    size_t n = strlen(controller);
    for (const char *p = ctrls; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, controller, n) == 0 && (p[n] == ',' || p[n] == 0)) return 1;
    return 0;
}

/* This process's cgroup path: the v2 entry ("0::/x"), else the v1 line naming `controller`. */
static char *own_cgroup(const char *controller) {
    int err = 0;
    char *s = read_all("/proc/self/cgroup", NULL, &err);
    if (!s) return NULL;
    char *found = NULL;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = 0;
        char *ctrls = c1 + 1;
        if ((controller && has_controller(ctrls, controller)) || (!controller && *ctrls == 0)) {
            found = strdup(c2 + 1);
            break;
        }
    }
    free(s);
    return found;
}

/* First readable file among the cgroup locations the pod may show. */
static char *read_cgroup_file(const char *v2file, const char *v1ctrl, const char *v1file) {
    char path[4096];
    int err = 0;
    char *cg = own_cgroup(NULL);
    const char *roots[] = {"/proc/1/root/sys/fs/cgroup", "/sys/fs/cgroup"};
    for (int r = 0; cg && r < 2; r++) {
        snprintf(path, sizeof path, "%s%s/%s", roots[r], strcmp(cg, "/") ? cg : "", v2file);
        char *v = read_all(path, NULL, &err);
        if (v) { free(cg); return v; }
    }
    free(cg);
    snprintf(path, sizeof path, "/sys/fs/cgroup/%s", v2file);
    char *v = read_all(path, NULL, &err);
    if (v) return v;
    if (v1ctrl) {
        cg = own_cgroup(v1ctrl);
        for (int r = 0; cg && r < 2; r++) {
            snprintf(path, sizeof path, "%s/%s%s/%s", roots[r], v1ctrl, cg, v1file);
            v = read_all(path, NULL, &err);
            if (v) { free(cg); return v; }
        }
        free(cg);
    }
    return NULL;
}

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) s[--n] = 0;
}

void print_memory_limit(void) {
    char *v = read_cgroup_file("memory.max", "memory", "memory.limit_in_bytes");
    if (!v) { fprintf(stderr, "Error reading memory limit: %s\n", goerr(errno)); exit(254); }
    chomp(v);
    printf("Memory Limit: %s\n", v);
    free(v);
}

void print_cpu_quota(void) {
    char *v = read_cgroup_file("cpu.max", NULL, NULL);
    if (v) {
        long quota = 0, period = 0;
        if (sscanf(v, "%ld %ld", &quota, &period) == 2 && period > 0) printf("CPU Quota: %ld\n", quota * 1000 / period);
        else printf("CPU Quota: max\n");
        free(v);
        return;
    }
    char *q = read_cgroup_file("cpu.cfs_quota_us.none", "cpu", "cpu.cfs_quota_us");
    char *p = read_cgroup_file("cpu.cfs_period_us.none", "cpu", "cpu.cfs_period_us");
    if (!q || !p || atol(p) == 0) { fprintf(stderr, "Error reading cpu quota: %s\n", goerr(errno)); exit(254); }
    printf("CPU Quota: %ld\n", atol(q) * 1000 / atol(p));
    free(q);
    free(p);
}

void print_cpu_shares(void) {
    char *v = read_cgroup_file("cpu.weight", "cpu", "cpu.shares");
    if (!v) { fprintf(stderr, "Error reading cpu shares: %s\n", goerr(errno)); exit(254); }
    printf("CPU Shares: %s", v);
    free(v);
}

void check_cgroups(void) {
    const char *dirs[] = {"/proc/1/root/sys/fs/cgroup", "/proc/1/root/sys/fs/cgroup/memory", "/proc/1/root/sys/fs/cgroup/cpu"};
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0) continue;
        char path[256];
        snprintf(path, sizeof path, "%s/inspect-check-cgroups", dirs[i]);
        if (mkdir(path, 0755) == 0) {
            rmdir(path);
            printf("check-cgroups: FAIL (%s is writable)\n", dirs[i]);
            exit(254);
        }
        if (errno != EROFS) {
            printf("check-cgroups: FAIL (mkdir %s: %s)\n", path, goerr(errno));
            exit(254);
        }
    }
    printf("check-cgroups: SUCCESS\n");
}

void print_ns(const char *ns, const char *label) {
    char path[64], target[256];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) { fprintf(stderr, "Cannot read %s: %s\n", path, goerr(errno)); exit(254); }
    target[n] = 0;
    printf("%s: %s\n", label, target);
}

/* ---------------------------------------------------------------- SHA-1 (for --hash-file) */

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void sha1_block(uint32_t h[5], const unsigned char *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
        else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
        else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
        else { f = b ^ c ^ d; k = 0xCA62C1D6; }
        uint32_t t = ROL(a, 5) + f + e + k + w[i];
        e = d; d = c; c = ROL(b, 30); b = a; a = t;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
}

void sha1_hex(const unsigned char *data, size_t len, char out[41]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t i = 0;
    for (; i + 64 <= len; i += 64) sha1_block(h, data + i);
    unsigned char tail[128] = {0};
    size_t rem = len - i;
    memcpy(tail, data + i, rem);
    tail[rem] = 0x80;
    size_t tl = rem + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++) tail[tl - 1 - k] = (unsigned char)(bits >> (8 * k));
    sha1_block(h, tail);
    if (tl == 128) sha1_block(h, tail + 64);
    for (int k = 0; k < 5; k++) sprintf(out + 8 * k, "%08x", h[k]);
}
