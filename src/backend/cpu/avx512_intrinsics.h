// Private: <immintrin.h> for the AVX-512 translation units. GCC 12's AVX-512 intrinsics
// initialise "undefined" operands as `__Y = __Y`, which -Wuninitialized reports at every
// inlined use; the pragma covers those header lines.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
