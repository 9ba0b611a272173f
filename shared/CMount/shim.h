#include <libmount.h>

