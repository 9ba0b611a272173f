/*
 * inspect: the functional tests' probe, re-implemented in C from rkt's tests/inspect/inspect.go.
 * Built with `gcc -static` so the test image needs no libraries. It prints what it sees from
 * inside a pod in exactly the formats rkt's tests matched on (rkt-functional-tests.md §1.4):
 * Go `flag` syntax (-x, --x, -x=v, -x v), actions in a fixed order, errors on stderr with
 * exit 254, Go-style error texts ("open /f: read-only file system") and os.FileMode strings.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "inspect.h"

/* ---------------------------------------------------------------- flags */

enum kind { BOOL, INT, STR };
struct flag { const char *name; enum kind kind; int b; long i; const char *s; int set; };

static struct flag flags[] = {
    {"silent-sigterm", BOOL}, {"pre-sleep", INT}, {"read-stdin", BOOL}, {"print-no-new-privs", BOOL},
    {"check-mknod", STR}, {"check-tty", BOOL}, {"check-path", BOOL}, {"print-exec", BOOL},
    {"print-msg", STR}, {"print-env", STR}, {"print-caps-pid", INT, 0, -1}, {"suffix-msg", STR},
    {"print-user", BOOL}, {"print-groups", BOOL}, {"write-file", BOOL}, {"read-file", BOOL},
    {"stat-file", BOOL}, {"hash-file", BOOL}, {"file-symlink-target", BOOL}, {"file-name", STR},
    {"content", STR}, {"print-cwd", BOOL}, {"print-memorylimit", BOOL}, {"print-memory-limit", BOOL},
    {"print-cpuquota", BOOL}, {"print-cpu-quota", BOOL}, {"print-cpushares", BOOL},
    {"check-cgroups", BOOL}, {"print-netns", BOOL}, {"print-ipcns", BOOL}, {"print-ipv4", STR},
    {"print-ipv6", STR}, {"print-defaultgwv4", BOOL}, {"print-defaultgwv6", BOOL}, {"print-gwv4", STR},
    {"print-gwv6", STR}, {"print-hostname", BOOL}, {"print-pid", BOOL}, {"print-ppid", BOOL},
    {"print-seccomp-mode", BOOL}, {"print-mountinfo", BOOL}, {"serve-http", STR},
    {"serve-http-timeout", INT, 0, 30}, {"get-http", STR}, {"print-iface-count", BOOL},
    {"print-app-annotation", STR}, {"check-mountns", BOOL}, {"list-dir", STR}, {"alloc-mb", INT}, {"syscall", STR},
    {"sleep", INT}, {"exit-code", INT},
    {NULL, BOOL},
};

static struct flag *lookup(const char *name) {
    for (struct flag *f = flags; f->name; f++)
        if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

static int on(const char *name) { struct flag *f = lookup(name); return f && f->b; }
static long num(const char *name) { struct flag *f = lookup(name); return f ? f->i : 0; }
static const char *str(const char *name) { struct flag *f = lookup(name); return f && f->set ? f->s : NULL; }

static void usage_exit(const char *fmt, const char *arg) {
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "Usage of inspect:\n");
    exit(2);
}

/* Go's flag package: stops at the first non-flag or "--"; -x and --x are the same. */
static int parse_flags(int argc, char **argv) {
    int i = 1;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) break;
        a++;
        if (a[0] == '-') {
            a++;
            if (a[0] == 0) { i++; break; }
        }
        char name[128];
        const char *val = NULL;
        char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= sizeof name) n = sizeof name - 1;
        memcpy(name, a, n);
        name[n] = 0;
        if (eq) val = eq + 1;
        struct flag *f = lookup(name);
        if (!f) usage_exit("flag provided but not defined: -%s\n", name);
        f->set = 1;
        if (f->kind == BOOL) {
            if (!val || !strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "t") || !strcmp(val, "T") || !strcmp(val, "TRUE") || !strcmp(val, "True")) f->b = 1;
            else if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "f") || !strcmp(val, "F") || !strcmp(val, "FALSE") || !strcmp(val, "False")) f->b = 0;
            else usage_exit("invalid boolean value for flag -%s\n", name);
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) usage_exit("flag needs an argument: -%s\n", name);
            val = argv[++i];
        }
        if (f->kind == INT) {
            char *end;
            errno = 0;
            f->i = strtol(val, &end, 0);
            if (errno || *end || end == val) usage_exit("invalid value for flag -%s\n", name);
        } else {
            f->s = val;
        }
    }
    return i;
}

/* ---------------------------------------------------------------- helpers */

/* Go's syscall.Errno strings are glibc's with a lower-case first letter. */
const char *goerr(int e) {
    static char buf[256];
    snprintf(buf, sizeof buf, "%s", strerror(e));
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    exit(code);
}

static const char *file_name(void) {
    const char *f = str("file-name");
    return f ? f : getenv("FILE");
}

static const char *file_content(void) {
    const char *c = str("content");
    return c ? c : (getenv("CONTENT") ? getenv("CONTENT") : "");
}

char *read_all(const char *path, size_t *len, int *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { *err = errno; return NULL; }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) { cap *= 2; buf = realloc(buf, cap + 1); }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) { if (errno == EINTR) continue; *err = errno; close(fd); free(buf); return NULL; }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

/* Go's os.FileMode.String() for a stat(2) mode. */
static void go_filemode(mode_t m, char *out) {
    char *p = out;
    if (S_ISDIR(m)) *p++ = 'd';
    if (S_ISLNK(m)) *p++ = 'L';
    if (S_ISBLK(m) || S_ISCHR(m)) *p++ = 'D';
    if (S_ISFIFO(m)) *p++ = 'p';
    if (S_ISSOCK(m)) *p++ = 'S';
    if (m & S_ISUID) *p++ = 'u';
    if (m & S_ISGID) *p++ = 'g';
    if (S_ISCHR(m)) *p++ = 'c';
    if (m & S_ISVTX) *p++ = 't';
    if (p == out) *p++ = '-';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) *p++ = (m & (1u << (8 - i))) ? rwx[i] : '-';
    *p = 0;
}

/* Go's %q for plain ASCII paths. */
static void print_quoted(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\x%02x", (unsigned char)*s);
        else putchar(*s);
    }
    putchar('"');
}

static int cmp_gid(const void *a, const void *b) {
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static void on_sigterm(int sig) { (void)sig; _exit(0); }

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int first = parse_flags(argc, argv);
    if (first < argc) die(254, "Wrong parameters\n");

    if (on("silent-sigterm")) signal(SIGTERM, on_sigterm);
    if (num("pre-sleep") > 0) sleep((unsigned)num("pre-sleep"));

    if (on("read-stdin")) {
        printf("Enter text:\n");
        char line[4096];
        if (!fgets(line, sizeof line, stdin)) die(254, "Error reading from stdin: EOF\n");
        printf("Received text: %s\n", line);
    }
    if (on("print-no-new-privs")) {
        int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        printf("no_new_privs: %d err: errno %d\n", r < 0 ? 0 : r, r < 0 ? errno : 0);
    }
    if (str("check-mknod")) check_mknod(str("check-mknod"));
    if (on("check-tty")) {
        struct termios t;
        printf(ioctl(0, TCGETS, &t) == 0 ? "stdin is a terminal\n" : "stdin is not a terminal\n");
    }
    if (on("check-path")) check_path();
    if (on("print-exec")) printf("inspect exceed as: %s\n", argv[0]);
    if (str("print-msg")) {
        printf("%s\n", str("print-msg"));
        const char *loop = getenv("MESSAGE_LOOP");
        for (long n = loop ? strtol(loop, NULL, 10) : 0; n > 0; n--) {
            sleep(1);
            printf("%s\n", str("print-msg"));
        }
    }
    if (str("print-env")) {
        const char *v = getenv(str("print-env"));
        printf("%s=%s\n", str("print-env"), v ? v : "");
    }
    if (num("print-caps-pid") >= 0) print_caps((int)num("print-caps-pid"), str("suffix-msg") ? str("suffix-msg") : "");
    if (on("print-user")) printf("User: uid=%d euid=%d gid=%d egid=%d\n", getuid(), geteuid(), getgid(), getegid());
    if (on("print-groups")) {
        gid_t g[NGROUPS_MAX + 1];
        int n = getgroups(NGROUPS_MAX, g);
        if (n < 0) die(254, "Error getting groups: %s\n", goerr(errno));
        int has = 0;
        for (int i = 0; i < n; i++) has |= g[i] == getegid();
        if (!has) g[n++] = getegid();
        qsort(g, (size_t)n, sizeof g[0], cmp_gid);
        printf("Groups: ");
        for (int i = 0; i < n; i++) printf("%u ", g[i]);
        printf("\n");
    }
    if (on("write-file")) {
        const char *f = file_name();
        if (!f) die(254, "Cannot write to file: no file name given\n");
        const char *c = file_content();
        int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) die(254, "Cannot write to file \"%s\": open %s: %s\n", f, f, goerr(errno));
        size_t len = strlen(c);
        if (write(fd, c, len) != (ssize_t)len) die(254, "Cannot write to file \"%s\": write %s: %s\n", f, f, goerr(errno));
        close(fd);
    }
    if (on("read-file")) {
        const char *f = file_name();
        if (!f) die(254, "Cannot read file: no file name given\n");
        int err = 0;
        char *dat = read_all(f, NULL, &err);
        if (!dat) die(254, "Cannot read file \"%s\": open %s: %s\n", f, f, goerr(err));
        printf("<<<%s>>>\n", dat);
        free(dat);
    }
    if (on("stat-file")) {
        const char *f = file_name();
        struct stat st;
        if (!f || stat(f, &st) != 0) die(254, "Cannot stat file \"%s\": stat %s: %s\n", f ? f : "", f ? f : "", goerr(errno));
        char mode[32];
        go_filemode(st.st_mode, mode);
        printf("%s: mode: %s\n%s: user: %u\n%s: group: %u\n", f, mode, f, st.st_uid, f, st.st_gid);
    }
    if (on("hash-file")) {
        const char *f = file_name();
        size_t len = 0;
        int err = 0;
        char *dat = f ? read_all(f, &len, &err) : NULL;
        if (!dat) die(254, "Cannot read file \"%s\": open %s: %s\n", f ? f : "", f ? f : "", goerr(err));
        char hex[41];
        sha1_hex((const unsigned char *)dat, len, hex);
        printf("sha1sum: %s\n", hex);
        free(dat);
    }
    if (on("file-symlink-target")) {
        const char *f = file_name();
        char target[PATH_MAX];
        ssize_t n = f ? readlink(f, target, sizeof target - 1) : -1;
        if (n < 0) die(1, "Cannot read symlink \"%s\": readlink %s: %s\n", f ? f : "", f ? f : "", goerr(errno));
        target[n] = 0;
        printf("symlink: ");
        print_quoted(f);
        printf(" -> ");
        print_quoted(target);
        printf("\n");
    }
    if (on("print-cwd")) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) die(254, "Cannot get working directory: %s\n", goerr(errno));
        printf("cwd: %s\n", cwd);
    }
    if (on("print-memorylimit") || on("print-memory-limit")) print_memory_limit();
    if (on("print-cpuquota") || on("print-cpu-quota")) print_cpu_quota();
    if (on("print-cpushares")) print_cpu_shares();
    if (on("check-cgroups")) check_cgroups();
    if (on("print-netns")) print_ns("net", "NetNS");
    if (on("print-ipcns")) print_ns("ipc", "IPCNS");
    if (str("print-ipv4")) print_ipv4(str("print-ipv4"));
    if (on("print-defaultgwv4")) print_default_gw4();
    if (on("print-defaultgwv6")) print_default_gw6();
    if (str("print-gwv4")) print_gw4(str("print-gwv4"));
    if (on("print-hostname")) {
        char h[256] = "";
        gethostname(h, sizeof h - 1);
        printf("Hostname: %s\n", h);
    }
    if (on("print-pid")) printf("PID: %d\n", getpid());
    if (on("print-ppid")) printf("PPID: %d\n", getppid());
    if (on("print-seccomp-mode")) print_status_field("Seccomp", "Seccomp");
    if (on("print-mountinfo")) {
        int err = 0;
        char *m = read_all("/proc/self/mountinfo", NULL, &err);
        if (!m) die(254, "Cannot read file \"/proc/self/mountinfo\": open /proc/self/mountinfo: %s\n", goerr(err));
        fputs(m, stdout);
        free(m);
    }
    if (str("serve-http")) serve_http(str("serve-http"), (int)num("serve-http-timeout"));
    if (str("get-http")) {
        char *body = http_get(str("get-http"));
        if (!body) exit(254);
        printf("HTTP-Get received: %s\n", body);
        free(body);
    }
    if (on("print-iface-count")) {
        struct if_nameindex *ifs = if_nameindex();
        int n = 0;
        for (struct if_nameindex *i = ifs; i && i->if_index; i++) n++;
        if (ifs) if_freenameindex(ifs);
        printf("Interface count: %d\n", n);
    }
    if (str("print-app-annotation")) {
        const char *base = getenv("AC_METADATA_URL"), *app = getenv("AC_APP_NAME");
        if (!base || !app) die(254, "AC_METADATA_URL or AC_APP_NAME is not set\n");
        char url[2048];
        snprintf(url, sizeof url, "%s/acMetadata/v1/apps/%s/annotations/%s", base, app, str("print-app-annotation"));
        char *body = http_get(url);
        if (!body) exit(254);
        printf("Annotation %s=%s\n", str("print-app-annotation"), body);
        free(body);
    }
    if (on("check-mountns")) {
        char self[256] = "", one[256] = "";
        ssize_t a = readlink("/proc/self/ns/mnt", self, sizeof self - 1);
        ssize_t b = readlink("/proc/1/ns/mnt", one, sizeof one - 1);
        if (a < 0 || b < 0) die(254, "check-mountns: cannot read mount namespaces: %s\n", goerr(errno));
        if (strcmp(self, one) == 0) die(254, "check-mountns: IDENTICAL\n");
        printf("check-mountns: DIFFERENT\n");
    }
    if (str("list-dir")) list_dir(str("list-dir"));
    if (num("alloc-mb") > 0) alloc_mb(num("alloc-mb"));
    if (str("syscall")) call_syscall(str("syscall"));
    if (num("sleep") > 0) sleep((unsigned)num("sleep"));
    return (int)num("exit-code");
}
