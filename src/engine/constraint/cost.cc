// Shortest completions (in bytes) from a parse state. Each part is exact — the length
// of a real shortest continuation — which the budget forcing relies on: from any state
// some byte lowers MinBytes by exactly one, and every byte is a token of its own.
#include <algorithm>

#include "engine/constraint/machine.h"

namespace corgi::constraint {
namespace {

enum RootPhase : uint8_t { kRootBefore, kRootValue, kRootAfter };
enum ObjPhase : uint8_t { kObjOpen, kObjKey, kObjColon, kObjValue, kObjAfter, kObjComma };
enum ArrPhase : uint8_t { kArrOpen, kArrItem, kArrAfter, kArrComma };
enum StrPhase : uint8_t { kStrBody, kStrEsc, kStrHex };

// Bytes to close an array holding `items` items (adding items up to minItems).
int64_t ArrayRest(const Node& n, int64_t item_min, int64_t items) {
  if (items >= n.min_items) return 1;
  return (n.min_items - items) * (item_min + 1) + 1;
}

// A free object: bytes to close from a phase ('}' after a value; `key`: a whole key).
int64_t FreeObjectCost(const Grammar& g, const Node& n, int phase) {
  const int64_t value = g.nodes[n.item].min_bytes;
  switch (phase) {
    case kObjOpen:
    case kObjAfter:
      return 1;
    case kObjKey:  // the key's string frame is open: this is what follows it
    case kObjColon:
      return 1 + value + 1;
    case kObjValue:
      return value + 1;
    case kObjComma:
      return n.key_min_from[0];
  }
  return kInf;
}

}  // namespace

int64_t Machine::MinBytes(const State& s) const {
  const int64_t json = g_->has_json ? g_->json_min : 0;
  const int64_t prefix = static_cast<int64_t>(g_->prefix.size());
  const int64_t suffix = static_cast<int64_t>(g_->suffix.size());
  switch (s.part) {
    case Part::kFree:
      return g_->free_min[s.utf8][s.tag] + prefix + json + suffix;
    case Part::kPrefix:
      return prefix - s.pos + json + suffix;
    case Part::kJson: {
      const Frame& top = s.frames[s.depth - 1];
      int64_t total = TopCost(s, top);
      for (int i = s.depth - 2; i >= 0; --i) total += AfterChildCost(s.frames[i]);
      // After the root value: the suffix (PopValue moves straight to it or to done).
      return total + suffix;
    }
    case Part::kSuffix:
      return suffix - s.pos;
    case Part::kDone:
      return 0;
  }
  return 0;
}

int64_t Machine::NumberCost(const State& s, const Frame& f) const {
  return NumberMinBytes(g_->nodes[f.node], f.ws != 0, f.phase, f.x, f.y, s.num_int, s.num_frac);
}

int64_t Machine::KeyCost(const Node& n, const Frame& f) const {
  const LiteralTrie::TrieNode& k = n.keys.nodes[f.y];
  int64_t best = kInf;
  const int32_t hi = n.last_allowed[f.x];
  for (int32_t p = f.x; p <= hi; ++p) {
    if (((k.below_mask >> p) & 1) == 0) continue;
    const int64_t cost = static_cast<int64_t>(n.props[p].key.size()) - k.depth + 1 +
                         g_->nodes[n.props[p].child].min_bytes + n.rest_after_value[p + 1];
    best = std::min(best, cost);
  }
  return best;
}

int64_t Machine::TopCost(const State& s, const Frame& f) const {
  if (f.node == kRootNode) return f.phase == kRootBefore ? g_->json_min : 0;
  const Node& n = g_->nodes[f.node];
  switch (n.kind) {
    case NodeKind::kObject:
      if (n.free_key >= 0) return FreeObjectCost(*g_, n, f.phase);
      switch (f.phase) {
        case kObjOpen:
          return n.min_bytes - 1;
        case kObjKey:
          return KeyCost(n, f);
        case kObjColon:
          return 1 + g_->nodes[n.props[f.y].child].min_bytes + n.rest_after_value[f.x];
        case kObjValue:
          return g_->nodes[n.props[f.y].child].min_bytes + n.rest_after_value[f.x];
        case kObjAfter:
          return n.rest_after_value[f.x];
        case kObjComma:
          return n.key_min_from[f.x];
      }
      return kInf;
    case NodeKind::kArray: {
      const int64_t item_min = g_->nodes[n.item].min_bytes;
      switch (f.phase) {
        case kArrOpen:
          return n.min_bytes - 1;
        case kArrAfter:
          return ArrayRest(n, item_min, f.x);
        case kArrComma:
          return item_min + ArrayRest(n, item_min, f.x + 1);
      }
      return kInf;
    }
    case NodeKind::kString: {
      const int64_t chars = std::max<int64_t>(0, n.min_length - f.x);
      switch (f.phase) {
        case kStrBody:
          return Utf8Pending(s.utf8) + chars + 1;
        case kStrEsc:
          return 1 + chars + 1;
        case kStrHex:
          return (4 - f.y) + chars + 1;
      }
      return kInf;
    }
    case NodeKind::kInteger:
    case NodeKind::kNumber:
      return NumberCost(s, f);
    case NodeKind::kLiterals:
      return n.literals.nodes[f.y].min_to_end;
    case NodeKind::kAnyOf:
      return kInf;
  }
  return kInf;
}

// What a frame waiting on its child still needs once that child is complete.
int64_t Machine::AfterChildCost(const Frame& f) const {
  if (f.node == kRootNode) return 0;
  const Node& n = g_->nodes[f.node];
  if (n.kind == NodeKind::kObject) {
    return n.free_key >= 0 ? FreeObjectCost(*g_, n, f.phase == kObjKey ? kObjKey : kObjAfter)
                           : n.rest_after_value[f.x];
  }
  return ArrayRest(n, g_->nodes[n.item].min_bytes, f.x + 1);  // array
}

}  // namespace corgi::constraint
