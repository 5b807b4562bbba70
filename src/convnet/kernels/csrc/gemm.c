/* General matrix products (fully connected layers) on the tile kernel. */
#include "ops.h"
