// rkt_spawn(): see include/rkt_spawn.h for the handshake diagram. Rules (aesthetics.md §9): the
// child never allocates, never calls stdio, never returns into the caller; it only uses raw
// syscalls and async-signal-safe libc calls, and leaves with execve or _exit.
#include "rkt_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct rkt_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

struct fail_record { int stage; int err; };

static const char *const stage_names[] = {
    [RKT_STAGE_NONE] = "spawn",
    [RKT_STAGE_PIPE] = "pipe",
    [RKT_STAGE_CLONE] = "clone",
    [RKT_STAGE_SIGNALS] = "reset signals",
    [RKT_STAGE_PDEATHSIG] = "prctl pdeathsig",
    [RKT_STAGE_PARENT_DIED] = "parent died",
    [RKT_STAGE_USERNS_MAP] = "write uid/gid map",
    [RKT_STAGE_USERNS_SYNC] = "wait for user namespace maps",
    [RKT_STAGE_SETNS] = "setns",
    [RKT_STAGE_HOSTNAME] = "sethostname",
    [RKT_STAGE_CGROUP] = "join cgroup",
    [RKT_STAGE_OOM_SCORE_ADJ] = "write oom_score_adj",
    [RKT_STAGE_SETSID] = "setsid",
    [RKT_STAGE_FDS] = "place fds",
    [RKT_STAGE_DETACH_MOUNTS] = "detach mounts",
    [RKT_STAGE_CHROOT] = "chroot",
    [RKT_STAGE_CHDIR] = "chdir",
    [RKT_STAGE_BOUNDING] = "drop bounding capabilities",
    [RKT_STAGE_SETGROUPS] = "setgroups",
    [RKT_STAGE_SETGID] = "setgid",
    [RKT_STAGE_SETUID] = "setuid",
    [RKT_STAGE_CAPSET] = "capset",
    [RKT_STAGE_AMBIENT] = "raise ambient capabilities",
    [RKT_STAGE_NO_NEW_PRIVS] = "set no_new_privs",
    [RKT_STAGE_SECCOMP] = "load seccomp filter",
    [RKT_STAGE_CLOEXEC] = "mark fds close-on-exec",
    [RKT_STAGE_EXEC] = "execve",
};

const char *rkt_spawn_stage_name(int stage) {
    if (stage < 0 || stage > RKT_STAGE_EXEC || stage_names[stage] == NULL) return "spawn";
    return stage_names[stage];
}

// Reports a failure to the parent and leaves without running atexit handlers or flushing stdio.
static void __attribute__((noreturn)) child_fail(int pipe_fd, int stage) {
    struct fail_record rec = { stage, errno };
    ssize_t n;
    do { n = write(pipe_fd, &rec, sizeof rec); } while (n < 0 && errno == EINTR);
    _exit(127);
}

static int write_all(int fd, const char *s) {
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        s += n; len -= (size_t)n;
    }
    return 0;
}

// Two passes so that a source fd numbered inside 0..n-1 is never clobbered before it is used:
// first every source moves above the target range, then each lands on its final number.
static int place_fds(const int *fds, int count, int err_pipe, int *err_pipe_out) {
    int high[256];
    if (count > 256) { errno = EINVAL; return -1; }
    int floor = count > 3 ? count : 3;
    int moved_pipe = fcntl(err_pipe, F_DUPFD_CLOEXEC, floor);
    if (moved_pipe < 0) return -1;
    *err_pipe_out = moved_pipe;
    for (int i = 0; i < count; i++) {
        high[i] = -1;
        if (fds[i] < 0) continue;
        high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, floor);
        if (high[i] < 0) return -1;
    }
    for (int i = 0; i < count; i++) {
        if (high[i] < 0) { close(i); continue; }
        if (dup2(high[i], i) < 0) return -1; // dup2 clears CLOEXEC on the target
    }
    return 0;
}

static int mark_cloexec_from(int first) {
    if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
    // Older kernels: mark every possible fd; fcntl on a closed fd just fails with EBADF.
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20) max = 1 << 16;
    for (int fd = first; fd < max; fd++) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

static void __attribute__((noreturn))
child_main(const struct rkt_spawn_req *req, int err_pipe, int sync_fd, pid_t parent, int in_cgroup) {
    // 1. Default dispositions: the parent may have handlers that must not run here.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) (void)sigaction(sig, &dfl, NULL);

    // 2. Die with the parent; re-check afterwards because the parent may already be gone.
    //    With CLONE_NEWPID the parent lives outside our pid namespace and getppid() reads 0.
    if (req->pdeathsig > 0) {
        if (prctl(PR_SET_PDEATHSIG, req->pdeathsig, 0, 0, 0) < 0) child_fail(err_pipe, RKT_STAGE_PDEATHSIG);
        pid_t pp = getppid();
        if (pp != parent && pp != 0) { errno = ESRCH; child_fail(err_pipe, RKT_STAGE_PARENT_DIED); }
    }

    // User namespace: the parent writes our maps, then closes its end of the sync pipe.
    if (sync_fd >= 0) {
        char c;
        ssize_t n;
        do { n = read(sync_fd, &c, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) { if (n == 0) errno = EPIPE; child_fail(err_pipe, RKT_STAGE_USERNS_SYNC); }
        close(sync_fd);
    }

    // 3. Join namespaces, user first (the caller orders them).
    for (int i = 0; i < req->ns_count; i++)
        if (setns(req->ns_fds[i], 0) < 0) child_fail(err_pipe, RKT_STAGE_SETNS);

    // 4. Hostname, cgroups, oom score: all before we lose privileges.
    if (req->hostname && sethostname(req->hostname, strlen(req->hostname)) < 0)
        child_fail(err_pipe, RKT_STAGE_HOSTNAME);
    if (!in_cgroup)
        for (int i = 0; i < req->cgroup_procs_count; i++)
            if (write_all(req->cgroup_procs_fds[i], "0") < 0) child_fail(err_pipe, RKT_STAGE_CGROUP);
    if (req->oom_score_adj) {
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write_all(fd, req->oom_score_adj) < 0) child_fail(err_pipe, RKT_STAGE_OOM_SCORE_ADJ);
        close(fd);
    }
    if (req->new_session && setsid() < 0) child_fail(err_pipe, RKT_STAGE_SETSID);

    // 5. fds.
    if (place_fds(req->fds, req->fd_count, err_pipe, &err_pipe) < 0) child_fail(err_pipe, RKT_STAGE_FDS);
    if (req->controlling_tty && ioctl(0, TIOCSCTTY, 0) < 0) child_fail(err_pipe, RKT_STAGE_SETSID);

    // 6a. In a fresh mount namespace, drop the mounts this process must not see (the other apps'
    //     rootfs trees of a pod). The copies are private, so nothing propagates back.
    if (req->clone_flags & CLONE_NEWNS)
        for (int i = 0; i < req->detach_count; i++)
            if (umount2(req->detach_mounts[i], MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                child_fail(err_pipe, RKT_STAGE_DETACH_MOUNTS);

    // 6. Root and working directory. chdir("/") first so the cwd cannot stay outside the root.
    if (req->root) {
        if (chroot(req->root) < 0) child_fail(err_pipe, RKT_STAGE_CHROOT);
        if (chdir("/") < 0) child_fail(err_pipe, RKT_STAGE_CHDIR);
    }
    if (req->cwd && chdir(req->cwd) < 0) child_fail(err_pipe, RKT_STAGE_CHDIR);

    // The bounding set can only shrink while CAP_SETPCAP is effective, i.e. before setuid.
    if (req->set_caps) {
        for (int cap = 0; cap < 64; cap++) {
            if (req->cap_bounding & (1ULL << cap)) continue;
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(err_pipe, RKT_STAGE_BOUNDING);
        }
    }

    // 7. Credentials: groups first, uid last (after setuid we could not change the others).
    //    Raw syscalls, for this task only: glibc's wrappers would broadcast the change to every
    //    thread of the process that shares our memory (its setxid), as posix_spawn avoids too.
    if (req->set_creds) {
        if (syscall(SYS_setgroups, (size_t)req->ngroups, req->groups) < 0) child_fail(err_pipe, RKT_STAGE_SETGROUPS);
        if (syscall(SYS_setresgid, req->gid, req->gid, req->gid) < 0) child_fail(err_pipe, RKT_STAGE_SETGID);
        if (syscall(SYS_setresuid, req->uid, req->uid, req->uid) < 0) child_fail(err_pipe, RKT_STAGE_SETUID);
    }

    // 8. Inheritable/ambient. Effective and permitted stay as they are until exec: a root app gets
    //    the bounding set at execve, and we still need CAP_SYS_ADMIN to load seccomp without NNP.
    if (req->set_caps) {
        struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        if (syscall(SYS_capget, &hdr, data) < 0) child_fail(err_pipe, RKT_STAGE_CAPSET);
        uint64_t perm = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
        uint64_t inh = req->cap_inheritable & perm;
        data[0].inheritable = (uint32_t)inh;
        data[1].inheritable = (uint32_t)(inh >> 32);
        if (syscall(SYS_capset, &hdr, data) < 0) child_fail(err_pipe, RKT_STAGE_CAPSET);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
            child_fail(err_pipe, RKT_STAGE_AMBIENT);
        for (int cap = 0; cap < 64; cap++)
            if ((req->cap_ambient & inh) & (1ULL << cap))
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                    child_fail(err_pipe, RKT_STAGE_AMBIENT);
    }

    // 9. Credential changes clear PDEATHSIG: arm it again.
    if (req->pdeathsig > 0 && prctl(PR_SET_PDEATHSIG, req->pdeathsig, 0, 0, 0) < 0)
        child_fail(err_pipe, RKT_STAGE_PDEATHSIG);

    // 10. NNP, then seccomp last so the filter never sees our own setup syscalls.
    if (req->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(err_pipe, RKT_STAGE_NO_NEW_PRIVS);
    if (req->seccomp_bpf && req->seccomp_len > 0) {
        struct sock_fprog prog = {
            .len = (unsigned short)(req->seccomp_len / sizeof(struct sock_filter)),
            .filter = (struct sock_filter *)req->seccomp_bpf,
        };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
            child_fail(err_pipe, RKT_STAGE_SECCOMP);
    }

    // 11. Nothing but the placed fds survives exec. The error pipe is CLOEXEC already.
    int first = req->fd_count > 3 ? req->fd_count : 3;
    if (mark_cloexec_from(first) < 0) child_fail(err_pipe, RKT_STAGE_CLOEXEC);

    // 12. Signals open again, then exec.
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    execve(req->path, req->argv, req->envp);
    child_fail(err_pipe, RKT_STAGE_EXEC);
}

static pid_t do_clone(const struct rkt_spawn_req *req, int *in_cgroup) {
    struct rkt_clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = (uint64_t)(unsigned)req->clone_flags;
    args.exit_signal = SIGCHLD;
    if (req->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)req->cgroup_fd;
    }
    *in_cgroup = req->cgroup_fd >= 0;
    long r = syscall(SYS_clone3, &args, sizeof args);
    if (r >= 0) return (pid_t)r;
    // No clone3, or CLONE_INTO_CGROUP refused (e.g. a v1 hierarchy): plain clone, and the child
    // joins its cgroups by writing to cgroup.procs itself.
    *in_cgroup = 0;
    return (pid_t)syscall(SYS_clone, (unsigned long)req->clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

struct vfork_args {
    const struct rkt_spawn_req *req;
    int err_pipe, parent_end;
    pid_t parent;
};

static int vfork_child(void *p) {
    const struct vfork_args *a = p;
    close(a->parent_end);
    child_main(a->req, a->err_pipe, -1, a->parent, 0);
}

// clone(CLONE_VM | CLONE_VFORK) on a stack of its own, as glibc's posix_spawn does: the kernel
// copies no page tables and the child takes no copy-on-write faults, which for a static Swift
// parent was about a third of each spawn (docs/performance.md). The parent sleeps until the
// child has exec'd or exited, and the child only reads the request and writes its own stack.
// Not for user namespaces (the parent must run to write the maps, and setns into a user
// namespace refuses a shared mm) nor for setns at all, nor for CLONE_INTO_CGROUP (clone3 only).
static pid_t do_vfork(const struct rkt_spawn_req *req, int err_pipe, int parent_end, pid_t parent) {
    const size_t size = 256 * 1024;
    void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    struct vfork_args a = { req, err_pipe, parent_end, parent };
    pid_t pid = clone(vfork_child, (char *)stack + size,
                      (req->clone_flags & ~(CLONE_VM | CLONE_VFORK)) | CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    int e = errno;
    munmap(stack, size);
    errno = e;
    return pid;
}

int rkt_spawn(const struct rkt_spawn_req *req, pid_t *pid_out, int *stage, int *err) {
    int pipefd[2], syncfd[2] = { -1, -1 };
    *stage = RKT_STAGE_NONE;
    *err = 0;
    if (pipe2(pipefd, O_CLOEXEC) < 0) { *stage = RKT_STAGE_PIPE; *err = errno; return -1; }
    int userns = req->uid_map != NULL || req->gid_map != NULL;
    if (userns && pipe2(syncfd, O_CLOEXEC) < 0) {
        *stage = RKT_STAGE_PIPE; *err = errno;
        close(pipefd[0]); close(pipefd[1]);
        return -1;
    }

    // Signals stay blocked across the clone so no handler runs in the child before it resets them.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t parent = getpid();
    int in_cgroup = 0;
    pid_t pid;
    if (!userns && req->ns_count == 0 && req->cgroup_fd < 0) {
        pid = do_vfork(req, pipefd[1], pipefd[0], parent);
    } else {
        pid = do_clone(req, &in_cgroup);
    }
    if (pid == 0) {
        if (syncfd[1] >= 0) close(syncfd[1]);
        close(pipefd[0]);
        child_main(req, pipefd[1], syncfd[0], parent, in_cgroup);
    }
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pipefd[1]);
    if (syncfd[0] >= 0) close(syncfd[0]);
    if (pid < 0) {
        close(pipefd[0]);
        if (syncfd[1] >= 0) close(syncfd[1]);
        *stage = RKT_STAGE_CLONE; *err = clone_errno;
        return -1;
    }

    if (userns) {
        char path[64];
        int ok = 1;
        const char *maps[2] = { req->uid_map, req->gid_map };
        const char *names[2] = { "uid_map", "gid_map" };
        for (int i = 0; i < 2 && ok; i++) {
            if (!maps[i]) continue;
            snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, names[i]);
            int fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write_all(fd, maps[i]) < 0) { ok = 0; *err = errno; }
            if (fd >= 0) close(fd);
        }
        if (!ok) {
            close(syncfd[1]);
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
            close(pipefd[0]);
            *stage = RKT_STAGE_USERNS_MAP;
            return -1;
        }
        ssize_t w;
        do { w = write(syncfd[1], "1", 1); } while (w < 0 && errno == EINTR);
        close(syncfd[1]);
    }

    struct fail_record rec;
    ssize_t n;
    do { n = read(pipefd[0], &rec, sizeof rec); } while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n == 0) { *pid_out = pid; return 0; } // EOF: the pipe closed on exec
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (n == (ssize_t)sizeof rec) { *stage = rec.stage; *err = rec.err; }
    else { *stage = RKT_STAGE_NONE; *err = n < 0 ? errno : EPROTO; }
    return -1;
}
