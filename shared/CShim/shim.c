#include "rkt_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

int rkt_prctl_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int rkt_prctl_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
int rkt_prctl_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }
int rkt_prctl_get_pdeathsig(int *sig) { return prctl(PR_GET_PDEATHSIG, (unsigned long)sig, 0, 0, 0); }
int rkt_prctl_set_name(const char *name) { return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0); }
int rkt_prctl_set_keepcaps(int on) { return prctl(PR_SET_KEEPCAPS, (unsigned long)(on != 0), 0, 0, 0); }
int rkt_prctl_capbset_read(int cap) { return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0); }
int rkt_prctl_capbset_drop(int cap) { return prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0); }
int rkt_prctl_cap_ambient_raise(int cap) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0, 0);
}
int rkt_prctl_cap_ambient_is_set(int cap) {
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0, 0);
}
int rkt_prctl_cap_ambient_clear_all(void) { return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); }
int rkt_prctl_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)(on != 0), 0, 0, 0); }

int rkt_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int rkt_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
#ifdef SYS_openat2
    struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
#else
    errno = ENOSYS;
    return -1;
#endif
}

int rkt_mount_setattr_rdonly_recursive(const char *path) {
#ifdef SYS_mount_setattr
    // struct mount_attr and the constants, spelled out: glibc 2.36's <sys/mount.h> clashes with
    // <linux/mount.h>, and older headers lack both.
    struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = {.attr_set = 0x00000001 /* MOUNT_ATTR_RDONLY */};
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, 0x8000 /* AT_RECURSIVE */, &attr, sizeof(attr));
#else
    errno = ENOSYS;
    return -1;
#endif
}

ssize_t rkt_getrandom(void *buf, size_t len, unsigned int flags) {
    return (ssize_t)syscall(SYS_getrandom, buf, len, flags);
}

int rkt_close_range(unsigned int first, unsigned int last, unsigned int flags) {
#ifdef SYS_close_range
    return (int)syscall(SYS_close_range, first, last, flags);
#else
    errno = ENOSYS;
    return -1;
#endif
}

pid_t rkt_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int rkt_mount_id(int dirfd, const char *path, int at_flags, uint64_t *mnt_id) {
    struct statx stx;
    if (statx(dirfd, path, at_flags, STATX_MNT_ID, &stx) != 0) return -1;
    if (!(stx.stx_mask & STATX_MNT_ID)) {
        errno = ENOSYS;
        return -1;
    }
    *mnt_id = stx.stx_mnt_id;
    return 0;
}

int rkt_unshare(int flags) { return unshare(flags); }
int rkt_setns(int fd, int nstype) { return setns(fd, nstype); }
int rkt_memfd_create(const char *name, unsigned int flags) { return memfd_create(name, flags); }
int rkt_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) {
    return fsetxattr(fd, name, value, size, flags);
}
ssize_t rkt_flistxattr(int fd, char *list, size_t size) { return flistxattr(fd, list, size); }
ssize_t rkt_fgetxattr(int fd, const char *name, void *value, size_t size) { return fgetxattr(fd, name, value, size); }
int rkt_syncfs(int fd) { return syncfs(fd); }
int rkt_statfs_type(const char *path, int64_t *fs_type) {
    struct statfs sfs;
    if (statfs(path, &sfs) != 0) return -1;
    *fs_type = (int64_t)sfs.f_type;
    return 0;
}
int rkt_fstatfs_type(int fd, int64_t *fs_type) {
    struct statfs sfs;
    if (fstatfs(fd, &sfs) != 0) return -1;
    *fs_type = (int64_t)sfs.f_type;
    return 0;
}
int rkt_sethostname(const char *name, size_t len) { return sethostname(name, len); }

int rkt_setresuid(uid_t uid) { return setresuid(uid, uid, uid); }
int rkt_setresgid(gid_t gid) { return setresgid(gid, gid, gid); }
int rkt_setgroups(size_t n, const gid_t *gids) { return setgroups(n, gids); }

int rkt_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int rkt_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}
int rkt_get_cloexec(int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return (flags & FD_CLOEXEC) ? 1 : 0;
}
int rkt_ioctl_tiocsctty(int fd, int steal) { return ioctl(fd, TIOCSCTTY, steal); }
int rkt_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
int rkt_openat(int dirfd, const char *path, int flags, mode_t mode) { return openat(dirfd, path, flags, mode); }

int rkt_wifexited(int status) { return WIFEXITED(status); }
int rkt_wexitstatus(int status) { return WEXITSTATUS(status); }
int rkt_wifsignaled(int status) { return WIFSIGNALED(status); }
int rkt_wtermsig(int status) { return WTERMSIG(status); }

char **rkt_environ(void) { return environ; }

int rkt_spawn_file_actions_addchdir(posix_spawn_file_actions_t *fa, const char *path) {
    return posix_spawn_file_actions_addchdir_np(fa, path);
}
int rkt_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *fa, int from) {
    return posix_spawn_file_actions_addclosefrom_np(fa, from);
}

const uint64_t RKT_RESOLVE_NO_XDEV = RESOLVE_NO_XDEV;
const uint64_t RKT_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const uint64_t RKT_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const uint64_t RKT_RESOLVE_BENEATH = RESOLVE_BENEATH;
const uint64_t RKT_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
const unsigned int RKT_CLOSE_RANGE_CLOEXEC = CLOSE_RANGE_CLOEXEC;
const int RKT_O_PATH = O_PATH;
const int RKT_O_DIRECTORY = O_DIRECTORY;
const int RKT_O_NOFOLLOW = O_NOFOLLOW;
const int RKT_O_CLOEXEC = O_CLOEXEC;
const int RKT_AT_EMPTY_PATH = AT_EMPTY_PATH;
const int RKT_AT_SYMLINK_NOFOLLOW = AT_SYMLINK_NOFOLLOW;
const int RKT_AT_REMOVEDIR = AT_REMOVEDIR;
const unsigned int RKT_MFD_CLOEXEC = MFD_CLOEXEC;
const unsigned int RKT_MFD_ALLOW_SEALING = MFD_ALLOW_SEALING;
const int RKT_CLONE_NEWNS = CLONE_NEWNS;
const int RKT_CLONE_NEWUTS = CLONE_NEWUTS;
const int RKT_CLONE_NEWIPC = CLONE_NEWIPC;
const int RKT_CLONE_NEWUSER = CLONE_NEWUSER;
const int RKT_CLONE_NEWPID = CLONE_NEWPID;
const int RKT_CLONE_NEWNET = CLONE_NEWNET;
const int RKT_CLONE_NEWCGROUP = CLONE_NEWCGROUP;
