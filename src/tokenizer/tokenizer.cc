#include "corgi/tokenizer/tokenizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "corgi/core/read_file.h"
#include "corgi/tokenizer/utf8.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/tokenizer_data.h"

namespace corgi {
namespace internal {

void AddedTokenMatcher::Build(const std::vector<AddedToken>& tokens) {
  for (auto& list : by_first_byte_) list.clear();
  first_bytes_.clear();
  for (const AddedToken& t : tokens) {
    const uint8_t first = static_cast<uint8_t>(t.content[0]);
    if (by_first_byte_[first].empty()) first_bytes_.push_back(static_cast<char>(first));
    by_first_byte_[first].push_back({t.content, t.id});
  }
  for (auto& list : by_first_byte_) {
    std::stable_sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) {
      return a.content.size() > b.content.size();
    });
  }
}

AddedTokenMatcher::Match AddedTokenMatcher::FindFirst(std::string_view text, size_t from) const {
  if (first_bytes_.empty()) return {};
  for (size_t pos = from; pos < text.size(); ++pos) {
    // Qwen's added tokens all start with '<', so memchr skips most of the text.
    if (first_bytes_.size() == 1) {
      const void* hit = std::memchr(text.data() + pos, first_bytes_[0], text.size() - pos);
      if (hit == nullptr) return {};
      pos = static_cast<const char*>(hit) - text.data();
    }
    for (const Candidate& c : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
      if (text.compare(pos, c.content.size(), c.content) == 0) {
        return {pos, c.content.size(), c.id};
      }
    }
  }
  return {};
}

}  // namespace internal

namespace {

// Code points below U+0300 (all bytes < 0xCC) are NFC on their own and cannot compose
// with each other, so such text needs no normalization pass.
bool MayNeedNfc(std::string_view s) {
  for (char c : s) {
    if (static_cast<uint8_t>(c) >= 0xCC) return true;
  }
  return false;
}

// NFC of valid UTF-8. utf8proc fails only on invalid input or out of memory.
std::string Nfc(std::string_view s) {
  utf8proc_uint8_t* out = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  CORGI_CHECK(n >= 0) << "utf8proc_map: " << utf8proc_errmsg(n);
  std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<internal::TokenizerData> data) : data_(std::move(data)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

StatusOr<Tokenizer> Tokenizer::FromJson(std::string_view json, const std::string& source,
                                        const TokenizerOptions& options) {
  auto data = std::make_unique<internal::TokenizerData>();
  Status s = internal::ParseTokenizerJson(json, data.get());
  if (!s.ok()) return s.WithContext(source);
  if (options.word_cache_capacity > 0) {
    data->cache = std::make_unique<internal::WordCache>(options.word_cache_capacity);
  }
  return Tokenizer(std::move(data));
}

StatusOr<Tokenizer> Tokenizer::Load(const std::string& path, const TokenizerOptions& options) {
  std::string file = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    file = (std::filesystem::path(path) / "tokenizer.json").string();
  // Read, not mapped: a tokenizer.json may come from a user (corgi tokenize -m FILE).
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadRegularFile(file, kMaxTokenizerJsonBytes, "tokenizer"));
  return FromJson(text, file, options);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  EncodeAppend(text, &ids);
  return ids;
}

void Tokenizer::EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const {
  size_t pos = 0;
  while (pos < text.size()) {
    const internal::AddedTokenMatcher::Match m = data_->added_matcher.FindFirst(text, pos);
    const size_t end = m.pos == std::string_view::npos ? text.size() : m.pos;
    if (end > pos) EncodeOrdinaryAppend(text.substr(pos, end - pos), ids);
    if (m.pos == std::string_view::npos) break;
    ids->push_back(m.id);
    pos = m.pos + m.length;
  }
}

void Tokenizer::EncodeOrdinaryAppend(std::string_view text, std::vector<int32_t>* ids) const {
  std::string sanitized, normalized;
  if (!IsValidUtf8(text)) {
    sanitized = Utf8Sanitize(text);
    text = sanitized;
  }
  if (data_->nfc && MayNeedNfc(text)) {
    normalized = Nfc(text);
    text = normalized;
  }
  std::vector<std::string_view> pieces;
  pieces.reserve(text.size() / 4 + 1);
  internal::SplitQwen2(text, &pieces);
  std::vector<int32_t> scratch;
  for (std::string_view piece : pieces) EncodeWord(piece, ids, &scratch);
}

void Tokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* ids,
                           std::vector<int32_t>* scratch) const {
  const internal::TokenizerData& d = *data_;
  if (word.size() == 1) {
    ids->push_back(d.byte_ids[static_cast<uint8_t>(word[0])]);
    return;
  }
  if (d.ignore_merges) {
    auto it = d.spelling_to_id.find(internal::BytesToVocabSpelling(word));
    if (it != d.spelling_to_id.end() &&
        it->second < static_cast<int32_t>(d.vocab_spelling.size())) {
      ids->push_back(it->second);
      return;
    }
  }
  // Long words are rare; caching them would only evict common ones.
  const bool cacheable = d.cache != nullptr && word.size() <= internal::WordCache::kMaxWordBytes;
  const uint64_t hash = cacheable ? std::hash<std::string_view>()(word) : 0;
  if (cacheable && d.cache->Lookup(word, hash, ids)) return;
  scratch->resize(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    (*scratch)[i] = d.byte_ids[static_cast<uint8_t>(word[i])];
  }
  if (scratch->size() <= internal::kScanMergeMaxSymbols) {
    internal::MergeByScan(d.merges, scratch);
  } else {
    internal::MergeByHeap(d.merges, scratch);
  }
  ids->insert(ids->end(), scratch->begin(), scratch->end());
  if (cacheable) d.cache->Insert(word, hash, *scratch);
}

StatusOr<std::string> Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string out;
  for (int32_t id : ids) {
    std::optional<std::string_view> bytes = TokenBytes(id);
    if (!bytes) {
      return InvalidArgumentError("token id " + std::to_string(id) +
                                  " is not in the vocabulary (size " +
                                  std::to_string(vocab_size()) + ")");
    }
    if (skip_special && data_->is_special[id]) continue;
    out.append(*bytes);
  }
  if (IsValidUtf8(out)) return out;
  return Utf8Sanitize(out);
}

std::optional<std::string_view> Tokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= data_->vocab_size() || !data_->id_known[id]) return std::nullopt;
  return data_->Bytes(id);
}

std::optional<int32_t> Tokenizer::TokenToId(std::string_view token) const {
  auto it = data_->spelling_to_id.find(token);
  if (it == data_->spelling_to_id.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= data_->vocab_size() || !data_->id_known[id]) return std::nullopt;
  // An added token takes precedence over a regular token with the same id (as in HF).
  for (const AddedToken& t : data_->added_tokens) {
    if (t.id == id) return t.content;
  }
  return data_->vocab_spelling[id];
}

int32_t Tokenizer::vocab_size() const { return data_->vocab_size(); }

bool Tokenizer::IsSpecial(int32_t id) const {
  return id >= 0 && id < data_->vocab_size() && data_->is_special[id] != 0;
}

const std::vector<AddedToken>& Tokenizer::added_tokens() const { return data_->added_tokens; }

const SpecialTokenIds& Tokenizer::special_ids() const { return data_->special_ids; }

void Tokenizer::ClearCache() const {
  if (data_->cache) data_->cache->Clear();
}

StatusOr<std::string> TokenStreamDecoder::Push(int32_t id) {
  std::optional<std::string_view> bytes = tokenizer_->TokenBytes(id);
  if (!bytes)
    return InvalidArgumentError("token id " + std::to_string(id) + " is not in the vocabulary");
  if (skip_special_ && tokenizer_->IsSpecial(id)) return std::string();
  pending_.append(*bytes);
  const size_t n = Utf8CompletePrefixLength(pending_);
  std::string out = Utf8Sanitize(std::string_view(pending_).substr(0, n));
  pending_.erase(0, n);
  return out;
}

std::string TokenStreamDecoder::Finish() {
  std::string out = Utf8Sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace corgi
