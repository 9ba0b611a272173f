#include "rkt_shim.h"
int rkt_shim_placeholder(void) { return 0; }
