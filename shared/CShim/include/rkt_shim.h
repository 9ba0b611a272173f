#ifndef RKT_SHIM_H
#define RKT_SHIM_H
// Thin, non-variadic wrappers for calls Swift cannot make directly (variadic prctl/syscall/ioctl,
// function-like macros, GNU-only declarations hidden by Glibc's module). Prefix: rkt_.
// Every function returns what the underlying call returns and leaves errno set on failure.
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <spawn.h>

// prctl(2)
int rkt_prctl_set_no_new_privs(void);
int rkt_prctl_get_no_new_privs(void);
int rkt_prctl_set_pdeathsig(int sig);
int rkt_prctl_get_pdeathsig(int *sig);
int rkt_prctl_set_name(const char *name);
int rkt_prctl_set_keepcaps(int on);
int rkt_prctl_capbset_read(int cap);
int rkt_prctl_capbset_drop(int cap);
int rkt_prctl_cap_ambient_raise(int cap);
int rkt_prctl_cap_ambient_is_set(int cap);
int rkt_prctl_cap_ambient_clear_all(void);
int rkt_prctl_set_child_subreaper(int on);

// Raw syscalls glibc either lacks or Swift cannot see.
int rkt_pivot_root(const char *new_root, const char *put_old);
// openat2(2) with RESOLVE_* flags; returns -1/ENOSYS on kernels older than 5.6.
int rkt_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
ssize_t rkt_getrandom(void *buf, size_t len, unsigned int flags);
int rkt_close_range(unsigned int first, unsigned int last, unsigned int flags);
pid_t rkt_gettid(void);
// Mount ID of path (statx STATX_MNT_ID); used to stop tree walks at mount points,
// including bind mounts that share st_dev with their parent.
int rkt_mount_id(int dirfd, const char *path, int at_flags, uint64_t *mnt_id);
// mount_setattr(2) MOUNT_ATTR_RDONLY on the mount at path and every mount below it, in one call;
// -1/ENOSYS on kernels older than 5.12.
int rkt_mount_setattr_rdonly_recursive(const char *path);

// Namespaces and other GNU-only calls Glibc's Swift module hides.
int rkt_unshare(int flags);
int rkt_setns(int fd, int nstype);
int rkt_memfd_create(const char *name, unsigned int flags);
// statfs(2) f_type of path (cgroup2 vs tmpfs detection); 0 on success.
int rkt_statfs_type(const char *path, int64_t *fs_type);
int rkt_fstatfs_type(int fd, int64_t *fs_type);
int rkt_sethostname(const char *name, size_t len);
// <sys/xattr.h> and syncfs(2), which Glibc's Swift module does not expose.
int rkt_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
ssize_t rkt_flistxattr(int fd, char *list, size_t size);
ssize_t rkt_fgetxattr(int fd, const char *name, void *value, size_t size);
int rkt_syncfs(int fd);

// Credentials (GNU-only declarations).
int rkt_setresuid(uid_t uid);
int rkt_setresgid(gid_t gid);
int rkt_setgroups(size_t n, const gid_t *gids);

// fds and ttys.
// pipe2(O_CLOEXEC); fds[0] is the read end.
int rkt_pipe_cloexec(int fds[2]);
int rkt_set_cloexec(int fd, int on);
int rkt_get_cloexec(int fd);
int rkt_ioctl_tiocsctty(int fd, int steal);
int rkt_open(const char *path, int flags, mode_t mode);
int rkt_openat(int dirfd, const char *path, int flags, mode_t mode);

// wait(2) status macros.
int rkt_wifexited(int status);
int rkt_wexitstatus(int status);
int rkt_wifsignaled(int status);
int rkt_wtermsig(int status);

// The process environment (stage1 binaries inherit it and pass it on explicitly).
char **rkt_environ(void);

// posix_spawn GNU extensions.
int rkt_spawn_file_actions_addchdir(posix_spawn_file_actions_t *fa, const char *path);
int rkt_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *fa, int from);

// Constants Swift cannot see as plain integers.
// Pod I/O (pod-init's stdio multiplexer and the attach entrypoint).
// signalfd(2) for `signals` (already blocked by the caller); nonblocking and close-on-exec.
int rkt_signalfd(const int *signals, int count);
// A listening (backlog 16) or connected AF_UNIX stream socket, close-on-exec. `path` may be
// relative (the 108-byte sun_path limit makes callers chdir next to deep pod paths).
int rkt_unix_listen(const char *path);
int rkt_unix_connect(const char *path);
// A pseudo-terminal from the ptmx at `ptmx` (a devpts instance's `ptmx` node): unlocks it and
// opens the peer with TIOCGPTPEER, so no /dev/pts path lookup is needed. Both fds close-on-exec.
int rkt_open_pty(const char *ptmx, int *master, int *slave);
// Raw mode for an attached terminal (cfmakeraw); `saved` receives the old settings to restore.
int rkt_tty_make_raw(int fd, void *saved, size_t saved_size);
int rkt_tty_restore(int fd, const void *saved);
// open_tree(OPEN_TREE_CLONE[|AT_RECURSIVE]): a detached copy of the mount at `path`, as an fd
// (close-on-exec). move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) attaches it.
int rkt_open_tree_clone(const char *path, int recursive);
int rkt_move_mount_fd(int fd, const char *target);
// malloc_trim(3): return free heap memory to the kernel (long-lived, mostly idle processes).
int rkt_malloc_trim(void);

extern const uint64_t RKT_RESOLVE_NO_XDEV;
extern const uint64_t RKT_RESOLVE_NO_MAGICLINKS;
extern const uint64_t RKT_RESOLVE_NO_SYMLINKS;
extern const uint64_t RKT_RESOLVE_BENEATH;
extern const uint64_t RKT_RESOLVE_IN_ROOT;
extern const unsigned int RKT_CLOSE_RANGE_CLOEXEC;
extern const int RKT_O_PATH;
extern const int RKT_O_DIRECTORY;
extern const int RKT_O_NOFOLLOW;
extern const int RKT_O_CLOEXEC;
extern const int RKT_AT_EMPTY_PATH;
extern const int RKT_AT_SYMLINK_NOFOLLOW;
extern const int RKT_AT_REMOVEDIR;
extern const unsigned int RKT_MFD_CLOEXEC;
extern const unsigned int RKT_MFD_ALLOW_SEALING;
extern const int RKT_CLONE_NEWNS;
extern const int RKT_CLONE_NEWUTS;
extern const int RKT_CLONE_NEWIPC;
extern const int RKT_CLONE_NEWUSER;
extern const int RKT_CLONE_NEWPID;
extern const int RKT_CLONE_NEWNET;
extern const int RKT_CLONE_NEWCGROUP;

#endif
