#ifndef RKT_SPAWN_H
#define RKT_SPAWN_H
// rkt_spawn(): the only code that runs between clone and exec (docs/hacking.md,
// design/aesthetics.md §9). Everything is prepared by the caller (Swift) before the call: argv,
// envp, fds, capability masks, seccomp BPF. The child makes only async-signal-safe libc calls
// and raw syscalls; on any failure it reports (stage, errno) over a CLOEXEC pipe and _exit(127)s.
//
//   parent (Swift)                         child (C only)
//   ──────────────                         ──────────────
//   block all signals
//   pipe2(O_CLOEXEC) ─── clone3/clone ───► reset handlers, PDEATHSIG, ppid re-check
//   (or clone(CLONE_VM|CLONE_VFORK) on a stack of its own when there is no user namespace, no
//   setns and no CLONE_INTO_CGROUP: the parent then sleeps until the child exec'd or exited)
//   [write uid/gid maps, release child] ─► wait for release (userns only)
//                                          setns…, hostname, cgroup, oom, fds, detach mounts,
//                                          chroot, chdir,
//                                          bounding drop, setgroups/setgid/setuid, capset,
//                                          ambient, PDEATHSIG again, NNP, seccomp, CLOEXEC sweep,
//                                          unblock signals, execve
//   read pipe: EOF = exec succeeded ◄───── or (stage, errno) + _exit(127)
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "rkt_ns.h"

/// Child stages, reported back on failure. `rkt_spawn_stage_name` gives the lower-case name.
enum rkt_spawn_stage {
    RKT_STAGE_NONE = 0,
    RKT_STAGE_PIPE,
    RKT_STAGE_CLONE,
    RKT_STAGE_SIGNALS,
    RKT_STAGE_PDEATHSIG,
    RKT_STAGE_PARENT_DIED,
    RKT_STAGE_USERNS_MAP,
    RKT_STAGE_USERNS_SYNC,
    RKT_STAGE_SETNS,
    RKT_STAGE_HOSTNAME,
    RKT_STAGE_CGROUP,
    RKT_STAGE_OOM_SCORE_ADJ,
    RKT_STAGE_SETSID,
    RKT_STAGE_FDS,
    RKT_STAGE_DETACH_MOUNTS,
    RKT_STAGE_CHROOT,
    RKT_STAGE_CHDIR,
    RKT_STAGE_BOUNDING,
    RKT_STAGE_SETGROUPS,
    RKT_STAGE_SETGID,
    RKT_STAGE_SETUID,
    RKT_STAGE_CAPSET,
    RKT_STAGE_AMBIENT,
    RKT_STAGE_NO_NEW_PRIVS,
    RKT_STAGE_SECCOMP,
    RKT_STAGE_CLOEXEC,
    RKT_STAGE_EXEC,
};

/// One flat request. Pointers must stay valid for the duration of the call.
struct rkt_spawn_req {
    const char *path;           // executable, as seen after chroot
    char *const *argv;          // NULL-terminated
    char *const *envp;          // NULL-terminated
    int clone_flags;            // CLONE_NEW* flags for the child
    int cgroup_fd;              // cgroup v2 directory fd for CLONE_INTO_CGROUP, or -1
    const int *cgroup_procs_fds; int cgroup_procs_count; // cgroup.procs fds the child writes "0" to
    const int *ns_fds; int ns_count; // setns fds in order (user namespace first)
    const char *hostname;       // sethostname in the child (needs CLONE_NEWUTS), or NULL
    const char *oom_score_adj;  // written to /proc/self/oom_score_adj, or NULL
    const int *fds; int fd_count; // fds[i] becomes fd i; -1 leaves fd i closed
    char *const *detach_mounts; int detach_count; // unmounted (MNT_DETACH) before chroot;
                                // only meaningful with CLONE_NEWNS, so the host/pod ns is untouched
    const char *root;           // chroot directory, or NULL
    const char *cwd;            // working directory (inside root), or NULL
    int set_creds; uid_t uid; gid_t gid; const gid_t *groups; int ngroups;
    int set_caps;               // apply the masks below
    uint64_t cap_bounding, cap_inheritable, cap_ambient;
    int pdeathsig;              // 0 = none
    int no_new_privs;
    const void *seccomp_bpf; size_t seccomp_len; // struct sock_filter array and its byte length
    int new_session;            // setsid()
    int controlling_tty;        // make fd 0 the controlling terminal (after setsid)
    const char *uid_map; const char *gid_map; // written by the parent (CLONE_NEWUSER), or NULL
};

/// Spawns the child. Returns 0 and the pid on success (exec succeeded). On failure returns -1,
/// `*stage` names the failing step and `*err` its errno; the child, if any, has been reaped.
int rkt_spawn(const struct rkt_spawn_req *req, pid_t *pid, int *stage, int *err);

/// Lower-case name of a stage, for error messages ("chroot", "setns", "execve").
const char *rkt_spawn_stage_name(int stage);

#endif
