#ifndef RKT_SPAWN_H
#define RKT_SPAWN_H
int rkt_spawn_placeholder(void);
#endif
