#include "rkt_spawn.h"
int rkt_spawn_placeholder(void) { return 0; }
