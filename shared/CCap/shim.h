#include <sys/capability.h>

