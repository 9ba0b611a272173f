#ifndef RKT_SHIM_H
#define RKT_SHIM_H
// Thin, non-variadic wrappers for calls Swift cannot make directly (variadic prctl/syscall,
// symbols hidden by Glibc's module). Prefix: rkt_.
int rkt_shim_placeholder(void);
#endif
