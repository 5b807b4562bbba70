/* Pooling, normalisation, activations, losses and optimizer updates. */
#include "ops.h"
