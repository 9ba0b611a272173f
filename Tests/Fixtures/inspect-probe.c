/* inspect helper: probes of our own, beyond rkt's inspect (directory listings with device
 * numbers, memory allocation under a limit, single syscalls under a seccomp filter). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sched.h>
#include <unistd.h>

#include "inspect.h"

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* One line per entry, sorted: "name c 1:3", "name d", "name l -> target", "name f". */
void list_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) { fprintf(stderr, "Cannot list %s: %s\n", path, goerr(errno)); exit(254); }
    char *names[1024];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) {
        char full[PATH_MAX];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat st;
        if (lstat(full, &st) != 0) { printf("%s ? %s\n", names[i], goerr(errno)); continue; }
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            printf("%s %c %u:%u\n", names[i], S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
        else if (S_ISLNK(st.st_mode)) {
            char t[PATH_MAX];
            ssize_t k = readlink(full, t, sizeof t - 1);
            t[k < 0 ? 0 : k] = 0;
            printf("%s l -> %s\n", names[i], t);
        } else printf("%s %c\n", names[i], S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : 'o');
        free(names[i]);
    }
}

/* Allocates `mb` MiB and touches every page, so the memory is really charged to the cgroup. */
void alloc_mb(long mb) {
    size_t len = (size_t)mb << 20;
    char *p = malloc(len);
    if (!p) { fprintf(stderr, "Cannot allocate %ld MiB\n", mb); exit(254); }
    for (size_t i = 0; i < len; i += 4096) p[i] = 1;
    printf("Allocated %ld MiB\n", mb);
    fflush(stdout);
}

/* Makes one harmless call of syscall `name` and prints "syscall NAME: ok" or its error. A
 * filter that kills instead ends the process with SIGSYS. */
void call_syscall(const char *name) {
    long r;
    struct utsname u;
    char buf[PATH_MAX];
    if (!strcmp(name, "kcmp")) r = syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0);
    else if (!strcmp(name, "unshare")) r = unshare(0);
    else if (!strcmp(name, "uname")) r = uname(&u);
    else if (!strcmp(name, "getcwd")) r = syscall(SYS_getcwd, buf, sizeof buf) < 0 ? -1 : 0;
    else if (!strcmp(name, "umount2")) r = umount2("/inspect-no-such-mount", 0);
    else if (!strcmp(name, "swapoff")) r = swapoff("/inspect-no-such-swap");
    else { fprintf(stderr, "unknown syscall probe %s\n", name); exit(254); }
    if (r < 0) printf("syscall %s: %s\n", name, goerr(errno));
    else printf("syscall %s: ok\n", name);
    fflush(stdout);
}
