// Chooses the kernel table: CORGI_KERNELS=ref|avx2|avx512 if set, else the best path the
// CPU supports (__builtin_cpu_supports also checks that the OS saves the vector state).
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "backend/cpu/kernel_table.h"
#include "corgi/core/check.h"
#include "corgi/core/log.h"

namespace corgi::ops {
namespace {

std::atomic<const internal::KernelTable*> g_active{nullptr};

const internal::KernelTable& TableFor(KernelPath path) {
  switch (path) {
    case KernelPath::kAvx512:
      return internal::Avx512Kernels();
    case KernelPath::kAvx2:
      return internal::Avx2Kernels();
    case KernelPath::kRef:
      break;
  }
  return internal::RefKernels();
}

KernelPath BestPath() {
  if (KernelPathSupported(KernelPath::kAvx512)) return KernelPath::kAvx512;
  if (KernelPathSupported(KernelPath::kAvx2)) return KernelPath::kAvx2;
  return KernelPath::kRef;
}

KernelPath ChoosePath() {
  const char* env = std::getenv("CORGI_KERNELS");
  if (env == nullptr || *env == '\0') return BestPath();
  for (KernelPath path : {KernelPath::kRef, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (std::strcmp(env, KernelPathName(path)) != 0) continue;
    if (KernelPathSupported(path)) return path;
    CORGI_LOG(WARNING) << "CORGI_KERNELS=" << env << " is not supported by this CPU; using "
                       << KernelPathName(BestPath());
    return BestPath();
  }
  CORGI_LOG(WARNING) << "CORGI_KERNELS=" << env << " is not one of ref, avx2, avx512; using "
                     << KernelPathName(BestPath());
  return BestPath();
}

}  // namespace

const char* KernelPathName(KernelPath path) {
  switch (path) {
    case KernelPath::kRef:
      return "ref";
    case KernelPath::kAvx2:
      return "avx2";
    case KernelPath::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool KernelPathSupported(KernelPath path) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("f16c");
  switch (path) {
    case KernelPath::kRef:
      return true;
    case KernelPath::kAvx2:
      return avx2;
    case KernelPath::kAvx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl");
  }
  return false;
}

KernelPath ActiveKernelPath() { return internal::ActiveKernels().path; }

void SetKernelPath(KernelPath path) {
  CORGI_CHECK(KernelPathSupported(path))
      << "kernel path " << KernelPathName(path) << " is not supported by this CPU";
  g_active.store(&TableFor(path), std::memory_order_release);
}

namespace internal {

const KernelTable& ActiveKernels() {
  const KernelTable* table = g_active.load(std::memory_order_acquire);
  if (table == nullptr) {
    // Racing first calls pick the same table; the last store wins harmlessly.
    table = &TableFor(ChoosePath());
    g_active.store(table, std::memory_order_release);
  }
  return *table;
}

}  // namespace internal
}  // namespace corgi::ops
