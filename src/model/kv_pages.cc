#include "corgi/model/kv_pages.h"

#include <algorithm>

#include "corgi/core/check.h"

namespace corgi {

KvPagePool::KvPagePool(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t page_rows,
                       int64_t max_pages)
    : page_rows_(page_rows),
      kv_heads_(kv_heads),
      head_dim_(head_dim),
      row_width_(kv_heads * head_dim),
      layers_(layers),
      max_pages_(max_pages),
      page_floats_(2 * layers * page_rows * kv_heads * head_dim) {
  CORGI_CHECK(page_rows > 0 && max_pages > 0 && layers > 0 && kv_heads > 0 && head_dim > 0)
      << "KvPagePool: layers " << layers << ", kv_heads " << kv_heads << ", head_dim " << head_dim
      << ", page_rows " << page_rows << ", max_pages " << max_pages;
  used_.assign(static_cast<size_t>(max_pages), false);
}

int32_t KvPagePool::Allocate() {
  int32_t page;
  if (!free_.empty()) {
    page = free_.back();
    free_.pop_back();
  } else if (pages_allocated() < max_pages_) {
    page = static_cast<int32_t>(storage_.size());
    // Default-initialised: the kernel touches the memory only when rows are written.
    storage_.push_back(std::unique_ptr<float[]>(new float[page_floats_]));
  } else {
    return -1;
  }
  used_[page] = true;
  ++in_use_;
  return page;
}

void KvPagePool::Release(int32_t page) {
  CORGI_CHECK(page >= 0 && page < pages_allocated() && used_[page]) << "KvPagePool: release of page " << page;
  used_[page] = false;
  --in_use_;
  free_.push_back(page);
}

void KvPagePool::StoreRow(int32_t page, int64_t layer, int64_t row, const float* key, const float* value) {
  float* k = keys(page, layer) + row;
  float* v = values(page, layer) + row * head_dim_;
  for (int64_t h = 0; h < kv_heads_; ++h) {
    const float* from = key + h * head_dim_;
    float* to = k + h * head_stride();
    for (int64_t d = 0; d < head_dim_; ++d) to[d * page_rows_] = from[d];
    std::copy_n(value + h * head_dim_, head_dim_, v + h * head_stride());
  }
}

void KvPagePool::CopyRows(int32_t src, int32_t dst, int64_t rows) {
  CORGI_CHECK(rows >= 0 && rows <= page_rows_) << "KvPagePool: copy of " << rows << " rows";
  for (int64_t layer = 0; layer < layers_; ++layer) {
    for (int64_t h = 0; h < kv_heads_; ++h) {
      for (int64_t d = 0; d < head_dim_; ++d) {  // keys: [head_dim, page_rows]
        const int64_t at = h * head_stride() + d * page_rows_;
        std::copy_n(keys(src, layer) + at, rows, keys(dst, layer) + at);
      }
      std::copy_n(values(src, layer) + h * head_stride(), rows * head_dim_, values(dst, layer) + h * head_stride());
    }
  }
}

}  // namespace corgi
