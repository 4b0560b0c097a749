#include "pipeline/remote/constraint_grammar.h"

#include <nlohmann/json.hpp>

#include <set>
#include <vector>

namespace corgi::pipeline::remote {
namespace {

// Ordered: the grammar must ask for the properties in the schema's order (the order the
// prompt shows and the local engine enforces), not nlohmann::json's alphabetical one.
using Json = nlohmann::ordered_json;

// A GBNF string literal for `text` (escaping quotes, backslashes and control bytes).
std::string Literal(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// One byte inside a character class.
std::string ClassChar(unsigned char c) {
  if (c == ']' || c == '[' || c == '\\' || c == '^' || c == '-') return std::string("\\") + static_cast<char>(c);
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  return std::string(1, static_cast<char>(c));
}

class GrammarWriter {
 public:
  // Adds a rule and returns its name.
  std::string Rule(const std::string& hint, const std::string& body) {
    std::string name = hint + std::to_string(rules_.size());
    rules_.push_back(name + " ::= " + body);
    return name;
  }
  std::string Text() const {
    std::string out;
    for (const std::string& r : rules_) out += r + "\n";
    return out;
  }

  // Text ending with the first occurrence of `until` (KMP automaton over its prefixes:
  // state i = the last i bytes read equal until[0, i)).
  std::string FreeTextUntil(const std::string& until) {
    const size_t n = until.size();
    std::vector<size_t> fail(n + 1, 0);  // KMP failure function
    for (size_t i = 1, k = 0; i < n; ++i) {
      while (k > 0 && until[i] != until[k]) k = fail[k];
      if (until[i] == until[k]) ++k;
      fail[i + 1] = k;
    }
    auto next = [&](size_t state, unsigned char c) {
      while (state > 0 && (state == n || static_cast<unsigned char>(until[state]) != c)) state = fail[state];
      if (static_cast<unsigned char>(until[state]) == c) ++state;
      return state;
    };
    std::set<unsigned char> chars(until.begin(), until.end());
    std::string others = "[^";
    for (unsigned char c : chars) others += ClassChar(c);
    others += "]";
    // Rule names are fixed per state so states can refer to each other.
    std::vector<std::string> names(n);
    for (size_t i = 0; i < n; ++i) names[i] = "free" + std::to_string(i);
    for (size_t i = 0; i < n; ++i) {
      std::string body;
      for (unsigned char c : chars) {
        size_t to = next(i, c);
        body += (body.empty() ? "" : " | ") + Literal(std::string(1, static_cast<char>(c)));
        if (to < n) body += " " + names[to];
      }
      body += " | " + others + " " + names[0];
      rules_.push_back(names[i] + " ::= " + body);
    }
    return names[0];
  }

  std::string Value(const Json& schema, int depth) {
    if (depth > 32 || !schema.is_object()) return AnyValue();
    if (auto c = schema.find("const"); c != schema.end()) return Literal(c->dump());
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) {
      std::string body;
      for (const Json& v : *e) body += (body.empty() ? "" : " | ") + Literal(v.dump());
      return "(" + body + ")";
    }
    if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array() && !any->empty()) {
      std::string body;
      for (const Json& branch : *any) body += (body.empty() ? "" : " | ") + Value(branch, depth + 1);
      return "(" + body + ")";
    }
    auto type = schema.find("type");
    if (type != schema.end() && type->is_array()) {
      std::string body;
      for (const Json& t : *type) {
        Json one = schema;
        one["type"] = t;
        body += (body.empty() ? "" : " | ") + Value(one, depth + 1);
      }
      return body.empty() ? AnyValue() : "(" + body + ")";
    }
    const std::string t = type != schema.end() && type->is_string() ? type->get<std::string>() : "";
    if (t == "string") return Basic("string");
    if (t == "integer") return Basic("integer");
    if (t == "number") return Basic("number");
    if (t == "boolean") return "(\"true\" | \"false\")";
    if (t == "null") return "\"null\"";
    if (t == "array") return Array(schema, depth);
    if (t == "object") return Object(schema, depth);
    return AnyValue();
  }

 // (members below are helpers, public for brevity)
  std::string Array(const Json& schema, int depth) {
    std::string item = schema.contains("items") ? Value(schema["items"], depth + 1) : AnyValue();
    int64_t min = schema.value("minItems", int64_t{0});
    int64_t max = schema.contains("maxItems") && schema["maxItems"].is_number_integer()
                      ? schema["maxItems"].get<int64_t>() : -1;
    min = std::max<int64_t>(0, std::min<int64_t>(min, 64));
    if (max > 64) max = -1;  // long exact bounds are not worth the grammar size
    std::string item_rule = Rule("item", item);
    std::string more = "ws \",\" ws " + item_rule;  // JSON allows whitespace before commas
    std::string body = "\"[\" ws ";
    if (min == 0 && max == 0) return Rule("arr", "\"[\" ws \"]\"");
    // items 1..min are required, then optional ones up to max (or any number).
    std::string tail;
    if (max < 0) {
      tail = "(" + more + ")*";
    } else {
      for (int64_t i = std::max<int64_t>(min, 1); i < max; ++i) tail = "(" + more + " " + tail + ")?";
    }
    std::string required = item_rule;
    for (int64_t i = 1; i < min; ++i) required += " " + more;
    std::string items = required + (tail.empty() ? "" : " " + tail);
    if (min == 0) items = "(" + items + ")?";
    return Rule("arr", body + items + " ws \"]\"");
  }

  std::string Object(const Json& schema, int depth) {
    auto props = schema.find("properties");
    if (props == schema.end() || !props->is_object() || props->empty()) return Basic("object");
    std::set<std::string> required;
    if (auto r = schema.find("required"); r != schema.end() && r->is_array())
      for (const Json& name : *r)
        if (name.is_string()) required.insert(name.get<std::string>());
    std::vector<std::string> members;
    std::vector<bool> optional;
    for (const auto& [name, sub] : props->items()) {
      members.push_back(Literal(Json(name).dump()) + " ws \":\" ws " + Value(sub, depth + 1));
      optional.push_back(!required.count(name));
    }
    // rest(i, comma): members i.. in order, each optional one may be skipped.
    const size_t n = members.size();
    std::vector<std::string> rest_comma(n + 1), rest_first(n + 1);
    rest_comma[n] = rest_first[n] = "";
    for (size_t i = n; i-- > 0;) {
      std::string take_comma = "ws \",\" ws " + members[i] + (rest_comma[i + 1].empty() ? "" : " " + rest_comma[i + 1]);
      std::string take_first = members[i] + (rest_comma[i + 1].empty() ? "" : " " + rest_comma[i + 1]);
      if (optional[i]) {  // take it, or skip to the rest (which may itself be empty)
        rest_comma[i] = Rule("obj", rest_comma[i + 1].empty() ? "(" + take_comma + ")?"
                                                              : "(" + take_comma + ") | " + rest_comma[i + 1]);
        rest_first[i] = Rule("obj", rest_first[i + 1].empty() ? "(" + take_first + ")?"
                                                              : "(" + take_first + ") | " + rest_first[i + 1]);
      } else {
        rest_comma[i] = Rule("obj", take_comma);
        rest_first[i] = Rule("obj", take_first);
      }
    }
    return Rule("obj", "\"{\" ws " + rest_first[0] + " ws \"}\"");
  }

  // The generic JSON rules, added once.
  std::string Basic(const std::string& which) {
    if (!basics_) {
      basics_ = true;
      // At most 2 whitespace bytes, like the local engine (engine/constraint/grammar.h
      // kMaxWhitespace); written without {m,n} so every GBNF/EBNF dialect reads it.
      rules_.push_back("ws ::= ( [ \\t\\n] [ \\t\\n]? )?");
      rules_.push_back("string ::= \"\\\"\" ( [^\"\\\\\\x00-\\x1F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] ) )* \"\\\"\"");
      rules_.push_back("integer ::= \"-\"? ( \"0\" | [1-9] [0-9]* )");
      rules_.push_back("number ::= integer ( \".\" [0-9]+ )? ( [eE] [-+]? [0-9]+ )?");
      rules_.push_back("value ::= object | array | string | number | \"true\" | \"false\" | \"null\"");
      rules_.push_back("object ::= \"{\" ws ( string ws \":\" ws value ( ws \",\" ws string ws \":\" ws value )* )? ws \"}\"");
      rules_.push_back("array ::= \"[\" ws ( value ( ws \",\" ws value )* )? ws \"]\"");
    }
    return which;
  }
  std::string AnyValue() { return Basic("value"); }

 private:
  std::vector<std::string> rules_;
  bool basics_ = false;
};

}  // namespace

StatusOr<std::string> ConstraintToGbnf(const Constraint& constraint) {
  if (constraint.empty()) return InvalidArgumentError("an empty constraint has no grammar");
  GrammarWriter w;
  std::string root;
  auto add = [&root](const std::string& part) { root += (root.empty() ? "" : " ") + part; };
  if (!constraint.free_text_until.empty()) add(w.FreeTextUntil(constraint.free_text_until));
  if (!constraint.prefix.empty()) add(Literal(constraint.prefix));
  if (!constraint.json_schema.empty()) {
    Json schema = Json::parse(constraint.json_schema, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) return InvalidArgumentError("the constraint's JSON schema is not valid JSON");
    // Whitespace before the root value, and after it when a suffix follows (as locally).
    add(w.Basic("ws"));
    add(w.Value(schema, 0));
    if (!constraint.suffix.empty()) add("ws");
  }
  if (!constraint.suffix.empty()) add(Literal(constraint.suffix));
  return "root ::= " + root + "\n" + w.Text();
}

}  // namespace corgi::pipeline::remote
