// JSON Schema (the supported subset) -> grammar nodes. Every node gets its shortest
// serialization (min_bytes) here, which the matcher's budget forcing relies on.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"
#include "engine/constraint/grammar.h"

namespace corgi::constraint {
namespace {

using Json = nlohmann::ordered_json;

const std::set<std::string>& KnownKeywords() {
  static const std::set<std::string> k = {
      "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
      "minLength", "maxLength", "enum", "const", "anyOf", "minimum", "maximum",
      // Annotations: accepted and ignored.
      "title", "description", "$schema", "$id", "$comment", "default", "examples"};
  return k;
}

Status Bad(const std::string& path, const std::string& what) {
  return InvalidArgumentError("json_schema: " + what + " at " + path);
}

class SchemaCompiler {
 public:
  explicit SchemaCompiler(Grammar* g) : g_(g) {}
  StatusOr<int32_t> Compile(const Json& s, const std::string& path, int depth);

 private:
  int32_t Add(Node node) {
    g_->nodes.push_back(std::move(node));
    return static_cast<int32_t>(g_->nodes.size()) - 1;
  }
  StatusOr<int32_t> CompileType(const Json& s, const std::string& type, const std::string& path,
                                int depth);
  StatusOr<int32_t> CompileObject(const Json& s, const std::string& path, int depth);
  StatusOr<int32_t> CompileArray(const Json& s, const std::string& path, int depth);
  StatusOr<int32_t> CompileString(const Json& s, const std::string& path);
  StatusOr<int32_t> CompileNumber(const Json& s, bool integer, const std::string& path);
  StatusOr<int32_t> CompileLiterals(const Json& s, const std::string& path);
  StatusOr<int32_t> MakeAnyOf(std::vector<int32_t> branches, const std::string& path);
  int32_t FreeValue(int levels);
  int32_t FreeObject(int32_t value);
  int32_t FreeScalar(int which);
  Status Count(const Json& s, const char* key, int32_t fallback, const std::string& path,
               int32_t* out);
  int32_t LiteralNode(std::vector<std::string> lits);

  Grammar* g_;
  // Shared nodes of free values: string, number, true/false/null; then per level.
  int32_t free_scalar_[3] = {-1, -1, -1};
  std::vector<int32_t> free_by_levels_;
};

// Value levels a free value compiled at schema depth `depth` may use: its own frame and
// those below it, up to kMaxDepth frames in all, at most kMaxFreeNesting containers.
int FreeLevels(int depth) { return std::min(kMaxFreeNesting + 1, kMaxDepth - depth); }

int32_t SchemaCompiler::FreeScalar(int which) {
  if (free_scalar_[which] < 0) {
    if (which == 0) {
      Node n;
      n.kind = NodeKind::kString;
      n.min_bytes = 2;
      free_scalar_[which] = Add(std::move(n));
    } else if (which == 1) {
      free_scalar_[which] = *CompileNumber(Json::object(), false, "");
    } else {
      free_scalar_[which] = LiteralNode({"true", "false", "null"});
    }
  }
  return free_scalar_[which];
}

// An object with any string keys whose values are all of node `value`.
int32_t SchemaCompiler::FreeObject(int32_t value) {
  Node n;
  n.kind = NodeKind::kObject;
  n.free_key = FreeScalar(0);
  n.item = value;
  n.last_allowed.assign(1, 0);
  n.rest_after_value.assign(1, 1);
  n.key_min_from.assign(1, g_->nodes[n.free_key].min_bytes + 1 + g_->nodes[value].min_bytes + 1);
  n.keys.Build({});
  n.min_bytes = 2;
  return Add(std::move(n));
}

// Any JSON value with at most `levels` - 1 arrays/objects nested (levels >= 1; a single
// level is scalars only), so the state stack stays bounded and every state completable.
int32_t SchemaCompiler::FreeValue(int levels) {
  if (free_by_levels_.size() <= static_cast<size_t>(levels)) {
    free_by_levels_.resize(levels + 1, -1);
  }
  if (free_by_levels_[levels] >= 0) return free_by_levels_[levels];
  std::vector<int32_t> branches = {FreeScalar(0), FreeScalar(1), FreeScalar(2)};
  if (levels > 1) {
    const int32_t inner = FreeValue(levels - 1);
    Node arr;
    arr.kind = NodeKind::kArray;
    arr.item = inner;
    arr.min_bytes = 2;
    branches.push_back(Add(std::move(arr)));
    branches.push_back(FreeObject(inner));
  }
  // The branches start with distinct bytes, so this cannot fail.
  const int32_t id = *MakeAnyOf(std::move(branches), "");
  free_by_levels_[levels] = id;
  return id;
}

// The type a schema without 'type' implies by its keywords ("" for none: any value).
StatusOr<std::string> ImpliedType(const Json& s, const std::string& path) {
  static const std::pair<const char*, const char*> kImplies[] = {
      {"properties", "object"}, {"required", "object"},   {"additionalProperties", "object"},
      {"items", "array"},       {"minItems", "array"},    {"maxItems", "array"},
      {"minLength", "string"},  {"maxLength", "string"},  {"minimum", "number"},
      {"maximum", "number"}};
  std::string type;
  for (const auto& [key, t] : kImplies) {
    if (!s.contains(key)) continue;
    if (!type.empty() && type != t) {
      return Bad(path, "keywords of several types without 'type'");
    }
    type = t;
  }
  return type;
}

Status SchemaCompiler::Count(const Json& s, const char* key, int32_t fallback,
                             const std::string& path, int32_t* out) {
  *out = fallback;
  if (!s.contains(key)) return Status::Ok();
  const Json& v = s[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > kMaxCount) {
    return Bad(path, std::string("'") + key + "' must be an integer in [0, " +
                         std::to_string(kMaxCount) + "]");
  }
  *out = static_cast<int32_t>(v.get<int64_t>());
  return Status::Ok();
}

int32_t SchemaCompiler::LiteralNode(std::vector<std::string> lits) {
  std::sort(lits.begin(), lits.end());
  lits.erase(std::unique(lits.begin(), lits.end()), lits.end());
  Node n;
  n.kind = NodeKind::kLiterals;
  n.literals.Build(lits);
  n.min_bytes = n.literals.nodes[0].min_to_end;
  return Add(std::move(n));
}

StatusOr<int32_t> SchemaCompiler::Compile(const Json& s, const std::string& path, int depth) {
  if (!s.is_object()) return Bad(path, "a schema must be a JSON object");
  if (depth > kMaxDepth - 1) {
    return Bad(path, "nesting deeper than " + std::to_string(kMaxDepth - 1) + " levels");
  }
  for (const auto& [key, value] : s.items()) {
    if (!KnownKeywords().count(key)) return Bad(path, "unsupported keyword '" + key + "'");
  }
  if (s.contains("enum") || s.contains("const")) return CompileLiterals(s, path);
  if (s.contains("anyOf")) {
    if (s.contains("type")) return Bad(path, "'anyOf' together with 'type' is not supported");
    const Json& any = s["anyOf"];
    if (!any.is_array() || any.empty()) return Bad(path, "'anyOf' must be a non-empty array");
    std::vector<int32_t> branches;
    for (size_t i = 0; i < any.size(); ++i) {
      CORGI_ASSIGN_OR_RETURN(int32_t b,
                             Compile(any[i], path + ".anyOf[" + std::to_string(i) + "]", depth));
      branches.push_back(b);
    }
    return MakeAnyOf(std::move(branches), path);
  }
  if (!s.contains("type")) {  // any value, or the one type its keywords imply
    CORGI_ASSIGN_OR_RETURN(std::string implied, ImpliedType(s, path));
    if (implied.empty()) return FreeValue(FreeLevels(depth));
    return CompileType(s, implied, path, depth);
  }
  const Json& type = s["type"];
  if (type.is_string()) return CompileType(s, type.get<std::string>(), path, depth);
  if (!type.is_array() || type.empty()) {
    return Bad(path, "'type' must be a string or a non-empty array of strings");
  }
  std::set<std::string> types;
  for (const Json& t : type) {
    if (!t.is_string()) return Bad(path, "'type' must be a string or an array of strings");
    types.insert(t.get<std::string>());
  }
  if (types.count("integer") && types.count("number")) types.erase("integer");  // subset
  std::vector<int32_t> branches;
  for (const std::string& t : types) {
    CORGI_ASSIGN_OR_RETURN(int32_t b, CompileType(s, t, path, depth));
    branches.push_back(b);
  }
  return MakeAnyOf(std::move(branches), path);
}

StatusOr<int32_t> SchemaCompiler::CompileType(const Json& s, const std::string& type,
                                              const std::string& path, int depth) {
  if (type == "object") return CompileObject(s, path, depth);
  if (type == "array") return CompileArray(s, path, depth);
  if (type == "string") return CompileString(s, path);
  if (type == "integer") return CompileNumber(s, true, path);
  if (type == "number") return CompileNumber(s, false, path);
  if (type == "boolean") return LiteralNode({"true", "false"});
  if (type == "null") return LiteralNode({"null"});
  return Bad(path, "unsupported type '" + type + "'");
}

StatusOr<int32_t> SchemaCompiler::CompileLiterals(const Json& s, const std::string& path) {
  if (s.contains("anyOf"))
    return Bad(path, "'anyOf' together with 'enum'/'const' is not supported");
  std::vector<Json> values;
  if (s.contains("const")) values.push_back(s["const"]);
  if (s.contains("enum")) {
    if (!s["enum"].is_array() || s["enum"].empty())
      return Bad(path, "'enum' must be a non-empty array");
    if (s.contains("const")) return Bad(path, "'enum' together with 'const' is not supported");
    for (const Json& v : s["enum"]) values.push_back(v);
  }
  std::set<std::string> types;
  if (s.contains("type")) {
    if (s["type"].is_string()) types.insert(s["type"].get<std::string>());
    if (s["type"].is_array()) {
      for (const Json& t : s["type"]) {
        if (t.is_string()) types.insert(t.get<std::string>());
      }
    }
  }
  std::vector<std::string> lits;
  for (const Json& v : values) {
    if (v.is_object() || v.is_array()) return Bad(path, "'enum'/'const' values must be scalars");
    std::string name = v.is_string()           ? "string"
                       : v.is_boolean()        ? "boolean"
                       : v.is_null()           ? "null"
                       : v.is_number_integer() ? "integer"
                                               : "number";
    if (!types.empty() && !types.count(name) && !(name == "integer" && types.count("number"))) {
      return Bad(path, "'enum'/'const' value " + v.dump() + " does not match 'type'");
    }
    // ensure_ascii keeps literal bytes plain ASCII; replace invalid UTF-8 rather than throw.
    lits.push_back(v.dump(-1, ' ', true, Json::error_handler_t::replace));
  }
  return LiteralNode(std::move(lits));
}

StatusOr<int32_t> SchemaCompiler::CompileObject(const Json& s, const std::string& path, int depth) {
  const bool has_props = s.contains("properties") && !s["properties"].empty();
  const bool closed = s.contains("additionalProperties") &&
                      s["additionalProperties"].is_boolean() &&
                      !s["additionalProperties"].get<bool>();
  if (!closed && s.contains("additionalProperties")) {
    const Json& extra = s["additionalProperties"];
    if (has_props || !(extra.is_boolean() || extra.is_object())) {
      return Bad(path,
                 "'additionalProperties' other than false is supported only without 'properties'");
    }
  }
  // No properties and not closed: any keys. Past the depth limit only {} fits.
  if (!has_props && !closed && depth < kMaxDepth - 1) {
    if (s.contains("required") && !(s["required"].is_array() && s["required"].empty())) {
      return Bad(path, "'required' without 'properties' is not supported");
    }
    const Json* extra = s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
    int32_t value = -1;
    if (extra == nullptr || extra->is_boolean() || extra->empty()) {
      // Containers: this object plus at most kMaxFreeNesting - 1 inside it.
      value = FreeValue(std::min(kMaxFreeNesting, kMaxDepth - depth - 1));
    } else {
      CORGI_ASSIGN_OR_RETURN(value, Compile(*extra, path + ".additionalProperties", depth + 1));
    }
    return FreeObject(value);
  }
  Node n;
  n.kind = NodeKind::kObject;
  if (s.contains("properties")) {
    if (!s["properties"].is_object()) return Bad(path, "'properties' must be an object");
    for (const auto& [name, sub] : s["properties"].items()) {
      CORGI_ASSIGN_OR_RETURN(int32_t child, Compile(sub, path + ".properties." + name, depth + 1));
      n.props.push_back(
          {name, Json(name).dump(-1, ' ', true, Json::error_handler_t::replace), child, false});
    }
  }
  if (n.props.size() > kMaxProperties) {
    return Bad(path, "more than " + std::to_string(kMaxProperties) + " properties");
  }
  if (s.contains("required")) {
    if (!s["required"].is_array()) return Bad(path, "'required' must be an array of names");
    for (const Json& r : s["required"]) {
      auto it = std::find_if(n.props.begin(), n.props.end(),
                             [&](const Property& p) { return r.is_string() && p.name == r; });
      if (it == n.props.end())
        return Bad(path, "'required' names " + r.dump() + ", not a property");
      it->required = true;
    }
  }
  const int32_t np = static_cast<int32_t>(n.props.size());
  n.last_allowed.assign(np + 1, np);
  for (int32_t lo = np - 1; lo >= 0; --lo) {
    n.last_allowed[lo] = n.props[lo].required ? lo : (lo + 1 < np ? n.last_allowed[lo + 1] : lo);
  }
  n.rest_after_value.assign(np + 1, 1);
  n.key_min_from.assign(np + 1, kInf);
  for (int32_t lo = np - 1; lo >= 0; --lo) {
    for (int32_t p = lo; p <= n.last_allowed[lo]; ++p) {
      const int64_t cost = static_cast<int64_t>(n.props[p].key.size()) + 1 +
                           g_->nodes[n.props[p].child].min_bytes + n.rest_after_value[p + 1];
      n.key_min_from[lo] = std::min(n.key_min_from[lo], cost);
    }
    n.rest_after_value[lo] = n.RequiredFrom(lo) ? 1 + n.key_min_from[lo] : 1;
  }
  n.min_bytes = 1 + (n.RequiredFrom(0) ? n.key_min_from[0] : 1);
  std::vector<std::string> keys;
  for (const Property& p : n.props) keys.push_back(p.key);
  n.keys.Build(keys);
  return Add(std::move(n));
}

StatusOr<int32_t> SchemaCompiler::CompileArray(const Json& s, const std::string& path, int depth) {
  Node n;
  n.kind = NodeKind::kArray;
  CORGI_RETURN_IF_ERROR(Count(s, "minItems", 0, path, &n.min_items));
  CORGI_RETURN_IF_ERROR(Count(s, "maxItems", kMaxCount, path, &n.max_items));
  if (n.min_items > n.max_items) return Bad(path, "'minItems' exceeds 'maxItems'");
  if (!s.contains("items")) {  // any items; deepest down, only []
    if (depth >= kMaxDepth - 1) {
      if (n.min_items > 0) return Bad(path, "nesting too deep for 'minItems' without 'items'");
      n.max_items = 0;
      n.item = FreeScalar(2);
      n.min_bytes = 2;
      return Add(std::move(n));
    }
    n.item = FreeValue(std::min(kMaxFreeNesting, kMaxDepth - depth - 1));
  } else {
    CORGI_ASSIGN_OR_RETURN(n.item, Compile(s["items"], path + ".items", depth + 1));
  }
  const int64_t item_min = g_->nodes[n.item].min_bytes;
  n.min_bytes = 1 + (n.min_items == 0 ? 1 : n.min_items * item_min + (n.min_items - 1) + 1);
  return Add(std::move(n));
}

StatusOr<int32_t> SchemaCompiler::CompileString(const Json& s, const std::string& path) {
  Node n;
  n.kind = NodeKind::kString;
  CORGI_RETURN_IF_ERROR(Count(s, "minLength", 0, path, &n.min_length));
  CORGI_RETURN_IF_ERROR(Count(s, "maxLength", -1, path, &n.max_length));
  if (n.max_length >= 0 && n.min_length > n.max_length) {
    return Bad(path, "'minLength' exceeds 'maxLength'");
  }
  n.min_bytes = 2 + n.min_length;
  return Add(std::move(n));
}

// Rounds v * unit up (or down) to an integer, forgiving binary noise such as 0.1 * 1e6
// = 100000.00000000001; clamps to [-cap, cap].
int64_t ScaledBound(double v, int64_t unit, int64_t cap, bool up) {
  const double x = v * static_cast<double>(unit);
  if (x >= static_cast<double>(cap)) return cap;
  if (x <= -static_cast<double>(cap)) return -cap;
  const double r = std::nearbyint(x);
  if (std::fabs(x - r) <= 1e-6 * std::max(1.0, std::fabs(x))) return static_cast<int64_t>(r);
  return static_cast<int64_t>(up ? std::ceil(x) : std::floor(x));
}

StatusOr<int32_t> SchemaCompiler::CompileNumber(const Json& s, bool integer,
                                                const std::string& path) {
  Node n;
  n.kind = integer ? NodeKind::kInteger : NodeKind::kNumber;
  const int64_t unit = integer ? 1 : 1000000;
  static_assert(kMaxFractionDigits == 6);
  // Largest magnitude with the digit caps: 10^18 - 1 on the grid in both cases.
  const int64_t cap = 999999999999999999;
  int64_t lo = -cap, hi = cap;
  for (const char* key : {"minimum", "maximum"}) {
    if (!s.contains(key)) continue;
    if (!s[key].is_number()) return Bad(path, std::string("'") + key + "' must be a number");
    const double v = s[key].get<double>();
    if (key[1] == 'i') lo = ScaledBound(v, unit, cap, true);
    if (key[1] == 'a') hi = ScaledBound(v, unit, cap, false);
  }
  // Positive side holds values >= 0; the negative side magnitudes >= 1 grid unit (no -0).
  n.pos_lo = std::max<int64_t>(lo, 0);
  n.pos_hi = hi;
  n.neg_lo = std::max<int64_t>(-hi, 1);
  n.neg_hi = -lo;
  n.min_bytes = NumberMinBytes(n, false, kNumStart, 0, 0, 0, 0);
  if (n.min_bytes < 0) return Bad(path, "no value satisfies 'minimum'/'maximum'");
  return Add(std::move(n));
}

// The set of bytes a node's serialization can start with.
std::set<uint8_t> FirstBytes(const Grammar& g, int32_t id) {
  const Node& n = g.nodes[id];
  switch (n.kind) {
    case NodeKind::kObject:
      return {'{'};
    case NodeKind::kArray:
      return {'['};
    case NodeKind::kString:
      return {'"'};
    case NodeKind::kInteger:
    case NodeKind::kNumber:
      return {'-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    case NodeKind::kLiterals: {
      std::set<uint8_t> out;
      for (const std::string& l : n.literals.literals) out.insert(static_cast<uint8_t>(l[0]));
      return out;
    }
    case NodeKind::kAnyOf: {
      std::set<uint8_t> out;
      for (int32_t b : n.branches) out.merge(FirstBytes(g, b));
      return out;
    }
  }
  return {};
}

StatusOr<int32_t> SchemaCompiler::MakeAnyOf(std::vector<int32_t> branches,
                                            const std::string& path) {
  std::vector<int32_t> flat;
  std::vector<std::string> lits;
  for (int32_t b : branches) {
    const Node& n = g_->nodes[b];
    if (n.kind == NodeKind::kAnyOf) {
      for (int32_t c : n.branches) {
        if (g_->nodes[c].kind == NodeKind::kLiterals) {
          for (const std::string& l : g_->nodes[c].literals.literals) lits.push_back(l);
        } else {
          flat.push_back(c);
        }
      }
    } else if (n.kind == NodeKind::kLiterals) {
      for (const std::string& l : n.literals.literals) lits.push_back(l);
    } else {
      flat.push_back(b);
    }
  }
  // Literal branches merge into one (their bytes decide between them as they come).
  if (!lits.empty()) flat.push_back(LiteralNode(std::move(lits)));
  if (flat.size() == 1) return flat[0];
  Node n;
  n.kind = NodeKind::kAnyOf;
  n.branch_by_byte.fill(-1);
  n.min_bytes = kInf;
  for (size_t i = 0; i < flat.size(); ++i) {
    for (uint8_t c : FirstBytes(*g_, flat[i])) {
      if (n.branch_by_byte[c] >= 0) {
        return Bad(path, "'anyOf'/'type' branches that can both start with '" +
                             std::string(1, static_cast<char>(c)) +
                             "' are not supported (branches must differ in their first byte)");
      }
      n.branch_by_byte[c] = flat[i];
    }
    n.min_bytes = std::min(n.min_bytes, g_->nodes[flat[i]].min_bytes);
  }
  n.branches = std::move(flat);
  return Add(std::move(n));
}

}  // namespace

Status CompileSchema(const std::string& schema_text, Grammar* g) {
  if (!CheckJsonDepth(schema_text, "json_schema").ok())
    return InvalidArgumentError("json_schema is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  Json schema;
  try {
    schema = Json::parse(schema_text);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("json_schema is not valid JSON: ") + e.what());
  }
  SchemaCompiler compiler(g);
  StatusOr<int32_t> root = InternalError("unset");
  try {  // the compiler checks types first; this only guards against surprises
    root = compiler.Compile(schema, "schema", 1);
  } catch (const std::exception& e) {
    return InvalidArgumentError(std::string("json_schema: ") + e.what());
  }
  if (!root.ok()) return root.status();
  g->root = *root;
  g->json_min = g->nodes[g->root].min_bytes;
  return Status::Ok();
}

}  // namespace corgi::constraint
