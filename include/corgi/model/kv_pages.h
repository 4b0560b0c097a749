// Paged storage for the text decoder's keys and values (DESIGN.md "Caches and
// batching"). A page holds `page_rows` consecutive token rows of one sequence for every
// layer: [layers][K|V][kv_heads][...] float32, keys per head as [head_dim, page_rows]
// (transposed) and values per head as [page_rows, head_dim]. Decode attention takes one kv
// head per work item and wants a block of keys as [head_dim, keys] (ops::PagedKeysView):
// stored so, it reads a head's keys and values of a page in place as two contiguous runs.
// With whole token rows side by side it gathered and transposed 512-byte pieces a page
// (4 KiB) apart at every step, and decode attention read ~11 GB/s on 2 threads
// (backend_bench BM_AttentionDecodePaged); the scattered write of one key row costs
// head_dim stores per head. A sequence is a list of pages plus a
// length, so sequences can share leading pages (a prompt prefix) and grow one page at a
// time. Which pages are shared, and when a page may be reused, is the engine's business
// (reference counts, prefix tree); this class only stores and hands out pages.
//
//   KvPagePool kv(/*layers=*/28, /*kv_heads=*/8, /*head_dim=*/128, /*page_rows=*/64, /*max_pages=*/256);
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
  // layers: decoder layers; one token's keys (= its values) in one layer are kv_heads ×
  // head_dim floats.
  KvPagePool(int64_t layers, int64_t kv_heads, int64_t head_dim, int64_t page_rows, int64_t max_pages);

  int64_t page_rows() const { return page_rows_; }
  int64_t kv_heads() const { return kv_heads_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t row_width() const { return row_width_; }  // kv_heads * head_dim
  // Floats from one kv head's keys (values) of a page to the next head's.
  int64_t head_stride() const { return page_rows_ * head_dim_; }
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
  // Writes one token's keys and values of one layer, each [kv_heads * head_dim] (heads side
  // by side, as the projections produce them), to row `row` of the page: keys transposed.
  void StoreRow(int32_t page, int64_t layer, int64_t row, const float* key, const float* value);
  // Copies rows [0, rows) of every layer's keys and values from page `src` to `dst`.
  void CopyRows(int32_t src, int32_t dst, int64_t rows);

 private:
  int64_t page_rows_, kv_heads_, head_dim_, row_width_, layers_, max_pages_, page_floats_;
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
