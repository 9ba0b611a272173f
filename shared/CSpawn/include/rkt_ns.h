#ifndef RKT_NS_H
#define RKT_NS_H
// Network helper for the parent side (ioctl is variadic, so Swift cannot call it).
/// Brings the interface `name` up in the caller's network namespace (SIOCSIFFLAGS |= IFF_UP).
int rkt_spawn_link_up(const char *name);
#endif
