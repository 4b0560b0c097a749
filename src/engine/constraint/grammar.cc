#include "engine/constraint/grammar.h"

#include <algorithm>
#include <map>

#include "engine/constraint/machine.h"

namespace corgi::constraint {
namespace {

constexpr size_t kMaxTagBytes = 64;
constexpr size_t kMaxLiteralBytes = 65535;

// The KMP automaton of `tag`: state k = bytes of `tag` matched; k == size() is never
// stepped from (the free-text part ends there).
std::vector<std::array<uint8_t, 256>> TagDfa(const std::string& tag) {
  const size_t n = tag.size();
  std::vector<std::array<uint8_t, 256>> dfa(n);
  for (auto& row : dfa) row.fill(0);
  dfa[0][static_cast<uint8_t>(tag[0])] = 1;
  size_t restart = 0;
  for (size_t j = 1; j < n; ++j) {
    dfa[j] = dfa[restart];
    dfa[j][static_cast<uint8_t>(tag[j])] = static_cast<uint8_t>(j + 1);
    restart = dfa[restart][static_cast<uint8_t>(tag[j])];
  }
  return dfa;
}

// Shortest completion of the free-text part per (UTF-8 state, tag state), by relaxing
// dist(s) = 1 + min over bytes of dist(step(s, b)) until nothing changes. The product
// automaton has at most 20 x 65 states, so this is instant.
std::vector<std::vector<int64_t>> FreeMin(const Grammar& g) {
  const int n = static_cast<int>(g.free_text_until.size());
  std::vector<std::vector<int64_t>> dist(kUtf8States, std::vector<int64_t>(n + 1, kInf));
  dist[0][n] = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (int u = 0; u < kUtf8States; ++u) {
      for (int k = 0; k < n; ++k) {
        int64_t best = dist[u][k];
        for (int b = 0; b < 256; ++b) {
          const int u2 = Utf8Step(u, static_cast<uint8_t>(b));
          if (u2 < 0) continue;
          const int k2 = g.tag_dfa[k][b];
          if (dist[u2][k2] < kInf) best = std::min(best, 1 + dist[u2][k2]);
        }
        if (best < dist[u][k]) {
          dist[u][k] = best;
          changed = true;
        }
      }
    }
  }
  return dist;
}

bool IsValidUtf8(const std::string& s) {
  int u = 0;
  for (char c : s) {
    u = Utf8Step(u, static_cast<uint8_t>(c));
    if (u < 0) return false;
  }
  return u == 0;
}

Status CheckTrieSizes(const Grammar& g) {
  for (const Node& n : g.nodes) {
    if (n.literals.nodes.size() > 0xFFFF || n.keys.nodes.size() > 0xFFFF) {
      return InvalidArgumentError(
          "json_schema: enum/const values or property names too long "
          "(more than 65535 trie nodes in one schema node)");
    }
  }
  if (g.nodes.size() >= 0xFFFF) return InvalidArgumentError("json_schema: too many schema nodes");
  return Status::Ok();
}

}  // namespace

void LiteralTrie::Build(const std::vector<std::string>& lits) {
  literals = lits;
  nodes.assign(1, TrieNode{});
  edges.clear();
  std::vector<std::map<uint8_t, int32_t>> children(1);
  for (size_t i = 0; i < lits.size(); ++i) {
    int32_t cur = 0;
    for (char ch : lits[i]) {
      const uint8_t b = static_cast<uint8_t>(ch);
      auto it = children[cur].find(b);
      if (it == children[cur].end()) {
        const int32_t id = static_cast<int32_t>(nodes.size());
        nodes.push_back(TrieNode{});
        nodes[id].depth = nodes[cur].depth + 1;
        children.emplace_back();
        children[cur][b] = id;
        cur = id;
      } else {
        cur = it->second;
      }
    }
    nodes[cur].terminal = static_cast<int32_t>(i);
  }
  for (size_t u = 0; u < nodes.size(); ++u) {
    nodes[u].edge_begin = static_cast<int32_t>(edges.size());
    for (const auto& [b, v] : children[u]) edges.push_back({b, v});
    nodes[u].edge_end = static_cast<int32_t>(edges.size());
  }
  // Children always have larger indices than their parent: fold bottom-up.
  for (size_t u = nodes.size(); u-- > 0;) {
    TrieNode& t = nodes[u];
    t.min_to_end = t.terminal >= 0 ? 0 : kInf;
    if (t.terminal >= 0 && t.terminal < 64) t.below_mask |= uint64_t{1} << t.terminal;
    for (int32_t e = t.edge_begin; e < t.edge_end; ++e) {
      const TrieNode& c = nodes[edges[e].node];
      t.min_to_end = std::min(t.min_to_end, 1 + c.min_to_end);
      t.below_mask |= c.below_mask;
    }
  }
}

StatusOr<std::shared_ptr<const Grammar>> CompileGrammar(const Constraint& constraint) {
  if (constraint.empty()) {
    return InvalidArgumentError("constraint is empty (no free text, literals or schema)");
  }
  auto g = std::make_shared<Grammar>();
  g->free_text_until = constraint.free_text_until;
  g->prefix = constraint.prefix;
  g->suffix = constraint.suffix;
  if (g->free_text_until.size() > kMaxTagBytes || !IsValidUtf8(g->free_text_until)) {
    return InvalidArgumentError("free_text_until must be valid UTF-8 of at most " +
                                std::to_string(kMaxTagBytes) + " bytes");
  }
  if (g->prefix.size() > kMaxLiteralBytes || g->suffix.size() > kMaxLiteralBytes) {
    return InvalidArgumentError("constraint prefix/suffix longer than 65535 bytes");
  }
  if (!g->free_text_until.empty()) {
    g->tag_dfa = TagDfa(g->free_text_until);
    g->free_min = FreeMin(*g);
    g->free_plain.resize(g->free_text_until.size());
    g->free_high_plain.assign(g->free_text_until.size(), 1);
    for (size_t k = 0; k < g->free_text_until.size(); ++k) {
      for (int b = 0; b < 256; ++b) {
        const bool keeps = g->tag_dfa[k][b] == k;
        if (b < 128 && keeps) g->free_plain[k].Add(static_cast<uint8_t>(b));
        if (b >= 128 && !keeps) g->free_high_plain[k] = 0;
      }
    }
  }
  if (!constraint.json_schema.empty()) {
    g->has_json = true;
    CORGI_RETURN_IF_ERROR(CompileSchema(constraint.json_schema, g.get()));
    CORGI_RETURN_IF_ERROR(CheckTrieSizes(*g));
  }
  return std::shared_ptr<const Grammar>(std::move(g));
}

}  // namespace corgi::constraint
