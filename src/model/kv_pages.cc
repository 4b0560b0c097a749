#include "corgi/model/kv_pages.h"

#include <algorithm>

#include "corgi/core/check.h"

namespace corgi {

KvPagePool::KvPagePool(int64_t layers, int64_t row_width, int64_t page_rows, int64_t max_pages)
    : page_rows_(page_rows),
      row_width_(row_width),
      layers_(layers),
      max_pages_(max_pages),
      page_floats_(2 * layers * page_rows * row_width) {
  CORGI_CHECK(page_rows > 0 && max_pages > 0 && layers > 0 && row_width > 0) << "KvPagePool: layers " << layers << ", row_width " << row_width << ", page_rows " << page_rows << ", max_pages " << max_pages;
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

void KvPagePool::CopyRows(int32_t src, int32_t dst, int64_t rows) {
  CORGI_CHECK(rows >= 0 && rows <= page_rows_) << "KvPagePool: copy of " << rows << " rows";
  for (int64_t layer = 0; layer < layers_; ++layer) {
    std::copy_n(keys(src, layer), rows * row_width_, keys(dst, layer));
    std::copy_n(values(src, layer), rows * row_width_, values(dst, layer));
  }
}

}  // namespace corgi
