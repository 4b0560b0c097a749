// Paged storage for the text decoder's keys and values (DESIGN.md "Caches and
// batching"). A page holds `page_rows` consecutive token rows of one sequence for every
// layer: [layers][K|V][page_rows, nkv*hd] float32. A sequence is a list of pages plus a
// length, so sequences can share leading pages (a prompt prefix) and grow one page at a
// time. Which pages are shared, and when a page may be reused, is the engine's business
// (reference counts, prefix tree); this class only stores and hands out pages.
//
//   KvPagePool kv(/*layers=*/28, /*row_width=*/nkv * head_dim, /*page_rows=*/64, /*max_pages=*/256);
//   KvSequence seq;
//   seq.pages.push_back(kv.Allocate());  // room for 64 rows
//   ForwardText(..., TextBatch with a segment {&seq, rows}, &kv, ...);
//
// Pages are allocated from the system on first use (so an unused budget costs no
// memory) and recycled through a free list. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>


namespace corgi {

class KvPagePool {
 public:
  // layers: decoder layers; row_width: one token's keys (= its values) in one layer,
  // kv_heads * head_dim floats.
  KvPagePool(int64_t layers, int64_t row_width, int64_t page_rows, int64_t max_pages);

  int64_t page_rows() const { return page_rows_; }
  int64_t row_width() const { return row_width_; }  // nkv * head_dim
  int64_t layers() const { return layers_; }
  int64_t max_pages() const { return max_pages_; }
  int64_t pages_in_use() const { return in_use_; }
  // Pages that hold memory (in use or on the free list): what the pool costs.
  int64_t pages_allocated() const { return static_cast<int64_t>(storage_.size()); }
  int64_t page_bytes() const { return page_floats_ * static_cast<int64_t>(sizeof(float)); }
  // Bytes for one token row over all layers, K and V.
  int64_t bytes_per_token() const { return 2 * layers_ * row_width_ * static_cast<int64_t>(sizeof(float)); }

  // A page id in [0, max_pages), or -1 when max_pages are in use. The contents are
  // unspecified until written.
  int32_t Allocate();
  // Returns a page to the free list. The page must be in use.
  void Release(int32_t page);

  float* keys(int32_t page, int64_t layer) { return storage_[page].get() + (2 * layer) * page_rows_ * row_width_; }
  float* values(int32_t page, int64_t layer) {
    return storage_[page].get() + (2 * layer + 1) * page_rows_ * row_width_;
  }
  // Copies rows [0, rows) of every layer's keys and values from page `src` to `dst`.
  void CopyRows(int32_t src, int32_t dst, int64_t rows);

 private:
  int64_t page_rows_, row_width_, layers_, max_pages_, page_floats_;
  int64_t in_use_ = 0;
  std::vector<std::unique_ptr<float[]>> storage_;  // [page id] -> page_floats_ floats
  std::vector<int32_t> free_;
  std::vector<bool> used_;
};

// One sequence's keys and values: rows [0, length) live in pages[row / page_rows] at row
// row % page_rows. pages may cover more rows than length (room to grow).
struct KvSequence {
  std::vector<int32_t> pages;
  int64_t length = 0;
};

}  // namespace corgi
