#include <seccomp.h>

