#include "engine/constraint/machine.h"

#include <algorithm>
#include <cstring>

namespace corgi::constraint {
namespace {

enum RootPhase : uint8_t { kRootBefore, kRootValue, kRootAfter };
enum ObjPhase : uint8_t { kObjOpen, kObjKey, kObjColon, kObjValue, kObjAfter, kObjComma };
enum ArrPhase : uint8_t { kArrOpen, kArrItem, kArrAfter, kArrComma };
enum StrPhase : uint8_t { kStrBody, kStrEsc, kStrHex };

bool IsWs(uint8_t b) { return b == ' ' || b == '\n' || b == '\t'; }

// Consumes one whitespace byte of the frame's current slot if the slot has room.
bool TakeWs(Frame& f) {
  if (f.ws >= kMaxWhitespace) return false;
  ++f.ws;
  return true;
}

bool IsHex(uint8_t b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

// Bits lo..hi (inclusive) of a property mask.
uint64_t RangeMask(int32_t lo, int32_t hi) {
  if (lo > hi) return 0;
  const int32_t n = hi - lo + 1;
  const uint64_t ones = n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  return ones << lo;
}

// Plain string content in a saturated string: printable ASCII except '"' and '\'.
AsciiSet StringPlainSet() {
  AsciiSet s;
  for (int b = 0x20; b < 0x80; ++b) {
    if (b != '"' && b != '\\') s.Add(static_cast<uint8_t>(b));
  }
  return s;
}

}  // namespace

State Machine::Initial() const {
  State s;
  EnterPart(&s, !g_->free_text_until.empty() ? Part::kFree : Part::kPrefix);
  return s;
}

// Enters `part`, skipping parts that are empty.
void Machine::EnterPart(State* s, Part part) const {
  s->pos = 0;
  s->tag = 0;
  if (part == Part::kPrefix && g_->prefix.empty()) part = Part::kJson;
  if (part == Part::kJson && !g_->has_json) part = Part::kSuffix;
  if (part == Part::kSuffix && g_->suffix.empty()) part = Part::kDone;
  s->part = part;
  if (part == Part::kJson) {
    s->depth = 1;
    s->frames[0] = Frame{kRootNode, kRootBefore, 0, 0, 0};
  } else {
    s->depth = 0;
  }
}

bool Machine::Step(State* s, uint8_t b) const {
  switch (s->part) {
    case Part::kFree: {
      const int u = Utf8Step(s->utf8, b);
      if (u < 0) return false;
      s->utf8 = static_cast<uint8_t>(u);
      s->tag = g_->tag_dfa[s->tag][b];
      if (s->tag == g_->free_text_until.size()) EnterPart(s, Part::kPrefix);
      return true;
    }
    case Part::kPrefix:
    case Part::kSuffix: {
      const std::string& lit = s->part == Part::kPrefix ? g_->prefix : g_->suffix;
      if (static_cast<uint8_t>(lit[s->pos]) != b) return false;
      if (++s->pos == lit.size())
        EnterPart(s, s->part == Part::kPrefix ? Part::kJson : Part::kDone);
      return true;
    }
    case Part::kJson:
      return StepJson(s, b);
    case Part::kDone:
      return false;
  }
  return false;
}

bool Machine::StepJson(State* s, uint8_t b) const {
  Frame& f = s->frames[s->depth - 1];
  if (f.node == kRootNode) return StepRoot(s, f, b);
  switch (g_->nodes[f.node].kind) {
    case NodeKind::kObject:
      return StepObject(s, f, b);
    case NodeKind::kArray:
      return StepArray(s, f, b);
    case NodeKind::kString:
      return StepString(s, f, b);
    case NodeKind::kInteger:
    case NodeKind::kNumber:
      return StepNumber(s, f, b);
    case NodeKind::kLiterals:
      return StepLiteral(s, f, b);
    case NodeKind::kAnyOf:
      return false;  // never a frame
  }
  return false;
}

bool Machine::StepRoot(State* s, Frame& f, uint8_t b) const {
  if (IsWs(b)) return TakeWs(f);
  if (f.phase == kRootBefore) {
    f.phase = kRootValue;
    return BeginValue(s, g_->root, b);
  }
  // kRootAfter (only with a suffix): the suffix's first byte.
  if (static_cast<uint8_t>(g_->suffix[0]) != b) return false;
  EnterPart(s, Part::kSuffix);
  s->pos = 1;
  if (s->pos == g_->suffix.size()) EnterPart(s, Part::kDone);
  return true;
}

bool Machine::BeginValue(State* s, int32_t node_id, uint8_t b) const {
  const Node* n = &g_->nodes[node_id];
  if (n->kind == NodeKind::kAnyOf) {
    node_id = n->branch_by_byte[b];
    if (node_id < 0) return false;
    n = &g_->nodes[node_id];
  }
  s->frames[s->depth - 1].ws = 0;           // the parent's slot is over; keeps states canonical
  if (s->depth >= kMaxDepth) return false;  // the schema compiler prevents this
  Frame& f = s->frames[s->depth++];
  f = Frame{static_cast<uint16_t>(node_id), 0, 0, 0, 0};
  switch (n->kind) {
    case NodeKind::kObject:
      f.phase = kObjOpen;
      return b == '{';
    case NodeKind::kArray:
      f.phase = kArrOpen;
      return b == '[';
    case NodeKind::kString:
      f.phase = kStrBody;
      return b == '"';
    case NodeKind::kInteger:
    case NodeKind::kNumber:
      f.phase = kNumStart;
      return StepNumber(s, f, b);
    case NodeKind::kLiterals:
      return StepLiteral(s, f, b);
    case NodeKind::kAnyOf:
      return false;
  }
  return false;
}

// Closes the top value and tells its parent.
void Machine::PopValue(State* s) const {
  s->num_int = s->num_frac = 0;
  --s->depth;
  Frame& p = s->frames[s->depth - 1];
  p.ws = 0;
  if (p.node == kRootNode) {
    if (g_->suffix.empty()) {
      EnterPart(s, Part::kDone);
    } else {
      p.phase = kRootAfter;
    }
    return;
  }
  if (g_->nodes[p.node].kind == NodeKind::kObject) {
    p.phase = p.phase == kObjKey ? kObjColon : kObjAfter;  // a free object's key, or a value
  } else {  // array
    ++p.x;
    p.phase = kArrAfter;
  }
}

bool Machine::StepObject(State* s, Frame& f, uint8_t b) const {
  const Node& n = g_->nodes[f.node];
  if (n.free_key >= 0) return StepFreeObject(s, f, b);
  const int32_t np = static_cast<int32_t>(n.props.size());
  switch (f.phase) {
    case kObjOpen:
    case kObjComma:
    case kObjKey: {
      if (f.phase != kObjKey) {
        if (IsWs(b)) return TakeWs(f);
        if (b == '}' && f.phase == kObjOpen && !n.RequiredFrom(0)) {
          PopValue(s);
          return true;
        }
        if (b != '"' || f.x >= np) return false;
        f.y = 0;  // key trie root
      }
      const int32_t c = n.keys.Child(f.y, b);
      if (c < 0 || (n.keys.nodes[c].below_mask & RangeMask(f.x, n.last_allowed[f.x])) == 0) {
        return false;
      }
      f.ws = 0;
      if (n.keys.nodes[c].terminal >= 0) {  // closing quote: the key is known
        const int32_t p = n.keys.nodes[c].terminal;
        f.x = static_cast<uint16_t>(p + 1);
        f.y = static_cast<uint16_t>(p);
        f.phase = kObjColon;
      } else {
        f.y = static_cast<uint16_t>(c);
        f.phase = kObjKey;
      }
      return true;
    }
    case kObjColon:
      if (IsWs(b)) return TakeWs(f);
      if (b != ':') return false;
      f.phase = kObjValue;
      f.ws = 0;
      return true;
    case kObjValue:
      if (IsWs(b)) return TakeWs(f);
      return BeginValue(s, n.props[f.y].child, b);
    case kObjAfter:
      if (IsWs(b)) return TakeWs(f);
      if (b == ',' && f.x < np) {
        f.phase = kObjComma;
        f.ws = 0;
        return true;
      }
      if (b == '}' && !n.RequiredFrom(f.x)) {
        PopValue(s);
        return true;
      }
      return false;
  }
  return false;
}

// A free object: the key is a string frame of its own (kObjKey while it is open; its
// end moves the object to kObjColon), every value is of node `item`.
bool Machine::StepFreeObject(State* s, Frame& f, uint8_t b) const {
  const Node& n = g_->nodes[f.node];
  if (IsWs(b)) return TakeWs(f);  // never in kObjKey: the key's frame is on top then
  switch (f.phase) {
    case kObjOpen:
    case kObjComma:
      if (b == '}' && f.phase == kObjOpen) {
        PopValue(s);
        return true;
      }
      if (b != '"') return false;
      f.phase = kObjKey;
      return BeginValue(s, n.free_key, b);
    case kObjColon:
      if (b != ':') return false;
      f.phase = kObjValue;
      f.ws = 0;
      return true;
    case kObjValue:
      return BeginValue(s, n.item, b);
    case kObjAfter:
      if (b == ',') {
        f.phase = kObjComma;
        f.ws = 0;
        return true;
      }
      if (b == '}') {
        PopValue(s);
        return true;
      }
      return false;
  }
  return false;
}

bool Machine::StepArray(State* s, Frame& f, uint8_t b) const {
  const Node& n = g_->nodes[f.node];
  switch (f.phase) {
    case kArrOpen:
    case kArrComma:
      if (IsWs(b)) return TakeWs(f);
      if (b == ']' && f.phase == kArrOpen && n.min_items == 0) {
        PopValue(s);
        return true;
      }
      if (f.x >= n.max_items) return false;
      f.phase = kArrItem;
      return BeginValue(s, n.item, b);
    case kArrAfter:
      if (IsWs(b)) return TakeWs(f);
      if (b == ',' && f.x < n.max_items) {
        f.phase = kArrComma;
        f.ws = 0;
        return true;
      }
      if (b == ']' && f.x >= n.min_items) {
        PopValue(s);
        return true;
      }
      return false;
  }
  return false;
}

bool Machine::StepString(State* s, Frame& f, uint8_t b) const {
  const Node& n = g_->nodes[f.node];
  // Counts one character; with no maxLength the count saturates at minLength so that
  // states inside long strings repeat (and their masks can be cached).
  auto count_char = [&]() {
    if (n.max_length >= 0) {
      if (f.x >= n.max_length) return false;
      ++f.x;
    } else if (f.x < n.min_length) {
      ++f.x;
    }
    return true;
  };
  switch (f.phase) {
    case kStrBody: {
      if (s->utf8 != 0) {
        const int u = Utf8Step(s->utf8, b);
        if (u < 0) return false;
        s->utf8 = static_cast<uint8_t>(u);
        return true;
      }
      if (b == '"') {
        if (f.x < n.min_length) return false;
        PopValue(s);
        return true;
      }
      if (b == '\\') {
        if (!count_char()) return false;
        f.phase = kStrEsc;
        return true;
      }
      if (b < 0x20) return false;
      const int u = Utf8Step(0, b);
      if (u < 0 || !count_char()) return false;
      s->utf8 = static_cast<uint8_t>(u);
      return true;
    }
    case kStrEsc:
      if (b == 'u') {
        f.phase = kStrHex;
        f.y = 0;
        f.ws = 0;
        return true;
      }
      if (!std::strchr("\"\\/bfnrt", b) || b == 0) return false;
      f.phase = kStrBody;
      return true;
    case kStrHex:
      if (!IsHex(b)) return false;
      // \uD800..\uDFFF are surrogates; lone ones make invalid JSON text for most parsers.
      if (f.y == 0) f.ws = (b == 'd' || b == 'D');
      if (f.y == 1 && f.ws && !(b >= '0' && b <= '7')) return false;
      if (++f.y == 4) {
        f.phase = kStrBody;
        f.y = 0;
        f.ws = 0;
      }
      return true;
  }
  return false;
}

bool Machine::StepNumber(State* s, Frame& f, uint8_t b) const {
  const Node& n = g_->nodes[f.node];
  const bool is_number = n.kind == NodeKind::kNumber;
  const int int_cap = is_number ? kMaxNumberIntDigits : kMaxIntegerDigits;
  State next = *s;
  Frame& t = next.frames[next.depth - 1];
  bool ok = false;
  const bool digit = b >= '0' && b <= '9';
  switch (t.phase) {
    case kNumStart:
    case kNumMinus:
      if (b == '-' && t.phase == kNumStart) {
        t.phase = kNumMinus;
        t.ws = 1;
        ok = true;
      } else if (digit) {
        t.phase = b == '0' ? kNumZero : kNumInt;
        t.x = 1;
        next.num_int = b - '0';
        ok = true;
      }
      break;
    case kNumZero:
    case kNumInt:
      if (digit && t.phase == kNumInt && t.x < int_cap) {
        ++t.x;
        next.num_int = next.num_int * 10 + (b - '0');
        ok = true;
      } else if (b == '.' && is_number) {
        t.phase = kNumDot;
        ok = true;
      }
      break;
    case kNumDot:
    case kNumFrac:
      if (digit && t.y < kMaxFractionDigits) {
        t.phase = kNumFrac;
        ++t.y;
        next.num_frac = next.num_frac * 10 + (b - '0');
        ok = true;
      }
      break;
  }
  if (ok && NumberCost(next, t) >= 0) {
    *s = next;
    return true;
  }
  // The byte does not extend the number: it ends here if it may, and the byte goes on.
  if (f.phase == kNumStart || NumberCost(*s, f) != 0) return false;
  PopValue(s);
  return Step(s, b);
}

bool Machine::StepLiteral(State* s, Frame& f, uint8_t b) const {
  const LiteralTrie& lits = g_->nodes[f.node].literals;
  const int32_t c = lits.Child(f.y, b);
  if (c >= 0) {
    f.y = static_cast<uint16_t>(c);
    if (lits.IsLeaf(c)) PopValue(s);
    return true;
  }
  if (lits.nodes[f.y].terminal < 0) return false;
  PopValue(s);  // a literal that others extend (1 vs 12) ends when the byte does not fit
  return Step(s, b);
}

bool Machine::HasContinuation(const State& s) const {
  for (int b = 0; b < 256; ++b) {
    State t = s;
    if (Step(&t, static_cast<uint8_t>(b))) return true;
  }
  return false;
}

Machine::PlainRun Machine::Plain(const State& s) const {
  if (s.part == Part::kFree) return {g_->free_plain[s.tag], g_->free_high_plain[s.tag] != 0};
  if (s.part != Part::kJson) return {};
  const Frame& f = s.frames[s.depth - 1];
  if (f.node == kRootNode) return {};
  const Node& n = g_->nodes[f.node];
  if (n.kind != NodeKind::kString || f.phase != kStrBody) return {};
  // Only a saturated count makes characters leave the frame unchanged.
  if (n.max_length >= 0 || f.x < n.min_length) return {};
  static const AsciiSet plain = StringPlainSet();
  return {plain, true};
}

void Machine::Key(const State& s, std::string* out) const {
  const size_t header = offsetof(State, frames);
  out->assign(reinterpret_cast<const char*>(&s), header);
  out->append(reinterpret_cast<const char*>(s.frames), sizeof(Frame) * s.depth);
}

}  // namespace corgi::constraint
